"""Audit log: who changed what, when, from where. Admins only — enforced by
dashboard.auth.policy (the /admin path and the admin- component ids), not by this page."""
from __future__ import annotations

import json

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard.i18n import audit_action_label, local_time, t
from dashboard.i18n.components import dropdown_labels
from dashboard.readmodels.audit import audit_view
from dashboard.web.facade import DataUnavailable, facade, page_language
from layouts.components.feedback import unavailable

dash.register_page(__name__, path="/admin/audit", title="Nhật ký thao tác · IOC")


def layout(**_):
    labels = dropdown_labels(page_language())  # the search box and "2 selected" in the reader's language
    return html.Div(
        [
            html.H2(id="admin-audit-heading", className="h4"),
            html.P(id="admin-audit-help", className="text-secondary small"),
            dbc.Row(
                [
                    dbc.Col(dcc.Dropdown(id="admin-audit-action", labels=labels, clearable=True), md=3),
                    dbc.Col(dbc.Input(id="admin-audit-search", type="search", debounce=True), md=4),
                ],
                className="g-2 mb-3",
            ),
            html.Div(id="admin-audit-count", className="small text-secondary mb-2"),
            html.Div(id="admin-audit-table"),
        ],
        className="admin-audit",
    )


@callback(
    Output("admin-audit-heading", "children"),
    Output("admin-audit-help", "children"),
    Output("admin-audit-search", "placeholder"),
    Output("admin-audit-action", "placeholder"),
    Output("admin-audit-action", "options"),
    Output("admin-audit-count", "children"),
    Output("admin-audit-table", "children"),
    Input("lang-toggle", "value"),
    Input("admin-audit-action", "value"),
    Input("admin-audit-search", "value"),
)
def render(lang, action, search):
    try:
        view = facade().read(audit_view, action or None)
    except DataUnavailable:
        view = None
    names = view["actions"] if view else []
    rows = filter_entries(view["entries"], search) if view else []
    table = audit_table(rows, lang) if view else unavailable(lang)
    return (t("audit.heading", lang), t("audit.help", lang), t("audit.search", lang), t("audit.any_action", lang),
            [{"label": audit_action_label(n, lang), "value": n} for n in names], t("audit.count", lang, n=len(rows)), table)


def filter_entries(rows, search: str | None):
    needle = (search or "").strip().lower()
    if not needle:
        return rows
    return [r for r in rows if needle in (r["actor"] or "").lower() or needle in (r["target"] or "").lower()]


def audit_table(rows, lang: str):
    if not rows:
        return dbc.Alert(t("audit.empty", lang), color="light")
    head = html.Thead(html.Tr([html.Th(t(f"audit.{k}", lang)) for k in ("at", "actor", "action", "target", "detail", "address")]))
    body = html.Tbody([
        html.Tr(
            [
                html.Td(local_time(r["at"], with_date=True), className="text-nowrap"),
                html.Td(r["actor"]),
                html.Td(audit_action_label(r["action"], lang), title=r["action"]),
                html.Td(r["target"] or "—"),
                html.Td(json.dumps(r["detail"], ensure_ascii=False) if r["detail"] else "—", className="small"),
                html.Td(r["address"] or "—", className="small"),
            ],
            className="audit-row",
            **{"data-action": r["action"]},
        )
        for r in rows
    ])
    return dbc.Table([head, body], bordered=False, hover=True, size="sm", className="audit-table")
