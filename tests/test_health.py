"""/api/health tells the truth, and reads survive a database that refuses writes: through the real
Flask app (in process, on SQLite), with SQLITE_FULL and an unreachable database simulated at the
driver (every write statement, or every statement, fails the way SQLite and the network do)."""
from __future__ import annotations

import importlib.util
import secrets
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, update

from collectors.timeutil import utcnow
from dashboard.auth import tokens
from dashboard.config import Settings
from dashboard.domain.status import DISK_LOW_BYTES, health_verdict
from dashboard.store.models import RuntimeState
from dashboard.store.runtime_keys import COLLECTOR_DEAD_AFTER_S, HEARTBEAT_KEY

ELSEWHERE = {"REMOTE_ADDR": "10.20.30.40"}  # not the kiosk network: anonymous
BENCH = Path(__file__).resolve().parent.parent / "bench" / "wall.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_wall_health", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Faults:
    """Fail statements at the driver, as a full disk (writes) or a lost server (everything) would."""

    def __init__(self, engine):
        self.mode = None
        event.listen(engine, "before_cursor_execute", self)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        verb = statement.lstrip().split(None, 1)[0].upper()
        if self.mode == "full" and verb in ("INSERT", "UPDATE", "DELETE", "REPLACE"):
            raise sqlite3.OperationalError("database or disk is full")
        if self.mode == "down":
            raise sqlite3.OperationalError("unable to open database file")


@pytest.fixture
def app(bench, sqlite_db, tmp_path, monkeypatch):
    monkeypatch.setenv("IOC_SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("IOC_KIOSK_ALLOW", "127.0.0.1/32")
    monkeypatch.setattr("dashboard.store.database.PROBE_CACHE_S", 0.0)
    tokens.forget_cached()
    bench.fill(sqlite_db, 20, 1, utcnow())
    with sqlite_db.session() as session:
        _, secret = tokens.create_token(session, "portal", "api")
    faults = Faults(sqlite_db.engine)
    flask_app = bench.build_app(sqlite_db, Settings(database_url=sqlite_db.url, demo=False, data_dir=tmp_path)).server
    return flask_app.test_client(), secret, faults, sqlite_db


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def beat(db):
    with db.session() as session:
        session.execute(update(RuntimeState).where(RuntimeState.key == HEARTBEAT_KEY).values(updated_at=utcnow()))


def test_health_ok_with_disk_space_and_the_write_checked(app):
    client, secret, _, db = app
    beat(db)  # a live collector
    body = client.get("/api/health", headers=bearer(secret)).get_json()
    assert body["status"] == "ok" and body["problems"] == [] and body["database"] == "ok" and body["database_write"]
    assert body["disk"]["free_bytes"] > 0 and body["disk"]["total_bytes"] >= body["disk"]["free_bytes"]
    with db.session() as session:
        assert session.get(RuntimeState, "web.health_probe") is not None  # the write really happened
    assert client.get("/api/health", environ_base=ELSEWHERE).get_json() == {"status": "ok"}  # anonymous: the verdict only


def test_a_full_database_still_serves_reads_and_health_says_so(app):
    client, secret, faults, _ = app
    faults.mode = "full"
    systems = client.get("/api/systems", headers=bearer(secret))
    assert systems.status_code == 200 and systems.get_json()["systems"]  # the token check writes nothing
    health = client.get("/api/health", headers=bearer(secret))
    body = health.get_json()
    assert health.status_code == 200 and body["status"] == "degraded"
    assert body["database"] == "read-only" and "database or disk is full" in body["database_error"]
    assert "database not writable" in body["problems"]
    anonymous = client.get("/api/health", environ_base=ELSEWHERE)
    assert anonymous.status_code == 200 and anonymous.get_json() == {"status": "degraded"}


def test_an_unreachable_database_answers_the_health_body_to_a_token_holder(app):
    client, secret, faults, _ = app
    assert client.get("/api/systems", headers=bearer(secret)).status_code == 200  # verified once
    faults.mode = "down"
    health = client.get("/api/health", headers=bearer(secret))
    assert health.status_code == 503
    body = health.get_json()
    assert body["status"] == "down" and body["database"] == "unreachable" and body["problems"] == ["database unreachable"]
    assert client.get("/api/health", environ_base=ELSEWHERE).get_json() == {"status": "down"}


def test_health_says_since_when_the_database_is_down_and_forgets_it_once_back(app):
    client, secret, faults, _ = app
    assert client.get("/api/health", headers=bearer(secret)).get_json()["database_down_since"] is None
    faults.mode = "full"
    before = utcnow().replace(microsecond=0)
    first = client.get("/api/health", headers=bearer(secret)).get_json()
    assert first["database"] == "read-only" and first["database_down_since"] is not None
    since = datetime.fromisoformat(first["database_down_since"].replace("Z", "+00:00"))
    assert before <= since <= utcnow()
    faults.mode = "down"  # the same outage getting worse: it keeps its start
    later = client.get("/api/health", headers=bearer(secret)).get_json()
    assert later["database"] == "unreachable" and later["database_down_since"] == first["database_down_since"]
    faults.mode = None
    back = client.get("/api/health", headers=bearer(secret)).get_json()
    assert back["database"] == "ok" and back["database_down_since"] is None
    faults.mode = "full"  # a new outage has a new start
    again = client.get("/api/health", headers=bearer(secret)).get_json()
    assert again["database_down_since"] is not None
    assert datetime.fromisoformat(again["database_down_since"].replace("Z", "+00:00")) >= since


def test_collector_reported_dead_after_two_renewals(app):
    client, secret, _, db = app
    with db.session() as session:
        session.execute(update(RuntimeState).where(RuntimeState.key == HEARTBEAT_KEY)
                        .values(updated_at=utcnow() - timedelta(seconds=COLLECTOR_DEAD_AFTER_S + 0.5)))
    body = client.get("/api/health", headers=bearer(secret)).get_json()
    assert body["scheduler"]["alive"] is False and body["status"] == "degraded"
    assert body["problems"] == ["collector not running"]


def test_revoked_token_refused_at_once_in_this_process(app):
    client, secret, _, db = app
    assert client.get("/api/systems", headers=bearer(secret)).status_code == 200
    with db.session() as session:
        token = tokens.list_tokens(session)[0]
        tokens.revoke_token(session, token.id)
    assert client.get("/api/systems", headers=bearer(secret)).status_code == 401


@pytest.mark.parametrize("read_ok, write_ok, alive, free, total, expected", [
    (True, True, True, None, None, ("ok", [])),
    (True, True, None, 10 ** 12, 2 * 10 ** 12, ("ok", [])),
    (False, False, True, None, None, ("down", ["database unreachable"])),
    (True, False, True, None, None, ("degraded", ["database not writable"])),
    (True, True, False, None, None, ("degraded", ["collector not running"])),
    (True, True, True, DISK_LOW_BYTES - 1, 10 ** 12, ("degraded", ["data disk almost full"])),
    (True, True, True, 10 ** 9, 10 ** 11, ("degraded", ["data disk almost full"])),  # under 2 %
    (True, False, False, 1, 10, ("degraded", ["database not writable", "collector not running", "data disk almost full"])),
])
def test_health_verdict_table(read_ok, write_ok, alive, free, total, expected):
    assert health_verdict(read_ok, write_ok, alive, free, total) == expected


def test_a_kiosk_wall_reaches_its_callback_during_a_database_outage(app, bench):
    """The kiosk's token is not looked up on every refresh, so during an outage the wall's own
    callback runs and shows the database banner (not the browser's lost-contact one)."""
    client, _, faults, db = app
    with db.session() as session:
        _, kiosk = tokens.create_token(session, "wall-1", "kiosk")
    entered = client.get(f"/wall?kiosk={kiosk}", environ_base=ELSEWHERE)
    assert entered.status_code == 303
    body = bench.wall_calls("glance")["status"]
    assert client.post("/_dash-update-component", json=body, environ_base=ELSEWHERE).status_code == 200
    faults.mode = "down"
    answer = client.post("/_dash-update-component", json=body, environ_base=ELSEWHERE)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    banner = str(answer.get_json()["response"]["wall-banner"]["children"])
    assert "Cơ sở dữ liệu không truy cập được từ" in banner  # the database, and since when: not "lost contact"
