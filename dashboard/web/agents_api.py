"""Remote agents over HTTP (docs/agents.md).

    GET  /api/agent/assignment   an agent's endpoints (its own token; nothing of another vantage)
    POST /api/agent/results      a signed batch of results (its own token + X-IOC-Signature)
    GET  /api/agents             every agent's last contact and state (a viewer, as the rest of the API)

The two /api/agent/ routes check their own token (dashboard.auth.policy lists the prefix as
public, like the heartbeat and alert-ingest routes): a person's session cannot call them."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from collectors.timeutil import iso, utcnow
from dashboard.domain.agents import SIGNATURE_HEADER
from dashboard.domain.status import FlapSettings
from dashboard.monitoring import agents as service
from dashboard.readmodels.agents import agents_view

log = logging.getLogger(__name__)
agents_api = Blueprint("agents_api", __name__, url_prefix="/api")


def _runtime():
    return current_app.extensions["ioc"]


def _secret() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


@agents_api.get("/agent/assignment")
def assignment():
    db = _runtime().db
    try:
        with db.session() as session:
            token = service.authenticate(session, _secret(), request.remote_addr)
            return jsonify(service.assignment(session, token, request.remote_addr))
    except service.Rejected as exc:
        return jsonify({"error": exc.message}), exc.http_status


@agents_api.post("/agent/results")
def results():
    runtime = _runtime()
    settings = runtime.settings
    flap = FlapSettings(settings.flap_changes, settings.flap_window_s, settings.flap_quiet_s)
    body = request.get_data(cache=False)
    address = request.remote_addr
    token = None
    try:
        with runtime.db.session() as session:
            token = service.authenticate(session, _secret(), address)
            token_id = token.id
            ack = service.receive_batch(session, token, body, request.headers.get(SIGNATURE_HEADER), address, flap)
    except service.Rejected as exc:
        if token is not None:
            with runtime.db.session() as session:
                service.note_rejection(session, session.get(type(token), token_id), exc.message, address)
        return jsonify({"error": exc.message}), exc.http_status
    except IntegrityError:
        # the same results arriving twice at once (an agent's retry racing its first try):
        # nothing stored; the agent sends again and learns they are duplicates
        log.info("agent batch from %s raced another one with the same results: asked to retry", address)
        return jsonify({"error": "the same results are being stored by another request: send again"}), 503
    return jsonify(ack.as_json()), 200


@agents_api.get("/agents")
def agents():
    with _runtime().db.sessions() as session:
        return jsonify({"generated_at": iso(utcnow()), "agents": agents_view(session)})
