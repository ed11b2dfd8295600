"""Availability per system over a month: what the leadership table, the reports and
/api/availability read. Read only."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.plans import availability as av
from dashboard.store.models import Incident, MaintenanceWindow, System


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def availability_view(session: Session, month: str, now: datetime | None = None) -> dict:
    """Per active system: uptime %, downtime minutes, incidents, MTTA (mean time to acknowledge
    the outages that started in the month), MTTR, MTBF against its target.
    Raises av.BadPeriod for a month that cannot be read."""
    start, end = av.month_bounds(month)
    return availability_between(session, start, end, month.strip(), now)


def availability_between(session: Session, start: datetime, end: datetime, label: str, now: datetime | None = None) -> dict:
    """The same over any period (a week or a quarter for the reports)."""
    now = now or utcnow()
    systems = session.scalars(select(System).where(System.active.is_(True)).order_by(System.position)).all()
    incidents: dict[str, list] = {}
    waits: dict[str, list[float]] = {}  # time to acknowledge, of the outages that started in the period
    for row in session.scalars(select(Incident).where(
            Incident.subject_type == "system", Incident.severity == "down", Incident.started_at < end,
            (Incident.ended_at.is_(None)) | (Incident.ended_at > start))):
        incidents.setdefault(row.system_id, []).append((_utc(row.started_at), _utc(row.ended_at)))
        if row.acknowledged_at is not None and _utc(row.started_at) >= start:
            waits.setdefault(row.system_id, []).append((_utc(row.acknowledged_at) - _utc(row.started_at)).total_seconds())
    maintenance: dict[str, list] = {}
    for window in session.scalars(select(MaintenanceWindow).where(
            MaintenanceWindow.system_id.is_not(None), MaintenanceWindow.endpoint_id.is_(None))):
        maintenance.setdefault(window.system_id, []).extend(av.maintenance_occurrences(
            _utc(window.starts_at), _utc(window.ends_at), window.rrule, window.duration_s, _utc(window.cancelled_at), start, end))
    rows = []
    for system in systems:
        result = av.availability(incidents.get(system.id, []), maintenance.get(system.id, []), start, end, now,
                                 system.sla)  # the catalog's target; None: the default
        rows.append({
            "id": system.id, "name_vi": system.name_vi, "name_en": system.name_en,
            "uptime_percent": result.uptime_percent, "target_percent": result.target_percent, "behind": result.behind,
            "downtime_minutes": round(result.downtime_s / 60, 1), "maintenance_minutes": round(result.maintenance_s / 60, 1),
            "incidents": result.incidents,
            "mttr_minutes": None if result.mttr_s is None else round(result.mttr_s / 60, 1),
            "acknowledged": len(waits.get(system.id, [])),
            "mtta_minutes": (round(sum(waits[system.id]) / len(waits[system.id]) / 60, 1)
                             if waits.get(system.id) else None),
            "mtbf_hours": None if result.mtbf_s is None else round(result.mtbf_s / 3600, 1),
        })
    return {
        "month": label, "from": start.isoformat().replace("+00:00", "Z"), "to": end.isoformat().replace("+00:00", "Z"),
        "complete": now >= end, "default_target_percent": av.DEFAULT_SLA, "systems": rows,
        "behind": sum(1 for r in rows if r["behind"]),
    }


def availability_page(session: Session, month: str, now: datetime | None = None) -> dict:
    return availability_view(session, month, now)


def current_month(now: datetime | None = None) -> str:
    return (now or utcnow()).astimezone(av.VN_TZ).strftime("%Y-%m")


def system_month(session: Session, system_id: str, month: str | None = None, now: datetime | None = None) -> dict | None:
    """One system's row of the month's availability (the same numbers as /api/availability),
    with the month it covers; None for an unknown or inactive system."""
    month = month or current_month(now)
    view = availability_view(session, month, now)
    row = next((r for r in view["systems"] if r["id"] == system_id), None)
    return None if row is None else {**row, "month": view["month"], "complete": view["complete"]}
