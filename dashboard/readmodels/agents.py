"""What pages and the API read about remote agents: each agent's last contact, whether it is
silent (dashboard.domain.agents.agent_silent), its clock and what it sent."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collectors.timeutil import iso, utcnow
from dashboard.domain.agents import CENTRAL, agent_silent, skew_flagged
from dashboard.store.models import AccessToken, Agent, Endpoint


def live_vantages(session: Session, now: datetime | None = None) -> frozenset[str]:
    """The vantages with at least one agent heard from lately (a live token). An endpoint of any
    other non-central vantage is shown unknown: nobody can vouch for its last state."""
    now = now or utcnow()
    rows = session.execute(
        select(Agent.vantage, Agent.last_contact_at, Agent.batch_interval_s)
        .join(AccessToken, AccessToken.id == Agent.token_id)
        .where(AccessToken.revoked_at.is_(None))
    ).all()
    return frozenset(v for v, last, interval in rows if not agent_silent(last, interval or 10.0, now))


def agents_view(session: Session, now: datetime | None = None) -> list[dict]:
    """Every agent token (seen or not), with its last contact and its vantage's endpoints."""
    now = now or utcnow()
    counts = dict(session.execute(
        select(Endpoint.vantage, func.count()).where(Endpoint.active.is_(True), Endpoint.vantage != CENTRAL)
        .group_by(Endpoint.vantage)).all())
    seen = {a.token_id: a for a in session.scalars(select(Agent))}
    views = []
    for token in session.scalars(select(AccessToken).where(AccessToken.kind == "agent").order_by(AccessToken.id)):
        agent = seen.get(token.id)
        interval = agent.batch_interval_s if agent and agent.batch_interval_s else 10.0
        last = agent.last_contact_at if agent else None
        silent = agent_silent(last, interval, now)
        skew = agent.clock_skew_s if agent else None
        views.append({
            "id": token.id, "name": token.name, "vantage": token.vantage,
            "revoked": token.revoked_at is not None,
            "state": "revoked" if token.revoked_at is not None else "never" if last is None
            else "silent" if silent else "ok",
            "silent": silent,
            "last_contact_at": iso(last),
            "silent_for_s": round((now - last).total_seconds(), 1) if last else None,
            "last_address": agent.last_address if agent else None,
            "batch_interval_s": interval,
            "last_batch_at": iso(agent.last_batch_at) if agent else None,
            "clock_skew_s": round(skew, 3) if skew is not None else None,
            "skew_flagged": skew is not None and skew_flagged(skew),
            "skew_flagged_at": iso(agent.skew_flagged_at) if agent else None,
            "results_stored": agent.results_stored if agent else 0,
            "duplicates": agent.duplicates if agent else 0,
            "rejected_batches": agent.rejected_batches if agent else 0,
            "last_rejection": agent.last_rejection if agent else None,
            "last_rejection_at": iso(agent.last_rejection_at) if agent else None,
            "version": agent.version if agent else None,
            "endpoints": counts.get(token.vantage, 0),
        })
    return views


def agents_summary(session: Session, now: datetime | None = None) -> dict:
    """For /api/health: how many agents, how many silent (revoked tokens left out)."""
    views = [v for v in agents_view(session, now) if not v["revoked"]]
    return {"total": len(views), "silent": sum(1 for v in views if v["silent"]),
            "skew_flagged": sum(1 for v in views if v["skew_flagged"])}
