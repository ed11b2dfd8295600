"""Engine, sessions and schema migrations (Alembic, applied at start)."""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from collectors.timeutil import utcnow

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 10_000
PG_CONNECT_TIMEOUT_S = 5
HEALTH_PROBE_KEY = "web.health_probe"  # runtime_state row that /api/health writes to prove writes work
PROBE_CACHE_S = 2.0  # many screens may ask for health: the database is probed at most this often


@dataclass(frozen=True)
class Probe:
    """What /api/health learns of the database itself."""
    read_ok: bool
    write_ok: bool
    error: str | None = None
    disk_free_bytes: int | None = None  # of the data directory, SQLite only
    disk_total_bytes: int | None = None


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # A bounded connect: with the server's host unreachable (packets dropped) a connection
    # attempt would otherwise hang for minutes, and with it the collector's writer and lease job.
    connect_args = {"connect_timeout": PG_CONNECT_TIMEOUT_S} if url.startswith("postgresql") else {}
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args=connect_args)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0] if lines else ''}"[:300]


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the web pages read while the collector writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Database:
    """One engine and its session factory, shared by a process."""

    def __init__(self, url: str, migrate: bool = True):
        self.url = url
        self.engine = make_engine(url)
        if migrate:
            upgrade(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._probe: tuple[float, Probe] | None = None
        self._probe_lock = threading.Lock()
        self._trouble_since: datetime | None = None

    def trouble_since(self, ok: bool, now: datetime | None = None) -> datetime | None:
        """When this process first saw the database not fully working (unreachable or refusing
        writes) in the trouble still going on; None once `ok` again. Fed by /api/health's probe."""
        with self._probe_lock:
            if ok:
                self._trouble_since = None
            elif self._trouble_since is None:
                self._trouble_since = now or utcnow()
            return self._trouble_since

    @property
    def sqlite_path(self) -> Path | None:
        if self.engine.url.get_backend_name() != "sqlite" or not self.engine.url.database:
            return None
        return Path(self.engine.url.database)

    def probe(self) -> Probe:
        """Read (SELECT 1), write (one small runtime_state row, in its own transaction) and, on
        SQLite, the free space of the data directory. Cached for PROBE_CACHE_S."""
        with self._probe_lock:
            if self._probe is not None and time.monotonic() - self._probe[0] < PROBE_CACHE_S:
                return self._probe[1]
            result = self._run_probe()
            self._probe = (time.monotonic(), result)
            return result

    def _run_probe(self) -> Probe:
        from dashboard.store.models import RuntimeState

        free = total = None
        path = self.sqlite_path
        if path is not None:
            try:
                usage = shutil.disk_usage(path.parent)
                free, total = usage.free, usage.total
            except OSError:
                pass
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            return Probe(False, False, _first_line(exc), free, total)
        try:
            with self.session() as session:
                session.merge(RuntimeState(key=HEALTH_PROBE_KEY, value=f"{socket.gethostname()}:{os.getpid()}"[:255],
                                           updated_at=utcnow()))
        except SQLAlchemyError as exc:
            return Probe(True, False, _first_line(exc), free, total)
        return Probe(True, True, None, free, total)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
