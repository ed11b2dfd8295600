"""Pure builders of the overview: the tile and the Vietnamese/English formatting."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dashboard.i18n import ago, format_ms, local_time, status_label, t
from layouts.components.status_tile import status_tile

NOW = datetime(2026, 11, 27, 2, 0, 0, tzinfo=timezone.utc)


def system(status="up", reason=None, links=()):
    return {
        "id": "lgsp", "name_vi": "Nền tảng LGSP", "name_en": "LGSP platform", "status": status,
        "status_since": "2026-11-27T01:55:00Z", "last_check_at": "2026-11-27T01:59:50Z",
        "reason": reason, "stale": False,
        "endpoints": [{"latency_ms": 12.0, "status": status}, {"latency_ms": 40.0, "status": status}],
        "links": list(links),
    }


def text_of(component) -> str:
    children = getattr(component, "children", component)
    if isinstance(children, (list, tuple)):
        return " ".join(text_of(c) for c in children if c is not None)
    if isinstance(children, str):
        return children
    return text_of(children) if children is not None and children is not component else ""


def test_tile_shows_status_word_names_and_slowest_latency():
    tile = status_tile(system(), "vi", NOW)
    assert tile.className == "card system-tile tile-up"
    assert getattr(tile, "data-status") == "up"
    text = text_of(tile)
    assert "Hoạt động" in text and "Nền tảng LGSP" in text and "LGSP platform" in text
    assert "40 ms" in text  # the slowest endpoint speaks for the system
    assert "08:59:50" in text  # Vietnam time, UTC+7
    assert "5 phút trước" in text


def test_down_tile_shows_the_reason_and_link_states_in_english():
    link = {"status": "down", "platform_name_vi": "Trục liên thông", "platform_name_en": "National axis", "reason": "HTTP 502"}
    tile = status_tile(system("down", "health: [STATUS] == 200 — observed 503", [link]), "en", NOW)
    text = text_of(tile)
    assert "Down" in text and "observed 503" in text and "National axis" in text
    assert "Trục liên thông" not in text


def test_never_checked_system():
    s = system("unknown")
    s["last_check_at"] = s["status_since"] = None
    assert "chưa kiểm tra" in text_of(status_tile(s, "vi", NOW))


def test_formatting_helpers():
    assert status_label("down", "vi") == "Gián đoạn" and status_label("down", "en") == "Down"
    assert status_label("maintenance", "vi") == "Bảo trì"
    assert ago(NOW - timedelta(seconds=2), NOW) == "vừa xong"
    assert ago(NOW - timedelta(hours=3), NOW, "en") == "3 hours ago"
    assert ago(NOW - timedelta(minutes=119), NOW) == "1 giờ trước"  # whole units, rounded down as a clock reads
    assert ago(NOW - timedelta(seconds=45), NOW) == "45 giây trước" and ago(NOW - timedelta(days=2, hours=23), NOW, "en") == "2 days ago"
    assert format_ms(1234.4) == "1.234 ms" and format_ms(3.25) == "3,2 ms" and format_ms(None) == "—"
    # a latency follows the reader's language: the English thousands separator is a comma
    assert format_ms(1234.4, "en") == "1,234 ms" and format_ms(3.25, "en") == "3.2 ms"
    assert local_time(NOW, with_date=True) == "27/11/2026 09:00:00"
    assert t("no.such.key") == "no.such.key"
