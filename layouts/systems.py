"""All systems, endpoints and national links in one searchable, sortable, filterable grid.
Clicking a row opens its drill-down page."""
from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, Patch, callback, clientside_callback, dcc, html

from collectors.timeutil import utcnow
from dashboard.i18n import status_label, t
from dashboard.i18n.components import dropdown_labels, grid_locale
from dashboard.readmodels import detail as detail_queries
from dashboard.web.facade import DataUnavailable, facade, page_language
from layouts.components.status_tile import STATUS_GLYPH
from layouts.components.systems_grid import STATUSES, TYPES, filter_rows, grid_rows

dash.register_page(__name__, path="/systems", title="IOC Quảng Ngãi — Danh mục hệ thống", name="Hệ thống")

def layout(**_query):
    lang = page_language()
    labels = dropdown_labels(lang)  # the search box and "2 selected" in the reader's language
    return html.Div(
        [
            dcc.Interval(id="systems-refresh", interval=max(facade().settings.refresh_ms, 5000)),
            html.H1(id="systems-heading", className="h3 mb-3"),
            dbc.Row(
                [
                    dbc.Col(dbc.Input(id="systems-search", type="search", debounce=False), md=3),
                    dbc.Col(dcc.Dropdown(id="systems-status", labels=labels, multi=True), md=2),
                    dbc.Col(dcc.Dropdown(id="systems-owner", labels=labels, multi=True), md=2),
                    dbc.Col(dcc.Dropdown(id="systems-partner", labels=labels, multi=True), md=2),
                    dbc.Col(dcc.Dropdown(id="systems-kind", labels=labels, multi=True), md=1),
                    dbc.Col(dcc.Dropdown(id="systems-type", labels=labels, multi=True), md=2),
                ],
                className="g-2 mb-2 systems-filters",
            ),
            dag.AgGrid(
                id="systems-grid",
                rowData=[],
                columnDefs=[],
                getRowId="params.data.key",
                defaultColDef={"sortable": True, "resizable": True, "filter": True, "minWidth": 90},
                dashGridOptions={"animateRows": False, "tooltipShowDelay": 300, "domLayout": "autoHeight",
                                 "pagination": True, "paginationPageSize": 50,
                                 # the pager, "no rows" and filter menus (AG Grid reads it once)
                                 "localeText": grid_locale(lang)},
                rowClassRules={f"grid-row-{s}": f"params.data.status_code == '{s}'" for s in STATUSES},
                columnSize="responsiveSizeToFit",
                className="systems-grid",
                style={"width": "100%"},
            ),
            html.Div(id="systems-nav", style={"display": "none"}),
        ],
        className="systems-page",
    )


@callback(
    Output("systems-grid", "rowData"),
    Output("systems-grid", "columnDefs"),
    Output("systems-heading", "children"),
    Output("systems-search", "placeholder"),
    Output("systems-status", "options"),
    Output("systems-status", "placeholder"),
    Output("systems-owner", "options"),
    Output("systems-owner", "placeholder"),
    Output("systems-partner", "options"),
    Output("systems-partner", "placeholder"),
    Output("systems-kind", "options"),
    Output("systems-kind", "placeholder"),
    Output("systems-type", "options"),
    Output("systems-type", "placeholder"),
    Input("systems-refresh", "n_intervals"),
    Input("systems-status", "value"),
    Input("systems-owner", "value"),
    Input("systems-partner", "value"),
    Input("systems-kind", "value"),
    Input("systems-type", "value"),
    Input("lang-toggle", "value"),
)
def refresh(_n, statuses, owners, partners, kinds, types, lang):
    lang = lang or "vi"
    try:
        rows = facade().read(detail_queries.catalog_rows, utcnow(), lang)
    except DataUnavailable:
        raise dash.exceptions.PreventUpdate from None  # keep the last grid rather than an empty one
    name_key = "owner_en" if lang == "en" else "owner_vi"
    owner_options = sorted({(r["owner_id"], r[name_key]) for r in rows if r["owner_id"]}, key=lambda o: o[1] or "")
    shown = grid_rows(filter_rows(rows, statuses, owners, partners, kinds, types), lang)
    columns = [
        {"field": "status", "headerName": t("grid.col.status", lang), "sort": "asc", "width": 130,
         "comparator": {"function": "iocStatusComparator"},
         "cellClass": {"function": "'grid-status status-text-' + params.data.status_code"}},
        {"field": "name", "headerName": t("grid.col.name", lang), "minWidth": 200},
        {"field": "type", "headerName": t("grid.col.type", lang), "width": 110},
        {"field": "id", "headerName": t("grid.col.id", lang), "width": 150},
        {"field": "system", "headerName": t("grid.col.system", lang), "minWidth": 180},
        {"field": "owner", "headerName": t("tile.owner", lang), "minWidth": 160},
        {"field": "partner", "headerName": t("tile.partner", lang), "width": 110},
        {"field": "kind", "headerName": t("grid.col.kind", lang), "width": 90},
        {"field": "last_check", "headerName": t("tile.last_check", lang), "width": 160},
        {"field": "reason", "headerName": t("detail.reason", lang), "minWidth": 220, "tooltipField": "reason_full"},
    ]
    kinds_all = sorted({r["kind"] for r in rows})
    partners_all = sorted({r["partner"] for r in rows if r["partner"]})
    return (
        shown, columns, t("grid.heading", lang), t("grid.search", lang),
        [{"label": f"{STATUS_GLYPH[s]} {status_label(s, lang)}", "value": s} for s in STATUSES], t("grid.col.status", lang),
        [{"label": name, "value": oid} for oid, name in owner_options], t("tile.owner", lang),
        [{"label": p, "value": p} for p in partners_all], t("tile.partner", lang),
        [{"label": k, "value": k} for k in kinds_all], t("grid.col.kind", lang),
        [{"label": t(f"grid.type.{k}", lang), "value": k} for k in TYPES], t("grid.col.type", lang),
    )


@callback(Output("systems-grid", "dashGridOptions"), Input("systems-search", "value"), prevent_initial_call=True)
def search(text):
    patch = Patch()
    patch["quickFilterText"] = text or ""
    return patch


# A row click navigates inside the app (no reload), as a dcc.Link would.
clientside_callback(
    ClientsideFunction(namespace="ioc_drilldown", function_name="openRow"),
    Output("systems-nav", "children"),
    Input("systems-grid", "cellClicked"),
    prevent_initial_call=True,
)
