"""Login and logout: plain Flask routes with a small server-rendered form (outside Dash, so an
anonymous visitor never loads the app), Vietnamese first, English second."""
from __future__ import annotations

import hmac
import secrets
from html import escape
from urllib.parse import unquote, urlsplit

from flask import Blueprint, current_app, redirect, request, session

from collectors.timeutil import utcnow
from dashboard.auth import audit, sessions, throttle
from dashboard.auth.passwords import hash_password, needs_rehash, verify_password

bp = Blueprint("auth", __name__)

MESSAGES = {
    "bad": ("Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong user name or password."),
    "throttled": ("Quá nhiều lần đăng nhập sai. Vui lòng thử lại sau 15 phút.",
                  "Too many failed logins. Please try again in 15 minutes."),
    "expired": ("Phiên làm việc đã hết hạn, vui lòng tải lại trang và đăng nhập.",
                "The form expired; reload the page and sign in."),
    "logged_out": ("Đã đăng xuất.", "Signed out."),
    "sso_failed": ("Đăng nhập một lần (SSO) không thành công.", "Single sign-on failed."),
    "sso_no_account": ("Tài khoản SSO chưa được cấp quyền truy cập.", "This SSO account has no access."),
}


def _ioc():
    return current_app.extensions["ioc"]


def _auth_settings():
    return current_app.extensions["ioc_auth"]


def safe_next(target: str | None) -> str:
    """Only relative paths on this site. Browsers drop tabs and line breaks from URLs and read
    "\\" as "/", so "/<tab>/evil.example" or "/\\evil.example" would become "//evil.example": any
    control character, backslash, scheme or host sends the user home instead — also once
    percent-decoded, in case something on the way decodes it (a proxy, a second redirect)."""
    if not isinstance(target, str) or len(target) > 2048:
        return "/"
    for form in (target, unquote(target)):
        if not form.startswith("/") or form.startswith("//") or "\\" in form:
            return "/"
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in form):
            return "/"
        parts = urlsplit(form)
        if parts.scheme or parts.netloc:
            return "/"
    return target


def page(title: str, body: str, status: int = 200):
    html = f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · IOC Quảng Ngãi</title>
<link rel="stylesheet" href="/assets/bootstrap.min.css"></head>
<body class="bg-light"><main class="container" style="max-width: 28rem; margin-top: 8vh">
<h1 class="h4 mb-1">Trung tâm Giám sát, điều hành thông minh tỉnh Quảng Ngãi</h1>
<p class="text-secondary small mb-4">Quảng Ngãi Intelligent Operations Center</p>
{body}
</main></body></html>"""
    return html, status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


def _message(key: str | None) -> str:
    if key not in MESSAGES:
        return ""
    vi, en = MESSAGES[key]
    kind = "success" if key == "logged_out" else "danger"
    return f'<div class="alert alert-{kind}" role="alert">{escape(vi)}<br><span class="small">{escape(en)}</span></div>'


def _form(next_path: str, message: str | None = None, username: str = "", status: int = 200):
    session.setdefault("csrf", secrets.token_urlsafe(24))
    sso = ""
    if _auth_settings().oidc_enabled:
        sso = (f'<hr><a class="btn btn-outline-primary w-100" id="sso-login" '
               f'href="/auth/oidc/login?next={escape(next_path)}">Đăng nhập một lần (SSO) · Single sign-on</a>')
    body = f"""{_message(message)}
<form method="post" action="/login" class="card card-body shadow-sm" id="login-form">
<input type="hidden" name="csrf" value="{escape(session['csrf'])}">
<input type="hidden" name="next" value="{escape(next_path)}">
<label class="form-label" for="username">Tên đăng nhập <span class="text-secondary small">· User name</span></label>
<input class="form-control mb-3" id="username" name="username" autocomplete="username" required autofocus value="{escape(username)}">
<label class="form-label" for="password">Mật khẩu <span class="text-secondary small">· Password</span></label>
<input class="form-control mb-3" id="password" name="password" type="password" autocomplete="current-password" required>
<button class="btn btn-primary w-100" type="submit" id="login-submit">Đăng nhập · Sign in</button>
</form>{sso}"""
    return page("Đăng nhập", body, status)


@bp.get("/login")
def login_form():
    return _form(safe_next(request.args.get("next")), request.args.get("m"))


@bp.post("/login")
def login():
    from dashboard.auth.users import find

    username = (request.form.get("username") or "").strip()[:128]
    password = request.form.get("password") or ""
    next_path = safe_next(request.form.get("next"))
    sent = request.form.get("csrf") or ""
    if not session.get("csrf") or not hmac.compare_digest(sent, session["csrf"]):
        return _form(next_path, "expired", username, 400)
    address = request.remote_addr or "?"
    with _ioc().db.session() as db:
        if throttle.is_blocked(db, username, address):
            audit.record(db, username or "?", "login.throttled", username, address=address)
            return _form(next_path, "throttled", username, 429)
        user = find(db, username)
        ok = verify_password(user.password_hash if user else None, password) and user is not None and user.active
        throttle.record_attempt(db, username, address, ok)
        if not ok:
            audit.record(db, username or "?", "login.failed", username, address=address)
        else:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            user.last_login_at = utcnow()
            audit.record(db, user.username, "login", user.username, {"method": "password"}, address=address)
            sessions.start_user_session(db, user, _auth_settings().session_hours, address)
            if user.role == "reporter" and next_path == "/":
                next_path = "/my"  # the overview is IOC staff's; a reporter's home is their tasks
    if not ok:
        return _form(next_path, "bad", username, 200)  # a form to fill again, not an API error
    return redirect(next_path, code=303)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    principal = sessions.current_principal()
    with _ioc().db.session() as db:
        if principal is not None and principal.kind == "user":
            audit.record(db, principal.name, "logout", principal.name, address=request.remote_addr)
        sessions.end_session(db)
    return redirect("/login?m=logged_out", code=303)


def forbidden_page():
    principal = sessions.current_principal()
    home = "/wall" if principal is not None and principal.kind == "kiosk" else (
        "/my" if principal is not None and principal.role == "reporter" else "/")
    body = (f'<div class="alert alert-warning">Bạn không có quyền xem trang này.<br>'
            f'<span class="small">You do not have access to this page.</span></div>'
            f'<a class="btn btn-outline-secondary" href="{home}">Trang chính · Home</a> '
            f'<a class="btn btn-link" href="/logout">Đăng xuất · Sign out</a>')
    return page("Không có quyền", body, 403)


def error_page():
    body = ('<div class="alert alert-danger">Đã xảy ra lỗi trên máy chủ. Sự cố đã được ghi lại.<br>'
            '<span class="small">Something went wrong on the server. It has been logged.</span></div>'
            '<a class="btn btn-outline-secondary" href="/">Trang chính · Home</a>')
    return page("Lỗi", body, 500)
