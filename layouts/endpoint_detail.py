"""Drill-down page of one endpoint (issue 5); content and callbacks in layouts/components/detail_page.py."""
from __future__ import annotations

import dash

from layouts.components.detail_page import detail_layout

dash.register_page(__name__, path_template="/endpoints/<endpoint_id>", title="IOC Quảng Ngãi — Chi tiết")


def layout(endpoint_id: str | None = None, **_query):
    return detail_layout("endpoint", endpoint_id or "")
