"""Access control (issue 8): accounts and roles, tokens, kiosk, enforcement, login.

    install(server, dash_app, settings)   enforce on every request of the Dash server
    require(action_or_role)              raise Forbidden unless the current principal may
    current_principal()                  who is asking (None: anonymous / outside a request)

See docs/security.md.
"""
from __future__ import annotations


class Forbidden(Exception):
    """The current principal may not take this action."""


def current_principal():
    from dashboard.auth.sessions import current_principal as _current

    return _current()


def current_user_name() -> str | None:
    principal = current_principal()
    return principal.name if principal else None


def allowed(action: str) -> bool:
    """May the current principal take `action` (a name from policy.ACTIONS, or a role)? Outside
    a web request (command line, collector, tests of the core) everything is allowed: those
    callers are trusted processes, and the web layer is where people come in."""
    from flask import has_request_context

    from dashboard.auth import policy

    required = policy.action_role(action)
    if not has_request_context():
        return True
    principal = current_principal()
    if principal is None or principal.kind == "token":
        return False
    return policy.has_role(principal.role, required)


def require(action: str) -> None:
    if not allowed(action):
        raise Forbidden(f"{action}: your role does not allow this")


def install(server, dash_app, settings) -> None:
    from dashboard.auth.enforce import install as _install

    _install(server, dash_app, settings)
