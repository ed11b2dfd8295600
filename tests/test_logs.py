"""Logs for humans: a traceback once per distinct error per few minutes, repeated lines counted
instead of flooding, JSON lines on request, a bad format refused."""
from __future__ import annotations

import io
import json
import logging

import pytest

from dashboard.logs import RateLimit, configure


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def emit(handler_filter, clock, at, name, msg, *args, exc=None):
    clock.now = at
    record = logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args,
                               (type(exc), exc, None) if exc is not None else None)
    return record if handler_filter.filter(record) else None


def test_a_traceback_once_per_distinct_error_per_window():
    clock = Clock()
    limit = RateLimit(traceback_every_s=300, repeat_window_s=60, burst=100, clock=clock)
    refused = ConnectionRefusedError("connection refused\nDETAIL: more")
    first = emit(limit, clock, 0, "web", "request failed: %s", "/wall", exc=refused)
    again = emit(limit, clock, 10, "web", "request failed: %s", "/wall", exc=refused)
    other = emit(limit, clock, 20, "web", "request failed: %s", "/wall", exc=TimeoutError("timed out"))
    later = emit(limit, clock, 400, "web", "request failed: %s", "/wall", exc=refused)
    assert first.exc_info is not None and other.exc_info is not None and later.exc_info is not None
    assert again.exc_info is None
    assert again.getMessage() == "request failed: /wall [ConnectionRefusedError: connection refused; traceback shown already]"


@pytest.mark.parametrize("times, let_through", [
    ([0, 1, 2], [True, True, True]),
    ([0, 1, 2, 3, 4], [True, True, True, False, False]),
    ([0, 1, 2, 3, 61], [True, True, True, False, True]),
])
def test_repeats_are_limited_per_window(times, let_through):
    clock = Clock()
    limit = RateLimit(repeat_window_s=60, burst=3, clock=clock)
    assert [emit(limit, clock, t, "wall", "database unreachable: %s", "x") is not None for t in times] == let_through


def test_the_line_after_the_window_counts_what_was_left_out():
    clock = Clock()
    limit = RateLimit(repeat_window_s=60, burst=1, clock=clock)
    for t in range(0, 50, 10):
        emit(limit, clock, t, "wall", "database unreachable: %s", "x")
    record = emit(limit, clock, 70, "wall", "database unreachable: %s", "x")
    assert record.getMessage() == "database unreachable: x [4 more like this left out in the last 60 s]"
    assert emit(limit, clock, 71, "wall", "something else") is not None  # another message is its own


def test_json_lines_and_a_bad_format(monkeypatch):
    stream = io.StringIO()
    handler = configure("INFO", "json")
    handler.setStream(stream)
    try:
        logging.getLogger("dashboard.test").warning("database back after %d s", 61)
        try:
            raise OSError("disk full")
        except OSError:
            logging.getLogger("dashboard.test").exception("write failed")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["message"] == "database back after 61 s" and lines[0]["level"] == "WARNING"
    assert lines[0]["logger"] == "dashboard.test" and "time" in lines[0]
    assert lines[1]["message"] == "write failed" and "OSError: disk full" in lines[1]["exc_info"]
    with pytest.raises(ValueError, match="IOC_LOG_FORMAT"):
        configure("INFO", "xml")
