"""Read models for the technician drill-down: one system, endpoint or national link,
its recent checks, history over a range, uptime, incidents, certificate and dependencies.

Ranges up to 24 h read raw check results; longer ranges read `Rollup` rows (per hour for 7 d,
per day for 30 d and 1 y), so a page costs the same whatever the length of history.
Pure helpers (bucketing, percentiles, uptime, CSV) take plain values so tests call them directly.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collectors.timeutil import iso, parse_iso, utcnow
from dashboard.domain import uptime as rollups
from dashboard.domain.causes import cause_of, condition_rows, localized, render
from dashboard.readmodels import systems as queries
from dashboard.readmodels.availability import system_month
from dashboard.readmodels.maintenance import windows_for
from dashboard.readmodels.uptime import counts_between, done_until
from dashboard.store.models import (
    CheckResult,
    Endpoint,
    Link,
    Rollup,
    Status,
    System,
    SystemDependency,
    key_of,
)

EXCERPT_MAX_CHARS = 500  # what a page shows of a response body; Dash escapes it as text
RECENT_LIMIT = 60
INCIDENT_LIMIT = 50


@dataclass(frozen=True)
class Range:
    key: str
    seconds: int
    source: str  # raw | hour | day
    bucket_s: int


RANGES: dict[str, Range] = {
    "1h": Range("1h", 3600, "raw", 60),
    "24h": Range("24h", 86_400, "raw", 1200),
    "7d": Range("7d", 7 * 86_400, "hour", 3600),
    "30d": Range("30d", 30 * 86_400, "day", 86_400),
    "1y": Range("1y", 365 * 86_400, "day", 86_400),
}
DEFAULT_RANGE = "24h"


# ------------------------------------------------------------------------------ pure helpers


def bucket_raw(rows: list[tuple], start: datetime, bucket_s: int) -> list[dict]:
    """Group raw results (checked_at, verdict, latency_ms, missed, maintenance) into buckets of
    `bucket_s` seconds from `start`, each summarised exactly as an hourly rollup is
    (dashboard.monitoring.rollups.summarize), so short and long ranges read the same."""
    buckets: dict[int, list[tuple]] = {}
    for checked_at, verdict, latency, missed, in_window in rows:
        index = int((checked_at - start).total_seconds() // bucket_s)
        buckets.setdefault(index, []).append((verdict, missed, in_window, latency))
    return [_point(start + timedelta(seconds=index * bucket_s), rollups.summarize(buckets[index])) for index in sorted(buckets)]


def rollup_points(rows: list[tuple]) -> list[dict]:
    """Rollup rows (bucket_start, checks, failures, degraded, missed, maintenance, avg, p95, max)."""
    keys = ("checks", "failures", "degraded", "missed", "maintenance", "latency_avg_ms", "latency_p95_ms", "latency_max_ms")
    return [_point(row[0], dict(zip(keys, row[1:]))) for row in sorted(rows, key=lambda r: r[0])]


def _point(at: datetime, figures: dict) -> dict:
    counts = rollups.Counts(figures["checks"], figures["failures"], figures["degraded"], figures["missed"], figures["maintenance"])
    return {"t": at, **figures, "uptime": rollups.uptime_percent(counts)}


def bounded_excerpt(text: str | None, limit: int = EXCERPT_MAX_CHARS) -> str | None:
    if not text:
        return None
    return text if len(text) <= limit else text[:limit] + f"… (+{len(text) - limit})"


def certificate_view(detail: dict | None, now: datetime) -> dict | None:
    """The certificate facts a tls (or https) check left in its detail, with days left as of now."""
    cert = (detail or {}).get("certificate") if isinstance(detail, dict) else None
    if not isinstance(cert, dict):
        return None
    view = dict(cert)
    not_after = parse_iso(cert.get("not_after")) if isinstance(cert.get("not_after"), str) else None
    if not_after is not None:
        view["days_left"] = round((not_after - now).total_seconds() / 86_400, 1)
    return view


CSV_COLUMNS_RAW = ["endpoint_id", "checked_at", "verdict", "latency_ms", "http_code", "reason", "missed", "maintenance"]
CSV_COLUMNS_ROLLUP = ["endpoint_id", "bucket_start", "checks", "failures", "degraded", "missed", "maintenance",
                      "uptime_percent", "latency_avg_ms", "latency_p95_ms", "latency_max_ms"]


def history_csv_text(source: str, rows: list[dict]) -> str:
    """CSV (UTF-8, comma, ISO-8601 UTC times) of what the history view shows."""
    out = io.StringIO()
    columns = CSV_COLUMNS_RAW if source == "raw" else CSV_COLUMNS_ROLLUP
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (iso(v) if isinstance(v, datetime) else ("" if v is None else v)) for k, v in row.items()})
    return out.getvalue()


# ------------------------------------------------------------------------------ history


def history(session: Session, endpoint_id: str, range_key: str, now: datetime | None = None) -> list[dict]:
    """Chart points for one endpoint over a range (see RANGES)."""
    now = now or utcnow()
    spec = RANGES[range_key]
    start = now - timedelta(seconds=spec.seconds)
    if spec.source == "raw":
        rows = session.execute(
            select(CheckResult.checked_at, CheckResult.verdict, CheckResult.latency_ms, CheckResult.missed, CheckResult.maintenance)
            .where(CheckResult.endpoint_key == key_of(endpoint_id), CheckResult.checked_at >= start)
            .order_by(CheckResult.checked_at)
        ).all()
        return bucket_raw([tuple(r) for r in rows], start, spec.bucket_s)
    # Whole buckets: the first day (or hour) of the range is shown entire.
    floor = rollups.floor_day if spec.source == "day" else rollups.floor_hour
    start = floor(start)
    # Rollups cover the buckets already rolled up; the rest — the current hour or day, where an
    # ongoing outage is — comes from raw results, summarised the same way. Without it a range
    # ended an hour (or a day) ago and showed nothing of what is happening now.
    covered = done_until(session, spec.source)
    if covered is None:  # no rollup job has run here yet: the rollups stored (if any) say how far they go
        last = session.scalar(select(func.max(Rollup.bucket_start)).where(
            Rollup.endpoint_id == endpoint_id, Rollup.period == spec.source, Rollup.bucket_start >= start))
        covered = last + timedelta(seconds=spec.bucket_s) if last is not None else start
    covered = max(start, floor(covered))
    rows = session.execute(
        select(Rollup.bucket_start, Rollup.checks, Rollup.failures, Rollup.degraded, Rollup.missed, Rollup.maintenance,
               Rollup.latency_avg_ms, Rollup.latency_p95_ms, Rollup.latency_max_ms)
        .where(Rollup.endpoint_id == endpoint_id, Rollup.period == spec.source, Rollup.bucket_start >= start,
               Rollup.bucket_start < covered)
        .order_by(Rollup.bucket_start)
    ).all()
    raw = session.execute(
        select(CheckResult.checked_at, CheckResult.verdict, CheckResult.latency_ms, CheckResult.missed, CheckResult.maintenance)
        .where(CheckResult.endpoint_id == endpoint_id, CheckResult.checked_at >= covered, CheckResult.checked_at <= now)
        .order_by(CheckResult.checked_at)
    ).all()
    return rollup_points([tuple(r) for r in rows]) + bucket_raw([tuple(r) for r in raw], covered, spec.bucket_s)


def history_rows(session: Session, endpoint_id: str, range_key: str, now: datetime | None = None) -> tuple[str, list[dict]]:
    """What the CSV export writes: raw results for ranges up to 24 h, rollups beyond."""
    now = now or utcnow()
    spec = RANGES[range_key]
    start = now - timedelta(seconds=spec.seconds)
    if spec.source == "raw":
        columns = ("checked_at", "verdict", "latency_ms", "http_code", "cause", "params", "reason", "missed", "maintenance")
        results = session.execute(
            select(*(getattr(CheckResult, c) for c in columns))
            .where(CheckResult.endpoint_key == key_of(endpoint_id), CheckResult.checked_at >= start)
            .order_by(CheckResult.checked_at)
        ).all()
        rows = []
        for row in results:
            values = dict(zip(columns, row))
            code, params = values.pop("cause"), values.pop("params")
            if code:  # the reason in words (Vietnamese, as the export's other labels)
                values["reason"] = render(raw_cause(code, params, values["http_code"], None))
            rows.append({"endpoint_id": endpoint_id, **values})
        return "raw", rows
    points = history(session, endpoint_id, range_key, now)
    return spec.source, [
        {**p, "endpoint_id": endpoint_id, "bucket_start": p["t"], "uptime_percent": p["uptime"]}
        for p in points
    ]


def history_csv(session: Session, endpoint_ids: list[str], range_key: str, now: datetime | None = None) -> str:
    """The CSV of the history a page shows (one or several endpoints, same range)."""
    now = now or utcnow()
    rows: list[dict] = []
    for endpoint_id in endpoint_ids:
        _source, part = history_rows(session, endpoint_id, range_key, now)
        rows.extend(part)
    return history_csv_text(RANGES[range_key].source, rows)


def uptime_by_range(session: Session, endpoint_ids: list[str], now: datetime | None = None) -> dict[str, float | None]:
    """Uptime of a set of endpoints over every range, counted in SQL by dashboard.monitoring.rollups
    (daily and hourly rollups where rolled up, raw results for the rest): the same figures as
    /api/systems. The 1 h range reads raw results for exactly the last hour."""
    now = now or utcnow()
    if not endpoint_ids:
        return {key: None for key in RANGES}
    result = {}
    for key, spec in RANGES.items():
        start = now - timedelta(seconds=spec.seconds)
        if spec.seconds >= 86_400:
            start = rollups.floor_hour(start)
        per_endpoint = counts_between(session, start, now, endpoint_ids)
        total = rollups.Counts()
        for counts in per_endpoint.values():
            total.add(counts)
        result[key] = rollups.uptime_percent(total)
    return result


# ------------------------------------------------------------------------------ recent checks


def raw_cause(code: str | None, params: dict | None, http_code: int | None, reason: str | None) -> dict | None:
    """A raw row's cause: its code (an "ok" row keeps no parameters: its HTTP code is a column),
    or the text of a row stored before causes had codes."""
    if code:
        params = dict(params or {})
        if code == "ok" and not params and http_code is not None:
            params["status"] = http_code
        return {"code": code, "params": params}
    return cause_of(None, reason)


def recent_checks(session: Session, endpoint_id: str, limit: int = RECENT_LIMIT, lang: str = "vi") -> list[dict]:
    """The newest results first, with a bounded excerpt of what the system answered, the cause
    in `lang` and the probe's own words (`error`, for the technician)."""
    return [
        {
            "checked_at": iso(r.checked_at),
            "verdict": r.verdict,
            "latency_ms": r.latency_ms,
            "http_code": r.http_code,
            **localized(raw_cause(r.cause, r.params, r.http_code, r.reason), lang),
            "error": (r.detail or {}).get("error") if isinstance(r.detail, dict) else None,
            "excerpt": bounded_excerpt((r.detail or {}).get("excerpt") if isinstance(r.detail, dict) else None),
            "failed_conditions": list((r.detail or {}).get("failed_conditions") or []) if isinstance(r.detail, dict) else [],
            "missed": r.missed,
            "maintenance": r.maintenance,
        }
        for r in queries.recent_results(session, endpoint_id, limit)
    ]


# ------------------------------------------------------------------------------ maintenance


def maintenance_windows(session: Session, system_id: str, now: datetime | None = None) -> list[dict]:
    """A system's current and upcoming maintenance (its own and its endpoints'), recurring
    windows included: dashboard.monitoring.maintenance decides the occurrences."""
    return windows_for(session, system_id, now or utcnow())


# ------------------------------------------------------------------------------ pages


def system_page(session: Session, system_id: str, now: datetime | None = None, lang: str = "vi") -> dict | None:
    now = now or utcnow()
    systems = queries.systems_overview(session, now, lang=lang)
    view = next((s for s in systems if s["id"] == system_id), None)
    if view is None:
        return None
    view["description"] = session.get(System, system_id).description
    for endpoint_view in view["endpoints"]:
        detail = latest_detail(session, session.get(Endpoint, endpoint_view["id"]))
        failed = (detail or {}).get("failed_conditions") if isinstance(detail, dict) else None
        endpoint_view["failed_conditions"] = list(failed or []) if endpoint_view["status"] in ("down", "degraded") else []
    view["dependencies"] = dependencies(session, system_id, view, now, systems)
    return view


def endpoint_page(session: Session, endpoint_id: str, now: datetime | None = None, lang: str = "vi") -> dict | None:
    now = now or utcnow()
    endpoint = session.get(Endpoint, endpoint_id)
    if endpoint is None:
        return None
    systems = queries.systems_overview(session, now, lang=lang)
    system = next((s for s in systems if s["id"] == endpoint.system_id), None)
    view = next((e for e in (system or {}).get("endpoints", []) if e["id"] == endpoint_id), None)
    if view is None:  # inactive endpoint: still show its history
        view = queries._endpoint_view(endpoint, now, lang)  # noqa: SLF001 - the same view the overview uses
    # the same target checked from other networks (one endpoint per vantage): side by side
    same = [e for s in systems for e in s["endpoints"] if e["kind"] == view["kind"] and e["target"] == view["target"]]
    view["vantages"] = same if len({e["vantage"] for e in same}) > 1 else []
    detail = latest_detail(session, endpoint)
    conditions = [c if isinstance(c, dict) else {"condition": c, "severity": "down"} for c in (endpoint.options or {}).get("conditions", [])]
    view.update(
        system_id=endpoint.system_id,
        system_name_vi=system["name_vi"] if system else endpoint.system_id,
        system_name_en=system["name_en"] if system else endpoint.system_id,
        critical=endpoint.critical,
        timeout_s=endpoint.timeout_s,
        conditions=conditions,
        # each condition in words, as the last check left it (met, failed, or not evaluated)
        condition_rows=condition_rows(conditions, cause_of(endpoint.last_cause, None) if endpoint.last_check_at else None, lang),
        # the technician's block: the probe's own words and facts, never shown as the reason
        technical={"error": endpoint.last_reason, "verify_error": (detail or {}).get("verify_error") if isinstance(detail, dict) else None,
                   "phase": (detail or {}).get("phase") if isinstance(detail, dict) else None,
                   "cause": cause_of(endpoint.last_cause, None)},
        certificate=certificate_view(detail, now),
        links=list(session.scalars(select(Link.id).where(Link.endpoint_id == endpoint_id, Link.active.is_(True)))),
    )
    return view


def latest_detail(session: Session, endpoint: Endpoint) -> dict | None:
    """The detail of the newest check (kept on the endpoint by the status engine, else read)."""
    if endpoint.last_detail is not None:
        return endpoint.last_detail
    latest = queries.recent_results(session, endpoint.id, 1)
    return latest[0].detail if latest else None


def link_page(session: Session, link_id: str, now: datetime | None = None, lang: str = "vi") -> dict | None:
    now = now or utcnow()
    link = session.get(Link, link_id)
    if link is None:
        return None
    system = next((s for s in queries.systems_overview(session, now, lang=lang) if s["id"] == link.system_id), None)
    view = next((v for v in (system or {}).get("links", []) if v["id"] == link_id), None) or {}
    return {
        "id": link.id,
        "system_id": link.system_id,
        "system_name_vi": system["name_vi"] if system else link.system_id,
        "system_name_en": system["name_en"] if system else link.system_id,
        "platform_id": link.platform_id,
        "platform_name_vi": link.platform.name_vi,
        "platform_name_en": link.platform.name_en,
        "declared": link.declared_state,
        "endpoint_id": link.endpoint_id,
        "status": view.get("status", Status.UNKNOWN if link.endpoint_id else "unmonitored"),
        "monitored": link.endpoint_id is not None,
        "status_since": iso(link.status_since),
        **(localized(view["cause"], lang) if view.get("cause") else localized(cause_of(link.last_cause, link.last_reason), lang)),
        "last_check_at": iso(link.last_check_at),
    }


def link_status(link: dict) -> str:
    """A link's state for colouring: its live check, or (unmonitored) what was declared."""
    if link.get("monitored"):
        return link["status"]
    return "up" if link.get("declared") == "connected" else "unknown"


def dependencies(session: Session, system_id: str, view: dict, now: datetime, systems: list[dict] | None = None) -> dict:
    """The system's links to national platforms and its dependencies between provincial
    systems (both ways), each with the state that colours its edge."""
    platforms = [
        {"id": link["id"], "label_vi": link["platform_name_vi"], "label_en": link["platform_name_en"],
         "status": link_status(link), "declared": link["declared"], "monitored": link["monitored"],
         "reason": link["reason"], "href": f"/links/{link['id']}"}
        for link in view["links"]
    ]
    upstream, downstream = provincial_dependencies(session, view, systems or queries.systems_overview(session, now))
    return {"center": {"id": view["id"], "label_vi": view["name_vi"], "label_en": view["name_en"], "status": view["status"]},
            "platforms": platforms, "upstream": upstream, "downstream": downstream}


def provincial_dependencies(session: Session, view: dict, systems: list[dict]) -> tuple[list[dict], list[dict]]:
    """(systems this one depends on, systems depending on it). An edge takes the state of the
    system depended on: if LGSP is down, every edge into LGSP is red."""
    by_id = {s["id"]: s for s in systems}
    rows = session.execute(
        select(SystemDependency.system_id, SystemDependency.depends_on_id)
        .where((SystemDependency.system_id == view["id"]) | (SystemDependency.depends_on_id == view["id"]))
    ).all()

    def edge(other: dict, status: str, reason: str | None) -> dict:
        return {"id": f"system:{other['id']}", "label_vi": other["name_vi"], "label_en": other["name_en"], "status": status,
                "reason": reason, "href": f"/systems/{other['id']}", "monitored": True}

    upstream = [edge(by_id[b], by_id[b]["status"], by_id[b]["reason"]) for a, b in rows if a == view["id"] and b in by_id]
    # The reason of a downstream edge is this system's own, already at the top of the page.
    downstream = [edge(by_id[a], view["status"], None) for a, b in rows if b == view["id"] and a in by_id]
    return sorted(upstream, key=lambda e: e["id"]), sorted(downstream, key=lambda e: e["id"])


# ------------------------------------------------------------------------------ the list


def catalog_rows(session: Session, now: datetime | None = None, lang: str = "vi") -> list[dict]:
    """Every active system, endpoint and link as one flat row for the searchable grid (the
    reason is the short line, in `lang`; `reason_full` the sentence)."""
    now = now or utcnow()
    rows = []
    for system in queries.systems_overview(session, now, lang=lang):
        owner = system["owner"] or {}
        common = {"owner_id": owner.get("id"), "owner_vi": owner.get("name_vi"), "owner_en": owner.get("name_en"), "partner": system["partner"],
                  "system_id": system["id"], "system_vi": system["name_vi"], "system_en": system["name_en"]}
        rows.append({**common, "key": f"system:{system['id']}", "type": "system", "id": system["id"],
                     "name_vi": system["name_vi"], "name_en": system["name_en"], "kind": "system",
                     "status": system["status"], "reason": system["short_reason"], "reason_full": system["reason"],
                     "last_check_at": system["last_check_at"],
                     "latency_ms": None, "href": f"/systems/{system['id']}"})
        for e in system["endpoints"]:
            rows.append({**common, "key": f"endpoint:{e['id']}", "type": "endpoint", "id": e["id"],
                         "name_vi": e["name"], "name_en": e["name"], "kind": e["kind"], "status": e["status"],
                         "reason": e["short_reason"], "reason_full": e["reason"],
                         "last_check_at": e["checked_at"], "latency_ms": e["latency_ms"],
                         "href": f"/endpoints/{e['id']}"})
        for link in system["links"]:
            rows.append({**common, "key": f"link:{link['id']}", "type": "link", "id": link["id"],
                         "name_vi": link["platform_name_vi"], "name_en": link["platform_name_en"], "kind": "link",
                         "status": link_status(link), "reason": link["short_reason"], "reason_full": link["reason"],
                         "last_check_at": link["last_check_at"],
                         "latency_ms": None, "href": f"/links/{link['id']}"})
    return rows


# ------------------------------------------------------------------------------ the drill-down page, whole

SUBJECT_KINDS = ("system", "endpoint", "link")


def subject_endpoint_ids(session: Session, kind: str, subject_id: str) -> list[str]:
    """The endpoints a drill-down page is about: a system's active ones in catalog order, the
    endpoint itself, or the endpoint that checks a link (none for an unmonitored link)."""
    if kind == "system":
        return list(session.scalars(select(Endpoint.id).where(Endpoint.system_id == subject_id, Endpoint.active.is_(True))
                                    .order_by(Endpoint.position)))
    if kind == "endpoint":
        return [subject_id]
    if kind == "link":
        link = session.get(Link, subject_id)
        return [link.endpoint_id] if link is not None and link.endpoint_id else []
    raise ValueError(f"unknown page kind {kind!r}; expected one of: {', '.join(SUBJECT_KINDS)}")


def drilldown(session: Session, kind: str, subject_id: str, now: datetime | None = None, lang: str = "vi") -> dict | None:
    """Everything the upper and lower parts of a drill-down page show, or None when the subject
    does not exist: {"view", "checks" (newest first), "incidents", "windows"}; causes in `lang`."""
    now = now or utcnow()
    checks: list[dict] = []
    if kind == "system":
        view = system_page(session, subject_id, now, lang)
        if view is None:
            return None
        found = queries.incidents(session, system_id=subject_id, limit=INCIDENT_LIMIT, now=now, lang=lang)
        windows = maintenance_windows(session, subject_id, now)
    elif kind == "endpoint":
        view = endpoint_page(session, subject_id, now, lang)
        if view is None:
            return None
        checks = recent_checks(session, subject_id, lang=lang)
        found = queries.incidents(session, subject=("endpoint", subject_id), limit=INCIDENT_LIMIT, now=now, lang=lang)
        windows = [w for w in maintenance_windows(session, view["system_id"], now) if w["endpoint_id"] in (None, subject_id)]
    elif kind == "link":
        view = link_page(session, subject_id, now, lang)
        if view is None:
            return None
        checks = recent_checks(session, view["endpoint_id"], lang=lang) if view["endpoint_id"] else []
        found = queries.incidents(session, subject=("link", subject_id), limit=INCIDENT_LIMIT, now=now, lang=lang)
        windows = []
    else:
        return None
    # the system's month as /api/availability has it (MTTA, MTTR): one place computes both
    month = system_month(session, subject_id, now=now) if kind == "system" else None
    return {"view": view, "checks": checks, "incidents": found, "windows": windows, "month": month}


def drilldown_history(session: Session, kind: str, subject_id: str, range_key: str, now: datetime | None = None) -> dict:
    """The history panel of a drill-down page: per endpoint name, its points over the range;
    the uptime over every range; and the (start, end) of the window shown."""
    now = now or utcnow()
    endpoint_ids = subject_endpoint_ids(session, kind, subject_id)
    names = dict(session.execute(select(Endpoint.id, Endpoint.name).where(Endpoint.id.in_(endpoint_ids))).all())
    return {
        "series": {names.get(e, e): history(session, e, range_key, now) for e in endpoint_ids},
        "uptimes": uptime_by_range(session, endpoint_ids, now),
        "window": (now - timedelta(seconds=RANGES[range_key].seconds), now),
    }


def drilldown_csv(session: Session, kind: str, subject_id: str, range_key: str, now: datetime | None = None) -> str:
    return history_csv(session, subject_endpoint_ids(session, kind, subject_id), range_key, now)
