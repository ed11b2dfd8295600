"""The collector: the probe engine (dashboard/monitoring/engine.py) starts every endpoint's check on
time; results go through one writer thread to dashboard.monitoring.results; APScheduler runs the
housekeeping (lease, check-now requests, rollups, retention).

One collector per deployment: it holds a lease row in the database and renews it; a second
collector (another process, a reloader child, a second gunicorn worker) stays on standby
until the lease expires, so no endpoint is ever checked twice per interval.

"Check now" works across processes: the web process writes a CheckRequest row
(`request_check`); the collector polls for them every second.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from collectors.base import CheckResult, Target
from collectors.conditions import parse
from collectors.timeutil import utcnow
from dashboard.domain.maintenance import MaintenanceIndex
from dashboard.monitoring.engine import ProbeEngine
from dashboard.monitoring.results import record_results
from dashboard.readmodels.maintenance import load_index as load_maintenance_index
from dashboard.store.database import Database
from dashboard.store.models import CheckRequest, Endpoint, RuntimeState
from dashboard.store.runtime_keys import HEARTBEAT_KEY, LEASE_KEY, LEASE_TTL_S, STATS_KEY

log = logging.getLogger(__name__)

HEARTBEAT_S = 5.0
REQUEST_POLL_S = 1.0
ROLLUP_EVERY_S = 300.0
RETENTION_EVERY_S = 3600.0
WRITE_BATCH = 1000
WRITE_PAUSE_S = 1.0  # results are written in batches at most this often: one transaction each
MAINTENANCE_CACHE_S = 5.0
MAX_PENDING_RESULTS = 50_000


@dataclass(frozen=True)
class RetentionPolicy:
    raw_days: float = 14.0
    hourly_days: float = 90.0
    daily_days: float = 1100.0


def target_for(endpoint: Endpoint) -> Target:
    options = dict(endpoint.options or {})
    conditions = tuple(
        parse(item) if isinstance(item, str) else parse(item["condition"], item.get("severity", "down"))
        for item in options.pop("conditions", [])
    )
    return Target(endpoint.id, endpoint.kind, endpoint.target, endpoint.timeout_s, conditions, options)


def try_acquire_lease(session: Session, holder: str, ttl_s: float = LEASE_TTL_S) -> bool:
    """Take or renew the collector lease; True when `holder` owns it afterwards."""
    now = utcnow()
    expires = now + timedelta(seconds=ttl_s)
    taken = session.execute(
        update(RuntimeState)
        .where(RuntimeState.key == LEASE_KEY)
        .where((RuntimeState.value == holder) | (RuntimeState.expires_at < now))
        .values(value=holder, updated_at=now, expires_at=expires)
    ).rowcount
    if taken:
        return True
    if session.get(RuntimeState, LEASE_KEY) is None:
        try:
            with session.begin_nested():
                session.add(RuntimeState(key=LEASE_KEY, value=holder, updated_at=now, expires_at=expires))
            return True
        except IntegrityError:
            return False
    return False


def release_lease(session: Session, holder: str) -> None:
    session.execute(
        update(RuntimeState)
        .where(RuntimeState.key == LEASE_KEY, RuntimeState.value == holder)
        .values(expires_at=utcnow())
    )


def take_check_requests(session: Session) -> list[str]:
    """Claim the pending check-now requests (marks them picked)."""
    rows = session.scalars(select(CheckRequest).where(CheckRequest.picked_at.is_(None)).order_by(CheckRequest.id)).all()
    now = utcnow()
    for row in rows:
        row.picked_at = now
    return list(dict.fromkeys(row.endpoint_id for row in rows))


class Collector:
    def __init__(self, db: Database, workers: int = 1000, sync_workers: int = 32,
                 retention: RetentionPolicy | None = None, housekeeping: bool = True):
        self.db = db
        self.retention = retention or RetentionPolicy()
        self.housekeeping = housekeeping
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.engine = ProbeEngine(self._results_put, max_concurrent=workers, sync_workers=sync_workers)
        self.scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1}, timezone="UTC")
        self._results: queue.Queue[CheckResult] = queue.Queue()
        self._stop = threading.Event()
        self._writer = threading.Thread(target=self._write_loop, name="ioc-result-writer", daemon=True)
        self._leader = False
        self._maintenance: tuple[float, MaintenanceIndex] | None = None
        self.written = 0
        self.started = False

    def _results_put(self, result: CheckResult) -> None:
        self._results.put(result)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self.started:
            return
        self.started = True
        self.engine.start()
        self._writer.start()
        now = utcnow()
        self.scheduler.add_job(self._tick, "interval", seconds=HEARTBEAT_S, id="_lease", next_run_time=now)
        self.scheduler.add_job(self._poll_requests, "interval", seconds=REQUEST_POLL_S, id="_check_requests")
        # maintenance windows take effect at their edges, not at the next check
        self.scheduler.add_job(self._maintenance_edges, "cron", second=0, id="_maintenance_edges")
        if self.housekeeping:
            self.scheduler.add_job(self._rollup, "interval", seconds=ROLLUP_EVERY_S, id="_rollup",
                                   next_run_time=now + timedelta(seconds=30))
            self.scheduler.add_job(self._retention, "interval", seconds=RETENTION_EVERY_S, id="_retention",
                                   next_run_time=now + timedelta(seconds=90))
        self.scheduler.start()
        log.info("collector %s started", self.holder)

    def stop(self) -> None:
        if not self.started:
            return
        self.scheduler.shutdown(wait=False)
        self.engine.stop()
        self._stop.set()
        self._writer.join(timeout=15)
        try:
            with self.db.session() as session:
                release_lease(session, self.holder)
        except Exception:  # noqa: BLE001 - stopping must not fail on a lost database
            log.exception("could not release the collector lease")
        self.started = False
        log.info("collector %s stopped", self.holder)

    @property
    def is_leader(self) -> bool:
        return self._leader

    @property
    def missed(self) -> int:
        return self.engine.stats.missed

    # ------------------------------------------------------------------ jobs
    def _tick(self) -> None:
        """Renew the lease, write the heartbeat, and start or stop checking accordingly."""
        try:
            with self.db.session() as session:
                leader = try_acquire_lease(session, self.holder)
                if leader:
                    _put_state(session, HEARTBEAT_KEY, self.holder)
                    _put_state(session, STATS_KEY, self._stats_json())
        except Exception:  # noqa: BLE001 - the database may be briefly unreachable
            log.exception("collector could not reach the database; checks paused")
            leader = False
        if leader and not self._leader:
            log.info("collector %s holds the lease: checking", self.holder)
            self._leader = True
            self.sync_jobs()
        elif not leader and self._leader:
            log.warning("collector %s lost the lease: standing by", self.holder)
            self.engine.set_targets([])
        self._leader = leader

    def _stats_json(self) -> str:
        s = self.engine.stats
        return json.dumps({"scheduled": self.engine.scheduled(), "due": s.due, "done": s.done, "missed": s.missed,
                           "running": s.running, "written": self.written})

    def sync_jobs(self) -> int:
        """Schedule every active endpoint; endpoints gone from the catalog are dropped."""
        with self.db.session() as session:
            endpoints = session.scalars(select(Endpoint).where(Endpoint.active.is_(True))).all()
        self.engine.set_targets([(target_for(e), e.interval_s) for e in endpoints])
        return len(endpoints)

    def check_now(self, endpoint_id: str) -> bool:
        return self._leader and self.engine.check_now(endpoint_id)

    def _poll_requests(self) -> None:
        if not self._leader:
            return
        try:
            with self.db.session() as session:
                wanted = take_check_requests(session)
        except Exception:  # noqa: BLE001
            log.exception("could not read check-now requests")
            return
        for endpoint_id in wanted:
            if not self.engine.check_now(endpoint_id):
                log.info("check-now for %s ignored: not an active endpoint", endpoint_id)

    def _maintenance_edges(self) -> None:
        from dashboard.monitoring.maintenance import apply_edges

        if not self._leader:
            return
        try:
            with self.db.session() as session:
                changes = apply_edges(session)
        except Exception:  # noqa: BLE001 - the next minute tries again
            log.exception("could not apply maintenance window edges")
            return
        if changes:
            log.info("maintenance edges: %d state change(s)", len(changes))

    def _rollup(self) -> None:
        from dashboard.monitoring.rollups import run_rollups

        if self._leader:
            with self.db.session() as session:
                run_rollups(session)

    def _retention(self) -> None:
        from dashboard.monitoring.rollups import apply_retention

        if self._leader:
            with self.db.session() as session:
                deleted = apply_retention(session, self.retention)
            if any(deleted.values()):
                log.info("retention: deleted %s", deleted)

    # ------------------------------------------------------------------ writing
    def _maintenance_index(self, session: Session) -> MaintenanceIndex:
        now = time.monotonic()
        if self._maintenance is None or now - self._maintenance[0] > MAINTENANCE_CACHE_S:
            self._maintenance = (now, load_maintenance_index(session))
        return self._maintenance[1]

    def _write_loop(self) -> None:
        pending: list[CheckResult] = []
        while not (self._stop.is_set() and self._results.empty() and not pending):
            try:
                pending.append(self._results.get(timeout=WRITE_PAUSE_S))
                while len(pending) < WRITE_BATCH:
                    pending.append(self._results.get_nowait())
            except queue.Empty:
                pass
            if not pending:
                continue
            try:
                with self.db.session() as session:
                    record_results(session, pending, self._maintenance_index(session))
                self.written += len(pending)
                pending = []
            except Exception:  # noqa: BLE001 - keep results and retry; never kill the writer
                log.exception("could not store %d results; trying them one by one", len(pending))
                pending = self._write_one_by_one(pending)
                if pending and self._stop.wait(2.0):
                    break
            if not self._stop.is_set():
                self._stop.wait(WRITE_PAUSE_S)  # let a batch gather: fewer, larger transactions


    def _write_one_by_one(self, results: list[CheckResult]) -> list[CheckResult]:
        """After a failed batch: store what can be stored. If nothing can (the database is
        away) keep everything for a retry; otherwise drop, with a log line, the results that
        fail on their own, so that one bad result never blocks the others."""
        failed: list[CheckResult] = []
        for index, result in enumerate(results):
            if index == 3 and len(failed) == 3:
                return results[-MAX_PENDING_RESULTS:]  # the first three all failed: the database is away
            try:
                with self.db.session() as session:
                    record_results(session, [result], self._maintenance_index(session))
                self.written += 1
            except Exception as exc:  # noqa: BLE001
                failed.append(result)
                last_error = exc
        if failed and len(failed) < len(results):
            log.error("dropped %d results that cannot be stored (%s), e.g. %s", len(failed), last_error, failed[0])
            return []
        return failed[-MAX_PENDING_RESULTS:]


def _put_state(session: Session, key: str, value: str) -> None:
    row = session.get(RuntimeState, key)
    now = utcnow()
    if row is None:
        session.add(RuntimeState(key=key, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now
