"""JSON API, version 1. Stable field names; additions only. Documented in docs/api.md."""
from __future__ import annotations

import logging
from dataclasses import replace

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from collectors.timeutil import iso, utcnow
from dashboard.domain.status import health_verdict
from dashboard.i18n import LANGUAGES
from dashboard.monitoring import actions
from dashboard.readmodels import systems as queries
from dashboard.readmodels.agents import agents_summary

log = logging.getLogger(__name__)
api = Blueprint("api", __name__, url_prefix="/api")


def runtime():
    return current_app.extensions["ioc"]


class BadLanguage(ValueError):
    pass


def reader_language() -> str:
    """`?lang=vi|en` (default vi): the language causes and reasons are rendered in."""
    lang = request.args.get("lang", "vi")
    if lang not in LANGUAGES:
        raise BadLanguage(f"lang must be one of {', '.join(LANGUAGES)}, not {lang[:20]!r}")
    return lang


@api.errorhandler(BadLanguage)
def _bad_language(exc: BadLanguage):
    return jsonify({"error": str(exc)}), 400


@api.get("/health")
def health():
    """ok / degraded (200) / down (503): docs/api.md. Reads a heartbeat, writes one small row."""
    db = runtime().db
    probe = db.probe()
    body = {"time": iso(utcnow())}
    if probe.read_ok:
        try:
            with db.sessions() as session:  # read only: nothing to commit
                body = queries.health(session)
                body["agents"] = agents_summary(session)  # remote collectors: how many, how many silent
        except SQLAlchemyError as exc:
            probe = replace(probe, read_ok=False, write_ok=False, error=str(getattr(exc, "orig", exc)).splitlines()[0][:300])
    alive = body.get("scheduler", {}).get("alive", False) if probe.read_ok else None
    status, problems = health_verdict(probe.read_ok, probe.write_ok, alive, probe.disk_free_bytes, probe.disk_total_bytes)
    body.update({
        "status": status,
        "problems": problems,
        "database": "ok" if probe.write_ok else "read-only" if probe.read_ok else "unreachable",
        "database_write": probe.write_ok,
        "database_error": probe.error,
        "database_down_since": _database_down_since(db, probe.write_ok),
    })
    if probe.disk_free_bytes is not None:
        body["disk"] = {"free_bytes": probe.disk_free_bytes, "total_bytes": probe.disk_total_bytes}
    return jsonify(body), 503 if status == "down" else 200


def _database_down_since(db, ok: bool) -> str | None:
    """Since when the database has not been `ok`, as early as this process saw it: by this probe,
    by the pages' reads (facade) or by the collector's writes, whichever noticed first."""
    from dashboard.web.facade import database_down_since as pages_down_since

    seen = db.trouble_since(ok)
    if ok:
        return None
    collector = getattr(runtime(), "collector", None)
    times = [t for t in (seen, pages_down_since(), getattr(collector, "db_down_since", None)) if t is not None]
    return iso(min(times)) if times else None


@api.get("/systems")
def systems():
    with runtime().db.session() as session:
        views = queries.systems_overview(session, with_uptime=True, lang=reader_language())
    return jsonify({"generated_at": iso(utcnow()), "counts": queries.status_counts(views), "systems": views})


@api.post("/demo/systems/<system_id>/mode")
def demo_mode(system_id: str):
    demo = runtime().demo
    if demo is None:
        return jsonify({"error": "the demo is not running"}), 404
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("mode"), str):
        return jsonify({"error": 'send JSON such as {"mode": "failing"}'}), 400
    try:
        demo.set_mode(system_id, payload["mode"])
    except ValueError as exc:
        return jsonify({"error": str(exc)}), 400
    from dashboard.auth import audit

    with runtime().db.session() as session:
        audit.record(session, None, "demo.set_mode", system_id, {"mode": payload["mode"], "via": "api"})
    return jsonify({"system": system_id, "mode": demo.mode(system_id)})


# --- leadership: plan progress and integration coverage; see docs/api-leadership.md


@api.get("/progress")
def progress():
    from dashboard.readmodels import plans as plan_views

    view = request.args.get("view") or "accepted"
    if view not in plan_views.VIEWS:
        return jsonify({"error": f"view is one of {', '.join(plan_views.VIEWS)} (default accepted)"}), 400
    with runtime().db.session() as session:
        return jsonify({"generated_at": iso(utcnow()), **plan_views.progress_api(
            session, view=view, silent_days=getattr(runtime().settings, "silent_days", 14))})


@api.get("/coverage")
def coverage():
    from dashboard.readmodels import plans as plan_views

    with runtime().db.session() as session:
        return jsonify({"generated_at": iso(utcnow()), **plan_views.coverage_api(session, verified_days=runtime().settings.verified_days)})


@api.get("/availability")
def availability():
    """Availability per system for a local month (?month=YYYY-MM, default the current one)."""
    from dashboard.plans.availability import BadPeriod
    from dashboard.readmodels import availability as availability_views

    month = request.args.get("month") or availability_views.current_month()
    try:
        with runtime().db.session() as session:
            body = availability_views.availability_view(session, month)
    except BadPeriod as exc:
        return jsonify({"error": str(exc)}), 400
    return jsonify({"generated_at": iso(utcnow()), **body})


# --- status engine: check now, incidents; see docs/status-engine.md


@api.get("/units")
def units():
    with runtime().db.session() as session:
        return jsonify({"generated_at": iso(utcnow()), "units": queries.units(session)})


@api.post("/endpoints/<endpoint_id>/check")
def check_now(endpoint_id: str):
    with runtime().db.session() as session:
        try:
            rows = actions.check_now(session, [endpoint_id], via="api")
        except actions.ActionError:
            return jsonify({"error": f"no active endpoint {endpoint_id!r}"}), 404
        row = rows[0]
        return jsonify({"endpoint": endpoint_id, "requested_at": iso(row.requested_at), "request_id": row.id}), 202


@api.post("/incidents/<int:incident_id>/public-note")
def public_note(incident_id: int):
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("note"), (str, type(None))):
        return jsonify({"error": 'send JSON such as {"note": "Đang khắc phục, dự kiến xong lúc 15:00"}'}), 400
    with runtime().db.session() as session:
        try:
            incident = actions.set_public_note(session, incident_id, payload["note"])
        except actions.ActionError as exc:
            status = 404 if str(exc).startswith("no incident") else 400
            return jsonify({"error": str(exc)}), status
        return jsonify({"incident": incident.id, "public_note": incident.public_note})


@api.get("/incidents")
def incidents():
    open_only = request.args.get("open", "").lower() in ("1", "true", "yes")
    with runtime().db.session() as session:
        rows = queries.incidents(session, system_id=request.args.get("system"), open_only=open_only, lang=reader_language())
    return jsonify({"generated_at": iso(utcnow()), "incidents": rows})


# --- heartbeats: push checks; see docs/probes.md


@api.record_once
def _mask_heartbeat_tokens(_state) -> None:
    from dashboard.monitoring.heartbeats import mask_tokens_in_access_logs

    mask_tokens_in_access_logs()


@api.route("/heartbeat/<token>", methods=["GET", "POST"])
def heartbeat(token: str):
    """A system or commune server says it is alive. GET works for a plain cron `curl`."""
    from dashboard.monitoring import heartbeats

    limit = heartbeats.MAX_BODY_BYTES
    if request.content_length is not None and request.content_length > limit:
        body = bytes(limit + 1)  # too large: rejected below without reading it
    else:
        body = request.stream.read(limit + 1)
    try:
        with runtime().db.session() as session:
            ping = heartbeats.receive(session, token, body, request.args.to_dict(), request.remote_addr)
            answer = {"ok": True, "endpoint": ping.endpoint_id, "received_at": iso(ping.received_at),
                      "status": ping.status}
    except heartbeats.PingRejected as exc:
        log.info("heartbeat %s from %s rejected: %s", heartbeats.masked(token), request.remote_addr, exc.message)
        return jsonify({"error": exc.message}), exc.http_status
    return jsonify(answer), 200


# --- wall display: the optional province boundary drawn under the map's markers


@api.get("/map/boundary.geojson")
def map_boundary():
    from flask import abort, send_file

    path = runtime().settings.map_boundary_geojson
    if path is None or not path.is_file():
        abort(404)
    return send_file(path.resolve(), mimetype="application/geo+json", max_age=3600)


@api.errorhandler(SQLAlchemyError)
def database_error(exc):
    log.error("API database error: %s", exc)
    return jsonify({"error": "database unavailable"}), 503
