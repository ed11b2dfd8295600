"""The real app in headless Chromium: every demo system's tile shows, and a failure turns red."""
from __future__ import annotations

import pytest

from dashboard.demo.network import SYSTEM_IDS
from tests.conftest import start_app, stop_app, wait_for

pytestmark = [pytest.mark.browser]


@pytest.fixture
def app(tmp_path):
    running = start_app(tmp_path)
    yield running
    stop_app(running)


def tile_status(dash_br, system_id: str) -> str | None:
    tiles = dash_br.driver.find_elements("css selector", f'.system-tile[data-system="{system_id}"]')
    return tiles[0].get_attribute("data-status") if tiles else None


def test_overview_shows_every_demo_system_and_a_failure_turns_down(dash_br, app):
    dash_br.driver.set_window_size(1920, 1080)
    dash_br.server_url = app.url
    dash_br.wait_for_element(".system-tile", timeout=20)

    # Every demo system has a tile, and each reaches a live verdict.
    wait_for(lambda: all(tile_status(dash_br, s) == "up" for s in SYSTEM_IDS), 40, message="all tiles up")
    assert "Hoạt động" in dash_br.find_element(".tile-grid").text  # Vietnamese first

    response = app.post("/api/demo/systems/qlvb/mode", json={"mode": "failing"})
    assert response.status_code == 200, response.text
    wait_for(lambda: tile_status(dash_br, "qlvb") == "down", 40, message="qlvb tile down")
    tile = dash_br.find_element('.system-tile[data-system="qlvb"]')
    assert "Gián đoạn" in tile.text
    assert "503" in tile.text  # the failed condition and the value observed are shown
    assert tile_status(dash_br, "lgsp") == "up"  # one failure does not spread

    assert dash_br.get_logs() == []


def test_language_toggle_switches_to_english(dash_br, app):
    dash_br.server_url = app.url
    dash_br.wait_for_element(".system-tile", timeout=20)
    dash_br.find_element("label[for='_dbcprivate_radioitems_lang-toggle_input_en']").click()
    dash_br.wait_for_contains_text("#overview-heading", "Status of the shared systems", timeout=10)
    assert "Data integration and sharing platform" in dash_br.find_element(".tile-grid").text
    assert dash_br.get_logs() == []
