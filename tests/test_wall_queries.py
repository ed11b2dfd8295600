"""Read models of the operator wall (dashboard/readmodels/wall.py), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest

from collectors.timeutil import iso, utcnow
from dashboard.domain.uptime import floor_hour
from dashboard.readmodels import wall as wq
from dashboard.readmodels.plans import coverage_view
from dashboard.readmodels.uptime import DONE_KEYS
from dashboard.store.models import (
    Agency,
    CheckResult,
    Endpoint,
    Incident,
    Link,
    NationalPlatform,
    Rollup,
    RuntimeState,
    StateEvent,
    System,
)
from dashboard.store.runtime_keys import HEARTBEAT_KEY

NOW = utcnow().replace(minute=30, second=0, microsecond=0)


def _endpoint(eid, system_id, status="up", checked_ago_s=5.0, interval_s=30.0, critical=True, options=None, since_ago_s=3600.0, reason=None):
    return Endpoint(
        id=eid, system_id=system_id, name=eid, kind="http", target="http://127.0.0.1/", interval_s=interval_s, timeout_s=5,
        critical=critical, options=options or {}, status=status, status_since=NOW - timedelta(seconds=since_ago_s),
        status_reason=reason, last_check_at=None if checked_ago_s is None else NOW - timedelta(seconds=checked_ago_s),
        last_latency_ms=120.0,
    )


@pytest.fixture
def seeded(any_db):
    """Two systems (one up, one down), a commune with a heartbeat, a commune with nothing."""
    with any_db.session() as s:
        s.add_all([
            Agency(id="skhcn", name_vi="Sở Khoa học và Công nghệ", name_en="Dept. of Science and Technology", kind="department"),
            Agency(id="unit-21025", name_vi="Phường Cẩm Thành", name_en="Cam Thanh Ward", kind="ward", official_code="21025", lat=15.11, lon=108.81, partner="Viettel"),
            Agency(id="unit-21028", name_vi="Phường Nghĩa Lộ", name_en="Nghia Lo Ward", kind="ward", official_code="21028", lat=15.12, lon=108.78),
            NationalPlatform(id="ndxp", name_vi="NDXP", name_en="NDXP"),
            NationalPlatform(id="axis", name_vi="Trục", name_en="Axis"),
        ])
        s.flush()
        s.add_all([
            System(id="lgsp", name_vi="LGSP", name_en="LGSP", owner_agency_id="skhcn", position=0, status="up",
                   status_since=NOW - timedelta(hours=2), last_check_at=NOW - timedelta(seconds=5)),
            System(id="qlvb", name_vi="Quản lý văn bản", name_en="Documents", owner_agency_id="skhcn", position=1, status="down",
                   status_since=NOW - timedelta(minutes=3), last_check_at=NOW - timedelta(seconds=5)),
            System(id="beats", name_vi="Máy chủ xã", name_en="Commune servers", owner_agency_id="skhcn", position=2, status="up",
                   status_since=NOW - timedelta(hours=5), last_check_at=NOW - timedelta(seconds=5)),
        ])
        s.flush()
        s.add_all([
            _endpoint("lgsp.health", "lgsp"),
            _endpoint("lgsp.link", "lgsp", critical=False),
            _endpoint("qlvb.health", "qlvb", status="down", since_ago_s=180, reason="HTTP 503"),
            _endpoint("beats.21025", "beats", options={"agency": "unit-21025"}, since_ago_s=120),
        ])
        s.flush()
        s.add_all([
            Link(id="lgsp.ndxp", system_id="lgsp", platform_id="ndxp", endpoint_id="lgsp.link", declared_state="connected", status="up"),
            Link(id="qlvb.axis", system_id="qlvb", platform_id="axis", endpoint_id=None, declared_state="planned"),
            RuntimeState(key=HEARTBEAT_KEY, value="test", updated_at=NOW - timedelta(seconds=3)),
        ])
    return any_db


def test_tiles_counts_and_coverage(seeded):
    with seeded.session() as s:
        data = wq.wall_status(s, NOW)
    tiles = {t["id"]: t for t in data["tiles"]}
    assert [t["id"] for t in data["tiles"]] == ["qlvb", "lgsp", "beats"]  # worst first, then catalog order
    assert tiles["lgsp"]["status"] == "up" and not tiles["lgsp"]["stale"]
    assert tiles["qlvb"]["status"] == "down" and tiles["qlvb"]["reason"] == "HTTP 503"
    assert tiles["qlvb"]["recent"] and not tiles["lgsp"]["recent"]
    assert data["counts"] == {"down": 1, "degraded": 0, "unknown": 0, "maintenance": 0, "up": 2}
    # the gauges are /coverage's figures: verified ÷ required and live up ÷ required
    with seeded.session() as s:
        view = coverage_view(s, NOW)
    assert data["coverage"]["required"] == view["required"]
    assert data["coverage"]["verified"] == {"ok": view["verified"], "total": view["required"],
                                            "percent": view["verified_percent"] if view["required"] else None}
    assert data["coverage"]["live"] == {"ok": view["live_up"], "total": view["required"],
                                        "percent": view["live_up_percent"] if view["required"] else None}
    assert data["freshness"] == {"stale": False, "reasons": [], "last_data_at": NOW - timedelta(seconds=5),
                                 "heartbeat_at": NOW - timedelta(seconds=3)}


def test_old_green_is_never_shown_as_current(seeded):
    later = NOW + timedelta(minutes=10)  # no result for ten minutes, heartbeat gone
    with seeded.session() as s:
        data = wq.wall_status(s, later, stale_after_s=180)
    assert {t["status"] for t in data["tiles"]} == {"unknown"}
    assert all(t["stale"] for t in data["tiles"])
    assert data["counts"]["up"] == 0
    assert data["freshness"]["stale"]
    assert data["freshness"]["reasons"] == ["scheduler", "no_results", "systems_stale"]


def test_missing_heartbeat_alone_makes_the_wall_stale(seeded):
    with seeded.session() as s:
        s.delete(s.get(RuntimeState, HEARTBEAT_KEY))
    with seeded.session() as s:
        fresh = wq.wall_status(s, NOW)["freshness"]
    assert fresh["stale"] and fresh["reasons"] == ["scheduler"]


def test_feed_newest_first_and_alert_slot_empty(seeded):
    with seeded.session() as s:
        s.add_all([
            Incident(subject_type="system", subject_id="lgsp", system_id="lgsp", severity="degraded",
                     started_at=NOW - timedelta(hours=3), ended_at=NOW - timedelta(hours=2), cause="slow"),
            Incident(subject_type="system", subject_id="qlvb", system_id="qlvb", severity="down",
                     started_at=NOW - timedelta(minutes=3), last_reason="HTTP 503"),
            # an endpoint's incident repeats its system's: not on the wall
            Incident(subject_type="endpoint", subject_id="qlvb.health", system_id="qlvb", severity="down",
                     started_at=NOW - timedelta(minutes=3), last_reason="HTTP 503"),
            Incident(subject_type="link", subject_id="lgsp.ndxp", system_id="lgsp", severity="down",
                     started_at=NOW - timedelta(minutes=10), last_reason="SSL handshake timed out"),
        ])
    with seeded.session() as s:
        items = wq.feed(s)
    items = [i for i in items if i["kind"] == "incident"]
    assert [(i["subject"], i["open"], i["severity"]) for i in items] == [
        ("qlvb", True, "down"), ("lgsp.ndxp", True, "down"), ("lgsp", False, "degraded")]
    assert items[0]["text"] == "HTTP 503" and items[2]["text"] == "slow"
    assert items[1]["title_vi"] == "LGSP ↔ NDXP"


def test_map_places_states(seeded):
    with seeded.session() as s:
        places = {p["id"]: p for p in wq.map_places(s, NOW)}
    assert places["unit-21025"]["status"] == "up" and places["unit-21025"]["endpoints"] == 1
    assert places["unit-21025"]["recent"]  # its heartbeat came back two minutes ago
    assert places["unit-21025"]["path"] == "/units/21025"
    assert places["unit-21028"]["status"] == wq.NO_DATA and not places["unit-21028"]["recent"]
    # the department owns all three systems: a critical endpoint down takes it down
    assert places["skhcn"]["status"] == "down" and places["skhcn"]["down"] == 1
    assert places["skhcn"]["path"] == "/units/skhcn" and places["skhcn"]["lat"] is None


def test_stale_commune_heartbeat_reads_unknown(seeded):
    with seeded.session() as s:
        s.get(Endpoint, "beats.21025").last_check_at = NOW - timedelta(minutes=30)
    with seeded.session() as s:
        places = {p["id"]: p for p in wq.map_places(s, NOW)}
    assert places["unit-21025"]["status"] == "unknown"


def test_endpoint_states_follow_every_change_between_calls_on_one_database(seeded):
    """The per-row work is remembered between refreshes: a changed row, a clock that moved on and
    a clock that moved back must each be judged afresh, never read from the previous call."""
    def states(now):
        with seeded.session() as s:
            return {e.id: e for e in wq.endpoint_states(s, now, with_agency=True)}

    first = states(NOW)
    assert first["qlvb.health"].status == "down" and first["lgsp.health"].status == "up"
    assert first["beats.21025"].agency_id == "unit-21025" and first["lgsp.health"].agency_id is None
    with seeded.session() as s:
        row = s.get(Endpoint, "qlvb.health")
        row.status, row.status_since, row.status_reason, row.last_latency_ms = "up", NOW, None, 42.0
    changed = states(NOW)
    assert changed["qlvb.health"].status == "up" and changed["qlvb.health"].reason is None
    assert changed["qlvb.health"].latency_ms == 42.0 and changed["qlvb.health"].status_since == NOW
    later = states(NOW + timedelta(minutes=10))  # nothing checked for ten minutes
    assert {e.status for e in later.values()} == {"unknown"} and all(e.stale for e in later.values())
    again = states(NOW)  # the same rows at the earlier clock: fresh again
    assert again["lgsp.health"].status == "up" and not again["lgsp.health"].stale
    assert again["beats.21025"].agency_id == "unit-21025"
    with seeded.session() as s:
        s.get(Endpoint, "lgsp.link").active = False
    assert "lgsp.link" not in states(NOW)


def test_place_and_data_centre_rules():
    assert wq.place_state([]) == wq.NO_DATA
    assert wq.place_state([("up", True), ("down", False)]) == "degraded"
    assert wq.place_state([("up", True), ("down", True)]) == "down"
    assert wq.place_state([("maintenance", True)]) == "maintenance"
    assert wq.data_centre_state([]) == wq.NO_DATA
    assert wq.data_centre_state([{"status": "up"}, {"status": "maintenance"}]) == "maintenance"
    assert wq.data_centre_state([{"status": "up"}, {"status": "degraded"}, {"status": "down"}]) == "down"


def test_unit_detail(seeded):
    with seeded.session() as s:
        commune = wq.unit_detail(s, "21025", NOW)
        department = wq.unit_detail(s, "skhcn", NOW)
        assert wq.unit_detail(s, "99999", NOW) is None
    assert commune["name_vi"] == "Phường Cẩm Thành" and commune["status"] == "up"
    assert [e["id"] for e in commune["endpoints"]] == ["beats.21025"]
    assert [s_["id"] for s_ in department["systems"]] == ["lgsp", "qlvb", "beats"]
    assert department["endpoints"][0]["id"] == "qlvb.health"  # worst first


def test_availability_reads_rollups_and_the_current_hour(seeded):
    current = floor_hour(NOW)
    with seeded.session() as s:
        # completed hours from rollups; non-critical endpoints and out-of-window rows are ignored
        s.add_all([
            Rollup(endpoint_id="lgsp.health", period="hour", bucket_start=current - timedelta(hours=1), checks=120, failures=12, latency_avg_ms=100.0),
            Rollup(endpoint_id="lgsp.health", period="hour", bucket_start=current - timedelta(hours=2), checks=100, failures=0, missed=20, maintenance=60, latency_avg_ms=50.0),
            Rollup(endpoint_id="lgsp.link", period="hour", bucket_start=current - timedelta(hours=1), checks=120, failures=120),
            Rollup(endpoint_id="lgsp.health", period="hour", bucket_start=current - timedelta(hours=30), checks=120, failures=120),
            Rollup(endpoint_id="lgsp.health", period="day", bucket_start=current - timedelta(hours=1), checks=2000, failures=2000),
        ])
        # the current hour from raw results: a missed and a maintenance check count neither way
        for minute, verdict, extra in ((1, "up", {}), (2, "down", {}), (3, "down", {"missed": True}), (4, "down", {"maintenance": True})):
            s.add(CheckResult(endpoint_id="lgsp.health", checked_at=current + timedelta(minutes=minute), verdict=verdict,
                              latency_ms=200.0, reason="", **extra))
        # rolled up already: its raw result is not counted a second time
        s.add(CheckResult(endpoint_id="lgsp.health", checked_at=current - timedelta(minutes=1), verdict="down", latency_ms=1.0, reason=""))
        s.add(RuntimeState(key=DONE_KEYS["hour"], value=iso(current), updated_at=NOW))
    with seeded.session() as s:
        data = wq.availability_24h(s, NOW)
    assert len(data["hours"]) == 24 and data["hours"][-1] == current
    lgsp = data["series"]["lgsp"]
    assert lgsp["availability"][-2] == 90.0
    assert lgsp["availability"][-3] == pytest.approx(100.0)
    assert lgsp["availability"][-1] == 50.0
    assert lgsp["latency_ms"][-2] == 100.0 and lgsp["latency_ms"][-1] == 200.0
    assert lgsp["availability"][0] is None
    assert "beats" not in data["series"]


def test_a_system_with_no_critical_endpoint_is_counted_whole_in_the_charts(seeded):
    # the commune network: 96 heartbeats, none critical alone; it used to be missing from the chart
    current = floor_hour(NOW)
    with seeded.session() as s:
        s.add(System(id="net", name_vi="Mạng cấp xã", name_en="Commune network", owner_agency_id="skhcn", position=3, status="degraded"))
        s.flush()
        s.add_all([_endpoint("net.21025", "net", critical=False), _endpoint("net.21028", "net", critical=False)])
        s.flush()
        s.add(Rollup(endpoint_id="net.21025", period="hour", bucket_start=current - timedelta(hours=1), checks=60, failures=0))
        s.add(Rollup(endpoint_id="net.21028", period="hour", bucket_start=current - timedelta(hours=1), checks=60, failures=60))
        s.add(RuntimeState(key=DONE_KEYS["hour"], value=iso(current), updated_at=NOW))
        s.add(CheckResult(endpoint_id="net.21025", checked_at=current + timedelta(minutes=1), verdict="up", reason=""))
    with seeded.session() as s:
        series = wq.availability_24h(s, NOW)["series"]
    assert series["net"]["availability"][-2:] == [50.0, 100.0]
    assert set(series) == {"net"}


def test_availability_reads_raw_results_for_hours_not_rolled_up_yet(seeded):
    current = floor_hour(NOW)
    with seeded.session() as s:
        s.add(RuntimeState(key=DONE_KEYS["hour"], value=iso(current - timedelta(hours=1)), updated_at=NOW))
        s.add(Rollup(endpoint_id="lgsp.health", period="hour", bucket_start=current - timedelta(hours=2), checks=10, failures=5))
        for minute, verdict in ((10, "up"), (20, "up"), (30, "up"), (40, "down")):
            s.add(CheckResult(endpoint_id="lgsp.health", checked_at=current - timedelta(hours=1) + timedelta(minutes=minute), verdict=verdict, reason=""))
        s.add(CheckResult(endpoint_id="lgsp.health", checked_at=current + timedelta(minutes=1), verdict="up", reason=""))
    with seeded.session() as s:
        availability = wq.availability_24h(s, NOW)["series"]["lgsp"]["availability"]
    assert availability[-3:] == [50.0, 75.0, 100.0]


def test_state_timeline_segments(seeded):
    with seeded.session() as s:
        s.add_all([
            StateEvent(subject_type="system", subject_id="qlvb", at=NOW - timedelta(hours=2), old_status="up", new_status="degraded"),
            StateEvent(subject_type="system", subject_id="qlvb", at=NOW - timedelta(minutes=3), old_status="degraded", new_status="down"),
            StateEvent(subject_type="endpoint", subject_id="qlvb.health", at=NOW - timedelta(minutes=3), old_status="up", new_status="down"),
            StateEvent(subject_type="system", subject_id="lgsp", at=NOW - timedelta(hours=30), old_status="unknown", new_status="up"),
        ])
    with seeded.session() as s:
        rows = {r["id"]: r for r in wq.state_timeline(s, NOW)}
    assert [(seg["status"], seg["end"] - seg["start"]) for seg in rows["qlvb"]["segments"]] == [
        ("up", timedelta(hours=22)), ("degraded", timedelta(hours=2) - timedelta(minutes=3)), ("down", timedelta(minutes=3)),
    ]
    assert [seg["status"] for seg in rows["lgsp"]["segments"]] == ["up"]
    assert rows["lgsp"]["segments"][0]["start"] == NOW - timedelta(hours=24)


def test_availability_reads_only_new_results_on_later_calls(seeded):
    current = floor_hour(NOW)
    with seeded.session() as s:
        s.add(RuntimeState(key=DONE_KEYS["hour"], value=iso(current), updated_at=NOW))
        s.add(Rollup(endpoint_id="lgsp.health", period="hour", bucket_start=current - timedelta(hours=1), checks=10, failures=0))
        s.add(CheckResult(endpoint_id="lgsp.health", checked_at=current + timedelta(minutes=1), verdict="up", latency_ms=100.0, reason=""))
    with seeded.session() as s:
        first = wq.availability_24h(s, NOW)["series"]["lgsp"]
    assert first["availability"][-2:] == [100.0, 100.0]
    with seeded.session() as s:
        s.add(CheckResult(endpoint_id="lgsp.health", checked_at=current + timedelta(minutes=2), verdict="down", latency_ms=300.0, reason=""))
        s.add(CheckResult(endpoint_id="lgsp.link", checked_at=current + timedelta(minutes=2), verdict="down", reason=""))  # not critical
        # a late rollup row for an hour already read is not read again (rolled-up hours never change)
        s.get(Rollup, ("lgsp.health", "hour", current - timedelta(hours=1))).failures = 10
    with seeded.session() as s:
        second = wq.availability_24h(s, NOW)["series"]["lgsp"]
    assert second["availability"][-2:] == [100.0, 50.0]
    assert second["latency_ms"][-1] == 200.0
    # once dashboard.monitoring.rollups rolls up a new hour, everything is read afresh
    with seeded.session() as s:
        s.get(RuntimeState, DONE_KEYS["hour"]).value = iso(current + timedelta(hours=1))
        s.add(Rollup(endpoint_id="lgsp.health", period="hour", bucket_start=current, checks=4, failures=1))
    with seeded.session() as s:
        third = wq.availability_24h(s, NOW)["series"]["lgsp"]
    assert third["availability"][-2:] == [0.0, 75.0]


def _system_with_units(s, system_id: str, marked: bool, units: int = 4) -> None:
    s.add(System(id=system_id, name_vi=system_id, name_en=system_id, owner_agency_id="skhcn", position=9, status="down",
                 status_since=NOW - timedelta(minutes=5), last_check_at=NOW - timedelta(seconds=5)))
    s.flush()
    for n in range(units):
        options = {"agency": f"unit-2{n:04d}"} | ({"commune_heartbeat": True} if marked else {})
        s.add(_endpoint(f"{system_id}.{n}", system_id, status="down", options=options, reason=f"HTTP 503 ({n})"))


@pytest.mark.parametrize("marked, communes_counted", [(True, True), (False, False)])
def test_a_commune_heartbeat_is_known_by_its_mark_on_the_wall_and_the_overview_alike(seeded, marked, communes_counted):
    """An endpoint whose agency happens to be a commune is not one of the per-commune heartbeats:
    only the catalog's mark (dashboard.domain.status.is_commune_heartbeat) says so."""
    from dashboard.readmodels.systems import systems_overview

    with seeded.session() as s:
        _system_with_units(s, "units", marked)
    with seeded.session() as s:
        tile = {t["id"]: t for t in wq.wall_status(s, NOW)["tiles"]}["units"]
        overview = {v["id"]: v for v in systems_overview(s, NOW)}["units"]
    for reason in (tile["reason"], overview["reason"]):
        assert ("4/4 xã mất tín hiệu" in reason) is communes_counted, reason
    with seeded.session() as s:
        english = {t["id"]: t for t in wq.wall_status(s, NOW, lang="en")["tiles"]}["units"]
    assert ("4 of 4 communes silent" in english["reason"]) is communes_counted, english["reason"]
    if not communes_counted:
        assert tile["reason"] == "HTTP 503 (0)"


@pytest.mark.parametrize("link_checked_ago_s, shown", [(5.0, "up"), (600.0, "degraded")])
def test_a_silent_endpoint_turns_an_up_system_degraded_on_the_wall_and_the_overview_alike(seeded, link_checked_ago_s, shown):
    from dashboard.readmodels.systems import systems_overview

    with seeded.session() as s:
        s.get(Endpoint, "lgsp.link").last_check_at = NOW - timedelta(seconds=link_checked_ago_s)
    with seeded.session() as s:
        tile = {t["id"]: t for t in wq.wall_status(s, NOW)["tiles"]}["lgsp"]
        overview = {v["id"]: v for v in systems_overview(s, NOW)}["lgsp"]
    assert (tile["status"], tile["stale"]) == (overview["status"], overview["stale"]) == (shown, False)
