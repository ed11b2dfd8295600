"""Pieces of the drill-down pages, built from the read models of
dashboard.readmodels.detail. Pure functions: data in, Dash components out. All text is given to
Dash as text children, which escapes it (never dangerously_allow_html)."""
from __future__ import annotations

from datetime import datetime

import dash_bootstrap_components as dbc
from dash import dcc, html

from collectors.timeutil import parse_iso
from dashboard.i18n import ago, duration_text, format_ms, format_number, local_time, status_label, t
from dashboard.readmodels.detail import RANGES
from layouts.components.status_tile import STATUS_GLYPH, status_badge


def format_duration(seconds: float, lang: str = "vi") -> str:
    seconds = int(round(seconds))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    units = ("ngày", "giờ", "phút", "giây") if lang != "en" else ("d", "h", "min", "s")
    parts = [(days, units[0]), (hours, units[1]), (minutes, units[2]), (secs, units[3])]
    shown = [f"{value} {unit}" for value, unit in parts if value][:2]
    return " ".join(shown) or f"0 {units[3]}"


def uptime_percent(value: float | None, lang: str = "vi") -> str:
    """Three decimals between 99 % and 100 % (where the nines matter), one elsewhere."""
    if value is None:
        return "—"
    return format_number(value, lang, 3 if 99.0 <= value < 100.0 else 1) + " %"


def header(title: str, subtitle: str | None, status: str, since: str | None, reason: str | None,
           lang: str, now: datetime, crumbs: list[tuple[str, str | None]]) -> html.Div:
    since_at = parse_iso(since)
    return html.Div(
        [
            html.Nav(
                html.Ol(
                    [html.Li(dcc.Link(label, href=href) if href else label, className="breadcrumb-item") for label, href in crumbs],
                    className="breadcrumb mb-1",
                ),
                **{"aria-label": "breadcrumb"},
            ),
            html.Div(
                [
                    html.H1(title, className="h3 mb-0 me-3"),
                    status_badge(status, lang) if status in STATUS_GLYPH else html.Span(t(f"detail.{status}", lang), className="status-badge status-unknown"),
                    html.Span(f"{t('tile.since', lang)} {local_time(since_at, with_date=True)} ({ago(since_at, now, lang)})" if since_at else "",
                              className="ms-3 text-muted small detail-since"),
                ],
                className="d-flex align-items-center flex-wrap",
            ),
            html.Div(subtitle, className="text-muted") if subtitle else None,
            html.Div([html.Strong(t("detail.reason", lang) + ": "), html.Span(reason, className="detail-reason-text")],
                     className=f"detail-reason status-text-{status}") if reason else None,
        ],
        className="detail-header mb-3",
        **{"data-status": status},
    )


def card(title: str, children, class_name: str = "") -> html.Div:
    return html.Div(
        html.Div([html.H2(title, className="h6 card-title"), *([children] if not isinstance(children, list) else children)], className="card-body"),
        className=f"card detail-card mb-3 {class_name}".strip(),
    )


def check_strip(checks: list[dict], lang: str) -> html.Div:
    """Recent checks as small cells, oldest left, coloured (and glyphed) by verdict."""
    cells = []
    for check in reversed(checks):
        verdict = "maintenance" if check.get("maintenance") else check["verdict"]
        tip = f"{local_time(parse_iso(check['checked_at']), with_date=True)} — {status_label(verdict, lang)} — {format_ms(check['latency_ms'], lang)} — {check.get('short_reason') or check['reason']}"
        cells.append(html.Span(STATUS_GLYPH.get(verdict, "?"), className=f"check-cell status-{verdict}", title=tip,
                               **{"data-verdict": verdict}))
    if not cells:
        return html.Div(t("detail.no_checks", lang), className="text-muted small")
    return html.Div(cells, className="check-strip", role="img", **{"aria-label": t("detail.strip", lang)})


def results_table(checks: list[dict], lang: str, limit: int = 15) -> html.Div:
    if not checks:
        return html.Div(t("detail.no_checks", lang), className="text-muted small")
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in
                               ("detail.col.time", "detail.col.verdict", "detail.col.latency", "detail.col.http", "detail.col.reason")]))
    rows = []
    for check in checks[:limit]:
        verdict = "maintenance" if check.get("maintenance") else check["verdict"]
        reason = [html.Div(check["reason"], className="result-reason")]
        if check.get("error"):
            reason.append(html.Details([html.Summary(t("detail.tech", lang), className="small"),
                                        html.Code(check["error"], className="small text-break")]))
        if check.get("excerpt"):
            reason.append(html.Details([html.Summary(t("detail.excerpt", lang), className="small"),
                                        html.Pre(check["excerpt"], className="result-excerpt")]))
        rows.append(html.Tr([
            html.Td(local_time(parse_iso(check["checked_at"]), with_date=True), className="text-nowrap"),
            html.Td(status_badge(verdict, lang, "status-badge-sm")),
            html.Td(format_ms(check["latency_ms"], lang), className="text-nowrap"),
            html.Td(str(check["http_code"]) if check["http_code"] is not None else "—"),
            html.Td(reason),
        ], className=f"result-row result-{verdict}"))
    return html.Div(html.Table([head, html.Tbody(rows)], className="table table-sm align-middle results-table"),
                    className="table-responsive")


def endpoints_table(endpoints: list[dict], lang: str, now: datetime) -> html.Div:
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in
                               ("detail.col.endpoint", "detail.col.verdict", "detail.col.time", "detail.col.latency", "detail.col.http", "detail.col.reason")]))
    rows = []
    for e in endpoints:
        checked = parse_iso(e["checked_at"])
        reason = [html.Div(e["reason"] or "—")]
        for condition in e.get("failed_conditions") or []:  # as written in the catalog, for technicians
            reason.append(html.Div([html.Span(t("detail.failed_condition", lang) + ": ", className="text-muted"),
                                    html.Code(condition, className="failed-condition")]))
        rows.append(html.Tr([
            html.Td([dcc.Link(e["name"], href=f"/endpoints/{e['id']}", className="endpoint-link"),
                     html.Div(f"{e['kind']} · {e['target']}" + (
                         " · " + t("detail.vantage", lang, v=e["vantage"]) if e.get("vantage", "central") != "central" else ""),
                         className="small text-muted text-break")]),
            html.Td(status_badge(e["status"], lang, "status-badge-sm")),
            html.Td(f"{local_time(checked)} ({ago(checked, now, lang)})" if checked else t("tile.never", lang), className="text-nowrap"),
            html.Td(format_ms(e["latency_ms"], lang), className="text-nowrap"),
            html.Td(str(e["http_code"]) if e["http_code"] is not None else "—"),
            html.Td(reason, className="text-break"),
        ], className="endpoint-row", **{"data-endpoint": e["id"], "data-status": e["status"]}))
    return html.Div(html.Table([head, html.Tbody(rows)], className="table table-sm align-middle"), className="table-responsive")


ROLE_KEYS = {"platforms": "deps.role.platform", "upstream": "deps.role.upstream", "downstream": "deps.role.downstream"}


def links_list(deps: dict, lang: str) -> html.Div:
    """The dependency edges as text too (the figure's companion for keyboards and tests)."""
    key = "label_en" if lang == "en" else "label_vi"
    items = []
    for role in ("platforms", "upstream", "downstream"):
        for item in deps.get(role, []):
            status = item["status"]
            label = status_label(status, lang) if status in STATUS_GLYPH else status
            items.append(html.Li(
                [
                    html.Span(STATUS_GLYPH.get(status, "?"), className=f"me-1 status-text-{status}", **{"aria-hidden": "true"}),
                    dcc.Link(item[key], href=item["href"]) if item.get("href") else item[key],
                    html.Span(f" — {t(ROLE_KEYS[role], lang)}", className="text-muted small"),
                    html.Span(f" · {label}", className=f"fw-semibold status-text-{status}"),
                    html.Span(f" · {t('link.declared.' + item['declared'], lang)}", className="text-muted small") if item.get("declared") and not item.get("monitored") else None,
                    html.Div(item["reason"], className="small dep-reason") if item.get("reason") and status != "up" else None,
                ],
                className=f"dep-link dep-{status}",
                **{"data-link": item["id"], "data-status": status},
            ))
    if not items:
        return html.Div(t("deps.none", lang), className="text-muted small")
    return html.Ul(items, className="list-unstyled dep-list mb-0")


def uptime_table(uptimes: dict[str, float | None], lang: str) -> html.Table:
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(t(f"range.{key}", lang)) for key in RANGES])),
            html.Tbody(html.Tr([html.Td(uptime_percent(uptimes.get(key), lang), className="uptime-cell", **{"data-range": key}) for key in RANGES])),
        ],
        className="table table-sm text-center uptime-table mb-2",
    )


def incidents_table(incidents: list[dict], lang: str) -> html.Div:
    if not incidents:
        return html.Div(t("incident.none", lang), className="text-muted small")
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in
                               ("incident.col.start", "incident.col.end", "incident.col.duration", "incident.col.subject", "incident.col.cause", "incident.col.ack")]))
    rows = []
    for item in incidents:
        ack = "—"
        if item["acknowledged_at"]:
            ack = html.Div([
                html.Div(f"{local_time(parse_iso(item['acknowledged_at']), with_date=True)}" + (f" · {item['acknowledged_by']}" if item["acknowledged_by"] else "")),
                html.Div(item["ack_comment"] or "", className="small ack-comment"),
            ])
        rows.append(html.Tr([
            html.Td(local_time(parse_iso(item["started_at"]), with_date=True), className="text-nowrap"),
            html.Td(local_time(parse_iso(item["ended_at"]), with_date=True) if item["ended_at"] else html.Strong(t("incident.ongoing", lang), className="status-text-down"), className="text-nowrap"),
            html.Td(format_duration(item["duration_s"], lang), className="text-nowrap"),
            html.Td(f"{item['subject_type']} {item['subject_id']}", className="small text-break"),
            html.Td([status_badge(item["severity"], lang, "status-badge-sm me-1") if item["severity"] in STATUS_GLYPH else None, item["cause"] or item["last_reason"] or "—"], className="text-break"),
            html.Td(ack),
        ], className="incident-row", **{"data-incident": str(item["id"]), "data-open": "1" if item["open"] else "0"}))
    return html.Div(html.Table([head, html.Tbody(rows)], className="table table-sm align-middle"), className="table-responsive")


def maintenance_list(windows: list[dict], lang: str) -> html.Ul:
    """Current and next occurrences of maintenance windows (dashboard.monitoring.maintenance.windows_for)."""
    items = []
    for w in windows:
        start, end = w["current"] or w["next"]
        when = f"{local_time(start, with_date=True)} → {local_time(end, with_date=True)}"
        items.append(html.Li(
            [html.Strong(w["reason"]), f" — {when}", f" · {w['rrule']}" if w.get("rrule") else None,
             html.Span(f" ({t('mw.active', lang)})", className="status-text-maintenance fw-semibold") if w["active"] else None],
            className="mw-item", **{"data-window": str(w["id"])},
        ))
    return html.Ul(items, className="mb-0 small")


def certificate_panel(cert: dict | None, lang: str) -> html.Div | None:
    if not cert:
        return None
    days = cert.get("days_left")
    state = "down" if days is not None and days < 7 else "degraded" if days is not None and days < 30 else "up"
    facts = [
        ("cert.subject", cert.get("subject") or cert.get("common_name")),
        ("cert.issuer", cert.get("issuer")),
        ("cert.sans", ", ".join(cert.get("sans") or []) or "—"),
        ("cert.not_after", local_time(parse_iso(cert["not_after"]), with_date=True) if cert.get("not_after") else "—"),
        ("cert.days_left", f"{days:g}" if days is not None else "—"),
    ]
    items = []
    for key, value in facts:
        items += [html.Dt(t(key, lang), className="col-sm-3"), html.Dd(value or "—", className=f"col-sm-9 text-break cert-{key.split('.')[1]}")]
    return card(t("cert.heading", lang), html.Dl(items, className=f"row mb-0 cert-{state}"), "certificate-card")


CONDITION_MARKS = {"met": ("✔", "status-text-up"), "failed": ("✖", "status-text-down"),
                   "not_evaluated": ("–", "text-muted")}


def conditions_list(rows: list[dict], lang: str) -> html.Ul | html.Div:
    """Each condition in words with what the last check saw: ✔ met, ✖ failed (with the value
    observed), or "không đánh giá được" in grey when the check got no answer to judge."""
    if not rows:
        return html.Div(t("detail.no_conditions", lang), className="text-muted small")
    items = []
    for c in rows:
        glyph, colour = CONDITION_MARKS[c["state"]]
        grey = c["state"] == "not_evaluated"
        items.append(html.Li(
            [html.Span(glyph + " ", className=colour, **{"aria-hidden": "true"}),
             html.Span(c["label"], className="condition-words" + (" text-muted" if grey else "")),
             html.Span(f" — {c['observed']}", className="text-muted condition-observed" if grey else "condition-observed")
             if c["observed"] else None,
             html.Span(f" ({t('detail.severity.' + c.get('severity', 'down'), lang)})", className="text-muted small"),
             html.Div(html.Code(c["condition"], className="small text-muted"), className="condition-source")],
            className=f"condition condition-{c['state'].replace('_', '-')}" + (" condition-failed" if c["state"] == "failed" else ""),
            **{"data-state": c["state"]},
        ))
    return html.Ul(items, className="list-unstyled mb-0 conditions")


def technical_details(facts: dict | None, lang: str) -> html.Details | None:
    """The technician's block, folded: the probe's own words (e.g. the TLS library's error), the
    phase it failed in and the cause's code: never shown as the reason, kept for whoever fixes it."""
    if not facts or not any(facts.get(k) for k in ("error", "verify_error", "phase", "cause")):
        return None
    rows = []
    cause = facts.get("cause") or {}
    for label, value in ((t("detail.tech.error", lang), facts.get("error")), (t("detail.tech.verify", lang), facts.get("verify_error")),
                         (t("detail.tech.phase", lang), facts.get("phase")),
                         (t("detail.tech.code", lang), f"{cause.get('code')} {cause.get('params') or ''}".strip() if cause else None)):
        if value:
            rows += [html.Dt(label, className="col-sm-3"), html.Dd(html.Code(str(value)[:2000]), className="col-sm-9 text-break")]
    return html.Details([html.Summary(t("detail.tech", lang), className="small"), html.Dl(rows, className="row mb-0 small mt-2")],
                        className="technical-details mb-3")


def range_selector(value: str) -> dbc.RadioItems:
    return dbc.RadioItems(
        id="detail-range", value=value, inline=True,
        options=[{"label": key, "value": key} for key in RANGES],
        className="btn-group range-toggle", inputClassName="btn-check",
        labelClassName="btn btn-outline-secondary btn-sm", labelCheckedClassName="active",
    )


def month_card(month: dict | None, lang: str) -> html.Div | None:
    """The system's month as /api/availability has it: availability, outages, MTTA, MTTR."""
    if not month:
        return None
    year, number = month["month"].split("-")

    def minutes(value):
        return duration_text(None if value is None else value * 60, lang)

    facts = [
        (t("month.uptime", lang), uptime_percent(month["uptime_percent"], lang)),
        (t("month.incidents", lang), str(month["incidents"])),
        (t("month.mtta", lang), minutes(month["mtta_minutes"])),
        (t("month.mttr", lang), minutes(month["mttr_minutes"])),
    ]
    return card(
        t("month.heading", lang, month=f"{number}/{year}"),
        html.Dl([item for label, value in facts for item in (
            html.Dt(label, className="col-7 col-md-3 fw-normal text-secondary"),
            html.Dd(value, className="col-5 col-md-3 mb-1 month-fact", **{"data-fact": label}))],
            className="row mb-0 small"),
        "month-card",
    )
