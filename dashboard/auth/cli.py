"""Command line for accounts and tokens:

    python app.py user create NAME --role admin     (password prompted, or read from stdin)
    python app.py user create NAME --role reporter --agency unit-21548 [--agency skhcn] [--partner VNPT] [--email a@b.vn]
    python app.py user set-scopes NAME --agency ID [--partner P]   (a reporter's agencies, replaced)
    python app.py user set-email NAME ADDRESS
    python app.py user list
    python app.py user set-role NAME operator
    python app.py user disable NAME  |  user enable NAME
    python app.py user reset-password NAME
    python app.py user logout-all NAME               (sign out on every browser)
    python app.py token create NAME [--kind api|kiosk|metrics] (the secret is shown once)
    python app.py token create NAME --kind agent --vantage NET  (a remote agent checking NET)
    python app.py token create NAME --kind reporter --user REPORTER  (acts for that reporter)
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
from dashboard.auth import audit, scopes, tokens, users
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
    _scope_arguments(create)
    create.add_argument("--email", help="where a reporter's weekly reminder goes")
    set_scopes = user.add_parser("set-scopes", help="replace a reporter's agencies and partners", parents=[common])
    set_scopes.add_argument("name")
    _scope_arguments(set_scopes)
    set_email = user.add_parser("set-email", help="set (or with '' clear) an account's e-mail address", parents=[common])
    set_email.add_argument("name")
    set_email.add_argument("email")
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
    token_create.add_argument("--user", help="--kind reporter: the reporter account the token acts for")
    token.add_parser("list", help="list tokens (never their secrets)", parents=[common])
    token.add_parser("revoke", help="revoke a token", parents=[common]).add_argument("id", type=int)
    return parser


def _scope_arguments(parser) -> None:
    parser.add_argument("--agency", action="append", default=[], metavar="ID",
                        help="reporter: an agency whose tasks they report on (id or commune code); repeat for more")
    parser.add_argument("--partner", action="append", default=[], choices=scopes.PARTNERS,
                        help="reporter: a partner enterprise whose tasks they report on; repeat for more")


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
            user = users.create_user(session, args.name, args.role, password, actor=actor, agencies=args.agency,
                                     partners=args.partner, email=args.email)
            scope = scopes.scope_of(session, user.id)
            print(f"created {user.username} ({user.role})" + (f" for {scopes.describe(scope)}" if not scope.empty else ""), file=out)
        elif args.action == "set-scopes":
            user = users.set_scopes(session, args.name, args.agency, args.partner, actor=actor)
            print(f"{user.username} reports for {scopes.describe(scopes.scope_of(session, user.id))}", file=out)
        elif args.action == "set-email":
            users.set_email(session, args.name, args.email, actor=actor)
            print(f"e-mail of {args.name} set", file=out)
        elif args.action == "list":
            for user in users.list_users(session):
                state = "active" if user.active else "disabled"
                last = local_time(user.last_login_at, with_date=True)
                scope = scopes.scope_of(session, user.id)
                extra = f"  scope {scopes.describe(scope)}" if user.role == "reporter" else ""
                print(f"{user.username:<24} {user.role:<9} {state:<9} last login {last}{extra}", file=out)
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
        owner = None
        if args.kind == "reporter" or args.user:
            owner = users.find(session, args.user or "")
            if owner is None or owner.role != "reporter" or args.kind != "reporter":
                raise users.AccountError("a reporter token needs --kind reporter and --user naming a reporter account")
        row, secret = tokens.create_token(session, args.name, args.kind, created_by=actor, vantage=args.vantage,
                                          user_id=owner.id if owner else None)
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
