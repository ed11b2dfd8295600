"""Thirty days of plausible history for the demo ("Dữ liệu trình diễn / demo data"), so that a
newcomer's first look at the charts, availability and incidents is not empty.

Seeded once, into a database with no rollups yet (a fresh demo): hourly rollups of every
active endpoint for the last week and daily ones for the month, up to the current hour (the collector's own results take over from
there: the rollup job continues from the recorded `done_until`), a few past incidents with
their state changes (one within the last 24 h, so the wall's timeline shows a change), and
one past maintenance window. Every incident, state change and window says it is demo data.
Bulk inserts (executemany through Core): about 22,000 rows, under a second of CPU.
"""
from __future__ import annotations

import logging
import math
import random
import threading
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from collectors.timeutil import iso, utcnow
from dashboard.domain.uptime import floor_day, floor_hour
from dashboard.readmodels.uptime import DONE_KEYS
from dashboard.store.models import Endpoint, Incident, MaintenanceWindow, Rollup, RuntimeState, StateEvent, System

log = logging.getLogger(__name__)

DEMO_LABEL = "Dữ liệu trình diễn / demo data"
DAYS = 30
HOURLY_DAYS = 7
# (system, hours ago it started, minutes, severity, cause): past incidents of the demo systems
INCIDENTS = [
    ("qlvb", 6 * 24 + 3, 40, "down", "HTTP 503 từ cổng API"),
    ("lgsp", 12 * 24 + 9, 95, "down", "không kết nối được NDXP (hết thời gian chờ)"),
    ("dvc", 3 * 24 + 15, 25, "degraded", "chậm: 2,4 s (ngưỡng 1 s)"),
    ("hop-khong-giay", 6, 20, "degraded", "chậm: 1,8 s (ngưỡng 1 s)"),
]
MAINTENANCE = ("httt-nguon", 9 * 24 + 7, 60, "Nâng cấp phiên bản (bảo trì định kỳ)")


def _latency(base: float, hour_local: int, rng: random.Random) -> float:
    # busier in office hours (Vietnam time): a gentle daily wave and some noise
    wave = 1.0 + 0.35 * max(0.0, math.sin((hour_local - 6) / 12 * math.pi))
    return round(base * wave * rng.uniform(0.85, 1.2), 1)


def seed_demo_history(session: Session, now: datetime, days: int = DAYS, seed: int = 2026) -> dict[str, int]:
    """Seed the history described above; nothing when any rollup exists already."""
    if session.scalar(select(Rollup.endpoint_id).limit(1)) is not None:
        return {}
    rng = random.Random(seed)
    current = floor_hour(now)
    start = floor_day(current - timedelta(days=days))
    endpoints = session.execute(
        select(Endpoint.id, Endpoint.system_id, Endpoint.interval_s).where(Endpoint.active.is_(True))
    ).all()
    systems = {sid for (sid,) in session.execute(select(System.id).where(System.active.is_(True)))}
    base = {e.id: rng.uniform(15.0, 180.0) for e in endpoints}

    def window(system_id: str, hours_ago: float, minutes: float) -> tuple[datetime, datetime]:
        begin = current - timedelta(hours=hours_ago) + timedelta(minutes=rng.choice((7, 19, 33)))
        return begin, begin + timedelta(minutes=minutes)

    incidents = [(sid, *window(sid, ago, minutes), severity, cause) for sid, ago, minutes, severity, cause in INCIDENTS if sid in systems]
    maint = window(MAINTENANCE[0], MAINTENANCE[1], MAINTENANCE[2]) if MAINTENANCE[0] in systems else None

    def overlap(begin: datetime, length: timedelta, span: tuple[datetime, datetime]) -> float:
        """Share of [begin, begin + length) inside the span."""
        first, last = max(begin, span[0]), min(begin + length, span[1])
        return max(0.0, (last - first).total_seconds() / length.total_seconds())

    def figures(e, begin: datetime, span: timedelta, local_hour: int | None) -> dict:
        checks = max(1, round(span.total_seconds() / max(e.interval_s, 1.0)))
        failures = degraded = maintenance = 0
        slow = 1.0
        for sid, i_begin, i_end, severity, _ in incidents:
            share = overlap(begin, span, (i_begin, i_end)) if sid == e.system_id else 0.0
            if share and severity == "down":
                failures += round(checks * share)
            elif share:
                degraded += round(checks * share)
                slow = 1.0 + 11.0 * share
        if maint is not None and e.system_id == MAINTENANCE[0]:
            maintenance = round(checks * overlap(begin, span, maint))
        if rng.random() < 0.002 * span.total_seconds() / 3600:  # the odd lost check
            failures += 1
        latency = (_latency(base[e.id], local_hour, rng) if local_hour is not None else round(base[e.id] * rng.uniform(1.05, 1.2), 1)) * slow
        return {"endpoint_id": e.id, "period": "hour" if local_hour is not None else "day", "bucket_start": begin, "checks": checks,
                "failures": min(failures, checks), "degraded": min(degraded, checks), "missed": 0, "maintenance": min(maintenance, checks),
                "latency_avg_ms": round(latency, 1), "latency_p95_ms": round(latency * 1.6, 1), "latency_max_ms": round(latency * 2.4, 1)}

    # Hourly rollups for the last week (the drill-down's 7-day range and the wall's 24 h charts),
    # daily ones for the month: a quarter of the rows of hourly ones for 30 days, same pictures.
    hourly = []
    hour = max(start, current - timedelta(days=HOURLY_DAYS))
    while hour < current:
        local_hour = (hour.hour + 7) % 24
        hourly.extend(figures(e, hour, timedelta(hours=1), local_hour) for e in endpoints)
        hour += timedelta(hours=1)
    today = floor_day(current)
    days_rows = []
    day = start
    while day < today:  # today is rolled up at midnight from its hours, as the collector does
        days_rows.extend(figures(e, day, timedelta(days=1), None) for e in endpoints)
        day += timedelta(days=1)
    # Core inserts (executemany), not the ORM's bulk path: a fifth of the time
    connection = session.connection()
    if hourly:
        connection.execute(insert(Rollup.__table__), hourly)
    if days_rows:
        connection.execute(insert(Rollup.__table__), days_rows)

    events, incident_rows = [], []
    for sid, begin, end, severity, cause in incidents:
        text = f"{cause} — {DEMO_LABEL}"
        incident_rows.append({"subject_type": "system", "subject_id": sid, "system_id": sid, "severity": severity,
                              "started_at": begin, "ended_at": end, "cause": text, "last_reason": text,
                              "acknowledged_at": begin + timedelta(minutes=4), "acknowledged_by": "demo-operator",
                              "ack_comment": DEMO_LABEL})
        events += [{"subject_type": "system", "subject_id": sid, "at": begin, "old_status": "up", "new_status": severity, "reason": text},
                   {"subject_type": "system", "subject_id": sid, "at": end, "old_status": severity, "new_status": "up", "reason": DEMO_LABEL}]
    if incident_rows:
        connection.execute(insert(Incident.__table__), incident_rows)
        connection.execute(insert(StateEvent.__table__), events)
    if maint is not None:
        session.add(MaintenanceWindow(system_id=MAINTENANCE[0], starts_at=maint[0], ends_at=maint[1],
                                      reason=f"{MAINTENANCE[3]} — {DEMO_LABEL}", created_by="demo", created_at=maint[0] - timedelta(days=2)))
    # The systems were up through the seeded month (but for the incidents above): the collector's
    # first results then change nothing, and the timeline does not read "unknown" until the start.
    session.execute(update(System).where(System.active.is_(True), System.status == "unknown").values(status="up", status_since=start))
    for period, value in (("hour", current), ("day", today)):
        row = session.get(RuntimeState, DONE_KEYS[period])
        if row is None:
            session.add(RuntimeState(key=DONE_KEYS[period], value=iso(value), updated_at=now))
        else:
            row.value, row.updated_at = iso(value), now
    session.flush()
    return {"hourly": len(hourly), "daily": len(days_rows), "incidents": len(incident_rows), "maintenance": int(maint is not None)}


def seed_in_background(db) -> threading.Thread:
    """Seed (once) in a thread of its own, logging what it did or why it could not."""
    def run():
        try:
            with db.session() as session:
                seeded = seed_demo_history(session, utcnow())
            if seeded:
                log.info("demo history seeded (%s): %s", DEMO_LABEL, seeded)
        except Exception:  # a demo nicety must never take the app down
            log.exception("demo history not seeded")

    thread = threading.Thread(target=run, name="demo-history", daemon=True)
    thread.start()
    return thread
