"""Pure progress and coverage rules."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from dashboard.plans import coverage as cov
from dashboard.plans import progress as prog

TODAY = date(2026, 11, 25)


def task(agency="a", percent=50.0, due=TODAY, status="dang_thuc_hien", category="tich_hop"):
    return prog.TaskFacts(agency, f"t{percent}{due}", category, status, percent, due)


def agency(id_, kind="department", partner="VNPT"):
    return {"id": id_, "name_vi": id_, "name_en": id_, "kind": kind, "partner": partner}


def test_overdue_and_at_risk_boundaries():
    assert prog.is_overdue(task(due=TODAY - timedelta(days=1)), TODAY)
    assert not prog.is_overdue(task(due=TODAY), TODAY)  # due today is not late yet
    assert not prog.is_overdue(task(due=TODAY - timedelta(days=9), percent=100, status="hoan_thanh"), TODAY)
    edge = TODAY + timedelta(days=prog.AT_RISK_DAYS)
    assert prog.is_at_risk(task(due=edge, percent=prog.AT_RISK_PERCENT - 1), TODAY)
    assert not prog.is_at_risk(task(due=edge, percent=prog.AT_RISK_PERCENT), TODAY)  # close enough to done
    assert not prog.is_at_risk(task(due=edge + timedelta(days=1), percent=0), TODAY)  # not due soon
    assert not prog.is_at_risk(task(due=TODAY - timedelta(days=1), percent=0), TODAY)  # overdue, not "at risk"


def test_agency_progress_and_laggards_and_display_order():
    rows = [
        prog.agency_progress(agency("d1"), [task("d1", 100, status="hoan_thanh"), task("d1", 20, due=TODAY - timedelta(days=3))], TODAY),
        prog.agency_progress(agency("d2"), [task("d2", 90)], TODAY),
        prog.agency_progress(agency("c1", kind="commune", partner="FPT"), [task("c1", 10, due=TODAY + timedelta(days=3))], TODAY),
        prog.agency_progress(agency("c2", kind="ward", partner="FPT"), [], TODAY),
    ]
    d1 = rows[0]
    assert (d1.percent, d1.tasks, d1.done, d1.overdue, d1.at_risk, d1.group) == (60.0, 2, 1, 1, 0, "departments")
    assert rows[2].at_risk == 1 and rows[2].group == "communes"
    assert not rows[3].has_plan and rows[3].percent == 0.0
    assert [r.agency_id for r in prog.laggards(rows, 2)] == ["c2", "c1"]
    assert [r.agency_id for r in prog.sort_for_display(rows)] == ["d1", "d2", "c2", "c1"]


def test_partner_ranking_weighs_agencies_equally():
    rows = [
        prog.agency_progress(agency("a", partner="VNPT"), [task("a", 100, status="hoan_thanh")] * 9 + [task("a", 0)], TODAY),  # 90
        prog.agency_progress(agency("b", partner="VNPT"), [task("b", 10)], TODAY),  # 10
        prog.agency_progress(agency("c", partner="FPT"), [task("c", 60, due=TODAY - timedelta(days=1))], TODAY),
    ]
    ranking = prog.partner_ranking(rows)
    assert [(g.key, g.percent, g.overdue, g.behind) for g in ranking] == [("FPT", 60.0, 1, 1), ("VNPT", 50.0, 0, 0)]


def test_by_category():
    result = prog.by_category([task(category="ra_soat", percent=100, status="hoan_thanh"), task(category="tich_hop", percent=20), task(category="tich_hop", percent=40)], TODAY)
    assert result == [
        {"category": "tich_hop", "tasks": 2, "percent": 30.0, "done": 0, "overdue": 0},
        {"category": "ra_soat", "tasks": 1, "percent": 100.0, "done": 1, "overdue": 0},
    ]


def test_weekly_trend_carries_values_forward():
    w = [date(2026, 11, 2) + timedelta(weeks=i) for i in range(4)]
    snapshots = {w[1]: {"a": 20.0, "b": 40.0}, w[3]: {"a": 60.0}}
    assert prog.weekly_trend(snapshots, ["a", "b"], w) == [(w[0], None), (w[1], 30.0), (w[2], 30.0), (w[3], 50.0)]
    assert prog.week_start(date(2026, 11, 29)) == date(2026, 11, 23)  # Sunday -> its Monday


NOW = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)


def link(declared="connected", monitored=True, status="up", age_min=1.0, link_id="s.p"):
    return cov.LinkFacts(link_id, "s", "p", declared, monitored, status, NOW - timedelta(minutes=age_min) if age_min is not None else None)


def test_link_state_live_where_it_exists_declared_otherwise():
    assert cov.link_state(link(status="down"), NOW) == cov.LinkState("s.p", "p", False, "live", "down")
    assert cov.link_state(link(status="degraded"), NOW).connected
    assert cov.link_state(link(monitored=False, status="down"), NOW) == cov.LinkState("s.p", "p", True, "declared", "connected")
    # never checked, unknown, or a stale check: fall back to what is declared
    assert cov.link_state(link(declared="in_progress", age_min=None), NOW).source == "declared"
    assert cov.link_state(link(status="unknown"), NOW).source == "declared"
    stale = cov.link_state(link(declared="planned", status="up", age_min=60), NOW)
    assert (stale.connected, stale.source, stale.detail) == (False, "declared", "planned")


def test_system_connection_needs_every_link():
    both = cov.system_connection("s", [link(), link(monitored=False, declared="planned", link_id="s.q")], NOW)
    assert (both.connected, both.source) == (False, "mixed")
    assert not cov.system_connection("s", [], NOW).connected


def test_coverage_pairs_and_percentages():
    systems = {
        "lgsp": cov.SystemConnection("lgsp", True, "live", ()),
        "qlvb": cov.SystemConnection("qlvb", False, "declared", ()),
    }
    pairs = cov.coverage_pairs(["a", "b"], systems, {("a", "lgsp"), ("a", "qlvb"), ("b", "qlvb")})
    assert len(pairs) == 4
    assert cov.percent(pairs) == 25.0  # only a/lgsp is integrated AND connected
    assert cov.percent(pairs, "integrated") == 75.0
    assert cov.percent(pairs, "connected") == 50.0
    assert cov.summarize(pairs, "system_id")["qlvb"] == {"integrated": 100.0, "connected": 0.0, "sharing": 0.0, "pairs": 2}
    assert cov.summarize(pairs, "agency_id")["a"]["sharing"] == 50.0
    assert cov.percent([]) == 0.0
