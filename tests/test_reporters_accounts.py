"""Reporter accounts: the scope rule as a table, the command line, reporter tokens."""
from __future__ import annotations

import io

import pytest

from dashboard.auth import cli, scopes, tokens, users
from dashboard.auth.scopes import Scope, may_read_updates, may_report
from dashboard.catalog.loader import apply_catalog, parse_catalog
from dashboard.domain.communes import AdminUnit
from dashboard.store.models import AuditEntry, User

CATALOG = """
version: 1
agencies:
  - {id: skhcn, name_vi: Sở Khoa học và Công nghệ, name_en: DOST, partner: VNPT}
communes:
  include: true
  partner_default: FPT
systems:
  - id: lgsp
    name_vi: LGSP
    name_en: LGSP
    owner: skhcn
    endpoints:
      - {id: health, url: "http://127.0.0.1:9/health", interval: 60s, timeout: 5s}
"""
UNITS = [
    AdminUnit("21548", "Xã Bình Sơn", "Bình Sơn", "commune", 15.3, 108.7),
    AdminUnit("21028", "Phường Trương Quang Trọng", "Trương Quang Trọng", "ward", 15.1, 108.8),
]
MINE = Scope(frozenset({"unit-21548"}), frozenset())
PARTNER = Scope(frozenset(), frozenset({"VNPT"}))

# role, scope, task's agency, task's partner -> may report
REPORT_RULES = [
    ("reporter", MINE, "unit-21548", "FPT", True),
    ("reporter", MINE, "unit-21028", "FPT", False),  # another commune
    ("reporter", PARTNER, "skhcn", "VNPT", True),  # the enterprise is the task's partner
    ("reporter", PARTNER, "skhcn", None, False),
    ("reporter", PARTNER, "unit-21548", "FPT", False),
    ("reporter", Scope(), "unit-21548", "FPT", False),  # no scope: nothing
    ("admin", Scope(), "unit-21548", "FPT", True),  # the IOC corrects on an agency's behalf
    ("operator", Scope(), "unit-21548", "FPT", False),  # reviewers review, they do not report
    ("viewer", MINE, "unit-21548", "FPT", False),  # a scope means nothing without the role
    (None, MINE, "unit-21548", "FPT", False),
]


@pytest.mark.parametrize("role, scope, agency, partner, allowed", REPORT_RULES)
def test_who_may_report_on_a_task(role, scope, agency, partner, allowed):
    assert may_report(role, scope, agency, partner) is allowed


@pytest.mark.parametrize("role, agency, allowed", [
    ("reporter", "unit-21548", True), ("reporter", "unit-21028", False), ("viewer", "unit-21028", True),
    ("operator", "unit-21028", True), ("kiosk", "unit-21548", False), (None, "unit-21548", False),
])
def test_who_may_read_a_tasks_history(role, agency, allowed):
    assert may_read_updates(role, MINE, agency, "FPT") is allowed


@pytest.fixture
def db(sqlite_db):
    with sqlite_db.session() as session:
        apply_catalog(session, parse_catalog(CATALOG), units=UNITS)
    return sqlite_db


def run_cli(db, *argv, stdin="Xk9!long-enough-pass-phrase\n"):
    out, err = io.StringIO(), io.StringIO()
    import contextlib

    with contextlib.redirect_stderr(err):
        code = cli.main([*argv, "--database-url", db.url], stdin=io.StringIO(stdin), out=out)
    return code, out.getvalue(), err.getvalue()


def test_cli_creates_a_reporter_for_agencies_by_id_or_commune_code(db):
    code, out, _ = run_cli(db, "user", "create", "xa-binh-son", "--role", "reporter", "--agency", "21548",
                           "--agency", "skhcn", "--email", "binhson@quangngai.gov.vn")
    assert code == 0, out
    assert "skhcn, unit-21548" in out
    with db.session() as session:
        user = users.find(session, "xa-binh-son")
        assert user.role == "reporter" and user.email == "binhson@quangngai.gov.vn"
        assert scopes.scope_of(session, user.id) == Scope(frozenset({"unit-21548", "skhcn"}), frozenset())
        entry = session.query(AuditEntry).filter_by(action="user.create", target="xa-binh-son").one()
        assert entry.detail["agencies"] == ["unit-21548", "skhcn"]
    code, out, _ = run_cli(db, "user", "set-scopes", "xa-binh-son", "--partner", "VNPT")
    assert code == 0 and "partner:VNPT" in out
    code, out, _ = run_cli(db, "user", "list")
    assert "scope partner:VNPT" in out


@pytest.mark.parametrize("argv, message", [
    (("--role", "reporter"), "at least one --agency"),
    (("--role", "reporter", "--agency", "unit-99999"), "unknown agency 'unit-99999'"),
    (("--role", "viewer", "--agency", "skhcn"), "only a reporter"),
    (("--role", "reporter", "--agency", "skhcn", "--email", "not-an-address"), "not an e-mail address"),
])
def test_cli_refuses_a_bad_reporter_and_creates_nothing(db, argv, message):
    code, _, err = run_cli(db, "user", "create", "someone", *argv)
    assert code == 2 and message in err
    with db.session() as session:
        assert users.find(session, "someone") is None


def test_reporter_token_acts_for_its_reporter_only(db):
    assert run_cli(db, "user", "create", "xa-binh-son", "--role", "reporter", "--agency", "unit-21548")[0] == 0
    assert run_cli(db, "user", "create", "lanh-dao", "--role", "viewer")[0] == 0
    code, _, err = run_cli(db, "token", "create", "phone", "--kind", "reporter", "--user", "lanh-dao")
    assert code == 2 and "reporter account" in err
    code, out, _ = run_cli(db, "token", "create", "phone", "--kind", "reporter", "--user", "xa-binh-son")
    assert code == 0
    secret = next(word for word in out.split() if word.startswith("rep_"))
    with db.session() as session:
        info = tokens.verify_token_cached(session, secret, "reporter")
        assert session.get(User, info.user_id).username == "xa-binh-son"
    with pytest.raises(ValueError):
        with db.session() as session:
            tokens.create_token(session, "x", "reporter")  # no account: refused
