"""Single sign-on against a local stand-in OpenID Connect provider: a real HTTP server in the
test that publishes its metadata and keys, and issues RS256-signed ID tokens."""
from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from dashboard.store.models import AuditEntry, User
from tests.conftest import start_app, stop_app

CLIENT_ID, CLIENT_SECRET = "ioc-dashboard", "stand-in-secret"


class StandInProvider:
    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.rogue_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})  # same kid, not published
        self.codes: dict[str, dict] = {}
        self.subject, self.username, self.forge = "sub-123", "lan.nguyen", False
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                url = urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    return self.json(provider.metadata())
                if url.path == "/jwks":
                    return self.json({"keys": [provider.key.as_dict(private=False)]})
                if url.path == "/authorize":  # approves at once, as a signed-in person would
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
                    code = secrets.token_urlsafe(8)
                    provider.codes[code] = {"nonce": query.get("nonce"), "redirect_uri": query["redirect_uri"]}
                    self.send_response(302)
                    self.send_header("Location", f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}")
                    self.end_headers()
                    return None
                self.send_error(404)
                return None

            def do_POST(self):  # noqa: N802
                body = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                grant = provider.codes.pop(body["code"][0], None)
                if urlsplit(self.path).path != "/token" or grant is None:
                    return self.json({"error": "invalid_grant"}, 400)
                now = int(time.time())
                claims = {"iss": provider.issuer, "sub": provider.subject, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                          "nonce": grant["nonce"], "preferred_username": provider.username}
                key = provider.rogue_key if provider.forge else provider.key
                id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
                return self.json({"access_token": "at-" + secrets.token_urlsafe(8), "token_type": "Bearer",
                                  "expires_in": 300, "id_token": id_token})

            def json(self, payload, status=200):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def metadata(self):
        return {"issuer": self.issuer, "authorization_endpoint": self.issuer + "/authorize",
                "token_endpoint": self.issuer + "/token", "jwks_uri": self.issuer + "/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"]}


@pytest.fixture(scope="module")
def provider():
    stand_in = StandInProvider()
    yield stand_in
    stand_in.server.shutdown()


@pytest.fixture(scope="module")
def app(tmp_path_factory, provider):
    tmp = tmp_path_factory.mktemp("oidc")
    running = start_app(tmp, env={"IOC_OIDC_ISSUER": provider.issuer, "IOC_OIDC_CLIENT_ID": CLIENT_ID,
                                  "IOC_OIDC_CLIENT_SECRET": CLIENT_SECRET})
    running.data_dir = tmp / f"data-{running.url.rsplit(':', 1)[1]}"
    yield running
    stop_app(running)


def db(app) -> Session:
    return Session(create_engine(f"sqlite:///{app.data_dir / 'ioc.db'}"))


def test_login_page_offers_single_sign_on(app):
    assert 'id="sso-login"' in requests.get(app.url + "/login", timeout=10).text


def test_first_sso_login_makes_a_viewer_account_and_later_ones_find_it(app, provider):
    provider.forge, provider.subject, provider.username = False, "sub-123", "lan.nguyen"
    person = requests.Session()
    landed = person.get(app.url + "/auth/oidc/login?next=/systems", timeout=20)
    assert landed.status_code == 200 and urlsplit(landed.url).path == "/systems"
    assert person.get(app.url + "/api/systems", timeout=10).status_code == 200
    assert person.post(app.url + "/api/endpoints/lgsp.health/check", timeout=10).status_code == 403  # a viewer
    again = requests.Session()
    again.get(app.url + "/auth/oidc/login", timeout=20)
    assert again.get(app.url + "/api/systems", timeout=10).status_code == 200
    with db(app) as session:
        accounts = session.scalars(select(User).where(User.oidc_subject == "sub-123")).all()
        assert [(u.username, u.role, u.password_hash) for u in accounts] == [("lan.nguyen", "viewer", None)]
        logins = session.scalars(select(AuditEntry).where(AuditEntry.actor == "lan.nguyen", AuditEntry.action == "login")).all()
        assert len(logins) == 2 and all(e.detail == {"method": "sso"} for e in logins)


def test_a_forged_id_token_does_not_sign_in(app, provider):
    provider.forge, provider.subject, provider.username = True, "sub-evil", "mallory"
    try:
        person = requests.Session()
        landed = person.get(app.url + "/auth/oidc/login", timeout=20)
        assert urlsplit(landed.url).path == "/login" and "m=sso_failed" in landed.url
        assert "không thành công" in landed.text
        assert person.get(app.url + "/api/systems", timeout=10).status_code == 401
    finally:
        provider.forge = False
    with db(app) as session:
        assert session.scalar(select(User).where(User.oidc_subject == "sub-evil")) is None


def test_same_name_as_a_password_account_gets_a_new_account_not_a_takeover(app, provider):
    provider.subject, provider.username = "sub-456", "demo-admin"  # the demo's admin has a password
    person = requests.Session()
    person.get(app.url + "/auth/oidc/login", timeout=20)
    assert person.get(app.url + "/admin/audit", allow_redirects=False, timeout=10).status_code == 403
    with db(app) as session:
        made = session.scalar(select(User).where(User.oidc_subject == "sub-456"))
        assert made.username == "demo-admin-2" and made.role == "viewer"
