"""HTTP(S) probe: one request, a TRUE total deadline, a cap on bytes read, conditions judged.

The probe is a coroutine (aiohttp) so that thousands of checks, a hanging tenth included,
share one event loop instead of one thread each (see dashboard/monitoring/engine.py). `probe(target)` is
the same coroutine run to completion, for callers without a loop (registry, tests, check-now).

The deadline covers everything — name lookup, connect, TLS, status line, headers, redirects and
body — because the whole exchange runs under one `asyncio.timeout`: a server that drips one
byte a second or accepts and never answers is cut off at the deadline, not per socket read.
"""
from __future__ import annotations

import asyncio
import errno
import re
import ssl
import time
from typing import Any, Literal

import aiohttp
from cryptography import x509
from pydantic import Field, model_validator

from collectors import register
from collectors._net import ProbeFailure, Progress, abort, client_context, connect, is_ip
from collectors.base import CheckResult, Status, Target
from collectors.conditions import Observation, evaluate, parse, verdict
from collectors.conditions import cause as conditions_cause
from collectors.options import DEFAULT_MAX_BYTES, HttpRequestOptions, Url
from collectors.timeutil import utcnow
from collectors.tls import classify_ssl_error, explain_verify_error

DEFAULT_CONDITIONS = (parse("[STATUS] < 400"),)
DEFAULT_MAX_REDIRECTS = 5
EXCERPT_CHARS = 2_000
_SECURITY_HEADERS = ("strict-transport-security", "x-content-type-options", "content-security-policy", "x-frame-options")
READ_CHUNK = 65_536
USER_AGENT = "QuangNgai-IOC-monitor/1.0"

_ssl_contexts: dict[str, ssl.SSLContext] = {}
_TIMEOUT_PHASES = {"connecting": "answer", "reading the body": "body", "reading the certificate": "certificate"}
_FIRST_BYTES = re.compile(r"b(['\"])(.*?)\1", re.S)


def first_bytes(parser_message: str | None, limit: int = 40) -> str | None:
    """The first bytes a non-HTTP service sent, out of the HTTP parser's error message (which
    quotes them as a bytes literal), in printable form: "SSH-2.0-OpenSSH_9.2p1"."""
    match = _FIRST_BYTES.search(parser_message or "")
    if not match:
        return None
    text = match.group(2).replace("\\r", "").replace("\\n", " ").strip()
    return text[:limit] or None


class HttpOptions(HttpRequestOptions):
    """One HTTP(S) request under a hard total deadline (name lookup to last body byte), with
    a cap on the bytes read; the answer is judged by `conditions`."""

    url: Url | None = Field(default=None, description="the `http://` or `https://` URL to request (required)")
    method: Literal["GET", "HEAD", "POST"] = Field(default="GET", description="request method")
    max_redirects: int = Field(default=DEFAULT_MAX_REDIRECTS, ge=0, le=20,
                               description="follow at most this many redirects (0: none)")

    @model_validator(mode="after")
    def _needs_url(self) -> HttpOptions:
        if not self.url:
            raise ValueError("an http endpoint needs a url")
        if not self.url.lower().startswith("https://"):
            for item in self.conditions:
                if parse(item.condition).placeholder == "CERTIFICATE_EXPIRATION":
                    raise ValueError(f"{item.condition!r} needs an https:// URL: {self.url} is plain HTTP, "
                                     "there is no certificate to check")
        return self

    def target(self) -> str:
        return self.url or ""

    def to_options(self) -> dict[str, Any]:
        options = super().to_options()
        options.pop("url", None)
        return options


class _BodyTooLarge(Exception):
    def __init__(self, message: str, size: int | None, cap: int):
        super().__init__(message)
        self.size = size
        self.cap = cap


class _CABundleError(Exception):
    def __init__(self, message: str, path: str):
        super().__init__(message)
        self.path = path


def new_session() -> aiohttp.ClientSession:
    """A session for many probes: no connection reuse (each check measures a fresh connection),
    no cookies, no proxy from the environment, no limit of its own (the engine bounds concurrency)."""
    connector = aiohttp.TCPConnector(force_close=True, limit=0, ttl_dns_cache=60)
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        headers={"User-Agent": USER_AGENT},
        timeout=aiohttp.ClientTimeout(total=None),  # the deadline is ours, see probe_async
        trust_env=False,
    )


def _ssl_for(options: dict[str, Any]) -> ssl.SSLContext | bool:
    bundle = options.get("ca_bundle")
    if bundle:
        context = _ssl_contexts.get(bundle)
        if context is None:
            try:
                context = ssl.create_default_context(cafile=bundle)
            except (OSError, ssl.SSLError) as exc:
                raise _CABundleError(f"CA bundle {bundle} cannot be used: {exc}", bundle) from None
            _ssl_contexts[bundle] = context
        return context
    return True if options.get("verify_tls", True) else False


async def probe_async(target: Target, session: aiohttp.ClientSession | None = None) -> CheckResult:
    own_session = session is None
    if own_session:
        session = new_session()
    try:
        return await _probe(target, session)
    finally:
        if own_session:
            await session.close()


async def _probe(target: Target, session: aiohttp.ClientSession) -> CheckResult:
    options = target.options
    max_redirects = int(options.get("max_redirects", DEFAULT_MAX_REDIRECTS))
    max_bytes = int(options.get("max_bytes", DEFAULT_MAX_BYTES))
    started = time.monotonic()
    phase = ["connecting"]
    conditions = target.conditions or DEFAULT_CONDITIONS
    needs_certificate = any(c.placeholder == "CERTIFICATE_EXPIRATION" for c in conditions)
    certificate_hours = certificate_error = None

    def failed(reason: str, cause: str, **params: Any) -> CheckResult:
        latency = (time.monotonic() - started) * 1000
        return CheckResult(target.endpoint_id, Status.DOWN, reason, latency_ms=round(latency, 1),
                           detail={"url": target.target, "phase": phase[0], **extra}, cause=cause, params=params)

    extra: dict[str, Any] = {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + target.timeout_s
    try:
        async with asyncio.timeout_at(deadline):
            async with session.request(
                options.get("method", "GET"),
                target.target,
                headers=options.get("headers") or None,
                ssl=_ssl_for(options),
                allow_redirects=max_redirects > 0,
                max_redirects=max(max_redirects, 1),
            ) as response:
                phase[0] = "reading the body"
                body = await _read_body(response, max_bytes)
            if needs_certificate and response.url.scheme == "https":
                phase[0] = "reading the certificate"
                certificate_hours, certificate_error = await _certificate_hours(response.url.host, response.url.port)
    except TimeoutError:
        waiting = "waiting for the answer" if phase[0] == "connecting" else phase[0]
        return failed(f"no complete answer within {target.timeout_s:g} s (timeout while {waiting})", "timeout",
                      phase=_TIMEOUT_PHASES.get(phase[0], "answer"), seconds=target.timeout_s)
    except aiohttp.TooManyRedirects as exc:
        history = getattr(exc, "history", ()) or ()
        last = str(history[-1].headers.get("Location") or history[-1].url) if history else str(exc.request_info.real_url)
        return failed(f"more than {max_redirects} redirects (redirect loop?)", "redirects",
                      count=len(history) or max_redirects, last_url=last[:300])
    except _BodyTooLarge as exc:
        return failed(str(exc), "body_cap", bytes=exc.size, cap=exc.cap)
    except _CABundleError as exc:
        return failed(str(exc), "ca_bundle", path=exc.path)
    except aiohttp.ClientConnectorCertificateError as exc:
        error = exc.certificate_error
        if isinstance(error, ssl.SSLCertVerificationError):
            server_name = None if is_ip(exc.host) else exc.host
            cause, params, certificate = await explain_verify_error(error, exc.host, exc.port, server_name,
                                                                    max(deadline, loop.time() + 1.0))
            extra.update(certificate=certificate, verify_error=error.verify_message or error.reason)
            return failed(f"TLS certificate not accepted: {_short(error)}", cause, **params)
        return failed(f"TLS certificate not accepted: {_short(error)}", "tls_other", verify_code=None)
    except (aiohttp.ClientConnectorSSLError, aiohttp.ClientSSLError) as exc:
        os_error = getattr(exc, "os_error", exc)
        if isinstance(os_error, ssl.SSLError):
            cause, params = classify_ssl_error(os_error, getattr(exc, "host", None), getattr(exc, "port", None))
        else:
            cause, params = "tls_handshake", {"host": getattr(exc, "host", None), "port": getattr(exc, "port", None)}
        return failed(f"TLS error: {_short(os_error)}", cause, **params)
    except aiohttp.ClientConnectorDNSError as exc:
        return failed(f"name does not resolve: {exc.host} ({_short(exc.os_error)})", "dns_nxdomain", name=exc.host)
    except aiohttp.ClientConnectorError as exc:
        if exc.os_error.errno == errno.ECONNREFUSED or isinstance(exc.os_error, ConnectionRefusedError):
            return failed(f"connection refused (nothing listening on {exc.host}:{exc.port})", "conn_refused",
                          host=exc.host, port=exc.port)
        return failed(f"connection failed: {_short(exc.os_error)}", "conn_failed", host=exc.host, port=exc.port)
    except aiohttp.ServerDisconnectedError:
        return failed("connection closed by the server without a complete answer", "disconnected")
    except aiohttp.ClientResponseError as exc:
        # aiohttp raises this for what its parser cannot read: the service does not speak HTTP.
        return failed(f"not an HTTP answer ({_short(exc.message)})", "not_http", first_bytes=first_bytes(exc.message))
    except aiohttp.ClientPayloadError as exc:
        return failed(f"body cut off or malformed: {_short(exc)}", "body_broken")
    except (aiohttp.InvalidURL, ValueError) as exc:
        return failed(f"invalid URL or request: {_short(exc)}", "bad_request")
    except aiohttp.ClientError as exc:
        return failed(f"request failed: {type(exc).__name__}: {_short(exc)}", "request_failed", error=type(exc).__name__)
    except OSError as exc:
        return failed(f"connection failed: {_short(exc)}", "conn_failed", host=target.target, port=None)

    elapsed_ms = (time.monotonic() - started) * 1000
    headers = {k: v for k, v in response.headers.items()}
    seen = Observation(status=response.status, response_time_ms=elapsed_ms, body=body, headers=headers,
                       certificate_hours_left=certificate_hours)
    outcomes = evaluate(conditions, seen)
    status, reason = verdict(outcomes)
    if status == Status.UP:
        reason = f"HTTP {response.status}, {reason}"
    cause, params = conditions_cause(outcomes, response.status)
    return CheckResult(
        target.endpoint_id,
        status,
        reason,
        latency_ms=round(elapsed_ms, 1),
        http_code=response.status,
        cause=cause,
        params=params,
        detail={
            "url": str(response.url),
            "redirects": len(response.history),
            "content_type": response.headers.get("Content-Type"),
            "excerpt": body[:EXCERPT_CHARS],
            "failed_conditions": [o.condition.text for o in outcomes if not o.ok],
            **({"certificate_hours_left": certificate_hours} if certificate_hours is not None else {}),
            **({"certificate_error": certificate_error} if certificate_error else {}),
            # public portals' security headers, read by dashboard.alerts.probe_alerts
            **({"security_headers": {k: v[:200] for k, v in headers.items() if k.lower() in _SECURITY_HEADERS}}
               if target.options.get("public_portal") else {}),
        },
    )


async def _certificate_hours(host: str, port: int) -> tuple[float | None, str | None]:
    """Hours left on the certificate of the (final) host that answered, by a quick handshake of
    its own, and the error when it could not be read.

    A second handshake rather than the request's own connection: aiohttp releases a
    force-closed connection as soon as a small body is read, so the response no longer holds it,
    and reaching for its private protocol object would break with any upgrade. The extra round
    trip runs inside the same deadline and only for endpoints whose conditions ask for the value.
    Verification is not repeated here: the request itself verified the chain (or was told not to)."""
    writer = None
    try:
        _, writer, _, _ = await connect(host, port, Progress())
        await writer.start_tls(client_context(verify=False), server_hostname=None if is_ip(host) else host)
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        not_after = x509.load_der_x509_certificate(der).not_valid_after_utc
        return round((not_after - utcnow()).total_seconds() / 3600, 2), None
    except (ProbeFailure, OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        return None, f"certificate not read: {_short(exc)}"
    finally:
        abort(writer)


async def _read_body(response: aiohttp.ClientResponse, max_bytes: int) -> str:
    declared = response.content_length
    if declared is not None and declared > max_bytes:
        raise _BodyTooLarge(f"response body of {declared:,} bytes is larger than the {max_bytes:,}-byte cap",
                            declared, max_bytes)
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await response.content.read(READ_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise _BodyTooLarge(f"response body larger than the {max_bytes:,}-byte cap (stopped reading)", None, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks).decode(response.charset or "utf-8", errors="replace")


def _short(value: Any) -> str:
    text = str(value) or type(value).__name__
    return text if len(text) <= 300 else text[:297] + "…"


@register("http", options=HttpOptions)
def probe(target: Target) -> CheckResult:
    """The same probe for callers without an event loop (one loop per call)."""
    return asyncio.run(probe_async(target))


# The engine looks for this to run the probe on its event loop instead of a thread.
probe.run_async = probe_async
