"""The catalog file, when it is authoritative (`--catalog FILE`): re-read when it changes (its
modification time and size, polled) or when asked (SIGHUP), validated whole by the loader, and
stored as a new revision when it differs. A bad edit never stops the service: the last good
revision stays in force and `on_problem` is told (the runtime raises a visible alert), until a
good file clears it (`on_good`)."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from dashboard.catalog import revisions
from dashboard.catalog.loader import CatalogError, load_catalog

log = logging.getLogger(__name__)

POLL_S = 2.0


class CatalogFileWatcher:
    def __init__(self, path: Path, env: dict[str, str], db, *, poll_s: float = POLL_S,
                 on_problem: Callable[[object, list[str], int | None], None] | None = None,
                 on_good: Callable[[object, int | None], None] | None = None):
        self.path = Path(path)
        self.env = env
        self.db = db
        self.poll_s = poll_s
        self.on_problem = on_problem
        self.on_good = on_good
        self._seen = self._stamp()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ioc-catalog-watch", daemon=True)
        self.failing = False
        self.reloads = 0

    def start(self) -> CatalogFileWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def reload_now(self) -> None:
        """Re-read at once, changed or not (SIGHUP). Safe from a signal handler: only sets an event."""
        self._seen = None
        self._wake.set()

    def _stamp(self):
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            stamp = self._stamp()
            if stamp == self._seen and stamp is not None:
                continue
            self._seen = stamp
            try:
                self.reload()
            except Exception:  # noqa: BLE001 - the watcher must outlive a database hiccup; next change retries
                log.exception("catalog file %s: could not be applied", self.path)
                self._seen = None

    def reload(self) -> int | None:
        """Read, validate and store the file; the new revision's id, or None (no change, or bad)."""
        self.reloads += 1
        try:
            catalog = load_catalog(self.path, self.env)
        except CatalogError as exc:
            with self.db.session() as session:
                kept = revisions.latest_id(session)
                log.error("catalog file %s is invalid; revision %s stays in force:\n  %s", self.path, kept,
                          "\n  ".join(exc.problems))
                if self.on_problem is not None:
                    self.on_problem(session, exc.problems, kept)
            self.failing = True
            return None
        with self.db.session() as session:
            row = revisions.save(session, None, catalog=catalog, action="file", author=f"file:{self.path.name}",
                                 from_file=True)
            if row is not None:
                log.info("catalog file %s re-read: revision %s (%s)", self.path, row.id, row.summary)
            if self.failing and self.on_good is not None:
                self.on_good(session, row.id if row is not None else revisions.latest_id(session))
        self.failing = False
        return row.id if row is not None else None
