"""What the reporter's pages and API read: a reporter's tasks, a task's timeline, an update's
evidence, the reviewers' queue, each agency's last report. Never writes; a task outside the
reader's scope raises OutOfScope (the caller answers 403 and audits it)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from collectors.timeutil import iso
from dashboard.auth.scopes import OutOfScope, Scope, may_read_updates, scope_of
from dashboard.i18n import VN_TZ
from dashboard.plans import progress as prog
from dashboard.plans import reporting
from dashboard.store.models import Agency, Plan, Task, TaskEvidence, TaskUpdate

DUE_SOON_DAYS = 14
QUEUE_LIMIT = 200


def local_day(moment: datetime) -> date:
    return moment.astimezone(VN_TZ).date()


def _plans_in_scope(session: Session, scope: Scope):
    if scope.empty:
        return []
    query = select(Plan).join(Agency, Agency.id == Plan.agency_id).where(or_(
        Plan.agency_id.in_(sorted(scope.agencies)),
        Plan.partner.in_(sorted(scope.partners)),
        (Plan.partner.is_(None)) & Agency.partner.in_(sorted(scope.partners)),
    )).options(selectinload(Plan.tasks), selectinload(Plan.agency)).order_by(Agency.name_vi)
    return session.scalars(query).all()


def _latest_updates(session: Session, task_ids: list[int]) -> dict[int, list[TaskUpdate]]:
    found: dict[int, list[TaskUpdate]] = {}
    if not task_ids:
        return found
    for row in session.scalars(select(TaskUpdate).where(TaskUpdate.task_id.in_(task_ids))
                               .order_by(TaskUpdate.at.desc(), TaskUpdate.id.desc())):
        found.setdefault(row.task_id, []).append(row)
    return found


def reported_values(task: Task, updates: list[TaskUpdate]) -> tuple[float, str, str | None]:
    """(percent, status, review state of the update they come from) as last reported: the
    newest update that was not returned; else the task's accepted values (state None)."""
    for row in updates:  # newest first
        if row.kind == "update" and row.review_state != "returned":
            return row.new_percent, row.new_status, row.review_state
    return task.percent, task.status, None


def task_row(task: Task, plan: Plan, updates: list[TaskUpdate], today: date) -> dict:
    percent, status, state = reported_values(task, updates)
    facts = prog.TaskFacts(plan.agency_id, task.title, task.category, task.status, task.percent, task.due_date)
    last = updates[0] if updates else None
    week = reporting.week_of(today)
    return {
        "id": task.id, "code": task.code, "title": task.title, "category": task.category,
        "agency_id": plan.agency_id, "agency_vi": plan.agency.name_vi, "agency_en": plan.agency.name_en,
        "partner": plan.partner or plan.agency.partner, "due": task.due_date.isoformat(),
        "days_left": (task.due_date - today).days,
        "accepted_percent": task.percent, "accepted_status": task.status,
        "reported_percent": percent, "reported_status": status, "reported_state": state,
        "pending": sum(1 for u in updates if u.review_state == "pending"),
        "overdue": prog.is_overdue(facts, today),
        "due_soon": not prog.is_done(facts) and 0 <= (task.due_date - today).days <= DUE_SOON_DAYS,
        "last_update_at": iso(last.at) if last else None,
        "confirmed_this_week": any(local_day(u.at) >= week for u in updates),
        "returned_comment": next((u.review_comment for u in updates[:1] if u.review_state == "returned"), None),
    }


def my_tasks(session: Session, user_id: int | None, today: date) -> dict:
    """The tasks a person reports on (their scope), with due dates, accepted and reported
    figures; due-soon and overdue first."""
    scope = scope_of(session, user_id)
    plans = _plans_in_scope(session, scope)
    tasks = [(task, plan) for plan in plans for task in plan.tasks]
    updates = _latest_updates(session, [task.id for task, _ in tasks])
    rows = [task_row(task, plan, updates.get(task.id, []), today) for task, plan in tasks]
    rows.sort(key=lambda r: (not r["overdue"], not r["due_soon"], r["due"], r["title"]))
    return {"date": today.isoformat(), "scope": scope.as_dict(), "tasks": rows,
            "agencies": [{"id": p.agency_id, "name_vi": p.agency.name_vi, "name_en": p.agency.name_en} for p in plans]}


def update_view(row: TaskUpdate) -> dict:
    return {
        "id": row.id, "task_id": row.task_id, "agency_id": row.agency_id, "kind": row.kind, "at": iso(row.at),
        "author": row.author, "old_percent": row.old_percent, "new_percent": row.new_percent,
        "old_status": row.old_status, "new_status": row.new_status,
        "done_on": row.done_on.isoformat() if row.done_on else None, "note": row.note,
        "evidence_url": row.evidence_url,
        "evidence": ({"name": row.evidence_name, "type": row.evidence_type, "size": row.evidence_size,
                      "href": f"/api/task-updates/{row.id}/evidence"} if row.evidence_type else None),
        "review_state": row.review_state, "reviewed_at": iso(row.reviewed_at) if row.reviewed_at else None,
        "reviewed_by": row.reviewed_by, "review_comment": row.review_comment,
    }


def task_timeline(session: Session, role: str | None, user_id: int | None, task_id: int, today: date) -> dict:
    """A task with every update, newest first. LookupError for no such task; OutOfScope when
    the reader may not see this agency's reports."""
    task = session.get(Task, task_id) if isinstance(task_id, int) else None
    if task is None:
        raise LookupError("no such task")
    plan = task.plan
    partner = plan.partner or plan.agency.partner
    if not may_read_updates(role, scope_of(session, user_id), plan.agency_id, partner):
        raise OutOfScope("this task is not one of your agency's")
    updates = _latest_updates(session, [task.id]).get(task.id, [])
    return {**task_row(task, plan, updates, today), "start": task.start_date.isoformat() if task.start_date else None,
            "owner": task.owner, "updates": [update_view(u) for u in updates]}


def evidence_file(session: Session, role: str | None, user_id: int | None, update_id: int) -> tuple[bytes, str, str]:
    """(content, file name, MIME type) of an update's evidence; LookupError, OutOfScope."""
    row = session.get(TaskUpdate, update_id) if isinstance(update_id, int) else None
    blob = session.get(TaskEvidence, update_id) if row is not None else None
    if row is None or blob is None:
        raise LookupError("no such evidence")
    plan = session.get(Task, row.task_id).plan
    if not may_read_updates(role, scope_of(session, user_id), plan.agency_id, plan.partner or plan.agency.partner):
        raise OutOfScope("this evidence is not one of your agency's")
    return blob.content, row.evidence_name or f"minh-chung-{row.id}", reporting.EVIDENCE_TYPES[row.evidence_type][0]


def review_queue(session: Session, limit: int = QUEUE_LIMIT) -> list[dict]:
    """Pending updates, oldest first (the longest waiting is reviewed first)."""
    rows = session.execute(
        select(TaskUpdate, Task.title, Agency.name_vi, Agency.name_en).join(Task, Task.id == TaskUpdate.task_id)
        .join(Agency, Agency.id == TaskUpdate.agency_id).where(TaskUpdate.review_state == "pending")
        .order_by(TaskUpdate.at, TaskUpdate.id).limit(limit)).all()
    return [{**update_view(u), "task_title": title, "agency_vi": vi, "agency_en": en} for u, title, vi, en in rows]


def last_reports(session: Session) -> dict[str, datetime]:
    """Each agency's latest report (an update or a "nothing changed" confirmation)."""
    return {agency: at for agency, at in session.execute(
        select(TaskUpdate.agency_id, func.max(TaskUpdate.at)).group_by(TaskUpdate.agency_id)).all()}


def reported_task_values(session: Session) -> dict[int, tuple[float, str]]:
    """Every task's figures as its agency last reported them (where they differ from the
    accepted ones): the "as reported" view of the leadership pages."""
    found: dict[int, tuple[float, str]] = {}
    rows = session.scalars(select(TaskUpdate).where(TaskUpdate.kind == "update", TaskUpdate.review_state != "returned")
                           .order_by(TaskUpdate.task_id, TaskUpdate.at.desc(), TaskUpdate.id.desc()))
    for row in rows:
        found.setdefault(row.task_id, (row.new_percent, row.new_status))
    return found


def reporters_due(session: Session, today: date, horizon_days: int = DUE_SOON_DAYS) -> list[dict]:
    """For the weekly reminder: every active reporter with an e-mail, with their tasks due in
    the next `horizon_days` days and their overdue ones."""
    from dashboard.store.models import User

    out = []
    for user in session.scalars(select(User).where(User.role == "reporter", User.active.is_(True)).order_by(User.username)):
        mine = my_tasks(session, user.id, today)["tasks"]
        due = [t for t in mine if t["overdue"] or (t["reported_status"] != "hoan_thanh"
                                                   and 0 <= t["days_left"] <= horizon_days)]
        out.append({"user_id": user.id, "username": user.username, "email": user.email, "tasks": due,
                    "all_tasks": len(mine), "horizon_days": horizon_days, "until": (today + timedelta(days=horizon_days)).isoformat()})
    return out
