"""The real app in headless Chromium: a hostile alert posted to the webhook shows as literal text
on /security, on its own page and on the wall, no script of it runs, and it can be acknowledged
and resolved with a comment."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from tests.conftest import PROJECT_DIR, start_app, stop_app, wait_for

pytestmark = [pytest.mark.browser]

EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'
EVIL_SHORT = "<img src=x onerror=window.__pwned=1>"  # category is at most 64 characters


@pytest.fixture
def app(tmp_path):
    running = start_app(tmp_path)
    running.data_dir = tmp_path / f"data-{running.url.rsplit(':', 1)[1]}"
    yield running
    stop_app(running)


def post_hostile(app) -> int:
    out = subprocess.run([sys.executable, "-m", "dashboard.alerts.cli", "--data-dir", str(app.data_dir), "create", "hostile"],
                         cwd=PROJECT_DIR, capture_output=True, text=True, check=True).stdout
    token = out.splitlines()[1].strip()
    payload = {"severity": "critical", "title": "Mã độc " + EVIL, "category": EVIL_SHORT, "description": EVIL,
               "asset": EVIL, "external_id": EVIL, "fingerprint": EVIL, "system": "dvc", "agency": "cong-an",
               "details": {EVIL_SHORT: EVIL, "nested": [EVIL]}}
    response = requests.post(f"{app.url}/api/alerts/ingest/hostile", json=payload,
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["ids"][0]


def not_pwned(dash_br) -> bool:
    return dash_br.driver.execute_script("return window.__pwned === undefined")


def test_hostile_alert_renders_inert_and_can_be_acknowledged_and_resolved(dash_br, app):
    alert_id = post_hostile(app)
    dash_br.driver.set_window_size(1920, 1200)
    dash_br.server_url = app.url  # signs in when access control is on (tests/conftest.py)
    dash_br.driver.get(app.url + "/security")
    row = f'.ag-center-cols-container .ag-row[row-id="{alert_id}"]'
    dash_br.wait_for_element(row, timeout=30)
    wait_for(lambda: EVIL in dash_br.find_element(row).get_attribute("textContent"), 10, message="literal title in the grid")
    assert EVIL in dash_br.find_element(row).get_attribute("textContent")
    assert dash_br.driver.find_elements("css selector", ".security-page img, .security-page script") == []
    assert not_pwned(dash_br)
    critical = dash_br.find_element('.sev-chip[data-severity="critical"]')
    assert int(critical.get_attribute("data-count")) >= 1

    dash_br.find_element(f'{row} [col-id="title"]').click()
    dash_br.wait_for_text_to_equal("#alert-title", "Mã độc " + EVIL, timeout=15)
    assert dash_br.find_element("#alert-description").text == EVIL
    assert json.dumps(EVIL) in dash_br.find_element("#alert-details").text  # shown as JSON, literally
    assert EVIL in dash_br.find_element(".alert-facts").text
    assert dash_br.driver.find_elements("css selector", ".alert-page img, .alert-page script") == []
    assert not_pwned(dash_br)

    dash_br.find_element("#alert-action-comment").send_keys("Đã cách ly máy chủ, đang rà soát")
    dash_br.find_element("#alert-ack").click()
    wait_for(lambda: dash_br.find_element("#alert-status").get_attribute("data-status") == "acknowledged", 15,
             message="acknowledged")
    dash_br.find_element("#alert-resolve").click()
    wait_for(lambda: dash_br.find_element("#alert-status").get_attribute("data-status") == "resolved", 15,
             message="resolved")
    history = [e.get_attribute("data-kind") for e in dash_br.driver.find_elements("css selector", ".alert-event")]
    assert history == ["created", "acknowledged", "resolved"]
    assert "Đã cách ly máy chủ" in dash_br.find_element(".alert-history").text
    detail = app.get(f"/api/alerts/{alert_id}").json()
    assert detail["status"] == "resolved" and detail["events"][1]["comment"] == "Đã cách ly máy chủ, đang rà soát"
    assert not_pwned(dash_br)
    assert dash_br.get_logs() == []


def test_new_critical_alert_appears_on_the_wall_inert(dash_br, app):
    post_hostile(app)
    dash_br.driver.set_window_size(1920, 1200)
    dash_br.server_url = app.url
    dash_br.driver.get(app.url + "/wall")
    wait_for(lambda: EVIL in (dash_br.driver.find_element("css selector", "#wall-feed").text
                              if dash_br.driver.find_elements("css selector", "#wall-feed") else ""),
             40, message="the alert in the wall's feed")
    assert dash_br.driver.find_elements("css selector", "#wall-feed img, #wall-feed script") == []
    assert not_pwned(dash_br)

    dash_br.driver.get(app.url + "/security")  # and the security page in English
    dash_br.wait_for_text_to_equal("#sec-heading", "Cảnh báo an toàn thông tin", timeout=20)
    dash_br.find_element("label[for='_dbcprivate_radioitems_lang-toggle_input_en']").click()
    dash_br.wait_for_text_to_equal("#sec-heading", "Security alerts", timeout=10)
    wait_for(lambda: "Critical" in dash_br.find_element("#sec-counts").text, 10, message="English severities")
    assert dash_br.get_logs() == []
