"""The commune map coloured by plan progress: pure figure builder.

Tile-less MapLibre (`white-bg`) with markers only: no network needed (see DESIGN.md)."""
from __future__ import annotations

import plotly.graph_objects as go

from dashboard.i18n import t

# red (behind) -> amber -> green (done)
PROGRESS_COLORSCALE = [[0.0, "#c1121f"], [0.5, "#e9a400"], [1.0, "#198754"]]
NO_PLAN_COLOR = "#adb5bd"


def progress_map_figure(
    points: list[dict], lang: str = "vi", height: int = 520, *, tiles_url: str | None = None, boundary_url: str | None = None
) -> go.Figure:
    """`points`: dicts with lat, lon, name_vi, name_en, percent, has_plan, overdue, partner.
    `tiles_url` (a raster tile template) and `boundary_url` (a GeoJSON served by this app) are
    the optional backgrounds of the settings IOC_MAP_TILES_URL / IOC_MAP_BOUNDARY_GEOJSON."""
    name = "name_en" if lang == "en" else "name_vi"
    with_plan = [p for p in points if p.get("has_plan")]
    without = [p for p in points if not p.get("has_plan")]
    figure = go.Figure()
    if with_plan:
        figure.add_trace(go.Scattermap(
            lat=[p["lat"] for p in with_plan],
            lon=[p["lon"] for p in with_plan],
            mode="markers",
            marker=dict(
                size=13, color=[p["percent"] for p in with_plan], colorscale=PROGRESS_COLORSCALE, cmin=0, cmax=100,
                colorbar=dict(title=dict(text="%"), thickness=12, len=0.7),
            ),
            customdata=[[p[name], p["percent"], p.get("overdue", 0), p.get("partner") or "—"] for p in with_plan],
            hovertemplate=(
                "<b>%{customdata[0]}</b><br>" + t("col.percent", lang) + ": %{customdata[1]:.0f}%<br>"
                + t("col.overdue", lang) + ": %{customdata[2]}<br>" + t("col.partner", lang) + ": %{customdata[3]}<extra></extra>"
            ),
            name=t("progress.map", lang),
            showlegend=False,
        ))
    if without:
        figure.add_trace(go.Scattermap(
            lat=[p["lat"] for p in without], lon=[p["lon"] for p in without], mode="markers",
            marker=dict(size=10, color=NO_PLAN_COLOR),
            customdata=[[p[name]] for p in without],
            hovertemplate="<b>%{customdata[0]}</b><br>" + t("no_plan", lang) + "<extra></extra>",
            name=t("no_plan", lang), showlegend=True,
        ))
    lats = [p["lat"] for p in points] or [15.1]
    lons = [p["lon"] for p in points] or [108.4]
    layers = []
    if tiles_url:
        layers.append({"sourcetype": "raster", "source": [tiles_url], "below": "traces", "opacity": 0.55})
    if boundary_url:
        layers.append({"sourcetype": "geojson", "source": boundary_url, "type": "line", "color": "#6c757d", "line": {"width": 1.2}, "below": "traces"})
    figure.update_layout(
        map=dict(
            style="white-bg",
            layers=layers,
            center=dict(lat=(min(lats) + max(lats)) / 2, lon=(min(lons) + max(lons)) / 2),
            zoom=_zoom(lats, lons),
        ),
        margin=dict(l=0, r=0, t=0, b=0),
        height=height,
        paper_bgcolor="#ffffff",
        legend=dict(x=0.01, y=0.01, bgcolor="rgba(255,255,255,.8)"),
    )
    return figure


def _zoom(lats: list[float], lons: list[float]) -> float:
    span = max(max(lats) - min(lats), max(lons) - min(lons), 0.05)
    # ~360/2**zoom degrees per 512 px of map width; aim for the span to fill most of it.
    for zoom in (10, 9.5, 9, 8.5, 8, 7.5, 7, 6.5, 6):
        if span * 1.25 <= 360 / 2 ** zoom * 1.5:
            return zoom
    return 6
