"""Leadership: integration coverage — which agency and shared system is integrated,
connected and sharing data with the national platforms, against the 100 % target (issue 6)."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html
from flask import current_app

from dashboard.i18n import t
from dashboard.reports.numbers import format_percent
from dashboard.readmodels import plans as views
from layouts.components.leadership_tables import progress_bar, state_legend, state_mark, systems_table
from layouts.components.progress_charts import trend_line

dash.register_page(__name__, path="/coverage", title="IOC Quảng Ngãi — Mức độ tích hợp", name="Mức độ tích hợp")

REFRESH_MS = 60_000
GRAPH_CONFIG = {"displaylogo": False, "displayModeBar": False}


def layout(**_query):
    return html.Div([dcc.Interval(id="coverage-refresh", interval=REFRESH_MS), html.Div(id="coverage-content")], className="coverage-page")


def agencies_table(agencies: list[dict], systems: list[dict], lang: str, table_id: str) -> html.Div:
    name = "name_en" if lang == "en" else "name_vi"
    head = html.Thead(html.Tr(
        [html.Th(t("col.agency", lang)), html.Th(t("col.partner", lang))]
        + [html.Th(s[name], title=s["id"]) for s in systems]
        + [html.Th(t("col.integration_rate", lang)), html.Th(t("col.live_up", lang))]
    ))
    rows = []
    for agency in agencies:
        cells = [html.Td(agency[name]), html.Td(agency["partner"] or "—")]
        for system in systems:
            state = agency["systems"].get(system["id"])
            cells.append(html.Td("—") if state is None else html.Td(state_mark(state["state"], lang)))
        cells.append(html.Td(progress_bar(agency["verified_percent"])))
        cells.append(html.Td(progress_bar(agency["live_up_percent"])))
        rows.append(html.Tr(cells))
    return dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, className="coverage-table mb-0", id=table_id)


@callback(Output("coverage-content", "children"), Input("lang-toggle", "value"), Input("coverage-refresh", "n_intervals"))
def render(lang, _n):
    lang = lang or "vi"
    runtime = current_app.extensions["ioc"]
    view, demo = views.coverage_page(runtime.db, verified_days=runtime.settings.verified_days)
    header = html.Div(
        [
            html.H1(t("coverage.heading", lang), className="h3 mb-0"),
            dbc.Badge(t("plans.demo_badge", lang), color="warning", text_color="dark", className="demo-data-badge", id="demo-data-badge") if demo else None,
        ],
        className="d-flex align-items-center gap-3 mb-3",
    )
    required = view["required"]
    kpis = html.Div(
        [
            html.Div([
                html.Div(format_percent(view["verified_percent"], lang), className="kpi-value", id="coverage-province"),
                html.Div(f"{t('coverage.rate', lang)} — {t('coverage.target', lang, target=round(view['target_percent']))}", className="kpi-label"),
                html.Div(t("coverage.of_required", lang, n=view["verified"], total=required), className="kpi-label"),
                dbc.Progress(value=view["verified_percent"], max=view["target_percent"], color="success", className="mt-1", style={"height": ".5rem"}),
            ], className="kpi kpi-main"),
            html.Div([html.Div(format_percent(view["live_up_percent"], lang), className="kpi-value", id="coverage-live-up"),
                      html.Div(t("coverage.live_up", lang), className="kpi-label"),
                      html.Div(t("coverage.of_required", lang, n=view["live_up"], total=required), className="kpi-label")], className="kpi"),
            html.Div([html.Div(format_percent(view["declared_percent"], lang), className="kpi-value", id="coverage-declared"),
                      html.Div(t("coverage.declared_kpi", lang), className="kpi-label"),
                      html.Div(t("coverage.of_required", lang, n=view["declared"], total=required), className="kpi-label")], className="kpi"),
        ],
        className="kpi-row mb-2",
    )
    systems = view["systems"]
    by_group = [
        html.Details(
            [
                html.Summary(f"{t(f'group.{key}', lang)} ({sum(1 for a in view['agencies'] if a['group'] == key)})"),
                html.Div(agencies_table([a for a in view["agencies"] if a["group"] == key], systems, lang, f"coverage-agencies-{key}"), className="table-responsive"),
            ],
            open=key == "departments",
            className="mb-2",
        )
        for key in ("departments", "communes")
    ]
    return [
        header,
        kpis,
        html.P(t("coverage.states_rules", lang, days=f"{view['verified_days']:g}"), className="small text-muted mb-2", id="coverage-rules"),
        dbc.Row([
            dbc.Col(dbc.Card([dbc.CardHeader(html.H2(t("coverage.systems", lang), className="h6 mb-0")), dbc.CardBody(systems_table(systems, lang))]), lg=7, className="mb-3"),
            dbc.Col(dbc.Card([dbc.CardHeader(html.H2(t("coverage.trend", lang), className="h6 mb-0")),
                              dbc.CardBody(dcc.Graph(figure=trend_line(view["trend"], view["target_percent"]), config=GRAPH_CONFIG, id="coverage-trend"))]), lg=5, className="mb-3"),
        ]),
        dbc.Card([dbc.CardHeader(html.H2(t("coverage.agencies", lang), className="h6 mb-0")), dbc.CardBody([state_legend(lang), *by_group])]),
    ]
