"""Maintenance windows as plain values: when a one-off or recurring (RRULE) window is on,
and an index that answers "is this endpoint in maintenance at this time"."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.rrule import rrulestr

from collectors.timeutil import as_utc

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
    def of(cls, row) -> WindowSpec:
        """From a stored window (any object with the same attributes)."""
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

    def window_for(self, endpoint_id: str, system_id: str, at: datetime) -> WindowSpec | None:
        for window in self.by_endpoint.get(endpoint_id, []) + self.by_system.get(system_id, []):
            if occurrence_at(window, at) is not None:
                return window
        return None

    def __bool__(self) -> bool:
        return bool(self.by_endpoint or self.by_system)
