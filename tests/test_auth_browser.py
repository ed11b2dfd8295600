"""Access control in a real browser: an anonymous visitor gets the login form and, once signed in,
the live board; the wall opens from its kiosk link with no login and nothing else; the content
security policy lets Dash run with no console error."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import start_app, stop_app, wait_for

pytestmark = [pytest.mark.browser]


@pytest.fixture
def app(tmp_path):
    running = start_app(tmp_path)
    yield running
    stop_app(running)


def test_anonymous_signs_in_sees_the_board_and_the_audit_log_then_signs_out(browser, app):
    page = browser.open(app, "/systems", viewport=(1600, 1000), anonymous=True)
    page.locator("#login-form").wait_for(state="attached", timeout=10_000)
    assert "Đăng nhập" in page.content()
    assert page.locator("#react-entry-point").count() == 0  # no app for strangers

    name, password = app.admin
    page.locator("#username").fill(name)
    page.locator("#password").fill("wrong password")
    page.locator("#login-submit").click()
    expect(page.locator(".alert-danger")).to_contain_text("không đúng", timeout=10_000)

    page.locator("#password").fill(password)
    page.locator("#login-submit").click()
    wait_for(lambda: page.url.endswith("/systems"), 10, message="back to the page asked for")
    page.goto(app.url + "/")
    page.locator(".system-tile").first.wait_for(state="attached", timeout=20_000)
    expect(page.locator("#shell-user")).to_contain_text(name, timeout=10_000)
    assert "Quản trị" in page.locator("#shell-user").inner_text()

    page.locator("#audit-link").click()
    page.locator(".audit-table").wait_for(state="attached", timeout=15_000)
    actions = page.locator(".audit-row").evaluate_all("rows => rows.map(r => r.getAttribute('data-action'))")
    assert "login" in actions and "login.failed" in actions

    page.locator("#logout-link").click()
    page.locator("#login-form").wait_for(state="attached", timeout=10_000)
    assert "Đã đăng xuất" in page.content()
    page.goto(app.url + "/")
    page.locator("#login-form").wait_for(state="attached", timeout=10_000)
    assert browser.errors() == []


def test_kiosk_link_opens_the_wall_and_nothing_else(browser, app):
    secret = re.search(r"/wall\?kiosk=(\S+)", app.log()).group(1)
    page = browser.open(app, f"/wall?kiosk={secret}", viewport=(1920, 1080), anonymous=True)
    page.locator("#wall-counts").wait_for(state="attached", timeout=20_000)
    assert "kiosk=" not in page.url
    wait_for(lambda: page.evaluate("() => document.querySelector('#wall-counts').innerText").strip() != "", 20,
             message="wall counts")
    page.goto(app.url + "/wall/map")
    page.locator("#wall-map").wait_for(state="attached", timeout=20_000)
    assert browser.errors() == []  # the CSP lets Dash, Plotly and the map run

    page.goto(app.url + "/systems")
    expect(page.locator("body")).to_contain_text("không có quyền", timeout=10_000)
    page.goto(app.url + "/admin/audit")
    expect(page.locator("body")).to_contain_text("không có quyền", timeout=10_000)
