"""Enforcement on the server, for every request: a Flask before_request on Dash's server that
asks `policy` about the path and, for Dash callbacks, about the components the call changes.
Pages and routes added later are covered by default; nothing has to remember to call it."""
from __future__ import annotations

import logging
import os
from urllib.parse import urlencode, urlsplit

from flask import Flask, g, jsonify, redirect, request
from werkzeug.exceptions import HTTPException, InternalServerError

from dashboard.auth import policy, sessions, tokens, views
from dashboard.auth.policy import Decision

log = logging.getLogger(__name__)


def check_request(server: Flask):
    runtime = server.extensions["ioc"]
    settings = server.extensions["ioc_auth"]
    path = request.path
    with runtime.db.session() as db:
        principal = sessions.identify(db, settings)
        kiosk_secret = request.args.get("kiosk")
        if kiosk_secret is not None and request.method == "GET":
            if principal is not None and principal.kind == "user":
                # a signed-in person keeps their own session: a wall link must not quietly turn an
                # admin into a kiosk (nor let a shared link end someone's session)
                return redirect(_without_kiosk_secret(), code=303)
            return _enter_kiosk(db, kiosk_secret)
    g.ioc_principal = principal
    role, kind = (principal.role, principal.kind) if principal else (None, "anonymous")

    if request.method not in SAFE_METHODS and kind in ("user", "kiosk") and not same_origin(request):
        # the browser sends the session cookie along with a form or fetch another site (or another
        # port of this host) makes it send: such a request must change nothing
        log.warning("cross-origin %s %s refused for %s (Origin %r)", request.method, path, principal.name,
                    request.headers.get("Origin"))
        return jsonify({"error": "cross-origin request refused"}), 403

    if path == "/api/health" and principal is None:
        return _liveness(runtime)
    decision = policy.decide_request(role, request.method, path, kind)
    if decision is Decision.ALLOW and path == "/_dash-update-component" and request.method == "POST":
        call = callback_call(server.extensions["ioc_dash"], request.get_json(silent=True))
        if call is None:
            return jsonify({"error": "unknown or malformed callback"}), 400
        decision = policy.decide_callback(role, call)
        if decision is not Decision.ALLOW:
            log.warning("callback refused: %s (%s) may not change %s", principal.name if principal else "anonymous",
                        role, ", ".join(call.output_ids))
    if decision is Decision.ALLOW:
        if (path == "/api" or path.startswith("/api/")) and _only_dash_catch_all():
            return jsonify({"error": "no such API path"}), 404
        return None
    return _refuse(decision, path)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def same_origin(req) -> bool:
    """Whether a state-changing request comes from a page of this site. Browsers send `Origin`
    on every cross-origin POST/PATCH/DELETE (and `Sec-Fetch-Site`); a request with neither,
    nor a Referer, comes from a program, not from a page that forged it. Host and port are
    compared (not the scheme: behind a TLS proxy the app may see http while the browser says
    https); another port of the same host is another origin."""
    own = (req.host or "").lower()
    origin = req.headers.get("Origin")
    if origin is not None:
        return urlsplit(origin.strip()).netloc.lower() == own
    fetch_site = req.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    referer = req.headers.get("Referer")
    if referer:
        return urlsplit(referer).netloc.lower() == own
    return True


def _only_dash_catch_all() -> bool:
    """True when no route of ours matches: only Dash's catch-all page route would answer."""
    rule = request.url_rule
    return rule is None or rule.rule in ("/", "/<path:path>")


def _without_kiosk_secret() -> str:
    query = [(k, v) for k, v in request.args.items(multi=True) if k != "kiosk"]
    return request.path + ("?" + urlencode(query) if query else "")


def callback_call(dash_app, body) -> policy.CallbackCall | None:
    """Judge a callback by what the server registered under the key Dash dispatches on
    (body["output"]): a hand-made body cannot claim harmless outputs for an action callback."""
    from dash._callback import GLOBAL_CALLBACK_MAP

    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return None
    entry = dash_app.callback_map.get(body["output"]) or GLOBAL_CALLBACK_MAP.get(body["output"])
    if entry is None:
        return None
    outputs = entry.get("output")
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs] if outputs is not None else []
    components = [o.component_id for o in outputs]
    if not components or entry.get("no_output"):
        # no outputs (it may change anything through set_props): judged by what triggers it
        components = [i.get("id") if isinstance(i, dict) else getattr(i, "component_id", None)
                      for i in entry.get("raw_inputs") or entry.get("inputs") or []]
    try:
        ids = tuple(policy.component_key(c) for c in components)
        # the page router's page is read at the position the server declared for it
        pathname = policy.pathname_of(entry.get("inputs"), body.get("inputs")) if policy.PAGES_CONTENT in ids else None
    except ValueError:
        return None
    return policy.CallbackCall(ids, pathname)


def _refuse(decision: Decision, path: str):
    page = request.method in ("GET", "HEAD") and not (path.startswith("/api/") or path.startswith("/_dash"))
    if decision is Decision.LOGIN:
        if page:
            target = request.full_path if request.query_string else path
            return redirect("/login?" + urlencode({"next": target}), code=302)
        return jsonify({"error": "sign in first (or send an API token as 'Authorization: Bearer …')"}), 401
    if page:
        return views.forbidden_page()
    return jsonify({"error": "your role does not allow this"}), 403


def _enter_kiosk(db, secret: str):
    row = tokens.verify_token(db, secret, "kiosk")
    if row is None:
        return views.page("Kiosk", '<div class="alert alert-danger">Mã kiosk không hợp lệ hoặc đã bị thu hồi.<br>'
                          '<span class="small">This kiosk token is not valid or was revoked.</span></div>', 403)
    sessions.start_kiosk_session(row)
    # drop the secret from the address bar (and from any Referer) at once
    target = request.path if policy.page_role(request.path) == "kiosk" else "/wall"
    return redirect(target, code=303)


def _liveness(runtime):
    """Anonymous callers learn whether the service is ok, degraded (the database refuses writes,
    the data disk is almost full) or down, and nothing else."""
    from dashboard.domain.status import health_verdict

    probe = runtime.db.probe()
    status, _ = health_verdict(probe.read_ok, probe.write_ok, None, probe.disk_free_bytes, probe.disk_total_bytes)
    return jsonify({"status": status}), 503 if status == "down" else 200


def content_security_policy(script_hashes: list[str], frame_ancestors: str, extra_origins: list[str]) -> str:
    extra = " ".join(extra_origins)
    hashes = " ".join(script_hashes)  # Dash quotes them already
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {hashes}".strip(),
        # Plotly and React set inline styles; styles cannot run code
        "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data: blob: {extra}".strip(),
        f"connect-src 'self' {extra}".strip(),
        "font-src 'self' data:",
        "worker-src 'self' blob:",  # the map library builds its workers from blobs
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ])


def add_headers(response, csp_default: str, csp_wall: str, framed_wall: bool, worker_header: bool,
                https_only: bool = False):
    path = request.path
    if https_only:
        # the site is served over https (IOC_COOKIE_SECURE): browsers must never use http again
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    wall = policy.page_role(path) == "kiosk" and framed_wall
    response.headers.setdefault("Content-Security-Policy", csp_wall if wall else csp_default)
    if not wall:
        response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if path.startswith("/api/") or path.startswith("/_dash-update") or path == "/_dash-layout":
        response.headers.setdefault("Cache-Control", "no-store")
    if worker_header:
        response.headers["X-IOC-Worker"] = str(os.getpid())
    return response


def install(server: Flask, dash_app, settings) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    server.extensions["ioc_auth"] = settings
    server.extensions["ioc_dash"] = dash_app
    server.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="ioc_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        # the cookie lives long enough for a wall kiosk; a person's session is cut after
        # IOC_SESSION_HOURS by sessions.identify
        PERMANENT_SESSION_LIFETIME=60 * 60 * 24 * 30,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        PROPAGATE_EXCEPTIONS=False,
        DEBUG=False,
    )
    if settings.proxy_hops:
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops,
                                   x_host=settings.proxy_hops)
    server.register_blueprint(views.bp)
    if settings.oidc_enabled:
        from dashboard.auth import oidc

        oidc.install(server, settings)

    # After Dash's own before_request hooks: they only finish its setup (the page router and the
    # callbacks of pages are registered at the first request), which the check needs.
    server.before_request(lambda: check_request(server))

    runtime_settings = server.extensions["ioc"].settings
    origins = []
    if getattr(runtime_settings, "map_tiles_url", None):
        parts = urlsplit(runtime_settings.map_tiles_url)
        if parts.scheme and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    csp = {}

    @server.after_request
    def _headers(response):
        if not csp:  # Dash knows its inline scripts only once the app is complete
            hashes = dash_app.csp_hashes()
            csp["default"] = content_security_policy(hashes, "'none'", origins)
            csp["wall"] = content_security_policy(hashes, settings.wall_frame_ancestors or "'none'", origins)
        return add_headers(response, csp["default"], csp["wall"], bool(settings.wall_frame_ancestors),
                           settings.worker_header, https_only=settings.cookie_secure)

    @server.errorhandler(InternalServerError)
    def _server_error(exc):
        log.error("server error on %s %s", request.method, request.path, exc_info=exc.original_exception or exc)
        if request.path.startswith("/api/") or request.path.startswith("/_dash"):
            return jsonify({"error": "server error; it has been logged"}), 500
        return views.error_page()

    from dashboard.auth.permissions import Forbidden

    @server.errorhandler(Forbidden)
    def _forbidden(exc):
        if request.path.startswith("/api/") or request.path.startswith("/_dash"):
            return jsonify({"error": str(exc) or "your role does not allow this"}), 403
        return views.forbidden_page()

    from dash.exceptions import DependencyException

    @server.errorhandler(DependencyException)
    def _unknown_dash_file(exc):
        # Dash raises this for a component-suite file it never registered: a 404, not a 500
        if request.path.startswith("/_dash-component-suites/"):
            return jsonify({"error": "not found"}), 404
        log.error("server error on %s %s", request.method, request.path, exc_info=exc)
        return jsonify({"error": "server error; it has been logged"}), 500

    @server.errorhandler(413)
    def _too_large(exc: HTTPException):
        return jsonify({"error": "request too large"}), 413
