"""What people do to an incident besides acknowledging it (dashboard.monitoring.actions):
write in its thread and close it with the post-incident note. Each passes the permission
check, is validated by the pure rules in dashboard.domain.incidents, and is audited."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.auth import audit
from dashboard.auth.permissions import current_user_name, require
from dashboard.domain import incidents as rules
from dashboard.store.models import Incident, IncidentComment


class NoSuchIncident(LookupError):
    pass


def _incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NoSuchIncident(f"no incident {incident_id}")
    return incident


def add_comment(session: Session, incident_id: int, text: object, user: str | None = None,
                now: datetime | None = None) -> IncidentComment:
    """Append a message to the incident's thread. Closed incidents are read-only."""
    require("acknowledge")
    author = current_user_name() or user
    incident = _incident(session, incident_id)
    text = rules.clean_text(text, what="comment", limit=rules.MAX_COMMENT_CHARS)
    rules.can_comment(rules.state(rules.IncidentTimes.of(incident)))
    row = IncidentComment(incident_id=incident.id, at=now or utcnow(), author=(author or None), text=text)
    session.add(row)
    session.flush()
    audit.record(session, author, "incident.comment", f"incident:{incident.id}", {"chars": len(text)})
    return row


def close(session: Session, incident_id: int, note: object, user: str | None = None,
          now: datetime | None = None) -> Incident:
    """Close a resolved incident with its post-incident note."""
    require("acknowledge")
    who = current_user_name() or user
    incident = _incident(session, incident_id)
    note = rules.clean_text(note, what="note", limit=rules.MAX_NOTE_CHARS)
    rules.can_close(rules.state(rules.IncidentTimes.of(incident)))
    incident.closed_at = now or utcnow()
    incident.closed_by = who
    incident.postmortem = note
    session.flush()
    audit.record(session, who, "incident.close", f"incident:{incident.id}",
                 {"subject": f"{incident.subject_type}:{incident.subject_id}", "chars": len(note)})
    return incident


# --- for pages: each opens and commits its own session, so that pages never hold one


def comment_in(db, incident_id: int, text: object) -> None:
    with db.session() as session:
        add_comment(session, incident_id, text)


def close_in(db, incident_id: int, note: object) -> None:
    with db.session() as session:
        close(session, incident_id, note)


def acknowledge_in(db, incident_id: int, comment: str) -> None:
    from dashboard.monitoring.actions import acknowledge

    with db.session() as session:
        acknowledge(session, incident_id, comment)
