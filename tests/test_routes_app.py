"""The notification routes on the real app (demo systems, the collector, the notify job every
few seconds) with a local HTTP listener as the Apprise target (`json://127.0.0.1:PORT/…`):

a demo system goes down → the route's target gets one Vietnamese message within one check
interval + 10 s of the system turning down; nobody acknowledges → the escalation target gets one
after the route's escalation time (seconds here, minutes in real life); acknowledging stops any
further escalation; recovery sends one recovery message; the delivery log shows each. Also the
routes API: field errors, operators refused."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from collectors.timeutil import parse_iso
from tests.conftest import PROJECT_DIR, login, start_app, stop_app, wait_for
from tests.test_routes_flow import Receiver

SYSTEM = "hop-khong-giay"
INTERVAL_S = 2.0  # IOC_DEMO_INTERVAL given to the app by start_app
ESCALATE_S = 15.0
NOTIFY_EVERY_S = 5.0  # dashboard.alerts.jobs.NOTIFY_EVERY_S


@pytest.fixture(scope="module")
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("routes")
    running = start_app(tmp)
    data_dir = tmp / f"data-{running.url.rsplit(':', 1)[1]}"
    subprocess.run([sys.executable, "app.py", "user", "create", "operator", "--role", "operator", "--data-dir",
                    str(data_dir)], cwd=PROJECT_DIR, input="operator password 1\n", text=True, capture_output=True,
                   check=True, timeout=60)
    running.operator = login(running.url, "operator", "operator password 1")
    yield running
    stop_app(running)


def test_the_routes_api_refuses_bad_input_and_operators(app, receiver):
    good = {"id": "thu", "urls": [f"json://127.0.0.1:{receiver.port}/thu"]}
    for body, field in [({**good, "urls": ["notaurl"]}, "urls"), ({**good, "min_severity": "urgent"}, "min_severity"),
                        ({**good, "quiet_start": "25:00", "quiet_end": "06:00"}, "quiet_start")]:
        answer = app.post("/api/routes", json=body)
        assert answer.status_code == 400 and answer.json()["field"] == field, answer.text
    assert app.operator.post(f"{app.url}/api/routes", json=good, timeout=10).status_code == 403
    assert app.get("/api/routes").json()["routes"] == []
    created = app.post("/api/routes", json={**good, "systems": ["nowhere"]})
    assert created.status_code == 201, created.text
    assert created.json()["warnings"] == ["system: nowhere not in the catalog",
                                          "the route matches nothing: no system it names is in the catalog"]
    assert app.operator.get(f"{app.url}/api/routes", timeout=10).json()["routes"][0]["id"] == "thu"  # operators read
    tested = app.post("/api/routes/thu/test")
    assert tested.status_code == 200 and tested.json()["state"] == "sent", tested.text
    assert receiver.at("/thu")[0]["body"]["title"] == "[Gửi thử] thu"
    assert app.operator.delete(f"{app.url}/api/routes/thu", timeout=10).status_code == 403
    assert app.client.delete(f"{app.url}/api/routes/thu", timeout=10).status_code == 200
    assert app.client.delete(f"{app.url}/api/routes/thu", timeout=10).status_code == 404


def system_state(app) -> dict:
    return next(s for s in app.get("/api/systems").json()["systems"] if s["id"] == SYSTEM)


def test_outage_escalation_acknowledgement_and_recovery_reach_the_listener(app, receiver):
    base = f"json://127.0.0.1:{receiver.port}"
    answer = app.post("/api/routes", json={
        "id": "truc-hop", "name": "Trực hệ thống họp không giấy", "systems": [SYSTEM], "kinds": ["outage", "recovery"],
        "urls": [f"{base}/truc"], "escalate_after": f"{ESCALATE_S:g}s", "escalation_urls": [f"{base}/lanh-dao"]})
    assert answer.status_code == 201, answer.text
    wait_for(lambda: system_state(app)["status"] == "up", 90, message="the demo system up")

    assert app.post(f"/api/demo/systems/{SYSTEM}/mode", json={"mode": "down"}).status_code == 200
    state = wait_for(lambda: (s := system_state(app))["status"] == "down" and s, 60, message="the system down")
    down_at = parse_iso(state["status_since"])
    [first] = wait_for(lambda: receiver.at("/truc"), INTERVAL_S + 10 + 5, message="the outage message")
    assert first["body"]["title"] == "[Gián đoạn] Hệ thống họp không giấy tờ"
    assert "bị gián đoạn từ" in first["body"]["message"]
    assert first["body"]["message"].rsplit("\n", 1)[1] == f"Chi tiết: {app.url}/systems/{SYSTEM}"
    delay = (first["at"] - down_at).total_seconds()
    print(f"outage message {delay:.1f} s after the system turned down")
    assert delay <= INTERVAL_S + 10, delay

    # nobody acknowledges: the next level hears of it after the escalation time
    [escalation] = wait_for(lambda: receiver.at("/lanh-dao"), ESCALATE_S + NOTIFY_EVERY_S + 10, message="escalation")
    waited = (escalation["at"] - down_at).total_seconds()
    print(f"escalation {waited:.1f} s after the outage (route: {ESCALATE_S:g} s)")
    assert ESCALATE_S <= waited <= ESCALATE_S + NOTIFY_EVERY_S + 5, waited
    assert escalation["body"]["title"] == "[Chuyển cấp 1] [Gián đoạn] Hệ thống họp không giấy tờ"

    incident = next(i for i in app.get(f"/api/incidents?open=1&system={SYSTEM}").json()["incidents"]
                    if i["subject_type"] == "system")
    acked = app.operator.post(f"{app.url}/api/incidents/{incident['id']}/acknowledge",
                              json={"comment": "Đang khởi động lại máy chủ họp"}, timeout=10)
    assert acked.status_code == 200, acked.text
    # the second level would be due at 2 × the escalation time: let that moment and a notify run pass
    deadline = down_at + timedelta(seconds=2 * ESCALATE_S + 2 * NOTIFY_EVERY_S)
    wait_for(lambda: datetime.now(timezone.utc) > deadline, 3 * ESCALATE_S, message="the second level's moment")
    assert len(receiver.at("/lanh-dao")) == 1

    assert app.post(f"/api/demo/systems/{SYSTEM}/mode", json={"mode": "ok"}).status_code == 200
    messages = wait_for(lambda: len(r := receiver.at("/truc")) == 2 and r, 60, message="the recovery message")
    assert messages[1]["body"]["title"] == "[Đã khôi phục] Hệ thống họp không giấy tờ"
    assert "hoạt động trở lại lúc" in messages[1]["body"]["message"]
    assert len(receiver.at("/truc")) == 2 and len(receiver.at("/lanh-dao")) == 1

    log = app.get("/api/routes/deliveries?route=truc-hop").json()["deliveries"]
    assert sorted((d["event"], d["level"], d["state"]) for d in log) == [
        ("outage", 0, "sent"), ("outage", 1, "sent"), ("recovery", 0, "sent")]


PAGE = """() => {
const q = (s) => document.querySelector(s);
return {
  mayEdit: (q('.routes-page') || {dataset: {}}).dataset.mayEdit,
  formShown: !!q('.routes-form') && q('.routes-form').style.display !== 'none',
  routes: Array.from(document.querySelectorAll('.route-row')).map(r => ({
    id: r.dataset.id, source: r.dataset.source, warnings: r.dataset.warnings,
    buttons: r.querySelectorAll('button').length})),
  deliveries: Array.from(document.querySelectorAll('.delivery-row')).map(r => ({
    route: r.dataset.route, state: r.dataset.state, text: r.textContent})),
  done: (q('.routes-done') || {}).textContent || '',
  error: (q('.routes-error') || {}).textContent || '',
  urlsInvalid: (q('#admin-route-urls') || {classList: []}).classList.contains('is-invalid'),
  tick: Number((q('#routes-table > div') || {dataset: {tick: -1}}).dataset.tick),
  typedId: (q('#routes-f-id') || {}).value,
};
}"""


@pytest.mark.browser
def test_an_admin_makes_a_route_from_the_page_and_sends_a_test(browser, app, receiver):
    # a route already listed: its edit button is drawn again at every refresh
    app.post("/api/routes", json={"id": "da-co", "urls": [f"json://127.0.0.1:{receiver.port}/da-co"]})
    page = browser.open(app, "/admin/routes", viewport=(1400, 1200))
    wait_for(lambda: page.evaluate(PAGE)["mayEdit"] == "1" and page.locator("#routes-save").inner_text()
             and page.evaluate(PAGE)["routes"], 30, message="the routes page")
    page.locator("#routes-f-id").fill("vnpt-truc")
    page.locator("#routes-f-name").fill("VNPT trực hệ thống")
    page.locator("#admin-route-urls").fill("tgram://not-a-real-token")  # Apprise cannot read it
    page.locator("#routes-f-quiet-start").fill("22:00")
    page.locator("#routes-f-quiet-end").fill("06:00")
    # the table is drawn again while the admin types: what is typed stays
    drawn = page.evaluate(PAGE)["tick"]
    wait_for(lambda: page.evaluate(PAGE)["tick"] > drawn + 1, 40, message="two refreshes of the table")
    assert page.evaluate(PAGE)["typedId"] == "vnpt-truc"
    page.evaluate("() => document.querySelector('#routes-save').click()")
    state = wait_for(lambda: (s := page.evaluate(PAGE))["error"] and s, 20, message="the field error")
    assert state["error"].startswith("Địa chỉ nhận (Apprise, mỗi dòng một địa chỉ): Apprise cannot read this URL")
    assert state["urlsInvalid"] and "not-a-real-token" not in state["error"]
    assert "vnpt-truc" not in [r["id"] for r in state["routes"]]  # nothing saved

    page.locator("#admin-route-urls").fill(f"json://127.0.0.1:{receiver.port}/trang")
    page.evaluate("() => document.querySelector('#routes-save').click()")
    state = wait_for(lambda: (s := page.evaluate(PAGE))["done"] and "vnpt-truc" in [r["id"] for r in s["routes"]] and s,
                     20, message="route saved")
    assert state["done"] == "Đã thêm tuyến vnpt-truc." and not state["urlsInvalid"]
    assert ("vnpt-truc", "admin") in [(r["id"], r["source"]) for r in state["routes"]]

    page.locator('.route-row[data-id="vnpt-truc"] button.routes-test').click()
    state = wait_for(lambda: (s := page.evaluate(PAGE))["done"].startswith("Đã gửi thử")
                     and any(d["route"] == "vnpt-truc" for d in s["deliveries"]) and s, 20, message="test sent")
    assert [d["state"] for d in state["deliveries"] if d["route"] == "vnpt-truc"] == ["sent"]
    assert receiver.at("/trang")[0]["body"]["title"] == "[Gửi thử] VNPT trực hệ thống"
    assert browser.errors() == []

    # operators read the page: no form, no buttons
    page = browser.open(app, "/admin/routes", viewport=(1400, 1000), client=app.operator)
    state = wait_for(lambda: (s := page.evaluate(PAGE))["routes"] and s, 30, message="the page as an operator")
    assert state["mayEdit"] == "0" and not state["formShown"]
    assert all(r["buttons"] == 0 for r in state["routes"])
    assert browser.errors() == []
