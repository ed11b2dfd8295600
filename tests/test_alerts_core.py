"""Security alerts on SQLite and PostgreSQL: dedup, reopen, acknowledge/resolve, probe-derived
rules, file import (all or nothing), read models, and the notification outbox's detection."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from collectors.timeutil import utcnow
from dashboard.alerts import ingest as alert_ingest
from dashboard.alerts import notify
from dashboard.alerts import rules as alerts
from dashboard.alerts.probe_alerts import derive_probe_alerts, down_finding, headers_finding, protocol_finding
from dashboard.alerts.rules import AlertInput
from dashboard.alerts.settings import AlertSettings
from dashboard.readmodels import alerts as alerts_queries
from dashboard.store.models import Agency, Alert, AlertEvent, Endpoint, NotificationLog, StateEvent, System


@pytest.fixture
def db(any_db):
    with any_db.session() as s:
        s.add_all([
            Agency(id="cong-an", name_vi="Công an tỉnh", name_en="Provincial Police", kind="police"),
            Agency(id="unit-21025", name_vi="Phường Cẩm Thành", name_en="Cam Thanh Ward", kind="ward", lat=15.11, lon=108.81),
        ])
        s.flush()
        s.add(System(id="dvc", name_vi="Cổng dịch vụ công", name_en="Public service portal", owner_agency_id="cong-an"))
        s.flush()
        s.add(Endpoint(id="dvc.tls", system_id="dvc", name="TLS", kind="tls", target="dvc.example:443",
                       interval_s=60, timeout_s=5, options={}))
        s.add(Endpoint(id="dvc.web", system_id="dvc", name="Portal", kind="http", target="https://dvc.example/",
                       interval_s=60, timeout_s=5, options={"public_portal": True}))
    return any_db


def item(**kw) -> AlertInput:
    base = dict(source_kind="webhook", source="soc", severity="high", category="malware",
                title="Trojan found", agency_id="unit-21025", asset="PC-01")
    return AlertInput(**{**base, **kw})


def test_same_fingerprint_is_one_alert_counted(db):
    with db.session() as s:
        first = alerts.raise_alert(s, item())
        again = alerts.raise_alert(s, item())
        other = alerts.raise_alert(s, item(asset="PC-02"))
    assert first.created and not again.is_new and other.created
    with db.session() as s:
        rows = s.scalars(select(Alert).order_by(Alert.id)).all()
        assert [(a.asset, a.count) for a in rows] == [("PC-01", 2), ("PC-02", 1)]
        assert rows[0].last_seen >= rows[0].first_seen


def test_worse_repeat_escalates_and_resolved_alert_reopens(db):
    with db.session() as s:
        alert_id = alerts.raise_alert(s, item(severity="medium")).alert.id
        alerts.raise_alert(s, item(severity="critical"))
        alerts.acknowledge(s, alert_id, "Nguyễn Văn A", "đang cách ly máy")
        alerts.resolve(s, alert_id, "Nguyễn Văn A", "đã cài lại máy")
    with db.session() as s:
        outcome = alerts.raise_alert(s, item())
        assert outcome.reopened and outcome.alert.id == alert_id
    with db.session() as s:
        view = alerts_queries.alert_detail(s, alert_id)
    assert view["severity"] == "high" and view["status"] == "new" and view["count"] == 3
    assert [e["kind"] for e in view["events"]] == ["created", "escalated", "acknowledged", "resolved", "reopened"]
    assert view["events"][2]["actor"] == "Nguyễn Văn A" and view["events"][2]["comment"] == "đang cách ly máy"


def test_acknowledge_and_resolve_rules(db):
    with db.session() as s:
        alert_id = alerts.raise_alert(s, item()).alert.id
        alerts.resolve(s, alert_id, "ops", None)
    with db.session() as s, pytest.raises(alerts.AlertError):
        alerts.acknowledge(s, alert_id, "ops")
    with db.session() as s, pytest.raises(alerts.AlertError):
        alerts.resolve(s, alert_id, "ops")
    with db.session() as s, pytest.raises(alerts.AlertError):
        alerts.acknowledge(s, 9999, "ops")


def test_new_critical_and_high_alerts_queue_one_notification(db):
    with db.session() as s:
        alerts.raise_alert(s, item(severity="critical"))
        alerts.raise_alert(s, item(severity="critical"))  # a repeat: no second notification
        alerts.raise_alert(s, item(severity="low", title="Weak header"))
    with db.session() as s:
        rows = s.scalars(select(NotificationLog)).all()
    assert len(rows) == 1 and rows[0].title.startswith("[CRITICAL]") and rows[0].state == "pending"


def test_system_down_and_back_notified_once_and_flapping_suppressed(db):
    now = utcnow()
    with db.session() as s:
        assert notify.queue_state_changes(s, now) == 0  # first run: starts from now
        for minute, (old, new) in enumerate([("up", "down"), ("down", "up"), ("up", "down")]):
            s.add(StateEvent(subject_type="system", subject_id="dvc", at=now + timedelta(minutes=minute),
                             old_status=old, new_status=new, reason="HTTP 503"))
        s.add(StateEvent(subject_type="endpoint", subject_id="dvc.web", at=now, old_status="up", new_status="down"))
        s.flush()
        assert notify.queue_state_changes(s, now) == 2
        assert notify.queue_state_changes(s, now) == 0  # cursor moved: nothing twice
    with db.session() as s:
        rows = s.scalars(select(NotificationLog).order_by(NotificationLog.id)).all()
    assert [(r.title.split("]")[0], r.state) for r in rows] == [("[DOWN", "pending"), ("[UP", "pending"), ("[DOWN", "deduplicated")]


def test_probe_rules_raise_escalate_and_resolve(db):
    settings = AlertSettings(cert_warning_days=30, cert_critical_days=7, down_alert_after_s=600)
    now = utcnow()
    cert = {"days_left": 20, "not_after": "2026-12-17T00:00:00Z", "subject": "CN=dvc.example", "verified": True,
            "protocol": "TLSv1.1"}
    with db.session() as s:
        s.get(Endpoint, "dvc.tls").last_detail = {"certificate": cert}
        s.get(Endpoint, "dvc.web").last_detail = {"security_headers": {"X-Frame-Options": "DENY"}}
        system = s.get(System, "dvc")
        system.status, system.status_since = "down", now - timedelta(minutes=15)
    with db.session() as s:
        assert derive_probe_alerts(s, settings, now) == 4
        assert derive_probe_alerts(s, settings, now + timedelta(minutes=1)) == 0  # no count inflation
    with db.session() as s:
        found = {a.category: (a.severity, a.count, a.system_id, a.agency_id) for a in s.scalars(select(Alert))}
    assert found == {"cert_expiry": ("medium", 1, "dvc", "cong-an"), "tls_protocol": ("medium", 1, "dvc", "cong-an"),
                     "security_headers": ("low", 1, "dvc", "cong-an"), "system_down": ("high", 1, "dvc", "cong-an")}

    with db.session() as s:  # the certificate gets closer to expiry, verification fails, the system is back
        s.get(Endpoint, "dvc.tls").last_detail = {"certificate": {**cert, "days_left": 3, "verified": False,
                                                                  "verify_error": "self-signed certificate", "protocol": "TLSv1.3"}}
        s.get(System, "dvc").status = "up"
        derive_probe_alerts(s, settings, now)
    with db.session() as s:
        state = {a.category: (a.severity, a.status) for a in s.scalars(select(Alert))}
    assert state["cert_expiry"] == ("high", "new")  # escalated in place
    assert state["tls_verify"] == ("high", "new")
    assert state["tls_protocol"][1] == "resolved" and state["system_down"][1] == "resolved"

    with db.session() as s:  # a probe that could not connect says nothing about the certificate
        s.get(Endpoint, "dvc.tls").last_detail = {"host": "dvc.example"}
        derive_probe_alerts(s, settings, now)
    with db.session() as s:
        assert s.scalar(select(Alert.status).where(Alert.category == "cert_expiry")) == "new"


def test_probe_rule_functions():
    now = utcnow()
    assert down_finding("down", now - timedelta(minutes=5), now, 600) is None
    assert down_finding("down", now - timedelta(minutes=90), now, 600).severity == "critical"
    assert protocol_finding({"protocol": "TLSv1.3"}) is None
    headers = {k: "x" for k in ("Strict-Transport-Security", "X-Content-Type-Options", "Content-Security-Policy", "X-Frame-Options")}
    assert headers_finding({"security_headers": headers}, "https://a") is None
    assert "strict-transport-security" not in headers_finding({"security_headers": {}}, "http://a").description


def test_file_import_all_or_nothing(db):
    good = "severity,title,category,agency,asset,rule\nhigh,Brute force,brute_force,cong-an,10.0.0.5,5712\nlow,Scan,recon,,,\n"
    bad = good + "urgent,Bad severity,x,,,\nhigh,Unknown place,x,nowhere,,\n"
    with db.session() as s:
        report = alert_ingest.import_file(s, "alerts.csv", good.encode())
        assert (report.created, report.repeated) == (2, 0)
    with db.session() as s, pytest.raises(alert_ingest.IngestRejected) as caught:
        alert_ingest.import_file(s, "alerts.csv", bad.encode())
    assert caught.value.details[0]["row"] == 3 and caught.value.details[0]["field"] == "severity"
    with db.session() as s, pytest.raises(alert_ingest.IngestRejected) as caught:
        alert_ingest.import_file(s, "more.json", json.dumps({"alerts": [
            {"severity": "high", "title": "ok"}, {"severity": "high", "title": "x", "agency": "nowhere"}]}).encode())
    assert "agency" in caught.value.details[0]["field"]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 2
        first = s.scalars(select(Alert).order_by(Alert.id)).first()
        assert first.details == {"rule": "5712"} and first.source_kind == "import"
        assert s.scalar(select(func.count()).select_from(AlertEvent)) == 2


def test_read_models_for_page_wall_and_map(db):
    with db.session() as s:
        alerts.raise_alert(s, item(severity="critical"))
        alerts.raise_alert(s, item(severity="low", title="other", agency_id=None, system_id="dvc"))
        total, rows = alerts_queries.list_alerts(s, severity=["critical"])
        assert total == 1 and rows[0]["agency_name"] == "Phường Cẩm Thành"
        assert alerts_queries.open_counts(s)["critical"] == 1
        by_agency = {r["id"]: r["total"] for r in alerts_queries.open_by(s, "agency")}
        assert by_agency == {"unit-21025": 1}
        places = alerts_queries.alerts_by_agency(s)
        assert places["unit-21025"]["worst"] == "critical" and places["unit-21025"]["lat"] == 15.11
        assert places["cong-an"]["count"] == 1  # a system's alert counts for its owner
        feed = alerts_queries.latest_alerts(s)
        assert [f["severity"] for f in feed] == ["critical"] and feed[0]["kind"] == "alert"
        days = alerts_queries.severity_over_time(s, days=3)
        assert len(days) == 4 and sum(d["critical"] for d in days) == 1


def test_probe_alerts_are_stored_as_codes_and_read_in_each_language(db):
    # Before: the title was one stored "vi / en" string and the description English text.
    settings = AlertSettings(cert_warning_days=30, cert_critical_days=7, down_alert_after_s=600)
    now = utcnow()
    with db.session() as s:
        s.get(Endpoint, "dvc.tls").last_detail = {"certificate": {"days_left": 12.5, "not_after": "2026-12-17T00:00:00Z",
                                                                  "subject": "CN=dvc.example", "verified": True}}
        derive_probe_alerts(s, settings, now)
        alerts.raise_alert(s, item(title="Trojan found", description="Dec 02 sshd: brute force"), now)  # from outside
    with db.session() as s:
        stored = s.scalars(select(Alert).where(Alert.category == "cert_expiry")).one()
        assert (stored.title_code, stored.title_params) == ("alert.title.cert_expiring", {"subject": "TLS (dvc.tls)"})
        assert stored.description_code == "alert.desc.cert_expiring" and stored.description_params["days"] == 12
        assert " / " not in stored.title
        total, rows = alerts_queries.list_alerts(s, limit=10)
    views = {row["category"]: row for row in rows}
    probe, outside = views["cert_expiry"], views["malware"]
    assert probe["title_vi"] == "Chứng chỉ TLS sắp hết hạn: TLS (dvc.tls)"
    assert probe["title_en"] == "TLS certificate expiring: TLS (dvc.tls)"
    assert probe["description_vi"] == "Hết hạn sau 12 ngày (ngày 17/12/2026); chủ thể CN=dvc.example"
    assert probe["description_en"] == "Expires in 12 days (on 17/12/2026); subject CN=dvc.example"
    # an alert from outside (and a row stored before the codes) keeps the text it came with
    assert outside["title_vi"] == outside["title_en"] == "Trojan found"
    assert outside["description_vi"] == outside["description_en"] == "Dec 02 sshd: brute force"
