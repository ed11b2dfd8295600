"""The real app in headless Chromium: from the overview, a failing system is followed
to its cause in two clicks — the tile, then the page shows the failed condition and the failing
national link; the systems grid opens a row's page; check now answers."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import start_app, stop_app, wait_for

pytestmark = [pytest.mark.browser]

# One script call per read: Dash re-renders these nodes on every refresh.
ATTR = """([selector, name]) => {
  const e = document.querySelector(selector);
  return e ? (name === 'textContent' ? e.textContent : e.getAttribute(name)) : null;
}"""


@pytest.fixture
def app(tmp_path):
    running = start_app(tmp_path)
    yield running
    stop_app(running)


def attr(page, selector: str, name: str) -> str | None:
    return page.evaluate(ATTR, [selector, name])


def present(page, selector: str, timeout_s: float) -> None:
    page.locator(selector).first.wait_for(state="attached", timeout=timeout_s * 1000)


def test_failing_system_is_followed_to_its_cause_in_two_clicks(browser, app):
    for system, mode in (("qlvb", "failing"), ("lgsp", "link_down")):
        response = app.post(f"/api/demo/systems/{system}/mode", json={"mode": mode})
        assert response.status_code == 200, response.text
    page = browser.open(app, "/", viewport=(1920, 1080))

    # Click 1: the red tile on the overview (generous timeouts: the test machine is shared).
    present(page, ".system-tile", 30)
    wait_for(lambda: attr(page, '.system-tile[data-system="qlvb"]', "data-status") == "down", 60, message="qlvb tile down")
    page.locator('.system-tile[data-system="qlvb"] .tile-detail-link').click()
    present(page, '.detail-page[data-subject="qlvb"] .detail-header[data-status="down"]', 20)
    assert page.url.endswith("/systems/qlvb")
    # The page says which condition failed and what the system answered.
    row = page.locator('.endpoint-row[data-endpoint="qlvb.health"]')
    row.wait_for(state="attached", timeout=20_000)
    assert "[STATUS] == 200" in row.locator(".failed-condition").first.inner_text()
    assert "503" in row.inner_text()
    assert "Gián đoạn" in page.locator(".detail-header").first.inner_text()
    # ... and its national link, down too (the link endpoint gets 503 as well), red in the diagram.
    present(page, '.dep-link[data-link="qlvb.national-axis"][data-status="down"]', 20)
    present(page, "#detail-deps .main-svg", 20)

    # LGSP answers, but its link to NDXP is down: the page shows that failing link.
    page.goto(app.url + "/systems/lgsp")
    link = page.locator('.dep-link[data-link="lgsp.ndxp"]')
    link.wait_for(state="attached", timeout=20_000)
    wait_for(lambda: attr(page, '.dep-link[data-link="lgsp.ndxp"]', "data-status") == "down", 40, message="ndxp link down")
    assert attr(page, '.endpoint-row[data-endpoint="lgsp.health"]', "data-status") == "up"
    text = link.inner_text()
    assert "NDXP" in text and "disconnected" in text
    # The link has its own page.
    link.locator("a").first.click()
    present(page, '.detail-page[data-subject="lgsp.ndxp"] .detail-header[data-status="down"]', 20)
    present(page, ".check-strip .check-cell.status-down", 20)

    errors = browser.errors()
    assert errors == [], errors


def test_grid_row_opens_its_page_and_check_now_answers(browser, app):
    page = browser.open(app, "/systems", viewport=(1920, 1080))
    present(page, ".systems-grid .ag-row", 30)
    # Search narrows the grid (quick filter). First: with the 96 commune heartbeats the grid has
    # ~200 rows, and AG Grid renders only those in view, so dvc.health may not be in the DOM yet.
    page.locator("#systems-search").fill("dvc.health")
    present(page, '.systems-grid .ag-row[row-id="endpoint:dvc.health"]', 30)
    wait_for(lambda: page.evaluate(
        "() => document.querySelectorAll('.systems-grid .ag-center-cols-container .ag-row').length") == 1,
        20, message="one row left")
    page.locator('.systems-grid .ag-row[row-id="endpoint:dvc.health"] .ag-cell').nth(1).click()
    present(page, '.detail-page[data-subject="dvc.health"]', 20)
    assert page.url.endswith("/endpoints/dvc.health")
    present(page, ".conditions .condition", 20)
    present(page, ".check-strip .check-cell", 30)

    expect(page.locator("#detail-check-now")).to_have_text("Kiểm tra ngay", timeout=10_000)
    page.locator("#detail-check-now").click()
    present(page, "#detail-action-result .action-ok", 10)
    # The 1 h range reads raw results: the uptime cell fills in.
    page.locator("label[for='_dbcprivate_radioitems_detail-range_input_1h']").click()
    wait_for(lambda: attr(page, '.uptime-cell[data-range="1h"]', "textContent") not in (None, "—"), 20, message="1 h uptime")
    errors = browser.errors()
    assert errors == [], errors
