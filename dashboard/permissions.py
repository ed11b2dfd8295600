"""The one permission check for write actions taken from the pages: check now, acknowledge,
schedule maintenance, import a plan… Access control decides: the role each action needs is in
dashboard.auth.policy.ACTIONS; the principal is the one signed in to the current request."""
from __future__ import annotations

from dashboard.auth import Forbidden  # noqa: F401 - re-exported: callers catch it from here


def require(action: str, user: str | None = None) -> None:
    """Raise Forbidden when the principal of the current web request may not take `action`;
    ValueError for an action the policy does not know. (`user` is only a label: identity
    comes from the session, never from the caller.)"""
    from dashboard.auth import require as _require

    _require(action)
