"""Writes: applying a validated import, and the weekly progress snapshot."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from collectors.timeutil import utcnow
from dashboard.auth import audit
from dashboard.plans import progress as prog
from dashboard.plans.importer import ImportReport, Problem, parse_upload
from dashboard.plans.inventory import InventoryReport, parse_inventory_upload
from dashboard.plans.reference import load_reference
from dashboard.plans.template import normalize
from dashboard.store.models import InventorySystem, Plan, ProgressSnapshot, System, Task, TaskUpdate


class NotImportable(ValueError):
    pass


DIFF_FIELDS = ("title", "category", "owner", "start", "due", "status", "percent", "systems", "notes")


@dataclass(frozen=True)
class TaskDiff:
    """What an import does to one task: new, changed (which fields), unchanged, or missing from
    the file (deleted, unless agencies reported on it)."""

    agency_id: str
    kind: str  # new | changed | unchanged | missing
    title: str
    code: str | None
    row: int | None = None
    task_id: int | None = None
    fields: tuple[str, ...] = ()
    has_updates: bool = False


@dataclass
class PlanDiff:
    items: list[TaskDiff] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {kind: sum(1 for i in self.items if i.kind == kind) for kind in ("new", "changed", "unchanged", "missing")}
        counts["missing_reported"] = sum(1 for i in self.items if i.kind == "missing" and i.has_updates)
        return counts


def _current(task: Task) -> dict:
    return {"title": task.title, "category": task.category, "owner": task.owner, "start": task.start_date,
            "due": task.due_date, "status": task.status, "percent": float(task.percent),
            "systems": tuple(sorted(s.id for s in task.systems)), "notes": task.notes}


def _incoming(row) -> dict:
    return {"title": row.title, "category": row.category, "owner": row.owner, "start": row.start, "due": row.due,
            "status": row.status, "percent": float(row.percent), "systems": tuple(sorted(row.systems)), "notes": row.notes}


def diff_import(session: Session, report: ImportReport) -> PlanDiff:
    """Match the file's rows to the tasks in the database — by task code, else (a row without
    a code) by title within its agency — and say what importing would do. Reads only."""
    diff = PlanDiff()
    by_agency: dict[str, list] = {}
    for row in report.tasks:
        by_agency.setdefault(row.agency_id, []).append(row)
    if not by_agency:
        return diff
    plans = {p.agency_id: p for p in session.scalars(
        select(Plan).options(selectinload(Plan.tasks).selectinload(Task.systems)))}
    by_code = {t.code.lower(): (t, p.agency_id) for p in plans.values() for t in p.tasks if t.code}
    reported = set(session.scalars(select(TaskUpdate.task_id).distinct()))
    for agency_id, rows in by_agency.items():
        existing = plans[agency_id].tasks if agency_id in plans else []
        by_title = {normalize(t.title): t for t in existing}
        matched: set[int] = set()
        for row in rows:
            task = None
            if row.code:
                found = by_code.get(row.code.lower())
                if found is not None and found[1] != agency_id:
                    diff.problems.append(Problem(row.row, "code", "code_other_agency", (("value", row.code), ("agency", found[1]))))
                    continue
                task = found[0] if found else None
            else:
                candidate = by_title.get(normalize(row.title))
                task = candidate if candidate is not None and candidate.id not in matched else None
            if task is None:
                diff.items.append(TaskDiff(agency_id, "new", row.title, row.code, row.row))
                continue
            matched.add(task.id)
            before, after = _current(task), _incoming(row)
            fields = tuple(f for f in DIFF_FIELDS if before[f] != after[f])
            diff.items.append(TaskDiff(agency_id, "changed" if fields else "unchanged", row.title, task.code, row.row,
                                       task.id, fields, task.id in reported))
        for task in existing:
            if task.id not in matched:
                diff.items.append(TaskDiff(agency_id, "missing", task.title, task.code, None, task.id, (), task.id in reported))
    return diff


def _next_code(agency_id: str, used: set[str]) -> str:
    number = 1
    while f"{agency_id}-{number:02d}".lower() in used:
        number += 1
    code = f"{agency_id}-{number:02d}"
    used.add(code.lower())
    return code


def apply_import(session: Session, report: ImportReport, today: date, source: str = "import",
                 delete_reported: bool = False) -> dict[str, int]:
    """Merge the file into the plans of the agencies it names (others keep theirs): new tasks
    are added (with a code when the row has none), matched tasks take the file's values and
    keep their id, code and reported updates, tasks missing from the file are deleted — except
    those with reported updates, which are kept unless `delete_reported`. All or nothing: a
    report with problems (or a code of another agency's task) is refused."""
    if not report.ok:
        raise NotImportable(f"{len(report.problems)} problem(s) in {report.filename}: nothing imported")
    diff = diff_import(session, report)
    if diff.problems:
        raise NotImportable(f"{len(diff.problems)} problem(s) in {report.filename}: nothing imported")
    systems = {s.id: s for s in session.scalars(select(System))}
    partners = report.partners()
    by_agency: dict[str, list] = {}
    for task in report.tasks:
        by_agency.setdefault(task.agency_id, []).append(task)
    decided = {(i.agency_id, i.row): i for i in diff.items if i.row is not None}
    missing = [i for i in diff.items if i.kind == "missing"]
    used = {c.lower() for c in session.scalars(select(Task.code).where(Task.code.is_not(None)))}
    used |= {t.code.lower() for t in report.tasks if t.code}
    now = utcnow()
    counts = {"agencies": len(by_agency), "tasks": len(report.tasks), "new": 0, "changed": 0, "unchanged": 0,
              "deleted": 0, "kept": 0}
    for agency_id, rows in by_agency.items():
        plan = session.scalar(select(Plan).where(Plan.agency_id == agency_id).options(selectinload(Plan.tasks)))
        if plan is None:
            plan = Plan(agency_id=agency_id)
            session.add(plan)
        plan.partner = partners.get(agency_id)
        plan.source = source
        plan.source_file = (report.filename or "")[:255]
        plan.updated_at = now
        tasks_by_id = {t.id: t for t in plan.tasks}
        ordered: list[Task] = []
        for row in rows:
            item = decided[(agency_id, row.row)]
            task = tasks_by_id.get(item.task_id) if item.task_id is not None else None
            if task is None:
                task = Task(code=row.code or _next_code(agency_id, used))
                plan.tasks.append(task)
            counts[item.kind] += 1
            task.title, task.category, task.owner = row.title, row.category, row.owner
            task.start_date, task.due_date, task.status, task.percent = row.start, row.due, row.status, row.percent
            task.notes, task.systems = row.notes, [systems[s] for s in row.systems]
            ordered.append(task)
        for item in (i for i in missing if i.agency_id == agency_id):
            task = tasks_by_id[item.task_id]
            if item.has_updates and not delete_reported:
                counts["kept"] += 1
                ordered.append(task)
                continue
            counts["deleted"] += 1
            # the task's reports go with it, when asked for (never silently: has_updates needs delete_reported)
            session.execute(delete(TaskUpdate).where(TaskUpdate.task_id == task.id))
            plan.tasks.remove(task)
        for position, task in enumerate(ordered):
            task.position = position
    session.flush()
    record_progress_snapshot(session, today)
    return counts


def record_progress_snapshot(session: Session, today: date) -> int:
    """Upsert this week's snapshot for every agency with a plan. Called after each import (and
    at start): plans only change through imports, so the weekly trend needs nothing more."""
    week = prog.week_start(today)
    plans = session.scalars(select(Plan).options(selectinload(Plan.tasks), selectinload(Plan.agency))).all()
    existing = {s.agency_id: s for s in session.scalars(select(ProgressSnapshot).where(ProgressSnapshot.week_start == week))}
    for plan in plans:
        facts = [prog.TaskFacts(plan.agency_id, t.title, t.category, t.status, t.percent, t.due_date, t.start_date) for t in plan.tasks]
        summary = prog.agency_progress(
            {"id": plan.agency_id, "name_vi": "", "name_en": "", "kind": plan.agency.kind}, facts, today
        )
        values = dict(percent=summary.percent, tasks=summary.tasks, done=summary.done, overdue=summary.overdue)
        row = existing.get(plan.agency_id)
        if row is None:
            session.add(ProgressSnapshot(week_start=week, agency_id=plan.agency_id, **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
    session.flush()
    return len(plans)


def preview_upload(session: Session, filename: str, contents: str) -> ImportReport:
    """Validate an uploaded plan file against the current catalog; nothing is written."""
    return parse_upload(filename, contents, load_reference(session))


def preview_merge(session: Session, filename: str, contents: str) -> tuple[ImportReport, PlanDiff]:
    """Validate an uploaded plan file and say what importing it would change (new, changed,
    unchanged, missing tasks); nothing is written. A code of another agency's task is a
    problem of the report."""
    report = parse_upload(filename, contents, load_reference(session))
    diff = diff_import(session, report) if report.ok else PlanDiff()
    if diff.problems:
        report.problems.extend(diff.problems)
        report.tasks = []
    return report, diff


def import_upload(session: Session, filename: str, contents: str, today: date,
                  delete_reported: bool = False) -> tuple[ImportReport, dict[str, int] | None]:
    """Validate the file again (the catalog may have changed since the preview) and, if it has
    no problem, merge it and audit it in one transaction. Returns the report and the counts
    (None when nothing was imported)."""
    report, diff = preview_merge(session, filename, contents)
    if not report.ok:
        return report, None
    counts = apply_import(session, report, today, delete_reported=delete_reported)
    audit.record(session, None, "plan.import", filename, {k: v for k, v in counts.items() if isinstance(v, (int, str))})
    return report, counts


def apply_inventory(session: Session, report: InventoryReport, source: str = "import") -> dict[str, int]:
    """Replace the inventory rows of every agency named in the file with the file's rows;
    other agencies keep theirs. All or nothing: a report with problems is refused, and a code
    already used by another agency's row is refused too (nothing written)."""
    if not report.ok:
        raise NotImportable(f"{len(report.problems)} problem(s) in {report.filename}: nothing imported")
    agencies = report.agencies()
    codes = {r.code.lower() for r in report.rows}
    clash = session.scalars(
        select(InventorySystem.code).where(InventorySystem.agency_id.not_in(agencies), func.lower(InventorySystem.code).in_(codes))
    ).all()
    if clash:
        raise NotImportable(f"code(s) already used by another agency's system: {', '.join(sorted(clash)[:10])}: nothing imported")
    session.execute(delete(InventorySystem).where(InventorySystem.agency_id.in_(agencies)))
    session.flush()
    now = utcnow()
    for row in report.rows:
        session.add(InventorySystem(
            code=row.code, name=row.name, agency_id=row.agency_id, kind=row.kind, platforms=";".join(row.platforms),
            hosting=row.hosting, partner=row.partner, security_level=row.security_level, dossier_approved=row.dossier_approved,
            system_id=row.system_id, integrated_on=row.integrated_on, evidence=row.evidence, source=source, updated_at=now,
        ))
    session.flush()
    return {"agencies": len(agencies), "systems": len(report.rows)}


def preview_inventory_upload(session: Session, filename: str, contents: str) -> InventoryReport:
    return parse_inventory_upload(filename, contents, load_reference(session))


def import_inventory_upload(session: Session, filename: str, contents: str) -> tuple[InventoryReport, dict[str, int] | None, str | None]:
    """Validate again and apply in one transaction. Returns (report, counts or None, refusal)."""
    report = parse_inventory_upload(filename, contents, load_reference(session))
    if not report.ok:
        return report, None, None
    try:
        counts = apply_inventory(session, report)
    except NotImportable as exc:
        session.rollback()
        return report, None, str(exc)
    audit.record(session, None, "inventory.import", filename, dict(counts))
    return report, counts, None
