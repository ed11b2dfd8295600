"""Plans on a real database (SQLite and PostgreSQL): import, replace, snapshots, coverage,
export, demo data."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from collectors.timeutil import utcnow
from dashboard.catalog.loader import apply_catalog, parse_catalog
from dashboard.demo.plans import load_demo_plans
from dashboard.domain.communes import AdminUnit
from dashboard.plans import store, template
from dashboard.plans.importer import parse_plan_file
from dashboard.readmodels import plans as views
from dashboard.store.models import CheckResult, CoverageSnapshot, Link, Plan, ProgressSnapshot, Task

CATALOG = """
version: 1
national_platforms:
  - {id: ndxp, name_vi: NDXP, name_en: NDXP}
  - {id: axis, name_vi: Trục liên thông, name_en: Axis}
agencies:
  - {id: skhcn, name_vi: Sở Khoa học và Công nghệ, name_en: DOST, partner: VNPT}
  - {id: syt, name_vi: Sở Y tế, name_en: Health, partner: Viettel}
communes:
  include: true
  partner_default: FPT
systems:
  - id: lgsp
    name_vi: LGSP
    name_en: LGSP
    owner: skhcn
    endpoints:
      - {id: link-ndxp, url: "http://127.0.0.1:9/links", interval: 60s, timeout: 5s}
    connections:
      - {platform: ndxp, endpoint: link-ndxp}
  - id: qlvb
    name_vi: QLVB
    name_en: Documents
    owner: skhcn
    endpoints:
      - {id: health, url: "http://127.0.0.1:9/health", interval: 60s, timeout: 5s}
    connections:
      - {platform: axis, declared: in_progress}
"""
UNITS = [
    AdminUnit("21025", "Xã Bình Sơn", "Bình Sơn", "commune", 15.3, 108.7),
    AdminUnit("21028", "Phường Trương Quang Trọng", "Trương Quang Trọng", "ward", 15.1, 108.8),
]
TODAY = date(2026, 11, 25)


@pytest.fixture
def db(any_db):
    with any_db.session() as session:
        apply_catalog(session, parse_catalog(CATALOG), units=UNITS)
    return any_db


def import_csv(db, rows: list[dict], name="plan.csv", today=TODAY):
    with db.session() as session:
        report = parse_plan_file(name, template.build_csv(rows), views.reference(session))
        assert report.ok, [(p.row, p.message("en")) for p in report.problems]
        return store.apply_import(session, report, today)


def task(agency="skhcn", title="Tích hợp LGSP", category="tich_hop", status="dang_thuc_hien", percent=50, due=TODAY + timedelta(days=30), systems=("lgsp",), partner=""):
    return {"agency": agency, "partner": partner, "title": title, "category": category, "owner": "CNTT", "start": TODAY - timedelta(days=30),
            "due": due, "status": status, "percent": percent, "systems": list(systems), "notes": ""}


def test_import_progress_and_replace(db):
    counts = import_csv(db, [
        task(),
        task(title="Rà soát", category="ra_soat", status="hoan_thanh", percent=100, systems=()),
        task(agency="21025", title="Tích hợp QLVB", systems=("qlvb",), percent=10, due=TODAY - timedelta(days=2)),
    ])
    assert (counts["agencies"], counts["tasks"], counts["new"]) == (2, 3, 3)
    with db.session() as session:
        view = views.progress_view(session, TODAY)
        rows = {r.agency_id: r for r in view["agencies"]}
        assert (rows["skhcn"].percent, rows["skhcn"].done, rows["skhcn"].partner) == (75.0, 1, "VNPT")
        assert (rows["unit-21025"].percent, rows["unit-21025"].overdue, rows["unit-21025"].partner) == (10.0, 1, "FPT")
        assert not rows["syt"].has_plan
        assert [t["title"] for t in view["overdue"]] == ["Tích hợp QLVB"]
        assert view["overdue"][0]["days_late"] == 2
        assert {p["id"] for p in view["map_points"]} == {"unit-21025", "unit-21028"}
        week = session.scalars(select(ProgressSnapshot).order_by(ProgressSnapshot.agency_id)).all()
        assert [(s.week_start, s.agency_id, s.percent) for s in week] == [(date(2026, 11, 23), "skhcn", 75.0), (date(2026, 11, 23), "unit-21025", 10.0)]

    # A second file replaces the tasks of the agencies it names, and only theirs.
    import_csv(db, [task(title="Nâng cấp", category="nang_cap", percent=90, systems=(), partner="MobiFone")], today=TODAY + timedelta(days=7))
    with db.session() as session:
        plan = session.scalar(select(Plan).where(Plan.agency_id == "skhcn"))
        assert [t.title for t in plan.tasks] == ["Nâng cấp"] and plan.partner == "MobiFone"
        assert session.scalar(select(func.count()).select_from(Task)) == 2
        view = views.progress_view(session, TODAY + timedelta(days=7))
        assert view["trend"][-2:] == [(date(2026, 11, 23), 21.2), (date(2026, 11, 30), 25.0)]  # mean over the 4 agencies


def test_nothing_is_imported_from_a_bad_file(db):
    with db.session() as session:
        report = parse_plan_file("bad.csv", template.build_csv([task(), task(agency="nope")]), views.reference(session))
        assert not report.ok
        with pytest.raises(store.NotImportable):
            store.apply_import(session, report, TODAY)
        assert session.scalar(select(func.count()).select_from(Task)) == 0


def succeeded(session, link_id: str, at) -> None:
    """A successful live check of a link's endpoint at `at` (as the collector writes it)."""
    endpoint_id = session.get(Link, link_id).endpoint_id
    session.add(CheckResult(endpoint_id=endpoint_id, checked_at=at, verdict="up", latency_ms=12.0, http_code=200, reason="ok"))


def test_coverage_live_and_declared(db):
    import_csv(db, [
        task(status="hoan_thanh", percent=100),  # skhcn integrated with lgsp
        task(title="QLVB", status="hoan_thanh", percent=100, systems=("qlvb",)),  # and qlvb
        task(agency="syt", title="LGSP", status="hoan_thanh", percent=100),
    ])
    now = utcnow()
    with db.session() as session:
        link = session.get(Link, "lgsp.ndxp")
        link.status, link.last_check_at = "up", now
    with db.session() as session:
        view = views.coverage_view(session, now)
    systems = {s["id"]: s for s in view["systems"]}
    assert (systems["lgsp"]["connected_now"], systems["lgsp"]["source"]) == (True, "live")
    assert (systems["qlvb"]["connected_now"], systems["qlvb"]["source"], systems["qlvb"]["links"][0]["detail"]) == (False, "declared", "in_progress")
    # 4 agencies x 2 linked systems; sharing: skhcn/lgsp and syt/lgsp
    assert view["sharing_percent"] == 25.0
    assert systems["lgsp"]["sharing"] == 50.0 and systems["qlvb"]["integrated"] == 25.0
    agencies = {a["id"]: a for a in view["agencies"]}
    assert {k: v for k, v in agencies["skhcn"]["systems"]["qlvb"].items() if k in ("integrated", "connected", "sharing", "state")} == {
        "integrated": True, "connected": False, "sharing": False, "state": "declared"}

    with db.session() as session:  # the live check fails: coverage drops
        session.get(Link, "lgsp.ndxp").status = "down"
    with db.session() as session:
        again = views.coverage_view(session, now)
        assert again["sharing_percent"] == 0.0
        assert again["trend"] == []  # reads never write a snapshot


def test_three_states_an_outage_moves_live_up_not_the_integration_rate(db):
    import_csv(db, [
        task(status="hoan_thanh", percent=100),  # skhcn declared lgsp
        task(title="QLVB", status="hoan_thanh", percent=100, systems=("qlvb",)),  # qlvb: no live check at all
        task(agency="syt", title="LGSP", status="hoan_thanh", percent=100),  # syt declared lgsp
        task(agency="21025", title="LGSP"),  # a commune: not done, not declared
    ])
    now = utcnow()
    with db.session() as session:
        succeeded(session, "lgsp.ndxp", now - timedelta(days=2))
        succeeded(session, "lgsp.ndxp", now - timedelta(seconds=30))
        link = session.get(Link, "lgsp.ndxp")
        link.status, link.last_check_at = "up", now - timedelta(seconds=30)
    with db.session() as session:
        up = views.coverage_view(session, now)
    assert (up["required"], up["declared"], up["verified"], up["live_up"]) == (8, 3, 2, 2)
    assert (up["province_percent"], up["verified_percent"], up["live_up_percent"], up["declared_percent"]) == (25.0, 25.0, 25.0, 37.5)
    skhcn = next(a for a in up["agencies"] if a["id"] == "skhcn")
    assert (skhcn["required"], skhcn["declared"], skhcn["verified"], skhcn["live_up"], skhcn["verified_percent"]) == (2, 2, 1, 1, 50.0)
    assert {k: v["state"] for k, v in skhcn["systems"].items()} == {"lgsp": "live", "qlvb": "declared"}

    with db.session() as session:  # an outage: the fresh check says down
        session.add(CheckResult(endpoint_id=session.get(Link, "lgsp.ndxp").endpoint_id, checked_at=now, verdict="down",
                                latency_ms=None, http_code=503, reason="503"))
        link = session.get(Link, "lgsp.ndxp")
        link.status, link.last_check_at = "down", now
    with db.session() as session:
        down = views.coverage_view(session, now)
        api = views.coverage_api(session, now)
    assert (down["verified"], down["live_up"], down["province_percent"]) == (2, 0, 25.0)  # the rate does not move
    skhcn = next(a for a in down["agencies"] if a["id"] == "skhcn")
    assert skhcn["systems"]["lgsp"]["state"] == "outage"  # shown as an outage, not as "not yet"
    assert {k: api[k] for k in ("required", "declared", "verified", "live_up", "verified_percent", "live_up_percent")} == {
        "required": 8, "declared": 3, "verified": 2, "live_up": 0, "verified_percent": 25.0, "live_up_percent": 0.0}
    assert {"required", "declared", "verified", "live_up", "declared_percent", "verified_percent", "live_up_percent"} <= set(api["agencies"][0])

    # The last success falls out of the window (here 1 day): no longer verified.
    with db.session() as session:
        short = views.coverage_view(session, now + timedelta(days=1, minutes=1), verified_days=1)
    assert (short["verified"], short["province_percent"]) == (0, 0.0)


def table_contents(session) -> dict[str, list[tuple]]:
    """Every row of every table, to prove a read changed nothing."""
    from dashboard.store.models import Base

    return {
        table.name: sorted((tuple(map(repr, row)) for row in session.execute(table.select()).all()))
        for table in Base.metadata.sorted_tables
    }


def test_coverage_reads_write_nothing(db):
    import_csv(db, [task(status="hoan_thanh", percent=100)])
    now = utcnow()
    with db.session() as session:
        before = table_contents(session)
    with db.session() as session:
        views.coverage_api(session, now)
        views.coverage_view(session, now)
        assert not (session.new or session.dirty or session.deleted)
    with db.session() as session:
        assert table_contents(session) == before


def test_daily_snapshot_job_writes_one_point_per_day_and_upserts(db):
    from dashboard.reports.snapshots import record_coverage_snapshot

    import_csv(db, [task(status="hoan_thanh", percent=100)])
    now = utcnow()
    with db.session() as session:
        link = session.get(Link, "lgsp.ndxp")
        link.status, link.last_check_at = "up", now
    with db.session() as session:
        assert record_coverage_snapshot(session, now) > 0
    with db.session() as session:
        first = views.coverage_view(session, now)
        assert first["trend"] == [(views.local_today(now), first["province_percent"])]
        assert record_coverage_snapshot(session, now) == 0  # same values: nothing rewritten
        session.get(Link, "lgsp.ndxp").status = "down"
    with db.session() as session:
        record_coverage_snapshot(session, now)  # later the same day: the day's point is replaced
        record_coverage_snapshot(session, now + timedelta(days=1))  # the next day: a new point
    with db.session() as session:
        days = session.scalars(select(CoverageSnapshot.day).where(CoverageSnapshot.subject_type == "province")).all()
        assert sorted(days) == [views.local_today(now), views.local_today(now + timedelta(days=1))]
        subjects = {(s.subject_type, s.subject_id) for s in session.scalars(select(CoverageSnapshot))}
        assert ("system", "lgsp") in subjects and ("agency", "skhcn") in subjects


def test_export_then_reimport_gives_the_same_plans(db):
    import_csv(db, [task(), task(agency="21025", title="Rà soát", category="ra_soat", systems=("lgsp", "qlvb"))])
    with db.session() as session:
        agencies, systems = views.code_lists(session)
        data = template.build_xlsx(views.export_rows(session), agencies, systems)
        codes = [row[1].value for row in load_workbook(io.BytesIO(data))[template.CODES_SHEET].iter_rows(min_row=2)]
        assert "21025" in codes and "lgsp" in codes
        report = parse_plan_file("export.xlsx", data, views.reference(session))
        assert report.ok
        assert sorted((t.agency_id, t.title, t.systems) for t in report.tasks) == [
            ("skhcn", "Tích hợp LGSP", ("lgsp",)), ("unit-21025", "Rà soát", ("lgsp", "qlvb"))
        ]


def test_demo_plans_are_labelled_and_loaded_once(db):
    with db.session() as session:
        assert load_demo_plans(session, TODAY)
    with db.session() as session:
        assert not load_demo_plans(session, TODAY)  # idempotent
        plans = session.scalars(select(Plan)).all()
        assert len(plans) == 4 and {p.source for p in plans} == {"demo"}
        view = views.progress_view(session, TODAY)
        assert view["demo"]
        trend = [p for _, p in view["trend"]]
        assert len(trend) == 12 and all(p is not None for p in trend) and trend[0] < trend[-1]
        days = session.scalar(select(func.count()).select_from(CoverageSnapshot).where(CoverageSnapshot.subject_type == "province"))
        assert days >= 80


def test_get_api_coverage_changes_no_row(db, tmp_path, monkeypatch):
    """Through the real Flask app, as a browser or script calls it."""
    import secrets

    from dashboard.auth import tokens
    from dashboard.config import Settings
    from dashboard.runtime import Runtime
    from dashboard.web.app import create_app

    monkeypatch.setenv("IOC_SECRET_KEY", secrets.token_urlsafe(48))
    import_csv(db, [task(status="hoan_thanh", percent=100)])
    with db.session() as session:
        _, secret = tokens.create_token(session, "portal", "api")
        link = session.get(Link, "lgsp.ndxp")
        link.status, link.last_check_at = "up", utcnow()
        before = table_contents(session)
    app = create_app(Runtime(Settings(database_url=db.url, demo=False, data_dir=tmp_path), db, catalog=None))
    response = app.server.test_client().get("/api/coverage", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["sharing_percent"] == 12.5  # skhcn/lgsp of 4 agencies x 2 systems
    with db.session() as session:
        after = table_contents(session)
    # The auth layer notes when a token was last used (its own, best-effort bookkeeping); every
    # other row is untouched by the read.
    assert {k: v for k, v in after.items() if k != "access_tokens"} == {k: v for k, v in before.items() if k != "access_tokens"}


def test_snapshot_job_is_on_the_collector_scheduler_and_writes_only_as_leader(db):
    from dashboard.monitoring.collector import Collector
    from dashboard.reports import snapshots

    import_csv(db, [task(status="hoan_thanh", percent=100)])
    collector = Collector(db, housekeeping=False)
    snapshots.install(collector)
    daily = collector.scheduler.get_job(snapshots.JOB_ID)
    assert "cron" in str(daily.trigger) and "hour='23'" in str(daily.trigger)
    assert collector.scheduler.get_job(snapshots.JOB_ID + "_start") is not None

    def province_points():
        with db.session() as session:
            return session.scalar(select(func.count()).select_from(CoverageSnapshot).where(CoverageSnapshot.subject_type == "province"))

    daily.func()  # not the leader: another collector writes
    assert province_points() == 0
    collector._leader = True
    daily.func()
    assert province_points() == 1


def test_the_demo_coverage_trend_runs_into_todays_figure(db):
    """The seeded past points use today's definition (verified over shared systems and the
    inventory), so the line does not jump at today's point once the links have been checked."""
    from datetime import datetime, time

    from collectors.base import CheckResult as Result
    from collectors.base import Status
    from dashboard.demo.inventory import load_demo_inventory
    from dashboard.i18n import VN_TZ
    from dashboard.monitoring.results import record_results

    with db.session() as session:
        load_demo_inventory(session, TODAY)
    with db.session() as session:
        assert load_demo_plans(session, TODAY)
    now = datetime.combine(TODAY, time(12), VN_TZ)
    with db.session() as session:
        link_endpoints = session.scalars(select(Link.endpoint_id).where(Link.endpoint_id.is_not(None))).all()
        assert link_endpoints
        for minutes in (2, 1):
            record_results(session, [Result(e, Status.UP, "ok", checked_at=now - timedelta(minutes=minutes)) for e in link_endpoints])
    with db.session() as session:
        today = views.coverage_view(session, now)["province_percent"]
        trend = views.coverage_trend(session, TODAY)
    yesterday = trend[-1]
    assert yesterday[0] == TODAY - timedelta(days=1)
    assert today > 0
    assert abs(today - yesterday[1]) <= 5.0, (yesterday, today)
