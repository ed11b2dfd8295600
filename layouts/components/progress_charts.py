"""Pure figure builders for the leadership pages."""
from __future__ import annotations

from datetime import date

import plotly.graph_objects as go

from dashboard.plans.template import CATEGORIES
from dashboard.reports.numbers import format_percent
from layouts.components.figure_locale import localize

BAR_COLOR = "#1f4e79"
TARGET_COLOR = "#198754"
BEHIND_COLOR = "#c1121f"  # red always means behind target


def _layout(figure: go.Figure, height: int) -> go.Figure:
    figure.update_layout(
        height=height, margin=dict(l=10, r=10, t=10, b=30), paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
        font=dict(family="Segoe UI, Roboto, Noto Sans, DejaVu Sans, Arial, sans-serif", size=12),
    )
    return figure


def percent_bars(labels: list[str], values: list[float], height: int = 220, lang: str = "vi",
                 target: float | None = None) -> go.Figure:
    """Horizontal bars on an axis to 100 % with a 100 % reference line, first label on top, the
    number on every bar (0 % too, outside the bar so it always shows). With `target` (where the
    bar should be by now), red means behind it; without, the usual 80/50 thresholds."""
    figure = go.Figure(go.Bar(
        x=values, y=labels, orientation="h", marker_color=[_color(v, target) for v in values],
        text=[format_percent(v, lang) for v in values], textposition="outside", cliponaxis=False,
        hovertemplate="%{y}: %{text}<extra></extra>",
    ))
    figure.add_vline(x=100, line=dict(color=TARGET_COLOR, dash="dash", width=2))
    figure.update_xaxes(range=[0, 112], tickvals=[0, 25, 50, 75, 100], ticksuffix="%", gridcolor="#e9ecef")
    figure.update_yaxes(autorange="reversed")
    return localize(_layout(figure, height), lang)


def category_bars(categories: list[dict], lang: str = "vi", height: int = 240) -> go.Figure:
    index = 1 if lang == "en" else 0
    labels = [CATEGORIES.get(c["category"], (c["category"], c["category"]))[index] for c in categories]
    return percent_bars(labels, [c["percent"] for c in categories], height, lang)


def trend_line(points: list[tuple[date, float | None]], target: float | None = None, height: int = 260,
               lang: str = "vi") -> go.Figure:
    xs = [p[0] for p in points if p[1] is not None]
    ys = [p[1] for p in points if p[1] is not None]
    figure = go.Figure(go.Scatter(
        x=xs, y=ys, mode="lines+markers", line=dict(color=BAR_COLOR, width=3),
        hovertemplate="%{x|%d/%m/%Y}: %{y:.1f}%<extra></extra>",
    ))
    if target is not None and xs:
        figure.add_trace(go.Scatter(
            x=[xs[0], xs[-1]], y=[target, target], mode="lines", line=dict(color=TARGET_COLOR, dash="dash"),
            hoverinfo="skip", showlegend=False,
        ))
    figure.update_yaxes(range=[0, 105], ticksuffix="%", gridcolor="#e9ecef")
    figure.update_xaxes(tickformat="%d/%m", gridcolor="#f1f3f5")
    figure.update_layout(showlegend=False)
    return localize(_layout(figure, height), lang)


def _color(value: float, target: float | None = None) -> str:
    if target is not None:
        return BEHIND_COLOR if value < target else "#198754"
    if value >= 80:
        return "#198754"
    if value >= 50:
        return "#e9a400"
    return "#c1121f"
