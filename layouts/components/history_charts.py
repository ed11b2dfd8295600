"""Pure figure builders for the drill-down history: latency (avg and p95) and
availability over a range, one trace per endpoint. Inputs are the points of
dashboard.readmodels.detail.history; times are shown in Vietnam time (UTC+7)."""
from __future__ import annotations

import plotly.graph_objects as go

from dashboard.i18n import VN_TZ, t
from layouts.components.figure_locale import localize

STATUS_COLORS = {
    "up": "#198754", "degraded": "#b58105", "down": "#c1121f", "unknown": "#6c757d", "maintenance": "#0d6efd",
    "unmonitored": "#adb5bd",
}
SERIES_COLORS = ["#1f4e79", "#8e44ad", "#e67e22", "#16a085", "#7f8c8d", "#c0392b"]
FONT = "Segoe UI, Roboto, Noto Sans, DejaVu Sans, Arial, sans-serif"


def _layout(figure: go.Figure, height: int, y_title: str) -> go.Figure:
    figure.update_layout(
        height=height, margin=dict(l=10, r=10, t=10, b=30), paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
        font=dict(family=FONT, size=12), legend=dict(orientation="h", y=-0.18), hovermode="x unified",
        yaxis_title=y_title,
    )
    figure.update_xaxes(gridcolor="#e9ecef")
    figure.update_yaxes(gridcolor="#e9ecef", rangemode="tozero")
    return figure


def _local(points: list[dict]) -> list:
    return [p["t"].astimezone(VN_TZ).replace(tzinfo=None) for p in points]


def _show_window(figure: go.Figure, window: tuple | None) -> None:
    """Span the whole range asked for, so a young history reads as a short line at the right
    end of 24 h rather than as a zoom into a few seconds."""
    if window:
        start, end = (moment.astimezone(VN_TZ).replace(tzinfo=None) for moment in window)
        figure.update_xaxes(range=[start, end])


def _empty(figure: go.Figure, lang: str) -> go.Figure:
    figure.add_annotation(text=t("detail.no_data", lang), showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                          font=dict(color="#6c757d", size=14))
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def latency_figure(series: dict[str, list[dict]], lang: str = "vi", height: int = 260, window: tuple | None = None) -> go.Figure:
    """Average latency (solid) and p95 (dotted) per endpoint; `series` maps a label to points."""
    traces = []
    for index, (label, points) in enumerate(series.items()):
        color = SERIES_COLORS[index % len(SERIES_COLORS)]
        xs = _local(points)
        traces.append(go.Scatter(
            x=xs, y=[p["latency_avg_ms"] for p in points], name=f"{label} · {t('detail.avg', lang)}",
            mode="lines", line=dict(color=color, width=2), connectgaps=False, hovertemplate="%{y:.0f} ms",
        ))
        traces.append(go.Scatter(
            x=xs, y=[p["latency_p95_ms"] for p in points], name=f"{label} · p95",
            mode="lines", line=dict(color=color, width=1, dash="dot"), connectgaps=False, hovertemplate="%{y:.0f} ms",
        ))
    # One Figure(data=...) call: add_trace per trace costs ~25 ms each with a year of points.
    figure = _layout(go.Figure(data=traces), height, "ms")
    _show_window(figure, window)
    if not any(p["latency_avg_ms"] is not None for points in series.values() for p in points):
        _empty(figure, lang)
    return localize(figure, lang)


def availability_figure(series: dict[str, list[dict]], lang: str = "vi", height: int = 220, window: tuple | None = None) -> go.Figure:
    """Uptime per bucket (0–100 %), one line per endpoint; buckets with failures get a red ✖ marker."""
    traces = []
    for index, (label, points) in enumerate(series.items()):
        color = SERIES_COLORS[index % len(SERIES_COLORS)]
        xs = _local(points)
        traces.append(go.Scatter(
            x=xs, y=[p["uptime"] for p in points], name=label, mode="lines",
            line=dict(color=color, width=2, shape="hv"), hovertemplate="%{y:.2f}%",
        ))
        failing = [i for i, p in enumerate(points) if (p["failures"] or 0) > 0]
        if failing:
            traces.append(go.Scatter(
                x=[xs[i] for i in failing], y=[points[i]["uptime"] for i in failing], name=f"{label} · {t('status.down', lang)}",
                mode="markers", marker=dict(color=STATUS_COLORS["down"], size=7, symbol="x"), hoverinfo="skip", showlegend=False,
            ))
    figure = _layout(go.Figure(data=traces), height, "%")
    figure.update_yaxes(range=[0, 100.5], ticksuffix="%", rangemode=None)
    _show_window(figure, window)
    if not any(p["uptime"] is not None for points in series.values() for p in points):
        _empty(figure, lang)
    return localize(figure, lang)
