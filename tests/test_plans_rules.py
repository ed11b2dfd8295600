"""Pure progress and coverage rules."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

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
    assert cov.summarize(pairs, "system_id")["qlvb"] == {
        "integrated": 100.0, "connected": 0.0, "sharing": 0.0, "pairs": 2,
        "required": 2, "declared": 2, "verified": 0, "live_up": 0, "declared_percent": 100.0, "verified_percent": 0.0, "live_up_percent": 0.0}
    assert cov.summarize(pairs, "agency_id")["a"]["sharing"] == 50.0
    assert cov.percent([]) == 0.0


def checked(status="up", age_min=1.0, success_days=0.01, monitored=True):
    return cov.LinkFacts("s.p", "s", "p", "planned", monitored, status,
                         NOW - timedelta(minutes=age_min) if age_min is not None else None,
                         NOW - timedelta(days=success_days) if success_days is not None else None)


@pytest.mark.parametrize("name, links, declared, state, verified, live_up", [
    ("not declared: 'none' whatever the link", [checked()], False, "none", False, False),
    ("declared, up now", [checked()], True, "live", True, True),
    ("declared, down now after a success 2 days ago: an outage", [checked("down", success_days=2)], True, "outage", True, False),
    ("declared, down now, last success 8 days ago", [checked("down", success_days=8)], True, "outage", False, False),
    ("declared, no fresh check, success 3 days ago", [checked("up", age_min=60, success_days=3)], True, "verified", True, False),
    ("declared, never succeeded", [checked("down", success_days=None)], True, "outage", False, False),
    ("declared, never checked", [checked("unknown", age_min=None, success_days=None)], True, "declared", False, False),
    ("declared, unmonitored link: cannot be verified", [checked(monitored=False)], True, "declared", False, False),
    ("declared, success exactly at the window's edge", [checked("up", age_min=60, success_days=7)], True, "verified", True, False),
    ("declared, one of two links down", [checked(), checked("down", success_days=1)], True, "outage", True, False),
    ("declared, one of two links never verified", [checked(), checked(monitored=False)], True, "declared", False, False),
])
def test_pair_states_table(name, links, declared, state, verified, live_up):
    conn = cov.system_connection("s", links, NOW)
    pair = cov.coverage_pairs(["a"], {"s": conn}, {("a", "s")} if declared else set())[0]
    assert (pair.state, pair.verified, pair.live_up, pair.declared) == (state, verified, live_up, declared), name


def test_counts_and_window_setting():
    systems = {"s": cov.system_connection("s", [checked("down", success_days=3)], NOW),
               "t": cov.system_connection("t", [checked()], NOW)}
    pairs = cov.coverage_pairs(["a", "b"], systems, {("a", "s"), ("a", "t"), ("b", "t")})
    assert cov.counts(pairs) == {"required": 4, "declared": 3, "declared_percent": 75.0, "verified": 3, "verified_percent": 75.0,
                                 "live_up": 2, "live_up_percent": 50.0}
    short = {"s": cov.system_connection("s", [checked("down", success_days=3)], NOW, verified_days=2)}
    assert cov.counts(cov.coverage_pairs(["a"], short, {("a", "s")}))["verified"] == 0
    assert cov.counts([]) == {"required": 0, "declared": 0, "declared_percent": 0.0, "verified": 0, "verified_percent": 0.0,
                              "live_up": 0, "live_up_percent": 0.0}
