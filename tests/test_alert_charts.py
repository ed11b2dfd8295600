"""Pure figure and widget builders of the security alerts."""
from __future__ import annotations

import plotly.graph_objects as go

from layouts.components.alert_charts import (
    SEVERITY_COLOURS,
    alert_marker_trace,
    alert_signature,
    critical_alerts_panel,
    open_by_figure,
    severity_over_time_figure,
    with_alert_markers,
)

PLACES = {"unit-21025": {"count": 3, "worst": "critical", "lat": 15.11, "lon": 108.81, "name_vi": "Phường Cẩm Thành", "name_en": "Cam Thanh"},
          "cong-an": {"count": 1, "worst": "medium", "lat": None, "lon": None, "name_vi": "Công an tỉnh", "name_en": "Police"}}


def test_markers_use_worst_severity_and_map_positions_for_agencies_without_coordinates():
    trace = alert_marker_trace(PLACES, "vi", {"cong-an": (15.2, 109.0)})
    assert list(trace.customdata) == ["unit-21025", "cong-an"]
    assert list(trace.lat) == [15.11, 15.2] and list(trace.marker.color) == [SEVERITY_COLOURS["critical"], SEVERITY_COLOURS["medium"]]
    assert trace.marker.size[0] > trace.marker.size[1]
    assert "Phường Cẩm Thành: 3 (Nghiêm trọng)" == trace.hovertext[0]
    assert alert_marker_trace(PLACES, "vi").lat == (15.11,)  # no position known: not drawn


def test_alert_layer_goes_under_the_places_and_changes_the_signature():
    figure = go.Figure([go.Scattermap(lat=[15.11], lon=[108.81], meta={"layer": "commune"})])
    places = [{"id": "unit-21025", "kind": "ward", "lat": 15.11, "lon": 108.81}]
    with_alert_markers(figure, places, PLACES, "en")
    assert [t.meta["layer"] for t in figure.data] == ["alerts", "commune"]
    assert with_alert_markers(go.Figure(), places, {}, "en").data == ()
    assert alert_signature(PLACES) != alert_signature({**PLACES, "cong-an": {**PLACES["cong-an"], "count": 2}})


def test_charts_and_wall_panel():
    rows = [{"day": "2026-11-26", "critical": 1, "high": 0, "medium": 2, "low": 0, "info": 0}]
    assert sum(sum(bar.y) for bar in severity_over_time_figure(rows, "vi").data) == 3
    by = [{"id": "dvc", "name_vi": "Cổng dịch vụ công của tỉnh Quảng Ngãi (rất dài)", "name_en": "DVC", "total": 2,
           "critical": 1, "high": 1, "medium": 0, "low": 0, "info": 0}]
    figure = open_by_figure(by, "vi")
    assert figure.data[0].y[0].endswith("…") and len(figure.data[0].y[0]) == 28
    item = {"id": 7, "severity": "critical", "at": None, "title_vi": "<script>x</script>", "title_en": "e", "text": "t", "href": "/alerts/7"}
    panel = critical_alerts_panel([item], "vi")
    assert "<script>x</script>" in str(panel.to_plotly_json())  # a plain string child, rendered as text


def test_demo_alerts_are_valid_payloads_naming_known_places():
    import random

    from dashboard.alerts.ingest import AlertPayload
    from dashboard.demo.alert_feed import DemoAlertFeed, demo_alert
    from dashboard.demo.network import SYSTEM_IDS

    rng = random.Random(1)
    sources, categories = set(), set()
    for _ in range(300):
        source, payload = demo_alert(rng, ["unit-21025", "unit-21028"], ["cong-an", "syt"])
        item = AlertPayload.model_validate(payload)
        assert source in DemoAlertFeed.SOURCES
        assert item.system is None or item.system in SYSTEM_IDS
        assert item.agency is None or item.agency in {"unit-21025", "unit-21028", "cong-an", "syt"}
        sources.add(source)
        categories.add(item.category)
    assert sources == set(DemoAlertFeed.SOURCES)
    assert {"malware", "botnet", "brute_force", "data_leak", "phishing"} <= categories
