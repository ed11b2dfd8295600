"""The Wazuh pull against a fake Wazuh indexer: a real HTTP server on loopback that checks basic
auth and answers `_search` with `search_after` paging like OpenSearch does."""
from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from dashboard.alerts.settings import AlertSettings
from dashboard.alerts.siem import CURSOR_KEY, pull, severity_for_level
from dashboard.store.models import Agency, Alert, System

USER, PASSWORD = "ioc-reader", "s3cret"


def wazuh_alert(n: int, level: int, rule_id: str = "5712", agent: str = "dvc", srcip: str = "185.220.101.47") -> dict:
    return {"id": f"1732690000.{n:06d}", "timestamp": f"2026-11-27T01:{n // 60:02d}:{n % 60:02d}.000+0000",
            "rule": {"id": rule_id, "level": level, "description": f"sshd: brute force trying to get access (#{n})",
                     "groups": ["syslog", "sshd", "authentication_failures"]},
            "agent": {"id": "007", "name": agent, "ip": "10.1.2.3"}, "data": {"srcip": srcip},
            "full_log": f"Nov 27 08:00:{n % 60:02d} dvc sshd[1]: Failed password for root from {srcip} <b>bold</b>"}


class FakeWazuh:
    def __init__(self, documents: list[dict]):
        self.documents = documents
        self.requests: list[dict] = []
        self.fail_with: int | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self.answer(401, {"error": "unauthorized"})
                if fake.fail_with:
                    return self.answer(fake.fail_with, {"error": "boom"})
                if self.path != "/wazuh-alerts-*/_search":
                    return self.answer(404, {"error": self.path})
                self.answer(200, fake.search(body))

            def answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def search(self, body: dict) -> dict:
        """The subset of OpenSearch the pull relies on: rule.level filter, sort, search_after, size."""
        min_level = body["query"]["bool"]["filter"][0]["range"]["rule.level"]["gte"]
        docs = sorted((d for d in self.documents if d["rule"]["level"] >= min_level), key=lambda d: (d["timestamp"], d["id"]))
        after = body.get("search_after")
        if after:
            docs = [d for d in docs if (d["timestamp"], d["id"]) > (after[0], after[1])]
        page = docs[: body["size"]]
        # OpenSearch returns the sort values (epoch ms for dates); the timestamp string keeps the fake simple.
        return {"hits": {"total": {"value": len(docs)}, "hits": [
            {"_index": "wazuh-alerts-4.x-2026.11.27", "_id": d["id"], "_source": d, "sort": [d["timestamp"], d["id"]]}
            for d in page]}}

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake():
    server = FakeWazuh([wazuh_alert(n, level=10) for n in range(5)] + [wazuh_alert(5, level=3, rule_id="530")]
                       + [wazuh_alert(6, level=13, rule_id="87105", agent="unit-21025", srcip="113.161.77.24")])
    yield server
    server.stop()


@pytest.fixture
def db(sqlite_db):
    with sqlite_db.session() as s:
        s.add(Agency(id="unit-21025", name_vi="Phường Cẩm Thành", name_en="Cam Thanh", kind="ward"))
        s.add(System(id="dvc", name_vi="Cổng DVC", name_en="Public services"))
    return sqlite_db


def settings_for(fake, **kw) -> AlertSettings:
    return AlertSettings(wazuh_url=fake.url, wazuh_user=USER, wazuh_password=PASSWORD, wazuh_min_level=7,
                         wazuh_page_size=2, **kw)


def test_level_maps_to_severity():
    assert [severity_for_level(n) for n in (15, 13, 12, 10, 9, 7, 6, 4, 3, 0)] == [
        "critical", "critical", "high", "high", "medium", "medium", "low", "low", "info", "info"]


def test_pull_pages_maps_deduplicates_and_resumes(fake, db):
    report = pull(db, settings_for(fake))
    # 6 alerts at level >= 7, pages of 2: 3 full pages, then an empty one ends the run
    assert report.fetched == 6 and report.pages == 4
    first_query = fake.requests[0]["body"]
    assert "search_after" not in first_query and first_query["sort"][0] == {"timestamp": {"order": "asc"}}
    assert any("timestamp" in f["range"] for f in first_query["query"]["bool"]["filter"])  # first run: last day only
    assert fake.requests[1]["body"]["search_after"] == [fake.documents[1]["timestamp"], fake.documents[1]["id"]]
    with db.session() as s:
        rows = s.scalars(select(Alert).order_by(Alert.id)).all()
        cursor = json.loads(s.get(__import__("dashboard.store.models", fromlist=["RuntimeState"]).RuntimeState, CURSOR_KEY).value)
    # the five level-10 sshd alerts from one source IP on one agent are one alert counted five times
    assert [(a.severity, a.count, a.system_id, a.agency_id, a.category) for a in rows] == [
        ("high", 5, "dvc", None, "brute_force"), ("critical", 1, None, "unit-21025", "brute_force")]
    assert rows[0].source_kind == "siem" and rows[0].source == "wazuh" and rows[0].details["rule_id"] == "5712"
    assert "<b>bold</b>" in rows[0].description  # stored as text; pages render it inert
    assert cursor == [fake.documents[6]["timestamp"], fake.documents[6]["id"]]

    fake.documents.append(wazuh_alert(7, level=12, rule_id="31151", srcip="45.95.147.231"))
    again = pull(db, settings_for(fake))
    assert again.fetched == 1 and again.created == 1
    assert fake.requests[-2]["body"]["search_after"] == cursor  # resumed after the cursor: nothing twice
    with db.session() as s:
        assert sum(a.count for a in s.scalars(select(Alert))) == 7


def test_bad_credentials_and_server_errors_keep_the_cursor(fake, db):
    with pytest.raises(RuntimeError, match="credentials"):
        pull(db, AlertSettings(wazuh_url=fake.url, wazuh_user=USER, wazuh_password="wrong"))
    fake.fail_with = 503
    with pytest.raises(RuntimeError, match="503"):
        pull(db, settings_for(fake))
    with db.session() as s:
        assert s.scalars(select(Alert)).first() is None
    fake.fail_with = None
    assert pull(db, settings_for(fake)).fetched == 6


def test_demo_wazuh_serves_what_the_pull_expects(db, monkeypatch):
    import time as time_module

    from dashboard.demo.siem import DemoWazuh

    wazuh = DemoWazuh(seed=3).start()
    try:
        wazuh.next_at = time_module.monotonic() - 600  # ten minutes of history at once
        settings = AlertSettings(wazuh_url=wazuh.url, wazuh_user=wazuh.user, wazuh_password=wazuh.password,
                                 wazuh_min_level=7, wazuh_page_size=3)
        first = pull(db, settings)
        assert first.fetched == len(wazuh.documents) > 3 and first.pages >= 2
        assert pull(db, settings).fetched == 0  # the cursor holds
        with pytest.raises(RuntimeError, match="credentials"):
            pull(db, AlertSettings(wazuh_url=wazuh.url, wazuh_user="x", wazuh_password="y"))
    finally:
        wazuh.stop()
    with db.session() as s:
        assert {a.source for a in s.scalars(select(Alert))} == {"wazuh"}
