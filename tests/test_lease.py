"""The collector lease under real faults, with real processes: two `python app.py collect` on one
PostgreSQL database, one leader and one standby.

- kill -9 the leader: the standby takes over within 15 s, and no endpoint goes longer than the
  takeover plus one interval without a stored result (the new leader keeps each endpoint's
  phase and checks at once what is overdue);
- SIGSTOP the leader past its lease, then SIGCONT it: the fencing epoch stops it from writing
  anything (no duplicate results, no backdated 'missed' rows for the time it was paused)."""
from __future__ import annotations

import collections
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from dashboard.monitoring.collector import WRITE_PAUSE_S
from dashboard.monitoring.engine import TICK_S
from dashboard.store.models import CheckResult, RuntimeState
from dashboard.store.runtime_keys import LEASE_KEY, LEASE_RENEW_S, LEASE_TTL_S
from tests.conftest import PROJECT_DIR, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

INTERVAL_S = 2.0
ENDPOINTS = ("alpha.health", "alpha.api", "beta.health")
CATALOG = """
version: 1
agencies:
  - {id: skhcn, name_vi: Sở Khoa học và Công nghệ, name_en: Department of Science and Technology, kind: department}
systems:
  - id: alpha
    name_vi: Hệ thống A
    name_en: System A
    owner: skhcn
    endpoints:
      - {id: health, url: "${TARGET}/a", interval: 2s, timeout: 1s}
      - {id: api, url: "${TARGET}/b", interval: 2s, timeout: 1s}
  - id: beta
    name_vi: Hệ thống B
    name_en: System B
    owner: skhcn
    endpoints:
      - {id: health, url: "${TARGET}/c", interval: 2s, timeout: 1s}
"""


@pytest.fixture
def target():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def cluster(tmp_path, postgres_url, target):
    """A fresh schema, the catalog, and a way to start collectors (all stopped at the end)."""
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG)
    env = {**os.environ, "IOC_DATABASE_URL": postgres_url, "IOC_CATALOG": str(catalog), "TARGET": target,
           "IOC_SECRET_KEY": secrets.token_urlsafe(48), "IOC_LOG_LEVEL": "INFO"}
    env.pop("IOC_DEMO", None)
    processes: list[subprocess.Popen] = []

    def start(name: str) -> subprocess.Popen:
        log_path = tmp_path / f"{name}.log"
        process = subprocess.Popen([sys.executable, "app.py", "collect"], cwd=PROJECT_DIR, env=env,
                                   stdout=log_path.open("w"), stderr=subprocess.STDOUT)
        process.log_path = log_path
        processes.append(process)
        wait_for(lambda: "collector running" in log_path.read_text(), 90, message=f"collector {name}")
        return process

    yield engine, start
    for process in processes:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
    engine.dispose()


def lease(engine) -> RuntimeState | None:
    with Session(engine) as session:
        return session.get(RuntimeState, LEASE_KEY)


def held_by(engine, process: subprocess.Popen) -> RuntimeState | None:
    row = lease(engine)
    return row if row is not None and f":{process.pid}:" in (row.value or "") else None


def results(engine) -> dict[str, list[CheckResult]]:
    with Session(engine) as session:
        rows = session.scalars(select(CheckResult).order_by(CheckResult.checked_at)).all()
    by_endpoint = collections.defaultdict(list)
    for row in rows:
        by_endpoint[row.endpoint_id].append(row)
    return by_endpoint


def now() -> datetime:
    return datetime.now(timezone.utc)


def checked_all(engine, after: datetime, count: int = 1) -> bool:
    rows = results(engine)
    return all(sum(1 for r in rows.get(e, []) if r.checked_at > after) >= count for e in ENDPOINTS)


def gaps(rows: list[CheckResult]) -> list[float]:
    return [(b.checked_at - a.checked_at).total_seconds() for a, b in zip(rows, rows[1:])]


def test_kill_9_leader_standby_takes_over_within_15_s_without_a_long_gap(cluster):
    engine, start = cluster
    leader = start("leader")
    wait_for(lambda: held_by(engine, leader), 30, message="the first collector takes the lease")
    standby = start("standby")
    wait_for(lambda since=now(): checked_all(engine, since, 2), 30, message="results from the leader")
    epoch = lease(engine).epoch

    os.kill(leader.pid, signal.SIGKILL)
    killed = time.monotonic()
    killed_at = datetime.now(timezone.utc)
    row = wait_for(lambda: held_by(engine, standby), 30, 0.1, message="the standby takes the lease")
    takeover = time.monotonic() - killed
    assert takeover <= 15.0, f"takeover took {takeover:.1f} s"
    assert row.epoch == epoch + 1  # the fencing token moved on

    wait_for(lambda since=now(): checked_all(engine, since, 3), 30, message="results from the new leader")
    # The longest silence of any endpoint: at most the takeover plus one interval, plus what the
    # killed leader had checked but not yet written (one write pause, one dispatch tick) and the
    # new leader's catch-up spread (a quarter interval at most).
    allowed = takeover + INTERVAL_S + WRITE_PAUSE_S + TICK_S + INTERVAL_S / 4 + 0.5
    for endpoint_id, rows in results(engine).items():
        around = [r for r in rows if not r.missed]
        worst = max(gaps(around))
        assert worst <= allowed, f"{endpoint_id}: {worst:.1f} s without a result (takeover {takeover:.1f} s)"
        print(f"{endpoint_id}: takeover {takeover:.1f} s, longest gap {worst:.1f} s")
        assert min(gaps(around)) >= INTERVAL_S / 2 - 0.3, f"{endpoint_id}: checked twice in one interval"
        assert any(r.checked_at > killed_at for r in around)
    assert "holds the lease" in standby.log_path.read_text()


def test_a_paused_leader_writes_nothing_when_it_wakes_up(cluster):
    engine, start = cluster
    leader = start("leader")
    wait_for(lambda: held_by(engine, leader), 30, message="the first collector takes the lease")
    standby = start("standby")
    wait_for(lambda since=now(): checked_all(engine, since, 2), 30, message="results from the leader")
    epoch = lease(engine).epoch

    os.kill(leader.pid, signal.SIGSTOP)
    paused_at = datetime.now(timezone.utc)
    wait_for(lambda: held_by(engine, standby), 30, 0.1, message="the standby takes the lease")
    wait_for(lambda since=now(): checked_all(engine, since, 2), 30, message="results from the new leader")
    os.kill(leader.pid, signal.SIGCONT)
    resumed_at = datetime.now(timezone.utc)
    # The woken leader finds its epoch stale and steps down without writing.
    wait_for(lambda: "standing by" in leader.log_path.read_text(), 30, message="the old leader steps down")
    wait_for(lambda since=now(): checked_all(engine, since, 3), 30, message="more results")

    row = held_by(engine, standby)
    assert row is not None and row.epoch == epoch + 1
    pause = (resumed_at - paused_at).total_seconds()
    assert pause > 10.0  # past the lease's TTL
    # Nobody may hold the lease before the paused leader's last renewal expires (at least
    # TTL - one renewal period after the pause began): a row stamped in that stretch could only
    # be one of the paused leader's backdated slots (missed or not).
    silent_from = paused_at + timedelta(seconds=1.0)
    silent_to = paused_at + timedelta(seconds=LEASE_TTL_S - LEASE_RENEW_S - 0.5)
    for endpoint_id, rows in results(engine).items():
        backdated = [(r.checked_at, r.missed) for r in rows if silent_from < r.checked_at < silent_to]
        assert not backdated, f"{endpoint_id}: rows stamped while the leader was paused: {backdated}"
        # one result per slot: the woken leader added none (its slots are the same as the new
        # leader's, so a duplicate would sit at the same instant)
        assert min(gaps(rows)) >= INTERVAL_S / 2 - 0.3, f"{endpoint_id}: two results in one interval"
        during = [r for r in rows if paused_at < r.checked_at < resumed_at]
        assert len(during) <= pause / INTERVAL_S + 1
    assert leader.poll() is None  # it keeps running, on standby


def test_a_leader_frozen_inside_a_transaction_does_not_block_the_takeover(postgres_url):
    """Every result transaction locks the lease row (the fence). A leader frozen inside one holds
    that lock: without a bound, the standby's takeover waits for as long as the leader is frozen."""
    from dashboard.monitoring.collector import FROZEN_TRANSACTION_S, holds_lease, try_acquire_lease
    from dashboard.store.database import Database

    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    Database(postgres_url).engine.dispose()  # the schema
    with Session(engine) as session:
        epoch = try_acquire_lease(session, "frozen-leader", None, ttl_s=1.0)
        session.commit()
    frozen = Session(engine)
    assert holds_lease(frozen, "frozen-leader", epoch)  # the lease row locked, the transaction left open
    time.sleep(1.2)  # its lease expires while it is frozen
    taken, started = [], time.monotonic()

    def take_over():
        with Session(engine) as session:
            taken.append(try_acquire_lease(session, "standby"))
            session.commit()

    standby = threading.Thread(target=take_over, daemon=True)
    standby.start()
    standby.join(FROZEN_TRANSACTION_S + 10)
    waited = time.monotonic() - started
    try:
        assert taken == [epoch + 1], f"the standby still waits behind the frozen leader after {waited:.1f} s"
        assert waited < FROZEN_TRANSACTION_S + 3
    finally:
        try:
            frozen.close()
        except Exception:  # noqa: BLE001 - the server ended the frozen session, as it should
            pass
        engine.dispose()
