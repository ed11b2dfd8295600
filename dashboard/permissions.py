"""The one permission check for technicians' actions (issue 5: check now, acknowledge,
schedule maintenance; alerts use 'acknowledge' too). Access control (issue 8) decides: the
roles per action are in dashboard.auth.policy.ACTIONS; the principal is the signed-in one."""
from __future__ import annotations

from dashboard.auth import Forbidden  # noqa: F401 - re-exported: callers catch it from here

ACTIONS = ("check_now", "acknowledge", "schedule_maintenance")


def require(action: str, user: str | None = None) -> None:
    """Raise Forbidden when the principal of the current web request may not take `action`
    (`user` is only a label: identity comes from the session, never from the caller)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    from dashboard.auth import require as _require

    _require(action)
