"""Every probe kind gives a cause code with its parameters, against real servers on loopback:
what pages render in the reader's language. TLS failures are classified from the certificate
and the verify code: no OpenSSL text ever reaches a cause's parameters."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from http_targets import HttpTargets, RawServer, refused_port
from probe_targets import JsonServer, PlainTextServer, SilentServer, TlsServer, closed_port

from collectors import get_probe
from collectors.base import Status, Target
from collectors.conditions import parse
from collectors.timeutil import iso, utcnow
from dashboard.demo.certs import make_ca, make_server_cert
from dashboard.domain.causes import CODES, full_cause, short_cause

http, tcp, tls, dns, connection = (get_probe(k) for k in ("http", "tcp", "tls", "dns", "connection"))
STANDARD = ("[STATUS] == 200", "[BODY].status == UP")


def target(kind: str, text: str, *conditions, timeout: float = 2.0, **options) -> Target:
    return Target("sys.ep", kind, text, timeout, tuple(parse(c) for c in conditions), options)


def no_openssl_words(result) -> None:
    text = json.dumps(result.params)
    assert "SSL" not in text and "_ssl.c" not in text and "verify failed" not in text, text
    assert result.cause in CODES


@pytest.fixture(scope="module")
def web():
    server = HttpTargets().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    authority = make_ca()
    bundle, _ = authority.write(tmp_path_factory.mktemp("ca"), "ca")
    return authority, str(bundle)


# ------------------------------------------------------------------------------------ http


def test_http_ok_and_failed_conditions(web):
    ok = http(target("http", web.url + "/ok", *STANDARD))
    assert (ok.cause, ok.params) == ("ok", {"status": 200, "conditions": 2})
    failing = http(target("http", web.url + "/503", *STANDARD))
    assert failing.cause == "condition_failed"
    assert failing.params["condition"] == "[STATUS] == 200" and failing.params["observed"] == 503
    assert short_cause(failing.cause, failing.params, "vi") == "HTTP 503"
    down = http(target("http", web.url + "/down", *STANDARD))
    assert (down.params["condition"], down.params["observed"]) == ("[BODY].status == UP", "DOWN")
    assert full_cause(down.cause, down.params, "vi") == "Trường status trong nội dung phải là UP — nhận được DOWN"
    not_json = http(target("http", web.url + "/notjson", "[BODY].status == UP"))
    assert not_json.params["state"] == "not_json"


def test_http_refused_names_the_address():
    port = refused_port()
    result = http(target("http", f"http://127.0.0.1:{port}/health"))
    assert (result.cause, result.params) == ("conn_refused", {"host": "127.0.0.1", "port": port})
    assert f"127.0.0.1:{port} từ chối kết nối" in full_cause(result.cause, result.params, "vi")


def test_http_non_http_service_gives_its_first_bytes():
    server = RawServer(greeting=b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
    try:
        result = http(target("http", f"http://127.0.0.1:{server.port}/"))
    finally:
        server.stop()
    assert result.cause == "not_http" and result.params["first_bytes"].startswith("SSH-2.0-OpenSSH_9.2p1")
    assert "Expected HTTP" not in full_cause(result.cause, result.params, "en")


def test_http_timeouts_say_the_phase_and_the_seconds(web):
    server = RawServer()
    try:
        hung = http(target("http", f"http://127.0.0.1:{server.port}/", timeout=0.8))
    finally:
        server.stop()
    assert (hung.cause, hung.params) == ("timeout", {"phase": "answer", "seconds": 0.8})
    drip = http(target("http", web.url + "/drip", timeout=1.0))
    assert (drip.cause, drip.params["phase"]) == ("timeout", "body")
    assert short_cause(drip.cause, drip.params, "vi") == "Quá thời gian chờ 1 s"


def test_http_redirects_body_cap_and_unresolvable(web):
    loop = http(target("http", web.url + "/loop", max_redirects=3))
    assert loop.cause == "redirects" and loop.params["count"] >= 3 and "/loop" in loop.params["last_url"]
    huge = http(target("http", web.url + "/huge-declared", max_bytes=100_000))
    assert (huge.cause, huge.params) == ("body_cap", {"bytes": 50_000_000, "cap": 100_000})
    unknown = http(target("http", "http://no-such-host.invalid/health", timeout=3.0))
    assert (unknown.cause, unknown.params) == ("dns_nxdomain", {"name": "no-such-host.invalid"})


def test_https_expired_certificate_is_classified_from_the_certificate(ca):
    authority, bundle = ca
    now = utcnow()
    expired = make_server_cert(["localhost", "127.0.0.1"], authority, not_before=now - timedelta(days=100),
                               not_after=now - timedelta(days=3))
    server = TlsServer(expired).start()
    try:
        result = http(target("http", f"https://127.0.0.1:{server.port}/health", ca_bundle=bundle))
    finally:
        server.stop()
    assert result.verdict == Status.DOWN and "CERTIFICATE_VERIFY_FAILED" in result.reason  # the raw words, for technicians
    assert result.cause == "tls_expired"
    assert result.params == {"date": iso(now - timedelta(days=3))[:10], "days": 3}
    assert result.detail["certificate"]["days_left"] < 0  # shown on the endpoint page
    no_openssl_words(result)


def test_https_self_signed_is_untrusted_with_its_issuer():
    server = TlsServer(make_server_cert(["localhost", "127.0.0.1"])).start()
    try:
        result = http(target("http", f"https://127.0.0.1:{server.port}/health"))
    finally:
        server.stop()
    assert result.cause == "tls_untrusted" and result.params["self_signed"] is True and result.params["issuer"]
    no_openssl_words(result)


# ------------------------------------------------------------------------------------ tcp, dns


def test_tcp_ok_refused_and_timeout():
    server = SilentServer().start()
    try:
        ok = tcp(target("tcp", f"127.0.0.1:{server.port}", host="127.0.0.1", port=server.port))
    finally:
        server.stop()
    assert ok.cause == "tcp_ok" and ok.params["port"] == server.port
    port = closed_port()
    refused = tcp(target("tcp", f"127.0.0.1:{port}", host="127.0.0.1", port=port))
    assert (refused.cause, refused.params["host"], refused.params["port"]) == ("conn_refused", "127.0.0.1", port)


def test_dns_codes():
    missing = dns(target("dns", "localhost", expected_addresses=["127.0.0.1", "10.20.30.40"]))
    assert missing.cause == "dns_mismatch" and missing.params["missing"] == ["10.20.30.40"]
    unknown = dns(target("dns", "khong-ton-tai.invalid"))
    assert (unknown.cause, unknown.params) == ("dns_nxdomain", {"name": "khong-ton-tai.invalid"})
    ok = dns(target("dns", "localhost"))
    assert ok.cause == "dns_ok" and "127.0.0.1" in ok.params["addresses"]


# ------------------------------------------------------------------------------------ tls


def tls_check(issued, bundle: str | None, **options):
    server = TlsServer(issued).start()
    try:
        opts = {"host": "127.0.0.1", "port": server.port, "server_name": "localhost", **options}
        if bundle:
            opts["ca_bundle"] = bundle
        return tls(target("tls", f"127.0.0.1:{server.port}", timeout=3.0, **opts))
    finally:
        server.stop()


def test_tls_codes_from_the_certificate(ca):
    authority, bundle = ca
    now = utcnow()
    ok = tls_check(make_server_cert(["localhost"], authority), bundle)
    assert ok.cause == "tls_ok" and ok.params["date"] == ok.detail["certificate"]["not_after"][:10]
    expired = tls_check(make_server_cert(["localhost"], authority, not_before=now - timedelta(days=100),
                                         not_after=now - timedelta(days=3)), bundle)
    assert (expired.cause, expired.params["days"]) == ("tls_expired", 3)
    assert short_cause(expired.cause, expired.params, "vi") == \
        f"Chứng chỉ hết hạn {(now - timedelta(days=3)).strftime('%d/%m/%Y')}"
    wrong = tls_check(make_server_cert(["lgsp.quangngai.gov.vn"], authority), bundle)
    assert (wrong.cause, wrong.params) == ("tls_hostname", {"expected": "localhost", "names": ["lgsp.quangngai.gov.vn"]})
    other = tls_check(make_server_cert(["localhost"], make_ca("Some Other CA")), bundle)
    assert (other.cause, other.params) == ("tls_untrusted", {"issuer": "Some Other CA", "self_signed": False})
    soon = tls_check(make_server_cert(["localhost"], authority, not_after=now + timedelta(days=20, minutes=5)), bundle)
    assert soon.verdict == Status.DEGRADED and soon.cause == "tls_expiring" and soon.params["threshold"] == 30
    for result in (ok, expired, wrong, other, soon):
        no_openssl_words(result)


def test_tls_against_plain_and_silent_services():
    plain = PlainTextServer().start()
    silent = SilentServer().start()
    try:
        not_tls = tls(target("tls", f"127.0.0.1:{plain.port}"))
        hung = tls(target("tls", f"127.0.0.1:{silent.port}", timeout=0.8))
    finally:
        plain.stop()
        silent.stop()
    assert not_tls.cause == "tls_not_tls"
    assert (hung.cause, hung.params["phase"]) == ("timeout", "tls")


# ------------------------------------------------------------------------------------ connection


@pytest.fixture(scope="module")
def links():
    server = JsonServer().start()
    yield server
    server.stop()


def report(url: str, **options) -> Target:
    return target("connection", url, url=url, state_path="links.ndxp.state", max_age_s=300, **options)


def test_connection_codes(links):
    links.set({"links": {"ndxp": {"state": "disconnected", "last_exchange": iso(utcnow() - timedelta(seconds=200)),
                                  "error": "SSL handshake timed out"}}})
    down = connection(report(links.url + "/links"))
    assert down.cause == "link_down" and down.params["state"] == "disconnected" and down.params["expected"] == "connected"
    assert short_cause(down.cause, down.params, "vi") == "Mất kết nối (disconnected)"
    links.set({"links": {"ndxp": {"state": "connected", "last_exchange": iso(utcnow() - timedelta(seconds=900))}}})
    stale = connection(report(links.url + "/links"))
    assert stale.cause == "link_stale" and stale.params["max_age"] == 300
    links.set({"status": "DOWN"}, 503)
    unreadable = connection(report(links.url + "/links"))
    assert (unreadable.cause, unreadable.params) == ("link_report_http", {"status": 503})
    port = closed_port()
    refused = connection(report(f"http://127.0.0.1:{port}/links"))
    assert refused.cause == "conn_refused" and refused.params["port"] == port
