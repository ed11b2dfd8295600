"""Maintenance planning: the windows planned (one-off and recurring, overlaps flagged) and a
form that plans, edits and cancels them. A recurring window is chosen as weekdays or a day of
the month plus a start and end time in Vietnam time; the form's fields go to the same service
(and the same validation) as POST /api/maintenance, which writes the RRULE. Data comes from
dashboard.readmodels.maintenance; this page never reaches the database itself."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, dcc, html

from dashboard.domain.maintenance import WEEKDAY_EN, WEEKDAY_VI, WEEKDAYS, MaintenanceError, form_input
from dashboard.i18n import t
from dashboard.i18n.components import dropdown_labels
from dashboard.readmodels import maintenance as views
from dashboard.web.facade import facade, page_language
from layouts.components.incident_parts import when

# A 24-hour clock as text: a browser's time input follows the browser's own locale, and showed
# "10:00 PM" where a Vietnamese reader expects 22:00.
CLOCK_INPUT = {"type": "text", "placeholder": "22:00", "maxLength": 5,
               "pattern": r"([01]?[0-9]|2[0-3]):[0-5][0-9]"}

dash.register_page(__name__, path="/maintenance", title="IOC Quảng Ngãi — Bảo trì", name="Bảo trì")

# 24-hour "hh:mm" typed as text: the browser's own time field shows "10:00 PM" on an English
# system; the service validates the value as it does for the API.
STATE_COLORS = {"active": "warning", "planned": "info", "cancelled": "secondary", "over": "light"}


def _may_act() -> bool:
    from dashboard.auth.permissions import allowed

    try:
        return allowed("schedule_maintenance")
    except Exception:  # noqa: BLE001 - no access control installed: trusted process
        return True


def layout(**_query):
    may_act = _may_act()
    lang = page_language()
    form = dbc.Card(
        dbc.CardBody([
            html.H2(id="maint-form-title", className="h6"),
            dcc.Store(id="maint-editing", data=None),
            dbc.Row([
                dbc.Col([dbc.Label(id="maint-subject-label", html_for="maint-subject"),
                         dcc.Dropdown(id="maint-subject", clearable=False, labels=dropdown_labels(lang),
                                      placeholder=t("maint.subject", lang))], md=6),
                dbc.Col([dbc.Label(id="maint-reason-label", html_for="maint-reason"),
                         dbc.Input(id="maint-reason", maxLength=500)], md=6),
            ], className="g-2 mb-2"),
            dbc.RadioItems(id="maint-repeat", value="weekly", inline=True, className="mb-2"),
            dbc.Checklist(id="maint-weekdays", value=["SU"], inline=True, className="mb-2"),
            dbc.Row([
                dbc.Col([dbc.Label(id="maint-monthday-label", html_for="maint-monthday"),
                         dbc.Input(id="maint-monthday", type="number", min=-1, max=28, step=1, value=1)], md=2,
                        id="maint-monthday-col"),
                # dd/mm/yyyy whatever the browser's language (its own date field follows the OS)
                dbc.Col([dbc.Label(id="maint-date-label", html_for="maint-date"),
                         dcc.DatePickerSingle(id="maint-date", display_format="DD/MM/YYYY", month_format="MM/YYYY",
                                              first_day_of_week=1, placeholder=t("date.placeholder", lang),
                                              clearable=True, className="d-block")],
                        md=3, id="maint-date-col"),
                dbc.Col([dbc.Label(id="maint-start-label", html_for="maint-start"),
                         dbc.Input(id="maint-start", **CLOCK_INPUT, value="22:00")], md=2),
                dbc.Col([dbc.Label(id="maint-end-label", html_for="maint-end"),
                         dbc.Input(id="maint-end", **CLOCK_INPUT, value="02:00")], md=2),
            ], className="g-2 mb-2"),
            html.Div(id="maint-form-help", className="small text-secondary mb-2"),
            dbc.Button(id="maint-save", color="primary", className="me-2"),
            dbc.Button(id="maint-new", color="link"),
            html.Div(id="op-maint-result", className="small mt-2", role="status"),
        ]),
        className="mb-3 maint-form",
        style=None if may_act else {"display": "none"},
    )
    return html.Div(
        [
            html.H1(id="maint-heading", className="h4"),
            html.P(id="maint-help", className="text-secondary small"),
            form,
            dcc.Store(id="op-maint-version", data=0),
            dbc.Checkbox(id="maint-show-all", value=False, className="mb-2"),
            html.Div(id="maint-table"),
        ],
        className="maintenance-page",
        **{"data-may-act": "1" if may_act else "0"},
    )


@callback(
    Output("maint-heading", "children"), Output("maint-help", "children"),
    Output("maint-subject-label", "children"), Output("maint-reason-label", "children"),
    Output("maint-repeat", "options"), Output("maint-weekdays", "options"),
    Output("maint-monthday-label", "children"), Output("maint-date-label", "children"),
    Output("maint-start-label", "children"), Output("maint-end-label", "children"),
    Output("maint-new", "children"), Output("maint-show-all", "label"),
    Output("maint-subject", "options"),
    Input("lang-toggle", "value"),
)
def translate(lang):
    lang = lang or "vi"
    names = WEEKDAY_EN if lang == "en" else WEEKDAY_VI
    return (
        t("maint.heading", lang), t("maint.help", lang), t("maint.subject", lang), t("maint.reason", lang),
        [{"label": t(f"maint.repeat.{k}", lang), "value": k} for k in ("once", "weekly", "monthly")],
        [{"label": names[d], "value": d} for d in WEEKDAYS],
        t("maint.monthday", lang), t("maint.date", lang), t("maint.start", lang), t("maint.end", lang),
        t("maint.new", lang), t("maint.show_all", lang), facade().read(views.subject_options, lang),
    )


@callback(
    Output("maint-weekdays", "style"), Output("maint-monthday-col", "style"), Output("maint-date-col", "style"),
    Output("maint-form-help", "children"), Output("maint-form-title", "children"), Output("maint-save", "children"),
    Input("maint-repeat", "value"), Input("maint-editing", "data"), Input("lang-toggle", "value"),
)
def form_shape(repeat, editing, lang):
    lang = lang or "vi"
    hidden = {"display": "none"}
    title = t("maint.form.edit", lang, id=editing) if editing else t("maint.form.new", lang)
    return (None if repeat == "weekly" else hidden, None if repeat == "monthly" else hidden,
            None if repeat == "once" else hidden, t(f"maint.form.help.{repeat or 'weekly'}", lang), title,
            t("maint.save", lang))


def windows_table(rows: list[dict], lang: str, may_act: bool):
    if not rows:
        return dbc.Alert(t("maint.empty", lang), color="light")
    cols = ("id", "subject", "timing", "reason", "state", "next", "overlaps", "")
    head = html.Thead(html.Tr([html.Th(t(f"maint.col.{c}", lang) if c else "") for c in cols]))
    body = []
    for w in rows:
        nxt = w["current"] or w["next"]
        buttons = [
            dbc.Button(t("maint.edit", lang), id={"type": "maint-edit", "index": w["id"]}, size="sm", color="link"),
            dbc.Button(t("maint.cancel", lang), id={"type": "maint-cancel", "index": w["id"]}, size="sm",
                       color="link", className="text-danger"),
        ] if may_act and w["state"] in ("active", "planned") else []
        body.append(html.Tr(
            [
                html.Td(f"#{w['id']}"),
                html.Td(html.Code(w["endpoint_id"] or w["system_id"])),
                html.Td(w["description_en"] if lang == "en" else w["description_vi"], className="maint-timing"),
                html.Td(w["reason"]),
                html.Td(dbc.Badge(t(f"maint.state.{w['state']}", lang), color=STATE_COLORS[w["state"]])),
                html.Td(f"{when(nxt[0])} → {when(nxt[1])}" if nxt else "—", className="small text-nowrap"),
                html.Td(", ".join(f"#{i}" for i in w["overlaps"]) or "—",
                        className="text-warning fw-bold" if w["overlaps"] else None),
                html.Td(buttons, className="text-nowrap"),
            ],
            className="maint-row", **{"data-id": str(w["id"]), "data-state": w["state"],
                                      "data-overlaps": ",".join(map(str, w["overlaps"]))},
        ))
    return dbc.Table([head, html.Tbody(body)], hover=True, size="sm", responsive=True, className="maint-table")


@callback(
    Output("maint-table", "children"),
    Input("op-maint-version", "data"), Input("maint-show-all", "value"), Input("lang-toggle", "value"),
)
def render(_version, show_all, lang):
    lang = lang or "vi"
    return windows_table(facade().read(views.all_windows, include_over=bool(show_all)), lang, _may_act())


@callback(
    Output("maint-editing", "data"), Output("maint-subject", "value"), Output("maint-reason", "value"),
    Output("maint-repeat", "value"),
    Input({"type": "maint-edit", "index": ALL}, "n_clicks"), Input("maint-new", "n_clicks"),
    prevent_initial_call=True,
)
def start_editing(_edits, _new):
    trigger = dash.ctx.triggered_id
    if trigger == "maint-new" or not isinstance(trigger, dict) or not any(_edits or []):
        return None, None, "", "weekly"
    found = [w for w in facade().read(views.all_windows, include_over=True) if w["id"] == trigger["index"]]
    if not found:
        return None, None, "", "weekly"
    w = found[0]
    subject = f"endpoint:{w['endpoint_id']}" if w["endpoint_id"] else f"system:{w['system_id']}"
    repeat = "once" if not w["rrule"] else "monthly" if "MONTHLY" in w["rrule"] else "weekly"
    return w["id"], subject, w["reason"], repeat


@callback(
    Output("op-maint-result", "children"), Output("op-maint-version", "data"),
    Input("maint-save", "n_clicks"), Input({"type": "maint-cancel", "index": ALL}, "n_clicks"),
    State("maint-editing", "data"), State("maint-subject", "value"), State("maint-reason", "value"),
    State("maint-repeat", "value"), State("maint-weekdays", "value"), State("maint-monthday", "value"),
    State("maint-date", "date"), State("maint-start", "value"), State("maint-end", "value"),
    State("op-maint-version", "data"), State("lang-toggle", "value"),
    prevent_initial_call=True,
)
def save(_save, cancels, editing, subject, reason, repeat, weekdays, monthday, date, start, end, version, lang):
    lang = lang or "vi"
    trigger = dash.ctx.triggered_id
    if isinstance(trigger, dict):
        if not any(cancels or []):
            return dash.no_update, dash.no_update
        outcome = facade().maintenance_change("cancel", int(trigger["index"]), None, lang)
    else:
        try:
            data = form_input(subject, reason, repeat, weekdays, monthday, date, start, end)
        except (MaintenanceError, LookupError) as exc:
            return dbc.Alert(str(exc).strip("'\""), color="warning", className="py-2 mb-0 maint-error"), version
        outcome = (facade().maintenance_change("edit", int(editing), data, lang) if editing
                   else facade().maintenance_change("create", None, data, lang))
    if not outcome.ok:
        return dbc.Alert(outcome.message, color="warning", className="py-2 mb-0 maint-error"), version
    message = outcome.message
    return dbc.Alert(message, color="success", className="py-2 mb-0 maint-done"), (version or 0) + 1
