"""History: hourly and daily rollups of raw results, retention, and uptime figures.

- Raw results are kept `raw_days` (default 14); hourly rollups `hourly_days` (90); daily
  rollups `daily_days` (1100), so the database stays bounded whatever the run time.
- A bucket is rolled up once it is closed (an hour after its end at most, by the collector's
  job every few minutes); rolling a bucket again replaces its rows with the same figures
  (idempotent). Hourly rollups are computed from raw results; daily ones from the hourly
  rollups (sums, weighted average and maximum are exact; the day's p95 is the check-weighted
  95th percentile of the hourly p95 values, an approximation).
- Uptime of an endpoint = checks that were not 'down' / checks counted, where checks inside
  a maintenance window and missed checks are not counted. It reads daily rollups, then
  hourly rollups, then raw results for what is not rolled up yet: cheap for any window.
- Uptime of a system or a link = time not 'down' / time observed, from its state changes
  (StateEvent), leaving out time in maintenance and unknown.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from dashboard.models import CheckRequest, CheckResult, Incident, Rollup, RuntimeState, StateEvent, Status
from dashboard.timeutil import parse_iso, iso, utcnow

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
DONE_KEYS = {"hour": "rollup.hour.done_until", "day": "rollup.day.done_until"}
SETTLE = timedelta(minutes=2)  # results of a closed hour may still be in the writer's queue


# ---------------------------------------------------------------------------- pure functions


def floor_hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def floor_day(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def weighted_percentile(pairs: list[tuple[float, int]], q: float) -> float | None:
    """Percentile of values each standing for `weight` observations."""
    pairs = sorted((v, w) for v, w in pairs if v is not None and w > 0)
    total = sum(w for _, w in pairs)
    if not total:
        return None
    threshold = q / 100 * total
    seen = 0
    for value, weight in pairs:
        seen += weight
        if seen >= threshold:
            return value
    return pairs[-1][0]


@dataclass
class Counts:
    checks: int = 0  # checks made (missed ones excluded)
    failures: int = 0  # 'down' outside maintenance
    degraded: int = 0  # 'degraded' outside maintenance
    missed: int = 0
    maintenance: int = 0  # checks made inside a maintenance window

    def add(self, other: Counts) -> None:
        self.checks += other.checks
        self.failures += other.failures
        self.degraded += other.degraded
        self.missed += other.missed
        self.maintenance += other.maintenance


def uptime_percent(counts: Counts) -> float | None:
    """Share of counted checks that were not 'down', in percent; None when nothing counted."""
    counted = counts.checks - counts.maintenance
    if counted <= 0:
        return None
    return round(100.0 * (counted - counts.failures) / counted, 3)


def summarize(rows: list[tuple[str, bool, bool, float | None]]) -> dict:
    """One bucket's figures from raw (verdict, missed, maintenance, latency_ms) rows."""
    checks = failures = degraded = missed = maintenance = 0
    latencies: list[float] = []
    for verdict, was_missed, in_maintenance, latency in rows:
        if was_missed:
            missed += 1
            continue
        checks += 1
        if in_maintenance:
            maintenance += 1
        elif verdict == Status.DOWN:
            failures += 1
        elif verdict == Status.DEGRADED:
            degraded += 1
        if latency is not None:
            latencies.append(latency)
    return {
        "checks": checks, "failures": failures, "degraded": degraded, "missed": missed, "maintenance": maintenance,
        "latency_avg_ms": round(sum(latencies) / len(latencies), 1) if latencies else None,
        "latency_p95_ms": percentile(latencies, 95),
        "latency_max_ms": max(latencies) if latencies else None,
    }


def combine(rows: list[dict]) -> dict:
    """A day's figures from its hourly rollups."""
    checks = sum(r["checks"] for r in rows)
    with_latency = [(r["latency_avg_ms"], r["latency_p95_ms"], r["latency_max_ms"], r["checks"] - 0)
                    for r in rows if r["latency_avg_ms"] is not None]
    weight = sum(w for *_, w in with_latency)
    return {
        "checks": checks,
        "failures": sum(r["failures"] for r in rows),
        "degraded": sum(r["degraded"] for r in rows),
        "missed": sum(r["missed"] for r in rows),
        "maintenance": sum(r["maintenance"] for r in rows),
        "latency_avg_ms": round(sum(a * w for a, _, _, w in with_latency) / weight, 1) if weight else None,
        "latency_p95_ms": weighted_percentile([(p, w) for _, p, _, w in with_latency], 95),
        "latency_max_ms": max((m for _, _, m, _ in with_latency if m is not None), default=None),
    }


def time_in_status(events: list[tuple[datetime, str]], initial: str | None, start: datetime, end: datetime) -> dict[str, float]:
    """Seconds spent in each status between start and end, from the state at `start`
    (`initial`, None meaning unknown) and the changes (at, new_status) in order."""
    spent: dict[str, float] = {}
    current, since = initial or str(Status.UNKNOWN), start
    for at, status in events:
        if at <= start:
            current = status
            continue
        if at >= end:
            break
        spent[current] = spent.get(current, 0.0) + (at - since).total_seconds()
        current, since = status, at
    spent[current] = spent.get(current, 0.0) + max(0.0, (end - since).total_seconds())
    return spent


def time_uptime_percent(spent: dict[str, float]) -> float | None:
    up = spent.get(Status.UP, 0.0) + spent.get(Status.DEGRADED, 0.0)
    observed = up + spent.get(Status.DOWN, 0.0)
    return round(100.0 * up / observed, 3) if observed > 0 else None


# ---------------------------------------------------------------------------- rollups


def rollup_hour(session: Session, bucket_start: datetime) -> int:
    """(Re)compute every endpoint's hourly rollup for the hour starting at bucket_start."""
    end = bucket_start + HOUR
    rows = session.execute(
        select(CheckResult.endpoint_id, CheckResult.verdict, CheckResult.missed, CheckResult.maintenance, CheckResult.latency_ms)
        .where(CheckResult.checked_at >= bucket_start, CheckResult.checked_at < end)
    ).all()
    grouped: dict[str, list] = {}
    for endpoint_id, verdict, missed, maintenance, latency in rows:
        grouped.setdefault(endpoint_id, []).append((verdict, bool(missed), bool(maintenance), latency))
    return _replace_bucket(session, "hour", bucket_start, {k: summarize(v) for k, v in grouped.items()})


def rollup_day(session: Session, bucket_start: datetime) -> int:
    """(Re)compute every endpoint's daily rollup from that day's hourly rollups."""
    rows = session.scalars(
        select(Rollup).where(Rollup.period == "hour", Rollup.bucket_start >= bucket_start, Rollup.bucket_start < bucket_start + DAY)
    ).all()
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row.endpoint_id, []).append({
            "checks": row.checks, "failures": row.failures, "degraded": row.degraded, "missed": row.missed,
            "maintenance": row.maintenance, "latency_avg_ms": row.latency_avg_ms,
            "latency_p95_ms": row.latency_p95_ms, "latency_max_ms": row.latency_max_ms,
        })
    return _replace_bucket(session, "day", bucket_start, {k: combine(v) for k, v in grouped.items()})


def _replace_bucket(session: Session, period: str, bucket_start: datetime, figures: dict[str, dict]) -> int:
    session.execute(delete(Rollup).where(Rollup.period == period, Rollup.bucket_start == bucket_start))
    if figures:
        session.add_all(Rollup(endpoint_id=endpoint_id, period=period, bucket_start=bucket_start, **values)
                        for endpoint_id, values in figures.items())
    session.flush()
    return len(figures)


def done_until(session: Session, period: str) -> datetime | None:
    row = session.get(RuntimeState, DONE_KEYS[period])
    return parse_iso(row.value) if row is not None and row.value else None


def _set_done(session: Session, period: str, value: datetime) -> None:
    row = session.get(RuntimeState, DONE_KEYS[period])
    if row is None:
        session.add(RuntimeState(key=DONE_KEYS[period], value=iso(value), updated_at=utcnow()))
    else:
        row.value, row.updated_at = iso(value), utcnow()


def run_rollups(session: Session, now: datetime | None = None, max_buckets: int = 24 * 40) -> dict[str, int]:
    """Roll up every closed hour and day not rolled up yet (catching up after a pause)."""
    now = now or utcnow()
    done = {"hour": 0, "day": 0}
    hour_limit = floor_hour(now - SETTLE)
    start = done_until(session, "hour")
    if start is None:
        first = session.scalar(select(func.min(CheckResult.checked_at)))
        start = floor_hour(first) if first is not None else hour_limit
    while start < hour_limit and done["hour"] < max_buckets:
        rollup_hour(session, start)
        start += HOUR
        done["hour"] += 1
        _set_done(session, "hour", start)
    day_limit = floor_day(start)  # a day is rolled up once all its hours are
    day = done_until(session, "day")
    if day is None:
        first = session.scalar(select(func.min(Rollup.bucket_start)).where(Rollup.period == "hour"))
        day = floor_day(first) if first is not None else day_limit
    while day < day_limit:
        rollup_day(session, day)
        day += DAY
        done["day"] += 1
        _set_done(session, "day", day)
    session.flush()
    return done


def apply_retention(session: Session, policy, now: datetime | None = None) -> dict[str, int]:
    """Delete what is older than the policy keeps. Raw results are only deleted once rolled up."""
    now = now or utcnow()
    raw_cutoff = now - timedelta(days=policy.raw_days)
    rolled = done_until(session, "hour")
    if rolled is not None:
        raw_cutoff = min(raw_cutoff, rolled)
    else:
        raw_cutoff = None
    deleted = {"raw": 0, "hourly": 0, "daily": 0, "state_events": 0, "incidents": 0, "check_requests": 0}
    if raw_cutoff is not None:
        deleted["raw"] = session.execute(delete(CheckResult).where(CheckResult.checked_at < raw_cutoff)).rowcount
    deleted["hourly"] = session.execute(
        delete(Rollup).where(Rollup.period == "hour", Rollup.bucket_start < now - timedelta(days=policy.hourly_days))
    ).rowcount
    deleted["daily"] = session.execute(
        delete(Rollup).where(Rollup.period == "day", Rollup.bucket_start < now - timedelta(days=policy.daily_days))
    ).rowcount
    # State changes and closed incidents are few (damped), but not endless: kept as long as daily rollups.
    history_cutoff = now - timedelta(days=policy.daily_days)
    deleted["state_events"] = session.execute(delete(StateEvent).where(StateEvent.at < history_cutoff)).rowcount
    deleted["incidents"] = session.execute(
        delete(Incident).where(Incident.ended_at.is_not(None), Incident.ended_at < history_cutoff)
    ).rowcount
    deleted["check_requests"] = session.execute(
        delete(CheckRequest).where(CheckRequest.picked_at.is_not(None), CheckRequest.picked_at < now - DAY)
    ).rowcount
    return deleted


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
            CheckResult.endpoint_id,
            func.sum(case((made, 1), else_=0)),
            func.sum(case((outside & (CheckResult.verdict == str(Status.DOWN)), 1), else_=0)),
            func.sum(case((outside & (CheckResult.verdict == str(Status.DEGRADED)), 1), else_=0)),
            func.sum(case((CheckResult.missed.is_(True), 1), else_=0)),
            func.sum(case((made & CheckResult.maintenance.is_(True), 1), else_=0)),
        )
        .where(CheckResult.checked_at >= start, CheckResult.checked_at < end)
        .group_by(CheckResult.endpoint_id)
    )
    if endpoint_ids is not None:
        query = query.where(CheckResult.endpoint_id.in_(endpoint_ids))
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
    initial = _status_before(session, subject_type, subject_ids, start)
    figures = {}
    for subject_id in subject_ids:
        figures[subject_id] = {
            label: time_uptime_percent(time_in_status(events.get(subject_id, []), initial.get(subject_id), now - length, now))
            for label, length in WINDOWS.items()
        }
    return figures


def _status_before(session: Session, subject_type: str, subject_ids: list[str], at: datetime) -> dict[str, str]:
    latest = (
        select(StateEvent.subject_id, func.max(StateEvent.id).label("last_id"))
        .where(StateEvent.subject_type == subject_type, StateEvent.subject_id.in_(subject_ids), StateEvent.at < at)
        .group_by(StateEvent.subject_id)
        .subquery()
    )
    rows = session.execute(select(StateEvent.subject_id, StateEvent.new_status).join(latest, StateEvent.id == latest.c.last_id))
    return {subject_id: status for subject_id, status in rows}
