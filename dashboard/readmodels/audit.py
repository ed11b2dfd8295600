"""The audit trail as the admin page shows it: plain rows, newest first."""
from __future__ import annotations

from sqlalchemy.orm import Session

from dashboard.auth import audit

FIELDS = ("at", "actor", "action", "target", "detail", "address")


def audit_view(session: Session, action: str | None = None) -> dict:
    """{"actions": every action name recorded, "entries": the newest entries (of `action` and
    the actions it prefixes, when given) as dicts of FIELDS}."""
    return {
        "actions": audit.action_names(session),
        "entries": [{field: getattr(row, field) for field in FIELDS} for row in audit.entries(session, action=action or None)],
    }
