"""A reporter's own page: their agency's tasks with due dates and figures, an update form per
task (percent, status, note, evidence link or file), a "nothing changed this week"
confirmation; for IOC operators, the updates waiting for review. Works on a phone (390 px).
Data from dashboard.readmodels.reporting; every write goes through the facade, whose services
check the role and the task's scope on the server."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard.i18n import t
from dashboard.readmodels import plans as plan_views
from dashboard.readmodels import reporting as views
from dashboard.web.facade import DataUnavailable, facade
from layouts.components.feedback import outcome_alert, unavailable
from layouts.components.reporting_parts import percent_text, review_controls, task_card, timeline_entry

dash.register_page(__name__, path="/my", title="IOC Quảng Ngãi — Nhiệm vụ của tôi", name="Nhiệm vụ của tôi")

REVIEWERS = ("operator", "admin")


def layout(**_query):
    return html.Div(
        [
            dcc.Store(id="my-version", data=0),
            dcc.Store(id="task-version", data=0),
            html.Div(id="my-flash", role="status"),
            html.Div(id="my-content"),
        ],
        className="my-page",
    )


def _scope_names(data: dict, lang: str) -> str:
    names = [a["name_en"] if lang == "en" else a["name_vi"] for a in data["agencies"] if a["id"] in data["scope"]["agencies"]]
    names += [t("my.scope_partner", lang, name=p) for p in data["scope"]["partners"]]
    return ", ".join(names)


def _reviews(queue: list[dict], lang: str):
    if not queue:
        return dbc.Alert(t("review.none", lang), color="light", className="mb-0", id="review-empty")
    items = []
    for update in queue:
        agency = update["agency_en"] if lang == "en" else update["agency_vi"]
        items.append(dbc.ListGroupItem([
            html.Div([dcc.Link(update["task_title"], href=f"/tasks/{update['task_id']}", className="fw-bold me-2"),
                      html.Span(agency, className="small text-muted")]),
            html.Ul(timeline_entry(update, lang), className="timeline list-unstyled mb-0"),
            review_controls(update["id"], lang),
        ], className="review-item"))
    return dbc.ListGroup(items, id="review-queue")


@callback(Output("my-content", "children"), Input("lang-toggle", "value"), Input("my-version", "data"), Input("task-version", "data"))
def render(lang, _version, _task_version):
    lang = lang or "vi"
    name, role, user_id = facade().who()
    try:
        data = facade().read(views.my_tasks, user_id, plan_views.local_today())
        queue = facade().read(views.review_queue) if role in REVIEWERS else None
    except DataUnavailable:
        return unavailable(lang)
    parts = [html.H1(t("my.heading", lang), className="h4 mb-1")]
    if queue is not None:
        parts.append(dbc.Card([dbc.CardHeader(html.H2(f"{t('review.heading', lang)} ({len(queue)})", className="h6 mb-0")),
                               dbc.CardBody(_reviews(queue, lang))], className="mb-3 review-card"))
    if role == "reporter" and not data["scope"]["agencies"] and not data["scope"]["partners"]:
        return parts + [dbc.Alert(t("my.no_scope", lang), color="warning")]
    if data["scope"]["agencies"] or data["scope"]["partners"]:
        parts.append(html.Div(t("my.scope", lang, names=_scope_names(data, lang)), className="text-muted small mb-2", id="my-scope"))
    tasks = data["tasks"]
    if not tasks:
        if role == "reporter":
            parts.append(dbc.Alert(t("my.no_tasks", lang), color="info"))
        return parts
    open_tasks = [task for task in tasks if not task["confirmed_this_week"]]
    overall = sum(task["reported_percent"] for task in tasks) / len(tasks)
    parts.append(html.Div([
        html.Span(t("my.count", lang, n=len(tasks)), className="me-3"),
        html.Span(f"{t('my.overdue', lang)}: {sum(task['overdue'] for task in tasks)}", className="me-3 text-danger"),
        html.Span(f"{t('my.pending', lang)}: {sum(task['pending'] for task in tasks)}", className="me-3"),
        html.Span(t("my.overall", lang, percent=percent_text(round(overall, 1), lang)), className="fw-bold"),
    ], className="small mb-2 my-summary"))
    parts.append(dbc.Card(dbc.CardBody([
        dbc.Button(t("my.no_change_all", lang), id="my-no-change", color="secondary", outline=True, className="w-100 mb-1",
                   disabled=not open_tasks),
        html.Div(t("my.no_change_help", lang, n=len(open_tasks)) if open_tasks else t("my.no_change_none", lang),
                 className="small text-muted"),
    ]), className="mb-3 my-no-change-card", style={"maxWidth": "720px"}))
    # one column on a phone, two on a wide screen
    parts.append(dbc.Row([dbc.Col(task_card(task, lang), xs=12, xl=6) for task in tasks], id="my-tasks"))
    return parts


@callback(
    Output({"type": "my-form", "index": ALL}, "is_open"),
    Input({"type": "my-open", "index": ALL}, "n_clicks"),
    State({"type": "my-form", "index": ALL}, "is_open"),
    prevent_initial_call=True,
)
def toggle_form(clicks, opened):
    wanted = ctx.triggered_id
    if not wanted or not any(clicks):
        return [no_update] * len(opened)
    ids = [item["id"]["index"] for item in ctx.outputs_list]
    return [(not is_open) if index == wanted["index"] else is_open for index, is_open in zip(ids, opened)]


@callback(
    Output({"type": "my-file-name", "index": ALL}, "children"),
    Input({"type": "my-file", "index": ALL}, "filename"),
    State("lang-toggle", "value"),
    prevent_initial_call=True,
)
def show_file_name(names, lang):
    return [t("my.file_chosen", lang or "vi", name=name) if name else None for name in names]


@callback(
    Output({"type": "my-result", "index": ALL}, "children"),
    Output("my-flash", "children"),
    Output("my-version", "data"),
    Input({"type": "my-save", "index": ALL}, "n_clicks"),
    State({"type": "my-percent", "index": ALL}, "value"),
    State({"type": "my-status", "index": ALL}, "value"),
    State({"type": "my-done-on", "index": ALL}, "value"),
    State({"type": "my-note", "index": ALL}, "value"),
    State({"type": "my-link", "index": ALL}, "value"),
    State({"type": "my-file", "index": ALL}, "contents"),
    State({"type": "my-file", "index": ALL}, "filename"),
    State("lang-toggle", "value"),
    State("my-version", "data"),
    prevent_initial_call=True,
)
def save(clicks, percents, statuses, done_ons, notes, links, files, names, lang, version):
    lang = lang or "vi"
    wanted = ctx.triggered_id
    ids = [item["id"]["index"] for item in ctx.outputs_list[0]]
    results = [no_update] * len(ids)
    if not wanted or wanted["index"] not in ids or not clicks[ids.index(wanted["index"])]:
        return results, no_update, no_update
    at = ids.index(wanted["index"])
    values = {"percent": percents[at], "status": statuses[at], "done_on": done_ons[at], "note": notes[at],
              "evidence_url": links[at]}
    outcome = facade().report_task(wanted["index"], values, files[at], names[at], lang)
    if not outcome.ok:
        results[at] = outcome_alert(outcome, failure_colour="danger")
        return results, no_update, no_update
    return results, outcome_alert(outcome), (version or 0) + 1


@callback(
    Output("my-flash", "children", allow_duplicate=True),
    Output("my-version", "data", allow_duplicate=True),
    Input("my-no-change", "n_clicks"),
    State("lang-toggle", "value"),
    State("my-version", "data"),
    prevent_initial_call=True,
)
def no_change(clicks, lang, version):
    lang = lang or "vi"
    if not clicks:
        return no_update, no_update
    _, _, user_id = facade().who()
    try:
        data = facade().read(views.my_tasks, user_id, plan_views.local_today())
    except DataUnavailable:
        return unavailable(lang), no_update
    outcome = facade().confirm_no_change([task["id"] for task in data["tasks"] if not task["confirmed_this_week"]], lang)
    return outcome_alert(outcome, failure_colour="danger"), (version or 0) + 1 if outcome.ok else no_update
