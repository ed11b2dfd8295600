"""Leadership: integration coverage — which agency and shared system is integrated,
connected and sharing data with the national platforms, against the 100 % target."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard.auth.permissions import Forbidden, require
from dashboard.i18n import t
from dashboard.plans import inventory, store
from dashboard.readmodels import availability as availability_views
from dashboard.readmodels import plans as views
from dashboard.reports.numbers import format_day, format_percent
from dashboard.web.facade import facade, page_language
from layouts.components.leadership_tables import availability_table, progress_bar, state_legend, state_mark, systems_table
from layouts.components.progress_charts import trend_line

dash.register_page(__name__, path="/coverage", title="IOC Quảng Ngãi — Mức độ tích hợp", name="Mức độ tích hợp")

REFRESH_MS = 60_000
PREVIEW_ROWS = 20
GRAPH_CONFIG = {"displaylogo": False, "displayModeBar": False}


def layout(**_query):
    return html.Div([
        dcc.Interval(id="coverage-refresh", interval=REFRESH_MS),
        dcc.Store(id="admin-inventory-version", data=0),
        html.Div(id="coverage-content"),
        _inventory_card(),
    ], className="coverage-page")


def _inventory_card() -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H2(id="inventory-io-heading", className="h5"),
        html.P(id="inventory-io-help", className="small text-muted"),
        html.Div([
            dbc.Button(id="inventory-template", color="primary", size="sm", className="me-2"),
            dbc.Button(id="inventory-export", color="secondary", outline=True, size="sm"),
            dcc.Download(id="inventory-download"),
        ], className="mb-3"),
        dcc.Upload(id="inventory-upload", children=html.Div(t("plans.drop", page_language()), id="inventory-drop-text"), className="plan-upload", multiple=False),
        html.Div(id="admin-inventory-preview", className="mt-3"),
        dbc.Button(id="inventory-confirm", color="success", className="mt-2", style={"display": "none"}),
        html.Div(id="admin-inventory-result", className="mt-2", role="status"),
    ]), className="mt-4 inventory-io", id="inventory-io")


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
        cells.append(html.Td(progress_bar(agency["verified_percent"], lang, f"{agency[name]} — {t('col.integration_rate', lang)}")))
        cells.append(html.Td(progress_bar(agency["live_up_percent"], lang, f"{agency[name]} — {t('col.live_up', lang)}")))
        rows.append(html.Tr(cells))
    return dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, className="coverage-table mb-0", id=table_id)


@callback(Output("coverage-content", "children"), Input("lang-toggle", "value"), Input("coverage-refresh", "n_intervals"),
          Input("admin-inventory-version", "data"))
def render(lang, _n, _version=None):
    lang = lang or "vi"
    view, demo = facade().read(views.coverage_page, verified_days=facade().settings.verified_days)
    month = availability_views.current_month()
    availability = facade().read(availability_views.availability_page, month)
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
                progress_bar(view["verified_percent"], lang, t("coverage.rate", lang), maximum=view["target_percent"], show_label=False,
                             class_name="mt-1", style={"height": ".5rem"}),
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
                              dbc.CardBody(dcc.Graph(figure=trend_line(view["trend"], view["target_percent"], lang=lang), config=GRAPH_CONFIG, id="coverage-trend"))]), lg=5, className="mb-3"),
        ]),
        inventory_card(view["inventory"], lang),
        dbc.Card([dbc.CardHeader(html.H2(t("availability.heading", lang, month=month), className="h6 mb-0")),
                  dbc.CardBody(html.Div(availability_table(availability, lang), className="table-responsive"))], className="mb-3"),
        dbc.Card([dbc.CardHeader(html.H2(t("coverage.agencies", lang), className="h6 mb-0")), dbc.CardBody([state_legend(lang), *by_group])]),
    ]


def inventory_card(inventory: dict, lang: str) -> dbc.Card:
    def kpi(value: str, label: str, kpi_id: str) -> html.Div:
        return html.Div([html.Div(value, className="kpi-value", id=kpi_id), html.Div(label, className="kpi-label")], className="kpi")

    return dbc.Card([
        dbc.CardHeader(html.Div([
            html.H2(t("inventory.heading", lang), className="h6 mb-0"),
            dbc.Badge(t("plans.demo_badge", lang), color="warning", text_color="dark", className="ms-2") if inventory["demo"] else None,
        ], className="d-flex align-items-center")),
        dbc.CardBody([
            html.Div([
                kpi(str(inventory["systems"]), t("inventory.systems", lang), "inventory-systems"),
                kpi(format_percent(inventory["verified_percent"], lang), t("inventory.verified", lang, n=inventory["verified"], total=inventory["required"]), "inventory-verified"),
                kpi(format_percent(inventory["live_up_percent"], lang), t("coverage.live_up", lang), "inventory-live-up"),
                kpi(format_percent(inventory["dossier_approved_percent"], lang),
                    t("inventory.security", lang, n=inventory["dossier_approved"], total=inventory["systems"]), "inventory-security"),
            ], className="kpi-row mb-0"),
        ]),
    ], className="mb-3", id="inventory-summary")


@callback(
    Output("inventory-io-heading", "children"), Output("inventory-io-help", "children"), Output("inventory-template", "children"),
    Output("inventory-export", "children"), Output("inventory-drop-text", "children"), Output("inventory-confirm", "children"),
    Input("lang-toggle", "value"),
)
def translate_inventory_io(lang):
    keys = ("inventory.io_heading", "inventory.io_help", "inventory.template", "inventory.export", "plans.drop", "plans.confirm")
    return tuple(t(k, lang) for k in keys)


@callback(Output("inventory-download", "data"), Input("inventory-template", "n_clicks"), Input("inventory-export", "n_clicks"),
          prevent_initial_call=True)
def inventory_download(_template, _export):
    filled = dash.ctx.triggered_id == "inventory-export"
    data = facade().read(views.inventory_template_data, filled)
    body = inventory.build_xlsx(data["rows"], data["agencies"], data["platforms"], data["systems"])
    return dcc.send_bytes(body, "danh-muc-httt-xuat.xlsx" if filled else "mau-danh-muc-httt.xlsx")


@callback(
    Output("admin-inventory-preview", "children"), Output("inventory-confirm", "style"),
    Output("admin-inventory-result", "children", allow_duplicate=True),
    Input("inventory-upload", "contents"), State("inventory-upload", "filename"), State("lang-toggle", "value"),
    prevent_initial_call=True,
)
def inventory_preview(contents, filename, lang):
    lang = lang or "vi"
    if not contents:
        return None, {"display": "none"}, None
    report = facade().read(store.preview_inventory_upload, filename, contents)
    if report.ok:
        message = dbc.Alert(t("inventory.preview_ok", lang, file=filename, n=len(report.rows), agencies=len(report.agencies())),
                            color="success", id="inventory-valid")
        return [message, inventory_preview_table(report, lang)], {"display": "inline-block"}, None
    message = dbc.Alert(t("plans.preview_bad", lang, file=filename, n=len(report.problems)), color="danger", id="inventory-invalid")
    return [message, problems_table(report, lang, "inventory-problems")], {"display": "none"}, None


@callback(
    Output("admin-inventory-result", "children"), Output("inventory-confirm", "style", allow_duplicate=True),
    Output("admin-inventory-preview", "children", allow_duplicate=True), Output("admin-inventory-version", "data"),
    Input("inventory-confirm", "n_clicks"),
    State("inventory-upload", "contents"), State("inventory-upload", "filename"), State("lang-toggle", "value"),
    State("admin-inventory-version", "data"),
    prevent_initial_call=True,
)
def inventory_confirm(_clicks, contents, filename, lang, version):
    lang = lang or "vi"
    try:
        require("import_plan")
    except Forbidden:
        return dbc.Alert(t("plans.forbidden", lang), color="danger"), no_update, no_update, no_update
    report, counts, refusal = facade().read(store.import_inventory_upload, filename, contents)
    if refusal:
        return dbc.Alert(refusal, color="danger", id="inventory-refused"), {"display": "none"}, None, no_update
    if counts is None:
        return None, {"display": "none"}, [dbc.Alert(t("plans.preview_bad", lang, file=filename, n=len(report.problems)), color="danger"),
                                           problems_table(report, lang, "inventory-problems")], no_update
    message = dbc.Alert(t("inventory.imported", lang, file=filename, **counts), color="success", id="inventory-imported")
    return message, {"display": "none"}, None, (version or 0) + 1


def problems_table(report, lang: str, table_id: str) -> dbc.Table:
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in ("col.row", "col.column", "col.problem")]))
    body = html.Tbody([
        html.Tr([html.Td(str(p.row) if p.row is not None else t("plans.file_problem", lang)), html.Td(p.column_label(lang)), html.Td(p.message(lang))])
        for p in report.problems[:500]
    ])
    return dbc.Table([head, body], size="sm", bordered=True, className="problems-table", id=table_id)


def inventory_preview_table(report, lang: str) -> html.Div:
    head = html.Thead(html.Tr([html.Th(t("col.row", lang))] + [html.Th(c.en if lang == "en" else c.vi) for c in inventory.COLUMNS]))
    body = []
    for row in report.rows[:PREVIEW_ROWS]:
        values = [row.code, row.name, row.agency_id, row.kind, ";".join(row.platforms), row.hosting or "", row.partner or "",
                  str(row.security_level or ""), t("coverage.yes" if row.dossier_approved else "coverage.no", lang), row.system_id or "",
                  format_day(row.integrated_on, lang) if row.integrated_on else "", row.evidence or ""]
        body.append(html.Tr([html.Td(str(row.row))] + [html.Td(v) for v in values]))
    return html.Div(dbc.Table([head, html.Tbody(body)], size="sm", className="preview-table"), className="table-responsive", id="inventory-preview-table")
