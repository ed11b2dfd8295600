"""The weekly leadership report: a print-styled page (A4, assets/theme/report.css) and an
XLSX export, in Vietnamese."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, callback, clientside_callback, dcc, html

from dashboard.i18n import format_number, format_percent, local_time, t
from dashboard.plans.template import format_date
from dashboard.reports import periodic, weekly
from dashboard.web.facade import facade
from layouts.components.leadership_tables import agency_table, partner_table, systems_table, task_table
from layouts.components.progress_charts import percent_bars, trend_line

dash.register_page(__name__, path="/report", title="IOC Quảng Ngãi — Báo cáo tuần", name="Báo cáo tuần")

PRINT_GRAPH = {"displayModeBar": False, "staticPlot": True}


def layout(**_query):
    return html.Div(
        [
            html.Div(
                [
                    dbc.Button(id="report-print", color="primary", className="me-2"),
                    dbc.Button(id="report-xlsx", color="secondary", outline=True, className="me-2"),
                    dbc.Button(id="report-monthly-docx", color="primary", outline=True, className="me-2"),
                    dbc.Button(id="report-monthly-xlsx", color="secondary", outline=True),
                    dcc.Download(id="report-download"),
                    dcc.Download(id="report-monthly-download"),
                    html.Span(id="report-print-done", hidden=True),
                ],
                className="report-actions mb-3 no-print",
            ),
            html.Div(id="report-content", className="weekly-report"),
        ]
    )


clientside_callback(
    ClientsideFunction(namespace="ioc_report", function_name="print"),  # assets/report.js
    Output("report-print-done", "children"),
    Input("report-print", "n_clicks"),
    prevent_initial_call=True,
)


@callback(Output("report-print", "children"), Output("report-xlsx", "children"), Output("report-monthly-docx", "children"),
          Output("report-monthly-xlsx", "children"), Input("lang-toggle", "value"))
def translate(lang):
    month = periodic.last_month()
    return (t("report.print", lang), t("report.xlsx", lang), t("report.monthly_docx", lang, month=month),
            t("report.monthly_xlsx", lang, month=month))


@callback(Output("report-monthly-download", "data"), Input("report-monthly-docx", "n_clicks"), Input("report-monthly-xlsx", "n_clicks"),
          prevent_initial_call=True)
def download_monthly(_docx, _xlsx):
    fmt = "docx" if dash.ctx.triggered_id == "report-monthly-docx" else "xlsx"
    body, name = facade().read(periodic.report_file, "monthly", periodic.last_month(), fmt, facade().settings.verified_days)
    return dcc.send_bytes(body, name)


def _section(title: str, body) -> html.Section:
    return html.Section([html.H2(title, className="report-h2"), body], className="report-section")


@callback(Output("report-content", "children"), Input("lang-toggle", "value"))
def render(lang):
    lang = lang or "vi"
    report = facade().read(weekly.weekly_report_for, verified_days=facade().settings.verified_days)
    progress, coverage = report["progress"], report["coverage"]
    previous = report["previous_percent"]
    summary = t(
        "report.summary_text", lang,
        progress=format_number(progress["province_percent"], lang),
        previous=format_percent(previous, lang),
        coverage=format_number(coverage["province_percent"], lang),
        overdue=len(progress["overdue"]), at_risk=len(progress["at_risk"]),
    )
    partners = progress["partners"]
    return [
        html.Header(
            [
                html.Div(t("app.title", lang), className="report-org"),
                html.H1(t("report.heading", lang), className="report-title"),
                html.Div(t("report.week", lang, start=format_date(report["week_start"]), end=format_date(report["week_end"])), className="report-week"),
                html.Div(t("report.generated", lang, time=local_time(report["generated_at"], with_date=True)), className="report-generated"),
                html.Div(t("plans.demo_badge", lang), className="report-demo", id="report-demo") if progress["demo"] else None,
            ],
            className="report-header",
        ),
        _section(t("report.summary", lang), html.P(summary, id="report-summary")),
        _section(t("progress.partners", lang), html.Div([
            partner_table(partners, lang),
        ])),
        html.Div(
            [
                _section(t("progress.trend", lang), dcc.Graph(figure=trend_line(progress["trend"], 100, height=200, lang=lang), config=PRINT_GRAPH, className="report-graph")),
                _section(t("coverage.trend", lang), dcc.Graph(figure=trend_line(coverage["trend"], 100, height=200, lang=lang), config=PRINT_GRAPH, className="report-graph")),
            ],
            className="report-two",
        ),
        _section(t("progress.groups", lang), dcc.Graph(
            figure=percent_bars([t(f"group.{g.key}", lang) for g in progress["groups"]], [g.percent for g in progress["groups"]], 130, lang),
            config=PRINT_GRAPH, className="report-graph",
        )),
        _section(t("progress.laggards", lang), agency_table(progress["laggards"], lang, "report-laggards")),
        _section(t("coverage.systems", lang), systems_table(coverage["systems"], lang)),
        _section(t("progress.overdue", lang), task_table(progress["overdue"], lang, "report-overdue", late=True)),
    ]


@callback(Output("report-download", "data"), Input("report-xlsx", "n_clicks"), prevent_initial_call=True)
def download(_n):
    report = facade().read(weekly.weekly_report_for, verified_days=facade().settings.verified_days)
    return dcc.send_bytes(weekly.build_report_xlsx(report), weekly.report_filename(report["week_start"]))
