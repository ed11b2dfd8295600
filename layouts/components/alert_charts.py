"""Figures and small widgets of the security alerts. Pure functions: tests call them."""
from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
from dash import dcc, html

from dashboard.domain.alerts import SEVERITIES
from dashboard.i18n import format_day, local_time, t
from layouts.components.figure_locale import localize
from layouts.components.province_map import place_positions

SEVERITY_COLOURS = {"critical": "#7b1fa2", "high": "#c1121f", "medium": "#e67e22", "low": "#b58105", "info": "#6c757d"}


def severity_badge(severity: str, lang: str) -> html.Span:
    return html.Span(t(f"severity.{severity}", lang), className=f"sev-badge sev-{severity}", **{"data-severity": severity})


def _layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="rgba(0,0,0,0)", legend=dict(orientation="h", y=-0.15), barmode="stack")
    return fig


def severity_over_time_figure(rows: list[dict], lang: str) -> go.Figure:
    """Stacked bars: new alerts per day, one colour per severity (worst on top)."""
    # days as categories (one bar each, no gaps), written dd/mm/yyyy rather than ISO
    days = [format_day(date.fromisoformat(str(r["day"])[:10]), lang) for r in rows]
    fig = go.Figure([
        go.Bar(x=days, y=[r[s] for r in rows], name=t(f"severity.{s}", lang), marker_color=SEVERITY_COLOURS[s])
        for s in reversed(SEVERITIES)
    ])
    fig.update_xaxes(type="category")
    return localize(_layout(fig, 280), lang)


def open_by_figure(rows: list[dict], lang: str, top: int = 10) -> go.Figure:
    """Horizontal stacked bars of open alerts per system or agency, most first (top N)."""
    rows = rows[:top][::-1]
    names = [_short(r["name_vi" if lang == "vi" else "name_en"] or r["id"]) for r in rows]
    fig = go.Figure([
        go.Bar(y=names, x=[r[s] for r in rows], orientation="h", name=t(f"severity.{s}", lang),
               marker_color=SEVERITY_COLOURS[s])
        for s in SEVERITIES
    ])
    fig.update_xaxes(dtick=1 if max((r["total"] for r in rows), default=0) < 10 else None)
    fig = _layout(fig, max(160, 30 * len(rows) + 40))
    fig.update_layout(showlegend=False)  # the severity chips above explain the colours
    return localize(fig, lang)


def _short(name: str, limit: int = 28) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def graph(fig: go.Figure, graph_id: str) -> dcc.Graph:
    return dcc.Graph(id=graph_id, figure=fig, config={"displayModeBar": False})


# ---------------------------------------------------------------------------- wall and map


def critical_alerts_panel(items: list[dict], lang: str) -> html.Div:
    """New critical/high alerts for the wall (items from alerts_queries.latest_alerts). Text is
    passed as plain strings: Dash renders it inert whatever a sender put in it."""
    rows = [
        html.Li([severity_badge(item["severity"], lang), " ",
                 html.Span(local_time(item["at"]), className="alert-feed-time"), " ",
                 html.A(item["title_vi"] if lang == "vi" else item["title_en"], href=item.get("href"), className="alert-feed-title"),
                 html.Div(item["text"], className="alert-feed-text")],
                className=f"alert-feed-item sev-{item['severity']}", **{"data-alert-id": str(item["id"])})
        for item in items
    ]
    return html.Div([html.H2(t("sec.feed", lang), className="h6"),
                     html.Ul(rows, className="alert-feed list-unstyled mb-0") if rows else html.P(t("sec.none", lang))],
                    className="alert-feed-panel")


def alert_marker_trace(places: dict[str, dict], lang: str, positions: dict[str, tuple[float, float]] | None = None) -> go.Scattermap:
    """Map markers of open alerts (from alerts_queries.alerts_by_agency): one halo per place
    with alerts, coloured by the worst severity, sized by count. `positions` overrides or fills
    coordinates (e.g. province_map.place_positions for agencies without their own)."""
    positions = positions or {}
    keys = [k for k, p in places.items() if (positions.get(k) or (p.get("lat"), p.get("lon")))[0] is not None]
    lat = [(positions.get(k) or (places[k]["lat"], places[k]["lon"]))[0] for k in keys]
    lon = [(positions.get(k) or (places[k]["lat"], places[k]["lon"]))[1] for k in keys]
    hover = [f"{places[k].get('name_vi' if lang == 'vi' else 'name_en') or k}: {places[k]['count']} "
             f"({t('severity.' + places[k]['worst'], lang)})" for k in keys]
    return go.Scattermap(
        lat=lat, lon=lon, mode="markers", name=t("sec.open", lang), hovertext=hover, hoverinfo="text",
        # Drawn under the places' own markers, larger: a coloured halo around each place with alerts.
        marker=dict(size=[min(30 + 4 * places[k]["count"], 50) for k in keys],
                    color=[SEVERITY_COLOURS[places[k]["worst"]] for k in keys], opacity=0.6),
        customdata=keys, meta={"layer": "alerts"},
    )


def with_alert_markers(figure: go.Figure, places: list[dict], alert_places: dict[str, dict], lang: str) -> go.Figure:
    """Add the open-alert markers on top of the province map (wall_queries.map_places items give
    the positions, so provincial agencies sit where the map draws them)."""
    if not alert_places:
        return figure
    trace = alert_marker_trace(alert_places, lang, place_positions(places))
    figure.add_trace(trace)
    figure.data = (figure.data[-1], *figure.data[:-1])  # underneath: the place's state colour stays readable
    return figure


def alert_signature(alert_places: dict[str, dict]) -> str:
    """Changes when the alert markers would: the wall map sends a new figure only then."""
    return "|" + ",".join(f"{k}:{p['count']}:{p['worst']}" for k, p in sorted(alert_places.items()))
