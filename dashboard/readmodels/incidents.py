"""What the incidents page and API read: the filtered list, one incident with its thread and
timeline, and MTTA / MTTR per system per month. Read only.

Pages call these through dashboard.web.facade (`facade().read(list_incidents, …)`), which gives
each read a short session of its own."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from collectors.timeutil import as_utc, iso, utcnow
from dashboard.domain import incidents as rules
from dashboard.domain.causes import cause_of, render
from dashboard.readmodels.systems import incident_causes
from dashboard.store.models import Incident, IncidentComment, StateEvent, System

MAX_LIST = 500


def _state_filter(state: str):
    return {
        rules.OPEN: and_(Incident.ended_at.is_(None), Incident.acknowledged_at.is_(None)),
        rules.ACKNOWLEDGED: and_(Incident.ended_at.is_(None), Incident.acknowledged_at.is_not(None)),
        rules.RESOLVED: and_(Incident.ended_at.is_not(None), Incident.closed_at.is_(None)),
        rules.CLOSED: Incident.closed_at.is_not(None),
    }[state]


def _summary(row: Incident, names: tuple[str, str] | None, now: datetime, lang: str = "vi") -> dict:
    times = rules.IncidentTimes.of(row)
    return {
        "id": row.id, "subject_type": row.subject_type, "subject_id": row.subject_id, "system_id": row.system_id,
        "system_name_vi": names[0] if names else row.system_id, "system_name_en": names[1] if names else row.system_id,
        "severity": row.severity, "state": rules.state(times),
        "started_at": iso(times.started_at), "ended_at": iso(times.ended_at),
        "duration_s": round(((times.ended_at or now) - times.started_at).total_seconds(), 1),
        **incident_causes(row, lang),
        "acknowledged_at": iso(times.acknowledged_at), "acknowledged_by": row.acknowledged_by,
        "closed_at": iso(times.closed_at), "closed_by": row.closed_by,
        "mtta_s": rules.mtta_s(times), "mttr_s": rules.mttr_s(times),
    }


def list_incidents(session: Session, *, system_id: str | None = None, states: list[str] | None = None,
                   since: datetime | None = None, until: datetime | None = None, limit: int = 200,
                   now: datetime | None = None, lang: str = "vi") -> list[dict]:
    """Incidents newest first, filtered by system, state(s) and a period (those that overlap it);
    causes in `lang`."""
    now = now or utcnow()
    unknown = [s for s in states or () if s not in rules.STATES]
    if unknown:
        raise ValueError(f"state: unknown {', '.join(unknown)}; expected {', '.join(rules.STATES)}")
    query = (select(Incident, System.name_vi, System.name_en).outerjoin(System, System.id == Incident.system_id)
             .order_by(Incident.started_at.desc(), Incident.id.desc()).limit(max(1, min(limit, MAX_LIST))))
    if system_id:
        query = query.where(Incident.system_id == system_id)
    if states:
        query = query.where(or_(*[_state_filter(s) for s in states]))
    if since is not None:
        query = query.where(or_(Incident.ended_at.is_(None), Incident.ended_at >= since))
    if until is not None:
        query = query.where(Incident.started_at < until)
    return [_summary(row, (vi, en), now, lang) for row, vi, en in session.execute(query)]


def incident_detail(session: Session, incident_id: int, now: datetime | None = None, lang: str = "vi") -> dict | None:
    """One incident: its summary, the post-incident note, the thread (oldest first) and the
    timeline (state changes, the subject's status changes during it, comments)."""
    now = now or utcnow()
    found = session.execute(
        select(Incident, System.name_vi, System.name_en).outerjoin(System, System.id == Incident.system_id)
        .where(Incident.id == incident_id)).first()
    if found is None:
        return None
    row, vi, en = found
    times = rules.IncidentTimes.of(row)
    comments = [{"id": c.id, "at": as_utc(c.at), "author": c.author, "text": c.text} for c in session.scalars(
        select(IncidentComment).where(IncidentComment.incident_id == row.id)
        .order_by(IncidentComment.at, IncidentComment.id))]
    changes_query = (select(StateEvent).where(StateEvent.subject_type == row.subject_type,
                                              StateEvent.subject_id == row.subject_id,
                                              StateEvent.at >= times.started_at)
                     .order_by(StateEvent.at, StateEvent.id).limit(200))
    if times.ended_at is not None:
        changes_query = changes_query.where(StateEvent.at <= times.ended_at)
    changes = [{"at": as_utc(e.at), "old_status": e.old_status, "new_status": e.new_status,
                "reason": render(cause_of(e.cause, e.reason), lang)}
               for e in session.scalars(changes_query)]
    items = rules.timeline(times, acknowledged_by=row.acknowledged_by, ack_comment=row.ack_comment,
                           closed_by=row.closed_by, state_changes=changes, comments=comments)
    return {
        **_summary(row, (vi, en), now, lang),
        "ack_comment": row.ack_comment,
        "postmortem": row.postmortem,
        "comments": [{**c, "at": iso(c["at"])} for c in comments],
        "timeline": [{**item, "at": iso(item["at"])} for item in items],
    }


def system_month_stats(session: Session, system_id: str, month: str) -> dict:
    """MTTA / MTTR of a system's incidents that started in `month` (YYYY-MM, Vietnam time)."""
    start, end = rules.month_bounds(month)
    rows = session.scalars(select(Incident).where(Incident.system_id == system_id, Incident.started_at >= start,
                                                  Incident.started_at < end))
    stats = rules.month_stats([rules.IncidentTimes.of(r) for r in rows], month)
    return {"system": system_id, "month": month, "from": iso(start), "to": iso(end), **stats.as_dict()}


def system_exists(session: Session, system_id: str) -> bool:
    return session.get(System, system_id) is not None


def system_options(session: Session, lang: str = "vi") -> list[dict]:
    rows = session.execute(select(System.id, System.name_vi, System.name_en).order_by(System.position, System.id))
    return [{"label": en if lang == "en" else vi, "value": sid} for sid, vi, en in rows]


# --- for pages: each opens and closes its own session


