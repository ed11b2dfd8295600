"""Probe kinds, found by name. Adding a kind is adding a module that calls `register` with its
check function and its options model (collectors.options): the catalog validates an endpoint's
keys against that model and docs/probes.md is checked against it, so nothing else changes."""
from __future__ import annotations

import importlib
import pkgutil
from typing import Callable

from collectors.base import CheckResult, Probe, Target
from collectors.options import ProbeOptions

_PROBES: dict[str, Probe] = {}
_OPTIONS: dict[str, type[ProbeOptions]] = {}
_NOT_KINDS = {"base", "conditions", "options", "timeutil", "docs"}


def register(kind: str, options: type[ProbeOptions] = ProbeOptions) -> Callable[[Probe], Probe]:
    """Register `probe` for `kind`, with the model of the keys its endpoints accept."""
    if not (isinstance(options, type) and issubclass(options, ProbeOptions)):
        raise TypeError(f"the options of probe kind {kind!r} must be a collectors.options.ProbeOptions model")

    def decorate(probe: Probe) -> Probe:
        if kind in _PROBES and _PROBES[kind] is not probe:
            raise ValueError(f"probe kind {kind!r} registered twice")
        _PROBES[kind] = probe
        _OPTIONS[kind] = options
        return probe

    return decorate


_discovered = False


def _discover() -> None:
    # once per process: listing the package's files on every lookup made a 10,000-endpoint
    # catalog spend seconds in pkgutil
    global _discovered
    if _discovered:
        return
    for module in pkgutil.iter_modules(__path__):
        if module.name not in _NOT_KINDS and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    _discovered = True


def kinds() -> list[str]:
    _discover()
    return sorted(_PROBES)


def get_probe(kind: str) -> Probe:
    _discover()
    try:
        return _PROBES[kind]
    except KeyError:
        raise KeyError(f"unknown probe kind {kind!r}; known kinds: {', '.join(sorted(_PROBES))}") from None


def options_model(kind: str) -> type[ProbeOptions]:
    """The options model of a kind (the keys its catalog endpoints accept)."""
    get_probe(kind)
    return _OPTIONS[kind]


def run_probe(target: Target) -> CheckResult:
    """Run the probe for a target; a bug in a probe becomes a 'down' result, never a crash."""
    from collectors.base import Status

    try:
        return get_probe(target.kind)(target)
    except Exception as exc:  # noqa: BLE001 - the scheduler must outlive any probe
        return CheckResult(target.endpoint_id, Status.DOWN, f"probe error: {type(exc).__name__}: {exc}",
                           cause="probe_error", params={"error": type(exc).__name__})


__all__ = ["CheckResult", "ProbeOptions", "Target", "register", "get_probe", "kinds", "options_model", "run_probe"]
