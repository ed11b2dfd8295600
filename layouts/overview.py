"""Overview: a live tile per shared system, counts by status, and (in the demo) fault switches."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from collectors.timeutil import parse_iso, utcnow
from dashboard.demo.network import MODES, SYSTEM_IDS
from dashboard.i18n import local_time, status_label, t
from dashboard.i18n.components import dropdown_labels
from dashboard.readmodels import systems as queries
from dashboard.web.facade import DataUnavailable, facade, page_language
from layouts.components.feedback import unavailable
from layouts.components.status_tile import STATUS_GLYPH, status_tile

dash.register_page(__name__, path="/", title="IOC Quảng Ngãi — Tổng quan", name="Tổng quan")


def layout(**_query):
    pages = facade()
    refresh_ms = pages.settings.refresh_ms
    return html.Div(
        [
            dcc.Interval(id="overview-refresh", interval=refresh_ms),
            html.Div(
                [html.H1(id="overview-heading", className="h3 mb-0"), html.Div(id="overview-clock", className="overview-clock")],
                className="d-flex justify-content-between align-items-end mb-3",
            ),
            html.Div(id="overview-stale"),
            html.Div(id="overview-counts", className="status-counts mb-3"),
            html.Div(id="overview-tiles", className="tile-grid"),
            _demo_panel() if pages.demo_running else None,
        ]
    )


def _demo_panel():
    lang = page_language()
    labels = dropdown_labels(lang)  # the search box in the reader's language
    # the modes' names from the first paint: an empty dropdown has no accessible name
    modes = [{"label": t(f"demo.mode.{mode}", lang), "value": mode} for mode in MODES]
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2(id="demo-heading", className="h6"),
                html.P(id="demo-help", className="small text-muted"),
                dbc.Row(
                    [
                        dbc.Col(dcc.Dropdown(id="demo-system", labels=labels, options=list(SYSTEM_IDS), value=SYSTEM_IDS[0], clearable=False), md=4),
                        dbc.Col(dcc.Dropdown(id="demo-mode", labels=labels, options=modes, value="failing", clearable=False), md=4),
                        dbc.Col(dbc.Button(id="demo-apply", color="secondary"), md=2),
                    ],
                    className="g-2",
                ),
                html.Div(id="demo-result", className="small mt-2", role="status"),
            ]
        ),
        className="mt-4 demo-panel",
    )


@callback(
    Output("overview-heading", "children"),
    Output("overview-clock", "children"),
    Output("overview-stale", "children"),
    Output("overview-counts", "children"),
    Output("overview-tiles", "children"),
    Input("overview-refresh", "n_intervals"),
    Input("lang-toggle", "value"),
)
def refresh(_n, lang):
    lang = lang or "vi"
    now = utcnow()
    try:
        view = facade().read(queries.overview, now, lang)
    except DataUnavailable:
        return t("overview.heading", lang), dash.no_update, unavailable(lang), dash.no_update, dash.no_update
    systems, health = view["systems"], view["health"]
    counts = queries.status_counts(systems)
    clock = f"{t('overview.last_data', lang)}: {local_time(_latest(systems), with_date=True)}"
    stale = None
    if not health["scheduler"]["alive"] or any(s["stale"] for s in systems):
        stale = dbc.Alert(t("overview.stale_banner", lang), color="warning", className="stale-banner", id="stale-banner")
    count_badges = [
        html.Span([STATUS_GLYPH[status], f" {status_label(status, lang)}: ", html.Strong(str(n))], className=f"count-chip status-{status}")
        for status, n in counts.items()
    ]
    tiles = [status_tile(system, lang, now) for system in systems] or [html.P(t("overview.no_systems", lang))]
    return t("overview.heading", lang), clock, stale, count_badges, tiles


def _latest(systems: list[dict]):
    stamps = [s["last_check_at"] for s in systems if s["last_check_at"]]
    return parse_iso(max(stamps)) if stamps else None


@callback(
    Output("demo-heading", "children"),
    Output("demo-help", "children"),
    Output("demo-apply", "children"),
    Output("demo-mode", "options"),
    Input("lang-toggle", "value"),
)
def translate_demo(lang):
    options = [{"label": t(f"demo.mode.{mode}", lang), "value": mode} for mode in MODES]
    return t("demo.heading", lang), t("demo.help", lang), t("demo.apply", lang), options


@callback(
    Output("demo-result", "children"),
    Input("demo-apply", "n_clicks"),
    State("demo-system", "value"),
    State("demo-mode", "value"),
    State("lang-toggle", "value"),
    prevent_initial_call=True,
)
def switch_demo_system(_clicks, system_id, mode, lang):
    return facade().switch_demo_system(system_id, mode, lang or "vi").message
