"""Availability per system over a month (or any period): pure rules.

- The period is the local (Vietnam) calendar month, cut at `now` while it is running.
- Planned maintenance is taken out of the period (neither up nor down time).
- Downtime: the system-level incidents whose severity is (or became) "down", clipped to the
  period, minus maintenance. A "degraded" incident is not downtime.
- uptime % = 1 − downtime ÷ (period − maintenance); MTTR = mean duration of the incidents that
  ended within the period; MTBF = up time ÷ number of incidents that started in the period.
- Target: the system's `sla` (percent), default DEFAULT_SLA; behind target when uptime < target.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from dateutil.rrule import rrulestr

DEFAULT_SLA = 99.5
VN_TZ = timezone(timedelta(hours=7))
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")

Interval = tuple[datetime, datetime]


class BadPeriod(ValueError):
    """A period that cannot be read; the message says what is expected."""


def month_bounds(text: str) -> tuple[datetime, datetime]:
    """'2026-11' → the local month's start and end, in UTC."""
    match = MONTH_RE.match((text or "").strip())
    if not match:
        raise BadPeriod(f"month {text!r} is not valid: expected YYYY-MM, e.g. 2026-11")
    year, month = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise BadPeriod(f"month {text!r} is not valid: the month must be 01–12 and the year 2000–2100")
    start = datetime(year, month, 1, tzinfo=VN_TZ)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=VN_TZ)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def merge(intervals: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def clip(intervals: list[Interval], start: datetime, end: datetime) -> list[Interval]:
    return merge([(max(a, start), min(b, end)) for a, b in intervals if b > start and a < end])


def subtract(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
    out = []
    holes = merge(holes)
    for a, b in merge(intervals):
        cursor = a
        for h0, h1 in holes:
            if h1 <= cursor or h0 >= b:
                continue
            if h0 > cursor:
                out.append((cursor, h0))
            cursor = max(cursor, h1)
        if cursor < b:
            out.append((cursor, b))
    return out


def seconds(intervals: list[Interval]) -> float:
    return sum((b - a).total_seconds() for a, b in intervals)


def maintenance_occurrences(starts_at: datetime, ends_at: datetime | None, rrule: str | None, duration_s: float | None,
                            cancelled_at: datetime | None, start: datetime, end: datetime) -> list[Interval]:
    """The occurrences of a maintenance window within [start, end)."""
    stop = min(end, cancelled_at) if cancelled_at else end
    if not rrule:
        return clip([(starts_at, ends_at or starts_at)], start, stop)
    length = timedelta(seconds=duration_s or 0)
    rule = rrulestr(rrule, dtstart=starts_at)
    until = min(stop, ends_at) if ends_at else stop
    found = [(s, s + length) for s in rule.between(start - length, until, inc=True)]
    return clip(found, start, stop)


@dataclass(frozen=True)
class Availability:
    period_s: float  # the period less maintenance
    maintenance_s: float
    downtime_s: float
    incidents: int
    uptime_percent: float | None
    mttr_s: float | None
    mtbf_s: float | None
    target_percent: float
    behind: bool


def availability(incidents: list[tuple[datetime, datetime | None]], maintenance: list[Interval], start: datetime,
                 end: datetime, now: datetime, target: float | None = None) -> Availability:
    """`incidents`: (started, ended or None while open) of the system's down incidents."""
    target = DEFAULT_SLA if target is None else target
    end = min(end, now)
    if end <= start:
        return Availability(0.0, 0.0, 0.0, 0, None, None, None, target, False)
    holes = clip(maintenance, start, end)
    period = seconds(subtract([(start, end)], holes))
    down = subtract(clip([(s, e or end) for s, e in incidents], start, end), holes)
    downtime = seconds(down)
    started = [(s, e) for s, e in incidents if start <= s < end]
    repaired = [(e - s).total_seconds() for s, e in incidents if e is not None and start <= e < end]
    uptime = round(100.0 * (1 - downtime / period), 3) if period > 0 else None
    return Availability(
        period_s=period, maintenance_s=seconds(holes), downtime_s=downtime, incidents=len(started),
        uptime_percent=uptime,
        mttr_s=sum(repaired) / len(repaired) if repaired else None,
        mtbf_s=(period - downtime) / len(started) if started else None,
        target_percent=target, behind=uptime is not None and uptime < target,
    )
