"""The endpoint editor (/catalog/endpoint?system=<id>&id=<endpoint>; no id: a new endpoint).
The probe kind is chosen among the registered kinds, and the kind's own inputs are generated from
its options model (layouts/components/catalog_forms.py), so a new kind needs no new page.
"Thử kiểm tra" runs the probe once with the settings as typed, not saved, and shows the verdict,
cause, latency and the start of the answer. Saving stores one catalog revision; each problem is
shown at its field. Read-only for everyone but admins, and when a catalog file is authoritative."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, dcc, html

from dashboard.i18n import t
from dashboard.readmodels import catalog as views
from dashboard.web.facade import DataUnavailable, facade
from layouts.components.catalog_forms import (
    OPT,
    OPT_ERR,
    banner,
    field_messages,
    kind_inputs,
    may_manage,
    problems_list,
    trial_result,
)
from layouts.components.feedback import outcome_alert, unavailable

dash.register_page(__name__, path="/catalog/endpoint", title="IOC Quảng Ngãi — Điểm kiểm tra", name="Sửa điểm kiểm tra")

# the generic keys: (endpoint key, input id suffix, label key)
GENERIC = (("id", "id", "cat.ep.id"), ("name", "name", "cat.ep.name"), ("interval", "interval", "cat.ep.interval"),
           ("timeout", "timeout", "cat.ep.timeout"), ("failures_before_down", "failures", "cat.ep.failures"),
           ("successes_before_up", "successes", "cat.ep.successes"))
SWITCHES = (("critical", "cat.ep.critical"), ("enabled", "cat.ep.enabled"))
GENERIC_NAMES = [g[0] for g in GENERIC] + [s[0] for s in SWITCHES] + ["kind"]


def layout(system=None, id=None, **_query):  # noqa: A002 - the query parameters' names
    return html.Div([dcc.Store(id="ep-query", data={"system": system, "id": id}), html.Div(id="ep-body")],
                    className="catalog-endpoint-page")


@callback(Output("ep-body", "children"), Input("lang-toggle", "value"), Input("ep-query", "data"))
def render(lang, query):
    return editor((query or {}).get("system"), (query or {}).get("id"), lang or "vi")


def _duration(value):
    if isinstance(value, (int, float)):
        return f"{value:g}s"
    return value or ""


def editor(system_id, endpoint_id, lang):
    may_edit = may_manage()
    if not system_id:
        return dbc.Alert(t("cat.not_found", lang), color="warning")
    try:
        view = facade().read(views.endpoint_form, system_id, endpoint_id or None)
    except DataUnavailable:
        return unavailable(lang)
    except LookupError:
        return dbc.Alert(t("cat.not_found", lang), color="warning")
    editable = may_edit and not view["file"]
    disabled = not editable
    stored = view["endpoint"] or {}
    values = view["values"]

    def field(key, suffix, label, **extra):
        value = stored.get(key)
        if key in ("interval", "timeout"):
            value = _duration(value)
            extra.setdefault("placeholder", "60s" if key == "interval" else "10s")
        return html.Div([dbc.Label(t(label, lang), html_for=f"ep-{suffix}"),
                         dbc.Input(id=f"ep-{suffix}", value=value if value is not None else "", **{"disabled": disabled, **extra}),
                         html.Div(t("cat.ep.duration_help", lang), className="form-text") if key in ("interval", "timeout") else None,
                         html.Div(id=f"admin-ep-err-{key}", className="invalid-feedback d-block")], className="mb-2")

    kinds = views.probe_kinds()
    generic = dbc.Card(dbc.CardBody([
        dbc.Row([dbc.Col(field("id", "id", "cat.ep.id", disabled=bool(endpoint_id) or disabled, maxLength=63), md=4),
                 dbc.Col(field("name", "name", "cat.ep.name", maxLength=255), md=5),
                 dbc.Col(html.Div([dbc.Label(t("cat.ep.kind", lang), html_for="ep-kind"),
                                   dbc.Select(id="ep-kind", options=[{"label": k, "value": k} for k in kinds],
                                              value=view["kind"], disabled=disabled),
                                   html.Div(id="admin-ep-err-kind", className="invalid-feedback d-block")]), md=3)],
                className="g-2"),
        dbc.Row([dbc.Col(field("interval", "interval", "cat.ep.interval"), md=3),
                 dbc.Col(field("timeout", "timeout", "cat.ep.timeout"), md=3),
                 dbc.Col(field("failures_before_down", "failures", "cat.ep.failures", type="number", min=1, max=20,
                               placeholder="2"), md=3),
                 dbc.Col(field("successes_before_up", "successes", "cat.ep.successes", type="number", min=1, max=20,
                               placeholder="2"), md=3)], className="g-2"),
        dbc.Switch(id="ep-critical", label=t("cat.ep.critical", lang), value=bool(stored.get("critical", True)), disabled=disabled),
        dbc.Switch(id="ep-enabled", label=t("cat.ep.enabled", lang), value=bool(stored.get("enabled", True)), disabled=disabled),
        html.Div(id="admin-ep-err-critical", className="invalid-feedback d-block"),
        html.Div(id="admin-ep-err-enabled", className="invalid-feedback d-block"),
    ]), className="mb-3")
    own = dbc.Card(dbc.CardBody([html.H2(id="ep-kind-title", className="h6"), html.Div(id="ep-kind-fields")]), className="mb-3")
    actions = html.Div([
        dbc.Button(t("cat.ep.trial", lang), id="ep-trial", color="secondary", className="me-2"),
        dbc.Button(t("cat.save", lang), id="ep-save", color="primary", className="me-2"),
        dbc.Button(t("cat.delete", lang), id="ep-delete", color="outline-danger",
                   style=None if endpoint_id else {"display": "none"}),
        html.Div(t("cat.ep.trial_help", lang), className="form-text"),
    ], style=None if editable else {"display": "none"})
    title = (t("cat.ep.edit", lang, id=endpoint_id, system=view["system"]["name_vi"]) if endpoint_id
             else t("cat.ep.new", lang, system=view["system"]["name_vi"]))
    return html.Div([
        dcc.Link(t("cat.back", lang), href=f"/catalog/system?id={system_id}", className="small"),
        html.H1(title, className="h4 mt-1"), banner(view, lang, may_edit),
        generic, own, actions,
        dcc.Loading(html.Div(id="admin-ep-trial", role="status"), type="dot"),
        html.Div(id="admin-ep-result", role="status", className="mt-2"),
        html.Div(id="admin-ep-problems"),
        dcc.Location(id="admin-ep-goto", refresh=True),
        dcc.Store(id="ep-stored", data={"system": system_id, "id": endpoint_id, "kind": view["kind"], "values": values,
                                        "disabled": disabled}),
    ], className="cat-endpoint-form")


@callback(Output("ep-kind-title", "children"), Output("ep-kind-fields", "children"),
          Input("ep-kind", "value"), State("ep-stored", "data"), State("lang-toggle", "value"))
def kind_fields(kind, stored, lang):
    stored = stored or {}
    kind = kind or "http"
    values = stored.get("values", {}) if kind == stored.get("kind") else {}
    return (t("cat.ep.kind_fields", lang or "vi", kind=kind),
            kind_inputs(views.kind_fields(kind), values, lang or "vi", bool(stored.get("disabled"))))


def _generic(id_, name, interval, timeout, failures, successes, critical, enabled) -> dict:
    return {"id": id_, "name": name, "interval": interval, "timeout": timeout, "failures_before_down": failures,
            "successes_before_up": successes, "critical": bool(critical), "enabled": bool(enabled)}


FORM_STATES = [State(f"ep-{suffix}", "value") for _key, suffix, _label in GENERIC] + [
    State("ep-critical", "value"), State("ep-enabled", "value"), State("ep-kind", "value"),
    State({"type": OPT, "name": ALL}, "value"), State({"type": OPT, "name": ALL}, "id"),
    State("ep-stored", "data"), State("lang-toggle", "value")]


def _form(args):
    id_, name, interval, timeout, failures, successes, critical, enabled, kind, own_values, own_ids, stored, lang = args
    own = {i["name"]: v for i, v in zip(own_ids or [], own_values or [])}
    stored = stored or {}
    generic = _generic(stored.get("id") or id_, name, interval, timeout, failures, successes, critical, enabled)
    return generic, kind or "http", own, stored, lang or "vi", [i["name"] for i in own_ids or []]


@callback(Output("admin-ep-trial", "children"), Input("ep-trial", "n_clicks"), *FORM_STATES, prevent_initial_call=True)
def trial(clicks, *args):
    if not clicks:
        raise dash.exceptions.PreventUpdate
    generic, kind, own, stored, lang, _names = _form(args)
    outcome = facade().catalog_trial(stored.get("system"), kind, generic, own, lang)
    if outcome.ok:
        return trial_result(outcome.value, lang)
    _messages, rest = field_messages((outcome.value or {}).get("problems", []), [])
    return [outcome_alert(outcome), problems_list(rest, lang)]


@callback(
    [Output(f"admin-ep-err-{name}", "children") for name in GENERIC_NAMES]
    + [Output({"type": OPT_ERR, "name": ALL}, "children"), Output("admin-ep-result", "children"),
       Output("admin-ep-problems", "children"), Output("admin-ep-goto", "href")],
    Input("ep-save", "n_clicks"), *FORM_STATES, State({"type": OPT_ERR, "name": ALL}, "id"),
    prevent_initial_call=True,
)
def save(clicks, *args):
    if not clicks:
        raise dash.exceptions.PreventUpdate
    error_ids = args[-1]
    generic, kind, own, stored, lang, _names = _form(args[:-1])
    outcome = facade().catalog_change("endpoint.save", lang, system_id=stored.get("system"),
                                      endpoint_id=stored.get("id"), values=generic, kind=kind, own=own)
    problems = (outcome.value or {}).get("problems", []) if not outcome.ok else []
    own_names = [i["name"] for i in error_ids or []]
    messages, rest = field_messages(problems, GENERIC_NAMES + own_names)
    goto = dash.no_update
    if outcome.ok and not stored.get("id"):
        goto = f"/catalog/endpoint?system={stored.get('system')}&id={generic['id']}"
    return [*messages[:len(GENERIC_NAMES)], messages[len(GENERIC_NAMES):], outcome_alert(outcome),
            problems_list(rest, lang), goto]


@callback(
    Output("admin-ep-result", "children", allow_duplicate=True), Output("admin-ep-goto", "href", allow_duplicate=True),
    Input("ep-delete", "n_clicks"), State("ep-stored", "data"), State("lang-toggle", "value"),
    prevent_initial_call=True,
)
def delete(clicks, stored, lang):
    if not clicks or not (stored or {}).get("id"):
        raise dash.exceptions.PreventUpdate
    outcome = facade().catalog_change("endpoint.delete", lang or "vi", system_id=stored["system"], endpoint_id=stored["id"])
    if outcome.ok:
        return outcome_alert(outcome), f"/catalog/system?id={stored['system']}"
    _messages, rest = field_messages((outcome.value or {}).get("problems", []), [])
    return [outcome_alert(outcome), problems_list(rest, lang or "vi")], dash.no_update
