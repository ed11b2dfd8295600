"""Operator wall (kiosk) at /wall, /wall/map and /wall/charts: dark, no navigation chrome,
readable from 5 m, live. One skeleton serves the three views (CSS shows the parts a view
uses); callbacks skip work for parts a view hides.

Refresh: a fast callback (every IOC_REFRESH_MS) for states, counts, coverage and the feed; the
map on the same beat, sent only when a marker changed; charts once a minute. The clock, the
lost-server watchdog, rotation and the beep run in the browser (assets/wall.js).

Query parameters override the settings per screen: ?rotate=/wall,/wall/map&dwell=30&sound=1, and
?metric=latency colours the communes on the map by their slowest answer instead of their state.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
from urllib.parse import urlencode

import dash
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html, no_update

from collectors.timeutil import parse_duration, utcnow
from dashboard.domain import geo
from dashboard.i18n import local_time, t
from dashboard.readmodels import wall as wq
from dashboard.web import delivery
from dashboard.web.facade import DataUnavailable, facade
from layouts.components import wall_charts
from layouts.components.alert_charts import alert_signature, with_alert_markers
from layouts.components.province_map import METRICS, data_centre_summary, latency_band, province_map_figure
from layouts.components.wall_map import ATTRIBUTION_FULL, attribution, wall_map_figure
from layouts.components.wall_parts import banner, count_chips, feed_items, gauges, places_panel, rotation, tile

log = logging.getLogger(__name__)

VIEWS = {"glance": "/wall", "map": "/wall/map", "charts": "/wall/charts"}
SLOW_REFRESH_MS = 60_000
GRAPH_CONFIG = {"displayModeBar": False, "scrollZoom": False, "responsive": True}


def _settings():
    return facade().settings


def _truthy(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")


def _layout_for(view: str):
    def layout(**query):
        settings = _settings()
        pages = tuple(p.strip() for p in query["rotate"].split(",")) if query.get("rotate") else settings.wall_pages
        try:
            dwell_s = parse_duration(query["dwell"]) if query.get("dwell") else settings.wall_dwell_s
        except ValueError:
            dwell_s = settings.wall_dwell_s
        dwell_s = max(5.0, dwell_s)
        sound = _truthy(query.get("sound"))
        sound = settings.wall_sound if sound is None else sound
        following = rotation(VIEWS[view], pages)
        search = ("?" + urlencode(query)) if query else ""
        metric = query.get("metric") if query.get("metric") in METRICS else "state"
        config = {"refresh_ms": settings.refresh_ms, "sound": sound, "next": following, "search": search, "view": view,
                  "metric": metric}
        return skeleton(view, config, dwell_s)

    return layout


def skeleton(view: str, config: dict, dwell_s: float) -> html.Div:
    def panel(children, class_name: str, **kwargs):
        return html.Section(children, className=f"wall-panel {class_name}", **kwargs)

    def chart(graph_id: str, area: str):
        return panel(dcc.Graph(id=graph_id, className="wall-graph", config=GRAPH_CONFIG), f"wall-chart-panel wall-{area}-panel")

    return html.Div(
        [
            dcc.Store(id="wall-view", data={"view": view}),
            dcc.Store(id="wall-config", data=config),
            dcc.Store(id="wall-state"),
            dcc.Store(id="wall-map-sig"),
            dcc.Store(id="wall-beep"),
            dcc.Store(id="wall-click"),
            dcc.Store(id="wall-viewport"),  # type scale from the screen width (assets/wall.js)
            dcc.Interval(id="wall-refresh", interval=config["refresh_ms"]),
            dcc.Interval(id="wall-slow", interval=SLOW_REFRESH_MS, disabled=view != "charts"),
            dcc.Interval(id="wall-tick", interval=1000),
            dcc.Interval(id="wall-rotate", interval=int(dwell_s * 1000), disabled=config["next"] is None),
            dcc.Location(id="wall-location", refresh="callback-nav"),
            html.Header(
                [
                    html.Div(id="wall-title", className="wall-title"),
                    html.Div(
                        [html.Div(id="wall-last-data", className="wall-last-data"), html.Div(id="wall-date", className="wall-date"),
                         html.Div(id="wall-clock", className="wall-clock")],
                        className="wall-time",
                    ),
                ],
                className="wall-header",
            ),
            html.Div(id="wall-banner", role="alert"),
            html.Div(id="wall-lost", className="wall-lost d-none", role="alert"),
            html.Main(
                [
                    html.Section(id="wall-counts", className="wall-counts"),
                    html.Section(id="wall-tiles", className="wall-tiles"),
                    panel([html.H2(id="wall-feed-heading"), html.Ul(id="wall-feed", className="wall-feed")], "wall-feed-panel"),
                    panel([html.H2(id="wall-coverage-heading"), html.Div(id="wall-coverage", className="wall-gauges")], "wall-coverage-panel"),
                    panel([dcc.Graph(id="wall-map", className="wall-graph", config=GRAPH_CONFIG),
                           html.Div(id="wall-map-attribution", className="wall-map-attribution", title=ATTRIBUTION_FULL)], "wall-map-panel"),
                    panel([html.H2(id="wall-places-heading"), html.Div(id="wall-places")], "wall-places-panel"),
                    chart("wall-availability", "availability"),
                    chart("wall-latency", "latency"),
                    chart("wall-timeline", "timeline"),
                ],
                className="wall-main",
            ),
        ],
        id="wall-root",
        className=f"wall-root wall-view-{view}",
    )


def _read_status(pages, lang: str) -> dict:
    """What the fast refresh (and the first paint) shows, with this app's settings."""
    return pages.read(wq.wall_status, stale_after_s=pages.settings.stale_after_s, lang=lang,
                      verified_days=pages.settings.verified_days)


def first_paint(lang: str):
    """The glance view as it stands, for the page's HTML (dashboard.web.app.first_paint): the
    tiles, counts, feed and gauges the first refresh would draw, headed as a snapshot, with the
    map's panel waiting for Plotly. None when the database cannot be read."""
    pages = facade()
    try:
        data = _read_status(pages, lang)
    except DataUnavailable:
        return None
    now = data["now"]
    short_names = {tl["id"]: tl["short_name"] for tl in data["tiles"] if tl.get("short_name")}

    def panel(children, class_name: str):
        return html.Section(children, className=f"wall-panel {class_name}")

    return html.Div(
        [
            html.Header(
                [html.Div(t("wall.title.glance", lang), className="wall-title"),
                 html.Div(html.Div(t("wall.first_paint", lang, time=_moment(now, now)), className="wall-last-data"),
                          className="wall-time")],
                className="wall-header",
            ),
            html.Div(
                [
                    html.Section(count_chips(data["counts"], lang), className="wall-counts"),
                    html.Section([tile(item, lang, now) for item in data["tiles"]], className="wall-tiles"),
                    panel([html.H2(t("wall.feed.heading", lang)),
                           html.Ul(feed_items(data["feed"], lang, now, short_names), className="wall-feed")], "wall-feed-panel"),
                    panel([html.H2(t("wall.coverage.heading", lang)), html.Div(gauges(data["coverage"], lang), className="wall-gauges")],
                          "wall-coverage-panel"),
                    panel(html.P(t("wall.map_loading", lang), className="wall-map-loading"), "wall-map-panel"),
                ],
                className="wall-main",
            ),
        ],
        className="wall-root wall-view-glance wall-first-paint",
        **{"aria-hidden": "true"},  # the live page, drawn over it, is what assistive technology reads
    )


delivery.FIRST_PAINTS[VIEWS["glance"]] = first_paint

dash.register_page(__name__, path=VIEWS["glance"], title="IOC Quảng Ngãi — Màn hình vận hành", name="Màn hình vận hành", layout=_layout_for("glance"))
dash.register_page(f"{__name__}_map", path=VIEWS["map"], title="IOC Quảng Ngãi — Bản đồ", name="Bản đồ", layout=_layout_for("map"))
dash.register_page(f"{__name__}_charts", path=VIEWS["charts"], title="IOC Quảng Ngãi — Biểu đồ 24 giờ", name="Biểu đồ", layout=_layout_for("charts"))


def map_figure_for(places: list[dict], tiles: list[dict], lang: str, view: str, scale: float = 1.0, metric: str = "state",
                   alert_places: dict | None = None):
    """The offline outline map (layouts/components/wall_map.py); with a tile server configured
    (IOC_MAP_TILES_URL) the MapLibre map instead, which can draw raster tiles."""
    settings = _settings()
    big = view == "map"
    data_centre = data_centre_summary(tiles, wq.data_centre_state(tiles))
    if settings.map_tiles_url:
        boundary = "/api/map/boundary.geojson" if settings.map_boundary_geojson else None
        # Zoom that fits the province in the panel at 1920 px; one zoom step doubles the size.
        zoom = (8.75 if big else 8.05) + math.log2(scale)
        figure = province_map_figure(places, lang, data_centre=data_centre, zoom=zoom, tiles_url=settings.map_tiles_url,
                                     boundary_url=boundary, marker_scale=1.25 if big else 1.0, font_scale=scale, metric=metric)
        return with_alert_markers(figure, places, alert_places or {}, lang)
    return wall_map_figure(places, lang, rings=_outline(), data_centre=data_centre, alert_places=alert_places,
                           font_scale=scale, marker_scale=1.2 if big else 1.0, metric=metric)


def _outline():
    """The province outline: an official boundary file when IOC_MAP_BOUNDARY_GEOJSON names one
    (and it reads), else the outline shipped in assets/geo."""
    custom = _settings().map_boundary_geojson
    if custom is not None:
        try:
            return geo.read_outline(str(custom))
        except geo.OutlineError as exc:
            log.error("wall map: %s; drawing the shipped outline", exc)
    return geo.read_outline(str(geo.PROVINCE_OUTLINE))


# ---------------------------------------------------------------------------- callbacks


@callback(
    Output("wall-title", "children"),
    Output("wall-feed-heading", "children"),
    Output("wall-coverage-heading", "children"),
    Output("wall-places-heading", "children"),
    Output("wall-lost", "children"),
    Output("wall-map-attribution", "children"),
    Input("lang-toggle", "value"),
    State("wall-view", "data"),
)
def translate(lang, view):
    lang = lang or "vi"
    return (t(f"wall.title.{(view or {}).get('view', 'glance')}", lang), t("wall.feed.heading", lang),
            t("wall.coverage.heading", lang), t("wall.places.heading", lang), t("wall.stale.server", lang), attribution(lang))


@callback(
    Output("wall-root", "className"),
    Output("wall-last-data", "children"),
    Output("wall-last-data", "className"),
    Output("wall-banner", "children"),
    Output("wall-counts", "children"),
    Output("wall-tiles", "children"),
    Output("wall-coverage", "children"),
    Output("wall-feed", "children"),
    Output("wall-state", "data"),
    Input("wall-refresh", "n_intervals"),
    Input("lang-toggle", "value"),
    State("wall-view", "data"),
)
def refresh_status(_n, lang, view):
    lang = lang or "vi"
    view = (view or {}).get("view", "glance")
    pages = facade()
    root = f"wall-root wall-view-{view}"
    try:
        data = _read_status(pages, lang)
    except DataUnavailable as exc:
        # Never crash and never leave the last picture looking current: grey it and say why.
        log.error("wall refresh: database unreachable: %s", exc)
        return (f"{root} wall-stale", no_update, "wall-last-data is-stale", banner({}, lang, database_down=True),
                no_update, no_update, no_update, no_update, {"ok": False, "down": [], "stale": True})
    fresh = data["freshness"]
    now = data["now"]
    last = f"{t('wall.last_data', lang)} {_moment(fresh['last_data_at'], now)}" if fresh["last_data_at"] else t("wall.no_data", lang)
    state = {
        "ok": True, "generated_at": data["generated_at"], "stale": fresh["stale"],
        "down": [tl["id"] for tl in data["tiles"] if tl["status"] == "down"],
    }
    glance = view == "glance"
    return (
        f"{root} wall-stale" if fresh["stale"] else root,
        last,
        "wall-last-data is-stale" if fresh["stale"] else "wall-last-data",
        banner(fresh, lang),
        count_chips(data["counts"], lang) if glance else no_update,
        [tile(item, lang, now) for item in data["tiles"]] if glance else no_update,
        gauges(data["coverage"], lang) if glance else no_update,
        feed_items(data["feed"], lang, now, {tl["id"]: tl["short_name"] for tl in data["tiles"] if tl.get("short_name")}) if glance else no_update,
        state,
    )


@callback(
    Output("wall-map", "figure"),
    Output("wall-map-sig", "data"),
    Output("wall-places", "children"),
    Input("wall-refresh", "n_intervals"),
    Input("lang-toggle", "value"),
    State("wall-view", "data"),
    State("wall-map-sig", "data"),
    State("wall-viewport", "data"),
    State("wall-config", "data"),
)
def refresh_map(_n, lang, view, previous_sig, viewport_scale, config):
    lang = lang or "vi"
    view = (view or {}).get("view", "glance")
    if view not in ("glance", "map"):
        return no_update, no_update, no_update
    try:
        data = facade().read(wq.map_view, utcnow(), lang)
    except DataUnavailable as exc:
        log.error("wall map: database unreachable: %s", exc)
        return no_update, no_update, no_update
    places, tiles, alert_places = data["places"], data["tiles"], data["alert_places"]
    # Send the figure only when something on it changed: most refreshes then cost a few bytes.
    scale = _scale(viewport_scale)
    metric = (config or {}).get("metric", "state")
    signature = map_signature(places, tiles, lang, view, scale, metric) + alert_signature(alert_places)
    figure = no_update if signature == previous_sig else map_figure_for(places, tiles, lang, view, scale, metric, alert_places)
    return figure, signature, places_panel(places, lang) if view == "map" else no_update


def _moment(moment, now) -> str:
    """Clock time, with the date only when it is not today (the header shows today's date)."""
    full = local_time(moment, with_date=True)
    return full[11:] if full[:10] == local_time(now, with_date=True)[:10] else full


def _scale(value) -> float:
    try:
        return min(max(float(value), 0.6), 2.5)
    except (TypeError, ValueError):
        return 1.0


def map_signature(places: list[dict], tiles: list[dict], lang: str, view: str, scale: float = 1.0, metric: str = "state") -> str:
    marks = [(p["id"], p["status"], p["recent"], p["endpoints"], p["down"], str(p["changed_at"]),
              latency_band(p.get("latency_ms")) if metric == "latency" else "") for p in places]
    marks.append(("dc", wq.data_centre_state(tiles), len(tiles), sum(1 for x in tiles if x["status"] == "down")))
    return hashlib.sha1(json.dumps([lang, view, scale, marks]).encode()).hexdigest()


@callback(
    Output("wall-availability", "figure"),
    Output("wall-latency", "figure"),
    Output("wall-timeline", "figure"),
    Input("wall-slow", "n_intervals"),
    Input("lang-toggle", "value"),
    Input("wall-viewport", "data"),
    State("wall-view", "data"),
)
def refresh_charts(_n, lang, viewport_scale, view):
    lang = lang or "vi"
    if (view or {}).get("view") != "charts":
        return no_update, no_update, no_update
    try:
        data = facade().read(wq.charts_view, utcnow(), lang)
    except DataUnavailable as exc:
        log.error("wall charts: database unreachable: %s", exc)
        return no_update, no_update, no_update
    tiles, availability, timeline = data["tiles"], data["availability"], data["timeline"]
    scale = _scale(viewport_scale)
    return (
        wall_charts.availability_figure(availability, tiles, lang, scale),
        wall_charts.latency_figure(availability, tiles, lang, scale),
        wall_charts.timeline_figure(timeline, lang, scale, availability["hours"]),
    )


clientside_callback(
    ClientsideFunction("wall", "tick"),
    Output("wall-clock", "children"),
    Output("wall-date", "children"),
    Output("wall-lost", "className"),
    Output("wall-viewport", "data"),
    Input("wall-tick", "n_intervals"),
    State("wall-config", "data"),
)
clientside_callback(
    ClientsideFunction("wall", "received"),
    Output("wall-beep", "data"),
    Input("wall-state", "data"),
    State("wall-config", "data"),
)
clientside_callback(
    ClientsideFunction("wall", "rotate"),
    Output("wall-location", "pathname"),
    Output("wall-location", "search"),
    Input("wall-rotate", "n_intervals"),
    State("wall-config", "data"),
)
clientside_callback(
    ClientsideFunction("wall", "click"),
    Output("wall-click", "data"),
    Input("wall-map", "clickData"),
)
