"""Storing check results: `record_results` stores raw results and applies the rules of
dashboard.domain.status to endpoints, links and systems, records every change as a StateEvent
and opens / closes incidents. The only writer of current states."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from collectors.base import CheckResult
from collectors.timeutil import utcnow
from dashboard.domain.maintenance import MaintenanceIndex
from dashboard.domain.status import (
    TROUBLE,
    FlapSettings,
    FlapState,
    apply_flapping,
    flap_reason,
    incident_action,
    is_commune_heartbeat,
    next_endpoint_state,
    next_flap_state,
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
    session.flush()  # the states are read with Core below: what the caller changed through the ORM first
    ids = {r.endpoint_id for r in results}
    endpoints = _load_states(session, ids)
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
        rows.append({
            "endpoint_id": endpoint.id, "checked_at": result.checked_at, "verdict": str(result.verdict),
            "latency_ms": result.latency_ms, "http_code": result.http_code, "reason": result.reason,
            "detail": _raw_detail(result), "missed": result.missed, "maintenance": window is not None,
        })
        if result.missed:
            continue
        previous = Status(endpoint.last_verdict) if endpoint.last_verdict else None
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
        if streak.status != endpoint.status:
            events.append(_change(session, "endpoint", endpoint, streak.status, reason, result.checked_at, endpoint.system_id))
            changed_systems.add(endpoint.system_id)
        elif flapping.flapping:
            if endpoint.status_reason != reason:
                endpoint.status_reason = reason
                _touch_incident(session, "endpoint", endpoint.id, reason)
        elif streak.status != Status.UP and result.verdict != Status.UP and endpoint.status_reason != result.reason:
            # (a success while still damped 'down' keeps the failure as the reason)
            endpoint.status_reason = result.reason
            if streak.status in TROUBLE:
                _touch_incident(session, "endpoint", endpoint.id, result.reason)
    if rows:
        session.execute(insert(CheckRow.__table__), rows)  # Core executemany: no ORM objects per row
    _write_states(session, endpoints.values())
    if changed_systems:
        events.extend(refresh_systems(session, changed_systems))
    _touch_links_and_systems(session, [e for e in endpoints.values() if e.system_id in touched_systems - changed_systems])
    session.flush()
    return events


# ---------------------------------------------------------------------------- endpoint states, in bulk
#
# Every result moves its endpoint's state (last check, streaks, reason…). Loading each endpoint as
# an ORM object and letting the unit of work flush it cost more CPU than the probe itself at
# 10,000 endpoints; the rules above only need the columns as attributes, so the states are read
# with one Core SELECT and what the rules changed is written back with one executemany UPDATE
# per set of changed columns.

_STATE_SKIPPED = ("options", "last_detail")  # large JSON the rules never read (last_detail is only written)


class _EndpointState:
    """An endpoint row's columns as plain attributes; remembers which ones were assigned a
    different value (`_changed`), so that only those are written back."""

    def __init__(self, values: dict) -> None:
        self.__dict__.update(values)
        self.__dict__["_changed"] = set()

    def __setattr__(self, key: str, value) -> None:
        if key not in self.__dict__ or self.__dict__[key] != value:
            self.__dict__[key] = value
            self._changed.add(key)


def _load_states(session: Session, ids: set[str]) -> dict[str, _EndpointState]:
    table = Endpoint.__table__
    columns = [c for c in table.c if c.key not in _STATE_SKIPPED]
    return {row.id: _EndpointState(dict(row._mapping))
            for row in session.execute(select(*columns).where(table.c.id.in_(ids)))}


def _write_states(session: Session, states) -> None:
    table = Endpoint.__table__
    groups: dict[tuple, list[dict]] = {}
    for state in states:
        if state._changed:
            keys = tuple(sorted(state._changed))
            groups.setdefault(keys, []).append({"_id": state.id, **{k: state.__dict__[k] for k in keys}})
            state._changed.clear()
    for _keys, params in groups.items():
        session.execute(update(table).where(table.c.id == bindparam("_id")), params)
    if groups:
        # an ORM Endpoint the caller holds in this session must not keep the old state
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Endpoint):
                session.expire(obj)


def _touch_links_and_systems(session: Session, endpoints: list[_EndpointState]) -> None:
    """No status changed: only the last-check times (and a link's latest reason) move on."""
    if not endpoints:
        return
    latest: dict[str, datetime] = {}
    for e in endpoints:
        if e.last_check_at and (e.system_id not in latest or e.last_check_at > latest[e.system_id]):
            latest[e.system_id] = e.last_check_at
    if latest:
        systems = System.__table__
        session.execute(
            update(systems)
            .where(systems.c.id == bindparam("_id"),
                   or_(systems.c.last_check_at.is_(None), systems.c.last_check_at < bindparam("_at")))
            .values(last_check_at=bindparam("_at")),
            [{"_id": system_id, "_at": at} for system_id, at in latest.items()],
        )
    by_id = {e.id: e for e in endpoints}
    links = Link.__table__
    linked = session.execute(
        select(links.c.id, links.c.endpoint_id).where(and_(links.c.endpoint_id.in_(by_id), links.c.active.is_(True)))
    ).all()
    if linked:
        session.execute(
            update(links).where(links.c.id == bindparam("_id")),
            [{"_id": link_id, "last_check_at": by_id[endpoint_id].last_check_at,
              "last_reason": by_id[endpoint_id].status_reason if by_id[endpoint_id].status != Status.UP
              else by_id[endpoint_id].last_reason}
             for link_id, endpoint_id in linked],
        )
    # an ORM System or Link the caller holds in this session must not keep the old times
    for obj in list(session.identity_map.values()):
        if isinstance(obj, (Link, System)):
            session.expire(obj)


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
