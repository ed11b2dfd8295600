"""/my and a task's timeline in headless Chromium, on the demo app: a commune reporter on a
phone-sized screen sends an update with a PDF and sees it pending; an operator accepts it on
the task's page; the reporter cannot open another commune's task."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import start_app, stop_app

PASSWORD = "a-long-demo-reporter-pass-Xk9"
PAGE_TIMEOUT_MS = 120_000
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    running = start_app(tmp_path_factory.mktemp("reporters-browser"), env={"IOC_DEMO_REPORTER_PASSWORD": PASSWORD})
    yield running
    stop_app(running)


@pytest.mark.browser
def test_a_reporter_updates_a_task_on_a_phone_and_an_operator_accepts(browser, app, tmp_path):
    reporter = app.login("demo-xa-1", PASSWORD)
    tasks = reporter.get(app.url + "/api/my/tasks", timeout=10).json()["tasks"]
    task = next(t for t in tasks if t["reported_state"] != "pending" and t["reported_status"] != "hoan_thanh")
    page = browser.open(app, "/my", viewport=(390, 844), client=reporter)
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    card = page.locator(f"#my-task-{task['id']}")
    card.wait_for(state="attached")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    card.get_by_role("button", name="Cập nhật tiến độ").click()
    card.locator("input[type=number]").fill(str(min(100, int(task["reported_percent"]) + 10)))
    card.locator("textarea").fill("Đã chạy thử kết nối")
    pdf = tmp_path / "bien-ban.pdf"
    pdf.write_bytes(PDF)
    card.locator("input[type=file]").set_input_files(pdf)
    expect(card).to_contain_text("bien-ban.pdf")
    card.get_by_role("button", name="Gửi cập nhật").click()
    expect(page.locator("#my-flash")).to_contain_text("đang chờ IOC duyệt", timeout=PAGE_TIMEOUT_MS)
    expect(page.locator(f"#my-task-{task['id']}")).to_contain_text("Chờ IOC duyệt", timeout=PAGE_TIMEOUT_MS)

    operator = browser.open(app, f"/tasks/{task['id']}", viewport=(1920, 1080))  # the demo admin reviews
    operator.set_default_timeout(PAGE_TIMEOUT_MS)
    operator.locator("#task-timeline").wait_for(state="attached")
    first = operator.locator("#task-timeline li").first
    expect(first).to_contain_text("Đã chạy thử kết nối")
    expect(first).to_contain_text("Minh chứng: bien-ban.pdf")
    first.get_by_role("button", name="Chấp nhận").click()
    expect(operator.locator("#task-timeline li").first).to_contain_text("Đã chấp nhận bởi demo-admin", timeout=PAGE_TIMEOUT_MS)
    agency = next(a for a in app.get("/api/progress").json()["agencies"] if a["id"] == task["agency_id"])
    assert agency["freshness"] == "fresh"
    assert browser.errors() == []


@pytest.mark.browser
def test_another_communes_task_page_says_so(browser, app):
    reporter = app.login("demo-xa-1", PASSWORD)
    mine = {t["id"] for t in reporter.get(app.url + "/api/my/tasks", timeout=10).json()["tasks"]}
    other = next(u["task_id"] for u in app.get("/api/task-updates").json()["pending"] if u["task_id"] not in mine)
    page = browser.open(app, f"/tasks/{other}", viewport=(390, 844), client=reporter)
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    expect(page.locator("#task-forbidden")).to_contain_text("không thuộc đơn vị bạn phụ trách")
    assert page.locator("#task-timeline").count() == 0
