"""TCP probe: can a connection to host:port be opened within the deadline? Latency is the
connect time. A service that accepts and then says nothing is still up for this kind."""
from __future__ import annotations

import asyncio
import time

from pydantic import model_validator

from collectors import register
from collectors._net import ProbeFailure, Progress, abort, connect, hostport, run_sync, split_hostport
from collectors.base import CheckResult, Status, Target
from collectors.options import NetworkOptions


class TcpOptions(NetworkOptions):
    """A TCP connection opens within the deadline (a database port, an LGSP gateway port)."""

    @model_validator(mode="after")
    def _needs_address(self) -> TcpOptions:
        if not (self.host and self.port):
            raise ValueError("a tcp endpoint needs host and port")
        return self


def address_of(target: Target, default_port: int | None = None) -> tuple[str, int | None]:
    options = target.options
    if options.get("host"):
        return str(options["host"]), int(options["port"]) if options.get("port") else default_port
    return split_hostport(target.target, default_port)


async def probe_async(target: Target, session=None) -> CheckResult:  # noqa: ARG001 - engine signature
    host, port = address_of(target)
    started = time.monotonic()
    progress = Progress()

    def result(verdict: Status, reason: str, latency_ms: float | None = None, cause: str | None = None,
               params: dict | None = None, **detail) -> CheckResult:
        latency = latency_ms if latency_ms is not None else (time.monotonic() - started) * 1000
        return CheckResult(target.endpoint_id, verdict, reason, latency_ms=round(latency, 1),
                           detail={"host": host, "port": port, **detail}, cause=cause, params=params or {})

    if not port:
        return result(Status.DOWN, f"no port given for {host}", cause="bad_request")
    writer = None
    try:
        async with asyncio.timeout(target.timeout_s):
            _, writer, address, connect_ms = await connect(host, port, progress)
    except TimeoutError:
        if progress.phase == "resolving the name":
            return result(Status.DOWN, f"no DNS answer for {host} within {target.timeout_s:g} s",
                          cause="timeout", params={"phase": "dns", "seconds": target.timeout_s, "host": host})
        return result(Status.DOWN, f"no connection to {hostport(host, port)} within {target.timeout_s:g} s "
                                   "(timeout: packets dropped or the service is overloaded)",
                      cause="timeout", params={"phase": "connect", "seconds": target.timeout_s, "host": host, "port": port})
    except ProbeFailure as exc:
        return result(Status.DOWN, str(exc), cause=exc.cause, params=exc.params)
    finally:
        abort(writer)
    return result(Status.UP, f"connected to {hostport(address, port)} in {connect_ms:.1f} ms",
                  latency_ms=connect_ms, cause="tcp_ok", params={"host": address, "port": port, "ms": round(connect_ms, 1)},
                  address=address)


@register("tcp", options=TcpOptions)
def probe(target: Target) -> CheckResult:
    return run_sync(probe_async, target)


probe.run_async = probe_async
