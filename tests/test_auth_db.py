"""Accounts, tokens, login throttle and the audit log against SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest

from collectors.timeutil import utcnow
from dashboard.auth import audit, passwords, throttle, tokens, users
from dashboard.store.models import AccessToken, User


def test_passwords_are_argon2id_and_verify():
    hashed = passwords.hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$") and "correct" not in hashed
    assert passwords.verify_password(hashed, "correct horse battery")
    assert not passwords.verify_password(hashed, "wrong horse battery")
    assert not passwords.verify_password(None, "anything at all")  # unknown account
    assert not passwords.verify_password("garbage", "anything at all")
    with pytest.raises(passwords.WeakPassword):
        passwords.check_strength("short")


def test_accounts_lifecycle_is_audited(any_db):
    with any_db.session() as s:
        user = users.create_user(s, "Lan.Nguyen", "viewer", "a long password", actor="cli:root")
        version = user.auth_version
        with pytest.raises(users.AccountError):
            users.create_user(s, "lan.nguyen", "admin", "another long one")  # names are case-insensitive
        with pytest.raises(users.AccountError):
            users.create_user(s, "x y", "viewer", "a long password")
        with pytest.raises(users.AccountError):
            users.create_user(s, "root2", "superuser", "a long password")
        users.set_role(s, "lan.nguyen", "operator", actor="cli:root")
        users.set_active(s, "lan.nguyen", False, actor="cli:root")
        users.reset_password(s, "lan.nguyen", "a new long password", actor="cli:root")
    with any_db.session() as s:
        user = users.find(s, "LAN.NGUYEN")
        assert user.role == "operator" and not user.active
        assert user.auth_version == version + 3  # each change ends the sessions signed before
        assert passwords.verify_password(user.password_hash, "a new long password")
        actions = [e.action for e in audit.entries(s, actor="cli:root")]
        assert actions == ["user.reset_password", "user.disable", "user.set_role", "user.create"]


def test_tokens_are_stored_hashed_shown_once_and_revocable(any_db):
    with any_db.session() as s:
        row, secret = tokens.create_token(s, "tinh-portal", "api")
        _, kiosk = tokens.create_token(s, "wall-1", "kiosk")
        token_id = row.id
    with any_db.session() as s:
        stored = s.get(AccessToken, token_id)
        assert secret not in (stored.token_hash, stored.prefix) and stored.token_hash == tokens.digest(secret)
        assert tokens.verify_token(s, secret, "api").name == "tinh-portal"
        assert tokens.verify_token(s, secret, "kiosk") is None  # a token works only as its kind
        assert tokens.verify_token(s, kiosk, "api") is None
        assert tokens.verify_token(s, secret + "x", "api") is None
        assert tokens.verify_token(s, "", "api") is None
        tokens.revoke_token(s, token_id)
    with any_db.session() as s:
        assert tokens.verify_token(s, secret, "api") is None


def test_throttle_per_account_and_per_address(any_db):
    now = utcnow()
    with any_db.session() as s:
        for i in range(throttle.MAX_FAILURES_PER_ACCOUNT):
            assert not throttle.is_blocked(s, "lan", "10.0.0.1", now)
            throttle.record_attempt(s, "lan", "10.0.0.1", False, now + timedelta(seconds=i))
        assert throttle.is_blocked(s, "LAN", "10.0.0.99", now + timedelta(minutes=1))  # the account, from anywhere
        assert not throttle.is_blocked(s, "binh", "10.0.0.99", now + timedelta(minutes=1))
        assert not throttle.is_blocked(s, "lan", "10.0.0.1", now + throttle.WINDOW + timedelta(minutes=1))  # window passed
        # one address guessing many accounts
        for i in range(throttle.MAX_FAILURES_PER_ADDRESS):
            throttle.record_attempt(s, f"user{i}", "10.9.9.9", False, now)
        assert throttle.is_blocked(s, "someone-new", "10.9.9.9", now + timedelta(seconds=1))
        assert not throttle.is_blocked(s, "someone-new", "10.9.9.8", now + timedelta(seconds=1))


def test_a_successful_login_forgives_the_accounts_earlier_failures(any_db):
    now = utcnow()
    with any_db.session() as s:
        for i in range(throttle.MAX_FAILURES_PER_ACCOUNT - 1):
            throttle.record_attempt(s, "lan", "10.0.0.1", False, now + timedelta(seconds=i))
        throttle.record_attempt(s, "lan", "10.0.0.1", True, now + timedelta(seconds=10))
        throttle.record_attempt(s, "lan", "10.0.0.1", False, now + timedelta(seconds=11))
        assert not throttle.is_blocked(s, "lan", "10.0.0.1", now + timedelta(seconds=12))


def test_audit_record_and_filters(any_db):
    now = utcnow()
    with any_db.session() as s:
        audit.record(s, "lan", "login", "lan", address="10.0.0.1", now=now - timedelta(minutes=3))
        audit.record(s, "binh", "login.failed", "binh", address="10.0.0.2", now=now - timedelta(minutes=2))
        audit.record(s, "lan", "incident.acknowledge", "incident:7", {"comment": "x" * 10_000}, address="10.0.0.1", now=now)
        audit.record(s, None, "collector.start")  # outside a request: the system
    with any_db.session() as s:
        assert [e.action for e in audit.entries(s, action="login")] == ["login.failed", "login"]
        assert [e.actor for e in audit.entries(s, actor="lan")] == ["lan", "lan"]
        ack = audit.entries(s, text="incident:")[0]
        assert ack.address == "10.0.0.1" and len(ack.detail["comment"]) <= audit.MAX_DETAIL_CHARS + 1
        assert audit.entries(s, action="collector")[0].actor == "system"
        assert "incident.acknowledge" in audit.action_names(s)


def test_users_table_has_no_plain_passwords(any_db):
    with any_db.session() as s:
        users.create_user(s, "admin1", "admin", "a long password 1")
    with any_db.session() as s:
        assert all("a long password" not in (u.password_hash or "") for u in s.query(User))
