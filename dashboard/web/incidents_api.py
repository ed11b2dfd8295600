"""JSON API of the incident workflow; documented in docs/alerts.md.

    GET  /api/incidents/<id>               one incident with its thread, timeline, MTTA / MTTR
    POST /api/incidents/<id>/comments      {"text": "..."}            (operator)
    POST /api/incidents/<id>/acknowledge   {"comment": "..."}         (operator)
    POST /api/incidents/<id>/close         {"note": "..."}            (operator)
    GET  /api/incidents/stats?system=<id>&month=YYYY-MM   MTTA / MTTR of a system over a month

Every refusal is JSON {"error": ...} with a 4xx status, and changes nothing.
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from collectors.timeutil import iso, utcnow
from dashboard.auth.permissions import Forbidden
from dashboard.domain.incidents import IncidentError, month_of
from dashboard.monitoring import actions
from dashboard.monitoring import incidents as incident_actions
from dashboard.readmodels import incidents as views
from dashboard.web.api import BadLanguage, reader_language

log = logging.getLogger(__name__)
incidents_api = Blueprint("incidents_api", __name__, url_prefix="/api")

MAX_BODY_BYTES = 512 * 1024  # room to read an over-long comment and say how long it is; larger bodies: 413


def _db():
    return current_app.extensions["ioc"].db


def _error(message: str, status: int):
    return jsonify({"error": message}), status


def _payload(field: str):
    """The JSON object of a write, or an error response."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return None, _error(f"body larger than {MAX_BODY_BYTES:,} bytes", 413)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or field not in payload:
        return None, _error(f'send JSON such as {{"{field}": "..."}}', 400)
    return payload, None


@incidents_api.get("/incidents/<int:incident_id>")
def one_incident(incident_id: int):
    try:
        lang = reader_language()
    except BadLanguage as exc:
        return _error(str(exc), 400)
    with _db().session() as session:
        view = views.incident_detail(session, incident_id, lang=lang)
    if view is None:
        return _error(f"no incident {incident_id}", 404)
    return jsonify(view)


def _write(incident_id: int, field: str, do):
    payload, error = _payload(field)
    if error:
        return error
    try:
        with _db().session() as session:
            do(session, payload[field])
            view = views.incident_detail(session, incident_id)
    except incident_actions.NoSuchIncident as exc:
        return _error(str(exc), 404)
    except (IncidentError, actions.ActionError) as exc:
        message = str(exc)
        return _error(message, 404 if message.startswith("no incident") else 400)
    except Forbidden as exc:
        return _error(str(exc), 403)
    return jsonify(view)


@incidents_api.post("/incidents/<int:incident_id>/comments")
def comment(incident_id: int):
    answer = _write(incident_id, "text", lambda s, text: incident_actions.add_comment(s, incident_id, text))
    return answer if isinstance(answer, tuple) else (answer, 201)


@incidents_api.post("/incidents/<int:incident_id>/acknowledge")
def acknowledge(incident_id: int):
    def do(session, comment):
        if not isinstance(comment, str):
            raise IncidentError("comment: expected text")
        actions.acknowledge(session, incident_id, comment)

    return _write(incident_id, "comment", do)


@incidents_api.post("/incidents/<int:incident_id>/close")
def close(incident_id: int):
    return _write(incident_id, "note", lambda s, note: incident_actions.close(s, incident_id, note))


@incidents_api.get("/incidents/stats")
def stats():
    system = request.args.get("system", "")
    month = request.args.get("month") or month_of(utcnow())
    try:
        with _db().session() as session:
            if not views.system_exists(session, system):
                return _error(f"system: no system {system!r}", 404)
            body = views.system_month_stats(session, system, month)
    except IncidentError as exc:
        return _error(str(exc), 400)
    return jsonify({"generated_at": iso(utcnow()), **body})


@incidents_api.errorhandler(SQLAlchemyError)
def database_error(exc):
    log.error("incidents API database error: %s", exc)
    return _error("database unavailable", 503)
