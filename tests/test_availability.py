"""Availability per system: the pure rules as tables, the read model on a real database, and
the API's month parameter."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dashboard.plans import availability as av
from tests.test_plans_db import db  # noqa: F401 - the catalog-loaded database fixture

UTC = timezone.utc
START = datetime(2026, 10, 31, 17, 0, tzinfo=UTC)  # 1 Nov 2026 00:00 in Vietnam
END = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
MONTH_S = 30 * 86400


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return START + timedelta(days=day - 1, hours=hour, minutes=minute)


@pytest.mark.parametrize("text, bounds", [
    ("2026-11", (START, END)),
    ("2026-12", (END, datetime(2026, 12, 31, 17, 0, tzinfo=UTC))),
    (" 2027-01 ", (datetime(2026, 12, 31, 17, 0, tzinfo=UTC), datetime(2027, 1, 31, 17, 0, tzinfo=UTC))),
])
def test_month_bounds_are_local_months(text, bounds):
    assert av.month_bounds(text) == bounds


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "", "1999-12", "nov"])
def test_a_bad_month_is_refused_with_what_is_expected(text):
    with pytest.raises(av.BadPeriod, match="YYYY-MM|01–12"):
        av.month_bounds(text)


@pytest.mark.parametrize("name, incidents, maintenance, downtime_min, count, uptime, mttr_min, behind", [
    ("no incident", [], [], 0, 0, 100.0, None, False),
    ("one hour down", [(at(3, 1), at(3, 2))], [], 60, 1, 99.861, 60, False),
    ("four hours down: behind 99.5", [(at(3, 1), at(3, 5))], [], 240, 1, 99.444, 240, True),
    ("down inside maintenance does not count", [(at(3, 1), at(3, 2))], [(at(3, 0), at(3, 3))], 0, 1, 100.0, 60, False),
    ("half inside maintenance", [(at(3, 1), at(3, 3))], [(at(3, 2), at(3, 4))], 60, 1, 99.861, 120, False),
    ("started last month: clipped, not counted as started", [(START - timedelta(hours=2), at(1, 1))], [], 60, 0, 99.861, 180, False),
    ("still open at the month's end", [(at(30, 23), None)], [], 60, 1, 99.861, None, False),
    ("overlapping incidents are not counted twice", [(at(5, 1), at(5, 3)), (at(5, 2), at(5, 4))], [], 180, 2, 99.583, 120, False),
])
def test_availability_table(name, incidents, maintenance, downtime_min, count, uptime, mttr_min, behind):
    result = av.availability(incidents, maintenance, START, END, NOW)
    assert round(result.downtime_s / 60) == downtime_min, name
    assert result.incidents == count, name
    assert result.uptime_percent == pytest.approx(uptime, abs=0.001), name
    assert (None if result.mttr_s is None else round(result.mttr_s / 60)) == mttr_min, name
    assert result.behind is behind, name


def test_mtbf_target_and_a_running_month():
    result = av.availability([(at(2), at(2, 1)), (at(10), at(10, 1))], [], START, END, NOW, target=99.9)
    assert result.mtbf_s == pytest.approx((MONTH_S - 7200) / 2)
    assert result.target_percent == 99.9 and result.behind  # 99.72 < 99.9
    running = av.availability([], [], START, END, at(16))  # half the month so far
    assert running.period_s == 15 * 86400 and running.uptime_percent == 100.0
    future = av.availability([], [], START, END, START - timedelta(days=1))
    assert future.uptime_percent is None and not future.behind


def test_recurring_maintenance_occurrences():
    weekly = av.maintenance_occurrences(datetime(2026, 10, 4, 18, tzinfo=UTC), None, "FREQ=WEEKLY", 3600, None, START, END)
    assert len(weekly) == 5 and all((b - a) == timedelta(hours=1) for a, b in weekly)
    cancelled = av.maintenance_occurrences(datetime(2026, 10, 4, 18, tzinfo=UTC), None, "FREQ=WEEKLY", 3600, at(10), START, END)
    assert len(cancelled) == 2


def test_read_model_and_api_on_a_real_database(db, tmp_path, monkeypatch):
    """Incidents and a maintenance window in the database; the month read through the API."""
    import secrets

    from dashboard.auth import tokens
    from dashboard.config import Settings
    from dashboard.readmodels import availability as views
    from dashboard.runtime import Runtime
    from dashboard.store.models import Incident, MaintenanceWindow
    from dashboard.web.app import create_app

    with db.session() as session:
        session.add(Incident(subject_type="system", subject_id="lgsp", system_id="lgsp", severity="down",
                             started_at=at(3, 1), ended_at=at(3, 9), cause="503"))
        session.add(Incident(subject_type="system", subject_id="qlvb", system_id="qlvb", severity="degraded",
                             started_at=at(4, 1), ended_at=at(4, 9), cause="slow"))  # degraded: not downtime
        session.add(Incident(subject_type="endpoint", subject_id="lgsp.x", system_id="lgsp", severity="down",
                             started_at=at(6, 1), ended_at=at(6, 9), cause="one endpoint"))  # the system's own incidents count
        session.add(MaintenanceWindow(system_id="lgsp", starts_at=at(3, 4), ends_at=at(3, 6), reason="nâng cấp", created_by="test", created_at=at(1)))
        _, secret = tokens.create_token(session, "portal", "api")
    with db.session() as session:
        view = views.availability_view(session, "2026-11", NOW)
    rows = {r["id"]: r for r in view["systems"]}
    assert (rows["lgsp"]["downtime_minutes"], rows["lgsp"]["maintenance_minutes"], rows["lgsp"]["incidents"]) == (360.0, 120.0, 1)
    assert rows["lgsp"]["uptime_percent"] == pytest.approx(100 * (1 - 360 / (30 * 1440 - 120)), abs=0.001)
    assert rows["lgsp"]["behind"] and rows["lgsp"]["target_percent"] == 99.5 and rows["lgsp"]["mttr_minutes"] == 480.0
    assert (rows["qlvb"]["uptime_percent"], rows["qlvb"]["incidents"], rows["qlvb"]["behind"]) == (100.0, 0, False)
    assert view["complete"] and view["behind"] == 1

    monkeypatch.setenv("IOC_SECRET_KEY", secrets.token_urlsafe(48))
    app = create_app(Runtime(Settings(database_url=db.url, demo=False, data_dir=tmp_path), db, catalog=None))
    client = app.server.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    good = client.get("/api/availability?month=2026-11", headers=auth)
    assert good.status_code == 200 and good.get_json()["systems"][0]["id"] == "lgsp"
    for bad in ("2026-13", "2026-1", "abc"):
        response = client.get(f"/api/availability?month={bad}", headers=auth)
        assert response.status_code == 400
        assert "YYYY-MM" in response.get_json()["error"] or "01–12" in response.get_json()["error"]
