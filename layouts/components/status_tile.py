"""A tile per shared system: name, status colour and word, since when, last check, latency."""
from __future__ import annotations

from datetime import datetime

from dash import dcc, html

from collectors.timeutil import parse_iso
from dashboard.i18n import ago, format_ms, local_time, status_label, t

# A glyph beside the colour, so that status never depends on colour alone.
STATUS_GLYPH = {"up": "●", "degraded": "▲", "down": "✖", "unknown": "?", "maintenance": "⚙"}


def status_badge(status: str, lang: str, class_name: str = "") -> html.Span:
    return html.Span(
        [html.Span(STATUS_GLYPH.get(status, "?"), className="status-glyph", **{"aria-hidden": "true"}), " ", status_label(status, lang)],
        className=f"status-badge status-{status} {class_name}".strip(),
    )


def commune_summary(endpoints: list[dict]) -> tuple[int, int] | None:
    """(units whose server is reporting, units watched) for a system holding the per-commune
    heartbeats; None for any other system. 'degraded' still reports: its pings arrive."""
    communes = [e for e in endpoints if e.get("commune")]
    if not communes:
        return None
    return sum(e["status"] in ("up", "degraded") for e in communes), len(communes)


def status_tile(system: dict, lang: str, now: datetime) -> html.Div:
    name = system["name_vi"] if lang != "en" else system["name_en"]
    other_name = system["name_en"] if lang != "en" else system["name_vi"]
    since = parse_iso(system["status_since"])
    checked = parse_iso(system["last_check_at"])
    latencies = [e["latency_ms"] for e in system["endpoints"] if e["latency_ms"] is not None and e["status"] != "unknown"]
    latency = max(latencies) if latencies else None
    links = system["links"]
    body = [
        html.Div(
            [status_badge(system["status"], lang), html.Span(f"{t('tile.since', lang)} {ago(since, now, lang)}" if since else "", className="tile-since")],
            className="d-flex justify-content-between align-items-center mb-2",
        ),
        # The whole tile opens the system's drill-down page (stretched-link covers the card).
        html.H3(dcc.Link(name, href=f"/systems/{system['id']}", className="tile-detail-link stretched-link"), className="tile-name"),
        html.Div(other_name, className="tile-name-other"),
        html.Dl(
            [
                html.Dt(t("tile.last_check", lang)), html.Dd(f"{local_time(checked)} ({ago(checked, now, lang)})" if checked else t("tile.never", lang), className="tile-checked"),
                html.Dt(t("tile.latency", lang)), html.Dd(format_ms(latency, lang), className="tile-latency"),
            ],
            className="tile-facts",
        ),
    ]
    if links:
        body.append(
            html.Div(
                [html.Span(t("tile.links", lang) + ": ", className="text-muted")]
                + [
                    html.Span(
                        [STATUS_GLYPH.get(link["status"], "?"), " ", link["platform_name_vi"] if lang != "en" else link["platform_name_en"]],
                        className=f"tile-link status-text-{link['status']}",
                        title=link.get("short_reason") or link["reason"] or "",
                    )
                    for link in links
                ],
                className="tile-links",
            )
        )
    communes = commune_summary(system["endpoints"])
    if communes is not None:
        body.append(html.Div(t("tile.communes", lang, n=communes[0], total=communes[1]), className="tile-communes"))
    if system["status"] in ("down", "degraded") and system["reason"]:
        # one line on the tile; the whole sentence on hover and on the system's page
        body.append(html.Div(system.get("short_reason") or system["reason"], className="tile-reason", title=system["reason"]))
    # A plain Div with Bootstrap's card classes: dbc.Card does not take data-* attributes,
    # which tests and the wall's pulse animation read.
    return html.Div(
        html.Div(body, className="card-body"),
        id={"type": "system-tile", "system": system["id"]},
        className=f"card system-tile tile-{system['status']}",
        **{"data-system": system["id"], "data-status": system["status"]},
    )
