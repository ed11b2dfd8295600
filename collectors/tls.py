"""TLS probe: handshake with SNI, then judge the certificate — trusted chain (system CAs or the
endpoint's ca_bundle), hostname match, days left against a warning (degraded) and a critical
(down) threshold. The certificate's details go to detail["certificate"] for the drill-down,
also when verification fails: the certificate is then fetched once more without verification.
"""
from __future__ import annotations

import asyncio
import ipaddress
import ssl
import time
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import Field, model_validator

from collectors import register
from collectors._net import ProbeFailure, Progress, abort, client_context, connect, hostport, run_sync, short
from collectors.base import CheckResult, Status, Target
from collectors.options import CaBundle, Host, Port, ProbeOptions
from collectors.tcp import address_of
from collectors.timeutil import iso, utcnow

DEFAULT_PORT = 443
DEFAULT_WARNING_DAYS = 30.0
DEFAULT_CRITICAL_DAYS = 7.0



class TlsOptions(ProbeOptions):
    """The TLS handshake succeeds and the certificate is trusted, matches the name and is not
    about to expire: degraded under `warning_days` left, down under `critical_days`."""

    host: Host | None = Field(default=None, description="host name or IP address to connect to")
    port: Port = Field(default=DEFAULT_PORT, description="TCP port")
    server_name: str | None = Field(default=None, description="name sent in SNI and checked against the "
                                                             "certificate (default: host)")
    ca_bundle: CaBundle | None = Field(default=None, description="PEM file of the private CA that signed the certificate")
    warning_days: float = Field(default=DEFAULT_WARNING_DAYS, gt=0, le=3650,
                                description="degraded when fewer days than this are left")
    critical_days: float = Field(default=DEFAULT_CRITICAL_DAYS, ge=0, le=3650,
                                 description="down when this many days or fewer are left")

    @model_validator(mode="after")
    def _needs_host(self) -> TlsOptions:
        if not self.host:
            raise ValueError("a tls endpoint needs a host")
        if self.critical_days >= self.warning_days:
            raise ValueError(f"critical_days ({self.critical_days:g}) must be fewer than warning_days "
                             f"({self.warning_days:g}); defaults are {DEFAULT_CRITICAL_DAYS:g} and {DEFAULT_WARNING_DAYS:g}")
        return self

    def target(self) -> str:
        return hostport(self.host or "", self.port)


# OpenSSL verification codes (X509_V_ERR_*) and what they mean for an operator.
_EXPIRED, _NOT_YET_VALID = 10, 9
_HOSTNAME_MISMATCH, _IP_MISMATCH = 62, 64
_UNTRUSTED = {2, 18, 19, 20, 21, 27}
# SSL error reasons seen when the other side does not speak TLS at all.
_NOT_TLS = {"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER_FAILURE",
            "HTTP_REQUEST", "UNEXPECTED_EOF_WHILE_READING", "TLSV1_ALERT_PROTOCOL_VERSION"}


async def _handshake(host: str, port: int, server_name: str, context: ssl.SSLContext, progress: Progress) -> dict:
    """Connect and handshake; returns the DER certificate and session facts."""
    writer = None
    try:
        _, writer, address, connect_ms = await connect(host, port, progress)
        progress.phase = "TLS handshake"
        started = time.monotonic()
        await writer.start_tls(context, server_hostname=server_name)
        handshake_ms = (time.monotonic() - started) * 1000
        tls = writer.get_extra_info("ssl_object")
        cipher = tls.cipher()
        return {
            "der": tls.getpeercert(binary_form=True),
            "protocol": tls.version(),
            "cipher": cipher[0] if cipher else None,
            "address": address,
            "connect_ms": connect_ms,
            "handshake_ms": handshake_ms,
        }
    finally:
        abort(writer)


async def probe_async(target: Target, session=None) -> CheckResult:  # noqa: ARG001 - engine signature
    options = target.options
    host, port = address_of(target, DEFAULT_PORT)
    server_name = str(options.get("server_name") or host)
    warning_days = float(options.get("warning_days", DEFAULT_WARNING_DAYS))
    critical_days = float(options.get("critical_days", DEFAULT_CRITICAL_DAYS))
    where = hostport(host, port)
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + target.timeout_s
    progress = Progress()

    def result(verdict: Status, reason: str, latency_ms: float | None = None, cause: str | None = None,
               params: dict | None = None, **detail: Any) -> CheckResult:
        latency = latency_ms if latency_ms is not None else (time.monotonic() - started) * 1000
        return CheckResult(target.endpoint_id, verdict, reason, latency_ms=round(latency, 1),
                           detail={"host": host, "port": port, "server_name": server_name, **detail},
                           cause=cause, params=params or {})

    try:
        context = client_context(options.get("ca_bundle"))
        async with asyncio.timeout_at(deadline):
            session_facts = await _handshake(host, port, server_name, context, progress)
    except TimeoutError:
        seconds = {"seconds": target.timeout_s, "host": host, "port": port}
        if progress.phase == "resolving the name":
            return result(Status.DOWN, f"no DNS answer for {host} within {target.timeout_s:g} s",
                          cause="timeout", params={"phase": "dns", **seconds})
        if progress.phase == "connecting":
            return result(Status.DOWN, f"no connection to {where} within {target.timeout_s:g} s (timeout)",
                          cause="timeout", params={"phase": "connect", **seconds})
        return result(Status.DOWN, f"no TLS handshake with {where} within {target.timeout_s:g} s "
                                   "(the service accepted the connection but never answered TLS)",
                      cause="timeout", params={"phase": "tls", **seconds})
    except ProbeFailure as exc:
        return result(Status.DOWN, str(exc), cause=exc.cause, params=exc.params)
    except ssl.SSLCertVerificationError as exc:
        return await _unverified(target, exc, host, port, server_name, deadline, result)
    except ssl.SSLError as exc:
        reason = getattr(exc, "reason", None) or ""
        cause, params = classify_ssl_error(exc, host, port)
        if cause == "tls_not_tls":
            return result(Status.DOWN, f"{where} does not speak TLS ({reason or short(exc)}): "
                                       "is it plain HTTP or another protocol?", cause=cause, params=params)
        return result(Status.DOWN, f"TLS handshake with {where} failed: {reason or short(exc)}", cause=cause, params=params)
    except (ConnectionError, asyncio.IncompleteReadError, EOFError) as exc:
        return result(Status.DOWN, f"{where} closed the connection during the TLS handshake "
                                   f"(not a TLS service?): {short(exc) or type(exc).__name__}",
                      cause="tls_not_tls", params={"host": host, "port": port})
    except OSError as exc:
        return result(Status.DOWN, f"TLS check of {where} failed: {exc.strerror or short(exc)}",
                      cause="conn_failed", params={"host": host, "port": port})

    now = utcnow()
    cert = certificate_details(session_facts["der"], now)
    cert.update(protocol=session_facts["protocol"], cipher=session_facts["cipher"], verified=True,
                verify_error=None, hostname_match=True)
    latency = session_facts["connect_ms"] + session_facts["handshake_ms"]
    days = cert["days_left"]
    until = cert["not_after"][:10]
    params = {"date": until, "days": round(days, 1)}
    if days <= critical_days:
        verdict, reason = Status.DOWN, (f"certificate expires in {_days(days)} (on {until}): "
                                        f"at or under the critical threshold of {critical_days:g} days")
        cause, params = "tls_expiring", {**params, "threshold": critical_days}
    elif days <= warning_days:
        verdict, reason = Status.DEGRADED, (f"certificate expires in {_days(days)} (on {until}): "
                                            f"under the warning threshold of {warning_days:g} days")
        cause, params = "tls_expiring", {**params, "threshold": warning_days}
    else:
        verdict, reason = Status.UP, (f"certificate valid {_days(days)} more (until {until}), trusted, "
                                      f"matches {server_name}; {session_facts['protocol']}")
        cause, params = "tls_ok", {**params, "name": server_name, "protocol": session_facts["protocol"]}
    return result(verdict, reason, latency_ms=latency, cause=cause, params=params, address=session_facts["address"],
                  certificate=cert)


def classify_ssl_error(exc: ssl.SSLError, host: str, port: int | None) -> tuple[str, dict[str, Any]]:
    """A TLS failure other than verification: the other side does not speak TLS, or the
    handshake failed (OpenSSL's reason kept as a code, e.g. for the technician)."""
    reason = getattr(exc, "reason", None) or ""
    if reason in _NOT_TLS or isinstance(exc, ssl.SSLEOFError):
        return "tls_not_tls", {"host": host, "port": port}
    return "tls_handshake", {"host": host, "port": port, "reason_code": reason or None}


async def _unverified(target, error: ssl.SSLCertVerificationError, host, port, server_name, deadline, result) -> CheckResult:
    """Verification failed: say why, and fetch the certificate unverified for its details."""
    cause, params, cert = await explain_verify_error(error, host, port, server_name, deadline)
    message = error.verify_message or error.reason or str(error)
    code = error.verify_code
    problems = []
    if code == _EXPIRED:
        problems.append(_expired(cert) if cert else f"certificate expired ({message})")
    elif code == _NOT_YET_VALID:
        problems.append(f"certificate not valid yet (valid from {cert['not_before']})" if cert else f"certificate not valid yet ({message})")
    elif code in (_HOSTNAME_MISMATCH, _IP_MISMATCH):
        names = ", ".join(cert["sans"] or [cert["subject"]]) if cert else "another name"
        problems.append(f"certificate is for {names}, not {server_name} (hostname mismatch)")
    elif code in _UNTRUSTED:
        issuer = f" (issuer {cert['issuer']})" if cert else ""
        problems.append(f"certificate not trusted: {message}{issuer}; set ca_bundle for a private CA")
    else:
        problems.append(f"certificate verification failed: {message}")
    # OpenSSL stops at the first problem; name the others we can see ourselves.
    if cert is not None:
        if code != _EXPIRED and cert["days_left"] < 0:
            problems.append(_expired(cert))
        if code not in (_HOSTNAME_MISMATCH, _IP_MISMATCH) and not cert["hostname_match"]:
            problems.append(f"certificate is for {', '.join(cert['sans'] or [cert['subject']])}, not {server_name}")
    detail = {"certificate": cert, "verify_error": message}
    return result(Status.DOWN, "; also ".join(problems), cause=cause, params=params, **detail)


async def explain_verify_error(error: ssl.SSLCertVerificationError, host: str, port: int, server_name: str | None,
                               deadline: float | None = None) -> tuple[str, dict[str, Any], dict | None]:
    """(cause, params, certificate details or None) of a failed verification, classified from the
    verify code and the certificate itself (fetched once more without verification, within
    `deadline` of the running loop): never OpenSSL's own words."""
    cert = facts = None
    try:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout_at(deadline if deadline is not None else loop.time() + 5.0):
            facts = await _handshake(host, port, server_name, client_context(verify=False), Progress())
        cert = certificate_details(facts["der"], utcnow())
    except Exception:  # noqa: BLE001 - the details are a bonus; the verdict stands without them
        pass
    wanted = server_name or host
    if cert is not None:
        cert.update(protocol=facts["protocol"], cipher=facts["cipher"], verified=False,
                    verify_error=error.verify_message or error.reason or str(error),
                    hostname_match=hostname_matches(wanted, cert))
    cause, params = classify_verification(error.verify_code, cert, wanted)
    return cause, params, cert


def classify_verification(verify_code: int | None, cert: dict | None, server_name: str) -> tuple[str, dict[str, Any]]:
    """The cause of a failed certificate verification (pure: tests call it directly). The
    certificate's own dates and names come first: an expired certificate is called expired
    even when OpenSSL stopped at an untrusted issuer."""
    if verify_code == _EXPIRED or (cert is not None and cert["days_left"] < 0):
        if cert is None:
            return "tls_expired", {"date": None, "days": None}
        return "tls_expired", {"date": cert["not_after"][:10], "days": max(0, int(-cert["days_left"]))}
    if verify_code == _NOT_YET_VALID:
        return "tls_not_yet_valid", {"date": cert["not_before"][:10] if cert else None}
    if verify_code in (_HOSTNAME_MISMATCH, _IP_MISMATCH) or (cert is not None and cert.get("hostname_match") is False):
        names = (cert["sans"] or [cert.get("common_name") or cert["subject"]]) if cert else []
        return "tls_hostname", {"expected": server_name, "names": names[:5]}
    if verify_code in _UNTRUSTED:
        issuer = (_issuer_name(cert) if cert else None)
        return "tls_untrusted", {"issuer": issuer, "self_signed": bool(cert and cert["self_signed"])}
    return "tls_other", {"verify_code": verify_code}


def _issuer_name(cert: dict) -> str:
    """The issuer's common name when it has one (what people call a CA), else its full name."""
    for part in cert["issuer"].split(","):
        if part.startswith("CN="):
            return part[3:]
    return cert["issuer"]


def _expired(cert: dict) -> str:
    return f"certificate expired on {cert['not_after'][:10]} ({_days(-cert['days_left'])} ago)"


def _days(days: float) -> str:
    if abs(days) < 1:
        hours = abs(days) * 24
        return f"{hours:.1f} hours"
    return f"{days:.0f} days" if abs(days) >= 10 else f"{days:.1f} days"


def certificate_details(der: bytes, now: datetime) -> dict[str, Any]:
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans = [*san.get_values_for_type(x509.DNSName), *(str(a) for a in san.get_values_for_type(x509.IPAddress))]
    except x509.ExtensionNotFound:
        sans = []
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        key_text = f"RSA {key.key_size}"
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key_text = f"EC {key.curve.name}"
    else:
        key_text = type(key).__name__.removeprefix("_")
    not_after = cert.not_valid_after_utc
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "common_name": _common_name(cert.subject),
        "sans": sans,
        "serial": format(cert.serial_number, "X"),
        "not_before": iso(cert.not_valid_before_utc),
        "not_after": iso(not_after),
        "days_left": round((not_after - now).total_seconds() / 86400, 2),
        "self_signed": cert.subject == cert.issuer,
        "key": key_text,
        "signature_algorithm": cert.signature_hash_algorithm.name if cert.signature_hash_algorithm else None,
        "sha256_fingerprint": cert.fingerprint(hashes.SHA256()).hex(),
    }


def _common_name(name: x509.Name) -> str | None:
    values = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(values[0].value) if values else None


def hostname_matches(server_name: str, cert: dict) -> bool:
    """RFC 6125 in short: SAN entries only (CN only without SANs), '*' as a whole leftmost label."""
    names = cert["sans"] or ([cert["common_name"]] if cert.get("common_name") else [])
    try:
        wanted_ip = ipaddress.ip_address(server_name)
    except ValueError:
        wanted_ip = None
    for name in names:
        if wanted_ip is not None:
            try:
                if ipaddress.ip_address(name) == wanted_ip:
                    return True
            except ValueError:
                continue
            continue
        name, host = name.lower().rstrip("."), server_name.lower().rstrip(".")
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
            return True
    return False


@register("tls", options=TlsOptions)
def probe(target: Target) -> CheckResult:
    return run_sync(probe_async, target)


probe.run_async = probe_async
