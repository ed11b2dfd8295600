"""The system editor (/catalog/system?id=<id>; no id: a new system): names in Vietnamese and
English, short name, owner agency, partner enterprise, availability target (SLA), links to the
national platforms, public, enabled; its endpoints with links to their editor. Saving stores one
catalog revision (validated whole by the catalog's models; each problem shown at its field).
Read-only for everyone but admins, and for everyone when a catalog file is authoritative."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from dashboard.i18n import t
from dashboard.readmodels import catalog as views
from dashboard.web.facade import DataUnavailable, facade
from layouts.components.catalog_forms import banner, field_messages, may_manage, problems_list
from layouts.components.feedback import outcome_alert, unavailable

dash.register_page(__name__, path="/catalog/system", title="IOC Quảng Ngãi — Hệ thống", name="Sửa hệ thống")

TEXT_FIELDS = ("id", "name_vi", "name_en", "short_name", "description")
FIELDS = ("id", "name_vi", "name_en", "short_name", "owner", "partner", "sla", "description", "connections")


def layout(id=None, **_query):  # noqa: A002 - the query parameter's name
    return html.Div([dcc.Store(id="sys-query", data={"id": id}), html.Div(id="sys-body")])


@callback(Output("sys-body", "children"), Input("lang-toggle", "value"), Input("sys-query", "data"))
def render(lang, query):
    return editor((query or {}).get("id"), lang or "vi")


def editor(id, lang):  # noqa: A002
    may_edit = may_manage()
    try:
        view = facade().read(views.system_form, id or None)
    except DataUnavailable:
        return unavailable(lang)
    system = view["system"]
    if id and system is None:
        return dbc.Alert(t("cat.not_found", lang), color="warning")
    editable = may_edit and not view["file"]
    system = system or {}
    disabled = not editable

    def text(field, **extra):
        return html.Div([dbc.Label(t(f"cat.sys.{field}", lang), html_for=f"sys-{field}"),
                         dbc.Input(id=f"sys-{field}", value=system.get(field) or "", **{"disabled": disabled, **extra}),
                         html.Div(id=f"admin-sys-err-{field}", className="invalid-feedback d-block")], className="mb-2")

    owners = [{"label": f"{a['name_vi']} ({a['id']})", "value": a["id"]} for a in view["agencies"]]
    linked = [c["platform"] for c in system.get("connections", [])]
    form = dbc.Card(dbc.CardBody([
        dbc.Row([dbc.Col(text("id", disabled=bool(id) or disabled, maxLength=63), md=4),
                 dbc.Col(text("short_name", maxLength=64), md=4)], className="g-2"),
        dbc.Row([dbc.Col(text("name_vi", maxLength=255), md=6), dbc.Col(text("name_en", maxLength=255), md=6)], className="g-2"),
        dbc.Row([
            dbc.Col(html.Div([dbc.Label(t("cat.sys.owner", lang), html_for="sys-owner"),
                              dcc.Dropdown(id="sys-owner", options=owners, value=system.get("owner"), disabled=disabled,
                                           clearable=False),
                              html.Div(id="admin-sys-err-owner", className="invalid-feedback d-block")], className="mb-2"), md=5),
            dbc.Col(html.Div([dbc.Label(t("cat.sys.partner", lang), html_for="sys-partner"),
                              dcc.Dropdown(id="sys-partner", options=view["partners"], value=system.get("partner"),
                                           disabled=disabled),
                              html.Div(id="admin-sys-err-partner", className="invalid-feedback d-block")], className="mb-2"), md=3),
            dbc.Col(html.Div([dbc.Label(t("cat.sys.sla", lang), html_for="sys-sla"),
                              dbc.Input(id="sys-sla", type="number", min=50, max=100, step="any", value=system.get("sla"),
                                        placeholder="99.5", disabled=disabled),
                              html.Div(t("cat.sys.sla_help", lang), className="form-text"),
                              html.Div(id="admin-sys-err-sla", className="invalid-feedback d-block")], className="mb-2"), md=4),
        ], className="g-2"),
        text("description"),
        html.Div([dbc.Label(t("cat.sys.connections", lang)),
                  dbc.Checklist(id="sys-connections", options=[{"label": p["name_vi"], "value": p["id"], "disabled": disabled}
                                                               for p in view["platforms"]], value=linked),
                  html.Div(id="admin-sys-err-connections", className="invalid-feedback d-block")], className="mb-2"),
        dbc.Switch(id="sys-public", label=t("cat.sys.public", lang), value=bool(system.get("public", False)), disabled=disabled),
        dbc.Switch(id="sys-enabled", label=t("cat.sys.enabled", lang), value=bool(system.get("enabled", True)), disabled=disabled),
        html.Div([dbc.Button(t("cat.save", lang), id="sys-save", color="primary", className="me-2"),
                  dbc.Button(t("cat.delete", lang), id="sys-delete", color="outline-danger",
                             style=None if id else {"display": "none"})],
                 className="mt-3", style=None if editable else {"display": "none"}),
        html.Div(id="admin-sys-result", role="status", className="mt-2"),
        html.Div(id="admin-sys-problems"),
        dcc.Location(id="admin-sys-goto", refresh=True),
        dcc.Store(id="sys-existing", data={"id": id, "connections": system.get("connections", [])}),
    ]), className="mb-3 cat-system-form")
    endpoints = []
    if id:
        document_endpoints = next((s["endpoints"] for s in facade().read(views.catalog_view)["systems"] if s["id"] == id), [])
        endpoints = [
            html.H2(t("cat.sys.endpoints", lang), className="h5"),
            html.Ul([html.Li([dcc.Link(e["name"], href=f"/catalog/endpoint?system={id}&id={e['id']}"),
                              html.Span(f" · {e['kind']} · ", className="text-secondary"), html.Code(e["target"] or "—")])
                     for e in document_endpoints]) if document_endpoints else html.P(t("cat.sys.no_endpoints", lang)),
            dcc.Link(dbc.Button(t("cat.add_endpoint", lang), size="sm", color="primary"), href=f"/catalog/endpoint?system={id}")
            if editable else None,
        ]
    title = t("cat.sys.edit", lang, name=system.get("name_vi") or id) if id else t("cat.sys.new", lang)
    return html.Div([dcc.Link(t("cat.back", lang), href="/catalog", className="small"),
                     html.H1(title, className="h4 mt-1"), banner(view, lang, may_edit), form, *endpoints],
                    className="catalog-system-page")


def connections_of(platforms: list[str] | None, existing: list[dict]) -> list[dict]:
    """The links ticked, keeping what an existing link says (its endpoint, its declared state)."""
    known = {c["platform"]: c for c in existing or []}
    return [known.get(p, {"platform": p}) for p in platforms or []]


@callback(
    [Output(f"admin-sys-err-{f}", "children") for f in FIELDS]
    + [Output("admin-sys-result", "children"), Output("admin-sys-problems", "children"), Output("admin-sys-goto", "href")],
    Input("sys-save", "n_clicks"),
    State("lang-toggle", "value"), State("sys-existing", "data"),
    *[State(f"sys-{f}", "value") for f in ("id", "name_vi", "name_en", "short_name", "owner", "partner", "sla",
                                           "description", "connections", "public", "enabled")],
    prevent_initial_call=True,
)
def save(clicks, lang, existing, system_id, name_vi, name_en, short_name, owner, partner, sla, description,
         platforms, public, enabled):
    if not clicks:
        raise dash.exceptions.PreventUpdate
    existing = existing or {}
    values = {"id": (system_id or "").strip() or None, "name_vi": (name_vi or "").strip() or None,
              "name_en": (name_en or "").strip() or None, "short_name": (short_name or "").strip() or None,
              "owner": owner, "partner": partner, "sla": sla if sla not in ("", None) else None,
              "description": (description or "").strip() or None,
              "connections": connections_of(platforms, existing.get("connections")) or None,
              "public": bool(public) or None, "enabled": None if enabled else False}
    if existing.get("id"):
        values["id"] = existing["id"]
    outcome = facade().catalog_change("system.save", lang, system_id=existing.get("id"), values=values)
    problems = (outcome.value or {}).get("problems", []) if not outcome.ok else []
    messages, rest = field_messages(problems, list(FIELDS))
    goto = f"/catalog/system?id={values['id']}" if outcome.ok and not existing.get("id") else dash.no_update
    return [*messages, outcome_alert(outcome), problems_list(rest, lang), goto]


@callback(
    Output("admin-sys-result", "children", allow_duplicate=True),
    Output("admin-sys-goto", "href", allow_duplicate=True),
    Input("sys-delete", "n_clicks"), State("lang-toggle", "value"), State("sys-existing", "data"),
    prevent_initial_call=True,
)
def delete(clicks, lang, existing):
    if not clicks or not (existing or {}).get("id"):
        raise dash.exceptions.PreventUpdate
    outcome = facade().catalog_change("system.delete", lang, system_id=existing["id"])
    if outcome.ok:
        return outcome_alert(outcome), "/catalog"
    problems = (outcome.value or {}).get("problems", [])
    _messages, rest = field_messages(problems, [])
    return [outcome_alert(outcome), problems_list(rest, lang)], dash.no_update
