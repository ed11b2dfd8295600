"""The documented plan template: one row per task, one sheet "Kế hoạch".

The same columns are used for the .xlsx and the .csv form, for the blank template offered
for download, and for the export of the plans in the database.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from dashboard.plans.export_safety import csv_text, protect_workbook

SHEET_NAME = "Kế hoạch"
GUIDE_SHEET = "Hướng dẫn"
CODES_SHEET = "Danh mục"
PARTNERS = ("VNPT", "Viettel", "MobiFone", "FPT")


@dataclass(frozen=True)
class Column:
    key: str
    vi: str
    en: str
    required: bool
    help_vi: str


COLUMNS = (
    Column("agency", "Mã đơn vị", "Agency code", True, "Mã đơn vị trong danh mục (vd. skhcn) hoặc mã hành chính của xã/phường (vd. 21025)"),
    Column("code", "Mã nhiệm vụ", "Task code", False, "Mã ổn định của nhiệm vụ (vd. skhcn-01), giữ nguyên khi gửi lại tệp; để trống cho nhiệm vụ mới: hệ thống tự cấp mã"),
    Column("partner", "Doanh nghiệp đồng hành", "Partner", False, "VNPT, Viettel, MobiFone hoặc FPT; để trống = theo danh mục"),
    Column("title", "Nhiệm vụ", "Task", True, "Tên nhiệm vụ; không trùng trong cùng một đơn vị"),
    Column("category", "Nhóm nhiệm vụ", "Category", True, "Một mã trong sheet Danh mục (vd. tich_hop)"),
    Column("owner", "Người/bộ phận phụ trách", "Owner", False, "Người hoặc bộ phận chịu trách nhiệm"),
    Column("start", "Ngày bắt đầu", "Start date", False, "dd/mm/yyyy"),
    Column("due", "Hạn hoàn thành", "Due date", True, "dd/mm/yyyy, không trước ngày bắt đầu"),
    Column("status", "Trạng thái", "Status", True, "Một mã trong sheet Danh mục (vd. dang_thuc_hien)"),
    Column("percent", "Tỷ lệ hoàn thành (%)", "Percent done", True, "Số từ 0 đến 100"),
    Column("systems", "Hệ thống liên quan", "Systems", False, "Mã hệ thống, cách nhau bởi dấu ; (vd. lgsp;qlvb)"),
    Column("notes", "Ghi chú / minh chứng", "Notes / evidence", False, "Ghi chú hoặc đường dẫn tới minh chứng"),
)

# code -> (Vietnamese, English). Codes are what the file carries; labels are what pages show.
CATEGORIES = {
    "ra_soat": ("Rà soát phần mềm với nền tảng quốc gia", "Review of software against national platforms"),
    "xay_dung_ke_hoach": ("Xây dựng kế hoạch", "Plan drafting"),
    "nang_cap": ("Nâng cấp, hoàn thiện", "Upgrade"),
    "tich_hop": ("Tích hợp với nền tảng quốc gia", "Integration with a national platform"),
    "danh_gia_attt": ("Đánh giá an toàn thông tin", "Security assessment"),
    "khac": ("Khác", "Other"),
}
STATUSES = {
    "chua_bat_dau": ("Chưa bắt đầu", "Not started"),
    "dang_thuc_hien": ("Đang thực hiện", "In progress"),
    "hoan_thanh": ("Hoàn thành", "Done"),
    "tam_dung": ("Tạm dừng", "On hold"),
}
DONE = "hoan_thanh"


def normalize(text: object) -> str:
    """Lower case, no diacritics, letters and digits only: 'Mã đơn vị' -> 'madonvi'."""
    text = unicodedata.normalize("NFD", str(text or "")).replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return "".join(c for c in text.lower() if c.isalnum())


def header_aliases() -> dict[str, str]:
    """Every accepted spelling of a header (Vietnamese label, English label, key) -> key."""
    aliases = {}
    for column in COLUMNS:
        for name in (column.key, column.vi, column.en):
            aliases[normalize(name)] = column.key
    return aliases


def format_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _cell(row: dict, key: str):
    value = row.get(key)
    if isinstance(value, date):
        return value
    if isinstance(value, (list, tuple)):
        return ";".join(value)
    return value if value is not None else ""


def build_xlsx(rows: list[dict] | None = None, agencies: list[tuple[str, str]] = (), systems: list[tuple[str, str]] = ()) -> bytes:
    """The template as .xlsx: the data sheet (filled with `rows` when exporting), a guide, and
    the code lists (agencies, systems, categories, statuses, partners)."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_NAME
    sheet.append([c.vi for c in COLUMNS])
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="1F4E79")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[cell.column_letter].width = 38 if column.key in ("title", "notes") else 18
    sheet.freeze_panes = "A2"
    for row in rows or []:
        sheet.append([_cell(row, c.key) for c in COLUMNS])
    for row_cells in sheet.iter_rows(min_row=2):
        for cell in row_cells:
            if isinstance(cell.value, date):
                cell.number_format = "DD/MM/YYYY"
    last = max(sheet.max_row, 500)
    letters = {c.key: sheet.cell(row=1, column=i).column_letter for i, c in enumerate(COLUMNS, start=1)}
    for key, values in (("category", CATEGORIES), ("status", STATUSES), ("partner", dict.fromkeys(PARTNERS))):
        validation = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=key == "partner")
        validation.add(f"{letters[key]}2:{letters[key]}{last}")
        sheet.add_data_validation(validation)

    guide = book.create_sheet(GUIDE_SHEET)
    guide.append(["Mẫu kế hoạch hoàn thiện, nâng cấp và triển khai — mỗi dòng là một nhiệm vụ (Plan template — one row per task)"])
    guide.append(["Nhập dữ liệu vào sheet “Kế hoạch”. Nhiệm vụ được đối chiếu theo “Mã nhiệm vụ” (hoặc theo tên, khi chưa có mã): nhiệm vụ mới được thêm, nhiệm vụ đã có được cập nhật và giữ lịch sử báo cáo; nhiệm vụ không còn trong tệp bị xoá, trừ khi đơn vị đã báo cáo trên nhiệm vụ đó. Đơn vị không có trong tệp giữ nguyên. Trước khi nhập, hệ thống hiển thị các thay đổi để xác nhận."])
    guide.append(["Tệp có bất kỳ dòng lỗi nào sẽ không được nhập; hệ thống liệt kê từng dòng lỗi và lý do."])
    guide.append([])
    guide.append(["Cột (column)", "Bắt buộc (required)", "Hướng dẫn (help)"])
    for column in COLUMNS:
        guide.append([f"{column.vi} ({column.en})", "có" if column.required else "không", column.help_vi])
    guide.column_dimensions["A"].width = 45
    guide.column_dimensions["C"].width = 90

    codes = book.create_sheet(CODES_SHEET)
    codes.append(["Loại (type)", "Mã (code)", "Tên (name)"])
    for code, (vi, en) in CATEGORIES.items():
        codes.append(["Nhóm nhiệm vụ (category)", code, f"{vi} ({en})"])
    for code, (vi, en) in STATUSES.items():
        codes.append(["Trạng thái (status)", code, f"{vi} ({en})"])
    for partner in PARTNERS:
        codes.append(["Doanh nghiệp (partner)", partner, partner])
    for code, name in systems:
        codes.append(["Hệ thống (system)", code, name])
    for code, name in agencies:
        codes.append(["Đơn vị (agency)", code, name])
    codes.column_dimensions["A"].width = 28
    codes.column_dimensions["B"].width = 22
    codes.column_dimensions["C"].width = 70

    protect_workbook(book)  # names and plan cells from data are never formulas
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def build_csv(rows: list[dict] | None = None) -> bytes:
    """The template as CSV (UTF-8 with BOM so that Excel shows the diacritics)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.vi for c in COLUMNS])
    for row in rows or []:
        values = [_cell(row, c.key) for c in COLUMNS]
        writer.writerow([format_date(v) if isinstance(v, date) else csv_text(v) for v in values])
    return out.getvalue().encode("utf-8-sig")
