"""Pieces of the operator wall as pure functions (tests call them without an app)."""
from __future__ import annotations

from dash import html

from dashboard.i18n import ago, format_ms, local_time, status_label, t
from dashboard.readmodels import wall as wq
from layouts.components.province_map import COLOURS, state_label
from layouts.components.status_tile import STATUS_GLYPH

COUNTED_STATES = ("up", "degraded", "down", "maintenance")


def rotation(current: str, pages: tuple[str, ...] | list[str]) -> str | None:
    """The page after `current` in the rotation, or None when there is nothing to rotate to."""
    pages = [p for p in pages if p]
    if not pages or (len(pages) == 1 and pages[0] == current):
        return None
    if current in pages:
        return pages[(pages.index(current) + 1) % len(pages)]
    return pages[0]


def tile(item: dict, lang: str, now) -> html.Div:
    status = item["status"]
    name = item["name_vi"] if lang != "en" else item["name_en"]
    meta = [t("wall.changed", lang, ago=ago(item["status_since"], now, lang)) if item["status_since"] else t("tile.never", lang)]
    if item["latency_ms"] is not None and status not in ("unknown", "down"):
        meta.append(format_ms(item["latency_ms"], lang))
    children = [
        html.Div([html.Span(STATUS_GLYPH.get(status, "?"), **{"aria-hidden": "true"}), html.Span(status_label(status, lang))], className="wall-tile-state"),
        html.Div(name, className="wall-tile-name"),
        html.Div(" · ".join(meta), className="wall-tile-meta"),
    ]
    if item["stale"]:
        children.append(html.Div(t("wall.stale.no_results", lang, time=local_time(item["last_check_at"], with_date=True)), className="wall-tile-reason"))
    elif status in ("down", "degraded") and item["reason"]:
        children.append(html.Div(item["reason"], className="wall-tile-reason", title=item["reason"]))
    classes = f"wall-tile tile-{status}" + (" is-recent" if item["recent"] else "")
    return html.Div(children, className=classes, **{"data-system": item["id"], "data-status": status})


def count_chips(counts: dict[str, int], lang: str) -> list:
    shown = list(COUNTED_STATES) + (["unknown"] if counts.get("unknown") else [])
    return [
        html.Div(
            [html.Span(status_label(state, lang), className="wall-count-label"), html.Span(str(counts.get(state, 0)), className="wall-count-n")],
            className=f"wall-count status-{state}" + (" has-some" if counts.get(state) else ""),
            **{"data-state": state, "data-count": str(counts.get(state, 0))},
        )
        for state in shown
    ]


def gauge(label: str, share: dict) -> html.Div:
    percent = share["percent"]
    colour = "var(--wall-up)" if percent is not None and percent >= 100 else "var(--wall-degraded)" if percent is not None and percent >= 80 else "var(--wall-down)"
    return html.Div(
        [
            html.Div(html.Span("—" if percent is None else f"{percent:.0f}%", className="wall-gauge-value"),
                     className="wall-gauge-ring", style={"--value": percent or 0, "--colour": colour}),
            html.Div([html.Div(label, className="wall-gauge-label"), html.Div(f"{share['ok']}/{share['total']}", className="wall-gauge-detail")]),
        ],
        className="wall-gauge",
        **{"data-percent": "" if percent is None else str(percent)},
    )


def feed_items(items: list[dict], lang: str, now) -> list:
    if not items:
        return [html.Li(t("wall.feed.empty", lang), className="wall-empty")]
    rows = []
    for item in items:
        same_day = local_time(item["at"], with_date=True)[:10] == local_time(now, with_date=True)[:10]
        when = local_time(item["at"])[:5] if same_day else local_time(item["at"], with_date=True)[:16]
        title = item["title_vi"] if lang != "en" else item["title_en"]
        kind = t(f"wall.feed.{item['kind']}", lang)
        state = t("wall.feed.open", lang) if item["open"] else t("wall.feed.closed", lang)
        rows.append(html.Li(
            [
                html.Span(when, className="wall-feed-time"),
                html.Span(f"{kind}: {title}", className="wall-feed-title"),
                html.Span(state, className="wall-feed-state"),
                html.Span(item["text"], className="wall-feed-text", title=item["text"]),
            ],
            className=f"wall-feed-item severity-{item['severity']} " + ("is-open" if item["open"] else "is-closed"),
        ))
    return rows


def banner(freshness: dict, lang: str, database_down: bool = False):
    if database_down:
        reasons = [t("wall.stale.database", lang)]
    elif not freshness["stale"]:
        return None
    else:
        reasons = [
            t("wall.stale.no_results_ever", lang) if reason == "no_results" and freshness["last_data_at"] is None
            else t(f"wall.stale.{reason}", lang, time=local_time(freshness["last_data_at"], with_date=True))
            for reason in freshness["reasons"]
        ]
    return html.Div(
        [html.Div(f"⚠ {t('wall.stale.heading', lang)}"), html.Div(" ".join(reasons) + " " + t("wall.stale.footer", lang), className="wall-banner-reasons")],
        className="wall-banner", id="wall-stale-banner",
    )


def places_panel(places: list[dict], lang: str) -> list:
    counts: dict[str, int] = {}
    for p in places:
        if p["kind"] in wq.COMMUNE_KINDS:
            counts[p["status"]] = counts.get(p["status"], 0) + 1
    troubled = sorted((p for p in places if p["status"] in ("down", "degraded")), key=lambda p: (wq.SEVERITY_RANK[p["status"]], p["name_vi"]))
    return [
        html.Div(
            [html.Span([html.Span(className="wall-place-dot", style={"background": COLOURS.get(state)}), f"{state_label(state, lang)}: {n}"], className="wall-place-count")
             for state, n in sorted(counts.items(), key=lambda kv: wq.SEVERITY_RANK.get(kv[0], 9))],
            className="wall-place-counts",
        ),
        html.Ul(
            [html.Li(html.A([html.Span(className="wall-place-dot", style={"background": COLOURS.get(p["status"])}), p["name_vi"] if lang != "en" else p["name_en"]], href=p["path"]))
             for p in troubled[:20]]
            or [html.Li(t("wall.places.none", lang), className="wall-empty")],
            className="wall-places",
        ),
    ]
