"""Access control on the real app: every role against every kind of action, over HTTP, including
Dash callbacks crafted by hand; kiosk limits; login throttling; audit entries; the command line."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from dashboard.auth import throttle
from dashboard.store.models import AuditEntry, CheckRequest
from tests.conftest import PROJECT_DIR, login, start_app, stop_app

PASSWORDS = {"viewer": "viewer password 1", "operator": "operator password 1", "admin2": "admin password 1"}


def cli(app, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "app.py", *args, "--data-dir", str(app.data_dir)], cwd=PROJECT_DIR,
                          input=stdin, text=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("auth")
    running = start_app(tmp)
    running.data_dir = tmp / f"data-{running.url.rsplit(':', 1)[1]}"
    for name, role in (("viewer", "viewer"), ("operator", "operator"), ("admin2", "admin")):
        done = cli(running, "user", "create", name, "--role", role, stdin=PASSWORDS[name] + "\n")
        assert done.returncode == 0, done.stderr
    yield running
    stop_app(running)


@pytest.fixture(scope="module")
def clients(app):
    return {"anonymous": requests.Session(), **{n: login(app.url, n, p) for n, p in PASSWORDS.items()}}


def db(app) -> Session:
    return Session(create_engine(f"sqlite:///{app.data_dir / 'ioc.db'}"))


def kiosk_secret(app) -> str:
    return re.search(r"/wall\?kiosk=(\S+)", app.log()).group(1)


# ------------------------------------------------------------------ crafted callback requests


def dependencies(app) -> list[dict]:
    return app.get("/_dash-dependencies").json()


def find_callback(deps, output_part: str, input_id: str | None = None) -> dict:
    for dep in deps:
        if output_part in dep["output"] and (input_id is None or any(i["id"] == input_id for i in dep["inputs"])):
            return dep
    raise AssertionError(f"no callback with output {output_part} and input {input_id}")


def call_body(dep: dict, values: dict | None = None, state: dict | None = None) -> dict:
    """The body the Dash renderer would send for this callback."""
    values, state = values or {}, state or {}
    outputs = []
    for part in dep["output"].strip(".").split("..."):
        component, prop = part.rsplit(".", 1)
        outputs.append({"id": component, "property": prop.split("@")[0]})
    return {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [{"id": i["id"], "property": i["property"], "value": values.get(i["id"])} for i in dep["inputs"]],
        "state": [{"id": s["id"], "property": s["property"], "value": state.get(s["id"])} for s in dep["state"]],
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in dep["inputs"] if i["id"] in values],
    }


def post_callback(client, app, body) -> requests.Response:
    return client.post(app.url + "/_dash-update-component", json=body, timeout=20)


# ------------------------------------------------------------------ anonymous


def test_anonymous_sees_only_the_login_page(app):
    anon = requests.Session()
    for page in ("/", "/systems", "/security", "/progress", "/admin/audit", "/wall", "/not-yet-a-page"):
        answer = anon.get(app.url + page, allow_redirects=False, timeout=10)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login?next="), page
    for api in ("/api/systems", "/api/incidents", "/api/progress", "/api/alerts", "/_dash-layout", "/_dash-dependencies"):
        assert anon.get(app.url + api, timeout=10).status_code == 401, api
    assert anon.post(app.url + "/_dash-update-component", json={"output": "x.children"}, timeout=10).status_code == 401
    assert anon.post(app.url + "/api/demo/systems/qlvb/mode", json={"mode": "failing"}, timeout=10).status_code == 401
    login_page = anon.get(app.url + "/login", timeout=10)
    assert login_page.status_code == 200 and "Đăng nhập" in login_page.text and "Sign in" in login_page.text
    assert anon.get(app.url + "/assets/bootstrap.min.css", timeout=10).status_code == 200
    # liveness only: no details for strangers
    assert anon.get(app.url + "/api/health", timeout=10).json() == {"status": "ok"}
    assert "database" in app.get("/api/health").json() or len(app.get("/api/health").json()) > 1


def test_security_headers_on_every_answer(app):
    for path in ("/login", "/", "/api/systems", "/assets/bootstrap.min.css"):
        headers = app.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert "'unsafe-eval'" not in csp and "script-src 'self' 'sha256-" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
    cookie = requests.Session().get(app.url + "/login", timeout=10).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# ------------------------------------------------------------------ roles × actions

ROLE_NAMES = ("anonymous", "viewer", "operator", "admin2")


@pytest.mark.parametrize("method, path, body, expected", [
    ("GET", "/", None, (302, 200, 200, 200)),
    ("GET", "/systems/lgsp", None, (302, 200, 200, 200)),
    ("GET", "/admin/audit", None, (302, 403, 403, 200)),
    ("GET", "/api/systems", None, (401, 200, 200, 200)),
    ("POST", "/api/endpoints/lgsp.health/check", None, (401, 403, 202, 202)),
    ("POST", "/api/demo/systems/lgsp/mode", {"mode": "ok"}, (401, 403, 200, 200)),
    ("POST", "/api/settings", {}, (401, 403, 403, "not refused")),  # no such route: only an admin gets that far
])
def test_each_role_against_each_http_action(app, clients, method, path, body, expected):
    got = tuple(clients[r].request(method, app.url + path, json=body, allow_redirects=False, timeout=20).status_code
                for r in ROLE_NAMES)
    if expected[-1] == "not refused":
        got = got[:-1] + ("not refused" if got[-1] not in (401, 403) else got[-1],)
    assert got == expected


def test_each_role_against_each_callback_action(app, clients):
    deps = dependencies(app)
    endpoint = "lgsp.health"
    cases = [
        # (callback, inputs, state, expected status per role: viewer, operator, admin)
        (find_callback(deps, "overview-tiles"), {"lang-toggle": "vi"}, {}, (200, 200, 200)),
        (find_callback(deps, "detail-action-result", "detail-check-now"), {"detail-check-now": 1},
         {"detail-subject": {"type": "endpoint", "id": endpoint}, "lang-toggle": "vi", "detail-bump": 0}, (403, 200, 200)),
        (find_callback(deps, "op-alert-result"), {"alert-ack": 1}, {"alert-id": 999999}, (403, 200, 200)),
        (find_callback(deps, "admin-alert-import-result"), {"sec-upload": None}, {}, (403, 403, 204)),
        (find_callback(deps, "plan-import-result.children", "plan-confirm"), {"plan-confirm": None}, {}, (403, 403, 200)),
    ]
    for dep, values, state, expected in cases:
        body = call_body(dep, values, state)
        got = tuple(post_callback(clients[r], app, body).status_code for r in ("viewer", "operator", "admin2"))
        assert got == expected, dep["output"]
        assert post_callback(clients["anonymous"], app, body).status_code == 401


def test_a_crafted_callback_cannot_claim_harmless_outputs(app, clients):
    """Dash picks the function by body["output"]; the check does too, whatever "outputs" says."""
    deps = dependencies(app)
    check_now = find_callback(deps, "detail-action-result", "detail-check-now")
    body = call_body(check_now, {"detail-check-now": 1}, {"detail-subject": {"type": "endpoint", "id": "qlvb.health"}})
    body["outputs"] = [{"id": "overview-heading", "property": "children"}, {"id": "overview-clock", "property": "children"}]
    with db(app) as session:
        before = session.scalar(select(func.count()).select_from(CheckRequest).where(CheckRequest.endpoint_id == "qlvb.health"))
    assert post_callback(clients["viewer"], app, body).status_code == 403
    body["output"] = "..overview-heading.children...made-up.children.."
    assert post_callback(clients["viewer"], app, body).status_code == 400  # not a registered callback
    with db(app) as session:
        after = session.scalar(select(func.count()).select_from(CheckRequest).where(CheckRequest.endpoint_id == "qlvb.health"))
    assert after == before


def test_page_router_callback_refuses_pages_above_the_role(app, clients):
    router = find_callback(dependencies(app), "_pages_content")
    body = lambda path: call_body(router, {"_pages_location": path})  # noqa: E731
    assert post_callback(clients["viewer"], app, body("/admin/audit")).status_code == 403
    assert post_callback(clients["admin2"], app, body("/admin/audit")).status_code == 200
    assert post_callback(clients["viewer"], app, body("/systems")).status_code == 200


def test_api_token_reads_and_never_writes(app):
    made = cli(app, "token", "create", "tinh-portal")
    assert made.returncode == 0, made.stderr
    secret = re.search(r"^(ioc_\S+)$", made.stdout, re.M).group(1)
    bearer = {"Authorization": f"Bearer {secret}"}
    anon = requests.Session()
    assert anon.get(app.url + "/api/systems", headers=bearer, timeout=10).status_code == 200
    assert anon.get(app.url + "/api/incidents", headers=bearer, timeout=10).status_code == 200
    assert anon.post(app.url + "/api/endpoints/lgsp.health/check", headers=bearer, timeout=10).status_code == 403
    assert anon.get(app.url + "/", headers=bearer, allow_redirects=False, timeout=10).status_code == 403
    assert anon.get(app.url + "/api/systems", headers={"Authorization": "Bearer ioc_wrong"}, timeout=10).status_code == 401
    listed = cli(app, "token", "list").stdout
    assert "tinh-portal" in listed and secret not in listed
    token_id = re.search(r"^\s*(\d+)\s+api\s.*tinh-portal", listed, re.M).group(1)
    assert cli(app, "token", "revoke", token_id).returncode == 0
    assert anon.get(app.url + "/api/systems", headers=bearer, timeout=10).status_code == 401


# ------------------------------------------------------------------ kiosk


def test_kiosk_token_shows_the_wall_and_nothing_else(app):
    kiosk = requests.Session()
    entered = kiosk.get(app.url + f"/wall?kiosk={kiosk_secret(app)}", allow_redirects=False, timeout=10)
    assert entered.status_code == 303 and entered.headers["Location"] == "/wall"  # the secret leaves the address bar
    assert kiosk.get(app.url + "/wall", timeout=10).status_code == 200
    assert kiosk.get(app.url + "/wall/map", timeout=10).status_code == 200
    for page in ("/", "/systems", "/systems/lgsp", "/security", "/admin/audit", "/units/x"):
        assert kiosk.get(app.url + page, allow_redirects=False, timeout=10).status_code == 403, page
    assert kiosk.get(app.url + "/api/systems", timeout=10).status_code == 403
    assert kiosk.post(app.url + "/api/demo/systems/lgsp/mode", json={"mode": "ok"}, timeout=10).status_code == 403
    deps = kiosk.get(app.url + "/_dash-dependencies", timeout=10).json()
    wall = [d for d in deps if d["output"].lstrip(".").startswith("wall-") and not any("@" in p for p in d["output"].split("..."))]
    assert wall
    assert post_callback(kiosk, app, call_body(wall[0], {"lang-toggle": "vi"})).status_code in (200, 204)
    router = find_callback(deps, "_pages_content")
    assert post_callback(kiosk, app, call_body(router, {"_pages_location": "/wall"})).status_code == 200
    assert post_callback(kiosk, app, call_body(router, {"_pages_location": "/systems"})).status_code == 403
    assert post_callback(kiosk, app, call_body(find_callback(deps, "overview-tiles"), {"lang-toggle": "vi"})).status_code == 403
    check_now = find_callback(deps, "detail-action-result", "detail-check-now")
    assert post_callback(kiosk, app, call_body(check_now, {"detail-check-now": 1})).status_code == 403


def test_wrong_kiosk_token_is_refused(app):
    assert requests.get(app.url + "/wall?kiosk=kiosk_wrong", timeout=10).status_code == 403


# ------------------------------------------------------------------ logins, throttle, audit


def test_login_throttle_blocks_even_the_right_password_then_audits(app):
    assert cli(app, "user", "create", "thao", "--role", "viewer", stdin="thao password 1\n").returncode == 0
    client = requests.Session()
    for _ in range(throttle.MAX_FAILURES_PER_ACCOUNT):
        form = client.get(app.url + "/login", timeout=10).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        wrong = client.post(app.url + "/login", data={"csrf": csrf, "username": "thao", "password": "nope nope nope"},
                            allow_redirects=False, timeout=10)
        assert wrong.status_code == 200 and "không đúng" in wrong.text and "login-form" in wrong.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get(app.url + "/login", timeout=10).text).group(1)
    blocked = client.post(app.url + "/login", data={"csrf": csrf, "username": "thao", "password": "thao password 1"},
                          allow_redirects=False, timeout=10)
    assert blocked.status_code == 429 and "15 phút" in blocked.text
    with db(app) as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.target == "thao", AuditEntry.action.startswith("login"))).all()
        assert [r.action for r in rows].count("login.failed") == throttle.MAX_FAILURES_PER_ACCOUNT
        assert "login.throttled" in [r.action for r in rows]
        assert all(r.address == "127.0.0.1" for r in rows)


def test_login_needs_the_form_token_and_goes_only_to_local_pages(app):
    client = requests.Session()
    no_csrf = client.post(app.url + "/login", data={"username": "viewer", "password": PASSWORDS["viewer"]},
                          allow_redirects=False, timeout=10)
    assert no_csrf.status_code == 400
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get(app.url + "/login", timeout=10).text).group(1)
    ok = client.post(app.url + "/login", data={"csrf": csrf, "username": "viewer", "password": PASSWORDS["viewer"],
                                               "next": "//evil.example/x"}, allow_redirects=False, timeout=10)
    assert ok.status_code == 303 and ok.headers["Location"] == "/"


def test_actions_are_audited_with_who_and_where(app, clients):
    assert clients["operator"].post(app.url + "/api/endpoints/dvc.health/check", timeout=10).status_code == 202
    deps = dependencies(app)
    check_now = find_callback(deps, "detail-action-result", "detail-check-now")
    body = call_body(check_now, {"detail-check-now": 1},
                     {"detail-subject": {"type": "endpoint", "id": "qlvb.health"}, "lang-toggle": "vi", "detail-bump": 0})
    assert post_callback(clients["operator"], app, body).status_code == 200
    with db(app) as session:
        checks = session.scalars(select(AuditEntry).where(AuditEntry.action == "endpoint.check_now",
                                                          AuditEntry.actor == "operator")).all()
        targets = {c.target for c in checks}
        assert {"dvc.health", "qlvb.health"} <= targets
        assert all(c.address == "127.0.0.1" for c in checks)
        requested = session.scalars(select(CheckRequest.requested_by).where(CheckRequest.endpoint_id == "qlvb.health")).all()
        assert "operator" in requested
        logins = session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "login")).all()
        assert {"viewer", "operator", "admin2"} <= set(logins)


def test_audit_page_shows_entries_to_an_admin(app, clients):
    dep = find_callback(dependencies(app), "admin-audit-table")
    body = call_body(dep, {"lang-toggle": "vi", "admin-audit-action": "login", "admin-audit-search": None})
    answer = post_callback(clients["admin2"], app, body)
    assert answer.status_code == 200 and "login" in answer.text and "admin2" in answer.text
    assert post_callback(clients["operator"], app, body).status_code == 403


# ------------------------------------------------------------------ command line and sessions


def test_cli_role_change_disable_and_reset_end_existing_sessions(app):
    assert cli(app, "user", "create", "minh", "--role", "viewer", stdin="minh password 1\n").returncode == 0
    minh = login(app.url, "minh", "minh password 1")
    assert minh.post(app.url + "/api/endpoints/lgsp.health/check", timeout=10).status_code == 403
    assert cli(app, "user", "set-role", "minh", "operator").returncode == 0
    assert minh.get(app.url + "/api/systems", timeout=10).status_code == 401  # the old session ended
    minh = login(app.url, "minh", "minh password 1")
    assert minh.post(app.url + "/api/endpoints/lgsp.health/check", timeout=10).status_code == 202
    listed = cli(app, "user", "list").stdout
    assert re.search(r"^minh\s+operator\s+active", listed, re.M)
    assert cli(app, "user", "disable", "minh").returncode == 0
    assert minh.get(app.url + "/api/systems", timeout=10).status_code == 401
    with pytest.raises(AssertionError):
        login(app.url, "minh", "minh password 1")
    assert cli(app, "user", "enable", "minh").returncode == 0
    assert cli(app, "user", "reset-password", "minh", stdin="minh new password\n").returncode == 0
    login(app.url, "minh", "minh new password")
    weak = cli(app, "user", "reset-password", "minh", stdin="short\n")
    assert weak.returncode == 2 and "at least" in weak.stderr
    assert cli(app, "user", "create", "minh", "--role", "viewer", stdin="whatever long\n").returncode == 2


def test_no_stack_trace_reaches_the_browser(app, clients):
    dep = find_callback(dependencies(app), "overview-tiles")
    body = call_body(dep, {"lang-toggle": "vi"})
    body["inputs"] = [{"id": "nope", "property": "value"}]  # makes Dash itself fail
    answer = post_callback(clients["viewer"], app, body)
    assert answer.status_code in (400, 500)
    assert "Traceback" not in answer.text and "File \"" not in answer.text


def test_request_size_is_limited(app, clients):
    big = b"x" * (21 * 1024 * 1024)
    answer = clients["admin2"].post(app.url + "/_dash-update-component", data=big,
                                    headers={"Content-Type": "application/json"}, timeout=30)
    assert answer.status_code == 413


def test_kiosk_allow_list_shows_the_wall_to_listed_addresses_only(tmp_path):
    allowed = start_app(tmp_path, env={"IOC_KIOSK_ALLOW": "127.0.0.1/32", "IOC_WALL_FRAME_ANCESTORS": "https://portal.example"})
    try:
        wall = requests.Session()
        page = wall.get(allowed.url + "/wall", allow_redirects=False, timeout=10)
        assert page.status_code == 200
        assert "frame-ancestors https://portal.example" in page.headers["Content-Security-Policy"]
        assert "X-Frame-Options" not in page.headers
        other = wall.get(allowed.url + "/", allow_redirects=False, timeout=10)
        assert other.status_code == 403 and "frame-ancestors 'none'" in other.headers["Content-Security-Policy"]
        assert wall.get(allowed.url + "/api/systems", timeout=10).status_code == 403
        assert allowed.get("/systems").status_code == 200  # a signed-in person is still themselves
    finally:
        stop_app(allowed)
    # the same app without the list: a stranger from that address must sign in
    closed = start_app(tmp_path, env={"IOC_KIOSK_ALLOW": "10.0.0.0/24"})
    try:
        assert requests.get(closed.url + "/wall", allow_redirects=False, timeout=10).status_code == 302
    finally:
        stop_app(closed)


def test_demo_fault_switch_is_audited(app, clients):
    assert clients["operator"].post(app.url + "/api/demo/systems/ioc/mode", json={"mode": "ok"}, timeout=10).status_code == 200
    with db(app) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "demo.set_mode", AuditEntry.target == "ioc")).first()
        assert entry.actor == "operator" and entry.detail["mode"] == "ok"
