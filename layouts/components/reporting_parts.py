"""Pure builders for the reporter's pages (/my, /tasks/<id>): task cards, the update form, a
timeline entry, a review row. Plain data in (from dashboard.readmodels.reporting), Dash
components out; what people wrote is rendered as text, never as HTML."""
from __future__ import annotations

from datetime import date, datetime

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.i18n import VN_TZ, t
from dashboard.plans import template
from dashboard.plans.reporting import EVIDENCE_MAX_BYTES, NOTE_LIMIT, URL_LIMIT


def percent_text(value: float | None, lang: str) -> str:
    if value is None:
        return "—"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return (text.replace(".", ",") if lang != "en" else text) + "%"


def day_text(value: str | date | None) -> str:
    if not value:
        return "—"
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return day.strftime("%d/%m/%Y")


def when_text(value: str | None) -> str:
    if not value:
        return "—"
    return datetime.fromisoformat(value).astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def status_text(code: str | None, lang: str) -> str:
    vi, en = template.STATUSES.get(code or "", (code or "—", code or "—"))
    return en if lang == "en" else vi


def _bar(percent: float, pending: bool) -> dbc.Progress:
    color = "info" if pending else ("success" if percent >= 80 else ("warning" if percent >= 50 else "danger"))
    return dbc.Progress(value=percent, color=color, striped=pending, className="my-progress", style={"height": "0.6rem"})


def task_card(task: dict, lang: str) -> dbc.Card:
    badges = []
    if task["overdue"]:
        badges.append(dbc.Badge(t("my.overdue", lang), color="danger", className="me-1"))
    elif task["due_soon"]:
        badges.append(dbc.Badge(t("my.due_soon", lang), color="warning", text_color="dark", className="me-1"))
    if task["pending"]:
        badges.append(dbc.Badge(t("my.pending", lang), color="info", className="me-1"))
    if task["confirmed_this_week"]:
        badges.append(dbc.Badge(t("my.confirmed_week", lang), color="success", className="me-1"))
    days = task["days_left"]
    due = t("my.due", lang, day=day_text(task["due"])) + " · " + (
        t("my.days_late", lang, n=-days) if days < 0 else t("my.days_left", lang, n=days))
    pending = task["reported_state"] == "pending"
    figures = html.Div([
        html.Span(t("my.accepted", lang, percent=percent_text(task["accepted_percent"], lang)), className="me-3"),
        html.Span(t("my.reported", lang, percent=percent_text(task["reported_percent"], lang)), className="fw-bold")
        if pending else None,
        html.Span(" · " + status_text(task["reported_status"], lang), className="text-muted"),
    ], className="small")
    returned = (dbc.Alert(t("my.returned", lang, comment=task["returned_comment"]), color="warning", className="py-1 px-2 small mb-2")
                if task.get("returned_comment") else None)
    last = (t("my.last_update", lang, when=when_text(task["last_update_at"])) if task["last_update_at"]
            else t("my.never_updated", lang))
    return dbc.Card(dbc.CardBody([
        html.Div(badges, className="mb-1"),
        html.H2(task["title"], className="h6 mb-1 task-title"),
        html.Div([html.Span(task["agency_en"] if lang == "en" else task["agency_vi"]),
                  html.Span(f" · {task['code']}" if task.get("code") else "", className="text-muted")], className="small text-muted"),
        html.Div(due, className="small mb-1" + (" text-danger fw-bold" if task["overdue"] else "")),
        _bar(task["reported_percent"], pending),
        figures,
        html.Div(last, className="small text-muted mb-2"),
        returned,
        html.Div([
            dbc.Button(t("my.update", lang), id={"type": "my-open", "index": task["id"]}, color="primary", size="sm", className="me-2"),
            dcc.Link(t("my.timeline", lang), href=f"/tasks/{task['id']}", className="btn btn-outline-secondary btn-sm"),
        ], className="d-flex flex-wrap gap-1"),
        dbc.Collapse(update_form(task, lang), id={"type": "my-form", "index": task["id"]}, is_open=False),
    ]), className="mb-3 my-task", id=f"my-task-{task['id']}")


def update_form(task: dict, lang: str) -> html.Div:
    index = task["id"]
    statuses = [{"label": status_text(code, lang), "value": code} for code in template.STATUSES]
    return html.Div([
        dbc.Label(t("my.percent", lang), className="small mb-0 mt-2"),
        dbc.Input(id={"type": "my-percent", "index": index}, type="number", min=0, max=100, step=1,
                  value=task["reported_percent"], inputMode="numeric"),
        dbc.Label(t("my.status", lang), className="small mb-0 mt-2"),
        dbc.Select(id={"type": "my-status", "index": index}, options=statuses, value=task["reported_status"]),
        dbc.Label(t("my.done_on", lang), className="small mb-0 mt-2"),
        dbc.Input(id={"type": "my-done-on", "index": index}, type="date", max=datetime.now(VN_TZ).date().isoformat()),
        dbc.Label(t("my.note", lang), className="small mb-0 mt-2"),
        dbc.Textarea(id={"type": "my-note", "index": index}, rows=3, maxLength=NOTE_LIMIT),
        dbc.Label(t("my.link", lang), className="small mb-0 mt-2"),
        dbc.Input(id={"type": "my-link", "index": index}, type="url", maxLength=URL_LIMIT, placeholder="https://…"),
        dcc.Upload(id={"type": "my-file", "index": index}, multiple=False, max_size=EVIDENCE_MAX_BYTES,
                   accept=".pdf,.png,.jpg,.jpeg,.docx",
                   children=html.Div(t("my.file", lang, limit=EVIDENCE_MAX_BYTES // 1_048_576), className="my-upload-text"),
                   className="my-upload mt-2"),
        html.Div(id={"type": "my-file-name", "index": index}, className="small text-muted"),
        dbc.Button(t("my.save", lang), id={"type": "my-save", "index": index}, color="success", className="mt-2 w-100"),
        html.Div(id={"type": "my-result", "index": index}, className="mt-2", role="status"),
    ], className="my-form")


def timeline_entry(update: dict, lang: str) -> html.Li:
    if update["kind"] == "no_change":
        head = t("task.no_change_entry", lang)
    else:
        head = t("task.change", lang, old_p=percent_text(update["old_percent"], lang), new_p=percent_text(update["new_percent"], lang))
        if update["old_status"] != update["new_status"]:
            head += f" · {status_text(update['old_status'], lang)} → {status_text(update['new_status'], lang)}"
        elif update["new_status"]:
            head += f" · {status_text(update['new_status'], lang)}"
    state = update["review_state"]
    colour = {"pending": "info", "accepted": "success", "returned": "warning"}[state]
    parts = [
        html.Div([html.Span(when_text(update["at"]), className="text-muted me-2"),
                  html.Span(t("task.by", lang, who=update["author"]), className="text-muted")], className="small"),
        html.Div([html.Strong(head, className="me-2"),
                  dbc.Badge(t(f"review.state.{state}", lang), color=colour, text_color="dark" if state == "returned" else None)]),
    ]
    if update.get("done_on"):
        parts.append(html.Div(t("task.done_on", lang, day=day_text(update["done_on"])), className="small"))
    if update.get("note"):
        parts.append(html.P(update["note"], className="mb-1 timeline-note"))
    if update.get("evidence"):
        parts.append(html.A(t("task.evidence", lang, name=update["evidence"]["name"]), href=update["evidence"]["href"],
                            className="small d-block", download=update["evidence"]["name"]))
    if update.get("evidence_url"):
        parts.append(html.A(t("task.evidence_link", lang), href=update["evidence_url"], target="_blank",
                            rel="noopener noreferrer nofollow", className="small d-block"))
    if update.get("reviewed_by"):
        parts.append(html.Div(t("task.reviewed", lang, state=t(f"review.state.{state}", lang), who=update["reviewed_by"],
                                when=when_text(update["reviewed_at"])), className="small text-muted"))
        if update.get("review_comment"):
            parts.append(html.Blockquote(update["review_comment"], className="small mb-0 review-comment"))
    return html.Li(parts, className=f"timeline-item timeline-{state}", id=f"update-{update['id']}")


def review_controls(update_id: int, lang: str) -> html.Div:
    return html.Div([
        dbc.Textarea(id={"type": "task-review-comment", "index": update_id}, rows=2, maxLength=2000,
                     placeholder=t("review.comment", lang), className="mt-2 mb-1"),
        dbc.Button(t("review.accept", lang), id={"type": "task-accept", "index": update_id}, color="success", size="sm", className="me-2"),
        dbc.Button(t("review.return", lang), id={"type": "task-return", "index": update_id}, color="warning", size="sm"),
        html.Div(id={"type": "task-review-result", "index": update_id}, className="mt-1", role="status"),
    ], className="review-controls")
