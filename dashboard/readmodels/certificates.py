"""Certificates that expire soon (or have expired), as the latest TLS/HTTPS checks saw them.

Read from the endpoints' current state (`endpoints.last_detail`), the same facts the
certificate alerts use, so the report and the alerts agree.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.timeutil import parse_iso
from dashboard.plans.availability import VN_TZ
from dashboard.readmodels.detail import certificate_view
from dashboard.store.models import Endpoint, System

# The report lists certificates that expire within this many days (the certificate alert's
# default warning threshold).
EXPIRING_WITHIN_DAYS = 30.0


def _day(value) -> date | None:
    """The expiry as a local (Vietnam) calendar day."""
    moment = parse_iso(value) if isinstance(value, str) else None
    return moment.astimezone(VN_TZ).date() if moment is not None else None


def expiring_rows(certificates: list[dict], within_days: float = EXPIRING_WITHIN_DAYS) -> list[dict]:
    """The certificates with days_left <= within_days (expired first), from plain rows."""
    soon = [c for c in certificates if c.get("days_left") is not None and c["days_left"] <= within_days]
    return sorted(soon, key=lambda c: (c["days_left"], c["system_vi"], c["endpoint"]))


def expiring_certificates(session: Session, now: datetime, within_days: float = EXPIRING_WITHIN_DAYS) -> list[dict]:
    rows = session.execute(
        select(System.name_vi, System.name_en, Endpoint.id, Endpoint.name, Endpoint.last_detail)
        .join(System, System.id == Endpoint.system_id)
        .where(Endpoint.active.is_(True), Endpoint.last_detail.is_not(None))
    ).all()
    certificates = []
    for name_vi, name_en, endpoint_id, endpoint_name, detail in rows:
        cert = certificate_view(detail, now)
        if cert is None:
            continue
        certificates.append({
            "system_vi": name_vi, "system_en": name_en, "endpoint_id": endpoint_id, "endpoint": endpoint_name,
            "subject": cert.get("subject"), "not_after": _day(cert.get("not_after")),
            "days_left": cert.get("days_left"),
        })
    return expiring_rows(certificates, within_days)
