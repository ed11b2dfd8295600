"""Who is asking: a person (signed cookie session), a machine (bearer API token), the wall
(kiosk session or an allowed address), or nobody. Computed once per request into flask.g."""
from __future__ import annotations

import hashlib
import ipaddress
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import g, has_request_context, request, session
from sqlalchemy import delete, or_, select, update

from collectors.timeutil import utcnow
from dashboard.auth import tokens
from dashboard.store.models import AccessToken, User, UserSession


@dataclass(frozen=True)
class Principal:
    name: str
    role: str  # kiosk | reporter | viewer | operator | admin
    kind: str  # user | token | reporter_token | kiosk
    user_id: int | None = None


def current_principal() -> Principal | None:
    """The principal of the current request, or None (anonymous, or outside a request)."""
    if not has_request_context():
        return None
    return g.get("ioc_principal")


def identify(db_session, settings) -> Principal | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        secret = header[7:].strip()
        if secret.startswith(tokens.PREFIXES["reporter"]):
            # a reporter's token acts for that person, with their scope, while their account is active
            row = tokens.verify_token_cached(db_session, secret, "reporter")
            user = db_session.get(User, row.user_id) if row is not None and row.user_id is not None else None
            if user is None or not user.active or user.role != "reporter":
                return None
            return Principal(user.username, "reporter", "reporter_token", user.id)
        row = tokens.verify_token_cached(db_session, secret, "api")  # no write, brief cache
        return Principal(f"token:{row.name}", "viewer", "token") if row else None
    uid = session.get("uid")
    if uid is not None:
        user = db_session.get(User, uid)
        fresh = time.time() - session.get("at", 0) < settings.session_hours * 3600
        row = _live_session(db_session, session.get("sid"))
        if (user is not None and user.active and user.auth_version == session.get("v") and fresh
                and row is not None and row.user_id == user.id):
            return Principal(user.username, user.role, "user", user.id)
        session.clear()
        return None
    kiosk_id = session.get("kiosk")
    if kiosk_id is not None:
        row = tokens.live_token_by_id(db_session, kiosk_id, "kiosk")  # a wall must not need the DB each refresh
        if row is not None:
            return Principal(f"kiosk:{row.name}", "kiosk", "kiosk")
        session.clear()
        return None
    if settings.kiosk_allow and _address_allowed(request.remote_addr, settings.kiosk_allow):
        return Principal(f"kiosk@{request.remote_addr}", "kiosk", "kiosk")
    return None


def start_user_session(db_session, user: User, hours: float, address: str | None = None) -> None:
    """A new session row on the server; the cookie carries its random id (signed), the row only
    a hash of it, so reading the database gives nobody a usable session."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    # this person's ended sessions are of no more use: the table holds live sessions (and the
    # recently ended, for a day) rather than every login ever made
    db_session.execute(delete(UserSession).where(
        UserSession.user_id == user.id,
        or_(UserSession.expires_at < now, UserSession.revoked_at < now - timedelta(days=1))))
    db_session.add(UserSession(id_hash=_hash(sid), user_id=user.id, created_at=now,
                               expires_at=now + timedelta(hours=hours), address=(address or "")[:64] or None))
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["sid"] = sid
    session["v"] = user.auth_version
    session["at"] = int(time.time())


def start_kiosk_session(token: AccessToken) -> None:
    session.clear()
    session.permanent = True
    session["kiosk"] = token.id


def end_session(db_session=None) -> None:
    """Log out: the session row is revoked (a copy of the cookie is worth nothing after)."""
    sid = session.get("sid")
    if db_session is not None and isinstance(sid, str):
        db_session.execute(update(UserSession).where(UserSession.id_hash == _hash(sid), UserSession.revoked_at.is_(None))
                           .values(revoked_at=utcnow()))
    session.clear()


def revoke_all(db_session, user_id: int) -> int:
    """Sign a person out everywhere: every session row of theirs is revoked. Returns how many."""
    result = db_session.execute(update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
                                .values(revoked_at=utcnow()))
    return result.rowcount or 0


def _live_session(db_session, sid) -> UserSession | None:
    if not isinstance(sid, str) or not sid:
        return None
    row = db_session.scalar(select(UserSession).where(UserSession.id_hash == _hash(sid)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return row


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def _address_allowed(address: str | None, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)
