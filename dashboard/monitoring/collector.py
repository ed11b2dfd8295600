"""The collector: the probe engine (dashboard/monitoring/engine.py) starts every endpoint's check on
time; results go through one writer thread to dashboard.monitoring.results; APScheduler runs the
housekeeping (lease, check-now requests, rollups, retention).

One collector per deployment: it holds a lease row in the database and renews it; a second
collector (another process, a reloader child, a second gunicorn worker) stays on standby
until the lease expires, so no endpoint is ever checked twice per interval. Every takeover
increments the lease's epoch (a fencing token); every result batch is written in the same
transaction as a check that the writer's epoch is still the lease's and unexpired, so a leader
that was paused (SIGSTOP, a stalled VM) past its lease writes nothing when it wakes up and
steps down. Results stamped before this process became leader are never written: no
backdated 'missed' rows for time another process was checking.

"Check now" works across processes: the web process writes a CheckRequest row
(`request_check`); the collector polls for them every second.
"""
from __future__ import annotations

import gc
import json
import logging
import os
import queue
import socket
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from collectors.base import CheckResult, Target
from collectors.timeutil import iso, utcnow
from dashboard.config import GC_THRESHOLDS
from dashboard.domain.agents import CENTRAL
from dashboard.domain.maintenance import MaintenanceIndex
from dashboard.domain.status import FlapSettings
from dashboard.monitoring.actions import take_check_requests
from dashboard.monitoring.engine import ProbeEngine, target_from
from dashboard.monitoring.results import record_results
from dashboard.monitoring.spool import Spool
from dashboard.readmodels.maintenance import load_index as load_maintenance_index
from dashboard.store.database import Database
from dashboard.store.models import CatalogRevision, Endpoint, RuntimeState
from dashboard.store.runtime_keys import HEARTBEAT_KEY, LEASE_KEY, LEASE_RENEW_S, LEASE_TTL_S, STANDBY_POLL_S, STATS_KEY

log = logging.getLogger(__name__)

REQUEST_POLL_S = 1.0
ROLLUP_EVERY_S = 300.0
RETENTION_EVERY_S = 3600.0
WRITE_BATCH = 1000
WRITE_PAUSE_S = 1.0  # results are written in batches at most this often: one transaction each
MAINTENANCE_CACHE_S = 5.0
MAX_PENDING_RESULTS = 50_000
# The start-up heap is frozen once the targets are loaded (gc.freeze: never walked again); the
# thresholds are dashboard.config.GC_THRESHOLDS.
_heap_frozen = False


@dataclass(frozen=True)
class RetentionPolicy:
    raw_days: float = 14.0
    hourly_days: float = 90.0
    daily_days: float = 1100.0


def target_for(endpoint: Endpoint) -> Target:
    return target_from(endpoint.id, endpoint.kind, endpoint.target, endpoint.timeout_s, endpoint.options)


def try_acquire_lease(session: Session, holder: str, epoch: int | None = None, ttl_s: float = LEASE_TTL_S) -> int | None:
    """Renew `holder`'s unexpired lease of this `epoch`, or take an expired (or missing) lease
    with a new epoch. Returns the epoch held afterwards, or None when another holder has it.
    A holder whose own lease expired gets a new epoch too: it was not the leader meanwhile."""
    now = utcnow()
    expires = now + timedelta(seconds=ttl_s)
    bound_frozen_transaction(session)
    if epoch is not None:
        renewed = session.execute(
            update(RuntimeState)
            .where(RuntimeState.key == LEASE_KEY, RuntimeState.value == holder, RuntimeState.epoch == epoch,
                   RuntimeState.expires_at >= now)
            .values(updated_at=now, expires_at=expires)
        ).rowcount
        if renewed:
            return epoch
    taken = session.execute(
        update(RuntimeState)
        .where(RuntimeState.key == LEASE_KEY)
        .where(RuntimeState.expires_at.is_(None) | (RuntimeState.expires_at < now))
        .values(value=holder, updated_at=now, expires_at=expires, epoch=func.coalesce(RuntimeState.epoch, 0) + 1)
        .returning(RuntimeState.epoch)
    ).scalar()
    if taken is not None:
        return taken
    if session.get(RuntimeState, LEASE_KEY) is None:
        try:
            with session.begin_nested():
                session.add(RuntimeState(key=LEASE_KEY, value=holder, updated_at=now, expires_at=expires, epoch=1))
            return 1
        except IntegrityError:
            return None
    return None


# A leader frozen inside a transaction (a paused VM, SIGSTOP, a stalled process) would hold the
# lease row's lock for as long as it is frozen, and the standby's takeover would wait behind it.
# PostgreSQL ends such a session after this long idle in its transaction, well before the lease
# expires (LEASE_TTL_S - LEASE_RENEW_S = 7.5 s after the last renewal at the earliest); a woken
# leader finds its connection gone, its epoch stale, and stands by.
FROZEN_TRANSACTION_S = 5


def bound_frozen_transaction(session: Session) -> None:
    """For this transaction only, on PostgreSQL: see FROZEN_TRANSACTION_S."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL idle_in_transaction_session_timeout = '{FROZEN_TRANSACTION_S}s'"))


def holds_lease(session: Session, holder: str, epoch: int) -> bool:
    """The fence, run first in every result transaction: True while `holder` still holds the
    unexpired lease of `epoch`. It is an UPDATE, not a SELECT, so that it locks the lease row
    until the transaction ends: a takeover cannot slip in between this check and the writes."""
    bound_frozen_transaction(session)
    return bool(session.execute(
        update(RuntimeState)
        .where(RuntimeState.key == LEASE_KEY, RuntimeState.value == holder, RuntimeState.epoch == epoch,
               RuntimeState.expires_at >= utcnow())
        .values(epoch=RuntimeState.epoch)
    ).rowcount)


class LeaseLost(Exception):
    """The writer's epoch is stale: another collector holds the lease."""


def release_lease(session: Session, holder: str) -> None:
    session.execute(
        update(RuntimeState)
        .where(RuntimeState.key == LEASE_KEY, RuntimeState.value == holder)
        .values(expires_at=utcnow())
    )


DB_DOWN_ERRORS = (OperationalError, InterfaceError)  # unreachable, refused, read-only, full, locked too long
REPLAY_RETRY_S = 1.0


class Collector:
    def __init__(self, db: Database, workers: int = 1000, sync_workers: int = 32,
                 retention: RetentionPolicy | None = None, housekeeping: bool = True,
                 flap: FlapSettings | None = None, spool: Spool | None = None, own_process: bool = False):
        self.db = db
        # own_process: this collector is what its process is for (app.py), so it may tune the
        # process's garbage collector (GC_THRESHOLDS); tests and embedders leave it alone.
        self.own_process = own_process
        self.flap = flap or FlapSettings()
        self.retention = retention or RetentionPolicy()
        self.housekeeping = housekeeping
        self.spool = spool  # None: results wait in memory (bounded) while the database is away
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.engine = ProbeEngine(self._results_put, max_concurrent=workers, sync_workers=sync_workers)
        self.scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1}, timezone="UTC")
        # (epoch, result): the epoch under which the result was produced; the writer drops what
        # belongs to an epoch that is no longer this process's.
        self._results: queue.Queue[tuple[int | None, CheckResult]] = queue.Queue()
        self._stop = threading.Event()
        self._writer = threading.Thread(target=self._write_loop, name="ioc-result-writer", daemon=True)
        self._leader = False
        self._epoch: int | None = None
        # Epochs whose results may still be written: the current one, and the one before it when
        # this process took the lease straight back after it expired (a database outage: nobody
        # else can have held it, since the epoch moved by exactly one).
        self._accepted: set[int] = set()
        self._leader_since = None  # UTC time this process's current leadership began
        self._renewed_at = 0.0  # monotonic time of the last successful renewal
        self._leadership = threading.RLock()  # the lease job and the writer both change leadership
        self.dropped_stale = 0  # results not written because the lease was lost meanwhile
        self._maintenance: tuple[float, MaintenanceIndex] | None = None
        self.written = 0
        self.replayed = 0  # results written from the spool
        self.started = False
        # the database as a dependency: one log line when it goes away, one when it is back
        self.db_down_since: datetime | None = None
        self._outage_replayed = 0
        self._outage_back_after: float | None = None
        self._retry_at = 0.0
        self._memory_dropped = 0
        self._standby_hold_until = 0.0
        self._catalog_revision: int | None = None  # the catalog revision the schedule was built from

    def _results_put(self, result: CheckResult) -> None:
        self._results.put((self._epoch, result))

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self.started:
            return
        self.started = True
        if self.own_process:
            gc.set_threshold(*GC_THRESHOLDS)
        self.engine.start()
        self._writer.start()
        now = utcnow()
        self.scheduler.add_job(self._tick, "interval", seconds=STANDBY_POLL_S, id="_lease", next_run_time=now)
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
        except Exception as exc:  # noqa: BLE001 - stopping must not fail on a lost database
            log.warning("could not release the collector lease: %s", _short(exc))
        if self.spool is not None:
            left = len(self.spool)
            if left:
                log.warning("collector stopped with %d results still spooled (the database is unreachable)", left)
            self.spool.close(remove=not left)
        self.started = False
        log.info("collector %s stopped", self.holder)

    @property
    def is_leader(self) -> bool:
        return self._leader

    @property
    def missed(self) -> int:
        return self.engine.stats.missed

    # ------------------------------------------------------------------ the database as a dependency
    def _db_unreachable(self, exc: BaseException) -> None:
        with self._leadership:
            if self.db_down_since is None:
                self.db_down_since = utcnow()
                self._outage_replayed = 0
                self._outage_back_after = None
                doing = ("checks continue, results are spooled" if self._leader and self.spool is not None
                         else "checks continue, results wait in memory" if self._leader else "standing by")
                log.error("database unreachable since %s: %s (%s)", iso(self.db_down_since), _short(exc), doing)

    def _db_reachable(self) -> None:
        with self._leadership:
            if self.db_down_since is not None:
                if not self._leader:
                    # After an outage the leader whose lease just expired gets the first chance
                    # to take it back (and replay what it spooled); a standby waits a little.
                    self._standby_hold_until = time.monotonic() + 2 * LEASE_RENEW_S
                self._outage_back_after = (utcnow() - self.db_down_since).total_seconds()
                self.db_down_since = None
                if self.spool is None or not len(self.spool):
                    self._log_back()

    def _log_back(self) -> None:
        if self._outage_back_after is not None:
            log.warning("database back after %.0f s, %d spooled results replayed",
                        self._outage_back_after, self._outage_replayed)
            self._outage_back_after = None

    # ------------------------------------------------------------------ jobs
    def _tick(self) -> None:
        """Renew the lease (every LEASE_RENEW_S) or, on standby, try to take it (every
        STANDBY_POLL_S); write the heartbeat; start or stop checking accordingly."""
        if self._leader and self.db_down_since is None and \
                time.monotonic() - self._renewed_at < LEASE_RENEW_S - STANDBY_POLL_S / 2:
            return
        self._refresh_lease()

    def _refresh_lease(self) -> bool:
        """Renew or take the lease now; True while this process is the leader afterwards. While
        the database is unreachable a leader keeps checking (results are spooled): nobody else
        can take the lease meanwhile, and the epoch check decides afterwards."""
        with self._leadership:
            held = self._epoch if self._leader else None
            if held is None and self.db_down_since is None and time.monotonic() < self._standby_hold_until:
                return False
            try:
                with self.db.session() as session:
                    epoch = try_acquire_lease(session, self.holder, held)
                    if epoch is not None:
                        _put_state(session, HEARTBEAT_KEY, self.holder)
                        _put_state(session, STATS_KEY, self._stats_json())
            except DB_DOWN_ERRORS as exc:
                self._db_unreachable(exc)
                return self._leader
            except Exception:  # noqa: BLE001 - a bug here must not stop the lease job
                log.exception("could not renew the collector lease")
                return self._leader
            self._db_reachable()
            if epoch is None:
                if self._leader:
                    self._step_down("lost the lease")
                return False
            self._renewed_at = time.monotonic()
            if epoch == held:
                return True
            if held is not None and epoch == held + 1:
                # Our lease expired (a database outage, a pause) and we took it straight back:
                # no other collector held it in between, so what we checked meanwhile stands.
                log.info("collector %s holds the lease again (epoch %s after %s): no other collector held it",
                         self.holder, epoch, held)
                self._epoch = epoch
                self._accepted = {held, epoch}
                return True
            if held is not None:
                self._step_down(f"lost lease epoch {held} to another collector")
            log.info("collector %s holds the lease (epoch %s): checking", self.holder, epoch)
            self._epoch, self._accepted, self._leader_since, self._leader = epoch, {epoch}, utcnow(), True
            try:
                with self.db.session() as session:
                    self._catalog_revision = session.scalar(select(func.max(CatalogRevision.id)))
                self.sync_jobs()
            except Exception:  # noqa: BLE001
                log.exception("could not load the endpoints to check")
            return True

    def _step_down(self, why: str) -> None:
        """Stop checking; results still queued or spooled belong to the old epoch: dropped."""
        spooled = self.spool.clear() if self.spool is not None else 0
        log.warning("collector %s %s (epoch %s): standing by%s", self.holder, why, self._epoch,
                    f"; {spooled} spooled results discarded" if spooled else "")
        self.dropped_stale += spooled
        self._leader, self._epoch, self._accepted, self._leader_since = False, None, set(), None
        self.engine.set_targets([])

    def _stats_json(self) -> str:
        s = self.engine.stats
        return json.dumps({"scheduled": self.engine.scheduled(), "due": s.due, "done": s.done, "missed": s.missed,
                           "running": s.running, "written": self.written, "replayed": self.replayed,
                           "spooled": len(self.spool) if self.spool is not None else 0,
                           "dropped_stale": self.dropped_stale, "epoch": self._epoch})

    def sync_jobs(self) -> int:
        """Schedule every active endpoint of the central vantage; endpoints gone from the catalog
        are dropped. Endpoints of another vantage are a remote agent's: the central collector
        never checks them (it may not even reach them)."""
        with self.db.session() as session:
            endpoints = session.scalars(select(Endpoint).where(
                Endpoint.active.is_(True), Endpoint.vantage == CENTRAL)).all()
        targets = [(target_for(e), e.interval_s) for e in endpoints]
        last_checks = {e.id: e.last_check_at for e in endpoints if e.last_check_at is not None}
        del endpoints
        if self.own_process:
            _freeze_heap_once()
        self.engine.set_targets(targets, last_checks)
        return len(targets)

    def check_now(self, endpoint_id: str) -> bool:
        return self._leader and self.engine.check_now(endpoint_id)

    def _poll_requests(self) -> None:
        if not self._leader or self.db_down_since is not None:
            return
        try:
            with self.db.session() as session:
                wanted = take_check_requests(session)
                # a new catalog revision (an edit, an import, the file re-read): reschedule within a second
                revision = session.scalar(select(func.max(CatalogRevision.id)))
            if revision != self._catalog_revision:
                self._catalog_revision = revision
                count = self.sync_jobs()
                log.info("catalog revision %s: %d endpoints scheduled", revision, count)
        except DB_DOWN_ERRORS as exc:
            self._db_unreachable(exc)
            return
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
        except SQLAlchemyError as exc:
            # an unreachable database is already said once by the lease loop; the next minute tries again
            log.debug("maintenance edges not applied: %s", type(exc).__name__)
            return
        except Exception:  # noqa: BLE001 - the next minute tries again
            log.exception("could not apply maintenance window edges")
            return
        if changes:
            log.info("maintenance edges: %d state change(s)", len(changes))

    def _rollup(self) -> None:
        from dashboard.monitoring.rollups import run_rollups

        if self._leader and self.db_down_since is None:
            with self.db.session() as session:
                run_rollups(session)

    def _retention(self) -> None:
        from dashboard.monitoring.agents import prune_batches
        from dashboard.monitoring.rollups import apply_retention

        if self._leader and self.db_down_since is None:
            with self.db.session() as session:
                deleted = apply_retention(session, self.retention)
                deleted["agent_batches"] = prune_batches(session)
            if any(deleted.values()):
                log.info("retention: deleted %s", deleted)

    # ------------------------------------------------------------------ writing
    def _maintenance_index(self, session: Session) -> MaintenanceIndex:
        now = time.monotonic()
        if self._maintenance is None or now - self._maintenance[0] > MAINTENANCE_CACHE_S:
            self._maintenance = (now, load_maintenance_index(session))
        return self._maintenance[1]

    def _writable(self, items: list[tuple[int | None, CheckResult]]) -> list[CheckResult]:
        """The results that may be written under the current leadership: produced under an
        accepted epoch and stamped after this leadership began (no backdated rows for time the
        process was not the leader, e.g. the 'missed' slots of a pause)."""
        accepted, since = self._accepted, self._leader_since
        if not accepted or since is None:
            return []
        return [r for e, r in items if e in accepted and r.checked_at >= since]

    def _write_loop(self) -> None:
        pending: list[tuple[int | None, CheckResult]] = []
        while not (self._stop.is_set() and self._results.empty() and not pending):
            try:
                pending.append(self._results.get(timeout=WRITE_PAUSE_S))
                while len(pending) < WRITE_BATCH:
                    pending.append(self._results.get_nowait())
            except queue.Empty:
                pass
            if self.spool is not None and (pending or len(self.spool)):
                if self.db_down_since is not None or len(self.spool):
                    self._to_spool(pending)  # keep the order: behind what is spooled already
                    pending = []
                    if time.monotonic() >= self._retry_at:
                        self._replay()
                    continue
            if not pending:
                continue
            pending = self._store(pending)
            if pending and self._stop.wait(REPLAY_RETRY_S):
                break
            if not self._stop.is_set():
                self._stop.wait(WRITE_PAUSE_S)  # let a batch gather: fewer, larger transactions

    def _store(self, pending: list[tuple[int | None, CheckResult]]) -> list[tuple[int | None, CheckResult]]:
        """Write one batch; returns what is left to retry (in memory, when there is no spool)."""
        batch = self._writable(pending)
        self.dropped_stale += len(pending) - len(batch)
        if not batch:
            return []
        try:
            self._write(batch)
            self.written += len(batch)
            self._db_reachable()
            return []
        except LeaseLost:
            self.dropped_stale += len(batch)
            return []
        except DB_DOWN_ERRORS as exc:
            self._db_unreachable(exc)
            if self.spool is not None:
                self._to_spool([(self._epoch, r) for r in batch])
                return []
            return self._keep_in_memory(batch)
        except Exception as exc:  # noqa: BLE001 - keep results and retry; never kill the writer
            log.warning("could not store %d results (%s); trying them one by one", len(batch), _short(exc))
            return [(self._epoch, r) for r in self._write_one_by_one(batch)]

    def _keep_in_memory(self, batch: list[CheckResult]) -> list[tuple[int | None, CheckResult]]:
        if len(batch) > MAX_PENDING_RESULTS:
            self._memory_dropped += len(batch) - MAX_PENDING_RESULTS
        return [(self._epoch, r) for r in batch[-MAX_PENDING_RESULTS:]]

    def _to_spool(self, items: list[tuple[int | None, CheckResult]]) -> None:
        items = [(self._epoch, r) for r in self._writable(items)]
        if not items:
            return
        before = self.spool.dropped
        try:
            self.spool.append(items)
        except sqlite3.Error as exc:  # the spool's own volume is full or broken: nothing more to do
            self._memory_dropped += len(items)
            log.error("could not spool %d results (%s): they are lost", len(items), _short(exc))
        if self.spool.dropped > before and before == 0:
            log.error("result spool full (%d results): dropping the oldest spooled results", self.spool.max_results)

    def _replay(self) -> None:
        """Write spooled results in order, a batch per transaction, each batch removed from the
        spool only once stored; stops at the first database error (retried a second later)."""
        while True:
            rows = self.spool.head(WRITE_BATCH)
            if not rows:
                with self._leadership:
                    self._log_back()
                return
            batch = self._writable([(epoch, result) for _, epoch, result in rows])
            self.dropped_stale += len(rows) - len(batch)
            try:
                if batch:
                    self._write(batch)
            except LeaseLost:
                return  # stepping down discarded the spool
            except DB_DOWN_ERRORS as exc:
                self._db_unreachable(exc)
                self._retry_at = time.monotonic() + REPLAY_RETRY_S
                return
            except Exception as exc:  # noqa: BLE001
                log.warning("could not store %d spooled results (%s); trying them one by one", len(batch), _short(exc))
                if self._write_one_by_one(batch):
                    self._retry_at = time.monotonic() + REPLAY_RETRY_S
                    return  # the database went away again: keep them spooled
            self.spool.remove_up_to(rows[-1][0])
            self.written += len(batch)
            self.replayed += len(batch)
            self._outage_replayed += len(batch)
            self._db_reachable()

    def _write(self, results: list[CheckResult]) -> None:
        """One transaction: the fence first (it locks the lease row), then the results. A stale
        epoch is rechecked once (the lease may only have expired, e.g. after a database outage)."""
        for attempt in (1, 2):
            epoch = self._epoch
            if epoch is None:
                raise LeaseLost(None)
            with self.db.session() as session:
                if holds_lease(session, self.holder, epoch):
                    record_results(session, results, self._maintenance_index(session), self.flap)
                    return
            if attempt == 1 and self._refresh_lease():
                continue
            break
        self._lease_lost(epoch, len(results))
        raise LeaseLost(epoch)

    def _lease_lost(self, epoch: int | None, count: int) -> None:
        with self._leadership:
            if self._leader and self._epoch == epoch:
                self._step_down(f"found lease epoch {epoch} taken over: {count} results not written")

    def _write_one_by_one(self, results: list[CheckResult]) -> list[CheckResult]:
        """After a failed batch: store what can be stored. If nothing can (the database is
        away) keep everything for a retry; otherwise drop, with a log line, the results that
        fail on their own, so that one bad result never blocks the others."""
        failed: list[CheckResult] = []
        for index, result in enumerate(results):
            if index == 3 and len(failed) == 3:
                return results[-MAX_PENDING_RESULTS:]  # the first three all failed: the database is away
            try:
                self._write([result])
                self.written += 1
            except LeaseLost:
                return []
            except Exception as exc:  # noqa: BLE001
                failed.append(result)
                last_error = exc
        if failed and len(failed) < len(results):
            log.error("dropped %d results that cannot be stored (%s), e.g. %s", len(failed), _short(last_error), failed[0])
            return []
        return failed[-MAX_PENDING_RESULTS:]


def _freeze_heap_once() -> None:
    """Collect once, then move everything alive (modules, settings, the targets just loaded) out
    of the collector's reach for good: later collections walk only what was made since."""
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.collect()
        gc.freeze()


def _short(exc: BaseException) -> str:
    """One line for a log: the exception's type and first line (the driver's message), no traceback."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {text[0] if text else ''}"[:300]


def _put_state(session: Session, key: str, value: str) -> None:
    row = session.get(RuntimeState, key)
    now = utcnow()
    if row is None:
        session.add(RuntimeState(key=key, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now
