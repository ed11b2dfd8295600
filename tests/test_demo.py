"""The demo network over real loopback sockets (no mocks)."""
from __future__ import annotations

import random
import socket
import threading
import time
from datetime import datetime

import pytest
import requests

from dashboard.demo.network import MODES, SYSTEM_IDS, DemoNetwork, env_for

LINKS = {
    "lgsp": {"ndxp"},
    "qlvb": {"national_axis"},
    "hop-khong-giay": set(),
    "httt-nguon": {"central_source"},
    "data-platform": {"national_data_portal"},
    "ioc": set(),
    "dvc": {"national_public_service_portal"},
}


@pytest.fixture(scope="module")
def net():
    with DemoNetwork(seed=7, slow_delay_s=0.3) as network:
        yield network


@pytest.fixture(autouse=True)
def reset(request):
    yield
    if "net" in request.fixturenames:
        network = request.getfixturevalue("net")
        for sid in SYSTEM_IDS:
            network.set_mode(sid, "ok")


def get(network, sid, path, timeout=2.0):
    return requests.get(network.url(sid) + path, timeout=timeout)


def parse_iso(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None
    return parsed


def non_negative_numbers(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from non_negative_numbers(item)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value


@pytest.mark.parametrize("sid", SYSTEM_IDS)
def test_health_up_with_json_and_timestamp(net, sid):
    for _ in range(3):  # values walk between calls; stay sane each time
        response = get(net, sid, "/health")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json"
        body = response.json()
        assert body["status"] == "UP"
        parse_iso(body["checked_at"])
        assert all(n >= 0 for n in non_negative_numbers(body))


def test_health_shapes(net):
    lgsp = get(net, "lgsp", "/health").json()
    assert lgsp["version"] == "4.2.0"
    assert lgsp["gateway"]["apis"] == 48
    assert {"calls_last_hour", "faults_last_hour", "backend_latency_ms"} <= lgsp["gateway"].keys()
    assert lgsp["gateway"]["faults_last_hour"] <= lgsp["gateway"]["calls_last_hour"]

    docs = get(net, "qlvb", "/health").json()["documents"]
    assert {"sent_today", "received_today", "failed_deliveries"} <= docs.keys()
    assert 0.9 <= docs["signed_share"] <= 1

    meetings = get(net, "hop-khong-giay", "/health").json()
    assert isinstance(meetings["meetings_today"], int) and isinstance(meetings["documents_pushed"], int)

    source = get(net, "httt-nguon", "/health").json()
    assert set(source["loudspeaker_clusters"]) == {"online", "offline"}
    assert isinstance(source["eboards_online"], int)
    parse_iso(source["last_broadcast"])

    data = get(net, "data-platform", "/health").json()
    assert data["pipelines"] == {"total": 12, "fresh": 12}
    parse_iso(data["last_successful_load"])

    ioc = get(net, "ioc", "/health").json()
    assert ioc["collectors_alive"] is True and isinstance(ioc["data_age_s"], int)

    dvc = get(net, "dvc", "/health").json()
    assert isinstance(dvc["dossiers_today"], int) and 0.9 <= dvc["on_time_rate"] <= 1


@pytest.mark.parametrize("sid", SYSTEM_IDS)
def test_links_connected(net, sid):
    response = get(net, sid, "/links")
    assert response.status_code == 200
    links = response.json()["links"]
    assert set(links) == LINKS[sid]
    for link in links.values():
        assert link["state"] == "connected"
        assert link["latency_ms"] > 0
        parse_iso(link["last_exchange"])


def test_unknown_path_is_json_404(net):
    response = get(net, "lgsp", "/nope")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert "error" in response.json()


def test_failing_returns_503_down_for_that_system_only(net):
    net.set_mode("qlvb", "failing")
    response = get(net, "qlvb", "/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "DOWN" and body["error"]
    assert get(net, "qlvb", "/links").status_code == 503
    assert get(net, "lgsp", "/health").status_code == 200


def test_slow_answers_after_delay(net):
    net.set_mode("dvc", "slow")
    started = time.monotonic()
    response = get(net, "dvc", "/health")
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200 and response.json()["status"] == "UP"


def test_hang_times_out_client(net):
    net.set_mode("ioc", "hang")
    with pytest.raises(requests.Timeout):
        get(net, "ioc", "/health", timeout=0.5)
    assert get(net, "ioc", "/_demo/mode").json()["mode"] == "hang"  # control still answers


def test_down_refuses_then_recovers_on_same_port(net):
    url = net.url("httt-nguon")
    port = int(url.rsplit(":", 1)[1])
    net.set_mode("httt-nguon", "down")
    assert net.mode("httt-nguon") == "down"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    with pytest.raises(requests.ConnectionError):
        get(net, "httt-nguon", "/health")
    assert get(net, "lgsp", "/health").status_code == 200

    net.set_mode("httt-nguon", "ok")
    assert net.url("httt-nguon") == url
    assert get(net, "httt-nguon", "/health").json()["status"] == "UP"


def test_link_down_disconnects_links_but_health_is_up(net):
    net.set_mode("lgsp", "link_down")
    assert get(net, "lgsp", "/health").json()["status"] == "UP"
    link = get(net, "lgsp", "/links").json()["links"]["ndxp"]
    assert link["state"] == "disconnected" and link["error"]
    age = datetime.now(parse_iso(link["last_exchange"]).tzinfo) - parse_iso(link["last_exchange"])
    assert age.total_seconds() >= 120


def test_control_endpoint(net):
    url = net.url("data-platform") + "/_demo/mode"
    body = requests.get(url, timeout=2).json()
    assert (body["system"], body["mode"]) == ("data-platform", "ok")

    response = requests.post(url, json={"mode": "failing"}, timeout=2)
    assert response.status_code == 200 and response.json()["mode"] == "failing"
    assert net.mode("data-platform") == "failing"
    assert get(net, "data-platform", "/health").status_code == 503

    for bad in (b"{not json", b'{"mode": "exploded"}', b'["failing"]'):
        response = requests.post(url, data=bad, headers={"Content-Type": "application/json"}, timeout=2)
        assert response.status_code == 400
        assert response.json()["error"]
    assert net.mode("data-platform") == "failing"


def test_control_endpoint_can_take_a_system_down(net):
    requests.post(net.url("hop-khong-giay") + "/_demo/mode", json={"mode": "down"}, timeout=2)
    with pytest.raises(requests.ConnectionError):
        get(net, "hop-khong-giay", "/health")


def test_api_validation_and_modes(net):
    with pytest.raises(ValueError, match="unknown demo system"):
        net.set_mode("nope", "ok")
    with pytest.raises(ValueError, match="unknown demo mode"):
        net.set_mode("lgsp", "sideways")
    net.set_mode("dvc", "link_down")
    assert net.modes() == {sid: ("link_down" if sid == "dvc" else "ok") for sid in SYSTEM_IDS}
    assert set(MODES) == {"ok", "slow", "failing", "hang", "down", "link_down"}


def test_env_for(net):
    env = env_for(net)
    assert env["IOC_DEMO_LGSP_URL"] == net.url("lgsp")
    assert env["IOC_DEMO_HOP_KHONG_GIAY_URL"] == net.url("hop-khong-giay")
    assert env["IOC_DEMO_LGSP_PORT"] == net.url("lgsp").rsplit(":", 1)[1]
    assert env["IOC_DEMO_DVC_TLS_PORT"] == str(net.tls_port("dvc"))
    assert env["IOC_DEMO_CA_BUNDLE"] == net.ca_bundle and env["IOC_DEMO_HEARTBEAT_TOKEN"] == net.heartbeat_token
    assert env["IOC_DEMO_COMMUNE_SECRET"] == net.commune_secret and len(net.commune_secret) >= 16
    assert len(env) == 2 * len(SYSTEM_IDS) + 4


def test_stop_is_fast_and_idempotent_with_hanging_client():
    network = DemoNetwork().start()
    network.set_mode("lgsp", "hang")
    errors = []

    def client():
        try:
            requests.get(network.url("lgsp") + "/health", timeout=10)
        except requests.RequestException as exc:
            errors.append(exc)

    thread = threading.Thread(target=client)
    thread.start()
    time.sleep(0.2)  # let the request reach the server
    started = time.monotonic()
    network.stop()
    assert time.monotonic() - started < 1.0
    network.stop()
    thread.join(timeout=2)
    assert not thread.is_alive() and errors  # the hanging request was released, not answered
    with pytest.raises(requests.ConnectionError):
        requests.get(network.url("ioc") + "/health", timeout=1)


def free_base_port(count: int) -> int:
    for _ in range(50):
        base = random.randint(20000, 60000)
        sockets = []
        try:
            for offset in range(count):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    pytest.skip("no free block of ports")


def test_base_port_assigns_consecutive_ports():
    base = free_base_port(len(SYSTEM_IDS))
    with DemoNetwork(base_port=base) as network:
        for i, sid in enumerate(SYSTEM_IDS):
            assert network.url(sid) == f"http://127.0.0.1:{base + i}"
            assert get(network, sid, "/health").status_code == 200


def test_seed_makes_figures_reproducible():
    bodies = []
    for _ in range(2):
        with DemoNetwork(seed=42) as network:
            body = get(network, "lgsp", "/health").json()
            bodies.append(body["gateway"])
    assert bodies[0] == bodies[1]
