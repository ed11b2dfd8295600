"""Dash html components written out as plain HTML, for a page's first paint: what the server
puts in the page itself, shown while the browser loads and starts the app's scripts (see
dashboard.web.app.first_paint). Only inert markup comes out: a few layout tags, classes, titles,
aria-* and data-* attributes and inline custom properties; no ids (the live page owns them), no
links, no scripts, no event handlers. Everything else is dropped with its children kept."""
from __future__ import annotations

import re

from dash.development.base_component import Component
from markupsafe import escape

TAGS = frozenset({"div", "span", "section", "header", "h1", "h2", "h3", "ul", "ol", "li", "p", "strong", "small", "em"})
_ATTRIBUTE = re.compile(r"^(aria|data)-[a-z0-9-]+$")
_STYLE_KEY = re.compile(r"^(--[a-z0-9-]+|[a-z-]+)$")
# numbers with a unit, colours, keywords and var(--…): nothing that fetches or runs
_STYLE_VALUE = re.compile(r"^(var\(--[a-z0-9-]+\)|#[0-9a-fA-F]{3,8}|-?[\d.]+(%|px|em|rem|vw|vh)?|[a-z-]+)$")


def to_html(node) -> str:
    """The markup of a component tree (components, lists, text and numbers)."""
    if node is None or isinstance(node, bool):
        return ""
    if isinstance(node, (str, int, float)):
        return str(escape(node))
    if isinstance(node, (list, tuple)):
        return "".join(to_html(child) for child in node)
    if not isinstance(node, Component):
        return ""
    children = to_html(getattr(node, "children", None))
    tag = type(node).__name__.lower()
    if getattr(node, "_namespace", "") != "dash_html_components" or tag not in TAGS:
        return children
    return f"<{tag}{_attributes(node)}>{children}</{tag}>"


def _attributes(node: Component) -> str:
    props = node.to_plotly_json()["props"]
    out = []
    if isinstance(props.get("className"), str):
        out.append(f' class="{escape(props["className"])}"')
    if isinstance(props.get("title"), str):
        out.append(f' title="{escape(props["title"])}"')
    if isinstance(props.get("role"), str):
        out.append(f' role="{escape(props["role"])}"')
    for name, value in sorted(props.items()):
        if _ATTRIBUTE.match(name) and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            out.append(f' {name}="{escape(value)}"')
    style = props.get("style")
    if isinstance(style, dict):
        rules = [f"{_kebab(key)}: {value}" for key, value in style.items()
                 if isinstance(key, str) and _STYLE_KEY.match(_kebab(key)) and isinstance(value, (str, int, float))
                 and _STYLE_VALUE.match(str(value))]
        if rules:
            out.append(f' style="{escape("; ".join(rules))}"')
    return "".join(out)


def _kebab(key: str) -> str:
    """React's camelCase style keys as CSS property names (custom properties stay as they are)."""
    return key if key.startswith("--") else re.sub(r"[A-Z]", lambda m: "-" + m.group().lower(), key)
