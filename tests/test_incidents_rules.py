"""Incident workflow rules as tables: state, MTTA / MTTR, month bounds and means, text limits,
the timeline's order."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dashboard.domain import incidents as rules
from dashboard.domain.incidents import IncidentError, IncidentTimes

UTC = timezone.utc
T0 = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
M = timedelta(minutes=1)


@pytest.mark.parametrize("times, expected", [
    (IncidentTimes(T0), "open"),
    (IncidentTimes(T0, acknowledged_at=T0 + M), "acknowledged"),
    (IncidentTimes(T0, ended_at=T0 + M), "resolved"),
    (IncidentTimes(T0, acknowledged_at=T0 + M, ended_at=T0 + 2 * M), "resolved"),
    (IncidentTimes(T0, acknowledged_at=T0 + M, ended_at=T0 + 2 * M, closed_at=T0 + 3 * M), "closed"),
])
def test_state(times, expected):
    assert rules.state(times) == expected


@pytest.mark.parametrize("times, mtta, mttr", [
    (IncidentTimes(T0), None, None),
    (IncidentTimes(T0, acknowledged_at=T0 + 5 * M), 300.0, None),
    (IncidentTimes(T0, ended_at=T0 + 90 * M), None, 5400.0),
    (IncidentTimes(T0, acknowledged_at=T0 + 2 * M, ended_at=T0 + 30 * M), 120.0, 1800.0),
    (IncidentTimes(T0, acknowledged_at=T0 - M), 0.0, None),  # clock skew: never negative
])
def test_mtta_mttr(times, mtta, mttr):
    assert (rules.mtta_s(times), rules.mttr_s(times)) == (mtta, mttr)


@pytest.mark.parametrize("month, start, end", [
    ("2026-11", datetime(2026, 10, 31, 17, tzinfo=UTC), datetime(2026, 11, 30, 17, tzinfo=UTC)),
    ("2026-12", datetime(2026, 11, 30, 17, tzinfo=UTC), datetime(2026, 12, 31, 17, tzinfo=UTC)),
    ("2027-01", datetime(2026, 12, 31, 17, tzinfo=UTC), datetime(2027, 1, 31, 17, tzinfo=UTC)),
])
def test_month_bounds_are_vietnam_months(month, start, end):
    assert rules.month_bounds(month) == (start, end)


@pytest.mark.parametrize("bad", ["", "2026-13", "2026-00", "2026-1", "11-2026", "abcd-ef", None, "1999-05"])
def test_bad_month_refused(bad):
    with pytest.raises(IncidentError, match="month"):
        rules.month_bounds(bad)


def test_month_stats_means_over_incidents_started_in_the_month():
    nov = datetime(2026, 11, 1, tzinfo=UTC)
    incidents = [
        IncidentTimes(nov + timedelta(days=1), acknowledged_at=nov + timedelta(days=1, minutes=4),
                      ended_at=nov + timedelta(days=1, minutes=20)),
        IncidentTimes(nov + timedelta(days=2), acknowledged_at=nov + timedelta(days=2, minutes=2),
                      ended_at=nov + timedelta(days=2, minutes=40)),
        IncidentTimes(nov + timedelta(days=3)),  # still open: counted, in neither mean
        # 31 Oct 17:30 UTC is 1 Nov 00:30 in Vietnam: November
        IncidentTimes(datetime(2026, 10, 31, 17, 30, tzinfo=UTC), ended_at=datetime(2026, 10, 31, 18, 30, tzinfo=UTC)),
        # 31 Oct 16:30 UTC is 31 Oct 23:30 in Vietnam: October, left out
        IncidentTimes(datetime(2026, 10, 31, 16, 30, tzinfo=UTC), ended_at=datetime(2026, 10, 31, 20, tzinfo=UTC)),
    ]
    stats = rules.month_stats(incidents, "2026-11")
    assert stats.as_dict() == {"incidents": 4, "acknowledged": 2, "resolved": 3,
                               "mtta_s": 180.0, "mttr_s": round((1200 + 2400 + 3600) / 3, 1)}
    assert rules.month_stats(incidents, "2026-09").as_dict() == {
        "incidents": 0, "acknowledged": 0, "resolved": 0, "mtta_s": None, "mttr_s": None}


@pytest.mark.parametrize("text, limit, expected", [
    ("  đang xử lý  ", 4000, "đang xử lý"),
    ("x" * 4000, 4000, "x" * 4000),
])
def test_clean_text_accepts(text, limit, expected):
    assert rules.clean_text(text, what="comment", limit=limit) == expected


@pytest.mark.parametrize("text, message", [
    ("", "write something"),
    ("   \n ", "write something"),
    ("x" * 4001, "4,001 characters, the limit is 4,000"),
    ("x" * 100_000, "100,000 characters"),
    (123, "expected text"),
    (None, "expected text"),
])
def test_clean_text_refuses(text, message):
    with pytest.raises(IncidentError, match=message):
        rules.clean_text(text, what="comment", limit=4000)


@pytest.mark.parametrize("state, comment_ok, close_ok", [
    ("open", True, False), ("acknowledged", True, False), ("resolved", True, True), ("closed", False, False),
])
def test_what_each_state_allows(state, comment_ok, close_ok):
    for check, ok in ((rules.can_comment, comment_ok), (rules.can_close, close_ok)):
        if ok:
            check(state)
        else:
            with pytest.raises(IncidentError):
                check(state)


def test_timeline_orders_everything_by_time():
    times = IncidentTimes(T0, acknowledged_at=T0 + 2 * M, ended_at=T0 + 10 * M, closed_at=T0 + 20 * M)
    items = rules.timeline(
        times, acknowledged_by="op", ack_comment="restarting", closed_by="op",
        state_changes=[{"at": T0, "old_status": "up", "new_status": "down", "reason": "timeout"}],
        comments=[{"at": T0 + 5 * M, "author": "op", "text": "disk full"}])
    assert [(i["at"] - T0, i["kind"]) for i in items] == [
        (0 * M, "opened"), (0 * M, "status"), (2 * M, "acknowledged"), (5 * M, "comment"),
        (10 * M, "resolved"), (20 * M, "closed")]
