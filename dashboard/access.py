"""Access control placeholder: every write action calls `require(role)` here, in one place.

It allows everything for now; the authentication issue wires it to real users and roles.
"""
from __future__ import annotations


class Forbidden(Exception):
    pass


def require(role: str) -> None:
    """Raise Forbidden when the current user lacks `role`. Currently allows everyone."""
    return None
