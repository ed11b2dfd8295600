"""The demo stays instant: a generated one-time admin password and a kiosk link at each start,
never a fixed default."""
from __future__ import annotations

import os
import secrets

from sqlalchemy import select

from collectors.timeutil import utcnow
from dashboard.auth import audit, tokens, users
from dashboard.auth.passwords import hash_password
from dashboard.store.models import AccessToken

DEMO_ADMIN = "demo-admin"
DEMO_KIOSK = "demo wall"


def prepare(db, env=None) -> tuple[str, str, str]:
    """(user name, password, kiosk secret). IOC_DEMO_ADMIN_PASSWORD fixes the password (tests)."""
    env = os.environ if env is None else env
    password = env.get("IOC_DEMO_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
    with db.session() as session:
        user = users.find(session, DEMO_ADMIN)
        if user is None:
            user = users.create_user(session, DEMO_ADMIN, "admin", None, actor="demo")
        user.password_hash = hash_password(password)
        user.role, user.active = "admin", True
        user.auth_version += 1
        for old in session.scalars(select(AccessToken).where(AccessToken.name == DEMO_KIOSK, AccessToken.revoked_at.is_(None))):
            old.revoked_at = utcnow()
        _, kiosk = tokens.create_token(session, DEMO_KIOSK, "kiosk", created_by="demo")
        audit.record(session, "demo", "demo.access", DEMO_ADMIN, {"note": "one-time demo password and kiosk link"})
    return DEMO_ADMIN, password, kiosk
