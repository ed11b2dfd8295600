"""Drill-down read models and actions on a real database (SQLite and PostgreSQL): history
from raw results and rollups, uptime, CSV export, pages, the grid rows, and the actions
(check now, acknowledge, schedule maintenance) stored."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from collectors.base import CheckResult as Probe
from dashboard.catalog.loader import apply_catalog, parse_catalog
from dashboard.monitoring import actions
from dashboard.monitoring.results import record_results
from dashboard.readmodels import detail as detail_queries
from dashboard.readmodels import systems as systems_queries
from dashboard.store.models import CheckRequest, CheckResult, Endpoint, Incident, MaintenanceWindow, Rollup

NOW = datetime(2026, 11, 27, 3, 30, tzinfo=timezone.utc)

CATALOG = """\
version: 1
national_platforms:
  - {id: ndxp, name_vi: Nền tảng NDXP, name_en: NDXP}
agencies:
  - {id: skhcn, name_vi: Sở Khoa học và Công nghệ, name_en: Department of Science and Technology, partner: VNPT}
communes: {include: false}
systems:
  - id: lgsp
    name_vi: Nền tảng LGSP
    name_en: LGSP
    owner: skhcn
    partner: VNPT
    endpoints:
      - id: health
        name: API gateway
        url: http://127.0.0.1:9/health
        interval: 30s
        timeout: 5s
        conditions: ["[STATUS] == 200"]
      - id: link-ndxp
        url: http://127.0.0.1:9/links
        interval: 30s
        timeout: 5s
        critical: false
    connections:
      - {platform: ndxp, endpoint: link-ndxp}
"""


@pytest.fixture
def db(any_db):
    with any_db.session() as session:
        apply_catalog(session, parse_catalog(CATALOG, "test.yaml", {}), units=[])
    return any_db


def probe(endpoint_id: str, at: datetime, verdict: str = "up", latency: float = 20.0, code: int = 200,
          reason: str = "HTTP 200, all conditions met", detail: dict | None = None) -> Probe:
    return Probe(endpoint_id, verdict, reason, checked_at=at, latency_ms=latency, http_code=code, detail=detail or {})


def test_history_buckets_raw_results_and_reads_rollups_for_long_ranges(db):
    with db.session() as session:
        session.add_all([
            CheckResult(endpoint_id="lgsp.health", checked_at=NOW - timedelta(minutes=m, seconds=5), verdict=v,
                        latency_ms=lat, reason="r")
            for m, v, lat in [(1, "up", 10.0), (1, "up", 30.0), (2, "down", 900.0), (90, "up", 50.0)]
        ])
        session.add_all([
            Rollup(endpoint_id="lgsp.health", period="day", bucket_start=(NOW - timedelta(days=d)).replace(hour=0, minute=0, second=0, microsecond=0),
                   checks=2880, failures=d % 2 * 288, latency_avg_ms=20.0 + d, latency_p95_ms=40.0 + d, latency_max_ms=99.0)
            for d in range(1, 400)
        ])
    with db.session() as session:
        hour = detail_queries.history(session, "lgsp.health", "1h", NOW)
        assert [p["checks"] for p in hour] == [1, 2]  # the result 90 min ago is outside the hour
        assert hour[1]["latency_avg_ms"] == 20.0 and hour[1]["latency_p95_ms"] == 30.0
        assert hour[0]["failures"] == 1 and hour[0]["uptime"] == 0.0
        day = detail_queries.history(session, "lgsp.health", "24h", NOW)
        assert sum(p["checks"] for p in day) == 4
        year = detail_queries.history(session, "lgsp.health", "1y", NOW)
        # 365 days of daily rollups, then today from its raw results: every range reaches now
        assert len(year) == 366 and year[0]["t"] < year[-1]["t"]
        assert {p["uptime"] for p in year[:-1]} == {100.0, 90.0}
        assert year[-1]["t"] == NOW.replace(hour=0, minute=30) - timedelta(minutes=30) and year[-1]["checks"] == 4
        month = detail_queries.history(session, "lgsp.health", "30d", NOW)
        assert len(month) == 31 and month[-1]["failures"] == 1
        # no hourly rollups stored: the week is made of the raw results, by the hour
        week = detail_queries.history(session, "lgsp.health", "7d", NOW)
        assert [(p["t"], p["checks"]) for p in week] == [(NOW - timedelta(hours=2, minutes=30), 1), (NOW - timedelta(minutes=30), 3)]


def test_every_range_reaches_the_latest_result_during_an_outage(db):
    """An outage that started this hour shows in every range, not only under "1 giờ": the
    rollups stop at the last hour (and day) rolled up, the rest is read from raw results."""
    from dashboard.readmodels.uptime import DONE_KEYS
    from dashboard.store.models import RuntimeState

    hour = NOW.replace(minute=0)
    with db.session() as session:
        session.add_all([
            Rollup(endpoint_id="lgsp.health", period="hour", bucket_start=hour - timedelta(hours=h), checks=120, failures=0,
                   latency_avg_ms=20.0) for h in range(1, 48)
        ] + [
            Rollup(endpoint_id="lgsp.health", period="day", bucket_start=hour.replace(hour=0) - timedelta(days=d), checks=2880,
                   failures=0, latency_avg_ms=20.0) for d in range(1, 40)
        ] + [
            RuntimeState(key=DONE_KEYS["hour"], value=hour.isoformat(), updated_at=NOW),
            RuntimeState(key=DONE_KEYS["day"], value=hour.replace(hour=0).isoformat(), updated_at=NOW),
        ] + [
            CheckResult(endpoint_id="lgsp.health", checked_at=hour + timedelta(minutes=m), verdict="down", latency_ms=None, reason="HTTP 503")
            for m in range(20, 30)
        ])
    with db.session() as session:
        for range_key in detail_queries.RANGES:
            points = detail_queries.history(session, "lgsp.health", range_key, NOW)
            assert points and points[-1]["failures"] > 0 and points[-1]["uptime"] == 0.0, range_key


def test_uptime_by_range_combines_endpoints(db):
    with db.session() as session:
        for i in range(10):
            at = NOW - timedelta(minutes=5, seconds=i)
            session.add(CheckResult(endpoint_id="lgsp.health", checked_at=at, verdict="down" if i < 2 else "up", latency_ms=5, reason="r"))
            session.add(CheckResult(endpoint_id="lgsp.link-ndxp", checked_at=at, verdict="up", latency_ms=5, reason="r",
                                    maintenance=i < 5))
        session.add(CheckResult(endpoint_id="lgsp.health", checked_at=NOW - timedelta(minutes=6), verdict="unknown", reason="missed", missed=True))
    with db.session() as session:
        uptimes = detail_queries.uptime_by_range(session, ["lgsp.health", "lgsp.link-ndxp"], NOW)
        assert uptimes["1h"] == pytest.approx(100 * 13 / 15, abs=0.001)  # 15 counted checks, 2 down
        assert uptimes["1y"] == uptimes["1h"]
        assert detail_queries.uptime_by_range(session, [], NOW) == {k: None for k in detail_queries.RANGES}


def test_csv_export_holds_the_visible_history(db):
    with db.session() as session:
        session.add(CheckResult(endpoint_id="lgsp.health", checked_at=NOW - timedelta(hours=2), verdict="down", latency_ms=None,
                                http_code=503, reason='[STATUS] == 200 — observed 503, "again"'))
        session.add(CheckResult(endpoint_id="lgsp.health", checked_at=NOW - timedelta(hours=30), verdict="up", latency_ms=5, reason="old"))
        session.add(Rollup(endpoint_id="lgsp.health", period="day", bucket_start=datetime(2026, 11, 20, tzinfo=timezone.utc),
                           checks=100, failures=5, latency_avg_ms=12.5, latency_p95_ms=30.0, latency_max_ms=50.0))
    with db.session() as session:
        rows = list(csv.DictReader(io.StringIO(detail_queries.history_csv(session, ["lgsp.health"], "24h", NOW))))
        assert rows == [{"endpoint_id": "lgsp.health", "checked_at": "2026-11-27T01:30:00Z", "verdict": "down", "latency_ms": "",
                         "http_code": "503", "reason": '[STATUS] == 200 — observed 503, "again"', "missed": "False", "maintenance": "False"}]
        month = list(csv.DictReader(io.StringIO(detail_queries.history_csv(session, ["lgsp.health"], "30d", NOW))))
        assert month[0] == {"endpoint_id": "lgsp.health", "bucket_start": "2026-11-20T00:00:00Z", "checks": "100", "failures": "5",
                            "degraded": "0", "missed": "0", "maintenance": "0", "uptime_percent": "95.0", "latency_avg_ms": "12.5",
                            "latency_p95_ms": "30.0", "latency_max_ms": "50.0"}
        # the days after the last rollup come from raw results, as the chart shows them
        assert [(r["bucket_start"], r["checks"], r["failures"]) for r in month[1:]] == [
            ("2026-11-25T00:00:00Z", "1", "0"), ("2026-11-27T00:00:00Z", "1", "1")]


def test_system_page_names_the_failed_condition_and_the_failing_link(db):
    failing = {"excerpt": '{"status": "DOWN"}', "failed_conditions": ["[STATUS] == 200"]}
    with db.session() as session:
        for i in range(3):
            at = NOW - timedelta(seconds=30 * (3 - i))
            record_results(session, [
                probe("lgsp.health", at, "down", code=503, reason="[STATUS] == 200 — observed 503", detail=failing),
                probe("lgsp.link-ndxp", at, "down", reason='[BODY].links.ndxp.state == connected — observed "disconnected"'),
            ])
    with db.session() as session:
        page = detail_queries.system_page(session, "lgsp", NOW)
        assert page["status"] == "down"
        health = next(e for e in page["endpoints"] if e["id"] == "lgsp.health")
        assert health["failed_conditions"] == ["[STATUS] == 200"]
        [edge] = page["dependencies"]["platforms"]
        assert (edge["id"], edge["status"], edge["href"]) == ("lgsp.ndxp", "down", "/links/lgsp.ndxp")
        assert "disconnected" in edge["reason"]

        endpoint = detail_queries.endpoint_page(session, "lgsp.health", NOW)
        assert endpoint["conditions"] == [{"condition": "[STATUS] == 200", "severity": "down"}]
        assert endpoint["system_id"] == "lgsp" and endpoint["certificate"] is None
        checks = detail_queries.recent_checks(session, "lgsp.health")
        assert checks[0]["excerpt"] == '{"status": "DOWN"}' and checks[0]["http_code"] == 503

        link = detail_queries.link_page(session, "lgsp.ndxp", NOW)
        assert (link["status"], link["endpoint_id"], link["platform_name_en"]) == ("down", "lgsp.link-ndxp", "NDXP")
        assert detail_queries.system_page(session, "nope", NOW) is None
        assert detail_queries.link_page(session, "nope", NOW) is None

        rows = {r["key"]: r for r in detail_queries.catalog_rows(session, NOW)}
        assert set(rows) == {"system:lgsp", "endpoint:lgsp.health", "endpoint:lgsp.link-ndxp", "link:lgsp.ndxp"}
        assert rows["link:lgsp.ndxp"]["status"] == "down" and rows["link:lgsp.ndxp"]["owner_id"] == "skhcn"
        assert rows["endpoint:lgsp.health"]["href"] == "/endpoints/lgsp.health"

        incidents = systems_queries.incidents(session, system_id="lgsp", now=NOW)
        assert incidents and all(i["open"] for i in incidents)


def test_certificate_details_come_from_the_last_check(db):
    cert = {"subject": "CN=lgsp.quangngai.gov.vn", "issuer": "CN=Test CA", "sans": ["lgsp.quangngai.gov.vn"],
            "not_after": "2027-01-01T00:00:00Z", "days_left": 1}
    with db.session() as session:
        record_results(session, [probe("lgsp.health", NOW - timedelta(seconds=5), detail={"certificate": cert})])
    with db.session() as session:
        view = detail_queries.endpoint_page(session, "lgsp.health", NOW)["certificate"]
        assert view["issuer"] == "CN=Test CA" and view["sans"] == ["lgsp.quangngai.gov.vn"]
        assert view["days_left"] == pytest.approx(34.9, abs=0.05)  # 27 Nov 03:30 → 1 Jan


def test_acknowledging_an_incident_stores_who_when_and_the_comment(db):
    with db.session() as session:
        incident = Incident(subject_type="endpoint", subject_id="lgsp.health", system_id="lgsp", severity="down",
                            started_at=NOW - timedelta(minutes=10), cause="[STATUS] == 200 — observed 503")
        session.add(incident)
        session.flush()
        incident_id = incident.id
    with db.session() as session:
        with pytest.raises(actions.ActionError, match="comment"):
            actions.acknowledge(session, incident_id, "   ")
        with pytest.raises(actions.ActionError, match="no incident"):
            actions.acknowledge(session, 999_999, "x")
        actions.acknowledge(session, incident_id, "  VNPT đang khởi động lại máy chủ  ", user="kythuat", now=NOW)
    with db.session() as session:
        stored = session.get(Incident, incident_id)
        assert (stored.acknowledged_at, stored.acknowledged_by, stored.ack_comment) == (NOW, "kythuat", "VNPT đang khởi động lại máy chủ")
        [view] = systems_queries.incidents(session, subject=("endpoint", "lgsp.health"), now=NOW)
        assert view["ack_comment"] == "VNPT đang khởi động lại máy chủ" and view["duration_s"] == 600


def test_scheduling_maintenance_stores_a_window(db):
    starts = NOW + timedelta(hours=1)
    with db.session() as session:
        actions.schedule_maintenance(session, reason="Nâng cấp LGSP", starts_at=starts, duration=timedelta(hours=2),
                                     system_id="lgsp", user="kythuat", now=NOW)
        with pytest.raises(actions.ActionError, match="reason"):
            actions.schedule_maintenance(session, reason="", starts_at=starts, duration=timedelta(hours=1), endpoint_id="lgsp.health")
        with pytest.raises(actions.ActionError):
            actions.schedule_maintenance(session, reason="x", starts_at=starts, duration=timedelta(hours=-1), system_id="lgsp")
    with db.session() as session:
        [window] = session.scalars(select(MaintenanceWindow)).all()
        assert (window.system_id, window.starts_at, window.ends_at, window.reason, window.created_by) == (
            "lgsp", starts, starts + timedelta(hours=2), "Nâng cấp LGSP", "kythuat")
        [view] = detail_queries.maintenance_windows(session, "lgsp", NOW)
        assert (view["reason"], view["active"], view["next"]) == ("Nâng cấp LGSP", False, [starts, starts + timedelta(hours=2)])
        assert detail_queries.maintenance_windows(session, "lgsp", starts + timedelta(hours=1))[0]["active"] is True


def test_check_now_queues_a_request_per_active_endpoint(db):
    with db.session() as session:
        assert len(actions.check_now(session, ["lgsp.health", "lgsp.link-ndxp", "unknown.endpoint"], user="kythuat")) == 2
        with pytest.raises(actions.ActionError):
            actions.check_now(session, ["unknown.endpoint"])
    with db.session() as session:
        requests = session.scalars(select(CheckRequest).order_by(CheckRequest.endpoint_id)).all()
        assert [(r.endpoint_id, r.requested_by, r.picked_at) for r in requests] == [
            ("lgsp.health", "kythuat", None), ("lgsp.link-ndxp", "kythuat", None)]
        assert session.get(Endpoint, "lgsp.health").active


DEPENDENT = CATALOG + """\
  - id: qlvb
    name_vi: Hệ thống quản lý văn bản
    name_en: Document management
    owner: skhcn
    depends_on: [lgsp]
    endpoints:
      - {id: health, url: "http://127.0.0.1:9/qlvb", interval: 30s, timeout: 5s}
"""


def test_dependencies_between_provincial_systems_take_the_state_of_the_one_depended_on(any_db):
    with any_db.session() as session:
        apply_catalog(session, parse_catalog(DEPENDENT, "test.yaml", {}), units=[])
        at = NOW - timedelta(seconds=10)
        record_results(session, [probe("lgsp.health", at, "down", code=503, reason="[STATUS] == 200 — observed 503"),
                                 probe("qlvb.health", at)])
    with any_db.session() as session:
        qlvb = detail_queries.system_page(session, "qlvb", NOW)["dependencies"]
        assert [(e["id"], e["status"], e["href"]) for e in qlvb["upstream"]] == [("system:lgsp", "down", "/systems/lgsp")]
        assert "503" in qlvb["upstream"][0]["reason"] and qlvb["downstream"] == []
        lgsp = detail_queries.system_page(session, "lgsp", NOW)["dependencies"]
        assert [(e["id"], e["status"]) for e in lgsp["downstream"]] == [("system:qlvb", "down")]
    # Applying a catalog without the dependency removes it.
    with any_db.session() as session:
        apply_catalog(session, parse_catalog(DEPENDENT.replace("    depends_on: [lgsp]\n", ""), "test.yaml", {}), units=[])
    with any_db.session() as session:
        assert detail_queries.system_page(session, "qlvb", NOW)["dependencies"]["upstream"] == []


def test_catalog_rejects_a_dependency_on_an_unknown_system():
    from dashboard.catalog.loader import CatalogError

    with pytest.raises(CatalogError, match="depends_on 'nope'"):
        parse_catalog(DEPENDENT.replace("depends_on: [lgsp]", "depends_on: [nope]"), "test.yaml", {})
    with pytest.raises(CatalogError, match="depends_on 'qlvb'"):
        parse_catalog(DEPENDENT.replace("depends_on: [lgsp]", "depends_on: [qlvb]"), "test.yaml", {})


@pytest.mark.parametrize("kind, subject_id, marker", [
    ("system", "lgsp", "API gateway"), ("endpoint", "lgsp.health", "[STATUS] == 200"), ("link", "lgsp.ndxp", "NDXP"),
])
def test_every_page_kind_builds_in_both_languages(db, kind, subject_id, marker):
    from layouts.drilldown import build_body, build_history

    with db.session() as session:
        record_results(session, [probe("lgsp.health", NOW - timedelta(seconds=s), "down", code=503, reason="[STATUS] == 200 — observed 503")
                                 for s in (30, 60)] + [probe("lgsp.link-ndxp", NOW - timedelta(seconds=30))])
        actions.schedule_maintenance(session, reason="Nâng cấp", starts_at=NOW + timedelta(hours=1), duration=timedelta(hours=1),
                                     system_id="lgsp", now=NOW)
    subject = {"type": kind, "id": subject_id}
    with db.session() as session:
        data = detail_queries.drilldown(session, kind, subject_id, NOW)
        histories = {key: detail_queries.drilldown_history(session, kind, subject_id, key, NOW) for key in detail_queries.RANGES}
        missing = detail_queries.drilldown(session, kind, "nope", NOW)
    for lang in ("vi", "en"):
        upper, lower, ackable = build_body(data, subject, lang, NOW)
        assert marker in repr(upper)
        assert ("Incidents" if lang == "en" else "Sự cố") in repr(lower)
        if kind == "system":
            assert "Nâng cấp" in repr(lower) and ackable  # the open incident of the failing endpoint can be acknowledged
        for history in histories.values():
            uptime, latency, availability = build_history(history, lang)
            assert latency.data is not None and availability.layout.yaxis.range == (0, 100.5)
    assert missing is None
    body, lower, ackable = build_body(missing, {"type": kind, "id": "nope"}, "vi", NOW)
    assert "nope" in repr(body) and lower is None and ackable == []


@pytest.mark.parametrize("kind, subject_id, expected", [
    ("system", "lgsp", ["lgsp.health", "lgsp.link-ndxp"]),
    ("endpoint", "lgsp.health", ["lgsp.health"]),
    ("link", "lgsp.ndxp", ["lgsp.link-ndxp"]),
    ("link", "nope", []),
])
def test_a_page_is_about_the_endpoints_of_its_subject(db, kind, subject_id, expected):
    with db.session() as session:
        assert detail_queries.subject_endpoint_ids(session, kind, subject_id) == expected


def test_an_unknown_page_kind_is_refused(db):
    with db.session() as session, pytest.raises(ValueError, match="unknown page kind 'alert'"):
        detail_queries.subject_endpoint_ids(session, "alert", "x")
    with db.session() as session:
        assert detail_queries.drilldown(session, "alert", "x", NOW) is None
