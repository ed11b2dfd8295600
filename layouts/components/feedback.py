"""What a page says when the data cannot be read or after a button press: plain builders."""
from __future__ import annotations

import dash_bootstrap_components as dbc

from dashboard.i18n import t


def unavailable(lang: str):
    """The database did not answer: say so instead of showing an empty page."""
    return dbc.Alert(t("wall.stale.database", lang), color="danger", className="data-unavailable")


def outcome_alert(outcome, padding: str = "py-1", failure_colour: str = "warning"):
    """The message of a facade Outcome (ok + message), green when it worked; the `action-ok`
    class marks success for whoever waits for it."""
    if outcome.ok:
        return dbc.Alert(outcome.message, color="success", className=f"{padding} mb-0 action-ok")
    return dbc.Alert(outcome.message, color=failure_colour, className=f"{padding} mb-0")
