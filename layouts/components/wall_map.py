"""The wall's province map, as a plain figure builder (tests call it directly).

A lon/lat plot, not a web map: the province's filled outline (mainland, the coast, Lý Sơn)
from the GeoJSON shipped in assets/geo (CC BY-SA 4.0, attribution under the map), the
communes at their official coordinates, the provincial agencies at their catalog location.
It needs no tile server, no map style, no glyph fonts and no WebGL, so it works offline and
labels are plain SVG text. The y axis is scaled by 1 / cos(latitude) so the province keeps its
shape, and both axes are fixed to the outline's bounds with `constrain="domain"`: the whole
province fits whatever the panel's size (1366×768 included).

States read by shape as well as colour: down is a cross twice the size of a healthy dot,
degraded a triangle; every unit that is not up is labelled with its name (the worst first,
at most MAX_LABELS, then "+N"). Open security alerts are a thin violet ring around the place,
under its marker, so they never outshine an outage.

Figures are plain dicts in Plotly's JSON shape (graph_objects validation costs ~10 ms a figure).
"""
from __future__ import annotations

from dashboard.domain import geo
from dashboard.i18n import t
from dashboard.readmodels.wall import COMMUNE_KINDS, NO_DATA, SEVERITY_RANK
from layouts.components.province_map import COLOURS, LATENCY_BANDS, _colour, _hover, _label, latency_band, positions, state_label

BACKGROUND = "rgba(0,0,0,0)"
LAND = "#1c2737"
COAST = "#8fa3bf"
TEXT = "#e8edf3"
ALERT_RING = "#c39bff"
# Marker size (px at 1920 px wide) and Plotly symbol per state: down ≥ 2× up, with a cross.
MARKERS = {
    "down": (26, "x"),
    "degraded": (21, "triangle-up"),
    "unknown": (14, "circle-open"),
    "maintenance": (15, "circle-dot"),
    "up": (12, "circle"),
    NO_DATA: (10, "circle"),
}
AGENCY_MARKER = (17, "square")
DATA_CENTRE_MARKER = (30, "diamond")
MAX_LABELS = 14
STATE_ORDER = ["down", "degraded", "unknown", "maintenance", "up", NO_DATA]
# A line short enough for a 24 px footer; the full attribution (authors, sources, changes) is its
# tooltip and is in assets/geo/README.md and docs/wall.md.
ATTRIBUTION = {
    "vi": "Ranh giới tỉnh: © geoBoundaries, CC BY-SA 4.0",
    "en": "Province outline: © geoBoundaries, CC BY-SA 4.0",
}
ATTRIBUTION_FULL = (
    "geoBoundaries (Runfola, D. et al. 2020, PLoS ONE 15(4): e0231866), gbOpen VNM ADM1; data from Open Development "
    "Mekong / Department of Survey and Mapping of Viet Nam. CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/). "
    "Changes: the former Quảng Ngãi and Kon Tum provinces unioned, lightly simplified."
)


def attribution(lang: str) -> str:
    return ATTRIBUTION["en" if lang == "en" else "vi"]


def _outline_trace(rings) -> dict:
    xs: list = []
    ys: list = []
    for ring in rings:
        xs += [x for x, _ in ring] + [None]
        ys += [y for _, y in ring] + [None]
    return {"type": "scatter", "x": xs, "y": ys, "mode": "lines", "fill": "toself", "fillcolor": LAND,
            "line": {"color": COAST, "width": 1.5}, "hoverinfo": "skip", "showlegend": False, "meta": {"layer": "outline"}}


LABEL_HEIGHT = 0.075  # degrees of latitude a 24 px label covers on the glance map, roughly
LABEL_WIDTH = 0.55  # degrees of longitude of a typical name ("Phường Trương Quang Trọng" is wider)


def label_positions(points: list[tuple[str, float, float, int]]) -> dict[str, str]:
    """Where each name goes beside its marker (Plotly textposition), so that names of nearby
    units do not cover each other: `points` are (id, lat, lon, name length) in priority order;
    the first free place among left/right (towards the inside of the province), above, below,
    the other side, is taken (greedy; overlaps remain possible in a dense cluster)."""
    placed: list[tuple[float, float, float]] = []  # (centre lat, west lon, east lon)
    out = {}
    for place_id, lat, lon, length in points:
        width = LABEL_WIDTH * max(0.4, length / 16)
        inside = "left" if lon > geo.PROVINCIAL_CENTRE[1] - 0.25 else "right"
        other = "right" if inside == "left" else "left"
        chosen = None
        for vertical, side in (("middle", inside), ("top", inside), ("bottom", inside), ("middle", other), ("top", other), ("bottom", other)):
            y = lat + {"middle": 0.0, "top": LABEL_HEIGHT * 0.8, "bottom": -LABEL_HEIGHT * 0.8}[vertical]
            west, east = (lon - width, lon) if side == "left" else (lon, lon + width)
            if all(abs(y - py) >= LABEL_HEIGHT or east <= pw or west >= pe for py, pw, pe in placed):
                chosen = (vertical, side, y, west, east)
                break
        if chosen is None:
            y, west, east = lat, (lon - width if inside == "left" else lon), (lon if inside == "left" else lon + width)
            chosen = ("middle", inside, y, west, east)
        placed.append(chosen[2:])
        out[place_id] = f"{chosen[0]} {chosen[1]}"
    return out


def _points(name: str, items: list[dict], where: dict, size, symbol: str, colour, meta: dict, lang: str, *,
            hover: bool = True, showlegend: bool = True, line_colour: str = "#0b111b", line_width: float = 1.5,
            labels: list[str] | None = None, text_size: int = 24, legendrank: int = 1000, metric: str = "state",
            positions_of: dict[str, str] | None = None) -> dict:
    trace = {
        "type": "scatter", "name": name, "x": [where[p["id"]][1] for p in items], "y": [where[p["id"]][0] for p in items],
        "mode": "markers+text" if labels else "markers",
        "marker": {"size": size, "symbol": symbol, "color": colour, "line": {"color": line_colour, "width": line_width}},
        "customdata": [p["path"] for p in items], "meta": meta, "showlegend": showlegend, "legendrank": legendrank,
    }
    if hover:
        trace["hovertext"] = [_hover(p, lang, metric) for p in items]
        trace["hoverinfo"] = "text"
    else:
        trace["hoverinfo"] = "skip"
    if labels:
        trace["text"] = labels
        trace["textposition"] = [(positions_of or {}).get(p["id"], "middle right") for p in items]
        trace["textfont"] = {"size": text_size, "color": TEXT}
    return trace


def wall_map_figure(
    places: list[dict],
    lang: str = "vi",
    *,
    rings,
    data_centre: dict | None = None,
    alert_places: dict[str, dict] | None = None,
    font_scale: float = 1.0,
    marker_scale: float = 1.0,
    metric: str = "state",
    legend: bool = True,
) -> dict:
    """`places`: readmodels.wall.map_places items; `rings`: the outline's (lon, lat) rings
    (dashboard.domain.geo.read_outline); `data_centre`: {"status", "systems", "down"} or None;
    `alert_places`: readmodels.alerts.alerts_by_agency. Every marker's customdata is its detail
    page; every trace's meta names its layer (outline, commune, agency, data_centre, alerts,
    label_more) for tests and the click handler."""
    where = positions(places, with_data_centre=data_centre is not None)
    communes = [p for p in places if p["kind"] in COMMUNE_KINDS and p["id"] in where]
    agencies = [p for p in places if p["kind"] not in COMMUNE_KINDS]
    s = font_scale * marker_scale
    text_size = round(24 * font_scale)
    traces = [_outline_trace(rings)]

    if alert_places:
        flagged = [p for p in communes + agencies if p["id"] in alert_places]
        if flagged:
            traces.append(_points(
                t("map.alerts", lang), flagged, where, round(30 * s), "circle-open", ALERT_RING, {"layer": "alerts"}, lang,
                hover=False, line_colour=ALERT_RING, line_width=max(2.0, 2.5 * s), legendrank=900,
            ))

    # Which units get a name on the map: every one that is not up, worst first, within MAX_LABELS.
    # Agencies share a small ring at the provincial centre: their names would cover each other, so
    # they are named in the list beside the map and in their tooltips.
    troubled = sorted((p for p in communes if p["status"] not in ("up", NO_DATA)),
                      key=lambda p: (SEVERITY_RANK.get(p["status"], 9), p["name_vi"]))
    labelled = {p["id"] for p in troubled[:MAX_LABELS]}
    text_at = label_positions([(p["id"], *where[p["id"]], len(p["name_vi"] if lang != "en" else p["name_en"])) for p in troubled[:MAX_LABELS]])

    def name_of(p):
        return p["name_vi"] if lang != "en" else p["name_en"]

    key_of = (lambda p: latency_band(p.get("latency_ms"))) if metric == "latency" else (lambda p: p["status"])
    order = [name for name, _, _ in LATENCY_BANDS] + [NO_DATA] if metric == "latency" else STATE_ORDER
    # Healthy first, the worst last: later traces are drawn on top.
    for key in sorted({key_of(p) for p in communes}, key=lambda k: -(order.index(k) if k in order else 99)):
        group = [p for p in communes if key_of(p) == key]
        size, symbol = MARKERS.get(key, MARKERS["up"])
        meta = {"layer": "commune", "state": key} if metric == "state" else {"layer": "commune", "band": key}
        if metric == "latency":
            size, symbol = MARKERS["up"][0] + 4, "circle"
        labels = [name_of(p) if p["id"] in labelled else "" for p in group]
        traces.append(_points(
            f"{_label(key, lang)} ({len(group)})", group, where, round(size * s), symbol, _colour(key), meta, lang,
            labels=labels if any(labels) else None, text_size=text_size, legendrank=order.index(key) if key in order else 99,
            metric=metric, positions_of=text_at,
            line_colour=_colour(key) if symbol in ("x", "circle-open") else "#0b111b",
            line_width=(3 * s if symbol == "circle-open" else 2 if symbol == "x" else 1.5),
        ))
    if agencies:
        traces.append(_points(
            t("map.agency", lang), agencies, where, round(AGENCY_MARKER[0] * s), AGENCY_MARKER[1],
            [COLOURS.get(p["status"], COLOURS[NO_DATA]) for p in agencies], {"layer": "agency"}, lang,
            line_colour="#f5f7fa", line_width=2, legendrank=500,
        ))
    if data_centre is not None:
        name = t("map.data_centre", lang)
        hover = "<br>".join([
            f"<b>{name}</b>",
            f"{t('map.hover.state', lang)}: <b>{state_label(data_centre['status'], lang)}</b>",
            t("map.hover.systems", lang, n=data_centre.get("systems", 0), down=data_centre.get("down", 0)),
        ])
        lat, lon = where["data-centre"]
        traces.append({
            "type": "scatter", "name": name, "x": [lon], "y": [lat], "mode": "markers",
            "marker": {"size": round(DATA_CENTRE_MARKER[0] * s), "symbol": DATA_CENTRE_MARKER[1],
                       "color": COLOURS.get(data_centre["status"], COLOURS[NO_DATA]), "line": {"color": "#f5f7fa", "width": 2}},
            "hovertext": [hover], "hoverinfo": "text", "customdata": ["/"], "meta": {"layer": "data_centre"}, "legendrank": 400,
        })
    annotations = []
    if len(troubled) > MAX_LABELS:
        annotations.append({"text": t("map.more_labels", lang, n=len(troubled) - MAX_LABELS), "showarrow": False,
                            "xref": "paper", "yref": "paper", "x": 0.0, "y": 1.0, "xanchor": "left", "yanchor": "top",
                            "font": {"size": text_size, "color": TEXT}, "bgcolor": "rgba(11,17,27,0.75)"})

    west, south, east, north = geo.bounds(rings)
    pad_x, pad_y = (east - west) * 0.03, (north - south) * 0.03
    mid_lat = (south + north) / 2
    axis = {"visible": False, "showgrid": False, "zeroline": False, "fixedrange": True}
    layout = {
        "paper_bgcolor": BACKGROUND, "plot_bgcolor": BACKGROUND,
        "font": {"color": TEXT, "size": text_size},
        "margin": {"l": 4, "r": 4, "t": 4, "b": 4},
        "xaxis": {**axis, "range": [west - pad_x, east + pad_x], "constrain": "domain"},
        "yaxis": {**axis, "range": [south - pad_y, north + pad_y], "constrain": "domain",
                  "scaleanchor": "x", "scaleratio": 1 / geo.lon_scale(mid_lat)},
        "showlegend": legend,
        # outside the plotting area, under it: the legend never hides a unit
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yanchor": "top", "bgcolor": "rgba(0,0,0,0)",
                   "font": {"size": text_size}, "itemsizing": "constant", "traceorder": "normal"},
        "hoverlabel": {"font": {"size": round(22 * font_scale)}},
        "annotations": annotations,
        "dragmode": False,
        "uirevision": "province-map",
    }
    return {"data": traces, "layout": layout}
