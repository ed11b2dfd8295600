"""Which tasks a person may report on: a reporter's agencies and partner enterprises.

The rule is pure (`may_report`): a reporter may change a task when the task's agency is one of
theirs, or when their partner scope names the task's partner enterprise; an admin may change
any task (correcting an agency's report on its behalf); nobody else may. Loading a person's
scopes from the database and checking them against the current request are here too, so that
every page and API route asks the same question.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.auth.permissions import Forbidden
from dashboard.store.models import Agency, User, UserScope

KINDS = ("agency", "partner")
PARTNERS = ("VNPT", "Viettel", "MobiFone", "FPT")


class OutOfScope(Forbidden):
    """The task belongs to an agency (and partner) outside the principal's scope: a refusal
    like a role's (403), which the caller audits."""


@dataclass(frozen=True)
class Scope:
    agencies: frozenset[str] = frozenset()
    partners: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not self.agencies and not self.partners

    def as_dict(self) -> dict:
        return {"agencies": sorted(self.agencies), "partners": sorted(self.partners)}


def may_report(role: str | None, scope: Scope, agency_id: str, partner: str | None) -> bool:
    """May a principal with this role and scope report on a task of `agency_id` whose partner
    enterprise is `partner`?"""
    if role == "admin":
        return True
    if role != "reporter":
        return False
    return agency_id in scope.agencies or (partner is not None and partner in scope.partners)


def may_read_updates(role: str | None, scope: Scope, agency_id: str, partner: str | None) -> bool:
    """IOC staff (viewer and above) read every task's history; a reporter only their own."""
    if role in ("viewer", "operator", "admin"):
        return True
    return may_report(role, scope, agency_id, partner)


def scope_of(session: Session, user_id: int | None) -> Scope:
    if user_id is None:
        return Scope()
    rows = session.scalars(select(UserScope).where(UserScope.user_id == user_id)).all()
    return Scope(frozenset(r.value for r in rows if r.kind == "agency"), frozenset(r.value for r in rows if r.kind == "partner"))


def check_values(session: Session, agencies: list[str], partners: list[str]) -> tuple[list[str], list[str]]:
    """The agency ids and partner names, checked: an unknown agency or partner is an error that
    names it (ValueError). Agencies may be given by id or by official commune code."""
    known = {a.id: a for a in session.scalars(select(Agency))}
    by_code = {a.official_code: a.id for a in known.values() if a.official_code}
    found_agencies: list[str] = []
    for value in agencies or []:
        value = (value or "").strip()
        agency_id = value if value in known else by_code.get(value) or by_code.get(value.zfill(5))
        if agency_id is None:
            raise ValueError(f"unknown agency {value!r}: give an agency id from the catalog (e.g. skhcn, unit-21548) "
                             "or a commune's official code")
        if agency_id not in found_agencies:
            found_agencies.append(agency_id)
    found_partners: list[str] = []
    for value in partners or []:
        match = next((p for p in PARTNERS if p.lower() == (value or "").strip().lower()), None)
        if match is None:
            raise ValueError(f"unknown partner {value!r}: one of {', '.join(PARTNERS)}")
        if match not in found_partners:
            found_partners.append(match)
    return found_agencies, found_partners


def set_scopes(session: Session, user: User, agencies: list[str], partners: list[str]) -> None:
    """Replace a person's scopes (values already checked)."""
    user.scopes.clear()
    session.flush()
    for value in agencies:
        user.scopes.append(UserScope(kind="agency", value=value))
    for value in partners:
        user.scopes.append(UserScope(kind="partner", value=value))
    session.flush()


def describe(scope: Scope) -> str:
    parts = [*sorted(scope.agencies), *(f"partner:{p}" for p in sorted(scope.partners))]
    return ", ".join(parts) or "—"
