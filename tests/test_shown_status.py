"""The status a page shows, as a table: stale results read 'unknown', and a system still up
while one of its endpoints went silent reads 'degraded' (dashboard.domain.status)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dashboard.domain.status import effective_status, shown_system_status

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)


def ago(seconds: float | None):
    return None if seconds is None else NOW - timedelta(seconds=seconds)


@pytest.mark.parametrize("stored, checked_ago_s, interval_s, shown, stale", [
    ("up", 10, 30, "up", False),
    ("down", 10, 30, "down", False),
    ("degraded", 89, 30, "degraded", False),       # within three intervals
    ("up", 91, 30, "unknown", True),               # three intervals without a result
    ("up", 59, 10, "up", False),                   # at least a minute, however short the interval
    ("up", 61, 10, "unknown", True),
    ("down", 3600, 30, "unknown", True),           # an old red is no more trusted than an old green
    ("up", None, 30, "unknown", True),             # never checked
    ("maintenance", 3600, 30, "maintenance", False),
    ("unknown", None, 30, "unknown", False),
])
def test_effective_status(stored, checked_ago_s, interval_s, shown, stale):
    assert effective_status(stored, ago(checked_ago_s), interval_s, NOW) == (shown, stale)


@pytest.mark.parametrize("stored, checked_ago_s, endpoint_stale, shown, stale", [
    ("up", 10, False, "up", False),
    ("up", 10, True, "degraded", False),           # part of it can no longer be vouched for
    ("degraded", 10, True, "degraded", False),
    ("down", 10, True, "down", False),             # already worse: stays down
    ("maintenance", 10, True, "maintenance", False),
    ("up", 600, True, "unknown", True),            # the whole system is silent
    ("up", 600, False, "unknown", True),
])
def test_shown_system_status(stored, checked_ago_s, endpoint_stale, shown, stale):
    assert shown_system_status(stored, ago(checked_ago_s), 30, endpoint_stale, NOW) == (shown, stale)
