"""What the public status page shows: the systems marked `public` in the catalog, their state
now, daily availability, incidents with the note an operator wrote for the public, and planned
maintenance. Never causes, addresses, endpoint ids or internal names: only what is listed here."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.base import Status
from collectors.timeutil import utcnow
from dashboard.domain.maintenance import WindowSpec, next_occurrence, occurrence_at
from dashboard.domain.uptime import DAY, daily_uptimes
from dashboard.readmodels.uptime import status_before
from dashboard.store.models import Incident, MaintenanceWindow, StateEvent, System

DAYS = 90
RECENT_INCIDENT_DAYS = 14
UPCOMING_MAINTENANCE_DAYS = 14
VN_OFFSET = timedelta(hours=7)  # days on the page are Vietnam's calendar days


def local_day_starts(now: datetime, days: int = DAYS) -> list[datetime]:
    """UTC instants at which the last `days` Vietnamese calendar days began, oldest first."""
    local_midnight = (now + VN_OFFSET).replace(hour=0, minute=0, second=0, microsecond=0) - VN_OFFSET
    return [local_midnight - DAY * back for back in range(days - 1, -1, -1)]


def public_status(session: Session, now: datetime | None = None, days: int = DAYS) -> dict:
    now = now or utcnow()
    systems = session.scalars(select(System).where(System.public.is_(True), System.active.is_(True))
                              .order_by(System.position)).all()
    ids = [s.id for s in systems]
    starts = local_day_starts(now, days)
    events: dict[str, list[tuple[datetime, str]]] = {}
    if ids:
        for subject_id, at, new_status in session.execute(
            select(StateEvent.subject_id, StateEvent.at, StateEvent.new_status)
            .where(StateEvent.subject_type == "system", StateEvent.subject_id.in_(ids), StateEvent.at >= starts[0])
            .order_by(StateEvent.at, StateEvent.id)
        ):
            events.setdefault(subject_id, []).append((at, new_status))
    initial = status_before(session, "system", ids, starts[0]) if ids else {}
    views = []
    for system in systems:
        bars = daily_uptimes(events.get(system.id, []), initial.get(system.id), starts, now)
        observed = [b for b in bars if b is not None]
        views.append({
            "id": system.id, "name_vi": system.name_vi, "name_en": system.name_en,
            "status": public_state(system.status),
            "since": system.status_since,
            "days": [{"date": (start + VN_OFFSET).date(), "uptime": bar} for start, bar in zip(starts, bars)],
            "uptime": round(sum(observed) / len(observed), 2) if observed else None,
        })
    names = {s.id: (s.name_vi, s.name_en) for s in systems}
    return {
        "generated_at": now,
        "systems": views,
        "overall": overall_state([v["status"] for v in views]),
        "incidents": _incidents(session, ids, names, now),
        "maintenance": _maintenance(session, ids, names, now),
    }


def public_state(status: str) -> str:
    """The public vocabulary: operational, degraded, outage, maintenance, unknown."""
    return {Status.UP: "operational", Status.DEGRADED: "degraded", Status.DOWN: "outage",
            Status.MAINTENANCE: "maintenance"}.get(status, "unknown")


def overall_state(states: list[str]) -> str:
    for worst in ("outage", "degraded", "maintenance"):
        if worst in states:
            return worst
    if not states or all(s == "unknown" for s in states):
        return "unknown"
    return "operational"


def _incidents(session: Session, ids: list[str], names: dict, now: datetime) -> list[dict]:
    if not ids:
        return []
    rows = session.scalars(
        select(Incident).where(Incident.subject_type == "system", Incident.subject_id.in_(ids),
                               (Incident.ended_at.is_(None)) | (Incident.ended_at >= now - timedelta(days=RECENT_INCIDENT_DAYS)))
        .order_by(Incident.started_at.desc()).limit(50)
    ).all()
    return [{
        "id": row.id, "system_id": row.subject_id, "name_vi": names[row.subject_id][0], "name_en": names[row.subject_id][1],
        "severity": "outage" if row.severity == Status.DOWN else "degraded",
        "started_at": row.started_at, "ended_at": row.ended_at, "ongoing": row.ended_at is None,
        "note": row.public_note,
    } for row in rows]


def _maintenance(session: Session, ids: list[str], names: dict, now: datetime) -> list[dict]:
    if not ids:
        return []
    rows = session.scalars(select(MaintenanceWindow).where(MaintenanceWindow.system_id.in_(ids),
                                                           MaintenanceWindow.cancelled_at.is_(None))).all()
    horizon = now + timedelta(days=UPCOMING_MAINTENANCE_DAYS)
    planned = []
    for row in rows:
        window = WindowSpec.of(row)
        occurrence = occurrence_at(window, now) or next_occurrence(window, now)
        if occurrence is None or occurrence[0] > horizon:
            continue
        planned.append({"system_id": row.system_id, "name_vi": names[row.system_id][0], "name_en": names[row.system_id][1],
                        "starts_at": occurrence[0], "ends_at": occurrence[1], "ongoing": occurrence[0] <= now})
    return sorted(planned, key=lambda p: p["starts_at"])


def incident_feed(session: Session, now: datetime | None = None, limit: int = 50) -> list[dict]:
    """Incidents of public systems for the Atom feed, newest first (the last 90 days)."""
    now = now or utcnow()
    systems = session.execute(select(System.id, System.name_vi, System.name_en)
                              .where(System.public.is_(True), System.active.is_(True))).all()
    names = {s.id: (s.name_vi, s.name_en) for s in systems}
    if not names:
        return []
    rows = session.scalars(select(Incident).where(Incident.subject_type == "system", Incident.subject_id.in_(list(names)),
                                                  Incident.started_at >= now - timedelta(days=DAYS))
                           .order_by(Incident.started_at.desc()).limit(limit)).all()
    return [{"id": row.id, "name_vi": names[row.subject_id][0], "name_en": names[row.subject_id][1],
             "severity": "outage" if row.severity == Status.DOWN else "degraded", "started_at": row.started_at,
             "ended_at": row.ended_at, "note": row.public_note} for row in rows]
