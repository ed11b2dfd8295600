"""Shared fixtures: databases (SQLite and a real PostgreSQL), the demo network, the real app."""
from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from dashboard.store.database import Database

PROJECT_DIR = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def free_port() -> int:
    """A free port below Linux's ephemeral range (32768-60999): a port the OS hands out for
    port 0 could be given, between this check and the app's bind, to one of the servers the app
    starts first (the demo's systems, its SIEM), and the app would then fail to start."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


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
    from dashboard.demo.network import DemoNetwork

    network = DemoNetwork(seed=7).start()
    yield network
    network.stop()


class RunningApp:
    """A running app. get/post are signed in as an admin by default (access control);
    use `anonymous` for a client without a session, or `login(name, password)` for another one."""

    def __init__(self, url: str, process: subprocess.Popen, log_path: Path,
                 admin: tuple[str, str] | None = None):
        self.url = url
        self.process = process
        self.log_path = log_path
        self.admin = admin  # (user name, password) of an admin account, or None
        self._client: requests.Session | None = None

    @property
    def client(self) -> requests.Session:
        if self._client is None:
            self._client = login(self.url, *self.admin) if self.admin else requests.Session()
        return self._client

    @property
    def anonymous(self) -> requests.Session:
        return requests.Session()

    def login(self, username: str, password: str) -> requests.Session:
        return login(self.url, username, password)

    def get(self, path: str, **kwargs):
        return self.client.get(self.url + path, timeout=10, **kwargs)

    def post(self, path: str, **kwargs):
        return self.client.post(self.url + path, timeout=10, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


# ---------------------------------------------------------------------------- signing in

TEST_ADMIN = "test-admin"


def login(base_url: str, username: str, password: str) -> requests.Session:
    """A requests session signed in through the real login form."""
    import re

    client = requests.Session()
    form = client.get(base_url + "/login", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf, f"no login form at {base_url}/login: {form.status_code}"
    answer = client.post(base_url + "/login", timeout=10, allow_redirects=False,
                         data={"csrf": csrf.group(1), "username": username, "password": password, "next": "/"})
    assert answer.status_code == 303, f"login as {username} failed: {answer.status_code}"
    return client


# ---------------------------------------------------------------------------- the browser

# Playwright drives Debian's Chromium (never `playwright install`: the machines have no internet).
CHROMIUM = os.environ.get("IOC_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-default-apps", "--disable-sync",
                 "--mute-audio"]


class Browser:
    """Headless Chromium for one test. `open(app, path)` gives a page signed in as the app's admin
    (or as `client`'s user, or anonymous), at a fixed viewport. Every console error, uncaught page
    error and failed request of every page is recorded: tests assert `errors() == []`."""

    def __init__(self, chromium):
        self._chromium = chromium
        self._contexts = []
        self._errors: list[str] = []

    def open(self, app: RunningApp | None = None, path: str | None = "/", *, viewport: tuple[int, int] = (1600, 1000),
             anonymous: bool = False, client: requests.Session | None = None):
        """A new page in a fresh context (its own cookies), at app.url + path once it has loaded
        (path None: a blank page, e.g. to route requests before the first visit)."""
        context = self._chromium.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                              locale="vi-VN", accept_downloads=True)
        self._contexts.append(context)
        context.on("console", self._on_console)
        context.on("weberror", lambda error: self._errors.append(f"page error: {error.error}"))
        context.on("requestfailed", self._on_request_failed)
        context.on("response", self._on_response)
        if app is not None and not anonymous:
            client = client or app.client
            context.add_cookies([{"name": c.name, "value": c.value, "url": app.url + "/", "httpOnly": True}
                                 for c in client.cookies])
        page = context.new_page()
        if app is not None and path is not None:
            page.goto(app.url + path)
        return page

    def errors(self) -> list[str]:
        """What dash.testing's get_logs() caught, and more: console errors (CSP violations, failed
        loads, React errors), uncaught exceptions, failed requests and HTTP error answers."""
        return list(self._errors)

    def _on_console(self, message) -> None:
        if message.type == "error":
            self._errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def _on_request_failed(self, request) -> None:
        # A request the page itself abandoned (a navigation or a newer Dash callback replaced it)
        # is not a failure of the app.
        if request.failure != "net::ERR_ABORTED":
            self._errors.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def _on_response(self, response) -> None:
        if response.status >= 400:
            self._errors.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def close(self) -> None:
        for context in self._contexts:
            context.close()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        session = Browser(chromium)
        try:
            yield session
        finally:
            session.close()
            chromium.close()


def start_app(tmp_path: Path, *args: str, env: dict | None = None, wait_path: str = "/api/health") -> RunningApp:
    """Start `python app.py` for real, as a user would, on free ports in a temp data dir.
    The app has an admin account (the demo's, or one made with `app.py user create` when the demo
    is off) and the returned app's get/post are signed in with it."""
    import secrets

    port = free_port()
    log_path = tmp_path / f"app-{port}.log"
    password = secrets.token_urlsafe(16)
    process_env = {**os.environ, "IOC_DEMO_INTERVAL": "2s", "IOC_DEMO_TIMEOUT": "1.5s",
                   "IOC_SECRET_KEY": secrets.token_urlsafe(48), "IOC_DEMO_ADMIN_PASSWORD": password, **(env or {})}
    demo_off = "--catalog" in args or "--no-demo" in args or bool(process_env.get("IOC_CATALOG"))
    admin = ("demo-admin", process_env["IOC_DEMO_ADMIN_PASSWORD"])
    if demo_off:
        db_args = [a for i, a in enumerate(args) if a.startswith("--database-url") or (i and args[i - 1] == "--database-url")]
        subprocess.run([sys.executable, "app.py", "user", "create", TEST_ADMIN, "--role", "admin",
                        "--data-dir", str(tmp_path / f"data-{port}"), *db_args],
                       cwd=PROJECT_DIR, env=process_env, input=password + "\n", text=True, check=True, capture_output=True)
        admin = (TEST_ADMIN, password)
    process = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), "--data-dir", str(tmp_path / f"data-{port}"), *args],
        cwd=PROJECT_DIR, env=process_env, stdout=log_path.open("w"), stderr=subprocess.STDOUT,
    )
    app = RunningApp(f"http://127.0.0.1:{port}", process, log_path, admin=admin)
    try:
        wait_for(lambda: process.poll() is None and requests.get(app.url + wait_path, timeout=10).status_code < 500,
                 60, message=f"app on {port}")
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
