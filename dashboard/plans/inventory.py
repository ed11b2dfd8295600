"""The inventory of information systems (danh mục hệ thống thông tin): its XLSX/CSV template,
the all-or-nothing validation of a filled file (the plan import's machinery: same file reading,
same per-row problems, nothing imported while one row is wrong), and the pure rules that turn
rows into required connections and a security indicator.

One row per system or database of an agency or commune. A row's required connections are the
national platforms it names; it is declared integrated when it carries an integration date.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from dashboard.plans.importer import Problem, Reference, _blank, _code, _date, _number, _text, read_rows
from dashboard.plans.template import PARTNERS, Column, format_date, normalize

SHEET_NAME = "Danh mục HTTT"
MAX_LEVEL = 5
COLUMNS = (
    Column("code", "Mã hệ thống", "System code", True, "Mã duy nhất trong toàn tỉnh (vd. syt-his-01)"),
    Column("name", "Tên hệ thống / CSDL", "Name", True, "Tên đầy đủ của hệ thống thông tin hoặc cơ sở dữ liệu"),
    Column("agency", "Mã đơn vị chủ quản", "Owner agency code", True, "Mã đơn vị (vd. syt) hoặc mã hành chính của xã/phường (vd. 21025)"),
    Column("kind", "Loại", "Kind", True, "dung_chung, chuyen_nganh hoặc csdl"),
    Column("platforms", "Nền tảng quốc gia phải kết nối", "National platforms to connect", False, "Mã nền tảng, cách nhau bởi dấu ; (vd. ndxp;axis)"),
    Column("hosting", "Nơi triển khai", "Hosting", False, "Trung tâm dữ liệu tỉnh, đám mây doanh nghiệp, tại đơn vị…"),
    Column("partner", "Doanh nghiệp", "Partner", False, "VNPT, Viettel, MobiFone hoặc FPT"),
    Column("security_level", "Cấp độ ATTT", "Security level", False, "Số từ 1 đến 5 (Nghị định 85/2016/NĐ-CP)"),
    Column("dossier", "Hồ sơ cấp độ đã phê duyệt", "Level dossier approved", False, "có / không"),
    Column("system", "Mã hệ thống giám sát", "Monitored system", False, "Mã hệ thống trong danh mục giám sát (vd. lgsp), nếu có"),
    Column("integrated_on", "Ngày tích hợp (khai báo)", "Declared integrated on", False, "dd/mm/yyyy — đơn vị khai báo đã tích hợp"),
    Column("evidence", "Minh chứng", "Evidence", False, "Số văn bản hoặc đường dẫn tới minh chứng"),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
KINDS = {
    "dung_chung": ("Hệ thống dùng chung", "Shared system"),
    "chuyen_nganh": ("Hệ thống chuyên ngành", "Specialised system"),
    "csdl": ("Cơ sở dữ liệu", "Database"),
}
YES = {"co", "x", "yes", "y", "1", "true", "dapheduyet", "pheduyet"}
NO = {"khong", "no", "n", "0", "false", "chua", "chuapheduyet"}


class InventoryProblem(Problem):
    def column_label(self, lang: str = "vi") -> str:
        if self.column is None:
            return ""
        column = COLUMN_BY_KEY[self.column]
        return column.en if lang == "en" else column.vi


@dataclass(frozen=True)
class InventoryRow:
    row: int
    code: str
    name: str
    agency_id: str
    kind: str
    platforms: tuple[str, ...]
    hosting: str | None
    partner: str | None
    security_level: int | None
    dossier_approved: bool
    system_id: str | None
    integrated_on: date | None
    evidence: str | None


@dataclass
class InventoryReport:
    filename: str
    rows: list[InventoryRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)

    def agencies(self) -> set[str]:
        return {r.agency_id for r in self.rows}


def _header_aliases() -> dict[str, str]:
    return {normalize(name): c.key for c in COLUMNS for name in (c.key, c.vi, c.en)}


def parse_inventory_file(filename: str, data: bytes, reference: Reference) -> InventoryReport:
    """Validate a whole file: `report.ok` means every row is good and it may be imported."""
    report = InventoryReport(filename=filename or "")
    rows = read_rows(filename, data, report, SHEET_NAME)
    if rows is not None:
        _validate(rows, reference, report)
    return report


def _validate(rows: list[tuple[int, list]], reference: Reference, report: InventoryReport) -> None:
    rows = [(n, values) for n, values in rows if not all(_blank(v) for v in values)]
    if not rows:
        report.problems.append(InventoryProblem(None, None, "empty_file"))
        return
    header_number, header = rows[0]
    aliases = _header_aliases()
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        key = aliases.get(normalize(name))
        if key and key not in positions:
            positions[key] = index
    missing = [c for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        report.problems.append(InventoryProblem(None, None, "missing_columns", (
            ("columns", ", ".join(f"“{c.vi}” ({c.en})" for c in missing)), ("row", header_number))))
        return
    if len(rows) == 1:
        report.problems.append(InventoryProblem(None, None, "no_rows"))
        return
    report.rows_read = len(rows) - 1
    seen: dict[str, int] = {}
    for number, values in rows[1:]:
        cells = {key: (values[i] if i < len(values) else None) for key, i in positions.items()}
        problems: list[Problem] = []

        def bad(column: str, code: str, **params) -> None:
            problems.append(InventoryProblem(number, column, code, tuple(params.items())))

        code = _text(cells.get("code"))
        if not code:
            bad("code", "required")
        elif len(code) > 64 or not re.fullmatch(r"[\w.\-]+", code):
            bad("code", "bad_code", value=code[:80])
        elif code.lower() in seen:
            bad("code", "duplicate_code", other_row=seen[code.lower()])
        else:
            seen[code.lower()] = number

        name = _text(cells.get("name"))
        if not name:
            bad("name", "required")
        elif len(name) > 500:
            bad("name", "too_long", limit=500)

        agency_id = None
        agency_text = _text(cells.get("agency"))
        if not agency_text:
            bad("agency", "required")
        else:
            agency_id = (agency_text if agency_text in reference.agencies else
                         agency_text.lower() if agency_text.lower() in reference.agencies else
                         reference.official_codes.get(agency_text) or reference.official_codes.get(agency_text.zfill(5)))
            if agency_id is None:
                bad("agency", "unknown_agency", value=agency_text)

        kind = _code(cells.get("kind"), KINDS)
        if _blank(cells.get("kind")):
            bad("kind", "required")
        elif kind is None:
            bad("kind", "unknown_code", value=_text(cells["kind"]), known=", ".join(KINDS))

        platforms: list[str] = []
        for item in re.split(r"[;,\n]", _text(cells.get("platforms"))):
            item = item.strip().lower()
            if not item:
                continue
            if item not in reference.platforms:
                bad("platforms", "unknown_platform", value=item, known=", ".join(sorted(reference.platforms)))
            elif item not in platforms:
                platforms.append(item)

        partner = None
        if not _blank(cells.get("partner")):
            partner = next((p for p in PARTNERS if p.lower() == _text(cells["partner"]).lower()), None)
            if partner is None:
                bad("partner", "unknown_partner", value=_text(cells["partner"]), known=", ".join(PARTNERS))

        level = None
        if not _blank(cells.get("security_level")):
            number_value = _number(cells["security_level"])
            if number_value is None or not number_value.is_integer() or not 1 <= number_value <= MAX_LEVEL:
                bad("security_level", "level_range", value=_text(cells["security_level"]))
            else:
                level = int(number_value)

        approved = False
        if not _blank(cells.get("dossier")):
            word = normalize(cells["dossier"])
            if word in YES:
                approved = True
            elif word not in NO:
                bad("dossier", "bad_yes_no", value=_text(cells["dossier"]))
        if approved and level is None and _blank(cells.get("security_level")):
            bad("dossier", "dossier_without_level")

        system_id = None
        if not _blank(cells.get("system")):
            system_id = _text(cells["system"]).lower()
            if system_id not in reference.systems:
                bad("system", "unknown_system", value=_text(cells["system"]), known=", ".join(sorted(reference.systems)))

        integrated_on = None
        if not _blank(cells.get("integrated_on")):
            integrated_on = _date(cells["integrated_on"])
            if integrated_on is None:
                bad("integrated_on", "bad_date", value=_text(cells["integrated_on"]))
            elif not platforms and _blank(cells.get("platforms")):
                bad("integrated_on", "integrated_without_platform")

        hosting = _text(cells.get("hosting")) or None
        if hosting and len(hosting) > 255:
            bad("hosting", "too_long", limit=255)

        if problems:
            report.problems.extend(problems)
        else:
            report.rows.append(InventoryRow(number, code, name, agency_id, kind, tuple(platforms), hosting, partner, level,
                                            approved, system_id, integrated_on, _text(cells.get("evidence")) or None))
    if report.problems:
        report.rows = []


def parse_inventory_upload(filename: str, contents: str, reference: Reference) -> InventoryReport:
    from dashboard.plans.importer import decode_upload

    report = InventoryReport(filename=filename or "")
    data = decode_upload(contents, report)
    return report if data is None else parse_inventory_file(filename, data, reference)


# ------------------------------------------------------------------------------ template


def _cell(row: dict, key: str):
    value = row.get(key)
    if isinstance(value, (list, tuple)):
        return ";".join(value)
    if isinstance(value, bool):
        return "có" if value else "không"
    return "" if value is None else value


def build_xlsx(rows: list[dict] | None = None, agencies: list[tuple[str, str]] = (), platforms: list[tuple[str, str]] = (),
               systems: list[tuple[str, str]] = ()) -> bytes:
    """The inventory template (filled with `rows` when exporting), a guide and the code lists."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_NAME
    sheet.append([c.vi for c in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[cell.column_letter].width = 40 if column.key in ("name", "evidence") else 18
    sheet.freeze_panes = "A2"
    for row in rows or []:
        # Text cells are written as text: a name starting with "=" must never become a formula.
        sheet.append([_cell(row, c.key) for c in COLUMNS])
    for row_cells in sheet.iter_rows(min_row=2):
        for cell in row_cells:
            if isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                cell.data_type = "s"
            if isinstance(cell.value, date):
                cell.number_format = "DD/MM/YYYY"
    last = max(sheet.max_row, 1000)
    letters = {c.key: sheet.cell(row=1, column=i).column_letter for i, c in enumerate(COLUMNS, start=1)}
    for key, values in (("kind", list(KINDS)), ("partner", list(PARTNERS)), ("dossier", ["có", "không"]),
                        ("security_level", ["1", "2", "3", "4", "5"])):
        validation = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=key != "kind")
        validation.add(f"{letters[key]}2:{letters[key]}{last}")
        sheet.add_data_validation(validation)
    guide = book.create_sheet("Hướng dẫn")
    guide.append(["Danh mục hệ thống thông tin và cơ sở dữ liệu — mỗi dòng là một hệ thống (Inventory — one row per system)"])
    guide.append(["Khi nhập, danh mục của mỗi đơn vị có trong tệp được thay bằng nội dung của tệp; đơn vị không có trong tệp giữ nguyên."])
    guide.append(["Tệp có bất kỳ dòng lỗi nào sẽ không được nhập; hệ thống liệt kê từng dòng lỗi và lý do."])
    guide.append([])
    guide.append(["Cột (column)", "Bắt buộc (required)", "Hướng dẫn (help)"])
    for column in COLUMNS:
        guide.append([f"{column.vi} ({column.en})", "có" if column.required else "không", column.help_vi])
    guide.column_dimensions["A"].width = 45
    guide.column_dimensions["C"].width = 90
    codes = book.create_sheet("Danh mục mã")
    codes.append(["Loại (type)", "Mã (code)", "Tên (name)"])
    for code, (vi, en) in KINDS.items():
        codes.append(["Loại hệ thống (kind)", code, f"{vi} ({en})"])
    for code, name in platforms:
        codes.append(["Nền tảng quốc gia (platform)", code, name])
    for code, name in systems:
        codes.append(["Hệ thống giám sát (monitored system)", code, name])
    for code, name in agencies:
        codes.append(["Đơn vị (agency)", code, name])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def build_csv(rows: list[dict] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.vi for c in COLUMNS])
    for row in rows or []:
        writer.writerow([format_date(v) if isinstance(v, date) else v for v in (_cell(row, c.key) for c in COLUMNS)])
    return out.getvalue().encode("utf-8-sig")


# ------------------------------------------------------------------------------ rules


@dataclass(frozen=True)
class InventoryFacts:
    code: str
    agency_id: str
    kind: str
    platforms: tuple[str, ...]
    security_level: int | None
    dossier_approved: bool
    system_id: str | None
    integrated_on: date | None


def security_indicator(rows: list[InventoryFacts]) -> dict[str, float | int]:
    """Share of systems whose security level is set and whose level dossier is approved."""
    total = len(rows)
    approved = sum(1 for r in rows if r.security_level and r.dossier_approved)
    return {
        "systems": total,
        "with_level": sum(1 for r in rows if r.security_level),
        "dossier_approved": approved,
        "dossier_approved_percent": round(100.0 * approved / total, 1) if total else 0.0,
    }
