"""The incident workflow on the real app: a demo system fails, its incident is read, discussed,
acknowledged and closed over the JSON API by the roles allowed to (viewers read only, every
refusal is JSON and changes nothing); then the incident page in headless Chromium shows the
thread and an operator posts a comment from it."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import PROJECT_DIR, login, start_app, stop_app, wait_for

SYSTEM = "hop-khong-giay"
PASSWORDS = {"viewer": "viewer password 1", "operator": "operator password 1"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("incidents")
    running = start_app(tmp)
    data_dir = tmp / f"data-{running.url.rsplit(':', 1)[1]}"
    for name, password in PASSWORDS.items():
        subprocess.run([sys.executable, "app.py", "user", "create", name, "--role", name, "--data-dir", str(data_dir)],
                       cwd=PROJECT_DIR, input=password + "\n", text=True, capture_output=True, check=True, timeout=60)
    running.clients = {name: login(running.url, name, password) for name, password in PASSWORDS.items()}
    yield running
    stop_app(running)


@pytest.fixture(scope="module")
def incident(app):
    """The id of the system-level incident of a demo system switched to failing, then recovered."""
    assert app.post(f"/api/demo/systems/{SYSTEM}/mode", json={"mode": "failing"}).status_code == 200

    def opened():
        rows = app.get(f"/api/incidents?system={SYSTEM}&open=1").json()["incidents"]
        return next((r["id"] for r in rows if r["subject_type"] == "system"), None)

    return wait_for(opened, 40, message=f"an open incident on {SYSTEM}")


PAGE_STATE = """() => {
const page = document.querySelector('.incident-page');
return {
  mayAct: page && page.dataset.mayAct,
  title: (document.querySelector('#inc-title') || {}).textContent || '',
  comments: Array.from(document.querySelectorAll('#inc-thread .inc-comment-text')).map(e => e.textContent),
  events: Array.from(document.querySelectorAll('.inc-event')).map(e => e.dataset.kind),
  actionsShown: !!document.querySelector('#inc-actions') && document.querySelector('#inc-actions').offsetParent !== null,
  readonly: (document.querySelector('#inc-readonly') || {}).textContent || '',
  done: (document.querySelector('.inc-done') || {}).textContent || '',
  listed: Array.from(document.querySelectorAll('.inc-row')).map(r => r.dataset.id),
};
}"""


@pytest.mark.browser
def test_incident_page_shows_the_thread_and_an_operator_comments(browser, app, incident):
    # signed in as the operator, not the admin
    page = browser.open(app, "/incidents", viewport=(1400, 1000), client=app.clients["operator"])
    wait_for(lambda: str(incident) in page.evaluate(PAGE_STATE)["listed"], 30, message="incident listed")

    page.goto(f"{app.url}/incidents/{incident}")
    state = wait_for(lambda: (s := page.evaluate(PAGE_STATE))["title"] and s, 30, message="incident page")
    assert f"Sự cố #{incident}" in state["title"] and state["mayAct"] == "1" and state["actionsShown"]
    assert state["comments"] == []
    assert state["events"][0] == "opened"

    text = "Đã gọi kỹ thuật viên <b>trực</b>"
    before = len(state["comments"])
    page.locator("#inc-comment-text").fill(text)
    page.evaluate("() => document.querySelector('#inc-comment-send').click()")
    state = wait_for(lambda: (s := page.evaluate(PAGE_STATE))["done"] and len(s["comments"]) > before and s,
                     20, message="comment shown")
    assert state["comments"][-1] == text  # literal text, not HTML
    assert "Đã gửi trao đổi" in state["done"]
    assert browser.errors() == []

    # a viewer reads the same page without the form
    viewer = browser.open(app, f"/incidents/{incident}", viewport=(1400, 1000), client=app.clients["viewer"])
    state = wait_for(lambda: (s := viewer.evaluate(PAGE_STATE))["title"] and s["readonly"] and s, 30,
                     message="viewer page")
    assert state["mayAct"] == "0" and not state["actionsShown"] and text in state["comments"]


def test_incident_api_thread_limits_roles_and_close(app, incident):
    viewer, operator = app.clients["viewer"], app.clients["operator"]
    url = f"{app.url}/api/incidents/{incident}"
    view = viewer.get(url, timeout=10).json()
    assert (view["id"], view["system_id"], view["state"]) == (incident, SYSTEM, "open")
    before = view["comments"]  # the browser test's comment, when it ran first
    assert view["timeline"][0]["kind"] == "opened"

    # viewers read only
    refused = viewer.post(url + "/comments", json={"text": "xem"}, timeout=10)
    assert refused.status_code == 403
    # bad input: clear JSON errors, nothing stored
    for body, status, message in [
        ({"text": "x" * 100_000}, 400, "100,000 characters, the limit is 4,000"),
        ({"text": "   "}, 400, "write something"),
        ({"text": 42}, 400, "expected text"),
        ({"nope": 1}, 400, '"text"'),
    ]:
        answer = operator.post(url + "/comments", json=body, timeout=10)
        assert answer.status_code == status and message in answer.json()["error"], answer.text
    assert operator.post(url + "/comments", data="not json", timeout=10).status_code == 400
    assert operator.post(f"{app.url}/api/incidents/999999/comments", json={"text": "x"}, timeout=10).status_code == 404
    assert viewer.get(url, timeout=10).json()["comments"] == before

    posted = operator.post(url + "/comments", json={"text": "VNPT đang kiểm tra máy chủ họp không giấy"}, timeout=10)
    assert posted.status_code == 201, posted.text
    assert [(c["author"], c["text"]) for c in posted.json()["comments"][len(before):]] == [
        ("operator", "VNPT đang kiểm tra máy chủ họp không giấy")]

    closing = operator.post(url + "/close", json={"note": "chưa"}, timeout=10)
    assert closing.status_code == 400 and "not resolved yet" in closing.json()["error"]
    acked = operator.post(url + "/acknowledge", json={"comment": "Đang xử lý"}, timeout=10)
    assert acked.status_code == 200 and acked.json()["state"] == "acknowledged"
    assert acked.json()["acknowledged_by"] == "operator" and acked.json()["mtta_s"] >= 0

    assert app.post(f"/api/demo/systems/{SYSTEM}/mode", json={"mode": "ok"}).status_code == 200
    wait_for(lambda: viewer.get(url, timeout=10).json()["state"] == "resolved", 40, message="incident resolved")
    closed = operator.post(url + "/close", json={"note": "Nguyên nhân: dịch vụ trả 503. Đã khởi động lại."}, timeout=10)
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["state"] == "closed" and body["closed_by"] == "operator" and body["mttr_s"] > 0
    assert body["postmortem"] == "Nguyên nhân: dịch vụ trả 503. Đã khởi động lại."
    assert [i["kind"] for i in body["timeline"]][-1] == "closed"
    assert operator.post(url + "/comments", json={"text": "thêm"}, timeout=10).status_code == 400

    stats = viewer.get(f"{app.url}/api/incidents/stats", params={"system": SYSTEM}, timeout=10).json()
    assert stats["system"] == SYSTEM and stats["incidents"] >= 1 and stats["resolved"] >= 1 and stats["mttr_s"] > 0
    bad = viewer.get(f"{app.url}/api/incidents/stats", params={"system": SYSTEM, "month": "2026-13"}, timeout=10)
    assert bad.status_code == 400 and "month" in bad.json()["error"]
    assert viewer.get(f"{app.url}/api/incidents/stats", params={"system": "nowhere"}, timeout=10).status_code == 404
