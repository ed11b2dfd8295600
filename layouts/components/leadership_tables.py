"""Tables shared by the leadership pages and the weekly report. Pages import from
here, never from each other (Dash registers page modules under their own names)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from dashboard.i18n import format_percent, t
from dashboard.plans import template

LIST_LIMIT = 25


def _name(row, lang: str) -> str:
    return row.name_en if lang == "en" else row.name_vi


def _header(key: str, lang: str) -> html.Th:
    """A column header; the averaged progress says what it averages (it sits beside a count of
    finished tasks, which is often lower)."""
    if key == "col.progress_avg":
        return html.Th(t(key, lang), title=t("col.progress_avg_help", lang))
    return html.Th(t(key, lang))


def progress_bar(percent: float, lang: str = "vi", name: str | None = None, *, maximum: float = 100.0,
                 show_label: bool = True, class_name: str = "progress-cell", style: dict | None = None) -> html.Div:
    """A Bootstrap progress bar with an accessible name ("Tỷ lệ tích hợp: 82,5%"): screen readers
    announce what is measured, not a bare number (dbc.Progress cannot carry an aria-label)."""
    color = "success" if percent >= 80 else ("warning" if percent >= 50 else "danger")
    text = format_percent(percent, lang, 0)
    label = f"{name}: {text}" if name else t("a11y.progress", lang, percent=text)
    width = 0.0 if maximum <= 0 else max(0.0, min(100.0, percent * 100.0 / maximum))
    # the label on yellow stays dark: white on Bootstrap's warning yellow fails WCAG contrast
    bar = html.Div(text if show_label else None, className=f"progress-bar bg-{color}" + (" text-dark" if color == "warning" else ""),
                   style={"width": f"{width:.1f}%"})
    return html.Div(bar, role="progressbar", className=f"progress {class_name}".strip(), style=style,
                    **{"aria-label": label, "aria-valuenow": round(percent, 1), "aria-valuemin": 0, "aria-valuemax": maximum})


def agency_table(rows, lang: str, table_id: str | None = None) -> dbc.Table:
    head = html.Thead(html.Tr([_header(k, lang) for k in ("col.agency", "col.partner", "col.progress_avg", "col.done_of_tasks", "col.overdue", "col.at_risk")]))
    body = html.Tbody([
        html.Tr([
            html.Td(_name(r, lang)),
            html.Td(r.partner or "—"),
            html.Td(progress_bar(r.percent, lang, _name(r, lang)) if r.has_plan else html.Span(t("no_plan", lang), className="text-muted")),
            html.Td(f"{r.done}/{r.tasks}"),
            html.Td(str(r.overdue), className="text-danger fw-bold" if r.overdue else ""),
            html.Td(str(r.at_risk), className="text-warning fw-bold" if r.at_risk else ""),
        ])
        for r in rows
    ])
    return dbc.Table([head, body], size="sm", hover=True, className="progress-table mb-0", id=table_id or "")


def partner_table(partners, lang: str) -> dbc.Table:
    head = html.Thead(html.Tr([_header(k, lang) for k in ("col.rank", "col.partner", "col.agencies", "col.progress_avg", "col.overdue", "col.behind")]))
    body = html.Tbody([
        html.Tr([
            html.Td(str(rank)), html.Td(html.Strong(g.key)), html.Td(str(g.agencies)), html.Td(progress_bar(g.percent, lang, g.key)),
            html.Td(str(g.overdue), className="text-danger fw-bold" if g.overdue else ""), html.Td(str(g.behind)),
        ])
        for rank, g in enumerate(partners, start=1)
    ])
    return dbc.Table([head, body], size="sm", className="partner-table mb-0", id="partner-ranking")


def task_table(tasks: list[dict], lang: str, table_id: str, late: bool) -> html.Div:
    if not tasks:
        return html.P(t("progress.none", lang), className="text-muted small mb-0", id=table_id)
    name = "agency_en" if lang == "en" else "agency_vi"
    index = 1 if lang == "en" else 0
    columns = ["col.agency", "col.task", "col.category", "col.due", "col.days_late" if late else "col.percent", "col.partner"]
    if late:
        columns.insert(5, "col.percent")
    rows = []
    for task in tasks[:LIST_LIMIT]:
        cells = [
            html.Td(task[name]), html.Td(task["title"]),
            html.Td(template.CATEGORIES.get(task["category"], (task["category"],) * 2)[index]),
            html.Td(template.format_date(task["due"])),
        ]
        if late:
            cells.append(html.Td(str(task["days_late"]), className="text-danger fw-bold"))
        cells.append(html.Td(format_percent(task["percent"], lang, 0)))
        cells.append(html.Td(task["partner"] or "—"))
        rows.append(html.Tr(cells))
    more = len(tasks) - LIST_LIMIT
    return html.Div([
        dbc.Table([html.Thead(html.Tr([html.Th(t(c, lang)) for c in columns])), html.Tbody(rows)], size="sm", className="task-table mb-0", id=table_id),
        html.P(t("progress.more", lang, n=more), className="small text-muted mb-0") if more > 0 else None,
    ])


def yes_no(value: bool, lang: str) -> html.Span:
    return html.Span(("✔ " if value else "✖ ") + t("coverage.yes" if value else "coverage.no", lang), className="coverage-yes" if value else "coverage-no")


def source_tag(source: str, lang: str) -> html.Span:
    return html.Span(f"({t(f'coverage.source.{source}', lang)})", className=f"source-tag source-{source}")


# One symbol per state of a required connection, each with its legend entry (state_legend).
STATE_MARKS = {"live": "●", "outage": "▲", "verified": "✔", "declared": "◐", "none": "✖"}


def state_mark(state: str, lang: str) -> html.Span:
    return html.Span(STATE_MARKS[state], className=f"coverage-state coverage-{state}", title=t(f"coverage.state.{state}", lang))


def state_legend(lang: str) -> html.Div:
    return html.Div(
        [html.Strong(t("coverage.legend", lang) + ": ")]
        + [html.Span([state_mark(state, lang), " ", t(f"coverage.state.{state}", lang)], className="me-3") for state in STATE_MARKS],
        className="small coverage-legend", id="coverage-legend",
    )


def link_cell(link: dict, lang: str) -> html.Span:
    """A link's state: connected; down on a live check (an outage, not "not yet"); or, from
    the declaration, not connected yet."""
    if link["connected"]:
        return yes_no(True, lang)
    if link["source"] == "live":
        return html.Span(f"{STATE_MARKS['outage']} {t('coverage.state.outage', lang)}", className="coverage-outage")
    return yes_no(False, lang)


def systems_table(systems: list[dict], lang: str) -> dbc.Table:
    name = "name_en" if lang == "en" else "name_vi"
    platform = "platform_en" if lang == "en" else "platform_vi"
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in ("col.system", "col.platform", "col.connected", "col.integration_rate", "col.live_up")]))
    body = html.Tbody([
        html.Tr([
            html.Td(s[name]),
            html.Td([html.Div(link[platform]) for link in s["links"]]),
            html.Td([html.Div([link_cell(link, lang), " ", source_tag(link["source"], lang)]) for link in s["links"]]),
            html.Td(progress_bar(s.get("verified_percent", 0.0), lang, f"{s[name]} — {t('col.integration_rate', lang)}")),
            html.Td(progress_bar(s.get("live_up_percent", 0.0), lang, f"{s[name]} — {t('col.live_up', lang)}")),
        ])
        for s in systems
    ])
    return dbc.Table([head, body], size="sm", hover=True, className="coverage-table", id="coverage-systems")


def availability_table(view: dict, lang: str) -> dbc.Table:
    """Per system: uptime % against its target (red when behind), downtime, incidents, MTTR, MTBF."""
    from dashboard.reports.numbers import format_number, format_percent

    name = "name_en" if lang == "en" else "name_vi"
    keys = ("col.system", "col.uptime", "col.target", "col.downtime_min", "col.incidents", "col.mttr_min", "col.mtbf_h")
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in keys]))
    body = html.Tbody([
        html.Tr([
            html.Td(row[name]),
            html.Td(format_percent(row["uptime_percent"], lang, 2), className="text-danger fw-bold" if row["behind"] else "text-success"),
            html.Td(format_percent(row["target_percent"], lang, 2)),
            html.Td(format_number(row["downtime_minutes"], lang)),
            html.Td(str(row["incidents"])),
            html.Td(format_number(row["mttr_minutes"], lang)),
            html.Td(format_number(row["mtbf_hours"], lang)),
        ], className="availability-behind" if row["behind"] else "")
        for row in view["systems"]
    ])
    return dbc.Table([head, body], size="sm", hover=True, className="availability-table mb-0", id="availability-table")
