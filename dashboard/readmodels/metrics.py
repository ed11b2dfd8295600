"""What /metrics exports, as plain data: every endpoint's and system's current state, missed
checks, live coverage of the national links, open security alerts and the collector's health.
Labels are ids and small vocabularies only (no reasons, names or URLs: bounded cardinality)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from collectors.timeutil import utcnow
from dashboard.domain.agents import shown_for_vantage, system_shown_with_silent, vantage_silent
from dashboard.readmodels.agents import live_vantages
from dashboard.readmodels.alerts import open_counts
from dashboard.readmodels.systems import effective_status, health
from dashboard.readmodels.uptime import counts_between
from dashboard.store.models import Endpoint, Link, System

MISSED_SINCE = timedelta(days=1100)  # as long as daily rollups are kept: the count never goes down in practice


def metric_samples(session, now: datetime | None = None) -> dict:
    now = now or utcnow()
    rows = session.execute(
        select(Endpoint.id, Endpoint.kind, Endpoint.system_id, System.owner_agency_id, Endpoint.status,
               Endpoint.last_check_at, Endpoint.interval_s, Endpoint.last_latency_ms, Endpoint.vantage,
               Endpoint.critical)
        .join(System, System.id == Endpoint.system_id)
        .where(Endpoint.active.is_(True), System.active.is_(True))
        .order_by(Endpoint.id)
    ).all()
    missed = counts_between(session, (now - MISSED_SINCE).replace(minute=0, second=0, microsecond=0), now,
                            [r.id for r in rows])
    live = live_vantages(session, now)
    endpoints = []
    by_system: dict[str, list[tuple[str, bool, bool]]] = {}
    for row in rows:
        status, _stale = effective_status(row.status, row.last_check_at, row.interval_s, now)
        silent = vantage_silent(row.vantage, live)
        status, _stale = shown_for_vantage(status, _stale, silent)
        by_system.setdefault(row.system_id, []).append((str(status), bool(row.critical), silent))
        endpoints.append({
            "id": row.id, "kind": row.kind, "system": row.system_id, "agency": row.owner_agency_id or "",
            "status": status,
            "latency_s": None if row.last_latency_ms is None else row.last_latency_ms / 1000.0,
            "last_check": row.last_check_at.timestamp() if row.last_check_at else None,
            "missed_total": missed[row.id].missed if row.id in missed else 0,
        })
    # a system whose state rests on a silent agent's endpoints: judged on what is still seen
    systems = [{"id": s.id, "agency": s.owner_agency_id or "",
                "status": system_shown_with_silent(s.status, False, by_system.get(s.id, []))[0]}
               for s in session.execute(select(System.id, System.owner_agency_id, System.status)
                                        .where(System.active.is_(True)).order_by(System.position))]
    links = session.execute(select(Link.status).join(System, System.id == Link.system_id)
                            .where(System.active.is_(True))).scalars().all()
    systems_up = sum(1 for s in systems if s["status"] == "up")
    collector = health(session, now)["scheduler"]
    return {
        "endpoints": endpoints,
        "systems": systems,
        "coverage": {
            "systems_up": systems_up / len(systems) if systems else 0.0,
            "links_up": sum(1 for status in links if status == "up") / len(links) if links else 0.0,
        },
        "alerts_open": open_counts(session),
        "collector": {
            "alive": bool(collector["alive"]),
            "last_heartbeat": _timestamp(collector.get("last_heartbeat")),
        },
    }


def _timestamp(text: str | None) -> float | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
