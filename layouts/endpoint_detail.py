"""Drill-down page of one endpoint; its content and callbacks are in layouts/drilldown.py."""
from __future__ import annotations

import dash

from layouts.drilldown import detail_layout

dash.register_page(__name__, path_template="/endpoints/<endpoint_id>", title="IOC Quảng Ngãi — Chi tiết")


def layout(endpoint_id: str | None = None, **_query):
    return detail_layout("endpoint", endpoint_id or "")
