"""Writes: applying a validated import, and the weekly progress snapshot."""
from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from collectors.timeutil import utcnow
from dashboard.auth import audit
from dashboard.plans import progress as prog
from dashboard.plans.importer import ImportReport, parse_upload
from dashboard.plans.inventory import InventoryReport, parse_inventory_upload
from dashboard.plans.reference import load_reference
from dashboard.store.models import InventorySystem, Plan, ProgressSnapshot, System, Task


class NotImportable(ValueError):
    pass


def apply_import(session: Session, report: ImportReport, today: date, source: str = "import") -> dict[str, int]:
    """Replace the tasks of every agency named in the file with the file's rows; agencies not
    in the file keep their plans. All or nothing: a report with problems is refused."""
    if not report.ok:
        raise NotImportable(f"{len(report.problems)} problem(s) in {report.filename}: nothing imported")
    systems = {s.id: s for s in session.scalars(select(System))}
    partners = report.partners()
    by_agency: dict[str, list] = {}
    for task in report.tasks:
        by_agency.setdefault(task.agency_id, []).append(task)
    now = utcnow()
    for agency_id, tasks in by_agency.items():
        plan = session.scalar(select(Plan).where(Plan.agency_id == agency_id).options(selectinload(Plan.tasks)))
        if plan is None:
            plan = Plan(agency_id=agency_id)
            session.add(plan)
        plan.partner = partners.get(agency_id)
        plan.source = source
        plan.source_file = (report.filename or "")[:255]
        plan.updated_at = now
        plan.tasks.clear()
        session.flush()
        for position, task in enumerate(tasks):
            plan.tasks.append(Task(
                position=position, title=task.title, category=task.category, owner=task.owner,
                start_date=task.start, due_date=task.due, status=task.status, percent=task.percent,
                notes=task.notes, systems=[systems[s] for s in task.systems],
            ))
    session.flush()
    record_progress_snapshot(session, today)
    return {"agencies": len(by_agency), "tasks": len(report.tasks)}


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


def import_upload(session: Session, filename: str, contents: str, today: date) -> tuple[ImportReport, dict[str, int] | None]:
    """Validate the file again (the catalog may have changed since the preview) and, if it has
    no problem, apply it and audit it in one transaction. Returns the report and the counts
    (None when nothing was imported)."""
    report = parse_upload(filename, contents, load_reference(session))
    if not report.ok:
        return report, None
    counts = apply_import(session, report, today)
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
