"""Logging for humans: readable by an operator during an incident, not a flood.

- A traceback at most once per distinct error (logger, exception type, first line of its
  message) per TRACEBACK_EVERY_S; later occurrences keep their one line, without the traceback.
- The same message (logger, level, template) at most REPEAT_BURST times per REPEAT_WINDOW_S; the
  next one let through after the window says how many were left out.
- `IOC_LOG_FORMAT=json`: one JSON object per line (python-json-logger) with time, level, logger,
  message (and exc_info when there is a traceback); `text` (default): one plain line.

Dependencies (the database) report their own state changes in one line each (e.g. the collector:
"database unreachable since …", "database back after 61 s, 412 spooled results replayed")."""
from __future__ import annotations

import logging
import os
import threading
import time

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
TRACEBACK_EVERY_S = 300.0
REPEAT_WINDOW_S = 60.0
REPEAT_BURST = 3
FORMATS = ("text", "json")


class RateLimit(logging.Filter):
    """A handler filter (it sees the records of every logger)."""

    def __init__(self, traceback_every_s: float = TRACEBACK_EVERY_S, repeat_window_s: float = REPEAT_WINDOW_S,
                 burst: int = REPEAT_BURST, clock=time.monotonic):
        super().__init__()
        self.traceback_every_s = traceback_every_s
        self.repeat_window_s = repeat_window_s
        self.burst = burst
        self.clock = clock
        self._tracebacks: dict[tuple, float] = {}
        self._repeats: dict[tuple, list] = {}  # key -> [window start, seen, left out]
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        now = self.clock()
        with self._lock:
            if len(self._repeats) > 10_000 or len(self._tracebacks) > 10_000:
                self._repeats.clear()
                self._tracebacks.clear()
            key = (record.name, record.levelno, str(record.msg))
            entry = self._repeats.get(key)
            if entry is None or now - entry[0] >= self.repeat_window_s:
                left_out = entry[2] if entry else 0
                self._repeats[key] = [now, 1, 0]
                if left_out:
                    record.msg = f"{record.msg} [{left_out} more like this left out in the last {self.repeat_window_s:g} s]"
            else:
                entry[1] += 1
                if entry[1] > self.burst:
                    entry[2] += 1
                    return False
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                lines = str(exc).strip().splitlines()
                first = lines[0][:200] if lines else ""
                error = (record.name, type(exc).__name__, first)
                shown = self._tracebacks.get(error)
                if shown is not None and now - shown < self.traceback_every_s:
                    record.exc_info = None
                    record.exc_text = None
                    note = f"{type(exc).__name__}: {first}".replace("%", "%%") if record.args else f"{type(exc).__name__}: {first}"
                    record.msg = f"{record.msg} [{note}; traceback shown already]"
                else:
                    self._tracebacks[error] = now
        return True


def configure(level: str = "INFO", fmt: str | None = None) -> logging.Handler:
    """Set up the root logger for a process (app.py, wsgi.py). Raises ValueError on an unknown format."""
    fmt = (fmt or os.environ.get("IOC_LOG_FORMAT") or "text").strip().lower()
    if fmt not in FORMATS:
        raise ValueError(f"IOC_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {fmt!r}")
    handler = logging.StreamHandler()
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                           rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RateLimit())
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    return handler
