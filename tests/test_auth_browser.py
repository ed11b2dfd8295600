"""Access control in a real browser: an anonymous visitor gets the login form and, once signed in,
the live board; the wall opens from its kiosk link with no login and nothing else; the content
security policy lets Dash run with no console error."""
from __future__ import annotations

import re

import pytest

from tests.conftest import start_app, stop_app, wait_for

pytestmark = [pytest.mark.browser]


@pytest.fixture
def app(tmp_path):
    running = start_app(tmp_path)
    yield running
    stop_app(running)


def test_anonymous_signs_in_sees_the_board_and_the_audit_log_then_signs_out(dash_br, app):
    dash_br.driver.set_window_size(1600, 1000)
    dash_br.driver.get(app.url + "/systems")
    dash_br.wait_for_element("#login-form", timeout=10)
    assert "Đăng nhập" in dash_br.driver.page_source
    assert dash_br.driver.find_elements("css selector", "#react-entry-point") == []  # no app for strangers

    name, password = app.admin
    dash_br.driver.find_element("id", "username").send_keys(name)
    dash_br.driver.find_element("id", "password").send_keys("wrong password")
    dash_br.driver.find_element("id", "login-submit").click()
    dash_br.wait_for_contains_text(".alert-danger", "không đúng", timeout=10)

    dash_br.driver.find_element("id", "password").send_keys(password)
    dash_br.driver.find_element("id", "login-submit").click()
    wait_for(lambda: dash_br.driver.current_url.endswith("/systems"), 10, message="back to the page asked for")
    dash_br.driver.get(app.url + "/")
    dash_br.wait_for_element(".system-tile", timeout=20)
    dash_br.wait_for_contains_text("#shell-user", name, timeout=10)
    assert "Quản trị" in dash_br.find_element("#shell-user").text

    dash_br.find_element("#audit-link").click()
    dash_br.wait_for_element(".audit-table", timeout=15)
    actions = [row.get_attribute("data-action") for row in dash_br.driver.find_elements("css selector", ".audit-row")]
    assert "login" in actions and "login.failed" in actions

    dash_br.find_element("#logout-link").click()
    dash_br.wait_for_element("#login-form", timeout=10)
    assert "Đã đăng xuất" in dash_br.driver.page_source
    dash_br.driver.get(app.url + "/")
    dash_br.wait_for_element("#login-form", timeout=10)
    assert dash_br.get_logs() == []


def test_kiosk_link_opens_the_wall_and_nothing_else(dash_br, app):
    secret = re.search(r"/wall\?kiosk=(\S+)", app.log()).group(1)
    dash_br.driver.set_window_size(1920, 1080)
    dash_br.driver.get(f"{app.url}/wall?kiosk={secret}")
    dash_br.wait_for_element("#wall-counts", timeout=20)
    assert "kiosk=" not in dash_br.driver.current_url
    wait_for(lambda: dash_br.find_element("#wall-counts").text.strip() != "", 20, message="wall counts")
    dash_br.driver.get(app.url + "/wall/map")
    dash_br.wait_for_element("#wall-map", timeout=20)
    assert dash_br.get_logs() == []  # the CSP lets Dash, Plotly and the map run

    dash_br.driver.get(app.url + "/systems")
    dash_br.wait_for_contains_text("body", "không có quyền", timeout=10)
    dash_br.driver.get(app.url + "/admin/audit")
    dash_br.wait_for_contains_text("body", "không có quyền", timeout=10)
