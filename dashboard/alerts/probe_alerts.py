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

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.alerts.rules import AlertInput, auto_resolve, fingerprint, open_alert, raise_alert
from dashboard.alerts.settings import AlertSettings
from dashboard.domain.alerts import SEVERITY_RANK
from dashboard.i18n import coded_text
from dashboard.store.models import Endpoint, Status, System

OUTDATED_PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1")
# Response headers every public portal should send (OWASP secure headers, the basic set).
SECURITY_HEADERS = ("strict-transport-security", "x-content-type-options", "content-security-policy", "x-frame-options")


@dataclass(frozen=True)
class Finding:
    """What a rule found: its kind names the translation codes of the alert's title and
    description (`alert.title.<kind>`, `alert.desc.<kind>`), rendered per reader from `params`."""
    rule: str  # cert_expiry | tls_verify | tls_protocol | system_down | security_headers
    severity: str
    kind: str  # cert_expired | cert_expiring | tls_untrusted | tls_outdated | headers_missing | system_down
    params: dict = field(default_factory=dict)

    @property
    def title_code(self) -> str:
        return f"alert.title.{self.kind}"

    @property
    def description_code(self) -> str:
        return f"alert.desc.{self.kind}"

    def describe(self, lang: str = "vi") -> str:
        return coded_text(self.description_code, self.params, None, lang)

    @property
    def description(self) -> str:
        """In Vietnamese, as stored next to the code for search and for senders."""
        return self.describe("vi")


def certificate_finding(cert: dict | None, settings: AlertSettings) -> Finding | None:
    if not cert or cert.get("days_left") is None:
        return None
    days = float(cert["days_left"])
    params = {"until": str(cert.get("not_after") or "")[:10], "subject": str(cert.get("subject"))}
    if days < 0:
        return Finding("cert_expiry", "critical", "cert_expired", {**params, "days": round(-days)})
    if days <= settings.cert_critical_days:
        return Finding("cert_expiry", "high", "cert_expiring", {**params, "days": round(days, 1)})
    if days <= settings.cert_warning_days:
        return Finding("cert_expiry", "medium", "cert_expiring", {**params, "days": round(days)})
    return None


def verification_finding(detail: dict | None) -> Finding | None:
    if not detail:
        return None
    cert = detail.get("certificate")
    error = (cert or {}).get("verify_error") if cert else detail.get("verify_error")
    if (cert and cert.get("verified") is False) or (cert is None and detail.get("verify_error")):
        return Finding("tls_verify", "high", "tls_untrusted", {"error": str(error or "—")})
    return None


def protocol_finding(cert: dict | None) -> Finding | None:
    protocol = (cert or {}).get("protocol")
    if protocol in OUTDATED_PROTOCOLS:
        return Finding("tls_protocol", "medium", "tls_outdated", {"protocol": protocol})
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
    return Finding("security_headers", "low", "headers_missing", {"headers": missing})


def down_finding(status: str, since: datetime | None, now: datetime, threshold_s: float) -> Finding | None:
    if status != Status.DOWN or since is None or now - since < timedelta(seconds=threshold_s):
        return None
    minutes = (now - since).total_seconds() / 60
    return Finding("system_down", "critical" if minutes >= 60 else "high", "system_down",
                   {"minutes": round(minutes), "threshold": round(threshold_s / 60)})


def _apply(session: Session, key: str, finding: Finding | None, now: datetime, *, system_id: str | None,
           agency_id: str | None, asset: str | None, subject: str) -> int:
    if finding is None:
        return int(auto_resolve(session, key, "condition cleared (checked by the probe)", now) is not None)
    current = open_alert(session, key)
    if current is not None and SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[current.severity]:
        current.last_seen = now
        current.description = finding.description
        current.description_code, current.description_params = finding.description_code, dict(finding.params)
        return 0
    title_params = {"subject": subject}
    raise_alert(session, AlertInput(
        source_kind="probe", source="probe", severity=finding.severity, category=finding.rule,
        title=coded_text(finding.title_code, title_params, None, "vi"), description=finding.description,
        system_id=system_id, agency_id=agency_id, asset=asset, fingerprint=key, observed_at=now,
        title_code=finding.title_code, title_params=title_params,
        description_code=finding.description_code, description_params=dict(finding.params),
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
