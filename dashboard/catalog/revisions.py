"""The catalog as revisions in the database: every change (an edit in the admin pages or the
API, an import, a rollback, the catalog file re-read) is validated whole by the same models and
messages as the YAML loader, stored as a new revision (who, when, what changed, the full
document) and applied to the systems/endpoints tables in the same transaction. The collector
notices the new revision and reschedules (dashboard.monitoring.collector).

Documents are plain data in the catalog file's shape, as the validated models dump them
(`document`), so a revision exported to YAML and imported again is the same revision.

Who may edit: `permissions.require("manage_catalog")` (admins). When the app was started with
`--catalog FILE` the file is authoritative (`mode` is "file:<path>"): edits from the pages, the
API and the command line are refused, and only the file watcher writes revisions.
"""
from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.auth import audit, permissions
from dashboard.catalog.loader import Catalog, CatalogError, CatalogSpec, apply_catalog, validate_document
from dashboard.store.models import CatalogRevision, RuntimeState

MODE_KEY = "catalog_mode"  # runtime_state row: "db" (edited here) or "file:<path>" (the file decides)
KEYED_LISTS = ("systems", "endpoints", "agencies", "national_platforms", "maintenance")
SECRET_KEYS = ("secret", "token", "headers", "password")
MASK = "•••"
# what the first revision is compared with: its systems, agencies… each listed as added
EMPTY = {"version": 1, "national_platforms": [], "agencies": [], "systems": []}
FIRST_KEYS = ("id", "name", "kind", "name_vi", "name_en", "short_name")


class CatalogReadOnly(Exception):
    """The catalog comes from a file: change the file, not the database."""


class CatalogNotFound(LookupError):
    """No such system, endpoint or revision."""


# ---------------------------------------------------------------- documents


def document(spec: CatalogSpec) -> dict[str, Any]:
    """The validated catalog as plain data in the file's shape: only the keys written, so an export
    reads like a hand-written file and a round trip changes nothing."""
    data = spec.model_dump(mode="json", exclude_unset=True)
    for system in data.get("systems", []):
        system["endpoints"] = [_ordered(e) for e in system.get("endpoints", [])]
        if not system["endpoints"]:
            del system["endpoints"]
    data["systems"] = [_ordered(s) for s in data.get("systems", [])]
    return data


def _ordered(item: dict) -> dict:
    return {**{k: item[k] for k in FIRST_KEYS if k in item}, **{k: v for k, v in item.items() if k not in FIRST_KEYS}}


def to_yaml(data: dict[str, Any]) -> str:
    """A document as catalog YAML (conditions without a severity written short)."""
    data = copy.deepcopy(data)
    for system in data.get("systems", []):
        for endpoint in system.get("endpoints", []):
            if "conditions" in endpoint:
                endpoint["conditions"] = [c["condition"] if isinstance(c, dict) and set(c) == {"condition"} else c
                                          for c in endpoint["conditions"]]
    header = "# IOC Quảng Ngãi catalog, exported from the database (python app.py catalog export)\n"
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def validated(data: Any, source: str = "<catalog>") -> tuple[Catalog, dict[str, Any]]:
    """(the catalog, its canonical document), or CatalogError with every problem."""
    catalog = validate_document(data, source)
    return catalog, document(catalog.spec)


# ---------------------------------------------------------------- differences


def diff(old: Any, new: Any) -> list[dict[str, Any]]:
    """What changed from `old` to `new`: [{"op": "add"|"remove"|"change"|"reorder", "path",
    "old", "new"}]. Lists of items with an id are compared by id (path `systems[lgsp]…`);
    secret values are masked."""
    changes: list[dict[str, Any]] = []
    _diff(old, new, "", changes, secret=False)
    return changes


def _diff(old: Any, new: Any, path: str, out: list, secret: bool) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in dict.fromkeys([*old, *new]):
            sub = f"{path}.{key}" if path else str(key)
            hidden = secret or key in SECRET_KEYS
            if key not in new:
                out.append(_change("remove", sub, old[key], None, hidden))
            elif key not in old:
                out.append(_change("add", sub, None, new[key], hidden))
            elif key in KEYED_LISTS and _keyed(old[key]) and _keyed(new[key]):
                _diff_keyed(old[key], new[key], sub, out, hidden)
            else:
                _diff(old[key], new[key], sub, out, hidden)
    elif old != new:
        out.append(_change("change", path, old, new, secret))


def _keyed(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, dict) and "id" in i for i in value)


def _diff_keyed(old: list, new: list, path: str, out: list, secret: bool) -> None:
    before, after = {i["id"]: i for i in old}, {i["id"]: i for i in new}
    for key in dict.fromkeys([*before, *after]):
        sub = f"{path}[{key}]"
        if key not in after:
            out.append(_change("remove", sub, _brief(before[key]), None, secret))
        elif key not in before:
            out.append(_change("add", sub, None, _brief(after[key]), secret))
        else:
            _diff(before[key], after[key], sub, out, secret)
    kept_before = [k for k in before if k in after]
    kept_after = [k for k in after if k in before]
    if kept_before != kept_after:
        out.append({"op": "reorder", "path": path, "old": kept_before, "new": kept_after})


def _brief(item: dict) -> dict:
    # an added or removed system is named, not copied whole (its endpoints may be thousands)
    return {k: v for k, v in item.items() if not isinstance(v, (list, dict))}


def _change(op: str, path: str, old: Any, new: Any, secret: bool) -> dict[str, Any]:
    if secret:
        old, new = (MASK if old is not None else None), (MASK if new is not None else None)
    return {"op": op, "path": path, "old": _masked(old), "new": _masked(new)}


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (MASK if k in SECRET_KEYS else _masked(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def summary_of(changes: list[dict[str, Any]]) -> str:
    if not changes:
        return "no change"
    words = {"add": "+", "remove": "−", "change": "~", "reorder": "↕"}
    shown = ", ".join(f"{words[c['op']]}{c['path']}" for c in changes[:4])
    more = f" (+{len(changes) - 4})" if len(changes) > 4 else ""
    return f"{len(changes)} change(s): {shown}{more}"


def describe_change(change: dict[str, Any]) -> str:
    """One line of a diff for people: `~ systems[lgsp].endpoints[health].interval: 30.0 → 60.0`."""
    sign = {"add": "+", "remove": "−", "change": "~", "reorder": "↕"}[change["op"]]
    if change["op"] == "add":
        return f"{sign} {change['path']}: {_short(change['new'])}"
    if change["op"] == "remove":
        return f"{sign} {change['path']}"
    return f"{sign} {change['path']}: {_short(change['old'])} → {_short(change['new'])}"


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 200 else text[:199] + "…"


# ---------------------------------------------------------------- mode and revisions


def mode(session: Session) -> str:
    row = session.get(RuntimeState, MODE_KEY)
    return (row.value if row is not None else None) or "db"


def set_mode(session: Session, value: str) -> None:
    row = session.get(RuntimeState, MODE_KEY)
    if row is None:
        session.add(RuntimeState(key=MODE_KEY, value=value[:255], updated_at=utcnow()))
    else:
        row.value, row.updated_at = value[:255], utcnow()
    session.flush()


def read_only_file(session: Session) -> str | None:
    """The catalog file that is authoritative, or None when the database is."""
    current_mode = mode(session)
    return current_mode.removeprefix("file:") if current_mode.startswith("file:") else None


def current(session: Session) -> CatalogRevision | None:
    return session.scalars(select(CatalogRevision).order_by(CatalogRevision.id.desc()).limit(1)).first()


def latest_id(session: Session) -> int | None:
    return session.scalar(select(func.max(CatalogRevision.id)))


def get(session: Session, revision_id: int) -> CatalogRevision:
    row = session.get(CatalogRevision, revision_id)
    if row is None:
        raise CatalogNotFound(f"no catalog revision {revision_id}")
    return row


def current_document(session: Session) -> dict[str, Any]:
    row = current(session)
    if row is None:
        raise CatalogNotFound("the database holds no catalog yet: import one (python app.py catalog import FILE)")
    return copy.deepcopy(row.document)


def save(session: Session, data: Any, *, action: str, author: str | None = None, summary: str | None = None,
         from_file: bool = False, apply: bool = True, now: datetime | None = None,
         catalog: Catalog | None = None) -> CatalogRevision | None:
    """Validate `data` whole, and when it differs from the catalog in force store it as a new
    revision, apply it to the tables and audit it — all in the caller's transaction, so a refusal
    or a failure changes nothing. Returns the new revision, or None when nothing changed.
    Raises CatalogError (every problem, with field paths), CatalogReadOnly, Forbidden."""
    permissions.require("manage_catalog")
    if not from_file and (path := read_only_file(session)):
        raise CatalogReadOnly(f"the catalog is read from the file {path} (started with --catalog): edit that file")
    # `catalog`: `data` already validated as a file (its line numbers were in the messages)
    catalog, canonical = (catalog, document(catalog.spec)) if catalog is not None else validated(data)
    previous = current(session)
    changes = diff(previous.document if previous is not None else EMPTY, canonical)
    if previous is not None and not changes:
        return None
    who = author or permissions.current_user_name() or "system"
    row = CatalogRevision(created_at=now or utcnow(), author=who[:128], action=action[:64],
                          summary=summary or summary_of(changes), diff=changes, document=canonical)
    session.add(row)
    session.flush()
    if apply:
        apply_catalog(session, catalog)
    audit.record(session, author, f"catalog.{action}"[:64], f"revision {row.id}",
                 {"summary": row.summary, "changes": len(changes)})
    return row


def rollback(session: Session, revision_id: int, author: str | None = None) -> CatalogRevision | None:
    """A new revision whose document is that of `revision_id` (history is never rewritten)."""
    old = get(session, revision_id)
    return save(session, copy.deepcopy(old.document), action="rollback", author=author,
                summary=f"rollback to revision {revision_id}")


# ---------------------------------------------------------------- edits (pure, on documents)


def _find(items: list[dict], item_id: str, what: str) -> int:
    for index, item in enumerate(items):
        if item.get("id") == item_id:
            return index
    raise CatalogNotFound(f"no {what} {item_id!r}")


def _merge(base: dict, values: dict) -> dict:
    merged = dict(base)
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)  # null resets a key to its default
        else:
            merged[key] = value
    return merged


def with_system(data: dict, values: dict, system_id: str | None = None, replace: bool = False) -> tuple[dict, int]:
    """The document with a system added (`system_id` None, endpoints may come with it) or changed;
    (document, its index). A system's endpoints are changed one by one (`with_endpoint`), never
    through an update of the system."""
    if not isinstance(values, dict):
        raise CatalogError("<edit>", ["send the system as a JSON object"])
    data = copy.deepcopy(data)
    systems = data.setdefault("systems", [])
    if system_id is None:
        if any(s.get("id") == values.get("id") for s in systems):
            raise CatalogError("<edit>", [f"id: a system {values.get('id')!r} exists already"],
                               [{"path": "id", "message": f"a system {values.get('id')!r} exists already"}])
        systems.append({k: v for k, v in values.items() if v is not None})
        return data, len(systems) - 1
    values = {k: v for k, v in values.items() if k != "endpoints"}
    index = _find(systems, system_id, "system")
    endpoints = systems[index].get("endpoints")
    base = {"id": system_id} if replace else systems[index]
    systems[index] = _merge({k: v for k, v in base.items() if k != "endpoints"}, values)
    if endpoints is not None:
        systems[index]["endpoints"] = endpoints
    return data, index


def without_system(data: dict, system_id: str) -> dict:
    data = copy.deepcopy(data)
    systems = data.get("systems", [])
    del systems[_find(systems, system_id, "system")]
    return data


def with_endpoint(data: dict, system_id: str, values: dict, endpoint_id: str | None = None,
                  replace: bool = False) -> tuple[dict, int, int]:
    """The document with an endpoint added to a system or changed; (document, system index,
    endpoint index). `replace` takes `values` as the whole endpoint (a form), else they are
    merged into it (PATCH: null resets a key)."""
    if not isinstance(values, dict):
        raise CatalogError("<edit>", ["send the endpoint as a JSON object"])
    data = copy.deepcopy(data)
    systems = data.get("systems", [])
    s_index = _find(systems, system_id, "system")
    endpoints = systems[s_index].setdefault("endpoints", [])
    if endpoint_id is None:
        if any(e.get("id") == values.get("id") for e in endpoints):
            message = f"system {system_id!r} has an endpoint {values.get('id')!r} already"
            raise CatalogError("<edit>", [f"id: {message}"], [{"path": "id", "message": message}])
        endpoints.append({k: v for k, v in values.items() if v is not None})
        return data, s_index, len(endpoints) - 1
    e_index = _find(endpoints, endpoint_id, f"endpoint in system {system_id!r}")
    base = {} if replace else endpoints[e_index]
    endpoints[e_index] = _merge(base, values)
    endpoints[e_index].setdefault("id", endpoint_id)
    return data, s_index, e_index


def without_endpoint(data: dict, system_id: str, endpoint_id: str) -> dict:
    data = copy.deepcopy(data)
    systems = data.get("systems", [])
    endpoints = systems[_find(systems, system_id, "system")].get("endpoints", [])
    del endpoints[_find(endpoints, endpoint_id, f"endpoint in system {system_id!r}")]
    return data


def with_item(data: dict, list_key: str, values: dict, item_id: str | None = None) -> tuple[dict, int]:
    """An agency or a national platform added (`item_id` None) or replaced by `values`."""
    if not isinstance(values, dict):
        raise CatalogError("<edit>", ["send the item as a JSON object"])
    data = copy.deepcopy(data)
    items = data.setdefault(list_key, [])
    values = {k: v for k, v in values.items() if v is not None}
    if item_id is None:
        if any(i.get("id") == values.get("id") for i in items):
            message = f"an item {values.get('id')!r} exists already"
            raise CatalogError("<edit>", [f"id: {message}"], [{"path": "id", "message": message}])
        items.append(values)
        return data, len(items) - 1
    index = _find(items, item_id, list_key.rstrip("s").replace("_", " "))
    items[index] = {**values, "id": item_id}
    return data, index


def without_item(data: dict, list_key: str, item_id: str) -> dict:
    data = copy.deepcopy(data)
    items = data.get(list_key, [])
    del items[_find(items, item_id, list_key.rstrip("s").replace("_", " "))]
    return data


def relative(details: list[dict], prefix: str) -> list[dict]:
    """Problems with their path also given relative to the item edited (`field`), so a form can
    show each one next to its input: systems[3].endpoints[0].timeout -> timeout."""
    out = []
    for item in details:
        path = item.get("path", "")
        if not prefix:
            field = path
        elif path == prefix or path.startswith((prefix + ".", prefix + "[")):
            field = path[len(prefix):].lstrip(".")
        else:
            field = None  # elsewhere in the catalog (e.g. a reference the change broke)
        out.append({**item, "field": field})
    return out
