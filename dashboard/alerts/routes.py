"""Notification routes, the delivery side and the services that change them.

- Targets: Apprise URLs (checked as Apprise reads them, in dashboard.domain.routes.check_url)
  and the generic HMAC-signed JSON webhook for channels Apprise lacks (e.g. a Zalo OA bridge):
  `ioc-webhook://host/path` (http) or `ioc-webhooks://host/path` (https). Its body and
  signature are documented in docs/alerts.md.
- `RouteSender` sends one message to a route's targets; `save` / `delete` / `send_test` are what
  the admin page and the API call (permission, validation, audit); `apply_catalog_routes` is
  what the catalog's `notifications:` section calls. The matching rules are pure, in
  dashboard.domain.routes."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import datetime

import requests
from sqlalchemy.orm import Session

from collectors.timeutil import iso, utcnow
from dashboard.auth import audit
from dashboard.auth.permissions import current_user_name, require
from dashboard.domain.routes import (  # noqa: F401 - check_url is this module's API too
    WEBHOOK_SCHEMES,
    RouteError,
    check_url,
    mask_url,
    message,
    route_fields,
)
from dashboard.store.models import NotificationLog, NotificationRoute

SIGNATURE_HEADER = "X-IOC-Signature"  # "sha256=<hex HMAC of the raw body>"
TIMESTAMP_HEADER = "X-IOC-Timestamp"  # seconds since the epoch, also signed (replay window)
WEBHOOK_TIMEOUT_S = 10.0


class DeliveryError(Exception):
    """A target did not take the message; the text says which (masked) and why. `succeeded`:
    the positions of the targets that did take it (not to be sent again)."""

    def __init__(self, message: str, succeeded: frozenset[int] = frozenset()):
        super().__init__(message)
        self.succeeded = succeeded


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


# ---------------------------------------------------------------------- sending


class RouteSender:
    """One message to every target of a route (or of its next level). Each target is tried;
    any failure raises DeliveryError naming the failed targets (masked) with the reason, so
    the delivery log says what went wrong without showing a token."""

    def __init__(self, urls: list[str], secret: str | None = None, route_id: str = ""):
        self.urls = list(urls)
        self.secret = secret
        self.route_id = route_id

    def send(self, title: str, body: str, severity: str, *, kind: str = "test", link: str = "",
             system_id: str | None = None, at: datetime | None = None, language: str = "vi",
             skip: frozenset[int] = frozenset()) -> None:
        """Send to every target not in `skip` (positions that took it on an earlier attempt)."""
        if not self.urls:
            raise DeliveryError("the route has no target URL")
        failures, succeeded = [], set(skip)
        for position, url in enumerate(self.urls):
            if position in skip:
                continue
            try:
                if url.startswith(WEBHOOK_SCHEMES):
                    self._webhook(url, title, body, severity, kind, link, system_id, at or utcnow(), language)
                else:
                    self._apprise(url, title, body, severity)
            except DeliveryError as exc:
                failures.append(f"{mask_url(url)}: {exc}")
            else:
                succeeded.add(position)
        if failures:
            raise DeliveryError("; ".join(failures)[:2000], frozenset(succeeded))

    def _apprise(self, url: str, title: str, body: str, severity: str) -> None:
        import apprise  # heavy: loaded when something is sent

        target = apprise.Apprise()
        if not target.add(url):
            raise DeliveryError("Apprise cannot read this URL")
        kind = apprise.NotifyType.SUCCESS if severity == "up" else (
            apprise.NotifyType.FAILURE if severity in ("critical", "high", "down") else apprise.NotifyType.WARNING)
        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
            ok = target.notify(title=title, body=body, notify_type=kind)
        if not ok:
            said = " ".join(line.strip() for line in captured.getvalue().splitlines() if line.strip())
            raise DeliveryError((said or "Apprise reported a failed delivery")[:500])

    def _webhook(self, url: str, title: str, body: str, severity: str, kind: str, link: str,
                 system_id: str | None, at: datetime, language: str) -> None:
        scheme = "https" if url.startswith("ioc-webhooks://") else "http"
        target = f"{scheme}://{url.split('://', 1)[1]}"
        data = webhook_body(event_kind=kind, severity=severity, title=title, message=body, link=link,
                            system_id=system_id, at=at, route_id=self.route_id, language=language)
        stamp = int(time.time())
        headers = {"Content-Type": "application/json; charset=utf-8", TIMESTAMP_HEADER: str(stamp),
                   SIGNATURE_HEADER: sign(self.secret or "", stamp, data)}
        try:
            answer = requests.post(target, data=data, headers=headers, timeout=WEBHOOK_TIMEOUT_S)
        except requests.RequestException as exc:
            raise DeliveryError(f"{type(exc).__name__}") from None
        if answer.status_code >= 300:
            raise DeliveryError(f"HTTP {answer.status_code}")


def sender_for(row: NotificationRoute, level: int = 0) -> RouteSender:
    return RouteSender(list(row.escalation_urls or []) if level else list(row.urls or []), row.secret, row.id)


# ---------------------------------------------------------------------- changing routes


def _store(session: Session, fields: dict, who: str | None, source: str) -> NotificationRoute:
    row = session.get(NotificationRoute, fields["id"])
    if row is None:
        row = NotificationRoute(id=fields["id"], updated_at=utcnow())
        session.add(row)
    for key, value in fields.items():
        setattr(row, key, value)
    row.source, row.updated_at, row.updated_by = source, utcnow(), who
    session.flush()
    return row


def save(session: Session, data: object, *, creating: bool, via: str = "page") -> NotificationRoute:
    """Create or replace a route from its input (dashboard.domain.routes.route_fields). A
    route the catalog owns is changed in the catalog file, not here."""
    require("manage_notifications")
    fields = route_fields(data)
    existing = session.get(NotificationRoute, fields["id"])
    if creating and existing is not None:
        raise RouteError("id", f"a route {fields['id']!r} exists already")
    if not creating and existing is None:
        raise LookupError(f"no route {fields['id']!r}")
    if existing is not None and existing.source == "catalog":
        raise RouteError("id", "this route comes from the catalog file: change it there")
    if existing is not None and fields["secret"] is None:
        fields["secret"] = existing.secret  # the form never shows the secret: empty keeps it
    who = current_user_name()
    row = _store(session, fields, who, "admin")
    audit.record(session, who, "route.create" if creating else "route.edit", f"route:{row.id}",
                 {"targets": [mask_url(u) for u in row.urls], "escalation": [mask_url(u) for u in row.escalation_urls],
                  "via": via})
    return row


def delete(session: Session, route_id: str, via: str = "page") -> str:
    require("manage_notifications")
    row = session.get(NotificationRoute, route_id)
    if row is None:
        raise LookupError(f"no route {route_id!r}")
    if row.source == "catalog":
        raise RouteError("id", "this route comes from the catalog file: remove it there")
    session.delete(row)
    session.flush()
    audit.record(session, current_user_name(), "route.delete", f"route:{route_id}", {"via": via})
    return route_id


def send_test(session: Session, route_id: str, link_base: str = "", via: str = "page") -> NotificationLog:
    """"Gửi thử": one short message to the route's targets now; what happened goes to the
    delivery log (sent, or failed with the error) and is returned."""
    require("manage_notifications")
    row = session.get(NotificationRoute, route_id)
    if row is None:
        raise LookupError(f"no route {route_id!r}")
    now = utcnow()
    title, body = message("test", row.language, name=row.name, at=now, link=f"{link_base}/admin/routes")
    entry = NotificationLog(key=f"test:{route_id}:{now.timestamp():.6f}", kind="test", subject=route_id, title=title,
                            body=body, created_at=now, state="pending", route_id=route_id, level=0,
                            event_kind="test", severity="info", link="/admin/routes", attempts=1)
    try:
        sender_for(row).send(title, body, "info", kind="test", link=f"{link_base}/admin/routes", at=now,
                             language=row.language)
    except DeliveryError as exc:
        entry.state, entry.last_error = "failed", str(exc)
    else:
        entry.state, entry.sent_at = "sent", utcnow()
    session.add(entry)
    session.flush()
    audit.record(session, current_user_name(), "route.test", f"route:{route_id}", {"state": entry.state, "via": via})
    return entry

