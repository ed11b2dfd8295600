"""Pure pieces of the drill-down: figure builders, bucketing, CSV text, grid
filters, page sections. No database, no server."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from dashboard.readmodels.detail import bounded_excerpt, bucket_raw, certificate_view, history_csv_text, rollup_points
from layouts.components.dependency_graph import dependency_figure, graph_layout, spread
from layouts.components.detail_sections import check_strip, format_duration, results_table, uptime_percent
from layouts.components.history_charts import STATUS_COLORS, availability_figure, latency_figure
from layouts.components.systems_grid import filter_rows, grid_rows

T0 = datetime(2026, 11, 27, 0, 0, tzinfo=timezone.utc)


def deps(link_status: str = "down", upstream_status: str = "up") -> dict:
    return {
        "center": {"id": "lgsp", "label_vi": "Nền tảng LGSP", "label_en": "LGSP", "status": "degraded"},
        "platforms": [
            {"id": "lgsp.ndxp", "label_vi": "NDXP", "label_en": "NDXP", "status": link_status, "reason": "observed disconnected",
             "href": "/links/lgsp.ndxp"},
            {"id": "lgsp.dvc", "label_vi": "Cổng DVC", "label_en": "Public service portal", "status": "up", "reason": None,
             "href": "/links/lgsp.dvc"},
        ],
        "upstream": [{"id": "sys:data", "label_vi": "Dữ liệu", "label_en": "Data", "status": upstream_status, "href": "/systems/data"}],
        "downstream": [],
    }


def edge_trace(figure, edge_id: str):
    return next(trace for trace in figure.data if trace.name == f"edge:{edge_id}")


# ------------------------------------------------------------------------------ dependency graph


def test_spread_places_values_evenly():
    assert spread(0, -1, 1) == []
    assert spread(1, -1, 1) == [0.0]  # one value: the middle
    assert spread(3, -1, 1) == [-1.0, 0.0, 1.0]


def test_graph_layout_puts_platforms_above_and_upstream_systems_left():
    layout = graph_layout(deps())
    nodes = {n["id"]: n for n in layout["nodes"]}
    assert (nodes["lgsp"]["x"], nodes["lgsp"]["y"]) == (0.0, 0.0)
    assert nodes["lgsp.ndxp"]["y"] > 0 and nodes["lgsp.dvc"]["y"] > 0
    assert nodes["sys:data"]["x"] < 0 and nodes["lgsp.ndxp"]["x"] != nodes["lgsp.dvc"]["x"]
    assert {e["id"]: e["status"] for e in layout["edges"]} == {"lgsp.ndxp": "down", "lgsp.dvc": "up", "sys:data": "up"}


def test_the_failing_link_is_the_red_thick_edge():
    figure = dependency_figure(deps("down"), "vi")
    failing, healthy = edge_trace(figure, "lgsp.ndxp"), edge_trace(figure, "lgsp.dvc")
    assert failing.line.color == STATUS_COLORS["down"]
    assert healthy.line.color == STATUS_COLORS["up"]
    assert failing.line.width > healthy.line.width
    # The state is also written as a glyph on the edge, not by colour alone.
    states = next(trace for trace in figure.data if trace.name == "edge-states")
    assert list(states.text) == ["✖", "●", "●"]


def test_dependency_figure_recolours_when_the_link_recovers_and_speaks_english():
    figure = dependency_figure(deps("up", upstream_status="degraded"), "en")
    assert edge_trace(figure, "lgsp.ndxp").line.color == STATUS_COLORS["up"]
    assert edge_trace(figure, "sys:data").line.color == STATUS_COLORS["degraded"]
    labels = next(trace for trace in figure.data if trace.name == "nodes").text
    assert "Public service portal" in labels and "LGSP" in labels


def test_dependency_figure_of_a_system_without_links_has_only_its_node():
    figure = dependency_figure({"center": {"id": "x", "label_vi": "X", "label_en": "X", "status": "up"},
                                "platforms": [], "upstream": [], "downstream": []})
    assert [trace.name for trace in figure.data] == ["nodes"]


# ------------------------------------------------------------------------------ history


def raw(minute: int, verdict: str, latency: float | None, missed: bool = False, maintenance: bool = False):
    return (T0 + timedelta(minutes=minute, seconds=10), verdict, latency, missed, maintenance)


def test_bucket_raw_counts_uptime_and_latency_per_bucket():
    rows = [raw(0, "up", 100), raw(0, "up", 300), raw(0, "down", 5000), raw(0, "unknown", None, missed=True),
            raw(2, "up", 50), raw(2, "down", None, maintenance=True)]
    first, second = bucket_raw(rows, T0, 60)
    assert first["t"] == T0 and second["t"] == T0 + timedelta(minutes=2)
    assert (first["checks"], first["failures"], first["missed"]) == (3, 1, 1)
    assert first["uptime"] == pytest.approx(66.667, abs=0.001)
    assert first["latency_max_ms"] == 5000 and first["latency_p95_ms"] == 5000
    assert second["maintenance"] == 1 and second["uptime"] == 100.0  # maintenance does not count against uptime


def test_rollup_points_are_sorted_and_carry_uptime():
    rows = [(T0 + timedelta(days=1), 100, 0, 0, 0, 0, 20.0, 40.0, 90.0), (T0, 100, 10, 2, 0, 0, 25.0, 50.0, 99.0)]
    points = rollup_points(rows)
    assert [p["t"] for p in points] == [T0, T0 + timedelta(days=1)]
    assert points[0]["uptime"] == 90.0 and points[1]["uptime"] == 100.0


def points(values: list[tuple[float | None, float | None, float | None]]) -> list[dict]:
    return [{"t": T0 + timedelta(hours=i), "latency_avg_ms": a, "latency_p95_ms": p, "uptime": u, "failures": 0 if u in (None, 100) else 1}
            for i, (a, p, u) in enumerate(values)]


def test_latency_figure_draws_avg_and_p95_per_endpoint_in_vietnam_time():
    series = {"API gateway": points([(10, 20, 100), (12, 40, 100)]), "Link": points([(5, 6, 50), (None, None, None)])}
    figure = latency_figure(series, "vi")
    names = [trace.name for trace in figure.data]
    assert names == ["API gateway · trung bình", "API gateway · p95", "Link · trung bình", "Link · p95"]
    assert list(figure.data[1].y) == [20, 40]
    assert figure.data[1].line.dash == "dot"
    assert figure.data[0].x[0] == datetime(2026, 11, 27, 7, 0)  # UTC+7, shown without an offset
    assert not figure.layout.annotations


def test_availability_figure_marks_failing_buckets_and_says_when_empty():
    figure = availability_figure({"API": points([(1, 1, 100), (1, 1, 50)])}, "en")
    line, failing = figure.data
    assert list(line.y) == [100, 50]
    assert (list(failing.y), failing.marker.color) == ([50], STATUS_COLORS["down"])  # only the failing bucket
    assert tuple(figure.layout.yaxis.range) == (0, 100.5)
    empty = availability_figure({"API": []}, "en")
    assert empty.layout.annotations[0].text == "No data in this range"


def test_history_csv_text_writes_iso_times_and_escapes_commas():
    text = history_csv_text("raw", [{"endpoint_id": "lgsp.health", "checked_at": T0, "verdict": "down", "latency_ms": 12.5,
                                     "http_code": 503, "reason": 'a, "quoted" reason', "missed": False, "maintenance": False}])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows == [{"endpoint_id": "lgsp.health", "checked_at": "2026-11-27T00:00:00Z", "verdict": "down", "latency_ms": "12.5",
                     "http_code": "503", "reason": 'a, "quoted" reason', "missed": "False", "maintenance": "False"}]
    header = history_csv_text("day", []).splitlines()[0]
    assert header.startswith("endpoint_id,bucket_start,checks,failures")


# ------------------------------------------------------------------------------ sections


def test_bounded_excerpt_and_certificate_days_left():
    assert bounded_excerpt(None) is None
    assert bounded_excerpt("x" * 600, 500) == "x" * 500 + "… (+100)"
    cert = certificate_view({"certificate": {"subject": "CN=lgsp", "not_after": "2026-12-27T00:00:00Z", "days_left": 99}}, T0)
    assert cert["days_left"] == 30.0  # recomputed for now, not the value stored at check time
    assert certificate_view({"url": "x"}, T0) is None


def test_results_table_shows_the_response_as_text_never_html():
    check = {"checked_at": "2026-11-27T00:00:00Z", "verdict": "down", "latency_ms": 3.0, "http_code": 503,
             "reason": "[STATUS] == 200 — observed 503", "excerpt": "<script>alert(1)</script>", "maintenance": False}
    table = results_table([check], "vi")
    pre = _find(table, lambda c: type(c).__name__ == "Pre")
    assert pre.children == "<script>alert(1)</script>"  # a text child: Dash escapes it
    assert "dangerously_allow_html" not in repr(table)


def test_check_strip_is_oldest_first_and_coloured_by_verdict():
    checks = [{"checked_at": "2026-11-27T00:00:02Z", "verdict": "down", "latency_ms": 1, "reason": "503"},
              {"checked_at": "2026-11-27T00:00:01Z", "verdict": "up", "latency_ms": 1, "reason": "ok", "maintenance": True}]
    cells = check_strip(checks, "vi").children
    assert [c.className for c in cells] == ["check-cell status-maintenance", "check-cell status-down"]


def test_durations_and_percentages_read_naturally():
    assert format_duration(3 * 3600 + 25 * 60 + 9, "vi") == "3 giờ 25 phút"
    assert format_duration(2 * 86400 + 5, "en") == "2 d 5 s"
    assert format_duration(0, "en") == "0 s"
    assert uptime_percent(None) == "—"
    assert uptime_percent(99.95) == "99,95 %" and uptime_percent(99.95, "en") == "99.95 %"
    assert uptime_percent(100.0) == "100 %"
    assert uptime_percent(87.25, "vi") == "87,2 %"


# ------------------------------------------------------------------------------ grid


ROWS = [
    {"key": "system:lgsp", "id": "lgsp", "type": "system", "status": "down", "owner_id": "skhcn", "partner": "VNPT", "kind": "system",
     "name_vi": "LGSP vi", "name_en": "LGSP en", "system_vi": "LGSP vi", "system_en": "LGSP en", "owner_vi": "Sở KH&CN",
     "owner_en": "DoST", "reason": None, "last_check_at": None, "href": "/systems/lgsp"},
    {"key": "endpoint:lgsp.health", "id": "lgsp.health", "type": "endpoint", "status": "up", "owner_id": "skhcn", "partner": "VNPT", "kind": "http",
     "name_vi": "API", "name_en": "API", "system_vi": "LGSP vi", "system_en": "LGSP en", "owner_vi": "Sở KH&CN",
     "owner_en": "DoST", "reason": "HTTP 200", "last_check_at": "2026-11-27T00:00:00Z", "href": "/endpoints/lgsp.health"},
    {"key": "link:qlvb.axis", "id": "qlvb.axis", "type": "link", "status": "up", "owner_id": "vp", "partner": "Viettel", "kind": "link",
     "name_vi": "Trục", "name_en": "Axis", "system_vi": "QLVB", "system_en": "Docs", "owner_vi": "VP", "owner_en": "Office",
     "reason": None, "last_check_at": None, "href": "/links/qlvb.axis"},
]


@pytest.mark.parametrize("filters, expected", [
    ({}, ["system:lgsp", "endpoint:lgsp.health", "link:qlvb.axis"]),
    ({"statuses": ["down"]}, ["system:lgsp"]),
    ({"owners": ["vp"]}, ["link:qlvb.axis"]),
    ({"partners": ["VNPT"], "kinds": ["http"]}, ["endpoint:lgsp.health"]),
    ({"types": ["link", "system"]}, ["system:lgsp", "link:qlvb.axis"]),
    ({"statuses": ["up"], "partners": ["FPT"]}, []),
])
def test_filter_rows(filters, expected):
    assert [r["key"] for r in filter_rows(ROWS, **filters)] == expected


def test_grid_rows_translate_and_order_status_by_severity():
    vi, en = grid_rows(ROWS, "vi"), grid_rows(ROWS, "en")
    assert vi[0]["status"] == "✖ Gián đoạn" and en[0]["status"] == "✖ Down"
    assert vi[0]["type"] == "Hệ thống" and en[2]["type"] == "Link" and en[2]["name"] == "Axis"
    assert vi[0]["status_order"] < vi[1]["status_order"]
    assert vi[1]["last_check"] == "27/11/2026 07:00:00"


def _find(component, predicate):
    if predicate(component):
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            found = _find(child, predicate)
            if found is not None:
                return found
    return None


def test_history_charts_span_the_whole_range_asked_for():
    from datetime import datetime, timedelta, timezone

    from layouts.components.history_charts import availability_figure, latency_figure

    now = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)
    points = [{"t": now - timedelta(seconds=30), "uptime": 50.0, "failures": 1, "latency_avg_ms": 3.0, "latency_p95_ms": 4.0}]
    window = (now - timedelta(hours=24), now)
    for figure in (availability_figure({"a": points}, window=window), latency_figure({"a": points}, window=window)):
        start, end = figure.layout.xaxis.range
        assert str(start).startswith("2026-11-26 09:00") and str(end).startswith("2026-11-27 09:00")  # UTC+7


def test_maintenance_start_is_typed_day_first_in_24_hours():
    # Before: the browser's own datetime field (mm/dd/yyyy, AM/PM on an English system).
    from datetime import datetime

    from dashboard.i18n import VN_TZ
    from layouts.drilldown import parse_local

    assert parse_local("27/11/2026 22:00") == datetime(2026, 11, 27, 22, 0, tzinfo=VN_TZ)
    assert parse_local("2026-11-27T22:00") == datetime(2026, 11, 27, 22, 0, tzinfo=VN_TZ)  # as the API writes it
    assert parse_local("11/27/2026 10:00 PM") is None and parse_local("") is None
