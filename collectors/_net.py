"""Network helpers shared by the tcp, tls, dns and connection probes (not a probe kind itself).

Everything is asyncio so that the probes can run on the engine's event loop, and so that one
`asyncio.timeout` around a whole check is a true deadline. Name lookups run on a small pool of
their own: the system resolver (getaddrinfo) blocks and cannot be cancelled, so a lookup that
outlives its deadline is abandoned to its thread instead of holding the check.
"""
from __future__ import annotations

import asyncio
import functools
import ipaddress
import os
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

_RESOLVER = ThreadPoolExecutor(max_workers=32, thread_name_prefix="ioc-resolve")
_contexts: dict[tuple, ssl.SSLContext] = {}


class ProbeFailure(Exception):
    """A failure to report as it is: the message is the reason in plain English words (for the
    technician), `cause` and `params` the same as a code that pages render in the reader's language."""

    def __init__(self, message: str, cause: str | None = None, **params: Any):
        super().__init__(message)
        self.cause = cause
        self.params = params


@dataclass
class Progress:
    """What a check was doing, so that a timeout can say where it struck."""

    phase: str = "starting"


def hostport(host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port else shown


def split_hostport(text: str, default_port: int | None = None) -> tuple[str, int | None]:
    """'host:port', '[::1]:443' or a bare host."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":")
        return host, int(port) if port else default_port
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, int(port)
    return text, default_port


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


async def resolve(host: str, port: int | None = None) -> list[str]:
    """The addresses of `host`, in the resolver's order, without duplicates."""
    if is_ip(host):
        return [host]
    loop = asyncio.get_running_loop()
    lookup = functools.partial(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    try:
        infos = await loop.run_in_executor(_RESOLVER, lookup)
    except socket.gaierror as exc:
        raise ProbeFailure(f"name does not resolve: {host} ({exc.strerror or exc})", "dns_nxdomain", name=host) from None
    except UnicodeError:
        raise ProbeFailure(f"name is not valid: {host!r}", "dns_nxdomain", name=host) from None
    addresses: list[str] = []
    for info in infos:
        address = info[4][0].split("%", 1)[0]  # drop an IPv6 scope id
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise ProbeFailure(f"name does not resolve: {host} (no address returned)", "dns_nxdomain", name=host)
    return addresses


async def connect(host: str, port: int, progress: Progress) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, str, float]:
    """Open a TCP connection; returns (reader, writer, address used, connect time in ms).
    Tries each address in turn; the reason names the failure of the last one tried."""
    progress.phase = "resolving the name"
    addresses = await resolve(host, port)
    progress.phase = "connecting"
    failure, cause = "", "conn_failed"
    for address in addresses:
        started = time.monotonic()
        try:
            reader, writer = await asyncio.open_connection(address, port)
        except ConnectionRefusedError:
            failure, cause = f"connection refused by {hostport(address, port)} (nothing listening on that port)", "conn_refused"
        except OSError as exc:
            failure, cause = f"cannot connect to {hostport(address, port)}: {exc.strerror or exc}", "conn_failed"
        else:
            return reader, writer, address, (time.monotonic() - started) * 1000
    if len(addresses) > 1:
        failure += f" (tried {len(addresses)} addresses)"
    raise ProbeFailure(failure, cause, host=addresses[-1], port=port, tried=len(addresses))


def abort(writer: asyncio.StreamWriter | None) -> None:
    """Drop a connection at once (no TLS close_notify round trip to wait for)."""
    if writer is not None:
        try:
            writer.transport.abort()
        except Exception:  # noqa: BLE001 - already closed
            pass


def client_context(ca_bundle: str | None = None, verify: bool = True) -> ssl.SSLContext:
    """A TLS client context, cached per CA bundle (reloaded when the file changes)."""
    if not verify:
        key: tuple = ("noverify",)
    elif ca_bundle:
        try:
            key = ("bundle", ca_bundle, os.stat(ca_bundle).st_mtime_ns)
        except OSError as exc:
            raise ProbeFailure(f"CA bundle {ca_bundle} cannot be read: {exc.strerror or exc}", "ca_bundle", path=ca_bundle) from None
    else:
        key = ("system",)
    context = _contexts.get(key)
    if context is None:
        if not verify:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        else:
            try:
                context = ssl.create_default_context(cafile=ca_bundle or None)
            except (OSError, ssl.SSLError) as exc:
                raise ProbeFailure(f"CA bundle {ca_bundle} cannot be used: {exc}", "ca_bundle", path=ca_bundle) from None
        _contexts[key] = context
    return context


def short(value: Any, limit: int = 300) -> str:
    text = str(value) or type(value).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run_sync(coroutine_function: Callable[..., Awaitable], *args) -> Any:
    """Run a probe coroutine to completion for callers without an event loop."""
    return asyncio.run(coroutine_function(*args))
