"""`[CERTIFICATE_EXPIRATION]` on http endpoints: the probe reads the certificate of the TLS
connection its request used (real HTTPS servers on loopback, certificates from a test CA),
and the catalog refuses the condition on a plain http:// URL."""
from __future__ import annotations

import http.server
import ssl
import threading
from datetime import timedelta

import pytest

from collectors import get_probe
from collectors.base import Status, Target
from collectors.conditions import parse
from collectors.timeutil import utcnow
from dashboard.catalog.loader import CatalogError, parse_catalog
from dashboard.demo.certs import make_ca, make_server_cert
from tests.catalogs import catalog_with


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's hook name
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", self.server.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b'{"status": "UP"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class HttpsServer:
    def __init__(self, issued, directory, name: str):
        cert, key = issued.write(directory, name)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.server.redirect_to = ""
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    authority = make_ca()
    bundle, _ = authority.write(tmp_path_factory.mktemp("https-ca"), "ca")
    return authority, str(bundle)


@pytest.fixture()
def servers(ca, tmp_path):
    authority, _ = ca
    made = []

    def make(days_left: float) -> HttpsServer:
        issued = make_server_cert(["127.0.0.1"], authority, not_after=utcnow() + timedelta(days=days_left))
        server = HttpsServer(issued, tmp_path, f"s{len(made)}")
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()


def check(url: str, *conditions: str, **options):
    target = Target("portal.https", "http", url, 3.0, tuple(parse(c) for c in conditions), options)
    return get_probe("http")(target)


def test_certificate_expiration_is_supplied_for_https(servers, ca):
    _, bundle = ca
    server = servers(days_left=40)
    result = check(server.url + "/health", "[STATUS] == 200", "[CERTIFICATE_EXPIRATION] > 720h", ca_bundle=bundle)
    assert result.verdict == Status.UP, result.reason
    assert 39 * 24 < result.detail["certificate_hours_left"] <= 40 * 24


def test_a_certificate_too_close_to_expiry_fails_the_condition_with_the_hours_observed(servers, ca):
    _, bundle = ca
    server = servers(days_left=1)
    result = check(server.url + "/health", {"condition": "[CERTIFICATE_EXPIRATION] > 48h"}["condition"], ca_bundle=bundle)
    assert result.verdict == Status.DOWN
    assert "[CERTIFICATE_EXPIRATION] > 48h — observed 2" in result.reason and "missing" not in result.reason


def test_a_head_request_without_a_body_still_sees_the_certificate(servers, ca):
    _, bundle = ca
    server = servers(days_left=40)
    result = check(server.url + "/health", "[CERTIFICATE_EXPIRATION] > 720h", method="HEAD", ca_bundle=bundle)
    assert result.verdict == Status.UP, result.reason


def test_without_verification_the_certificate_is_still_read(servers):
    server = servers(days_left=1)
    result = check(server.url + "/health", "[CERTIFICATE_EXPIRATION] > 48h", verify_tls=False)
    assert result.verdict == Status.DOWN and "observed 2" in result.reason


def test_after_a_redirect_the_final_hosts_certificate_counts(servers, ca):
    _, bundle = ca
    first, final = servers(days_left=300), servers(days_left=1)
    first.server.redirect_to = final.url + "/health"
    result = check(first.url + "/moved", "[CERTIFICATE_EXPIRATION] > 48h", ca_bundle=bundle)
    assert result.verdict == Status.DOWN and result.detail["redirects"] == 1
    assert result.detail["certificate_hours_left"] < 48


@pytest.mark.parametrize("url, accepted", [
    ("https://dichvucong.quangngai.gov.vn/health", True),
    ("http://dichvucong.quangngai.gov.vn/health", False),
])
def test_the_catalog_refuses_the_condition_on_plain_http(url, accepted):
    text = catalog_with([{"id": "portal", "url": url, "conditions": ["[CERTIFICATE_EXPIRATION] > 48h"]}])
    if accepted:
        assert parse_catalog(text, "c.yaml", {}).spec.systems[0].endpoints[0].url == url
        return
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "c.yaml", {})
    assert caught.value.problems == [
        "c.yaml:14: systems[0].endpoints[0]: '[CERTIFICATE_EXPIRATION] > 48h' needs an https:// URL: "
        "http://dichvucong.quangngai.gov.vn/health is plain HTTP, there is no certificate to check"]
