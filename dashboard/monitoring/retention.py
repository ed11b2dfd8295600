"""Retention for the tables that grow with use rather than with the catalog: security alerts,
notification deliveries, audit entries and heartbeat pings. Applied by the collector's
scheduled retention job (dashboard.monitoring.rollups.apply_retention), which logs the row
counts removed. Defaults (days; documented in docs/alerts.md):

    alerts (resolved ones, by their last sighting)   365   IOC_ALERT_RETENTION_DAYS
    notification deliveries                          180   IOC_NOTIFICATION_RETENTION_DAYS
    audit entries (the longest: accountability)     1825   IOC_AUDIT_RETENTION_DAYS
    heartbeat pings (each endpoint keeps its latest)  30   IOC_HEARTBEAT_RETENTION_DAYS
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.store.models import Alert, AuditEntry, HeartbeatPing, NotificationLog

ENV = {"alert_days": "IOC_ALERT_RETENTION_DAYS", "notification_days": "IOC_NOTIFICATION_RETENTION_DAYS",
       "audit_days": "IOC_AUDIT_RETENTION_DAYS", "heartbeat_days": "IOC_HEARTBEAT_RETENTION_DAYS"}


@dataclass(frozen=True)
class GrowthRetention:
    alert_days: float = 365.0
    notification_days: float = 180.0
    audit_days: float = 1825.0
    heartbeat_days: float = 30.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> GrowthRetention:
        """Read the four settings; a value that is not a positive number stops with its name."""
        env = os.environ if env is None else env
        values = {}
        for name, key in ENV.items():
            if env.get(key):
                try:
                    value = float(env[key])
                except ValueError:
                    raise ValueError(f"{key}: {env[key]!r} is not a number of days") from None
                if value <= 0:
                    raise ValueError(f"{key}: must be more than 0 days")
                values[name] = value
        return cls(**values)


def apply_growth_retention(session: Session, policy: GrowthRetention | None = None,
                           now: datetime | None = None) -> dict[str, int]:
    """Delete what is older than its retention; returns the row counts removed per table."""
    policy = policy or GrowthRetention.from_env()
    now = now or utcnow()
    cutoff = lambda days: now - timedelta(days=days)  # noqa: E731
    removed = {}
    removed["alerts"] = session.execute(delete(Alert).where(
        Alert.status == "resolved", Alert.last_seen < cutoff(policy.alert_days))).rowcount
    removed["notifications"] = session.execute(delete(NotificationLog).where(
        NotificationLog.created_at < cutoff(policy.notification_days))).rowcount
    removed["audit"] = session.execute(delete(AuditEntry).where(AuditEntry.at < cutoff(policy.audit_days))).rowcount
    latest = select(func.max(HeartbeatPing.id)).group_by(HeartbeatPing.endpoint_id).scalar_subquery()
    removed["heartbeat_pings"] = session.execute(delete(HeartbeatPing).where(
        HeartbeatPing.received_at < cutoff(policy.heartbeat_days), HeartbeatPing.id.not_in(latest))).rowcount
    return removed
