"""Read models for pages and the API. Pages and routes never run SQL themselves."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from collectors.timeutil import iso, utcnow
from dashboard.domain.status import FlapState, is_commune_heartbeat, is_stale, pending_reason, pending_status, system_reason
from dashboard.store.models import CheckResult, Endpoint, Link, RuntimeState, Status, System
from dashboard.store.runtime_keys import COLLECTOR_DEAD_AFTER_S, HEARTBEAT_KEY

STATUS_ORDER = [Status.DOWN, Status.DEGRADED, Status.UNKNOWN, Status.MAINTENANCE, Status.UP]


def effective_status(status: str, last_check_at: datetime | None, interval_s: float, now: datetime) -> tuple[str, bool]:
    """The stored status, unless results stopped coming: then 'unknown' (stale), never old green."""
    if status in (Status.MAINTENANCE, Status.UNKNOWN):
        return status, False
    if is_stale(last_check_at, interval_s, now):
        return Status.UNKNOWN, True
    return status, False


def systems_overview(session: Session, now: datetime | None = None, with_uptime: bool = False) -> list[dict]:
    """Every active system with its endpoints and links. `with_uptime` adds "uptime"
    ({"24h", "7d", "30d"} in percent, None without data) to systems, endpoints and links."""
    now = now or utcnow()
    systems = session.scalars(
        select(System)
        .where(System.active.is_(True))
        .options(selectinload(System.endpoints), selectinload(System.links).selectinload(Link.platform), selectinload(System.owner))
        .order_by(System.position)
    ).all()
    views = [_system_view(system, now) for system in systems]
    if with_uptime:
        _add_uptime(session, views, now)
    return views


def _add_uptime(session: Session, views: list[dict], now: datetime) -> None:
    from dashboard.domain.uptime import WINDOWS
    from dashboard.readmodels.uptime import endpoint_uptimes, missed_counts, subject_uptimes

    empty = {label: None for label in WINDOWS}
    endpoint_ids = [e["id"] for v in views for e in v["endpoints"]]
    by_endpoint = endpoint_uptimes(session, endpoint_ids, now)
    missed = missed_counts(session, endpoint_ids, now)
    by_system = subject_uptimes(session, "system", [v["id"] for v in views], now)
    by_link = subject_uptimes(session, "link", [link["id"] for v in views for link in v["links"]], now)
    for view in views:
        view["uptime"] = by_system.get(view["id"], empty)
        for endpoint in view["endpoints"]:
            endpoint["uptime"] = by_endpoint.get(endpoint["id"], empty)
            endpoint["missed_24h"] = missed.get(endpoint["id"], 0)
        for link in view["links"]:
            link["uptime"] = by_link.get(link["id"], empty)


def _system_view(system: System, now: datetime) -> dict:
    endpoints = [e for e in system.endpoints if e.active]
    endpoint_views = [_endpoint_view(e, now) for e in endpoints]
    longest_interval = max((e.interval_s for e in endpoints), default=60.0)
    status, stale = effective_status(system.status, system.last_check_at, longest_interval, now)
    if not stale and any(v["stale"] for v in endpoint_views) and status == Status.UP:
        status = Status.DEGRADED
    by_endpoint = {v["id"]: v for v in endpoint_views}
    return {
        "id": system.id,
        "name_vi": system.name_vi,
        "name_en": system.name_en,
        "owner": {"id": system.owner.id, "name_vi": system.owner.name_vi, "name_en": system.owner.name_en} if system.owner else None,
        "partner": system.partner,
        "status": str(status),
        "stale": stale,
        "status_since": iso(system.status_since),
        "last_check_at": iso(system.last_check_at),
        "reason": _system_reason(endpoint_views),
        "endpoints": endpoint_views,
        "links": [
            {
                "id": link.id,
                "platform": link.platform_id,
                "platform_name_vi": link.platform.name_vi,
                "platform_name_en": link.platform.name_en,
                "declared": link.declared_state,
                "status": by_endpoint[link.endpoint_id]["status"] if link.endpoint_id in by_endpoint else "unknown",
                "monitored": link.endpoint_id is not None,
                "reason": link.last_reason,
                "last_check_at": iso(link.last_check_at),
            }
            for link in system.links
            if link.active
        ],
    }


def _endpoint_view(endpoint: Endpoint, now: datetime) -> dict:
    status, stale = effective_status(endpoint.status, endpoint.last_check_at, endpoint.interval_s, now)
    reason = endpoint.last_reason
    if stale:
        reason = f"no result since {iso(endpoint.last_check_at)} (collector stopped or overloaded?)"
    elif status in (Status.DOWN, Status.DEGRADED, Status.MAINTENANCE) and endpoint.status_reason:
        reason = endpoint.status_reason
    elif status == Status.UNKNOWN:
        reason = "not checked yet"
    pending = None if stale else pending_status(status, endpoint.consecutive_failures, endpoint.consecutive_successes,
                                                endpoint.failures_before_down, endpoint.successes_before_up)
    flapping = not stale and status == Status.DEGRADED and FlapState.from_json(endpoint.flap_state).flapping
    if pending == Status.DOWN and not flapping:
        # not a green (or degraded) state with a bare red cause: say the failure awaits confirmation
        reason = pending_reason(endpoint.consecutive_failures, endpoint.failures_before_down, endpoint.last_reason)
    return {
        "id": endpoint.id,
        "name": endpoint.name,
        "kind": endpoint.kind,
        "target": endpoint.target,
        "status": str(status),
        "stale": stale,
        "status_since": iso(endpoint.status_since),
        "latency_ms": endpoint.last_latency_ms,
        "http_code": endpoint.last_http_code,
        "reason": reason,
        "checked_at": iso(endpoint.last_check_at),
        "interval_s": endpoint.interval_s,
        "commune": is_commune_heartbeat(endpoint.options),  # one of the per-unit heartbeats
        "pending": str(pending) if pending else None,  # the state damping waits to confirm
        "flapping": flapping,
    }


def _system_reason(endpoint_views: list[dict]) -> str | None:
    return system_reason([(v["name"], v["status"], v["reason"], v["commune"]) for v in endpoint_views])


def status_counts(systems: list[dict]) -> dict[str, int]:
    counts = Counter(s["status"] for s in systems)
    return {str(status): counts.get(str(status), 0) for status in STATUS_ORDER}


def health(session: Session, now: datetime | None = None) -> dict:
    now = now or utcnow()
    heartbeat = session.get(RuntimeState, HEARTBEAT_KEY)
    last_check = session.scalar(select(func.max(Endpoint.last_check_at)))
    # dead once two renewals are missed: the heartbeat is written with every lease renewal
    scheduler_alive = heartbeat is not None and (now - heartbeat.updated_at).total_seconds() < COLLECTOR_DEAD_AFTER_S
    return {
        "status": "ok" if scheduler_alive else "degraded",
        "database": "ok",
        "scheduler": {
            "alive": scheduler_alive,
            "last_heartbeat": iso(heartbeat.updated_at) if heartbeat else None,
            **_collector_stats(session),
        },
        "last_check_at": iso(last_check),
        "time": iso(now),
    }


def _collector_stats(session: Session) -> dict:
    """Counters the collector publishes every few seconds (since it started): checks due,
    done, missed (could not start on time), running now."""
    import json

    from dashboard.store.runtime_keys import STATS_KEY

    row = session.get(RuntimeState, STATS_KEY)
    try:
        return {"checks": json.loads(row.value)} if row is not None and row.value else {}
    except ValueError:
        return {}


def recent_results(session: Session, endpoint_id: str, limit: int = 50) -> list[CheckResult]:
    return session.scalars(
        select(CheckResult).where(CheckResult.endpoint_id == endpoint_id).order_by(CheckResult.checked_at.desc()).limit(limit)
    ).all()


# --- status engine (issue 3): incidents and state changes for pages


def incidents(session: Session, system_id: str | None = None, open_only: bool = False, limit: int = 100,
              now: datetime | None = None) -> list[dict]:
    """Incidents, newest first: subject, severity, start, end, duration (open ones: so far), cause."""
    from dashboard.store.models import Incident

    now = now or utcnow()
    query = select(Incident).order_by(Incident.started_at.desc(), Incident.id.desc()).limit(limit)
    if system_id is not None:
        query = query.where(Incident.system_id == system_id)
    if open_only:
        query = query.where(Incident.ended_at.is_(None))
    return [
        {
            "id": row.id, "subject_type": row.subject_type, "subject_id": row.subject_id, "system_id": row.system_id,
            "severity": row.severity, "started_at": iso(row.started_at), "ended_at": iso(row.ended_at),
            "open": row.ended_at is None,
            "duration_s": round(((row.ended_at or now) - row.started_at).total_seconds(), 1),
            "cause": row.cause, "last_reason": row.last_reason,
            "acknowledged_at": iso(row.acknowledged_at), "acknowledged_by": row.acknowledged_by,
        }
        for row in session.scalars(query)
    ]


def state_events(session: Session, subject_type: str, subject_id: str, limit: int = 100) -> list[dict]:
    from dashboard.store.models import StateEvent

    rows = session.scalars(
        select(StateEvent).where(StateEvent.subject_type == subject_type, StateEvent.subject_id == subject_id)
        .order_by(StateEvent.at.desc(), StateEvent.id.desc()).limit(limit)
    )
    return [{"at": iso(r.at), "old_status": r.old_status, "new_status": r.new_status, "reason": r.reason} for r in rows]
