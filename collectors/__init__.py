"""Probe kinds, found by name. Adding a kind is adding a module that calls `register`."""
from __future__ import annotations

import importlib
import pkgutil
from typing import Callable

from collectors.base import CheckResult, Probe, Target

_PROBES: dict[str, Probe] = {}


def register(kind: str) -> Callable[[Probe], Probe]:
    def decorate(probe: Probe) -> Probe:
        if kind in _PROBES and _PROBES[kind] is not probe:
            raise ValueError(f"probe kind {kind!r} registered twice")
        _PROBES[kind] = probe
        return probe

    return decorate


def _discover() -> None:
    for module in pkgutil.iter_modules(__path__):
        if module.name not in {"base", "conditions"} and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


def kinds() -> list[str]:
    _discover()
    return sorted(_PROBES)


def get_probe(kind: str) -> Probe:
    _discover()
    try:
        return _PROBES[kind]
    except KeyError:
        raise KeyError(f"unknown probe kind {kind!r}; known kinds: {', '.join(sorted(_PROBES))}") from None


def run_probe(target: Target) -> CheckResult:
    """Run the probe for a target; a bug in a probe becomes a 'down' result, never a crash."""
    from collectors.base import Status

    try:
        return get_probe(target.kind)(target)
    except Exception as exc:  # noqa: BLE001 - the scheduler must outlive any probe
        return CheckResult(target.endpoint_id, Status.DOWN, f"probe error: {type(exc).__name__}: {exc}")


__all__ = ["CheckResult", "Target", "register", "get_probe", "kinds", "run_probe"]
