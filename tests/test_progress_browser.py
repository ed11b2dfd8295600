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
              "start": "01/10/2026", "due": due, "status": status, "percent": percent, "systems": "lgsp", "notes": "", "code": ""}
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
    # Read in one script call: the page re-renders (language, refresh) and replaces its nodes.
    script = """() => {
        const pick = (sel) => { const e = document.querySelector(sel); return e ? e.innerText : null; };
        return {systems: pick('#coverage-systems'), page: pick('.coverage-page'), legend: pick('#coverage-legend'),
                rate: pick('#coverage-province'), live: pick('#coverage-live-up')};
    }"""
    found = wait_for(lambda: (lambda d: d if all(d.values()) else None)(page.evaluate(script)), 30,
                     message="the coverage page rendered")
    assert "kiểm tra trực tiếp" in found["systems"] or "khai báo" in found["systems"]
    assert "Mục tiêu 100%" in found["page"] and "Tỷ lệ tích hợp" in found["page"] and "Đang hoạt động" in found["page"]
    for label in ("Đang hoạt động", "Mất kết nối (sự cố)", "Đã xác minh", "Đã khai báo, chưa xác minh", "Chưa tích hợp"):
        assert label in found["legend"]  # every symbol in the table has its legend
    assert found["rate"].endswith("%") and "." not in found["rate"]  # a decimal comma, never a dot
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

    # A national link goes down for a while: "đang hoạt động" (live_up) drops, the integration
    # rate (verified ÷ required) does not, and the link shows as an outage.
    def settled():
        body = app.get("/api/coverage").json()
        return body if all(s["verified_now"] and s["live_up_now"] for s in body["systems"] if s["source"] == "live") else None

    before = wait_for(settled, 30, message="every live link verified and up")
    assert {"required", "declared", "verified", "live_up", "declared_percent", "verified_percent", "live_up_percent"} <= set(before)
    assert before["shared"]["required"] == 107 * 5 and before["required"] > 107 * 5 and before["verified"] > 0  # + the inventory
    assert app.post("/api/demo/systems/qlvb/mode", json={"mode": "link_down"}).status_code == 200
    try:
        def qlvb_down():
            body = app.get("/api/coverage").json()
            qlvb = next(s for s in body["systems"] if s["id"] == "qlvb")
            return body if not qlvb["connected_now"] else None

        during = wait_for(qlvb_down, 30, message="qlvb link down in coverage")
        qlvb = next(s for s in during["systems"] if s["id"] == "qlvb")
        assert qlvb["sharing"] == 0.0 and qlvb["links"][0]["source"] == "live" and qlvb["verified_now"]
        assert during["live_up"] < before["live_up"]
        assert (during["verified"], during["province_percent"]) == (before["verified"], before["province_percent"])
        states = {a["systems"]["qlvb"]["state"] for a in during["agencies"]}
        assert "outage" in states and "live" not in states
    finally:
        app.post("/api/demo/systems/qlvb/mode", json={"mode": "ok"})


def write_inventory_csv(path: Path, rows: list[list]) -> Path:
    from dashboard.plans import inventory

    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.vi for c in inventory.COLUMNS])
        writer.writerows(rows)
    return path


@pytest.mark.browser
def test_inventory_import_previews_refuses_bad_rows_then_imports(browser, app, tmp_path):
    before = app.get("/api/coverage").json()["inventory"]
    assert before["demo"] and before["systems"] >= 200  # the labelled demo set
    page = open_page(browser, app, "/coverage", "#inventory-upload")
    page.locator("#inventory-summary").wait_for(state="attached")  # the page's first render is done
    #        code, name, agency, kind, platforms, hosting, partner, level, dossier, system, integrated_on, evidence
    bad = write_inventory_csv(tmp_path / "bad.csv", [
        ["stc-ke-toan", "Phần mềm kế toán", "stc", "chuyen_nganh", "ndxp", "", "VNPT", "2", "có", "", "", ""],
        ["stc-kho", "Kho dữ liệu tài chính", "stc", "csdl", "mat-trang", "", "", "7", "", "", "", ""],
    ])
    page.locator("#inventory-upload input[type=file]").set_input_files(bad)
    page.locator("#inventory-problems").wait_for(state="attached")
    text = page.locator("#inventory-problems").inner_text()
    assert "mat-trang" in text and "Cấp độ “7”" in text
    confirm = page.locator("#inventory-confirm")
    assert confirm.count() == 1 and not confirm.is_visible()

    good = write_inventory_csv(tmp_path / "good.csv", [
        ["stc-ke-toan", "Phần mềm kế toán", "stc", "chuyen_nganh", "ndxp", "Trung tâm dữ liệu tỉnh", "VNPT", "2", "có", "lgsp", "01/10/2026", "CV 1/STC"],
        ["stc-kho", "Kho dữ liệu tài chính", "stc", "csdl", "ndxp", "", "", "3", "không", "", "", ""],
    ])
    page.locator("#inventory-upload input[type=file]").set_input_files(good)
    page.locator("#inventory-valid").wait_for(state="attached")
    assert page.locator("#inventory-preview-table tbody tr").count() > 0
    confirm.click()
    expect(page.locator("#inventory-imported")).to_contain_text("2 hệ thống của 1 đơn vị", timeout=PAGE_TIMEOUT_MS)
    export = app.get("/api/coverage").json()["inventory"]
    # stc's demo rows (3 to 5) were replaced by the file's 2; every other agency kept its rows
    assert before["systems"] - 5 + 2 <= export["systems"] <= before["systems"] - 3 + 2
    assert browser.errors() == []


PLOT_FITS_ITS_COLUMN = """() => Array.from(document.querySelectorAll('.weekly-report .js-plotly-plot')).map(plot => ({
    svg: plot.querySelector('.main-svg').getBoundingClientRect().width,
    column: plot.parentElement.getBoundingClientRect().width}))"""
A4_TEXT_WIDTH_PX = 186 / 25.4 * 96  # 210 mm less the 12 mm margins, at the CSS 96 px per inch


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 2560])
def test_the_report_charts_print_at_the_a4_width_whatever_the_window(browser, app, width):
    """Before printing (the button or Ctrl+P) every chart is redrawn to its column on A4: not
    squeezed from a phone-wide window, not cut from a wall-wide one; after printing, back."""
    page = browser.open(app, "/report", viewport=(width, 1000))
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.locator(".weekly-report .js-plotly-plot .main-svg").first.wait_for(state="attached")

    def fitted(sizes):
        return bool(sizes) and all(abs(s["svg"] - s["column"]) <= 2 and s["svg"] <= A4_TEXT_WIDTH_PX + 1 for s in sizes)

    page.emulate_media(media="print")
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    wait_for(lambda: fitted(page.evaluate(PLOT_FITS_ITS_COLUMN)), 10, message="charts at the A4 column widths")
    widths = [s["svg"] for s in page.evaluate(PLOT_FITS_ITS_COLUMN)]
    assert max(widths) > A4_TEXT_WIDTH_PX * 0.9  # the full-width charts use the page, not the phone's width

    page.emulate_media(media="screen")
    page.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
    wait_for(lambda: all(abs(s["svg"] - s["column"]) <= 2 for s in page.evaluate(PLOT_FITS_ITS_COLUMN)), 10,
             message="charts back at the window's widths")
    assert browser.errors() == []


def test_monthly_docx_from_the_report_page(app):
    """The report page's button runs the same builder as the command line (the callback as the
    browser calls it, signed in)."""
    import base64
    import io as _io

    from docx import Document

    body = {"output": "report-monthly-download.data", "outputs": {"id": "report-monthly-download", "property": "data"},
            "inputs": [{"id": "report-monthly-docx", "property": "n_clicks", "value": 1},
                       {"id": "report-monthly-xlsx", "property": "n_clicks", "value": None}],
            "changedPropIds": ["report-monthly-docx.n_clicks"], "state": []}
    # Charts are rendered on request: allow more than the helper's 10 s on a busy machine.
    response = app.client.post(app.url + "/_dash-update-component", json=body, timeout=120)
    assert response.status_code == 200, response.text[:500]
    data = response.json()["response"]["report-monthly-download"]["data"]
    assert data["filename"].startswith("bao-cao-monthly-") and data["filename"].endswith(".docx") and data["base64"]
    document = Document(_io.BytesIO(base64.b64decode(data["content"])))
    assert any("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in c.text for t in document.tables for row in t.rows for c in row.cells)
    assert len(document.inline_shapes) >= 1
