"""Security headers of a public portal: the http probe records them (only for endpoints marked
`public_portal: true`) from a real loopback server, and the rule names what is missing."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from collectors.base import Target
from collectors.http import probe
from dashboard.alerts.probe_alerts import headers_finding


@pytest.fixture
def portal():
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = b"<html>Cong dich vu cong</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("X-Frame-Options", "DENY")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_public_portal_headers_are_recorded_and_missing_ones_named(portal):
    result = probe(Target("dvc.portal", "http", portal, 5.0, options={"public_portal": True}))
    seen = {k.lower() for k in result.detail["security_headers"]}
    assert seen == {"x-frame-options", "x-content-type-options"}
    finding = headers_finding(result.detail, portal)
    assert finding.severity == "low" and finding.params == {"headers": ["content-security-policy"]}  # no HSTS on http
    assert finding.description == "thiếu: content-security-policy" and finding.describe("en") == "missing: content-security-policy"

    plain = probe(Target("dvc.api", "http", portal, 5.0))
    assert "security_headers" not in plain.detail  # only public portals are judged
    assert headers_finding(plain.detail, portal) is None
