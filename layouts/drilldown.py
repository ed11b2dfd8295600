"""The drill-down page shared by /systems/<id>, /endpoints/<id> and /links/<id>: its layout,
its body (built from the plain data of dashboard.readmodels.detail.drilldown) and its callbacks.
The three page modules (system_detail, endpoint_detail, link_detail) only declare their path and
call `detail_layout`. Only one detail page is shown at a time, so the component ids are shared.
"""
from __future__ import annotations

from datetime import datetime

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from collectors.timeutil import utcnow
from dashboard.i18n import VN_TZ, t
from dashboard.i18n.components import dropdown_labels
from dashboard.readmodels import detail as detail_queries
from dashboard.web.facade import MAX_COMMENT_CHARS, DataUnavailable, facade, page_language
from layouts.components import detail_sections as sections
from layouts.components.dependency_graph import dependency_figure
from layouts.components.feedback import outcome_alert, unavailable
from layouts.components.history_charts import availability_figure, latency_figure

GRAPH_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"], "responsive": True}
HISTORY_REFRESH_MS = 60_000


def detail_layout(kind: str, subject_id: str) -> html.Div:
    return html.Div(
        [
            dcc.Store(id="detail-subject", data={"type": kind, "id": subject_id}),
            dcc.Store(id="detail-bump", data=0),
            dcc.Interval(id="detail-refresh", interval=facade().settings.refresh_ms),
            dcc.Interval(id="detail-history-refresh", interval=HISTORY_REFRESH_MS),
            html.Div(id="detail-body"),
            dbc.Row(
                [
                    dbc.Col(
                        html.Div(
                            html.Div(
                                [
                                    html.Div(
                                        [html.H2(id="detail-history-title", className="h6 card-title mb-0 me-3"),
                                         sections.range_selector(detail_queries.DEFAULT_RANGE),
                                         dbc.Button(id="detail-export", color="link", size="sm", className="ms-auto")],
                                        className="d-flex align-items-center flex-wrap gap-2 mb-2",
                                    ),
                                    html.Div(id="detail-uptime"),
                                    dcc.Graph(id="detail-latency", config=GRAPH_CONFIG),
                                    dcc.Graph(id="detail-availability", config=GRAPH_CONFIG),
                                ],
                                className="card-body",
                            ),
                            className="card detail-card mb-3",
                        ),
                        lg=8,
                    ),
                    dbc.Col(_actions_card(kind), lg=4),
                ]
            ),
            html.Div(id="detail-lower"),
            dcc.Download(id="detail-download"),
        ],
        className=f"detail-page detail-{kind}",
        **{"data-kind": kind, "data-subject": subject_id},
    )


def _actions_card(kind: str) -> html.Div:
    lang = page_language()
    labels = dropdown_labels(lang)  # the search box and "2 selected" in the reader's language
    return html.Div(
        html.Div(
            [
                html.H2(id="detail-actions-title", className="h6 card-title"),
                dbc.Button(id="detail-check-now", color="primary", size="sm", className="mb-2"),
                html.Hr(),
                html.Div(id="detail-ack-title", className="fw-semibold small mb-1"),
                # a placeholder names the empty dropdown for screen readers too
                dcc.Dropdown(id="detail-ack-incident", labels=labels, options=[], clearable=True, className="mb-1",
                             placeholder=t("action.ack_choose", lang)),
                dbc.Textarea(id="detail-ack-comment", rows=2, maxLength=MAX_COMMENT_CHARS, className="mb-1"),
                dbc.Button(id="detail-ack", color="secondary", size="sm", className="mb-2"),
                html.Hr(),
                html.Div(id="detail-mw-title", className="fw-semibold small mb-1"),
                dbc.Row(
                    [
                        dbc.Col([dbc.Label(id="detail-mw-start-label", html_for="detail-mw-start", className="small mb-0"),
                                 # typed as dd/mm/yyyy hh:mm (24 h): the browser's own field shows mm/dd/yyyy
                                 # and AM/PM on an English system
                                 dbc.Input(id="detail-mw-start", type="text", size="sm", placeholder="dd/mm/yyyy hh:mm",
                                           maxLength=16, pattern=r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}")], width=7),
                        dbc.Col([dbc.Label(id="detail-mw-hours-label", html_for="detail-mw-hours", className="small mb-0"),
                                 dbc.Input(id="detail-mw-hours", type="number", min=0.25, max=744, step=0.25, value=2, size="sm")], width=5),
                    ],
                    className="g-1 mb-1",
                ),
                dbc.Input(id="detail-mw-reason", size="sm", maxLength=500, className="mb-1"),
                dbc.Button(id="detail-mw-save", color="secondary", size="sm"),
                html.Div(id="detail-action-result", className="small mt-2", role="status"),
            ],
            className="card-body",
        ),
        className="card detail-card mb-3 detail-actions",
    )


# ------------------------------------------------------------------------------ content


def _not_found(subject: dict, lang: str):
    return dbc.Alert([t("detail.not_found", lang, id=subject["id"]), " ", dcc.Link(t("nav.systems", lang), href="/systems")],
                     color="warning", className="detail-not-found")


def build_body(data: dict | None, subject: dict, lang: str, now: datetime):
    """(upper sections, lower sections, incidents that can be acknowledged) from the plain data of
    dashboard.readmodels.detail.drilldown (None: no such subject)."""
    if data is None:
        return _not_found(subject, lang), None, []
    kind = subject["type"]
    view, checks, incidents, windows = data["view"], data["checks"], data["incidents"], data["windows"]
    name_key = "name_en" if lang == "en" else "name_vi"
    list_crumb = (t("nav.systems", lang), "/systems")
    if kind == "system":
        owner = view["owner"][name_key] if view["owner"] else None
        subtitle = " · ".join(x for x in (f"{t('tile.owner', lang)}: {owner}" if owner else None,
                                          f"{t('tile.partner', lang)}: {view['partner']}" if view["partner"] else None) if x)
        upper = [
            sections.header(view[name_key], subtitle, view["status"], view["status_since"], view["reason"], lang, now,
                            [list_crumb, (view[name_key], None)]),
            *[c for c in (sections.month_card(data.get("month"), lang),) if c is not None],
            sections.card(t("detail.endpoints", lang), sections.endpoints_table(view["endpoints"], lang, now)),
            sections.card(t("deps.heading", lang), dbc.Row([
                dbc.Col(dcc.Graph(id="detail-deps", figure=dependency_figure(view["dependencies"], lang), config={"displayModeBar": False}), lg=7),
                dbc.Col(sections.links_list(view["dependencies"], lang), lg=5, className="pt-2"),
            ]), "deps-card"),
        ]
    elif kind == "endpoint":
        system_name = view["system_name_en" if lang == "en" else "system_name_vi"]
        upper = [
            sections.header(view["name"], f"{view['kind']} · {view['target']}" + (
                                " · " + t("detail.vantage", lang, v=view["vantage"]) if view.get("vantage", "central") != "central" else ""),
                            view["status"], view["status_since"], view["reason"], lang, now,
                            [list_crumb, (system_name, f"/systems/{view['system_id']}"), (view["name"], None)]),
            dbc.Row([
                dbc.Col(sections.card(t("detail.conditions", lang), sections.conditions_list(view["condition_rows"], lang)), lg=6),
                dbc.Col(sections.certificate_panel(view["certificate"], lang), lg=6),
            ]),
            sections.technical_details(view.get("technical"), lang),
            sections.card(t("detail.strip", lang), sections.check_strip(checks, lang)),
            sections.card(t("detail.last_results", lang), sections.results_table(checks, lang)),
        ]
        if view.get("vantages"):  # the same target seen from several networks
            upper.insert(1, sections.card(t("detail.vantages", lang), sections.endpoints_table(view["vantages"], lang, now),
                                          "vantages-card"))
    else:
        platform = view["platform_name_en" if lang == "en" else "platform_name_vi"]
        system_name = view["system_name_en" if lang == "en" else "system_name_vi"]
        subtitle = f"{system_name} ⇄ {platform} · {t('link.declared', lang)}: {t('link.declared.' + view['declared'], lang)}"
        upper = [sections.header(f"{t('link.title', lang)}: {platform}", subtitle, view["status"], view["status_since"], view["reason"],
                                 lang, now, [list_crumb, (system_name, f"/systems/{view['system_id']}"), (platform, None)])]
        if view["endpoint_id"]:
            upper += [
                html.P([t("link.checked_by", lang) + " ", dcc.Link(view["endpoint_id"], href=f"/endpoints/{view['endpoint_id']}")], className="small"),
                sections.card(t("detail.strip", lang), sections.check_strip(checks, lang)),
                sections.card(t("detail.last_results", lang), sections.results_table(checks, lang)),
            ]
        else:
            upper.append(dbc.Alert(t("link.unmonitored", lang), color="secondary"))
    lower = [sections.card(t("incident.heading", lang), sections.incidents_table(incidents, lang), "incidents-card")]
    if windows:
        lower.append(sections.card(t("mw.heading", lang), sections.maintenance_list(windows, lang), "maintenance-card"))
    ackable = [i for i in incidents if i["acknowledged_at"] is None]
    return upper, lower, ackable


@callback(
    Output("detail-body", "children"),
    Output("detail-lower", "children"),
    Output("detail-ack-incident", "options"),
    Input("detail-refresh", "n_intervals"),
    Input("detail-bump", "data"),
    Input("lang-toggle", "value"),
    State("detail-subject", "data"),
)
def refresh_body(_n, _bump, lang, subject):
    lang = lang or "vi"
    now = utcnow()
    try:
        data = facade().read(detail_queries.drilldown, subject["type"], subject["id"], now, lang)
    except DataUnavailable:
        return unavailable(lang), no_update, no_update
    upper, lower, ackable = build_body(data, subject, lang, now)
    options = [{"label": f"#{i['id']} · {i['subject_id']} · {i['cause'] or i['last_reason'] or ''}"[:120], "value": i["id"]} for i in ackable]
    return upper, lower, options


@callback(
    Output("detail-uptime", "children"),
    Output("detail-latency", "figure"),
    Output("detail-availability", "figure"),
    Input("detail-range", "value"),
    Input("detail-history-refresh", "n_intervals"),
    Input("lang-toggle", "value"),
    State("detail-subject", "data"),
)
def refresh_history(range_key, _n, lang, subject):
    range_key = range_key if range_key in detail_queries.RANGES else detail_queries.DEFAULT_RANGE
    try:
        data = facade().read(detail_queries.drilldown_history, subject["type"], subject["id"], range_key, utcnow())
    except DataUnavailable:
        return no_update, no_update, no_update
    return build_history(data, lang or "vi")


def build_history(data: dict, lang: str):
    """(uptime table, latency figure, availability figure) from detail.drilldown_history."""
    return (
        sections.uptime_table(data["uptimes"], lang),
        latency_figure(data["series"], lang, window=data["window"]),
        availability_figure(data["series"], lang, window=data["window"]),
    )


@callback(
    Output("detail-history-title", "children"),
    Output("detail-export", "children"),
    Output("detail-range", "options"),
    Output("detail-actions-title", "children"),
    Output("detail-check-now", "children"),
    Output("detail-ack-title", "children"),
    Output("detail-ack-comment", "placeholder"),
    Output("detail-ack", "children"),
    Output("detail-mw-title", "children"),
    Output("detail-mw-start-label", "children"),
    Output("detail-mw-hours-label", "children"),
    Output("detail-mw-reason", "placeholder"),
    Output("detail-mw-save", "children"),
    Input("lang-toggle", "value"),
)
def translate(lang):
    lang = lang or "vi"
    ranges = [{"label": t(f"range.{key}", lang), "value": key} for key in detail_queries.RANGES]
    return (t("detail.history", lang), t("detail.export_csv", lang), ranges, t("action.heading", lang), t("action.check_now", lang),
            t("action.ack_title", lang), t("action.ack_comment", lang), t("action.ack", lang), t("mw.title", lang),
            t("mw.start", lang), t("mw.hours", lang), t("mw.reason", lang), t("mw.save", lang))


@callback(
    Output("detail-download", "data"),
    Input("detail-export", "n_clicks"),
    State("detail-range", "value"),
    State("detail-subject", "data"),
    prevent_initial_call=True,
)
def export_csv(_clicks, range_key, subject):
    range_key = range_key if range_key in detail_queries.RANGES else detail_queries.DEFAULT_RANGE
    now = utcnow()
    try:
        text = facade().read(detail_queries.drilldown_csv, subject["type"], subject["id"], range_key, now)
    except DataUnavailable:
        return no_update
    stamp = now.astimezone(VN_TZ).strftime("%Y%m%d-%H%M")
    return dcc.send_string(text, f"{subject['id']}-{range_key}-{stamp}.csv", type="text/csv")


def feedback(outcome, bump):
    """The message under the buttons, and the bump that makes the page re-read after a change."""
    return outcome_alert(outcome), (bump or 0) + 1 if outcome.ok else no_update


@callback(
    Output("detail-action-result", "children", allow_duplicate=True),
    Output("detail-bump", "data", allow_duplicate=True),
    Input("detail-check-now", "n_clicks"),
    State("detail-subject", "data"),
    State("lang-toggle", "value"),
    State("detail-bump", "data"),
    prevent_initial_call=True,
)
def check_now(_clicks, subject, lang, bump):
    return feedback(facade().check_now(subject["type"], subject["id"], lang or "vi"), bump)


@callback(
    Output("detail-action-result", "children", allow_duplicate=True),
    Output("detail-bump", "data", allow_duplicate=True),
    Output("detail-ack-comment", "value"),
    Input("detail-ack", "n_clicks"),
    State("detail-ack-incident", "value"),
    State("detail-ack-comment", "value"),
    State("lang-toggle", "value"),
    State("detail-bump", "data"),
    prevent_initial_call=True,
)
def acknowledge(_clicks, incident_id, comment, lang, bump):
    lang = lang or "vi"
    if not incident_id:
        return dbc.Alert(t("action.pick_incident", lang), color="warning", className="py-1 mb-0"), no_update, no_update
    outcome = facade().acknowledge_incident(int(incident_id), comment or "", lang)
    return (*feedback(outcome, bump), "" if outcome.ok else no_update)


def parse_local(value: str | None) -> datetime | None:
    """The start as typed, "27/11/2026 22:00" (the province's way), or ISO "2026-11-27T22:00"
    (the API's), read as Vietnam time; None when it is neither."""
    text = (value or "").strip()
    if not text:
        return None
    for parse in (lambda v: datetime.strptime(v, "%d/%m/%Y %H:%M"), datetime.fromisoformat):
        try:
            return parse(text).replace(tzinfo=VN_TZ)
        except ValueError:
            continue
    return None


@callback(
    Output("detail-action-result", "children", allow_duplicate=True),
    Output("detail-bump", "data", allow_duplicate=True),
    Input("detail-mw-save", "n_clicks"),
    State("detail-mw-start", "value"),
    State("detail-mw-hours", "value"),
    State("detail-mw-reason", "value"),
    State("detail-subject", "data"),
    State("lang-toggle", "value"),
    State("detail-bump", "data"),
    prevent_initial_call=True,
)
def schedule_maintenance(_clicks, start, hours, reason, subject, lang, bump):
    lang = lang or "vi"
    starts_at = parse_local(start)
    if starts_at is None or not hours:
        return dbc.Alert(t("mw.need_time", lang), color="warning", className="py-1 mb-0"), no_update
    return feedback(facade().schedule_maintenance(subject["type"], subject["id"], starts_at=starts_at, hours=hours,
                                                  reason=reason or "", lang=lang), bump)
