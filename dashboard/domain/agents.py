"""Remote agents, the pure rules: who checks an endpoint (its vantage), how a result batch is
signed and read, how far an agent's clock may be off, and when an agent counts as silent.

A batch is the raw JSON body of `POST /api/agent/results`, signed with HMAC-SHA256. The key is
derived from the agent token's secret through its SHA-256 (what the server stores), so the
server can check a signature without ever storing the secret itself:

    key = HMAC-SHA256(key=SHA-256(secret), msg="ioc-agent-batch-v1")
    header  X-IOC-Signature: sha256=<hex HMAC-SHA256(key, body)>

The signature covers the whole body: its batch id (a replayed request is refused by that id),
its send time (clock skew) and every result with its own id (a result stored once, whatever
the number of times a batch holding it is sent)."""
from __future__ import annotations

import hashlib
import hmac
import math
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from collectors.base import Status
from dashboard.domain.causes import CODES as CAUSE_CODES
from dashboard.domain.status import system_status

CENTRAL = "central"  # the vantage of the central collector, every endpoint's default
VANTAGE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
SIGNATURE_HEADER = "X-IOC-Signature"
KEY_CONTEXT = b"ioc-agent-batch-v1"

SKEW_FLAG_S = 60.0  # an agent clock further off than this is flagged (results keep its stamps)
MAX_BATCH_AGE_S = 24 * 3600.0  # a batch sent longer ago than this (by its own stamp) is refused:
# the server remembers batch ids this long, so an older capture cannot be replayed unnoticed
MAX_RESULTS_PER_BATCH = 1000
MAX_REASON_CHARS = 2000
MAX_DETAIL_CHARS = 4000
SILENT_GRACE_S = 30.0  # on top of two batch intervals before an agent counts as silent
MIN_BATCH_INTERVAL_S, MAX_BATCH_INTERVAL_S = 1.0, 3600.0
VERDICTS = {str(s) for s in (Status.UP, Status.DEGRADED, Status.DOWN, Status.UNKNOWN)}


# ---------------------------------------------------------------------------- signing


def key_from_digest(token_sha256_hex: str) -> bytes:
    """The batch-signing key from the token's stored SHA-256 (hex)."""
    return hmac.new(bytes.fromhex(token_sha256_hex), KEY_CONTEXT, hashlib.sha256).digest()


def key_from_secret(secret: str) -> bytes:
    """The same key, as the agent derives it from the secret it holds."""
    return key_from_digest(hashlib.sha256(secret.encode()).hexdigest())


def sign(key: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def signature_ok(key: bytes, body: bytes, header: str | None) -> bool:
    """Constant-time comparison; a missing or malformed header is simply wrong."""
    if not header or len(header) > 100:
        return False
    return hmac.compare_digest(sign(key, body), header.strip())


# ---------------------------------------------------------------------------- batches


@dataclass(frozen=True)
class AgentResult:
    """One result as an agent sent it: its own id, the agent's clock for `checked_at`."""

    id: str
    endpoint_id: str
    verdict: str
    reason: str
    checked_at: datetime
    latency_ms: float | None
    http_code: int | None
    detail: dict
    missed: bool
    cause: str | None = None  # a code of dashboard.domain.causes, rendered at read time
    params: dict | None = None


@dataclass(frozen=True)
class Batch:
    batch_id: str
    sent_at: datetime
    batch_interval_s: float
    version: str | None
    results: tuple[AgentResult, ...]


class BadBatch(ValueError):
    """The batch cannot be used; the message names the field."""


def _uuid(value, where: str) -> str:
    if not isinstance(value, str) or len(value) != 36:
        raise BadBatch(f"{where}: must be a UUID such as 6f1c…-…, got {_show(value)}")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise BadBatch(f"{where}: must be a UUID, got {_show(value)}") from None


def _time(value, where: str) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise BadBatch(f"{where}: must be an ISO 8601 time with a zone, got {_show(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadBatch(f"{where}: must be an ISO 8601 time with a zone, got {_show(value)}") from None
    if parsed.tzinfo is None:
        raise BadBatch(f"{where}: the time has no zone (send UTC, e.g. 2026-12-02T07:00:00+00:00)")
    return parsed


def _number(value, where: str, low: float, high: float, integer: bool = False):
    if value is None:
        return None
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value) or not low <= value <= high:
        raise BadBatch(f"{where}: must be a number from {low:g} to {high:g} or null, got {_show(value)}")
    return value


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def parse_batch(payload) -> Batch:
    """The batch in a decoded JSON body, every field checked; BadBatch names the first bad one."""
    if not isinstance(payload, dict):
        raise BadBatch("the body must be a JSON object with batch_id, sent_at and results")
    batch_id = _uuid(payload.get("batch_id"), "batch_id")
    sent_at = _time(payload.get("sent_at"), "sent_at")
    interval = _number(payload.get("batch_interval_s", 10.0), "batch_interval_s",
                       MIN_BATCH_INTERVAL_S, MAX_BATCH_INTERVAL_S)
    version = payload.get("version")
    if version is not None and (not isinstance(version, str) or len(version) > 64):
        raise BadBatch("version: must be a short text")
    items = payload.get("results")
    if not isinstance(items, list):
        raise BadBatch("results: must be a list")
    if len(items) > MAX_RESULTS_PER_BATCH:
        raise BadBatch(f"results: at most {MAX_RESULTS_PER_BATCH} per batch, got {len(items)}")
    results, seen = [], set()
    for index, item in enumerate(items):
        where = f"results[{index}]"
        if not isinstance(item, dict):
            raise BadBatch(f"{where}: must be an object")
        result_id = _uuid(item.get("id"), f"{where}.id")
        if result_id in seen:
            raise BadBatch(f"{where}.id: {result_id} appears twice in the batch")
        seen.add(result_id)
        endpoint = item.get("endpoint")
        if not isinstance(endpoint, str) or not 0 < len(endpoint) <= 130:
            raise BadBatch(f"{where}.endpoint: must be an endpoint id")
        verdict = item.get("verdict")
        if verdict not in VERDICTS:
            raise BadBatch(f"{where}.verdict: must be one of {', '.join(sorted(VERDICTS))}, got {_show(verdict)}")
        reason = item.get("reason", "")
        if not isinstance(reason, str):
            raise BadBatch(f"{where}.reason: must be a text")
        detail = item.get("detail") or {}
        if not isinstance(detail, dict) or len(repr(detail)) > MAX_DETAIL_CHARS:
            raise BadBatch(f"{where}.detail: must be an object of at most {MAX_DETAIL_CHARS} characters")
        missed = item.get("missed", False)
        if not isinstance(missed, bool):
            raise BadBatch(f"{where}.missed: must be true or false")
        cause = item.get("cause")
        if cause is not None and not isinstance(cause, str):
            raise BadBatch(f"{where}.cause: must be a cause code or null")
        if cause is not None and cause not in CAUSE_CODES:
            cause = None  # an agent newer than the server: its words (reason) still say it
        params = item.get("params") or {}
        if not isinstance(params, dict) or len(repr(params)) > MAX_DETAIL_CHARS:
            raise BadBatch(f"{where}.params: must be an object of at most {MAX_DETAIL_CHARS} characters")
        results.append(AgentResult(
            result_id, endpoint, verdict, reason[:MAX_REASON_CHARS], _time(item.get("checked_at"), f"{where}.checked_at"),
            _number(item.get("latency_ms"), f"{where}.latency_ms", 0, 3_600_000),
            _number(item.get("http_code"), f"{where}.http_code", 100, 999, integer=True),
            detail, missed, cause, params if cause else None,
        ))
    return Batch(batch_id, sent_at, float(interval), version, tuple(results))


# ---------------------------------------------------------------------------- clocks and silence


def clock_skew_s(sent_at: datetime, received_at: datetime) -> float:
    """The agent's clock minus the server's, as well as one request can tell (the time on the
    wire counts as skew: it is small next to the limit)."""
    return (sent_at - received_at).total_seconds()


def skew_flagged(skew_s: float, limit_s: float = SKEW_FLAG_S) -> bool:
    return abs(skew_s) > limit_s


def batch_too_old(skew_s: float, max_age_s: float = MAX_BATCH_AGE_S) -> bool:
    """A send time this far from now (either way) cannot be told from a replay of an old capture."""
    return abs(skew_s) > max_age_s


def agent_silent(last_contact_at: datetime | None, batch_interval_s: float, now: datetime,
                 grace_s: float = SILENT_GRACE_S) -> bool:
    """No contact for more than two batch intervals plus a grace: the agent (or the way to it)
    is gone, so what it checks can no longer be vouched for — shown unknown, never down."""
    if last_contact_at is None:
        return True
    return now - last_contact_at > timedelta(seconds=2 * batch_interval_s + grace_s)


def shown_for_vantage(status: str, stale: bool, silent: bool) -> tuple[str, bool]:
    """(status shown, stale) of an endpoint whose agent may be silent: unknown (stale) while it
    is, except in maintenance, which a planned window decides, not a check."""
    if silent and status != Status.MAINTENANCE:
        return str(Status.UNKNOWN), True
    return status, stale


def assigned(endpoints: list[dict], vantage: str) -> list[dict]:
    """The endpoints an agent of `vantage` checks: only its own, never another vantage's."""
    return [e for e in endpoints if e.get("vantage", CENTRAL) == vantage]


def vantage_silent(vantage: str | None, live_vantages: frozenset[str] | set[str]) -> bool:
    """Whether whoever checks an endpoint of `vantage` is silent: never the central collector
    (its own staleness rule covers it); an agent's vantage with no agent heard from lately."""
    return bool(vantage) and vantage != CENTRAL and vantage not in live_vantages


def system_shown_with_silent(shown: str, stale: bool, endpoints: list[tuple[str, bool, bool]]) -> tuple[str, bool]:
    """(status shown, stale) of a system some of whose endpoints belong to a silent agent, from
    its endpoints' (status shown, critical, silent). The system's stored state may rest on what
    the silent agent last said: it is judged again from the endpoints still vouched for, and
    reads at best degraded (part of it can no longer be seen); with none left, unknown."""
    if not any(silent for _, _, silent in endpoints):
        return shown, stale
    if shown == Status.MAINTENANCE:
        return shown, stale
    vouched = [(Status(status), critical) for status, critical, silent in endpoints if not silent]
    status = system_status(vouched)
    if status == Status.UNKNOWN:
        return str(Status.UNKNOWN), True
    if status == Status.UP:
        return str(Status.DEGRADED), False
    return str(status), False
