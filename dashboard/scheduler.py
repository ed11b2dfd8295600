"""The collector: APScheduler runs one interval job per endpoint on a bounded pool of
workers; results go through one writer thread to dashboard.status.

One collector per deployment: it holds a lease row in the database and renews it; a second
collector (another process, a reloader child, a second gunicorn worker) stays on standby
until the lease expires, so no endpoint is ever checked twice per interval.
"""
from __future__ import annotations

import logging
import os
import queue
import random
import socket
import threading
import uuid
from datetime import timedelta

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from collectors import run_probe
from collectors.base import CheckResult, Target
from collectors.conditions import parse
from dashboard.db import Database
from dashboard.models import Endpoint, RuntimeState
from dashboard.status import record_results
from dashboard.timeutil import utcnow

log = logging.getLogger(__name__)

LEASE_KEY = "collector.lease"
HEARTBEAT_KEY = "collector.heartbeat"
LEASE_TTL_S = 30.0
HEARTBEAT_S = 5.0
WRITE_BATCH = 500
MAX_PENDING_RESULTS = 50_000


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


class Collector:
    def __init__(self, db: Database, workers: int = 64):
        self.db = db
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=workers)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone="UTC",
        )
        self.scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        self._results: queue.Queue[CheckResult] = queue.Queue()
        self._stop = threading.Event()
        self._writer = threading.Thread(target=self._write_loop, name="ioc-result-writer", daemon=True)
        self._leader = False
        self.missed = 0
        self.started = False

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self.started:
            return
        self.started = True
        self._writer.start()
        self.scheduler.add_job(self._tick, "interval", seconds=HEARTBEAT_S, id="_lease", next_run_time=utcnow())
        self.scheduler.start()
        log.info("collector %s started", self.holder)

    def stop(self) -> None:
        if not self.started:
            return
        self.scheduler.shutdown(wait=False)
        self._stop.set()
        self._writer.join(timeout=10)
        with self.db.session() as session:
            release_lease(session, self.holder)
        self.started = False
        log.info("collector %s stopped", self.holder)

    @property
    def is_leader(self) -> bool:
        return self._leader

    # ------------------------------------------------------------------ jobs
    def _tick(self) -> None:
        """Renew the lease, write the heartbeat, and start or stop checking accordingly."""
        try:
            with self.db.session() as session:
                leader = try_acquire_lease(session, self.holder)
                if leader:
                    _put_state(session, HEARTBEAT_KEY, self.holder)
        except Exception:  # noqa: BLE001 - the database may be briefly unreachable
            log.exception("collector could not reach the database; checks paused")
            leader = False
        if leader and not self._leader:
            log.info("collector %s holds the lease: checking", self.holder)
            self.sync_jobs()
        elif not leader and self._leader:
            log.warning("collector %s lost the lease: standing by", self.holder)
            self._remove_endpoint_jobs()
        self._leader = leader

    def sync_jobs(self) -> int:
        """Schedule every active endpoint once; drop jobs of endpoints gone from the catalog."""
        with self.db.session() as session:
            endpoints = session.scalars(select(Endpoint).where(Endpoint.active.is_(True))).all()
        wanted = {e.id: e for e in endpoints}
        for job in self.scheduler.get_jobs():
            if not job.id.startswith("_") and job.id not in wanted:
                job.remove()
        now = utcnow()
        for endpoint in endpoints:
            target = target_for(endpoint)
            # Spread first runs over one interval so thousands of endpoints never fire at once.
            first = now + timedelta(seconds=random.uniform(0, min(endpoint.interval_s, 10.0)))
            self.scheduler.add_job(
                self._check, "interval", args=[target], id=endpoint.id, replace_existing=True,
                seconds=endpoint.interval_s, jitter=min(endpoint.interval_s * 0.1, 5.0),
                misfire_grace_time=max(1, int(endpoint.interval_s / 2)), next_run_time=first,
            )
        return len(endpoints)

    def check_now(self, endpoint_id: str) -> bool:
        job = self.scheduler.get_job(endpoint_id)
        if job is None:
            return False
        job.modify(next_run_time=utcnow())
        return True

    def _remove_endpoint_jobs(self) -> None:
        for job in self.scheduler.get_jobs():
            if not job.id.startswith("_"):
                job.remove()

    def _check(self, target: Target) -> None:
        self._results.put(run_probe(target))

    def _on_missed(self, event: JobExecutionEvent) -> None:
        self.missed += 1
        log.warning("check of %s could not start on time (missed)", event.job_id)

    # ------------------------------------------------------------------ writing
    def _write_loop(self) -> None:
        pending: list[CheckResult] = []
        while not (self._stop.is_set() and self._results.empty() and not pending):
            try:
                pending.append(self._results.get(timeout=0.5))
                while len(pending) < WRITE_BATCH:
                    pending.append(self._results.get_nowait())
            except queue.Empty:
                pass
            if not pending:
                continue
            try:
                with self.db.session() as session:
                    record_results(session, pending)
                pending = []
            except Exception:  # noqa: BLE001 - keep results and retry; never kill the writer
                log.exception("could not store %d results; will retry", len(pending))
                pending = pending[-MAX_PENDING_RESULTS:]
                if self._stop.wait(2.0):
                    break


def _put_state(session: Session, key: str, value: str) -> None:
    row = session.get(RuntimeState, key)
    now = utcnow()
    if row is None:
        session.add(RuntimeState(key=key, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now
