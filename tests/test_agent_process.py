"""Done-when for remote agents: the server (`python app.py`, SQLite in a temp dir) and an agent
(`python app.py agent`) run as separate processes; the agent checks loopback HTTP targets of its
vantage; the server is killed for 60 s and started again; every result the agent made meanwhile
is stored exactly once, and the central collector never checked the agent's endpoints."""
from __future__ import annotations

import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
import yaml

from tests.conftest import PROJECT_DIR, free_port, wait_for
from tests.http_targets import HttpTargets

OUTAGE_S = 60.0  # the outage the agent must ride out (the done-when's figure)
AGENT_ENDPOINTS = ("web.remote-ok", "web.remote-500")


def write_catalog(path: Path, targets: HttpTargets) -> None:
    path.write_text(yaml.safe_dump({
        "version": 1,
        "agencies": [{"id": "skhcn", "name_vi": "Sở Khoa học và Công nghệ", "name_en": "Department of Science and Technology"}],
        "communes": {"include": False},
        "systems": [{"id": "web", "name_vi": "Cổng thông tin xã", "name_en": "Commune portal", "owner": "skhcn",
                     "endpoints": [
                         {"id": "central-ok", "url": f"{targets.url}/slow", "interval": "5s", "timeout": "2s"},
                         {"id": "remote-ok", "url": f"{targets.url}/ok", "interval": "2s", "timeout": "1s",
                          "vantage": "test-net"},
                         {"id": "remote-500", "url": f"{targets.url}/500", "interval": "2s", "timeout": "1s",
                          "vantage": "test-net"},
                     ]}],
    }, allow_unicode=True), encoding="utf-8")


class Server:
    def __init__(self, tmp: Path, catalog: Path, env: dict):
        self.port = free_port()
        self.data = tmp / "server-data"
        self.catalog, self.env, self.tmp = catalog, env, tmp
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.starts += 1
        log = (self.tmp / f"server-{self.starts}.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "app.py", "--catalog", str(self.catalog), "--port", str(self.port), "--data-dir", str(self.data)],
            cwd=PROJECT_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: self.process.poll() is None and requests.get(self.url + "/api/health", timeout=5).status_code == 200,
                 90, message="the server answering")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)  # no goodbye: a crash, a power cut, a cut cable
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def query(self, sql: str, *args):
        with closing(sqlite3.connect(self.data / "ioc.db", timeout=10)) as conn:
            return conn.execute(sql, args).fetchall()


def buffered(agent_data: Path) -> list[tuple[str, str, datetime]]:
    """(result id, endpoint, checked_at) of what the agent holds, read from its buffer file."""
    import json

    path = agent_data / "agent-buffer.db"
    if not path.exists():
        return []
    with closing(sqlite3.connect(path, timeout=10)) as conn:
        rows = conn.execute("SELECT body FROM results ORDER BY seq").fetchall()
    items = [json.loads(body) for (body,) in rows]
    return [(i["id"], i["endpoint"], datetime.fromisoformat(i["checked_at"])) for i in items]


@pytest.fixture
def targets():
    server = HttpTargets().start()
    yield server
    server.stop()


def test_every_result_made_during_a_60_s_server_outage_is_stored_once(tmp_path, targets):
    catalog = tmp_path / "catalog.yaml"
    write_catalog(catalog, targets)
    env = {**os.environ, "IOC_SECRET_KEY": secrets.token_urlsafe(48), "IOC_LOG_LEVEL": "INFO"}
    server = Server(tmp_path, catalog, env)
    made = subprocess.run([sys.executable, "app.py", "token", "create", "agent-test-net", "--kind", "agent",
                           "--vantage", "test-net", "--data-dir", str(server.data)],
                          cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    token = next(line for line in made.stdout.splitlines() if line.startswith("agent_"))

    agent_data = tmp_path / "agent-data"
    agent_log = tmp_path / "agent.log"
    server.start()
    agent = subprocess.Popen(
        [sys.executable, "app.py", "agent", "--server", server.url, "--data-dir", str(agent_data), "--batch-interval", "2s"],
        cwd=PROJECT_DIR, env={**env, "IOC_AGENT_TOKEN": token}, stdout=agent_log.open("w"), stderr=subprocess.STDOUT)
    try:
        # the agent checks and the server stores its results
        wait_for(lambda: server.query("SELECT count(*) FROM check_results WHERE result_uid IS NOT NULL")[0][0] >= 4,
                 60, message="the agent's first results stored")

        server.kill()
        killed_at = datetime.now(timezone.utc)
        # the agent keeps checking through the outage, buffering on disk; the outage lasts until
        # the agent has made a result 60 s after the kill
        wait_for(lambda: any(at >= killed_at + timedelta(seconds=OUTAGE_S) for _, _, at in buffered(agent_data)),
                 OUTAGE_S + 30, interval=1.0, message="a result made 60 s into the outage")
        held = buffered(agent_data)
        during = [(uid, endpoint) for uid, endpoint, at in held if at >= killed_at]
        assert agent.poll() is None, agent_log.read_text()
        # two endpoints every 2 s for 60 s: about 60 results (a loaded machine may miss a few slots)
        assert len(during) >= 40, (len(during), agent_log.read_text()[-2000:])
        assert {endpoint for _, endpoint in during} == set(AGENT_ENDPOINTS)

        restarted = time.monotonic()
        server.start()
        wait_for(lambda: not {uid for uid, _, _ in buffered(agent_data)} & {uid for uid, _, _ in held}, 90,
                 interval=0.5, message="the buffered results sent and acknowledged")

        counts = dict(server.query(
            "SELECT result_uid, count(*) FROM check_results WHERE result_uid IS NOT NULL GROUP BY result_uid"))
        missing = [uid for uid, _, _ in held if uid not in counts]
        assert missing == [], f"{len(missing)} of {len(held)} buffered results never stored"
        assert all(counts[uid] == 1 for uid, _, _ in held)
        assert max(counts.values()) == 1  # nothing stored twice, outage or not
        # the central collector never checked the agent's endpoints: every row of theirs is the agent's
        assert server.query("SELECT count(*) FROM check_results JOIN endpoints ON endpoints.key = check_results.endpoint_key "
                            "WHERE endpoints.id IN (?, ?) AND check_results.result_uid IS NULL",
                            *AGENT_ENDPOINTS)[0][0] == 0
        # the replayed failures drove the endpoint's state as if the server had never been away
        assert dict(server.query("SELECT id, status FROM endpoints WHERE id IN (?, ?)", *AGENT_ENDPOINTS)) == {
            "web.remote-ok": "up", "web.remote-500": "down"}
        replay_s = time.monotonic() - restarted
        print(f"\noutage {OUTAGE_S:.0f} s: {len(during)} results made during it, {len(held)} buffered, "
              f"all stored once; buffer empty {replay_s:.1f} s after the restart began")
        text = agent_log.read_text()
        assert "unreachable" in text and "back after" in text
    finally:
        agent.terminate()
        try:
            agent.wait(15)
        except subprocess.TimeoutExpired:
            agent.kill()
        server.stop()
