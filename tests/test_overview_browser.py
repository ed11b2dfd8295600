"""The real app in headless Chromium: every demo system's tile shows, and a failure turns red."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dashboard.demo.network import SYSTEM_IDS
from tests.conftest import start_app, stop_app, wait_for

pytestmark = [pytest.mark.browser]

# Dash re-renders the tiles every refresh: read them in one script call, never through a handle.
TILE_STATUS = """id => {
  const t = document.querySelector('.system-tile[data-system="' + id + '"]');
  return t ? t.dataset.status : null;
}"""


@pytest.fixture
def app(tmp_path):
    running = start_app(tmp_path)
    yield running
    stop_app(running)


def tile_status(page, system_id: str) -> str | None:
    return page.evaluate(TILE_STATUS, system_id)


def test_overview_shows_every_demo_system_and_a_failure_turns_down(browser, app):
    page = browser.open(app, "/", viewport=(1920, 1080))
    page.locator(".system-tile").first.wait_for(state="attached", timeout=20_000)

    # Every demo system has a tile, and each reaches a live verdict.
    wait_for(lambda: all(tile_status(page, s) == "up" for s in SYSTEM_IDS), 40, message="all tiles up")
    assert "Hoạt động" in page.locator(".tile-grid").inner_text()  # Vietnamese first

    response = app.post("/api/demo/systems/qlvb/mode", json={"mode": "failing"})
    assert response.status_code == 200, response.text
    wait_for(lambda: tile_status(page, "qlvb") == "down", 40, message="qlvb tile down")
    tile = page.evaluate("""() => document.querySelector('.system-tile[data-system="qlvb"]').innerText""")
    assert "Gián đoạn" in tile
    assert "503" in tile  # the failed condition and the value observed are shown
    assert tile_status(page, "lgsp") == "up"  # one failure does not spread

    assert browser.errors() == []


def test_language_toggle_switches_to_english(browser, app):
    page = browser.open(app, "/")
    page.locator(".system-tile").first.wait_for(state="attached", timeout=20_000)
    page.locator("label[for='_dbcprivate_radioitems_lang-toggle_input_en']").click()
    expect(page.locator("#overview-heading")).to_contain_text("Status of the shared systems", timeout=10_000)
    assert "Data integration and sharing platform" in page.locator(".tile-grid").inner_text()
    assert browser.errors() == []
