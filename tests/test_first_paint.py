"""A page's first paint: the server writes the page's current content into its HTML, shown while
the scripts start. Only inert markup, escaped, and only for a caller allowed to see the page."""
from __future__ import annotations

import re

import pytest
from dash import dcc, html

from dashboard.web.static_html import to_html
from tests.conftest import start_app, stop_app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    running = start_app(tmp_path_factory.mktemp("first-paint"))
    yield running
    stop_app(running)


@pytest.mark.parametrize("component, expected", [
    (html.Div("a < b & c"), "<div>a &lt; b &amp; c</div>"),
    (html.Span("<script>alert(1)</script>", title='"><img src=x onerror=alert(1)>'),
     '<span title="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;">&lt;script&gt;alert(1)&lt;/script&gt;</span>'),
    (html.Div([html.Span("x", **{"data-system": "qlvb", "aria-hidden": "true"}), 12, None, False]),
     '<div><span aria-hidden="true" data-system="qlvb">x</span>12</div>'),
    (html.Div("x", id="wall-root", className="wall-root"), '<div class="wall-root">x</div>'),  # ids belong to the live page
    (html.A("link", href="javascript:alert(1)"), "link"),  # no links, no scripts: the children only
    (html.Div([dcc.Graph(id="g"), html.Script("alert(1)"), html.Img(src="x")]), "<div>alert(1)</div>"),
    (html.Div("x", n_clicks=3, tabIndex="0", accessKey="k", contentEditable="true"), "<div>x</div>"),
    (html.Div(style={"--value": 42, "--colour": "var(--wall-up)", "backgroundColor": "#fff", "width": "50%"}),
     '<div style="--value: 42; --colour: var(--wall-up); background-color: #fff; width: 50%"></div>'),
    (html.Div(style={"background": "url(https://example.com/x.png)", "width": "expression(alert(1))", "color": "red;x:y"}), "<div></div>"),
])
def test_only_inert_escaped_markup_comes_out(component, expected):
    assert to_html(component) == expected


def test_the_wall_page_carries_its_current_tiles_for_a_signed_in_operator(app):
    from dashboard.demo.network import SYSTEM_IDS

    page = app.get("/wall")
    assert page.status_code == 200
    body = page.text
    snapshot = body[body.index("<div class=\"wall-root"):body.index('id="react-entry-point"')]
    assert 'class="wall-root wall-view-glance wall-first-paint"' in snapshot
    tiles = re.findall(r'<div class="wall-tile tile-(\w+)[^"]*"[^>]* data-system="([\w-]+)"', snapshot)
    assert {system for _, system in tiles} >= set(SYSTEM_IDS)
    assert "Ảnh chụp lúc" in snapshot and "đang tải bảng trực tiếp" in snapshot
    assert "<script" not in snapshot and " id=" not in snapshot
    assert "Đang tải…" in body and "Loading..." not in body  # the placeholder, in Vietnamese


def test_other_pages_get_the_placeholder_in_their_language_and_no_snapshot(app):
    body = app.get("/").text
    assert "wall-first-paint" not in body and "Đang tải…" in body and "Loading..." not in body


def test_no_first_paint_for_a_caller_who_may_not_see_the_wall(app):
    page = app.anonymous.get(app.url + "/wall", allow_redirects=False)
    assert page.status_code in (302, 303, 401, 403) and "wall-tile" not in page.text
