"""One running instance per data directory and database.

A second `python app.py` on the same data would otherwise migrate, reload the catalog (pointing
endpoints at its own demo ports), reset the demo admin's password and only then fail to bind its
port. The lock is taken before anything is written:

- the data directory: an advisory `flock` on `<data dir>/ioc.lock` (the holder's PID inside, for
  the message); the kernel drops it when the process dies, so a crash leaves no stale lock;
- PostgreSQL: a session-level advisory lock on a connection kept open for the process's life.

The one-process mode (`all`) holds the lock exclusively; `serve` and `collect` (production, where
web and collector are separate processes, and collectors may stand by for each other) share it,
so they coexist with each other but not with an `all` instance.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_NAME = "ioc.lock"
# pg_advisory_lock key: "IOC" + "QNG" (any constant the app alone uses)
PG_LOCK_KEY = 0x494F43514E47


class AlreadyRunning(RuntimeError):
    pass


class InstanceLock:
    def __init__(self, data_dir: Path, database_url: str | None, exclusive: bool):
        self.data_dir = Path(data_dir)
        self.database_url = database_url
        self.exclusive = exclusive
        self._file = None
        self._pg = None

    def acquire(self) -> InstanceLock:
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.data_dir / LOCK_NAME
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the process's life
        try:
            fcntl.flock(handle, (fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise AlreadyRunning(
                f"another IOC instance (PID {holder}) is using the data directory {self.data_dir}; "
                "stop it first, or give this one its own --data-dir / --database-url. Nothing was changed.") from None
        if self.exclusive:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
        self._file = handle
        try:
            if self.database_url and self.database_url.startswith("postgresql"):
                self._lock_postgres()
        except BaseException:
            self.release()
            raise
        return self

    def _lock_postgres(self) -> None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        engine = create_engine(self.database_url, poolclass=NullPool)
        connection = engine.connect()
        function = "pg_try_advisory_lock" if self.exclusive else "pg_try_advisory_lock_shared"
        got = connection.execute(text(f"SELECT {function}(:key)"), {"key": PG_LOCK_KEY}).scalar()
        connection.commit()  # the lock is per session, not per transaction: it stays
        if not got:
            connection.close()
            engine.dispose()
            raise AlreadyRunning("another IOC instance is running on this database "
                                 f"({engine.url.render_as_string(hide_password=True)}); stop it first. "
                                 "Nothing was changed.")
        self._pg = (engine, connection)

    def release(self) -> None:
        if self._pg is not None:
            engine, connection = self._pg
            try:
                connection.close()
            finally:
                engine.dispose()
            self._pg = None
        if self._file is not None:
            try:
                fcntl.flock(self._file, fcntl.LOCK_UN)
            finally:
                self._file.close()
            self._file = None


def restrict_data_dir(data_dir: Path) -> None:
    """The data directory 0700 and the SQLite files in it 0600: check history, audit entries and
    account hashes are for this service's user alone (an existing install is tightened too)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return
    os.chmod(data_dir, 0o700)
    for path in data_dir.iterdir():
        if path.is_file() and (path.name.startswith("ioc.db") or path.name == LOCK_NAME):
            os.chmod(path, 0o600)
