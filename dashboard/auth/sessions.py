"""Who is asking: a person (signed cookie session), a machine (bearer API token), the wall
(kiosk session or an allowed address), or nobody. Computed once per request into flask.g."""
from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass

from flask import g, has_request_context, request, session

from dashboard.auth import tokens
from dashboard.store.models import AccessToken, User


@dataclass(frozen=True)
class Principal:
    name: str
    role: str  # kiosk | viewer | operator | admin
    kind: str  # user | token | kiosk
    user_id: int | None = None


def current_principal() -> Principal | None:
    """The principal of the current request, or None (anonymous, or outside a request)."""
    if not has_request_context():
        return None
    return g.get("ioc_principal")


def identify(db_session, settings) -> Principal | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        row = tokens.verify_token_cached(db_session, header[7:].strip(), "api")  # no write, brief cache
        return Principal(f"token:{row.name}", "viewer", "token") if row else None
    uid = session.get("uid")
    if uid is not None:
        user = db_session.get(User, uid)
        fresh = time.time() - session.get("at", 0) < settings.session_hours * 3600
        if user is not None and user.active and user.auth_version == session.get("v") and fresh:
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


def start_user_session(user: User) -> None:
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["v"] = user.auth_version
    session["at"] = int(time.time())


def start_kiosk_session(token: AccessToken) -> None:
    session.clear()
    session.permanent = True
    session["kiosk"] = token.id


def end_session() -> None:
    session.clear()


def _address_allowed(address: str | None, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)
