"""Login throttling, stored in the database so that every web worker sees the same counts."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.store.models import LoginAttempt

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
KEEP = timedelta(days=1)


def is_blocked(session: Session, username: str, address: str, now: datetime | None = None) -> bool:
    """Too many recent failures for this account or from this address."""
    since = (now or utcnow()) - WINDOW
    failures = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.at >= since, LoginAttempt.success.is_(False))
    # failures before the account's last successful login are forgiven (not the address's)
    last_success = session.scalar(select(func.max(LoginAttempt.at)).where(
        LoginAttempt.username == _key(username), LoginAttempt.success.is_(True), LoginAttempt.at >= since))
    by_account = session.scalar(failures.where(
        LoginAttempt.username == _key(username), LoginAttempt.at > (last_success or since - WINDOW)))
    if by_account >= MAX_FAILURES_PER_ACCOUNT:
        return True
    return session.scalar(failures.where(LoginAttempt.address == address)) >= MAX_FAILURES_PER_ADDRESS


def record_attempt(session: Session, username: str, address: str, success: bool, now: datetime | None = None) -> None:
    now = now or utcnow()
    session.add(LoginAttempt(at=now, username=_key(username), address=address[:64], success=success))
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP))


def _key(username: str) -> str:
    return (username or "").strip().lower()[:128]
