"""JSON API of the catalog kept in the database (admins only; docs/api.md):

    GET    /api/catalog/export                         the catalog in force (document and YAML)
    POST   /api/catalog/import                         a whole YAML catalog (?dry_run=1: the diff only)
    POST   /api/catalog/systems                        add a system (its endpoints may come with it)
    PATCH  /api/catalog/systems/<id>                   change a system's fields (null resets one)
    DELETE /api/catalog/systems/<id>                   remove a system (its history stays)
    POST   /api/catalog/systems/<id>/endpoints         add an endpoint
    PATCH  /api/catalog/systems/<id>/endpoints/<eid>   change an endpoint
    DELETE /api/catalog/systems/<id>/endpoints/<eid>   remove an endpoint
    POST   /api/catalog/test-probe                     run a probe once with unsaved settings
    GET    /api/catalog/revisions[/<rev>]              who changed what, when
    POST   /api/catalog/rollback/<rev>                 make a revision the catalog again (a new revision)

Every change is validated whole by the catalog loader's models and stored as one revision; a
refusal is JSON {"error", "problems": [{"path", "field", "message"}]} and changes nothing.
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from collectors.timeutil import iso
from dashboard.auth.permissions import Forbidden
from dashboard.catalog import edits, revisions
from dashboard.catalog.loader import MAX_CATALOG_BYTES, CatalogError, parse_catalog
from dashboard.catalog.trial import guard_for, run_trial
from dashboard.store.models import CatalogRevision

log = logging.getLogger(__name__)
catalog_api = Blueprint("catalog_api", __name__, url_prefix="/api/catalog")
MAX_EDIT_BYTES = 256 * 1024


def _runtime():
    return current_app.extensions["ioc"]


def guard():
    return guard_for(_runtime().settings)


def _error(message: str, status: int, problems: list | None = None):
    body = {"error": message}
    if problems is not None:
        body["problems"] = problems
    return jsonify(body), status


def revision_view(row: CatalogRevision | None, with_document: bool = False) -> dict | None:
    if row is None:
        return None
    view = {"id": row.id, "created_at": iso(row.created_at), "author": row.author, "action": row.action,
            "summary": row.summary, "changes": row.diff}
    if with_document:
        view["document"] = row.document
    return view


def _payload():
    if request.content_length is not None and request.content_length > MAX_EDIT_BYTES:
        return None, _error(f"body larger than {MAX_EDIT_BYTES // 1024} KB", 413)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return None, _error('send a JSON object, e.g. {"id": "lgsp", "name_vi": "…", "name_en": "…", "owner": "skhcn"}', 400)
    return payload, None


def _edit(work, status: int = 200):
    """Run one edit service (dashboard.catalog.edits) in a session committed only if it succeeds."""
    try:
        with _runtime().db.session() as session:
            row = work(session)
            return jsonify({"revision": revision_view(row)}), status
    except edits.EditRefused as exc:
        return _error("the catalog was not changed", 400, exc.problems)
    except Forbidden as exc:
        return _error(str(exc), 403)
    except revisions.CatalogNotFound as exc:
        return _error(str(exc).strip("'\""), 404)
    except revisions.CatalogReadOnly as exc:
        return _error(str(exc), 409)


@catalog_api.post("/systems")
def create_system():
    payload, refused = _payload()
    if refused:
        return refused
    return _edit(lambda session: edits.save_system(session, payload, None, guard()), 201)


@catalog_api.patch("/systems/<system_id>")
def update_system(system_id: str):
    payload, refused = _payload()
    if refused:
        return refused
    return _edit(lambda session: edits.save_system(session, payload, system_id, guard()))


@catalog_api.delete("/systems/<system_id>")
def delete_system(system_id: str):
    return _edit(lambda session: edits.delete_system(session, system_id))


@catalog_api.post("/systems/<system_id>/endpoints")
def create_endpoint(system_id: str):
    payload, refused = _payload()
    if refused:
        return refused
    return _edit(lambda session: edits.save_endpoint(session, system_id, payload, None, guard()), 201)


@catalog_api.patch("/systems/<system_id>/endpoints/<endpoint_id>")
def update_endpoint(system_id: str, endpoint_id: str):
    payload, refused = _payload()
    if refused:
        return refused
    return _edit(lambda session: edits.save_endpoint(session, system_id, payload, endpoint_id, guard()))


@catalog_api.delete("/systems/<system_id>/endpoints/<endpoint_id>")
def delete_endpoint(system_id: str, endpoint_id: str):
    return _edit(lambda session: edits.delete_endpoint(session, system_id, endpoint_id))


@catalog_api.post("/test-probe")
def test_probe():
    """Body: {"system": "lgsp", "endpoint": {…the endpoint's keys…}}; nothing is stored."""
    payload, refused = _payload()
    if refused:
        return refused
    endpoint = payload.get("endpoint")
    if not isinstance(endpoint, dict):
        return _error('send {"system": "<id>", "endpoint": {"kind": "http", "url": "…", …}}', 400)
    system_id = payload.get("system") if isinstance(payload.get("system"), str) else "trial"
    try:
        return jsonify(run_trial(system_id, endpoint, guard()))
    except CatalogError as exc:
        return _error("the probe was not run", 400, revisions.relative(exc.details, ""))


@catalog_api.get("/revisions")
def list_revisions():
    try:
        limit = min(max(int(request.args.get("limit", 100)), 1), 1000)
    except ValueError:
        return _error("limit must be a number from 1 to 1000", 400)
    with _runtime().db.session() as session:
        rows = session.scalars(select(CatalogRevision).order_by(CatalogRevision.id.desc()).limit(limit)).all()
        return jsonify({"mode": revisions.mode(session), "current": rows[0].id if rows else None,
                        "revisions": [revision_view(r) for r in rows]})


@catalog_api.get("/revisions/<int:revision_id>")
def one_revision(revision_id: int):
    with _runtime().db.session() as session:
        row = session.get(CatalogRevision, revision_id)
        if row is None:
            return _error(f"no catalog revision {revision_id}", 404)
        return jsonify(revision_view(row, with_document=True))


@catalog_api.post("/rollback/<int:revision_id>")
def rollback(revision_id: int):
    try:
        with _runtime().db.session() as session:
            row = revisions.rollback(session, revision_id)
            return jsonify({"revision": revision_view(row)})
    except Forbidden as exc:
        return _error(str(exc), 403)
    except revisions.CatalogNotFound as exc:
        return _error(str(exc).strip("'\""), 404)
    except revisions.CatalogReadOnly as exc:
        return _error(str(exc), 409)
    except CatalogError as exc:  # an old revision that no longer validates (e.g. a CA file gone)
        return _error("the catalog was not changed", 400, revisions.relative(exc.details, ""))


@catalog_api.get("/export")
def export():
    with _runtime().db.session() as session:
        row = revisions.current(session)
        if row is None:
            return _error("the database holds no catalog yet", 404)
        if request.args.get("format") == "yaml":
            return current_app.response_class(revisions.to_yaml(row.document), mimetype="application/yaml",
                                              headers={"Content-Disposition": f'attachment; filename="catalog-r{row.id}.yaml"'})
        return jsonify({"revision": row.id, "mode": revisions.mode(session), "document": row.document,
                        "yaml": revisions.to_yaml(row.document)})


@catalog_api.post("/import")
def import_catalog():
    """Body: the YAML text (any content type). ?dry_run=1 answers the diff without storing it."""
    if request.content_length is not None and request.content_length > MAX_CATALOG_BYTES:
        return _error(f"the catalog is {request.content_length:,} bytes, more than the {MAX_CATALOG_BYTES:,}-byte limit", 413)
    raw = request.stream.read(MAX_CATALOG_BYTES + 1)
    if len(raw) > MAX_CATALOG_BYTES:
        return _error(f"the catalog is more than the {MAX_CATALOG_BYTES:,}-byte limit", 413)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _error("the catalog is not UTF-8 text", 400)
    dry_run = request.args.get("dry_run", "").lower() in ("1", "true", "yes")
    try:
        catalog = parse_catalog(text, "upload", {})
    except CatalogError as exc:
        return _error("the catalog was not changed", 400, revisions.relative(exc.details, ""))
    data = revisions.document(catalog.spec)
    try:
        with _runtime().db.session() as session:
            previous = revisions.current(session)
            changes = revisions.diff(previous.document if previous else revisions.EMPTY, data)
            if dry_run:
                return jsonify({"dry_run": True, "changes": changes, "summary": revisions.summary_of(changes)})
            row = revisions.save(session, None, catalog=catalog, action="import")
            return jsonify({"dry_run": False, "changes": changes, "revision": revision_view(row)})
    except Forbidden as exc:
        return _error(str(exc), 403)
    except revisions.CatalogReadOnly as exc:
        return _error(str(exc), 409)


@catalog_api.errorhandler(SQLAlchemyError)
def database_error(exc):
    log.error("catalog API database error: %s", exc)
    return jsonify({"error": "database unavailable"}), 503
