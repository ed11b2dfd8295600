"""The catalog editor in headless Chromium, as an admin would use it: add a system, add an HTTP
endpoint to a loopback server, "Thử kiểm tra", save, see the tile on the overview within one
interval, edit the condition, roll back, and find the revisions in the audit log; an operator
sees the same pages read-only and the API answers 403. Screenshots go to IOC_TEST_SHOTS (default:
a temp folder): a test run never rewrites the screenshots committed in docs/screenshots/."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from http_targets import HttpTargets

from dashboard.i18n import t
from tests.conftest import PROJECT_DIR, login, start_app, stop_app, wait_for

OPERATOR = ("op", "operator password 1")
SHOTS = Path(os.environ.get("IOC_TEST_SHOTS") or Path(tempfile.gettempdir()) / "ioc-test-screenshots")
INTERVAL_S = 3


def opt(name: str) -> str:
    """The CSS selector of a generated input (Dash writes dict ids as JSON with sorted keys)."""
    return f"[id='{{\"name\":\"{name}\",\"type\":\"ep-opt\"}}']"


@pytest.fixture(scope="module")
def web():
    server = HttpTargets().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("catalog-browser")
    running = start_app(tmp)
    data_dir = tmp / f"data-{running.url.rsplit(':', 1)[1]}"
    subprocess.run([sys.executable, "app.py", "user", "create", OPERATOR[0], "--role", "operator", "--data-dir", str(data_dir)],
                   cwd=PROJECT_DIR, input=OPERATOR[1] + "\n", text=True, capture_output=True, check=True, timeout=60)
    running.operator = login(running.url, *OPERATOR)
    yield running
    stop_app(running)


def text_of(page, selector: str) -> str:
    return page.evaluate(f"() => (document.querySelector({selector!r}) || {{}}).innerText || ''")


@pytest.mark.browser
def test_an_admin_adds_tests_saves_edits_and_rolls_back(browser, app, web):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.open(app, "/catalog/system", viewport=(1920, 1080))
    page.locator("#sys-id").wait_for(timeout=30_000)
    page.fill("#sys-id", "kiem-thu")
    page.fill("#sys-short_name", "KT")
    page.fill("#sys-name_vi", "Hệ thống kiểm thử")
    page.fill("#sys-name_en", "Test system")
    page.fill("#sys-sla", "99.9")
    page.locator("#sys-owner").click()
    page.get_by_text("Sở Khoa học và Công nghệ (skhcn)", exact=True).click()
    page.screenshot(path=str(SHOTS / "catalog-system-editor.png"))
    page.click("#sys-save")
    page.wait_for_url("**/catalog/system?id=kiem-thu", timeout=30_000)

    page.goto(app.url + "/catalog/endpoint?system=kiem-thu")
    page.locator(opt("url")).wait_for(timeout=30_000)
    page.fill("#ep-id", "health")
    page.fill("#ep-name", "Cổng API")
    page.fill("#ep-interval", f"{INTERVAL_S}s")
    page.fill("#ep-timeout", "1s")
    page.fill(opt("url"), f"{web.url}/ok")
    page.fill(opt("conditions"), "[STATUS] == 200")
    page.click("#ep-trial")
    page.locator(".cat-trial-verdict").wait_for(timeout=30_000)
    assert page.get_attribute(".cat-trial-verdict", "data-verdict") == "up"
    assert "HTTP 200" in text_of(page, ".cat-trial-result")
    page.screenshot(path=str(SHOTS / "catalog-endpoint-trial.png"), full_page=True)
    revisions_before = len(app.get("/api/catalog/revisions").json()["revisions"])
    assert revisions_before >= 2  # the demo's catalog, then the system added above

    page.click("#ep-save")
    page.wait_for_url("**/catalog/endpoint?system=kiem-thu&id=health", timeout=30_000)
    saved = time.monotonic()
    overview = browser.open(app, "/", viewport=(1600, 1000))
    overview.locator("a[href='/systems/kiem-thu']").wait_for(timeout=30_000)
    wait_for(lambda: "Hoạt động" in overview.evaluate(
        "() => (document.querySelector(\"a[href='/systems/kiem-thu']\").closest('.card, .tile, div[class*=tile]') || {}).innerText"),
        40, 0.5, message="the new tile up")
    # one interval, then the second success of two (successes_before_up), plus the refresh
    assert time.monotonic() - saved < 3 * INTERVAL_S + 15

    # edit the condition
    page.locator(opt("conditions")).wait_for(timeout=30_000)
    page.fill(opt("conditions"), "[STATUS] == 200\n[RESPONSE_TIME] < 5000")
    page.click("#ep-save")
    wait_for(lambda: "Đã lưu" in text_of(page, "#admin-ep-result"), 30, message="the edit saved")
    revisions = app.get("/api/catalog/revisions").json()["revisions"]
    assert [r["action"] for r in revisions[:3]] == ["endpoint.update", "endpoint.create", "system.create"]

    # roll back to the endpoint as created
    created = revisions[1]["id"]
    catalog = browser.open(app, "/catalog", viewport=(1920, 1080))
    catalog.locator(f"tr[data-revision='{created}'] button").wait_for(timeout=30_000)
    catalog.click(f"tr[data-revision='{created}'] button")
    wait_for(lambda: "Đã lưu" in text_of(catalog, "#admin-cat-result"), 30, message="the rollback")
    document = app.get("/api/catalog/export").json()["document"]
    endpoint = next(s for s in document["systems"] if s["id"] == "kiem-thu")["endpoints"][0]
    assert endpoint["conditions"] == [{"condition": "[STATUS] == 200"}]

    audit = browser.open(app, "/admin/audit", viewport=(1600, 1000))
    # the audit page shows actions as words: each catalog change made above, as its own entry
    wanted = [t(f"audit.action.catalog.{a}", "vi") for a in ("system.create", "endpoint.create", "endpoint.update", "rollback")]
    wait_for(lambda: all(w in text_of(audit, "#admin-audit-table") for w in wanted), 30, message="the audit entries")
    assert browser.errors() == []


@pytest.mark.browser
def test_an_operator_reads_only(browser, app):
    for path in ("/api/catalog/revisions", "/api/catalog/export"):
        assert app.operator.get(app.url + path, timeout=10).status_code == 403
    assert app.operator.post(app.url + "/api/catalog/systems", json={"id": "x"}, timeout=10).status_code == 403
    page = browser.open(app, "/catalog/endpoint?system=lgsp&id=health", viewport=(390, 900), client=app.operator)
    page.locator(opt("url")).wait_for(timeout=30_000)
    state = page.evaluate("""() => ({
        disabled: [...document.querySelectorAll('.cat-endpoint-form input, .cat-endpoint-form textarea')].every(e => e.disabled),
        saveShown: !!document.querySelector('#ep-save') && document.querySelector('#ep-save').offsetParent !== null,
        banner: (document.querySelector('.cat-readonly-banner') || {}).innerText || ''})""")
    assert state["disabled"] and not state["saveShown"] and "chỉ có quyền xem" in state["banner"], state
    page.screenshot(path=str(SHOTS / "catalog-endpoint-operator-390.png"))
    listing = browser.open(app, "/catalog", viewport=(1600, 1000), client=app.operator)
    listing.locator(".cat-systems").wait_for(timeout=30_000)
    assert listing.locator("#cat-add-system").count() == 0 and listing.locator(".cat-revision button").count() == 0
    assert browser.errors() == []


@pytest.mark.browser
def test_an_admin_manages_accounts_tokens_and_alert_sources(browser, app):
    page = browser.open(app, "/admin/access", viewport=(1920, 1080))
    page.locator("#acc-new-user").wait_for(timeout=30_000)
    roles = page.evaluate("() => [...document.querySelectorAll('#acc-role option')].map(o => o.value).filter(v => v)")
    from dashboard.auth.policy import ROLES

    assert roles == list(ROLES)  # the policy's list: a role added there appears here
    page.fill("#acc-new-user", "nguyen.van.a")
    page.select_option("#acc-role", "operator")
    page.click("#acc-create-user")
    page.locator("#admin-acc-user-result .acc-secret").wait_for(timeout=30_000)
    password = text_of(page, "#admin-acc-user-result .acc-secret")
    assert len(password) >= 16
    login(app.url, "nguyen.van.a", password)  # the one-time password works
    wait_for(lambda: "nguyen.van.a" in text_of(page, ".acc-users"), 20, message="the account listed")

    page.fill("#acc-token-name", "cong-tinh")
    page.click("#acc-token-create")
    page.locator("#admin-acc-token-result .acc-secret").wait_for(timeout=30_000)
    secret = text_of(page, "#admin-acc-token-result .acc-secret")
    assert app.anonymous.get(app.url + "/api/systems", headers={"Authorization": f"Bearer {secret}"}, timeout=10).status_code == 200

    page.fill("#acc-source-name", "soc-tinh")
    page.fill("#acc-source-description", "SOC của tỉnh")
    page.click("#acc-source-create")
    page.locator("#admin-acc-source-result .acc-secret").wait_for(timeout=30_000)
    page.screenshot(path=str(SHOTS / "admin-access.png"))
    audit = app.get("/api/alerts?limit=1").status_code  # the page did not break the API
    assert audit == 200
    assert browser.errors() == []


@pytest.mark.browser
def test_an_admin_sets_an_agencys_location(browser, app):
    page = browser.open(app, "/catalog/agencies", viewport=(1920, 1080))
    page.locator("#ag-pick").wait_for(timeout=30_000)
    page.locator("#ag-pick").click()
    page.get_by_text("Sở Khoa học và Công nghệ (skhcn)", exact=True).click()
    wait_for(lambda: page.input_value("#ag-id") == "skhcn", 20, message="the agency loaded into the form")
    page.fill("#ag-lat", "15.1205")
    page.fill("#ag-lon", "108.8044")
    page.click("#ag-save")
    wait_for(lambda: "Đã lưu" in text_of(page, "#admin-ag-result"), 30, message="the agency saved")
    agency = next(a for a in app.get("/api/catalog/export").json()["document"]["agencies"] if a["id"] == "skhcn")
    assert (agency["lat"], agency["lon"]) == (15.1205, 108.8044)
    page.fill("#ag-lat", "123")
    page.click("#ag-save")
    wait_for(lambda: "90" in text_of(page, "#admin-ag-err-lat"), 30, message="the latitude refused at its field")
    assert browser.errors() == []
