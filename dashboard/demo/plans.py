"""Generated demo plans ("Dữ liệu trình diễn / demo data") for every agency, with weekly
progress snapshots and daily coverage snapshots for the past weeks, so that the leadership
pages are alive in the demo. Deterministic (seeded); loaded only when no plan exists."""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from statistics import fmean

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from collectors.timeutil import utcnow
from dashboard.i18n import VN_TZ
from dashboard.plans import coverage as cov
from dashboard.plans import progress as prog
from dashboard.plans.template import DONE
from dashboard.readmodels.plans import inventory_facts
from dashboard.store.models import Agency, CoverageSnapshot, Plan, ProgressSnapshot, System, Task

DEMO_SOURCE = "demo"
DEMO_FILE = "Dữ liệu trình diễn / demo data"
HISTORY_WEEKS = 12
PLAN_START_DAYS_AGO = 100


def _percent_at(start: date, due: date, day: date, pace: float, offset: float) -> float:
    """Work done by `day` for a task planned from start to due, at the agency's pace."""
    if day < start:
        return 0.0
    planned = min(1.0, (day - start).days / max(1, (due - start).days))
    value = 100.0 * min(1.0, planned * (pace * 1.3 + offset))
    return float(max(0, min(100, round(value / 5) * 5)))


def _tasks_for(agency: Agency, linked: list[System], today: date, rng: random.Random) -> list[dict]:
    start = today - timedelta(days=PLAN_START_DAYS_AGO + rng.randint(0, 10))
    tasks = [
        ("ra_soat", "Rà soát phần mềm, hệ thống thông tin với các nền tảng quốc gia", start, start + timedelta(days=30), []),
        ("xay_dung_ke_hoach", "Xây dựng Kế hoạch hoàn thiện, nâng cấp và triển khai", start + timedelta(days=10), start + timedelta(days=45), []),
        ("nang_cap", "Nâng cấp phần mềm quản lý văn bản, dịch vụ công theo yêu cầu kết nối", start + timedelta(days=30), today + timedelta(days=rng.randint(-12, 30)), []),
    ]
    for system in linked:
        begin = start + timedelta(days=rng.randint(35, 60))
        tasks.append(("tich_hop", f"Tích hợp, kết nối với {system.name_vi}", begin, today + timedelta(days=rng.randint(-45, 40)), [system]))
    tasks.append(("danh_gia_attt", "Đánh giá an toàn thông tin theo cấp độ", start + timedelta(days=40), today + timedelta(days=rng.randint(5, 75)), []))
    return [
        {"category": c, "title": title, "start": s, "due": max(d, s + timedelta(days=7)), "systems": systems,
         "offset": rng.uniform(-0.15, 0.2)}
        for c, title, s, d, systems in tasks
    ]


def load_demo_plans(session: Session, today: date, seed: int = 2025) -> bool:
    """Fill plans for all agencies unless any plan exists (idempotent). Returns True if loaded."""
    if session.scalar(select(func.count()).select_from(Plan)):
        return False
    rng = random.Random(seed)
    agencies = session.scalars(select(Agency).order_by(Agency.id)).all()
    linked = [s for s in session.scalars(select(System).where(System.active.is_(True)).options(selectinload(System.links)).order_by(System.position)) if any(l.active for l in s.links)]
    now = utcnow()
    weeks = [prog.week_start(today) - timedelta(weeks=i) for i in range(HISTORY_WEEKS - 1, -1, -1)]
    history_days = [today - timedelta(days=i) for i in range(HISTORY_WEEKS * 7 - 1, 0, -1)]
    integrated_on: dict[date, set[tuple[str, str]]] = {d: set() for d in history_days}
    for agency in agencies:
        # Some agencies (and partners) are markedly behind, so that the laggard views show something.
        pace = rng.uniform(0.45, 1.15) * {"VNPT": 1.0, "Viettel": 1.05, "MobiFone": 0.85, "FPT": 0.75}.get(agency.partner, 0.9)
        specs = _tasks_for(agency, linked, today, rng)
        plan = Plan(agency_id=agency.id, partner=agency.partner, source=DEMO_SOURCE, source_file=DEMO_FILE, updated_at=now)
        for position, spec in enumerate(specs):
            percent = _percent_at(spec["start"], spec["due"], today, pace, spec["offset"])
            status = DONE if percent >= 100 else ("chua_bat_dau" if percent == 0 else "dang_thuc_hien")
            plan.tasks.append(Task(
                code=f"{agency.id}-{position + 1:02d}", position=position, title=spec["title"], category=spec["category"], owner="Văn phòng / Bộ phận CNTT",
                start_date=spec["start"], due_date=spec["due"], status=status, percent=percent,
                notes="Dữ liệu trình diễn (demo data)", systems=spec["systems"],
            ))
            if spec["category"] == "tich_hop":
                for day in history_days:
                    if _percent_at(spec["start"], spec["due"], day, pace, spec["offset"]) >= 100:
                        integrated_on[day].add((agency.id, spec["systems"][0].id))
        session.add(plan)
        for week in weeks[:-1]:
            at = week + timedelta(days=6)
            values = [_percent_at(s["start"], s["due"], at, pace, s["offset"]) for s in specs]
            facts = [prog.TaskFacts(agency.id, s["title"], s["category"], "", v, s["due"]) for s, v in zip(specs, values)]
            session.add(ProgressSnapshot(
                week_start=week, agency_id=agency.id, percent=round(fmean(values), 1), tasks=len(values),
                done=sum(v >= 100 for v in values), overdue=sum(prog.is_overdue(f, at) for f in facts),
            ))
    session.flush()
    # Past coverage by today's definition (verified ÷ required, over the shared systems and the
    # inventory when it is loaded first), so that the trend does not jump at today's point: a
    # link the demo monitors is taken as verified on every past day (the simulated systems were
    # reachable), one it does not monitor never is.
    inventory = inventory_facts(session)
    ids = [a.id for a in agencies]
    for day in history_days:
        at = datetime.combine(day, time(12), VN_TZ)
        facts = {
            (s.id, l.platform_id): cov.LinkFacts(l.id, s.id, l.platform_id, l.declared_state, l.endpoint_id is not None,
                                                 "up", at, at if l.endpoint_id is not None else None)
            for s in linked for l in s.links if l.active
        }
        connections = {s.id: cov.system_connection(s.id, [f for (system_id, _), f in facts.items() if system_id == s.id], at) for s in linked}
        integrated_inventory = [r if r.integrated_on is not None and r.integrated_on <= day else replace(r, integrated_on=None)
                                for r in inventory]
        pairs = cov.coverage_pairs(ids, connections, integrated_on[day]) + cov.inventory_pairs(integrated_inventory, facts, at)
        session.add(CoverageSnapshot(day=day, subject_type="province", subject_id="", percent=cov.percent(pairs, "verified")))
    session.flush()
    from dashboard.plans.store import record_progress_snapshot

    record_progress_snapshot(session, today)
    return True
