"""The one permission check for technicians' actions (issue 5: check now, acknowledge,
schedule maintenance; alerts use 'acknowledge' too). It allows everything for now; the
access-control issue wires `require` to real users and roles in this one place."""
from __future__ import annotations

ACTIONS = ("check_now", "acknowledge", "schedule_maintenance")


class Forbidden(Exception):
    """The current user may not take this action."""


def require(action: str, user: str | None = None) -> None:
    """Raise Forbidden when `user` may not take `action`. Currently allows everyone."""
    return None
