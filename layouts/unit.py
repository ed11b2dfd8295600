"""A unit's detail (/units/<code>): a commune-level unit by official code, or a provincial
agency by id — what the province map opens on a click."""
from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html

from dashboard.i18n import format_ms, format_number, local_time, t
from dashboard.readmodels import wall as wq
from dashboard.web.facade import DataUnavailable, facade
from layouts.components.feedback import unavailable
from layouts.components.province_map import state_label
from layouts.components.status_tile import status_badge

dash.register_page(__name__, path_template="/units/<code>", title="IOC Quảng Ngãi — Đơn vị", name="Đơn vị")


def layout(code: str | None = None, **_query):
    return html.Div([dcc.Store(id="unit-key", data=code), html.Div(id="unit-body")], className="unit-page")


@callback(Output("unit-body", "children"), Input("lang-toggle", "value"), State("unit-key", "data"))
def render(lang, key):
    lang = lang or "vi"
    back = html.A(t("unit.back", lang), href="/wall/map", className="btn btn-outline-secondary btn-sm mb-3")
    try:
        unit = facade().read(wq.unit_detail, key or "", None, lang)
    except DataUnavailable:
        return [back, unavailable(lang)]
    if unit is None:
        return [back, html.P(t("unit.not_found", lang, key=key), className="lead")]
    name = unit["name_vi"] if lang != "en" else unit["name_en"]
    facts = [
        (t("unit.kind", lang), t(f"unit.kind.{unit['kind']}", lang)),
        (t("unit.code", lang), unit["code"] or "—"),
        (t("unit.partner", lang), unit["partner"] or "—"),
        (t("unit.coordinates", lang), f"{format_number(unit['lat'], lang, 4)}; {format_number(unit['lon'], lang, 4)}" if unit["lat"] is not None else "—"),
    ]
    state = unit["status"]
    badge = status_badge(state, lang) if state != wq.NO_DATA else html.Span(state_label(state, lang), className="status-badge status-unknown")
    body = [
        back,
        html.H1(name, className="h3", id="unit-name"),
        html.Div([html.Span(t("unit.state", lang) + ": "), badge], className="mb-3", **{"data-status": state}),
        html.Dl([item for label, value in facts for item in (html.Dt(label, className="col-sm-3"), html.Dd(value, className="col-sm-9"))], className="row"),
    ]
    if unit["systems"]:
        body += [html.H2(t("unit.systems", lang), className="h5 mt-3"),
                 html.Ul([html.Li(s["name_vi"] if lang != "en" else s["name_en"]) for s in unit["systems"]])]
    body.append(html.H2(t("unit.endpoints", lang), className="h5 mt-3"))
    if not unit["endpoints"]:
        body.append(html.P(t("unit.no_endpoints", lang, id=unit["id"]), className="text-muted"))
    else:
        header = html.Thead(html.Tr([html.Th(t(k, lang)) for k in ("col.endpoint", "col.state", "col.since", "col.checked", "col.latency", "col.reason")]))
        rows = [
            html.Tr([
                html.Td([html.Div(e["name"]), html.Small(e["id"], className="text-muted")]),
                html.Td(status_badge(e["status"], lang)),
                html.Td(local_time(e["since"], with_date=True)),
                html.Td(local_time(e["checked_at"], with_date=True)),
                html.Td(format_ms(e["latency_ms"], lang)),
                html.Td(e["reason"] or "", style={"overflowWrap": "anywhere"}),
            ])
            for e in unit["endpoints"]
        ]
        body.append(html.Table([header, html.Tbody(rows)], className="table table-sm align-middle bg-white"))
    return body
