"""What a technician can do from a drill-down page: check now, acknowledge an
incident, schedule maintenance. Each action passes `permissions.require` first, and each is
one small adapter so that wiring it to the collector / maintenance modules is a one-line change.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.auth import audit
from dashboard.auth.permissions import require
from dashboard.domain.agents import CENTRAL
from dashboard.domain.limits import TextTooLong, check_text, limit_of
from dashboard.domain.maintenance import MAX_DURATION, MaintenanceError
from dashboard.monitoring.maintenance import create_window
from dashboard.store.models import CheckRequest, Endpoint, Incident

MAX_COMMENT_CHARS = limit_of("incident.ack_comment")


class ActionError(ValueError):
    """An action that cannot be done; the message says why in plain words."""


def _who(user: str | None) -> str | None:
    # the signed-in principal when the caller names nobody
    from dashboard.auth.permissions import current_user_name

    return user or current_user_name()


def request_check(session: Session, endpoint_id: str, requested_by: str | None = None) -> CheckRequest:
    """Ask the collector, wherever it runs, to check this endpoint now (within a second or two)."""
    if session.get(Endpoint, endpoint_id) is None:
        raise KeyError(f"no endpoint {endpoint_id!r}")
    row = CheckRequest(endpoint_id=endpoint_id, requested_at=utcnow(), requested_by=requested_by)
    session.add(row)
    session.flush()
    return row


def take_check_requests(session: Session, vantage: str = CENTRAL) -> list[str]:
    """Claim the pending check-now requests of one vantage's endpoints (marks them picked): the
    central collector's, or a remote agent's (handed over with its next batch's answer)."""
    rows = session.scalars(
        select(CheckRequest).join(Endpoint, Endpoint.id == CheckRequest.endpoint_id)
        .where(CheckRequest.picked_at.is_(None), Endpoint.vantage == vantage).order_by(CheckRequest.id)).all()
    now = utcnow()
    for row in rows:
        row.picked_at = now
    return list(dict.fromkeys(row.endpoint_id for row in rows))


def check_now(session: Session, endpoint_ids: list[str], user: str | None = None, via: str = "page") -> list[CheckRequest]:
    """Ask the collector, wherever it runs, to check these endpoints now (a CheckRequest each,
    picked up by dashboard.monitoring.collector within a second or two)."""
    require("check_now", user)
    user = _who(user)
    known = sorted(set(session.scalars(select(Endpoint.id).where(Endpoint.id.in_(endpoint_ids), Endpoint.active.is_(True)))))
    if not known:
        raise ActionError("no active endpoint to check")
    rows = [request_check(session, endpoint_id, requested_by=user) for endpoint_id in known]
    audit.record(session, user, "endpoint.check_now", ",".join(known)[:255], {"via": via})
    return rows


def acknowledge(session: Session, incident_id: int, comment: str, user: str | None = None,
                now: datetime | None = None) -> Incident:
    """Mark an incident as seen and being handled, with a comment saying what is being done."""
    require("acknowledge", user)
    user = _who(user)
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise ActionError(f"no incident {incident_id}")
    comment = (comment or "").strip()
    if not comment:
        raise ActionError("write a comment: what is being done about it")
    try:
        check_text("incident.ack_comment", comment)
    except TextTooLong as exc:
        raise ActionError(str(exc)) from None
    incident.acknowledged_at = now or utcnow()
    incident.acknowledged_by = user
    incident.ack_comment = comment
    session.flush()
    audit.record(session, user, "incident.acknowledge", f"incident:{incident_id}",
                 {"subject": f"{incident.subject_type}:{incident.subject_id}", "comment": comment})
    return incident


def schedule_maintenance(session: Session, *, reason: str, starts_at: datetime, duration: timedelta,
                         system_id: str | None = None, endpoint_id: str | None = None,
                         user: str | None = None, now: datetime | None = None):
    """Plan a one-off maintenance window for a system or one endpoint."""
    require("schedule_maintenance", user)
    user = _who(user)
    if not timedelta(0) < duration <= MAX_DURATION:
        raise ActionError(f"Thời gian bảo trì phải từ 1 giây đến {MAX_DURATION.days} ngày. · "
                          f"A maintenance window lasts between 1 second and {MAX_DURATION.days} days.")
    try:
        window = create_window(session, reason=reason, starts_at=starts_at, ends_at=starts_at + duration,
                               system_id=system_id, endpoint_id=endpoint_id, created_by=user, now=now)
    except MaintenanceError as exc:
        raise ActionError(str(exc)) from None
    audit.record(session, user, "maintenance.create", system_id or endpoint_id,
                 {"starts_at": starts_at.isoformat(), "hours": duration.total_seconds() / 3600, "reason": reason})
    return window


MAX_PUBLIC_NOTE_CHARS = 1000


def set_public_note(session: Session, incident_id: int, note: str | None, user: str | None = None) -> Incident:
    """What the public status page says about an incident (plain words for citizens and agencies;
    never causes or addresses). An empty note removes it."""
    require("acknowledge", user)
    user = _who(user)
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise ActionError(f"no incident {incident_id}")
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_PUBLIC_NOTE_CHARS:
        raise ActionError(f"the public note is longer than {MAX_PUBLIC_NOTE_CHARS} characters ({len(note)})")
    incident.public_note = note
    session.flush()
    audit.record(session, user, "incident.public_note", f"incident:{incident_id}", {"note": note})
    return incident
