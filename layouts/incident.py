"""One incident: what failed, since when, its timeline, the discussion thread, the
post-incident note; operators comment, acknowledge and close it here (viewers read). Data
comes from dashboard.readmodels.incidents, writes go through dashboard.monitoring.incidents;
what people wrote is rendered as text, never as HTML."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from dashboard.domain import incidents as rules
from dashboard.i18n import duration_text, status_label, t
from dashboard.readmodels import incidents as views
from dashboard.web.facade import facade
from layouts.components.incident_parts import state_badge
from layouts.components.incident_parts import when as _when

dash.register_page(__name__, path_template="/incidents/<incident_id>", title="IOC Quảng Ngãi — Sự cố", name="Sự cố")


def _may_act() -> bool:
    from dashboard.auth.permissions import allowed

    try:
        return allowed("acknowledge")
    except Exception:  # noqa: BLE001 - no access control installed: trusted process
        return True


def layout(incident_id: str | None = None, **_query):
    may_act = _may_act()
    form = html.Div(
        [
            dbc.Textarea(id="inc-comment-text", maxLength=rules.MAX_COMMENT_CHARS, rows=3, className="mb-2"),
            dbc.Button(id="inc-comment-send", color="primary", className="me-2"),
            html.Div(
                [dbc.Textarea(id="inc-ack-text", rows=2, className="mb-2 mt-3"),
                 dbc.Button(id="inc-ack-send", color="warning")],
                id="inc-ack-form",
            ),
            html.Div(
                [dbc.Textarea(id="inc-close-text", maxLength=rules.MAX_NOTE_CHARS, rows=4, className="mb-2 mt-3"),
                 dbc.Button(id="inc-close-send", color="secondary")],
                id="inc-close-form",
            ),
            html.Div(id="op-incident-result", className="small mt-2", role="status"),
        ],
        id="inc-actions",
        className="mt-3",
        style=None if may_act else {"display": "none"},
    )
    return html.Div(
        [
            dcc.Store(id="inc-id", data=incident_id if (incident_id or "").isdigit() else None),
            dcc.Store(id="op-incident-version", data=0),
            dcc.Link(id="inc-back", href="/incidents", className="small"),
            html.Div(id="inc-body", className="mt-2"),
            html.Div(id="inc-readonly", className="small text-secondary mt-3"),
            form,
        ],
        className="incident-page",
        **{"data-may-act": "1" if may_act else "0"},
    )


def _fact(label: str, value) -> list:
    return [html.Dt(label, className="col-sm-4"), html.Dd(value if value not in (None, "") else "—", className="col-sm-8")]


def timeline_item(item: dict, lang: str):
    kind = item["kind"]
    if kind == "status":
        label = t("inc.event.status", lang, old=status_label(item["old_status"], lang), new=status_label(item["new_status"], lang))
        extra = item.get("reason")
    else:
        label = t(f"inc.event.{kind}", lang)
        extra = item.get("text")
    who = item.get("by") or item.get("author")
    return html.Li(
        [html.Span(_when(item["at"]), className="text-muted me-2 text-nowrap"), html.Strong(label),
         html.Span(f" · {who}" if who else ""), html.Span(f" — {extra}" if extra else "")],
        className="inc-event", **{"data-kind": kind},
    )


def incident_view(view: dict, lang: str) -> list:
    name = view["system_name_en"] if lang == "en" else view["system_name_vi"]
    facts = [
        *_fact(t("inc.col.state", lang), state_badge(view["state"], lang)),
        *_fact(t("inc.col.system", lang), dcc.Link(name, href=f"/systems/{view['system_id']}")),
        *_fact(t("inc.col.subject", lang), html.Code(view["subject_id"])),
        *_fact(t("inc.col.severity", lang), status_label(view["severity"], lang)),
        *_fact(t("inc.col.cause", lang), view["cause"] or view["last_reason"]),
        *_fact(t("inc.col.started", lang), _when(view["started_at"])),
        *_fact(t("inc.col.ended", lang), _when(view["ended_at"])),
        *_fact(t("inc.col.mtta", lang), duration_text(view["mtta_s"], lang)),
        *_fact(t("inc.col.mttr", lang), duration_text(view["mttr_s"], lang)),
    ]
    thread = [
        html.Div(
            [html.Div([html.Strong(c["author"] or "—"), html.Span(_when(c["at"]), className="text-muted small ms-2")]),
             html.P(c["text"], className="inc-comment-text mb-0", style={"whiteSpace": "pre-wrap"})],
            className="inc-comment border-start ps-2 mb-2", **{"data-id": str(c["id"])},
        )
        for c in view["comments"]
    ] or [html.P(t("inc.no_comments", lang), className="text-muted small")]
    return [
        html.H1([t("inc.title", lang, id=view["id"]), html.Span(f" · {name}", className="text-secondary")],
                id="inc-title", className="h4"),
        html.Dl(facts, className="row inc-facts"),
        html.H2(t("inc.postmortem", lang), className="h6") if view["postmortem"] else None,
        html.P(view["postmortem"], id="inc-postmortem", style={"whiteSpace": "pre-wrap"}) if view["postmortem"] else None,
        html.H2(t("inc.timeline", lang), className="h6"),
        html.Ol([timeline_item(item, lang) for item in view["timeline"]], className="inc-timeline small"),
        html.H2(t("inc.thread", lang), className="h6"),
        html.Div(thread, id="inc-thread"),
    ]


@callback(
    Output("inc-back", "children"),
    Output("inc-comment-text", "placeholder"),
    Output("inc-comment-send", "children"),
    Output("inc-ack-text", "placeholder"),
    Output("inc-ack-send", "children"),
    Output("inc-close-text", "placeholder"),
    Output("inc-close-send", "children"),
    Input("lang-toggle", "value"),
)
def translate(lang):
    lang = lang or "vi"
    return (t("inc.back", lang), t("inc.comment.placeholder", lang), t("inc.comment.send", lang),
            t("inc.ack.placeholder", lang), t("inc.ack.send", lang), t("inc.close.placeholder", lang),
            t("inc.close.send", lang))


@callback(
    Output("inc-body", "children"),
    Output("inc-readonly", "children"),
    Output("inc-ack-form", "style"),
    Output("inc-close-form", "style"),
    Output("inc-comment-send", "disabled"),
    Input("inc-id", "data"),
    Input("op-incident-version", "data"),
    Input("lang-toggle", "value"),
)
def render(incident_id, _version, lang):
    lang = lang or "vi"
    hidden = {"display": "none"}
    view = facade().read(views.incident_detail, int(incident_id), None, lang) if incident_id else None
    if view is None:
        return dbc.Alert(t("inc.not_found", lang, id=incident_id or "?"), color="warning"), None, hidden, hidden, True
    state = view["state"]
    readonly = None if _may_act() else t("inc.readonly", lang)
    return (incident_view(view, lang), readonly,
            None if state == rules.OPEN else hidden,
            None if state == rules.RESOLVED else hidden,
            state == rules.CLOSED)


@callback(
    Output("op-incident-result", "children"),
    Output("op-incident-version", "data"),
    Output("inc-comment-text", "value"),
    Input("inc-comment-send", "n_clicks"),
    Input("inc-ack-send", "n_clicks"),
    Input("inc-close-send", "n_clicks"),
    State("inc-id", "data"),
    State("inc-comment-text", "value"),
    State("inc-ack-text", "value"),
    State("inc-close-text", "value"),
    State("op-incident-version", "data"),
    State("lang-toggle", "value"),
    prevent_initial_call=True,
)
def act(_comment, _ack, _close, incident_id, comment, ack, note, version, lang):
    lang = lang or "vi"
    which = dash.ctx.triggered_id
    keep = dash.no_update
    try:
        number = int(incident_id)
    except (TypeError, ValueError):
        return dbc.Alert(t("inc.forbidden", lang), color="warning", className="py-2 mb-0 inc-error"), version, keep
    action, text, cleared = {"inc-comment-send": ("comment", comment, ""), "inc-ack-send": ("acknowledge", ack, keep)}.get(
        which, ("close", note, keep))
    outcome = facade().incident_action(action, number, text or "", lang)
    if not outcome.ok:
        return dbc.Alert(outcome.message, color="warning", className="py-2 mb-0 inc-error"), version, keep
    done = outcome.message
    return dbc.Alert(done, color="success", className="py-2 mb-0 inc-done"), (version or 0) + 1, cleared
