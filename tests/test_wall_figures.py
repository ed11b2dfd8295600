"""Pure builders of the wall: the province map, the 24 h charts, tiles, banner and rotation."""
from __future__ import annotations

import json
from datetime import timedelta

import plotly.graph_objects as go
import pytest

from collectors.timeutil import utcnow
from dashboard.domain import geo
from dashboard.domain.communes import province_units
from dashboard.domain.uptime import floor_hour
from dashboard.i18n import local_time
from dashboard.readmodels.wall import NO_DATA
from layouts.components import wall_charts
from layouts.components.province_map import place_positions, province_map_figure

NOW = utcnow()


def commune_places(states=None):
    states = states or {}
    return [
        {"id": f"unit-{u.code}", "code": u.code, "name_vi": u.name, "name_en": u.short_name, "kind": u.unit_type,
         "partner": "VNPT", "lat": u.lat, "lon": u.lon, "status": states.get(u.code, NO_DATA), "endpoints": 1 if u.code in states else 0,
         "down": int(states.get(u.code) == "down"), "changed_at": NOW if u.code in states else None,
         "recent": u.code in states, "path": f"/units/{u.code}"}
        for u in province_units()
    ]


def agency_places(n=11):
    return [{"id": f"dept-{i}", "code": None, "name_vi": f"Sở {i}", "name_en": f"Dept {i}", "kind": "department", "partner": None,
             "lat": None, "lon": None, "status": "up", "endpoints": 2, "down": 0, "changed_at": None, "recent": False,
             "path": f"/units/dept-{i}"} for i in range(n)]


def layer_points(figure, layer):
    return sum(len(trace.lat) for trace in figure.data if (trace.meta or {}).get("layer") == layer)


def test_map_has_96_communes_agencies_and_the_data_centre_offline():
    places = commune_places({"21025": "down", "21028": "maintenance", "21172": "up"}) + agency_places()
    figure = province_map_figure(places, "vi", data_centre={"status": "down", "systems": 7, "down": 1})
    assert layer_points(figure, "commune") == 96
    assert layer_points(figure, "agency") == 11
    assert layer_points(figure, "data_centre") == 1
    assert {trace.type for trace in figure.data} == {"scattermap"}
    assert {trace.mode for trace in figure.data} == {"markers"}  # a text mode would fetch glyph fonts
    assert figure.layout.map.style == "white-bg"  # the tile-less style: nothing to fetch
    assert [layer.type for layer in figure.layout.map.layers] == ["fill"]  # the dark ground, inline
    assert "http" not in json.dumps(figure.to_plotly_json())  # nothing to fetch from a CDN
    by_state = {trace.meta["state"]: trace for trace in figure.data if (trace.meta or {}).get("layer") == "commune"}
    assert by_state["down"].marker.color == "#ff4d4f"
    assert by_state[NO_DATA].name == "Không có dữ liệu (93)"
    assert list(by_state["down"].customdata) == ["/units/21025"]
    assert "Phường Cẩm Thành" in by_state["down"].hovertext[0] and "Gián đoạn" in by_state["down"].hovertext[0]


def test_map_marks_maintenance_and_recent_changes():
    places = commune_places({"21025": "down", "21028": "maintenance"})
    figure = province_map_figure(places, "en")
    halos = [t for t in figure.data if t.meta["layer"] == "halo"]
    rings = [t for t in figure.data if t.meta["layer"] == "ring"]
    assert len(halos) == 1 and len(halos[0].lat) == 2  # both changed just now
    assert len(rings) == 1 and len(rings[0].lat) == 1  # the one in maintenance
    assert halos[0].hoverinfo == "skip" and rings[0].hoverinfo == "skip"
    names = {t.name for t in figure.data if t.meta["layer"] == "commune"}
    assert names == {"Down (1)", "Maintenance (1)", "No data (94)"}


def test_optional_tiles_and_boundary_layers():
    figure = province_map_figure(commune_places(), tiles_url="http://tiles.ioc.local/{z}/{x}/{y}.png",
                                 boundary_url="/api/map/boundary.geojson")
    layers = figure.layout.map.layers
    assert [layer.sourcetype for layer in layers] == ["geojson", "raster", "geojson"]
    assert list(layers[1].source) == ["http://tiles.ioc.local/{z}/{x}/{y}.png"]
    assert layers[2].source == "/api/map/boundary.geojson" and layers[2].type == "line"
    assert len(province_map_figure(commune_places()).layout.map.layers) == 1


def test_agencies_without_coordinates_get_distinct_places_on_land():
    places = agency_places(12) + commune_places()[:3]
    positions = place_positions(places)
    ring = [positions[f"dept-{i}"] for i in range(12)]
    assert len(set(ring)) == 12
    assert positions["unit-21025"] == (15.1135, 108.812)
    # around the provincial centre, never in the sea (they used to sit on an arc east of the coast)
    rings = geo.read_outline(str(geo.PROVINCE_OUTLINE))
    assert all(geo.inside(lon, lat, rings) for lat, lon in ring)


def test_charts_build_from_read_models():
    current = floor_hour(NOW)
    hours = [current - timedelta(hours=23 - i) for i in range(24)]
    data = {"hours": hours, "series": {"lgsp": {"availability": [None] * 23 + [99.5], "latency_ms": [None] * 23 + [120.0]}}}
    systems = [{"id": "lgsp", "name_vi": "Nền tảng LGSP", "name_en": "LGSP"}, {"id": "qlvb", "name_vi": "QLVB", "name_en": "Docs"}]
    heat = go.Figure(wall_charts.availability_figure(data, systems, "vi"))  # plain dicts: validate them here
    # every system has a row, even one without results yet
    assert heat.data[0].type == "heatmap" and list(heat.data[0].y) == ["Nền tảng LGSP", "QLVB"]
    # cells centred on the half hour, in Vietnam time; the axis runs to the end of the current hour
    assert heat.data[0].x[-1] == (current + timedelta(hours=7, minutes=30)).replace(tzinfo=None)
    assert list(heat.layout.xaxis.range)[1] == (current + timedelta(hours=8)).replace(tzinfo=None)
    lines = go.Figure(wall_charts.latency_figure(data, systems, "en"))
    assert [t.name for t in lines.data] == ["LGSP"]
    assert lines.layout.xaxis.range == heat.layout.xaxis.range and lines.layout.margin.l == heat.layout.margin.l
    empty = go.Figure(wall_charts.availability_figure({"hours": hours, "series": {}}, systems, "vi"))
    assert empty.layout.annotations[0].text == "Chưa có dữ liệu theo giờ."
    timeline = go.Figure(wall_charts.timeline_figure([
        {"id": "qlvb", "name_vi": "QLVB", "name_en": "Docs", "segments": [
            {"status": "up", "start": NOW - timedelta(hours=24), "end": NOW - timedelta(hours=1)},
            {"status": "down", "start": NOW - timedelta(hours=1), "end": NOW}]},
    ], "vi"))
    by_name = {t.name: t for t in timeline.data}
    assert set(by_name) == {"Hoạt động", "Gián đoạn"}
    assert by_name["Gián đoạn"].x[0] == pytest.approx(3600_000)


def test_rotation_order():
    from layouts.components.wall_parts import rotation

    pages = ("/wall", "/wall/map", "/wall/charts")
    assert rotation("/wall", pages) == "/wall/map"
    assert rotation("/wall/charts", pages) == "/wall"
    assert rotation("/wall/map", ()) is None
    assert rotation("/wall", ("/wall",)) is None
    assert rotation("/wall/map", ("/wall",)) == "/wall"


def test_tile_banner_and_gauge():
    from layouts.components.wall_parts import banner, gauge, tile

    item = {"id": "qlvb", "name_vi": "Quản lý văn bản", "name_en": "Documents", "status": "down", "stale": False,
            "status_since": NOW - timedelta(minutes=3), "last_check_at": NOW, "recent": True, "latency_ms": None,
            "reason": "HTTP 503", "endpoints": 2, "endpoints_down": 1}
    div = tile(item, "vi", NOW)
    assert div.className == "wall-tile tile-down is-recent"
    text = json.dumps(div.to_plotly_json(), default=str, ensure_ascii=False)
    assert "Gián đoạn" in text and "Từ " + local_time(NOW - timedelta(minutes=3))[:5] in text and "HTTP 503" in text
    assert banner({"stale": False, "reasons": [], "last_data_at": NOW}, "vi") is None
    stale = banner({"stale": True, "reasons": ["scheduler"], "last_data_at": NOW}, "vi")
    assert "DỮ LIỆU KHÔNG CÒN CẬP NHẬT" in json.dumps(stale.to_plotly_json(), default=str, ensure_ascii=False)
    never = banner({"stale": True, "reasons": ["scheduler", "no_results"], "last_data_at": None}, "vi")
    assert "Chưa có kết quả kiểm tra nào." in json.dumps(never.to_plotly_json(), default=str, ensure_ascii=False)
    down = banner({}, "en", database_down=True)
    assert "The database is unreachable." in json.dumps(down.to_plotly_json(), default=str)
    assert gauge("x", {"ok": 1, "total": 2, "percent": 50.0}, "1/2", "verified")._prop_names  # builds


def test_map_metric_latency_colours_communes_by_their_slowest_answer():
    places = commune_places({"21025": "up", "21028": "up", "21172": "down"})
    latency = {"unit-21025": 120.0, "unit-21028": 650.0, "unit-21172": 2500.0}
    for p in places:
        p["latency_ms"] = latency.get(p["id"])
    figure = province_map_figure(places, "vi", metric="latency")
    bands = {t.meta["band"]: t for t in figure.data if t.meta["layer"] == "commune"}
    assert set(bands) == {"latency.fast", "latency.slow", "latency.very_slow", NO_DATA}
    assert list(bands["latency.very_slow"].customdata) == ["/units/21172"]
    assert bands["latency.fast"].name == "Độ trễ dưới 300 ms (1)" and bands["latency.fast"].marker.color == "#2fbf71"
    assert "Độ trễ: 650 ms" in bands["latency.slow"].hovertext[0]
    assert sum(len(t.lat) for t in bands.values()) == 96


def test_charts_use_short_names_and_at_most_eight_colours():
    current = floor_hour(NOW)
    hours = [current - timedelta(hours=23 - i) for i in range(24)]
    systems = [{"id": f"s{i}", "name_vi": f"Hệ thống thông tin rất dài số {i}", "name_en": f"System {i}", "short_name": f"HT{i}"}
               for i in range(10)]
    data = {"hours": hours, "series": {f"s{i}": {"availability": [99.0] * 24, "latency_ms": [float(i)] * 24} for i in range(10)}}
    heat = wall_charts.availability_figure(data, systems, "vi")
    assert heat["data"][0]["y"] == [f"HT{i}" for i in range(10)]
    lines = wall_charts.latency_figure(data, systems, "vi")["data"]
    assert len(lines) == 8 and {t["name"] for t in lines} == {f"HT{i}" for i in range(2, 10)}  # the slowest eight
    assert len({t["line"]["color"] for t in lines}) == 8
    timeline = wall_charts.timeline_figure([{**systems[0], "segments": [{"status": "up", "start": NOW - timedelta(hours=24), "end": NOW}]}],
                                           "vi", hours=hours)
    assert timeline["layout"]["xaxis"]["range"] == heat["layout"]["xaxis"]["range"]
    assert timeline["data"][0]["y"] == ["HT0"]
