"""Scheduling at scale: hanging targets never delay others, checks that cannot start on time
are recorded as missed, starts are spread, and 'check now' works across processes (DB)."""
from __future__ import annotations

import threading
import time

import pytest
from conftest import wait_for
from http_targets import HttpTargets, RawServer
from sqlalchemy import select

from collectors.base import Target
from collectors.conditions import parse
from dashboard.monitoring.actions import request_check
from dashboard.monitoring.collector import Collector
from dashboard.monitoring.engine import ProbeEngine
from dashboard.store.models import Agency, CheckRequest, Endpoint, Status, System
from dashboard.store.models import CheckResult as CheckRow


@pytest.fixture(scope="module")
def web():
    server = HttpTargets().start()
    yield server
    server.stop()


@pytest.fixture
def hanging():
    server = RawServer()
    yield server
    server.stop()


class Sink:
    def __init__(self):
        self.results = []
        self.lock = threading.Lock()

    def __call__(self, result):
        with self.lock:
            self.results.append((time.monotonic(), result))

    def of(self, endpoint_id):
        with self.lock:
            return [r for _, r in self.results if r.endpoint_id == endpoint_id]


def http_target(endpoint_id, url, timeout=1.0):
    return Target(endpoint_id, "http", url, timeout, (parse("[STATUS] == 200"),), {})


def test_hanging_targets_do_not_delay_healthy_checks(web, hanging, monkeypatch):
    monkeypatch.setattr("dashboard.monitoring.engine.first_slot_delay", lambda *args: 0.0)  # all due at once: worst case
    sink = Sink()
    engine = ProbeEngine(sink, max_concurrent=100).start()
    try:
        targets = [(http_target(f"hang.{i}", f"http://127.0.0.1:{hanging.port}/", timeout=1.5), 2.0) for i in range(60)]
        targets += [(http_target(f"ok.{i}", web.url + "/ok"), 0.5) for i in range(5)]
        engine.set_targets(targets)
        time.sleep(2.2)
    finally:
        engine.stop()
    hung = [(t, r) for t, r in sink.results if r.endpoint_id.startswith("hang.")]
    assert hung and hung[0][1].verdict == Status.DOWN and "timeout" in hung[0][1].reason
    first_hang_done = hung[0][0]
    for i in range(5):
        healthy = [(t, r) for t, r in sink.results if r.endpoint_id == f"ok.{i}"]
        # checked every 0.5 s while the 60 hanging checks still wait for their 1.5 s deadline
        assert sum(1 for t, _ in healthy if t < first_hang_done) >= 2, healthy
        assert all(r.verdict == Status.UP and r.latency_ms < 1000 for _, r in healthy)
    assert engine.stats.missed == 0


def test_checks_that_cannot_start_on_time_are_recorded_as_missed(hanging, monkeypatch):
    monkeypatch.setattr("dashboard.monitoring.engine.first_slot_delay", lambda *args: 0.0)
    sink = Sink()
    engine = ProbeEngine(sink, max_concurrent=2).start()  # far too few slots for 6 hanging checks
    try:
        engine.set_targets([(http_target(f"hang.{i}", f"http://127.0.0.1:{hanging.port}/", timeout=0.9), 1.0) for i in range(6)])
        time.sleep(2.6)
    finally:
        engine.stop()
    missed = [r for _, r in sink.results if r.missed]
    assert missed, "slots that could not start must be recorded"
    assert all(r.verdict == Status.UNKNOWN and r.reason.startswith("check could not start on time") for r in missed)
    assert engine.stats.missed == len(missed)
    assert engine.stats.started + engine.stats.missed <= engine.stats.due  # the rest still waited at stop


def test_start_times_are_spread_over_the_interval():
    engine = ProbeEngine(lambda r: None).start()
    try:
        engine.set_targets([(http_target(f"e.{i}", "http://127.0.0.1:9/"), 30.0) for i in range(1000)])
        wait_for(lambda: engine.scheduled() == 1000, 5)
        dues = sorted(entry.due for entry in engine._entries.values())
    finally:
        engine.stop()
    assert dues[-1] - dues[0] > 25  # not one burst
    per_second = [sum(1 for d in dues if int(d - dues[0]) == s) for s in range(30)]
    assert max(per_second) < 80  # about 33 a second on average


def test_checks_due_within_one_tick_start_at_their_own_time_not_in_one_burst(web, monkeypatch):
    # 20 endpoints due 10 ms apart: all within one tick of the dispatcher (TICK_S = 0.2 s)
    delays = {"warm-up": 0.0} | {f"ok.{i}": 0.5 + i * 0.01 for i in range(20)}
    monkeypatch.setattr("dashboard.monitoring.engine.first_slot_delay", lambda endpoint_id, *args: delays[endpoint_id])
    sink = Sink()
    engine = ProbeEngine(sink, max_concurrent=100).start()
    try:
        # a first check loads the probe kinds (imports): not part of what is measured
        engine.set_targets([(http_target("warm-up", web.url + "/ok"), 60.0)])
        wait_for(lambda: sink.of("warm-up"), 10, 0.05, message="the warm-up check")
        engine.set_targets([(http_target(endpoint_id, web.url + "/ok"), 60.0) for endpoint_id in delays])
        wait_for(lambda: len(sink.results) == 21, 10, 0.05, message="20 checks")
    finally:
        engine.stop()
    starts = {r.endpoint_id: r.checked_at.timestamp() for _, r in sink.results if r.endpoint_id != "warm-up"}
    first = min(starts.values())
    # each starts near its own slot (START_QUANTUM_S = 20 ms), so they span ~0.19 s, not one instant
    assert max(starts.values()) - first > 0.12, starts
    late = [i for i in range(20) if starts[f"ok.{i}"] - first - i * 0.01 > 0.2]
    assert not late, {k: round(v - first, 3) for k, v in starts.items()}


@pytest.fixture
def collector_db(sqlite_db, web):
    with sqlite_db.session() as session:
        session.add(Agency(id="skhcn", name_vi="Sở KH&CN", name_en="DoST", kind="department"))
        session.add(System(id="lgsp", name_vi="LGSP", name_en="LGSP", owner_agency_id="skhcn"))
        session.flush()
        session.add(Endpoint(id="lgsp.health", system_id="lgsp", name="gateway", kind="http", target=web.url + "/ok",
                             interval_s=120, timeout_s=2, options={"conditions": ["[STATUS] == 200"]}))
    return sqlite_db


def test_collector_check_now_through_the_database(collector_db, monkeypatch):
    monkeypatch.setattr("dashboard.monitoring.engine.first_slot_delay", lambda _id, interval, *args: interval)  # first regular check in 120 s
    collector = Collector(collector_db, housekeeping=False)
    collector.start()
    try:
        wait_for(lambda: collector.is_leader and collector.engine.scheduled() == 1, 10, message="lease")
        # another process (the web) asks through the database
        with collector_db.session() as session:
            request_check(session, "lgsp.health", requested_by="test")
        asked = time.monotonic()

        def stored():
            with collector_db.session() as session:
                return session.scalars(select(CheckRow)).all()

        rows = wait_for(stored, 5, 0.1, message="the requested check")
        assert time.monotonic() - asked < 3.5
        assert rows[0].verdict == "up"
        with collector_db.session() as session:
            assert session.scalars(select(CheckRequest)).one().picked_at is not None
            assert session.get(Endpoint, "lgsp.health").status == Status.UP
        assert collector.check_now("lgsp.health") is True
        assert collector.check_now("nope") is False
        # the collector's counters are published for /api/health (the web may be another process)
        from dashboard.readmodels.systems import health

        with collector_db.session() as session:
            checks = health(session)["scheduler"]["checks"]
        assert {"scheduled", "due", "done", "missed", "running", "written"} <= set(checks)
    finally:
        collector.stop()


def test_resync_keeps_endpoints_checked(web):
    sink = Sink()
    engine = ProbeEngine(sink).start()
    try:
        targets = [(http_target("ok.0", web.url + "/ok"), 0.4)]
        engine.set_targets(targets)
        time.sleep(0.6)
        engine.set_targets(targets)  # e.g. the lease regained, the catalog reloaded
        before = len(sink.of("ok.0"))
        time.sleep(1.3)
    finally:
        engine.stop()
    assert len(sink.of("ok.0")) - before >= 2


def test_a_result_that_cannot_be_stored_does_not_block_the_others(collector_db):
    from collectors.base import CheckResult

    collector = Collector(collector_db, housekeeping=False)
    collector._tick()  # takes the lease: results are written under its epoch
    assert collector.is_leader
    collector._results_put(CheckResult("lgsp.health", Status.UP, "HTTP 200", detail={"bad": object()}))
    collector._results_put(CheckResult("lgsp.health", Status.DOWN, "HTTP 503"))
    collector._writer.start()
    try:
        def stored():
            with collector_db.session() as session:
                return session.scalars(select(CheckRow)).all()

        rows = wait_for(stored, 10, 0.1, message="the good result")
        assert [r.reason for r in rows] == ["HTTP 503"]
    finally:
        collector._stop.set()
        collector._writer.join(10)
    assert collector._results.empty()


def test_lease_epochs_renewal_takeover_and_fence(any_db):
    from datetime import timedelta

    from sqlalchemy import update

    from collectors.timeutil import utcnow
    from dashboard.monitoring.collector import holds_lease, try_acquire_lease
    from dashboard.store.models import RuntimeState
    from dashboard.store.runtime_keys import LEASE_KEY

    def expire():
        with any_db.session() as session:
            session.execute(update(RuntimeState).where(RuntimeState.key == LEASE_KEY)
                            .values(expires_at=utcnow() - timedelta(seconds=1)))

    with any_db.session() as session:
        assert try_acquire_lease(session, "a") == 1
    with any_db.session() as session:
        assert try_acquire_lease(session, "a", 1) == 1  # a renewal keeps the epoch
        assert try_acquire_lease(session, "b") is None  # held and unexpired
        assert holds_lease(session, "a", 1) and not holds_lease(session, "b", 1) and not holds_lease(session, "a", 0)
    expire()
    with any_db.session() as session:
        assert not holds_lease(session, "a", 1)  # an expired lease fences its holder even before a takeover
        assert try_acquire_lease(session, "b") == 2  # takeover: a new epoch
    with any_db.session() as session:
        assert try_acquire_lease(session, "a", 1) is None and not holds_lease(session, "a", 1)
    expire()
    with any_db.session() as session:
        assert try_acquire_lease(session, "b", 2) == 3  # its own lease expired meanwhile: a new epoch too


def test_a_writer_whose_lease_was_taken_over_writes_nothing_and_steps_down(collector_db):
    from datetime import timedelta

    from sqlalchemy import update

    from collectors.base import CheckResult
    from collectors.timeutil import utcnow
    from dashboard.monitoring.collector import try_acquire_lease
    from dashboard.store.models import RuntimeState
    from dashboard.store.runtime_keys import LEASE_KEY

    collector = Collector(collector_db, housekeeping=False)
    collector._tick()
    assert collector.is_leader and collector._epoch == 1
    # paused past its lease: another collector takes it over
    with collector_db.session() as session:
        session.execute(update(RuntimeState).where(RuntimeState.key == LEASE_KEY)
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    with collector_db.session() as session:
        assert try_acquire_lease(session, "other-collector") == 2
    # it wakes up with results of its old epoch, including a backdated 'missed' slot
    collector._results_put(CheckResult("lgsp.health", Status.UP, "HTTP 200"))
    collector._results_put(CheckResult("lgsp.health", Status.UNKNOWN, "check could not start on time",
                                       checked_at=utcnow() - timedelta(seconds=40), missed=True))
    collector._writer.start()
    try:
        wait_for(lambda: not collector.is_leader, 10, message="the writer steps down")
        wait_for(lambda: collector._results.empty(), 10)
    finally:
        collector._stop.set()
        collector._writer.join(10)
    with collector_db.session() as session:
        assert session.scalars(select(CheckRow)).all() == []
        assert session.get(RuntimeState, LEASE_KEY).value == "other-collector"
    assert collector.dropped_stale == 2 and collector.written == 0


def test_a_collector_that_owns_its_process_tunes_the_garbage_collector(tmp_path):
    """In its own process (app.py) the collector freezes the start-up heap once the targets are
    loaded and collects less often; a collector inside another program (tests) leaves it alone."""
    import json
    import subprocess
    import sys

    from conftest import PROJECT_DIR

    script = f"""
import gc, json, sys, time
sys.path.insert(0, {str(PROJECT_DIR)!r})
from dashboard.monitoring.collector import GC_THRESHOLDS, Collector
from dashboard.store.database import Database
from dashboard.store.models import Agency, Endpoint, System
db = Database("sqlite:///" + sys.argv[1])
with db.session() as session:
    session.add(Agency(id="a", name_vi="A", name_en="A", kind="department"))
    session.add(System(id="s", name_vi="S", name_en="S", owner_agency_id="a"))
    session.flush()
    session.add(Endpoint(id="s.e", system_id="s", name="e", kind="tcp", target="127.0.0.1:9", interval_s=600, timeout_s=1))
before = (gc.get_threshold(), gc.get_freeze_count())
collector = Collector(db, housekeeping=False, own_process=len(sys.argv) > 2)
collector.start()
deadline = time.monotonic() + 20
while collector.engine.scheduled() != 1 and time.monotonic() < deadline:
    time.sleep(0.05)
after = (gc.get_threshold(), gc.get_freeze_count(), collector.engine.scheduled())
collector.stop()
print(json.dumps({{"before": before, "after": after, "wanted": GC_THRESHOLDS}}))
"""
    def run(*args):
        database = str(tmp_path / f"gc-{len(args)}.db")
        done = subprocess.run([sys.executable, "-c", script, database, *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    owned = run("own")
    assert owned["after"][2] == 1
    assert tuple(owned["after"][0]) == tuple(owned["wanted"]) and owned["after"][1] > 10_000, owned
    embedded = run()
    assert embedded["after"] == [embedded["before"][0], embedded["before"][1], 1], embedded
