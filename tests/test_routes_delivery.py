"""Route targets: Apprise URLs checked the way Apprise reads them (bad → error naming the field,
never echoing the URL), and the signed webhook's body and HMAC signature."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from dashboard.alerts import routes
from dashboard.domain.routes import RouteError


@pytest.mark.parametrize("url", ["json://127.0.0.1:8080/hook", "mailto://u:p@example.com", "ioc-webhook://bridge.local/zalo"])
def test_good_urls(url):
    assert routes.check_url(url) == url


@pytest.mark.parametrize("url", ["notaurl", "http//x", "json://", "", None, "tgram://secret-token/chat", "ioc-webhook:///path"])
def test_bad_urls_name_the_field_and_hide_the_url(url):
    with pytest.raises(RouteError) as caught:
        routes.check_url(url, "escalation_urls")
    assert caught.value.field == "escalation_urls"
    assert "secret-token" not in str(caught.value)


def test_webhook_body_and_signature():
    body = routes.webhook_body(event_kind="outage", severity="critical", title="LGSP gián đoạn", message="HTTP 503",
                               link="http://ioc/systems/lgsp", system_id="lgsp",
                               at=datetime(2026, 12, 2, 3, 0, tzinfo=timezone.utc), route_id="vnpt", language="vi")
    assert json.loads(body) == {"version": 1, "route": "vnpt", "kind": "outage", "severity": "critical",
                                "title": "LGSP gián đoạn", "message": "HTTP 503", "link": "http://ioc/systems/lgsp",
                                "system": "lgsp", "at": "2026-12-02T03:00:00Z", "language": "vi"}
    signature = routes.sign("bí mật", 1796180400, body)
    assert signature.startswith("sha256=") and len(signature) == 71
    assert routes.verify("bí mật", 1796180400, body, signature, now=1796180400 + 10)
    assert not routes.verify("sai", 1796180400, body, signature, now=1796180400)
    assert not routes.verify("bí mật", 1796180400, body + b" ", signature, now=1796180400)
    assert not routes.verify("bí mật", 1796180400, body, signature, now=1796180400 + 3600)  # replayed later
