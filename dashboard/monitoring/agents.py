"""Remote agents, the server side: an agent token's assignment, and its signed result batches
received, checked and stored through the same path as the central collector's results.

What is refused, and how (docs/agents.md):
- an unknown, revoked or non-agent token: 401, logged;
- a body whose signature does not match (tampered, or signed with another key): 401, logged,
  nothing stored; a malformed batch: 400 naming the field;
- a batch id already received (the same request sent again): 409, nothing stored;
- a batch whose send time is more than a day from the server's clock: 400 (the server would no
  longer remember its id); a skew over a minute is accepted but flagged on the agent;
- a result whose id is stored already: not stored again, acknowledged as a duplicate (the agent
  sent it again because it never saw the answer);
- a result for an endpoint that is not this vantage's: not stored, acknowledged as refused (the
  catalog moved it; the agent must not keep it forever).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from collectors.base import CheckResult, Status
from collectors.timeutil import iso, utcnow
from dashboard.auth import tokens
from dashboard.domain import agents as rules
from dashboard.domain.status import FlapSettings
from dashboard.monitoring.actions import take_check_requests
from dashboard.monitoring.results import record_results
from dashboard.monitoring.rollups import roll_up_late
from dashboard.store.models import AccessToken, Agent, AgentBatch, Endpoint, RuntimeState
from dashboard.store.models import CheckResult as CheckRow
from dashboard.store.runtime_keys import LEASE_KEY

log = logging.getLogger(__name__)

BATCH_MEMORY = timedelta(seconds=2 * rules.MAX_BATCH_AGE_S)


class Rejected(Exception):
    """A request refused as a whole; nothing was stored."""

    def __init__(self, http_status: int, message: str):
        super().__init__(message)
        self.http_status = http_status
        self.message = message


@dataclass
class Ack:
    stored: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)
    clock_skew_s: float = 0.0
    skew_flagged: bool = False
    check_now: list[str] = field(default_factory=list)  # "check now" asked on a page or the API

    def as_json(self) -> dict:
        return {"stored": self.stored, "duplicates": self.duplicates, "refused": self.refused,
                "clock_skew_s": round(self.clock_skew_s, 3), "skew_flagged": self.skew_flagged,
                "check_now": self.check_now}


def authenticate(session: Session, secret: str | None, address: str | None) -> AccessToken:
    """The live agent token with this secret, or Rejected(401) (logged: a revoked agent that
    keeps calling is worth knowing about)."""
    row = tokens.verify_token(session, secret, "agent", touch=False) if secret else None
    if row is None or not row.vantage:
        shown = (secret or "")[:10]
        log.warning("agent request from %s refused: unknown or revoked agent token (%s…)", address, shown)
        raise Rejected(401, "unknown or revoked agent token")
    return row


def _agent_row(session: Session, token: AccessToken, now: datetime, address: str | None) -> Agent:
    agent = session.get(Agent, token.id)
    if agent is None:
        agent = Agent(token_id=token.id, name=token.name, vantage=token.vantage, first_seen_at=now,
                      last_contact_at=now, results_stored=0, duplicates=0, rejected_batches=0, batch_interval_s=10.0)
        session.add(agent)
    agent.name, agent.vantage = token.name, token.vantage
    agent.last_contact_at = now
    agent.last_address = (address or "")[:64] or None
    return agent


def assignment(session: Session, token: AccessToken, address: str | None, now: datetime | None = None) -> dict:
    """The active endpoints of the token's vantage, with what a probe needs; nothing of any
    other vantage. Counts as a contact."""
    now = now or utcnow()
    _agent_row(session, token, now, address)
    rows = session.execute(
        select(Endpoint.id, Endpoint.kind, Endpoint.target, Endpoint.interval_s, Endpoint.timeout_s,
               Endpoint.options, Endpoint.vantage)
        .where(Endpoint.active.is_(True), Endpoint.vantage == token.vantage)
        .order_by(Endpoint.id)
    ).all()
    endpoints = rules.assigned([
        {"id": r.id, "kind": r.kind, "target": r.target, "interval_s": r.interval_s, "timeout_s": r.timeout_s,
         "options": r.options or {}, "vantage": r.vantage} for r in rows], token.vantage)
    return {"vantage": token.vantage, "agent": token.name, "generated_at": iso(now), "endpoints": endpoints}


def receive_batch(session: Session, token: AccessToken, body: bytes, signature: str | None,
                  address: str | None, flap: FlapSettings | None = None, now: datetime | None = None) -> Ack:
    """Check and store one batch. Raises Rejected for a batch refused as a whole; the rejection
    is counted on the agent in a transaction of its own by the caller (`note_rejection`)."""
    now = now or utcnow()
    if not rules.signature_ok(rules.key_from_digest(token.token_hash), body, signature):
        log.warning("agent %s (%s) from %s: batch refused, signature does not match (tampered or wrong key)",
                    token.name, token.vantage, address)
        raise Rejected(401, "signature does not match the body")
    try:
        batch = rules.parse_batch(json.loads(body))
    except (ValueError, UnicodeDecodeError) as exc:  # BadBatch is a ValueError, and so is bad JSON
        raise Rejected(400, f"bad batch: {exc}") from None
    skew = rules.clock_skew_s(batch.sent_at, now)
    if rules.batch_too_old(skew):
        raise Rejected(400, f"sent_at is {skew:+.0f} s from the server's clock (more than "
                            f"{rules.MAX_BATCH_AGE_S:.0f} s): fix the agent's clock")
    if session.get(AgentBatch, batch.batch_id) is not None:
        log.warning("agent %s (%s) from %s: batch %s refused, already received (a replay)",
                    token.name, token.vantage, address, batch.batch_id)
        raise Rejected(409, f"batch {batch.batch_id} was received already (replayed request)")
    session.add(AgentBatch(batch_id=batch.batch_id, token_id=token.id, received_at=now))

    ack = Ack(clock_skew_s=skew, skew_flagged=rules.skew_flagged(skew))
    ids = [r.id for r in batch.results]
    if ids:
        # Queue behind the central collector's result writes, which lock the lease row first
        # (its fence): two writers never recompute the same system at once (PostgreSQL; SQLite
        # serialises writers anyway). Same lock order as the collector: lease row, then states.
        session.execute(update(RuntimeState).where(RuntimeState.key == LEASE_KEY).values(epoch=RuntimeState.epoch))
    known = set(session.scalars(select(CheckRow.result_uid).where(CheckRow.result_uid.in_(ids)))) if ids else set()
    mine = set(session.scalars(select(Endpoint.id).where(
        Endpoint.id.in_({r.endpoint_id for r in batch.results}), Endpoint.active.is_(True),
        Endpoint.vantage == token.vantage))) if ids else set()
    fresh: list[CheckResult] = []
    for r in batch.results:
        if r.id in known:
            ack.duplicates.append(r.id)
        elif r.endpoint_id not in mine:
            ack.refused.append({"id": r.id, "reason": f"endpoint {r.endpoint_id!r} is not assigned to {token.vantage!r}"})
        else:
            fresh.append(CheckResult(r.endpoint_id, Status(r.verdict), r.reason, checked_at=r.checked_at,
                                     latency_ms=r.latency_ms, http_code=r.http_code, detail=dict(r.detail),
                                     missed=r.missed, result_id=r.id, cause=r.cause, params=dict(r.params or {})))
            ack.stored.append(r.id)
    if fresh:
        record_results(session, fresh, flap=flap)
        late: dict[str, set] = {}
        for item in fresh:
            late.setdefault(item.endpoint_id, set()).add(item.checked_at)
        roll_up_late(session, late)  # hours rolled up while these results waited in the agent's buffer

    # "check now" on this vantage's endpoints reaches the agent with the answer to its next batch
    # (an agent sends one every batch interval, empty when it has nothing to say)
    ack.check_now = take_check_requests(session, token.vantage)
    agent = _agent_row(session, token, now, address)
    was_flagged = agent.clock_skew_s is not None and rules.skew_flagged(agent.clock_skew_s)
    agent.last_batch_at = now
    agent.batch_interval_s = batch.batch_interval_s
    agent.clock_skew_s = skew
    agent.version = batch.version
    agent.results_stored = (agent.results_stored or 0) + len(ack.stored)
    agent.duplicates = (agent.duplicates or 0) + len(ack.duplicates)
    if ack.skew_flagged:
        agent.skew_flagged_at = now
        if not was_flagged:  # said when it starts, not at every batch
            log.warning("agent %s (%s): clock %+.1f s from the server's (more than %.0f s): its results keep "
                        "their stamps, flagged", token.name, token.vantage, skew, rules.SKEW_FLAG_S)
    elif was_flagged:
        log.warning("agent %s (%s): clock back within %.0f s of the server's (%+.1f s)", token.name, token.vantage,
                    rules.SKEW_FLAG_S, skew)
    if ack.refused:
        log.info("agent %s (%s): %d result(s) for endpoints not assigned to it refused", token.name,
                 token.vantage, len(ack.refused))
    return ack


def note_rejection(session: Session, token: AccessToken, message: str, address: str | None,
                   now: datetime | None = None) -> None:
    """Count a refused batch on the agent (shown on its page): in its own transaction, since the
    batch's own rolled back."""
    now = now or utcnow()
    agent = _agent_row(session, token, now, address)
    agent.rejected_batches = (agent.rejected_batches or 0) + 1
    agent.last_rejection = message[:255]
    agent.last_rejection_at = now


def prune_batches(session: Session, now: datetime | None = None) -> int:
    """Forget batch ids older than a send time is accepted for (run by the retention job)."""
    now = now or utcnow()
    return session.execute(delete(AgentBatch).where(AgentBatch.received_at < now - BATCH_MEMORY)).rowcount or 0
