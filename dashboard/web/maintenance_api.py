"""JSON API of maintenance planning; documented in docs/alerts.md.

    GET    /api/maintenance            windows not over (?all=1: cancelled and past too; ?system=<id>)
    POST   /api/maintenance            plan one (operator): one-off or recurring, see window_fields
    PATCH  /api/maintenance/<id>       change fields of one (operator)
    DELETE /api/maintenance/<id>       cancel one (operator); checks already made keep their mark
    GET    /api/maintenance/upcoming   what starts within 24 h ("Bảo trì lúc 22:00")

Every refusal is JSON {"error": ...} with a 4xx status, and changes nothing.
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from collectors.timeutil import iso, utcnow
from dashboard.auth.permissions import Forbidden
from dashboard.domain.maintenance import MaintenanceError
from dashboard.monitoring import maintenance as planning
from dashboard.readmodels import maintenance as views

log = logging.getLogger(__name__)
maintenance_api = Blueprint("maintenance_api", __name__, url_prefix="/api")


def _db():
    return current_app.extensions["ioc"].db


def _error(message: str, status: int):
    return jsonify({"error": message}), status


@maintenance_api.get("/maintenance")
def list_windows():
    include_over = request.args.get("all", "").lower() in ("1", "true", "yes")
    with _db().session() as session:
        rows = views.all_windows(session, include_over=include_over, system_id=request.args.get("system") or None)
    return jsonify({"generated_at": iso(utcnow()), "windows": rows})


@maintenance_api.get("/maintenance/upcoming")
def upcoming():
    with _db().session() as session:
        return jsonify({"generated_at": iso(utcnow()), "upcoming": views.upcoming_feed(session)})


def _change(do, status: int = 200):
    if request.content_length is not None and request.content_length > 16 * 1024:
        return _error("body larger than 16 KB", 413)
    payload = request.get_json(silent=True) if request.method != "DELETE" else None
    if request.method != "DELETE" and not isinstance(payload, dict):
        return _error('send a JSON object, e.g. {"system": "lgsp", "reason": "...", "repeat": "weekly", ...}', 400)
    try:
        with _db().session() as session:
            window = do(session, payload)
            view = views.one_window(session, window.id)
    except LookupError as exc:
        return _error(str(exc).strip("'\""), 404)
    except MaintenanceError as exc:
        return _error(str(exc), 400)
    except Forbidden as exc:
        return _error(str(exc), 403)
    return jsonify(view), status


@maintenance_api.post("/maintenance")
def create():
    return _change(lambda session, payload: planning.plan(session, payload, via="api"), 201)


@maintenance_api.patch("/maintenance/<int:window_id>")
def patch(window_id: int):
    return _change(lambda session, payload: planning.edit(session, window_id, payload, via="api"))


@maintenance_api.delete("/maintenance/<int:window_id>")
def delete(window_id: int):
    return _change(lambda session, _payload: planning.cancel(session, window_id, via="api"))


@maintenance_api.errorhandler(SQLAlchemyError)
def database_error(exc):
    log.error("maintenance API database error: %s", exc)
    return _error("database unavailable", 503)
