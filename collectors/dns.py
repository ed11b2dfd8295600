"""DNS probe: the name resolves within the deadline (through the system resolver, as the
monitored clients would), optionally to expected addresses — every expected one present."""
from __future__ import annotations

import asyncio
import ipaddress
import time

from pydantic import Field, field_validator, model_validator

from collectors import register
from collectors._net import ProbeFailure, resolve, run_sync
from collectors.base import CheckResult, Status, Target
from collectors.options import Host, ProbeOptions


class DnsOptions(ProbeOptions):
    """The name resolves within the deadline, through the system resolver as the clients
    would; with `expected_addresses`, every one of them must be among the answers."""

    host: Host | None = Field(default=None, description="the name to resolve")
    expected_addresses: list[str] = Field(default=[], description="IPv4/IPv6 addresses that must all be in the answer")

    @field_validator("expected_addresses")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            try:
                ipaddress.ip_address(address)
            except ValueError:
                raise ValueError(f"{address!r} is not an IPv4 or IPv6 address") from None
        return value

    @model_validator(mode="after")
    def _needs_host(self) -> DnsOptions:
        if not self.host:
            raise ValueError("a dns endpoint needs a host")
        return self

    def target(self) -> str:
        return self.host or ""

    def to_options(self) -> dict:
        options = super().to_options()
        if not self.expected_addresses:
            options.pop("expected_addresses")
        return options


def _normal(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


async def probe_async(target: Target, session=None) -> CheckResult:  # noqa: ARG001 - engine signature
    name = str(target.options.get("host") or target.target)
    expected = [_normal(a) for a in target.options.get("expected_addresses") or []]
    started = time.monotonic()

    def result(verdict: Status, reason: str, cause: str, params: dict, **detail) -> CheckResult:
        latency = (time.monotonic() - started) * 1000
        return CheckResult(target.endpoint_id, verdict, reason, latency_ms=round(latency, 1),
                           detail={"name": name, "expected_addresses": expected, **detail}, cause=cause, params=params)

    try:
        async with asyncio.timeout(target.timeout_s):
            addresses = [_normal(a) for a in await resolve(name)]
    except TimeoutError:
        return result(Status.DOWN, f"no DNS answer for {name} within {target.timeout_s:g} s",
                      "timeout", {"phase": "dns", "seconds": target.timeout_s, "host": name})
    except ProbeFailure as exc:
        return result(Status.DOWN, str(exc), exc.cause, exc.params)
    took = (time.monotonic() - started) * 1000
    shown = ", ".join(addresses)
    missing = [a for a in expected if a not in addresses]
    if missing:
        return result(Status.DOWN, f"{name} resolves to {shown}, not to expected {', '.join(missing)}",
                      "dns_mismatch", {"name": name, "addresses": addresses[:5], "missing": missing[:5]},
                      addresses=addresses, missing=missing)
    matched = " (all expected addresses present)" if expected else ""
    return result(Status.UP, f"{name} resolves to {shown}{matched} in {took:.1f} ms",
                  "dns_ok", {"name": name, "addresses": addresses[:5], "ms": round(took, 1)}, addresses=addresses)


@register("dns", options=DnsOptions)
def probe(target: Target) -> CheckResult:
    return run_sync(probe_async, target)


probe.run_async = probe_async
