"""Heartbeat (push) probe: a system or a commune server behind a firewall calls
/api/heartbeat/<token>; this probe checks that the last ping is younger than period + grace.

Pings are received by the web process and stored by dashboard.monitoring.heartbeats. The probe itself
never touches the database: the process that runs the collector installs a reader with
`use_source(...)` (dashboard.runtime does), and `judge` — a pure function — gives the verdict.
"""
from __future__ import annotations

import asyncio
import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Callable

from pydantic import BeforeValidator, Field, field_validator, model_validator

from collectors import register
from collectors._net import run_sync, short
from collectors.base import CheckResult, Status, Target
from collectors.options import ProbeOptions, duration
from collectors.timeutil import iso, utcnow

DEFAULT_PERIOD_S = 60.0
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
_MAKE_TOKEN = "python -c 'import secrets; print(secrets.token_urlsafe(24))'"


def token_digest(token: str) -> str:
    """What the database keeps of a heartbeat token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


class HeartbeatOptions(ProbeOptions):
    """Push: the monitored side calls `POST /api/heartbeat/<token>` at least every `period`;
    down when no ping came for `period` + `grace`, or when the sender itself reports a failure."""

    token: str | None = Field(default=None, description="the secret in the ping URL, 16 to 128 letters, digits, "
                                                        "`-` or `_` (use `${ENV}`); only its SHA-256 is stored")
    period: Annotated[float | None, BeforeValidator(duration(1, 30 * 86_400))] = Field(
        default=None, description="how often the sender pings, e.g. `5m` (required)")
    grace: Annotated[float | None, BeforeValidator(duration(0, 30 * 86_400))] = Field(
        default=None, description="extra wait after a missed period before down (default: half the period)")

    @field_validator("token")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        # The message never repeats the value: it is a secret.
        if value is not None and not TOKEN_PATTERN.match(value):
            raise ValueError(f"a heartbeat token must be 16 to 128 letters, digits, '-' or '_' (make one with: {_MAKE_TOKEN})")
        return value

    @model_validator(mode="after")
    def _needs_token_and_period(self) -> HeartbeatOptions:
        if not self.token:
            raise ValueError(f"a heartbeat endpoint needs a token, e.g. token: ${{IOC_HEARTBEAT_TOKEN_X}} (make one with: {_MAKE_TOKEN})")
        if self.period is None:
            raise ValueError("a heartbeat endpoint needs a period: how often the sender pings, e.g. period: 1m")
        return self

    def target(self) -> str:
        return f"push /api/heartbeat/{(self.token or '')[:4]}…"

    def to_options(self) -> dict[str, Any]:
        # Only a digest is stored: the token itself never reaches the database.
        grace = self.grace if self.grace is not None else self.period / 2
        return {"token_sha256": token_digest(self.token), "period_s": self.period, "grace_s": grace}


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
                               checked_at=now, detail=detail, cause="heartbeat_waiting",
                               params={"due": iso(due), "expected": allowed})
        return CheckResult(endpoint_id, Status.DOWN,
                           f"no heartbeat received since monitoring started at {iso(watching_since)} ({expected})",
                           checked_at=now, detail=detail, cause="heartbeat_never",
                           params={"since": iso(watching_since), "expected": allowed})
    age = max(0.0, (now - last.received_at).total_seconds())
    detail.update(last_ping_at=iso(last.received_at), age_s=round(age, 1), reported_status=last.status,
                  message=last.message, source=last.source)
    if age > allowed:
        return CheckResult(endpoint_id, Status.DOWN,
                           f"no heartbeat since {iso(last.received_at)} ({_duration(age)} ago; {expected})",
                           checked_at=now, detail=detail, cause="heartbeat_late",
                           params={"age": round(age), "expected": allowed, "last": iso(last.received_at)})
    said = f": {last.message}" if last.message else ""
    message = {"message": last.message[:200]} if last.message else {}
    if last.status == "down":
        return CheckResult(endpoint_id, Status.DOWN, f"the sender reports a failure{said}", checked_at=now, detail=detail,
                           cause="heartbeat_reported", params={"status": "down", **message})
    if last.status == "degraded":
        return CheckResult(endpoint_id, Status.DEGRADED, f"the sender reports degraded service{said}",
                           checked_at=now, detail=detail, cause="heartbeat_reported", params={"status": "degraded", **message})
    return CheckResult(endpoint_id, Status.UP, f"last heartbeat {_duration(age)} ago ({expected}){said}",
                       checked_at=now, detail=detail, cause="heartbeat_ok", params={"age": round(age), "expected": allowed, **message})


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
                           "heartbeats cannot be read: this process has no heartbeat store (collector not wired to the database)",
                           cause="heartbeat_unreadable")
    watching_since = _watching_since.setdefault(target.endpoint_id, utcnow())
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(target.timeout_s):
            last = await loop.run_in_executor(_reader_pool, source, target.endpoint_id)
    except TimeoutError:
        return CheckResult(target.endpoint_id, Status.DOWN,
                           f"heartbeats could not be read within {target.timeout_s:g} s (database slow or unreachable)",
                           cause="heartbeat_unreadable")
    except Exception as exc:  # noqa: BLE001 - a database error becomes a plain reason
        return CheckResult(target.endpoint_id, Status.DOWN, f"heartbeats could not be read: {short(exc)}",
                           cause="heartbeat_unreadable")
    if isinstance(last, NoPing):
        watching_since, last = min(watching_since, last.watching_since), None
    return judge(target.endpoint_id, last, utcnow(), period, grace, watching_since)


@register("heartbeat", options=HeartbeatOptions)
def probe(target: Target) -> CheckResult:
    return run_sync(probe_async, target)


probe.run_async = probe_async
