"""Read-only API tokens and wall kiosk tokens: random secrets, shown once, stored as SHA-256.

A token has 256 bits of randomness, so a plain (unsalted) SHA-256 is enough to make the stored
value useless to a reader of the database, and it can be looked up by its hash directly.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.domain.agents import CENTRAL, VANTAGE_PATTERN
from dashboard.store.models import AccessToken

log = logging.getLogger(__name__)

KINDS = ("api", "kiosk", "metrics", "agent", "reporter")
# While the database answers, every request asks it (a read: it works on a full or read-only
# database too), so a revocation from any process takes effect at once ...
CACHE_FRESH_S = 0.0
# ... and only when the database cannot be reached is a token verified in the last 10 minutes
# still trusted: a wall keeps reaching its callbacks (which then say "cơ sở dữ liệu không truy
# cập được") instead of failing every request.
CACHE_STALE_IF_ERROR_S = 600.0
TOUCH_EVERY_S = 60.0
PREFIXES = {"api": "ioc_", "kiosk": "kiosk_", "metrics": "metrics_", "agent": "agent_", "reporter": "rep_"}


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, name: str, kind: str = "api", created_by: str | None = None,
                 now: datetime | None = None, vantage: str | None = None,
                 user_id: int | None = None) -> tuple[AccessToken, str]:
    """Store a new token; return it with its secret (the only time the secret is known). An
    agent token is bound to one vantage (the endpoints it may check and report); a reporter
    token acts for one reporter account (`user_id`), with that person's scope."""
    if kind not in KINDS:
        raise ValueError(f"unknown token kind {kind!r} ({', '.join(KINDS)})")
    name = (name or "").strip()
    if not name:
        raise ValueError("give the token a name saying who uses it")
    if kind == "agent":
        if not vantage or not VANTAGE_PATTERN.match(vantage):
            raise ValueError("an agent token needs --vantage NAME (lower-case letters, digits, - and _), "
                             "the vantage its endpoints name in the catalog")
        if vantage == CENTRAL:
            raise ValueError(f"{CENTRAL!r} is the central collector's vantage: give the agent's own network a name")
    elif vantage is not None:
        raise ValueError("--vantage is for agent tokens only")
    if (kind == "reporter") != (user_id is not None):
        raise ValueError("a reporter token needs the reporter's account (--user NAME); other tokens take none")
    secret = PREFIXES[kind] + secrets.token_urlsafe(32)
    row = AccessToken(name=name, kind=kind, token_hash=digest(secret), prefix=secret[:len(PREFIXES[kind]) + 4],
                      created_at=now or utcnow(), created_by=created_by, vantage=vantage, user_id=user_id)
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
        note_use(session, row.id, row.last_used_at)
    return row


# ---------------------------------------------------------------------------- off the request path


def note_use(session: Session, token_id: int, last_used_at: datetime | None) -> None:
    """Record "last used" at most once a minute, in a short thread of its own: best effort, never
    on the request path, so a full or read-only database still serves reads."""
    now = utcnow()
    if last_used_at is not None and (now - last_used_at).total_seconds() <= TOUCH_EVERY_S:
        return
    with _lock:
        noted = _touched.get(token_id)
        if noted is not None and time.monotonic() - noted < TOUCH_EVERY_S:
            return
        _touched[token_id] = time.monotonic()
    threading.Thread(target=_touch, args=(session.get_bind(), token_id, now), name="ioc-token-touch", daemon=True).start()


def _touch(bind, token_id: int, now: datetime) -> None:
    try:
        with Session(bind) as session, session.begin():
            session.execute(update(AccessToken).where(AccessToken.id == token_id).values(last_used_at=now))
    except SQLAlchemyError as exc:
        log.info("token %s: last use not recorded (%s)", token_id, type(exc).__name__)


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    kind: str
    user_id: int | None = None


_lock = threading.Lock()
_touched: dict[int, float] = {}  # token id -> monotonic time of the last "last used" write
_by_digest: dict[tuple[str, str], tuple[float, TokenInfo]] = {}  # (digest, kind) -> (verified at, token)
_by_id: dict[tuple[int, str], tuple[float, TokenInfo]] = {}  # (id, kind) -> (verified at, token)


def _cached(cache: dict, key, fresh_s: float) -> TokenInfo | None:
    with _lock:
        hit = cache.get(key)
    return hit[1] if hit is not None and time.monotonic() - hit[0] < fresh_s else None


def _remember(cache: dict, key, info: TokenInfo | None) -> None:
    with _lock:
        if info is None:
            cache.pop(key, None)
        else:
            if len(cache) > 10_000:
                cache.clear()
            cache[key] = (time.monotonic(), info)


def verify_token_cached(session: Session, secret: str | None, kind: str) -> TokenInfo | None:
    """verify_token for every request: a token verified in the last CACHE_FRESH_S is not looked
    up again; when the database is unreachable, one verified in the last CACHE_STALE_IF_ERROR_S
    still passes (anything else raises as before)."""
    if not secret or len(secret) > 200:
        return None
    key = (digest(secret), kind)
    hit = _cached(_by_digest, key, CACHE_FRESH_S)
    if hit is not None:
        return hit
    try:
        row = verify_token(session, secret, kind)
    except SQLAlchemyError:
        stale = _cached(_by_digest, key, CACHE_STALE_IF_ERROR_S)
        if stale is not None:
            return stale
        raise
    info = TokenInfo(row.id, row.name, row.kind, row.user_id) if row is not None else None
    _remember(_by_digest, key, info)
    return info


def live_token_by_id(session: Session, token_id: int, kind: str) -> TokenInfo | None:
    """The live token of this id and kind (a kiosk's session keeps the id), with the same cache."""
    key = (token_id, kind)
    hit = _cached(_by_id, key, CACHE_FRESH_S)
    if hit is not None:
        return hit
    try:
        row = session.get(AccessToken, token_id)
    except SQLAlchemyError:
        stale = _cached(_by_id, key, CACHE_STALE_IF_ERROR_S)
        if stale is not None:
            return stale
        raise
    info = TokenInfo(row.id, row.name, row.kind) if row is not None and row.kind == kind and row.revoked_at is None else None
    _remember(_by_id, key, info)
    return info


def forget_cached(token_id: int | None = None) -> None:
    """Drop cached verifications (of one token, or all): called on revocation."""
    with _lock:
        for cache in (_by_digest, _by_id):
            for key in [k for k, (_, info) in cache.items() if token_id is None or info.id == token_id]:
                del cache[key]


def revoke_token(session: Session, token_id: int, now: datetime | None = None) -> AccessToken:
    row = session.get(AccessToken, token_id)
    if row is None:
        raise KeyError(token_id)
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
    forget_cached(token_id)
    return row


def list_tokens(session: Session) -> list[AccessToken]:
    return list(session.scalars(select(AccessToken).order_by(AccessToken.id)))
