"""The weekly leadership report: its data (from the progress and coverage read models) and
its XLSX export, in Vietnamese."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.plans.coverage import VERIFIED_DAYS
from dashboard.plans.export_safety import protect_workbook
from dashboard.plans.progress import week_start
from dashboard.plans.template import CATEGORIES, format_date
from dashboard.readmodels import plans as views
from dashboard.reports.numbers import spreadsheet_number_formats

GROUP_VI = {"departments": "Sở, ban, ngành", "communes": "Xã, phường, đặc khu"}


def weekly_report(session, now: datetime | None = None, verified_days: float = VERIFIED_DAYS) -> dict:
    now = now or utcnow()
    progress = views.progress_view(session, views.local_today(now))
    coverage = views.coverage_view(session, now, verified_days)
    start = week_start(progress["today"])
    trend = [p for _, p in progress["trend"] if p is not None]
    return {
        "generated_at": now,
        "week_start": start,
        "week_end": start + timedelta(days=6),
        "progress": progress,
        "coverage": coverage,
        "previous_percent": trend[-2] if len(trend) >= 2 else None,
    }


def weekly_report_for(session: Session, now: datetime | None = None, verified_days: float = VERIFIED_DAYS) -> dict:
    """The weekly report (pages reach it through the page facade)."""
    return weekly_report(session, now, verified_days)


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list]) -> None:
    sheet = book.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
    for row in rows:
        sheet.append(row)
    for index, _ in enumerate(header, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, min(60, max(len(str(r[index - 1] or "")) for r in [header, *rows]) + 2))


def build_report_xlsx(report: dict) -> bytes:
    progress, coverage = report["progress"], report["coverage"]
    book = Workbook()
    summary = book.active
    summary.title = "Tổng hợp"
    summary.append(["Báo cáo tuần: tiến độ kế hoạch và mức độ tích hợp, kết nối, chia sẻ dữ liệu"])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append([f"Tuần từ {format_date(report['week_start'])} đến {format_date(report['week_end'])}"])
    if progress["demo"]:
        summary.append(["Dữ liệu trình diễn (demo data)"])
    summary.append([])
    rows = [
        ("Tiến độ chung toàn tỉnh (%)", progress["province_percent"]),
        ("Tiến độ tuần trước (%)", report["previous_percent"]),
        ("Tỷ lệ chia sẻ dữ liệu với nền tảng quốc gia (%)", coverage["province_percent"]),
        ("Mục tiêu (%)", coverage["target_percent"]),
        ("Đơn vị có kế hoạch", progress["plans"]),
        ("Số nhiệm vụ", progress["tasks"]),
        ("Nhiệm vụ quá hạn", len(progress["overdue"])),
        ("Nhiệm vụ có nguy cơ chậm", len(progress["at_risk"])),
    ]
    for row in rows:
        summary.append(list(row))
    summary.column_dimensions["A"].width = 50
    _sheet(book, "Doanh nghiệp", ["Hạng", "Doanh nghiệp", "Số đơn vị", "Hoàn thành (%)", "Nhiệm vụ quá hạn", "Đơn vị có việc quá hạn"],
           [[i, g.key, g.agencies, g.percent, g.overdue, g.behind] for i, g in enumerate(progress["partners"], start=1)])
    _sheet(book, "Đơn vị", ["Khối", "Đơn vị", "Doanh nghiệp", "Hoàn thành (%)", "Nhiệm vụ", "Đã xong", "Quá hạn", "Nguy cơ", "Chia sẻ dữ liệu (%)"],
           [[GROUP_VI[r.group], r.name_vi, r.partner, r.percent if r.has_plan else None, r.tasks, r.done, r.overdue, r.at_risk,
             _agency_sharing(coverage, r.agency_id)] for r in progress["agencies"]])
    _sheet(book, "Quá hạn", ["Đơn vị", "Nhiệm vụ", "Nhóm", "Hạn", "Trễ (ngày)", "Hoàn thành (%)", "Doanh nghiệp"],
           [[t["agency_vi"], t["title"], CATEGORIES.get(t["category"], (t["category"],))[0], t["due"], t["days_late"], t["percent"], t["partner"]]
            for t in progress["overdue"]])
    _sheet(book, "Nguy cơ chậm", ["Đơn vị", "Nhiệm vụ", "Nhóm", "Hạn", "Hoàn thành (%)", "Doanh nghiệp"],
           [[t["agency_vi"], t["title"], CATEGORIES.get(t["category"], (t["category"],))[0], t["due"], t["percent"], t["partner"]]
            for t in progress["at_risk"]])
    _sheet(book, "Hệ thống", ["Hệ thống", "Nền tảng quốc gia", "Kết nối", "Nguồn", "Đã tích hợp (%)", "Chia sẻ dữ liệu (%)"],
           [[s["name_vi"], "; ".join(l["platform_vi"] for l in s["links"]), "Có" if s["connected_now"] else "Chưa",
             {"live": "kiểm tra trực tiếp", "declared": "khai báo", "mixed": "trực tiếp + khai báo"}[s["source"]],
             s.get("integrated"), s.get("sharing")] for s in coverage["systems"]])
    _sheet(book, "Xu hướng", ["Tuần", "Tiến độ chung (%)"],
           [[w, p] for w, p in progress["trend"]])
    spreadsheet_number_formats(book)  # numbers stay numbers, shown with the reader's separators
    protect_workbook(book)  # agency names, task titles, partners from data are never formulas
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _agency_sharing(coverage: dict, agency_id: str) -> float | None:
    for row in coverage["agencies"]:
        if row["id"] == agency_id:
            return row["sharing"]
    return None


def report_filename(day: date) -> str:
    return f"bao-cao-tuan-{day.isoformat()}.xlsx"
