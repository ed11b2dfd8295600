"""Notifications through Apprise to a real local webhook receiver (`json://127.0.0.1:PORT/`):
delivered once, rate-limited, and a failing or absent receiver is logged and retried with
backoff while the scheduler carries on."""
from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from collectors.timeutil import utcnow
from dashboard.alerts import notify
from dashboard.alerts import rules as alerts
from dashboard.alerts.jobs import AlertJobs
from dashboard.alerts.rules import AlertInput
from dashboard.alerts.settings import AlertSettings
from dashboard.store.models import NotificationLog
from tests.conftest import free_port, wait_for


class Receiver:
    def __init__(self, port: int = 0):
        self.received: list[dict] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if outer.status == 200:
                    outer.received.append(json.loads(body))
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"json://127.0.0.1:{self.port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


def raise_critical(db, n: int = 1) -> None:
    with db.session() as s:
        for i in range(n):
            alerts.raise_alert(s, AlertInput(source_kind="webhook", source="ncsc", severity="critical", category="botnet",
                                             title=f"IP 113.161.77.{i} trong mạng botnet <b>Mirai</b>", asset=f"113.161.77.{i}"))


def rows(db) -> list[NotificationLog]:
    with db.session() as s:
        return s.scalars(select(NotificationLog).order_by(NotificationLog.id)).all()


def test_new_critical_alert_is_delivered_once_to_the_webhook(sqlite_db, receiver):
    raise_critical(sqlite_db)
    sender = notify.AppriseSender([receiver.url])
    report = notify.deliver_pending(sqlite_db.session, sender)
    assert report.sent == 1 and len(receiver.received) == 1
    message = receiver.received[0]
    assert message["title"].startswith("[CRITICAL] IP 113.161.77.0") and "ncsc" in message["message"]
    assert notify.deliver_pending(sqlite_db.session, sender).sent == 0  # sent rows are never sent again
    raise_critical(sqlite_db)  # the same alert again: deduplicated, no new message
    assert notify.deliver_pending(sqlite_db.session, sender).sent == 0
    assert len(receiver.received) == 1 and rows(sqlite_db)[0].state == "sent"


def test_rate_limit_holds_the_rest_for_later(sqlite_db, receiver):
    raise_critical(sqlite_db, 5)
    sender = notify.AppriseSender([receiver.url])
    first = notify.deliver_pending(sqlite_db.session, sender, max_per_minute=3)
    assert (first.sent, first.deferred) == (3, 2) and len(receiver.received) == 3
    assert notify.deliver_pending(sqlite_db.session, sender, max_per_minute=3).sent == 0
    later = notify.deliver_pending(sqlite_db.session, sender, max_per_minute=3, now=utcnow() + timedelta(minutes=2))
    assert later.sent == 2 and len(receiver.received) == 5


def test_failing_receiver_is_logged_retried_with_backoff_then_delivered(sqlite_db, receiver, caplog):
    raise_critical(sqlite_db)
    receiver.status = 500
    sender = notify.AppriseSender([receiver.url])
    now = utcnow()
    report = notify.deliver_pending(sqlite_db.session, sender, now=now)
    assert report.failed == 1 and report.sent == 0
    row = rows(sqlite_db)[0]
    assert row.state == "pending" and row.attempts == 1 and "failed delivery" in row.last_error
    assert row.next_attempt_at >= now + timedelta(seconds=notify.BACKOFF_BASE_S - 1)
    assert "notification alert:1 failed" in caplog.text
    assert notify.deliver_pending(sqlite_db.session, sender, now=now).failed == 0  # not due yet: backoff
    second = now + timedelta(seconds=31)
    notify.deliver_pending(sqlite_db.session, sender, now=second)
    assert rows(sqlite_db)[0].next_attempt_at >= second + timedelta(seconds=59)  # doubled

    receiver.status = 200
    assert notify.deliver_pending(sqlite_db.session, sender, now=second + timedelta(minutes=5)).sent == 1
    assert rows(sqlite_db)[0].state == "sent" and len(receiver.received) == 1


def test_gives_up_after_the_last_attempt(sqlite_db):
    raise_critical(sqlite_db)
    sender = notify.AppriseSender([f"json://127.0.0.1:{free_port()}/"])  # nobody listens there
    moment = utcnow()
    for _ in range(notify.MAX_ATTEMPTS):
        moment += timedelta(hours=1)
        notify.deliver_pending(sqlite_db.session, sender, now=moment)
    row = rows(sqlite_db)[0]
    assert row.state == "failed" and row.attempts == notify.MAX_ATTEMPTS


def test_a_dead_notifier_never_stops_the_scheduler(sqlite_db):
    raise_critical(sqlite_db)
    dead = f"json://127.0.0.1:{free_port()}/"
    collector = SimpleNamespace(db=sqlite_db, is_leader=True, scheduler=None)
    jobs = AlertJobs(collector, AlertSettings(notify_urls=(dead,)))
    ticks = []
    scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1})
    scheduler.add_job(jobs.notify, "interval", seconds=0.3, id="notify")
    scheduler.add_job(lambda: ticks.append(time.monotonic()), "interval", seconds=0.2, id="other")
    scheduler.start()
    try:
        wait_for(lambda: rows(sqlite_db)[0].attempts >= 1 and len(ticks) >= 5, 15, message="a failed attempt and more ticks")
        assert scheduler.get_job("notify") is not None and scheduler.running
    finally:
        scheduler.shutdown(wait=False)
    assert rows(sqlite_db)[0].state == "pending" and rows(sqlite_db)[0].last_error


def test_without_a_channel_nothing_piles_up(sqlite_db):
    raise_critical(sqlite_db)
    assert notify.deliver_pending(sqlite_db.session, None).sent == 0
    row = rows(sqlite_db)[0]
    assert row.state == "suppressed" and "no notification URL" in row.last_error
