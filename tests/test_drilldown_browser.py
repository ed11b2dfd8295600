"""The real app in headless Chromium (issue 5): from the overview, a failing system is followed
to its cause in two clicks — the tile, then the page shows the failed condition and the failing
national link; the systems grid opens a row's page; check now answers."""
from __future__ import annotations

import pytest

from tests.conftest import start_app, stop_app, wait_for

pytestmark = [pytest.mark.browser]


@pytest.fixture
def app(tmp_path):
    running = start_app(tmp_path)
    yield running
    stop_app(running)


def css(dash_br, selector: str):
    return dash_br.driver.find_elements("css selector", selector)


def attr(dash_br, selector: str, name: str) -> str | None:
    found = css(dash_br, selector)
    return found[0].get_attribute(name) if found else None


def test_failing_system_is_followed_to_its_cause_in_two_clicks(dash_br, app):
    dash_br.driver.set_window_size(1920, 1080)
    dash_br.server_url = app.url
    for system, mode in (("qlvb", "failing"), ("lgsp", "link_down")):
        response = app.post(f"/api/demo/systems/{system}/mode", json={"mode": mode})
        assert response.status_code == 200, response.text

    # Click 1: the red tile on the overview (generous timeouts: the test machine is shared).
    dash_br.wait_for_element(".system-tile", timeout=30)
    wait_for(lambda: attr(dash_br, '.system-tile[data-system="qlvb"]', "data-status") == "down", 60, message="qlvb tile down")
    dash_br.find_element('.system-tile[data-system="qlvb"] .tile-detail-link').click()
    dash_br.wait_for_element('.detail-page[data-subject="qlvb"] .detail-header[data-status="down"]', timeout=20)
    assert dash_br.driver.current_url.endswith("/systems/qlvb")
    # The page says which condition failed and what the system answered.
    row = dash_br.wait_for_element('.endpoint-row[data-endpoint="qlvb.health"]', timeout=20)
    assert "[STATUS] == 200" in row.find_element("css selector", ".failed-condition").text
    assert "503" in row.text
    assert "Gián đoạn" in dash_br.find_element(".detail-header").text
    # ... and its national link, down too (the link endpoint gets 503 as well), red in the diagram.
    dash_br.wait_for_element('.dep-link[data-link="qlvb.national-axis"][data-status="down"]', timeout=20)
    dash_br.wait_for_element("#detail-deps .main-svg", timeout=20)

    # LGSP answers, but its link to NDXP is down: the page shows that failing link.
    dash_br.driver.get(app.url + "/systems/lgsp")
    link = dash_br.wait_for_element('.dep-link[data-link="lgsp.ndxp"]', timeout=20)
    wait_for(lambda: attr(dash_br, '.dep-link[data-link="lgsp.ndxp"]', "data-status") == "down", 40, message="ndxp link down")
    assert attr(dash_br, '.endpoint-row[data-endpoint="lgsp.health"]', "data-status") == "up"
    link = dash_br.find_element('.dep-link[data-link="lgsp.ndxp"]')
    assert "NDXP" in link.text and "disconnected" in link.text
    # The link has its own page.
    link.find_element("css selector", "a").click()
    dash_br.wait_for_element('.detail-page[data-subject="lgsp.ndxp"] .detail-header[data-status="down"]', timeout=20)
    dash_br.wait_for_element(".check-strip .check-cell.status-down", timeout=20)

    logs = dash_br.get_logs()
    assert logs == [], logs


def test_grid_row_opens_its_page_and_check_now_answers(dash_br, app):
    dash_br.driver.set_window_size(1920, 1080)
    dash_br.server_url = app.url  # signs in (tests/conftest.py)
    dash_br.driver.get(app.url + "/systems")
    dash_br.wait_for_element('.systems-grid .ag-row', timeout=30)
    # Search narrows the grid (quick filter). First: with the 96 commune heartbeats the grid has
    # ~200 rows, and AG Grid renders only those in view, so dvc.health may not be in the DOM yet.
    dash_br.find_element("#systems-search").send_keys("dvc.health")
    dash_br.wait_for_element('.systems-grid .ag-row[row-id="endpoint:dvc.health"]', timeout=30)
    wait_for(lambda: len(css(dash_br, ".systems-grid .ag-center-cols-container .ag-row")) == 1, 20, message="one row left")
    css(dash_br, '.systems-grid .ag-row[row-id="endpoint:dvc.health"] .ag-cell')[1].click()
    dash_br.wait_for_element('.detail-page[data-subject="dvc.health"]', timeout=20)
    assert dash_br.driver.current_url.endswith("/endpoints/dvc.health")
    dash_br.wait_for_element(".conditions .condition", timeout=20)
    dash_br.wait_for_element(".check-strip .check-cell", timeout=30)

    dash_br.wait_for_text_to_equal("#detail-check-now", "Kiểm tra ngay", timeout=10)
    dash_br.find_element("#detail-check-now").click()
    dash_br.wait_for_element("#detail-action-result .action-ok", timeout=10)
    # The 1 h range reads raw results: the uptime cell fills in.
    dash_br.find_element("label[for='_dbcprivate_radioitems_detail-range_input_1h']").click()
    wait_for(lambda: attr(dash_br, '.uptime-cell[data-range="1h"]', "textContent") not in (None, "—"), 20, message="1 h uptime")
    logs = dash_br.get_logs()
    assert logs == [], logs
