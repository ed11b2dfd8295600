"""Storing check results: `record_results` stores raw results and applies the rules of
dashboard.domain.status to endpoints, links and systems, records every change as a StateEvent
and opens / closes incidents. The only writer of current states."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, defer

from collectors.base import CheckResult
from collectors.timeutil import utcnow
from dashboard.domain.maintenance import MaintenanceIndex
from dashboard.domain.status import (
    TROUBLE,
    FlapSettings,
    FlapState,
    apply_flapping,
    flap_cause,
    flap_reason,
    incident_action,
    is_commune_heartbeat,
    next_endpoint_state,
    next_flap_state,
    system_cause,
    system_reason,
    system_status,
)
from dashboard.readmodels.maintenance import load_index as load_maintenance_index
from dashboard.store.models import CheckResult as CheckRow
from dashboard.store.models import Endpoint, Incident, Link, StateEvent, Status, System

RAW_EXCERPT_CHARS = 500


# ---------------------------------------------------------------------------- storing


def record_results(session: Session, results: list[CheckResult], maintenance: MaintenanceIndex | None = None,
                   flap: FlapSettings | None = None) -> list[StateEvent]:
    """Store a batch of results (one INSERT), update endpoint streaks and states, then links
    and systems. Missed checks are stored but leave states alone; results inside a
    maintenance window put the endpoint in 'maintenance' and are marked so that they count
    neither against uptime nor towards alarms. An endpoint whose verdict keeps flipping is
    'degraded' with a flapping reason (dashboard.domain.status.next_flap_state)."""
    flap = flap or FlapSettings()
    if not results:
        return []
    ids = {r.endpoint_id for r in results}
    endpoints = {e.id: e for e in session.scalars(
        select(Endpoint).where(Endpoint.id.in_(ids)).options(defer(Endpoint.options), defer(Endpoint.last_detail))
    )}
    if maintenance is None:
        maintenance = load_maintenance_index(session)
    events: list[StateEvent] = []
    rows: list[dict] = []
    touched_systems: set[str] = set()  # a result arrived: last check time moves
    changed_systems: set[str] = set()  # an endpoint's status changed: the system is judged again
    for result in sorted(results, key=lambda r: r.checked_at):
        endpoint = endpoints.get(result.endpoint_id)
        if endpoint is None:
            continue  # removed from the catalog while the probe ran
        window = maintenance.window_for(endpoint.id, endpoint.system_id, result.checked_at) if maintenance else None
        row = raw_row(endpoint.key, result, window is not None)
        rows.append(row)
        if result.missed:
            continue
        cause = result.cause_value()
        previous = Status(endpoint.last_verdict) if endpoint.last_verdict else None
        endpoint.last_check_at = result.checked_at
        endpoint.last_verdict = str(result.verdict)
        endpoint.last_latency_ms = result.latency_ms
        endpoint.last_http_code = result.http_code
        endpoint.last_reason = result.reason
        endpoint.last_cause = cause
        if result.detail:
            endpoint.last_detail = result.detail
        touched_systems.add(endpoint.system_id)
        if window is not None:
            endpoint.consecutive_failures = endpoint.consecutive_successes = 0
            reason = f"maintenance: {window.reason}"
            in_words = {"code": "maintenance", "params": {"reason": window.reason}}
            if endpoint.status != Status.MAINTENANCE:
                events.append(_change(session, "endpoint", endpoint, Status.MAINTENANCE, reason, result.checked_at,
                                      endpoint.system_id, in_words))
                changed_systems.add(endpoint.system_id)
                _keep_params(row, result)
            endpoint.status_reason = reason
            endpoint.status_cause = in_words
            continue
        old_flap = FlapState.from_json(endpoint.flap_state)
        flapping = next_flap_state(old_flap, previous, Status(result.verdict), result.checked_at.timestamp(), flap)
        if flapping != old_flap:
            endpoint.flap_state = flapping.to_json()
        streak = apply_flapping(next_endpoint_state(
            Status(endpoint.status), endpoint.consecutive_failures, endpoint.consecutive_successes,
            result.verdict, endpoint.failures_before_down, endpoint.successes_before_up,
        ), flapping)
        endpoint.consecutive_failures = streak.failures
        endpoint.consecutive_successes = streak.successes
        reason = flap_reason(flapping, flap) if flapping.flapping else result.reason
        in_words = flap_cause(flapping, flap) if flapping.flapping else cause
        if streak.status != endpoint.status:
            events.append(_change(session, "endpoint", endpoint, streak.status, reason, result.checked_at,
                                  endpoint.system_id, in_words))
            changed_systems.add(endpoint.system_id)
            _keep_params(row, result)
        elif flapping.flapping:
            if endpoint.status_cause != in_words:
                endpoint.status_reason = reason
                endpoint.status_cause = in_words
                _touch_incident(session, "endpoint", endpoint.id, reason, in_words)
        elif streak.status != Status.UP and result.verdict != Status.UP and endpoint.status_cause != cause:
            # (a success while still damped 'down' keeps the failure as the reason)
            endpoint.status_reason = result.reason
            endpoint.status_cause = cause
            if streak.status in TROUBLE:
                _touch_incident(session, "endpoint", endpoint.id, result.reason, cause)
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
        _follow(link, source)


def _follow(link: Link, source: Endpoint) -> None:
    """A link's latest reason is its endpoint's: the state's cause while in trouble, else the last check's."""
    troubled = source.status != Status.UP
    link.last_reason = source.status_reason if troubled else source.last_reason
    link.last_cause = source.status_cause if troubled else source.last_cause


def raw_row(endpoint_key: int, result: CheckResult, maintenance: bool = False) -> dict:
    """The raw row of one result, lean (see store.models.CheckResult): the cause code always,
    its parameters only for a result that is not a plain 'up' (a state change adds them back,
    `_keep_params`), the detail only for a failure. A result without a code keeps its text."""
    up = result.verdict == Status.UP and not result.missed
    return {
        "endpoint_key": endpoint_key, "checked_at": result.checked_at, "verdict": str(result.verdict),
        "latency_ms": result.latency_ms, "http_code": result.http_code,
        "cause": result.cause, "params": None if up or not result.params else dict(result.params),
        "reason": None if result.cause else result.reason,
        "detail": _raw_detail(result), "missed": result.missed, "maintenance": maintenance,
        "result_uid": result.result_id,
    }


def _keep_params(row: dict, result: CheckResult) -> None:
    if result.params and row["params"] is None:
        row["params"] = dict(result.params)


def _raw_detail(result: CheckResult) -> dict | None:
    """What a raw row keeps of the probe's detail: nothing for a plain 'up' (the DB stays small:
    the latest detail is on the endpoint); for a failure, the probe's own English words (the
    technician's raw error) and a short excerpt of what the target answered."""
    if result.verdict == Status.UP or result.missed:
        return None
    detail = dict(result.detail or {})
    excerpt = detail.get("excerpt")
    if isinstance(excerpt, str) and len(excerpt) > RAW_EXCERPT_CHARS:
        detail["excerpt"] = excerpt[:RAW_EXCERPT_CHARS] + "…"
    if result.cause and result.reason:
        detail["error"] = result.reason
    return detail or None


def refresh_systems(session: Session, system_ids: set[str], at: datetime | None = None) -> list[StateEvent]:
    """Links follow the endpoint that reports them; systems follow their endpoints. A system's
    change is dated by its latest check, or by `at` when something other than a check changed
    it (a maintenance window's edge, between checks)."""
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
        _follow(link, source)
        if source.status != link.status:
            events.append(_change(session, "link", link, Status(source.status), link.last_reason, source.last_check_at,
                                  link.system_id, link.last_cause))
    for system_id, system in systems.items():
        group = endpoints.get(system_id, [])
        new_status = system_status([(Status(e.status), e.critical) for e in group])
        last = max((e.last_check_at for e in group if e.last_check_at), default=None)
        system.last_check_at = last
        if new_status != system.status:
            reason = system_reason([(e.name, e.status, e.status_reason, is_commune_heartbeat(e.options))
                                    for e in group])
            in_words = system_cause([(e.name, e.status, e.status_cause or _text(e.status_reason),
                                      is_commune_heartbeat(e.options)) for e in group])
            if new_status == Status.MAINTENANCE:
                reason = next((e.status_reason for e in group if e.status_reason), None)
                in_words = next((e.status_cause for e in group if e.status_cause), None)
            events.append(_change(session, "system", system, new_status, reason, at or last, system.id, in_words))
    return events


def _text(reason: str | None) -> dict | None:
    """An endpoint stored before causes had codes: its text, as a cause."""
    return {"code": "text", "params": {"text": reason}} if reason else None


def _change(session: Session, subject_type: str, row, new_status: Status, reason: str | None,
            at: datetime | None, system_id: str, cause: dict | None = None) -> StateEvent:
    """Record a state change. `reason` is the English text (logs, old readers); `cause` the
    same as a code, which pages render in the reader's language."""
    at = at or utcnow()
    old = Status(row.status)
    cause = cause or _text(reason)
    event = StateEvent(subject_type=subject_type, subject_id=row.id, at=at,
                       old_status=old, new_status=new_status, reason=reason, cause=cause)
    session.add(event)
    row.status = new_status
    row.status_since = at
    if hasattr(row, "status_reason"):
        row.status_reason = reason if new_status != Status.UP else None
        row.status_cause = cause if new_status != Status.UP else None
    action = incident_action(old, new_status)
    if action == "open":
        session.add(Incident(subject_type=subject_type, subject_id=row.id, system_id=system_id,
                             severity=str(new_status), started_at=at, cause=reason, last_reason=reason,
                             cause_data=cause, last_cause=cause))
    elif action is not None:
        incident = open_incident(session, subject_type, row.id)
        if incident is not None:
            if action != "close":
                incident.last_reason, incident.last_cause = reason, cause
            if action == "escalate":
                incident.severity = str(Status.DOWN)
            elif action == "close":
                incident.ended_at = at
        elif action in ("escalate", "update"):  # no open incident (e.g. history pruned): start one
            session.add(Incident(subject_type=subject_type, subject_id=row.id, system_id=system_id,
                                 severity=str(new_status), started_at=at, cause=reason, last_reason=reason,
                                 cause_data=cause, last_cause=cause))
    return event


def open_incident(session: Session, subject_type: str, subject_id: str) -> Incident | None:
    session.flush()  # an incident opened earlier in this batch must be found
    return session.scalars(
        select(Incident)
        .where(Incident.subject_type == subject_type, Incident.subject_id == subject_id, Incident.ended_at.is_(None))
        .order_by(Incident.started_at.desc())
        .limit(1)
    ).first()


def _touch_incident(session: Session, subject_type: str, subject_id: str, reason: str, cause: dict | None = None) -> None:
    """Keep the open incident's latest reason current, cheaply: only when it changed."""
    incident = open_incident(session, subject_type, subject_id)
    if incident is not None and (incident.last_reason != reason or incident.last_cause != cause):
        incident.last_reason = reason
        incident.last_cause = cause
