"""Remote agents: each one's vantage, last contact, clock and what it sent. Admins only —
enforced by dashboard.auth.policy (the /admin path), not by this page. Reads through the facade."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from collectors.timeutil import parse_iso, utcnow
from dashboard.i18n import ago, duration_text, local_time, t
from dashboard.readmodels.agents import agents_view
from dashboard.web.facade import DataUnavailable, facade
from layouts.components.feedback import unavailable

dash.register_page(__name__, path="/admin/agents", title="Trạm thu thập · IOC")

REFRESH_MS = 10_000
STATE_CLASS = {"ok": "status-up", "silent": "status-unknown", "never": "status-unknown", "revoked": "status-down"}


def layout(**_):
    return html.Div(
        [
            dcc.Interval(id="admin-agents-refresh", interval=REFRESH_MS),
            html.H2(id="admin-agents-heading", className="h4"),
            html.P(id="admin-agents-help", className="text-secondary small"),
            html.Div(id="admin-agents-table"),
        ],
        className="admin-agents",
    )


@callback(
    Output("admin-agents-heading", "children"),
    Output("admin-agents-help", "children"),
    Output("admin-agents-table", "children"),
    Input("lang-toggle", "value"),
    Input("admin-agents-refresh", "n_intervals"),
)
def render(lang, _n):
    try:
        rows = facade().read(agents_view)
    except DataUnavailable:
        return t("agents.heading", lang), t("agents.help", lang), unavailable(lang)
    return t("agents.heading", lang), t("agents.help", lang), agents_table(rows, lang)


def number(value: int) -> str:
    return f"{value:,}".replace(",", ".")  # Vietnamese thousands separator


def skew_text(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:+.1f} s".replace(".", ",")


def agents_table(rows: list[dict], lang: str):
    if not rows:
        return dbc.Alert(html.Code(t("agents.empty", lang)), color="light")
    now = utcnow()
    keys = ("name", "vantage", "state", "contact", "endpoints", "clock", "results", "rejected")
    head = html.Thead(html.Tr([html.Th(t(f"agents.col.{k}", lang)) for k in keys]))
    body = []
    for r in rows:
        contact = parse_iso(r["last_contact_at"])
        clock = [skew_text(r["clock_skew_s"])]
        if r["skew_flagged"]:
            clock += [" ", html.Span("⚠ " + t("agents.skew_flag", lang), className="badge text-bg-warning")]
        rejected = [number(r["rejected_batches"])]
        if r["last_rejection"]:
            when = local_time(parse_iso(r["last_rejection_at"]))
            rejected.append(html.Div(f"{when} · {r['last_rejection']}", title=r["last_rejection"],
                                     className="small text-muted agent-rejection"))
        body.append(html.Tr(
            [
                html.Td([html.Strong(r["name"]), html.Div(r["last_address"] or "", className="small text-muted")]),
                html.Td(html.Code(r["vantage"])),
                html.Td(html.Span(t(f"agents.state.{r['state']}", lang),
                                  className=f"status-badge status-badge-sm {STATE_CLASS[r['state']]}")),
                html.Td([f"{local_time(contact, with_date=True)}" if contact else "—",
                         html.Div(f"{ago(contact, now, lang)} · " + t("agents.every", lang, s=duration_text(r["batch_interval_s"], lang))
                                  if contact else "", className="small text-muted")], className="text-nowrap"),
                html.Td(number(r["endpoints"])),
                html.Td(clock, className="text-nowrap"),
                html.Td([number(r["results_stored"]),
                         html.Div(t("agents.duplicates", lang, n=number(r["duplicates"])), className="small text-muted")
                         if r["duplicates"] else None]),
                html.Td(rejected),
            ],
            className="agent-row", **{"data-vantage": r["vantage"], "data-state": r["state"]},
        ))
    return html.Div(dbc.Table([head, html.Tbody(body)], bordered=False, hover=True, size="sm", className="agents-table"),
                    className="table-responsive")
