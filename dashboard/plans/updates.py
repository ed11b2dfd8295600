"""Writes: an agency's report on a task (a new TaskUpdate row, never an edit), its evidence,
and a reviewer's decision. The rules are pure (dashboard.plans.reporting); who may do what is
dashboard.auth.scopes (which task) and dashboard.auth.policy (which role). Every change is
audited in its own transaction; every refusal changes nothing, and a refusal for scope is
audited too, in a transaction of its own (so that the refusal's rollback keeps it).

`actor` everywhere is the principal acting: any object with `name`, `role` and `user_id`
(dashboard.auth.sessions.Principal on the web; a plain one from the command line or the demo).
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.auth import audit, policy
from dashboard.auth.permissions import Forbidden
from dashboard.auth.scopes import OutOfScope, may_report, scope_of
from dashboard.plans import reporting
from dashboard.plans.reporting import Proposed, Refusal, UpdateRefused
from dashboard.plans.store import record_progress_snapshot
from dashboard.store.models import Plan, Task, TaskEvidence, TaskUpdate

log = logging.getLogger(__name__)


class NotFound(LookupError):
    """No such task or update."""


@dataclass(frozen=True)
class Actor:
    """A principal outside a web request (the demo, the command line, tests)."""

    name: str
    role: str
    user_id: int | None = None


def task_and_partner(session: Session, task_id: int) -> tuple[Task, str | None]:
    task = session.get(Task, task_id) if isinstance(task_id, int) else None
    if task is None:
        raise NotFound(reporting.Refusal("task", "no_task").message("en"))
    plan = session.get(Plan, task.plan_id)
    return task, plan.partner or plan.agency.partner


def latest_reported(session: Session, task: Task) -> tuple[float, str]:
    """The task as its agency last reported it (pending or accepted; a returned update does
    not count), else as accepted."""
    row = session.scalar(
        select(TaskUpdate).where(TaskUpdate.task_id == task.id, TaskUpdate.review_state != "returned",
                                 TaskUpdate.kind == "update")
        .order_by(TaskUpdate.at.desc(), TaskUpdate.id.desc()).limit(1))
    return (row.new_percent, row.new_status) if row is not None else (task.percent, task.status)


def audit_refusal(session: Session, actor, action: str, target: str, detail: dict) -> None:
    """Record a refused attempt in a transaction of its own: the caller's transaction is rolled
    back with the refusal, the audit entry must stay. Best effort: a database that refuses the
    write still refuses the attempt."""
    try:
        with Session(session.get_bind()) as own, own.begin():
            audit.record(own, actor.name, action, target, detail)
    except SQLAlchemyError as exc:
        log.warning("refusal of %s not audited: %s", actor.name, exc)


def require_scope(session: Session, actor, task: Task, partner: str | None, action: str = "task.update.denied") -> None:
    agency_id = task.plan.agency_id
    if not may_report(actor.role, scope_of(session, actor.user_id), agency_id, partner):
        audit_refusal(session, actor, action, f"task:{task.id}", {"agency": agency_id, "partner": partner, "role": actor.role})
        raise OutOfScope(Refusal("task", "out_of_scope").message("en"))


def report(session: Session, actor, task_id: int, proposed: Proposed, *, evidence: bytes | None = None,
           evidence_name: str | None = None, today: date, now: datetime | None = None) -> TaskUpdate:
    """Store a report on a task. Raises NotFound (404), OutOfScope (403, audited),
    UpdateRefused (400/413/415: every rule broken, listed). Nothing is written on a refusal."""
    if not policy.has_role(actor.role, policy.action_role("report_progress")):
        raise Forbidden("report_progress: your role does not allow this")
    task, partner = task_and_partner(session, task_id)
    require_scope(session, actor, task, partner)
    old_percent, old_status = latest_reported(session, task)
    checked = reporting.check_update(old_percent, old_status, proposed, today, has_file=evidence is not None)
    refusals = list(checked.refusals)
    sniffed = None
    if evidence is not None:
        sniffed, problems = reporting.sniff_evidence(evidence, evidence_name)
        refusals += problems
    if refusals:
        raise UpdateRefused(refusals)
    now = now or utcnow()
    row = TaskUpdate(
        task_id=task.id, agency_id=task.plan.agency_id, kind=checked.kind, at=now, author=actor.name[:128],
        old_percent=old_percent, new_percent=checked.percent, old_status=old_status, new_status=checked.status,
        done_on=checked.done_on, note=checked.note, evidence_url=checked.evidence_url,
        evidence_name=sniffed.name if sniffed else None, evidence_type=sniffed.kind if sniffed else None,
        evidence_size=sniffed.size if sniffed else None,
        # a "nothing changed" confirmation changes no figure: there is nothing to review
        review_state="pending" if checked.kind == "update" else "accepted",
    )
    session.add(row)
    session.flush()
    if sniffed is not None:
        session.add(TaskEvidence(update_id=row.id, content=evidence, sha256=hashlib.sha256(evidence).hexdigest()))
    audit.record(session, actor.name, "task.update" if checked.kind == "update" else "task.no_change", f"task:{task.id}", {
        "update": row.id, "agency": row.agency_id, "percent": [old_percent, checked.percent],
        "status": [old_status, checked.status], "evidence": sniffed.kind if sniffed else ("link" if checked.evidence_url else None),
    })
    return row


def confirm_no_change(session: Session, actor, task_ids: list[int], *, note: str | None = None, today: date,
                      now: datetime | None = None) -> list[TaskUpdate]:
    """"Nothing changed this week" for several tasks at once (all of them, or none)."""
    now = now or utcnow()
    return [report(session, actor, task_id, Proposed(kind="no_change", note=note), today=today, now=now)
            for task_id in task_ids]


def review(session: Session, actor, update_id: int, decision: object, comment: object, *, today: date,
           now: datetime | None = None) -> TaskUpdate:
    """Accept or return a pending update. Accepting makes its figures the task's (unless a
    later update was accepted already); both are audited."""
    if not policy.has_role(actor.role, policy.action_role("review_update")):
        raise Forbidden("review_update: your role does not allow this")
    row = session.get(TaskUpdate, update_id) if isinstance(update_id, int) else None
    if row is None:
        raise NotFound(Refusal("update", "no_update").message("en"))
    refusals = reporting.check_review(decision, comment, row.review_state)
    if row.author == actor.name and not refusals:
        refusals.append(Refusal("decision", "own_update", 403))
    if refusals:
        raise UpdateRefused(refusals)
    now = now or utcnow()
    text = (comment or "").strip() or None
    row.review_state = "accepted" if decision == "accept" else "returned"
    row.reviewed_at, row.reviewed_by, row.review_comment = now, actor.name[:128], text
    applied = False
    if decision == "accept":
        later = session.scalar(select(TaskUpdate.id).where(
            TaskUpdate.task_id == row.task_id, TaskUpdate.review_state == "accepted", TaskUpdate.kind == "update",
            TaskUpdate.id != row.id, TaskUpdate.at > row.at).limit(1))
        if later is None:
            task = session.get(Task, row.task_id)
            task.percent, task.status = row.new_percent, row.new_status
            applied = True
    session.flush()
    audit.record(session, actor.name, "task_update.accept" if decision == "accept" else "task_update.return",
                 f"task:{row.task_id}", {"update": row.id, "agency": row.agency_id, "applied": applied, "comment": text})
    if applied:
        record_progress_snapshot(session, today)  # the weekly trend follows accepted figures
    return row
