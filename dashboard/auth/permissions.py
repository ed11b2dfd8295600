"""The one permission check for everything a person does: check now, acknowledge, schedule
maintenance, import a plan, manage the catalog… The role each action needs is in
dashboard.auth.policy.ACTIONS; the principal is the one signed in to the current request."""
from __future__ import annotations

from flask import has_request_context

from dashboard.auth import policy
from dashboard.auth.sessions import current_principal


class Forbidden(Exception):
    """The current principal may not take this action."""


def current_user_name() -> str | None:
    principal = current_principal()
    return principal.name if principal else None


def allowed(action: str) -> bool:
    """May the current principal take `action` (a name from policy.ACTIONS, or a role)? Outside
    a web request (command line, collector, tests of the core) everything is allowed: those
    callers are trusted processes, and the web layer is where people come in."""
    required = policy.action_role(action)
    if not has_request_context():
        return True
    principal = current_principal()
    if principal is None or principal.kind == "token":
        return False
    return policy.has_role(principal.role, required)


def require(action: str, user: str | None = None) -> None:
    """Raise Forbidden when the principal of the current web request may not take `action`;
    ValueError for an action the policy does not know. (`user` is only a label: identity
    comes from the session, never from the caller.)"""
    if not allowed(action):
        raise Forbidden(f"{action}: your role does not allow this")
