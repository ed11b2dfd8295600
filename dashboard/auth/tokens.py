"""Read-only API tokens and wall kiosk tokens: random secrets, shown once, stored as SHA-256.

A token has 256 bits of randomness, so a plain (unsalted) SHA-256 is enough to make the stored
value useless to a reader of the database, and it can be looked up by its hash directly.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.store.models import AccessToken

KINDS = ("api", "kiosk", "metrics")
PREFIXES = {"api": "ioc_", "kiosk": "kiosk_", "metrics": "metrics_"}


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, name: str, kind: str = "api", created_by: str | None = None,
                 now: datetime | None = None) -> tuple[AccessToken, str]:
    """Store a new token; return it with its secret (the only time the secret is known)."""
    if kind not in KINDS:
        raise ValueError(f"unknown token kind {kind!r} ({', '.join(KINDS)})")
    name = (name or "").strip()
    if not name:
        raise ValueError("give the token a name saying who uses it")
    secret = PREFIXES[kind] + secrets.token_urlsafe(32)
    row = AccessToken(name=name, kind=kind, token_hash=digest(secret), prefix=secret[:len(PREFIXES[kind]) + 4],
                      created_at=now or utcnow(), created_by=created_by)
    session.add(row)
    session.flush()
    return row, secret


def verify_token(session: Session, secret: str | None, kind: str, touch: bool = True) -> AccessToken | None:
    """The live token with this secret and kind, or None."""
    if not secret or len(secret) > 200:
        return None
    row = session.scalar(select(AccessToken).where(AccessToken.token_hash == digest(secret)))
    if row is None or row.kind != kind or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.token_hash, digest(secret)):
        return None
    if touch:
        now = utcnow()
        # written at most once a minute: a wall refreshing every few seconds must not write each time
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            row.last_used_at = now
    return row


def revoke_token(session: Session, token_id: int, now: datetime | None = None) -> AccessToken:
    row = session.get(AccessToken, token_id)
    if row is None:
        raise KeyError(token_id)
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
    return row


def list_tokens(session: Session) -> list[AccessToken]:
    return list(session.scalars(select(AccessToken).order_by(AccessToken.id)))
