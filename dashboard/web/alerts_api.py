"""JSON API of the security alerts; documented in docs/alerts.md.

    POST /api/alerts/ingest/<source>   a sender posts alerts (Authorization: Bearer <token>)
    GET  /api/alerts                   list, filters status, severity, system, agency, source, q; paging
    GET  /api/alerts/<id>              one alert with its history
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from collectors.timeutil import iso, utcnow
from dashboard.alerts import ingest as alert_ingest
from dashboard.domain.alerts import SEVERITIES, STATUSES
from dashboard.readmodels import alerts as alerts_queries

log = logging.getLogger(__name__)
alerts_api = Blueprint("alerts_api", __name__, url_prefix="/api")
MAX_ID = 2**63 - 1  # the largest row id SQLite and PostgreSQL (bigint) hold
MAX_OFFSET = 10**9


def _runtime():
    return current_app.extensions["ioc"]


def _limiter() -> alert_ingest.RateLimiter:
    limiter = current_app.extensions.get("ioc.alert_limiter")
    if limiter is None:
        from dashboard.alerts.settings import AlertSettings

        settings = AlertSettings.from_env()
        limiter = alert_ingest.RateLimiter(settings.ingest_rate_per_minute, settings.ingest_burst)
        current_app.extensions["ioc.alert_limiter"] = limiter
    return limiter


def _reject(exc: alert_ingest.IngestRejected, source: str):
    log.info("alert ingest from %s (source %r) rejected: %s %s", request.remote_addr, source[:64],
             exc.http_status, exc.message)
    response = jsonify(exc.body())
    response.status_code = exc.http_status
    if exc.retry_after:
        response.headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    return response


@alerts_api.post("/alerts/ingest/<source>")
def ingest(source: str):
    try:
        declared = request.content_length
        if declared is not None and declared > alert_ingest.MAX_BODY_BYTES:
            raise alert_ingest.IngestRejected(413, f"body larger than {alert_ingest.MAX_BODY_BYTES} bytes")
        if request.mimetype != "application/json":
            raise alert_ingest.IngestRejected(415, "send Content-Type: application/json")
        body = request.stream.read(alert_ingest.MAX_BODY_BYTES + 1)
        with _runtime().db.session() as session:
            report = alert_ingest.ingest(session, source, request.headers.get("Authorization"), body, _limiter())
            answer = {"ok": True, "source": source, **report.as_dict()}
    except alert_ingest.IngestRejected as exc:
        return _reject(exc, source)
    return jsonify(answer), 201 if answer["created"] or answer["reopened"] else 200


def _multi(name: str, allowed: tuple[str, ...]) -> list[str] | None:
    values = [v for raw in request.args.getlist(name) for v in raw.split(",") if v]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValueError(f"{name}: unknown value(s) {', '.join(unknown)}; expected {', '.join(allowed)}")
    return values or None


@alerts_api.get("/alerts")
def list_alerts():
    try:
        status, severity = _multi("status", STATUSES), _multi("severity", SEVERITIES)
        limit = int(request.args.get("limit", 50))
        offset = int(request.args.get("offset", 0))
        if not 1 <= limit <= alerts_queries.MAX_PAGE or not 0 <= offset <= MAX_OFFSET:
            raise ValueError(f"limit must be 1..{alerts_queries.MAX_PAGE} and offset 0..{MAX_OFFSET}")
    except ValueError as exc:
        return jsonify({"error": str(exc)}), 400
    with _runtime().db.session() as session:
        total, rows = alerts_queries.list_alerts(
            session, status=status, severity=severity, system=request.args.get("system"),
            agency=request.args.get("agency"), source=request.args.get("source"), search=request.args.get("q"),
            limit=limit, offset=offset)
    return jsonify({"generated_at": iso(utcnow()), "total": total, "limit": limit, "offset": offset, "alerts": rows})


@alerts_api.get("/alerts/<int:alert_id>")
def one_alert(alert_id: int):
    if alert_id > MAX_ID:  # beyond a 64-bit row id: no such alert (and no overflow in the driver)
        return jsonify({"error": f"no alert {alert_id}"}), 404
    with _runtime().db.session() as session:
        view = alerts_queries.alert_detail(session, alert_id)
    if view is None:
        return jsonify({"error": f"no alert {alert_id}"}), 404
    return jsonify(view)


@alerts_api.errorhandler(SQLAlchemyError)
def database_error(exc):
    log.error("alerts API database error: %s", exc)
    return jsonify({"error": "database unavailable"}), 503
