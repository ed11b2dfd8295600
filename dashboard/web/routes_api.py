"""JSON API of the notification routes; documented in docs/alerts.md.

    GET    /api/routes                 the routes, targets masked, with their warnings
    GET    /api/routes/deliveries      the delivery log (?route=<id>&state=<state>&limit=N)
    POST   /api/routes                 create a route (admin)
    PUT    /api/routes/<id>            replace a route (admin; an empty secret keeps the old one)
    DELETE /api/routes/<id>            delete a route (admin)
    POST   /api/routes/<id>/test       send a test message now ("Gửi thử"; admin)

Routes from the catalog's `notifications:` section are changed in the catalog file. Every
refusal is JSON {"error": ..., "field": ...} with a 4xx status, and changes nothing.
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from collectors.timeutil import iso, utcnow
from dashboard.alerts import routes as services
from dashboard.auth.permissions import Forbidden
from dashboard.domain.routes import RouteError
from dashboard.readmodels import routes as views

log = logging.getLogger(__name__)
routes_api = Blueprint("routes_api", __name__, url_prefix="/api")


def _db():
    return current_app.extensions["ioc"].db


def _error(message: str, status: int, field: str | None = None):
    return jsonify({"error": message, **({"field": field} if field else {})}), status


def _one(session, route_id: str) -> dict:
    return next(r for r in views.routes_view(session) if r["id"] == route_id)


@routes_api.get("/routes")
def list_routes():
    with _db().session() as session:
        return jsonify({"generated_at": iso(utcnow()), "routes": views.routes_view(session)})


@routes_api.get("/routes/deliveries")
def list_deliveries():
    try:
        limit = int(request.args.get("limit", 100))
        with _db().session() as session:
            rows = views.deliveries(session, request.args.get("route") or None, request.args.getlist("state") or None,
                                    limit)
    except ValueError as exc:
        return _error(str(exc), 400)
    return jsonify({"generated_at": iso(utcnow()), "deliveries": rows})


def _change(do, status: int = 200, with_body: bool = True):
    if request.content_length is not None and request.content_length > 32 * 1024:
        return _error("body larger than 32 KB", 413)
    payload = request.get_json(silent=True) if with_body else None
    if with_body and not isinstance(payload, dict):
        return _error('send a JSON object, e.g. {"id": "vnpt", "urls": ["json://…"]}', 400)
    try:
        with _db().session() as session:
            body = do(session, payload)
    except RouteError as exc:
        return _error(str(exc), 400, exc.field)
    except LookupError as exc:
        return _error(str(exc).strip("'\""), 404)
    except Forbidden as exc:
        return _error(str(exc), 403)
    return jsonify(body), status


@routes_api.post("/routes")
def create():
    def save(session, payload):
        row = services.save(session, payload, creating=True, via="api")
        return _one(session, row.id)
    return _change(save, 201)


@routes_api.put("/routes/<route_id>")
def replace(route_id: str):
    def save(session, payload):
        if payload.get("id", route_id) != route_id:
            raise RouteError("id", "the id in the body differs from the one in the path")
        row = services.save(session, {**payload, "id": route_id}, creating=False, via="api")
        return _one(session, row.id)
    return _change(save)


@routes_api.delete("/routes/<route_id>")
def delete(route_id: str):
    def remove(session, _payload):
        return {"deleted": services.delete(session, route_id, via="api")}
    return _change(remove, with_body=False)


@routes_api.post("/routes/<route_id>/test")
def send_test(route_id: str):
    def test(session, _payload):
        entry = services.send_test(session, route_id, request.url_root.rstrip("/"), via="api")
        return {"route": route_id, "state": entry.state, "error": entry.last_error, "at": iso(entry.created_at)}
    return _change(test, with_body=False)


@routes_api.errorhandler(SQLAlchemyError)
def database_error(exc):
    log.error("routes API database error: %s", exc)
    return _error("database unavailable", 503)
