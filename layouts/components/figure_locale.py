"""Figures in the reader's language: decimal comma and dot thousands in Vietnamese, dd/mm/yyyy
dates and 24-hour times on date axes and in hovers, whatever the zoom. Plotly's own default
ticks read "Dec 1, 2026" and "3 PM"; the `vi` locale in assets/ translates month and day names,
these formats keep the dates numeric as the province writes them. Pure function of plain data."""
from __future__ import annotations

from datetime import date, datetime

import plotly.graph_objects as go

from dashboard.i18n import separators

HOVER_FORMAT = "%d/%m/%Y %H:%M"
DAY_HOVER_FORMAT = "%d/%m/%Y"
# Plotly picks the stop whose dtick range holds the current tick spacing (milliseconds, "M" months).
TICK_FORMAT_STOPS = [
    {"dtickrange": [None, 60_000], "value": "%H:%M:%S"},
    {"dtickrange": [60_000, 86_400_000], "value": "%H:%M<br>%d/%m"},
    {"dtickrange": [86_400_000, "M1"], "value": "%d/%m/%Y"},
    {"dtickrange": ["M1", "M12"], "value": "%m/%Y"},
    {"dtickrange": ["M12", None], "value": "%Y"},
]


def _is_date(value) -> bool:
    if isinstance(value, (datetime, date)):
        return True
    # ISO strings ("2026-12-01", "2026-12-01T10:00:00+07:00"): digits and dashes where a date has them
    return isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-" and value[:4].isdigit()


def _first(values):
    for value in values if values is not None else ():
        if value is not None:
            return value
    return None


def _get(item, key):
    return item.get(key) if isinstance(item, dict) else getattr(item, key, None)


def _date_axes(traces, layout) -> set[str]:
    """Layout names of the axes ("xaxis", "xaxis2", "yaxis") that carry dates."""
    names = [key for key in (layout if isinstance(layout, dict) else layout.to_plotly_json()) if key[1:5] == "axis"]
    axes = {name for name in names if _get(_get(layout, name) or {}, "type") == "date"}
    for trace in traces:
        for letter in ("x", "y"):
            if _is_date(_first(_get(trace, letter))):
                ref = _get(trace, f"{letter}axis") or letter
                axes.add(f"{letter}axis{ref[1:]}")
    return axes


def localize(figure, lang: str):
    """The same figure (go.Figure or a plain {"data", "layout"} dict), formatted for `lang`.
    Axes that already have a tick format (a 24 h wall chart's "%H:00") keep it. Reads the traces
    in place: copying a year of points to inspect them would cost more than the chart."""
    is_figure = isinstance(figure, go.Figure)
    layout = figure.layout if is_figure else (figure.get("layout") or {})
    traces = figure.data if is_figure else (figure.get("data") or [])
    changes: dict = {"separators": separators(lang)}
    for name in _date_axes(traces, layout):
        axis = _get(layout, name) or {}
        update = {}
        if not _get(axis, "tickformat") and not _get(axis, "tickformatstops"):
            update["tickformatstops"] = TICK_FORMAT_STOPS
        if not _get(axis, "hoverformat"):
            update["hoverformat"] = HOVER_FORMAT
        if update:
            changes[name] = update
    if is_figure:
        figure.update_layout(changes)
        return figure
    merged = dict(layout)
    for key, value in changes.items():
        merged[key] = {**(merged.get(key) or {}), **value} if isinstance(value, dict) else value
    figure["layout"] = merged
    return figure
