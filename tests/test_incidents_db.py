"""The incident workflow on a real database (SQLite and PostgreSQL): an outage recorded by the
status engine becomes an incident that is acknowledged, discussed, resolved and closed with a
note; the list filters; the thread and timeline; MTTA / MTTR per system per month; bad input
changes nothing."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from collectors.base import CheckResult as Probe
from dashboard.auth.audit import entries
from dashboard.catalog.loader import apply_catalog, parse_catalog
from dashboard.domain.incidents import IncidentError
from dashboard.monitoring import actions
from dashboard.monitoring import incidents as incident_actions
from dashboard.monitoring.results import record_results
from dashboard.readmodels import incidents as views
from dashboard.store.models import Incident, IncidentComment

NOW = datetime(2026, 11, 27, 3, 30, tzinfo=timezone.utc)
S = timedelta(seconds=1)

CATALOG = """\
version: 1
agencies:
  - {id: skhcn, name_vi: Sở Khoa học và Công nghệ, name_en: Department of Science and Technology, partner: VNPT}
communes: {include: false}
systems:
  - id: lgsp
    name_vi: Nền tảng LGSP
    name_en: LGSP
    owner: skhcn
    endpoints:
      - {id: health, url: "http://127.0.0.1:9/health", interval: 30s, timeout: 5s}
  - id: qlvb
    name_vi: Hệ thống quản lý văn bản
    name_en: Document management
    owner: skhcn
    endpoints:
      - {id: web, url: "http://127.0.0.1:9/web", interval: 30s, timeout: 5s}
"""


@pytest.fixture
def db(any_db):
    with any_db.session() as session:
        apply_catalog(session, parse_catalog(CATALOG, "test.yaml", {}), units=[])
    return any_db


def checks(db, endpoint_id: str, start: datetime, verdicts: str) -> None:
    """One check every 30 s from `start`: 'u' up, 'd' down."""
    for n, letter in enumerate(verdicts):
        verdict = {"u": "up", "d": "down"}[letter]
        with db.session() as session:
            record_results(session, [Probe(endpoint_id, verdict, "HTTP 503" if verdict == "down" else "HTTP 200",
                                           checked_at=start + n * 30 * S, latency_ms=10.0,
                                           http_code=503 if verdict == "down" else 200)])


def endpoint_incident(db, endpoint_id: str) -> int:
    with db.session() as session:
        return session.scalars(select(Incident.id).where(Incident.subject_type == "endpoint",
                                                         Incident.subject_id == endpoint_id)
                               .order_by(Incident.started_at.desc())).first()


def test_an_outage_is_worked_through_every_state(db):
    start = NOW - timedelta(hours=1)
    checks(db, "lgsp.health", start, "udd")  # down after two failures (the damping default)
    incident_id = endpoint_incident(db, "lgsp.health")
    assert incident_id is not None
    with db.session() as session:
        assert views.incident_detail(session, incident_id, now=NOW)["state"] == "open"
        actions.acknowledge(session, incident_id, "VNPT đang kiểm tra", user="kythuat", now=start + 180 * S)
        incident_actions.add_comment(session, incident_id, "Ổ đĩa máy chủ đầy", user="kythuat", now=start + 240 * S)
        with pytest.raises(IncidentError, match="not resolved yet"):
            incident_actions.close(session, incident_id, "Đã dọn ổ đĩa")
    checks(db, "lgsp.health", start + 600 * S, "uu")  # recovered
    with db.session() as session:
        view = views.incident_detail(session, incident_id, now=NOW)
        assert view["state"] == "resolved"
        incident_actions.close(session, incident_id, "Nguyên nhân: ổ đĩa đầy. Đã thêm cảnh báo dung lượng.",
                               user="kythuat", now=start + 3600 * S)
    with db.session() as session:
        view = views.incident_detail(session, incident_id, now=NOW)
        row = session.get(Incident, incident_id)
        assert view["state"] == "closed" and view["closed_by"] == "kythuat"
        assert view["postmortem"] == "Nguyên nhân: ổ đĩa đầy. Đã thêm cảnh báo dung lượng."
        started = row.started_at.replace(tzinfo=timezone.utc)
        assert view["mtta_s"] == (start + 180 * S - started).total_seconds()
        assert view["mttr_s"] == (row.ended_at.replace(tzinfo=timezone.utc) - started).total_seconds()
        assert [(c["author"], c["text"]) for c in view["comments"]] == [("kythuat", "Ổ đĩa máy chủ đầy")]
        kinds = [item["kind"] for item in view["timeline"]]
        assert kinds[0] == "opened" and kinds[-2:] == ["resolved", "closed"]
        assert kinds.index("acknowledged") < kinds.index("comment") < kinds.index("resolved")
        assert "status" in kinds  # the endpoint's own up → down change is on the timeline
        assert {"incident.comment", "incident.close"} <= {e.action for e in entries(session)}
        # a closed incident's thread is read-only, and it cannot be closed twice
        with pytest.raises(IncidentError, match="read-only"):
            incident_actions.add_comment(session, incident_id, "thêm")
        with pytest.raises(IncidentError, match="already closed"):
            incident_actions.close(session, incident_id, "lại")


def test_bad_comments_change_nothing(db):
    checks(db, "lgsp.health", NOW - timedelta(hours=1), "dd")
    incident_id = endpoint_incident(db, "lgsp.health")
    with db.session() as session:
        with pytest.raises(IncidentError, match="100,000 characters, the limit is 4,000"):
            incident_actions.add_comment(session, incident_id, "x" * 100_000)
        with pytest.raises(IncidentError, match="write something"):
            incident_actions.add_comment(session, incident_id, "   ")
        with pytest.raises(incident_actions.NoSuchIncident):
            incident_actions.add_comment(session, 999_999, "ok")
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(IncidentComment)) == 0


def test_list_filters_by_system_state_and_period(db):
    checks(db, "lgsp.health", NOW - timedelta(days=2), "dduu")  # resolved, two days ago
    checks(db, "qlvb.web", NOW - timedelta(minutes=10), "dd")  # open now
    with db.session() as session:
        everything = views.list_incidents(session, now=NOW)
        assert {(r["system_id"], r["state"]) for r in everything} >= {("lgsp", "resolved"), ("qlvb", "open")}
        assert {r["system_id"] for r in views.list_incidents(session, system_id="qlvb", now=NOW)} == {"qlvb"}
        assert {r["state"] for r in views.list_incidents(session, states=["open"], now=NOW)} == {"open"}
        assert {r["system_id"] for r in views.list_incidents(session, states=["resolved"], now=NOW)} == {"lgsp"}
        recent = views.list_incidents(session, since=NOW - timedelta(hours=1), now=NOW)
        assert {r["system_id"] for r in recent} == {"qlvb"}
        old = views.list_incidents(session, until=NOW - timedelta(days=1), now=NOW)
        assert {r["system_id"] for r in old} == {"lgsp"}
        assert everything[0]["system_name_vi"] in ("Nền tảng LGSP", "Hệ thống quản lý văn bản")
        with pytest.raises(ValueError, match="unknown"):
            views.list_incidents(session, states=["gone"])


def test_month_stats_of_a_system(db):
    with db.session() as session:
        nov = datetime(2026, 11, 5, 2, tzinfo=timezone.utc)
        session.add_all([
            Incident(subject_type="system", subject_id="lgsp", system_id="lgsp", severity="down", started_at=nov,
                     acknowledged_at=nov + 60 * S, ended_at=nov + 600 * S),
            Incident(subject_type="system", subject_id="lgsp", system_id="lgsp", severity="down",
                     started_at=nov + timedelta(days=3), acknowledged_at=nov + timedelta(days=3, seconds=180),
                     ended_at=nov + timedelta(days=3, seconds=1800)),
            Incident(subject_type="system", subject_id="qlvb", system_id="qlvb", severity="down", started_at=nov,
                     ended_at=nov + 60 * S),
        ])
    with db.session() as session:
        stats = views.system_month_stats(session, "lgsp", "2026-11")
        assert (stats["incidents"], stats["mtta_s"], stats["mttr_s"]) == (2, 120.0, 1200.0)
        assert views.system_month_stats(session, "lgsp", "2026-10")["incidents"] == 0
