"""The rules that decide a state: pure functions of plain values, no database.

Verdicts: up, degraded (a soft condition failed), down, unknown (never checked, stale, or a
check that could not start on time), maintenance (inside a maintenance window).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from collectors.base import Status

FAILING = (Status.DOWN,)
TROUBLE = (Status.DOWN, Status.DEGRADED)
DEFAULT_FAILURES_BEFORE_DOWN = 2
DEFAULT_SUCCESSES_BEFORE_UP = 2


@dataclass(frozen=True)
class Streak:
    status: Status
    failures: int
    successes: int


def next_endpoint_state(
    current: Status, failures: int, successes: int, verdict: Status,
    failures_before_down: int = DEFAULT_FAILURES_BEFORE_DOWN,
    successes_before_up: int = DEFAULT_SUCCESSES_BEFORE_UP,
) -> Streak:
    """Flap damping in both directions: down only after `failures_before_down` consecutive
    'down' verdicts, up again only after `successes_before_up` consecutive non-down verdicts.
    'degraded' counts as a success (the service answers) and shows at once, since it raises
    no alarm of its own. The first verdict after 'unknown' or 'maintenance' is taken as it
    is: there is no earlier state to protect."""
    failed = verdict in FAILING
    failures = failures + 1 if failed else 0
    successes = 0 if failed else successes + 1
    if current in (Status.UNKNOWN, Status.MAINTENANCE):
        return Streak(verdict, failures, successes)
    if failed:
        if current == Status.DOWN or failures >= failures_before_down:
            return Streak(Status.DOWN, failures, successes)
        return Streak(current, failures, successes)
    if current == Status.DOWN and successes < successes_before_up:
        return Streak(Status.DOWN, failures, successes)
    return Streak(verdict, failures, successes)


def system_status(endpoints: list[tuple[Status, bool]]) -> Status:
    """A system from its endpoints' (status, critical): a critical endpoint down takes the system
    down; any other trouble makes it degraded; no checked endpoint leaves it unknown; all
    endpoints in maintenance put it in maintenance."""
    if not endpoints:
        return Status.UNKNOWN
    statuses = [s for s, _ in endpoints]
    if all(s == Status.MAINTENANCE for s in statuses):
        return Status.MAINTENANCE
    checked = [(s, c) for s, c in endpoints if s not in (Status.UNKNOWN, Status.MAINTENANCE)]
    if not checked:
        return Status.MAINTENANCE if Status.MAINTENANCE in statuses else Status.UNKNOWN
    if any(s == Status.DOWN and critical for s, critical in checked):
        return Status.DOWN
    if any(s in TROUBLE for s, _ in checked):
        return Status.DEGRADED
    return Status.UP


COMMUNE_NAMES_SHOWN = 3


def system_reason(endpoints: list[tuple[str, str, str | None, bool]]) -> str | None:
    """A system's reason from its endpoints' (name or None, status, reason, is_commune_heartbeat): each
    troubled endpoint's "name: reason", except the per-commune heartbeats, which are counted
    ("2 of 96 communes silent: …") instead of listing up to 96 reasons."""
    parts = [f"{name}: {reason}" if name else str(reason) for name, status, reason, commune in endpoints
             if not commune and status in TROUBLE]
    communes = [(name, status) for name, status, _, commune in endpoints if commune]
    for status, verb in ((Status.DOWN, "silent"), (Status.DEGRADED, "reporting degraded service")):
        names = [(name or "").removeprefix("Máy chủ ") for name, s in communes if s == status]
        if names:
            shown = ", ".join(names[:COMMUNE_NAMES_SHOWN]) + (f" and {len(names) - COMMUNE_NAMES_SHOWN} more"
                                                              if len(names) > COMMUNE_NAMES_SHOWN else "")
            # without names (the wall's narrow read model has none) only the count
            parts.append(f"{len(names)} of {len(communes)} communes {verb}" + (f": {shown}" if any(names) else ""))
    return "; ".join(parts) or None


def is_stale(last_check_at: datetime | None, interval_s: float, now: datetime, grace_factor: float = 3.0) -> bool:
    """No result for three intervals (and at least a minute) means the state can no longer be trusted."""
    if last_check_at is None:
        return True
    return now - last_check_at > timedelta(seconds=max(60.0, interval_s * grace_factor))


def effective_status(status: str, last_check_at: datetime | None, interval_s: float, now: datetime) -> tuple[str, bool]:
    """(status shown, stale): the stored status, unless results stopped coming — then 'unknown',
    never an old green. Maintenance and unknown are shown as they are."""
    if status in (Status.MAINTENANCE, Status.UNKNOWN):
        return status, False
    if is_stale(last_check_at, interval_s, now):
        return Status.UNKNOWN, True
    return status, False


def shown_system_status(status: str, last_check_at: datetime | None, longest_interval_s: float,
                        any_endpoint_stale: bool, now: datetime) -> tuple[str, bool]:
    """(status shown, stale) of a system, on every page and the wall alike: stale as a whole
    reads 'unknown'; up while one of its endpoints went silent reads 'degraded' (part of it
    can no longer be vouched for)."""
    shown, stale = effective_status(status, last_check_at, longest_interval_s, now)
    if not stale and shown == Status.UP and any_endpoint_stale:
        return Status.DEGRADED, False
    return shown, stale


def incident_action(old: Status, new: Status) -> str | None:
    """What a state change does to the subject's incident: 'open' (trouble begins),
    'escalate' (degraded -> down), 'update' (down -> degraded: still the same incident),
    'close' (back to up, or maintenance takes over), or None."""
    if new in TROUBLE and old not in TROUBLE:
        return "open"
    if new == Status.DOWN and old == Status.DEGRADED:
        return "escalate"
    if new == Status.DEGRADED and old == Status.DOWN:
        return "update"
    if old in TROUBLE and new not in TROUBLE:
        return "close"
    return None


COMMUNE_MARK = "commune_heartbeat"  # in Endpoint.options: one of the per-unit heartbeats


def is_commune_heartbeat(options: dict | None) -> bool:
    return bool((options or {}).get(COMMUNE_MARK))
