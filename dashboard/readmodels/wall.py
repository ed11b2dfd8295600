"""Read models for the operator wall. Every function here reads current-state columns
or indexed time ranges only, never a scan of history, so a refresh stays fast however long the
database has been collecting (see bench/wall.py). Pages call these; they never run SQL.
"""
from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import DateTime, and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from collectors.timeutil import iso, utcnow
from dashboard.domain.agents import CENTRAL, shown_for_vantage, system_shown_with_silent, vantage_silent
from dashboard.domain.alerts import OPEN_STATUSES as ALERT_OPEN
from dashboard.domain.causes import cause_of, localized, render
from dashboard.domain.status import (
    COMMUNE_NAMES_SHOWN,
    TROUBLE,
    is_commune_heartbeat,
    shown_system_status,
    system_cause,
    system_status,
    trust_window_s,
)
from dashboard.domain.uptime import floor_hour
from dashboard.plans.coverage import VERIFIED_DAYS
from dashboard.readmodels.agents import live_vantages
from dashboard.readmodels.alerts import alerts_by_agency
from dashboard.readmodels.alerts import latest_alerts as open_security_alerts
from dashboard.readmodels.maintenance import upcoming_feed
from dashboard.readmodels.plans import coverage_view
from dashboard.readmodels.systems import STATUS_ORDER
from dashboard.readmodels.uptime import done_until
from dashboard.store.models import (
    Agency,
    Alert,
    CheckResult,
    Endpoint,
    Incident,
    Link,
    NationalPlatform,
    Rollup,
    RuntimeState,
    StateEvent,
    Status,
    System,
)
from dashboard.store.runtime_keys import HEARTBEAT_KEY, LEASE_TTL_S

# A marker or tile whose state changed this recently is flagged "just changed" (Zabbix idiom).
RECENT_CHANGE_S = 600.0
FEED_LIMIT = 8
COMMUNE_KINDS = ("commune", "ward", "special_zone")
NO_DATA = "nodata"
# Worst first: a place's state is the worst of what is associated with it.
SEVERITY_RANK = {Status.DOWN: 0, Status.DEGRADED: 1, Status.UNKNOWN: 2, Status.MAINTENANCE: 3, Status.UP: 4, NO_DATA: 5}


# ---------------------------------------------------------------------------- current state


@dataclass(frozen=True)
class EndpointState:
    id: str
    system_id: str
    status: str  # effective: stale results read as 'unknown', never as old green
    stale: bool
    critical: bool
    interval_s: float
    status_since: datetime | None
    last_check_at: datetime | None
    latency_ms: float | None
    reason: dict | None  # the state's cause, {code, params} (dashboard.domain.causes)
    agency_id: str | None  # from the catalog's endpoint `options: {agency: <agency id>}`
    agent_silent: bool = False  # checked by a remote agent that went silent (shown unknown)


def endpoint_states(session: Session, now: datetime, with_agency: bool = False) -> list[EndpointState]:
    """Active endpoints' current state: one narrow SELECT of cached columns, run as plain Core
    (no ORM objects). This runs on every wall refresh, twice (tiles and map), for every endpoint,
    so the per-row work is memoised per database: a row whose columns did not change since the
    previous call (most of them: an endpoint is checked once a minute, the wall refreshes every
    few seconds) reuses the state built then; only staleness, which moves with `now`, and the
    agents' silence are judged again, on naive timestamps against one cut-off per interval."""
    rows = [tuple(row) for row in session.connection().execute(  # plain tuples compare at C speed
        select(
            Endpoint.id, Endpoint.system_id, Endpoint.status, Endpoint.critical,
            type_coerce(Endpoint.status_since, DateTime()), type_coerce(Endpoint.last_check_at, DateTime()),
            Endpoint.interval_s, Endpoint.last_latency_ms, Endpoint.status_reason, Endpoint.status_cause, Endpoint.vantage,
        ).where(Endpoint.active.is_(True))
    ).all()]
    agencies = endpoint_agencies(session) if with_agency else {}
    live = live_vantages(session, now) if any(row[-1] != CENTRAL for row in rows) else frozenset()
    engine = session.get_bind()
    memo = _STATES.get(engine) or {}
    fresh_memo = {}
    naive_now = now.astimezone(timezone.utc).replace(tzinfo=None) if now.tzinfo else now
    cutoffs: dict[float, datetime] = {}
    states = []
    for row in rows:
        eid = row[0]
        built = memo.get(eid)
        if built is None or built[0] != row:
            built = _built_state(row)
        fresh_memo[eid] = built
        _, state, checked, variants = built
        interval = state.interval_s
        cutoff = cutoffs.get(interval)
        if cutoff is None:
            cutoff = cutoffs[interval] = naive_now - timedelta(seconds=trust_window_s(interval))
        stale = state.status not in _NEVER_STALE and (checked is None or checked < cutoff)
        vantage = row[10]
        silent = vantage != CENTRAL and vantage_silent(vantage, live)
        agency = agencies.get(eid)
        if stale or silent or agency is not None:
            key = (stale, silent, agency)
            shown = variants.get(key)
            if shown is None:
                shown = variants[key] = _shown_state(state, stale, silent, agency, vantage)
            state = shown
        states.append(state)
    _STATES[engine] = fresh_memo
    return states


# Engine -> {endpoint id: (row read, its state when fresh, last_check_at as naive UTC,
#                          {(stale, silent, agency): the state shown so}}
_STATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_NEVER_STALE = frozenset((str(Status.MAINTENANCE), str(Status.UNKNOWN)))


def _built_state(row: tuple) -> tuple:
    eid, system_id, status, critical, since, checked, interval, latency, text, cause, _vantage = row
    reason = cause_of(cause, text) if (cause or text) else None
    state = EndpointState(
        eid, system_id, str(status), False, bool(critical), interval,
        since.replace(tzinfo=timezone.utc) if since is not None else None,
        checked.replace(tzinfo=timezone.utc) if checked is not None else None,
        latency, reason, None, False,
    )
    return row, state, checked, {}


def _shown_state(state: EndpointState, stale: bool, silent: bool, agency: str | None, vantage: str | None) -> EndpointState:
    """The fresh state as shown: stale reads 'unknown' (dashboard.domain.status.effective_status);
    a silent agent's endpoints read 'unknown', never their old state."""
    status = str(Status.UNKNOWN) if stale else state.status
    reason = state.reason
    if silent:
        status, stale = shown_for_vantage(status, stale, True)
        reason = {"code": "agent_silent",
                  "params": {"vantage": vantage, "since": state.last_check_at.isoformat() if state.last_check_at else None}}
    return replace(state, status=status, stale=stale, reason=reason, agency_id=agency, agent_silent=silent)


AGENCY_MAP_TTL_S = 60.0
# Engine -> (read at, {endpoint: agency}, {endpoints that are a commune's heartbeat})
_AGENCY_MAPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _endpoint_options(session: Session, max_age_s: float) -> tuple[dict[str, str], frozenset[str]]:
    """What the wall needs of the endpoints' catalog options. They change only when a catalog is
    applied, so they are read at most once a minute per process."""
    engine = session.get_bind()
    cached = _AGENCY_MAPS.get(engine)
    if cached is not None and time.monotonic() - cached[0] < max_age_s:
        return cached[1], cached[2]
    mapping, communes = {}, set()
    for eid, options in session.execute(select(Endpoint.id, Endpoint.options).where(Endpoint.active.is_(True))):
        options = options if isinstance(options, dict) else {}
        if isinstance(options.get("agency"), str):
            mapping[eid] = options["agency"]
        if is_commune_heartbeat(options):
            communes.add(eid)
    _AGENCY_MAPS[engine] = (time.monotonic(), mapping, frozenset(communes))
    return mapping, frozenset(communes)


def endpoint_agencies(session: Session, max_age_s: float = AGENCY_MAP_TTL_S) -> dict[str, str]:
    """Endpoint id → agency id, from the catalog's `options: {agency: …}`."""
    return _endpoint_options(session, max_age_s)[0]


def commune_heartbeats(session: Session, max_age_s: float = AGENCY_MAP_TTL_S) -> frozenset[str]:
    """The endpoints that are one commune-level unit's heartbeat (dashboard.domain.status.is_commune_heartbeat)."""
    return _endpoint_options(session, max_age_s)[1]


def system_tiles(session: Session, now: datetime, endpoints: list[EndpointState] | None = None, lang: str = "vi") -> list[dict]:
    """One entry per active shared system, in catalog order, with its effective state.
    Same rules as the overview page (dashboard.readmodels.systems): a stale system reads 'unknown'.
    The cause: `cause`, `reason` (the sentence), `short_reason` (the tile's line), in `lang`."""
    endpoints = endpoints if endpoints is not None else endpoint_states(session, now)
    by_system: dict[str, list[EndpointState]] = {}
    for e in endpoints:
        by_system.setdefault(e.system_id, []).append(e)
    rows = session.execute(
        select(System.id, System.name_vi, System.name_en, System.short_name, System.status, System.status_since, System.last_check_at)
        .where(System.active.is_(True)).order_by(System.position)
    ).all()
    commune_ids = commune_heartbeats(session)
    tiles = []
    for row in rows:
        eps = by_system.get(row.id, [])
        longest = max((e.interval_s for e in eps), default=60.0)
        status, stale = shown_system_status(row.status, row.last_check_at, longest, any(e.stale for e in eps), now)
        status, stale = system_shown_with_silent(status, stale, [(e.status, e.critical, e.agent_silent) for e in eps])
        troubled = [e for e in eps if e.status in (Status.DOWN, Status.DEGRADED) and e.reason]
        reason = troubled[0].reason if troubled else None
        communes = {e.id for e in eps if e.id in commune_ids}
        if len(communes) > COMMUNE_NAMES_SHOWN and any(e.status in TROUBLE for e in eps if e.id in communes):
            # a system holding the per-commune heartbeats: count them, do not show one at random
            reason = system_cause([(None, e.status, e.reason, e.id in communes) for e in eps], names=False)
        latencies = [e.latency_ms for e in eps if e.latency_ms is not None and e.status != Status.UNKNOWN]
        tiles.append({
            "id": row.id, "name_vi": row.name_vi, "name_en": row.name_en, "short_name": row.short_name,
            "status": str(status), "stale": stale,
            "status_since": row.status_since, "last_check_at": row.last_check_at,
            "recent": row.status_since is not None and (now - row.status_since).total_seconds() < RECENT_CHANGE_S,
            "latency_ms": max(latencies) if latencies else None,
            **localized(reason, lang),
            "endpoints": len(eps),
            "endpoints_down": sum(1 for e in eps if e.status == Status.DOWN),
        })
    return tiles


def worst_first(items: list[dict], key: str = "status") -> list[dict]:
    """Down, degraded, unknown, maintenance, up (then no data); catalog order kept within a
    state (a stable sort), so a tile moves only when its state changes."""
    return sorted(items, key=lambda item: SEVERITY_RANK.get(item[key], len(SEVERITY_RANK)))


def systems_list(session: Session) -> list[dict]:
    """Active systems' ids and names in catalog order (what the charts label their rows with)."""
    rows = session.execute(
        select(System.id, System.name_vi, System.name_en, System.short_name).where(System.active.is_(True)).order_by(System.position)
    ).all()
    return [{"id": r.id, "name_vi": r.name_vi, "name_en": r.name_en, "short_name": r.short_name} for r in rows]


def counts(tiles: list[dict]) -> dict[str, int]:
    """Systems per state, in the wall's order (down first); every state present, even at 0."""
    result = {str(s): 0 for s in STATUS_ORDER}
    for tile in tiles:
        result[tile["status"]] = result.get(tile["status"], 0) + 1
    return result


COVERAGE_TTL_S = 60.0
_COVERAGE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Engine -> (read at, days, figures)


def coverage(session: Session, now: datetime, verified_days: float = VERIFIED_DAYS, max_age_s: float = COVERAGE_TTL_S) -> dict:
    """Integration against the 100 % target with the leadership page's definitions
    (dashboard.plans.coverage, readmodels.plans.coverage_view), so the wall and /coverage never
    disagree: "đã tích hợp" is verified ÷ required (a live check succeeded within the last
    `verified_days`; a short outage does not move it), "đang kết nối" is live up ÷ required
    (right now). Read at most once a minute per process: it changes on that scale, and the
    wall refreshes every few seconds."""
    engine = session.get_bind()
    cached = _COVERAGE.get(engine)
    if cached is not None and cached[1] == verified_days and time.monotonic() - cached[0] < max_age_s:
        return cached[2]
    view = coverage_view(session, now, verified_days)
    figures = {
        "required": view["required"],
        "verified": {"ok": view["verified"], "total": view["required"], "percent": view["verified_percent"] if view["required"] else None},
        "live": {"ok": view["live_up"], "total": view["required"], "percent": view["live_up_percent"] if view["required"] else None},
        "target": view["target_percent"],
    }
    _COVERAGE[engine] = (time.monotonic(), verified_days, figures)
    return figures


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


# ---------------------------------------------------------------------------- freshness


def freshness(session: Session, now: datetime, tiles: list[dict], stale_after_s: float) -> dict:
    """Why the wall's data may not be current. Reasons are keys for dashboard.i18n:
    'scheduler' (no collector heartbeat), 'no_results' (nothing checked for longer than
    expected), 'systems_stale' (some systems stopped reporting)."""
    heartbeat = session.get(RuntimeState, HEARTBEAT_KEY)
    last_data = session.scalar(select(func.max(Endpoint.last_check_at)).where(Endpoint.active.is_(True)))
    reasons = []
    if heartbeat is None or (now - heartbeat.updated_at).total_seconds() >= LEASE_TTL_S:
        reasons.append("scheduler")
    if last_data is None or (now - last_data).total_seconds() > stale_after_s:
        reasons.append("no_results")
    if any(t["stale"] for t in tiles):
        reasons.append("systems_stale")
    return {
        "stale": bool(reasons),
        "reasons": reasons,
        "last_data_at": last_data,
        "heartbeat_at": heartbeat.updated_at if heartbeat else None,
    }


# ---------------------------------------------------------------------------- incidents and alerts


def latest_incidents(session: Session, limit: int = FEED_LIMIT, lang: str = "vi") -> list[dict]:
    """Newest incidents first (indexed on started_at). Systems' and national links' incidents
    only: an endpoint's incident repeats its system's (or its link's) on a wall."""
    rows = session.execute(
        select(Incident, System.name_vi, System.name_en, NationalPlatform.name_vi, NationalPlatform.name_en)
        .join(System, System.id == Incident.system_id)
        .outerjoin(Link, and_(Incident.subject_type == "link", Link.id == Incident.subject_id))
        .outerjoin(NationalPlatform, NationalPlatform.id == Link.platform_id)
        .where(Incident.subject_type.in_(("system", "link")))
        .order_by(Incident.started_at.desc(), Incident.id.desc())
        .limit(limit)
    ).all()
    return [_incident_item(*row, lang=lang) for row in rows]


def latest_alerts(session: Session, limit: int = FEED_LIMIT) -> list[dict]:
    """Open critical/high security alerts for the wall's feed, newest first, with the same keys
    as latest_incidents (kind='alert', at, severity, title_vi/en, text, open) and their source."""
    return open_security_alerts(session, limit)


def open_incidents(session: Session, limit: int = 50, lang: str = "vi") -> list[dict]:
    """Ongoing incidents of systems and national links, newest first, however old: an outage
    stays on the wall until it is resolved (index on subject_type, subject_id, ended_at)."""
    rows = session.execute(
        select(Incident, System.name_vi, System.name_en, NationalPlatform.name_vi, NationalPlatform.name_en)
        .join(System, System.id == Incident.system_id)
        .outerjoin(Link, and_(Incident.subject_type == "link", Link.id == Incident.subject_id))
        .outerjoin(NationalPlatform, NationalPlatform.id == Link.platform_id)
        .where(Incident.subject_type.in_(("system", "link")), Incident.ended_at.is_(None))
        .order_by(Incident.started_at.desc(), Incident.id.desc())
        .limit(limit)
    ).all()
    return [_incident_item(*row, lang=lang) for row in rows]


def open_alert_counts(session: Session) -> dict[str, int]:
    """Open critical/high alerts per source (index on status, last_seen)."""
    rows = session.execute(
        select(Alert.source, func.count()).where(Alert.status.in_(ALERT_OPEN), Alert.severity.in_(("critical", "high")))
        .group_by(Alert.source)
    ).all()
    return {source: n for source, n in rows}


FEED_LINES = 7  # the glance page shows this many lines (at least 6)
ALERTS_UNCOLLAPSED = 3  # up to this many open alerts are listed one by one


def compose_feed(ongoing: list[dict], recent: list[dict], alerts: list[dict], alert_counts: dict[str, int],
                 maintenance: list[dict], lines: int = FEED_LINES) -> list[dict]:
    """The wall's feed, by priority, at most `lines` items:
    1. ongoing outages, newest first, pinned until resolved (all of them if they fill the feed);
    2. open security alerts below them: listed one by one when there are few, else the newest
       of each source followed by one line "+N cảnh báo từ <source>" for the rest;
    3. maintenance starting soon ("Bảo trì lúc 22:00");
    4. recently resolved incidents in the lines left.
    Items keep the shapes of their read models; collapsed alerts are {"kind": "alert_group",
    "source", "count", "severity"}; maintenance is {"kind": "maintenance", …upcoming_feed item}."""
    feed = [{**item, "pinned": True} for item in ongoing][:lines]
    total_alerts = sum(alert_counts.values()) if alert_counts else len(alerts)
    if total_alerts <= ALERTS_UNCOLLAPSED:
        alert_lines = list(alerts)
    else:
        alert_lines, seen = [], set()
        for alert in alerts:  # newest first: the first of each source is its newest
            source = alert.get("source") or ""
            if source in seen:
                continue
            seen.add(source)
            alert_lines.append(alert)
            rest = alert_counts.get(source, 1) - 1
            if rest > 0:
                alert_lines.append({"kind": "alert_group", "source": source, "count": rest, "severity": alert["severity"],
                                    "at": alert["at"], "open": True})
        for source, n in sorted(alert_counts.items(), key=lambda kv: (-kv[1], kv[0])):
            if source not in seen and n > 0:  # sources whose alerts are older than those listed
                alert_lines.append({"kind": "alert_group", "source": source, "count": n, "severity": "high", "at": None, "open": True})
    for group in (alert_lines, [{**m, "kind": "maintenance"} for m in maintenance]):
        feed.extend(group[: max(0, lines - len(feed))])
    shown = {item.get("id") for item in feed if item.get("kind") == "incident"}
    closed = [item for item in recent if not item["open"] and item["id"] not in shown]
    feed.extend(closed[: max(0, lines - len(feed))])
    return feed


def feed(session: Session, now: datetime | None = None, lines: int = FEED_LINES, lang: str = "vi") -> list[dict]:
    now = now or utcnow()
    return compose_feed(open_incidents(session, lines, lang), latest_incidents(session, lines, lang), latest_alerts(session, 2 * lines),
                        open_alert_counts(session), upcoming_feed(session, now), lines)


def _incident_item(incident, name_vi, name_en, platform_vi, platform_en, lang: str = "vi") -> dict:
    short = render(cause_of(incident.last_cause, incident.last_reason) or cause_of(incident.cause_data, incident.cause),
                   lang, short=True) or ""
    return {
        "kind": "incident",
        "id": incident.id,
        "at": incident.started_at,
        "ended_at": incident.ended_at,
        "open": incident.ended_at is None,
        "severity": incident.severity,
        "system_id": incident.system_id,
        "title_vi": f"{name_vi} ↔ {platform_vi}" if platform_vi else name_vi,
        "title_en": f"{name_en} ↔ {platform_en}" if platform_en else name_en,
        "subject": incident.subject_id,
        "text": short,
        "short_cause": short,
        "acknowledged": incident.acknowledged_at is not None,
    }


# ---------------------------------------------------------------------------- the province map


def map_places(session: Session, now: datetime, endpoints: list[EndpointState] | None = None) -> list[dict]:
    """Every agency with its state for the map. A place's endpoints are those of the systems it
    owns plus those the catalog associates with it (`options: {agency: <id>}`, e.g. a commune
    server's heartbeat); no endpoint means 'nodata'. Coordinates may be None (provincial
    agencies have none in the catalog: the map builder places them around the provincial centre)."""
    endpoints = endpoints if endpoints is not None else endpoint_states(session, now, with_agency=True)
    owners = dict(session.execute(select(System.id, System.owner_agency_id).where(System.active.is_(True))).all())
    by_agency: dict[str, list[EndpointState]] = {}
    for e in endpoints:
        owner = owners.get(e.system_id)
        if owner is not None:
            by_agency.setdefault(owner, []).append(e)
        if e.agency_id is not None and e.agency_id != owner:
            by_agency.setdefault(e.agency_id, []).append(e)
    agencies = session.execute(
        select(Agency.id, Agency.name_vi, Agency.name_en, Agency.kind, Agency.official_code, Agency.lat, Agency.lon, Agency.partner)
        .order_by(Agency.official_code.is_(None), Agency.official_code, Agency.id)
    ).all()
    places = []
    for a in agencies:
        eps = by_agency.get(a.id, [])
        judged, changed, down, latency = [], None, 0, None
        for e in eps:  # one pass: a department may hold thousands of endpoints
            status = e.status
            judged.append((status, e.critical or e.agency_id == a.id))
            if e.status_since is not None and (changed is None or e.status_since > changed):
                changed = e.status_since
            if status == Status.DOWN:
                down += 1
            if e.latency_ms is not None and status != Status.UNKNOWN and (latency is None or e.latency_ms > latency):
                latency = e.latency_ms
        state = place_state(judged)
        places.append({
            "id": a.id, "code": a.official_code, "name_vi": a.name_vi, "name_en": a.name_en,
            "kind": a.kind, "partner": a.partner, "lat": a.lat, "lon": a.lon,
            "status": state,
            "endpoints": len(eps),
            "down": down,
            "latency_ms": latency,  # the map's optional metric: the slowest current answer among its endpoints
            "changed_at": changed,
            "recent": changed is not None and (now - changed).total_seconds() < RECENT_CHANGE_S and state != NO_DATA,
            "path": unit_path(a.id, a.official_code),
        })
    return places


def place_state(endpoints: list[tuple[str, bool]]) -> str:
    """A place from its endpoints' (effective status, critical), by the same rule as a system.
    Callers count the place's own endpoints (`options.agency`, e.g. its server's heartbeat) as
    critical for it: a commune whose server is silent is down on the map, even though one silent
    commune only degrades the system that holds the 96 heartbeats."""
    if not endpoints:
        return NO_DATA
    return str(system_status(endpoints))  # Status is a StrEnum: the rule reads plain strings alike


def data_centre_state(tiles: list[dict]) -> str:
    """The provincial data centre hosts the shared systems: it shows the worst of them."""
    if not tiles:
        return NO_DATA
    return min((t["status"] for t in tiles), key=lambda s: SEVERITY_RANK.get(s, 9))


def unit_path(agency_id: str, official_code: str | None) -> str:
    return f"/units/{official_code or agency_id}"


def unit_detail(session: Session, key: str, now: datetime | None = None, lang: str = "vi") -> dict | None:
    """One place for /units/<code>: the agency, its state, the systems it owns and every
    endpoint associated with it. `key` is an official code or an agency id."""
    now = now or utcnow()
    agency = session.scalar(select(Agency).where((Agency.official_code == key) | (Agency.id == key)))
    if agency is None:
        return None
    owned = session.execute(
        select(System.id, System.name_vi, System.name_en).where(System.owner_agency_id == agency.id, System.active.is_(True)).order_by(System.position)
    ).all()
    owned_ids = {s.id for s in owned}
    endpoints = [
        e for e in endpoint_states(session, now, with_agency=True) if e.agency_id == agency.id or e.system_id in owned_ids
    ]
    names = dict(session.execute(select(Endpoint.id, Endpoint.name).where(Endpoint.id.in_([e.id for e in endpoints]))).all()) if endpoints else {}
    return {
        "id": agency.id, "code": agency.official_code, "name_vi": agency.name_vi, "name_en": agency.name_en,
        "kind": agency.kind, "partner": agency.partner, "lat": agency.lat, "lon": agency.lon,
        "status": place_state([(e.status, e.critical or e.agency_id == agency.id) for e in endpoints]),
        "systems": [{"id": s.id, "name_vi": s.name_vi, "name_en": s.name_en} for s in owned],
        "endpoints": [
            {"id": e.id, "name": names.get(e.id, e.id), "system_id": e.system_id, "status": e.status, "stale": e.stale,
             "since": e.status_since, "checked_at": e.last_check_at, "latency_ms": e.latency_ms,
             "reason": render(e.reason, lang), "short_reason": render(e.reason, lang, short=True)}
            for e in sorted(endpoints, key=lambda e: (SEVERITY_RANK.get(e.status, 9), e.id))
        ],
    }


# ---------------------------------------------------------------------------- charts (slow refresh)


class _HourlyFigures:
    """Per database: each hour's (counted, failures, latency sum, latency count) per system.
    Rolled-up hours never change, so they are read once; hours not rolled up yet are summed
    from raw results once, then only rows with a higher id than already seen are read. The
    charts' refresh thus reads a minute of new results instead of up to two hours of them.
    (Rows committed out of id order by concurrent writers could be missed; there is one
    writer, the collector's.) The whole cache is dropped when dashboard.monitoring.rollups rolls up a
    new hour."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rolled_to: datetime | None = None
        self.rolled: dict[datetime, dict[str, list]] = {}
        self.raw: dict[datetime, dict[str, list]] = {}
        self.last_id: int | None = None
        self.counted = None  # (SQL filter, systems counted whole) — see _counted_filter


_HOURLY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Engine -> _HourlyFigures


def _add(cells: dict[str, list], system_id: str, counted, failures, latency_sum, latency_n) -> None:
    cell = cells.setdefault(system_id, [0, 0, 0.0, 0])
    cell[0] += counted or 0
    cell[1] += failures or 0
    cell[2] += latency_sum or 0.0
    cell[3] += latency_n or 0


def availability_24h(session: Session, now: datetime, hours: int = 24) -> dict:
    """Per system and hour over the last `hours`: availability % and mean latency of its
    critical endpoints. Hours already rolled up (dashboard.monitoring.rollups keeps `done_until`) come
    from the hourly rollups, the rest — the current hour and any hour not rolled up yet —
    from raw results; both are indexed reads (see _HourlyFigures for what is kept between
    calls). As in dashboard.monitoring.rollups, missed checks and checks inside a maintenance window
    count neither way."""
    current = floor_hour(now)
    start = current - timedelta(hours=hours - 1)
    rolled_to = min(max(done_until(session, "hour") or start, start), current + timedelta(hours=1))
    figures = _HOURLY.setdefault(session.get_bind(), _HourlyFigures())
    with figures.lock:
        if figures.rolled_to != rolled_to:
            figures.__init__()
            figures.rolled_to = rolled_to
        if figures.counted is None:
            figures.counted = _counted_filter(session)
        _read_rollups(session, figures, [h for h in (start + timedelta(hours=i) for i in range(hours)) if h < rolled_to])
        _read_raw(session, figures, rolled_to, current)
        hours_list = [start + timedelta(hours=i) for i in range(hours)]
        by_hour = {h: figures.rolled.get(h) or figures.raw.get(h) or {} for h in hours_list}
    systems = sorted({sid for cells in by_hour.values() for sid in cells})
    series = {}
    for system_id in systems:
        availability, latency = [], []
        for hour in hours_list:
            counted, failures, latency_sum, latency_n = by_hour[hour].get(system_id, (0, 0, 0.0, 0))
            availability.append(round(100.0 * max(0, counted - failures) / counted, 2) if counted > 0 else None)
            latency.append(round(latency_sum / latency_n, 1) if latency_n else None)
        series[system_id] = {"availability": availability, "latency_ms": latency}
    return {"hours": hours_list, "series": series}


def _counted_filter(session: Session):
    """Which endpoints a system's availability counts: its critical ones; a system with no
    critical endpoint (the commune network: 96 heartbeats, none critical alone) counts all of
    them, so that every system has a row in the charts."""
    with_critical = {sid for (sid,) in session.execute(
        select(Endpoint.system_id).where(Endpoint.critical.is_(True), Endpoint.active.is_(True)).distinct())}
    whole = frozenset(sid for (sid,) in session.execute(select(System.id).where(System.active.is_(True))) if sid not in with_critical)
    condition = and_(Endpoint.active.is_(True), or_(Endpoint.critical.is_(True), Endpoint.system_id.in_(sorted(whole))) if whole
                     else Endpoint.critical.is_(True))
    return condition, whole


def _read_rollups(session: Session, figures: _HourlyFigures, wanted: list[datetime]) -> None:
    missing = [h for h in wanted if h not in figures.rolled]
    if not missing:
        return
    rows = session.execute(
        select(
            Endpoint.system_id, Rollup.bucket_start,
            func.sum(Rollup.checks - Rollup.maintenance), func.sum(Rollup.failures),
            func.sum(Rollup.latency_avg_ms * Rollup.checks),
            func.sum(case((Rollup.latency_avg_ms.is_not(None), Rollup.checks), else_=0)),
        )
        .select_from(Rollup)
        .join(Endpoint, Endpoint.id == Rollup.endpoint_id)
        .where(Rollup.period == "hour", Rollup.bucket_start >= min(missing), Rollup.bucket_start <= max(missing), figures.counted[0])
        .group_by(Endpoint.system_id, Rollup.bucket_start)
    ).all()
    for hour in missing:
        figures.rolled[hour] = {}
    for system_id, bucket, *values in rows:
        if bucket in figures.rolled:
            _add(figures.rolled[bucket], system_id, *values)


def _read_raw(session: Session, figures: _HourlyFigures, since: datetime, current: datetime) -> None:
    counted = and_(CheckResult.missed.is_(False), CheckResult.maintenance.is_(False))
    if figures.last_id is None:
        # First call: sum in SQL, per hour not rolled up (usually one or two), up to a known id.
        last = session.scalar(select(func.max(CheckResult.id)).where(CheckResult.checked_at >= since)) or 0
        if not last:
            last = session.scalar(select(func.max(CheckResult.id))) or 0
        bucket = since
        while bucket <= current:
            rows = session.execute(
                select(
                    Endpoint.system_id,
                    func.sum(case((counted, 1), else_=0)),
                    func.sum(case((and_(counted, CheckResult.verdict == str(Status.DOWN)), 1), else_=0)),
                    func.sum(CheckResult.latency_ms), func.count(CheckResult.latency_ms),
                )
                .select_from(CheckResult)
                .join(Endpoint, Endpoint.key == CheckResult.endpoint_key)
                .where(CheckResult.checked_at >= bucket, CheckResult.checked_at < bucket + timedelta(hours=1),
                       CheckResult.id <= last, figures.counted[0])
                .group_by(Endpoint.system_id)
            ).all()
            cells = figures.raw.setdefault(bucket, {})
            for system_id, *values in rows:
                _add(cells, system_id, *values)
            bucket += timedelta(hours=1)
        figures.last_id = last
        return
    # Later calls: only the results stored since (a primary-key range).
    rows = session.execute(
        select(CheckResult.id, Endpoint.system_id, Endpoint.critical, Endpoint.active, CheckResult.checked_at,
               CheckResult.verdict, CheckResult.missed, CheckResult.maintenance, CheckResult.latency_ms)
        .select_from(CheckResult)
        .join(Endpoint, Endpoint.key == CheckResult.endpoint_key)
        .where(CheckResult.id > figures.last_id)
    ).all()
    for row_id, system_id, critical, active, checked_at, verdict, missed, maintenance, latency in rows:
        figures.last_id = max(figures.last_id, row_id)
        if checked_at < since or not (active and (critical or system_id in figures.counted[1])):
            continue
        ordinary = not missed and not maintenance
        _add(figures.raw.setdefault(floor_hour(checked_at), {}), system_id, int(ordinary),
             int(ordinary and verdict == Status.DOWN), latency, int(latency is not None))


def state_timeline(session: Session, now: datetime, hours: int = 24, lang: str = "vi") -> list[dict]:
    """Systems' state changes over the window (StateEvent, indexed on `at`) as segments
    [start, end) per system; a system with no change in the window is one segment in its
    current state."""
    start = now - timedelta(hours=hours)
    systems = session.execute(
        select(System.id, System.name_vi, System.name_en, System.short_name, System.status, System.status_since)
        .where(System.active.is_(True)).order_by(System.position)
    ).all()
    events = session.execute(
        select(StateEvent.subject_id, StateEvent.at, StateEvent.old_status, StateEvent.new_status, StateEvent.reason,
               StateEvent.cause)
        .where(StateEvent.subject_type == "system", StateEvent.at >= start)
        .order_by(StateEvent.at)
    ).all()
    by_system: dict[str, list] = {}
    for event in events:
        by_system.setdefault(event.subject_id, []).append(event)
    result = []
    for system in systems:
        evs = by_system.get(system.id, [])
        segments = []
        state = evs[0].old_status if evs else system.status
        cursor = start
        for event in evs:
            if event.at > cursor:
                segments.append({"status": state, "start": cursor, "end": event.at})
            state, cursor = event.new_status, event.at
        segments.append({"status": state, "start": cursor, "end": now})
        result.append({
            "id": system.id, "name_vi": system.name_vi, "name_en": system.name_en, "short_name": system.short_name, "segments": segments,
            "changes": [{"at": e.at, "old": e.old_status, "new": e.new_status,
                         "reason": render(cause_of(e.cause, e.reason), lang)} for e in evs],
        })
    return result


# ---------------------------------------------------------------------------- one call per refresh


def wall_status(session: Session, now: datetime | None = None, stale_after_s: float = 180.0, lang: str = "vi",
                verified_days: float = VERIFIED_DAYS) -> dict:
    """Everything the wall's fast refresh shows, from one session (causes in `lang`)."""
    started = time.perf_counter()
    now = now or utcnow()
    endpoints = endpoint_states(session, now)
    tiles = worst_first(system_tiles(session, now, endpoints, lang))
    result = {
        "now": now,
        "tiles": tiles,
        "counts": counts(tiles),
        "coverage": coverage(session, now, verified_days),
        "freshness": freshness(session, now, tiles, stale_after_s),
        "feed": feed(session, now, lang=lang),
        "generated_at": iso(now),
    }
    result["query_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def map_view(session: Session, now: datetime, lang: str = "vi") -> dict:
    """What the wall's map reads in one session: endpoint states, places, system tiles and the
    open security alerts per place."""
    endpoints = endpoint_states(session, now, with_agency=True)
    return {
        "places": map_places(session, now, endpoints),
        "tiles": system_tiles(session, now, endpoints, lang),
        "alert_places": alerts_by_agency(session),
    }


def charts_view(session: Session, now: datetime, lang: str = "vi") -> dict:
    """What the wall's charts view reads in one session."""
    return {"tiles": systems_list(session), "availability": availability_24h(session, now), "timeline": state_timeline(session, now, lang=lang)}
