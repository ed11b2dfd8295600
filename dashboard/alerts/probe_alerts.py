"""Alerts derived from what the probes stored: certificate expiring or expired, TLS
verification failure, an outdated TLS protocol, a system down beyond a threshold, and basic
security headers missing on public portals.

`derive_probe_alerts` reads only current-state columns (endpoints.last_detail, systems.status)
and runs from a scheduler job every minute. Each rule has one fingerprint per endpoint or
system: while the condition holds, the open alert's last_seen moves (no count inflation every
minute); when it clears, the alert is resolved automatically. Pure functions (`*_finding`)
decide, so tests call them directly.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.alerts.rules import AlertInput, auto_resolve, fingerprint, open_alert, raise_alert
from dashboard.alerts.settings import AlertSettings
from dashboard.domain.alerts import SEVERITY_RANK
from dashboard.store.models import Endpoint, Status, System

OUTDATED_PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1")
# Response headers every public portal should send (OWASP secure headers, the basic set).
SECURITY_HEADERS = ("strict-transport-security", "x-content-type-options", "content-security-policy", "x-frame-options")


@dataclass(frozen=True)
class Finding:
    rule: str  # cert_expiry | tls_verify | tls_protocol | system_down | security_headers
    severity: str
    title: str
    description: str


def certificate_finding(cert: dict | None, settings: AlertSettings) -> Finding | None:
    if not cert or cert.get("days_left") is None:
        return None
    days = float(cert["days_left"])
    until = str(cert.get("not_after") or "")[:10]
    if days < 0:
        return Finding("cert_expiry", "critical", "Chứng chỉ TLS đã hết hạn / TLS certificate expired",
                       f"expired on {until} ({-days:.0f} days ago); subject {cert.get('subject')}")
    if days <= settings.cert_critical_days:
        return Finding("cert_expiry", "high", "Chứng chỉ TLS sắp hết hạn / TLS certificate expiring",
                       f"expires in {days:.1f} days (on {until}); subject {cert.get('subject')}")
    if days <= settings.cert_warning_days:
        return Finding("cert_expiry", "medium", "Chứng chỉ TLS sắp hết hạn / TLS certificate expiring",
                       f"expires in {days:.0f} days (on {until}); subject {cert.get('subject')}")
    return None


def verification_finding(detail: dict | None) -> Finding | None:
    if not detail:
        return None
    cert = detail.get("certificate")
    error = (cert or {}).get("verify_error") if cert else detail.get("verify_error")
    if (cert and cert.get("verified") is False) or (cert is None and detail.get("verify_error")):
        return Finding("tls_verify", "high", "Xác thực chứng chỉ TLS thất bại / TLS verification failure",
                       f"{error or 'certificate not trusted'}")
    return None


def protocol_finding(cert: dict | None) -> Finding | None:
    protocol = (cert or {}).get("protocol")
    if protocol in OUTDATED_PROTOCOLS:
        return Finding("tls_protocol", "medium", "Giao thức TLS lỗi thời / Outdated TLS protocol",
                       f"the server negotiated {protocol}; allow TLS 1.2 and 1.3 only")
    return None


def headers_finding(detail: dict | None, url: str) -> Finding | None:
    """`detail["security_headers"]` is what the http probe saw (only for endpoints marked
    `options: {public_portal: true}`); absent means not checked."""
    seen = (detail or {}).get("security_headers")
    if not isinstance(seen, dict):
        return None
    present = {k.lower() for k in seen}
    wanted = [h for h in SECURITY_HEADERS if not (h == "strict-transport-security" and not url.startswith("https"))]
    missing = [h for h in wanted if h not in present]
    if not missing:
        return None
    return Finding("security_headers", "low", "Cổng công khai thiếu header bảo mật / Security headers missing on a public portal",
                   "missing: " + ", ".join(missing))


def down_finding(status: str, since: datetime | None, now: datetime, threshold_s: float) -> Finding | None:
    if status != Status.DOWN or since is None or now - since < timedelta(seconds=threshold_s):
        return None
    minutes = (now - since).total_seconds() / 60
    return Finding("system_down", "critical" if minutes >= 60 else "high",
                   "Hệ thống gián đoạn kéo dài / System down beyond the threshold",
                   f"down for {minutes:.0f} min (threshold {threshold_s / 60:.0f} min)")


def _apply(session: Session, key: str, finding: Finding | None, now: datetime, *, system_id: str | None,
           agency_id: str | None, asset: str | None, subject: str) -> int:
    if finding is None:
        return int(auto_resolve(session, key, "condition cleared (checked by the probe)", now) is not None)
    current = open_alert(session, key)
    if current is not None and SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[current.severity]:
        current.last_seen = now
        current.description = finding.description
        return 0
    raise_alert(session, AlertInput(
        source_kind="probe", source="probe", severity=finding.severity, category=finding.rule,
        title=f"{finding.title}: {subject}", description=finding.description, system_id=system_id,
        agency_id=agency_id, asset=asset, fingerprint=key, observed_at=now,
    ), now)
    return 1


def derive_probe_alerts(session: Session, settings: AlertSettings | None = None, now: datetime | None = None) -> int:
    """Run every rule once; returns how many alerts were raised, escalated or resolved."""
    settings = settings or AlertSettings()
    now = now or utcnow()
    changes = 0
    owners = dict(session.execute(select(System.id, System.owner_agency_id)).all())
    rows = session.execute(
        select(Endpoint.id, Endpoint.system_id, Endpoint.name, Endpoint.kind, Endpoint.target, Endpoint.options,
               Endpoint.last_detail).where(Endpoint.active.is_(True))
    ).all()
    for endpoint_id, system_id, name, kind, target, options, detail in rows:
        options = options or {}
        agency_id = options.get("agency") or owners.get(system_id)
        where = dict(system_id=system_id, agency_id=agency_id, asset=target[:255], subject=f"{name} ({endpoint_id})")
        detail = detail or {}
        # A probe that never reached the TLS handshake says nothing about the certificate:
        # leave those alerts as they are (neither raise nor resolve).
        if "certificate" in detail:
            cert = detail["certificate"]
            changes += _apply(session, fingerprint("probe", "tls_verify", endpoint_id),
                              verification_finding(detail), now, **where)
            if cert:
                changes += _apply(session, fingerprint("probe", "cert_expiry", endpoint_id),
                                  certificate_finding(cert, settings), now, **where)
                changes += _apply(session, fingerprint("probe", "tls_protocol", endpoint_id),
                                  protocol_finding(cert), now, **where)
        if options.get("public_portal") and "security_headers" in detail:
            changes += _apply(session, fingerprint("probe", "security_headers", endpoint_id),
                              headers_finding(detail, target), now, **where)
    systems = session.execute(select(System.id, System.name_vi, System.status, System.status_since, System.owner_agency_id)
                              .where(System.active.is_(True))).all()
    for system_id, name_vi, status, since, owner in systems:
        changes += _apply(session, fingerprint("probe", "system_down", system_id),
                          down_finding(status, since, now, settings.down_alert_after_s), now,
                          system_id=system_id, agency_id=owner, asset=None, subject=name_vi)
    return changes
