"""Pieces of the operator wall as pure functions (tests call them without an app)."""
from __future__ import annotations

from datetime import datetime

from dash import html

from dashboard.i18n import format_ms, local_time, status_label, t
from dashboard.readmodels import wall as wq
from dashboard.web.facade import database_down_since
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
    """A system's tile: the state word, a short name big enough for the room, the full name
    below it, the cause on one line (ellipsized; the whole text is in the tooltip) and since when."""
    status = item["status"]
    name = item["name_vi"] if lang != "en" else item["name_en"]
    short = item.get("short_name") or name
    # "since 14:43": shorter than "changed 3 minutes ago", and it does not tick
    meta = [t("wall.since", lang, time=_clock(item["status_since"], now)) if item["status_since"] else t("tile.never", lang)]
    if item["latency_ms"] is not None and status not in ("unknown", "down"):
        meta.append(format_ms(item["latency_ms"], lang))
    children = [
        html.Div([html.Span(STATUS_GLYPH.get(status, "?"), **{"aria-hidden": "true"}), html.Span(status_label(status, lang))], className="wall-tile-state"),
        html.Div(short, className="wall-tile-name" + _name_size(short), title=name),
    ]
    if short != name:
        children.append(html.Div(name, className="wall-tile-fullname"))
    cause = item.get("short_reason") or item.get("short_cause") or item.get("reason")
    if item["stale"]:
        children.append(html.Div(t("wall.stale.no_results", lang, time=local_time(item["last_check_at"], with_date=True)), className="wall-tile-reason"))
    elif status in ("down", "degraded") and cause:
        children.append(html.Div(cause, className="wall-tile-reason", title=item.get("reason") or cause))
    children.append(html.Div(" · ".join(meta), className="wall-tile-meta"))
    classes = f"wall-tile tile-{status}" + (" is-recent" if item["recent"] else "")
    return html.Div(children, className=classes, **{"data-system": item["id"], "data-status": status})


def _name_size(short: str) -> str:
    """A size down for the longer short names (up to 16 characters), so they show whole."""
    return " is-longer" if len(short) > 14 else " is-long" if len(short) > 11 else ""


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


def gauge(label: str, share: dict, detail: str, key: str) -> html.Div:
    """One labelled number with its ring: the share of required connections, against 100 %."""
    percent = share["percent"]
    colour = "var(--wall-up)" if percent is not None and percent >= 100 else "var(--wall-degraded)" if percent is not None and percent >= 80 else "var(--wall-down)"
    return html.Div(
        [
            html.Div(html.Span("—" if percent is None else f"{percent:.0f}%", className="wall-gauge-value"),
                     className="wall-gauge-ring", style={"--value": percent or 0, "--colour": colour}),
            html.Div([html.Div(label, className="wall-gauge-label"), html.Div(detail, className="wall-gauge-detail")]),
        ],
        className="wall-gauge",
        **{"data-percent": "" if percent is None else str(percent), "data-key": key},
    )


def gauges(coverage: dict, lang: str) -> list:
    """"Đã tích hợp" (verified) and "đang kết nối" (live now): two numbers, two meanings, the
    same definitions and counts as /coverage."""
    return [
        gauge(t("wall.coverage.verified", lang), coverage["verified"],
              t("coverage.of_required", lang, n=coverage["verified"]["ok"], total=coverage["required"]), "verified"),
        gauge(t("wall.coverage.live", lang), coverage["live"],
              t("coverage.of_required", lang, n=coverage["live"]["ok"], total=coverage["required"]), "live"),
    ]


FEED_GLYPH = {"incident": "✖", "alert": "⚠", "alert_group": "⚠", "maintenance": "⚙", "closed": "✔"}


def feed_items(items: list[dict], lang: str, now, short_names: dict[str, str] | None = None) -> list:
    """One line per item (time, what, state), ellipsized: ongoing outages first (the read model
    orders them, see readmodels.wall.compose_feed), then security alerts, maintenance, resolved."""
    if not items:
        return [html.Li(t("wall.feed.empty", lang), className="wall-empty")]
    short_names = short_names or {}
    rows = []
    for item in items:
        kind, glyph = item["kind"], None
        if kind == "maintenance":
            # the text carries its clock time ("Bảo trì lúc 22:00"); the time column shows the day when not today
            starts = datetime.fromisoformat(item["starts_at"].replace("Z", "+00:00"))
            moment = starts if _clock(starts, now) != local_time(starts)[:5] else None
            name = short_names.get(item["system_id"]) or (item["name_vi"] if lang != "en" else item["name_en"])
            what, state, severity, is_open = f"{item['text_vi'] if lang != 'en' else item['text_en']} — {name}", "", "maintenance", False
        elif kind == "alert_group":
            what = t("wall.feed.more_alerts", lang, n=item["count"], source=item["source"])
            state, severity, is_open, moment = "", item["severity"], True, item.get("at")
        elif kind == "alert":
            what = item["title_vi"] if lang != "en" else item["title_en"]
            state, severity, is_open, moment = "", item["severity"], True, item["at"]
        else:  # incident
            title = item["title_vi"] if lang != "en" else item["title_en"]
            short = short_names.get(item["system_id"])
            if short and "↔" not in title:
                title = short
            elif short:
                title = short + " ↔" + title.split("↔", 1)[1]
            cause = item.get("short_cause") or item.get("text") or ""
            what = f"{title}: {cause}" if cause else title
            is_open = item["open"]
            state = t("wall.feed.open", lang) if is_open else t("wall.feed.closed", lang)
            severity, moment = item["severity"], item["at"]
            kind = "incident" if is_open else "closed"
            glyph = "▲" if is_open and severity == "degraded" else None
        when = _clock(moment, now) if moment is not None else ""
        rows.append(html.Li(
            [
                html.Span(when, className="wall-feed-time"),
                html.Span(glyph or FEED_GLYPH.get(kind, "•"), className="wall-feed-glyph", **{"aria-hidden": "true"}),
                html.Span(what, className="wall-feed-title", title=item.get("text") or what),
                html.Span(state, className="wall-feed-state"),
            ],
            className=f"wall-feed-item feed-{kind} severity-{severity} " + ("is-open" if is_open else "is-closed")
            + (" is-pinned" if item.get("pinned") else ""),
            **{"data-kind": kind},
        ))
    return rows


def _clock(moment, now) -> str:
    same_day = local_time(moment, with_date=True)[:10] == local_time(now, with_date=True)[:10]
    return local_time(moment)[:5] if same_day else local_time(moment, with_date=True)[:5]


def banner(freshness: dict, lang: str, database_down: bool | datetime = False):
    """`database_down`: True (since when is asked of the facade: when its reads began to fail)
    or the moment the database went away."""
    if database_down:
        since = database_down if isinstance(database_down, datetime) else database_down_since()
        reasons = [t("wall.stale.database_since", lang, time=_since_clock(since)) if since else t("wall.stale.database", lang)]
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


def _since_clock(moment: datetime) -> str:
    """HH:MM today, the date as well for an older moment (local time)."""
    today = local_time(datetime.now(moment.tzinfo), with_date=True)[:10]
    shown = local_time(moment, with_date=True)
    return shown[11:16] if shown[:10] == today else shown[:16]


LISTED_STATES = ("down", "degraded", "unknown", "maintenance")


def places_panel(places: list[dict], lang: str) -> list:
    """Counts by state and the list of every unit (commune or agency) that is not up, worst
    first. Counts and list come from the same places, so "Gián đoạn: 4" lists four red entries."""
    counts: dict[str, int] = {}
    for p in places:
        counts[p["status"]] = counts.get(p["status"], 0) + 1
    troubled = sorted((p for p in places if p["status"] in LISTED_STATES), key=lambda p: (wq.SEVERITY_RANK[p["status"]], p["name_vi"]))
    return [
        html.Div(
            [html.Span([html.Span(className="wall-place-dot", style={"background": COLOURS.get(state)}), f"{state_label(state, lang)}: {n}"],
                       className="wall-place-count", **{"data-state": state, "data-count": str(n)})
             for state, n in sorted(counts.items(), key=lambda kv: wq.SEVERITY_RANK.get(kv[0], 9))],
            className="wall-place-counts",
        ),
        html.Ul(
            [html.Li(html.A([html.Span(className="wall-place-dot", style={"background": COLOURS.get(p["status"])}),
                             p["name_vi"] if lang != "en" else p["name_en"]], href=p["path"]),
                     **{"data-state": p["status"]})
             for p in troubled]
            or [html.Li(t("wall.places.none", lang), className="wall-empty")],
            className="wall-places",
        ),
    ]
