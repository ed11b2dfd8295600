"""The `browser` fixture itself: the error log the other browser tests assert empty really catches
console errors, uncaught exceptions, HTTP error answers and failed requests, and the viewport is
the one asked for. Served by a plain loopback HTTP server, no app needed."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import free_port

pytestmark = [pytest.mark.browser]

PAGES = {
    "/clean": "<p id='ok'>ok</p>",
    "/console": "<script>console.error('boom from the page')</script>",
    "/throws": "<script>throw new Error('uncaught in the page')</script>",
    "/missing-script": "<script src='/nope.js'></script>",
    "/refused": "<script>fetch('http://127.0.0.1:{dead}/x').catch(() => {{}})</script>",
}


class Pages(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path == "/favicon.ico":  # Chromium asks for it by itself
            self.send_response(204)
            self.end_headers()
            return
        body = PAGES.get(self.path)
        if body is None:
            self.send_error(404)
            return
        payload = f"<!doctype html><html><body>{body}</body></html>".format(dead=self.server.dead_port).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


class Site:
    def __init__(self, url: str):
        self.url = url


@pytest.fixture
def site():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Pages)
    server.dead_port = free_port()  # nothing listens there
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site(f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    server.server_close()


def test_a_clean_page_has_no_errors_and_the_viewport_asked_for(browser, site):
    page = browser.open(site, "/clean", viewport=(1920, 1080), anonymous=True)
    assert page.evaluate("() => [window.innerWidth, window.innerHeight]") == [1920, 1080]
    assert page.locator("#ok").inner_text() == "ok"
    assert browser.errors() == []


@pytest.mark.parametrize("path, expected", [
    ("/console", "boom from the page"),
    ("/throws", "uncaught in the page"),
    ("/missing-script", "404"),
    ("/refused", "ERR_CONNECTION_REFUSED"),
])
def test_every_kind_of_page_error_is_recorded(browser, site, path, expected):
    page = browser.open(site, path, anonymous=True)
    page.wait_for_load_state("networkidle")
    errors = browser.errors()
    assert any(expected in e for e in errors), errors
