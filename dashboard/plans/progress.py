"""Pure progress rules: a task's flags, an agency's progress, rollups and the weekly trend.

Rules (documented in docs/leadership.md):
- an agency's percent is the plain mean of its tasks' percents (each task weighs the same);
- overdue: not done and the due date has passed;
- at risk: not done, not overdue, due within AT_RISK_DAYS and less than AT_RISK_PERCENT done;
- a group's (partner's, department/commune group's) percent is the mean of its agencies'
  percents, so that one agency with many tasks does not outweigh the others.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from statistics import fmean

from dashboard.plans.template import DONE

AT_RISK_DAYS = 14
AT_RISK_PERCENT = 70.0
COMMUNE_KINDS = ("commune", "ward", "special_zone")


@dataclass(frozen=True)
class TaskFacts:
    agency_id: str
    title: str
    category: str
    status: str
    percent: float
    due: date
    start: date | None = None
    owner: str | None = None


def is_done(task: TaskFacts) -> bool:
    return task.status == DONE or task.percent >= 100


def is_overdue(task: TaskFacts, today: date) -> bool:
    return not is_done(task) and task.due < today


def is_at_risk(task: TaskFacts, today: date) -> bool:
    return (
        not is_done(task)
        and not is_overdue(task, today)
        and task.due <= today + timedelta(days=AT_RISK_DAYS)
        and task.percent < AT_RISK_PERCENT
    )


def agency_group(kind: str) -> str:
    return "communes" if kind in COMMUNE_KINDS else "departments"


@dataclass(frozen=True)
class AgencyProgress:
    agency_id: str
    name_vi: str
    name_en: str
    kind: str
    partner: str | None
    has_plan: bool
    percent: float  # 0 without a plan
    tasks: int
    done: int
    overdue: int
    at_risk: int

    @property
    def group(self) -> str:
        return agency_group(self.kind)


def agency_progress(agency: dict, tasks: list[TaskFacts], today: date, has_plan: bool | None = None) -> AgencyProgress:
    """`agency`: id, name_vi, name_en, kind, partner."""
    has_plan = bool(tasks) if has_plan is None else has_plan
    return AgencyProgress(
        agency_id=agency["id"],
        name_vi=agency["name_vi"],
        name_en=agency["name_en"],
        kind=agency["kind"],
        partner=agency.get("partner"),
        has_plan=has_plan,
        percent=round(fmean(t.percent for t in tasks), 1) if tasks else 0.0,
        tasks=len(tasks),
        done=sum(is_done(t) for t in tasks),
        overdue=sum(is_overdue(t, today) for t in tasks),
        at_risk=sum(is_at_risk(t, today) for t in tasks),
    )


def sort_for_display(rows: list[AgencyProgress]) -> list[AgencyProgress]:
    """Departments first then communes; within a group, the furthest behind first."""
    return sorted(rows, key=lambda r: (r.group != "departments", r.percent, -r.overdue, r.name_vi))


def laggards(rows: list[AgencyProgress], limit: int = 10) -> list[AgencyProgress]:
    """The agencies furthest behind: lowest percent, then most overdue tasks."""
    return sorted(rows, key=lambda r: (r.percent, -r.overdue, r.name_vi))[:limit]


@dataclass(frozen=True)
class GroupProgress:
    key: str
    agencies: int
    percent: float
    tasks: int
    overdue: int
    at_risk: int
    behind: int  # agencies with at least one overdue task


def rollup(rows: list[AgencyProgress], key) -> list[GroupProgress]:
    groups: dict[str, list[AgencyProgress]] = {}
    for row in rows:
        groups.setdefault(key(row) or "—", []).append(row)
    result = [
        GroupProgress(
            key=name,
            agencies=len(members),
            percent=round(fmean(m.percent for m in members), 1),
            tasks=sum(m.tasks for m in members),
            overdue=sum(m.overdue for m in members),
            at_risk=sum(m.at_risk for m in members),
            behind=sum(1 for m in members if m.overdue),
        )
        for name, members in groups.items()
    ]
    return sorted(result, key=lambda g: (-g.percent, g.overdue, g.key))


def partner_ranking(rows: list[AgencyProgress]) -> list[GroupProgress]:
    """Best first; the partner enterprise furthest behind is last."""
    return rollup(rows, lambda r: r.partner)


def by_category(tasks: list[TaskFacts], today: date) -> list[dict]:
    groups: dict[str, list[TaskFacts]] = {}
    for task in tasks:
        groups.setdefault(task.category, []).append(task)
    return sorted(
        (
            {
                "category": category,
                "tasks": len(items),
                "percent": round(fmean(t.percent for t in items), 1),
                "done": sum(is_done(t) for t in items),
                "overdue": sum(is_overdue(t, today) for t in items),
            }
            for category, items in groups.items()
        ),
        key=lambda g: g["percent"],
    )


def province_percent(rows: list[AgencyProgress]) -> float:
    return round(fmean(r.percent for r in rows), 1) if rows else 0.0


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_trend(snapshots: dict[date, dict[str, float]], agencies: list[str], weeks: list[date]) -> list[tuple[date, float | None]]:
    """Province-wide percent per week from per-agency snapshots {week: {agency: percent}}.

    Plans only change through imports, so a week without a snapshot for an agency carries
    that agency's last known percent forward; before its first snapshot it counts as 0."""
    last: dict[str, float] = {}
    trend = []
    seen_any = False
    for week in sorted(weeks):
        for agency, percent in snapshots.get(week, {}).items():
            last[agency] = percent
            seen_any = True
        trend.append((week, round(fmean(last.get(a, 0.0) for a in agencies), 1) if seen_any and agencies else None))
    return trend
