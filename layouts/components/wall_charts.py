"""Wall charts, as pure figure builders: availability and latency per system over 24 h, and
the timeline of state changes. Times are shown in Vietnam time (UTC+7).

The three charts are stacked and share one time axis: the same range (the 24 hourly buckets,
up to the end of the current hour), the same ticks and the same fixed left margin, so an hour
sits at the same x in all three. Systems are named by their catalog `short_name`; every
system has a row (the commune network included), and the latency chart draws at most eight
lines in eight distinguishable colours (the slowest systems when there are more).

Figures are plain dicts in Plotly's JSON shape: building them through plotly.graph_objects
validates every property and cost ~10 ms per figure, a third of the charts' refresh."""
from __future__ import annotations

from datetime import datetime, timedelta

from dashboard.i18n import VN_TZ, t
from layouts.components.province_map import COLOURS

TEXT = "#e8edf3"
GRID = "#2a3545"
BACKGROUND = "rgba(0,0,0,0)"
# Availability colours: red below 90 %, amber to 99 %, green at 100 %.
AVAILABILITY_SCALE = [[0.0, "#ff4d4f"], [0.9, "#ff4d4f"], [0.95, "#f08c2e"], [0.99, "#f2c14e"], [0.999, "#8fd694"], [1.0, "#2fbf71"]]
# Eight colours told apart on a dark ground, colour-blind safe (Okabe–Ito, lightened blue).
LINE_COLOURS = ["#e69f00", "#56b4e9", "#009e73", "#f0e442", "#8fb8ff", "#d55e00", "#cc79a7", "#ffffff"]
MAX_LINES = len(LINE_COLOURS)
LEFT_MARGIN = 230  # px at 1920: the longest short name at 24 px, the same in every chart


def _local(moment: datetime) -> datetime:
    """Naive Vietnam time: Plotly draws naive datetimes as they are."""
    return moment.astimezone(VN_TZ).replace(tzinfo=None)


def time_range(hours: list[datetime]) -> list[datetime]:
    """The shared x range: from the first hour's start to the end of the last (current) hour."""
    if not hours:
        return []
    return [_local(hours[0]), _local(hours[-1] + timedelta(hours=1))]


def _figure(traces: list[dict], title: str, scale: float = 1.0, xaxis: dict | None = None, yaxis: dict | None = None, **extra) -> dict:
    layout = {
        "title": {"text": title, "font": {"size": round(26 * scale)}, "x": 0.005, "xanchor": "left", "y": 0.98, "yanchor": "top"},
        "paper_bgcolor": BACKGROUND, "plot_bgcolor": BACKGROUND,
        "font": {"color": TEXT, "size": round(24 * scale)},
        "margin": {"l": round(LEFT_MARGIN * scale), "r": round(20 * scale), "t": round(48 * scale), "b": round(36 * scale)},
        "hoverlabel": {"font": {"size": round(22 * scale)}},
        "xaxis": {"gridcolor": GRID, "zeroline": False, "type": "date", "tickformat": "%H:%M", "dtick": 3 * 3600_000, **(xaxis or {})},
        "yaxis": {"gridcolor": GRID, "zeroline": False, "automargin": False, **(yaxis or {})},
        **extra,
    }
    return {"data": traces, "layout": layout}


def short_names(systems: list[dict], lang: str) -> dict[str, str]:
    """id → the catalog's short name, else the name in the reader's language (cut at 16)."""
    names = {}
    for s in systems:
        name = s.get("short_name") or (s["name_vi"] if lang != "en" else s["name_en"])
        names[s["id"]] = name if len(name) <= 16 else name[:15] + "…"
    return names


def availability_figure(data: dict, systems: list[dict], lang: str = "vi", scale: float = 1.0) -> dict:
    """Heatmap: a row per system, a column per hour; empty cells where nothing was checked.
    Cells are centred on the half hour, so each covers its hour on the shared axis."""
    names = short_names(systems, lang)
    order = [s["id"] for s in systems]
    hours = [_local(h) + timedelta(minutes=30) for h in data["hours"]]
    empty = [None] * len(hours)
    trace = {
        "type": "heatmap", "z": [data["series"].get(sid, {}).get("availability", empty) for sid in order], "x": hours,
        "y": [names[sid] for sid in order], "zmin": 0, "zmax": 100,
        "colorscale": AVAILABILITY_SCALE, "xgap": 2, "ygap": 2, "showscale": False,
        "hovertemplate": "%{y}<br>%{x|%H:00}: %{z:.2f} %<extra></extra>",
    }
    rows = [names[sid] for sid in order]
    figure = _figure([trace], t("charts.availability", lang), scale, xaxis={"range": time_range(data["hours"])},
                     # every name, never every other one (Plotly thins category labels it finds crowded)
                     yaxis={"autorange": "reversed", "showgrid": False, "tickmode": "array", "tickvals": rows, "ticktext": rows})
    figure["layout"]["margin"]["r"] = round(230 * scale)  # as the charts below, whose legends sit there
    if not any(sid in data["series"] for sid in order):
        _empty(figure, lang, scale)
    return figure


def latency_figure(data: dict, systems: list[dict], lang: str = "vi", scale: float = 1.0) -> dict:
    """A line per system (at most eight: the slowest over the window when there are more)."""
    names = short_names(systems, lang)
    hours = [_local(h) + timedelta(minutes=30) for h in data["hours"]]
    drawn = [s for s in systems if s["id"] in data["series"]]
    if len(drawn) > MAX_LINES:
        def peak(s):
            return max((v for v in data["series"][s["id"]]["latency_ms"] if v is not None), default=-1.0)
        keep = {s["id"] for s in sorted(drawn, key=peak, reverse=True)[:MAX_LINES]}
        drawn = [s for s in drawn if s["id"] in keep]
    traces = [
        {"type": "scatter", "x": hours, "y": data["series"][s["id"]]["latency_ms"], "name": names[s["id"]],
         "mode": "lines+markers", "line": {"width": 3, "color": LINE_COLOURS[i]}, "marker": {"color": LINE_COLOURS[i], "size": 7},
         "connectgaps": False, "hovertemplate": "%{x|%H:00}: %{y:.0f} ms<extra>%{fullData.name}</extra>"}
        for i, s in enumerate(drawn)
    ]
    figure = _figure(traces, t("charts.latency", lang), scale, xaxis={"range": time_range(data["hours"])},
                     yaxis={"rangemode": "tozero", "ticksuffix": " ms"},
                     # outside the plot, right of it: the legend never covers a line
                     legend={"font": {"size": round(19 * scale)}, "x": 1.0, "xanchor": "left", "y": 1.0, "yanchor": "top",
                             "tracegroupgap": 0})
    figure["layout"]["margin"]["r"] = round(230 * scale)
    if not traces:
        _empty(figure, lang, scale)
    return figure


def timeline_figure(rows: list[dict], lang: str = "vi", scale: float = 1.0, hours: list[datetime] | None = None) -> dict:
    """Gantt-like bars: each system's states over the window, one colour per state."""
    names = short_names(rows, lang)
    by_state: dict[str, dict[str, list]] = {}
    for row in rows:
        name = names[row["id"]]
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
    figure = _figure(traces, t("charts.timeline", lang), scale,
                     xaxis={"range": time_range(hours)} if hours else None,
                     yaxis={"autorange": "reversed", "categoryorder": "array", "categoryarray": [names[r["id"]] for r in rows],
                            "showgrid": False, "tickmode": "array", "tickvals": [names[r["id"]] for r in rows],
                            "ticktext": [names[r["id"]] for r in rows]},
                     barmode="overlay", bargap=0.35,
                     legend={"font": {"size": round(22 * scale)}, "x": 1.0, "xanchor": "left", "y": 1.0, "yanchor": "top"})
    figure["layout"]["margin"]["r"] = round(230 * scale)
    return figure


def _empty(figure: dict, lang: str, scale: float = 1.0) -> None:
    figure["layout"]["annotations"] = [{"text": t("charts.no_data", lang), "showarrow": False, "xref": "paper", "yref": "paper",
                                        "x": 0.5, "y": 0.5, "font": {"size": round(24 * scale)}}]
