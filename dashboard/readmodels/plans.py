"""Read models for the progress, coverage and report pages and the JSON API."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from collectors.timeutil import utcnow
from dashboard.i18n import VN_TZ
from dashboard.plans import coverage as cov
from dashboard.plans import inventory as inv
from dashboard.plans import progress as prog
from dashboard.plans.importer import Reference
from dashboard.plans.reference import load_reference
from dashboard.plans.reporting import SILENT_DAYS_DEFAULT, freshness, silent_since
from dashboard.readmodels import reporting as reports
from dashboard.store.database import Database
from dashboard.store.models import (
    Agency,
    CheckResult,
    CoverageSnapshot,
    Endpoint,
    InventorySystem,
    Link,
    NationalPlatform,
    Plan,
    ProgressSnapshot,
    Rollup,
    System,
    Task,
)

TREND_WEEKS = 12
TREND_DAYS = 90


def local_today(now: datetime | None = None) -> date:
    """The date in Vietnam: due dates and weeks are counted in local days."""
    return (now or utcnow()).astimezone(VN_TZ).date()


def reference(session: Session) -> Reference:
    return load_reference(session)


def has_demo_plans(session: Session) -> bool:
    return session.scalar(select(Plan.id).where(Plan.source == "demo").limit(1)) is not None


def _agency_dict(agency: Agency, plan: Plan | None) -> dict:
    return {
        "id": agency.id, "name_vi": agency.name_vi, "name_en": agency.name_en, "kind": agency.kind,
        "partner": (plan.partner if plan and plan.partner else agency.partner),
        "official_code": agency.official_code, "lat": agency.lat, "lon": agency.lon,
    }


def _load(session: Session):
    agencies = session.scalars(select(Agency).order_by(Agency.name_vi)).all()
    plans = session.scalars(select(Plan).options(selectinload(Plan.tasks).selectinload(Task.systems))).all()
    return agencies, {p.agency_id: p for p in plans}


VIEWS = ("accepted", "reported")


def _facts(task: Task, agency_id: str, reported: dict[int, tuple[float, str]] | None = None) -> prog.TaskFacts:
    percent, status = reported.get(task.id, (task.percent, task.status)) if reported else (task.percent, task.status)
    return prog.TaskFacts(agency_id, task.title, task.category, status, percent, task.due_date, task.start_date, task.owner)


def freshness_rows(session: Session, agencies, plans: dict, today: date, silent_days: int) -> list[dict]:
    """Per agency with a plan: its last report (an update or a "nothing changed"
    confirmation), how many days since, and fresh / stale / silent."""
    last = reports.last_reports(session)
    rows = []
    for agency in agencies:
        if agency.id not in plans:
            continue
        day = reports.local_day(last[agency.id]) if agency.id in last else None
        rows.append({"id": agency.id, "name_vi": agency.name_vi, "name_en": agency.name_en,
                     "group": prog.agency_group(agency.kind), "last_report": day.isoformat() if day else None,
                     "days_silent": silent_since(day, today), "freshness": freshness(day, today, silent_days)})
    # the longest silent first: never reported, then the oldest report
    rows.sort(key=lambda r: (r["days_silent"] is not None, -(r["days_silent"] or 0), r["name_vi"]))
    return rows


def progress_view(session: Session, today: date | None = None, view: str = "accepted",
                  silent_days: int = SILENT_DAYS_DEFAULT) -> dict:
    """Plan progress per agency, partner and category. `view`: "accepted" (the figures the IOC
    accepted; the default) or "reported" (as agencies last reported them, pending reports too)."""
    today = today or local_today()
    view = view if view in VIEWS else "accepted"
    agencies, plans = _load(session)
    reported = reports.reported_task_values(session) if view == "reported" else None
    rows, all_tasks, task_rows = [], [], []
    names = {}
    for agency in agencies:
        plan = plans.get(agency.id)
        info = _agency_dict(agency, plan)
        names[agency.id] = info
        tasks = [_facts(t, agency.id, reported) for t in plan.tasks] if plan else []
        rows.append(prog.agency_progress(info, tasks, today, has_plan=plan is not None))
        all_tasks.extend(tasks)
        if plan:
            for task, facts in zip(plan.tasks, tasks):
                task_rows.append((task, facts))
    overdue = [
        _task_view(task, facts, names[facts.agency_id], today)
        for task, facts in task_rows if prog.is_overdue(facts, today)
    ]
    at_risk = [
        _task_view(task, facts, names[facts.agency_id], today)
        for task, facts in task_rows if prog.is_at_risk(facts, today)
    ]
    overdue.sort(key=lambda v: (v["due"], v["percent"]))
    at_risk.sort(key=lambda v: (v["due"], v["percent"]))
    return {
        "today": today,
        "province_percent": prog.province_percent(rows),
        "agencies": prog.sort_for_display(rows),
        "laggards": prog.laggards([r for r in rows if r.has_plan] or rows),
        "partners": prog.partner_ranking(rows),
        "groups": prog.rollup(rows, lambda r: r.group),
        "categories": prog.by_category(all_tasks, today),
        "overdue": overdue,
        "at_risk": at_risk,
        "trend": progress_trend(session, [a.id for a in agencies], today),
        "map_points": [
            {"id": r.agency_id, "name_vi": r.name_vi, "name_en": r.name_en, "percent": r.percent, "has_plan": r.has_plan,
             "overdue": r.overdue, "partner": r.partner, "lat": names[r.agency_id]["lat"], "lon": names[r.agency_id]["lon"]}
            for r in rows
            if r.kind in prog.COMMUNE_KINDS and names[r.agency_id]["lat"] is not None
        ],
        "plans": len(plans),
        "tasks": len(all_tasks),
        "demo": any(p.source == "demo" for p in plans.values()),
        "view": view,
        "silent_days": silent_days,
        "freshness": freshness_rows(session, agencies, plans, today, silent_days),
    }


def _task_view(task: Task, facts: prog.TaskFacts, agency: dict, today: date) -> dict:
    return {
        "agency_id": agency["id"], "agency_vi": agency["name_vi"], "agency_en": agency["name_en"],
        "partner": agency["partner"], "title": task.title, "category": task.category, "owner": task.owner,
        "due": task.due_date, "days_late": (today - task.due_date).days, "percent": facts.percent,
        "status": facts.status, "systems": [s.id for s in task.systems],
    }


def progress_trend(session: Session, agency_ids: list[str], today: date, weeks: int = TREND_WEEKS) -> list[tuple[date, float | None]]:
    this_week = prog.week_start(today)
    week_list = [this_week - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    snapshots: dict[date, dict[str, float]] = {}
    for snap in session.scalars(select(ProgressSnapshot).where(ProgressSnapshot.week_start <= this_week)):
        snapshots.setdefault(snap.week_start, {})[snap.agency_id] = snap.percent
    # Weeks before the window are walked too, so that values carried forward are right.
    earlier = sorted(w for w in snapshots if w < week_list[0])
    return prog.weekly_trend(snapshots, agency_ids, earlier + week_list)[len(earlier):]


def progress_api(session: Session, today: date | None = None, view: str = "accepted",
                 silent_days: int = SILENT_DAYS_DEFAULT) -> dict:
    view = progress_view(session, today, view, silent_days)
    fresh = {r["id"]: r for r in view["freshness"]}
    return {
        "date": view["today"].isoformat(),
        "view": view["view"],
        "province_percent": view["province_percent"],
        "demo_data": view["demo"],
        "silent_days": view["silent_days"],
        "freshness": {state: sum(1 for r in view["freshness"] if r["freshness"] == state) for state in ("fresh", "stale", "silent")},
        "rules": {"at_risk_days": prog.AT_RISK_DAYS, "at_risk_below_percent": prog.AT_RISK_PERCENT},
        "agencies": [
            {
                "id": r.agency_id, "name_vi": r.name_vi, "name_en": r.name_en, "kind": r.kind, "group": r.group,
                "partner": r.partner, "has_plan": r.has_plan, "percent_done": r.percent, "tasks": r.tasks,
                "done": r.done, "overdue": r.overdue, "at_risk": r.at_risk,
                "last_report": fresh.get(r.agency_id, {}).get("last_report"),
                "freshness": fresh.get(r.agency_id, {}).get("freshness"),
            }
            for r in view["agencies"]
        ],
        "partners": [g.__dict__ for g in view["partners"]],
        "categories": view["categories"],
        "trend": [{"week_start": w.isoformat(), "percent": p} for w, p in view["trend"]],
    }


# ------------------------------------------------------------------------------ coverage


def last_successes(session: Session, endpoint_ids: list[str], since: datetime) -> dict[str, datetime]:
    """The latest successful (up or degraded) check of each endpoint since `since`: from the raw
    results, and from the hourly rollups for hours whose raw rows are past retention."""
    if not endpoint_ids:
        return {}
    found: dict[str, datetime] = {}
    raw = session.execute(
        select(Endpoint.id, func.max(CheckResult.checked_at))
        .join(Endpoint, Endpoint.key == CheckResult.endpoint_key)
        .where(Endpoint.id.in_(endpoint_ids), CheckResult.checked_at >= since,
               CheckResult.verdict.in_(cov.LIVE_UP))
        .group_by(Endpoint.id)
    ).all()
    for endpoint_id, at in raw:
        found[endpoint_id] = _aware(at)
    hourly = session.execute(
        select(Rollup.endpoint_id, func.max(Rollup.bucket_start))
        .where(Rollup.endpoint_id.in_(endpoint_ids), Rollup.period == "hour", Rollup.bucket_start >= since - timedelta(hours=1),
               Rollup.checks > Rollup.failures + Rollup.missed)
        .group_by(Rollup.endpoint_id)
    ).all()
    for endpoint_id, start in hourly:
        # A success somewhere in that hour: its start is the safe (earliest) time to count.
        start = _aware(start)
        if endpoint_id not in found or found[endpoint_id] < start:
            found[endpoint_id] = start
    return found


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def coverage_view(session: Session, now: datetime | None = None, verified_days: float = cov.VERIFIED_DAYS) -> dict:
    """Coverage now, read only: the trend comes from the daily snapshots written by the
    scheduled job (dashboard/reports/snapshots.py), never by a page or API read."""
    now = now or utcnow()
    today = local_today(now)
    systems = session.scalars(
        select(System).where(System.active.is_(True)).options(selectinload(System.links).selectinload(Link.platform)).order_by(System.position)
    ).all()
    link_endpoints = [l.endpoint_id for system in systems for l in system.links if l.active and l.endpoint_id]
    successes = last_successes(session, link_endpoints, now - timedelta(days=verified_days))
    connections = {}
    system_info = {}
    for system in systems:
        links = [l for l in system.links if l.active]
        if not links:
            continue
        facts = [
            cov.LinkFacts(l.id, system.id, l.platform_id, l.declared_state, l.endpoint_id is not None, l.status,
                          _aware(l.last_check_at) if l.last_check_at else None, successes.get(l.endpoint_id))
            for l in links
        ]
        connections[system.id] = cov.system_connection(system.id, facts, now, verified_days)
        system_info[system.id] = {
            "id": system.id, "name_vi": system.name_vi, "name_en": system.name_en,
            "platforms": {l.platform_id: (l.platform.name_vi, l.platform.name_en) for l in links},
        }
    agencies, plans = _load(session)
    integrated = {
        (plan.agency_id, system.id)
        for plan in plans.values()
        for task in plan.tasks
        if task.category == "tich_hop" and task.status == "hoan_thanh"
        for system in task.systems
    }
    shared_pairs = cov.coverage_pairs([a.id for a in agencies], connections, integrated)
    inventory_rows = inventory_facts(session)
    link_facts = {
        (system.id, l.platform_id): cov.LinkFacts(l.id, system.id, l.platform_id, l.declared_state, l.endpoint_id is not None, l.status,
                                                  _aware(l.last_check_at) if l.last_check_at else None, successes.get(l.endpoint_id))
        for system in systems for l in system.links if l.active
    }
    inventory_pairs = cov.inventory_pairs(inventory_rows, link_facts, now, verified_days)
    pairs = shared_pairs + inventory_pairs
    per_system = cov.summarize(shared_pairs, "system_id")
    per_agency = cov.summarize(pairs, "agency_id")
    province = cov.counts(pairs)
    view = {
        "today": today,
        # The headline, "tỷ lệ tích hợp": verified ÷ required (a short outage does not move it).
        "province_percent": province["verified_percent"],
        "sharing_percent": cov.percent(shared_pairs),
        **province,
        "shared": cov.counts(shared_pairs),
        "inventory": {**cov.counts(inventory_pairs), **inv.security_indicator(inventory_rows),
                      "demo": session.scalar(select(InventorySystem.id).where(InventorySystem.source == "demo").limit(1)) is not None},
        "verified_days": verified_days,
        "target_percent": cov.TARGET_PERCENT,
        "integrated_percent": cov.percent(shared_pairs, "integrated"),
        "connected_percent": cov.percent(shared_pairs, "connected"),
        "systems": [
            {
                **system_info[s], **per_system.get(s, {}),
                "connected_now": conn.connected, "source": conn.source,
                "verified_now": conn.verified, "live_up_now": conn.live_up,
                "links": [
                    {"platform": l.platform_id, "platform_vi": system_info[s]["platforms"][l.platform_id][0],
                     "platform_en": system_info[s]["platforms"][l.platform_id][1],
                     "connected": l.connected, "source": l.source, "detail": l.detail}
                    for l in conn.links
                ],
            }
            for s, conn in connections.items()
        ],
        "agencies": sorted(
            (
                {"id": a.id, "name_vi": a.name_vi, "name_en": a.name_en, "kind": a.kind,
                 "group": prog.agency_group(a.kind), "partner": _agency_dict(a, plans.get(a.id))["partner"],
                 **per_agency.get(a.id, {"integrated": 0.0, "connected": 0.0, "sharing": 0.0, "pairs": 0, **cov.counts([])}),
                 "systems": {p.system_id: {"integrated": p.integrated, "connected": p.connected, "sharing": p.sharing,
                                           "declared": p.declared, "verified": p.verified, "live_up": p.live_up, "state": p.state}
                             for p in shared_pairs if p.agency_id == a.id}}
                for a in agencies
            ),
            key=lambda r: (r["group"] != "departments", r["verified_percent"], r["name_vi"]),
        ),
    }
    view["trend"] = coverage_trend(session, today)
    return view


def inventory_facts(session: Session) -> list[inv.InventoryFacts]:
    return [
        inv.InventoryFacts(r.code, r.agency_id, r.kind, tuple(p for p in r.platforms.split(";") if p), r.security_level,
                           r.dossier_approved, r.system_id, r.integrated_on)
        for r in session.scalars(select(InventorySystem).order_by(InventorySystem.code))
    ]


def snapshot_values(view: dict) -> dict[tuple[str, str], float]:
    """What the daily snapshot keeps of a coverage view: (subject type, subject id) → the
    headline percentage, province-wide ('province', ''), per system and per agency. Empty when
    nothing is linked yet (no point to record)."""
    if not view["systems"]:
        return {}
    values = {("province", ""): view["province_percent"]}
    values.update({("system", s["id"]): s["verified_percent"] for s in view["systems"] if "verified_percent" in s})
    values.update({("agency", a["id"]): a["verified_percent"] for a in view["agencies"] if a["pairs"]})
    return values


def coverage_trend(session: Session, today: date, days: int = TREND_DAYS) -> list[tuple[date, float]]:
    rows = session.execute(
        select(CoverageSnapshot.day, CoverageSnapshot.percent)
        .where(CoverageSnapshot.subject_type == "province", CoverageSnapshot.day > today - timedelta(days=days))
        .order_by(CoverageSnapshot.day)
    ).all()
    return [(r.day, r.percent) for r in rows]


STATE_FIELDS = ("required", "declared", "verified", "live_up", "declared_percent", "verified_percent", "live_up_percent")


def coverage_api(session: Session, now: datetime | None = None, verified_days: float = cov.VERIFIED_DAYS) -> dict:
    view = coverage_view(session, now, verified_days)
    return {
        "date": view["today"].isoformat(),
        "province_percent": view["province_percent"],
        "target_percent": view["target_percent"],
        "integrated_percent": view["integrated_percent"],
        "connected_percent": view["connected_percent"],
        "sharing_percent": view["sharing_percent"],
        "verified_days": view["verified_days"],
        **{k: view[k] for k in STATE_FIELDS},
        "shared": view["shared"],
        "inventory": view["inventory"],
        "systems": [
            {k: s[k] for k in ("id", "name_vi", "name_en", "integrated", "connected", "sharing", "connected_now", "source",
                               "verified_now", "live_up_now", *STATE_FIELDS, "links") if k in s}
            for s in view["systems"]
        ],
        "agencies": [
            {k: a[k] for k in ("id", "name_vi", "name_en", "kind", "group", "partner", "integrated", "connected", "sharing",
                               *STATE_FIELDS, "systems")}
            for a in view["agencies"]
        ],
        "trend": [{"day": d.isoformat(), "percent": p} for d, p in view["trend"]],
    }


# ------------------------------------------------------------------------------ export


def export_rows(session: Session) -> list[dict]:
    """Every task in the template's columns, for the filled export."""
    rows = []
    plans = session.scalars(
        select(Plan).options(selectinload(Plan.tasks).selectinload(Task.systems), selectinload(Plan.agency))
    ).all()
    for plan in sorted(plans, key=lambda p: (prog.agency_group(p.agency.kind) != "departments", p.agency.name_vi)):
        code = plan.agency.official_code or plan.agency_id
        for task in plan.tasks:
            rows.append({
                "agency": code, "code": task.code or "", "partner": plan.partner or "", "title": task.title, "category": task.category,
                "owner": task.owner or "", "start": task.start_date, "due": task.due_date, "status": task.status,
                "percent": task.percent, "systems": [s.id for s in task.systems], "notes": task.notes or "",
            })
    return rows


def code_lists(session: Session) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    agencies = session.scalars(select(Agency).order_by(Agency.kind, Agency.name_vi)).all()
    systems = session.scalars(select(System).where(System.active.is_(True)).order_by(System.position)).all()
    return (
        [(a.official_code or a.id, a.name_vi) for a in agencies],
        [(s.id, s.name_vi) for s in systems],
    )


# ------------------------------------------------------------------------------ for pages
# Pages never open database sessions: they call these, which read in a session of their own.


def coverage_page(session: Session, now: datetime | None = None, verified_days: float = cov.VERIFIED_DAYS) -> tuple[dict, bool]:
    return coverage_view(session, now, verified_days), has_demo_plans(session)


def progress_page(session: Session, today: date | None = None, view: str = "accepted",
                  silent_days: int = SILENT_DAYS_DEFAULT) -> dict:
    return progress_view(session, today, view, silent_days)


def template_data(session: Session, filled: bool) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[dict] | None]:
    """The code lists of the plan template and, when `filled`, every task for the export."""
    agencies, systems = code_lists(session)
    return agencies, systems, (export_rows(session) if filled else None)


def reference_for(db: Database) -> Reference:
    with db.session() as session:
        return reference(session)


def inventory_template_data(session: Session, filled: bool) -> dict:
    """The inventory template's code lists and, when `filled`, every inventory row."""
    agencies, systems = code_lists(session)
    platforms = [(p.id, p.name_vi) for p in session.scalars(select(NationalPlatform).order_by(NationalPlatform.id))]
    rows = None
    if filled:
        codes = {a.id: a.official_code or a.id for a in session.scalars(select(Agency))}
        rows = [
            {"code": r.code, "name": r.name, "agency": codes.get(r.agency_id, r.agency_id), "kind": r.kind,
             "platforms": [p for p in r.platforms.split(";") if p], "hosting": r.hosting, "partner": r.partner,
             "security_level": r.security_level, "dossier": r.dossier_approved, "system": r.system_id,
             "integrated_on": r.integrated_on, "evidence": r.evidence}
            for r in session.scalars(select(InventorySystem).order_by(InventorySystem.agency_id, InventorySystem.code))
        ]
    return {"agencies": agencies, "platforms": platforms, "systems": systems, "rows": rows}
