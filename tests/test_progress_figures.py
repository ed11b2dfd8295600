"""Pure figure builders of the leadership pages."""
from __future__ import annotations

from datetime import date

from layouts.components.progress_charts import category_bars, percent_bars, trend_line
from layouts.components.progress_map import progress_map_figure

POINTS = [
    {"id": "unit-1", "name_vi": "Xã A", "name_en": "A Commune", "lat": 15.1, "lon": 108.8, "percent": 20.0, "has_plan": True, "overdue": 2, "partner": "VNPT"},
    {"id": "unit-2", "name_vi": "Phường B", "name_en": "B Ward", "lat": 14.4, "lon": 107.9, "percent": 95.0, "has_plan": True, "overdue": 0, "partner": "FPT"},
    {"id": "unit-3", "name_vi": "Xã C", "name_en": "C Commune", "lat": 14.9, "lon": 108.2, "percent": 0.0, "has_plan": False},
]


def test_progress_map_is_offline_markers_coloured_by_percent():
    figure = progress_map_figure(POINTS, "vi")
    assert figure.layout.map.style == "white-bg"  # no tiles, no CDN style
    assert all(trace.type == "scattermap" and trace.mode == "markers" for trace in figure.data)  # no text mode: no glyph fetch
    planned, unplanned = figure.data
    assert list(planned.marker.color) == [20.0, 95.0]
    assert (planned.marker.cmin, planned.marker.cmax) == (0, 100)
    assert planned.customdata[0][0] == "Xã A"
    assert len(unplanned.lat) == 1 and unplanned.name == "chưa có kế hoạch"
    assert 14.4 < figure.layout.map.center.lat < 15.1
    assert not figure.layout.map.layers


def test_progress_map_optional_layers_and_english():
    figure = progress_map_figure(POINTS, "en", tiles_url="http://tiles.local/{z}/{x}/{y}.png", boundary_url="/api/map/boundary.geojson")
    assert [layer.sourcetype for layer in figure.layout.map.layers] == ["raster", "geojson"]
    assert figure.data[0].customdata[1][0] == "B Ward"
    assert "Done" in figure.data[0].hovertemplate


def test_charts():
    bars = percent_bars(["VNPT", "FPT"], [80.0, 30.0])
    assert list(bars.data[0].x) == [80.0, 30.0] and bars.data[0].marker.color == ("#198754", "#c1121f")
    assert list(category_bars([{"category": "tich_hop", "percent": 50.0}], "en").data[0].y) == ["Integration with a national platform"]
    line = trend_line([(date(2026, 11, 2), None), (date(2026, 11, 9), 40.0), (date(2026, 11, 16), 55.0)], target=100)
    assert list(line.data[0].y) == [40.0, 55.0]  # weeks before any data are left out
    assert list(line.data[1].y) == [100, 100]


def test_bars_answer_at_a_glance():
    bars = percent_bars(["VNPT", "FPT", "Viettel"], [84.5, 0.0, 100.0], lang="vi", target=90)
    bar = bars.data[0]
    assert bars.layout.xaxis.range[1] >= 100 and 100 in bars.layout.xaxis.tickvals  # the axis reaches 100 %
    assert any(shape.x0 == 100 and shape.x1 == 100 for shape in bars.layout.shapes)  # the 100 % reference line
    assert list(bar.text) == ["84,5%", "0%", "100%"] and bar.textposition == "outside"  # a number on every bar, decimal comma
    assert list(bar.marker.color) == ["#c1121f", "#c1121f", "#198754"]  # red = behind the target
    assert list(percent_bars(["A"], [12.5], lang="en").data[0].text) == ["12.5%"]


def test_the_agency_table_says_its_percent_is_an_average_beside_the_finished_count():
    """58 % beside 0/9 reads as a contradiction unless the headers say which is which."""
    from dashboard.plans.progress import AgencyProgress
    from layouts.components.leadership_tables import agency_table

    row = AgencyProgress("unit-1", "Xã A", "Commune A", "commune", "VNPT", True, 58.0, 9, 0, 1, 2)
    for lang, average, finished in (("vi", "Tiến độ bình quân", "Nhiệm vụ đã xong / tổng số"), ("en", "Average progress", "Tasks finished / total")):
        table = agency_table([row], lang)
        headers = table.children[0].children.children
        texts = [h.children for h in headers]
        assert texts[2] == average and texts[3] == finished
        assert "100%" in headers[2].title  # the tooltip says when a task counts as finished
        cells = table.children[1].children[0].children
        assert cells[3].children == "0/9"
