"""Wall charts, as pure figure builders: availability and latency per system over 24 h, and
the timeline of state changes. Times are shown in Vietnam time (UTC+7).

Figures are plain dicts in Plotly's JSON shape: building them through plotly.graph_objects
validates every property and cost ~10 ms per figure, a third of the charts' refresh."""
from __future__ import annotations

from datetime import datetime

from dashboard.i18n import VN_TZ, t
from layouts.components.province_map import COLOURS

TEXT = "#e8edf3"
GRID = "#2a3545"
BACKGROUND = "rgba(0,0,0,0)"
# Availability colours: red below 90 %, amber to 99 %, green at 100 %.
AVAILABILITY_SCALE = [[0.0, "#ff4d4f"], [0.9, "#ff4d4f"], [0.95, "#f08c2e"], [0.99, "#f2c14e"], [0.999, "#8fd694"], [1.0, "#2fbf71"]]


def _local(moment: datetime) -> datetime:
    """Naive Vietnam time: Plotly draws naive datetimes as they are."""
    return moment.astimezone(VN_TZ).replace(tzinfo=None)


def _figure(traces: list[dict], title: str, scale: float = 1.0, xaxis: dict | None = None, yaxis: dict | None = None, **extra) -> dict:
    layout = {
        "title": {"text": title, "font": {"size": round(26 * scale)}, "x": 0.01, "xanchor": "left"},
        "paper_bgcolor": BACKGROUND, "plot_bgcolor": BACKGROUND,
        "font": {"color": TEXT, "size": round(19 * scale)},
        "margin": {"l": round(10 * scale), "r": round(20 * scale), "t": round(60 * scale), "b": round(40 * scale)},
        "hoverlabel": {"font": {"size": round(20 * scale)}},
        "xaxis": {"gridcolor": GRID, "zeroline": False, **(xaxis or {})},
        "yaxis": {"gridcolor": GRID, "zeroline": False, "automargin": True, **(yaxis or {})},
        **extra,
    }
    return {"data": traces, "layout": layout}


def _names(systems: list[dict], lang: str) -> dict[str, str]:
    return {s["id"]: (s["name_vi"] if lang != "en" else s["name_en"]) for s in systems}


def _short(name: str, limit: int = 34) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def availability_figure(data: dict, systems: list[dict], lang: str = "vi", scale: float = 1.0) -> dict:
    """Heatmap: a row per system, a column per hour; empty cells where nothing was checked."""
    names = _names(systems, lang)
    order = [s["id"] for s in systems if s["id"] in data["series"]]
    hours = [_local(h) for h in data["hours"]]
    trace = {
        "type": "heatmap", "z": [data["series"][sid]["availability"] for sid in order], "x": hours,
        "y": [_short(names[sid]) for sid in order], "zmin": 0, "zmax": 100,
        "colorscale": AVAILABILITY_SCALE, "xgap": 2, "ygap": 2, "showscale": False,
        "hovertemplate": "%{y}<br>%{x|%H:00}: %{z:.2f} %<extra></extra>",
    }
    figure = _figure([trace], t("charts.availability", lang), scale,
                     xaxis={"tickformat": "%H:00", "dtick": 3 * 3600_000}, yaxis={"autorange": "reversed"})
    if not order:
        _empty(figure, lang, scale)
    return figure


def latency_figure(data: dict, systems: list[dict], lang: str = "vi", scale: float = 1.0) -> dict:
    names = _names(systems, lang)
    hours = [_local(h) for h in data["hours"]]
    traces = [
        {"type": "scatter", "x": hours, "y": data["series"][s["id"]]["latency_ms"], "name": _short(names[s["id"]], 28),
         "mode": "lines+markers", "line": {"width": 3}, "connectgaps": False,
         "hovertemplate": "%{x|%H:00}: %{y:.0f} ms<extra>%{fullData.name}</extra>"}
        for s in systems if s["id"] in data["series"]
    ]
    figure = _figure(traces, t("charts.latency", lang), scale,
                     xaxis={"tickformat": "%H:00", "dtick": 3 * 3600_000}, yaxis={"rangemode": "tozero", "ticksuffix": " ms"},
                     legend={"font": {"size": round(17 * scale)}, "orientation": "h", "y": -0.15})
    if not traces:
        _empty(figure, lang, scale)
    return figure


def timeline_figure(rows: list[dict], lang: str = "vi", scale: float = 1.0) -> dict:
    """Gantt-like bars: each system's states over the window, one colour per state."""
    by_state: dict[str, dict[str, list]] = {}
    for row in rows:
        name = _short(row["name_vi"] if lang != "en" else row["name_en"])
        for seg in row["segments"]:
            bucket = by_state.setdefault(seg["status"], {"y": [], "base": [], "x": [], "text": []})
            start, end = _local(seg["start"]), _local(seg["end"])
            bucket["y"].append(name)
            bucket["base"].append(start)
            bucket["x"].append(max((end - start).total_seconds() * 1000, 1))
            bucket["text"].append(f"{start:%H:%M} – {end:%H:%M}")
    traces = [
        {"type": "bar", "y": b["y"], "base": b["base"], "x": b["x"], "orientation": "h", "name": t(f"status.{state}", lang),
         "marker": {"color": COLOURS.get(state, COLOURS["unknown"])}, "customdata": b["text"],
         "hovertemplate": "%{y}<br>%{customdata}<extra>%{fullData.name}</extra>"}
        for state, b in by_state.items()
    ]
    names = [_short(r["name_vi"] if lang != "en" else r["name_en"]) for r in rows]
    return _figure(traces, t("charts.timeline", lang), scale,
                   xaxis={"type": "date", "tickformat": "%H:%M"},
                   yaxis={"autorange": "reversed", "categoryorder": "array", "categoryarray": names},
                   barmode="overlay", bargap=0.35,
                   legend={"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right", "font": {"size": round(19 * scale)}})


def _empty(figure: dict, lang: str, scale: float = 1.0) -> None:
    figure["layout"]["annotations"] = [{"text": t("charts.no_data", lang), "showarrow": False, "xref": "paper", "yref": "paper",
                                        "x": 0.5, "y": 0.5, "font": {"size": round(24 * scale)}}]
