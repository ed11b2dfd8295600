"""Accounts, API and kiosk tokens, alert sources (/admin/access, admins only: the /admin path and
the `admin-` ids of the writing callbacks; the facade checks the role again). A password or a
secret made here is shown once, in the result of the action that made it, and never again. The
role list comes from the access policy (dashboard.readmodels.access.roles), so a new role
appears here by itself. Data through dashboard.web.facade only."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html

from dashboard.i18n import local_time, t
from dashboard.readmodels import access as views
from dashboard.web.facade import DataUnavailable, facade
from layouts.components.feedback import outcome_alert, unavailable

dash.register_page(__name__, path="/admin/access", title="IOC Quảng Ngãi — Tài khoản", name="Tài khoản")


def role_label(role: str, lang: str) -> str:
    text = t(f"acc.role.{role}", lang)
    return role if text == f"acc.role.{role}" else text


def layout(**_query):
    # the results stay above the lists: re-rendering the lists after an action must not wipe them
    results = html.Div([html.Div(id=f"admin-acc-{part}-result", role="status") for part in ("user", "token", "source")],
                       className="acc-results mb-2")
    return html.Div([dcc.Store(id="admin-acc-version", data=0), html.Div(id="acc-head"), results, html.Div(id="acc-body")],
                    className="admin-access-page")


def _card(title: str, body: list):
    return dbc.Card(dbc.CardBody([html.H2(title, className="h5"), *body]), className="mb-3")


def _result(outcome, lang: str):
    if outcome is None:
        return None
    parts = [outcome_alert(outcome)]
    secret = (outcome.value or {}).get("secret") if outcome.ok else None
    if secret:
        parts.append(dbc.Alert([html.Div(t("acc.secret_once", lang)), html.Code(secret, className="fs-5 acc-secret")],
                               color="warning", className="mt-2"))
    return parts


@callback(Output("acc-head", "children"), Output("acc-body", "children"),
          Input("lang-toggle", "value"), Input("admin-acc-version", "data"))
def render(lang, _version):
    lang = lang or "vi"
    head = [html.H1(t("acc.heading", lang), className="h4"), html.P(t("acc.help", lang), className="text-secondary small")]
    try:
        view = facade().read(views.access_view)
    except DataUnavailable:
        return head, unavailable(lang)
    roles = [{"label": role_label(r, lang), "value": r} for r in views.roles()]
    users = dbc.Table([
        html.Thead(html.Tr([html.Th(t(k, lang)) for k in ("acc.username", "acc.role", "acc.col.scope", "acc.col.state",
                                                          "acc.col.last_login", "acc.col.created")])),
        html.Tbody([html.Tr([html.Td(u["username"]), html.Td(role_label(u["role"], lang)), html.Td(u["scope"]),
                             html.Td(t("acc.active" if u["active"] else "acc.inactive", lang)),
                             html.Td(local_time(u["last_login_at"], with_date=True)),
                             html.Td(local_time(u["created_at"], with_date=True))]) for u in view["users"]]),
    ], size="sm", responsive=True, className="acc-users")
    user_names = [{"label": u["username"], "value": u["username"]} for u in view["users"]]
    user_card = _card(t("acc.users", lang), [
        dbc.Row([dbc.Col(dbc.Input(id="acc-new-user", placeholder=t("acc.username", lang), maxLength=64), md=4),
                 dbc.Col(dbc.Select(id="acc-role", options=roles, value="viewer"), md=3),
                 dbc.Col(dbc.Button(t("acc.create_user", lang), id="acc-create-user", color="primary"), md="auto")],
                className="g-2 mb-2"),
        # a reporter reports for these agencies / this partner's tasks (other roles take none)
        dbc.Row([dbc.Col([dbc.Label(t("acc.scope_agencies", lang), html_for="acc-scope-agencies", className="small mb-0"),
                          dcc.Dropdown(id="acc-scope-agencies", multi=True,
                                       options=[{"label": a["name_en"] if lang == "en" else a["name_vi"], "value": a["id"]}
                                                for a in view["agencies"]],
                                       placeholder=t("acc.scope_agencies_help", lang))], md=6),
                 dbc.Col([dbc.Label(t("acc.scope_partners", lang), html_for="acc-scope-partners", className="small mb-0"),
                          dcc.Dropdown(id="acc-scope-partners", multi=True,
                                       options=[{"label": p, "value": p} for p in view["partners"]],
                                       placeholder=t("acc.scope_partners_help", lang))], md=4)],
                className="g-2 mb-2"),
        dbc.Row([dbc.Col(dcc.Dropdown(id="acc-user", options=user_names, placeholder=t("acc.pick_user", lang)), md=4),
                 dbc.Col([dbc.Button(t(f"acc.{a}", lang), id=f"acc-user-{a}", color="outline-secondary", size="sm",
                                     className="me-1 mb-1") for a in ("set_role", "set_scopes", "disable", "enable", "reset", "logout")])],
                className="g-2 mb-2"),
        users,
    ])
    tokens = dbc.Table([
        html.Thead(html.Tr([html.Th(t(k, lang)) for k in ("acc.col.name", "acc.col.kind", "acc.col.prefix",
                                                          "acc.col.created", "acc.col.last_used", "acc.col.state")])),
        html.Tbody([html.Tr([html.Td(f"#{r['id']} {r['name']}"), html.Td(r["kind"]), html.Td(html.Code(r["prefix"] + "…")),
                             html.Td(local_time(r["created_at"], with_date=True)),
                             html.Td(local_time(r["last_used_at"], with_date=True)),
                             html.Td(t("acc.revoked", lang) if r["revoked_at"] else t("acc.active", lang))])
                    for r in view["tokens"]]),
    ], size="sm", responsive=True, className="acc-tokens")
    live_tokens = [{"label": f"#{r['id']} {r['name']} ({r['kind']})", "value": r["id"]} for r in view["tokens"] if not r["revoked_at"]]
    token_card = _card(t("acc.tokens", lang), [
        dbc.Row([dbc.Col(dbc.Input(id="acc-token-name", placeholder=t("acc.token_name", lang), maxLength=128), md=4),
                 dbc.Col(dbc.Select(id="acc-token-kind", options=[{"label": k, "value": k} for k in views.TOKEN_KINDS],
                                    value="api"), md=2),
                 dbc.Col(dbc.Button(t("acc.create_token", lang), id="acc-token-create", color="primary"), md="auto")],
                className="g-2 mb-2"),
        dbc.Row([dbc.Col(dcc.Dropdown(id="acc-token", options=live_tokens, placeholder=t("acc.pick_token", lang)), md=4),
                 dbc.Col(dbc.Button(t("acc.revoke", lang), id="acc-token-revoke", color="outline-danger", size="sm"), md="auto")],
                className="g-2 mb-2"),
        tokens,
    ])
    sources = dbc.Table([
        html.Thead(html.Tr([html.Th(t(k, lang)) for k in ("acc.col.name", "acc.source_description", "acc.col.created",
                                                          "acc.col.last_used", "acc.col.state")])),
        html.Tbody([html.Tr([html.Td(s["name"]), html.Td(s["description"] or "—"), html.Td(local_time(s["created_at"], with_date=True)),
                             html.Td(local_time(s["last_used_at"], with_date=True)),
                             html.Td(t("acc.inactive", lang) if s["revoked_at"] else t("acc.active", lang))])
                    for s in view["sources"]]),
    ], size="sm", responsive=True, className="acc-sources")
    source_card = _card(t("acc.sources", lang), [
        dbc.Row([dbc.Col(dbc.Input(id="acc-source-name", placeholder=t("acc.source_name", lang), maxLength=64), md=3),
                 dbc.Col(dbc.Input(id="acc-source-description", placeholder=t("acc.source_description", lang), maxLength=255), md=4),
                 dbc.Col(dbc.Button(t("acc.create_source", lang), id="acc-source-create", color="primary"), md="auto")],
                className="g-2 mb-2"),
        dbc.Row([dbc.Col(dcc.Dropdown(id="acc-source", options=[{"label": s["name"], "value": s["name"]} for s in view["sources"]],
                                      placeholder=t("acc.pick_source", lang)), md=3),
                 dbc.Col([dbc.Button(t("acc.rotate", lang), id="acc-source-rotate", color="outline-secondary", size="sm",
                                     className="me-1"),
                          dbc.Button(t("acc.disable", lang), id="acc-source-disable", color="outline-danger", size="sm")])],
                className="g-2 mb-2"),
        sources,
    ])
    return head, [user_card, token_card, source_card]


USER_BUTTONS = {"acc-create-user": "user.create", "acc-user-set_role": "user.role", "acc-user-set_scopes": "user.scopes",
                "acc-user-disable": "user.disable",
                "acc-user-enable": "user.enable", "acc-user-reset": "user.reset", "acc-user-logout": "user.logout"}


@callback(
    Output("admin-acc-user-result", "children"), Output("admin-acc-version", "data", allow_duplicate=True),
    *[Input(button, "n_clicks") for button in USER_BUTTONS],
    State("acc-new-user", "value"), State("acc-user", "value"), State("acc-role", "value"),
    State("acc-scope-agencies", "value"), State("acc-scope-partners", "value"),
    State("lang-toggle", "value"), State("admin-acc-version", "data"),
    prevent_initial_call=True,
)
def user_action(*args):
    new_name, picked, role, agencies, partners, lang, version = args[-7:]
    which = USER_BUTTONS.get(ctx.triggered_id)
    if which is None or not ctx.triggered[0].get("value"):
        raise dash.exceptions.PreventUpdate
    name = new_name if which == "user.create" else picked
    outcome = facade().access_action(which, lang or "vi", name=name, role=role, agencies=agencies or [], partners=partners or [])
    return _result(outcome, lang or "vi"), (version or 0) + 1


@callback(
    Output("admin-acc-token-result", "children"), Output("admin-acc-version", "data", allow_duplicate=True),
    Input("acc-token-create", "n_clicks"), Input("acc-token-revoke", "n_clicks"),
    State("acc-token-name", "value"), State("acc-token-kind", "value"), State("acc-token", "value"),
    State("lang-toggle", "value"), State("admin-acc-version", "data"),
    prevent_initial_call=True,
)
def token_action(_create, _revoke, name, kind, token_id, lang, version):
    if not ctx.triggered[0].get("value"):
        raise dash.exceptions.PreventUpdate
    if ctx.triggered_id == "acc-token-create":
        outcome = facade().access_action("token.create", lang or "vi", name=name, kind=kind)
    else:
        outcome = facade().access_action("token.revoke", lang or "vi", id=token_id)
    return _result(outcome, lang or "vi"), (version or 0) + 1


@callback(
    Output("admin-acc-source-result", "children"), Output("admin-acc-version", "data", allow_duplicate=True),
    Input("acc-source-create", "n_clicks"), Input("acc-source-rotate", "n_clicks"), Input("acc-source-disable", "n_clicks"),
    State("acc-source-name", "value"), State("acc-source-description", "value"), State("acc-source", "value"),
    State("lang-toggle", "value"), State("admin-acc-version", "data"),
    prevent_initial_call=True,
)
def source_action(_create, _rotate, _disable, name, description, picked, lang, version):
    if not ctx.triggered[0].get("value"):
        raise dash.exceptions.PreventUpdate
    which = {"acc-source-create": "source.create", "acc-source-rotate": "source.rotate",
             "acc-source-disable": "source.disable"}[ctx.triggered_id]
    outcome = facade().access_action(which, lang or "vi", name=name if which == "source.create" else picked,
                                     description=description)
    return _result(outcome, lang or "vi"), (version or 0) + 1
