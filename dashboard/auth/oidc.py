"""Optional single sign-on through OpenID Connect (Authlib), for provinces that run one.

Settings only: IOC_OIDC_ISSUER, IOC_OIDC_CLIENT_ID, IOC_OIDC_CLIENT_SECRET (register the
redirect URI https://<server>/auth/oidc/callback with the provider). A person signing in the
first time gets an account with IOC_OIDC_DEFAULT_ROLE (viewer); an admin raises it with
`app.py user set-role`. Accounts are matched by the provider's `sub`, never by a name the
person could choose, except an account made for it with `user create NAME --sso-only`.
"""
from __future__ import annotations

import logging
import re

from authlib.integrations.flask_client import OAuth
from flask import Blueprint, current_app, redirect, request, session, url_for
from sqlalchemy import select

from collectors.timeutil import utcnow
from dashboard.auth import audit, sessions, users
from dashboard.auth.views import safe_next
from dashboard.store.models import User

log = logging.getLogger(__name__)
bp = Blueprint("oidc", __name__, url_prefix="/auth/oidc")
oauth = OAuth()


def install(server, settings) -> None:
    oauth.init_app(server)
    oauth.register(
        "ioc",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=f"{settings.oidc_issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": settings.oidc_scope},
    )
    server.register_blueprint(bp)


@bp.get("/login")
def start():
    session["oidc_next"] = safe_next(request.args.get("next"))
    return oauth.ioc.authorize_redirect(url_for("oidc.finish", _external=True))


@bp.get("/callback")
def finish():
    address = request.remote_addr
    next_path = session.pop("oidc_next", "/")
    try:
        token = oauth.ioc.authorize_access_token()
        claims = token.get("userinfo") or {}
        subject = claims.get("sub")
        if not subject:
            raise ValueError("no subject in the ID token")
    except Exception as exc:  # noqa: BLE001 - any failure of the provider or of the token means "not signed in"
        log.warning("single sign-on failed from %s: %s", address, exc)
        with current_app.extensions["ioc"].db.session() as db:
            audit.record(db, "?", "login.failed", None, {"method": "sso", "reason": str(exc)[:200]}, address=address)
        return redirect("/login?m=sso_failed", code=303)
    settings = current_app.extensions["ioc_auth"]
    with current_app.extensions["ioc"].db.session() as db:
        user = account_for(db, claims, settings.oidc_default_role)
        if not user.active:
            audit.record(db, user.username, "login.failed", user.username, {"method": "sso", "reason": "disabled"},
                         address=address)
            return redirect("/login?m=sso_no_account", code=303)
        user.last_login_at = utcnow()
        audit.record(db, user.username, "login", user.username, {"method": "sso"}, address=address)
        sessions.start_user_session(db, user, settings.session_hours, address)
    return redirect(next_path, code=303)


def account_for(db, claims: dict, default_role: str) -> User:
    """The account of this provider subject: found by `sub`, or an --sso-only account with the
    same name (linked once), or a new one with the default role."""
    subject = str(claims["sub"])
    user = db.scalar(select(User).where(User.oidc_subject == subject))
    if user is not None:
        return user
    wanted = _clean_name(claims.get("preferred_username") or claims.get("email") or f"sso-{subject}")
    existing = users.find(db, wanted)
    if existing is not None and existing.oidc_subject is None and existing.password_hash is None:
        existing.oidc_subject = subject
        audit.record(db, existing.username, "user.link_sso", existing.username)
        return existing
    name, n = wanted, 1
    while users.find(db, name) is not None:
        n += 1
        name = f"{wanted[:60]}-{n}"
    user = users.create_user(db, name, default_role, None, actor="sso")
    user.oidc_subject = subject
    return user


def _clean_name(value: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._@-]", "-", str(value)).strip("-.")[:64]
    return name if len(name) >= 2 and name[0].isalnum() else f"sso-{name}"[:64]
