"""The production recipe of docs/deployment.md, run for real: PostgreSQL, one collector process
(`python app.py collect`) and gunicorn with two web workers serving wsgi:app.

Shows that each endpoint is checked once per interval (no scheduler in the web workers) and
that both workers serve pages, with sessions valid on either."""
from __future__ import annotations

import collections
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from dashboard.store.models import CheckResult, Endpoint
from tests.conftest import PROJECT_DIR, free_port, login, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

INTERVAL_S = 2
CATALOG = """
version: 1
agencies:
  - {id: skhcn, name_vi: Sở Khoa học và Công nghệ, name_en: Department of Science and Technology, kind: department}
systems:
  - id: alpha
    name_vi: Hệ thống A
    name_en: System A
    owner: skhcn
    endpoints:
      - {id: health, url: "${TARGET}/a", interval: 2s, timeout: 1s}
  - id: beta
    name_vi: Hệ thống B
    name_en: System B
    owner: skhcn
    endpoints:
      - {id: health, url: "${TARGET}/b", interval: 2s, timeout: 1s}
"""


@pytest.fixture
def target():
    hits: collections.Counter = collections.Counter()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            hits[self.path] += 1
            body = json.dumps({"status": "UP"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


@pytest.fixture
def fresh_postgres(postgres_url):
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return postgres_url


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def test_two_web_workers_and_one_collector_on_postgres(tmp_path, fresh_postgres, target):
    target_url, hits = target
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG)
    env = {**os.environ, "IOC_DATABASE_URL": fresh_postgres, "IOC_CATALOG": str(catalog), "TARGET": target_url,
           "IOC_SECRET_KEY": secrets.token_urlsafe(48), "IOC_WORKER_HEADER": "1", "IOC_LOG_LEVEL": "WARNING"}
    env.pop("IOC_DEMO", None)
    port = free_port()
    processes = []
    try:
        # 1. the collector first: it migrates the empty database and applies the catalog
        collector_log = (tmp_path / "collector.log").open("w")
        collector = subprocess.Popen([sys.executable, "app.py", "collect"], cwd=PROJECT_DIR, env=env,
                                     stdout=collector_log, stderr=subprocess.STDOUT)
        processes.append(collector)
        wait_for(lambda: "collector running" in (tmp_path / "collector.log").read_text(), 60, message="collector")

        # 2. the first admin, from the command line
        created = subprocess.run([sys.executable, "app.py", "user", "create", "admin", "--role", "admin"], cwd=PROJECT_DIR,
                                 env=env, input="an admin password\n", text=True, capture_output=True, timeout=60)
        assert created.returncode == 0, created.stderr

        # 3. gunicorn, two workers, exactly as docs/deployment.md says
        web_log = (tmp_path / "web.log").open("w")
        web = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "--no-control-socket", "--workers", "2",
                                "--bind", f"127.0.0.1:{port}", "wsgi:app"], cwd=PROJECT_DIR, env=env,
                               stdout=web_log, stderr=subprocess.STDOUT)
        processes.append(web)
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: requests.get(base + "/api/health", timeout=5).status_code == 200, 60,
                 message=f"gunicorn on {port}: {(tmp_path / 'web.log').read_text()[-2000:]}")

        # both workers serve pages, and a session made on one is good on the other
        admin = login(base, "admin", "an admin password")
        served = collections.Counter()
        for _ in range(60):
            answer = admin.get(base + "/", headers={"Connection": "close"}, timeout=10)  # a new connection each time
            assert answer.status_code == 200 and "_dash-config" in answer.text
            served[answer.headers["X-IOC-Worker"]] += 1
            if len(served) >= 2 and min(served.values()) >= 3:
                break
        assert len(served) == 2, served
        assert str(collector.pid) not in served and str(web.pid) not in served  # workers, not the master
        assert requests.get(base + "/", allow_redirects=False, timeout=5).status_code == 302  # anonymous: login

        # each endpoint checked once per interval: count results and target hits over a window
        engine = create_engine(fresh_postgres)

        def counts():
            with Session(engine) as session:
                rows = session.execute(select(Endpoint.id, func.count()).join(CheckResult, CheckResult.endpoint_key == Endpoint.key)
                                           .group_by(Endpoint.id)).all()
            return dict(rows)

        wait_for(lambda: len(counts()) == 2, 30, message="first results")
        before, hits_before, started = counts(), dict(hits), time.monotonic()
        time.sleep(12)
        after, hits_after, window = counts(), dict(hits), time.monotonic() - started
        engine.dispose()
        expected = window / INTERVAL_S
        for endpoint in ("alpha.health", "beta.health"):
            made = after[endpoint] - before[endpoint]
            assert expected - 2 <= made <= expected + 1, f"{endpoint}: {made} results in {window:.1f} s"
        for path in ("/a", "/b"):
            made = hits_after.get(path, 0) - hits_before.get(path, 0)
            assert expected - 2 <= made <= expected + 1, f"{path}: {made} hits in {window:.1f} s"

        # the web process runs no scheduler even when asked to check now: the collector does it
        assert admin.post(base + "/api/endpoints/alpha.health/check", timeout=10).status_code == 202
    finally:
        for process in reversed(processes):
            stop(process)
    assert "Traceback" not in (tmp_path / "web.log").read_text()
