"""The plan importer with good and bad files, built here as real .xlsx and .csv bytes."""
from __future__ import annotations

import base64
import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from dashboard.plans import template
from dashboard.plans.importer import MAX_BYTES, MAX_ROWS, Reference, parse_plan_file, parse_upload

REF = Reference(
    agencies={"skhcn": "VNPT", "syt": "Viettel", "unit-21025": "Viettel"},
    official_codes={"21025": "unit-21025"},
    systems=frozenset({"lgsp", "qlvb"}),
)
HEADER = [c.vi for c in template.COLUMNS]


def row(**overrides) -> list:
    values = {
        "agency": "skhcn", "partner": "VNPT", "title": "Tích hợp QLVB với trục liên thông", "category": "tich_hop",
        "owner": "Phòng CNTT", "start": "01/09/2026", "due": "30/11/2026", "status": "dang_thuc_hien",
        "percent": 40, "systems": "qlvb", "notes": "https://example.invalid/minh-chung", "code": "",
    }
    values.update(overrides)
    return [values[c.key] for c in template.COLUMNS]


def xlsx(rows: list[list], sheet: str = template.SHEET_NAME, header: list | None = None) -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(header or HEADER)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], delimiter: str = ",", header: list | None = None) -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header or HEADER)
    for r in rows:
        writer.writerow(r)
    return out.getvalue().encode("utf-8-sig")


def problems(report) -> list[tuple]:
    return [(p.row, p.column, p.code) for p in report.problems]


# ------------------------------------------------------------------------------ good files


def test_good_xlsx_with_real_dates_and_commune_code():
    data = xlsx([
        row(start=date(2026, 9, 1), due=date(2026, 11, 30)),
        row(agency=21025, partner="", title="Rà soát phần mềm", category="ra_soat", percent="100%", status="hoan_thanh", systems="lgsp; qlvb"),
    ])
    report = parse_plan_file("ke-hoach.xlsx", data, REF)
    assert report.ok, [p.message("en") for p in report.problems]
    first, second = report.tasks
    assert (first.row, first.agency_id, first.start, first.due, first.percent) == (2, "skhcn", date(2026, 9, 1), date(2026, 11, 30), 40.0)
    assert (second.agency_id, second.partner, second.percent, second.systems) == ("unit-21025", "Viettel", 100.0, ("lgsp", "qlvb"))
    assert report.agencies() == {"skhcn": 1, "unit-21025": 1}


def test_good_csv_semicolon_labels_and_blank_rows():
    data = csv_bytes([row(category="Tích hợp với nền tảng quốc gia", status="Đang thực hiện", due="2026-11-30"), [""] * len(HEADER)], delimiter=";")
    report = parse_plan_file("plan.csv", data, REF)
    assert report.ok, problems(report)
    assert report.tasks[0].category == "tich_hop" and report.tasks[0].status == "dang_thuc_hien"


def test_english_headers_in_any_order_are_accepted():
    columns = list(reversed(template.COLUMNS))
    values = dict(zip([c.key for c in template.COLUMNS], row()))
    data = csv_bytes([[values[c.key] for c in columns]], header=[c.en for c in columns])
    assert parse_plan_file("plan.csv", data, REF).ok


def test_template_download_is_valid_and_a_filled_template_imports():
    blank = template.build_xlsx(agencies=[("skhcn", "Sở KH&CN")], systems=[("lgsp", "LGSP")])
    book = load_workbook(io.BytesIO(blank))
    assert book.sheetnames == [template.SHEET_NAME, template.GUIDE_SHEET, template.CODES_SHEET]
    assert [c.value for c in book[template.SHEET_NAME][1]] == HEADER
    report = parse_plan_file("blank.xlsx", blank, REF)
    assert problems(report) == [(None, None, "no_rows")]
    book[template.SHEET_NAME].append(row())
    out = io.BytesIO()
    book.save(out)
    assert parse_plan_file("filled.xlsx", out.getvalue(), REF).ok
    csv_blank = template.build_csv()
    assert csv_blank.decode("utf-8-sig").strip() == ",".join(HEADER)


def test_export_round_trip():
    rows = [
        {"agency": "skhcn", "partner": "VNPT", "title": "A", "category": "nang_cap", "owner": "", "start": date(2026, 1, 5),
         "due": date(2026, 3, 1), "status": "hoan_thanh", "percent": 100.0, "systems": ["lgsp", "qlvb"], "notes": ""},
    ]
    for data, name in ((template.build_xlsx(rows), "x.xlsx"), (template.build_csv(rows), "x.csv")):
        report = parse_plan_file(name, data, REF)
        assert report.ok, problems(report)
        task = report.tasks[0]
        assert (task.start, task.due, task.systems, task.percent) == (date(2026, 1, 5), date(2026, 3, 1), ("lgsp", "qlvb"), 100.0)


# ------------------------------------------------------------------------------ bad rows


@pytest.mark.parametrize("maker", [xlsx, csv_bytes], ids=["xlsx", "csv"])
def test_every_bad_row_is_reported_and_nothing_imported(maker):
    data = maker([
        row(),                                                   # 2 good
        row(title="B", due="31/02/2026"),                        # 3 bad date
        row(title="C", agency="so-khong-co"),                    # 4 unknown agency
        row(title="D", percent=140),                             # 5 percent out of range
        row(),                                                   # 6 duplicate of row 2
        row(title="E", start="01/12/2026", due="01/11/2026"),    # 7 due before start
        row(title="F", systems="lgsp;khong-co"),                 # 8 unknown system
        row(title="G", status="hoan_thanh", percent=80),         # 9 done but not 100
        row(title="H", category="linh-tinh", percent="abc"),     # 10 two problems on one row
        row(title="I", partner="Samsung"),                       # 11 unknown partner
        row(title="J", agency="syt", partner="VNPT"),            # 12 good (partner overrides)
        row(title="K", agency="syt", partner="FPT"),             # 13 partner differs from row 12
        row(title="", due=""),                                   # 14 two required cells empty
    ])
    report = parse_plan_file("bad." + ("xlsx" if maker is xlsx else "csv"), data, REF)
    assert not report.ok
    assert report.tasks == []  # a file with errors imports nothing
    assert problems(report) == [
        (3, "due", "bad_date"),
        (4, "agency", "unknown_agency"),
        (5, "percent", "percent_range"),
        (6, "title", "duplicate"),
        (7, "due", "due_before_start"),
        (8, "systems", "unknown_system"),
        (9, "percent", "done_not_100"),
        (10, "category", "unknown_code"),
        (10, "percent", "not_a_number"),
        (11, "partner", "unknown_partner"),
        (13, "partner", "partner_conflict"),
        (14, "title", "required"),
        (14, "due", "required"),
    ]
    by_row = {p.row: p for p in report.problems}
    assert by_row[6].message("vi") == "Trùng với dòng 2 (cùng đơn vị, cùng tên nhiệm vụ)."
    assert "so-khong-co" in by_row[4].message("en")
    assert by_row[5].message("en") == "Percent 140 is outside 0–100."
    assert by_row[13].message("en") == "Partner “FPT” differs from “VNPT” on row 12 for the same agency."


# ------------------------------------------------------------------------------ bad files


def test_wrong_sheet():
    report = parse_plan_file("plan.xlsx", xlsx([row()], sheet="Sheet1"), REF)
    assert problems(report) == [(None, None, "wrong_sheet")]
    assert "Sheet1" in report.problems[0].message("vi")


@pytest.mark.parametrize("data", [b"", b"   \n", "\ufeff".encode()], ids=["zero-bytes", "whitespace", "bom-only"])
def test_empty_file(data):
    assert problems(parse_plan_file("plan.csv", data, REF)) == [(None, None, "empty_file")]


def test_header_only_is_no_rows():
    assert problems(parse_plan_file("plan.csv", csv_bytes([]), REF)) == [(None, None, "no_rows")]


def test_missing_columns_are_named():
    header = [c.vi for c in template.COLUMNS if c.key not in ("due", "percent")]
    report = parse_plan_file("plan.csv", csv_bytes([["x"] * len(header)], header=header), REF)
    assert problems(report) == [(None, None, "missing_columns")]
    message = report.problems[0].message("vi")
    assert "Hạn hoàn thành" in message and "Tỷ lệ hoàn thành (%)" in message


def test_file_far_larger_than_any_real_one_is_refused_before_parsing():
    data = b"PK\x03\x04" + b"\0" * (MAX_BYTES + 1)  # would fail as a zip if it were parsed
    report = parse_plan_file("huge.xlsx", data, REF)
    assert problems(report) == [(None, None, "too_large")]
    encoded = "data:application/octet-stream;base64," + "A" * (MAX_BYTES * 4 // 3 + 100)
    assert problems(parse_upload("huge.csv", encoded, REF)) == [(None, None, "too_large")]


def test_too_many_rows_refused_from_the_declared_dimension():
    book = Workbook()
    ws = book.active
    ws.title = template.SHEET_NAME
    ws.append(HEADER)
    ws.cell(row=MAX_ROWS + 50, column=1, value="x")  # one far cell: small file, huge declared sheet
    out = io.BytesIO()
    book.save(out)
    assert problems(parse_plan_file("rows.xlsx", out.getvalue(), REF)) == [(None, None, "too_many_rows")]


def test_too_many_csv_rows():
    data = csv_bytes([row(title=f"T{i}") for i in range(MAX_ROWS + 1)])
    assert len(data) < MAX_BYTES
    assert problems(parse_plan_file("rows.csv", data, REF)) == [(None, None, "too_many_rows")]


def test_not_an_xlsx_and_unknown_format_and_not_utf8():
    assert problems(parse_plan_file("plan.xlsx", b"PK\x03\x04garbage", REF))[0][2] == "not_xlsx"
    assert problems(parse_plan_file("plan.pdf", b"%PDF-1.4", REF))[0][2] == "unknown_format"
    assert problems(parse_plan_file("plan.csv", "Mã đơn vị".encode("utf-16"), REF))[0][2] == "not_utf8"


def test_upload_contents_are_decoded():
    data = csv_bytes([row()])
    contents = "data:text/csv;base64," + base64.b64encode(data).decode()
    assert parse_upload("plan.csv", contents, REF).ok
