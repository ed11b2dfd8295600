"""Heartbeat (push) checks end to end over real HTTP: the /api/heartbeat/<token> route stores good
pings and nothing else, and the heartbeat probe turns pings (or their absence) into verdicts."""
from __future__ import annotations

import json
import logging
import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

import collectors.heartbeat as heartbeat_probe
from collectors.base import Target
from collectors.heartbeat import Ping, judge
from collectors.timeutil import utcnow
from dashboard.catalog.loader import apply_catalog, parse_catalog
from dashboard.monitoring.heartbeats import MAX_BODY_BYTES, PingReader
from dashboard.store.models import Endpoint, HeartbeatPing, Status
from dashboard.web.api import api

TOKEN = "lyson-Q9x2-commune-server-7f3a"
OTHER_TOKEN = "another-valid-token-but-unknown"

CATALOG = """\
version: 1
agencies:
  - id: svhttdl
    name_vi: Sở Văn hóa, Thể thao và Du lịch
    name_en: Department of Culture, Sports and Tourism
communes:
  include: false
systems:
  - id: httt-nguon
    name_vi: Hệ thống thông tin nguồn
    name_en: Source information system
    owner: svhttdl
    endpoints:
      - id: hb-ly-son
        kind: heartbeat
        token: ${HB_TOKEN}
        period: 1s
        grace: 0.5s
        interval: 5s
        timeout: 2s
"""


@pytest.fixture
def db(any_db):
    with any_db.session() as session:
        apply_catalog(session, parse_catalog(CATALOG, "hb.yaml", {"HB_TOKEN": TOKEN}), units=[])
    return any_db


@pytest.fixture
def server(db):
    app = Flask("heartbeat-test")
    app.extensions["ioc"] = SimpleNamespace(db=db, demo=None)
    app.register_blueprint(api)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=5)


def pings(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(HeartbeatPing))


def test_good_token_is_accepted_and_stored(db, server):
    response = requests.post(f"{server}/api/heartbeat/{TOKEN}", json={"status": "up", "message": "12/12 cụm loa"}, timeout=5)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True and body["endpoint"] == "httt-nguon.hb-ly-son" and body["status"] == "up"
    response = requests.get(f"{server}/api/heartbeat/{TOKEN}?status=degraded&message=2+cum+loa+mat+ket+noi", timeout=5)
    assert response.status_code == 200 and response.json()["status"] == "degraded"
    assert requests.post(f"{server}/api/heartbeat/{TOKEN}", data="plain text note", timeout=5).status_code == 200
    with db.session() as session:
        rows = session.scalars(select(HeartbeatPing).order_by(HeartbeatPing.id)).all()
        assert [(r.status, r.message) for r in rows] == [
            ("up", "12/12 cụm loa"), ("degraded", "2 cum loa mat ket noi"), (None, "plain text note")]
        assert all(r.source == "127.0.0.1" and r.endpoint_id == "httt-nguon.hb-ly-son" for r in rows)
        # only a digest of the token reaches the database
        options = session.get(Endpoint, "httt-nguon.hb-ly-son").options
        assert TOKEN not in json.dumps(options) and len(options["token_sha256"]) == 64


@pytest.mark.parametrize("token, code", [
    (OTHER_TOKEN, 404),                 # well formed, unknown
    ("short", 401),                     # malformed: too short
    ("bad$token$with$symbols!!", 401),  # malformed: characters outside the alphabet
    (TOKEN + "x", 404),                 # a near miss is unknown
])
def test_unknown_and_malformed_tokens_store_nothing(db, server, token, code, caplog):
    caplog.set_level(logging.INFO)
    for method in (requests.get, requests.post):
        response = method(f"{server}/api/heartbeat/{token}", timeout=5)
        assert response.status_code == code
        assert response.headers["Content-Type"] == "application/json" and response.json()["error"]
    assert pings(db) == 0
    assert token not in caplog.text  # tokens are never logged in full


def test_oversized_body_is_rejected(db, server):
    big = b"x" * (MAX_BODY_BYTES + 1)
    response = requests.post(f"{server}/api/heartbeat/{TOKEN}", data=big, timeout=5)
    assert response.status_code == 413 and "larger than" in response.json()["error"]
    # chunked, with no Content-Length to check up front
    response = requests.post(f"{server}/api/heartbeat/{TOKEN}", data=iter([big[:3000], big[3000:]]), timeout=5)
    assert response.status_code == 413
    assert pings(db) == 0
    fits = json.dumps({"status": "up", "message": "x" * (MAX_BODY_BYTES - 40)})
    assert requests.post(f"{server}/api/heartbeat/{TOKEN}", data=fits, timeout=5).status_code == 200
    assert pings(db) == 1


@pytest.mark.parametrize("payload", ['{"status": "sideways"}', '{"status": 3}', "{not json", "[1, 2]"])
def test_unreadable_payload_is_rejected(db, server, payload):
    response = requests.post(f"{server}/api/heartbeat/{TOKEN}", data=payload, timeout=5)
    assert response.status_code == 400 and response.json()["error"]
    assert pings(db) == 0


def test_inactive_endpoint_token_is_unknown(db, server):
    with db.session() as session:
        session.get(Endpoint, "httt-nguon.hb-ly-son").active = False
    assert requests.post(f"{server}/api/heartbeat/{TOKEN}", timeout=5).status_code == 404
    assert pings(db) == 0


# ------------------------------------------------------------------------- the probe


@pytest.fixture
def reader(db):
    heartbeat_probe.use_source(PingReader(db))
    yield
    heartbeat_probe.use_source(None)


def hb_target(db) -> Target:
    from dashboard.monitoring.collector import target_for

    with db.session() as session:
        return target_for(session.get(Endpoint, "httt-nguon.hb-ly-son"))


def test_probe_up_after_a_ping_then_down_after_period_plus_grace(db, server, reader):
    probe = heartbeat_probe.probe
    requests.post(f"{server}/api/heartbeat/{TOKEN}", timeout=5)
    started = time.monotonic()
    result = probe(hb_target(db))
    assert time.monotonic() - started < 1.0
    assert result.verdict == Status.UP, result.reason
    assert result.reason.startswith("last heartbeat ") and result.reason.endswith("s ago (expected every 1 s + 0.5 s grace)")
    time.sleep(1.7)
    result = probe(hb_target(db))
    assert result.verdict == Status.DOWN
    assert result.reason.startswith("no heartbeat since ") and "ago; expected every 1 s" in result.reason
    assert result.detail["age_s"] >= 1.5


def test_probe_reports_what_the_sender_says(db, server, reader):
    requests.post(f"{server}/api/heartbeat/{TOKEN}", json={"status": "degraded", "message": "2 cụm loa mất kết nối"}, timeout=5)
    result = heartbeat_probe.probe(hb_target(db))
    assert result.verdict == Status.DEGRADED and result.reason == "the sender reports degraded service: 2 cụm loa mất kết nối"
    requests.post(f"{server}/api/heartbeat/{TOKEN}", json={"status": "fail", "message": "mất điện"}, timeout=5)
    result = heartbeat_probe.probe(hb_target(db))
    assert result.verdict == Status.DOWN and result.reason == "the sender reports a failure: mất điện"


def test_probe_never_pinged_waits_one_period_then_is_down(db, reader):
    target = hb_target(db)
    first = heartbeat_probe.probe(target)
    assert first.verdict == Status.UNKNOWN and first.reason.startswith("waiting for the first heartbeat")
    time.sleep(1.7)
    later = heartbeat_probe.probe(target)
    assert later.verdict == Status.DOWN and later.reason.startswith("no heartbeat received since monitoring started")


def test_probe_without_a_store_says_so():
    heartbeat_probe.use_source(None)
    result = heartbeat_probe.probe(Target("x.hb", "heartbeat", "push", 1.0, (), {"period_s": 60}))
    assert result.verdict == Status.DOWN and "no heartbeat store" in result.reason


def test_probe_store_too_slow_ends_at_deadline():
    heartbeat_probe.use_source(lambda endpoint_id: time.sleep(3))
    try:
        started = time.monotonic()
        result = heartbeat_probe.probe(Target("x.hb", "heartbeat", "push", 0.5, (), {"period_s": 60}))
        assert time.monotonic() - started < 1.0
    finally:
        heartbeat_probe.use_source(None)
    assert result.verdict == Status.DOWN and result.reason.startswith("heartbeats could not be read within 0.5 s")


def test_judge_is_pure():
    now = utcnow()
    since = now - timedelta(hours=1)
    fresh = Ping(now - timedelta(seconds=50))
    assert judge("e", fresh, now, 60, 30, since).verdict == Status.UP
    late = judge("e", Ping(now - timedelta(seconds=91)), now, 60, 30, since)
    assert late.verdict == Status.DOWN and "(91 s ago; expected every 60 s + 30 s grace)" in late.reason
    assert judge("e", None, now, 60, 30, now - timedelta(seconds=89)).verdict == Status.UNKNOWN
    assert judge("e", None, now, 60, 30, now - timedelta(seconds=91)).verdict == Status.DOWN
    hours = judge("e", Ping(now - timedelta(hours=3, minutes=5)), now, 3600, 600, since)
    assert "(3 h 5 min ago; expected every 60 min + 10 min grace)" in hours.reason


def test_a_restart_does_not_reset_the_wait_for_a_first_ping(db, reader):
    """Checked long ago and never pinged: down at once, even in a fresh process."""
    from dashboard.store.models import CheckResult as CheckRow

    with db.session() as session:
        session.add(CheckRow(endpoint_id="httt-nguon.hb-ly-son", checked_at=utcnow() - timedelta(minutes=10),
                             verdict="down", reason="no heartbeat received"))
    heartbeat_probe.use_source(PingReader(db))  # a new process: nothing in memory
    result = heartbeat_probe.probe(hb_target(db))
    assert result.verdict == Status.DOWN and result.reason.startswith("no heartbeat received since monitoring started")


def test_old_pings_are_pruned_as_new_ones_arrive(db, server):
    from dashboard.monitoring.heartbeats import KEEP

    with db.session() as session:
        session.add(HeartbeatPing(endpoint_id="httt-nguon.hb-ly-son", received_at=utcnow() - KEEP - timedelta(minutes=1)))
        session.add(HeartbeatPing(endpoint_id="httt-nguon.hb-ly-son", received_at=utcnow() - KEEP + timedelta(minutes=5)))
    assert requests.post(f"{server}/api/heartbeat/{TOKEN}", timeout=5).status_code == 200
    assert pings(db) == 2  # the one older than KEEP is gone, the newer one and the new ping stay
