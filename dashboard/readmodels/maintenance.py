"""Maintenance windows of a system, with their current and next occurrence, for the pages."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.domain.maintenance import MaintenanceIndex, WindowSpec, next_occurrence, occurrence_at
from dashboard.store.models import Endpoint, MaintenanceWindow


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


def load_index(session: Session) -> MaintenanceIndex:
    """The windows that are not cancelled, indexed for the status rules."""
    rows = session.scalars(select(MaintenanceWindow).where(MaintenanceWindow.cancelled_at.is_(None))).all()
    return MaintenanceIndex([WindowSpec.of(row) for row in rows])
