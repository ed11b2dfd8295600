"""One change of the catalog from a person (the admin pages or the API), the same way for both:
take the catalog in force, change it (`build`), validate the whole, check the endpoints it
touches against the network guard, store it as a revision. A refusal raises EditRefused with
each problem at its field and stores nothing."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from dashboard.catalog import revisions
from dashboard.catalog.loader import CatalogError, CatalogSpec, EndpointSpec
from dashboard.catalog.trial import Guard
from dashboard.store.models import CatalogRevision

Build = Callable[[dict], tuple[dict, str]]  # document -> (new document, path of the item changed)
Checked = Callable[[CatalogSpec, str], list[tuple[str, EndpointSpec]]]


class EditRefused(Exception):
    """The change was not made; `problems` are {"path", "field", "message"}."""

    def __init__(self, problems: list[dict[str, Any]]):
        self.problems = problems
        super().__init__("; ".join(f"{p.get('field') or p.get('path') or '—'}: {p['message']}" for p in problems))


def apply_edit(session: Session, build: Build, action: str, guard: Guard | None = None,
               checked: Checked | None = None) -> CatalogRevision | None:
    """Raises EditRefused, revisions.CatalogReadOnly, revisions.CatalogNotFound, Forbidden."""
    if path := revisions.read_only_file(session):
        raise revisions.CatalogReadOnly(f"the catalog is read from the file {path} (the app was started with "
                                        "--catalog): edit that file; it is re-read when it changes")
    document = revisions.current_document(session)
    try:
        new, prefix = build(document)
    except CatalogError as exc:  # refused before validation (a duplicate id)
        raise EditRefused(revisions.relative(exc.details, "")) from None
    try:
        catalog, _ = revisions.validated(new, "<edit>")
    except CatalogError as exc:
        raise EditRefused(revisions.relative(exc.details, prefix)) from None
    if guard is not None and checked is not None:
        refused = [{"path": f"{item}.{p['path']}", "message": p["message"]}
                   for item, spec in checked(catalog.spec, prefix) for p in guard.problems(spec)]
        if refused:
            raise EditRefused(revisions.relative(refused, prefix))
    return revisions.save(session, None, catalog=catalog, action=action)


def _indexes(prefix: str) -> list[int]:
    return [int(part.split("]")[0]) for part in prefix.split("[")[1:]]


def system_endpoints(spec: CatalogSpec, prefix: str) -> list[tuple[str, EndpointSpec]]:
    system = spec.systems[_indexes(prefix)[0]]
    return [(f"{prefix}.endpoints[{i}]", e) for i, e in enumerate(system.endpoints)]


def one_endpoint(spec: CatalogSpec, prefix: str) -> list[tuple[str, EndpointSpec]]:
    s_index, e_index = _indexes(prefix)
    return [(prefix, spec.systems[s_index].endpoints[e_index])]


# the four edits, as both the API and the pages make them


def save_system(session: Session, values: dict, system_id: str | None, guard: Guard | None,
                replace: bool = False) -> CatalogRevision | None:
    def build(document):
        new, index = revisions.with_system(document, values, system_id, replace=replace)
        return new, f"systems[{index}]"

    return apply_edit(session, build, "system.create" if system_id is None else "system.update", guard, system_endpoints)


def delete_system(session: Session, system_id: str) -> CatalogRevision | None:
    return apply_edit(session, lambda document: (revisions.without_system(document, system_id), ""), "system.delete")


def save_endpoint(session: Session, system_id: str, values: dict, endpoint_id: str | None, guard: Guard | None,
                  replace: bool = False) -> CatalogRevision | None:
    def build(document):
        new, s_index, e_index = revisions.with_endpoint(document, system_id, values, endpoint_id, replace=replace)
        return new, f"systems[{s_index}].endpoints[{e_index}]"

    return apply_edit(session, build, "endpoint.create" if endpoint_id is None else "endpoint.update", guard, one_endpoint)


def delete_endpoint(session: Session, system_id: str, endpoint_id: str) -> CatalogRevision | None:
    return apply_edit(session, lambda document: (revisions.without_endpoint(document, system_id, endpoint_id), ""),
                      "endpoint.delete")


LISTS = {"agencies": "agency", "national_platforms": "platform"}  # editable lists and their audit names


def save_item(session: Session, list_key: str, values: dict, item_id: str | None) -> CatalogRevision | None:
    """Add or replace an agency (with its location) or a national platform."""
    if list_key not in LISTS:
        raise ValueError(f"not an editable list: {list_key}")

    def build(document):
        new, index = revisions.with_item(document, list_key, values, item_id)
        return new, f"{list_key}[{index}]"

    return apply_edit(session, build, f"{LISTS[list_key]}.{'create' if item_id is None else 'update'}")


def delete_item(session: Session, list_key: str, item_id: str) -> CatalogRevision | None:
    if list_key not in LISTS:
        raise ValueError(f"not an editable list: {list_key}")
    return apply_edit(session, lambda document: (revisions.without_item(document, list_key, item_id), ""),
                      f"{LISTS[list_key]}.delete")
