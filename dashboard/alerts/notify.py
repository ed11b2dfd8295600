"""Notifications through Apprise (email, Telegram, generic webhooks...): detection and delivery
are separate (Healthchecks' Flip idea). Detection writes a NotificationLog row in the same
transaction as what it notifies about; `deliver_pending` sends due rows later, retries failures
with exponential backoff (bounded), and never raises into the scheduler.

- New critical/high alerts: `queue_alert` (called by dashboard.alerts.rules).
- A system going down or coming back: `queue_state_changes` reads new system StateEvents
  after a cursor kept in runtime_state, so dashboard.monitoring.results needs no hook.
- Dedup: one row per key (an alert's opening, a state event). Flapping: a system's same
  transition within STATE_COOLDOWN is stored as 'suppressed'.
- Rate limit: at most `max_per_minute` deliveries per minute; the rest wait their turn.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from collectors.timeutil import iso, utcnow
from dashboard.store.models import Alert, NotificationLog, RuntimeState, StateEvent, System

log = logging.getLogger(__name__)

STATE_CURSOR_KEY = "notify.state_cursor"
STATE_COOLDOWN = timedelta(minutes=10)
MAX_ATTEMPTS = 6
BACKOFF_BASE_S = 30.0
BACKOFF_MAX_S = 900.0
NOTIFIED_STATES = ("down", "up")


class Sender(Protocol):
    def send(self, title: str, body: str, severity: str) -> None:
        """Deliver or raise DeliveryError."""


class DeliveryError(Exception):
    pass


class AppriseSender:
    """Sends to every Apprise URL configured (IOC_NOTIFY_URLS). A failure on any raises."""

    def __init__(self, urls: list[str]):
        import apprise

        self.urls = list(urls)
        self.apprise = apprise.Apprise()
        for url in self.urls:
            if not self.apprise.add(url):
                log.error("notification URL not understood by Apprise, ignored: %s", _mask(url))

    def send(self, title: str, body: str, severity: str) -> None:
        import apprise

        if len(self.apprise) == 0:
            raise DeliveryError("no usable notification URL configured")
        kind = apprise.NotifyType.FAILURE if severity in ("critical", "high", "down") else (
            apprise.NotifyType.SUCCESS if severity == "up" else apprise.NotifyType.WARNING)
        if not self.apprise.notify(title=title, body=body, notify_type=kind):
            raise DeliveryError("Apprise reported a failed delivery (see the log above for the service's answer)")


def _mask(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://…{rest[-6:]}" if rest else url


def parse_urls(text: str | None) -> list[str]:
    """IOC_NOTIFY_URLS: URLs separated by commas and/or white space."""
    return [u for u in (text or "").replace(",", " ").split() if u]


# ---------------------------------------------------------------------------- detection


def _add(session: Session, row: NotificationLog) -> bool:
    if session.scalar(select(NotificationLog.id).where(NotificationLog.key == row.key)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another process queued the same key meanwhile
        return False
    return True


def queue_alert(session: Session, alert: Alert, now: datetime, reopened: bool = False) -> bool:
    session.flush()
    occurrence = f"{alert.id}:{alert.count}" if reopened else f"{alert.id}"
    where = ", ".join(x for x in (alert.system_id, alert.agency_id, alert.asset) if x)
    title = f"[{alert.severity.upper()}] {alert.title}"[:500]
    body = "\n".join(x for x in (
        ("Cảnh báo mở lại / alert reopened" if reopened else "Cảnh báo mới / new alert") + f" #{alert.id}",
        f"Nguồn / source: {alert.source}", f"Loại / category: {alert.category}",
        f"Đối tượng / affected: {where}" if where else None,
        f"Lúc / at: {iso(alert.first_seen if not reopened else alert.last_seen)}",
        (alert.description or "")[:1000] or None,
    ) if x)
    return _add(session, NotificationLog(key=f"alert:{occurrence}", kind="alert", subject=str(alert.id), title=title,
                                         body=body, created_at=now, state="pending", next_attempt_at=now))


def queue_state_changes(session: Session, now: datetime | None = None) -> int:
    """Queue a notification for each system that went down or came back since the last run.
    The first run starts from now: no flood of old events."""
    now = now or utcnow()
    cursor_row = session.get(RuntimeState, STATE_CURSOR_KEY)
    if cursor_row is None:
        last_id = session.scalar(select(func.max(StateEvent.id))) or 0
        session.add(RuntimeState(key=STATE_CURSOR_KEY, value=str(last_id), updated_at=now))
        return 0
    events = session.scalars(
        select(StateEvent).where(StateEvent.id > int(cursor_row.value or 0), StateEvent.subject_type == "system")
        .order_by(StateEvent.id).limit(500)
    ).all()
    queued = 0
    for event in events:
        cursor_row.value, cursor_row.updated_at = str(event.id), now
        state = event.new_status
        # "back up" only after a "down" (a degraded spell was never announced)
        if state not in NOTIFIED_STATES or (state == "up" and event.old_status != "down"):
            continue
        system = session.get(System, event.subject_id)
        name = f"{system.name_vi} ({system.id})" if system else event.subject_id
        recent = session.scalar(
            select(NotificationLog.id).where(
                NotificationLog.kind == "state", NotificationLog.subject == event.subject_id,
                NotificationLog.title.startswith(f"[{state.upper()}]"),
                NotificationLog.created_at > event.at - STATE_COOLDOWN,
            ).limit(1)
        )
        if state == "down":
            title, body = f"[DOWN] {name} gián đoạn / is down", f"Từ / since {iso(event.at)}\n{event.reason or ''}"
        else:
            title, body = f"[UP] {name} hoạt động trở lại / is back up", f"Lúc / at {iso(event.at)}"
        row = NotificationLog(key=f"state:{event.id}", kind="state", subject=event.subject_id, title=title[:500],
                              body=body.strip(), created_at=event.at, state="pending", next_attempt_at=now)
        if recent is not None:  # flapping: the same news was sent a moment ago
            row.state, row.next_attempt_at, row.last_error = "suppressed", None, "same transition within the cooldown"
        queued += _add(session, row) and row.state == "pending"
    return queued


# ---------------------------------------------------------------------------- delivery


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0  # attempts that failed (will be retried unless given up)
    given_up: int = 0
    deferred: int = 0  # held back by the rate limit


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S))


def deliver_pending(session_scope: Callable, sender: Sender | None, max_per_minute: int = 20,
                    now: datetime | None = None,
                    recipient_sender: Callable[[str], Sender | None] | None = None) -> DeliveryReport:
    """Send due notifications. `session_scope` is Database.session: each row is committed on
    its own so that a crash never resends what was already delivered. A row meant for one
    person (its `recipient`, e.g. a reporter's reminder) goes through `recipient_sender(address)`
    instead of the configured channels; without one it is kept, not sent."""
    report = DeliveryReport()
    now = now or utcnow()
    with session_scope() as session:
        sent_last_minute = session.scalar(
            select(func.count()).select_from(NotificationLog).where(NotificationLog.sent_at > now - timedelta(minutes=1))
        ) or 0
        due = session.scalars(
            select(NotificationLog.id).where(NotificationLog.state == "pending", NotificationLog.next_attempt_at <= now)
            .order_by(NotificationLog.next_attempt_at, NotificationLog.id).limit(200)
        ).all()
    budget = max(max_per_minute - sent_last_minute, 0)
    if due and (sender is None or recipient_sender is None):
        # no channel configured (IOC_NOTIFY_URLS empty, or no mail for personal rows): keep the record, send nothing
        with session_scope() as session:
            for row in session.scalars(select(NotificationLog).where(NotificationLog.id.in_(due))):
                if (sender if row.recipient is None else recipient_sender) is None:
                    row.state, row.next_attempt_at, row.last_error = "suppressed", None, "no notification URL configured"
    for row_id in due:
        if budget <= 0:
            report.deferred += 1
            continue
        with session_scope() as session:
            row = session.get(NotificationLog, row_id)
            if row is None or row.state != "pending":
                continue
            target = sender if row.recipient is None else recipient_sender(row.recipient)
            if target is None:
                continue
            severity = row.title[1:].split("]", 1)[0].lower()
            row.attempts += 1
            try:
                target.send(row.title, row.body, severity)
            except Exception as exc:  # noqa: BLE001 - a channel's failure must never stop the scheduler
                row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if row.attempts >= MAX_ATTEMPTS:
                    row.state, row.next_attempt_at = "failed", None
                    report.given_up += 1
                    log.error("notification %s given up after %d attempts: %s", row.key, row.attempts, row.last_error)
                else:
                    row.next_attempt_at = now + backoff(row.attempts)
                    report.failed += 1
                    log.warning("notification %s failed (attempt %d, next at %s): %s", row.key, row.attempts,
                                iso(row.next_attempt_at), row.last_error)
                continue
            row.state, row.sent_at, row.next_attempt_at, row.last_error = "sent", utcnow(), None, None
            report.sent += 1
            budget -= 1
    return report
