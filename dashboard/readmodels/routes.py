"""What the notification routes page (/admin/routes) and GET /api/routes read: the routes with
their targets masked (a URL may carry a token), the warnings each deserves, and the delivery
log (sent, failed with the error, suppressed by quiet hours, deduplicated, escalations). Read
only."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collectors.timeutil import iso
from dashboard.domain import routes as rules
from dashboard.store.models import Agency, NotificationLog, NotificationRoute, System

DELIVERY_STATES = ("pending", "sent", "failed", "suppressed", "suppressed_quiet", "deduplicated")
MAX_DELIVERIES = 500


def _known(session: Session) -> tuple[set[str], set[str], set[str]]:
    systems = set(session.scalars(select(System.id).where(System.active.is_(True))))
    agencies = set(session.scalars(select(Agency.id)))
    return systems, agencies, set(rules.PARTNERS)


def _view(row: NotificationRoute, known, counts: dict, lang: str) -> dict:
    route = rules.Route(row.id, systems=tuple(row.systems or ()), agencies=tuple(row.agencies or ()),
                        partners=tuple(row.partners or ()))
    return {
        "id": row.id, "name": row.name, "systems": list(row.systems or []), "agencies": list(row.agencies or []),
        "partners": list(row.partners or []), "kinds": list(row.kinds or []), "min_severity": row.min_severity,
        "quiet_start": row.quiet_start, "quiet_end": row.quiet_end, "language": row.language,
        "targets": [rules.mask_url(u) for u in row.urls or []],
        "escalate_after_s": row.escalate_after_s,
        "escalation_targets": [rules.mask_url(u) for u in row.escalation_urls or []],
        "signed": bool(row.secret), "source": row.source, "active": row.active,
        "updated_at": iso(row.updated_at), "updated_by": row.updated_by,
        "warnings": rules.warnings(route, *known, lang=lang), "deliveries": counts.get(row.id, {}),
    }


def routes_view(session: Session, lang: str = "en") -> list[dict]:
    """Every route (active first), with the count of its deliveries per state; the warnings in
    `lang`."""
    known = _known(session)
    counts: dict[str, dict] = {}
    for route_id, state, n in session.execute(
            select(NotificationLog.route_id, NotificationLog.state, func.count())
            .where(NotificationLog.route_id.is_not(None)).group_by(NotificationLog.route_id, NotificationLog.state)):
        counts.setdefault(route_id, {})[state] = n
    rows = session.scalars(select(NotificationRoute).order_by(NotificationRoute.active.desc(), NotificationRoute.id))
    return [_view(row, known, counts, lang) for row in rows]


def route_input(session: Session, route_id: str) -> dict | None:
    """A route as the edit form takes it (its URLs whole: only admins edit; the secret never)."""
    row = session.get(NotificationRoute, route_id)
    if row is None:
        return None
    return {"id": row.id, "name": row.name, "systems": list(row.systems or []), "agencies": list(row.agencies or []),
            "partners": list(row.partners or []), "kinds": list(row.kinds or []), "min_severity": row.min_severity,
            "quiet_start": row.quiet_start, "quiet_end": row.quiet_end, "language": row.language,
            "urls": list(row.urls or []), "escalate_after_s": row.escalate_after_s,
            "escalation_urls": list(row.escalation_urls or []), "signed": bool(row.secret), "source": row.source,
            "active": row.active}


def deliveries(session: Session, route_id: str | None = None, states: list[str] | None = None,
               limit: int = 100) -> list[dict]:
    """The delivery log, newest first: one row per event and route (and per escalation level)."""
    unknown = [s for s in states or () if s not in DELIVERY_STATES]
    if unknown:
        raise ValueError(f"state: unknown {', '.join(unknown)}; expected {', '.join(DELIVERY_STATES)}")
    query = (select(NotificationLog).order_by(NotificationLog.created_at.desc(), NotificationLog.id.desc())
             .limit(max(1, min(int(limit), MAX_DELIVERIES))))
    if route_id:
        query = query.where(NotificationLog.route_id == route_id)
    if states:
        query = query.where(NotificationLog.state.in_(states))
    return [{
        "id": row.id, "route": row.route_id, "level": row.level, "kind": row.kind, "event": row.event_kind,
        "severity": row.severity, "subject": row.subject, "title": row.title, "state": row.state,
        "attempts": row.attempts, "error": row.last_error, "link": row.link,
        "created_at": iso(row.created_at), "sent_at": iso(row.sent_at),
    } for row in session.scalars(query)]


def choices(session: Session) -> dict:
    """What the form offers to pick: systems, agencies (departments first), partners, kinds."""
    systems = [{"value": i, "label": f"{vi} ({i})"} for i, vi in session.execute(
        select(System.id, System.name_vi).where(System.active.is_(True)).order_by(System.position, System.id))]
    agencies = [{"value": i, "label": vi} for i, vi in session.execute(
        select(Agency.id, Agency.name_vi).order_by(Agency.official_code.is_not(None), Agency.id))]
    return {"systems": systems, "agencies": agencies, "partners": list(rules.PARTNERS), "kinds": list(rules.KINDS),
            "severities": list(rules.SEVERITIES)}
