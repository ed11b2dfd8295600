"""The smtp probe kind against real SMTP servers on loopback (aiosmtpd, plain and STARTTLS),
and against services that misbehave: a refused port, a silent server, a refusing greeting,
a server that is not SMTP. Its catalog keys are validated by its own options model."""
from __future__ import annotations

import socket
import ssl
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

import collectors
from collectors.base import Status, Target
from collectors.conditions import parse
from collectors.smtp import SmtpOptions
from collectors.timeutil import utcnow
from dashboard.catalog.loader import CatalogError, parse_catalog
from dashboard.demo.certs import make_ca, make_server_cert
from tests.catalogs import catalog_with
from tests.http_targets import RawServer, refused_port, timed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Sink:
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        return "250 OK"


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    ca = make_ca()
    bundle, _ = ca.write(tmp_path_factory.mktemp("smtp-ca"), "ca")
    return ca, str(bundle)


def _server(tmp_path, tls_cert=None, ident="Postfix (Quang Ngai mail)"):
    kwargs = {"ident": ident}
    if tls_cert is not None:
        cert, key = tls_cert.write(tmp_path, "mail")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        kwargs["tls_context"] = context
    controller = Controller(_Sink(), hostname="127.0.0.1", port=_free_port(), **kwargs)
    controller.start()
    return controller


@pytest.fixture()
def plain_server(tmp_path):
    controller = _server(tmp_path)
    yield controller
    controller.stop()


def check(port: int, timeout: float = 3.0, conditions=(), **options):
    probe = collectors.get_probe("smtp")
    target = Target("mail.smtp", "smtp", f"127.0.0.1:{port}", timeout, tuple(parse(c) for c in conditions),
                    {"host": "127.0.0.1", "port": port, **options})
    return timed(probe, target)


def test_smtp_is_a_registered_kind_with_its_options_model():
    assert "smtp" in collectors.kinds() and collectors.options_model("smtp") is SmtpOptions


def test_plain_server_greets_and_answers_ehlo(plain_server):
    result, elapsed = check(plain_server.port)
    assert result.verdict == Status.UP, result.reason
    assert result.reason == "220 greeting, EHLO 250"
    assert "Postfix (Quang Ngai mail)" in result.detail["banner"] and result.detail["code"] == 220
    assert "8BITMIME" in result.detail["extensions"] and elapsed < 2


def test_greeting_only_without_ehlo(plain_server):
    result, _ = check(plain_server.port, ehlo=False)
    assert result.verdict == Status.UP and result.reason == "220 greeting"


def test_starttls_with_a_trusted_certificate_reports_days_left(tmp_path, authority):
    ca, bundle = authority
    server = _server(tmp_path, make_server_cert(["localhost", "127.0.0.1"], ca))
    try:
        result, _ = check(server.port, starttls=True, ca_bundle=bundle, server_name="localhost",
                          conditions=["[CERTIFICATE_EXPIRATION] > 48h"])
    finally:
        server.stop()
    assert result.verdict == Status.UP, result.reason
    assert result.reason.startswith("220 greeting, EHLO 250, STARTTLS, certificate valid")
    days = result.detail["certificate"]["days_left"]
    assert 89 < days <= 90 and result.detail["certificate"]["protocol"].startswith("TLS")


def test_certificate_expiration_condition_fails_when_too_close(tmp_path, authority):
    ca, bundle = authority
    soon = make_server_cert(["localhost"], ca, not_after=utcnow() + timedelta(days=3))
    server = _server(tmp_path, soon)
    try:
        result, _ = check(server.port, starttls=True, ca_bundle=bundle, server_name="localhost",
                          conditions=["[CERTIFICATE_EXPIRATION] > 14d"])
    finally:
        server.stop()
    assert result.verdict == Status.DOWN
    assert "[CERTIFICATE_EXPIRATION] > 14d — observed" in result.reason


def test_starttls_with_an_untrusted_certificate_is_down_with_the_reason(tmp_path):
    server = _server(tmp_path, make_server_cert(["localhost"]))  # self-signed, not in any bundle
    try:
        result, _ = check(server.port, starttls=True, server_name="localhost")
    finally:
        server.stop()
    assert result.verdict == Status.DOWN
    assert "STARTTLS certificate of 127.0.0.1:" in result.reason and "self-signed" in result.reason, result.reason


def test_starttls_required_but_not_offered(plain_server):
    result, _ = check(plain_server.port, starttls=True)
    assert result.verdict == Status.DOWN
    assert f"127.0.0.1:{plain_server.port} does not offer STARTTLS" in result.reason


def test_refused_port_is_down_quickly():
    port = refused_port()
    result, elapsed = check(port)
    assert result.verdict == Status.DOWN and "connection refused" in result.reason and elapsed < 2


def test_silent_server_is_cut_off_at_the_deadline():
    server = RawServer()
    try:
        result, elapsed = check(server.port, timeout=1.0)
    finally:
        server.stop()
    assert result.verdict == Status.DOWN
    assert "within 1 s (timeout while waiting for the greeting)" in result.reason and elapsed < 1.8


def test_dripping_greeting_is_cut_off_at_the_deadline():
    server = RawServer(b"220-mail.example ESMTP\r\n")  # a continued reply that never ends
    try:
        result, elapsed = check(server.port, timeout=1.0)
    finally:
        server.stop()
    assert result.verdict == Status.DOWN and "timeout while waiting for the greeting" in result.reason and elapsed < 1.8


def test_refusing_greeting_is_down_with_the_server_text():
    server = RawServer(b"554 5.3.2 mail.example no service here\r\n")
    try:
        result, _ = check(server.port)
    finally:
        server.stop()
    assert result.verdict == Status.DOWN
    assert "greeted with 554 instead of 220: 5.3.2 mail.example no service here" in result.reason


def test_a_service_that_is_not_smtp():
    server = RawServer(b"SSH-2.0-OpenSSH_9.6\r\n")
    try:
        result, _ = check(server.port)
    finally:
        server.stop()
    assert result.verdict == Status.DOWN and "greeting: not an SMTP reply: 'SSH-2.0-OpenSSH_9.6'" in result.reason


def test_an_endless_line_is_refused_without_buffering_it():
    server = RawServer(b"220 " + b"x" * 200_000)
    try:
        result, _ = check(server.port)
    finally:
        server.stop()
    assert result.verdict == Status.DOWN and "reply line longer than 1000 bytes" in result.reason


def test_body_and_status_conditions_read_the_greeting(plain_server):
    result, _ = check(plain_server.port, conditions=['[BODY] contains "Postfix"', "[STATUS] == 220"])
    assert result.verdict == Status.UP and result.reason.endswith("all conditions met")
    result, _ = check(plain_server.port, conditions=['[BODY] contains "Exchange"'])
    assert result.verdict == Status.DOWN and "[BODY] contains \"Exchange\"" in result.reason


# ------------------------------------------------------------------ catalog keys


def _catalog(**endpoint):
    return parse_catalog(catalog_with([{"id": "mx", "kind": "smtp", **endpoint}]), "mail.yaml", {})


def _problems(**endpoint) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        _catalog(**endpoint)
    return caught.value.problems


def test_catalog_endpoint_loads_into_probe_options(authority):
    _, bundle = authority
    spec = _catalog(host="mail.quangngai.gov.vn", port=587, starttls=True, ca_bundle=bundle,
                    conditions=[{"condition": "[CERTIFICATE_EXPIRATION] > 14d", "severity": "degraded"}])
    endpoint = spec.spec.systems[0].endpoints[0]
    assert endpoint.target() == "mail.quangngai.gov.vn:587"
    options = endpoint.probe_options()
    assert (options["host"], options["port"], options["starttls"], options["ehlo"]) == ("mail.quangngai.gov.vn", 587, True, True)
    assert options["conditions"] == [{"condition": "[CERTIFICATE_EXPIRATION] > 14d", "severity": "degraded"}]
    assert _catalog(host="mx.example").spec.systems[0].endpoints[0].probe_options()["port"] == 25


@pytest.mark.parametrize("endpoint, expected", [
    ({}, "mail.yaml:14: systems[0].endpoints[0]: an smtp endpoint needs a host"),
    ({"host": "mail example"}, "systems[0].endpoints[0].host: 'mail example' is not a host name"),
    ({"host": "mx", "port": 70000}, "systems[0].endpoints[0].port: Input should be less than or equal to 65535"),
    ({"host": "mx", "starttls": True, "ehlo": False}, "starttls needs ehlo: true"),
    ({"host": "mx", "conditions": ["[CERTIFICATE_EXPIRATION] > 48h"]}, "needs starttls: true"),
    ({"host": "mx", "conditions": ["[HEADER].x == 1"]}, "[HEADER] does not apply to an smtp endpoint"),
    ({"host": "mx", "ca_bundle": "/nonexistent/ca.pem"}, "CA bundle file '/nonexistent/ca.pem' does not exist"),
    ({"host": "mx", "url": "http://mx/"}, "url does not apply to an smtp endpoint (it is for connection, http endpoints)"),
    ({"host": "mx", "ehlo_name": "bad name"}, "systems[0].endpoints[0].ehlo_name: String should match pattern"),
])
def test_catalog_mistakes_are_reported_with_line_and_path(endpoint, expected):
    problems = _problems(**endpoint)
    assert any(expected in p for p in problems), problems
