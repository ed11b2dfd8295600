"""The JSON API of a real `python app.py` with the demo: stable fields, live statuses."""
from __future__ import annotations

import pytest

from dashboard.demo.network import SYSTEM_IDS
from tests.conftest import start_app, stop_app, wait_for


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    running = start_app(tmp_path_factory.mktemp("api"))
    yield running
    stop_app(running)


def test_health_reports_app_scheduler_and_database(app):
    def alive():
        body = app.get("/api/health").json()
        return body if body["scheduler"]["alive"] and body["last_check_at"] else None

    body = wait_for(alive, 30, message="scheduler alive with a completed check")
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["last_check_at"].endswith("Z")


def test_systems_lists_every_demo_system_with_a_live_status(app):
    def all_checked():
        body = app.get("/api/systems").json()
        return body if all(s["status"] != "unknown" for s in body["systems"]) else None

    body = wait_for(all_checked, 60, message="every system checked")
    assert [s["id"] for s in body["systems"]] == [*SYSTEM_IDS, "commune-network"]  # + the commune heartbeats' system
    lgsp = body["systems"][0]
    assert lgsp["name_vi"] == "Nền tảng tích hợp, chia sẻ dữ liệu (LGSP)"
    assert {"id", "name_vi", "name_en", "status", "last_check_at", "endpoints", "links"} <= set(lgsp)
    endpoint = lgsp["endpoints"][0]
    assert {"id", "status", "latency_ms", "http_code", "reason", "checked_at"} <= set(endpoint)
    assert endpoint["http_code"] == 200 and endpoint["latency_ms"] > 0
    assert sum(body["counts"].values()) == len(SYSTEM_IDS) + 1
    network = body["systems"][-1]
    assert len(network["endpoints"]) == 96 and all(e["commune"] for e in network["endpoints"])


def test_a_failing_demo_system_is_reported_down_with_its_reason(app):
    assert app.post("/api/demo/systems/hop-khong-giay/mode", json={"mode": "failing"}).status_code == 200

    def down():
        systems = {s["id"]: s for s in app.get("/api/systems").json()["systems"]}
        return systems["hop-khong-giay"] if systems["hop-khong-giay"]["status"] == "down" else None

    system = wait_for(down, 30, message="hop-khong-giay down")
    health = system["endpoints"][0]
    assert health["http_code"] == 503
    # the cause as a code, and in words in the language asked for (Vietnamese by default)
    assert health["cause"]["code"] == "condition_failed"
    assert health["cause"]["params"]["condition"] == "[STATUS] == 200" and health["cause"]["params"]["observed"] == 503
    assert health["reason"].startswith("Mã trạng thái HTTP phải là 200 — nhận được 503"), health["reason"]
    assert health["short_reason"] == "HTTP 503"
    assert system["short_reason"] == "HTTP 503" and "nhận được 503" in system["reason"]
    english = {s["id"]: s for s in app.get("/api/systems?lang=en").json()["systems"]}["hop-khong-giay"]
    assert english["endpoints"][0]["reason"].startswith("HTTP status code must be 200 — got 503")
    assert english["endpoints"][0]["cause"] == health["cause"]
    incidents = app.get("/api/incidents?open=1&lang=en").json()["incidents"]
    opened = next(i for i in incidents if i["subject_id"] == health["id"])
    assert opened["cause_data"]["code"] == "condition_failed" and "got 503" in opened["cause"]
    app.post("/api/demo/systems/hop-khong-giay/mode", json={"mode": "ok"})


def test_down_demo_system_says_which_address_refused(app):
    assert app.post("/api/demo/systems/lgsp/mode", json={"mode": "down"}).status_code == 200

    def down():
        systems = {s["id"]: s for s in app.get("/api/systems").json()["systems"]}
        return systems["lgsp"] if systems["lgsp"]["status"] == "down" else None

    try:
        system = wait_for(down, 30, message="lgsp down")
        assert system["short_reason"] == "Không kết nối được"
        refused = next(e for e in system["endpoints"] if e["status"] == "down")
        assert refused["cause"]["code"] == "conn_refused"
        params = refused["cause"]["params"]
        assert f"{params['host']}:{params['port']}" in refused["reason"] and "từ chối kết nối" in refused["reason"]
    finally:
        app.post("/api/demo/systems/lgsp/mode", json={"mode": "ok"})


def test_an_unknown_language_is_refused(app):
    response = app.get("/api/systems?lang=fr")
    assert response.status_code == 400 and "lang" in response.json()["error"]


@pytest.mark.parametrize(
    "payload, status",
    [({"mode": "exploded"}, 400), ({"nope": 1}, 400), ("not json", 400)],
)
def test_demo_switch_rejects_bad_input(app, payload, status):
    kwargs = {"data": payload} if isinstance(payload, str) else {"json": payload}
    response = app.post("/api/demo/systems/lgsp/mode", **kwargs)
    assert response.status_code == status
    assert "error" in response.json()
    assert app.post("/api/demo/systems/nowhere/mode", json={"mode": "ok"}).status_code == 400
