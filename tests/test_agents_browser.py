"""/admin/agents in headless Chromium against the real app: an agent that called in (its clock
flagged) and one never seen, each on its own line with its state, and no console error or
failed request."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
import requests

from collectors.timeutil import utcnow
from dashboard.domain.agents import SIGNATURE_HEADER, key_from_secret, sign
from tests.conftest import PROJECT_DIR, start_app, stop_app

pytestmark = [pytest.mark.browser]


@pytest.fixture
def app(tmp_path):
    running = start_app(tmp_path)
    running.data_dir = tmp_path / f"data-{running.url.rsplit(':', 1)[1]}"
    yield running
    stop_app(running)


def token(app, name: str, vantage: str) -> str:
    out = subprocess.run([sys.executable, "app.py", "token", "create", name, "--kind", "agent", "--vantage", vantage,
                          "--data-dir", str(app.data_dir)], cwd=PROJECT_DIR, capture_output=True, text=True, check=True).stdout
    return next(line for line in out.splitlines() if line.startswith("agent_"))


def test_the_agents_page_shows_each_agent_and_its_state(browser, app):
    commune = token(app, "tram-mang-xa", "commune-net")
    token(app, "tram-dmz", "dmz")
    body = json.dumps({"batch_id": str(uuid.uuid4()), "sent_at": (utcnow() + timedelta(minutes=3)).isoformat(),
                       "batch_interval_s": 10, "results": []}).encode()
    answer = requests.post(app.url + "/api/agent/results", data=body, timeout=10, headers={
        "Authorization": f"Bearer {commune}", SIGNATURE_HEADER: sign(key_from_secret(commune), body)})
    assert answer.status_code == 200 and answer.json()["skew_flagged"] is True

    page = browser.open(app, "/admin/agents", viewport=(1920, 1080))
    page.locator('.agent-row[data-vantage="commune-net"][data-state="ok"]').wait_for(timeout=30_000)
    rows = page.evaluate("""() => [...document.querySelectorAll('.agent-row')].map(r => [
        r.dataset.vantage, r.dataset.state, r.innerText])""")
    assert [(v, s) for v, s, _ in rows] == [("commune-net", "ok"), ("dmz", "never")]
    assert "Đang liên lạc" in rows[0][2] and "lệch quá 60 giây" in rows[0][2] and "Chưa liên lạc" in rows[1][2]
    assert browser.errors() == []
