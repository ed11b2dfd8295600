"""One alert: what, where, since when, how often, its history, and acknowledge /
resolve with a comment. Everything a sender wrote is shown as text (never as HTML)."""
from __future__ import annotations

import json

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from collectors.timeutil import parse_iso
from dashboard.auth.permissions import current_user_name
from dashboard.i18n import local_time, t
from dashboard.readmodels import alerts as alerts_queries
from dashboard.web.facade import DataUnavailable, facade
from layouts.components.alert_charts import severity_badge
from layouts.components.feedback import outcome_alert, unavailable

dash.register_page(__name__, path_template="/alerts/<alert_id>", title="IOC Quảng Ngãi — Cảnh báo", name="Cảnh báo")


def layout(alert_id: str | None = None, **_query):
    return html.Div(
        [
            dcc.Store(id="alert-id", data=alert_id if (alert_id or "").isdigit() else None),
            dcc.Store(id="op-alert-version", data=0),
            dcc.Link(id="alert-back", href="/security", className="small"),
            html.Div(id="alert-body", className="mt-2"),
            html.Div(
                [
                    html.H2(id="alert-action-heading", className="h6"),
                    # who: the signed-in user when access control is on; else typed here
                    dbc.Input(id="alert-action-name", maxLength=128, className="mb-2",
                              style={"display": "none"} if current_user_name() else None),
                    dbc.Textarea(id="alert-action-comment", maxLength=2000, className="mb-2", rows=2),
                    dbc.Button(id="alert-ack", color="warning", className="me-2"),
                    dbc.Button(id="alert-resolve", color="success"),
                    html.Div(id="op-alert-result", className="small mt-2", role="status"),
                ],
                id="alert-actions",
                className="sec-card mt-3",
            ),
        ],
        className="alert-page",
    )


def _fact(label: str, value) -> list:
    return [html.Dt(label), html.Dd(value if value not in (None, "") else "—")]


def alert_view(view: dict, lang: str) -> list:
    """The alert's body; every sender-provided value is a plain string child."""
    when = lambda iso_text: local_time(parse_iso(iso_text), with_date=True)  # noqa: E731
    facts = [
        *_fact(t("alert.col.status", lang), html.Span(t(f"alert.status.{view['status']}", lang), id="alert-status", **{"data-status": view["status"]})),
        *_fact(t("alert.col.category", lang), view["category"]),
        *_fact(t("alert.col.source", lang), f"{view['source']} ({view['source_kind']})"),
        *_fact(t("alert.col.system", lang), view["system_name"] and dcc.Link(view["system_name"], href=f"/systems/{view['system_id']}")),
        *_fact(t("alert.col.agency", lang), view["agency_name"]),
        *_fact(t("alert.col.asset", lang), view["asset"]),
        *_fact(t("alert.col.first_seen", lang), when(view["first_seen"])),
        *_fact(t("alert.col.last_seen", lang), when(view["last_seen"])),
        *_fact(t("alert.col.count", lang), str(view["count"])),
        *_fact(t("alert.col.external_id", lang), view["external_id"]),
    ]
    handled = None
    if view["status"] != "new" and view["status_by"]:
        handled = html.P([t("alert.handled", lang, status=t(f"alert.status.{view['status']}", lang), who=view["status_by"],
                            when=when(view["status_at"])),
                          html.Span(f" — {view['status_comment']}" if view["status_comment"] else "")],
                         className="small text-muted")
    history = html.Ol(
        [html.Li([html.Span(when(e["at"]), className="text-muted me-2"), html.Strong(t(f"alert.event.{e['kind']}", lang)),
                  html.Span(f" · {e['actor']}" if e["actor"] else ""), html.Span(f" — {e['comment']}" if e["comment"] else "")],
                 className="alert-event", **{"data-kind": e["kind"]})
         for e in view["events"]],
        className="alert-history",
    )
    return [
        html.Div([severity_badge(view["severity"], lang), html.Span(f"#{view['id']}", className="text-muted ms-2")]),
        html.H1(view["title_en" if lang == "en" else "title_vi"], id="alert-title", className="h4 mt-2"),
        handled,
        html.Dl(facts, className="alert-facts"),
        html.H2(t("alert.description", lang), className="h6"),
        # the app's own alerts in the reader's language; a sender's text (a SIEM's log line) as it
        # came, marked data-quoted: it is quoted, not written by the app
        html.P(view["description_en" if lang == "en" else "description_vi"] or "—", id="alert-description",
               className="alert-description", **({} if view["description_code"] else {"data-quoted": "sender"})),
        html.H2(t("alert.details", lang), className="h6") if view["details"] else None,
        html.Pre(json.dumps(view["details"], ensure_ascii=False, indent=2), id="alert-details", className="alert-details-json",
                 # a scrolling block keyboard users can reach and scroll, named for screen readers
                 tabIndex="0", role="region", **{"data-quoted": "sender", "aria-label": t("alert.details", lang)})
        if view["details"] else None,
        html.H2(t("alert.history", lang), className="h6"),
        history,
    ]


@callback(
    Output("alert-back", "children"),
    Output("alert-action-heading", "children"),
    Output("alert-action-name", "placeholder"),
    Output("alert-action-comment", "placeholder"),
    Output("alert-ack", "children"),
    Output("alert-resolve", "children"),
    Input("lang-toggle", "value"),
)
def translate(lang):
    lang = lang or "vi"
    return (t("alert.back", lang), t("alert.action.heading", lang), t("alert.action.name", lang),
            t("alert.action.comment", lang), t("alert.action.ack", lang), t("alert.action.resolve", lang))


@callback(
    Output("alert-body", "children"),
    Output("alert-ack", "disabled"),
    Output("alert-resolve", "disabled"),
    Output("alert-actions", "style"),
    Input("alert-id", "data"),
    Input("op-alert-version", "data"),
    Input("lang-toggle", "value"),
)
def render(alert_id, _version, lang):
    lang = lang or "vi"
    view = None
    if alert_id:
        try:
            view = facade().read(alerts_queries.alert_detail, int(alert_id))
        except DataUnavailable:
            return unavailable(lang), True, True, {"display": "none"}
    if view is None:
        return dbc.Alert(t("alert.not_found", lang, id=alert_id or "?"), color="warning"), True, True, {"display": "none"}
    return alert_view(view, lang), view["status"] != "new", view["status"] == "resolved", None


@callback(
    Output("op-alert-result", "children"),
    Output("op-alert-version", "data"),
    Input("alert-ack", "n_clicks"),
    Input("alert-resolve", "n_clicks"),
    State("alert-id", "data"),
    State("alert-action-name", "value"),
    State("alert-action-comment", "value"),
    State("op-alert-version", "data"),
    State("lang-toggle", "value"),
    prevent_initial_call=True,
)
def act(_ack, _resolve, alert_id, name, comment, version, lang):
    lang = lang or "vi"
    action = "resolve" if dash.ctx.triggered_id == "alert-resolve" else "acknowledge"
    outcome = facade().handle_alert(int(alert_id), action, name, comment, lang)
    return outcome_alert(outcome, padding="py-2"), (version or 0) + 1 if outcome.ok else version
