"""The http probe against real misbehaving servers on loopback: every failure mode reaches the
right verdict and a plain reason within its deadline."""
from __future__ import annotations

import asyncio
import subprocess

import pytest
from http_targets import HttpTargets, RawServer, refused_port, timed

from collectors import get_probe
from collectors.base import Target
from collectors.conditions import parse
from dashboard.store.models import Status

probe = get_probe("http")
STANDARD = ("[STATUS] == 200", "[BODY].status == UP")


def target(url: str, *conditions, timeout: float = 2.0, **options) -> Target:
    parsed = tuple(parse(c) if isinstance(c, str) else parse(*c) for c in conditions)
    return Target("sys.ep", "http", url, timeout, parsed, options)


@pytest.fixture(scope="module")
def web():
    server = HttpTargets().start()
    yield server
    server.stop()


def test_up_with_nested_json_header_and_keyword(web):
    result, elapsed = timed(probe, target(
        web.url + "/ok", *STANDARD, "[BODY].gateway.faults_last_hour < 100", "[BODY].gateway.apis.0.name == a",
        "[HEADER].x-version == 4.2.0", '[BODY] contains "UP"', '[BODY] !contains "ERROR"', "[RESPONSE_TIME] < 1500",
    ))
    assert result.verdict == Status.UP, result.reason
    assert result.http_code == 200 and result.reason.startswith("HTTP 200")
    assert result.latency_ms is not None and elapsed < 1.5


@pytest.mark.parametrize("path, code", [("/500", 500), ("/503", 503)])
def test_server_errors_are_down_with_the_code(web, path, code):
    result = probe(target(web.url + path, *STANDARD))
    assert result.verdict == Status.DOWN
    assert result.http_code == code
    assert f"[STATUS] == 200 — observed {code}" in result.reason


def test_default_condition_is_status_below_400(web):
    assert probe(target(web.url + "/ok")).verdict == Status.UP
    result = probe(target(web.url + "/500"))
    assert result.verdict == Status.DOWN and "observed 500" in result.reason


def test_json_body_saying_down(web):
    result = probe(target(web.url + "/down", *STANDARD))
    assert result.verdict == Status.DOWN
    assert result.reason == '[BODY].status == UP — observed "DOWN"'


def test_soft_condition_makes_degraded_with_observed_value(web):
    result = probe(target(web.url + "/down", "[STATUS] == 200", ("[BODY].gateway.faults_last_hour < 500", "degraded")))
    assert result.verdict == Status.DEGRADED
    assert result.reason == "[BODY].gateway.faults_last_hour < 500 — observed 900"


def test_slow_answer_is_degraded_by_response_time(web):
    result = probe(target(web.url + "/slow", "[STATUS] == 200", ("[RESPONSE_TIME] < 300", "degraded")))
    assert result.verdict == Status.DEGRADED
    assert result.reason.startswith("[RESPONSE_TIME] < 300 — observed ")


def test_invalid_json(web):
    result = probe(target(web.url + "/notjson", *STANDARD))
    assert result.verdict == Status.DOWN
    assert result.reason == "[BODY].status == UP — observed a body that is not valid JSON"


def test_keyword_missing_and_header_missing(web):
    result = probe(target(web.url + "/ok", '[BODY] contains "maintenance-ok"', "[HEADER].x-missing == 1"))
    assert result.verdict == Status.DOWN
    assert '[BODY] contains "maintenance-ok" — observed' in result.reason
    assert "[HEADER].x-missing == 1 — observed missing" in result.reason


def test_keyword_that_must_be_absent(web):
    result = probe(target(web.url + "/notjson", '[BODY] !contains "Unavailable"'))
    assert result.verdict == Status.DOWN and "!contains" in result.reason


def test_redirect_followed_and_redirect_loop(web):
    ok = probe(target(web.url + "/hop", *STANDARD))
    assert ok.verdict == Status.UP and ok.detail["redirects"] == 1
    loop, elapsed = timed(probe, target(web.url + "/loop", max_redirects=3))
    assert loop.verdict == Status.DOWN
    assert loop.reason == "more than 3 redirects (redirect loop?)"
    assert elapsed < 2


def test_redirects_off_judges_the_3xx(web):
    result = probe(target(web.url + "/hop", "[STATUS] == 200", max_redirects=0))
    assert result.verdict == Status.DOWN and result.http_code == 302
    assert result.reason == "[STATUS] == 200 — observed 302"


def test_huge_body_hits_the_cap(web):
    result, elapsed = timed(probe, target(web.url + "/huge", max_bytes=100_000))
    assert result.verdict == Status.DOWN
    assert result.reason == "response body larger than the 100,000-byte cap (stopped reading)"
    assert elapsed < 2
    declared = probe(target(web.url + "/huge-declared", max_bytes=100_000))
    assert declared.reason == "response body of 50,000,000 bytes is larger than the 100,000-byte cap"


def test_dripping_body_ends_at_the_total_deadline(web):
    # one byte every 0.5 s: every socket read succeeds, only a total deadline stops it
    result, elapsed = timed(probe, target(web.url + "/drip", timeout=1.5))
    assert result.verdict == Status.DOWN
    assert result.reason == "no complete answer within 1.5 s (timeout while reading the body)"
    assert 1.4 < elapsed < 2.0


def test_dripping_headers_end_at_the_total_deadline(web):
    result, elapsed = timed(probe, target(web.url + "/drip-headers", timeout=1.5))
    assert result.verdict == Status.DOWN
    assert result.reason.startswith("no complete answer within 1.5 s (timeout")
    assert 1.4 < elapsed < 2.0


def test_server_that_accepts_and_never_answers():
    server = RawServer()
    try:
        result, elapsed = timed(probe, target(f"http://127.0.0.1:{server.port}/health", timeout=1.0))
    finally:
        server.stop()
    assert result.verdict == Status.DOWN
    assert result.reason == "no complete answer within 1 s (timeout while waiting for the answer)"
    assert 0.9 < elapsed < 1.5


def test_connection_refused():
    port = refused_port()
    result, elapsed = timed(probe, target(f"http://127.0.0.1:{port}/health"))
    assert result.verdict == Status.DOWN
    assert result.reason == f"connection refused (nothing listening on 127.0.0.1:{port})"
    assert elapsed < 1


def test_non_http_service():
    server = RawServer(greeting=b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
    try:
        result, elapsed = timed(probe, target(f"http://127.0.0.1:{server.port}/", timeout=2.0))
    finally:
        server.stop()
    assert result.verdict == Status.DOWN
    assert result.reason.startswith("not an HTTP answer"), result.reason
    assert elapsed < 2.5


def test_unresolvable_name():
    result, elapsed = timed(probe, target("http://no-such-host.invalid/health", timeout=3.0))
    assert result.verdict == Status.DOWN
    assert result.reason.startswith("name does not resolve: no-such-host.invalid"), result.reason
    assert elapsed < 3.5


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """An HTTPS server with a self-signed certificate for 127.0.0.1 (openssl CLI)."""
    import http.server
    import ssl
    import threading

    base = tmp_path_factory.mktemp("tls")
    cert, key = base / "cert.pem", base / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b'{"status": "UP"}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", cert
    server.shutdown()
    server.server_close()


def test_tls_verified_by_default_and_per_endpoint_ca_bundle(tls_server):
    url, cert = tls_server
    untrusted = probe(target(url + "/health", *STANDARD))
    assert untrusted.verdict == Status.DOWN
    assert untrusted.reason.startswith("TLS certificate not accepted"), untrusted.reason
    trusted = probe(target(url + "/health", *STANDARD, ca_bundle=str(cert)))
    assert trusted.verdict == Status.UP, trusted.reason
    unverified = probe(target(url + "/health", *STANDARD, verify_tls=False))
    assert unverified.verdict == Status.UP
    missing = probe(target(url + "/health", ca_bundle="/nonexistent/ca.pem"))
    assert missing.verdict == Status.DOWN and "CA bundle /nonexistent/ca.pem cannot be used" in missing.reason


def test_many_hanging_targets_do_not_delay_a_healthy_one(web):
    """Concurrency on one loop: 50 hanging checks and one healthy check end together at the deadline,
    and the healthy one is answered at once."""
    from collectors.http import new_session, probe_async

    server = RawServer()

    async def run():
        session = new_session()
        try:
            hanging = [probe_async(target(f"http://127.0.0.1:{server.port}/", timeout=1.0), session) for _ in range(50)]
            healthy = asyncio.ensure_future(probe_async(target(web.url + "/ok", *STANDARD), session))
            results = await asyncio.gather(*hanging)
            return results, await healthy
        finally:
            await session.close()

    try:
        (results, healthy), elapsed = timed(asyncio.run, run())
    finally:
        server.stop()
    assert all(r.verdict == Status.DOWN and "timeout" in r.reason for r in results)
    assert healthy.verdict == Status.UP and healthy.latency_ms < 500
    assert elapsed < 1.6


def test_certificate_expiration_is_supplied_for_https(tls_server):
    """[CERTIFICATE_EXPIRATION] used to be always 'observed missing': the probe never read the
    certificate. The test server's certificate is valid for two days."""
    url, cert = tls_server
    fine = probe(target(url + "/health", "[STATUS] == 200", "[CERTIFICATE_EXPIRATION] > 24h", ca_bundle=str(cert)))
    assert fine.verdict == Status.UP, fine.reason
    soon = probe(target(url + "/health", "[STATUS] == 200", ("[CERTIFICATE_EXPIRATION] > 72h", "degraded"),
                        verify_tls=False))  # read from the DER form: works without verification too
    assert soon.verdict == Status.DEGRADED and "[CERTIFICATE_EXPIRATION] > 72h" in soon.reason
    assert "missing" not in soon.reason, soon.reason
