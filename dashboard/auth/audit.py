"""The audit trail: who changed what, when, from which address.

Call `record(session, actor, action, target, detail)` in the same transaction as the change,
so that a change and its audit entry are stored together or not at all. Actions are short
dotted names: "incident.acknowledge", "maintenance.create", "plan.import", "user.create",
"login", "login.failed"…
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.store.models import AuditEntry

MAX_DETAIL_CHARS = 4000


def record(session: Session, actor: str | None, action: str, target: str | None = None,
           detail: dict[str, Any] | None = None, address: str | None = None,
           now: datetime | None = None) -> AuditEntry:
    """Add an audit entry. Without `actor`/`address`, the signed-in principal and the client
    address of the current web request are used (or "system" outside a request)."""
    if actor is None or address is None:
        who, where = _request_context()
        actor = actor or who
        address = address or where
    entry = AuditEntry(at=now or utcnow(), actor=(actor or "system")[:128], action=action[:64],
                       target=None if target is None else str(target)[:255],
                       detail=_bounded(detail), address=address)
    session.add(entry)
    session.flush()
    return entry


def entries(session: Session, *, actor: str | None = None, action: str | None = None,
            text: str | None = None, since: datetime | None = None, until: datetime | None = None,
            limit: int = 500) -> list[AuditEntry]:
    """Newest first; `action` matches a prefix ("login" finds "login" and "login.failed")."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if text:
        query = query.where(AuditEntry.target.contains(text, autoescape=True))
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    return list(session.scalars(query))


def action_names(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def _bounded(detail: dict[str, Any] | None) -> dict[str, Any] | None:
    if detail is None:
        return None
    bounded = {}
    for key, value in detail.items():
        if isinstance(value, str) and len(value) > MAX_DETAIL_CHARS:
            value = value[:MAX_DETAIL_CHARS] + "…"
        elif not isinstance(value, (str, int, float, bool, type(None), list, dict)):
            value = str(value)
        bounded[str(key)] = value
    return bounded


def _request_context() -> tuple[str | None, str | None]:
    try:
        from flask import has_request_context, request

        if not has_request_context():
            return None, None
        from dashboard.auth.sessions import current_principal

        principal = current_principal()
        return (principal.name if principal else None), request.remote_addr
    except ImportError:
        return None, None
