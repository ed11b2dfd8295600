"""The agent's local buffer: every result is written here first and deleted only once the
server acknowledged it (stored, already stored, or refused for good), so a server or network
outage loses nothing up to the cap, and results go out in the order they were made.

Policy when full (`max_results`, default 200,000 — with 100 endpoints every 30 s, over 16 hours):
the oldest results are dropped to make room (the latest matter most for the state shown when the
server is back), counted and logged once per outage. The file survives a restart of the agent:
what was not acknowledged is sent after the restart. One agent per buffer file (flock).

The last assignment is kept in the same file, so an agent restarted while the server is
unreachable keeps checking what it was last given."""
from __future__ import annotations

import fcntl
import json
import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_MAX_RESULTS = 200_000


class BufferInUse(Exception):
    """Another agent runs on this data directory."""


class ResultBuffer:
    def __init__(self, directory: Path | str, max_results: int = DEFAULT_MAX_RESULTS):
        if max_results < 1:
            raise ValueError("the buffer must hold at least one result")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = directory / "agent-buffer.db"
        self._lock_file = (directory / "agent.lock").open("w")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.close()
            raise BufferInUse(f"another agent is running on {directory}") from None
        self.max_results = max_results
        self.dropped = 0  # dropped because the buffer was full, since the last reset
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS results (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                           "uid TEXT NOT NULL UNIQUE, body TEXT NOT NULL)")
        self._conn.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        try:
            self.path.chmod(0o600)
        except OSError:
            pass

    def __len__(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT count(*) FROM results").fetchone()[0]

    def append(self, results: list[dict]) -> int:
        """Add results (each with its "id") at the end, in one transaction; drop the oldest when
        over the cap. Returns how many were dropped."""
        if not results:
            return 0
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany("INSERT OR IGNORE INTO results (uid, body) VALUES (?, ?)",
                                       [(r["id"], json.dumps(r, ensure_ascii=False)) for r in results])
                over = self._conn.execute("SELECT count(*) FROM results").fetchone()[0] - self.max_results
                if over > 0:
                    self._conn.execute("DELETE FROM results WHERE seq IN (SELECT seq FROM results ORDER BY seq LIMIT ?)",
                                       (over,))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        if over > 0:
            if not self.dropped:
                log.error("agent buffer full (%d results): dropping the oldest results", self.max_results)
            self.dropped += over
            return over
        return 0

    def head(self, limit: int) -> list[dict]:
        """The oldest `limit` results, in the order they were buffered."""
        with self._lock:
            rows = self._conn.execute("SELECT body FROM results ORDER BY seq LIMIT ?", (limit,)).fetchall()
        return [json.loads(body) for (body,) in rows]

    def remove(self, uids: list[str]) -> None:
        """Forget these results: the server has them (or refused them for good)."""
        if not uids:
            return
        with self._lock:
            self._conn.execute("BEGIN")
            self._conn.executemany("DELETE FROM results WHERE uid = ?", [(uid,) for uid in uids])
            self._conn.execute("COMMIT")

    def save(self, key: str, value) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def load(self, key: str):
        with self._lock:
            row = self._conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def close(self) -> None:
        with self._lock:
            self._conn.close()
        self._lock_file.close()
