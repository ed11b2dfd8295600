"""Notifications through Apprise (email, Telegram, generic webhooks...) and the signed JSON
webhook: detection and delivery are separate (Healthchecks' Flip idea). Detection writes
NotificationLog rows in the same transaction as what it notifies about; `deliver_pending` sends
due rows later, retries failures with exponential backoff (bounded), and never raises into the
scheduler. The rows are the delivery log the admin page shows.

- New alerts: `queue_alert` (called by dashboard.alerts.rules).
- A system going down or coming back: `queue_state_changes` reads new system StateEvents
  after a cursor kept in runtime_state, so dashboard.monitoring.results needs no hook.
- Each event gets one row for the global list (IOC_NOTIFY_URLS, critical and high alerts and
  outages, as before routes existed) and one row per notification route that takes it
  (dashboard.domain.routes.decide), in the route's language, linking to the page that
  explains it. A route in its quiet hours gets a 'suppressed_quiet' row.
- Dedup: one row per key (an event, per route). Flapping: a system's same transition within
  STATE_COOLDOWN is stored as 'deduplicated'.
- Escalation: `queue_escalations` tells a route's next level about an outage or a critical
  alert nobody acknowledged within the route's `escalate_after_s`, again every period until
  someone does (at most MAX_ESCALATIONS times); each one is audited.
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

from collectors.timeutil import as_utc, iso, utcnow
from dashboard.alerts.routes import DeliveryError, sender_for
from dashboard.auth import audit
from dashboard.domain import routes as route_rules
from dashboard.domain.alerts import NOTIFY_SEVERITIES
from dashboard.store.models import (
    Agency,
    Alert,
    Incident,
    NotificationLog,
    NotificationRoute,
    RuntimeState,
    StateEvent,
    System,
)

log = logging.getLogger(__name__)

STATE_CURSOR_KEY = "notify.state_cursor"
STATE_COOLDOWN = timedelta(minutes=10)
MAX_ATTEMPTS = 6
BACKOFF_BASE_S = 30.0
BACKOFF_MAX_S = 900.0
NOTIFIED_STATES = ("down", "up")


class Sender(Protocol):
    def send(self, title: str, body: str, severity: str, **meta) -> None:
        """Deliver or raise DeliveryError (meta: kind, link, system_id, at, language)."""


class AppriseSender:
    """Sends to every Apprise URL configured (IOC_NOTIFY_URLS). A failure on any raises."""

    def __init__(self, urls: list[str]):
        import apprise

        self.urls = list(urls)
        self.apprise = apprise.Apprise()
        for url in self.urls:
            if not self.apprise.add(url):
                log.error("notification URL not understood by Apprise, ignored: %s", _mask(url))

    def send(self, title: str, body: str, severity: str, **_meta) -> None:
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


def _routes(session: Session) -> list[NotificationRoute]:
    return list(session.scalars(select(NotificationRoute).where(NotificationRoute.active.is_(True))
                                .order_by(NotificationRoute.id)))


def _queue_routed(session: Session, key: str, event: route_rules.Event, at: datetime, now: datetime, link: str,
                  text, kind: str, subject: str, duplicate: bool = False) -> int:
    """One row per route that takes the event; `text(lang)` gives (title, body). Returns the
    rows waiting to be sent."""
    queued = 0
    for row in _routes(session):
        try:
            route = route_rules.Route.of(row)
        except route_rules.RouteError:  # a stored route that no longer reads: said in the log, skipped
            log.error("notification route %s cannot be read; skipped", row.id)
            continue
        decision = route_rules.decide(route, event, at)
        if decision is None:
            continue
        title, body = text(route.language)
        entry = NotificationLog(key=f"{key}:route:{row.id}", kind=kind, subject=subject, title=title, body=body,
                                created_at=at, state="pending", next_attempt_at=now, route_id=row.id, level=0,
                                event_kind=event.kind, severity=event.severity, link=link)
        if duplicate:
            entry.state, entry.next_attempt_at, entry.last_error = "deduplicated", None, "same transition within the cooldown"
        elif decision == "suppressed_quiet":
            entry.state, entry.next_attempt_at = "suppressed_quiet", None
            entry.last_error = f"quiet hours {row.quiet_start}–{row.quiet_end} (Vietnam time)"
        queued += _add(session, entry) and entry.state == "pending"
    return queued


ALERT_KINDS = {"cert_expiry": "certificate", "tls_verify": "certificate", "plan_overdue": "plan_overdue"}
UNROUTED_CATEGORIES = ("system_down",)  # the outage itself is routed from the state change


def _where(session: Session, system_id: str | None, agency_id: str | None) -> tuple[System | None, str | None, str | None]:
    system = session.get(System, system_id) if system_id else None
    agency_id = agency_id or (system.owner_agency_id if system else None)
    partner = system.partner if system and system.partner else None
    if partner is None and agency_id:
        agency = session.get(Agency, agency_id)
        partner = agency.partner if agency else None
    return system, agency_id, partner


def queue_alert(session: Session, alert: Alert, now: datetime, reopened: bool = False) -> bool:
    session.flush()
    occurrence = f"{alert.id}:{alert.count}" if reopened else f"{alert.id}"
    at = alert.first_seen if not reopened else alert.last_seen
    queued = False
    if alert.severity in NOTIFY_SEVERITIES:
        where = ", ".join(x for x in (alert.system_id, alert.agency_id, alert.asset) if x)
        title = f"[{alert.severity.upper()}] {alert.title}"[:500]
        body = "\n".join(x for x in (
            ("Cảnh báo mở lại / alert reopened" if reopened else "Cảnh báo mới / new alert") + f" #{alert.id}",
            f"Nguồn / source: {alert.source}", f"Loại / category: {alert.category}",
            f"Đối tượng / affected: {where}" if where else None,
            f"Lúc / at: {iso(at)}",
            (alert.description or "")[:1000] or None,
        ) if x)
        queued = _add(session, NotificationLog(key=f"alert:{occurrence}", kind="alert", subject=str(alert.id),
                                               title=title, body=body, created_at=now, state="pending",
                                               next_attempt_at=now, event_kind="security", severity=alert.severity,
                                               link=f"/alerts/{alert.id}"))
    if alert.category not in UNROUTED_CATEGORIES:
        system, agency_id, partner = _where(session, alert.system_id, alert.agency_id)
        kind = ALERT_KINDS.get(alert.category, "security")
        event = route_rules.Event(kind, alert.severity, system_id=alert.system_id, agency_id=agency_id, partner=partner)

        def text(lang: str) -> tuple[str, str]:
            return route_rules.message(kind, lang, name=alert.title, at=at, link=f"/alerts/{alert.id}",
                                       severity=alert.severity, number=alert.id, source=alert.source)

        queued = _queue_routed(session, f"alert:{occurrence}", event, as_utc(now), now, f"/alerts/{alert.id}", text,
                               "alert", str(alert.id)) > 0 or queued
    return queued


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
        kind = "outage" if state == "down" else "recovery"
        row = NotificationLog(key=f"state:{event.id}", kind="state", subject=event.subject_id, title=title[:500],
                              body=body.strip(), created_at=event.at, state="pending", next_attempt_at=now,
                              event_kind=kind, severity="critical", link=f"/systems/{event.subject_id}")
        if recent is not None:  # flapping: the same news was sent a moment ago
            row.state, row.next_attempt_at, row.last_error = "deduplicated", None, "same transition within the cooldown"
        queued += _add(session, row) and row.state == "pending"
        queued += _queue_routed(session, f"state:{event.id}", _system_event(session, system, event.subject_id, kind),
                                event.at, now, f"/systems/{event.subject_id}",
                                _state_text(session, system, event, kind), "state", event.subject_id,
                                duplicate=recent is not None)
    return queued


def _system_event(session: Session, system: System | None, system_id: str, kind: str) -> route_rules.Event:
    _system, agency_id, partner = _where(session, system_id, None) if system else (None, None, None)
    # an outage (and the end of it) is as severe as it gets: critical, so quiet hours never hold it
    return route_rules.Event(kind, "critical", system_id=system_id, agency_id=agency_id, partner=partner)


def _state_text(session: Session, system: System | None, event: StateEvent, kind: str):
    down_s = None
    if kind == "recovery":
        went_down = session.scalar(select(func.max(StateEvent.at)).where(
            StateEvent.subject_type == "system", StateEvent.subject_id == event.subject_id,
            StateEvent.new_status == "down", StateEvent.at <= event.at))
        down_s = (as_utc(event.at) - as_utc(went_down)).total_seconds() if went_down else None

    def text(lang: str) -> tuple[str, str]:
        name = (system.name_en if lang == "en" else system.name_vi) if system else event.subject_id
        return route_rules.message(kind, lang, name=name, at=event.at, link=f"/systems/{event.subject_id}",
                                   reason=event.reason if kind == "outage" else None, down_s=down_s)
    return text


# ---------------------------------------------------------------------------- escalation


def _still_waiting(session: Session, row: NotificationLog) -> bool:
    """Is the event this row told about still open and unacknowledged?"""
    if row.event_kind == "outage":
        open_incidents = session.scalars(select(Incident).where(
            Incident.system_id == row.subject, Incident.ended_at.is_(None))).all()
        return bool(open_incidents) and all(i.acknowledged_at is None for i in open_incidents)
    alert = session.get(Alert, int(row.subject)) if row.subject.isdigit() else None
    return alert is not None and alert.status == "new"


def queue_escalations(session: Session, now: datetime | None = None) -> int:
    """Tell the next level of each route about what nobody acknowledged in time. Returns the
    escalation rows queued."""
    now = now or utcnow()
    queued = 0
    routes = session.scalars(select(NotificationRoute).where(
        NotificationRoute.active.is_(True), NotificationRoute.escalate_after_s.is_not(None))).all()
    for route in routes:
        if not route.escalation_urls:
            continue
        horizon = now - timedelta(seconds=route.escalate_after_s * (route_rules.MAX_ESCALATIONS + 1) + 300)
        firsts = session.scalars(select(NotificationLog).where(
            NotificationLog.route_id == route.id, NotificationLog.level == 0,
            NotificationLog.created_at >= horizon, NotificationLog.kind.in_(("state", "alert")))).all()
        for first in firsts:
            if not route_rules.escalates(first.event_kind or "", first.severity or "") or not _still_waiting(session, first):
                continue
            sent = session.scalar(select(func.count()).select_from(NotificationLog).where(
                NotificationLog.key.startswith(f"{first.key}:esc", autoescape=True))) or 0
            level = route_rules.escalation_due(first.created_at, route.escalate_after_s, sent, now)
            if level is None:
                continue
            waited = (now - as_utc(first.created_at)).total_seconds()
            title, body = route_rules.escalation_message(route.language, title=first.title, body=first.body,
                                                         waited_s=waited, level=level)
            entry = NotificationLog(key=f"{first.key}:esc{level}", kind="escalation", subject=first.subject,
                                    title=title, body=body, created_at=now, state="pending", next_attempt_at=now,
                                    route_id=route.id, level=level, event_kind=first.event_kind,
                                    severity=first.severity, link=first.link)
            if _add(session, entry):
                queued += 1
                target = f"system:{first.subject}" if first.event_kind == "outage" else f"alert:{first.subject}"
                audit.record(session, "system", "notify.escalate", target,
                             {"route": route.id, "level": level, "waited_s": round(waited)})
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


def _absolute(body: str, link: str | None, link_base: str) -> str:
    """The link line of a message points at the page on this IOC (its public base URL)."""
    if link and link_base and body.endswith(link) and not link.startswith("http"):
        return body[: -len(link)] + link_base.rstrip("/") + link
    return body


def deliver_pending(session_scope: Callable, sender: Sender | None, max_per_minute: int = 20,
                    now: datetime | None = None, link_base: str = "",
                    recipient_sender: Callable[[str], Sender | None] | None = None) -> DeliveryReport:
    """Send due notifications: a row of a route to that route's targets (or its next level's),
    a row meant for one person (its `recipient`, e.g. a reporter's reminder) through
    `recipient_sender(address)`, any other row through `sender` (the global IOC_NOTIFY_URLS
    list). A row with no channel is kept as 'suppressed', never lost silently. `session_scope`
    is Database.session: each row is committed on its own so that a crash never resends what
    was already delivered."""
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
    for row_id in due:
        if budget <= 0:
            report.deferred += 1
            continue
        with session_scope() as session:
            row = session.get(NotificationLog, row_id)
            if row is None or row.state != "pending":
                continue
            if row.recipient is not None:
                channel = recipient_sender(row.recipient) if recipient_sender is not None else None
                if channel is None:  # no mail URL for personal messages (IOC_REMINDER_MAIL_URL)
                    row.state, row.next_attempt_at, row.last_error = "suppressed", None, "no notification URL configured for personal messages (IOC_REMINDER_MAIL_URL)"
                    continue
            elif row.route_id is None:
                channel = sender
                if channel is None:  # no channel configured (IOC_NOTIFY_URLS empty): keep the record, send nothing
                    row.state, row.next_attempt_at, row.last_error = "suppressed", None, "no notification URL configured"
                    continue
            else:
                route = session.get(NotificationRoute, row.route_id)
                if route is None or not route.active:
                    row.state, row.next_attempt_at, row.last_error = "suppressed", None, "the route was removed or turned off"
                    continue
                channel = sender_for(route, row.level)
            severity = row.severity or row.title[1:].split("]", 1)[0].lower()
            if row.kind == "state":
                severity = "up" if row.event_kind == "recovery" or row.title.startswith("[UP]") else "down"
            row.attempts += 1
            link = f"{link_base.rstrip('/')}{row.link}" if row.link and link_base else (row.link or "")
            meta = {} if row.route_id is None else {"skip": frozenset(row.delivered or ())}
            try:
                if row.recipient is not None:
                    channel.send(row.title, _absolute(row.body, row.link, link_base), severity)
                else:
                    channel.send(row.title, _absolute(row.body, row.link, link_base), severity, kind=row.event_kind or row.kind,
                                 link=link, system_id=row.subject if row.event_kind in ("outage", "recovery") else None,
                                 at=row.created_at, language="en" if row.route_id and _is_english(session, row) else "vi",
                                 **meta)
            except Exception as exc:  # noqa: BLE001 - a channel's failure must never stop the scheduler
                row.last_error = (str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}")[:2000]
                if isinstance(exc, DeliveryError) and exc.succeeded:
                    row.delivered = sorted(exc.succeeded)  # the next attempt skips them
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


def _is_english(session: Session, row: NotificationLog) -> bool:
    route = session.get(NotificationRoute, row.route_id)
    return route is not None and route.language == "en"
