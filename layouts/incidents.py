"""Incidents: the list with filters (system, state, period), and one incident with its timeline,
its discussion thread and the operator's actions (comment, acknowledge, close with the
post-incident note). Data comes from dashboard.readmodels.incidents and goes through the page facade to
services in dashboard.monitoring.incidents; this page never reaches the database itself. Whatever
people wrote is shown as text, never as HTML."""
from __future__ import annotations

from datetime import timedelta

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from collectors.timeutil import utcnow
from dashboard.domain import incidents as rules
from dashboard.i18n import duration_text, status_label, t
from dashboard.i18n.components import dropdown_labels
from dashboard.readmodels import incidents as views
from dashboard.web.facade import facade, page_language
from layouts.components.incident_parts import state_badge
from layouts.components.incident_parts import when as _when

dash.register_page(__name__, path="/incidents", title="IOC Quảng Ngãi — Sự cố", name="Sự cố")

PERIODS = {"1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30), "all": None}


def layout(**query):
    labels = dropdown_labels(page_language())  # the search box and "2 selected" in the reader's language
    system = query.get("system")
    return html.Div(
        [
            html.H1(id="inc-heading", className="h4"),
            html.P(id="inc-help", className="text-secondary small"),
            dbc.Row(
                [
                    dbc.Col(dcc.Dropdown(id="inc-system", labels=labels, value=system, clearable=True), md=4),
                    dbc.Col(dcc.Dropdown(id="inc-state", labels=labels, multi=True, clearable=True), md=4),
                    dbc.Col(dcc.Dropdown(id="inc-period", labels=labels, value="30d", clearable=False), md=3),
                ],
                className="g-2 mb-3",
            ),
            html.Div(id="inc-count", className="small text-secondary mb-2"),
            html.Div(id="inc-table"),
        ],
        className="incidents-page",
    )


def incidents_table(rows: list[dict], lang: str):
    """The list as a plain table: each row links to its incident."""
    if not rows:
        return dbc.Alert(t("inc.empty", lang), color="light")
    columns = ("id", "system", "subject", "severity", "state", "started", "duration", "mtta", "mttr")
    head = html.Thead(html.Tr([html.Th(t(f"inc.col.{c}", lang)) for c in columns]))
    body = html.Tbody([
        html.Tr(
            [
                html.Td(dcc.Link(f"#{r['id']}", href=f"/incidents/{r['id']}")),
                html.Td(r["system_name_en"] if lang == "en" else r["system_name_vi"]),
                html.Td(html.Code(r["subject_id"]), className="small"),
                html.Td(status_label(r["severity"], lang)),
                html.Td(state_badge(r["state"], lang)),
                html.Td(_when(r["started_at"]), className="text-nowrap"),
                html.Td(duration_text(r["duration_s"], lang), className="text-nowrap"),
                html.Td(duration_text(r["mtta_s"], lang), className="text-nowrap"),
                html.Td(duration_text(r["mttr_s"], lang), className="text-nowrap"),
            ],
            className="inc-row",
            **{"data-id": str(r["id"]), "data-state": r["state"], "data-system": r["system_id"]},
        )
        for r in rows
    ])
    return dbc.Table([head, body], hover=True, size="sm", responsive=True, className="inc-table")


@callback(
    Output("inc-heading", "children"),
    Output("inc-help", "children"),
    Output("inc-system", "options"),
    Output("inc-system", "placeholder"),
    Output("inc-state", "options"),
    Output("inc-state", "placeholder"),
    Output("inc-period", "options"),
    Output("inc-count", "children"),
    Output("inc-table", "children"),
    Input("lang-toggle", "value"),
    Input("inc-system", "value"),
    Input("inc-state", "value"),
    Input("inc-period", "value"),
)
def render_list(lang, system, states, period):
    lang = lang or "vi"
    span = PERIODS.get(period or "30d")
    since = utcnow() - span if span else None
    states = [s for s in (states or []) if s in rules.STATES]
    rows = facade().read(views.list_incidents, system_id=system or None, states=states or None, since=since, lang=lang)
    return (
        t("inc.heading", lang), t("inc.help", lang),
        facade().read(views.system_options, lang), t("inc.any_system", lang),
        [{"label": t(f"inc.state.{s}", lang), "value": s} for s in rules.STATES], t("inc.any_state", lang),
        [{"label": t(f"inc.period.{p}", lang), "value": p} for p in PERIODS],
        t("inc.count", lang, n=len(rows)), incidents_table(rows, lang),
    )
