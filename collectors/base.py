"""The one shape every probe takes in and gives back. Pure data: collectors never touch the DB."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from collectors.timeutil import utcnow


class Status(StrEnum):
    """A verdict or a state: the same five values everywhere, from probe to page."""

    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"
    UNKNOWN = "unknown"
    MAINTENANCE = "maintenance"


@dataclass(frozen=True)
class Target:
    """What to probe, as the catalog described it."""

    endpoint_id: str
    kind: str
    target: str  # a URL for http, "host:port" for tcp/tls, a name for dns
    timeout_s: float = 10.0
    conditions: tuple = ()  # parsed conditions (collectors.conditions.Condition)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckResult:
    """One probe outcome. `verdict` is up / degraded / down; `cause` says why as a code with its
    parameters (rendered in the reader's language by dashboard.domain.causes, never stored as
    text); `reason` is the same in English for the technician's log and raw details."""

    endpoint_id: str
    verdict: Status
    reason: str
    checked_at: datetime = field(default_factory=utcnow)
    latency_ms: float | None = None
    http_code: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    # Set by the scheduler, never by a probe: the check could not start on time (verdict unknown).
    missed: bool = False
    cause: str | None = None  # a code from dashboard.domain.causes.CODES, e.g. "conn_refused"
    params: dict[str, Any] = field(default_factory=dict)  # e.g. {"host": "10.0.0.5", "port": 443}
    # Set by a remote agent, never by a probe: the result's own id (a UUID), so that the server
    # stores it once however often a batch holding it is sent.
    result_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.verdict == Status.UP

    def cause_value(self) -> dict[str, Any]:
        """{"code", "params"}: what is stored; a result without a code keeps its text."""
        if self.cause:
            return {"code": self.cause, "params": dict(self.params)}
        return {"code": "text", "params": {"text": self.reason}}


class Probe(Protocol):
    def __call__(self, target: Target) -> CheckResult: ...
