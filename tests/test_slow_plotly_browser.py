"""A slow server must not break the charts: Plotly.js comes with the page, so a script that takes
longer than dcc's 30 s lazy-load limit still ends in drawn charts, with no console error."""
from __future__ import annotations

import re
import time

import pytest

from tests.conftest import start_app, stop_app, wait_for

pytestmark = [pytest.mark.browser]

SLOWER_THAN_DCC_WAITS_S = 32  # dcc.Graph's lazy loader gives up on plotly.js after 30 s


@pytest.fixture
def app(tmp_path):
    running = start_app(tmp_path)
    yield running
    stop_app(running)


def test_charts_draw_when_plotly_js_arrives_after_30_seconds(browser, app):
    page = browser.open(app, None, viewport=(1600, 1200))

    held = []

    def slow_server(route):
        # The answer itself is held back (a starved server or link), not the test's reading.
        held.append(route.request.url)
        time.sleep(SLOWER_THAN_DCC_WAITS_S)
        route.continue_()

    # Dash fingerprints the file: …/plotly/package_data/plotly.v7_1_0m1796211437.min.js
    page.route(re.compile(r"/plotly(\.v[0-9a-z_]+)?\.min\.js(\?.*)?$"), slow_server)
    page.goto(app.url + "/progress", timeout=120_000)
    drawn = "() => { const p = document.querySelector('#progress-map .js-plotly-plot'); return !!(p && p.data); }"
    wait_for(lambda: page.evaluate(drawn), 60, message="the progress map drawn")
    assert len(held) == 1 and "plotly" in held[0], held  # the script really was held back
    errors = browser.errors()
    assert errors == [], errors
