"""HTTP(S) probe: one request, a total deadline, a cap on bytes read, conditions judged."""
from __future__ import annotations

import time

import requests
from requests.exceptions import (
    ConnectionError as RequestsConnectionError,
    ConnectTimeout,
    ReadTimeout,
    SSLError,
    TooManyRedirects,
)

from collectors import register
from collectors.base import CheckResult, Target
from collectors.conditions import Observation, evaluate, parse, verdict
from dashboard.models import Status

DEFAULT_CONDITIONS = (parse("[STATUS] < 400"),)
DEFAULT_MAX_BYTES = 1_000_000
DEFAULT_MAX_REDIRECTS = 5
EXCERPT_CHARS = 2_000
USER_AGENT = "QuangNgai-IOC-monitor/1.0"


class _DeadlineExceeded(Exception):
    pass


class _BodyTooLarge(Exception):
    pass


@register("http")
def probe(target: Target) -> CheckResult:
    options = target.options
    started = time.monotonic()
    deadline = started + target.timeout_s
    session = requests.Session()
    session.max_redirects = int(options.get("max_redirects", DEFAULT_MAX_REDIRECTS))
    session.headers["User-Agent"] = USER_AGENT
    verify = options.get("ca_bundle") or options.get("verify_tls", True)

    def result(verdict_: Status, reason: str, **extra) -> CheckResult:
        latency = (time.monotonic() - started) * 1000
        return CheckResult(target.endpoint_id, verdict_, reason, latency_ms=round(latency, 1), **extra)

    try:
        response = session.request(
            options.get("method", "GET"),
            target.target,
            headers=options.get("headers") or {},
            timeout=(target.timeout_s, target.timeout_s),
            stream=True,
            verify=verify,
            allow_redirects=True,
        )
        try:
            body = _read_body(response, deadline, int(options.get("max_bytes", DEFAULT_MAX_BYTES)))
        finally:
            response.close()
    except ConnectTimeout:
        return result(Status.DOWN, f"no connection within {target.timeout_s:g} s (connect timeout)")
    except (ReadTimeout, _DeadlineExceeded):
        return result(Status.DOWN, f"no complete answer within {target.timeout_s:g} s (timeout)")
    except SSLError as exc:
        return result(Status.DOWN, f"TLS error: {_root_cause(exc)}")
    except TooManyRedirects:
        return result(Status.DOWN, f"more than {session.max_redirects} redirects (redirect loop?)")
    except _BodyTooLarge as exc:
        return result(Status.DOWN, str(exc))
    except RequestsConnectionError as exc:
        return result(Status.DOWN, _connection_reason(exc))
    except requests.RequestException as exc:
        return result(Status.DOWN, f"request failed: {_root_cause(exc)}")
    finally:
        session.close()

    elapsed_ms = (time.monotonic() - started) * 1000
    seen = Observation(
        status=response.status_code,
        response_time_ms=elapsed_ms,
        body=body,
        headers=dict(response.headers),
    )
    outcomes = evaluate(target.conditions or DEFAULT_CONDITIONS, seen)
    status, reason = verdict(outcomes)
    if status == Status.UP:
        reason = f"HTTP {response.status_code}, {reason}"
    return CheckResult(
        target.endpoint_id,
        status,
        reason,
        latency_ms=round(elapsed_ms, 1),
        http_code=response.status_code,
        detail={
            "url": response.url,
            "redirects": len(response.history),
            "content_type": response.headers.get("Content-Type"),
            "excerpt": body[:EXCERPT_CHARS],
            "failed_conditions": [o.condition.text for o in outcomes if not o.ok],
        },
    )


def _read_body(response: requests.Response, deadline: float, max_bytes: int) -> str:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=16_384):
        size += len(chunk)
        if size > max_bytes:
            raise _BodyTooLarge(f"response body larger than {max_bytes:,} bytes (cap reached)")
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise _DeadlineExceeded
    raw = b"".join(chunks)
    return raw.decode(response.encoding or "utf-8", errors="replace")


def _root_cause(exc: BaseException) -> str:
    seen = exc
    while seen.__context__ is not None or (seen.args and isinstance(seen.args[0], BaseException)):
        inner = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else seen.__context__
        if inner is None or inner is seen:
            break
        seen = inner
    text = str(seen) or type(seen).__name__
    return text if len(text) <= 300 else text[:297] + "…"


def _connection_reason(exc: BaseException) -> str:
    text = _root_cause(exc)
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused (nothing listening on that port)"
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "resolution" in lowered:
        return f"name does not resolve: {text}"
    if "reset" in lowered or "aborted" in lowered or "remotedisconnected" in lowered or "closed connection" in lowered:
        return f"connection closed by the server without an answer ({text})"
    return f"connection failed: {text}"
