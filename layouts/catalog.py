"""The monitoring catalog: the systems and their endpoints as the revision in force says, links
to their editors, and the revisions with a rollback button. Everyone signed in may read it;
admins change it (the `admin-` ids of the writing callback; the service checks the role again).
When the app runs with `--catalog FILE` a banner says the file decides and nothing is editable.
Data through dashboard.web.facade; this page never reaches the database itself."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html

from dashboard.i18n import t
from dashboard.readmodels import catalog as views
from dashboard.web.facade import DataUnavailable, facade
from layouts.components.catalog_forms import banner, may_manage, revisions_table
from layouts.components.feedback import outcome_alert, unavailable

dash.register_page(__name__, path="/catalog", title="IOC Quảng Ngãi — Danh mục", name="Danh mục")


def layout(**_query):
    return html.Div(
        [
            html.H1(id="cat-heading", className="h4"),
            html.P(id="cat-help", className="text-secondary small"),
            html.Div(id="cat-banner"),
            html.Div(id="cat-systems"),
            html.H2(id="cat-revisions-heading", className="h5 mt-4"),
            html.Div(id="admin-cat-result", role="status", className="mb-2"),
            dcc.Store(id="admin-cat-version", data=0),
            html.Div(id="cat-revisions"),
        ],
        className="catalog-page",
    )


def systems_table(view: dict, lang: str, editable: bool):
    owners = {a["id"]: a["name_vi" if lang == "vi" else "name_en"] for a in view["agencies"]}
    head = html.Thead(html.Tr([html.Th(t(f"cat.col.{k}", lang)) for k in ("system", "owner", "sla", "endpoints", "state")]))
    rows = []
    for system in view["systems"]:
        name = system["name_vi" if lang == "vi" else "name_en"]
        endpoints = html.Ul([html.Li([dcc.Link(e["name"], href=f"/catalog/endpoint?system={system['id']}&id={e['id']}"),
                                      html.Span(f" · {e['kind']} · ", className="text-secondary"),
                                      html.Code(e["target"] or "—", className="small")])
                             for e in system["endpoints"]], className="list-unstyled small mb-0")
        sla = f"{system['sla']:g} %".replace(".", ",") if system["sla"] is not None else t("cat.default_sla", lang, value="99,5")
        rows.append(html.Tr([
            html.Td([dcc.Link(name, href=f"/catalog/system?id={system['id']}", className="fw-semibold"),
                     html.Div(html.Code(system["id"]), className="small")]),
            html.Td(owners.get(system["owner"], system["owner"])),
            html.Td(sla, className="text-nowrap"),
            html.Td(endpoints),
            html.Td(dbc.Badge(t("cat.enabled" if system["enabled"] else "cat.disabled", lang),
                              color="success" if system["enabled"] else "secondary")),
        ], className="cat-system", **{"data-system": system["id"]}))
    add = dcc.Link(dbc.Button(t("cat.add_system", lang), color="primary", size="sm", id="cat-add-system", className="me-2"),
                   href="/catalog/system") if editable else None
    agencies = dcc.Link(t("cat.ag.heading", lang), href="/catalog/agencies", className="small")
    return html.Div([html.Div([add, agencies], className="mb-2"),
                     dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, responsive=True, className="cat-systems")])


@callback(
    Output("cat-heading", "children"), Output("cat-help", "children"), Output("cat-banner", "children"),
    Output("cat-systems", "children"), Output("cat-revisions-heading", "children"), Output("cat-revisions", "children"),
    Input("lang-toggle", "value"), Input("admin-cat-version", "data"),
)
def render(lang, _version):
    may_edit = may_manage()
    try:
        view = facade().read(views.catalog_view)
        history = facade().read(views.revisions_view)
    except DataUnavailable:
        return (t("cat.heading", lang), t("cat.help", lang), unavailable(lang), None, t("cat.revisions", lang), None)
    editable = may_edit and not view["file"]
    return (t("cat.heading", lang), t("cat.help", lang), banner(view, lang, may_edit), systems_table(view, lang, editable),
            t("cat.revisions", lang), revisions_table(history, view["revision"], lang, editable))


@callback(
    Output("admin-cat-result", "children"), Output("admin-cat-version", "data"),
    Input({"type": "cat-rollback", "rev": ALL}, "n_clicks"),
    State("lang-toggle", "value"), State("admin-cat-version", "data"),
    prevent_initial_call=True,
)
def rollback(clicks, lang, version):
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks or []):
        raise dash.exceptions.PreventUpdate
    outcome = facade().catalog_change("rollback", lang, revision=trigger["rev"])
    return outcome_alert(outcome), (version or 0) + 1
