"""Accounts, API/kiosk tokens and alert sources as the access admin page lists them (never a
secret: only a token's first characters). The role list is the policy's, so a role added there
appears in the accounts form without touching the page."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.auth import policy, scopes, tokens, users
from dashboard.store.models import Agency, IngestSource

ROLES = policy.ROLES
TOKEN_KINDS = tokens.KINDS


def roles() -> tuple[str, ...]:
    return tuple(policy.ROLES)


def access_view(session: Session) -> dict[str, Any]:
    return {
        "users": [{"username": u.username, "role": u.role, "active": u.active, "created_at": u.created_at,
                   "last_login_at": u.last_login_at, "sso_only": u.password_hash is None,
                   "scope": scopes.describe(scopes.scope_of(session, u.id))}
                  for u in users.list_users(session)],
        # what a reporter may be bound to: agencies (departments first, then communes) and partners
        "agencies": [{"id": a.id, "name_vi": a.name_vi, "name_en": a.name_en}
                     for a in session.scalars(select(Agency).order_by(Agency.kind != "department", Agency.name_vi))],
        "partners": list(scopes.PARTNERS),
        "tokens": [{"id": r.id, "name": r.name, "kind": r.kind, "prefix": r.prefix, "created_at": r.created_at,
                    "created_by": r.created_by, "revoked_at": r.revoked_at, "last_used_at": r.last_used_at}
                   for r in tokens.list_tokens(session)],
        "sources": [{"name": s.name, "description": s.description, "created_at": s.created_at, "revoked_at": s.revoked_at,
                     "last_used_at": s.last_used_at}
                    for s in session.scalars(select(IngestSource).order_by(IngestSource.name))],
    }
