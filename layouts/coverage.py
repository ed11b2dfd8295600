"""Leadership: integration coverage — which agency and shared system is integrated,
connected and sharing data with the national platforms, against the 100 % target (issue 6)."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html
from flask import current_app

from dashboard.i18n import t
from dashboard.readmodels import plans as views
from layouts.components.leadership_tables import progress_bar, systems_table
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
        + [html.Th(s["id"].upper(), title=s[name]) for s in systems]
        + [html.Th(t("col.sharing", lang))]
    ))
    rows = []
    for agency in agencies:
        cells = [html.Td(agency[name]), html.Td(agency["partner"] or "—")]
        for system in systems:
            state = agency["systems"].get(system["id"])
            if state is None:
                cells.append(html.Td("—"))
            else:
                mark = "✔" if state["sharing"] else ("◐" if state["integrated"] or state["connected"] else "✖")
                cls = "coverage-yes" if state["sharing"] else "coverage-no"
                tip = f"{t('coverage.integrated', lang)}: {t('coverage.yes' if state['integrated'] else 'coverage.no', lang)}; {t('coverage.connected', lang)}: {t('coverage.yes' if state['connected'] else 'coverage.no', lang)}"
                cells.append(html.Td(html.Span(mark, className=cls, title=tip)))
        cells.append(html.Td(progress_bar(agency["sharing"])))
        rows.append(html.Tr(cells))
    return dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, className="coverage-table mb-0", id=table_id)


@callback(Output("coverage-content", "children"), Input("lang-toggle", "value"), Input("coverage-refresh", "n_intervals"))
def render(lang, _n):
    lang = lang or "vi"
    view, demo = views.coverage_page(current_app.extensions["ioc"].db)
    header = html.Div(
        [
            html.H1(t("coverage.heading", lang), className="h3 mb-0"),
            dbc.Badge(t("plans.demo_badge", lang), color="warning", text_color="dark", className="demo-data-badge", id="demo-data-badge") if demo else None,
        ],
        className="d-flex align-items-center gap-3 mb-3",
    )
    kpis = html.Div(
        [
            html.Div([
                html.Div(f"{view['province_percent']:.0f}%", className="kpi-value", id="coverage-province"),
                html.Div(f"{t('coverage.province', lang)} — {t('coverage.target', lang, target=round(view['target_percent']))}", className="kpi-label"),
                dbc.Progress(value=view["province_percent"], max=view["target_percent"], color="success", className="mt-1", style={"height": ".5rem"}),
            ], className="kpi kpi-main"),
            html.Div([html.Div(f"{view['integrated_percent']:.0f}%", className="kpi-value"), html.Div(t("col.integrated", lang), className="kpi-label")], className="kpi"),
            html.Div([html.Div(f"{view['connected_percent']:.0f}%", className="kpi-value"), html.Div(t("col.connected", lang), className="kpi-label")], className="kpi"),
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
        html.P(t("coverage.rules", lang), className="small text-muted mb-3", id="coverage-rules"),
        dbc.Row([
            dbc.Col(dbc.Card([dbc.CardHeader(html.H2(t("coverage.systems", lang), className="h6 mb-0")), dbc.CardBody(systems_table(systems, lang))]), lg=7, className="mb-3"),
            dbc.Col(dbc.Card([dbc.CardHeader(html.H2(t("coverage.trend", lang), className="h6 mb-0")),
                              dbc.CardBody(dcc.Graph(figure=trend_line(view["trend"], view["target_percent"]), config=GRAPH_CONFIG, id="coverage-trend"))]), lg=5, className="mb-3"),
        ]),
        dbc.Card([dbc.CardHeader(html.H2(t("coverage.agencies", lang), className="h6 mb-0")), dbc.CardBody(by_group)]),
    ]
