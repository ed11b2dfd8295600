"""Account management (used by the command line and, later, an admin page); every change is audited."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.auth import audit
from dashboard.auth.passwords import check_strength, hash_password
from dashboard.auth.policy import ROLES
from dashboard.store.models import User

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")


class AccountError(ValueError):
    pass


def find(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))


def create_user(session: Session, username: str, role: str, password: str | None, actor: str = "cli",
                now: datetime | None = None) -> User:
    username = (username or "").strip()
    if not NAME_PATTERN.match(username):
        raise AccountError("a user name has 2–64 letters, digits, '.', '_', '-' or '@'")
    _check_role(role)
    if find(session, username) is not None:
        raise AccountError(f"user {username!r} exists already")
    if password is not None:
        check_strength(password, (username,))
    user = User(username=username, role=role, password_hash=hash_password(password) if password else None,
                active=True, auth_version=1, created_at=now or utcnow())
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", username, {"role": role})
    return user


def set_role(session: Session, username: str, role: str, actor: str = "cli") -> User:
    _check_role(role)
    user = _get(session, username)
    old = user.role
    user.role = role
    user.auth_version += 1  # sessions signed with the old role end
    audit.record(session, actor, "user.set_role", user.username, {"from": old, "to": role})
    return user


def set_active(session: Session, username: str, active: bool, actor: str = "cli") -> User:
    user = _get(session, username)
    user.active = active
    user.auth_version += 1
    audit.record(session, actor, "user.enable" if active else "user.disable", user.username)
    return user


def reset_password(session: Session, username: str, password: str, actor: str = "cli") -> User:
    user = _get(session, username)
    check_strength(password, (user.username,))
    user.password_hash = hash_password(password)
    user.auth_version += 1
    audit.record(session, actor, "user.reset_password", user.username)
    return user


def logout_all(session: Session, username: str, actor: str = "cli") -> int:
    """Sign a person out on every browser: their session rows are revoked. Returns how many."""
    from dashboard.auth.sessions import revoke_all

    user = _get(session, username)
    count = revoke_all(session, user.id)
    audit.record(session, actor, "user.logout_all", user.username, {"sessions": count})
    return count


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def _get(session: Session, username: str) -> User:
    user = find(session, username)
    if user is None:
        raise AccountError(f"no user {username!r}")
    return user


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
