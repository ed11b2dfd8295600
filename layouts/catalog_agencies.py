"""Agencies (with their location, for the map) and national platforms of the catalog
(/catalog/agencies). Pick one to edit it, or fill the empty form to add one; saving stores one
catalog revision, validated whole (an agency still owning a system cannot be removed). The 96
commune-level units are not here: they come from the official unit list. Read-only for everyone
but admins, and when a catalog file is authoritative. Data through dashboard.web.facade."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html

from dashboard.i18n import t
from dashboard.readmodels import catalog as views
from dashboard.web.facade import DataUnavailable, facade
from layouts.components.catalog_forms import banner, field_messages, may_manage, problems_list
from layouts.components.feedback import outcome_alert, unavailable

dash.register_page(__name__, path="/catalog/agencies", title="IOC Quảng Ngãi — Đơn vị", name="Đơn vị và nền tảng")

AGENCY_FIELDS = ("id", "name_vi", "name_en", "kind", "partner", "lat", "lon")
PLATFORM_FIELDS = ("id", "name_vi", "name_en")


def layout(**_query):
    # results above the lists: re-rendering the lists after a change must not wipe them
    results = html.Div([html.Div(id=f"admin-{p}-{part}", role="status") for p in ("ag", "pf") for part in ("result", "problems")],
                       className="mb-2")
    return html.Div([dcc.Store(id="admin-ag-version", data=0), results, html.Div(id="ag-body")],
                    className="catalog-agencies-page")


def _input(prefix: str, field: str, lang: str, disabled: bool, options=None):
    label = dbc.Label(t(f"cat.ag.{field}", lang), html_for=f"{prefix}-{field}")
    if options is not None:
        control = dbc.Select(id=f"{prefix}-{field}", options=options, disabled=disabled)
    else:
        kind = "number" if field in ("lat", "lon") else "text"
        control = dbc.Input(id=f"{prefix}-{field}", type=kind, step="any" if kind == "number" else None, disabled=disabled)
    return html.Div([label, control, html.Div(id=f"admin-{prefix}-err-{field}", className="invalid-feedback d-block")],
                    className="mb-2")


@callback(Output("ag-body", "children"), Input("lang-toggle", "value"), Input("admin-ag-version", "data"))
def render(lang, _version):
    lang = lang or "vi"
    may_edit = may_manage()
    try:
        view = facade().read(views.catalog_view)
    except DataUnavailable:
        return unavailable(lang)
    editable = may_edit and not view["file"]
    disabled = not editable
    kinds = [{"label": t(f"cat.ag.kind.{k}", lang), "value": k} for k in views.AGENCY_KINDS]
    partners = [{"label": "—", "value": ""}] + [{"label": p, "value": p} for p in view["partners"]]
    agencies = dbc.Table([
        html.Thead(html.Tr([html.Th(t(f"cat.ag.{f}", lang)) for f in AGENCY_FIELDS])),
        html.Tbody([html.Tr([html.Td(html.Code(a["id"])), html.Td(a["name_vi"]), html.Td(a["name_en"]),
                             html.Td(t(f"cat.ag.kind.{a.get('kind') or 'department'}", lang)), html.Td(a.get("partner") or "—"),
                             html.Td("—" if a.get("lat") is None else f"{a['lat']:.5f}"),
                             html.Td("—" if a.get("lon") is None else f"{a['lon']:.5f}")]) for a in view["agencies"]]),
    ], size="sm", responsive=True, className="ag-agencies")
    platforms = dbc.Table([
        html.Thead(html.Tr([html.Th(t(f"cat.ag.{f}", lang)) for f in PLATFORM_FIELDS])),
        html.Tbody([html.Tr([html.Td(html.Code(p["id"])), html.Td(p["name_vi"]), html.Td(p["name_en"])]) for p in view["platforms"]]),
    ], size="sm", responsive=True, className="ag-platforms")
    buttons = lambda prefix: html.Div([  # noqa: E731
        dbc.Button(t("cat.save", lang), id=f"{prefix}-save", color="primary", className="me-2"),
        dbc.Button(t("cat.delete", lang), id=f"{prefix}-delete", color="outline-danger"),
    ], style=None if editable else {"display": "none"})
    agency_card = dbc.Card(dbc.CardBody([
        html.H2(t("cat.ag.agencies", lang), className="h5"),
        dcc.Dropdown(id="ag-pick", options=[{"label": f"{a['name_vi']} ({a['id']})", "value": a["id"]} for a in view["agencies"]],
                     placeholder=t("cat.ag.pick", lang), className="mb-2"),
        dbc.Row([dbc.Col(_input("ag", "id", lang, disabled), md=3), dbc.Col(_input("ag", "name_vi", lang, disabled), md=5),
                 dbc.Col(_input("ag", "name_en", lang, disabled), md=4)], className="g-2"),
        dbc.Row([dbc.Col(_input("ag", "kind", lang, disabled, kinds), md=3),
                 dbc.Col(_input("ag", "partner", lang, disabled, partners), md=3),
                 dbc.Col(_input("ag", "lat", lang, disabled), md=3), dbc.Col(_input("ag", "lon", lang, disabled), md=3)],
                className="g-2"),
        buttons("ag"),
        agencies,
    ]), className="mb-3")
    platform_card = dbc.Card(dbc.CardBody([
        html.H2(t("cat.ag.platforms", lang), className="h5"),
        dcc.Dropdown(id="pf-pick", options=[{"label": f"{p['name_vi']} ({p['id']})", "value": p["id"]} for p in view["platforms"]],
                     placeholder=t("cat.ag.pick", lang), className="mb-2"),
        dbc.Row([dbc.Col(_input("pf", "id", lang, disabled), md=3), dbc.Col(_input("pf", "name_vi", lang, disabled), md=5),
                 dbc.Col(_input("pf", "name_en", lang, disabled), md=4)], className="g-2"),
        buttons("pf"),
        platforms,
    ]), className="mb-3")
    return [dcc.Link(t("cat.back", lang), href="/catalog", className="small"),
            html.H1(t("cat.ag.heading", lang), className="h4 mt-1"), banner(view, lang, may_edit), agency_card, platform_card]


def _fill(picked, list_key, fields):
    if not picked:
        return [""] * len(fields) + [False]
    view = facade().read(views.catalog_view)
    item = next((i for i in view[list_key] if i["id"] == picked), {})
    return [item.get(f) if item.get(f) is not None else "" for f in fields] + [True]


@callback([Output(f"ag-{f}", "value") for f in AGENCY_FIELDS] + [Output("ag-id", "readonly")],
          Input("ag-pick", "value"), prevent_initial_call=True)
def pick_agency(picked):
    return _fill(picked, "agencies", AGENCY_FIELDS)


@callback([Output(f"pf-{f}", "value") for f in PLATFORM_FIELDS] + [Output("pf-id", "readonly")],
          Input("pf-pick", "value"), prevent_initial_call=True)
def pick_platform(picked):
    return _fill(picked, "platforms", PLATFORM_FIELDS)


def _values(fields, raw) -> dict:
    values = {}
    for field, value in zip(fields, raw):
        if isinstance(value, str):
            value = value.strip()
        if value in ("", None):
            continue
        values[field] = float(value) if field in ("lat", "lon") else value
    return values


def _change(prefix, list_key, fields, picked, raw, lang, version):
    lang = lang or "vi"
    if ctx.triggered_id == f"{prefix}-delete":
        if not picked:
            raise dash.exceptions.PreventUpdate
        outcome = facade().catalog_change("item.delete", lang, kind=list_key, item_id=picked)
    else:
        outcome = facade().catalog_change("item.save", lang, kind=list_key, item_id=picked or None,
                                          values=_values(fields, raw))
    problems = (outcome.value or {}).get("problems", []) if not outcome.ok else []
    messages, rest = field_messages(problems, list(fields))
    return [*messages, outcome_alert(outcome), problems_list(rest, lang),
            (version or 0) + 1 if outcome.ok else dash.no_update]


@callback(
    [Output(f"admin-ag-err-{f}", "children") for f in AGENCY_FIELDS]
    + [Output("admin-ag-result", "children"), Output("admin-ag-problems", "children"),
       Output("admin-ag-version", "data", allow_duplicate=True)],
    Input("ag-save", "n_clicks"), Input("ag-delete", "n_clicks"), State("ag-pick", "value"),
    *[State(f"ag-{f}", "value") for f in AGENCY_FIELDS], State("lang-toggle", "value"), State("admin-ag-version", "data"),
    prevent_initial_call=True,
)
def change_agency(_save, _delete, picked, *args):
    if not ctx.triggered[0].get("value"):
        raise dash.exceptions.PreventUpdate
    *raw, lang, version = args
    return _change("ag", "agencies", AGENCY_FIELDS, picked, raw, lang, version)


@callback(
    [Output(f"admin-pf-err-{f}", "children") for f in PLATFORM_FIELDS]
    + [Output("admin-pf-result", "children"), Output("admin-pf-problems", "children"),
       Output("admin-ag-version", "data", allow_duplicate=True)],
    Input("pf-save", "n_clicks"), Input("pf-delete", "n_clicks"), State("pf-pick", "value"),
    *[State(f"pf-{f}", "value") for f in PLATFORM_FIELDS], State("lang-toggle", "value"), State("admin-ag-version", "data"),
    prevent_initial_call=True,
)
def change_platform(_save, _delete, picked, *args):
    if not ctx.triggered[0].get("value"):
        raise dash.exceptions.PreventUpdate
    *raw, lang, version = args
    return _change("pf", "national_platforms", PLATFORM_FIELDS, picked, raw, lang, version)
