"""Notification routes, the delivery side: checking a route's target URLs the way Apprise
will read them, and the generic HMAC-signed JSON webhook for channels Apprise lacks (e.g. a
Zalo OA bridge). The matching rules are pure, in dashboard.domain.routes; the body and the
signature are documented in docs/alerts.md."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

from collectors.timeutil import iso
from dashboard.domain.routes import RouteError

WEBHOOK_SCHEMES = ("ioc-webhook://", "ioc-webhooks://")  # our signed webhook: http / https
SIGNATURE_HEADER = "X-IOC-Signature"  # "sha256=<hex HMAC of the raw body>"
TIMESTAMP_HEADER = "X-IOC-Timestamp"  # seconds since the epoch, also signed (replay window)


def check_url(url: object, field_name: str = "urls") -> str:
    """A target URL Apprise understands (or our signed webhook); RouteError naming the field
    otherwise. The URL itself is never echoed back: it may carry a token."""
    if not isinstance(url, str) or not url.strip():
        raise RouteError(field_name, "an empty target URL")
    url = url.strip()
    if url.startswith(WEBHOOK_SCHEMES):
        if not url.split("://", 1)[1].split("/", 1)[0]:
            raise RouteError(field_name, "the webhook URL has no host")
        return url
    import apprise

    if apprise.Apprise.instantiate(url) is None:
        scheme = url.split("://", 1)[0] if "://" in url else "?"
        raise RouteError(field_name, f"Apprise cannot read this URL (scheme {scheme!r}); see the Apprise wiki for its form")
    return url


def webhook_body(*, event_kind: str, severity: str, title: str, message: str, link: str,
                 system_id: str | None, at: datetime, route_id: str, language: str) -> bytes:
    """The JSON body posted to a signed webhook: UTF-8, keys sorted, no spaces."""
    body = {"version": 1, "route": route_id, "kind": event_kind, "severity": severity, "title": title,
            "message": message, "link": link, "system": system_id, "at": iso(at), "language": language}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>" with the route's secret."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: int, body: bytes, signature: str, now: int, window_s: int = 300) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    return abs(now - timestamp) <= window_s and hmac.compare_digest(sign(secret, timestamp, body), signature or "")
