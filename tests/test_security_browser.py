"""The real app in headless Chromium: a hostile alert posted to the webhook shows as literal text
on /security, on its own page and on the wall, no script of it runs, and it can be acknowledged
and resolved with a comment."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests
from playwright.sync_api import expect

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


def not_pwned(page) -> bool:
    return page.evaluate("() => window.__pwned === undefined")


def count(page, selector: str) -> int:
    return page.evaluate("s => document.querySelectorAll(s).length", selector)


def test_hostile_alert_renders_inert_and_can_be_acknowledged_and_resolved(browser, app):
    alert_id = post_hostile(app)
    page = browser.open(app, "/security", viewport=(1920, 1200))
    row = f'.ag-center-cols-container .ag-row[row-id="{alert_id}"]'
    page.locator(row).wait_for(state="attached", timeout=30_000)
    wait_for(lambda: EVIL in page.locator(row).text_content(), 10, message="literal title in the grid")
    assert EVIL in page.locator(row).text_content()
    assert count(page, ".security-page img, .security-page script") == 0
    assert not_pwned(page)
    critical = page.locator('.sev-chip[data-severity="critical"]').first
    assert int(critical.get_attribute("data-count")) >= 1

    page.locator(f'{row} [col-id="title"]').click()
    expect(page.locator("#alert-title")).to_have_text("Mã độc " + EVIL, timeout=15_000)
    assert page.locator("#alert-description").inner_text() == EVIL
    assert json.dumps(EVIL) in page.locator("#alert-details").inner_text()  # shown as JSON, literally
    assert EVIL in page.locator(".alert-facts").first.inner_text()
    assert count(page, ".alert-page img, .alert-page script") == 0
    assert not_pwned(page)

    page.locator("#alert-action-comment").fill("Đã cách ly máy chủ, đang rà soát")
    page.locator("#alert-ack").click()
    expect(page.locator("#alert-status")).to_have_attribute("data-status", "acknowledged", timeout=15_000)
    page.locator("#alert-resolve").click()
    expect(page.locator("#alert-status")).to_have_attribute("data-status", "resolved", timeout=15_000)
    history = page.locator(".alert-event").evaluate_all("events => events.map(e => e.getAttribute('data-kind'))")
    assert history == ["created", "acknowledged", "resolved"]
    assert "Đã cách ly máy chủ" in page.locator(".alert-history").first.inner_text()
    detail = app.get(f"/api/alerts/{alert_id}").json()
    assert detail["status"] == "resolved" and detail["events"][1]["comment"] == "Đã cách ly máy chủ, đang rà soát"
    assert not_pwned(page)
    assert browser.errors() == []


def test_new_critical_alert_appears_on_the_wall_inert(browser, app):
    post_hostile(app)
    page = browser.open(app, "/wall", viewport=(1920, 1200))
    feed = "() => { const f = document.querySelector('#wall-feed'); return f ? f.innerText : ''; }"
    wait_for(lambda: EVIL in page.evaluate(feed), 40, message="the alert in the wall's feed")
    assert count(page, "#wall-feed img, #wall-feed script") == 0
    assert not_pwned(page)

    page.goto(app.url + "/security")  # and the security page in English
    expect(page.locator("#sec-heading")).to_have_text("Cảnh báo an toàn thông tin", timeout=20_000)
    page.locator("label[for='_dbcprivate_radioitems_lang-toggle_input_en']").click()
    expect(page.locator("#sec-heading")).to_have_text("Security alerts", timeout=10_000)
    wait_for(lambda: "Critical" in page.locator("#sec-counts").inner_text(), 10, message="English severities")
    assert browser.errors() == []
