"""Security alerts: the rules of raising, deduplicating and closing an alert.

Every source — probe-derived rules, the SIEM pull, webhooks, file imports — hands an
`AlertInput` to `raise_alert`. An open alert (new or acknowledged) with the same fingerprint
is the same alert: its last_seen and count move, nothing else. A resolved alert that fires
again is reopened (status back to new), so its history stays in one place.

Acknowledging and resolving go through `acknowledge` / `resolve`, which call the single
permission check (dashboard.auth.permissions.require) first; resolving needs the same
role as acknowledging.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.auth.permissions import require
from dashboard.domain.alerts import (
    OPEN_STATUSES,
    SEVERITIES,
    SEVERITY_RANK,
)
from dashboard.domain.limits import TextTooLong, check_text
from dashboard.store.models import Alert, AlertEvent


class AlertError(ValueError):
    """A request about an alert that cannot be honoured (unknown alert, wrong state)."""


@dataclass(frozen=True)
class AlertInput:
    source_kind: str
    source: str
    severity: str
    category: str
    title: str
    description: str | None = None
    system_id: str | None = None
    agency_id: str | None = None
    asset: str | None = None
    external_id: str | None = None
    fingerprint: str | None = None  # computed from the content when not given
    observed_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # the app's own alerts: translation codes and parameters, rendered per reader (None: plain text)
    title_code: str | None = None
    title_params: dict[str, Any] | None = None
    description_code: str | None = None
    description_params: dict[str, Any] | None = None

    def key(self) -> str:
        return self.fingerprint or fingerprint(self.source, self.category, self.title, self.system_id,
                                               self.agency_id, self.asset)


def _set_codes(alert: Alert, item: AlertInput) -> None:
    alert.title_code, alert.title_params = item.title_code, item.title_params
    alert.description_code, alert.description_params = item.description_code, item.description_params


def fingerprint(*parts: str | None) -> str:
    """Stable identity of 'the same alert': sender, what and where — not when, not how often."""
    text = "\x1f".join("" if p is None else str(p).strip().lower() for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    alert: Alert
    created: bool  # a new alert row
    reopened: bool  # a resolved alert fired again

    @property
    def is_new(self) -> bool:
        return self.created or self.reopened


def open_alert(session: Session, key: str) -> Alert | None:
    return session.scalars(
        select(Alert).where(Alert.fingerprint == key, Alert.status.in_(OPEN_STATUSES)).order_by(Alert.id.desc()).limit(1)
    ).first()


def raise_alert(session: Session, item: AlertInput, now: datetime | None = None) -> Outcome:
    """Store an alert occurrence: create, count a repeat, or reopen. Notifications for new
    critical/high alerts are queued in the same transaction (delivered later)."""
    if item.severity not in SEVERITIES:
        raise AlertError(f"unknown severity {item.severity!r}; expected one of {', '.join(SEVERITIES)}")
    now = now or utcnow()
    seen = item.observed_at or now
    key = item.key()
    alert = open_alert(session, key)
    if alert is not None:
        alert.last_seen = max(alert.last_seen, seen)
        alert.count += 1
        # A repeat may be worse than the first sighting: keep the worst severity seen.
        if SEVERITY_RANK[item.severity] < SEVERITY_RANK[alert.severity]:
            alert.severity = item.severity
            session.add(AlertEvent(alert=alert, at=now, kind="escalated", comment=f"severity {item.severity}"))
        return Outcome(alert, created=False, reopened=False)

    previous = session.scalars(
        select(Alert).where(Alert.fingerprint == key).order_by(Alert.id.desc()).limit(1)
    ).first()
    if previous is not None:  # resolved earlier: the same problem is back
        previous.status, previous.status_at, previous.status_by, previous.status_comment = "new", now, None, None
        previous.last_seen = max(previous.last_seen, seen)
        previous.count += 1
        previous.severity = item.severity
        previous.title, previous.description = item.title, item.description
        _set_codes(previous, item)
        session.add(AlertEvent(alert=previous, at=now, kind="reopened", actor=item.source))
        _queue_notification(session, previous, now, reopened=True)
        return Outcome(previous, created=False, reopened=True)

    alert = Alert(
        fingerprint=key, source_kind=item.source_kind, source=item.source, external_id=item.external_id,
        severity=item.severity, category=item.category, title=item.title, description=item.description,
        system_id=item.system_id, agency_id=item.agency_id, asset=item.asset,
        first_seen=seen, last_seen=seen, count=1, status="new", details=item.details or None,
    )
    _set_codes(alert, item)
    session.add(alert)
    session.add(AlertEvent(alert=alert, at=now, kind="created", actor=item.source))
    session.flush()
    _queue_notification(session, alert, now)
    return Outcome(alert, created=True, reopened=False)


def _queue_notification(session: Session, alert: Alert, now: datetime, reopened: bool = False) -> None:
    """The global list hears of critical and high alerts (NOTIFY_SEVERITIES); routes take
    what their minimum severity allows (dashboard.alerts.notify.queue_alert decides both)."""
    from dashboard.alerts.notify import queue_alert

    queue_alert(session, alert, now, reopened=reopened)


def acknowledge(session: Session, alert_id: int, user: str, comment: str | None = None,
                now: datetime | None = None) -> Alert:
    require("acknowledge", user)
    alert = _get(session, alert_id)
    if alert.status != "new":
        raise AlertError(f"alert {alert_id} is {alert.status}: only a new alert can be acknowledged")
    return _set_status(session, alert, "acknowledged", user, comment, now)


def resolve(session: Session, alert_id: int, user: str, comment: str | None = None,
            now: datetime | None = None) -> Alert:
    require("acknowledge", user)  # resolving takes the same role as acknowledging
    alert = _get(session, alert_id)
    if alert.status == "resolved":
        raise AlertError(f"alert {alert_id} is already resolved")
    return _set_status(session, alert, "resolved", user, comment, now)


def auto_resolve(session: Session, key: str, reason: str, now: datetime | None = None) -> Alert | None:
    """Close an open probe-derived alert whose condition cleared (certificate renewed...)."""
    alert = open_alert(session, key)
    if alert is None:
        return None
    now = now or utcnow()
    alert.status, alert.status_at, alert.status_by, alert.status_comment = "resolved", now, "system", reason
    session.add(AlertEvent(alert=alert, at=now, kind="auto_resolved", actor="system", comment=reason))
    return alert


def _get(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertError(f"no alert {alert_id}")
    return alert


def _set_status(session: Session, alert: Alert, status: str, user: str, comment: str | None,
                now: datetime | None) -> Alert:
    now = now or utcnow()
    user = (user or "").strip()[:128] or "unknown"
    comment = (comment or "").strip() or None
    try:
        check_text("alert.comment", comment)
    except TextTooLong as exc:
        raise AlertError(str(exc)) from None
    alert.status, alert.status_at, alert.status_by, alert.status_comment = status, now, user, comment
    session.add(AlertEvent(alert=alert, at=now, kind=status, actor=user, comment=comment))
    from dashboard.auth import audit

    audit.record(session, user, f"alert.{status}", f"alert:{alert.id}", {"comment": comment})
    return alert
