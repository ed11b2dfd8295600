"""Command line for accounts and tokens:

    python app.py user create NAME --role admin     (password prompted, or read from stdin)
    python app.py user list
    python app.py user set-role NAME operator
    python app.py user disable NAME  |  user enable NAME
    python app.py user reset-password NAME
    python app.py user logout-all NAME               (sign out on every browser)
    python app.py token create NAME [--kind api|kiosk|metrics] (the secret is shown once)
    python app.py token create NAME --kind agent --vantage NET  (a remote agent checking NET)
    python app.py token list
    python app.py token revoke ID

Database flags as for the app (--database-url / IOC_DATABASE_URL, --data-dir).
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from dashboard import config
from dashboard.auth import audit, tokens, users
from dashboard.auth.passwords import WeakPassword
from dashboard.auth.policy import ROLES
from dashboard.i18n import local_time


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app.py", description="Accounts and access tokens of the IOC dashboard.")
    common = argparse.ArgumentParser(add_help=False)  # database flags, accepted after the command
    config.add_arguments(common)
    groups = parser.add_subparsers(dest="group", required=True)

    user = groups.add_parser("user", help="people's accounts").add_subparsers(dest="action", required=True)
    create = user.add_parser("create", help="create an account (the first admin, too)", parents=[common])
    create.add_argument("name")
    create.add_argument("--role", choices=ROLES, required=True)
    create.add_argument("--sso-only", action="store_true", help="no password: signs in through single sign-on only")
    user.add_parser("list", help="list accounts", parents=[common])
    set_role = user.add_parser("set-role", help="change an account's role", parents=[common])
    set_role.add_argument("name")
    set_role.add_argument("role", choices=ROLES)
    for name in ("disable", "enable", "reset-password", "logout-all"):
        user.add_parser(name, parents=[common]).add_argument("name")

    token = groups.add_parser("token", help="read-only API tokens and wall kiosk tokens").add_subparsers(dest="action", required=True)
    token_create = token.add_parser("create", help="create a token; its secret is printed once", parents=[common])
    token_create.add_argument("name", help="who uses it, e.g. 'tinh-portal' or 'wall-room-1'")
    token_create.add_argument("--kind", choices=tokens.KINDS, default="api")
    token_create.add_argument("--vantage", help="agent tokens: the vantage (network) whose endpoints the agent checks")
    token.add_parser("list", help="list tokens (never their secrets)", parents=[common])
    token.add_parser("revoke", help="revoke a token", parents=[common]).add_argument("id", type=int)
    return parser


def read_password(stdin=None) -> str:
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass("Mật khẩu / password: ")
        if first != getpass.getpass("Nhập lại / again: "):
            raise users.AccountError("the two passwords differ")
        return first
    return stdin.readline().rstrip("\r\n")


def main(argv: list[str], stdin=None, out=None) -> int:
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    settings = config.from_args(args)
    os.umask(0o077)  # a database this command creates is its user's alone (0600, in a 0700 directory)
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    from dashboard.store.database import Database

    db = Database(settings.db_url)
    actor = f"cli:{getpass.getuser()}"
    try:
        with db.session() as session:
            return _run(session, args, actor, stdin, out)
    except (users.AccountError, WeakPassword, KeyError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()


def _run(session, args, actor: str, stdin, out) -> int:
    if args.group == "user":
        if args.action == "create":
            password = None if args.sso_only else read_password(stdin)
            user = users.create_user(session, args.name, args.role, password, actor=actor)
            print(f"created {user.username} ({user.role})", file=out)
        elif args.action == "list":
            for user in users.list_users(session):
                state = "active" if user.active else "disabled"
                last = local_time(user.last_login_at, with_date=True)
                print(f"{user.username:<24} {user.role:<9} {state:<9} last login {last}", file=out)
        elif args.action == "set-role":
            users.set_role(session, args.name, args.role, actor=actor)
            print(f"{args.name} is now {args.role}", file=out)
        elif args.action in ("disable", "enable"):
            users.set_active(session, args.name, args.action == "enable", actor=actor)
            print(f"{args.name} {args.action}d", file=out)
        elif args.action == "reset-password":
            users.reset_password(session, args.name, read_password(stdin), actor=actor)
            print(f"password of {args.name} changed; their sessions have ended", file=out)
        elif args.action == "logout-all":
            count = users.logout_all(session, args.name, actor=actor)
            print(f"{args.name} signed out everywhere ({count} session(s) ended)", file=out)
        return 0
    if args.action == "create":
        row, secret = tokens.create_token(session, args.name, args.kind, created_by=actor, vantage=args.vantage)
        audit.record(session, actor, "token.create", f"{row.kind}:{row.name}",
                     {"id": row.id, **({"vantage": row.vantage} if row.vantage else {})})
        print(f"token {row.id} ({row.kind}) for {row.name!r} — shown once, keep it now:\n{secret}", file=out)
        if row.kind == "kiosk":
            print(f"wall link: http(s)://<server>/wall?kiosk={secret}", file=out)
        elif row.kind == "agent":
            print(f"run the agent in the {row.vantage!r} network:  IOC_AGENT_TOKEN=<token> "
                  "python app.py agent --server https://<server>", file=out)
        else:
            print("send it as the header  Authorization: Bearer <token>", file=out)
    elif args.action == "list":
        for row in tokens.list_tokens(session):
            state = "revoked" if row.revoked_at else "active"
            vantage = f" vantage {row.vantage}" if row.vantage else ""
            print(f"{row.id:>4} {row.kind:<7} {row.prefix}…  {row.name:<24} {state:<8}{vantage} "
                  f"last used {local_time(row.last_used_at, with_date=True)}", file=out)
    elif args.action == "revoke":
        row = tokens.revoke_token(session, args.id)
        audit.record(session, actor, "token.revoke", f"{row.kind}:{row.name}", {"id": row.id})
        print(f"token {row.id} revoked", file=out)
    return 0
