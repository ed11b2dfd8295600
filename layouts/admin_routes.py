"""Notification routes (/admin/routes): who is told about what. The routes with their
targets masked and their warnings, a form that creates and edits them (admins), "Gửi thử"
(send a test now), and the delivery log: sent, failed with the error, held back by quiet
hours, deduplicated, escalations. Operators read it; only admins change it (the writing
callbacks' outputs carry the `admin-` prefix, which the access policy reads). Routes from the
catalog's `notifications:` section are shown read-only. Data comes from
dashboard.readmodels.routes through the page facade; this page never reaches the database."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, dcc, html

from dashboard.i18n import duration_text, t
from dashboard.readmodels import routes as views
from dashboard.web.facade import DataUnavailable, facade
from layouts.components.feedback import unavailable
from layouts.components.incident_parts import when

# A 24-hour clock as text: a browser's time input follows the browser's own locale, and showed
# "10:00 PM" where a Vietnamese reader expects 22:00.
CLOCK_INPUT = {"type": "text", "placeholder": "22:00", "maxLength": 5,
               "pattern": r"([01]?[0-9]|2[0-3]):[0-5][0-9]"}

dash.register_page(__name__, path="/admin/routes", title="IOC Quảng Ngãi — Tuyến thông báo", name="Tuyến thông báo")

STATE_COLORS = {"sent": "success", "failed": "danger", "pending": "info", "suppressed": "secondary",
                "suppressed_quiet": "secondary", "deduplicated": "light"}
# the form's inputs that can be marked invalid, by the route field they carry. The inputs that
# hold a target URL or the secret carry the `admin-` prefix: a callback that fills them needs an
# admin (the URLs may carry tokens); the others are plain, so operators' pages may label them.
FIELD_INPUTS = {"id": "routes-f-id", "name": "routes-f-name", "urls": "admin-route-urls",
                "escalate_after": "routes-f-escalate", "escalation_urls": "admin-route-escalation-urls",
                "secret": "admin-route-secret", "quiet_start": "routes-f-quiet-start",
                "quiet_end": "routes-f-quiet-end"}


def _may_edit() -> bool:
    from dashboard.auth.permissions import allowed

    try:
        return allowed("manage_notifications")
    except Exception:  # noqa: BLE001 - no access control installed: trusted process
        return True


def _field(label_id: str, control, width: int = 6):
    return dbc.Col([dbc.Label(id=label_id, html_for=getattr(control, "id", None)), control], md=width)


def layout(**_query):
    may_edit = _may_edit()
    form = dbc.Card(dbc.CardBody([
        html.H2(id="routes-form-title", className="h6"),
        dcc.Store(id="routes-editing", data=None),
        dbc.Row([
            _field("routes-l-id", dbc.Input(id="routes-f-id", maxLength=63, placeholder="vnpt-truc"), 3),
            _field("routes-l-name", dbc.Input(id="routes-f-name", maxLength=255), 5),
            _field("routes-l-language", dbc.RadioItems(id="routes-f-language", value="vi", inline=True,
                                                        options=[{"label": "Tiếng Việt", "value": "vi"},
                                                                 {"label": "English", "value": "en"}]), 4),
        ], className="g-2 mb-2"),
        dbc.Row([
            _field("routes-l-systems", dcc.Dropdown(id="routes-f-systems", multi=True), 6),
            _field("routes-l-agencies", dcc.Dropdown(id="routes-f-agencies", multi=True), 6),
        ], className="g-2 mb-2"),
        dbc.Row([
            _field("routes-l-partners", dbc.Checklist(id="routes-f-partners", inline=True, value=[]), 4),
            _field("routes-l-kinds", dbc.Checklist(id="routes-f-kinds", inline=True, value=[]), 8),
        ], className="g-2 mb-2"),
        dbc.Row([
            _field("routes-l-severity", dcc.Dropdown(id="routes-f-severity", value="info", clearable=False), 3),
            _field("routes-l-quiet-start", dbc.Input(id="routes-f-quiet-start", **CLOCK_INPUT), 2),
            _field("routes-l-quiet-end", dbc.Input(id="routes-f-quiet-end", **CLOCK_INPUT), 2),
            _field("routes-l-active", dbc.Checkbox(id="routes-f-active", value=True), 2),
        ], className="g-2 mb-2"),
        dbc.Row([
            _field("routes-l-urls", dbc.Textarea(id="admin-route-urls", rows=2, placeholder="json://…  mailto://…"), 12),
        ], className="g-2 mb-2"),
        dbc.Row([
            _field("routes-l-escalate", dbc.Input(id="routes-f-escalate", type="number", min=0, step="any"), 3),
            _field("routes-l-escalation-urls", dbc.Textarea(id="admin-route-escalation-urls", rows=1), 5),
            _field("routes-l-secret", dbc.Input(id="admin-route-secret", type="password", autoComplete="new-password"), 4),
        ], className="g-2 mb-2"),
        html.Div(id="routes-form-help", className="small text-secondary mb-2"),
        dbc.Button(id="routes-save", color="primary", className="me-2"),
        dbc.Button(id="routes-new", color="link"),
    ]), className="mb-3 routes-form", style=None if may_edit else {"display": "none"})
    return html.Div(
        [
            html.H1(id="routes-heading", className="h4"),
            html.P(id="routes-help", className="text-secondary small"),
            html.Div(id="admin-routes-result", className="small mb-2", role="status"),
            dcc.Store(id="admin-routes-version", data=0),
            html.Div(id="routes-table", className="mb-3"),
            html.H2(id="routes-log-heading", className="h5 mt-3"),
            dbc.Row([
                dbc.Col(dcc.Dropdown(id="routes-log-route", clearable=True), md=4),
                dbc.Col(dcc.Dropdown(id="routes-log-state", multi=True, clearable=True), md=5),
            ], className="g-2 mb-2"),
            dcc.Interval(id="routes-refresh", interval=max(facade().settings.refresh_ms, 5000)),
            html.Div(id="routes-log", className="routes-log mb-3"),
            form,
        ],
        className="routes-page",
        **{"data-may-edit": "1" if may_edit else "0"},
    )


@callback(
    Output("routes-heading", "children"), Output("routes-help", "children"), Output("routes-log-heading", "children"),
    Output("routes-l-id", "children"), Output("routes-l-name", "children"), Output("routes-l-language", "children"),
    Output("routes-l-systems", "children"), Output("routes-l-agencies", "children"),
    Output("routes-l-partners", "children"), Output("routes-l-kinds", "children"),
    Output("routes-l-severity", "children"), Output("routes-l-quiet-start", "children"),
    Output("routes-l-quiet-end", "children"), Output("routes-l-active", "children"), Output("routes-l-urls", "children"),
    Output("routes-l-escalate", "children"), Output("routes-l-escalation-urls", "children"),
    Output("routes-l-secret", "children"), Output("routes-form-help", "children"), Output("routes-new", "children"),
    Output("routes-save", "children"),
    Output("routes-f-systems", "options"), Output("routes-f-agencies", "options"),
    Output("routes-f-partners", "options"), Output("routes-f-kinds", "options"),
    Output("routes-f-severity", "options"), Output("routes-log-state", "options"),
    Output("routes-log-state", "placeholder"), Output("routes-log-route", "placeholder"),
    Input("lang-toggle", "value"),
)
def translate(lang):
    lang = lang or "vi"
    try:
        picks = facade().read(views.choices)
    except DataUnavailable:
        picks = {"systems": [], "agencies": [], "partners": [], "kinds": [], "severities": []}
    fields = ("id", "name", "language", "systems", "agencies", "partners", "kinds", "min_severity", "quiet_start",
              "quiet_end", "active", "urls", "escalate_after", "escalation_urls", "secret")
    return (
        t("routes.heading", lang), t("routes.help", lang), t("routes.log.heading", lang),
        *[t(f"routes.field.{f}", lang) for f in fields],
        t("routes.form.help", lang), t("routes.new", lang), t("routes.save", lang),
        picks["systems"], picks["agencies"],
        [{"label": p, "value": p} for p in picks["partners"]],
        [{"label": t(f"routes.kind.{k}", lang), "value": k} for k in picks["kinds"]],
        [{"label": t(f"route.sev.{s}", lang), "value": s} for s in picks["severities"]],
        [{"label": t(f"routes.state.{s}", lang), "value": s} for s in views.DELIVERY_STATES],
        t("routes.log.all_states", lang), t("routes.log.all_routes", lang),
    )


def _names(values: list[str], empty: str) -> str:
    return ", ".join(values) if values else empty


def routes_table(rows: list[dict], lang: str, may_edit: bool):
    """The routes as a table: what each matches, where it sends, its escalation and warnings."""
    if not rows:
        return dbc.Alert(t("routes.empty", lang), color="light")
    anything = t("routes.any", lang)
    cols = ("route", "matches", "targets", "quiet", "escalation", "deliveries", "")
    head = html.Thead(html.Tr([html.Th(t(f"routes.col.{c}", lang) if c else "") for c in cols]))
    body = []
    for r in rows:
        matches = [
            html.Div(f"{t('routes.field.systems', lang)}: {_names(r['systems'], anything)}"),
            html.Div(f"{t('routes.field.agencies', lang)}: {_names(r['agencies'], anything)}"),
            html.Div(f"{t('routes.field.partners', lang)}: {_names(r['partners'], anything)}"),
            html.Div(f"{t('routes.field.kinds', lang)}: "
                     f"{_names([t(f'routes.kind.{k}', lang) for k in r['kinds']], anything)}"),
            html.Div(f"{t('routes.field.min_severity', lang)}: {t('route.sev.' + r['min_severity'], lang)}"),
        ]
        escalation = (f"{duration_text(r['escalate_after_s'], lang)} → {', '.join(r['escalation_targets'])}"
                      if r["escalate_after_s"] else "—")
        counts = r["deliveries"]
        buttons = []
        if may_edit:
            buttons.append(dbc.Button(t("routes.test", lang), id={"type": "routes-test", "index": r["id"]}, size="sm",
                                      color="outline-primary", className="me-1 mb-1 routes-test"))
            if r["source"] == "admin":
                buttons += [
                    dbc.Button(t("routes.edit", lang), id={"type": "routes-edit", "index": r["id"]}, size="sm",
                               color="link", className="mb-1"),
                    dbc.Button(t("routes.delete", lang), id={"type": "routes-delete", "index": r["id"]}, size="sm",
                               color="link", className="text-danger mb-1"),
                ]
        body.append(html.Tr([
            html.Td([
                html.Div([html.Strong(r["name"]), " ", html.Code(r["id"], className="small")]),
                dbc.Badge(t(f"routes.source.{r['source']}", lang), color="secondary" if r["source"] == "catalog" else "info",
                          className="me-1"),
                dbc.Badge(r["language"].upper(), color="light", text_color="dark", className="me-1"),
                *([] if r["active"] else [dbc.Badge(t("routes.inactive", lang), color="warning", text_color="dark")]),
                *[html.Div(f"⚠ {w}", className="small text-warning-emphasis route-warning") for w in r["warnings"]],
            ]),
            html.Td(matches, className="small"),
            html.Td([html.Div(html.Code(u)) for u in r["targets"]] +
                    ([html.Div(t("routes.signed", lang), className="small text-secondary")] if r["signed"] else []),
                    className="small"),
            html.Td(f"{r['quiet_start']}–{r['quiet_end']}" if r["quiet_start"] else "—", className="text-nowrap"),
            html.Td(escalation, className="small"),
            html.Td(", ".join(f"{t('routes.state.' + k, lang)}: {v}" for k, v in sorted(counts.items())) or "—",
                    className="small"),
            html.Td(buttons, className="text-nowrap"),
        ], className="route-row", **{"data-id": r["id"], "data-source": r["source"],
                                    "data-warnings": str(len(r["warnings"]))}))
    return dbc.Table([head, html.Tbody(body)], hover=True, size="sm", responsive=True, className="routes-table")


# the reasons the notifier itself writes, in the reader's language (a service's own error
# message is shown as it came)
REASONS = {"no notification URL configured": "routes.reason.no_channel",
           "same transition within the cooldown": "routes.reason.cooldown",
           "the route was removed or turned off": "routes.reason.route_gone"}


def reason_text(error: str | None, lang: str) -> str:
    if not error:
        return ""
    if error in REASONS:
        return t(REASONS[error], lang)
    if error.startswith("quiet hours ") and error.endswith(" (Vietnam time)"):
        return t("routes.reason.quiet", lang, span=error.removeprefix("quiet hours ").removesuffix(" (Vietnam time)"))
    return error


def deliveries_table(rows: list[dict], lang: str):
    if not rows:
        return dbc.Alert(t("routes.log.empty", lang), color="light")
    cols = ("at", "route", "event", "title", "state", "error")
    head = html.Thead(html.Tr([html.Th(t(f"routes.log.col.{c}", lang)) for c in cols]))
    body = []
    for d in rows:
        route = d["route"] or t("routes.log.global", lang)
        if d["level"]:
            route += f" · {t('routes.log.level', lang, level=d['level'])}"
        title = dcc.Link(d["title"], href=d["link"]) if d["link"] and d["link"].startswith("/") else d["title"]
        body.append(html.Tr([
            html.Td(when(d["created_at"]), className="small text-nowrap"),
            html.Td(route, className="small"),
            html.Td(t(f"routes.kind.{d['event']}", lang) if d["event"] else d["kind"], className="small"),
            html.Td(title, className="small"),
            html.Td(dbc.Badge(t(f"routes.state.{d['state']}", lang), color=STATE_COLORS.get(d["state"], "light"),
                              text_color="dark" if d["state"] in ("deduplicated",) else None)),
            html.Td(reason_text(d["error"], lang), className="small text-break"),
        ], className="delivery-row", **{"data-state": d["state"], "data-route": d["route"] or "",
                                       "data-level": str(d["level"])}))
    return dbc.Table([head, html.Tbody(body)], size="sm", responsive=True, className="deliveries-table")


@callback(
    Output("routes-table", "children"), Output("routes-log", "children"), Output("routes-log-route", "options"),
    Input("admin-routes-version", "data"), Input("routes-refresh", "n_intervals"), Input("routes-log-route", "value"),
    Input("routes-log-state", "value"), Input("lang-toggle", "value"),
)
def render(_version, _tick, route_id, states, lang):
    lang = lang or "vi"
    try:
        rows = facade().read(views.routes_view, lang)
        log = facade().read(views.deliveries, route_id or None, states or None, 100)
    except DataUnavailable:
        return unavailable(lang), None, dash.no_update
    options = [{"label": f"{r['name']} ({r['id']})", "value": r["id"]} for r in rows]
    # data-tick: which refresh drew the table (a test waits for one to pass)
    table = html.Div(routes_table(rows, lang, _may_edit()), **{"data-tick": str(_tick or 0)})
    return table, deliveries_table(log, lang), options


FORM_OUTPUTS = [Output("routes-editing", "data"), Output("routes-f-id", "value"), Output("routes-f-id", "disabled"),
                Output("routes-f-name", "value"), Output("routes-f-language", "value"),
                Output("routes-f-systems", "value"), Output("routes-f-agencies", "value"),
                Output("routes-f-partners", "value"), Output("routes-f-kinds", "value"),
                Output("routes-f-severity", "value"), Output("routes-f-quiet-start", "value"),
                Output("routes-f-quiet-end", "value"), Output("routes-f-active", "value"),
                Output("admin-route-urls", "value"), Output("routes-f-escalate", "value"),
                Output("admin-route-escalation-urls", "value"), Output("admin-route-secret", "value")]
EMPTY_FORM = (None, "", False, "", "vi", [], [], [], [], "info", None, None, True, "", None, "", "")


@callback(
    *FORM_OUTPUTS,
    Input({"type": "routes-edit", "index": ALL}, "n_clicks"), Input("routes-new", "n_clicks"),
    prevent_initial_call=True,
)
def start_editing(edits, _new):
    """Fill the form with a route (its URLs whole: the outputs are admin-only)."""
    trigger = dash.ctx.triggered_id
    if trigger == "routes-new" or not _may_edit():
        return EMPTY_FORM
    if not isinstance(trigger, dict) or not any(edits or []):
        # the table was drawn again (every refresh): its edit buttons are new, none was pressed;
        # what the admin is typing stays
        return tuple(dash.no_update for _ in FORM_OUTPUTS)
    r = facade().read(views.route_input, trigger["index"])
    if r is None:
        return EMPTY_FORM
    minutes = None if r["escalate_after_s"] is None else round(r["escalate_after_s"] / 60, 3)
    return (r["id"], r["id"], True, r["name"], r["language"], r["systems"], r["agencies"], r["partners"], r["kinds"],
            r["min_severity"], r["quiet_start"], r["quiet_end"], r["active"], "\n".join(r["urls"]), minutes,
            "\n".join(r["escalation_urls"]), "")


@callback(
    Output("routes-form-title", "children"),
    Input("routes-editing", "data"), Input("lang-toggle", "value"),
)
def form_title(editing, lang):
    lang = lang or "vi"
    return t("routes.form.edit", lang, id=editing) if editing else t("routes.form.new", lang)


def route_input(route_id, name, language, systems, agencies, partners, kinds, severity, quiet_start, quiet_end,
                active, urls, escalate_minutes, escalation_urls, secret) -> dict:
    """The form's fields in the API's input shape (minutes of escalation as a duration)."""
    data = {"id": (route_id or "").strip(), "name": (name or "").strip() or None, "language": language or "vi",
            "systems": systems or [], "agencies": agencies or [], "partners": partners or [], "kinds": kinds or [],
            "min_severity": severity or "info", "quiet_start": quiet_start or None, "quiet_end": quiet_end or None,
            "active": bool(active), "urls": (urls or "").split(), "escalation_urls": (escalation_urls or "").split(),
            "secret": secret or None}
    if escalate_minutes not in (None, ""):
        try:
            data["escalate_after"] = f"{float(escalate_minutes) * 60:g}s"
        except (TypeError, ValueError):
            data["escalate_after"] = str(escalate_minutes)
    return data


@callback(
    Output("admin-routes-result", "children"), Output("admin-routes-version", "data"),
    *[Output(component, "invalid") for component in FIELD_INPUTS.values()],
    Input("routes-save", "n_clicks"), Input({"type": "routes-test", "index": ALL}, "n_clicks"),
    Input({"type": "routes-delete", "index": ALL}, "n_clicks"),
    State("routes-editing", "data"), State("routes-f-id", "value"), State("routes-f-name", "value"),
    State("routes-f-language", "value"), State("routes-f-systems", "value"),
    State("routes-f-agencies", "value"), State("routes-f-partners", "value"), State("routes-f-kinds", "value"),
    State("routes-f-severity", "value"), State("routes-f-quiet-start", "value"),
    State("routes-f-quiet-end", "value"), State("routes-f-active", "value"), State("admin-route-urls", "value"),
    State("routes-f-escalate", "value"), State("admin-route-escalation-urls", "value"),
    State("admin-route-secret", "value"), State("admin-routes-version", "data"), State("lang-toggle", "value"),
    prevent_initial_call=True,
)
def act(_save, tests, deletes, editing, *fields_and_rest):
    *fields, version, lang = fields_and_rest
    lang = lang or "vi"
    trigger = dash.ctx.triggered_id
    clean = [False] * len(FIELD_INPUTS)
    if isinstance(trigger, dict):
        clicks = tests if trigger.get("type") == "routes-test" else deletes
        if not any(clicks or []):
            return dash.no_update, dash.no_update, *[dash.no_update] * len(FIELD_INPUTS)
        which = "test" if trigger["type"] == "routes-test" else "delete"
        outcome = facade().route_change(which, trigger["index"], None, lang)
    else:
        outcome = facade().route_change("edit" if editing else "create", editing,
                                        route_input(*fields), lang)
    marks = [not outcome.ok and outcome.value == name for name in FIELD_INPUTS] if not outcome.ok else clean
    colour = "success" if outcome.ok else "warning"
    alert = dbc.Alert(outcome.message, color=colour,
                      className=f"py-2 mb-0 {'routes-done' if outcome.ok else 'routes-error'}")
    return alert, (version or 0) + 1, *marks
