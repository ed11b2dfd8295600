"""Read models for pages and the API. Pages and routes never run SQL themselves."""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from collectors.timeutil import iso, utcnow
from dashboard.domain.agents import shown_for_vantage, system_shown_with_silent, vantage_silent
from dashboard.domain.causes import cause_of, localized
from dashboard.domain.status import (
    FlapState,
    effective_status,
    is_commune_heartbeat,
    pending_cause,
    pending_status,
    shown_system_status,
    system_cause,
)
from dashboard.domain.uptime import WINDOWS
from dashboard.readmodels.agents import live_vantages
from dashboard.readmodels.uptime import endpoint_uptimes, missed_counts, subject_uptimes
from dashboard.store.models import Agency, CheckResult, Endpoint, Incident, Link, RuntimeState, Status, System, key_of
from dashboard.store.runtime_keys import COLLECTOR_DEAD_AFTER_S, HEARTBEAT_KEY, STATS_KEY

STATUS_ORDER = [Status.DOWN, Status.DEGRADED, Status.UNKNOWN, Status.MAINTENANCE, Status.UP]


def systems_overview(session: Session, now: datetime | None = None, with_uptime: bool = False,
                     lang: str = "vi") -> list[dict]:
    """Every active system with its endpoints and links. `with_uptime` adds "uptime"
    ({"24h", "7d", "30d"} in percent, None without data) to systems, endpoints and links.
    Causes come as `cause` ({code, params}), `reason` (the sentence) and `short_reason` (the
    tile's line), in `lang`."""
    now = now or utcnow()
    systems = session.scalars(
        select(System)
        .where(System.active.is_(True))
        .options(selectinload(System.endpoints), selectinload(System.links).selectinload(Link.platform), selectinload(System.owner))
        .order_by(System.position)
    ).all()
    live = live_vantages(session, now)
    views = [_system_view(system, now, lang, live) for system in systems]
    if with_uptime:
        _add_uptime(session, views, now)
    return views


def _add_uptime(session: Session, views: list[dict], now: datetime) -> None:
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


def _system_view(system: System, now: datetime, lang: str = "vi", live: frozenset[str] = frozenset()) -> dict:
    endpoints = [e for e in system.endpoints if e.active]
    endpoint_views = [_endpoint_view(e, now, lang, live) for e in endpoints]
    longest_interval = max((e.interval_s for e in endpoints), default=60.0)
    status, stale = shown_system_status(system.status, system.last_check_at, longest_interval,
                                        any(v["stale"] for v in endpoint_views), now)
    status, stale = system_shown_with_silent(status, stale, [(v["status"], e.critical, v["agent_silent"])
                                                             for e, v in zip(endpoints, endpoint_views)])
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
        **localized(_system_cause(endpoint_views), lang),
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
                **localized(cause_of(link.last_cause, link.last_reason), lang),
                "last_check_at": iso(link.last_check_at),
            }
            for link in system.links
            if link.active
        ],
    }


def endpoint_cause(endpoint: Endpoint, status: str, stale: bool, pending: str | None, flapping: bool,
                   agent_silent: bool = False) -> dict | None:
    """What an endpoint's reason is, as a cause: the state's cause while in trouble, the last
    check's otherwise; "stale" when results stopped; a failure awaiting confirmation says so."""
    last = cause_of(endpoint.last_cause, endpoint.last_reason)
    if stale and agent_silent:
        return {"code": "agent_silent", "params": {"vantage": endpoint.vantage, "since": iso(endpoint.last_check_at)}}
    if stale:
        return {"code": "stale", "params": {"since": iso(endpoint.last_check_at)}}
    if status in (Status.DOWN, Status.DEGRADED, Status.MAINTENANCE) and (endpoint.status_cause or endpoint.status_reason):
        cause = cause_of(endpoint.status_cause, endpoint.status_reason)
    elif status == Status.UNKNOWN:
        cause = last if endpoint.last_check_at is not None and last else {"code": "not_checked", "params": {}}
    else:
        cause = last
    if pending == Status.DOWN and not flapping:
        # not a green (or degraded) state with a bare red cause: say the failure awaits confirmation
        return pending_cause(endpoint.consecutive_failures, endpoint.failures_before_down, last)
    return cause


def _endpoint_view(endpoint: Endpoint, now: datetime, lang: str = "vi", live: frozenset[str] = frozenset()) -> dict:
    status, stale = effective_status(endpoint.status, endpoint.last_check_at, endpoint.interval_s, now)
    silent = vantage_silent(endpoint.vantage, live)
    status, stale = shown_for_vantage(status, stale, silent)
    pending = None if stale else pending_status(status, endpoint.consecutive_failures, endpoint.consecutive_successes,
                                                endpoint.failures_before_down, endpoint.successes_before_up)
    flapping = not stale and status == Status.DEGRADED and FlapState.from_json(endpoint.flap_state).flapping
    cause = endpoint_cause(endpoint, status, stale, pending, flapping, silent)
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
        **localized(cause, lang),
        "checked_at": iso(endpoint.last_check_at),
        "interval_s": endpoint.interval_s,
        "vantage": endpoint.vantage,
        "agent_silent": silent,  # its vantage's agent went silent: shown unknown
        "commune": is_commune_heartbeat(endpoint.options),  # one of the per-unit heartbeats
        "pending": str(pending) if pending else None,  # the state damping waits to confirm
        "flapping": flapping,
    }


def _system_cause(endpoint_views: list[dict]) -> dict | None:
    return system_cause([(v["name"], v["status"], v["cause"], v["commune"]) for v in endpoint_views])


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


def overview(session: Session, now: datetime | None = None, lang: str = "vi") -> dict:
    """The overview page in one session: every system's view and the collector's health."""
    now = now or utcnow()
    return {"systems": systems_overview(session, now, lang=lang), "health": health(session, now)}


def _collector_stats(session: Session) -> dict:
    """Counters the collector publishes every few seconds (since it started): checks due,
    done, missed (could not start on time), running now."""
    row = session.get(RuntimeState, STATS_KEY)
    try:
        return {"checks": json.loads(row.value)} if row is not None and row.value else {}
    except ValueError:
        return {}


def recent_results(session: Session, endpoint_id: str, limit: int = 50) -> list[CheckResult]:
    return session.scalars(
        select(CheckResult).where(CheckResult.endpoint_key == key_of(endpoint_id))
        .order_by(CheckResult.checked_at.desc()).limit(limit)
    ).all()


# --- incidents, for the API and the drill-down pages alike


def incidents(session: Session, system_id: str | None = None, subject: tuple[str, str] | None = None,
              open_only: bool = False, limit: int = 100, now: datetime | None = None, lang: str = "vi") -> list[dict]:
    """Incidents, newest first, of a system (its own and its endpoints' and links'), of one
    subject (type, id), or of everything: subject, severity, start, end, duration (open ones: so
    far), cause (the first failed condition) and last reason in `lang` (their codes in
    `cause_data` and `last_cause`, their tile lines in `short_cause` and `short_reason`),
    acknowledgement."""
    now = now or utcnow()
    query = select(Incident).order_by(Incident.started_at.desc(), Incident.id.desc()).limit(limit)
    if system_id is not None:
        query = query.where(Incident.system_id == system_id)
    if subject is not None:
        query = query.where(Incident.subject_type == subject[0], Incident.subject_id == subject[1])
    if open_only:
        query = query.where(Incident.ended_at.is_(None))
    return [
        {
            "id": row.id, "subject_type": row.subject_type, "subject_id": row.subject_id, "system_id": row.system_id,
            "severity": row.severity, "started_at": iso(row.started_at), "ended_at": iso(row.ended_at),
            "open": row.ended_at is None,
            # never negative, should a clock have stepped back between start and end
            "duration_s": max(0.0, round(((row.ended_at or now) - row.started_at).total_seconds(), 1)),
            **incident_causes(row, lang),
            "acknowledged_at": iso(row.acknowledged_at), "acknowledged_by": row.acknowledged_by,
            "ack_comment": row.ack_comment,
        }
        for row in session.scalars(query)
    ]


def incident_causes(row: Incident, lang: str = "vi") -> dict:
    """An incident's first cause and latest reason in `lang` (`cause`, `last_reason`: the keys
    it always had), their short lines, and the codes (`cause_data`, `last_cause`)."""
    first = cause_of(row.cause_data, row.cause)
    latest = cause_of(row.last_cause, row.last_reason)
    first_text, latest_text = localized(first, lang), localized(latest, lang)
    return {"cause": first_text["reason"], "last_reason": latest_text["reason"],
            "short_cause": first_text["short_reason"], "short_reason": latest_text["short_reason"],
            "cause_data": first, "last_cause": latest}


def units(session: Session) -> list[dict]:
    """Every agency and commune-level unit: official code, partner enterprise and coordinates
    (communes: the official centroids; departments: their catalog location, if any)."""
    rows = session.scalars(select(Agency).order_by(Agency.kind, Agency.id)).all()
    return [{"id": a.id, "name_vi": a.name_vi, "name_en": a.name_en, "kind": a.kind, "official_code": a.official_code,
             "partner": a.partner, "lat": a.lat, "lon": a.lon} for a in rows]
