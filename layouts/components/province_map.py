"""The live province map: a pure figure builder (tests call it directly).

Offline by default: `go.Scattermap` in marker mode only (a text mode would fetch glyph fonts)
on the tile-less "white-bg" style, darkened by one world-sized fill layer — nothing is fetched
from a CDN. (An inline style object would also be offline, but Plotly 7.1 raises "Map error"
each time such a figure is updated in place, so the dark background is a layer instead.)
A raster tile server URL and a boundary GeoJSON (served by this app) are optional layers.
MapLibre circle markers take no outline, so rings and halos are extra traces underneath:
a white ring marks maintenance (Zabbix shows maintenance distinctly) and a soft halo marks
a place whose state changed within the last minutes.
"""
from __future__ import annotations

import plotly.graph_objects as go

from dashboard.domain import geo
from dashboard.i18n import format_ms, local_time, t
from dashboard.readmodels.wall import COMMUNE_KINDS, NO_DATA

# Dark-theme marker colours (brighter than the light theme's, for a dark background).
COLOURS = {
    "up": "#2fbf71",
    "degraded": "#f2c14e",
    "down": "#ff4d4f",
    "unknown": "#9aa5b1",
    "maintenance": "#4c9aff",
    NO_DATA: "#4a5563",
}
BACKGROUND = "#0d1420"
RING = "#f5f7fa"
PROVINCIAL_CENTRE = geo.PROVINCIAL_CENTRE
MAP_CENTRE = (14.78, 108.3)
AGENCY_SPREAD = 0.055  # degrees: agencies sharing one seat sit on a small ring around it, on land
SIZES = {"commune": 13, "agency": 17, "data_centre": 26}
DATA_CENTRE_ID = "data-centre"
STATE_ORDER = ["down", "degraded", "unknown", "maintenance", "up", NO_DATA]
# The optional metric (?metric=latency): communes coloured by their slowest current answer.
LATENCY_BANDS = (("latency.fast", 300.0, "#2fbf71"), ("latency.slow", 1000.0, "#f2c14e"), ("latency.very_slow", float("inf"), "#ff4d4f"))
METRICS = ("state", "latency")


def latency_band(value: float | None) -> str:
    if value is None:
        return NO_DATA
    return next(name for name, limit, _ in LATENCY_BANDS if value < limit)


def _colour(key: str) -> str:
    return next((colour for name, _, colour in LATENCY_BANDS if name == key), None) or COLOURS.get(key, COLOURS[NO_DATA])


def _label(key: str, lang: str) -> str:
    return t(f"map.{key}", lang) if key.startswith("latency.") else state_label(key, lang)


def background_layer(colour: str = BACKGROUND) -> dict:
    """A fill over the whole world, under everything: the dark ground of the wall's map."""
    world = {"type": "Polygon", "coordinates": [[[-180, -85], [180, -85], [180, 85], [-180, 85], [-180, -85]]]}
    return {"sourcetype": "geojson", "source": {"type": "Feature", "properties": {}, "geometry": world},
            "type": "fill", "color": colour, "below": "traces"}


def state_label(state: str, lang: str) -> str:
    return t("map.nodata", lang) if state == NO_DATA else t(f"status.{state}", lang)


def positions(places: list[dict], centre: tuple[float, float] = PROVINCIAL_CENTRE, with_data_centre: bool = True) -> dict[str, tuple[float, float]]:
    """(lat, lon) per place id, plus "data-centre" when asked. Communes stay at their official
    coordinates. Provincial agencies sit at their catalog location, or at the provincial centre
    without one; those sharing a point (and the data centre, which is at the centre) are spread
    on a small ring around it so each one can be seen and clicked."""
    out: dict[str, tuple[float, float]] = {}
    groups: dict[tuple[float, float], list[str]] = {}
    for p in places:
        if p["kind"] in COMMUNE_KINDS:
            if p.get("lat") is not None and p.get("lon") is not None:
                out[p["id"]] = (p["lat"], p["lon"])
            continue
        seat = (p["lat"], p["lon"]) if p.get("lat") is not None and p.get("lon") is not None else centre
        groups.setdefault(seat, []).append(p["id"])
    if with_data_centre:
        groups.setdefault(centre, []).insert(0, "data-centre")
    for seat, ids in groups.items():
        for place_id, point in zip(ids, geo.spread_around(seat, len(ids), AGENCY_SPREAD) if len(ids) > 1 else [seat]):
            out[place_id] = point
    return out


def place_positions(places: list[dict], centre: tuple[float, float] = PROVINCIAL_CENTRE) -> dict[str, tuple[float, float]]:
    """(lat, lon) per place id (see `positions`), without the data centre."""
    return positions(places, centre, with_data_centre=False)


def _hover(place: dict, lang: str, metric: str = "state") -> str:
    name = place["name_vi"] if lang != "en" else place["name_en"]
    lines = [f"<b>{name}</b>"]
    if place.get("code"):
        lines.append(t("map.hover.code", lang, code=place["code"]) + (f" · {place['partner']}" if place.get("partner") else ""))
    elif place.get("partner"):
        lines.append(t("map.hover.partner", lang, partner=place["partner"]))
    lines.append(f"{t('map.hover.state', lang)}: <b>{state_label(place['status'], lang)}</b>")
    if place["status"] == NO_DATA:
        lines.append(t("map.hover.nodata", lang))
    else:
        lines.append(t("map.hover.endpoints", lang, n=place.get("endpoints", 0), down=place.get("down", 0)))
        if place.get("changed_at"):
            lines.append(t("map.hover.changed", lang, time=local_time(place["changed_at"], with_date=True)))
        if metric == "latency" and place.get("latency_ms") is not None:
            lines.append(t("map.hover.latency", lang, value=format_ms(place["latency_ms"], lang)))
    return "<br>".join(lines)


def _trace(name: str, lats, lons, colours, size, hover, paths, meta: dict, opacity: float = 1.0, showlegend: bool = True, legendrank: int = 1000):
    return go.Scattermap(
        lat=lats, lon=lons, mode="markers", name=name, showlegend=showlegend, legendrank=legendrank,
        marker={"size": size, "color": colours, "opacity": opacity},
        hovertext=hover if hover is not None else None,
        hoverinfo="text" if hover is not None else "skip",
        customdata=paths, meta=meta,
    )


def province_map_figure(
    places: list[dict],
    lang: str = "vi",
    *,
    data_centre: dict | None = None,
    zoom: float = 7.2,
    centre: tuple[float, float] = MAP_CENTRE,
    tiles_url: str | None = None,
    boundary_url: str | None = None,
    legend: bool = True,
    marker_scale: float = 1.0,
    font_scale: float = 1.0,
    metric: str = "state",
) -> go.Figure:
    """Map of the province. `places` are wall_queries.map_places() items: communes (kinds
    commune / ward / special_zone, with coordinates) and provincial agencies (placed on an arc).
    `data_centre` is {"status": ..., "systems": n, "down": n} or None. Every marker's customdata
    is the path of its detail page; every trace's meta names its layer (commune, agency,
    data_centre, halo, ring) so tests and the click handler can tell them apart. With
    metric="latency" communes are coloured by their slowest current answer instead of their
    state (agencies and the data centre keep their state)."""
    where = positions(places, with_data_centre=data_centre is not None)
    communes = [p for p in places if p["kind"] in COMMUNE_KINDS and p["id"] in where]
    agencies = [p for p in places if p["kind"] not in COMMUNE_KINDS]
    traces: list[go.Scattermap] = []
    s = marker_scale * font_scale

    def lat_lon(items):
        return [where[p["id"]][0] for p in items], [where[p["id"]][1] for p in items]

    # Underlays: halos for recent changes, rings for maintenance.
    recent = [p for p in communes + agencies if p.get("recent")]
    if recent:
        lats, lons = lat_lon(recent)
        traces.append(_trace(t("map.recent", lang), lats, lons, [COLOURS.get(p["status"], COLOURS[NO_DATA]) for p in recent],
                             34 * s, None, None, {"layer": "halo"}, opacity=0.35, legendrank=2000))
    ringed = [p for p in communes + agencies if p["status"] == "maintenance"]
    if ringed:
        lats, lons = lat_lon(ringed)
        sizes = [(SIZES["commune"] if p["kind"] in COMMUNE_KINDS else SIZES["agency"]) * s + 7 for p in ringed]
        traces.append(_trace("ring", lats, lons, RING, sizes, None, None, {"layer": "ring"}, showlegend=False))
    # Provincial agencies carry a white ring always, so they read apart from communes.
    if agencies:
        lats, lons = lat_lon(agencies)
        traces.append(_trace("agency-ring", lats, lons, RING, SIZES["agency"] * s + 5, None, None, {"layer": "ring"}, showlegend=False))

    # Communes: one trace per state (or latency band), so the legend explains the colours with counts.
    key_of = (lambda p: latency_band(p.get("latency_ms"))) if metric == "latency" else (lambda p: p["status"])
    order = [name for name, _, _ in LATENCY_BANDS] + [NO_DATA] if metric == "latency" else STATE_ORDER
    for key in sorted({key_of(p) for p in communes}, key=lambda k: order.index(k) if k in order else 99):
        group = [p for p in communes if key_of(p) == key]
        lats, lons = lat_lon(group)
        meta = {"layer": "commune", "state": key} if metric == "state" else {"layer": "commune", "band": key}
        traces.append(_trace(
            f"{_label(key, lang)} ({len(group)})", lats, lons, _colour(key), SIZES["commune"] * s,
            [_hover(p, lang, metric) for p in group], [p["path"] for p in group], meta,
            legendrank=order.index(key) if key in order else 99,
        ))
    if agencies:
        lats, lons = lat_lon(agencies)
        traces.append(_trace(
            t("map.agency", lang), lats, lons, [COLOURS.get(p["status"], COLOURS[NO_DATA]) for p in agencies], SIZES["agency"] * s,
            [_hover(p, lang) for p in agencies], [p["path"] for p in agencies], {"layer": "agency"}, legendrank=500,
        ))
    if data_centre is not None:
        lat, lon = where["data-centre"]
        name = t("map.data_centre", lang)
        hover = "<br>".join([
            f"<b>{name}</b>",
            f"{t('map.hover.state', lang)}: <b>{state_label(data_centre['status'], lang)}</b>",
            t("map.hover.systems", lang, n=data_centre.get("systems", 0), down=data_centre.get("down", 0)),
        ])
        traces.append(_trace("dc-ring", [lat], [lon], RING, SIZES["data_centre"] * s + 6, None, None, {"layer": "ring"}, showlegend=False))
        traces.append(_trace(name, [lat], [lon], [COLOURS.get(data_centre["status"], COLOURS[NO_DATA])], SIZES["data_centre"] * s,
                             [hover], ["/"], {"layer": "data_centre"}, legendrank=400))

    layers = [background_layer()]
    if tiles_url:
        layers.append({"sourcetype": "raster", "source": [tiles_url], "below": "traces", "opacity": 0.55})
    if boundary_url:
        layers.append({"sourcetype": "geojson", "source": boundary_url, "type": "line", "color": "#6f8199", "line": {"width": 1.2}, "below": "traces"})
    figure = go.Figure(traces)
    figure.update_layout(
        map={"style": "white-bg", "center": {"lat": centre[0], "lon": centre[1]}, "zoom": zoom, "layers": layers},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor=BACKGROUND,
        font={"color": "#e8edf3", "size": round(18 * font_scale)},
        showlegend=legend,
        legend={"bgcolor": "rgba(13,20,32,0.8)", "x": 0.01, "y": 0.99, "xanchor": "left", "yanchor": "top",
                "font": {"size": round(21 * font_scale)}, "itemsizing": "constant"},
        hoverlabel={"font": {"size": round(20 * font_scale)}},
        uirevision="province-map",  # refreshes keep the view where it is
    )
    return figure


def data_centre_summary(tiles: list[dict], state: str) -> dict:
    return {"status": state, "systems": len(tiles), "down": sum(1 for t_ in tiles if t_["status"] == "down")}
