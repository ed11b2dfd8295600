"""Heartbeat (push) pings: receiving, storing and reading them back for the heartbeat probe.

A sender calls GET or POST /api/heartbeat/<token>. The token comes from the catalog (usually
`${ENV_VAR}`); the database keeps only its SHA-256, looked up in constant time. A ping with a
malformed or unknown token, an oversized body or an unreadable payload is rejected and stores
nothing. Tokens are never logged in full (`masked`).
"""
from __future__ import annotations

import hmac
import json
import logging
import re
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from collectors.heartbeat import NoPing, Ping
from collectors.timeutil import utcnow
from dashboard.catalog.commune_tokens import token_digest
from dashboard.store.models import CheckResult, Endpoint, HeartbeatPing, key_of

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 4_096
MAX_MESSAGE_CHARS = 500
KEEP = timedelta(hours=48)  # pings older than this are pruned as new ones arrive
# What a sender may report, and what it means here.
REPORTED = {"up": "up", "ok": "up", "degraded": "degraded", "warning": "degraded",
            "down": "down", "fail": "down", "error": "down"}


class PingRejected(Exception):
    def __init__(self, http_status: int, message: str):
        super().__init__(message)
        self.http_status = http_status
        self.message = message


def masked(token: str) -> str:
    return f"{token[:4]}…" if len(token) > 4 else "…"


def well_formed(token: str) -> bool:
    from dashboard.catalog.loader import TOKEN_PATTERN

    return bool(TOKEN_PATTERN.match(token))


def endpoint_for_token(session: Session, token: str) -> str | None:
    """The active heartbeat endpoint holding this token. Every stored digest is compared, in
    constant time, whether or not one already matched: the answer's timing tells nothing."""
    wanted = token_digest(token).encode()
    found = None
    rows = session.execute(select(Endpoint.id, Endpoint.options).where(
        Endpoint.kind == "heartbeat", Endpoint.active.is_(True)))
    for endpoint_id, options in rows:
        stored = str((options or {}).get("token_sha256", "")).encode()
        if hmac.compare_digest(wanted, stored) and found is None:
            found = endpoint_id
    return found


def parse_payload(body: bytes, args: dict[str, str]) -> tuple[str | None, str | None]:
    """(reported status, message) from a JSON body {"status": …, "message": …}, a plain-text
    body (the message), or query parameters ?status=…&message=… (for a simple cron curl)."""
    status, message = args.get("status"), args.get("message")
    text = body.decode("utf-8", errors="replace").strip() if body else ""
    if text.startswith(("{", "[")):
        try:
            payload = json.loads(text)
        except ValueError:
            raise PingRejected(400, "the body looks like JSON but cannot be read as JSON") from None
        if not isinstance(payload, dict):
            raise PingRejected(400, 'send a JSON object such as {"status": "up", "message": "..."}')
        status = payload.get("status", status)
        message = payload.get("message", message)
    elif text:
        message = text
    if status is not None:
        if not isinstance(status, str) or status.strip().lower() not in REPORTED:
            raise PingRejected(400, f"status must be one of: {', '.join(REPORTED)}")
        status = REPORTED[status.strip().lower()]
    if message is not None:
        message = str(message)[:MAX_MESSAGE_CHARS] or None
    return status, message


def receive(session: Session, token: str, body: bytes, args: dict[str, str], source: str | None,
            now: datetime | None = None) -> HeartbeatPing:
    """Validate and store one ping; raises PingRejected (with the HTTP status) storing nothing."""
    if not well_formed(token):
        raise PingRejected(401, "malformed heartbeat token")
    if len(body) > MAX_BODY_BYTES:
        raise PingRejected(413, f"body larger than {MAX_BODY_BYTES} bytes")
    endpoint_id = endpoint_for_token(session, token)
    if endpoint_id is None:
        raise PingRejected(404, "unknown heartbeat token")
    status, message = parse_payload(body, args)
    now = now or utcnow()
    ping = HeartbeatPing(endpoint_id=endpoint_id, received_at=now, status=status, message=message,
                         source=(source or "")[:64] or None)
    session.add(ping)
    session.execute(delete(HeartbeatPing).where(HeartbeatPing.endpoint_id == endpoint_id,
                                                HeartbeatPing.received_at < now - KEEP))
    session.flush()
    return ping


def latest_ping(session: Session, endpoint_id: str) -> Ping | None:
    row = session.scalars(select(HeartbeatPing).where(HeartbeatPing.endpoint_id == endpoint_id)
                          .order_by(HeartbeatPing.received_at.desc(), HeartbeatPing.id.desc()).limit(1)).first()
    if row is None:
        return None
    return Ping(row.received_at, row.status, row.message, row.source)


class TokenMasking(logging.Filter):
    """Access logs (werkzeug, gunicorn) print request paths: cut heartbeat tokens to 4 characters."""

    _PATH = re.compile(r"(/api/heartbeat/[A-Za-z0-9_-]{0,4})[^\s?\"']*")

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if "/api/heartbeat/" in text:
            record.msg, record.args = self._PATH.sub(r"\1…", text), None
        return True


def mask_tokens_in_access_logs() -> None:
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, TokenMasking) for f in logger.filters):
            logger.addFilter(TokenMasking())


class PingReader:
    """The heartbeat probe's window on the database (installed with collectors.heartbeat.use_source)."""

    def __init__(self, db):
        self.db = db

    def __call__(self, endpoint_id: str) -> Ping | NoPing | None:
        with self.db.session() as session:
            last = latest_ping(session, endpoint_id)
            if last is not None:
                return last
            first = session.scalar(select(func.min(CheckResult.checked_at)).where(CheckResult.endpoint_key == key_of(endpoint_id)))
            return NoPing(first) if first is not None else None
