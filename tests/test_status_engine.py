"""Status engine: damping, incidents, maintenance windows, missed checks, uptime, rollups and
retention — on SQLite and on a real PostgreSQL (any_db)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from collectors.base import CheckResult
from dashboard.domain.maintenance import MaintenanceError, WindowSpec, occurrence_at
from dashboard.domain.status import (
    FlapSettings,
    FlapState,
    apply_flapping,
    incident_action,
    next_endpoint_state,
    next_flap_state,
    pending_reason,
    pending_status,
    system_status,
)
from dashboard.domain.uptime import Counts, combine, percentile, summarize, time_in_status, time_uptime_percent, uptime_percent
from dashboard.monitoring.collector import RetentionPolicy
from dashboard.monitoring.maintenance import cancel_window, create_window
from dashboard.monitoring.results import record_results
from dashboard.monitoring.rollups import apply_retention, rollup_hour, run_rollups
from dashboard.readmodels import systems as queries
from dashboard.readmodels.maintenance import windows_for
from dashboard.readmodels.uptime import counts_between, endpoint_uptimes, subject_uptimes
from dashboard.store.models import (
    Agency,
    Endpoint,
    Incident,
    Link,
    NationalPlatform,
    Rollup,
    StateEvent,
    Status,
    System,
)
from dashboard.store.models import (
    CheckResult as CheckRow,
)

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
UP, DOWN, DEG = Status.UP, Status.DOWN, Status.DEGRADED


# ---------------------------------------------------------------------------- pure rules


def run_streak(verdicts, n=2, m=2, start=Status.UNKNOWN):
    status, failures, successes, seen = start, 0, 0, []
    for verdict in verdicts:
        streak = next_endpoint_state(status, failures, successes, verdict, n, m)
        status, failures, successes = streak.status, streak.failures, streak.successes
        seen.append(status)
    return seen


def test_damping_down_after_n_failures_and_up_after_m_successes():
    assert run_streak([UP, DOWN, DOWN, DOWN, UP, UP, UP], n=3, m=2) == [UP, UP, UP, DOWN, DOWN, UP, UP]


def test_damping_a_flapping_target_never_goes_down():
    assert run_streak([UP, DOWN, UP, DOWN, UP, DOWN, UP]) == [UP] * 7


def test_damping_a_flapping_recovery_stays_down():
    assert run_streak([DOWN, UP, DOWN, UP, DOWN]) == [DOWN] * 5


def test_first_verdict_and_degraded_are_taken_at_once():
    assert run_streak([DOWN]) == [DOWN]
    assert run_streak([UP, DEG, UP]) == [UP, DEG, UP]
    assert run_streak([UP], start=Status.MAINTENANCE) == [UP]


def flap_run(verdicts, settings=None, step_s=30.0):
    settings = settings or FlapSettings()
    state, previous, seen = FlapState(), None, []
    for i, verdict in enumerate(verdicts):
        state = next_flap_state(state, previous, verdict, i * step_s, settings)
        previous = verdict
        seen.append(state.flapping)
    return seen


@pytest.mark.parametrize("verdicts, settings, step_s, expected", [
    # five flips (six alternating checks) within 10 minutes: flapping from the sixth check
    ([UP, DOWN] * 4, None, 30.0, [False] * 5 + [True] * 3),
    ([DOWN, UP] * 4, None, 30.0, [False] * 5 + [True] * 3),
    # degraded counts as not failing: up <-> degraded is no flip
    ([UP, DEG] * 4, None, 30.0, [False] * 8),
    # the same flips spread over more than the window: never five within 10 minutes
    ([UP, DOWN] * 4, None, 200.0, [False] * 8),
    # a lower threshold, settable
    ([UP, DOWN, UP, DOWN], FlapSettings(changes=3, window_s=120, quiet_s=60), 30.0, [False, False, False, True]),
    # quiet for the quiet period (60 s = two checks without a flip): cleared
    ([UP, DOWN, UP, DOWN, DOWN, DOWN, DOWN], FlapSettings(changes=3, window_s=120, quiet_s=60), 30.0,
     [False, False, False, True, True, False, False]),
])
def test_flap_detection_table(verdicts, settings, step_s, expected):
    assert flap_run(verdicts, settings, step_s) == expected


def test_flap_settings_refuse_nonsense():
    for bad in (dict(changes=1), dict(window_s=0), dict(quiet_s=-1)):
        with pytest.raises(ValueError):
            FlapSettings(**bad)


def test_flapping_overrides_damping_and_round_trips():
    state = FlapState((1.0, 2.0), 2.0, 2.0)
    assert FlapState.from_json(state.to_json()) == state and FlapState.from_json(None) == FlapState()
    assert apply_flapping(next_endpoint_state(DOWN, 0, 1, UP), state).status == DEG
    assert apply_flapping(next_endpoint_state(UP, 0, 1, UP), FlapState()).status == UP


@pytest.mark.parametrize("status, failures, successes, expected", [
    (UP, 1, 0, DOWN), (DEG, 1, 0, DOWN), (UP, 0, 3, None), (UP, 2, 0, None),  # 2 of 2: already down
    (DOWN, 0, 1, UP), (DOWN, 3, 0, None), (Status.UNKNOWN, 1, 0, None), (Status.MAINTENANCE, 1, 0, None),
])
def test_pending_status_table(status, failures, successes, expected):
    assert pending_status(status, failures, successes, 2, 2) == expected


def test_pending_reason():
    assert pending_reason(1, 3, "HTTP 503") == "lỗi lần 1/3, chờ xác nhận / failure 1 of 3, awaiting confirmation: HTTP 503"
    assert pending_reason(1, 2, None) == "lỗi lần 1/2, chờ xác nhận / failure 1 of 2, awaiting confirmation"


def test_system_status_rules():
    assert system_status([(UP, True), (DOWN, False)]) == DEG
    assert system_status([(UP, True), (DOWN, True)]) == DOWN
    assert system_status([(Status.MAINTENANCE, True), (Status.MAINTENANCE, False)]) == Status.MAINTENANCE
    assert system_status([(Status.MAINTENANCE, True), (Status.UNKNOWN, False)]) == Status.MAINTENANCE
    assert system_status([(Status.MAINTENANCE, True), (UP, False)]) == UP
    assert system_status([]) == Status.UNKNOWN


def test_incident_actions():
    assert incident_action(UP, DOWN) == "open"
    assert incident_action(Status.UNKNOWN, DEG) == "open"
    assert incident_action(DEG, DOWN) == "escalate"
    assert incident_action(DOWN, DEG) == "update"
    assert incident_action(DOWN, UP) == "close"
    assert incident_action(DOWN, Status.MAINTENANCE) == "close"
    assert incident_action(UP, Status.MAINTENANCE) is None


def test_time_in_status_and_uptime():
    start, end = T0, T0 + timedelta(hours=10)
    events = [(T0 + timedelta(hours=1), "down"), (T0 + timedelta(hours=2), "up"),
              (T0 + timedelta(hours=5), "maintenance"), (T0 + timedelta(hours=7), "up")]
    spent = time_in_status(events, "up", start, end)
    assert spent == {"up": 7 * 3600.0, "down": 3600.0, "maintenance": 2 * 3600.0}
    assert time_uptime_percent(spent) == 87.5  # maintenance not counted
    assert time_uptime_percent({"unknown": 100.0}) is None


def test_counts_summaries_and_percentiles():
    rows = [("up", False, False, 10.0), ("down", False, False, 30.0), ("degraded", False, False, 20.0),
            ("down", False, True, 5.0), ("unknown", True, False, None)]
    figures = summarize(rows)
    assert figures == {"checks": 4, "failures": 1, "degraded": 1, "missed": 1, "maintenance": 1,
                       "latency_avg_ms": 16.2, "latency_p95_ms": 30.0, "latency_max_ms": 30.0}
    assert uptime_percent(Counts(checks=4, failures=1, maintenance=1)) == pytest.approx(66.667)
    assert uptime_percent(Counts(checks=2, maintenance=2)) is None
    assert percentile(list(range(1, 101)), 95) == 95
    day = combine([figures, {**figures, "latency_max_ms": 99.0}])
    assert day["checks"] == 8 and day["latency_max_ms"] == 99.0 and day["latency_avg_ms"] == 16.2


def test_recurring_window_occurrences():
    weekly = WindowSpec(1, "lgsp", None, datetime(2026, 11, 1, 15, 0, tzinfo=timezone.utc), None,
                        "FREQ=WEEKLY;BYDAY=SU", 7200, None, "weekly patching")
    sunday = datetime(2026, 11, 22, 16, 0, tzinfo=timezone.utc)
    assert occurrence_at(weekly, sunday) == (sunday.replace(hour=15), sunday.replace(hour=17))
    assert occurrence_at(weekly, sunday.replace(hour=17, minute=1)) is None
    assert occurrence_at(weekly, sunday + timedelta(days=1)) is None
    cancelled = WindowSpec(**{**weekly.__dict__, "cancelled_at": sunday.replace(hour=15, minute=30)})
    assert occurrence_at(cancelled, sunday) is None


# ---------------------------------------------------------------------------- with a database


@pytest.fixture
def db(any_db):
    with any_db.session() as session:
        session.add(Agency(id="skhcn", name_vi="Sở KH&CN", name_en="DoST", kind="department"))
        session.add(NationalPlatform(id="ndxp", name_vi="NDXP", name_en="NDXP"))
        session.add(System(id="lgsp", name_vi="LGSP", name_en="LGSP", owner_agency_id="skhcn"))
        session.flush()
        for index, (eid, critical) in enumerate((("lgsp.health", True), ("lgsp.link", False))):
            session.add(Endpoint(id=eid, system_id="lgsp", name=eid, kind="http", target="http://x/", interval_s=30,
                                 timeout_s=5, critical=critical, failures_before_down=2, successes_before_up=2,
                                 options={}, position=index))
        session.flush()
        session.add(Link(id="lgsp.ndxp", system_id="lgsp", platform_id="ndxp", endpoint_id="lgsp.link"))
    return any_db


def feed(db, *results):
    with db.session() as session:
        return record_results(session, list(results))


def result(verdict, at, endpoint="lgsp.health", reason=None, latency=10.0, **kw):
    return CheckResult(endpoint, verdict, reason or f"{verdict} reason", checked_at=at, latency_ms=latency, **kw)


def test_states_are_written_in_bulk_and_orm_objects_in_the_same_session_see_them(db):
    """record_results reads and writes endpoint states with Core statements: an Endpoint, System
    or Link the caller already holds in the same session must show the new state, not the old."""
    with db.session() as session:
        endpoint, system = session.get(Endpoint, "lgsp.health"), session.get(System, "lgsp")
        link = session.scalars(select(Link)).first()
        assert endpoint.status == Status.UNKNOWN and endpoint.last_check_at is None
        record_results(session, [result(UP, T0, latency=12.5, http_code=200, detail={"excerpt": "ok"}),
                                 result(UP, T0, endpoint="lgsp.link")])
        assert (endpoint.status, endpoint.last_latency_ms, endpoint.last_http_code) == (UP, 12.5, 200)
        assert endpoint.last_detail == {"excerpt": "ok"} and endpoint.consecutive_successes == 1
        record_results(session, [result(UP, T0 + timedelta(seconds=30), latency=7.0)])  # no status change
        assert endpoint.last_latency_ms == 7.0 and endpoint.consecutive_successes == 2
        assert system.last_check_at.replace(tzinfo=timezone.utc) == T0 + timedelta(seconds=30)
        assert link.endpoint_id == "lgsp.link" and link.last_check_at.replace(tzinfo=timezone.utc) == T0
    with db.session() as session:
        stored = session.get(Endpoint, "lgsp.health")
        assert (stored.status, stored.last_latency_ms, stored.consecutive_successes) == (UP, 7.0, 2)


def test_a_few_flips_are_damped_and_stored(db):
    for i in range(4):  # 3 flips: below the flap threshold (5 in 10 minutes)
        feed(db, result(UP if i % 2 == 0 else DOWN, T0 + timedelta(seconds=30 * i)))
    with db.session() as session:
        assert session.get(Endpoint, "lgsp.health").status == UP
        assert session.scalar(select(func.count()).select_from(CheckRow)) == 4
        assert session.scalar(select(func.count()).select_from(Incident)) == 0


@pytest.mark.parametrize("first", [UP, DOWN])
def test_an_alternating_service_ends_degraded_flapping_whichever_answer_came_first(db, first):
    other = DOWN if first == UP else UP
    for i in range(8):
        feed(db, result(first if i % 2 == 0 else other, T0 + timedelta(seconds=30 * i)))
    with db.session() as session:
        endpoint = session.get(Endpoint, "lgsp.health")
        assert endpoint.status == DEG
        assert endpoint.status_reason == ("dao động: 5 lần đổi trạng thái trong 10 phút / "
                                          "flapping: 5 state changes in 10 minutes")
        incident = session.scalars(select(Incident).where(Incident.subject_id == "lgsp.health")).one()
        assert incident.ended_at is None and incident.severity == ("degraded" if first == UP else "down")
        view = next(e for s in queries.systems_overview(session, now=T0 + timedelta(seconds=240)) for e in s["endpoints"] if e["id"] == "lgsp.health")
        assert endpoint.status_cause == {"code": "flapping", "params": {"n": 5, "minutes": 10.0}}
        assert view["status"] == "degraded" and view["flapping"] is True
        assert view["reason"] == "Dao động: 5 lần đổi trạng thái trong 10 phút"
    # quiet for the quiet period: flapping clears and the steady verdict is taken
    for i in range(8, 30):
        feed(db, result(UP, T0 + timedelta(seconds=30 * i)))
    with db.session() as session:
        endpoint = session.get(Endpoint, "lgsp.health")
        assert endpoint.status == UP and endpoint.flap_state["since"] is None
        assert session.scalars(select(Incident).where(Incident.subject_id == "lgsp.health")).one().ended_at is not None


def test_the_first_failure_says_it_awaits_confirmation(db):
    feed(db, result(UP, T0))
    feed(db, result(DOWN, T0 + timedelta(seconds=30), reason="[STATUS] == 200 — observed 500"))
    with db.session() as session:
        view = next(e for s in queries.systems_overview(session, now=T0 + timedelta(seconds=40)) for e in s["endpoints"]
                    if e["id"] == "lgsp.health")
    assert view["status"] == "up" and view["pending"] == "down"
    # (the result here carries no cause code: its text is shown as it is)
    assert view["reason"] == "lỗi lần 1/2, chờ xác nhận: [STATUS] == 200 — observed 500"
    assert view["short_reason"] == "Chờ xác nhận: [STATUS] == 200 — observed 500"
    feed(db, result(DOWN, T0 + timedelta(seconds=60), reason="[STATUS] == 200 — observed 500"))
    feed(db, result(UP, T0 + timedelta(seconds=90)))
    with db.session() as session:
        view = next(e for s in queries.systems_overview(session, now=T0 + timedelta(seconds=100)) for e in s["endpoints"]
                    if e["id"] == "lgsp.health")
    assert view["status"] == "down" and view["pending"] == "up"
    assert view["reason"] == "[STATUS] == 200 — observed 500"


def test_incident_opened_escalated_and_closed_with_events(db):
    feed(db, result(UP, T0))
    feed(db, result(DEG, T0 + timedelta(seconds=30), reason="[RESPONSE_TIME] < 300 — observed 900"))
    feed(db, result(DOWN, T0 + timedelta(seconds=60), reason="HTTP 503"))
    feed(db, result(DOWN, T0 + timedelta(seconds=90), reason="HTTP 503"))
    feed(db, result(UP, T0 + timedelta(seconds=120)), result(UP, T0 + timedelta(seconds=150)))
    with db.session() as session:
        rows = session.scalars(select(Incident).where(Incident.subject_type == "endpoint")).all()
        assert len(rows) == 1
        incident = rows[0]
        assert incident.severity == "down"
        assert incident.cause == "[RESPONSE_TIME] < 300 — observed 900"
        assert incident.last_reason == "HTTP 503"
        assert incident.started_at == T0 + timedelta(seconds=30)
        assert incident.ended_at == T0 + timedelta(seconds=150)
        system_incidents = session.scalars(select(Incident).where(Incident.subject_type == "system")).all()
        assert len(system_incidents) == 1 and system_incidents[0].ended_at is not None
        changes = [(e.old_status, e.new_status) for e in session.scalars(
            select(StateEvent).where(StateEvent.subject_type == "endpoint").order_by(StateEvent.id))]
        assert changes == [("unknown", "up"), ("up", "degraded"), ("degraded", "down"), ("down", "up")]
        listed = queries.incidents(session, system_id="lgsp")
        assert {i["subject_type"] for i in listed} == {"endpoint", "system"}
        assert listed[0]["duration_s"] == 120.0


def test_link_follows_its_endpoint_with_incident(db):
    feed(db, result(UP, T0, "lgsp.link"))
    feed(db, result(DOWN, T0 + timedelta(seconds=30), "lgsp.link", reason="link says disconnected"),
         result(DOWN, T0 + timedelta(seconds=60), "lgsp.link", reason="link says disconnected"))
    with db.session() as session:
        link = session.get(Link, "lgsp.ndxp")
        assert link.status == DOWN and link.last_reason == "link says disconnected"
        assert session.get(System, "lgsp").status == DEG  # the link endpoint is not critical
        assert session.scalar(select(func.count()).select_from(Incident).where(Incident.subject_type == "link")) == 1


def test_missed_checks_are_stored_counted_and_leave_state_alone(db):
    feed(db, result(UP, T0))
    feed(db, CheckResult("lgsp.health", Status.UNKNOWN, "check could not start on time (12.0 s late: collector overloaded)",
                         checked_at=T0 + timedelta(seconds=30), missed=True))
    with db.session() as session:
        endpoint = session.get(Endpoint, "lgsp.health")
        assert endpoint.status == UP and endpoint.last_check_at == T0
        row = session.scalars(select(CheckRow).where(CheckRow.missed.is_(True))).one()
        assert row.verdict == "unknown" and "could not start on time" in row.reason
        view = queries.systems_overview(session, now=T0 + timedelta(seconds=40), with_uptime=True)[0]
        assert view["endpoints"][0]["missed_24h"] == 1
        assert view["endpoints"][0]["uptime"]["24h"] == 100.0
        rollup_hour(session, T0)
        rolled = session.get(Rollup, ("lgsp.health", "hour", T0))
        assert (rolled.checks, rolled.missed, rolled.failures) == (1, 1, 0)


def test_maintenance_window_shows_maintenance_no_incident_no_uptime_loss(db):
    with db.session() as session:
        window = create_window(session, system_id="lgsp", starts_at=T0 + timedelta(minutes=1),
                               ends_at=T0 + timedelta(minutes=5), reason="nâng cấp phần mềm", created_by="tech")
        window_id = window.id
    feed(db, result(UP, T0))
    feed(db, result(DOWN, T0 + timedelta(minutes=2), reason="HTTP 503"), result(DOWN, T0 + timedelta(minutes=3), reason="HTTP 503"))
    with db.session() as session:
        endpoint = session.get(Endpoint, "lgsp.health")
        assert endpoint.status == Status.MAINTENANCE
        assert endpoint.status_reason == "maintenance: nâng cấp phần mềm"
        assert session.get(System, "lgsp").status == Status.MAINTENANCE
        assert session.scalar(select(func.count()).select_from(Incident)) == 0
        view = queries.systems_overview(session, now=T0 + timedelta(minutes=3, seconds=10))[0]
        assert view["status"] == "maintenance"
        assert view["endpoints"][0]["reason"] == "Bảo trì: nâng cấp phần mềm"
        assert endpoint.status_cause == {"code": "maintenance", "params": {"reason": "nâng cấp phần mềm"}}
        counts = counts_between(session, T0, T0 + timedelta(hours=1))
        assert counts["lgsp.health"].maintenance == 2 and counts["lgsp.health"].failures == 0
        uptime = endpoint_uptimes(session, now=T0 + timedelta(minutes=10))
        assert uptime["lgsp.health"]["24h"] == 100.0
        assert windows_for(session, "lgsp", now=T0 + timedelta(minutes=2))[0]["active"] is True
    # after the window the first verdict is taken as it is: down at once, with an incident
    feed(db, result(DOWN, T0 + timedelta(minutes=6), reason="HTTP 503"))
    with db.session() as session:
        assert session.get(Endpoint, "lgsp.health").status == DOWN
        assert session.scalar(select(func.count()).select_from(Incident).where(Incident.subject_type == "endpoint")) == 1
        cancel_window(session, window_id, now=T0 + timedelta(minutes=7))
        assert windows_for(session, "lgsp", now=T0 + timedelta(minutes=7)) == []


def test_maintenance_window_validation(db):
    with db.session() as session:
        with pytest.raises(MaintenanceError, match="either one system or one endpoint"):
            create_window(session, reason="x", starts_at=T0, ends_at=T0 + timedelta(hours=1))
        with pytest.raises(MaintenanceError, match="end after its start"):
            create_window(session, system_id="lgsp", reason="x", starts_at=T0, ends_at=T0)
        with pytest.raises(MaintenanceError, match="needs a duration"):
            create_window(session, system_id="lgsp", reason="x", starts_at=T0, rrule="FREQ=WEEKLY")
        with pytest.raises(MaintenanceError, match="cannot read the recurrence rule"):
            create_window(session, system_id="lgsp", reason="x", starts_at=T0, rrule="FREQ=SOMETIMES", duration_s=60)
        with pytest.raises(MaintenanceError, match="no endpoint"):
            create_window(session, endpoint_id="nope", reason="x", starts_at=T0, ends_at=T0 + timedelta(hours=1))
        weekly = create_window(session, endpoint_id="lgsp.health", reason="sao lưu hằng tuần", starts_at=T0,
                               rrule="FREQ=WEEKLY;BYDAY=FR", duration_s=3600)
        assert weekly.id is not None


def test_uptime_per_endpoint_and_system(db):
    # 40 checks in one hour: 10 down (counted), 2 down in maintenance would not count (none here)
    at = T0
    for i in range(40):
        verdict = DOWN if 10 <= i < 20 else UP
        feed(db, result(verdict, at + timedelta(seconds=90 * i)))
    now = T0 + timedelta(hours=1)
    with db.session() as session:
        figures = endpoint_uptimes(session, ["lgsp.health"], now=now)["lgsp.health"]
        assert figures == {"24h": 75.0, "7d": 75.0, "30d": 75.0}
        system = subject_uptimes(session, "system", ["lgsp"], now=now)["lgsp"]
        # down from the 2nd failure (i=11) to the 2nd success (i=21): 10 x 90 s of the 3600 s observed
        assert system["24h"] == 75.0
        # the same after rolling up: rollups and raw give the same figures
        run_rollups(session, now=now + timedelta(hours=1))
        assert endpoint_uptimes(session, ["lgsp.health"], now=now)["lgsp.health"]["24h"] == 75.0
        views = queries.systems_overview(session, now=now, with_uptime=True)
        assert views[0]["endpoints"][0]["uptime"]["24h"] == 75.0
        assert views[0]["uptime"]["24h"] == pytest.approx(system["24h"])
        assert views[0]["links"][0]["uptime"] == {"24h": None, "7d": None, "30d": None}


def test_rollups_are_idempotent_and_days_come_from_hours(db):
    for hour in range(3):
        for i in range(4):
            verdict = DOWN if (hour, i) == (1, 0) else DEG if (hour, i) == (2, 1) else UP
            feed(db, result(verdict, T0 + timedelta(hours=hour, minutes=10 * i), latency=10.0 * (i + 1)))
    now = T0 + timedelta(days=1, hours=1)
    with db.session() as session:
        assert run_rollups(session, now=now) == {"hour": 24, "day": 1}  # 20 Nov 08:00 .. 21 Nov 08:00; day 20 Nov
        assert run_rollups(session, now=now) == {"hour": 0, "day": 0}

    def snapshot():
        with db.session() as session:
            return sorted((r.period, r.bucket_start, r.checks, r.failures, r.degraded, r.latency_avg_ms, r.latency_p95_ms,
                           r.latency_max_ms) for r in session.scalars(select(Rollup)))

    before = snapshot()
    with db.session() as session:
        rollup_hour(session, T0 + timedelta(hours=1))  # re-running a bucket gives the same rows
        from dashboard.monitoring.rollups import rollup_day
        rollup_day(session, T0.replace(hour=0))
    assert snapshot() == before
    hours = [r for r in before if r[0] == "hour"]
    assert hours[1][2:] == (4, 1, 0, 25.0, 40.0, 40.0)
    day = [r for r in before if r[0] == "day"][0]
    assert day[2:5] == (12, 1, 1) and day[7] == 40.0


def test_retention_keeps_the_database_bounded(db):
    old = T0 - timedelta(days=20)
    feed(db, result(UP, old), result(DOWN, old + timedelta(minutes=1)), result(UP, T0))
    with db.session() as session:
        policy = RetentionPolicy(raw_days=14, hourly_days=90, daily_days=400)
        # nothing rolled up yet: raw results are never deleted before their rollup exists
        assert apply_retention(session, policy, now=T0 + timedelta(hours=2))["raw"] == 0
        run_rollups(session, now=T0 + timedelta(hours=2))
        deleted = apply_retention(session, policy, now=T0 + timedelta(hours=2))
        assert deleted["raw"] == 2
        assert session.scalar(select(func.count()).select_from(CheckRow)) == 1
        # the old checks still count, from the rollups
        assert session.get(Rollup, ("lgsp.health", "hour", old.replace(minute=0))).checks == 2
        deleted = apply_retention(session, RetentionPolicy(raw_days=14, hourly_days=10, daily_days=15), now=T0 + timedelta(hours=2))
        assert deleted["hourly"] >= 1 and deleted["daily"] >= 1
        # the old down/up flip (first verdict 'up', then 'down' needs 2 failures: one event) is gone too
        assert deleted["state_events"] == 1
        assert session.scalar(select(func.count()).select_from(StateEvent).where(StateEvent.at < T0 - timedelta(days=15))) == 0
        assert session.scalar(select(func.count()).select_from(Rollup).where(Rollup.bucket_start < T0 - timedelta(days=15))) == 0


def test_flapping_real_target_is_degraded_flapping(db):
    """A real server that alternates 200 and 500: six real checks, three failures stored, never
    'down' (two failures in a row are needed), and after five flips 'degraded' as flapping."""
    from http_targets import HttpTargets

    from collectors import get_probe
    from collectors.base import Target
    from collectors.conditions import parse

    server = HttpTargets().start()
    try:
        probe = get_probe("http")
        target = Target("lgsp.health", "http", server.url + "/flap", 2.0, (parse("[STATUS] == 200"),), {})
        for i in range(6):
            checked = probe(target)
            checked.checked_at = T0 + timedelta(seconds=30 * i)
            feed(db, checked)
    finally:
        server.stop()
    with db.session() as session:
        verdicts = [r.verdict for r in session.scalars(select(CheckRow).order_by(CheckRow.checked_at))]
        assert verdicts == ["up", "down"] * 3
        endpoint = session.get(Endpoint, "lgsp.health")
        assert endpoint.status == DEG and endpoint.last_reason == "[STATUS] == 200 — observed 500"
        assert endpoint.status_reason.startswith("dao động: 5 lần đổi trạng thái")
        assert session.scalars(select(Incident)).all()[0].severity == "degraded"
        assert session.scalar(select(func.count()).select_from(StateEvent).where(StateEvent.subject_type == "endpoint")) == 2
