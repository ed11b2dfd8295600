"""JSON API of agencies' own reports (docs/reporting.md):

    GET  /api/my/tasks                           the caller's tasks (their agencies' and partner's)
    GET  /api/tasks/<id>/updates                 a task's timeline (a reporter: their own tasks only)
    POST /api/tasks/<id>/updates                 report: JSON, or multipart/form-data with a file
                                                 "evidence"; a reporter session or a reporter token
    GET  /api/task-updates                       updates waiting for review (viewer and above)
    GET  /api/task-updates/<id>/evidence         the file, always as an attachment
    POST /api/task-updates/<id>/review           {"decision": "accept"|"return", "comment": "…"} (operator)

Errors are JSON: 400 a bad field ({"error", "error_vi", "field", "code", "problems"}), 403 out
of scope (audited), 404, 413 file too large, 415 file type. A refusal changes nothing.
"""
from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Blueprint, Response, current_app, jsonify, request

from collectors.timeutil import iso, utcnow
from dashboard.auth.permissions import Forbidden
from dashboard.auth.scopes import OutOfScope
from dashboard.auth.sessions import current_principal
from dashboard.plans import updates as services
from dashboard.plans.reporting import EVIDENCE_MAX_BYTES, Proposed, Refusal, UpdateRefused
from dashboard.readmodels import reporting as views
from dashboard.readmodels.plans import local_today

log = logging.getLogger(__name__)
reporting_api = Blueprint("reporting_api", __name__, url_prefix="/api")
FIELDS = ("percent", "status", "note", "done_on", "evidence_url", "kind")


def _db():
    return current_app.extensions["ioc"].db


def _who():
    principal = current_principal()
    return principal.role if principal else None, principal.user_id if principal else None


def _refused(refusals: list[Refusal], status: int | None = None):
    # the most specific refusal leads (a file's 413/415 before a field's 400); all are listed
    refusals = sorted(refusals, key=lambda r: -r.http_status)
    first = refusals[0]
    body = {**first.as_json(), "problems": [r.as_json() for r in refusals]}
    return jsonify(body), status or max(r.http_status for r in refusals)


def _out_of_scope(target: str):
    """403, with the refused read in the audit trail (a write's refusal is audited by its service)."""
    principal = current_principal()
    with _db().session() as session:
        services.audit_refusal(session, principal, "task.read.denied", target, {"role": principal.role})
    return _refused([Refusal("task", "out_of_scope", 403)], 403)


def _not_found(code: str):
    return _refused([Refusal("task" if code == "no_task" else "update", code, 404)], 404)


@reporting_api.get("/my/tasks")
def my_tasks():
    _, user_id = _who()
    with _db().session() as session:
        body = views.my_tasks(session, user_id, local_today())
    return jsonify({"generated_at": iso(utcnow()), **body})


@reporting_api.get("/tasks/<int:task_id>/updates")
def timeline(task_id: int):
    role, user_id = _who()
    try:
        with _db().session() as session:
            body = views.task_timeline(session, role, user_id, task_id, local_today())
    except OutOfScope:
        return _out_of_scope(f"task:{task_id}")
    except LookupError:
        return _not_found("no_task")
    return jsonify({"generated_at": iso(utcnow()), "task": body})


def _proposed() -> tuple[Proposed, bytes | None, str | None] | tuple[None, None, None]:
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        values = {k: request.form.get(k) for k in FIELDS}
        upload = request.files.get("evidence")
        data = name = None
        if upload is not None and upload.filename:
            data = upload.stream.read(EVIDENCE_MAX_BYTES + 1)  # no more than one byte over the limit is read
            name = upload.filename
    else:
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return None, None, None
        values, data, name = {k: payload.get(k) for k in FIELDS}, None, None
    return Proposed(percent=values["percent"], status=values["status"], note=values["note"], done_on=values["done_on"],
                    evidence_url=values["evidence_url"], kind=values["kind"] or "update"), data, name


@reporting_api.post("/tasks/<int:task_id>/updates")
def report(task_id: int):
    proposed, data, name = _proposed()
    if proposed is None:
        return jsonify({"error": 'send JSON such as {"percent": 60, "status": "dang_thuc_hien", "note": "…"} '
                                 "or multipart/form-data with a file field \"evidence\"",
                        "error_vi": "Gửi JSON (percent, status, note…) hoặc multipart/form-data có tệp “evidence”.",
                        "field": None, "code": "bad_body"}), 400
    try:
        with _db().session() as session:
            row = services.report(session, current_principal(), task_id, proposed, evidence=data, evidence_name=name,
                                  today=local_today())
            body = views.update_view(row)
    except services.NotFound:
        return _not_found("no_task")
    except OutOfScope:
        return _refused([Refusal("task", "out_of_scope", 403)], 403)
    except Forbidden as exc:
        return jsonify({"error": str(exc)}), 403
    except UpdateRefused as exc:
        return _refused(exc.refusals)
    return jsonify({"update": body}), 201


@reporting_api.get("/task-updates")
def review_queue():
    with _db().session() as session:
        rows = views.review_queue(session)
    return jsonify({"generated_at": iso(utcnow()), "pending": rows})


@reporting_api.get("/task-updates/<int:update_id>/evidence")
def evidence(update_id: int):
    role, user_id = _who()
    try:
        with _db().session() as session:
            content, name, mime = views.evidence_file(session, role, user_id, update_id)
    except OutOfScope:
        return _out_of_scope(f"task-update:{update_id}")
    except LookupError:
        return _not_found("no_update")
    # always a download, never shown inline: a PDF or an image from an agency never runs in our origin
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "").replace("?", "_")
    headers = {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
               "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}
    return Response(content, mimetype=mime, headers=headers)


@reporting_api.post("/task-updates/<int:update_id>/review")
def review(update_id: int):
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify({"error": 'send JSON such as {"decision": "accept", "comment": "Khớp biên bản"}',
                        "error_vi": "Gửi JSON như {\"decision\": \"accept\", \"comment\": \"…\"}.",
                        "field": None, "code": "bad_body"}), 400
    try:
        with _db().session() as session:
            row = services.review(session, current_principal(), update_id, payload.get("decision"), payload.get("comment"),
                                  today=local_today())
            body = views.update_view(row)
    except services.NotFound:
        return _not_found("no_update")
    except Forbidden as exc:
        return jsonify({"error": str(exc)}), 403
    except UpdateRefused as exc:
        return _refused(exc.refusals)
    return jsonify({"update": body})
