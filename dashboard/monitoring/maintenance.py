"""Creating and cancelling maintenance windows (pages and the API call these)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.auth import audit
from dashboard.auth.permissions import current_user_name, require
from dashboard.domain.limits import TextTooLong, check_text
from dashboard.domain.maintenance import (
    MAX_DURATION,
    MaintenanceError,
    WindowSpec,
    as_input,
    check_rrule,
    merge_patch,
    window_fields,
)
from dashboard.store.models import Endpoint, MaintenanceWindow, System


def create_window(
    session: Session, *, reason: str, starts_at: datetime, ends_at: datetime | None = None,
    system_id: str | None = None, endpoint_id: str | None = None, rrule: str | None = None,
    duration_s: float | None = None, created_by: str | None = None, now: datetime | None = None,
) -> MaintenanceWindow:
    """Plan maintenance for one endpoint or a whole system. Raises MaintenanceError with a
    plain reason when the window makes no sense."""
    if bool(system_id) == bool(endpoint_id):
        raise MaintenanceError("a maintenance window covers either one system or one endpoint")
    if system_id and session.get(System, system_id) is None:
        raise MaintenanceError(f"no system {system_id!r}")
    if endpoint_id and session.get(Endpoint, endpoint_id) is None:
        raise MaintenanceError(f"no endpoint {endpoint_id!r}")
    if not reason or not reason.strip():
        raise MaintenanceError("say why: a maintenance window needs a reason")
    try:
        check_text("maintenance.reason", reason)
    except TextTooLong as exc:
        raise MaintenanceError(str(exc)) from None
    if starts_at.tzinfo is None or (ends_at is not None and ends_at.tzinfo is None):
        raise MaintenanceError("times must carry a time zone (UTC or +07:00)")
    if rrule:
        check_rrule(rrule, starts_at, duration_s)
    else:
        if ends_at is None or ends_at <= starts_at:
            raise MaintenanceError("a one-off window needs an end after its start")
        if ends_at - starts_at > MAX_DURATION:
            raise MaintenanceError("a one-off window lasts 31 days at most")
        duration_s = (ends_at - starts_at).total_seconds()
    window = MaintenanceWindow(
        system_id=system_id, endpoint_id=endpoint_id, starts_at=starts_at, ends_at=ends_at, rrule=rrule or None,
        duration_s=duration_s, reason=reason.strip(), created_by=created_by, created_at=now or utcnow(),
    )
    session.add(window)
    session.flush()
    return window


def cancel_window(session: Session, window_id: int, now: datetime | None = None) -> MaintenanceWindow:
    """End a window now (or call it off before it starts). Checks already made inside it keep
    their maintenance mark."""
    window = session.get(MaintenanceWindow, window_id)
    if window is None:
        raise MaintenanceError(f"no maintenance window {window_id}")
    if window.cancelled_at is None:
        window.cancelled_at = now or utcnow()
    session.flush()
    return window


# --- planning from the page, the API and the catalog: validated input, permission, audit


def _check_subject(session: Session, fields: dict) -> None:
    if fields["system_id"] and session.get(System, fields["system_id"]) is None:
        raise MaintenanceError(f"system: no system {fields['system_id']!r}")
    if fields["endpoint_id"] and session.get(Endpoint, fields["endpoint_id"]) is None:
        raise MaintenanceError(f"endpoint: no endpoint {fields['endpoint_id']!r}")


def plan(session: Session, data: object, user: str | None = None, now: datetime | None = None,
         via: str = "page") -> MaintenanceWindow:
    """Create a one-off or recurring window from its input description (see window_fields)."""
    require("schedule_maintenance")
    now = now or utcnow()
    fields = window_fields(data, now)
    _check_subject(session, fields)
    who = current_user_name() or user
    window = MaintenanceWindow(**fields, created_by=who, created_at=now)
    session.add(window)
    session.flush()
    audit.record(session, who, "maintenance.create", f"maintenance:{window.id}",
                 {"subject": fields["system_id"] or fields["endpoint_id"], "rrule": fields["rrule"], "via": via})
    return window


def edit(session: Session, window_id: int, patch: object, user: str | None = None, now: datetime | None = None,
         via: str = "page") -> MaintenanceWindow:
    """Change a window that is not cancelled: the changed fields are merged and the whole
    window validated again."""
    require("schedule_maintenance")
    window = session.get(MaintenanceWindow, window_id)
    if window is None:
        raise LookupError(f"no maintenance window {window_id}")
    if window.cancelled_at is not None:
        raise MaintenanceError("the window is cancelled: plan a new one")
    fields = window_fields(merge_patch(as_input(WindowSpec.of(window)), patch), now or utcnow())
    _check_subject(session, fields)
    for key, value in fields.items():
        setattr(window, key, value)
    session.flush()
    who = current_user_name() or user
    audit.record(session, who, "maintenance.edit", f"maintenance:{window.id}",
                 {"changed": sorted(patch) if isinstance(patch, dict) else [], "via": via})
    return window


def cancel(session: Session, window_id: int, user: str | None = None, now: datetime | None = None,
           via: str = "page") -> MaintenanceWindow:
    require("schedule_maintenance")
    if session.get(MaintenanceWindow, window_id) is None:
        raise LookupError(f"no maintenance window {window_id}")
    window = cancel_window(session, window_id, now=now)
    who = current_user_name() or user
    audit.record(session, who, "maintenance.cancel", f"maintenance:{window.id}", {"via": via})
    return window


def plan_in(db, data: object) -> int:
    with db.session() as session:
        return plan(session, data).id


def edit_in(db, window_id: int, patch: object) -> None:
    with db.session() as session:
        edit(session, window_id, patch)


def cancel_in(db, window_id: int) -> None:
    with db.session() as session:
        cancel(session, window_id)


# --- window edges: a window takes effect at its start and end, not at the next check


def apply_edges(session: Session, now: datetime | None = None) -> list:
    """Put the endpoints whose window has started into maintenance, and take those whose
    window has ended out of it (to 'unknown': the next check decides, taken as it is), then
    judge their systems again. Run by the collector at every minute boundary (form-made
    windows start and end on whole minutes); harmless to run at any time. Returns the
    state changes made."""
    from dashboard.monitoring.results import _change, refresh_systems
    from dashboard.readmodels.maintenance import load_index
    from dashboard.store.models import Status

    now = now or utcnow()
    index = load_index(session)
    events, changed = [], set()
    query = select(Endpoint).where(Endpoint.active.is_(True))
    if not index:
        query = query.where(Endpoint.status == Status.MAINTENANCE)
    for endpoint in session.scalars(query):
        window = index.window_for(endpoint.id, endpoint.system_id, now) if index else None
        if window is not None and endpoint.status != Status.MAINTENANCE:
            events.append(_change(session, "endpoint", endpoint, Status.MAINTENANCE, f"maintenance: {window.reason}",
                                  now, endpoint.system_id, {"code": "maintenance", "params": {"reason": window.reason}}))
        elif window is None and endpoint.status == Status.MAINTENANCE:
            events.append(_change(session, "endpoint", endpoint, Status.UNKNOWN,
                                  "maintenance over: waiting for the next check", now, endpoint.system_id,
                                  {"code": "maintenance_over", "params": {}}))
        else:
            continue
        endpoint.consecutive_failures = endpoint.consecutive_successes = 0
        changed.add(endpoint.system_id)
    if changed:
        events.extend(refresh_systems(session, changed, at=now))
    session.flush()
    return events
