"""The public status page (/status): no login, apart from the app shell, light enough for a
phone, Vietnamese first. It is rendered from a snapshot refreshed at most every CACHE_S seconds,
so a flood of visitors costs one query per interval, never one per request."""
from __future__ import annotations

import hashlib
import threading
import time
from datetime import datetime

from babel.dates import format_datetime
from babel.numbers import format_decimal
from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, current_app, render_template, request
from sqlalchemy.exc import SQLAlchemyError

from collectors.timeutil import utcnow
from dashboard.i18n import t
from dashboard.readmodels.public_status import incident_feed, public_status

CACHE_S = 30.0
TIMEZONE = "Asia/Ho_Chi_Minh"
LOCALES = {"vi": "vi_VN", "en": "en_GB"}

status_page = Blueprint("status_page", __name__, template_folder="templates")


class SnapshotCache:
    """The latest rendering per language, rebuilt by one request at a time when older than
    `ttl_s`; while the database is unreachable the last good page is served, marked as old."""

    def __init__(self, ttl_s: float = CACHE_S):
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, bytes, str]] = {}

    def get(self, key: str, build) -> tuple[bytes, str]:
        entry = self._entries.get(key)
        if entry and time.monotonic() - entry[0] < self.ttl_s:
            return entry[1], entry[2]
        with self._lock:
            entry = self._entries.get(key)
            if entry and time.monotonic() - entry[0] < self.ttl_s:
                return entry[1], entry[2]
            body = build()
            etag = hashlib.sha256(body).hexdigest()[:32]
            self._entries[key] = (time.monotonic(), body, etag)
            return body, etag


def _runtime():
    return current_app.extensions["ioc"]


def _cache() -> SnapshotCache:
    return current_app.extensions.setdefault("ioc_status_cache", SnapshotCache())


def _lang() -> str:
    lang = request.args.get("lang", "vi")
    return lang if lang in LOCALES else "vi"


def when(moment: datetime | None, lang: str) -> str:
    if moment is None:
        return "—"
    return format_datetime(moment, "HH:mm dd/MM/yyyy", tzinfo=TIMEZONE, locale=LOCALES[lang])


def percent(value: float | None, lang: str) -> str:
    if value is None:
        return t("status_page.no_data", lang)
    return format_decimal(value, format="#,##0.00", locale=LOCALES[lang]) + " %"


def _render(lang: str) -> bytes:
    runtime = _runtime()
    try:
        with runtime.db.session() as session:
            data = public_status(session)
    except SQLAlchemyError:
        return render_template("status_unavailable.html", lang=lang, t=t).encode()
    return render_template("status.html", lang=lang, data=data, t=t, when=when, percent=percent,
                           bar_class=bar_class).encode()


def bar_class(uptime: float | None) -> str:
    if uptime is None:
        return "none"
    if uptime >= 99.5:
        return "good"
    if uptime >= 95.0:
        return "fair"
    return "bad"


def _frame_ancestors() -> str:
    allowed = getattr(_runtime().settings, "status_frame_ancestors", None)
    return allowed or "'none'"


def _respond(body: bytes, etag: str, mimetype: str) -> Response:
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(body, mimetype=mimetype)
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={int(CACHE_S)}"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {_frame_ancestors()}")
    return response


@status_page.get("/status")
def status():
    lang = _lang()
    body, etag = _cache().get(f"html:{lang}", lambda: _render(lang))
    return _respond(body, etag, "text/html")


@status_page.get("/status/style.css")
def style():
    body = STYLE.encode()
    response = Response(body, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@status_page.get("/status/feed.atom")
def feed():
    lang = _lang()
    body, etag = _cache().get(f"atom:{lang}", lambda: _atom(lang))
    return _respond(body, etag, "application/atom+xml")


def _atom(lang: str) -> bytes:
    with _runtime().db.session() as session:
        incidents = incident_feed(session)
    base = request.url_root.rstrip("/")
    generator = FeedGenerator()
    generator.id(f"{base}/status")
    generator.title(t("status_page.feed_title", lang))
    generator.link(href=f"{base}/status?lang={lang}", rel="alternate")
    generator.link(href=f"{base}/status/feed.atom?lang={lang}", rel="self")
    generator.language(lang)
    generator.updated(incidents[0]["ended_at"] or incidents[0]["started_at"] if incidents else utcnow())
    for incident in reversed(incidents):  # feedgen prepends: add oldest first
        entry = generator.add_entry()
        entry.id(f"{base}/status#incident-{incident['id']}")
        name = incident["name_vi"] if lang == "vi" else incident["name_en"]
        state = t("status_page.severity." + incident["severity"], lang)
        entry.title(f"{name}: {state}")
        entry.link(href=f"{base}/status?lang={lang}#incident-{incident['id']}")
        entry.published(incident["started_at"])
        entry.updated(incident["ended_at"] or incident["started_at"])
        period = t("status_page.since", lang, at=when(incident["started_at"], lang))
        if incident["ended_at"]:
            period = t("status_page.resolved_at", lang, at=when(incident["ended_at"], lang))
        entry.content(" — ".join(filter(None, [period, incident["note"]])), type="text")
    return generator.atom_str(pretty=True)


STYLE = """
:root { --ok:#1a7f37; --warn:#9a6700; --bad:#cf222e; --maint:#0969da; --none:#8c959f; --fg:#1f2328; --muted:#59636e; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif; color: var(--fg); background: #f6f8fa; }
header, main, footer { max-width: 960px; margin: 0 auto; padding: 0 16px; }
header { padding-top: 24px; display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: baseline; justify-content: space-between; }
h1 { font-size: 1.5rem; margin: 0; }
h2 { font-size: 1.15rem; margin: 28px 0 8px; }
a { color: #0550ae; }
.lang a { margin-left: 8px; }
.banner { margin: 16px 0; padding: 14px 16px; border-radius: 8px; color: #fff; font-weight: 600; font-size: 1.1rem; }
.banner.operational { background: var(--ok); } .banner.degraded { background: var(--warn); }
.banner.outage { background: var(--bad); } .banner.maintenance { background: var(--maint); } .banner.unknown { background: var(--none); }
.system { background: #fff; border: 1px solid #d1d9e0; border-radius: 8px; padding: 12px 16px; margin-bottom: 12px; }
.system-head { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 4px 12px; }
.system-name { font-weight: 600; }
.state { font-weight: 600; } .state.operational { color: var(--ok); } .state.degraded { color: var(--warn); }
.state.outage { color: var(--bad); } .state.maintenance { color: var(--maint); } .state.unknown { color: var(--muted); }
.bars { display: flex; gap: 2px; height: 34px; margin: 10px 0 4px; }
.bars span { flex: 1; border-radius: 2px; min-width: 2px; }
.bars .good { background: var(--ok); } .bars .fair { background: #d4a72c; } .bars .bad { background: var(--bad); } .bars .none { background: #d1d9e0; }
.scale { display: flex; justify-content: space-between; color: var(--muted); font-size: .85rem; }
.incident { background: #fff; border-left: 4px solid var(--bad); padding: 10px 14px; margin-bottom: 10px; border-radius: 4px; }
.incident.degraded { border-left-color: var(--warn); } .incident.resolved { border-left-color: var(--none); }
.muted { color: var(--muted); font-size: .9rem; }
.legend { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 14px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: -8px; vertical-align: -1px; }
.swatch.good { background: var(--ok); } .swatch.fair { background: #d4a72c; } .swatch.bad { background: var(--bad); } .swatch.none { background: #d1d9e0; }
footer { padding: 24px 16px 40px; color: var(--muted); font-size: .85rem; }
@media (max-width: 480px) { .bars { height: 28px; gap: 1px; } h1 { font-size: 1.25rem; } }
"""
