"""The leadership pages on the real demo app in headless Chromium, and their JSON API."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboard.plans import template
from tests.conftest import start_app, stop_app, wait_for

HEADER = [c.vi for c in template.COLUMNS]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    running = start_app(tmp_path_factory.mktemp("leadership"))
    yield running
    stop_app(running)


def write_csv(path: Path, rows: list[list]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def plan_row(agency="skhcn", title="Tích hợp LGSP với NDXP", due="31/12/2026", percent="45", status="dang_thuc_hien"):
    values = {"agency": agency, "partner": "VNPT", "title": title, "category": "tich_hop", "owner": "Phòng CNTT",
              "start": "01/10/2026", "due": due, "status": status, "percent": percent, "systems": "lgsp", "notes": ""}
    return [values[c.key] for c in template.COLUMNS]


def download(page, selector: str, suffix: str, directory: Path) -> Path:
    """Click a download button; the file, saved under its own name once Chromium has written it all."""
    with page.expect_download() as started:
        page.locator(selector).click()
    done = started.value
    assert done.suggested_filename.endswith(suffix), done.suggested_filename
    path = directory / done.suggested_filename
    done.save_as(path)  # waits for the download to complete
    return path


# These pages draw the commune map in WebGL, which headless Chromium renders in software on the
# CPU: on the shared two-core test machine under load the page's main thread was busy for ~60 s
# (measured), and every read waits for it. Generous waits, same assertions.
PAGE_TIMEOUT_MS = 120_000


def open_page(browser, app, path: str, selector: str):
    page = browser.open(app, path, viewport=(1600, 1200))
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.locator(selector).first.wait_for(state="attached")
    return page


@pytest.mark.browser
def test_progress_page_shows_laggards_partners_and_template(browser, app, tmp_path):
    page = open_page(browser, app, "/progress", "#laggards-table")
    assert "Dữ liệu trình diễn" in page.locator("#demo-data-badge").inner_text()
    assert page.locator("#laggards-table tbody tr").count() == 10
    ranking = page.locator("#partner-ranking").inner_text()
    for partner in ("VNPT", "Viettel", "MobiFone", "FPT"):
        assert partner in ranking
    assert page.locator("#progress-map .js-plotly-plot").count() > 0, "the commune map is drawn"
    assert page.locator("#plan-template-xlsx").inner_text() == "Tải mẫu Excel (.xlsx)"

    path = download(page, "#plan-template-xlsx", ".xlsx", tmp_path)
    from openpyxl import load_workbook

    assert load_workbook(path).sheetnames[0] == template.SHEET_NAME
    assert browser.errors() == []


@pytest.mark.browser
def test_upload_bad_file_lists_errors_then_good_file_imports(browser, app, tmp_path):
    page = open_page(browser, app, "/progress", "#plan-upload")
    bad = write_csv(tmp_path / "bad.csv", [
        plan_row(),
        plan_row(title="Nâng cấp", due="32/13/2026"),
        plan_row(agency="khong-co-don-vi", title="X"),
        plan_row(title="Y", percent="150"),
        plan_row(),
    ])
    page.locator("#plan-upload input[type=file]").set_input_files(bad)
    page.locator("#plan-problems").wait_for(state="attached")
    assert "có 4 lỗi" in page.locator("#plan-invalid").inner_text()
    rows = page.locator("#plan-problems tbody tr").all_inner_texts()
    assert rows[0].startswith("3") and "không hợp lệ" in rows[0]
    assert rows[1].startswith("4") and "khong-co-don-vi" in rows[1]
    assert rows[2].startswith("5") and "0–100" in rows[2]
    assert rows[3].startswith("6") and "Trùng với dòng 2" in rows[3]
    confirm = page.locator("#plan-confirm")
    assert confirm.count() == 1 and not confirm.is_visible()

    good = write_csv(tmp_path / "good.csv", [plan_row(), plan_row(title="Rà soát", percent="100", status="hoan_thanh")])
    page.locator("#plan-upload input[type=file]").set_input_files(good)
    page.locator("#plan-valid").wait_for(state="attached")
    assert page.locator("#plan-preview-table tbody tr").count() > 0
    confirm.click()
    expect(page.locator("#plan-imported")).to_contain_text("Đã nhập 2 nhiệm vụ của 1 đơn vị", timeout=PAGE_TIMEOUT_MS)
    skhcn = next(a for a in app.get("/api/progress").json()["agencies"] if a["id"] == "skhcn")
    assert (skhcn["tasks"], skhcn["done"], skhcn["percent_done"]) == (2, 1, 72.5)
    assert browser.errors() == []


@pytest.mark.browser
def test_weekly_report_page_prints_on_a4_and_exports_xlsx(browser, app, tmp_path):
    page = open_page(browser, app, "/report", "#report-summary")
    assert "Tiến độ chung" in page.locator("#report-summary").inner_text()
    assert page.locator("#report-demo").inner_text().startswith("Dữ liệu trình diễn")
    page.evaluate("() => { window.print = function () { window.__printed = true; }; }")
    page.locator("#report-print").click()
    wait_for(lambda: page.evaluate("() => window.__printed === true"), 10, message="the print dialog")
    css = app.get("/assets/theme/report.css").text
    assert "size: A4" in css and "@media print" in css
    path = download(page, "#report-xlsx", ".xlsx", tmp_path)
    from openpyxl import load_workbook

    book = load_workbook(path)
    assert book.sheetnames[:3] == ["Tổng hợp", "Doanh nghiệp", "Đơn vị"]
    assert browser.errors() == []


@pytest.mark.browser
def test_coverage_page_says_where_each_state_comes_from(browser, app):
    page = open_page(browser, app, "/coverage", "#coverage-systems")
    text = page.locator("#coverage-systems").inner_text()
    assert "kiểm tra trực tiếp" in text or "khai báo" in text
    assert "Mục tiêu 100%" in page.locator(".coverage-page").first.inner_text()
    assert browser.errors() == []


def test_api_progress_and_coverage(app):
    body = app.get("/api/progress").json()
    assert body["demo_data"] is True
    assert len(body["agencies"]) == 107  # 11 catalog agencies + 96 commune-level units
    first = body["agencies"][0]
    assert set(first) >= {"id", "name_vi", "partner", "percent_done", "tasks", "overdue", "at_risk", "group"}
    assert {p["key"] for p in body["partners"]} == {"VNPT", "Viettel", "MobiFone", "FPT"}
    assert len(body["trend"]) == 12

    # The demo's link checks run every 2 s: coverage reads them live.
    def live():
        systems = app.get("/api/coverage").json()["systems"]
        return systems if all(s["source"] == "live" for s in systems) else None

    systems = wait_for(live, 30, message="live link checks")
    assert {s["id"] for s in systems} == {"lgsp", "qlvb", "httt-nguon", "data-platform", "dvc"}
    coverage = app.get("/api/coverage").json()
    assert coverage["target_percent"] == 100.0
    assert 0 <= coverage["province_percent"] <= 100
    assert len(coverage["agencies"]) == 107

    # A national link goes down: the system is no longer connected, from the live check.
    assert app.post("/api/demo/systems/qlvb/mode", json={"mode": "link_down"}).status_code == 200
    try:
        def qlvb_down():
            qlvb = next(s for s in app.get("/api/coverage").json()["systems"] if s["id"] == "qlvb")
            return qlvb if not qlvb["connected_now"] else None

        qlvb = wait_for(qlvb_down, 30, message="qlvb link down in coverage")
        assert qlvb["sharing"] == 0.0 and qlvb["links"][0]["source"] == "live"
    finally:
        app.post("/api/demo/systems/qlvb/mode", json={"mode": "ok"})
