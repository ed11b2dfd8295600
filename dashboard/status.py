"""The only place that decides a state. Pure rules first (tests call them directly), then
`record_results`, which stores raw results and applies the rules to endpoints, links and systems.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.base import CheckResult
from dashboard.models import CheckResult as CheckRow
from dashboard.models import Endpoint, Link, StateEvent, Status, System

FAILING = (Status.DOWN,)


@dataclass(frozen=True)
class Streak:
    status: Status
    failures: int
    successes: int


def next_endpoint_state(
    current: Status, failures: int, successes: int, verdict: Status,
    failures_before_down: int, successes_before_up: int,
) -> Streak:
    """Flap damping in both directions. A 'down' verdict counts as a failure, 'up' and
    'degraded' as a success (degraded is reachable); the first verdict after 'unknown'
    is taken as it is, since there is no earlier state to protect."""
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
    down; any other trouble makes it degraded; no checked endpoint leaves it unknown."""
    if not endpoints:
        return Status.UNKNOWN
    statuses = [s for s, _ in endpoints]
    if all(s == Status.MAINTENANCE for s in statuses):
        return Status.MAINTENANCE
    checked = [(s, c) for s, c in endpoints if s not in (Status.UNKNOWN, Status.MAINTENANCE)]
    if not checked:
        return Status.UNKNOWN
    if any(s == Status.DOWN and critical for s, critical in checked):
        return Status.DOWN
    if any(s in (Status.DOWN, Status.DEGRADED) for s, _ in checked):
        return Status.DEGRADED
    return Status.UP


def is_stale(last_check_at: datetime | None, interval_s: float, now: datetime, grace_factor: float = 3.0) -> bool:
    """No result for three intervals (and at least a minute) means the state can no longer be trusted."""
    if last_check_at is None:
        return True
    return now - last_check_at > timedelta(seconds=max(60.0, interval_s * grace_factor))


def record_results(session: Session, results: list[CheckResult]) -> list[StateEvent]:
    """Store results, update endpoint streaks and states, then roll up links and systems."""
    events: list[StateEvent] = []
    touched_systems: set[str] = set()
    for result in sorted(results, key=lambda r: r.checked_at):
        endpoint = session.get(Endpoint, result.endpoint_id)
        if endpoint is None:
            continue  # removed from the catalog while the probe ran
        session.add(CheckRow(
            endpoint_id=endpoint.id, checked_at=result.checked_at, verdict=result.verdict,
            latency_ms=result.latency_ms, http_code=result.http_code, reason=result.reason,
            detail=result.detail or None,
        ))
        streak = next_endpoint_state(
            Status(endpoint.status), endpoint.consecutive_failures, endpoint.consecutive_successes,
            result.verdict, endpoint.failures_before_down, endpoint.successes_before_up,
        )
        endpoint.consecutive_failures = streak.failures
        endpoint.consecutive_successes = streak.successes
        endpoint.last_check_at = result.checked_at
        endpoint.last_verdict = result.verdict
        endpoint.last_latency_ms = result.latency_ms
        endpoint.last_http_code = result.http_code
        endpoint.last_reason = result.reason
        if streak.status != endpoint.status:
            events.append(_change(session, "endpoint", endpoint, streak.status, result.reason, result.checked_at))
        if streak.status == endpoint.status and streak.status != Status.UP:
            endpoint.status_reason = result.reason
        touched_systems.add(endpoint.system_id)

    for system_id in touched_systems:
        events.extend(refresh_system(session, system_id))
    session.flush()
    return events


def refresh_system(session: Session, system_id: str) -> list[StateEvent]:
    system = session.get(System, system_id)
    events: list[StateEvent] = []
    endpoints = [e for e in session.scalars(select(Endpoint).where(Endpoint.system_id == system_id)) if e.active]
    by_id = {e.id: e for e in endpoints}
    for link in session.scalars(select(Link).where(Link.system_id == system_id, Link.active.is_(True))):
        source = by_id.get(link.endpoint_id) if link.endpoint_id else None
        if source is None:
            continue
        link.last_check_at = source.last_check_at
        link.last_reason = source.status_reason if source.status != Status.UP else source.last_reason
        if source.status != link.status:
            events.append(_change(session, "link", link, Status(source.status), link.last_reason, source.last_check_at))
    new_status = system_status([(Status(e.status), e.critical) for e in endpoints])
    last = max((e.last_check_at for e in endpoints if e.last_check_at), default=None)
    system.last_check_at = last
    if new_status != system.status:
        reasons = [f"{e.name}: {e.status_reason}" for e in endpoints if e.status in (Status.DOWN, Status.DEGRADED)]
        events.append(_change(session, "system", system, new_status, "; ".join(reasons) or None, last))
    return events


def _change(session: Session, subject_type: str, row, new_status: Status, reason: str | None, at: datetime | None) -> StateEvent:
    from dashboard.timeutil import utcnow

    at = at or utcnow()
    event = StateEvent(subject_type=subject_type, subject_id=row.id, at=at,
                       old_status=row.status, new_status=new_status, reason=reason)
    session.add(event)
    row.status = new_status
    row.status_since = at
    if hasattr(row, "status_reason"):
        row.status_reason = reason if new_status != Status.UP else None
    return event
