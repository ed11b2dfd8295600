"""How the browser gets the app's code: compressed, cached for a year when the URL is
fingerprinted, and only what a page can use.

- Responses are compressed (brotli or gzip, flask-compress). Fingerprinted files (Dash's
  component suites, `/assets/…?m=<mtime>`) never change under their URL, so each one is
  compressed once per encoding and kept in memory; dynamic answers are compressed per request.
- `/assets/…?m=<mtime>` gets `Cache-Control: public, max-age=31536000, immutable` like Dash's
  own fingerprinted suites; a changed file gets a new `m`, so nothing stale is ever used.
- Plotly.js (4.6 MB) is in every page's HTML, loaded with the page: left lazy, dcc gives up
  after 30 s on a slow wall PC and every chart stays broken until a reload. Every other lazy
  chunk (MathJax 2 MB, AG Grid's 4.3 MB of grid code, date pickers, Markdown…) stays lazy: it
  is fetched the first time a page renders the component that needs it (`eager_loading=False`).
- Wall pages (/wall…) never render an AG Grid: its 1.3 MB main bundle is left out of them.
"""
from __future__ import annotations

import threading

import dash
from flask import Flask, request

YEAR_S = 31_536_000
WALL_PREFIX = "/wall"
COMPRESS_CACHE_MAX_BYTES = 64 * 1024 * 1024
# Registered by page modules: path -> function(lang) giving the page's first paint as Dash html
# components, or None (dashboard.web.app.first_paint).
FIRST_PAINTS: dict = {}


class StaticCompressionCache:
    """A flask-compress cache that keeps only fingerprinted responses (their key says so)."""

    def __init__(self, max_bytes: int = COMPRESS_CACHE_MAX_BYTES):
        self.max_bytes = max_bytes
        self.size = 0
        self.items: dict[str, bytes] = {}
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        return self.items.get(key)

    def set(self, key: str, value: bytes) -> None:
        if "|fingerprinted|" not in key:
            return
        with self.lock:
            if key not in self.items and self.size + len(value) <= self.max_bytes:
                self.items[key] = value
                self.size += len(value)


def fingerprinted(path: str, args) -> bool:
    """Does this URL name one version of a file forever?"""
    if path.startswith("/_dash-component-suites/"):
        name = path.rsplit("/", 1)[-1]
        return ".v" in name and "m" in name.split(".v", 1)[1]
    return path.startswith("/assets/") and "m" in args


def _cache_key(req) -> str:
    kind = "fingerprinted" if fingerprinted(req.path, req.args) else "dynamic"
    return f"|{kind}|{req.full_path}"


def install(server: Flask) -> None:
    from flask_compress import Compress

    server.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    server.config.setdefault("COMPRESS_BR_LEVEL", 5)
    server.config.setdefault("COMPRESS_CACHE_BACKEND", StaticCompressionCache)
    server.config.setdefault("COMPRESS_CACHE_KEY", _cache_key)
    Compress(server)

    @server.after_request
    def long_cache(response):
        if response.status_code == 200 and request.path.startswith("/assets/") and "m" in request.args:
            response.headers["Cache-Control"] = f"public, max-age={YEAR_S}, immutable"
        return response


class IocDash(dash.Dash):
    """Dash with the script choices above (see the module's docstring)."""

    def _generate_scripts_html(self) -> str:
        scripts = super()._generate_scripts_html()
        # Plotly.js and dcc's graph chunk (13 KB), as eager loading would: a graph never waits on
        # a lazy load. dcc's Graph uses window.Plotly when it is there.
        graph = self._collect_and_register_resources([
            {"relative_package_path": "package_data/plotly.min.js", "namespace": "plotly"},
            {"relative_package_path": "dcc/async-graph.js", "namespace": "dash"},
        ])
        lines = scripts.split("\n")
        if _request_path().startswith(WALL_PREFIX):
            lines = [line for line in lines if "/dash_ag_grid/" not in line]
        # where eager loading put it: after the renderer, before dcc's bundle (a webpack chunk
        # queues itself until its bundle's runtime picks it up)
        after = next((i + 1 for i, line in enumerate(lines) if "dash_renderer" in line), len(lines))
        return "\n".join([f'<script src="{graph[0]}"></script>', *lines[:after], f'<script src="{graph[1]}"></script>', *lines[after:]])


def _request_path() -> str:
    from flask import has_request_context

    return request.path if has_request_context() else ""
