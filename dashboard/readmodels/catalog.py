"""The catalog as the admin pages show it: the systems and endpoints of the revision in force
(secrets masked for everyone but admins is the page's job: these functions return the
document's values), the revisions with their changes, and what the editors' choices are."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.catalog import forms, revisions
from dashboard.catalog.loader import PARTNERS
from dashboard.store.models import CatalogRevision

PAGE_REVISIONS = 50
AGENCY_KINDS = ("department", "police", "office", "other")  # what a catalog agency may be (the loader's rule)


def catalog_view(session: Session) -> dict[str, Any]:
    """{"mode", "file", "revision", "systems": [{id, name_vi, name_en, short_name, owner, partner,
    sla, enabled, public, endpoints: [{id, name, kind, target, interval, critical, enabled}]}],
    "agencies", "platforms"} of the revision in force (empty lists before the first one)."""
    row = revisions.current(session)
    document = row.document if row is not None else revisions.EMPTY
    systems = []
    for system in document.get("systems", []):
        systems.append({
            **{k: system.get(k) for k in ("id", "name_vi", "name_en", "short_name", "owner", "partner", "sla", "description")},
            "enabled": system.get("enabled", True), "public": system.get("public", False),
            "connections": system.get("connections", []),
            "endpoints": [{"id": e["id"], "name": e.get("name") or e["id"], "kind": e.get("kind", "http"),
                           "target": e.get("url") or _hostport(e), "interval": e.get("interval", 60.0),
                           "critical": e.get("critical", True), "enabled": e.get("enabled", True)}
                          for e in system.get("endpoints", [])],
        })
    return {
        "mode": revisions.mode(session), "file": revisions.read_only_file(session),
        "revision": row.id if row is not None else None, "systems": systems,
        "agencies": [{k: a.get(k) for k in ("id", "name_vi", "name_en", "kind", "partner", "lat", "lon")}
                     for a in document.get("agencies", [])],
        "platforms": [{k: p.get(k) for k in ("id", "name_vi", "name_en")} for p in document.get("national_platforms", [])],
        "partners": list(PARTNERS),
    }


def _hostport(endpoint: dict) -> str:
    host = endpoint.get("host") or ""
    return f"{host}:{endpoint['port']}" if host and endpoint.get("port") else host


def system_form(session: Session, system_id: str | None) -> dict[str, Any]:
    """The system editor's data: the system's keys as stored (none for a new one) and the choices."""
    view = catalog_view(session)
    system = next((s for s in revisions.current_document(session).get("systems", []) if s["id"] == system_id),
                  None) if system_id and view["revision"] else None
    return {**view, "system": {k: v for k, v in (system or {}).items() if k != "endpoints"} if system else None}


def endpoint_form(session: Session, system_id: str, endpoint_id: str | None) -> dict[str, Any]:
    """The endpoint editor's data: its keys as stored, as the inputs show them; the system's name."""
    document = revisions.current_document(session)
    system = next((s for s in document.get("systems", []) if s["id"] == system_id), None)
    if system is None:
        raise revisions.CatalogNotFound(f"no system {system_id!r}")
    endpoint = None
    if endpoint_id:
        endpoint = next((e for e in system.get("endpoints", []) if e["id"] == endpoint_id), None)
        if endpoint is None:
            raise revisions.CatalogNotFound(f"no endpoint {endpoint_id!r} in system {system_id!r}")
    return {"mode": revisions.mode(session), "file": revisions.read_only_file(session),
            "system": {k: system.get(k) for k in ("id", "name_vi", "name_en")},
            "endpoint": endpoint, "values": forms.form_values(endpoint) if endpoint else {},
            "kind": (endpoint or {}).get("kind", "http")}


def revisions_view(session: Session, limit: int = PAGE_REVISIONS) -> list[dict[str, Any]]:
    rows = session.scalars(select(CatalogRevision).order_by(CatalogRevision.id.desc()).limit(limit))
    return [{"id": r.id, "at": r.created_at, "author": r.author, "action": r.action, "summary": r.summary,
             "count": len(r.diff or []), "paths": [c["path"] for c in (r.diff or [])[:3]],
             "changes": [revisions.describe_change(c) for c in (r.diff or [])[:30]], "more": max(0, len(r.diff or []) - 30)}
            for r in rows]


def kind_fields(kind: str) -> list[dict[str, Any]]:
    """The kind's own inputs (no database): see dashboard.catalog.forms."""
    return forms.kind_fields(kind)


def probe_kinds() -> list[str]:
    return forms.kinds()
