"""Uptime figures read from rollups (closed buckets) and raw results (the open edges)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from collectors.timeutil import parse_iso, utcnow
from dashboard.domain.uptime import (
    DAY,
    WINDOWS,
    Counts,
    floor_day,
    floor_hour,
    time_in_status,
    time_uptime_percent,
    uptime_percent,
)
from dashboard.store.models import CheckResult, Endpoint, Rollup, RuntimeState, StateEvent, Status

DONE_KEYS = {"hour": "rollup.hour.done_until", "day": "rollup.day.done_until"}


def done_until(session: Session, period: str) -> datetime | None:
    row = session.get(RuntimeState, DONE_KEYS[period])
    return parse_iso(row.value) if row is not None and row.value else None


# ---------------------------------------------------------------------------- uptime


def _rollup_counts(session: Session, period: str, start: datetime, end: datetime, endpoint_ids) -> dict[str, Counts]:
    if start >= end:
        return {}
    query = (
        select(Rollup.endpoint_id, func.sum(Rollup.checks), func.sum(Rollup.failures), func.sum(Rollup.degraded),
               func.sum(Rollup.missed), func.sum(Rollup.maintenance))
        .where(Rollup.period == period, Rollup.bucket_start >= start, Rollup.bucket_start < end)
        .group_by(Rollup.endpoint_id)
    )
    if endpoint_ids is not None:
        query = query.where(Rollup.endpoint_id.in_(endpoint_ids))
    return {row[0]: Counts(*(int(v or 0) for v in row[1:])) for row in session.execute(query)}


def _raw_counts(session: Session, start: datetime, end: datetime, endpoint_ids) -> dict[str, Counts]:
    if start >= end:
        return {}
    made = CheckResult.missed.is_(False)
    outside = made & CheckResult.maintenance.is_(False)
    query = (
        select(
            Endpoint.id,
            func.sum(case((made, 1), else_=0)),
            func.sum(case((outside & (CheckResult.verdict == str(Status.DOWN)), 1), else_=0)),
            func.sum(case((outside & (CheckResult.verdict == str(Status.DEGRADED)), 1), else_=0)),
            func.sum(case((CheckResult.missed.is_(True), 1), else_=0)),
            func.sum(case((made & CheckResult.maintenance.is_(True), 1), else_=0)),
        )
        .join(Endpoint, Endpoint.key == CheckResult.endpoint_key)
        .where(CheckResult.checked_at >= start, CheckResult.checked_at < end)
        .group_by(Endpoint.id)
    )
    if endpoint_ids is not None:
        query = query.where(Endpoint.id.in_(endpoint_ids))
    return {row[0]: Counts(*(int(v or 0) for v in row[1:])) for row in session.execute(query)}


def counts_between(session: Session, start: datetime, end: datetime, endpoint_ids=None) -> dict[str, Counts]:
    """Check counts per endpoint in [start, end) (start on an hour), from the cheapest source:
    daily rollups for whole rolled-up days, hourly rollups for rolled-up hours, raw results
    for the rest."""
    hours_to = min(max(done_until(session, "hour") or start, start), end)  # hours before this are rolled up
    days_to = min(done_until(session, "day") or start, hours_to)  # days before this are rolled up
    first_full_day = floor_day(start) if floor_day(start) == start else floor_day(start) + DAY
    if days_to > first_full_day:
        segments = [("hour", start, first_full_day), ("day", first_full_day, days_to), ("hour", days_to, hours_to)]
    else:
        segments = [("hour", start, hours_to)]
    segments.append(("raw", hours_to, end))
    total: dict[str, Counts] = {}
    for source, seg_start, seg_end in segments:
        part = (_raw_counts(session, seg_start, seg_end, endpoint_ids) if source == "raw"
                else _rollup_counts(session, source, seg_start, seg_end, endpoint_ids))
        for endpoint_id, counts in part.items():
            total.setdefault(endpoint_id, Counts()).add(counts)
    return total


def endpoint_uptimes(session: Session, endpoint_ids=None, now: datetime | None = None) -> dict[str, dict[str, float | None]]:
    """{endpoint_id: {"24h": %, "7d": %, "30d": %}} (None where nothing was counted)."""
    now = now or utcnow()
    figures: dict[str, dict[str, float | None]] = {}
    for label, length in WINDOWS.items():
        for endpoint_id, counts in counts_between(session, floor_hour(now - length), now, endpoint_ids).items():
            figures.setdefault(endpoint_id, {k: None for k in WINDOWS})[label] = uptime_percent(counts)
    return figures


def missed_counts(session: Session, endpoint_ids=None, now: datetime | None = None,
                  window: timedelta = WINDOWS["24h"]) -> dict[str, int]:
    """Checks that could not start on time, per endpoint, over the window (made visible)."""
    now = now or utcnow()
    return {k: c.missed for k, c in counts_between(session, floor_hour(now - window), now, endpoint_ids).items()}


def subject_uptimes(session: Session, subject_type: str, subject_ids: list[str], now: datetime | None = None) -> dict[str, dict[str, float | None]]:
    """Time-based uptime of systems or links over 24 h, 7 d and 30 d, from their state changes."""
    now = now or utcnow()
    start = now - max(WINDOWS.values())
    events: dict[str, list[tuple[datetime, str]]] = {}
    for subject_id, at, new_status in session.execute(
        select(StateEvent.subject_id, StateEvent.at, StateEvent.new_status)
        .where(StateEvent.subject_type == subject_type, StateEvent.subject_id.in_(subject_ids), StateEvent.at >= start)
        .order_by(StateEvent.at, StateEvent.id)
    ):
        events.setdefault(subject_id, []).append((at, new_status))
    initial = status_before(session, subject_type, subject_ids, start)
    figures = {}
    for subject_id in subject_ids:
        figures[subject_id] = {
            label: time_uptime_percent(time_in_status(events.get(subject_id, []), initial.get(subject_id), now - length, now))
            for label, length in WINDOWS.items()
        }
    return figures


def status_before(session: Session, subject_type: str, subject_ids: list[str], at: datetime) -> dict[str, str]:
    latest = (
        select(StateEvent.subject_id, func.max(StateEvent.id).label("last_id"))
        .where(StateEvent.subject_type == subject_type, StateEvent.subject_id.in_(subject_ids), StateEvent.at < at)
        .group_by(StateEvent.subject_id)
        .subquery()
    )
    rows = session.execute(select(StateEvent.subject_id, StateEvent.new_status).join(latest, StateEvent.id == latest.c.last_id))
    return {subject_id: status for subject_id, status in rows}
