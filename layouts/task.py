"""One task: its figures and the timeline of every update (who, when, old → new, note,
evidence, review); IOC operators accept or return a pending update with a comment, here or
in the queue on /my. A reporter sees only their own agencies' tasks (the read model refuses
the others). Data from dashboard.readmodels.reporting; reviews go through the facade."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard.auth.scopes import OutOfScope
from dashboard.i18n import t
from dashboard.readmodels import plans as plan_views
from dashboard.readmodels import reporting as views
from dashboard.web.facade import DataUnavailable, facade
from layouts.components.feedback import outcome_alert, unavailable
from layouts.components.reporting_parts import day_text, percent_text, review_controls, status_text, timeline_entry

dash.register_page(__name__, path_template="/tasks/<task_id>", title="IOC Quảng Ngãi — Nhiệm vụ", name="Nhiệm vụ")

REVIEWERS = ("operator", "admin")


def layout(task_id: str | None = None, **_query):
    return html.Div(
        [
            dcc.Store(id="task-id", data=int(task_id) if (task_id or "").isdigit() else None),
            dcc.Store(id="task-version", data=0),
            dcc.Link(id="task-back", href="/my", className="small"),
            html.Div(id="task-body", className="mt-2"),
        ],
        className="task-page",
    )


def _fact(label: str, value) -> list:
    return [html.Dt(label, className="col-5 col-sm-3"), html.Dd(value if value not in (None, "") else "—", className="col-7 col-sm-9")]


@callback(Output("task-back", "children"), Output("task-body", "children"),
          Input("lang-toggle", "value"), Input("task-version", "data"), State("task-id", "data"))
def render(lang, _version, task_id):
    lang = lang or "vi"
    if task_id is None:
        return t("task.back", lang), dbc.Alert(t("task.not_found", lang), color="warning")
    _, role, user_id = facade().who()
    try:
        task = facade().read(views.task_timeline, role, user_id, task_id, plan_views.local_today())
    except OutOfScope:
        return t("task.back", lang), dbc.Alert(t("task.out_of_scope", lang), color="danger", id="task-forbidden")
    except LookupError:
        return t("task.back", lang), dbc.Alert(t("task.not_found", lang), color="warning", id="task-missing")
    except DataUnavailable:
        return t("task.back", lang), unavailable(lang)
    reviewer = role in REVIEWERS
    items = []
    for update in task["updates"]:
        entry = timeline_entry(update, lang)
        if reviewer and update["review_state"] == "pending":
            entry.children = list(entry.children) + [review_controls(update["id"], lang)]
        items.append(entry)
    agency = task["agency_en"] if lang == "en" else task["agency_vi"]
    facts = html.Dl([
        *_fact(t("task.agency", lang), agency),
        *_fact(t("task.owner", lang), task.get("owner")),
        *_fact(t("task.period", lang), f"{day_text(task.get('start'))} – {day_text(task['due'])}"),
        *_fact(t("my.status", lang), status_text(task["accepted_status"], lang)),
        *_fact(t("my.accepted", lang, percent=""), percent_text(task["accepted_percent"], lang)),
        *_fact(t("my.reported", lang, percent=""), percent_text(task["reported_percent"], lang)),
    ], className="row small mb-2")
    body = [
        html.H1(task["title"], className="h4"),
        html.Div(task.get("code") or "", className="small text-muted mb-2"),
        facts,
        html.H2(t("task.timeline", lang), className="h5 mt-3"),
        html.Ol(items, className="timeline list-unstyled", id="task-timeline") if items
        else dbc.Alert(t("task.no_updates", lang), color="light", id="task-timeline-empty"),
    ]
    return t("task.back", lang), body


@callback(
    Output({"type": "task-review-result", "index": ALL}, "children"),
    Output("task-version", "data"),
    Input({"type": "task-accept", "index": ALL}, "n_clicks"),
    Input({"type": "task-return", "index": ALL}, "n_clicks"),
    State({"type": "task-review-comment", "index": ALL}, "value"),
    State("lang-toggle", "value"),
    State("task-version", "data"),
    prevent_initial_call=True,
)
def review(accepts, returns, comments, lang, version):
    """Shared by this page and the review queue on /my (both hold a task-version store)."""
    lang = lang or "vi"
    wanted = ctx.triggered_id
    ids = [item["id"]["index"] for item in ctx.outputs_list[0]]
    results = [no_update] * len(ids)
    if not wanted or wanted["index"] not in ids:
        return results, no_update
    at = ids.index(wanted["index"])
    clicked = (accepts if wanted["type"] == "task-accept" else returns)[at]
    if not clicked:
        return results, no_update
    decision = "accept" if wanted["type"] == "task-accept" else "return"
    outcome = facade().review_update(wanted["index"], decision, comments[at], lang)
    results[at] = outcome_alert(outcome, failure_colour="danger")
    return results, ((version or 0) + 1) if outcome.ok else no_update
