"""The weekly reminder to reporters: stored once per reporter and week, then sent to that
reporter's address only, through the shared outbox (retries, rate limit)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from dashboard.alerts import notify, reminders
from dashboard.auth import users
from dashboard.catalog.loader import apply_catalog, parse_catalog
from dashboard.plans import store, template
from dashboard.plans.importer import parse_plan_file
from dashboard.readmodels import plans as plan_views
from dashboard.store.models import NotificationLog
from tests.test_reporting_db import CATALOG, UNITS

MONDAY_9_LOCAL = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)  # 09:00 in Vietnam
TODAY = date(2026, 11, 30)


@pytest.fixture
def db(sqlite_db):
    def row(agency, title, due_days, percent=40):
        return {"agency": agency, "partner": "", "title": title, "category": "tich_hop", "owner": "CNTT",
                "start": TODAY - timedelta(days=60), "due": TODAY + timedelta(days=due_days), "status": "dang_thuc_hien",
                "percent": percent, "systems": ["lgsp"], "notes": ""}

    with sqlite_db.session() as session:
        apply_catalog(session, parse_catalog(CATALOG), units=UNITS)
        report = parse_plan_file("plan.csv", template.build_csv([
            row("21548", "Kết nối LGSP", 5), row("21548", "Đánh giá ATTT", 60), row("21548", "Rà soát", -3),
            row("21028", "Kết nối LGSP", 2)]), plan_views.reference(session))
        store.apply_import(session, report, TODAY)
        users.create_user(session, "xa-a", "reporter", None, agencies=["unit-21548"], email="xa-a@quangngai.gov.vn")
        users.create_user(session, "xa-b", "reporter", None, agencies=["unit-21028"])  # no address: no mail
    return sqlite_db


@pytest.mark.parametrize("now, week", [
    (MONDAY_9_LOCAL, date(2026, 11, 30)),
    (datetime(2026, 11, 30, 0, 30, tzinfo=timezone.utc), None),  # Monday 07:30 local: not yet
    (datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc), date(2026, 11, 30)),  # later that week: catching up
    (datetime(2026, 11, 29, 18, 0, tzinfo=timezone.utc), None),  # Sunday 18:00 UTC is Monday 01:00 local: before 08:00
    (datetime(2026, 11, 29, 23, 0, tzinfo=timezone.utc), None),  # Monday 06:00 local
    (datetime(2026, 12, 6, 16, 59, tzinfo=timezone.utc), date(2026, 11, 30)),  # Sunday 23:59 local: still that week
])
def test_which_week_is_due(now, week):
    assert reminders.due_this_week(now) == week


def test_stored_once_per_reporter_and_week_with_due_and_overdue_tasks(db):
    with db.session() as session:
        assert reminders.queue_weekly_reminders(session, MONDAY_9_LOCAL, "https://ioc.quangngai.gov.vn") == 1
    with db.session() as session:
        assert reminders.queue_weekly_reminders(session, MONDAY_9_LOCAL + timedelta(hours=5)) == 0  # deduplicated
        row = session.scalar(select(NotificationLog).where(NotificationLog.kind == "reminder"))
        assert row.recipient == "xa-a@quangngai.gov.vn" and row.key == f"reminder:{users.find(session, 'xa-a').id}:2026-11-30"
        assert "Kết nối LGSP" in row.body and "Rà soát" in row.body and "QUÁ HẠN" in row.body
        assert "Đánh giá ATTT" not in row.body  # due in 60 days: not yet
        assert "https://ioc.quangngai.gov.vn/my" in row.body
    with db.session() as session:  # the next week: a new reminder
        assert reminders.queue_weekly_reminders(session, MONDAY_9_LOCAL + timedelta(days=7)) == 1


class Recorder:
    def __init__(self):
        self.sent = []

    def __call__(self, address):
        recorder = self

        class One:
            def send(self, title, body, severity):
                recorder.sent.append((address, title))
        return One()


def test_sent_to_the_reporter_only_never_to_the_operators_channels(db):
    with db.session() as session:
        reminders.queue_weekly_reminders(session, MONDAY_9_LOCAL)
    channel = []

    class Channel:
        def send(self, title, body, severity):
            channel.append(title)

    mail = Recorder()
    report = notify.deliver_pending(db.session, Channel(), now=MONDAY_9_LOCAL + timedelta(seconds=1), recipient_sender=mail)
    assert report.sent == 1 and channel == []
    assert mail.sent == [("xa-a@quangngai.gov.vn", mail.sent[0][1])]
    assert notify.deliver_pending(db.session, Channel(), now=MONDAY_9_LOCAL + timedelta(minutes=5), recipient_sender=mail).sent == 0


def test_without_a_mail_url_the_reminder_is_kept_not_lost(db):
    with db.session() as session:
        reminders.queue_weekly_reminders(session, MONDAY_9_LOCAL)
    notify.deliver_pending(db.session, None, now=MONDAY_9_LOCAL + timedelta(seconds=1), recipient_sender=None)
    with db.session() as session:
        row = session.scalar(select(NotificationLog).where(NotificationLog.kind == "reminder"))
        assert row.state == "suppressed" and "no notification URL" in row.last_error


def test_the_mail_url_gets_the_recipient():
    factory = reminders.mail_sender_factory("mailtos://ioc:secret@smtp.example.org?from=ioc@example.org")
    sender = factory("xa-a@quangngai.gov.vn")
    assert sender.urls == ["mailtos://ioc:secret@smtp.example.org?from=ioc@example.org&to=xa-a@quangngai.gov.vn"]
    assert reminders.mail_sender_factory("") is None
