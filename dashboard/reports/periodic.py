"""Monthly, quarterly and weekly reports upward (to the provincial People's Committee and the
Ministry of Science and Technology): their data, a DOCX in the administrative document layout
of Nghị định 30/2020/NĐ-CP, charts rendered offline with matplotlib, and an XLSX annex.

Sections: 1. availability and incidents; 2. integration coverage against 100 %; 3. plan progress
by agency and partner enterprise; 4. information security; 5. laggards and proposals.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.domain.alerts import OPEN_STATUSES, SEVERITIES
from dashboard.i18n import t
from dashboard.plans.availability import VN_TZ, BadPeriod
from dashboard.plans.coverage import VERIFIED_DAYS
from dashboard.readmodels import availability as availability_views
from dashboard.readmodels import certificates as certificate_views
from dashboard.readmodels import plans as views
from dashboard.reports.numbers import format_day, format_number, format_percent, spreadsheet_number_formats
from dashboard.store.models import Alert

KINDS = ("monthly", "quarterly", "weekly")
ISSUER_PARENT = "UBND TỈNH QUẢNG NGÃI"
ISSUER = "SỞ KHOA HỌC VÀ CÔNG NGHỆ"
ISSUER_SHORT = "SKHCN"
MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_SUB = "Độc lập - Tự do - Hạnh phúc"
PLACE = "Quảng Ngãi"
RECIPIENTS = ("Bộ Khoa học và Công nghệ (để báo cáo);", "UBND tỉnh (để báo cáo);", "Các sở, ban, ngành; UBND các xã, phường, đặc khu;",
              "Lưu: VT, CĐS.")
SECTIONS = (
    "1. Mức độ sẵn sàng của hệ thống và sự cố",
    "2. Mức độ tích hợp, kết nối, chia sẻ dữ liệu so với mục tiêu 100%",
    "3. Tiến độ kế hoạch theo đơn vị và doanh nghiệp đồng hành",
    "4. An toàn thông tin",
    "5. Tồn tại, hạn chế và đề xuất",
)
PERIOD_PATTERNS = {
    "monthly": (re.compile(r"^(\d{4})-(\d{2})$"), "YYYY-MM, e.g. 2026-11"),
    "quarterly": (re.compile(r"^(\d{4})-Q([1-4])$", re.I), "YYYY-Qn, e.g. 2026-Q4"),
    "weekly": (re.compile(r"^(\d{4})-W(\d{2})$", re.I), "YYYY-Www (ISO week), e.g. 2026-W48"),
}


@dataclass(frozen=True)
class Period:
    kind: str
    label: str  # as given, normalised: 2026-11, 2026-Q4, 2026-W48
    title: str  # Vietnamese: tháng 11/2026, quý IV/2026, tuần 48/2026
    start: date  # local days, end exclusive
    end: date

    def bounds_utc(self) -> tuple[datetime, datetime]:
        def at(day: date) -> datetime:
            return datetime(day.year, day.month, day.day, tzinfo=VN_TZ).astimezone(timezone.utc)
        return at(self.start), at(self.end)


def parse_period(kind: str, text: str) -> Period:
    """Raises BadPeriod with what is expected."""
    if kind not in KINDS:
        raise BadPeriod(f"kind {kind!r} is not valid: one of {', '.join(KINDS)}")
    pattern, expected = PERIOD_PATTERNS[kind]
    match = pattern.match((text or "").strip())
    if not match:
        raise BadPeriod(f"period {text!r} is not valid for a {kind} report: expected {expected}")
    year, number = int(match[1]), int(match[2])
    if not 2000 <= year <= 2100:
        raise BadPeriod(f"period {text!r} is not valid: the year must be 2000–2100")
    if kind == "monthly":
        if not 1 <= number <= 12:
            raise BadPeriod(f"period {text!r} is not valid: the month must be 01–12")
        start = date(year, number, 1)
        end = date(year + (number == 12), number % 12 + 1, 1)
        return Period(kind, f"{year}-{number:02d}", f"tháng {number:02d}/{year}", start, end)
    if kind == "quarterly":
        start = date(year, 3 * number - 2, 1)
        end = date(year + (number == 4), (3 * number) % 12 + 1, 1)
        return Period(kind, f"{year}-Q{number}", f"quý {('I', 'II', 'III', 'IV')[number - 1]}/{year}", start, end)
    try:
        start = date.fromisocalendar(year, number, 1)
    except ValueError:
        raise BadPeriod(f"period {text!r} is not valid: {year} has no ISO week {number}") from None
    return Period(kind, f"{year}-W{number:02d}", f"tuần {number:02d}/{year} ({start:%d/%m} – {start + timedelta(days=6):%d/%m/%Y})",
                  start, start + timedelta(days=7))


def report_data(session: Session, period: Period, now: datetime | None = None, verified_days: float = VERIFIED_DAYS) -> dict:
    now = now or utcnow()
    start, end = period.bounds_utc()
    availability = availability_views.availability_between(session, start, end, period.label, now)
    coverage = views.coverage_view(session, now, verified_days)
    progress = views.progress_view(session, views.local_today(now))
    alerts = session.execute(
        select(Alert.severity, Alert.source, Alert.status, func.count())
        .where(Alert.first_seen >= start, Alert.first_seen < end)
        .group_by(Alert.severity, Alert.source, Alert.status)
    ).all()
    by_severity = {s: {"total": 0, "open": 0} for s in SEVERITIES}
    by_source: dict[str, int] = {}
    for severity, source, status, n in alerts:
        row = by_severity.setdefault(severity, {"total": 0, "open": 0})
        row["total"] += n
        row["open"] += n if status in OPEN_STATUSES else 0
        by_source[source] = by_source.get(source, 0) + n
    return {
        "period": period, "generated_at": now, "availability": availability, "coverage": coverage, "progress": progress,
        "security": {"by_severity": by_severity, "by_source": dict(sorted(by_source.items(), key=lambda kv: -kv[1])),
                     "total": sum(r["total"] for r in by_severity.values()), "open": sum(r["open"] for r in by_severity.values()),
                     "inventory": coverage["inventory"],
                     "certificates": certificate_views.expiring_certificates(session, now)},
    }


def last_month(now: datetime | None = None) -> str:
    today = (now or utcnow()).astimezone(VN_TZ).date()
    first = today.replace(day=1) - timedelta(days=1)
    return f"{first.year}-{first.month:02d}"


def report_file(session: Session, kind: str, label: str, fmt: str, verified_days: float = VERIFIED_DAYS) -> tuple[bytes, str]:
    """The report as bytes and a file name (for the page)."""
    period = parse_period(kind, label)
    data = report_data(session, period, verified_days=verified_days)
    body = build_docx(data) if fmt == "docx" else build_xlsx(data)
    return body, f"bao-cao-{kind}-{period.label}.{fmt}"


# ------------------------------------------------------------------------------ charts


def _bar_chart(labels: list[str], values: list[float], title: str, target: float | None = None) -> bytes:
    """A horizontal bar chart as PNG, rendered offline (matplotlib Agg): axis to 100 % with a
    100 % line, the number on every bar (decimal comma), red = behind target."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    height = max(1.6, 0.38 * len(labels) + 0.9)
    figure, axis = plt.subplots(figsize=(6.3, height), dpi=150)
    colors = ["#c1121f" if target is not None and v < target else "#1f4e79" for v in values]
    axis.barh(range(len(values)), values, color=colors)
    axis.set_yticks(range(len(labels)), labels, fontsize=8)
    axis.invert_yaxis()
    axis.set_xlim(0, 112)
    axis.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"], fontsize=8)
    axis.axvline(100, color="#198754", linestyle="--", linewidth=1.2)
    for index, value in enumerate(values):
        axis.text(min(value, 100) + 1, index, format_percent(value), va="center", fontsize=8)
    axis.set_title(title, fontsize=9)
    for side in ("top", "right"):
        axis.spines[side].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    plt.close(figure)
    return out.getvalue()


def _short(name: str, limit: int = 44) -> str:
    return name if len(name) <= limit else name[: limit - 1].rsplit(" ", 1)[0] + " …"


def charts(data: dict) -> dict[str, bytes]:
    availability = data["availability"]["systems"]
    coverage = data["coverage"]
    partners = data["progress"]["partners"]
    out = {}
    if availability:
        out["availability"] = _bar_chart([_short(s["name_vi"]) for s in availability], [s["uptime_percent"] or 0.0 for s in availability],
                                         "Mức độ sẵn sàng theo hệ thống (đỏ: dưới mục tiêu)", target=data["availability"]["default_target_percent"])
    out["coverage"] = _bar_chart(
        ["Tỷ lệ tích hợp (đã xác minh)", "Đang hoạt động", "Đã khai báo"],
        [coverage["verified_percent"], coverage["live_up_percent"], coverage["declared_percent"]],
        "Kết nối phải có: tích hợp so với mục tiêu 100%", target=100.0)
    if partners:
        out["partners"] = _bar_chart([g.key for g in partners], [g.percent for g in partners], "Tiến độ theo doanh nghiệp đồng hành")
    return out


# ------------------------------------------------------------------------------ DOCX


def build_docx(data: dict) -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    period: Period = data["period"]
    today = data["generated_at"].astimezone(VN_TZ).date()
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4
    section.left_margin, section.right_margin, section.top_margin, section.bottom_margin = Cm(3), Cm(2), Cm(2), Cm(2)
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(13)

    def para(text: str = "", bold=False, italic=False, size=13, align=None, container=None):
        paragraph = (container or document).add_paragraph()
        run = paragraph.add_run(text)
        run.bold, run.italic, run.font.size = bold, italic, Pt(size)
        if align:
            paragraph.alignment = align
        paragraph.paragraph_format.space_after = Pt(2)
        return paragraph

    center = WD_ALIGN_PARAGRAPH.CENTER
    head = document.add_table(rows=1, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = head.rows[0].cells
    left.paragraphs[0].text = ""
    para(ISSUER_PARENT, size=12, align=center, container=left)
    para(ISSUER, bold=True, size=12, align=center, container=left)
    para("Số: …/BC-" + ISSUER_SHORT, size=13, align=center, container=left)
    para(MOTTO, bold=True, size=12, align=center, container=right)
    para(MOTTO_SUB, bold=True, size=13, align=center, container=right)
    para(f"{PLACE}, ngày {today.day:02d} tháng {today.month:02d} năm {today.year}", italic=True, size=13, align=center, container=right)
    para()
    para("BÁO CÁO", bold=True, size=14, align=center)
    para(f"Tình hình vận hành, tích hợp, kết nối, chia sẻ dữ liệu và bảo đảm an toàn thông tin {period.title}",
         bold=True, size=14, align=center)
    if data["progress"]["demo"] or data["coverage"]["inventory"]["demo"]:
        para("(Dữ liệu trình diễn — demo data)", italic=True, size=12, align=center)
    para("Kính gửi: Ủy ban nhân dân tỉnh Quảng Ngãi; Bộ Khoa học và Công nghệ.", align=center)
    images = charts(data)

    def heading(text: str) -> None:
        # Section headings in the document's own type (Times New Roman, black, bold), not Word's
        # blue sans-serif heading theme, as an administrative document is set.
        run = document.add_heading("", level=2).add_run(text)
        run.bold, run.font.size, run.font.name = True, Pt(13), "Times New Roman"
        run.font.color.rgb = RGBColor(0, 0, 0)

    text_width_cm = 16.0  # A4 less the 3 cm and 2 cm margins

    def table(header: list[str], rows: list[list], first_share: float = 0.34) -> None:
        """A grid whose first column (names) takes `first_share` of the width, the rest shared."""
        grid = document.add_table(rows=1, cols=len(header))
        grid.style = "Table Grid"
        grid.autofit = False
        rest = (1 - first_share) / max(len(header) - 1, 1)
        widths = [Cm(text_width_cm * (first_share if i == 0 else rest)) for i in range(len(header))]
        for column, width in zip(grid.columns, widths):
            column.width = width  # the grid (LibreOffice reads it); Word reads the cells' widths
        for cell, text, width in zip(grid.rows[0].cells, header, widths):
            cell.text, cell.width = "", width
            run = cell.paragraphs[0].add_run(text)
            run.bold, run.font.size = True, Pt(11)
        for values in rows:
            cells = grid.add_row().cells
            for cell, value, width in zip(cells, values, widths):
                cell.text, cell.width = "", width
                cell.paragraphs[0].add_run(str(value)).font.size = Pt(11)

    def picture(key: str) -> None:
        if key in images:
            document.add_picture(io.BytesIO(images[key]), width=Cm(15.5))

    availability = data["availability"]
    heading(SECTIONS[0])
    behind = [s for s in availability["systems"] if s["behind"]]
    para(f"Trong {period.title}, {len(availability['systems'])} hệ thống được giám sát; {len(behind)} hệ thống dưới mục tiêu sẵn sàng "
         f"{format_percent(availability['default_target_percent'], digits=2)} (không tính thời gian bảo trì theo kế hoạch).")
    picture("availability")
    table(["Hệ thống", "Sẵn sàng", "Mục tiêu", "Gián đoạn (phút)", "Sự cố", "MTTR (phút)", "MTBF (giờ)"],
          [[s["name_vi"], format_percent(s["uptime_percent"], digits=2), format_percent(s["target_percent"], digits=2),
            format_number(s["downtime_minutes"]), s["incidents"], format_number(s["mttr_minutes"]), format_number(s["mtbf_hours"])]
           for s in availability["systems"]])

    coverage = data["coverage"]
    heading(SECTIONS[1])
    para(f"Tỷ lệ tích hợp (kết nối đã xác minh ÷ kết nối phải có): {format_percent(coverage['verified_percent'])} "
         f"({coverage['verified']}/{coverage['required']}), mục tiêu 100%. Đang hoạt động: {format_percent(coverage['live_up_percent'])}; "
         f"đã khai báo: {format_percent(coverage['declared_percent'])}. Danh mục hệ thống thông tin: {coverage['inventory']['systems']} hệ thống.")
    picture("coverage")
    table(["Hệ thống dùng chung", "Tỷ lệ tích hợp", "Đang hoạt động"],
          [[s["name_vi"], format_percent(s.get("verified_percent", 0.0)), format_percent(s.get("live_up_percent", 0.0))] for s in coverage["systems"]])

    progress = data["progress"]
    heading(SECTIONS[2])
    para(f"Tiến độ chung toàn tỉnh: {format_percent(progress['province_percent'])}; {len(progress['overdue'])} nhiệm vụ quá hạn, "
         f"{len(progress['at_risk'])} nhiệm vụ có nguy cơ chậm.")
    picture("partners")
    table(["Doanh nghiệp", "Số đơn vị", "Tiến độ bình quân", "Nhiệm vụ quá hạn"],
          [[g.key, g.agencies, format_percent(g.percent), g.overdue] for g in progress["partners"]])

    security = data["security"]
    heading(SECTIONS[3])
    inventory = security["inventory"]
    para(f"Cảnh báo an toàn thông tin phát sinh trong kỳ: {security['total']} (còn mở: {security['open']}). "
         f"Hệ thống có hồ sơ cấp độ được phê duyệt: {inventory['dossier_approved']}/{inventory['systems']} "
         f"({format_percent(inventory['dossier_approved_percent'])}).")
    table(["Mức độ", "Tổng", "Đã xử lý", "Còn mở"],
          [[t(f"severity.{severity}"), row["total"], row["total"] - row["open"], row["open"]] for severity, row in security["by_severity"].items()],
          first_share=0.25)
    if security["by_source"]:
        para("Theo nguồn: " + "; ".join(f"{source}: {n}" for source, n in security["by_source"].items()) + ".")
    certificates = security["certificates"]
    within = format_number(certificate_views.EXPIRING_WITHIN_DAYS, digits=0)
    if certificates:
        para(f"Chứng chỉ số (TLS) đã hết hạn hoặc hết hạn trong {within} ngày tới: {len(certificates)}.")
        table(["Hệ thống", "Điểm kiểm tra", "Hết hạn ngày", "Còn lại (ngày)"],
              [[c["system_vi"], c["endpoint"], format_day(c["not_after"]) if c["not_after"] else "—", _days_left(c["days_left"])]
               for c in certificates])
    else:
        para(f"Không có chứng chỉ số (TLS) nào hết hạn hoặc hết hạn trong {within} ngày tới.")

    heading(SECTIONS[4])
    laggards = progress["laggards"][:5]
    if laggards:
        para("Đơn vị chậm tiến độ: " + "; ".join(f"{r.name_vi} ({format_percent(r.percent)})" for r in laggards) + ".")
    if behind:
        para("Hệ thống dưới mục tiêu sẵn sàng: " + "; ".join(s["name_vi"] for s in behind) + ".")
    para("Đề xuất: các đơn vị chậm tiến độ và doanh nghiệp đồng hành bổ sung nguồn lực, hoàn thành tích hợp các kết nối còn thiếu; "
         "các đơn vị chưa có hồ sơ cấp độ an toàn thông tin được phê duyệt hoàn thiện hồ sơ trong kỳ tới.")

    para()
    sign = document.add_table(rows=1, cols=2)
    recipients, signer = sign.rows[0].cells
    recipients.paragraphs[0].text = ""
    para("Nơi nhận:", bold=True, italic=True, size=12, container=recipients)
    for line in RECIPIENTS:
        para(f"- {line}", size=11, container=recipients)
    para("GIÁM ĐỐC", bold=True, size=13, align=center, container=signer)
    para("(Ký, ghi rõ họ tên và đóng dấu)", italic=True, size=12, align=center, container=signer)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _days_left(days: float) -> str:
    if days < 0:
        return f"đã hết hạn {format_number(-days, digits=0)} ngày"
    return format_number(days, digits=0)


# ------------------------------------------------------------------------------ XLSX annex


def _text_cell(value):
    """Spreadsheet cells that start like a formula are written as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def build_xlsx(data: dict) -> bytes:
    book = Workbook()
    first = book.active
    first.title = "Tổng hợp"
    period: Period = data["period"]
    first.append([f"Phụ lục báo cáo {period.title}"])
    first["A1"].font = Font(bold=True, size=14)
    coverage, progress, security = data["coverage"], data["progress"], data["security"]
    for row in (("Tỷ lệ tích hợp (%)", coverage["verified_percent"]), ("Đang hoạt động (%)", coverage["live_up_percent"]),
                ("Đã khai báo (%)", coverage["declared_percent"]), ("Kết nối phải có", coverage["required"]),
                ("Tiến độ chung (%)", progress["province_percent"]), ("Cảnh báo ATTT trong kỳ", security["total"]),
                ("Cảnh báo còn mở", security["open"]), ("Hồ sơ cấp độ được phê duyệt (%)", security["inventory"]["dossier_approved_percent"])):
        first.append(list(row))
    first.column_dimensions["A"].width = 45

    def sheet(title: str, header: list[str], rows: list[list]) -> None:
        ws = book.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font, cell.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E79")
        for row in rows:
            ws.append([_text_cell(v) for v in row])
        for index in range(1, len(header) + 1):
            ws.column_dimensions[ws.cell(row=1, column=index).column_letter].width = 22 if index > 1 else 48

    sheet("Sẵn sàng", ["Hệ thống", "Sẵn sàng (%)", "Mục tiêu (%)", "Gián đoạn (phút)", "Bảo trì (phút)", "Sự cố", "MTTR (phút)", "MTBF (giờ)", "Dưới mục tiêu"],
          [[s["name_vi"], s["uptime_percent"], s["target_percent"], s["downtime_minutes"], s["maintenance_minutes"], s["incidents"],
            s["mttr_minutes"], s["mtbf_hours"], "có" if s["behind"] else "không"] for s in data["availability"]["systems"]])
    sheet("Tích hợp theo đơn vị", ["Đơn vị", "Doanh nghiệp", "Phải có", "Đã khai báo", "Đã xác minh", "Đang hoạt động", "Tỷ lệ tích hợp (%)"],
          [[a["name_vi"], a["partner"], a["required"], a["declared"], a["verified"], a["live_up"], a["verified_percent"]] for a in coverage["agencies"]])
    sheet("Tiến độ theo đơn vị", ["Đơn vị", "Doanh nghiệp", "Tiến độ bình quân (%)", "Nhiệm vụ", "Đã xong", "Quá hạn"],
          [[r.name_vi, r.partner, r.percent if r.has_plan else None, r.tasks, r.done, r.overdue] for r in progress["agencies"]])
    sheet("Doanh nghiệp", ["Doanh nghiệp", "Số đơn vị", "Tiến độ bình quân (%)", "Nhiệm vụ quá hạn"],
          [[g.key, g.agencies, g.percent, g.overdue] for g in progress["partners"]])
    sheet("An toàn thông tin", ["Mức độ", "Tổng", "Còn mở"],
          [[t(f"severity.{severity}"), row["total"], row["open"]] for severity, row in security["by_severity"].items()])
    sheet("Chứng chỉ sắp hết hạn", ["Hệ thống", "Điểm kiểm tra", "Hết hạn ngày", "Còn lại (ngày)"],
          [[c["system_vi"], c["endpoint"], c["not_after"], round(c["days_left"], 1)] for c in security["certificates"]])
    spreadsheet_number_formats(book)  # numbers stay numbers, shown with the reader's separators
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
