"""SMTP probe: the province's mail system is a shared system too. Connects, reads the 220
greeting, optionally says EHLO and upgrades with STARTTLS, and judges the certificate; every
step runs under one deadline, so a server that drips its greeting is cut off like any other.

Conditions see the greeting's code as [STATUS], the greeting and EHLO lines as [BODY], the
time to the last answer as [RESPONSE_TIME], and, after STARTTLS, the hours the certificate has
left as [CERTIFICATE_EXPIRATION] (e.g. `[CERTIFICATE_EXPIRATION] > 14d`, severity degraded).
"""
from __future__ import annotations

import asyncio
import ssl
import time
from typing import Any

from pydantic import Field, model_validator

from collectors import register
from collectors._net import ProbeFailure, Progress, abort, client_context, connect, hostport, run_sync, short
from collectors.base import CheckResult, Status, Target
from collectors.conditions import Observation, evaluate, parse, verdict
from collectors.conditions import cause as conditions_cause
from collectors.options import CaBundle, ConditionItem, Host, Port, ProbeOptions
from collectors.timeutil import utcnow
from collectors.tls import certificate_details, classify_ssl_error, classify_verification

DEFAULT_PORT = 25
DEFAULT_EHLO_NAME = "ioc-monitor.localdomain"
MAX_LINE = 1_000  # RFC 5321 allows 512 octets per reply line; anything far longer is not SMTP
MAX_LINES = 100
_TIMEOUT_PHASES = {"resolving the name": "dns", "connecting": "connect", "waiting for the greeting": "greeting",
                   "waiting for the EHLO answer": "answer", "waiting for the STARTTLS answer": "answer",
                   "TLS handshake": "tls"}
_ALLOWED_PLACEHOLDERS = ("STATUS", "RESPONSE_TIME", "BODY", "CERTIFICATE_EXPIRATION")


class SmtpOptions(ProbeOptions):
    """The mail server greets with 220 within the deadline; with `starttls`, it offers STARTTLS
    after EHLO and the TLS upgrade succeeds with a trusted certificate matching `server_name`."""

    host: Host | None = Field(default=None, description="host name or IP address of the mail server (required)")
    port: Port = Field(default=DEFAULT_PORT, description="TCP port: 25 (MTA), 587 (submission)")
    ehlo: bool = Field(default=True, description="say EHLO after the greeting and require a 250 answer")
    ehlo_name: str = Field(default=DEFAULT_EHLO_NAME, min_length=1, max_length=255, pattern=r"^[A-Za-z0-9.\-\[\]:]+$",
                           description="the name given in EHLO")
    starttls: bool = Field(default=False, description="require STARTTLS and check the certificate (needs ehlo)")
    server_name: str | None = Field(default=None, description="name checked against the certificate (default: host)")
    verify_tls: bool = Field(default=True, description="verify the certificate after STARTTLS (false only for a lab)")
    ca_bundle: CaBundle | None = Field(default=None, description="PEM file of the private CA that signed the certificate")
    conditions: list[ConditionItem] = Field(
        default=[], description="conditions on [STATUS] (greeting code), [BODY] (greeting and EHLO lines), "
                                "[RESPONSE_TIME], [CERTIFICATE_EXPIRATION] (needs starttls)")

    @model_validator(mode="after")
    def _consistent(self) -> SmtpOptions:
        if not self.host:
            raise ValueError("an smtp endpoint needs a host")
        if self.starttls and not self.ehlo:
            raise ValueError("starttls needs ehlo: true (STARTTLS is offered in the EHLO answer)")
        for item in self.conditions:
            placeholder = parse(item.condition).placeholder
            if placeholder not in _ALLOWED_PLACEHOLDERS:
                raise ValueError(f"[{placeholder}] does not apply to an smtp endpoint; use "
                                 f"{', '.join(f'[{p}]' for p in _ALLOWED_PLACEHOLDERS)}")
            if placeholder == "CERTIFICATE_EXPIRATION" and not self.starttls:
                raise ValueError(f"{item.condition!r} needs starttls: true (without it there is no certificate)")
        return self

    def target(self) -> str:
        return hostport(self.host or "", self.port)

    def to_options(self) -> dict[str, Any]:
        options = super().to_options()
        options["conditions"] = [c.model_dump() for c in self.conditions]
        return options


class _Reply:
    def __init__(self, code: int, lines: list[str]):
        self.code = code
        self.lines = lines

    @property
    def text(self) -> str:
        return " / ".join(line for line in self.lines if line)


async def _read_reply(reader: asyncio.StreamReader, what: str) -> _Reply:
    """One SMTP reply: lines 'NNN-text' continued until 'NNN text'. `what` names the step and
    the server, for the reason."""
    lines: list[str] = []
    code = None
    while True:
        try:
            raw = await reader.readuntil(b"\n")  # bounded by the stream's 64 KiB limit
        except asyncio.LimitOverrunError:
            raw = b"x" * (MAX_LINE + 1)
        except asyncio.IncompleteReadError as exc:
            if not exc.partial and not lines:
                raise ProbeFailure(f"{what}: the server closed the connection without answering", "disconnected") from None
            raise ProbeFailure(f"{what}: the server closed the connection in the middle of a reply", "disconnected") from None
        if len(raw) > MAX_LINE:
            raise ProbeFailure(f"{what}: a reply line longer than {MAX_LINE} bytes (not an SMTP server?)", "not_smtp",
                               first_bytes=None)
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if len(line) < 3 or not line[:3].isdigit() or (len(line) > 3 and line[3] not in " -"):
            raise ProbeFailure(f"{what}: not an SMTP reply: {short(line, 120)!r}", "not_smtp", first_bytes=line[:40])
        if code is not None and int(line[:3]) != code:
            raise ProbeFailure(f"{what}: reply codes change inside one reply ({code}, then {line[:3]})", "not_smtp",
                               first_bytes=None)
        code = int(line[:3])
        lines.append(line[4:])
        if len(line) == 3 or line[3] == " ":
            return _Reply(code, lines)
        if len(lines) >= MAX_LINES:
            raise ProbeFailure(f"{what}: more than {MAX_LINES} reply lines (not an SMTP server?)", "not_smtp",
                               first_bytes=None)


async def _say(writer: asyncio.StreamWriter, command: str) -> None:
    writer.write(command.encode("ascii") + b"\r\n")
    await writer.drain()


async def probe_async(target: Target, session=None) -> CheckResult:  # noqa: ARG001 - engine signature
    # Validated when the catalog loaded; here only read, with the model's defaults.
    options = SmtpOptions.model_construct(**{k: v for k, v in target.options.items() if k in SmtpOptions.model_fields})
    host, port = options.host, options.port
    where = hostport(host, port)
    server_name = options.server_name or host
    started = time.monotonic()
    progress = Progress()
    facts: dict[str, Any] = {"host": host, "port": port}

    def result(status: Status, reason: str, cause: str | None, params: dict | None = None, **detail: Any) -> CheckResult:
        latency = (time.monotonic() - started) * 1000
        return CheckResult(target.endpoint_id, status, reason, latency_ms=round(latency, 1), detail={**facts, **detail},
                           cause=cause, params=params or {})

    writer = None
    certificate = None
    try:
        async with asyncio.timeout(target.timeout_s):
            reader, writer, address, _ = await connect(host, port, progress)
            facts["address"] = address
            progress.phase = "waiting for the greeting"
            greeting = await _read_reply(reader, f"{where}, greeting")
            facts.update(code=greeting.code, banner=short(greeting.text, 300))
            if greeting.code != 220:
                return result(Status.DOWN, f"{where} greeted with {greeting.code} instead of 220: "
                                           f"{short(greeting.text, 200)} (the server refuses mail service)",
                              "smtp_refused", {"step": "greeting", "code": greeting.code})
            body = [greeting.text]
            if options.ehlo:
                progress.phase = "waiting for the EHLO answer"
                await _say(writer, f"EHLO {options.ehlo_name}")
                answer = await _read_reply(reader, f"{where}, EHLO")
                if answer.code != 250:
                    return result(Status.DOWN, f"{where} refused EHLO with {answer.code}: {short(answer.text, 200)}",
                                  "smtp_refused", {"step": "ehlo", "code": answer.code})
                extensions = [line.split(" ", 1)[0].upper() for line in answer.lines[1:]]
                facts["extensions"] = extensions
                body.extend(answer.lines)
                if options.starttls:
                    if "STARTTLS" not in extensions:
                        return result(Status.DOWN, f"{where} does not offer STARTTLS (it offers: "
                                                   f"{', '.join(extensions) or 'no extension'})", "smtp_no_starttls")
                    progress.phase = "waiting for the STARTTLS answer"
                    await _say(writer, "STARTTLS")
                    ready = await _read_reply(reader, f"{where}, STARTTLS")
                    if ready.code != 220:
                        return result(Status.DOWN, f"{where} refused STARTTLS with {ready.code}: {short(ready.text, 200)}",
                                      "smtp_refused", {"step": "starttls", "code": ready.code})
                    progress.phase = "TLS handshake"
                    context = client_context(options.ca_bundle, verify=options.verify_tls)
                    await writer.start_tls(context, server_hostname=server_name)
                    tls = writer.get_extra_info("ssl_object")
                    certificate = certificate_details(tls.getpeercert(binary_form=True), utcnow())
                    certificate.update(protocol=tls.version(), verified=options.verify_tls)
                    facts["certificate"] = certificate
            elapsed_ms = (time.monotonic() - started) * 1000
            try:  # a polite goodbye; the verdict does not wait for its answer
                await _say(writer, "QUIT")
            except OSError:
                pass
    except TimeoutError:
        phase = _TIMEOUT_PHASES.get(progress.phase, "answer")
        timing = {"phase": phase, "seconds": target.timeout_s, "host": host, "port": port}
        if progress.phase in ("resolving the name", "connecting"):
            return result(Status.DOWN, f"no connection to {where} within {target.timeout_s:g} s (timeout while {progress.phase})",
                          "timeout", timing)
        return result(Status.DOWN, f"no complete answer from {where} within {target.timeout_s:g} s "
                                   f"(timeout while {progress.phase})", "timeout", timing)
    except ProbeFailure as exc:
        return result(Status.DOWN, str(exc), exc.cause, exc.params)
    except ssl.SSLCertVerificationError as exc:
        # the certificate is not read again here (the mail server is mid-conversation): the
        # verify code alone classifies it
        cause, params = classify_verification(exc.verify_code, None, server_name)
        return result(Status.DOWN, f"STARTTLS certificate of {where} not accepted: "
                                   f"{exc.verify_message or exc.reason or short(exc)}", cause, params)
    except ssl.SSLError as exc:
        cause, params = classify_ssl_error(exc, host, port)
        return result(Status.DOWN, f"STARTTLS handshake with {where} failed: {exc.reason or short(exc)}", cause, params)
    except (ConnectionError, EOFError) as exc:
        return result(Status.DOWN, f"{where} closed the connection while {progress.phase}: {short(exc) or type(exc).__name__}",
                      "disconnected")
    except OSError as exc:
        return result(Status.DOWN, f"SMTP check of {where} failed: {exc.strerror or short(exc)}", "conn_failed",
                      {"host": host, "port": port})
    finally:
        abort(writer)

    seen = Observation(status=greeting.code, response_time_ms=elapsed_ms, body="\n".join(body),
                       certificate_hours_left=certificate["days_left"] * 24 if certificate else None)
    conditions = target.conditions or tuple(parse(c["condition"], c.get("severity", "down"))
                                            for c in target.options.get("conditions", []))
    outcomes = evaluate(conditions, seen)
    status, reason = verdict(outcomes)
    steps = "220 greeting" + (", EHLO 250" if options.ehlo else "") + (", STARTTLS" if certificate else "")
    if certificate:
        steps += f", certificate valid {certificate['days_left']:.0f} more days"
    if status == Status.UP:
        reason = steps + ("" if not outcomes else "; all conditions met")
        cause, params = "smtp_ok", {"starttls": bool(certificate), **({"days": round(certificate["days_left"])} if certificate else {})}
    else:
        cause, params = conditions_cause(outcomes, greeting.code)
    return result(status, reason, cause, params, failed_conditions=[o.condition.text for o in outcomes if not o.ok])


@register("smtp", options=SmtpOptions)
def probe(target: Target) -> CheckResult:
    return run_sync(probe_async, target)


probe.run_async = probe_async
