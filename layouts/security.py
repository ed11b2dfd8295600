"""Security page: open alerts by severity, new alerts over time, by system and by
agency, a filterable list (AG Grid: cells render as text, so a sender's HTML stays inert),
and an import of alerts from a CSV or JSON file."""
from __future__ import annotations

import base64

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from collectors.timeutil import parse_iso
from dashboard.domain.alerts import SEVERITIES, STATUSES
from dashboard.i18n import local_time, t
from dashboard.i18n.components import dropdown_labels, grid_locale
from dashboard.readmodels import alerts as alerts_queries
from dashboard.web.facade import DataUnavailable, facade, page_language
from layouts.components.alert_charts import graph, open_by_figure, severity_badge, severity_over_time_figure
from layouts.components.feedback import outcome_alert, unavailable

dash.register_page(__name__, path="/security", title="IOC Quảng Ngãi — An toàn thông tin", name="An toàn thông tin")

LIST_LIMIT = 500


def layout(**_query):
    lang = page_language()
    labels = dropdown_labels(lang)  # the search box and "2 selected" in the reader's language
    return html.Div(
        [
            dcc.Interval(id="sec-refresh", interval=max(facade().settings.refresh_ms, 5000)),
            dcc.Location(id="sec-go", refresh="callback-nav"),
            html.H1(id="sec-heading", className="h3 mb-3"),
            html.Div(id="sec-counts", className="status-counts mb-3"),
            dbc.Row(
                [
                    dbc.Col(html.Div([html.H2(id="sec-over-time-title", className="h6"), dcc.Graph(id="sec-over-time", config={"displayModeBar": False})], className="sec-card"), lg=6),
                    dbc.Col(html.Div([html.H2(id="sec-by-system-title", className="h6"), html.Div(id="sec-by-system")], className="sec-card"), lg=3),
                    dbc.Col(html.Div([html.H2(id="sec-by-agency-title", className="h6"), html.Div(id="sec-by-agency")], className="sec-card"), lg=3),
                ],
                className="g-3 mb-3",
            ),
            html.Div(
                [
                    html.H2(id="sec-list-title", className="h5"),
                    dbc.Row(
                        [
                            dbc.Col(dcc.Dropdown(id="sec-filter-status", labels=labels, multi=True, value=["new", "acknowledged"]), md=3),
                            dbc.Col(dcc.Dropdown(id="sec-filter-severity", labels=labels, multi=True), md=3),
                            dbc.Col(dcc.Dropdown(id="sec-filter-system", labels=labels), md=3),
                            dbc.Col(dbc.Input(id="sec-filter-search", type="search", debounce=True), md=3),
                        ],
                        className="g-2 mb-2",
                    ),
                    html.Div(id="sec-list-count", className="small text-muted mb-1"),
                    dag.AgGrid(
                        id="sec-grid",
                        rowData=[],
                        columnDefs=[],
                        getRowId="params.data.row_id",
                        defaultColDef={"sortable": True, "filter": True, "resizable": True},
                        dashGridOptions={"animateRows": False, "localeText": grid_locale(lang)},
                        style={"height": "480px"},
                        className="ag-theme-alpine sec-grid",
                    ),
                ],
                className="sec-card mb-3",
            ),
            html.Div(
                [
                    html.H2(id="sec-import-title", className="h6"),
                    dcc.Upload(id="sec-upload", className="sec-upload", max_size=2 * 1024 * 1024, # named from the first paint: the file field takes its accessible name from this text
                                 children=html.Div(t("sec.import_drop", lang), id="sec-upload-label")),
                    html.Div(id="admin-alert-import-result", className="small mt-2", role="status"),
                ],
                className="sec-card",
            ),
        ],
        className="security-page",
    )


@callback(
    Output("sec-heading", "children"),
    Output("sec-over-time-title", "children"),
    Output("sec-by-system-title", "children"),
    Output("sec-by-agency-title", "children"),
    Output("sec-list-title", "children"),
    Output("sec-import-title", "children"),
    Output("sec-upload-label", "children"),
    Output("sec-filter-status", "options"),
    Output("sec-filter-status", "placeholder"),
    Output("sec-filter-severity", "options"),
    Output("sec-filter-severity", "placeholder"),
    Output("sec-filter-system", "placeholder"),
    Output("sec-filter-search", "placeholder"),
    Output("sec-grid", "columnDefs"),
    Input("lang-toggle", "value"),
)
def translate(lang):
    lang = lang or "vi"
    columns = [
        {"field": "id", "headerName": t("alert.col.id", lang), "width": 80},
        {"field": "severity_label", "headerName": t("alert.col.severity", lang), "width": 130,
         "cellClass": {"function": "'sev-cell sev-' + params.data.severity"}},
        {"field": "status_label", "headerName": t("alert.col.status", lang), "width": 130},
        {"field": "title", "headerName": t("alert.col.title", lang), "flex": 3, "minWidth": 260},
        {"field": "category", "headerName": t("alert.col.category", lang), "width": 130},
        {"field": "source", "headerName": t("alert.col.source", lang), "width": 120},
        {"field": "where", "headerName": t("alert.col.agency", lang), "flex": 2, "minWidth": 160},
        {"field": "asset", "headerName": t("alert.col.asset", lang), "flex": 1, "minWidth": 140},
        {"field": "count", "headerName": t("alert.col.count", lang), "width": 90, "type": "numericColumn"},
        {"field": "last_seen_local", "headerName": t("alert.col.last_seen", lang), "width": 170, "sort": "desc"},
    ]
    return (
        t("sec.heading", lang), t("sec.over_time", lang), t("sec.by_system", lang), t("sec.by_agency", lang),
        t("sec.list", lang), t("sec.import", lang), t("sec.import_drop", lang),
        [{"label": t(f"alert.status.{s}", lang), "value": s} for s in STATUSES], t("sec.filter.status", lang),
        [{"label": t(f"severity.{s}", lang), "value": s} for s in SEVERITIES], t("sec.filter.severity", lang),
        t("sec.filter.system", lang), t("sec.filter.search", lang), columns,
    )


def grid_rows(alerts: list[dict], lang: str) -> list[dict]:
    """Rows for the grid: plain strings only (AG Grid renders them as text)."""
    return [
        {
            "id": a["id"], "row_id": str(a["id"]), "severity": a["severity"], "severity_label": t(f"severity.{a['severity']}", lang),
            "status_label": t(f"alert.status.{a['status']}", lang), "title": a["title_en" if lang == "en" else "title_vi"], "category": a["category"],
            "source": a["source"],
            "where": " · ".join(x for x in (a["system_name"], a["agency_name"]) if x),
            "asset": a["asset"] or "", "count": a["count"],
            "last_seen_local": local_time(parse_iso(a["last_seen"]), with_date=True),
        }
        for a in alerts
    ]


@callback(
    Output("sec-counts", "children"),
    Output("sec-over-time", "figure"),
    Output("sec-by-system", "children"),
    Output("sec-by-agency", "children"),
    Output("sec-filter-system", "options"),
    Output("sec-grid", "rowData"),
    Output("sec-list-count", "children"),
    Input("sec-refresh", "n_intervals"),
    Input("lang-toggle", "value"),
    Input("sec-filter-status", "value"),
    Input("sec-filter-severity", "value"),
    Input("sec-filter-system", "value"),
    Input("sec-filter-search", "value"),
    Input("admin-alert-import-result", "children"),
)
def refresh(_n, lang, status, severity, system, search, _imported):
    lang = lang or "vi"
    try:
        view = facade().read(alerts_queries.security_view, lang, status=status, severity=severity, system=system,
                             search=search, limit=LIST_LIMIT)
    except DataUnavailable:
        return (unavailable(lang), no_update, no_update, no_update, no_update, no_update, no_update)
    counts, over_time, by_system, by_agency = view["counts"], view["over_time"], view["by_system"], view["by_agency"]
    total, alerts, systems = view["total"], view["alerts"], view["systems"]
    chips = [html.Span([severity_badge(s, lang), " ", html.Strong(str(counts[s]))], className=f"count-chip sev-chip sev-{s}",
                       **{"data-severity": s, "data-count": str(counts[s])}) for s in SEVERITIES]
    chips.insert(0, html.Span(t("sec.open", lang) + ":", className="align-self-center fw-semibold"))
    empty = html.P(t("sec.none", lang), className="text-muted small")
    return (
        chips,
        severity_over_time_figure(over_time, lang),
        graph(open_by_figure(by_system, lang), "sec-by-system-graph") if by_system else empty,
        graph(open_by_figure(by_agency, lang), "sec-by-agency-graph") if by_agency else empty,
        systems,
        grid_rows(alerts, lang),
        [t("sec.shown", lang, shown=len(alerts), total=total), " — ", t("sec.open_hint", lang)],
    )


@callback(Output("sec-go", "href"), Input("sec-grid", "cellClicked"), prevent_initial_call=True)
def open_alert(cell):
    row_id = (cell or {}).get("rowId")
    if row_id is None or not str(row_id).isdigit():
        raise dash.exceptions.PreventUpdate
    return f"/alerts/{int(row_id)}"


@callback(
    Output("admin-alert-import-result", "children"),
    Input("sec-upload", "contents"),
    State("sec-upload", "filename"),
    State("lang-toggle", "value"),
    prevent_initial_call=True,
)
def import_file(contents, filename, lang):
    lang = lang or "vi"
    if not contents:
        raise dash.exceptions.PreventUpdate
    try:
        data = base64.b64decode(contents.split(",", 1)[1])
    except (IndexError, ValueError):
        return dbc.Alert(t("sec.import_failed", lang, reason="unreadable upload"), color="danger", className="py-2 mb-0")
    return outcome_alert(facade().import_alerts(filename or "", data, lang), padding="py-2", failure_colour="danger")
