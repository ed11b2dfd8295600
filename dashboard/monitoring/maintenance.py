"""Creating and cancelling maintenance windows (pages and the API call these)."""
from __future__ import annotations

from datetime import datetime

from dateutil.rrule import rrulestr
from sqlalchemy.orm import Session

from collectors.timeutil import as_utc, utcnow
from dashboard.domain.limits import TextTooLong, check_text
from dashboard.domain.maintenance import MAX_DURATION, MaintenanceError
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
        if not duration_s or duration_s <= 0 or duration_s > MAX_DURATION.total_seconds():
            raise MaintenanceError("a recurring window needs a duration between 1 s and 31 days")
        try:
            first = rrulestr(rrule, dtstart=as_utc(starts_at)).after(as_utc(starts_at), inc=True)
        except (ValueError, TypeError) as exc:
            raise MaintenanceError(f"cannot read the recurrence rule {rrule!r}: {exc}") from None
        if first is None:
            raise MaintenanceError(f"the recurrence rule {rrule!r} never occurs")
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
