"""Connection probe: the state of a link between a provincial system and a national platform.

Two ways, chosen by the catalog fields:
- reported: the provincial system reports its link in a JSON document (`url` + `state_path`,
  e.g. links.ndxp.state, and `connected_value`); optionally the last exchange must be younger
  than `max_age` (read at `last_exchange_path`, by default next to the state). The reported
  error text (`error_path`, by default next to the state) goes into the reason.
- direct: no state_path: the national side is probed from the provincial side, with the tcp
  probe (host + port) or the http probe (url, with its conditions).
"""
from __future__ import annotations

import asyncio
import json
import re
import ssl
import time
from datetime import datetime
from typing import Annotated, Any

import aiohttp
from pydantic import BeforeValidator, Field, field_validator, model_validator

from collectors import get_probe, register
from collectors._net import ProbeFailure, client_context, hostport, run_sync, short
from collectors.base import CheckResult, Status, Target
from collectors.conditions import Observation, evaluate
from collectors.conditions import cause as conditions_cause
from collectors.http import first_bytes
from collectors.options import DEFAULT_MAX_BYTES, HttpRequestOptions, NetworkOptions, Url, duration
from collectors.timeutil import iso, parse_iso, utcnow
from collectors.tls import classify_verification

DEFAULT_CONNECTED_VALUE = "connected"
USER_AGENT = "QuangNgai-IOC-monitor/1.0"
_MISSING = object()
_STATE_FIELDS = ("connected_value", "last_exchange_path", "error_path", "max_age")


class ConnectionOptions(HttpRequestOptions, NetworkOptions):
    """The link between a provincial system and a national platform: reported by the system
    (`url` of its JSON document + `state_path`), or probed directly on the national side
    (`url`, or `host` + `port`, with no `state_path`)."""

    url: Url | None = Field(default=None, description="the system's JSON link report (with state_path), "
                                                      "or the national side's URL (direct)")
    state_path: str | None = Field(default=None, description="where the link state is in the report, e.g. `links.ndxp.state`")
    connected_value: bool | int | str | None = Field(
        default=None, description=f"the state value that means connected (default `{DEFAULT_CONNECTED_VALUE}`)")
    last_exchange_path: str | None = Field(default=None, description="the last exchange time in the report "
                                                                     "(default: `last_exchange` next to the state)")
    error_path: str | None = Field(default=None, description="the reported error text (default: `error` next to the state)")
    max_age: Annotated[float | None, BeforeValidator(duration(1, 365 * 86_400))] = Field(
        default=None, description="degraded when the last exchange is older than this, e.g. `10m`")

    @field_validator("state_path", "last_exchange_path", "error_path")
    @classmethod
    def _json_path(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[^\s.]+(\.[^\s.]+)*$", value):
            raise ValueError(f"{value!r} is not a JSON path such as links.ndxp.state")
        return value

    @model_validator(mode="after")
    def _reported_or_direct(self) -> ConnectionOptions:
        if self.state_path and not self.url:
            raise ValueError("a connection endpoint with state_path needs the url of the document that reports the link")
        if not self.state_path:
            extra = sorted(self.model_fields_set & set(_STATE_FIELDS))
            if extra:
                raise ValueError(f"{', '.join(extra)} need(s) state_path (the link as reported by the system)")
            if not self.url and not (self.host and self.port):
                raise ValueError("a connection endpoint needs url + state_path (the system reports its link), "
                                 "or url or host + port (probe the national side directly)")
        return self

    def target(self) -> str:
        return self.url or hostport(self.host or "", self.port)

    def to_options(self) -> dict[str, Any]:
        options = super().to_options()
        options.pop("url", None)
        if "max_age" in options:
            options["max_age_s"] = options.pop("max_age")
        return options


def sibling(path: str, name: str) -> str:
    """links.ndxp.state -> links.ndxp.<name>"""
    head, _, _ = path.rpartition(".")
    return f"{head}.{name}" if head else name


def lookup(document: Any, path: str) -> Any:
    value = document
    for key in path.split("."):
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return _MISSING
    return value


def _same(observed: Any, expected: Any) -> bool:
    if isinstance(observed, bool) or isinstance(expected, bool):
        return str(observed).lower() == str(expected).lower()
    return str(observed).strip().lower() == str(expected).strip().lower()


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:119] + "…"


def _plain(value: Any) -> Any:
    return value if isinstance(value, (bool, int, float)) or value is None else str(value)[:120]


def _age(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"


def judge_report(endpoint_id: str, status: int, body: str, options: dict, now: datetime,
                 latency_ms: float, conditions: tuple = (), headers: dict | None = None) -> CheckResult:
    """The verdict on a link report (pure: tests call it directly)."""
    state_path = options["state_path"]
    expected = options.get("connected_value", DEFAULT_CONNECTED_VALUE)
    detail: dict[str, Any] = {"url": options.get("url"), "state_path": state_path}

    def result(verdict: Status, reason: str, cause: str, **params: Any) -> CheckResult:
        return CheckResult(endpoint_id, verdict, reason, checked_at=now, latency_ms=round(latency_ms, 1),
                           http_code=status, detail=detail, cause=cause, params=params)

    if status != 200:
        detail["excerpt"] = body[:500]
        return result(Status.DOWN, f"cannot read the link state: the status endpoint answered HTTP {status}",
                      "link_report_http", status=status)
    try:
        document = json.loads(body)
    except ValueError:
        detail["excerpt"] = body[:500]
        return result(Status.DOWN, f"cannot read the link state: the answer is not valid JSON ({_show(body[:60])})",
                      "link_report_not_json")
    state = lookup(document, state_path)
    if state is _MISSING:
        return result(Status.DOWN, f"cannot read the link state: {state_path} is missing from the answer",
                      "link_state_missing", path=state_path)
    detail["state"] = state
    error_path = options.get("error_path") or sibling(state_path, "error")
    error = lookup(document, error_path)
    exchange_path = options.get("last_exchange_path") or sibling(state_path, "last_exchange")
    exchange = lookup(document, exchange_path)
    last_exchange = None
    if exchange is not _MISSING and isinstance(exchange, str):
        try:
            last_exchange = parse_iso(exchange)
        except ValueError:
            last_exchange = None
    if last_exchange is not None:
        detail["last_exchange"] = iso(last_exchange)
        detail["age_s"] = round(max(0.0, (now - last_exchange).total_seconds()), 1)
    if error is not _MISSING and error not in (None, ""):
        detail["error"] = str(error)[:500]

    age = {"age": round(detail["age_s"])} if last_exchange is not None else {}
    if not _same(state, expected):
        reason = f"link reported {_show(state)} (connected means {_show(expected)})"
        if "error" in detail:
            reason += f": {detail['error']}"
        if last_exchange is not None:
            reason += f"; last exchange {_age(detail['age_s'])} ago"
        error = {"error": detail["error"][:200]} if "error" in detail else {}
        return result(Status.DOWN, reason, "link_down", state=_plain(state), expected=_plain(expected), **error, **age)

    max_age = options.get("max_age_s")
    if max_age:
        if exchange is _MISSING or exchange is None:
            return result(Status.DEGRADED, f"link reported connected, but {exchange_path} is missing (freshness unknown)",
                          "link_no_exchange", path=exchange_path)
        if last_exchange is None:
            return result(Status.DEGRADED, f"link reported connected, but {exchange_path} is not a timestamp ({_show(exchange)})",
                          "link_no_exchange", path=exchange_path)
        if detail["age_s"] > max_age:
            return result(Status.DEGRADED, f"link reported connected, but the last exchange was {_age(detail['age_s'])} ago "
                                           f"(at {detail['last_exchange']}; more than {_age(max_age)} allowed)",
                          "link_stale", age=round(detail["age_s"]), max_age=max_age)
    outcomes = evaluate(conditions, Observation(status=status, response_time_ms=latency_ms, body=body, headers=headers))
    failed = [o for o in outcomes if not o.ok]
    if failed:
        worst = Status.DOWN if any(o.condition.severity == Status.DOWN for o in failed) else Status.DEGRADED
        _, params = conditions_cause(outcomes, status)
        return result(worst, "link connected, but " + "; ".join(o.describe() for o in failed), "condition_failed", **params)
    fresh = f", last exchange {_age(detail['age_s'])} ago" if last_exchange is not None else ""
    return result(Status.UP, f"link connected{fresh}", "link_ok", **age)


async def _fetch(target: Target, session: aiohttp.ClientSession, progress: list[str]) -> tuple[int, str, dict]:
    options = target.options
    max_bytes = int(options.get("max_bytes", DEFAULT_MAX_BYTES))
    verify = options.get("verify_tls", True)
    ssl_arg: Any = client_context(options.get("ca_bundle")) if verify else False
    async with session.get(target.target, headers=options.get("headers") or None, ssl=ssl_arg,
                           allow_redirects=False) as response:
        progress[0] = "reading the answer"
        chunks, size = [], 0
        while True:
            chunk = await response.content.read(65_536)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise ProbeFailure(f"cannot read the link state: answer larger than the {max_bytes:,}-byte cap",
                                   "body_cap", bytes=None, cap=max_bytes)
            chunks.append(chunk)
        body = b"".join(chunks).decode(response.charset or "utf-8", errors="replace")
        return response.status, body, dict(response.headers)


async def _reported(target: Target, session) -> CheckResult:
    started = time.monotonic()
    progress = ["waiting for the answer"]
    own = not isinstance(session, aiohttp.ClientSession)
    if own:
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True), cookie_jar=aiohttp.DummyCookieJar(),
            headers={"User-Agent": USER_AGENT}, timeout=aiohttp.ClientTimeout(total=None), trust_env=False)

    def failed(reason: str, cause: str | None, **params: Any) -> CheckResult:
        return CheckResult(target.endpoint_id, Status.DOWN, reason,
                           latency_ms=round((time.monotonic() - started) * 1000, 1), detail={"url": target.target},
                           cause=cause, params=params)

    try:
        async with asyncio.timeout(target.timeout_s):
            status, body, headers = await _fetch(target, session, progress)
    except TimeoutError:
        return failed(f"cannot read the link state: no complete answer within {target.timeout_s:g} s "
                      f"(timeout while {progress[0]})", "timeout",
                      phase="body" if progress[0] == "reading the answer" else "answer", seconds=target.timeout_s)
    except ProbeFailure as exc:
        return failed(str(exc), exc.cause, **exc.params)
    except aiohttp.ClientConnectorCertificateError as exc:
        error = exc.certificate_error
        if isinstance(error, ssl.SSLCertVerificationError):
            cause, params = classify_verification(error.verify_code, None, exc.host)
        else:
            cause, params = "tls_other", {"verify_code": None}
        return failed(f"cannot read the link state: TLS certificate not accepted: {short(exc.certificate_error)}",
                      cause, **params)
    except aiohttp.ClientSSLError as exc:
        return failed(f"cannot read the link state: TLS error: {short(exc)}", "tls_handshake",
                      host=getattr(exc, "host", None), port=getattr(exc, "port", None))
    except aiohttp.ClientConnectorDNSError as exc:
        return failed(f"cannot read the link state: name does not resolve: {exc.host}", "dns_nxdomain", name=exc.host)
    except aiohttp.ClientConnectorError as exc:
        if isinstance(exc.os_error, ConnectionRefusedError):
            return failed(f"cannot read the link state: connection refused ({exc.host}:{exc.port})", "conn_refused",
                          host=exc.host, port=exc.port)
        return failed(f"cannot read the link state: connection failed: {short(exc.os_error)}", "conn_failed",
                      host=exc.host, port=exc.port)
    except aiohttp.ServerDisconnectedError:
        return failed("cannot read the link state: the server closed the connection without an answer", "disconnected")
    except aiohttp.ClientResponseError as exc:
        return failed(f"cannot read the link state: not an HTTP answer ({short(exc.message)})", "not_http",
                      first_bytes=first_bytes(exc.message))
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        return failed(f"cannot read the link state: {type(exc).__name__}: {short(exc)}", "request_failed",
                      error=type(exc).__name__)
    finally:
        if own:
            await session.close()
    latency = (time.monotonic() - started) * 1000
    options = {**target.options, "url": target.target}
    return judge_report(target.endpoint_id, status, body, options, utcnow(), latency, target.conditions, headers)


async def _direct(target: Target, session) -> CheckResult:
    """Probe the national side itself, with the tcp or the http probe."""
    kind = "http" if target.target.startswith(("http://", "https://")) else "tcp"
    probe = get_probe(kind)
    delegated = Target(target.endpoint_id, kind, target.target, target.timeout_s, target.conditions, target.options)
    run_async = getattr(probe, "run_async", None)
    if run_async is not None:
        result = await run_async(delegated, session if kind == "http" else None)
    else:
        result = await asyncio.get_running_loop().run_in_executor(None, probe, delegated)
    result.reason = f"national side {'reachable' if result.verdict == Status.UP else 'check failed'}: {result.reason}"
    result.detail = {**(result.detail or {}), "via": kind}
    return result


async def probe_async(target: Target, session=None) -> CheckResult:
    if target.options.get("state_path"):
        return await _reported(target, session)
    return await _direct(target, session)


@register("connection", options=ConnectionOptions)
def probe(target: Target) -> CheckResult:
    return run_sync(probe_async, target)


probe.run_async = probe_async
