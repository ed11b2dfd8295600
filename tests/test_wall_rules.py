"""The wall's ordering and feed rules, as tables (pure functions, no database)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from dashboard.readmodels.wall import compose_feed, worst_first
from layouts.components.wall_parts import feed_items, gauges, tile

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("states, expected", [
    (["up", "down", "degraded"], ["b:down", "c:degraded", "a:up"]),
    (["up", "maintenance", "unknown", "degraded", "down"], ["e:down", "d:degraded", "c:unknown", "b:maintenance", "a:up"]),
    # stable within a state: catalog order kept
    (["down", "up", "down", "up", "down"], ["a:down", "c:down", "e:down", "b:up", "d:up"]),
    (["up", "up"], ["a:up", "b:up"]),
    ([], []),
    # a state the rules do not know sorts last, never crashes the wall
    (["weird", "up", "down"], ["c:down", "b:up", "a:weird"]),
])
def test_worst_first(states, expected):
    items = [{"id": chr(ord("a") + i), "status": s} for i, s in enumerate(states)]
    assert [f"{i['id']}:{i['status']}" for i in worst_first(items)] == expected


def incident(i, open_=True, minutes=10, severity="down"):
    return {"kind": "incident", "id": i, "open": open_, "at": NOW - timedelta(minutes=minutes), "severity": severity,
            "system_id": "qlvb", "title_vi": "QLVB", "title_en": "QLVB", "text": "HTTP 503"}


def alert(i, source, minutes=1):
    return {"kind": "alert", "id": i, "open": True, "at": NOW - timedelta(minutes=minutes), "severity": "high",
            "source": source, "title_vi": f"a{i}", "title_en": f"a{i}", "text": ""}


MAINT = {"system_id": "dvc", "name_vi": "DVC", "name_en": "DVC", "starts_at": "2026-12-02T15:00:00Z",
         "text_vi": "Bảo trì lúc 22:00", "text_en": "Maintenance at 22:00"}


def keys(feed):
    out = []
    for item in feed:
        if item["kind"] == "alert_group":
            out.append(f"+{item['count']}:{item['source']}")
        elif item["kind"] == "maintenance":
            out.append("maint")
        elif item["kind"] == "alert":
            out.append(f"alert{item['id']}")
        else:
            out.append(f"{'open' if item['open'] else 'closed'}{item['id']}" + ("*" if item.get("pinned") else ""))
    return out


@pytest.mark.parametrize("ongoing, recent, alerts, counts, maintenance, lines, expected", [
    # an ongoing outage stays pinned on top however many newer alerts arrive
    ([incident(1, minutes=90)], [], [alert(10 + i, "SOC") for i in range(14)], {"SOC": 14}, [], 7,
     ["open1*", "alert10", "+13:SOC"]),
    # few alerts are listed one by one
    ([], [], [alert(1, "SOC"), alert(2, "wazuh")], {"SOC": 1, "wazuh": 1}, [], 7, ["alert1", "alert2"]),
    # many: the newest of each source, then "+N from <source>"
    ([], [], [alert(1, "SOC"), alert(2, "wazuh"), alert(3, "SOC"), alert(4, "SOC")], {"SOC": 3, "wazuh": 1}, [], 7,
     ["alert1", "+2:SOC", "alert2"]),
    # a source whose alerts are older than those read still gets its line
    ([], [], [alert(1, "SOC"), alert(2, "SOC")], {"SOC": 12, "probe": 5}, [], 7, ["alert1", "+11:SOC", "+5:probe"]),
    # maintenance after alerts; resolved incidents fill the lines left; an open one is not repeated
    ([incident(1)], [incident(1), incident(2, open_=False, minutes=60), incident(3, open_=False, minutes=120)], [], {}, [MAINT], 7,
     ["open1*", "maint", "closed2", "closed3"]),
    # more ongoing outages than lines: all lines are outages
    ([incident(i) for i in range(9)], [], [alert(1, "SOC")], {"SOC": 1}, [MAINT], 6,
     ["open0*", "open1*", "open2*", "open3*", "open4*", "open5*"]),
    # nothing happening
    ([], [], [], {}, [], 7, []),
])
def test_compose_feed(ongoing, recent, alerts, counts, maintenance, lines, expected):
    feed = compose_feed(ongoing, recent, alerts, counts, maintenance, lines)
    assert keys(feed) == expected
    assert len(feed) <= lines


def text_of(component) -> str:
    return json.dumps(component.to_plotly_json() if hasattr(component, "to_plotly_json") else [c.to_plotly_json() for c in component],
                      default=str, ensure_ascii=False)


def test_feed_lines_say_what_in_vietnamese_first():
    feed = compose_feed([incident(1)], [], [alert(i, "SOC") for i in range(5)], {"SOC": 13}, [MAINT], 7)
    rows = feed_items(feed, "vi", NOW, {"qlvb": "QLVB"})
    text = text_of(rows)
    assert "+12 cảnh báo từ SOC" in text
    assert "Bảo trì lúc 22:00 — DVC" in text
    assert "QLVB: HTTP 503" in text and "đang diễn ra" in text
    assert "is-pinned" in rows[0].className and rows[0].className.startswith("wall-feed-item feed-incident")
    assert "+12 alerts from SOC" in text_of(feed_items(feed, "en", NOW))


def test_gauges_are_two_labelled_numbers():
    coverage = {"required": 784, "verified": {"ok": 333, "total": 784, "percent": 42.5},
                "live": {"ok": 138, "total": 784, "percent": 17.6}, "target": 100.0}
    verified, live = gauges(coverage, "vi")
    assert verified.to_plotly_json()["props"]["data-key"] == "verified"
    assert "Đã tích hợp" in text_of(verified) and "333/784" in text_of(verified) and "42%" in text_of(verified)
    assert "Đang kết nối" in text_of(live) and "138/784" in text_of(live) and "18%" in text_of(live)


def test_tile_shows_the_short_name_big_and_one_cause():
    item = {"id": "qlvb", "name_vi": "Hệ thống quản lý văn bản và điều hành", "name_en": "Documents", "short_name": "QLVB",
            "status": "down", "stale": False, "status_since": NOW - timedelta(minutes=3), "last_check_at": NOW, "recent": False,
            "latency_ms": None, "reason": "[STATUS] == 200 — observed 503; [BODY].status == UP — observed DOWN",
            "short_cause": "HTTP 503", "endpoints": 1, "endpoints_down": 1}
    div = tile(item, "vi", NOW)
    by_class = {c.className: c for c in div.children}
    assert by_class["wall-tile-name"].children == "QLVB"
    assert by_class["wall-tile-fullname"].children == "Hệ thống quản lý văn bản và điều hành"
    assert by_class["wall-tile-reason"].children == "HTTP 503"  # the short cause when the read model gives one
    assert by_class["wall-tile-reason"].title == item["reason"]
    without = tile({**item, "short_cause": None}, "vi", NOW)
    assert {c.className: c for c in without.children}["wall-tile-reason"].children == item["reason"]
