"""Leadership: plan progress per agency, partner and category; overdue and at-risk tasks;
the weekly trend; the commune map; import / export of the plan template."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard.auth.permissions import Forbidden, require
from dashboard.i18n import format_number, format_percent, t
from dashboard.plans import progress as prog
from dashboard.plans import store, template
from dashboard.readmodels import plans as views
from dashboard.web.facade import facade, page_language
from layouts.components.leadership_tables import agency_table, partner_table, task_table
from layouts.components.progress_charts import category_bars, percent_bars, trend_line
from layouts.components.progress_map import progress_map_figure

dash.register_page(__name__, path="/progress", title="IOC Quảng Ngãi — Tiến độ kế hoạch", name="Tiến độ kế hoạch")

PREVIEW_ROWS = 20
LIST_LIMIT = 30
GRAPH_CONFIG = {"displaylogo": False, "displayModeBar": False}


def layout(**_query):
    return html.Div(
        [
            dcc.Store(id="progress-version", data=0),
            # leadership reads the figures the IOC accepted unless it asks for the agencies' own
            dbc.RadioItems(id="progress-view", options=[{"label": "Số liệu đã duyệt", "value": "accepted"},
                                                        {"label": "Theo báo cáo của đơn vị", "value": "reported"}],
                           value="accepted", inline=True, persistence=True, persistence_type="local",
                           className="btn-group mb-2 progress-view-toggle", inputClassName="btn-check",
                           labelClassName="btn btn-outline-primary btn-sm", labelCheckedClassName="active"),
            html.Div(id="progress-content"),
            _io_card(),
        ],
        className="progress-page",
    )


def _io_card():
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2(id="plan-io-heading", className="h5"),
                html.P(id="plan-io-help", className="small text-muted"),
                html.Div(
                    [
                        dbc.Button(id="plan-template-xlsx", color="primary", size="sm", className="me-2"),
                        dbc.Button(id="plan-template-csv", color="secondary", outline=True, size="sm", className="me-2"),
                        dbc.Button(id="plan-export", color="secondary", outline=True, size="sm"),
                        dcc.Download(id="plan-download"),
                    ],
                    className="mb-3",
                ),
                dcc.Upload(id="plan-upload", children=html.Div(t("plans.drop", page_language()), id="plan-drop-text"), className="plan-upload", multiple=False),
                html.Div(id="plan-preview", className="mt-3"),
                html.Div(dbc.Checkbox(id="plan-delete-reported", value=False, label=""), id="plan-delete-wrap",
                         style={"display": "none"}, className="mt-2"),
                dbc.Button(id="plan-confirm", color="success", className="mt-2", style={"display": "none"}),
                html.Div(id="plan-import-result", className="mt-2", role="status"),
            ]
        ),
        className="mt-4 plan-io",
        id="plan-io",
    )





def _kpi(value: str, label: str, cls: str = "") -> html.Div:
    return html.Div([html.Div(value, className="kpi-value"), html.Div(label, className="kpi-label")], className=f"kpi {cls}".strip())


def _card(title: str, body, cls: str = "") -> dbc.Card:
    return dbc.Card([dbc.CardHeader(html.H2(title, className="h6 mb-0")), dbc.CardBody(body)], className=f"h-100 {cls}".strip())


def _freshness_card(view: dict, lang: str):
    rows = view["freshness"]
    days = view["silent_days"]
    counts = {state: sum(1 for r in rows if r["freshness"] == state) for state in ("fresh", "stale", "silent")}
    silent = [r for r in rows if r["freshness"] == "silent"]
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in ("col.agency", "col.last_report", "col.days_silent")]))
    body = html.Tbody([
        html.Tr([
            html.Td(r["name_en"] if lang == "en" else r["name_vi"]),
            html.Td(_day(r["last_report"]) if r["last_report"] else t("fresh.never", lang)),
            html.Td(str(r["days_silent"]) if r["days_silent"] is not None else "—", className="freshness-silent"),
        ])
        for r in silent[:LIST_LIMIT]
    ])
    return _card(t("fresh.heading", lang), [
        html.P(t("fresh.help", lang, days=days), className="small text-muted mb-2"),
        html.Div([
            _kpi(str(counts["fresh"]), t("fresh.fresh", lang), "kpi-ok"),
            _kpi(str(counts["stale"]), t("fresh.stale", lang, days=days), "kpi-warn"),
            _kpi(str(counts["silent"]), t("fresh.silent", lang, days=days), "kpi-bad"),
        ], className="kpi-row mb-2", id="freshness-counts"),
        html.H3(f"{t('fresh.silent_list', lang)} ({len(silent)})", className="h6"),
        html.Div(dbc.Table([head, body], size="sm", className="mb-0", id="silent-table"), className="table-responsive"),
    ])


def _day(iso_day: str) -> str:
    year, month, day = iso_day.split("-")
    return f"{day}/{month}/{year}"


@callback(Output("progress-content", "children"), Input("lang-toggle", "value"), Input("progress-version", "data"),
          Input("progress-view", "value"))
def render(lang, _version, which):
    lang = lang or "vi"
    view = facade().read(views.progress_page, view=which or "accepted", silent_days=getattr(facade().settings, "silent_days", 14))
    header = html.Div(
        [
            html.H1(t("progress.heading", lang), className="h3 mb-0"),
            dbc.Badge(t("plans.demo_badge", lang), color="warning", text_color="dark", className="demo-data-badge", id="demo-data-badge") if view["demo"] else None,
        ],
        className="d-flex align-items-center gap-3 mb-1",
    )
    header = html.Div([header, html.Div(t("progress.view.help", lang) + " — " + t(f"progress.view.{view['view']}", lang),
                                        className="small text-muted mb-3", id="progress-view-note")])
    if not view["plans"]:
        return [header, dbc.Alert(t("plans.no_plans", lang), color="info", id="progress-empty")]
    rows = view["agencies"]
    kpis = html.Div(
        [
            _kpi(format_percent(view["province_percent"], lang, 0), t("progress.province", lang), "kpi-main"),
            _kpi(f"{view['plans']}/{len(rows)}", t("progress.plans", lang)),
            _kpi(str(view["tasks"]), t("progress.tasks", lang)),
            _kpi(str(len(view["overdue"])), t("progress.overdue_count", lang), "kpi-bad"),
            _kpi(str(len(view["at_risk"])), t("progress.at_risk_count", lang), "kpi-warn"),
        ],
        className="kpi-row mb-3",
    )
    partners = view["partners"]
    groups = view["groups"]
    top = dbc.Row(
        [
            dbc.Col(_card(t("progress.laggards", lang), agency_table(view["laggards"], lang, "laggards-table"), "laggards-card"), lg=7, className="mb-3"),
            dbc.Col(_card(t("progress.partners", lang), [
                partner_table(partners, lang),
                dcc.Graph(figure=percent_bars([g.key for g in partners], [g.percent for g in partners], 180, lang), config=GRAPH_CONFIG),
            ], "partners-card"), lg=5, className="mb-3"),
        ]
    )
    middle = dbc.Row(
        [
            dbc.Col(_card(t("progress.groups", lang), dcc.Graph(
                figure=percent_bars([t(f"group.{g.key}", lang) for g in groups], [g.percent for g in groups], 150, lang), config=GRAPH_CONFIG,
            )), lg=4, className="mb-3"),
            dbc.Col(_card(t("progress.categories", lang), dcc.Graph(figure=category_bars(view["categories"], lang), config=GRAPH_CONFIG)), lg=4, className="mb-3"),
            dbc.Col(_card(t("progress.trend", lang), dcc.Graph(figure=trend_line(view["trend"], 100, lang=lang), config=GRAPH_CONFIG, id="progress-trend")), lg=4, className="mb-3"),
        ]
    )
    settings = facade().settings
    map_figure = progress_map_figure(
        view["map_points"], lang,
        tiles_url=getattr(settings, "map_tiles_url", None),
        boundary_url="/api/map/boundary.geojson" if getattr(settings, "map_boundary_geojson", None) else None,
    )
    map_card = _card(t("progress.map", lang), dcc.Graph(figure=map_figure, config=GRAPH_CONFIG, id="progress-map"))
    lists = dbc.Row(
        [
            dbc.Col(_card(t("progress.overdue", lang), task_table(view["overdue"], lang, "overdue-table", late=True)), lg=6, className="mb-3"),
            dbc.Col(_card(t("progress.at_risk", lang, days=prog.AT_RISK_DAYS, percent=format_number(prog.AT_RISK_PERCENT, lang, 0)),
                          task_table(view["at_risk"], lang, "at-risk-table", late=False)), lg=6, className="mb-3"),
        ]
    )
    by_group = [
        html.Details(
            [
                html.Summary(f"{t(f'group.{key}', lang)} ({sum(1 for r in rows if r.group == key)})"),
                agency_table([r for r in rows if r.group == key], lang, f"agencies-{key}"),
            ],
            open=key == "departments",
            className="mb-2",
        )
        for key in ("departments", "communes")
    ]
    return [
        header, kpis, top, middle,
        dbc.Row([dbc.Col(map_card, lg=6, className="mb-3"), dbc.Col(_card(t("progress.all_agencies", lang), by_group), lg=6, className="mb-3")]),
        lists,
        dbc.Row([dbc.Col(html.Div(_freshness_card(view, lang), id="freshness-card"), lg=6, className="mb-3")]),
    ]


@callback(Output("progress-view", "options"), Input("lang-toggle", "value"))
def translate_view(lang):
    return [{"label": t(f"progress.view.{key}", lang or "vi"), "value": key} for key in views.VIEWS]


@callback(
    Output("plan-io-heading", "children"), Output("plan-io-help", "children"), Output("plan-template-xlsx", "children"),
    Output("plan-template-csv", "children"), Output("plan-export", "children"), Output("plan-drop-text", "children"),
    Output("plan-confirm", "children"),
    Input("lang-toggle", "value"),
)
def translate_io(lang):
    keys = ("plans.io_heading", "plans.io_help", "plans.template_xlsx", "plans.template_csv", "plans.export", "plans.drop", "plans.confirm")
    return tuple(t(k, lang) for k in keys)


@callback(
    Output("plan-download", "data"),
    Input("plan-template-xlsx", "n_clicks"), Input("plan-template-csv", "n_clicks"), Input("plan-export", "n_clicks"),
    prevent_initial_call=True,
)
def download(_xlsx, _csv, _export):
    which = dash.ctx.triggered_id
    agencies, systems, rows = facade().read(views.template_data, filled=which == "plan-export")
    if which == "plan-template-csv":
        return dcc.send_bytes(template.build_csv(), "mau-ke-hoach.csv")
    name = "ke-hoach-xuat.xlsx" if which == "plan-export" else "mau-ke-hoach.xlsx"
    return dcc.send_bytes(template.build_xlsx(rows, agencies, systems), name)


def problems_table(report, lang: str) -> dbc.Table:
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in ("col.row", "col.column", "col.problem")]))
    body = html.Tbody([
        html.Tr([
            html.Td(str(p.row) if p.row is not None else t("plans.file_problem", lang)),
            html.Td(p.column_label(lang)),
            html.Td(p.message(lang)),
        ])
        for p in report.problems[:500]
    ])
    return dbc.Table([head, body], size="sm", bordered=True, className="problems-table", id="plan-problems")


def preview_table(report, lang: str) -> html.Div:
    columns = template.COLUMNS
    head = html.Thead(html.Tr([html.Th(t("col.row", lang))] + [html.Th(c.en if lang == "en" else c.vi) for c in columns]))
    body = []
    for task in report.tasks[:PREVIEW_ROWS]:
        values = {
            "agency": task.agency_id, "code": task.code or "", "partner": task.partner or "", "title": task.title, "category": task.category,
            "owner": task.owner or "", "start": template.format_date(task.start), "due": template.format_date(task.due),
            "status": task.status, "percent": f"{task.percent:g}", "systems": ";".join(task.systems), "notes": task.notes or "",
        }
        body.append(html.Tr([html.Td(str(task.row))] + [html.Td(values[c.key]) for c in columns]))
    return html.Div([
        html.Div(t("plans.preview_rows", lang, n=PREVIEW_ROWS), className="small text-muted"),
        html.Div(dbc.Table([head, html.Tbody(body)], size="sm", className="preview-table"), className="table-responsive"),
    ], id="plan-preview-table")


DIFF_LISTED = 30


def diff_card(diff, lang: str) -> html.Div:
    """What the import would change: counts, then the new, changed and missing tasks."""
    counts = diff.counts()
    badges = html.Div([
        dbc.Badge(f"{t('plans.diff.' + kind, lang)}: {counts[kind]}", color=colour, className="me-2", id=f"plan-diff-{kind}")
        for kind, colour in (("new", "success"), ("changed", "primary"), ("unchanged", "secondary"), ("missing", "danger"))
    ], className="mb-2")
    rows = []
    for item in [i for i in diff.items if i.kind != "unchanged"][:DIFF_LISTED]:
        if item.kind == "changed":
            detail = t("plans.diff.fields", lang, fields=", ".join(
                next((c.en if lang == "en" else c.vi) for c in template.COLUMNS if c.key == f) for f in item.fields))
        elif item.kind == "missing":
            detail = t("plans.diff.missing_kept" if item.has_updates else "plans.diff.missing_deleted", lang)
        else:
            detail = ""
        rows.append(html.Tr([html.Td(t(f"plans.diff.{item.kind}", lang)), html.Td(item.agency_id), html.Td(item.code or "—"),
                             html.Td(item.title), html.Td(detail)]))
    hidden = sum(1 for i in diff.items if i.kind != "unchanged") - len(rows)
    table = dbc.Table([html.Tbody(rows)], size="sm", className="mb-1", id="plan-diff-table") if rows else None
    return html.Div([html.H3(t("plans.diff.heading", lang), className="h6"), badges, table,
                     html.Div(t("plans.diff.more", lang, n=hidden), className="small text-muted") if hidden > 0 else None],
                    className="table-responsive mb-2", id="plan-diff")


@callback(
    Output("plan-preview", "children"), Output("plan-confirm", "style"), Output("plan-import-result", "children", allow_duplicate=True),
    Output("plan-delete-wrap", "style"), Output("plan-delete-reported", "label"), Output("plan-delete-reported", "value"),
    Input("plan-upload", "contents"), State("plan-upload", "filename"), State("lang-toggle", "value"),
    prevent_initial_call=True,
)
def preview(contents, filename, lang):
    lang = lang or "vi"
    hidden = {"display": "none"}
    if not contents:
        return None, hidden, None, hidden, "", False
    report, diff = facade().read(store.preview_merge, filename, contents)
    if report.ok:
        message = dbc.Alert(t("plans.preview_ok", lang, file=filename, tasks=len(report.tasks), agencies=len(report.agencies())), color="success", id="plan-valid")
        reported = diff.counts()["missing_reported"]
        return ([message, diff_card(diff, lang), preview_table(report, lang)], {"display": "inline-block"}, None,
                None if reported else hidden, t("plans.diff.delete_reported", lang, n=reported), False)
    message = dbc.Alert(t("plans.preview_bad", lang, file=filename, n=len(report.problems)), color="danger", id="plan-invalid")
    return [message, problems_table(report, lang)], hidden, None, hidden, "", False


@callback(
    Output("plan-import-result", "children"), Output("plan-confirm", "style", allow_duplicate=True),
    Output("plan-preview", "children", allow_duplicate=True), Output("progress-version", "data"),
    Input("plan-confirm", "n_clicks"),
    State("plan-upload", "contents"), State("plan-upload", "filename"), State("lang-toggle", "value"), State("progress-version", "data"),
    State("plan-delete-reported", "value"),
    prevent_initial_call=True,
)
def confirm(_clicks, contents, filename, lang, version, delete_reported):
    lang = lang or "vi"
    try:
        require("import_plan")
    except Forbidden:
        return dbc.Alert(t("plans.forbidden", lang), color="danger"), no_update, no_update, no_update
    # Validated again: the file is the one shown, but the catalog may have changed since.
    report, counts = facade().read(store.import_upload, filename, contents, views.local_today(), bool(delete_reported))
    if counts is None:
        return None, {"display": "none"}, [dbc.Alert(t("plans.preview_bad", lang, file=filename, n=len(report.problems)), color="danger"), problems_table(report, lang)], no_update
    message = dbc.Alert(t("plans.imported", lang, file=filename, **counts), color="success", id="plan-imported")
    return message, {"display": "none"}, None, (version or 0) + 1
