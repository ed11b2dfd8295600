"""Retention of what grows with use (alerts, notification deliveries, audit entries, heartbeat
pings) on a real database: what is older than its setting goes, the rest stays (open alerts
and each endpoint's latest ping always stay), counts are returned, bad settings are refused."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from dashboard.catalog.loader import apply_catalog, parse_catalog
from dashboard.monitoring.collector import RetentionPolicy
from dashboard.monitoring.retention import GrowthRetention, apply_growth_retention
from dashboard.monitoring.rollups import apply_retention
from dashboard.store.models import Alert, AuditEntry, HeartbeatPing, NotificationLog

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=timezone.utc)
D = timedelta(days=1)
CATALOG = """\
version: 1
agencies:
  - {id: skhcn, name_vi: Sở Khoa học và Công nghệ, name_en: Department of Science and Technology}
communes: {include: false}
systems:
  - id: lgsp
    name_vi: Nền tảng LGSP
    name_en: LGSP
    owner: skhcn
    endpoints:
      - {id: health, url: "http://127.0.0.1:9/health", interval: 30s, timeout: 5s}
      - {id: hb, kind: heartbeat, token: "0123456789abcdef0123456789abcdef", period: 1m}
"""


def alert(n: int, status: str, last_seen: datetime) -> Alert:
    return Alert(fingerprint=f"f{n}", source_kind="manual", source="test", severity="high", category="c",
                 title=f"a{n}", first_seen=last_seen, last_seen=last_seen, status=status)


def counts(session) -> dict[str, int]:
    return {m.__tablename__: session.scalar(select(func.count()).select_from(m))
            for m in (Alert, NotificationLog, AuditEntry, HeartbeatPing)}


def test_growth_retention_removes_only_what_is_old(any_db):
    with any_db.session() as session:
        apply_catalog(session, parse_catalog(CATALOG, "test.yaml", {}), units=[])
        session.add_all([
            alert(1, "resolved", NOW - 400 * D),  # old and resolved: goes
            alert(2, "new", NOW - 400 * D),  # old but open: stays
            alert(3, "resolved", NOW - 10 * D),
            NotificationLog(key="k1", kind="alert", subject="1", title="t", body="b", created_at=NOW - 200 * D),
            NotificationLog(key="k2", kind="alert", subject="1", title="t", body="b", created_at=NOW - 5 * D),
            AuditEntry(at=NOW - 2000 * D, actor="a", action="login"),
            AuditEntry(at=NOW - 400 * D, actor="a", action="login"),  # a year old: audit keeps five
            HeartbeatPing(endpoint_id="lgsp.hb", received_at=NOW - 60 * D),
            HeartbeatPing(endpoint_id="lgsp.hb", received_at=NOW - 40 * D),  # old, but the latest: stays
            HeartbeatPing(endpoint_id="lgsp.health", received_at=NOW - 90 * D),  # the only one: stays
        ])
    with any_db.session() as session:
        removed = apply_retention(session, RetentionPolicy(), now=NOW)
        assert {k: removed[k] for k in ("alerts", "notifications", "audit", "heartbeat_pings")} == {
            "alerts": 1, "notifications": 1, "audit": 1, "heartbeat_pings": 1}
    with any_db.session() as session:
        assert counts(session) == {"alerts": 2, "notification_log": 1, "audit_log": 1, "heartbeat_pings": 2}
        assert apply_growth_retention(session, GrowthRetention(), now=NOW) == {
            "alerts": 0, "notifications": 0, "audit": 0, "heartbeat_pings": 0}


@pytest.mark.parametrize("env, expected", [
    ({}, GrowthRetention(365, 180, 1825, 30)),
    ({"IOC_AUDIT_RETENTION_DAYS": "3650", "IOC_HEARTBEAT_RETENTION_DAYS": "7"}, GrowthRetention(365, 180, 3650, 7)),
])
def test_settings(env, expected):
    assert GrowthRetention.from_env(env) == expected


@pytest.mark.parametrize("env, message", [
    ({"IOC_ALERT_RETENTION_DAYS": "a year"}, "IOC_ALERT_RETENTION_DAYS: 'a year' is not a number"),
    ({"IOC_AUDIT_RETENTION_DAYS": "0"}, "IOC_AUDIT_RETENTION_DAYS: must be more than 0"),
])
def test_bad_settings_are_refused(env, message):
    with pytest.raises(ValueError, match=message):
        GrowthRetention.from_env(env)
