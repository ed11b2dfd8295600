"""The findings of the outside security audit, each against the real app (`python app.py` on
loopback) or the real code path: every test here failed before the fix."""
from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import time

import pytest
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.store.models import AuditEntry, CheckRequest, Endpoint, UserSession
from tests.conftest import PROJECT_DIR, free_port, login, start_app, stop_app

PASSWORDS = {"viewer": "viewer password 1", "operator": "operator password 1"}


def cli(app, *args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "app.py", *args, "--data-dir", str(app.data_dir)], cwd=PROJECT_DIR,
                          input=stdin, text=True, capture_output=True, timeout=60, env=env)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hardening")
    running = start_app(tmp)
    running.data_dir = tmp / f"data-{running.url.rsplit(':', 1)[1]}"
    for name in PASSWORDS:
        done = cli(running, "user", "create", name, "--role", name, stdin=PASSWORDS[name] + "\n")
        assert done.returncode == 0, done.stderr
    yield running
    stop_app(running)


def db(app) -> Session:
    return Session(create_engine(f"sqlite:///{app.data_dir / 'ioc.db'}"))


def kiosk_secret(app) -> str:
    return re.search(r"/wall\?kiosk=(\S+)", app.log()).group(1)


def kiosk_client(app) -> requests.Session:
    client = requests.Session()
    assert client.get(app.url + f"/wall?kiosk={kiosk_secret(app)}", timeout=10).status_code == 200
    return client


def router(client, app) -> dict:
    deps = client.get(app.url + "/_dash-dependencies", timeout=10).json()
    return next(d for d in deps if "_pages_content" in d["output"])


def router_body(dep: dict, inputs: list[dict]) -> dict:
    return {"output": dep["output"],
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": inputs, "state": [], "changedPropIds": ["_pages_location.pathname"]}


# ------------------------------------------------------------------ 1. page router by position


# a viewer may see /systems/<id> and /security: only the pages above each role are tried
@pytest.mark.parametrize("who, page", [("viewer", "/admin/audit"), ("kiosk", "/admin/audit"),
                                       ("kiosk", "/systems/lgsp"), ("kiosk", "/security")])
def test_reordered_router_inputs_do_not_render_a_page_above_the_role(app, who, page):
    client = kiosk_client(app) if who == "kiosk" else login(app.url, who, PASSWORDS[who])
    dep = router(client, app)
    # Dash renders the first input as the page; the check used to read the input whose id is
    # _pages_location.pathname, placed second here with a harmless page
    crafted = router_body(dep, [{"id": "decoy", "property": "pathname", "value": page},
                                {"id": "_pages_location", "property": "pathname", "value": "/wall"}])
    answer = client.post(app.url + "/_dash-update-component", json=crafted, timeout=20)
    assert answer.status_code in (400, 403), answer.text[:300]
    swapped = router_body(dep, [{"id": "_pages_location", "property": "search", "value": page},
                                {"id": "_pages_location", "property": "pathname", "value": "/wall"}])
    answer = client.post(app.url + "/_dash-update-component", json=swapped, timeout=20)
    assert answer.status_code in (400, 403), answer.text[:300]
    # the honest call for the same page is judged by the page itself
    honest = router_body(dep, [{"id": "_pages_location", "property": "pathname", "value": page},
                               {"id": "_pages_location", "property": "search", "value": ""}])
    assert client.post(app.url + "/_dash-update-component", json=honest, timeout=20).status_code == 403
    wall = router_body(dep, [{"id": "_pages_location", "property": "pathname", "value": "/wall"},
                             {"id": "_pages_location", "property": "search", "value": ""}])
    assert client.post(app.url + "/_dash-update-component", json=wall, timeout=20).status_code == 200


# ------------------------------------------------------------------ 2. server-side sessions


def test_a_copied_cookie_stops_working_after_logout(app):
    operator = login(app.url, "operator", PASSWORDS["operator"])
    thief = requests.Session()
    thief.cookies.update(operator.cookies)
    assert thief.get(app.url + "/api/systems", timeout=10).status_code == 200
    assert operator.get(app.url + "/logout", allow_redirects=False, timeout=10).status_code == 303
    assert thief.get(app.url + "/api/systems", timeout=10).status_code == 401
    with db(app) as session:
        before = session.scalar(select(func.count()).select_from(CheckRequest))
    assert thief.post(app.url + "/api/endpoints/lgsp.health/check", timeout=10).status_code == 401
    with db(app) as session:
        assert session.scalar(select(func.count()).select_from(CheckRequest)) == before
        assert session.scalar(select(func.count()).select_from(UserSession).where(UserSession.revoked_at.is_not(None))) >= 1


def test_sign_out_everywhere_from_the_command_line(app):
    laptop, phone = login(app.url, "viewer", PASSWORDS["viewer"]), login(app.url, "viewer", PASSWORDS["viewer"])
    assert laptop.get(app.url + "/api/systems", timeout=10).status_code == 200
    assert phone.get(app.url + "/api/systems", timeout=10).status_code == 200
    done = cli(app, "user", "logout-all", "viewer")
    assert done.returncode == 0 and "signed out everywhere" in done.stdout, done.stderr
    assert laptop.get(app.url + "/api/systems", timeout=10).status_code == 401
    assert phone.get(app.url + "/api/systems", timeout=10).status_code == 401
    assert login(app.url, "viewer", PASSWORDS["viewer"]).get(app.url + "/api/systems", timeout=10).status_code == 200
    assert cli(app, "user", "logout-all", "nobody-here").returncode == 2
    with db(app) as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "user.logout_all")) is not None


def test_the_session_table_holds_no_usable_session_id(app):
    client = login(app.url, "viewer", PASSWORDS["viewer"])
    from itsdangerous import URLSafeTimedSerializer  # noqa: F401 - Flask's signer: the cookie is signed, not secret

    with db(app) as session:
        hashes = set(session.scalars(select(UserSession.id_hash)))
    assert all(len(h) == 64 for h in hashes)
    assert not any(h in str(client.cookies.get("ioc_session")) for h in hashes)


# ------------------------------------------------------------------ 5. next= redirects


@pytest.mark.parametrize("target", ["/\t/evil.example", "/%09/evil.example", "//evil.example", "/\\evil.example",
                                    "https://evil.example/", "/\r\nSet-Cookie: x=1", "/\n/evil.example",
                                    "javascript:alert(1)", "/ok\x7f"])
def test_login_next_goes_only_to_local_paths(app, target):
    client = requests.Session()
    shown = client.get(app.url + "/login", params={"next": target}, timeout=10)
    assert shown.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', shown.text).group(1)
    sent_next = re.search(r'name="next" value="([^"]*)"', shown.text).group(1)
    assert sent_next == "/"
    answer = client.post(app.url + "/login", allow_redirects=False, timeout=10,
                         data={"csrf": csrf, "username": "viewer", "password": PASSWORDS["viewer"], "next": target})
    assert answer.status_code == 303 and answer.headers["Location"] == "/", answer.headers.get("Location")


def test_login_next_keeps_a_local_path(app):
    client = requests.Session()
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get(app.url + "/login", timeout=10).text).group(1)
    answer = client.post(app.url + "/login", allow_redirects=False, timeout=10,
                         data={"csrf": csrf, "username": "viewer", "password": PASSWORDS["viewer"],
                               "next": "/systems/lgsp?tab=history"})
    assert answer.headers["Location"] == "/systems/lgsp?tab=history"


# ------------------------------------------------------------------ 6. cross-origin writes


def test_a_cross_origin_post_from_another_port_changes_nothing(app):
    operator = login(app.url, "operator", PASSWORDS["operator"])
    other = f"http://127.0.0.1:{free_port()}"
    with db(app) as session:
        before = session.scalar(select(func.count()).select_from(CheckRequest).where(CheckRequest.endpoint_id == "dvc.health"))
    for headers in ({"Origin": other}, {"Origin": "null"}, {"Sec-Fetch-Site": "same-site"}, {"Referer": other + "/x"}):
        answer = operator.post(app.url + "/api/endpoints/dvc.health/check", headers=headers, timeout=10)
        assert answer.status_code == 403, headers
        assert "cross-origin" in answer.json()["error"]
    deps = operator.get(app.url + "/_dash-dependencies", timeout=10).json()
    check_now = next(d for d in deps if "detail-action-result" in d["output"] and any(i["id"] == "detail-check-now" for i in d["inputs"]))
    body = {"output": check_now["output"], "outputs": [], "changedPropIds": ["detail-check-now.n_clicks"],
            "inputs": [{"id": i["id"], "property": i["property"], "value": 1} for i in check_now["inputs"]],
            "state": [{"id": s["id"], "property": s["property"], "value": None} for s in check_now["state"]]}
    assert operator.post(app.url + "/_dash-update-component", json=body, headers={"Origin": other}, timeout=10).status_code == 403
    with db(app) as session:
        after = session.scalar(select(func.count()).select_from(CheckRequest).where(CheckRequest.endpoint_id == "dvc.health"))
    assert after == before
    # the app's own pages (same origin) still act
    same = operator.post(app.url + "/api/endpoints/dvc.health/check", headers={"Origin": app.url}, timeout=10)
    assert same.status_code == 202


# ------------------------------------------------------------------ 8. no unhandled 500s


def test_unknown_paths_and_ids_get_clear_404s(app):
    anon = requests.Session()
    suite = anon.get(app.url + "/_dash-component-suites/nope/x.js", timeout=10)
    assert suite.status_code == 404
    for path in ("/api/nope", "/api/systems/extra/segments", "/api"):
        answer = app.get(path)
        assert answer.status_code == 404 and answer.headers["Content-Type"].startswith("application/json"), path
        assert "error" in answer.json()
    assert anon.get(app.url + "/api/nope", timeout=10).status_code == 401  # strangers learn nothing
    assert app.get("/api/alerts/" + "9" * 20).status_code == 404
    assert app.get("/api/alerts?offset=" + "9" * 30).status_code == 400


# ------------------------------------------------------------------ 9. headers, files, secrets, passwords


def test_neutral_server_header(app):
    for path in ("/login", "/api/health", "/assets/bootstrap.min.css"):
        server = requests.get(app.url + path, timeout=10).headers.get("Server", "")
        assert "Werkzeug" not in server and "Python" not in server, server
    assert "Strict-Transport-Security" not in requests.get(app.url + "/login", timeout=10).headers  # plain http


def test_data_directory_and_database_are_private(app):
    assert stat.S_IMODE(os.stat(app.data_dir).st_mode) == 0o700
    files = [p for p in app.data_dir.iterdir() if p.name.startswith("ioc.db")]
    assert files
    for path in files:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_weak_passwords_are_refused(app):
    for weak in ("aaaaaaaaaa", "password123", "1234567890", "qwertyuiop", "Password1!", "matkhau123"):
        done = cli(app, "user", "create", "weakling", "--role", "viewer", stdin=weak + "\n")
        assert done.returncode == 2 and "password" in done.stderr, (weak, done.stderr)
    done = cli(app, "user", "reset-password", "viewer", stdin="aaaaaaaaaa\n")
    assert done.returncode == 2
    assert login(app.url, "viewer", PASSWORDS["viewer"])  # unchanged


# ------------------------------------------------------------------ 10. kiosk links and people


def test_a_signed_in_admin_opening_a_kiosk_link_stays_admin(app):
    admin = login(app.url, *app.admin)
    opened = admin.get(app.url + f"/wall?kiosk={kiosk_secret(app)}", allow_redirects=False, timeout=10)
    assert opened.status_code == 303 and opened.headers["Location"] == "/wall"  # the secret leaves the address bar
    assert admin.get(app.url + "/admin/audit", allow_redirects=False, timeout=10).status_code == 200
    assert admin.get(app.url + "/api/systems", timeout=10).status_code == 200


# ------------------------------------------------------------------ 7. length policy on the server


def maintenance_call(client, app, hours, reason: str) -> requests.Response:
    """The drill-down page's "save maintenance" callback, as the browser sends it."""
    deps = client.get(app.url + "/_dash-dependencies", timeout=10).json()
    dep = next(d for d in deps if any(i["id"] == "detail-mw-save" for i in d["inputs"]))
    values = {"detail-mw-start": "2026-12-24T22:00", "detail-mw-hours": hours, "detail-mw-reason": reason,
              "detail-subject": {"type": "system", "id": "lgsp"}, "lang-toggle": "vi", "detail-bump": 0}
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1].split("@")[0]}
               for part in dep["output"].strip(".").split("...")]
    body = {"output": dep["output"], "outputs": outputs, "changedPropIds": ["detail-mw-save.n_clicks"],
            "inputs": [{"id": i["id"], "property": i["property"], "value": 1} for i in dep["inputs"]],
            "state": [{"id": st["id"], "property": st["property"], "value": values.get(st["id"])} for st in dep["state"]]}
    return client.post(app.url + "/_dash-update-component", json=body, headers={"Origin": app.url}, timeout=20)


def windows(app) -> int:
    from dashboard.store.models import MaintenanceWindow

    with db(app) as session:
        return session.scalar(select(func.count()).select_from(MaintenanceWindow))


@pytest.mark.parametrize("hours, reason, message", [
    (1e9, "Nâng cấp", "31"),  # a date overflow (500) before
    (1e300, "Nâng cấp", "giờ"),  # beyond what a timedelta holds
    (2, "x" * 100_000, "500"),  # 100,000 characters were stored before
])
def test_maintenance_window_inputs_are_refused_with_a_message(app, hours, reason, message):
    operator = login(app.url, "operator", PASSWORDS["operator"])
    before = windows(app)
    answer = maintenance_call(operator, app, hours, reason)
    assert answer.status_code == 200, answer.text[:300]
    shown = answer.json()["response"]["detail-action-result"]["children"]["props"]["children"]
    assert message in shown and "action-ok" not in answer.text
    assert windows(app) == before
    ok = maintenance_call(operator, app, 2, "Nâng cấp máy chủ")  # and a sane one is saved
    assert "action-ok" in ok.text and windows(app) == before + 1


def sample_alert():
    from dashboard.alerts.rules import AlertInput

    return AlertInput(source_kind="webhook", source="soc", severity="low", category="malware", title="Trojan found")


def test_overlong_alert_and_incident_comments_are_refused(any_db):
    from dashboard.alerts import rules as alert_rules
    from dashboard.domain.limits import TextTooLong, check_text, limit_of
    from dashboard.monitoring import actions
    from dashboard.store.models import Alert, Incident

    with pytest.raises(TextTooLong, match="500"):
        check_text("maintenance.reason", "x" * 100_000)
    assert check_text("plan.notes", "x" * limit_of("plan.notes")) == "x" * limit_of("plan.notes")
    from dashboard.catalog.loader import apply_catalog, parse_catalog
    from tests.test_drilldown_db import CATALOG

    with any_db.session() as session:
        apply_catalog(session, parse_catalog(CATALOG, "test.yaml", {}), units=[])
    with any_db.session() as session:
        incident = Incident(subject_type="endpoint", subject_id="lgsp.health", system_id="lgsp", severity="down",
                            started_at=utcnow(), cause="x")
        session.add(incident)
        session.flush()
        incident_id = incident.id
        alert = alert_rules.raise_alert(session, sample_alert(), utcnow()).alert
        alert_id = alert.id
    with any_db.session() as session:
        with pytest.raises(actions.ActionError, match="2.000"):
            actions.acknowledge(session, incident_id, "x" * 100_000, user="op")
        with pytest.raises(alert_rules.AlertError, match="2,000"):
            alert_rules.acknowledge(session, alert_id, "op", "y" * 100_000)
    with any_db.session() as session:
        assert session.get(Incident, incident_id).ack_comment is None
        assert session.get(Alert, alert_id).status == "new" and session.get(Alert, alert_id).status_comment is None


# ------------------------------------------------------------------ 11. one instance per data


def test_a_second_instance_refuses_to_start_and_changes_nothing(app):
    with db(app) as session:
        targets = dict(session.execute(select(Endpoint.id, Endpoint.target)).all())
    port = free_port()
    started = time.monotonic()
    second = subprocess.run(
        [sys.executable, "app.py", "--port", str(port), "--data-dir", str(app.data_dir)], cwd=PROJECT_DIR,
        env={**os.environ, "IOC_SECRET_KEY": "k" + os.urandom(32).hex(), "IOC_DEMO_ADMIN_PASSWORD": "another password 9"},
        capture_output=True, text=True, timeout=60)
    assert second.returncode != 0
    assert "another IOC instance" in second.stderr and str(app.process.pid) in second.stderr, second.stderr
    assert "demo login" not in second.stdout
    assert time.monotonic() - started < 30
    with db(app) as session:
        assert dict(session.execute(select(Endpoint.id, Endpoint.target)).all()) == targets
    login(app.url, *app.admin)  # the running instance's demo-admin password is unchanged
    assert app.process.poll() is None


# ------------------------------------------------------------------ start-up checks before any write


@pytest.mark.parametrize("key", ["a" * 32, "abcdefghijklmnopqrstuvwxyz012345", "passwordpasswordpasswordpassword"])
def test_a_weak_secret_key_is_refused_before_anything_is_written(tmp_path, key):
    from tests.test_catalog import MINIMAL

    data = tmp_path / "data"
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(MINIMAL, encoding="utf-8")
    done = subprocess.run([sys.executable, "app.py", "serve", "--port", str(free_port()), "--data-dir", str(data),
                           "--catalog", str(catalog)], cwd=PROJECT_DIR, env={**os.environ, "IOC_SECRET_KEY": key},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "IOC_SECRET_KEY" in done.stderr, done.stderr
    assert not data.exists() or not any(data.iterdir())


def test_hsts_when_cookies_are_secure(tmp_path):
    running = start_app(tmp_path, env={"IOC_COOKIE_SECURE": "true"})
    try:
        answer = requests.get(running.url + "/login", timeout=10)
        assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "Werkzeug" not in answer.headers.get("Server", "")
    finally:
        stop_app(running)


# ------------------------------------------------------------------ webhook bodies


@pytest.fixture(scope="module")
def webhook_token(app) -> str:
    out = subprocess.run([sys.executable, "-m", "dashboard.alerts.cli", "--data-dir", str(app.data_dir), "create", "soc-deep"],
                         cwd=PROJECT_DIR, capture_output=True, text=True, check=True).stdout
    return out.splitlines()[1].strip()


@pytest.mark.parametrize("body", [b"[" * 65_000, b'{"a":' * 5000 + b"1" + b"}" * 5000,
                                  b'{"title": "x", "severity": "low", "labels": ' + b"[" * 60 + b"]" * 60 + b"}"],
                         ids=["64k-of-brackets", "5000-levels", "60-levels-inside-an-alert"])
def test_deeply_nested_webhook_bodies_are_400(app, webhook_token, body):
    answer = requests.post(app.url + "/api/alerts/ingest/soc-deep", data=body,
                           headers={"Content-Type": "application/json", "Authorization": f"Bearer {webhook_token}"},
                           timeout=10)
    assert answer.status_code == 400, (answer.status_code, answer.text[:200])
    assert "nested" in answer.text or "JSON" in answer.text


# ------------------------------------------------------------------ the instance lock itself


def test_instance_lock_on_the_data_directory(tmp_path):
    from dashboard.store.instance_lock import AlreadyRunning, InstanceLock

    data = tmp_path / "data"
    first = InstanceLock(data, None, exclusive=True).acquire()
    try:
        assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
        assert (data / "ioc.lock").read_text().strip() == str(os.getpid())
        for exclusive in (True, False):
            with pytest.raises(AlreadyRunning, match=str(os.getpid())):
                InstanceLock(data, None, exclusive=exclusive).acquire()
    finally:
        first.release()
    # web and collector processes of a production install share it; an `all` instance may not join
    serve, collect = InstanceLock(data, None, False).acquire(), InstanceLock(data, None, False).acquire()
    try:
        with pytest.raises(AlreadyRunning):
            InstanceLock(data, None, exclusive=True).acquire()
    finally:
        serve.release()
        collect.release()
    InstanceLock(data, None, exclusive=True).acquire().release()  # free again once they stop


@pytest.mark.postgres
def test_instance_lock_on_a_postgres_database(tmp_path, postgres_url):
    from dashboard.store.instance_lock import AlreadyRunning, InstanceLock

    first = InstanceLock(tmp_path / "a", postgres_url, exclusive=True).acquire()
    try:
        with pytest.raises(AlreadyRunning, match="database"):  # another data directory, the same database
            InstanceLock(tmp_path / "b", postgres_url, exclusive=True).acquire()
        with pytest.raises(AlreadyRunning):
            InstanceLock(tmp_path / "c", postgres_url, exclusive=False).acquire()
    finally:
        first.release()
    shared = [InstanceLock(tmp_path / n, postgres_url, exclusive=False).acquire() for n in ("d", "e")]
    for lock in shared:
        lock.release()
    InstanceLock(tmp_path / "f", postgres_url, exclusive=True).acquire().release()


def test_session_rows_start_end_and_are_pruned(any_db):
    from datetime import timedelta

    from flask import Flask, session

    from dashboard.auth import sessions, users

    server = Flask(__name__)
    server.secret_key = "k" * 8 + os.urandom(16).hex()
    with any_db.session() as db_session:
        user = users.create_user(db_session, "lan.nguyen", "viewer", "lan nguyen password 7")
        user_id = user.id
        with server.test_request_context("/"):
            sessions.start_user_session(db_session, user, 12, "10.0.0.5")
            first_sid = session["sid"]
            sessions.end_session(db_session)
            assert "sid" not in session
        old = db_session.get(UserSession, sessions._hash(first_sid))
        assert old.revoked_at is not None and old.address == "10.0.0.5"
        old.revoked_at -= timedelta(days=2)  # ended two days ago: pruned at the next login
        with server.test_request_context("/"):
            sessions.start_user_session(db_session, user, 12)
        db_session.flush()
        rows = db_session.scalars(select(UserSession).where(UserSession.user_id == user_id)).all()
        assert len(rows) == 1 and rows[0].revoked_at is None
        assert users.logout_all(db_session, "lan.nguyen") == 1
        assert users.logout_all(db_session, "lan.nguyen") == 0
