"""Maintenance windows of a system, with their current and next occurrence, for the pages."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.timeutil import iso, utcnow
from dashboard.domain.maintenance import (
    VN_TZ,
    MaintenanceIndex,
    WindowSpec,
    describe,
    next_occurrence,
    occurrence_at,
)
from dashboard.store.models import Endpoint, MaintenanceWindow, System


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
            # readable timing, e.g. "Chủ nhật hằng tuần 22:00–02:00"
            "description_vi": describe(row.rrule, spec.starts_at, spec.duration_s, "vi"),
            "description_en": describe(row.rrule, spec.starts_at, spec.duration_s, "en"),
        })
    return views


def load_index(session: Session) -> MaintenanceIndex:
    """The windows that are not cancelled, indexed for the status rules."""
    rows = session.scalars(select(MaintenanceWindow).where(MaintenanceWindow.cancelled_at.is_(None))).all()
    return MaintenanceIndex([WindowSpec.of(row) for row in rows])


# --- planning: every window, for the /maintenance page and GET /api/maintenance


def _overlaps(a: tuple[datetime, datetime] | None, b: tuple[datetime, datetime] | None) -> bool:
    return a is not None and b is not None and a[0] < b[1] and b[0] < a[1]


def all_windows(session: Session, now: datetime | None = None, include_over: bool = False,
                system_id: str | None = None) -> list[dict]:
    """Windows newest plan first, with their readable timing, current / next occurrence and
    the ids of the windows whose occurrence overlaps theirs on the same system (overlaps are
    allowed: they are shown, not refused)."""
    now = now or utcnow()
    query = (select(MaintenanceWindow, Endpoint.system_id).outerjoin(Endpoint, Endpoint.id == MaintenanceWindow.endpoint_id)
             .order_by(MaintenanceWindow.id.desc()))
    views = []
    for row, endpoint_system in session.execute(query):
        spec = WindowSpec.of(row)
        subject_system = row.system_id or endpoint_system
        if system_id and subject_system != system_id:
            continue
        current, upcoming = occurrence_at(spec, now), next_occurrence(spec, now)
        state = "cancelled" if row.cancelled_at else "active" if current else "planned" if upcoming else "over"
        if state in ("cancelled", "over") and not include_over:
            continue
        views.append({
            "id": row.id, "system_id": row.system_id, "endpoint_id": row.endpoint_id, "subject_system": subject_system,
            "reason": row.reason, "rrule": row.rrule, "duration_s": row.duration_s, "state": state,
            "starts_at": iso(spec.starts_at), "ends_at": iso(spec.ends_at),
            "description_vi": describe(row.rrule, spec.starts_at, spec.duration_s, "vi"),
            "description_en": describe(row.rrule, spec.starts_at, spec.duration_s, "en"),
            "current": [iso(current[0]), iso(current[1])] if current else None,
            "next": [iso(upcoming[0]), iso(upcoming[1])] if upcoming else None,
            "created_by": row.created_by, "cancelled_at": iso(spec.cancelled_at),
            "_span": current or upcoming,
        })
    for view in views:
        view["overlaps"] = sorted(
            other["id"] for other in views
            if other is not view and other["subject_system"] == view["subject_system"]
            and other["state"] in ("active", "planned") and view["state"] in ("active", "planned")
            and _overlaps(view["_span"], other["_span"]))
    for view in views:
        del view["_span"]
    return views


def one_window(session: Session, window_id: int, now: datetime | None = None) -> dict | None:
    found = [w for w in all_windows(session, now, include_over=True) if w["id"] == window_id]
    return found[0] if found else None


def upcoming_feed(session: Session, now: datetime | None = None, horizon: timedelta = timedelta(hours=24)) -> list[dict]:
    """Maintenance starting within `horizon`, soonest first, for the wall's feed:
    {"system_id", "name_vi", "name_en", "starts_at", "text_vi": "Bảo trì lúc 22:00", "text_en"}."""
    now = now or utcnow()
    names = {sid: (vi, en) for sid, vi, en in session.execute(select(System.id, System.name_vi, System.name_en))}
    items = []
    for view in all_windows(session, now):
        if view["next"] is None:
            continue
        start = datetime.fromisoformat(view["next"][0].replace("Z", "+00:00"))
        if start - now > horizon:
            continue
        clock = start.astimezone(VN_TZ).strftime("%H:%M")
        vi, en = names.get(view["subject_system"], (view["subject_system"], view["subject_system"]))
        items.append({"window_id": view["id"], "system_id": view["subject_system"], "name_vi": vi, "name_en": en,
                      "starts_at": view["next"][0], "text_vi": f"Bảo trì lúc {clock}",
                      "text_en": f"Maintenance at {clock}"})
    return sorted(items, key=lambda item: item["starts_at"])


def subject_options(session, lang: str = "vi") -> list[dict]:
    """Systems and their endpoints for the form's subject picker ("system:<id>" / "endpoint:<id>")."""
    systems = session.execute(select(System.id, System.name_vi, System.name_en).order_by(System.position, System.id)).all()
    endpoints = session.execute(select(Endpoint.id, Endpoint.name, Endpoint.system_id).where(Endpoint.active.is_(True))
                                .order_by(Endpoint.system_id, Endpoint.position, Endpoint.id)).all()
    options = []
    for sid, vi, en in systems:
        options.append({"label": en if lang == "en" else vi, "value": f"system:{sid}"})
        options += [{"label": f"  └ {name} ({eid})", "value": f"endpoint:{eid}"} for eid, name, esid in endpoints if esid == sid]
    return options
