"""Role check for write actions (`require("admin")`); access control (issue 8) decides, from
the principal of the current web request. See dashboard.auth."""
from __future__ import annotations

from dashboard.auth import Forbidden  # noqa: F401 - re-exported: callers catch it from here


def require(role: str) -> None:
    """Raise Forbidden when the current principal lacks `role` (viewer, operator or admin)."""
    from dashboard.auth import require as _require

    _require(role)
