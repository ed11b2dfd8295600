"""Maintenance windows: planned work during which checks still run and are stored, but count
neither against uptime nor raise alarms, and the endpoint (or the whole system) shows
'maintenance'.

A window is one-off (starts_at..ends_at) or recurring: an RFC 5545 RRULE whose first occurrence
is starts_at, each occurrence lasting duration_s; ends_at, if given, ends the series. Times are
UTC (Vietnam has no daylight saving, so "every Sunday 22:00 local" is simply 15:00 UTC).

Pages and the API call `create_window` / `cancel_window`; dashboard.status asks a
`MaintenanceIndex` whether a result falls inside a window.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.rrule import rrulestr
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.models import Endpoint, MaintenanceWindow, System
from dashboard.timeutil import as_utc, utcnow

MAX_DURATION = timedelta(days=31)


class MaintenanceError(ValueError):
    """A window that cannot be created; the message says why in plain words."""


@dataclass(frozen=True)
class WindowSpec:
    """The timing of a window, detached from the database (pure functions take this)."""

    id: int | None
    system_id: str | None
    endpoint_id: str | None
    starts_at: datetime
    ends_at: datetime | None
    rrule: str | None
    duration_s: float | None
    cancelled_at: datetime | None
    reason: str

    @classmethod
    def of(cls, row: MaintenanceWindow) -> WindowSpec:
        return cls(row.id, row.system_id, row.endpoint_id, as_utc(row.starts_at), as_utc(row.ends_at), row.rrule,
                   row.duration_s, as_utc(row.cancelled_at), row.reason)


def occurrence_at(window: WindowSpec, at: datetime) -> tuple[datetime, datetime] | None:
    """The occurrence (start, end) of `window` that covers `at`, or None."""
    if window.cancelled_at is not None and at >= window.cancelled_at:
        return None
    if at < window.starts_at:
        return None
    if not window.rrule:
        if window.ends_at is not None and at < window.ends_at:
            return window.starts_at, window.ends_at
        return None
    if window.ends_at is not None and at >= window.ends_at:
        return None
    rule = _rule(window.rrule, window.starts_at)
    start = rule.before(at, inc=True)
    if start is None:
        return None
    end = start + timedelta(seconds=window.duration_s or 0)
    return (start, end) if at < end else None


def next_occurrence(window: WindowSpec, after: datetime) -> tuple[datetime, datetime] | None:
    """The next occurrence starting after `after` (for 'upcoming maintenance' lists)."""
    if window.cancelled_at is not None:
        return None
    if not window.rrule:
        return (window.starts_at, window.ends_at) if window.starts_at > after else None
    start = _rule(window.rrule, window.starts_at).after(after)
    if start is None or (window.ends_at is not None and start >= window.ends_at):
        return None
    return start, start + timedelta(seconds=window.duration_s or 0)


_rule_cache: dict[tuple[str, datetime], object] = {}


def _rule(text: str, starts_at: datetime):
    key = (text, starts_at)
    rule = _rule_cache.get(key)
    if rule is None:
        rule = rrulestr(text, dtstart=starts_at, cache=True)
        if len(_rule_cache) > 1000:
            _rule_cache.clear()
        _rule_cache[key] = rule
    return rule


class MaintenanceIndex:
    """The windows that are not cancelled, looked up by endpoint and by system."""

    def __init__(self, windows: list[WindowSpec]):
        self.by_endpoint: dict[str, list[WindowSpec]] = {}
        self.by_system: dict[str, list[WindowSpec]] = {}
        for window in windows:
            if window.endpoint_id:
                self.by_endpoint.setdefault(window.endpoint_id, []).append(window)
            elif window.system_id:
                self.by_system.setdefault(window.system_id, []).append(window)

    @classmethod
    def load(cls, session: Session) -> MaintenanceIndex:
        rows = session.scalars(select(MaintenanceWindow).where(MaintenanceWindow.cancelled_at.is_(None))).all()
        return cls([WindowSpec.of(row) for row in rows])

    def window_for(self, endpoint_id: str, system_id: str, at: datetime) -> WindowSpec | None:
        for window in self.by_endpoint.get(endpoint_id, []) + self.by_system.get(system_id, []):
            if occurrence_at(window, at) is not None:
                return window
        return None

    def __bool__(self) -> bool:
        return bool(self.by_endpoint or self.by_system)


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


def windows_for(session: Session, system_id: str, now: datetime | None = None) -> list[dict]:
    """A system's windows (its own and its endpoints'), current and upcoming, for the drill-down."""
    now = now or utcnow()
    endpoint_ids = select(Endpoint.id).where(Endpoint.system_id == system_id)
    rows = session.scalars(
        select(MaintenanceWindow)
        .where((MaintenanceWindow.system_id == system_id) | MaintenanceWindow.endpoint_id.in_(endpoint_ids))
        .where(MaintenanceWindow.cancelled_at.is_(None))
        .order_by(MaintenanceWindow.starts_at)
    ).all()
    views = []
    for row in rows:
        spec = WindowSpec.of(row)
        current = occurrence_at(spec, now)
        upcoming = next_occurrence(spec, now)
        if current is None and upcoming is None:
            continue  # over
        views.append({
            "id": row.id, "system_id": row.system_id, "endpoint_id": row.endpoint_id, "reason": row.reason,
            "rrule": row.rrule, "duration_s": row.duration_s, "active": current is not None,
            "current": [current[0], current[1]] if current else None,
            "next": [upcoming[0], upcoming[1]] if upcoming else None,
            "created_by": row.created_by,
        })
    return views
