"""The wall's offline province map (layouts/components/wall_map.py): a pure figure builder."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import plotly.graph_objects as go

from dashboard.domain import geo
from dashboard.domain.communes import province_units
from dashboard.readmodels.wall import NO_DATA
from layouts.components.wall_map import MARKERS, MAX_LABELS, attribution, label_positions, wall_map_figure

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)
RINGS = geo.read_outline(str(geo.PROVINCE_OUTLINE))


def places(states=None, agencies=11):
    states = states or {}
    communes = [
        {"id": f"unit-{u.code}", "code": u.code, "name_vi": u.name, "name_en": u.short_name, "kind": u.unit_type,
         "partner": "VNPT", "lat": u.lat, "lon": u.lon, "status": states.get(u.code, "up"), "endpoints": 1,
         "down": int(states.get(u.code) == "down"), "changed_at": NOW, "recent": False, "path": f"/units/{u.code}"}
        for u in province_units()
    ]
    depts = [{"id": f"dept-{i}", "code": None, "name_vi": f"Sở {i}", "name_en": f"Dept {i}", "kind": "department",
              "partner": None, "lat": geo.PROVINCIAL_CENTRE[0], "lon": geo.PROVINCIAL_CENTRE[1], "status": "up",
              "endpoints": 2, "down": 0, "changed_at": None, "recent": False, "path": f"/units/dept-{i}"} for i in range(agencies)]
    return communes + depts


def layer(figure, name):
    return [t for t in figure["data"] if (t.get("meta") or {}).get("layer") == name]


def test_outline_communes_agencies_and_data_centre_drawn_offline():
    figure = wall_map_figure(places({"21025": "down", "21028": "degraded", "21172": "maintenance"}), "vi", rings=RINGS,
                             data_centre={"status": "down", "systems": 8, "down": 1})
    go.Figure(figure)  # valid Plotly
    outline = layer(figure, "outline")
    assert len(outline) == 1 and outline[0]["fill"] == "toself"
    assert outline[0]["x"].count(None) == 3  # mainland, Lý Sơn and its islet
    assert sum(len(t["x"]) for t in layer(figure, "commune")) == 96
    assert sum(len(t["x"]) for t in layer(figure, "agency")) == 11
    assert len(layer(figure, "data_centre")) == 1
    assert {t["type"] for t in figure["data"]} == {"scatter"}  # no web map: no tiles, style or glyphs to fetch
    assert "http" not in json.dumps(figure)
    # the province keeps its shape and fits: fixed ranges, y scaled by 1/cos(lat), constrained
    assert figure["layout"]["yaxis"]["scaleanchor"] == "x" and figure["layout"]["xaxis"]["constrain"] == "domain"
    assert figure["layout"]["xaxis"]["range"][0] < 107.34 and figure["layout"]["xaxis"]["range"][1] > 109.14
    # the legend sits outside the plotting area (below it)
    assert figure["layout"]["legend"]["y"] <= 0 and figure["layout"]["legend"]["yanchor"] == "top"


def test_state_by_size_shape_and_label():
    figure = wall_map_figure(places({"21025": "down", "21028": "degraded"}), "vi", rings=RINGS)
    by_state = {t["meta"]["state"]: t for t in layer(figure, "commune")}
    assert by_state["down"]["marker"]["symbol"] == "x" and by_state["degraded"]["marker"]["symbol"] == "triangle-up"
    assert by_state["down"]["marker"]["size"] >= 2 * by_state["up"]["marker"]["size"]
    assert by_state["down"]["text"] == ["Phường Cẩm Thành"] and by_state["degraded"]["text"] == ["Phường Nghĩa Lộ"]
    assert "text" not in by_state["up"]  # healthy units carry no label
    assert by_state["down"]["textfont"]["size"] >= 24
    # the worst is drawn last (on top)
    assert [t["meta"]["state"] for t in layer(figure, "commune")][-1] == "down"
    assert by_state["down"]["name"] == "Gián đoạn (1)"


def test_labels_are_capped_with_a_count_of_the_rest():
    codes = [u.code for u in province_units()]
    figure = wall_map_figure(places({c: "unknown" for c in codes[:30]} | {codes[40]: "down"}), "vi", rings=RINGS)
    labels = [x for t in layer(figure, "commune") for x in (t.get("text") or []) if x]
    assert len(labels) == MAX_LABELS
    by_state = {t["meta"]["state"]: t for t in layer(figure, "commune")}
    assert by_state["down"]["text"][0]  # the worst is always named
    assert "+17" in figure["layout"]["annotations"][0]["text"]


def test_agencies_share_a_ring_on_land_and_security_rings_stay_small():
    figure = wall_map_figure(places(), "vi", rings=RINGS, data_centre={"status": "up", "systems": 8, "down": 0},
                             alert_places={"unit-21025": {"count": 40, "worst": "critical"}})
    agencies = layer(figure, "agency")[0]
    points = list(zip(agencies["y"], agencies["x"]))
    assert len(set(points)) == 11 and all(geo.inside(lon, lat, RINGS) for lat, lon in points)
    alerts = layer(figure, "alerts")[0]
    assert alerts["marker"]["size"] < 2 * MARKERS["down"][0]  # never bigger than an outage's cross
    assert alerts["hoverinfo"] == "skip"


def test_attribution_names_the_source_and_license():
    assert "geoBoundaries" in attribution("vi") and "CC BY-SA 4.0" in attribution("vi")
    assert "geoBoundaries" in attribution("en")


def test_no_data_units_are_drawn_small_and_not_labelled():
    figure = wall_map_figure(places({c.code: NO_DATA for c in province_units()[:5]}), "en", rings=RINGS)
    nodata = next(t for t in layer(figure, "commune") if t["meta"]["state"] == NO_DATA)
    assert len(nodata["x"]) == 5 and "text" not in nodata


def test_names_of_nearby_units_take_different_places():
    # two wards a few km apart (Kon Tum and Đăk Bla used to be written over each other)
    positions = label_positions([("a", 14.35, 108.0, 14), ("b", 14.33, 108.01, 15), ("c", 15.4, 107.6, 10)])
    assert positions["a"] != positions["b"]
    assert positions["c"] == "middle right"  # west of the centre: towards the inside
    assert label_positions([("east", 15.1, 108.8, 10)])["east"] == "middle left"
