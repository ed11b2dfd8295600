"""Account management (used by the command line and, later, an admin page); every change is audited."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.auth import audit, scopes
from dashboard.auth.passwords import check_strength, hash_password
from dashboard.auth.policy import ROLES
from dashboard.store.models import User

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,185}\.[A-Za-z]{2,}$")


class AccountError(ValueError):
    pass


def find(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))


def create_user(session: Session, username: str, role: str, password: str | None, actor: str = "cli",
                now: datetime | None = None, agencies: list[str] | None = None, partners: list[str] | None = None,
                email: str | None = None) -> User:
    """A new account. A reporter needs at least one agency or partner scope (`agencies`,
    `partners`); the other roles take none (they are not bound to an agency)."""
    username = (username or "").strip()
    if not NAME_PATTERN.match(username):
        raise AccountError("a user name has 2–64 letters, digits, '.', '_', '-' or '@'")
    _check_role(role)
    if find(session, username) is not None:
        raise AccountError(f"user {username!r} exists already")
    agency_ids, partner_names = _check_scopes(session, role, agencies or [], partners or [])
    email = _check_email(email)
    if password is not None:
        check_strength(password, (username,))
    user = User(username=username, role=role, password_hash=hash_password(password) if password else None,
                active=True, auth_version=1, created_at=now or utcnow(), email=email)
    session.add(user)
    session.flush()
    scopes.set_scopes(session, user, agency_ids, partner_names)
    detail = {"role": role}
    if agency_ids or partner_names:
        detail.update({"agencies": agency_ids, "partners": partner_names})
    audit.record(session, actor, "user.create", username, detail)
    return user


def set_scopes(session: Session, username: str, agencies: list[str], partners: list[str], actor: str = "cli") -> User:
    """Replace a reporter's agencies and partner enterprises; their sessions end (the new scope
    applies at once, and nobody keeps a page of tasks no longer theirs)."""
    user = _get(session, username)
    old = scopes.describe(scopes.scope_of(session, user.id))
    agency_ids, partner_names = _check_scopes(session, user.role, agencies, partners)
    scopes.set_scopes(session, user, agency_ids, partner_names)
    user.auth_version += 1
    audit.record(session, actor, "user.set_scopes", user.username,
                 {"from": old, "to": scopes.describe(scopes.scope_of(session, user.id))})
    return user


def set_email(session: Session, username: str, email: str | None, actor: str = "cli") -> User:
    user = _get(session, username)
    user.email = _check_email(email)
    audit.record(session, actor, "user.set_email", user.username)
    return user


def _check_scopes(session: Session, role: str, agencies: list[str], partners: list[str]) -> tuple[list[str], list[str]]:
    if role != "reporter":
        if agencies or partners:
            raise AccountError("only a reporter is bound to agencies or partners (--agency, --partner)")
        return [], []
    try:
        agency_ids, partner_names = scopes.check_values(session, agencies, partners)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    if not agency_ids and not partner_names:
        raise AccountError("a reporter needs at least one --agency (or --partner)")
    return agency_ids, partner_names


def _check_email(email: str | None) -> str | None:
    email = (email or "").strip()
    if not email:
        return None
    if not EMAIL_PATTERN.match(email):
        raise AccountError(f"not an e-mail address: {email[:80]!r}")
    return email


def set_role(session: Session, username: str, role: str, actor: str = "cli") -> User:
    _check_role(role)
    user = _get(session, username)
    old = user.role
    if role == "reporter" and not user.scopes:
        raise AccountError("a reporter needs an agency first: user set-scopes NAME --agency ID")
    if old == "reporter" and role != "reporter":
        scopes.set_scopes(session, user, [], [])  # scopes mean something only for reporters
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
