"""Uptime maths on plain values: hour/day buckets, percentiles, counts and time in status."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from collectors.base import Status

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}


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


def daily_uptimes(events: list[tuple[datetime, str]], initial: str | None, day_starts: list[datetime],
                  now: datetime) -> list[float | None]:
    """Time-based uptime of one subject for each day starting at `day_starts` (in order, each a
    day long, the last one cut at `now`), from its state changes; None for a day with no
    observed state (before monitoring began, or only unknown/maintenance)."""
    figures = []
    for start in day_starts:
        end = min(start + DAY, now)
        if end <= start:
            figures.append(None)
            continue
        before = [e for e in events if e[0] <= start]
        state = before[-1][1] if before else initial
        figures.append(time_uptime_percent(time_in_status([e for e in events if start < e[0] < end], state, start, end)))
    return figures
