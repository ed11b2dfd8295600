"""Run one probe with settings not saved yet (the editor's "Thử kiểm tra" button), and the
guard that keeps the button — and endpoints saved from the pages or the API — from being used to
reach what the server can reach but a person should not (SSRF): link-local and cloud metadata
addresses by default, any configured network, and the dashboard's own port.

The guard resolves the host and checks every address it resolves to. It cannot stop a name that
resolves differently a moment later (DNS rebinding): the deny list is a guard rail for an
admin's form, not a firewall; the firewall of the monitoring host is.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import collectors
from collectors.base import Target
from collectors.conditions import parse
from collectors.timeutil import iso
from dashboard.catalog.loader import CatalogError, EndpointSpec, validate_endpoint

EXCERPT_CHARS = 2000
DEFAULT_DENY = tuple(ipaddress.ip_network(n) for n in ("169.254.0.0/16", "fe80::/10"))


@dataclass(frozen=True)
class Guard:
    allow: tuple = ()  # when given, only these networks
    deny: tuple = DEFAULT_DENY
    own_ports: tuple[int, ...] = ()  # the dashboard's own port(s) on this machine
    resolve: Any = field(default=None, compare=False)  # (host, port) -> [address]; tests give their own

    def problems(self, spec: EndpointSpec, trial: bool = False) -> list[dict]:
        """Field-level refusals ({"path", "message"}) for the places `spec` would connect to.
        The own-port rule applies to a trial (a saved endpoint watching the app itself is odd
        but harmless: the collector is not driven by a person's input at that moment)."""
        out = []
        for path, host, port in destinations(spec):
            for address in self._addresses(host, port):
                problem = self._refusal(address, port, trial)
                if problem:
                    out.append({"path": path, "message": f"{host} ({address}) {problem}"})
                    break
        return out

    def _addresses(self, host: str, port: int | None) -> list[ipaddress._BaseAddress]:
        host = host.strip("[]")
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        resolve = self.resolve or _resolve
        found = []
        for text in resolve(host, port):
            try:
                found.append(ipaddress.ip_address(text.split("%")[0]))
            except ValueError:
                continue
        return found  # a name that does not resolve is the probe's to report

    def _refusal(self, address, port: int | None, trial: bool) -> str | None:
        if getattr(address, "ipv4_mapped", None):
            address = address.ipv4_mapped
        if any(address in net for net in self.deny if net.version == address.version):
            return "is in a network the catalog may not reach (IOC_PROBE_TEST_DENY)"
        if self.allow and not any(address in net for net in self.allow if net.version == address.version):
            return "is outside the networks the catalog may reach (IOC_PROBE_TEST_ALLOW)"
        if trial and port in self.own_ports and (address.is_loopback or address.is_unspecified or _is_local(address)):
            return f"port {port} is this dashboard itself"
        return None


def guard_for(settings) -> Guard:
    """The guard the app's settings ask for (IOC_PROBE_TEST_ALLOW / IOC_PROBE_TEST_DENY, its port)."""
    return Guard(allow=tuple(settings.probe_test_allow), deny=tuple(settings.probe_test_deny), own_ports=(settings.port,))


def _resolve(host: str, port: int | None) -> list[str]:
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(host, port or 0, proto=socket.IPPROTO_TCP)})
    except (OSError, UnicodeError):
        return []


def _is_local(address) -> bool:
    try:
        names = socket.gethostbyname_ex(socket.gethostname())[2]
    except OSError:
        return False
    return str(address) in names


def destinations(spec: EndpointSpec) -> list[tuple[str, str, int | None]]:
    """(field, host, port) of every place the probe of `spec` connects to."""
    out = []
    url = getattr(spec, "url", None)
    if url:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        out.append(("url", parts.hostname or "", port))
    host = getattr(spec, "host", None)
    if host and spec.kind != "dns":  # a dns check asks the resolver about the name, not the host
        out.append(("host", host, getattr(spec, "port", None)))
    return out


def target_of(system_id: str, spec: EndpointSpec) -> Target:
    """The probe's target, as the collector builds it from the stored endpoint."""
    options = spec.probe_options()
    conditions = tuple(
        parse(item) if isinstance(item, str) else parse(item["condition"], item.get("severity", "down"))
        for item in options.pop("conditions", []))
    return Target(f"{system_id}.{spec.id}", spec.kind, spec.target(), spec.timeout, conditions, options)


def run_trial(system_id: str, values: dict, guard: Guard) -> dict[str, Any]:
    """Validate `values` as one endpoint, check the guard, run its probe once and say what it
    found. CatalogError (with field paths) when the settings are refused; nothing is stored."""
    values = dict(values or {})
    values.setdefault("id", "trial")
    spec = validate_endpoint(values)
    refused = guard.problems(spec, trial=True)
    if refused:
        raise CatalogError("<endpoint>", [f"{p['path']}: {p['message']}" for p in refused], refused)
    result = collectors.run_probe(target_of(system_id, spec))
    detail = result.detail or {}
    excerpt = detail.get("excerpt")
    return {
        "verdict": str(result.verdict.value if hasattr(result.verdict, "value") else result.verdict),
        "cause": result.reason,
        "latency_ms": result.latency_ms,
        "http_code": result.http_code,
        "excerpt": excerpt[:EXCERPT_CHARS] if isinstance(excerpt, str) else None,
        "failed_conditions": detail.get("failed_conditions", []),
        "target": spec.target(),
        "checked_at": iso(result.checked_at),
    }
