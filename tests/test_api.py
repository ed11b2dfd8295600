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
    assert "[STATUS] == 200" in health["reason"] and "503" in health["reason"]
    app.post("/api/demo/systems/hop-khong-giay/mode", json={"mode": "ok"})


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
