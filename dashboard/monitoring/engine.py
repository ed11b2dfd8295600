"""The probe engine: one asyncio event loop, in its own thread, that starts every endpoint's
check on time and runs thousands of them concurrently.

Why not one thread per check: a tenth of the targets may hang until their timeout; with a
thread pool they hold every worker and the healthy checks queue behind them. Here a hanging
check is a suspended coroutine costing a few kilobytes, and the bound on concurrency
(`max_concurrent`) is far above what hanging targets can fill. Probe kinds that only have a
blocking implementation run on a small thread pool, under the same deadlines.

Timing: each endpoint keeps a fixed phase inside its interval, derived from a hash of its id
(jitter: thousands of endpoints never fire in one burst) and anchored to the wall clock, so
every collector process — a restarted one, or a standby that takes the lease over — checks
an endpoint at the same instants; a fixed cadence afterwards (no drift). An endpoint whose
last stored check is already an interval old when it is scheduled (a new leader after a
takeover) is checked at once, spread over at most 2 s (a quarter interval for short intervals),
then joins its grid. A check that cannot start within `grace` of its slot — the loop was
starved, no probe slot was free, or the previous check of the same endpoint still runs — is
not silently dropped: it becomes a 'missed' result, stored and counted like any other.
"""
from __future__ import annotations

import asyncio
import hashlib
import heapq
import logging
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from collectors import get_probe, run_probe
from collectors.base import CheckResult, Target
from collectors.conditions import parse
from dashboard.store.models import Status

log = logging.getLogger(__name__)

MAX_GRACE_S = 10.0
TICK_S = 0.2
# Checks due within this much of each other start together: a few starts per wake-up of the loop
# (cheaper than one wake-up per check) without a tick's worth of starts in one burst.
START_QUANTUM_S = 0.02
GUARD_S = 2.0  # extra time a probe gets past its own deadline before the engine gives up on it
CATCH_UP_SPREAD_S = 2.0  # overdue endpoints of a new leader start within this long (a quarter interval at most), not in one burst


def target_from(endpoint_id: str, kind: str, target: str, timeout_s: float, options: dict | None) -> Target:
    """A probe's Target from an endpoint's stored fields (its conditions written as text in
    `options`): the central collector and a remote agent build it the same way."""
    options = dict(options or {})
    conditions = tuple(
        parse(item) if isinstance(item, str) else parse(item["condition"], item.get("severity", "down"))
        for item in options.pop("conditions", [])
    )
    return Target(endpoint_id, kind, target, timeout_s, conditions, options)


def phase_of(endpoint_id: str, interval_s: float) -> float:
    """The endpoint's fixed offset inside its interval (seconds past each multiple of the
    interval, in Unix time): the same in every process, so a new leader keeps the schedule."""
    digest = hashlib.blake2b(endpoint_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 * interval_s


def first_slot_delay(endpoint_id: str, interval_s: float, now_wall: float, overdue: bool) -> float:
    """Seconds from now to the endpoint's first check: its next grid instant, or — when its last
    stored check is already an interval old — almost at once (spread by the same phase)."""
    phase = phase_of(endpoint_id, interval_s)
    if overdue:
        return phase / interval_s * min(CATCH_UP_SPREAD_S, interval_s / 4)
    return (phase - now_wall) % interval_s


def grace_for(interval_s: float) -> float:
    """How late a check may start and still count as on time."""
    return max(0.5, min(interval_s * 0.5, MAX_GRACE_S))


@dataclass
class _Entry:
    target: Target
    interval_s: float
    due: float  # loop time of the next slot
    generation: int
    running: bool = False
    on_grid: bool = True  # False for a catch-up slot: the next one goes back to the grid


@dataclass
class EngineStats:
    due: int = 0  # slots that came due (started + missed)
    started: int = 0
    done: int = 0
    missed: int = 0
    running: int = 0
    max_start_lag_s: float = 0.0
    missed_by_reason: dict = field(default_factory=dict)


class ProbeEngine:
    def __init__(self, on_result: Callable[[CheckResult], None], max_concurrent: int = 1000, sync_workers: int = 32):
        self.on_result = on_result
        self.max_concurrent = max_concurrent
        self.stats = EngineStats()
        self._entries: dict[str, _Entry] = {}
        self._heap: list[tuple[float, int, str, int]] = []
        self._seq = 0
        self._generation = 0
        self._sync_pool = ThreadPoolExecutor(max_workers=sync_workers, thread_name_prefix="ioc-probe")
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ioc-probe-engine", daemon=True)
        self._tasks: set[asyncio.Task] = set()
        self._probes: dict = {}  # kind -> probe (the registry's lookup scans the package each time)
        self._wakeup: asyncio.Event | None = None
        self._session = None
        self._semaphore: asyncio.Semaphore | None = None
        self._offset = 0.0  # wall clock minus loop clock, to stamp due times in UTC

    # ------------------------------------------------------------------ lifecycle (any thread)
    def start(self) -> ProbeEngine:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        try:
            future.result(timeout=10)
        except Exception:  # noqa: BLE001 - stopping must not fail
            log.exception("probe engine did not shut down cleanly")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._sync_pool.shutdown(wait=False, cancel_futures=True)

    def set_targets(self, targets: list[tuple[Target, float]], last_checks: dict[str, datetime] | None = None) -> None:
        """Check exactly these (target, interval_s); endpoints already scheduled keep their slot.
        `last_checks` (endpoint id -> time of the last stored check) lets a new leader check at
        once what is already an interval overdue instead of waiting for the next grid slot."""
        self._call(self._set_targets, list(targets), dict(last_checks or {}))

    def check_now(self, endpoint_id: str) -> bool:
        """Start one check of this endpoint at once (its regular slots stay as they are)."""
        if endpoint_id not in self._entries:
            return False
        self._call(self._check_now, endpoint_id)
        return True

    def scheduled(self) -> int:
        return len(self._entries)

    def _call(self, fn, *args) -> None:
        self._loop.call_soon_threadsafe(fn, *args)

    # ------------------------------------------------------------------ loop thread
    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._setup())
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    async def _setup(self) -> None:
        from collectors.http import new_session

        self._wakeup = asyncio.Event()
        self._semaphore = asyncio.Semaphore(self.max_concurrent)
        self._session = new_session()
        self._offset = time.time() - self._loop.time()
        self._dispatcher = self._loop.create_task(self._dispatch())

    async def _shutdown(self) -> None:
        self._entries = {}  # starts already timed for the coming tick see this and do nothing
        self._dispatcher.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(self._dispatcher, *self._tasks, return_exceptions=True)
        await self._session.close()

    def _utc(self, loop_time: float) -> datetime:
        # whole milliseconds: what the database keeps (store.models.EpochMillis), so a result
        # reads back with the very time it was handed over with
        return datetime.fromtimestamp(math.floor((loop_time + self._offset) * 1000) / 1000, timezone.utc)

    def _set_targets(self, targets: list[tuple[Target, float]], last_checks: dict[str, datetime]) -> None:
        now = self._loop.time()
        now_wall = now + self._offset
        self._generation += 1
        wanted = {}
        for target, interval in targets:
            entry = self._entries.get(target.endpoint_id)
            if entry is not None and entry.interval_s == interval:
                entry.target = target
                entry.generation = self._generation
                self._push(entry)  # same slot; the old heap item is now stale and skipped
            else:
                last = last_checks.get(target.endpoint_id)
                overdue = last is not None and now_wall - last.timestamp() >= interval
                delay = first_slot_delay(target.endpoint_id, interval, now_wall, overdue)
                entry = _Entry(target, interval, now + delay, self._generation,
                               running=entry.running if entry else False, on_grid=not overdue)
                self._push(entry)
            wanted[target.endpoint_id] = entry
        self._entries = wanted
        self._wakeup.set()

    def _push(self, entry: _Entry) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (entry.due, self._seq, entry.target.endpoint_id, entry.generation))

    def _check_now(self, endpoint_id: str) -> None:
        entry = self._entries.get(endpoint_id)
        if entry is not None and not entry.running:
            self._start(entry, self._loop.time())

    async def _dispatch(self) -> None:
        while True:
            now = self._loop.time()
            while self._heap and self._heap[0][0] <= now + TICK_S:
                due, _, endpoint_id, generation = heapq.heappop(self._heap)
                entry = self._entries.get(endpoint_id)
                if entry is None or entry.generation != generation or entry.due != due:
                    continue  # removed or rescheduled since
                if due > now:
                    # Each check starts at its own instant within the coming tick, not all of the
                    # tick's checks in one burst: a burst of starts (70 at 10,000 endpoints / 30 s)
                    # holds the loop for tens of milliseconds, and every check of the burst
                    # would wait for the others' set-up before its own answer is read.
                    self._loop.call_at(-(-due // START_QUANTUM_S) * START_QUANTUM_S, self._slot_at, entry, due)
                else:
                    self._slot(entry, due, now)
                if entry.on_grid:
                    entry.due = due + entry.interval_s
                else:  # after a catch-up check, back to the endpoint's grid
                    entry.on_grid = True
                    entry.due = due + (phase_of(endpoint_id, entry.interval_s) - (due + self._offset)) % entry.interval_s
                    if entry.due - due < entry.interval_s / 2:
                        entry.due += entry.interval_s  # never two checks within half an interval
                while entry.due <= now:  # the loop was starved for longer than an interval
                    self._slot(entry, entry.due, now)
                    entry.due += entry.interval_s
                self._push(entry)
            self._wakeup.clear()
            # The heap is read on a coarse grid (once a tick, not once per check); the loop's own
            # timers start each check on time.
            delay = (self._heap[0][0] - now - TICK_S / 2) if self._heap else 3600.0
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=max(0.0, min(delay, 1.0)))
            except TimeoutError:
                pass

    def _slot_at(self, entry: _Entry, due: float) -> None:
        if self._entries.get(entry.target.endpoint_id) is entry:  # still wanted (not stepped down, not removed)
            self._slot(entry, due, self._loop.time())

    def _slot(self, entry: _Entry, due: float, now: float) -> None:
        self.stats.due += 1
        lag = now - due
        if lag > grace_for(entry.interval_s):
            self._missed(entry, due, "overloaded", f"check could not start on time ({lag:.1f} s late: collector overloaded)")
        elif entry.running:
            self._missed(entry, due, "still_running", "check could not start on time (the previous check is still running)")
        else:
            self._start(entry, due)

    def _start(self, entry: _Entry, due: float) -> None:
        entry.running = True
        task = self._loop.create_task(self._check(entry, entry.target, due))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _missed(self, entry: _Entry, due: float, kind: str, reason: str) -> None:
        self.stats.missed += 1
        self.stats.missed_by_reason[kind] = self.stats.missed_by_reason.get(kind, 0) + 1
        self.on_result(CheckResult(entry.target.endpoint_id, Status.UNKNOWN, reason, checked_at=self._utc(due),
                                   detail={"missed": True}, missed=True, cause="missed", params={"why": kind}))

    async def _check(self, entry: _Entry, target: Target, due: float) -> None:
        try:
            async with self._semaphore:
                lag = self._loop.time() - due
                if lag > grace_for(entry.interval_s):
                    self._missed(entry, due, "no_slot", f"check could not start on time ({lag:.1f} s late: no free probe slot)")
                    return
                self.stats.started += 1
                self.stats.max_start_lag_s = max(self.stats.max_start_lag_s, lag)
                self.stats.running += 1
                try:
                    result = await self._probe(target)
                finally:
                    self.stats.running -= 1
            self.stats.done += 1
            self.on_result(result)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the engine must outlive any probe
            log.exception("probe of %s failed", target.endpoint_id)
            self.on_result(CheckResult(target.endpoint_id, Status.DOWN, f"probe error: {type(exc).__name__}: {exc}",
                                       cause="probe_error", params={"error": type(exc).__name__}))
        finally:
            entry.running = False

    async def _probe(self, target: Target) -> CheckResult:
        started = self._utc(self._loop.time())
        probe = self._probes.get(target.kind)
        if probe is None:
            try:
                probe = self._probes[target.kind] = get_probe(target.kind)
            except KeyError as exc:
                return CheckResult(target.endpoint_id, Status.DOWN, str(exc), checked_at=started,
                                   cause="probe_error", params={"error": "unknown kind"})
        run_async = getattr(probe, "run_async", None)
        try:
            async with asyncio.timeout(target.timeout_s + GUARD_S):
                if run_async is not None:
                    result = await run_async(target, self._session)
                else:
                    result = await self._loop.run_in_executor(self._sync_pool, run_probe, target)
        except TimeoutError:
            result = CheckResult(target.endpoint_id, Status.DOWN,
                                 f"no answer within {target.timeout_s:g} s (the probe overran its deadline)",
                                 cause="timeout", params={"phase": "answer", "seconds": target.timeout_s})
        # Stamp the result with the moment the check started: results sort by when they were asked.
        result.checked_at = started
        return result

