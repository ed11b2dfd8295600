"""The Dash application: shell (navbar, language, page container) and the API blueprint."""
from __future__ import annotations

import gc
import logging

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, dcc, html
from flask import has_request_context, request

from dashboard.auth import policy
from dashboard.auth.sessions import current_principal
from dashboard.config import GC_THRESHOLDS, PROJECT_DIR
from dashboard.i18n import t
from dashboard.web import delivery
from dashboard.web.api import api
from dashboard.web.delivery import IocDash
from dashboard.web.facade import install as install_facade
from dashboard.web.facade import page_language
from dashboard.web.metrics import metrics
from dashboard.web.openapi import openapi
from dashboard.web.static_html import to_html
from dashboard.web.status_page import status_page

log = logging.getLogger(__name__)


def create_app(runtime) -> dash.Dash:
    app = IocDash(
        __name__,
        use_pages=True,
        pages_folder=str(PROJECT_DIR / "layouts"),
        assets_folder=str(PROJECT_DIR / "assets"),
        external_stylesheets=[],  # Bootstrap is served from assets/: the IOC network may be offline
        title="IOC Quảng Ngãi",
        update_title=None,
        suppress_callback_exceptions=True,
        serve_locally=True,
        # Lazy chunks (MathJax, AG Grid's grid code, date pickers…) load when a page needs them;
        # Plotly.js alone is loaded with every page (dashboard/web/delivery.py says why).
        eager_loading=False,
    )
    delivery.install(app.server)  # compression, year-long cache of fingerprinted files
    app.server.extensions["ioc"] = runtime
    install_facade(app.server, runtime)  # what pages read and do, without touching the database
    app.server.register_blueprint(api)
    from dashboard.web.alerts_api import alerts_api  # security alerts

    app.server.register_blueprint(alerts_api)
    app.server.register_blueprint(metrics)
    app.server.register_blueprint(openapi)
    app.server.register_blueprint(status_page)
    from dashboard.web.incidents_api import incidents_api  # incident workflow: thread, close, MTTR

    app.server.register_blueprint(incidents_api)
    from dashboard.web.maintenance_api import maintenance_api  # maintenance planning

    app.server.register_blueprint(maintenance_api)
    from dashboard.web.routes_api import routes_api  # notification routes and the delivery log

    app.server.register_blueprint(routes_api)

    from dashboard.web.catalog_api import catalog_api  # the catalog kept in the database (admins)

    app.server.register_blueprint(catalog_api)

    from dashboard.web.agents_api import agents_api  # remote agents: assignment, signed result batches

    app.server.register_blueprint(agents_api)

    from dashboard.web.reporting_api import reporting_api  # agencies' own reports and their review

    app.server.register_blueprint(reporting_api)
    # Access control: every request is checked before Dash sees it; see docs/security.md
    from dashboard.auth.enforce import install
    from dashboard.auth.settings import from_env as auth_settings

    install(app.server, app, auth_settings(demo=runtime.demo is not None))
    app.layout = _shell()
    _serve_language(app)
    _register_shell_callbacks(app)
    # Everything loaded so far (Dash, Plotly's validators, the pages) lives as long as the
    # process: keep it out of the cyclic GC, whose full passes over it cost 100-150 ms and were
    # the wall refresh's slowest calls (bench/wall.py); and collect less often (see GC_THRESHOLDS).
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    return app


# (translation key suffix, path, how the link is marked active)
NAV_ITEMS = [
    ("overview", "/", "exact"),
    ("systems", "/systems", "partial"),
    ("security", "/security", "partial"),
    ("incidents", "/incidents", "partial"),
    ("maintenance", "/maintenance", "exact"),
    ("progress", "/progress", "exact"),
    ("coverage", "/coverage", "exact"),
    ("report", "/report", "exact"),
    ("catalog", "/catalog", "partial"),
    ("wall", "/wall", "exact"),
    ("my", "/my", "exact"),
]
# Pages for the wall display show no navigation chrome.
CHROMELESS_PREFIXES = ("/wall",)


def _shell():
    return html.Div(
        [
            dcc.Location(id="url"),
            dcc.Store(id="lang-applied"),  # written by assets/locale.js: <html lang>, cookie, Plotly locale
            dbc.Navbar(
                dbc.Container(
                    [
                        html.Div(
                            [
                                html.Div(id="app-title", className="navbar-brand fw-bold mb-0"),
                                html.Div(id="app-subtitle", className="small text-white-50"),
                            ],
                            className="me-auto",
                        ),
                        html.Div(id="shell-user", className="small text-white-50 me-3"),
                        dbc.RadioItems(
                            id="lang-toggle",
                            options=[{"label": "Tiếng Việt", "value": "vi"}, {"label": "English", "value": "en"}],
                            value="vi",
                            persistence=True,  # the chosen language survives reloads
                            persistence_type="local",
                            inline=True,
                            className="btn-group lang-toggle",
                            inputClassName="btn-check",
                            labelClassName="btn btn-outline-light btn-sm",
                            labelCheckedClassName="active",
                        ),
                        # The page links get a row of their own and wrap, so that nothing is ever
                        # pushed off a narrow screen (a laptop at 1366 px, a test browser).
                        dbc.Nav(
                            [dbc.NavLink(id=f"nav-{key}", href=href, active=match) for key, href, match in NAV_ITEMS],
                            navbar=True,
                            className="w-100 flex-wrap ioc-nav",
                        ),
                    ],
                    className="flex-wrap",
                    fluid=True,
                ),
                color="dark",
                dark=True,
                id="navbar",
                className="mb-3 ioc-navbar",
            ),
            dbc.Container(dash.page_container, fluid=True, className="pb-4"),
        ]
    )


def _serve_language(app: dash.Dash) -> None:
    """<html lang="vi"> (or "en") from the first byte, so screen readers pronounce the page in
    its language before any script runs; the toggle then keeps it in step (assets/locale.js).
    The placeholder shown while the scripts load says so in that language, and a page with a
    first paint (delivery.FIRST_PAINTS) shows it there instead."""
    render = app.interpolate_index

    def interpolate_index(**kwargs):
        lang = page_language()
        entry = kwargs.get("app_entry") or ""
        kwargs["app_entry"] = first_paint(request.path if has_request_context() else "", lang) + entry.replace(
            "Loading...", t("app.loading", lang), 1)
        page = render(**kwargs)
        return page.replace("<html>", f'<html lang="{lang}">', 1)

    app.interpolate_index = interpolate_index


def first_paint(path: str, lang: str) -> str:
    """The page's current content as plain HTML in the page itself, so that the screen shows it
    while the browser loads and starts the app's scripts (on a wall PC, 1-2 s of Plotly.js and
    React before the first callback). The live page replaces it once it has drawn (assets/wall.js);
    it hides itself after FIRST_PAINT_MAX_S in any case (CSS), so it can never pass for current."""
    build = delivery.FIRST_PAINTS.get(path.rstrip("/") or "/")
    if build is None:
        return ""
    try:
        content = build(lang)
    except Exception:  # the first paint is a courtesy: never fail the page for it
        log.exception("first paint of %s", path)
        return ""
    return to_html(content) if content is not None else ""


def _register_shell_callbacks(app: dash.Dash) -> None:
    app.clientside_callback(
        ClientsideFunction(namespace="ioc_locale", function_name="apply"),
        Output("lang-applied", "data"),
        Input("lang-toggle", "value"),
    )

    @app.callback(
        Output("app-title", "children"),
        Output("app-subtitle", "children"),
        [Output(f"nav-{key}", "children") for key, _, _ in NAV_ITEMS],
        Input("lang-toggle", "value"),
    )
    def translate_shell(lang):
        # Outputs are flattened: one value per nav link, not a nested list.
        return (t("app.title", lang), t("app.subtitle", lang), *[t(f"nav.{key}", lang) for key, _, _ in NAV_ITEMS])

    @app.callback(Output("shell-user", "children"), Input("lang-toggle", "value"))
    def show_user(lang):  # who is signed in, and the way out
        principal = current_principal()
        if principal is None or principal.kind != "user":
            return None
        links = [html.Span(f"{principal.name} · {t('auth.role.' + principal.role, lang)}", className="me-2")]
        if principal.role == "admin":
            links.append(dcc.Link(t("nav.audit", lang), href="/admin/audit", className="link-light me-2", id="audit-link"))
            links.append(dcc.Link(t("nav.access", lang), href="/admin/access", className="link-light me-2", id="access-link"))
            links.append(dcc.Link(t("nav.agents", lang), href="/admin/agents", className="link-light me-2", id="agents-link"))
        if principal.role in ("admin", "operator"):  # operators read the routes: who is told about what
            links.append(dcc.Link(t("routes.heading", lang), href="/admin/routes", className="link-light me-2", id="routes-link"))
        return links + [html.A(t("auth.logout", lang), href="/logout", className="link-light", id="logout-link")]

    @app.callback([Output(f"nav-{key}", "style") for key, _, _ in NAV_ITEMS], Input("url", "pathname"))
    def hide_links_out_of_reach(_pathname):
        # a reporter sees their two pages, not a bar of links that answer 403
        principal = current_principal()
        role = principal.role if principal else None
        return [None if policy.has_role(role, policy.page_role(href)) else {"display": "none"} for _, href, _ in NAV_ITEMS]

    @app.callback(Output("navbar", "style"), Input("url", "pathname"))
    def hide_chrome_on_wall(pathname):
        return {"display": "none"} if (pathname or "").startswith(CHROMELESS_PREFIXES) else None
