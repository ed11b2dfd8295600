"""Hourly and daily rollups of raw results, and retention (run by the collector's jobs)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from collectors.timeutil import iso, utcnow
from dashboard.domain.uptime import DAY, HOUR, combine, floor_day, floor_hour, summarize
from dashboard.readmodels.uptime import DONE_KEYS, done_until
from dashboard.store.models import CheckRequest, CheckResult, Endpoint, Incident, Rollup, RuntimeState, StateEvent

SETTLE = timedelta(minutes=2)  # results of a closed hour may still be in the writer's queue


# ---------------------------------------------------------------------------- rollups


def rollup_hour(session: Session, bucket_start: datetime) -> int:
    """(Re)compute every endpoint's hourly rollup for the hour starting at bucket_start."""
    end = bucket_start + HOUR
    rows = session.execute(
        select(Endpoint.id, CheckResult.verdict, CheckResult.missed, CheckResult.maintenance, CheckResult.latency_ms)
        .join(Endpoint, Endpoint.key == CheckResult.endpoint_key)
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


def roll_up_late(session: Session, late: dict[str, set[datetime]]) -> int:
    """Results stored after their hour was rolled up (a remote agent's buffer sent after an
    outage): recompute those endpoints' hourly rollups for those hours, and their daily rollups
    when the day is rolled up too. `late` is {endpoint id: the checked_at of its results}.
    Returns the number of (endpoint, hour) rollups recomputed."""
    hour_done, day_done = done_until(session, "hour"), done_until(session, "day")
    if hour_done is None:
        return 0
    hours: dict[datetime, set[str]] = {}
    for endpoint_id, moments in late.items():
        for moment in moments:
            if moment < hour_done:
                hours.setdefault(floor_hour(moment), set()).add(endpoint_id)
    recomputed = 0
    days: dict[datetime, set[str]] = {}
    for hour, endpoint_ids in sorted(hours.items()):
        rows = session.execute(
            select(CheckResult.endpoint_id, CheckResult.verdict, CheckResult.missed, CheckResult.maintenance,
                   CheckResult.latency_ms)
            .where(CheckResult.endpoint_id.in_(endpoint_ids), CheckResult.checked_at >= hour,
                   CheckResult.checked_at < hour + HOUR)
        ).all()
        grouped: dict[str, list] = {}
        for endpoint_id, verdict, missed, maintenance, latency in rows:
            grouped.setdefault(endpoint_id, []).append((verdict, bool(missed), bool(maintenance), latency))
        _replace_rows(session, "hour", hour, endpoint_ids, {k: summarize(v) for k, v in grouped.items()})
        recomputed += len(endpoint_ids)
        if day_done is not None and floor_day(hour) < day_done:
            days.setdefault(floor_day(hour), set()).update(endpoint_ids)
    for day, endpoint_ids in days.items():
        rows = session.scalars(select(Rollup).where(
            Rollup.period == "hour", Rollup.endpoint_id.in_(endpoint_ids),
            Rollup.bucket_start >= day, Rollup.bucket_start < day + DAY)).all()
        grouped: dict[str, list[dict]] = {}
        for row in rows:
            grouped.setdefault(row.endpoint_id, []).append({
                "checks": row.checks, "failures": row.failures, "degraded": row.degraded, "missed": row.missed,
                "maintenance": row.maintenance, "latency_avg_ms": row.latency_avg_ms,
                "latency_p95_ms": row.latency_p95_ms, "latency_max_ms": row.latency_max_ms,
            })
        _replace_rows(session, "day", day, endpoint_ids, {k: combine(v) for k, v in grouped.items()})
    session.flush()
    return recomputed


def _replace_rows(session: Session, period: str, bucket_start: datetime, endpoint_ids: set[str],
                  figures: dict[str, dict]) -> None:
    session.execute(delete(Rollup).where(Rollup.period == period, Rollup.bucket_start == bucket_start,
                                         Rollup.endpoint_id.in_(endpoint_ids)))
    session.flush()
    session.add_all(Rollup(endpoint_id=endpoint_id, period=period, bucket_start=bucket_start, **values)
                    for endpoint_id, values in figures.items())


def _replace_bucket(session: Session, period: str, bucket_start: datetime, figures: dict[str, dict]) -> int:
    session.execute(delete(Rollup).where(Rollup.period == period, Rollup.bucket_start == bucket_start))
    if figures:
        session.add_all(Rollup(endpoint_id=endpoint_id, period=period, bucket_start=bucket_start, **values)
                        for endpoint_id, values in figures.items())
    session.flush()
    return len(figures)


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
        # the oldest row of each endpoint, from the (endpoint, time) index
        oldest = select(func.min(CheckResult.checked_at).label("at")).group_by(CheckResult.endpoint_key).subquery()
        first = session.scalar(select(func.min(oldest.c.at)))
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
        # endpoint by endpoint through the (endpoint, time) index (rows of removed endpoints go by cascade)
        deleted["raw"] = session.execute(delete(CheckResult).where(
            CheckResult.endpoint_key.in_(select(Endpoint.key)), CheckResult.checked_at < raw_cutoff)).rowcount
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
    # alerts, notification deliveries, audit entries, heartbeat pings (their own settings)
    from dashboard.monitoring.retention import apply_growth_retention

    deleted.update(apply_growth_retention(session, getattr(policy, "growth", None), now=now))
    return deleted
