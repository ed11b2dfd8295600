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
