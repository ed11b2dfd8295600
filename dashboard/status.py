"""The only place that decides a state. Pure rules first (tests call them directly), then
`record_results`, which stores raw results and applies the rules to endpoints, links and
systems, records every change as a StateEvent and opens / closes incidents.

Verdicts: up, degraded (a soft condition failed), down, unknown (never checked, stale, or a
check that could not start on time), maintenance (inside a maintenance window).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, defer

from collectors.base import CheckResult
from dashboard.maintenance import MaintenanceIndex
from dashboard.models import CheckResult as CheckRow
from dashboard.models import Endpoint, Incident, Link, StateEvent, Status, System
from dashboard.timeutil import utcnow

FAILING = (Status.DOWN,)
TROUBLE = (Status.DOWN, Status.DEGRADED)
DEFAULT_FAILURES_BEFORE_DOWN = 2
DEFAULT_SUCCESSES_BEFORE_UP = 2
RAW_EXCERPT_CHARS = 500


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


# ---------------------------------------------------------------------------- storing


def record_results(session: Session, results: list[CheckResult], maintenance: MaintenanceIndex | None = None) -> list[StateEvent]:
    """Store a batch of results (one INSERT), update endpoint streaks and states, then links
    and systems. Missed checks are stored but leave states alone; results inside a
    maintenance window put the endpoint in 'maintenance' and are marked so that they count
    neither against uptime nor towards alarms."""
    if not results:
        return []
    ids = {r.endpoint_id for r in results}
    endpoints = {e.id: e for e in session.scalars(
        select(Endpoint).where(Endpoint.id.in_(ids)).options(defer(Endpoint.options), defer(Endpoint.last_detail))
    )}
    if maintenance is None:
        maintenance = MaintenanceIndex.load(session)
    events: list[StateEvent] = []
    rows: list[dict] = []
    touched_systems: set[str] = set()  # a result arrived: last check time moves
    changed_systems: set[str] = set()  # an endpoint's status changed: the system is judged again
    for result in sorted(results, key=lambda r: r.checked_at):
        endpoint = endpoints.get(result.endpoint_id)
        if endpoint is None:
            continue  # removed from the catalog while the probe ran
        window = maintenance.window_for(endpoint.id, endpoint.system_id, result.checked_at) if maintenance else None
        rows.append({
            "endpoint_id": endpoint.id, "checked_at": result.checked_at, "verdict": str(result.verdict),
            "latency_ms": result.latency_ms, "http_code": result.http_code, "reason": result.reason,
            "detail": _raw_detail(result), "missed": result.missed, "maintenance": window is not None,
        })
        if result.missed:
            continue
        endpoint.last_check_at = result.checked_at
        endpoint.last_verdict = str(result.verdict)
        endpoint.last_latency_ms = result.latency_ms
        endpoint.last_http_code = result.http_code
        endpoint.last_reason = result.reason
        if result.detail:
            endpoint.last_detail = result.detail
        touched_systems.add(endpoint.system_id)
        if window is not None:
            endpoint.consecutive_failures = endpoint.consecutive_successes = 0
            reason = f"maintenance: {window.reason}"
            if endpoint.status != Status.MAINTENANCE:
                events.append(_change(session, "endpoint", endpoint, Status.MAINTENANCE, reason, result.checked_at, endpoint.system_id))
                changed_systems.add(endpoint.system_id)
            endpoint.status_reason = reason
            continue
        streak = next_endpoint_state(
            Status(endpoint.status), endpoint.consecutive_failures, endpoint.consecutive_successes,
            result.verdict, endpoint.failures_before_down, endpoint.successes_before_up,
        )
        endpoint.consecutive_failures = streak.failures
        endpoint.consecutive_successes = streak.successes
        if streak.status != endpoint.status:
            events.append(_change(session, "endpoint", endpoint, streak.status, result.reason, result.checked_at, endpoint.system_id))
            changed_systems.add(endpoint.system_id)
        elif streak.status != Status.UP and result.verdict != Status.UP and endpoint.status_reason != result.reason:
            # (a success while still damped 'down' keeps the failure as the reason)
            endpoint.status_reason = result.reason
            if streak.status in TROUBLE:
                _touch_incident(session, "endpoint", endpoint.id, result.reason)
    if rows:
        session.execute(insert(CheckRow.__table__), rows)  # Core executemany: no ORM objects per row
    if changed_systems:
        events.extend(refresh_systems(session, changed_systems))
    _touch_links_and_systems(session, [e for e in endpoints.values() if e.system_id in touched_systems - changed_systems])
    session.flush()
    return events


def _touch_links_and_systems(session: Session, endpoints: list[Endpoint]) -> None:
    """No status changed: only the last-check times (and a link's latest reason) move on."""
    if not endpoints:
        return
    latest: dict[str, datetime] = {}
    for e in endpoints:
        if e.last_check_at and (e.system_id not in latest or e.last_check_at > latest[e.system_id]):
            latest[e.system_id] = e.last_check_at
    for system in session.scalars(select(System).where(System.id.in_(latest))):
        if system.last_check_at is None or latest[system.id] > system.last_check_at:
            system.last_check_at = latest[system.id]
    by_id = {e.id: e for e in endpoints}
    for link in session.scalars(select(Link).where(Link.endpoint_id.in_(by_id), Link.active.is_(True))):
        source = by_id[link.endpoint_id]
        link.last_check_at = source.last_check_at
        link.last_reason = source.status_reason if source.status != Status.UP else source.last_reason


def _raw_detail(result: CheckResult) -> dict | None:
    """What a raw row keeps of the probe's detail: nothing for a plain 'up' (the DB stays small:
    the latest detail is on the endpoint), a short excerpt of what a failing target answered."""
    if not result.detail or result.verdict == Status.UP:
        return None
    detail = dict(result.detail)
    excerpt = detail.get("excerpt")
    if isinstance(excerpt, str) and len(excerpt) > RAW_EXCERPT_CHARS:
        detail["excerpt"] = excerpt[:RAW_EXCERPT_CHARS] + "…"
    return detail


def refresh_systems(session: Session, system_ids: set[str]) -> list[StateEvent]:
    """Links follow the endpoint that reports them; systems follow their endpoints."""
    events: list[StateEvent] = []
    systems = {s.id: s for s in session.scalars(select(System).where(System.id.in_(system_ids)))}
    endpoints: dict[str, list[Endpoint]] = {}
    for e in session.scalars(select(Endpoint).where(Endpoint.system_id.in_(system_ids), Endpoint.active.is_(True))):
        endpoints.setdefault(e.system_id, []).append(e)
    by_id = {e.id: e for group in endpoints.values() for e in group}
    for link in session.scalars(select(Link).where(Link.system_id.in_(system_ids), Link.active.is_(True))):
        source = by_id.get(link.endpoint_id) if link.endpoint_id else None
        if source is None:
            continue
        link.last_check_at = source.last_check_at
        link.last_reason = source.status_reason if source.status != Status.UP else source.last_reason
        if source.status != link.status:
            events.append(_change(session, "link", link, Status(source.status), link.last_reason, source.last_check_at, link.system_id))
    for system_id, system in systems.items():
        group = endpoints.get(system_id, [])
        new_status = system_status([(Status(e.status), e.critical) for e in group])
        last = max((e.last_check_at for e in group if e.last_check_at), default=None)
        system.last_check_at = last
        if new_status != system.status:
            reason = system_reason([(e.name, e.status, e.status_reason, is_commune_heartbeat(e.options))
                                    for e in group])
            if new_status == Status.MAINTENANCE:
                reason = next((e.status_reason for e in group if e.status_reason), None)
            events.append(_change(session, "system", system, new_status, reason, last, system.id))
    return events


def is_commune_heartbeat(options: dict | None) -> bool:
    from dashboard.catalog import COMMUNE_MARK

    return bool((options or {}).get(COMMUNE_MARK))


def _change(session: Session, subject_type: str, row, new_status: Status, reason: str | None,
            at: datetime | None, system_id: str) -> StateEvent:
    at = at or utcnow()
    old = Status(row.status)
    event = StateEvent(subject_type=subject_type, subject_id=row.id, at=at,
                       old_status=old, new_status=new_status, reason=reason)
    session.add(event)
    row.status = new_status
    row.status_since = at
    if hasattr(row, "status_reason"):
        row.status_reason = reason if new_status != Status.UP else None
    action = incident_action(old, new_status)
    if action == "open":
        session.add(Incident(subject_type=subject_type, subject_id=row.id, system_id=system_id,
                             severity=str(new_status), started_at=at, cause=reason, last_reason=reason))
    elif action is not None:
        incident = open_incident(session, subject_type, row.id)
        if incident is not None:
            incident.last_reason = reason if action != "close" else incident.last_reason
            if action == "escalate":
                incident.severity = str(Status.DOWN)
            elif action == "close":
                incident.ended_at = at
        elif action in ("escalate", "update"):  # no open incident (e.g. history pruned): start one
            session.add(Incident(subject_type=subject_type, subject_id=row.id, system_id=system_id,
                                 severity=str(new_status), started_at=at, cause=reason, last_reason=reason))
    return event


def open_incident(session: Session, subject_type: str, subject_id: str) -> Incident | None:
    session.flush()  # an incident opened earlier in this batch must be found
    return session.scalars(
        select(Incident)
        .where(Incident.subject_type == subject_type, Incident.subject_id == subject_id, Incident.ended_at.is_(None))
        .order_by(Incident.started_at.desc())
        .limit(1)
    ).first()


def _touch_incident(session: Session, subject_type: str, subject_id: str, reason: str) -> None:
    """Keep the open incident's latest reason current, cheaply: only when it changed."""
    incident = open_incident(session, subject_type, subject_id)
    if incident is not None and incident.last_reason != reason:
        incident.last_reason = reason
