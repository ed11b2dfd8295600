"""A bounded local spool for check results while the database is unreachable.

The collector keeps checking through a database outage: results go to a small SQLite file next
to the data (its own file, not the monitored database, so it works when that one is PostgreSQL
and down, or SQLite on a full volume — the spool is capped well below what a volume holds)
and are replayed in order, exactly once, when the database returns.

Policy when full (`max_results`, default 200,000 ≈ 10 minutes of 10,000 endpoints every 30 s,
or almost 7 hours of 500 endpoints every minute): the *oldest* spooled results are dropped to
make room — the latest results matter most for the state shown when the database returns — and
the number dropped is counted and logged once per outage.

Exactly once: rows are deleted from the spool only after the transaction that stored them in the
database committed; the same process never replays a row twice (`replayed_up_to`). Each
collector process has its own file in the spool directory, locked (flock) while it runs. A spool
left by a run that ended is discarded at the next start (with a warning): nothing proves that run
still held the lease when it spooled them, and another collector may have checked the same slots.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import threading
import uuid
from datetime import datetime
from pathlib import Path

from collectors.base import CheckResult, Status

log = logging.getLogger(__name__)

DEFAULT_MAX_RESULTS = 200_000


def to_json(result: CheckResult) -> str:
    return json.dumps({
        "e": result.endpoint_id, "v": str(result.verdict), "r": result.reason, "t": result.checked_at.isoformat(),
        "l": result.latency_ms, "c": result.http_code, "d": result.detail or None, "m": result.missed,
        "k": result.cause, "p": result.params or None,
    }, default=str, ensure_ascii=False)


def from_json(text: str) -> CheckResult:
    data = json.loads(text)
    return CheckResult(data["e"], Status(data["v"]), data["r"], checked_at=datetime.fromisoformat(data["t"]),
                       latency_ms=data["l"], http_code=data["c"], detail=data["d"] or {}, missed=data["m"],
                       cause=data.get("k"), params=data.get("p") or {})  # (a spool written before causes has none)


class Spool:
    """Append-ordered (epoch, result) rows in a SQLite file; one writer thread uses it."""

    def __init__(self, directory: Path | str, max_results: int = DEFAULT_MAX_RESULTS):
        if max_results < 1:
            raise ValueError("the spool must hold at least one result")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        _discard_orphans(directory)
        self.path = directory / f"results-{os.getpid()}-{uuid.uuid4().hex[:8]}.db"
        self._lock_file = self.path.with_suffix(".lock").open("w")
        fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.max_results = max_results
        self.dropped = 0  # results dropped because the spool was full (since the last reset)
        self.replayed_up_to = 0
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS spool (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                           "epoch INTEGER, result TEXT NOT NULL)")
        try:
            self.path.chmod(0o600)
        except OSError:
            pass

    def count(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT count(*) FROM spool").fetchone()[0]

    def __len__(self) -> int:
        return self.count()

    def append(self, items: list[tuple[int | None, CheckResult]]) -> None:
        """Add results at the end; when over the cap, drop the oldest."""
        if not items:
            return
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany("INSERT INTO spool (epoch, result) VALUES (?, ?)",
                                       [(epoch, to_json(result)) for epoch, result in items])
                over = self._conn.execute("SELECT count(*) FROM spool").fetchone()[0] - self.max_results
                if over > 0:
                    self._conn.execute("DELETE FROM spool WHERE seq IN (SELECT seq FROM spool ORDER BY seq LIMIT ?)", (over,))
                    self.dropped += over
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def head(self, limit: int) -> list[tuple[int, int | None, CheckResult]]:
        """The oldest `limit` rows not replayed yet: (seq, epoch, result)."""
        with self._lock:
            rows = self._conn.execute("SELECT seq, epoch, result FROM spool WHERE seq > ? ORDER BY seq LIMIT ?",
                                      (self.replayed_up_to, limit)).fetchall()
        return [(seq, epoch, from_json(text)) for seq, epoch, text in rows]

    def remove_up_to(self, seq: int) -> None:
        """Forget rows up to `seq`: they are stored in the database."""
        self.replayed_up_to = max(self.replayed_up_to, seq)
        with self._lock:
            self._conn.execute("DELETE FROM spool WHERE seq <= ?", (seq,))

    def clear(self) -> int:
        with self._lock:
            count = self._conn.execute("SELECT count(*) FROM spool").fetchone()[0]
            self._conn.execute("DELETE FROM spool")
            last = self._conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'spool'").fetchone()
        self.replayed_up_to = max(self.replayed_up_to, last[0] if last else 0)
        return count

    def close(self, remove: bool = True) -> None:
        with self._lock:
            self._conn.close()
        if remove:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self.path.with_suffix(".lock").unlink(missing_ok=True)
        self._lock_file.close()


def _discard_orphans(directory: Path) -> None:
    """Delete the spools of collector runs that ended (their lock is free)."""
    for lock_path in directory.glob("results-*.lock"):
        with lock_path.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a running collector's spool
            db_path = lock_path.with_suffix(".db")
            left = 0
            if db_path.exists():
                try:
                    with sqlite3.connect(db_path) as conn:
                        left = conn.execute("SELECT count(*) FROM spool").fetchone()[0]
                except sqlite3.Error:
                    left = -1
            if left:
                log.warning("discarding %s results spooled by an earlier collector run (%s): its lease cannot be "
                            "proven, another collector may have checked the same slots",
                            left if left > 0 else "unreadable", db_path.name)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db_path}{suffix}").unlink(missing_ok=True)
            lock_path.unlink(missing_ok=True)
