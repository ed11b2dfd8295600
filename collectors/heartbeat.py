"""Heartbeat (push) probe: a system or a commune server behind a firewall calls
/api/heartbeat/<token>; this probe checks that the last ping is younger than period + grace.

Pings are received by the web process and stored by dashboard.monitoring.heartbeats. The probe itself
never touches the database: the process that runs the collector installs a reader with
`use_source(...)` (dashboard.runtime does), and `judge` — a pure function — gives the verdict.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from collectors import register
from collectors._net import run_sync, short
from collectors.base import CheckResult, Status, Target
from collectors.timeutil import iso, utcnow

DEFAULT_PERIOD_S = 60.0


@dataclass(frozen=True)
class Ping:
    received_at: datetime
    status: str | None = None  # what the sender reported: up / degraded / down, or nothing
    message: str | None = None
    source: str | None = None  # the sender's address


@dataclass(frozen=True)
class NoPing:
    """No ping stored yet; the endpoint has been checked since `watching_since`."""

    watching_since: datetime


PingSource = Callable[[str], "Ping | NoPing | None"]

_source: PingSource | None = None
_reader_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ioc-heartbeat")
# When this process first looked at an endpoint: a never-pinged endpoint is given one
# period + grace before it is called down (the sender may simply not have started yet). The
# source may know an earlier moment (the endpoint's first stored check) and says so with NoPing,
# so that a restart does not reset the wait.
_watching_since: dict[str, datetime] = {}


def use_source(source: PingSource | None) -> None:
    """Install the function that returns an endpoint's latest ping (or None)."""
    global _source
    _source = source
    _watching_since.clear()


def judge(endpoint_id: str, last: Ping | None, now: datetime, period_s: float, grace_s: float,
          watching_since: datetime) -> CheckResult:
    allowed = period_s + grace_s
    expected = f"expected every {_duration(period_s)} + {_duration(grace_s)} grace"
    detail = {"period_s": period_s, "grace_s": grace_s, "last_ping_at": None}
    if last is None:
        waited = (now - watching_since).total_seconds()
        if waited <= allowed:
            due = watching_since + timedelta(seconds=allowed)
            return CheckResult(endpoint_id, Status.UNKNOWN,
                               f"waiting for the first heartbeat (due by {iso(due)}; {expected})",
                               checked_at=now, detail=detail)
        return CheckResult(endpoint_id, Status.DOWN,
                           f"no heartbeat received since monitoring started at {iso(watching_since)} ({expected})",
                           checked_at=now, detail=detail)
    age = max(0.0, (now - last.received_at).total_seconds())
    detail.update(last_ping_at=iso(last.received_at), age_s=round(age, 1), reported_status=last.status,
                  message=last.message, source=last.source)
    if age > allowed:
        return CheckResult(endpoint_id, Status.DOWN,
                           f"no heartbeat since {iso(last.received_at)} ({_duration(age)} ago; {expected})",
                           checked_at=now, detail=detail)
    said = f": {last.message}" if last.message else ""
    if last.status == "down":
        return CheckResult(endpoint_id, Status.DOWN, f"the sender reports a failure{said}", checked_at=now, detail=detail)
    if last.status == "degraded":
        return CheckResult(endpoint_id, Status.DEGRADED, f"the sender reports degraded service{said}",
                           checked_at=now, detail=detail)
    return CheckResult(endpoint_id, Status.UP, f"last heartbeat {_duration(age)} ago ({expected}){said}",
                       checked_at=now, detail=detail)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{round(seconds, 1):g} s"
    seconds = round(seconds)
    if seconds < 7200:
        return f"{seconds // 60} min" + (f" {seconds % 60} s" if seconds % 60 and seconds < 600 else "")
    if seconds < 172_800:
        return f"{seconds // 3600} h" + (f" {seconds % 3600 // 60} min" if seconds % 3600 >= 60 else "")
    return f"{seconds // 86400} days"


async def probe_async(target: Target, session=None) -> CheckResult:  # noqa: ARG001 - engine signature
    period = float(target.options.get("period_s", DEFAULT_PERIOD_S))
    grace = float(target.options.get("grace_s", period / 2))
    source = _source
    if source is None:
        return CheckResult(target.endpoint_id, Status.DOWN,
                           "heartbeats cannot be read: this process has no heartbeat store (collector not wired to the database)")
    watching_since = _watching_since.setdefault(target.endpoint_id, utcnow())
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(target.timeout_s):
            last = await loop.run_in_executor(_reader_pool, source, target.endpoint_id)
    except TimeoutError:
        return CheckResult(target.endpoint_id, Status.DOWN,
                           f"heartbeats could not be read within {target.timeout_s:g} s (database slow or unreachable)")
    except Exception as exc:  # noqa: BLE001 - a database error becomes a plain reason
        return CheckResult(target.endpoint_id, Status.DOWN, f"heartbeats could not be read: {short(exc)}")
    if isinstance(last, NoPing):
        watching_since, last = min(watching_since, last.watching_since), None
    return judge(target.endpoint_id, last, utcnow(), period, grace, watching_since)


@register("heartbeat")
def probe(target: Target) -> CheckResult:
    return run_sync(probe_async, target)


probe.run_async = probe_async
