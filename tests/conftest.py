"""Shared fixtures: databases (SQLite and a real PostgreSQL), the demo network, the real app."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from dashboard.db import Database

PROJECT_DIR = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:  # noqa: BLE001 - keep polling until the deadline
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message} (last: {last!r})")


# ---------------------------------------------------------------------------- databases


@pytest.fixture
def sqlite_db(tmp_path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'test.db'}")
    yield db
    db.dispose()


def _pg_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A real PostgreSQL: IOC_TEST_DATABASE_URL if given, else a throwaway cluster started here.
    In CI a missing server fails the run: PostgreSQL tests are never skipped there."""
    given = os.environ.get("IOC_TEST_DATABASE_URL")
    if given:
        yield given
        return
    bindir = _pg_bindir()
    if bindir is None:
        message = "PostgreSQL is not installed (apt-get install postgresql)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    # Not under pytest's tmp dir: its parents are private to root, and the server runs as postgres.
    base = Path(tempfile.mkdtemp(prefix="ioc-test-pg-"))
    datadir, port = base / "data", free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(base, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    def run(*cmd):
        subprocess.run(as_user + list(cmd), check=True, capture_output=True, text=True)
    run(str(bindir / "initdb"), "-D", str(datadir), "-U", "ioc", "--auth=trust", "-E", "UTF8", "--locale=C")
    run(str(bindir / "pg_ctl"), "-D", str(datadir), "-w", "-l", str(base / "log"),
        "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "ioc", "ioc_test")
        yield f"postgresql+psycopg://ioc@127.0.0.1:{port}/ioc_test"
    finally:
        subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_db(postgres_url) -> Database:
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    db = Database(postgres_url)
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db(request) -> Database:
    """Run a DB-layer test on SQLite and on a real PostgreSQL."""
    return request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "postgres_db")


# ---------------------------------------------------------------------------- demo and app


@pytest.fixture
def demo_network():
    from dashboard.demo import DemoNetwork

    network = DemoNetwork(seed=7).start()
    yield network
    network.stop()


class RunningApp:
    def __init__(self, url: str, process: subprocess.Popen, log_path: Path):
        self.url = url
        self.process = process
        self.log_path = log_path

    def get(self, path: str, **kwargs):
        return requests.get(self.url + path, timeout=10, **kwargs)

    def post(self, path: str, **kwargs):
        return requests.post(self.url + path, timeout=10, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_app(tmp_path: Path, *args: str, env: dict | None = None, wait_path: str = "/api/health") -> RunningApp:
    """Start `python app.py` for real, as a user would, on free ports in a temp data dir."""
    port = free_port()
    log_path = tmp_path / f"app-{port}.log"
    process_env = {**os.environ, "IOC_DEMO_INTERVAL": "2s", "IOC_DEMO_TIMEOUT": "1.5s", **(env or {})}
    process = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), "--data-dir", str(tmp_path / f"data-{port}"), *args],
        cwd=PROJECT_DIR, env=process_env, stdout=log_path.open("w"), stderr=subprocess.STDOUT,
    )
    app = RunningApp(f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_for(lambda: process.poll() is None and app.get(wait_path).status_code < 500, 60, message=f"app on {port}")
    except AssertionError:
        process.kill()
        raise AssertionError(f"app did not start:\n{app.log()}") from None
    return app


def stop_app(app: RunningApp) -> None:
    app.process.terminate()
    try:
        app.process.wait(10)
    except subprocess.TimeoutExpired:
        app.process.kill()


@pytest.fixture
def running_app(tmp_path):
    app = start_app(tmp_path)
    yield app
    stop_app(app)
