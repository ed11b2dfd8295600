"""tcp, tls, dns and connection probes against real servers on loopback: each failure mode
reaches the right verdict and a plain reason within its deadline."""
from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from probe_targets import FullBacklog, JsonServer, PlainTextServer, SilentServer, TlsServer, closed_port, timed

from collectors import get_probe
from collectors.base import Target
from collectors.conditions import parse
from collectors.timeutil import iso, utcnow
from dashboard.demo.certs import make_ca, make_server_cert
from dashboard.store.models import Status

tcp, tls, dns, connection = (get_probe(k) for k in ("tcp", "tls", "dns", "connection"))


def target(kind: str, text: str, timeout: float = 2.0, conditions=(), **options) -> Target:
    return Target("sys.ep", kind, text, timeout, tuple(parse(c) for c in conditions), options)


# ------------------------------------------------------------------------------------ tcp


def test_tcp_up_with_connect_latency():
    server = SilentServer().start()
    try:
        result, elapsed = timed(tcp, target("tcp", f"127.0.0.1:{server.port}"))
    finally:
        server.stop()
    assert result.verdict == Status.UP, result.reason
    assert result.reason.startswith(f"connected to 127.0.0.1:{server.port} in ")
    assert result.latency_ms is not None and result.latency_ms < 1000
    assert elapsed < 1.0  # an accept-and-never-answer service is up at once for tcp


def test_tcp_refused_on_closed_port():
    port = closed_port()
    result, elapsed = timed(tcp, target("tcp", f"127.0.0.1:{port}"))
    assert result.verdict == Status.DOWN
    assert result.reason == f"connection refused by 127.0.0.1:{port} (nothing listening on that port)"
    assert elapsed < 1.0


def test_tcp_bound_but_not_listening_is_refused():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        result = tcp(target("tcp", "", host="127.0.0.1", port=port))
    assert result.verdict == Status.DOWN and "connection refused" in result.reason


def test_tcp_connect_timeout_at_the_deadline():
    backlog = FullBacklog()
    try:
        result, elapsed = timed(tcp, target("tcp", f"127.0.0.1:{backlog.port}", timeout=0.8))
    finally:
        backlog.stop()
    assert result.verdict == Status.DOWN
    assert result.reason.startswith(f"no connection to 127.0.0.1:{backlog.port} within 0.8 s (timeout")
    assert 0.7 < elapsed < 1.5


def test_tcp_unresolvable_name():
    result, elapsed = timed(tcp, target("tcp", "monitor-test.invalid:443"))
    assert result.verdict == Status.DOWN
    assert result.reason.startswith("name does not resolve: monitor-test.invalid")
    assert elapsed < 2.5


# ------------------------------------------------------------------------------------ tls


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    authority = make_ca()
    bundle, _ = authority.write(tmp_path_factory.mktemp("ca"), "ca")
    return authority, str(bundle)


def tls_check(issued, bundle: str | None, timeout: float = 3.0, **options):
    server = TlsServer(issued).start()
    try:
        opts = {"host": "127.0.0.1", "port": server.port, "server_name": "localhost", **options}
        if bundle:
            opts["ca_bundle"] = bundle
        return timed(tls, target("tls", f"127.0.0.1:{server.port}", timeout=timeout, **opts))
    finally:
        server.stop()


def test_tls_trusted_via_ca_bundle_is_up_with_details(ca):
    authority, bundle = ca
    result, elapsed = tls_check(make_server_cert(["localhost", "127.0.0.1"], authority), bundle)
    assert result.verdict == Status.UP, result.reason
    assert "trusted, matches localhost" in result.reason and result.reason.startswith("certificate valid 90 days more")
    cert = result.detail["certificate"]
    assert cert["verified"] is True and cert["hostname_match"] is True
    assert cert["sans"] == ["localhost", "127.0.0.1"]
    assert "CN=IOC Quang Ngai Demo CA" in cert["issuer"] and "CN=localhost" in cert["subject"]
    assert 89 < cert["days_left"] <= 90 and cert["not_after"].endswith("Z") and cert["serial"]
    assert cert["protocol"].startswith("TLSv1") and cert["cipher"] and cert["key"] == "EC secp256r1"
    assert elapsed < 2.0


def test_tls_ip_target_without_server_name_matches_ip_san(ca):
    authority, bundle = ca
    server = TlsServer(make_server_cert(["localhost", "127.0.0.1"], authority)).start()
    try:
        result = tls(target("tls", f"127.0.0.1:{server.port}", ca_bundle=bundle))
    finally:
        server.stop()
    assert result.verdict == Status.UP, result.reason


def test_tls_self_signed_is_untrusted_but_details_kept():
    result, elapsed = tls_check(make_server_cert(["localhost"]), None)
    assert result.verdict == Status.DOWN
    assert result.reason.startswith("certificate not trusted: self-signed certificate (issuer ")
    assert "set ca_bundle for a private CA" in result.reason
    cert = result.detail["certificate"]
    assert cert["verified"] is False and cert["self_signed"] is True and cert["sans"] == ["localhost"]
    assert elapsed < 2.0


def test_tls_signed_by_an_unknown_ca_is_untrusted(ca):
    other_ca = make_ca("Some Other CA")
    result, _ = tls_check(make_server_cert(["localhost"], other_ca), ca[1])
    assert result.verdict == Status.DOWN
    assert result.reason.startswith("certificate not trusted: unable to get local issuer certificate")
    assert "CN=Some Other CA" in result.detail["certificate"]["issuer"]


def test_tls_expired(ca):
    authority, bundle = ca
    now = utcnow()
    expired = make_server_cert(["localhost"], authority, not_before=now - timedelta(days=100), not_after=now - timedelta(days=3))
    result, elapsed = tls_check(expired, bundle)
    assert result.verdict == Status.DOWN
    assert result.reason.startswith(f"certificate expired on {iso(now - timedelta(days=3))[:10]} (3.0 days ago)"), result.reason
    assert result.detail["certificate"]["days_left"] < -2.9
    assert elapsed < 2.0


@pytest.mark.parametrize("days, verdict, words", [
    (20, Status.DEGRADED, "under the warning threshold of 30 days"),
    (3, Status.DOWN, "at or under the critical threshold of 7 days"),
])
def test_tls_expiring(ca, days, verdict, words):
    authority, bundle = ca
    cert = make_server_cert(["localhost"], authority, not_after=utcnow() + timedelta(days=days, minutes=5))
    result, _ = tls_check(cert, bundle)
    assert result.verdict == verdict, result.reason
    assert result.reason.startswith(f"certificate expires in {days}") and words in result.reason


def test_tls_thresholds_come_from_the_endpoint(ca):
    authority, bundle = ca
    cert = make_server_cert(["localhost"], authority, not_after=utcnow() + timedelta(days=20))
    result, _ = tls_check(cert, bundle, warning_days=14, critical_days=3)
    assert result.verdict == Status.UP, result.reason


def test_tls_wrong_host(ca):
    authority, bundle = ca
    result, _ = tls_check(make_server_cert(["lgsp.quangngai.gov.vn", "*.lgsp.quangngai.gov.vn"], authority), bundle)
    assert result.verdict == Status.DOWN
    assert result.reason == ("certificate is for lgsp.quangngai.gov.vn, *.lgsp.quangngai.gov.vn, not localhost "
                             "(hostname mismatch)")
    assert result.detail["certificate"]["hostname_match"] is False


def test_tls_against_a_plain_service():
    server = PlainTextServer().start()
    try:
        result, elapsed = timed(tls, target("tls", f"127.0.0.1:{server.port}"))
    finally:
        server.stop()
    assert result.verdict == Status.DOWN
    assert f"127.0.0.1:{server.port} does not speak TLS" in result.reason, result.reason
    assert elapsed < 2.0


def test_tls_service_that_never_answers_times_out():
    server = SilentServer().start()
    try:
        result, elapsed = timed(tls, target("tls", f"127.0.0.1:{server.port}", timeout=0.8))
    finally:
        server.stop()
    assert result.verdict == Status.DOWN
    assert result.reason.startswith(f"no TLS handshake with 127.0.0.1:{server.port} within 0.8 s")
    assert 0.7 < elapsed < 1.5


def test_tls_refused_and_unreadable_bundle(tmp_path):
    port = closed_port()
    assert "connection refused" in tls(target("tls", f"127.0.0.1:{port}")).reason
    result = tls(target("tls", f"127.0.0.1:{port}", ca_bundle=str(tmp_path / "missing.pem")))
    assert result.verdict == Status.DOWN and result.reason.startswith(f"CA bundle {tmp_path / 'missing.pem'} cannot be read")


# ------------------------------------------------------------------------------------ dns


def test_dns_resolves_with_expected_addresses():
    result, elapsed = timed(dns, target("dns", "localhost", expected_addresses=["127.0.0.1"]))
    assert result.verdict == Status.UP, result.reason
    assert result.reason.startswith("localhost resolves to 127.0.0.1 (all expected addresses present) in ")
    assert "127.0.0.1" in result.detail["addresses"] and elapsed < 2.0


def test_dns_expected_address_missing():
    result = dns(target("dns", "localhost", expected_addresses=["127.0.0.1", "10.20.30.40"]))
    assert result.verdict == Status.DOWN
    assert result.reason.endswith("not to expected 10.20.30.40") and result.detail["missing"] == ["10.20.30.40"]


def test_dns_unresolvable_name():
    result, elapsed = timed(dns, target("dns", "khong-ton-tai.invalid"))
    assert result.verdict == Status.DOWN
    assert result.reason.startswith("name does not resolve: khong-ton-tai.invalid")
    assert elapsed < 2.5


def test_dns_lookup_is_cut_at_the_deadline(monkeypatch):
    """The system resolver cannot be cancelled; a lookup slower than the deadline is abandoned."""
    import collectors._net as net

    real = socket.getaddrinfo

    def slow_resolver(*args, **kwargs):
        import time

        time.sleep(2.0)
        return real(*args, **kwargs)

    monkeypatch.setattr(net.socket, "getaddrinfo", slow_resolver)
    result, elapsed = timed(dns, target("dns", "localhost", timeout=0.5))
    assert result.verdict == Status.DOWN and result.reason == "no DNS answer for localhost within 0.5 s"
    assert elapsed < 1.0


# ------------------------------------------------------------------------------ connection


@pytest.fixture(scope="module")
def links():
    server = JsonServer().start()
    yield server
    server.stop()


def report(url: str, timeout: float = 2.0, conditions=(), **options) -> Target:
    return target("connection", url, timeout, conditions,
                  **{"state_path": "links.ndxp.state", "max_age_s": 300, **options})


def link_body(state: str, age_s: float, error: str | None = None) -> dict:
    link = {"state": state, "last_exchange": iso(utcnow() - timedelta(seconds=age_s)), "latency_ms": 80}
    if error:
        link["error"] = error
    return {"links": {"ndxp": link}}


def test_connection_connected(links):
    links.set(link_body("connected", 20))
    result, elapsed = timed(connection, report(links.url + "/links"))
    assert result.verdict == Status.UP, result.reason
    # the report's timestamp has whole seconds: 20 or 21 s
    assert result.reason in ("link connected, last exchange 20 s ago", "link connected, last exchange 21 s ago")
    assert result.http_code == 200 and result.detail["state"] == "connected" and elapsed < 2.0


def test_connection_disconnected_names_the_reported_error(links):
    links.set(link_body("disconnected", 200, error="Không kết nối được NDXP: SSL handshake timed out"))
    result = connection(report(links.url + "/links"))
    assert result.verdict == Status.DOWN
    assert result.reason == ('link reported "disconnected" (connected means "connected"): '
                             "Không kết nối được NDXP: SSL handshake timed out; last exchange 3 min ago")


def test_connection_stale_last_exchange_is_degraded(links):
    links.set(link_body("connected", 900))
    result = connection(report(links.url + "/links"))
    assert result.verdict == Status.DEGRADED
    assert result.reason.startswith("link reported connected, but the last exchange was 15 min ago")
    assert result.reason.endswith("more than 5 min allowed)")


@pytest.mark.parametrize("body, status, words", [
    ("<html>Bad gateway</html>", 200, "the answer is not valid JSON"),
    ({"links": {}}, 200, "links.ndxp.state is missing from the answer"),
    ({"status": "DOWN"}, 503, "the status endpoint answered HTTP 503"),
])
def test_connection_unreadable_answers_are_down(links, body, status, words):
    links.set(body, status)
    result = connection(report(links.url + "/links"))
    assert result.verdict == Status.DOWN
    assert result.reason == f"cannot read the link state: {words}" or result.reason.startswith(f"cannot read the link state: {words}")


def test_connection_custom_value_and_paths(links):
    links.set({"ndxp": {"connected": True, "lastSync": iso(utcnow())}})
    result = connection(report(links.url + "/links", state_path="ndxp.connected", connected_value=True,
                               last_exchange_path="ndxp.lastSync"))
    assert result.verdict == Status.UP, result.reason


def test_connection_conditions_on_the_report(links):
    links.set(link_body("connected", 10))
    result = connection(report(links.url + "/links", conditions=("[BODY].links.ndxp.latency_ms < 50",)))
    assert result.verdict == Status.DOWN
    assert result.reason == "link connected, but [BODY].links.ndxp.latency_ms < 50 — observed 80"


def test_connection_report_endpoint_hanging_ends_at_deadline(links):
    links.set(link_body("connected", 10), delay_s=5)
    try:
        result, elapsed = timed(connection, report(links.url + "/links", timeout=0.8))
    finally:
        links.set(link_body("connected", 10))
    assert result.verdict == Status.DOWN
    assert result.reason.startswith("cannot read the link state: no complete answer within 0.8 s")
    assert 0.7 < elapsed < 1.5


def test_connection_report_endpoint_refused():
    port = closed_port()
    result = connection(report(f"http://127.0.0.1:{port}/links"))
    assert result.verdict == Status.DOWN and "connection refused" in result.reason


def test_connection_direct_tcp_to_the_national_side():
    server = SilentServer().start()
    try:
        up = connection(target("connection", f"127.0.0.1:{server.port}", host="127.0.0.1", port=server.port))
    finally:
        server.stop()
    assert up.verdict == Status.UP and up.reason.startswith("national side reachable: connected to")
    port = closed_port()
    down = connection(target("connection", f"127.0.0.1:{port}", host="127.0.0.1", port=port))
    assert down.verdict == Status.DOWN
    assert down.reason == f"national side check failed: connection refused by 127.0.0.1:{port} (nothing listening on that port)"


def test_connection_direct_http_to_the_national_side(links):
    links.set({"status": "UP"})
    result = connection(target("connection", links.url + "/health", conditions=("[BODY].status == UP",)))
    assert result.verdict == Status.UP and result.reason.startswith("national side reachable: HTTP 200")
    links.set({"status": "DOWN"}, 503)
    result = connection(target("connection", links.url + "/health", conditions=("[STATUS] == 200",)))
    assert result.verdict == Status.DOWN and "observed 503" in result.reason
