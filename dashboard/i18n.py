"""One translation table: Vietnamese first, English second."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

LANGUAGES = ("vi", "en")
VN_TZ = timezone(timedelta(hours=7))

TEXT: dict[str, tuple[str, str]] = {
    "app.title": ("Trung tâm Giám sát, điều hành thông minh tỉnh Quảng Ngãi", "Quảng Ngãi Intelligent Operations Center"),
    "app.subtitle": ("Giám sát các hệ thống thông tin dùng chung", "Shared systems monitor"),
    "nav.overview": ("Tổng quan", "Overview"),
    "overview.heading": ("Trạng thái các hệ thống dùng chung", "Status of the shared systems"),
    "overview.last_data": ("Dữ liệu mới nhất", "Latest data"),
    "overview.no_systems": ("Danh mục chưa có hệ thống nào.", "The catalog lists no systems."),
    "overview.stale_banner": (
        "Dữ liệu không còn được cập nhật — bộ thu thập đã dừng hoặc mất kết nối cơ sở dữ liệu. Trạng thái hiển thị có thể đã cũ.",
        "Data is no longer updating — the collector stopped or lost the database. The statuses shown may be out of date.",
    ),
    "tile.last_check": ("Kiểm tra lúc", "Checked"),
    "tile.latency": ("Độ trễ", "Latency"),
    "tile.since": ("từ", "since"),
    "tile.never": ("chưa kiểm tra", "never checked"),
    "tile.owner": ("Đơn vị chủ quản", "Owner"),
    "tile.partner": ("Doanh nghiệp đồng hành", "Partner"),
    "tile.links": ("Kết nối quốc gia", "National links"),
    "status.up": ("Hoạt động", "Up"),
    "status.degraded": ("Suy giảm", "Degraded"),
    "status.down": ("Gián đoạn", "Down"),
    "status.unknown": ("Chưa rõ", "Unknown"),
    "status.maintenance": ("Bảo trì", "Maintenance"),
    "demo.heading": ("Chế độ trình diễn: giả lập sự cố", "Demo mode: simulate a fault"),
    "demo.help": (
        "Các hệ thống trình diễn là máy chủ HTTP thật trên máy này. Chọn một hệ thống và một chế độ để xem bảng theo dõi phản ứng.",
        "The demo systems are real HTTP servers on this machine. Pick a system and a mode to watch the board react.",
    ),
    "demo.apply": ("Áp dụng", "Apply"),
    "demo.mode.ok": ("Bình thường", "Normal"),
    "demo.mode.slow": ("Chậm", "Slow"),
    "demo.mode.failing": ("Lỗi (HTTP 503)", "Failing (HTTP 503)"),
    "demo.mode.hang": ("Treo (không trả lời)", "Hanging (no answer)"),
    "demo.mode.down": ("Tắt (từ chối kết nối)", "Down (connection refused)"),
    "demo.mode.link_down": ("Mất kết nối quốc gia", "National link down"),
    "demo.done": ("Đã chuyển {system} sang chế độ “{mode}”.", "Switched {system} to “{mode}”."),
    "time.just_now": ("vừa xong", "just now"),
    "time.seconds_ago": ("{n} giây trước", "{n} s ago"),
    "time.minutes_ago": ("{n} phút trước", "{n} min ago"),
    "time.hours_ago": ("{n} giờ trước", "{n} h ago"),
    "time.days_ago": ("{n} ngày trước", "{n} d ago"),
    # --- leadership: plans, progress, coverage, weekly report (issue 6)
    "nav.progress": ("Tiến độ kế hoạch", "Plan progress"),
    "nav.coverage": ("Mức độ tích hợp", "Integration coverage"),
    "nav.report": ("Báo cáo tuần", "Weekly report"),
    "plans.demo_badge": ("Dữ liệu trình diễn / demo data", "Demo data / dữ liệu trình diễn"),
    "plans.no_plans": ("Chưa có kế hoạch nào. Tải mẫu, điền và nhập tệp ở cuối trang.", "No plans yet. Download the template, fill it in and import it below."),
    "progress.heading": ("Tiến độ thực hiện kế hoạch của các đơn vị", "Plan progress of the agencies"),
    "progress.province": ("Tiến độ chung toàn tỉnh", "Province-wide progress"),
    "progress.plans": ("đơn vị có kế hoạch", "agencies with a plan"),
    "progress.tasks": ("nhiệm vụ", "tasks"),
    "progress.overdue_count": ("nhiệm vụ quá hạn", "overdue tasks"),
    "progress.at_risk_count": ("nhiệm vụ có nguy cơ chậm", "tasks at risk"),
    "progress.laggards": ("Đơn vị chậm tiến độ nhất", "Agencies furthest behind"),
    "progress.partners": ("Xếp hạng doanh nghiệp đồng hành", "Partner enterprise ranking"),
    "progress.groups": ("Theo khối", "By group"),
    "progress.categories": ("Theo nhóm nhiệm vụ", "By task category"),
    "progress.trend": ("Tiến độ theo tuần", "Progress by week"),
    "progress.map": ("Bản đồ tiến độ các xã, phường, đặc khu", "Commune progress map"),
    "progress.all_agencies": ("Tất cả đơn vị", "All agencies"),
    "progress.overdue": ("Nhiệm vụ quá hạn", "Overdue tasks"),
    "progress.at_risk": ("Nhiệm vụ có nguy cơ chậm (đến hạn trong {days} ngày, hoàn thành dưới {percent}%)", "Tasks at risk (due within {days} days, under {percent}% done)"),
    "progress.none": ("Không có.", "None."),
    "progress.more": ("… và {n} nhiệm vụ khác", "… and {n} more"),
    "group.departments": ("Sở, ban, ngành", "Departments and agencies"),
    "group.communes": ("Xã, phường, đặc khu", "Communes and wards"),
    "col.agency": ("Đơn vị", "Agency"),
    "col.partner": ("Doanh nghiệp", "Partner"),
    "col.percent": ("Hoàn thành", "Done"),
    "col.tasks": ("Nhiệm vụ", "Tasks"),
    "col.done": ("Đã xong", "Finished"),
    "col.overdue": ("Quá hạn", "Overdue"),
    "col.at_risk": ("Nguy cơ", "At risk"),
    "col.agencies": ("Số đơn vị", "Agencies"),
    "col.behind": ("Đơn vị có việc quá hạn", "Agencies with overdue work"),
    "col.rank": ("Hạng", "Rank"),
    "col.task": ("Nhiệm vụ", "Task"),
    "col.category": ("Nhóm", "Category"),
    "col.due": ("Hạn", "Due"),
    "col.days_late": ("Trễ (ngày)", "Days late"),
    "col.group": ("Khối", "Group"),
    "col.system": ("Hệ thống", "System"),
    "col.platform": ("Nền tảng quốc gia", "National platform"),
    "col.integrated": ("Đã tích hợp", "Integrated"),
    "col.connected": ("Kết nối", "Connected"),
    "col.sharing": ("Chia sẻ dữ liệu", "Sharing data"),
    "col.source": ("Nguồn", "Source"),
    "col.row": ("Dòng", "Row"),
    "col.column": ("Cột", "Column"),
    "col.problem": ("Lỗi", "Problem"),
    "col.week": ("Tuần", "Week"),
    "no_plan": ("chưa có kế hoạch", "no plan"),
    "plans.io_heading": ("Nhập / xuất kế hoạch", "Import / export plans"),
    "plans.io_help": (
        "Tải mẫu (.xlsx hoặc .csv), điền mỗi nhiệm vụ một dòng, rồi kéo thả tệp vào ô dưới đây. Hệ thống kiểm tra từng dòng và hiển thị bản xem trước; chỉ khi không có lỗi mới được xác nhận nhập. Mỗi đơn vị có trong tệp được thay toàn bộ nhiệm vụ.",
        "Download the template (.xlsx or .csv), fill one task per row, then drop the file below. Every row is checked and a preview shown; only a file without errors can be confirmed. Each agency in the file has all its tasks replaced.",
    ),
    "plans.template_xlsx": ("Tải mẫu Excel (.xlsx)", "Template (.xlsx)"),
    "plans.template_csv": ("Tải mẫu CSV", "Template (.csv)"),
    "plans.export": ("Xuất kế hoạch hiện có (.xlsx)", "Export current plans (.xlsx)"),
    "plans.drop": ("Kéo thả hoặc bấm để chọn tệp kế hoạch (.xlsx, .csv)", "Drag and drop or click to choose a plan file (.xlsx, .csv)"),
    "plans.preview_ok": ("Tệp “{file}” hợp lệ: {tasks} nhiệm vụ của {agencies} đơn vị. Kiểm tra bản xem trước rồi bấm Xác nhận nhập.", "“{file}” is valid: {tasks} tasks for {agencies} agencies. Check the preview, then confirm."),
    "plans.preview_bad": ("Tệp “{file}” có {n} lỗi — không nhập dữ liệu nào. Sửa các dòng dưới đây rồi tải lại.", "“{file}” has {n} problem(s) — nothing was imported. Fix the rows below and upload again."),
    "plans.confirm": ("Xác nhận nhập", "Confirm import"),
    "plans.imported": ("Đã nhập {tasks} nhiệm vụ của {agencies} đơn vị từ “{file}”.", "Imported {tasks} tasks for {agencies} agencies from “{file}”."),
    "plans.forbidden": ("Bạn không có quyền nhập kế hoạch.", "You may not import plans."),
    "plans.preview_rows": ("Xem trước (tối đa {n} dòng đầu)", "Preview (first {n} rows at most)"),
    "plans.file_problem": ("toàn tệp", "whole file"),
    "plans.err.too_large": ("Tệp quá lớn ({size} MB, tối đa {limit} MB) — một kế hoạch thật chỉ vài trăm kB. Tệp không được đọc.", "File too large ({size} MB, at most {limit} MB) — a real plan is a few hundred kB. The file was not read."),
    "plans.err.too_many_rows": ("Tệp có quá nhiều dòng ({rows}, tối đa {limit}) — không được đọc tiếp.", "Too many rows ({rows}, at most {limit}) — reading stopped."),
    "plans.err.empty_file": ("Tệp rỗng.", "The file is empty."),
    "plans.err.no_rows": ("Tệp chỉ có dòng tiêu đề, không có nhiệm vụ nào.", "The file has a header but no task rows."),
    "plans.err.unknown_format": ("Chỉ nhận tệp .xlsx hoặc .csv.", "Only .xlsx and .csv files are accepted."),
    "plans.err.not_xlsx": ("Không đọc được tệp Excel ({detail}).", "Cannot read the Excel file ({detail})."),
    "plans.err.not_utf8": ("Tệp CSV phải mã hóa UTF-8 (trong Excel: Lưu thành “CSV UTF-8”).", "The CSV file must be UTF-8 (in Excel: save as “CSV UTF-8”)."),
    "plans.err.wrong_sheet": ("Không có sheet “{sheet}” (các sheet có trong tệp: {found}). Hãy dùng mẫu tải về.", "No sheet “{sheet}” (sheets in the file: {found}). Use the downloadable template."),
    "plans.err.missing_columns": ("Thiếu cột bắt buộc ở dòng tiêu đề (dòng {row}): {columns}.", "Required columns missing from the header (row {row}): {columns}."),
    "plans.err.required": ("Bắt buộc phải điền.", "Required."),
    "plans.err.unknown_agency": ("Mã đơn vị “{value}” không có trong danh mục.", "Unknown agency code “{value}”."),
    "plans.err.unknown_partner": ("Doanh nghiệp “{value}” không hợp lệ (chọn: {known}).", "Unknown partner “{value}” (one of: {known})."),
    "plans.err.partner_conflict": ("Doanh nghiệp “{value}” khác với “{other}” ở dòng {other_row} của cùng đơn vị.", "Partner “{value}” differs from “{other}” on row {other_row} for the same agency."),
    "plans.err.too_long": ("Quá dài (tối đa {limit} ký tự).", "Too long (at most {limit} characters)."),
    "plans.err.duplicate": ("Trùng với dòng {other_row} (cùng đơn vị, cùng tên nhiệm vụ).", "Duplicate of row {other_row} (same agency and task)."),
    "plans.err.unknown_code": ("Giá trị “{value}” không hợp lệ (chọn: {known}).", "Invalid value “{value}” (one of: {known})."),
    "plans.err.bad_date": ("Ngày “{value}” không hợp lệ (dạng dd/mm/yyyy).", "Invalid date “{value}” (use dd/mm/yyyy)."),
    "plans.err.due_before_start": ("Hạn {due} trước ngày bắt đầu {start}.", "Due date {due} is before the start {start}."),
    "plans.err.not_a_number": ("“{value}” không phải là số.", "“{value}” is not a number."),
    "plans.err.percent_range": ("Tỷ lệ {value} nằm ngoài khoảng 0–100.", "Percent {value} is outside 0–100."),
    "plans.err.done_not_100": ("Trạng thái “Hoàn thành” nhưng tỷ lệ chỉ {value}%.", "Status is done but percent is only {value}."),
    "plans.err.unknown_system": ("Hệ thống “{value}” không có trong danh mục (có: {known}).", "Unknown system “{value}” (known: {known})."),
    "coverage.heading": ("Mức độ tích hợp, kết nối, chia sẻ dữ liệu với nền tảng quốc gia", "Integration, connection and data sharing with the national platforms"),
    "coverage.province": ("Toàn tỉnh đạt", "Province-wide"),
    "coverage.target": ("Mục tiêu {target}%", "Target {target}%"),
    "coverage.rules": (
        "Đã tích hợp: nhiệm vụ “Tích hợp” của đơn vị với hệ thống đã hoàn thành (theo kế hoạch). Kết nối: theo kiểm tra trực tiếp kết nối quốc gia nếu có, nếu không theo trạng thái khai báo. Chia sẻ dữ liệu: đã tích hợp và đang kết nối.",
        "Integrated: the agency's integration task for the system is done (from the plan). Connected: from the live check of the national link where one exists, else the declared state. Sharing data: integrated and connected.",
    ),
    "coverage.systems": ("Theo hệ thống dùng chung", "By shared system"),
    "coverage.agencies": ("Theo đơn vị", "By agency"),
    "coverage.trend": ("Diễn biến tỷ lệ chia sẻ dữ liệu toàn tỉnh", "Province-wide data sharing over time"),
    "coverage.source.live": ("kiểm tra trực tiếp", "live check"),
    "coverage.source.declared": ("khai báo", "declared"),
    "coverage.source.mixed": ("trực tiếp + khai báo", "live + declared"),
    "coverage.yes": ("Có", "Yes"),
    "coverage.no": ("Chưa", "No"),
    "coverage.integrated": ("Đã tích hợp", "Integrated"),
    "coverage.connected": ("Đang kết nối", "Connected"),
    "report.heading": ("Báo cáo tuần: tiến độ kế hoạch và mức độ tích hợp", "Weekly report: plan progress and integration coverage"),
    "report.week": ("Tuần từ {start} đến {end}", "Week of {start} to {end}"),
    "report.print": ("In báo cáo (A4)", "Print (A4)"),
    "report.xlsx": ("Tải báo cáo Excel (.xlsx)", "Download report (.xlsx)"),
    "report.generated": ("Lập lúc {time}", "Generated {time}"),
    "report.summary": ("Tóm tắt", "Summary"),
    "report.summary_text": (
        "Tiến độ chung {progress}% (tuần trước {previous}). Chia sẻ dữ liệu với nền tảng quốc gia đạt {coverage}% so với mục tiêu 100%. {overdue} nhiệm vụ quá hạn, {at_risk} nhiệm vụ có nguy cơ chậm.",
        "Overall progress {progress}% (last week {previous}). Data sharing with national platforms at {coverage}% against the 100% target. {overdue} overdue tasks, {at_risk} at risk.",
    ),
}


def t(key: str, lang: str = "vi", **values) -> str:
    vi, en = TEXT.get(key, (key, key))
    text = en if lang == "en" else vi
    return text.format(**values) if values else text


def status_label(status: str, lang: str = "vi") -> str:
    return t(f"status.{status}", lang)


def ago(moment: datetime | None, now: datetime, lang: str = "vi") -> str:
    if moment is None:
        return t("tile.never", lang)
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 5:
        return t("time.just_now", lang)
    if seconds < 60:
        return t("time.seconds_ago", lang, n=seconds)
    if seconds < 3600:
        return t("time.minutes_ago", lang, n=seconds // 60)
    if seconds < 86_400:
        return t("time.hours_ago", lang, n=seconds // 3600)
    return t("time.days_ago", lang, n=seconds // 86_400)


def local_time(moment: datetime | None, with_date: bool = False) -> str:
    """Clock time in Vietnam (UTC+7, no DST), as operators read it."""
    if moment is None:
        return "—"
    local = moment.astimezone(VN_TZ)
    return local.strftime("%d/%m/%Y %H:%M:%S") if with_date else local.strftime("%H:%M:%S")


def format_ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f} ms".replace(",", ".") if value >= 10 else f"{value:.1f} ms".replace(".", ",")
