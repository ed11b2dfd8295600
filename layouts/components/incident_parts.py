"""Small pure builders shared by the incidents list and the incident page."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from collectors.timeutil import parse_iso
from dashboard.i18n import local_time, t

STATE_COLORS = {"open": "danger", "acknowledged": "warning", "resolved": "success", "closed": "secondary"}


def state_badge(state: str, lang: str):
    badge = dbc.Badge(t(f"inc.state.{state}", lang), color=STATE_COLORS[state])
    return html.Span(badge, className="inc-state", **{"data-state": state})


def when(text: str | None) -> str:
    """An ISO time from a read model, as Vietnam local date and time."""
    return local_time(parse_iso(text), with_date=True) if text else "—"
