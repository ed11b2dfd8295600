"""Drill-down page of one system (issue 5); content and callbacks in layouts/components/detail_page.py."""
from __future__ import annotations

import dash

from layouts.components.detail_page import detail_layout

dash.register_page(__name__, path_template="/systems/<system_id>", title="IOC Quảng Ngãi — Chi tiết")


def layout(system_id: str | None = None, **_query):
    return detail_layout("system", system_id or "")
