"""The dependency diagram of one system: the system in the middle, national
platforms above it, provincial systems it depends on to the left and those depending on it
to the right. Each edge is coloured (and marked with a glyph) by its state, so a failing link
stands out. Positions are computed here; no layout engine is needed for a star."""
from __future__ import annotations

import plotly.graph_objects as go

from dashboard.i18n import status_label, t
from layouts.components.history_charts import FONT, STATUS_COLORS
from layouts.components.status_tile import STATUS_GLYPH

EDGE_WIDTH = {"down": 5, "degraded": 4}


def spread(count: int, low: float, high: float) -> list[float]:
    """`count` values evenly spaced over [low, high] (one value: the middle)."""
    if count <= 0:
        return []
    if count == 1:
        return [round((low + high) / 2, 4)]
    step = (high - low) / (count - 1)
    return [round(low + i * step, 4) for i in range(count)]


def graph_layout(deps: dict) -> dict:
    """Node positions and edges (pure data; the figure is drawn from this). National platforms
    in a row above the system, systems it depends on in a column to its left, systems that
    depend on it in a column to its right: readable with many nodes, no layout engine needed."""
    nodes = [{**deps["center"], "role": "center", "x": 0.0, "y": 0.0}]
    edges = []
    platforms = deps.get("platforms", [])
    width = min(1.6, 0.45 * max(len(platforms) - 1, 0))
    groups = (
        ("platform", platforms, [(x, 1.0) for x in spread(len(platforms), -width, width)]),
        ("upstream", deps.get("upstream", []), [(-1.3, y) for y in spread(len(deps.get("upstream", [])), 0.45, -0.95)]),
        ("downstream", deps.get("downstream", []), [(1.3, y) for y in spread(len(deps.get("downstream", [])), 0.45, -0.95)]),
    )
    for role, items, positions in groups:
        for item, (x, y) in zip(items, positions):
            nodes.append({**item, "role": role, "x": x, "y": y})
            edges.append({"id": item["id"], "role": role, "status": item["status"], "x": (0.0, x), "y": (0.0, y),
                          "reason": item.get("reason"), "href": item.get("href")})
    return {"nodes": nodes, "edges": edges}


def dependency_figure(deps: dict, lang: str = "vi", height: int = 360) -> go.Figure:
    layout = graph_layout(deps)
    label_key = "label_en" if lang == "en" else "label_vi"
    traces = []
    for edge in layout["edges"]:
        status = edge["status"]
        traces.append(go.Scatter(
            x=list(edge["x"]), y=list(edge["y"]), mode="lines", hoverinfo="skip", showlegend=False,
            line=dict(color=STATUS_COLORS.get(status, STATUS_COLORS["unknown"]), width=EDGE_WIDTH.get(status, 2.5),
                      dash="solid" if status in ("up", "down", "degraded") else "dot"),
            name=f"edge:{edge['id']}",
        ))
    # A glyph in the middle of each edge: the state never depends on colour alone.
    mids = layout["edges"]
    if mids:
        traces.append(go.Scatter(
            x=[sum(e["x"]) / 2 for e in mids], y=[sum(e["y"]) / 2 for e in mids], mode="markers+text",
            text=[STATUS_GLYPH.get(e["status"], "?") for e in mids], textfont=dict(color="#ffffff", size=12),
            marker=dict(size=22, color=[STATUS_COLORS.get(e["status"], STATUS_COLORS["unknown"]) for e in mids]),
            customdata=[[status_label(e["status"], lang) if e["status"] in STATUS_GLYPH else e["status"], e["reason"] or ""] for e in mids],
            hovertemplate="%{customdata[0]}<br>%{customdata[1]}<extra></extra>", showlegend=False, name="edge-states",
        ))
    nodes = layout["nodes"]
    traces.append(go.Scatter(
        x=[n["x"] for n in nodes], y=[n["y"] for n in nodes], mode="markers+text",
        text=[_wrap(n[label_key]) for n in nodes],
        textposition=[_text_position(n) for n in nodes],
        marker=dict(
            size=[34 if n["role"] == "center" else 22 for n in nodes],
            symbol=["circle" if n["role"] in ("center", "upstream", "downstream") else "square" for n in nodes],
            color=[STATUS_COLORS.get(n["status"], STATUS_COLORS["unknown"]) for n in nodes],
            line=dict(color="#ffffff", width=2),
        ),
        customdata=[[_role_text(n["role"], lang), n[label_key]] for n in nodes],
        hovertemplate="%{customdata[1]}<br>%{customdata[0]}<extra></extra>", showlegend=False, name="nodes",
    ))
    return go.Figure(data=traces, layout=dict(
        height=height, margin=dict(l=10, r=10, t=10, b=10), paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
        font=dict(family=FONT, size=12),
        xaxis=dict(visible=False, range=[-2.6, 2.6], fixedrange=True),
        yaxis=dict(visible=False, range=[-1.25, 1.45], fixedrange=True),
    ))


def _text_position(node: dict) -> str:
    if node["role"] == "center":
        return "bottom center"
    if node["role"] == "platform":
        return "top center"
    # Names of provincial systems go outwards, so several of them on one arc do not overlap.
    return "middle left" if node["role"] == "upstream" else "middle right"


def _role_text(role: str, lang: str) -> str:
    return t(f"deps.role.{role}", lang)


def _wrap(text: str, width: int = 28) -> str:
    """Break long names over lines (Plotly text honours <br>)."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(lines)
