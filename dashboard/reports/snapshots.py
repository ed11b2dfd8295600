"""The daily coverage snapshot: a scheduled job on the collector's scheduler writes one point
per day (province, per system, per agency) so that the trend has a point for every day, looked
at or not. Pages and the API only read (dashboard/readmodels/plans.py).

The job runs shortly after the collector starts (so a day on which the process ran has its
point even if it stops before evening) and every evening at SNAPSHOT_AT local time, when the
day's closing value overwrites the earlier one. Only the collector holding the lease writes.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.i18n import VN_TZ
from dashboard.plans.coverage import VERIFIED_DAYS
from dashboard.readmodels import plans as views
from dashboard.store.models import CoverageSnapshot

log = logging.getLogger(__name__)

SNAPSHOT_AT = (23, 50)  # local time (Asia/Ho_Chi_Minh): the day's closing value
FIRST_RUN_AFTER_S = 45.0
JOB_ID = "_coverage_snapshot"


def record_coverage_snapshot(session: Session, now: datetime | None = None, verified_days: float = VERIFIED_DAYS) -> int:
    """Upsert today's (local day) coverage snapshot; returns the number of rows written or
    changed. Nothing is written while no system is linked to a national platform."""
    now = now or utcnow()
    view = views.coverage_view(session, now, verified_days)
    wanted = views.snapshot_values(view)
    day = view["today"]
    existing = {
        (s.subject_type, s.subject_id): s
        for s in session.scalars(select(CoverageSnapshot).where(CoverageSnapshot.day == day))
    }
    changed = 0
    for (kind, subject), value in wanted.items():
        row = existing.get((kind, subject))
        if row is None:
            session.add(CoverageSnapshot(day=day, subject_type=kind, subject_id=subject, percent=value))
            changed += 1
        elif row.percent != value:
            row.percent = value
            changed += 1
    session.flush()
    return changed


def install(collector, verified_days: float = VERIFIED_DAYS) -> None:
    """Add the snapshot job to the collector's scheduler (called once after it starts)."""
    def run() -> None:
        if not collector.is_leader:
            return
        try:
            with collector.db.session() as session:
                written = record_coverage_snapshot(session, verified_days=verified_days)
            log.info("coverage snapshot: %d row(s) written", written)
        except Exception:  # noqa: BLE001 - log and carry on; the next run tries again
            log.exception("coverage snapshot failed; will run again")

    hour, minute = SNAPSHOT_AT
    collector.scheduler.add_job(run, "cron", hour=hour, minute=minute, timezone=VN_TZ, id=JOB_ID,
                                misfire_grace_time=3600)
    collector.scheduler.add_job(run, "date", run_date=utcnow() + timedelta(seconds=FIRST_RUN_AFTER_S), id=JOB_ID + "_start",
                                misfire_grace_time=300)
