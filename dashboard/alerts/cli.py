"""Command line for alert senders and file imports.

    python -m dashboard.alerts.cli create NAME [--description TEXT]   prints the token once
    python -m dashboard.alerts.cli list
    python -m dashboard.alerts.cli revoke NAME
    python -m dashboard.alerts.cli import FILE [--source NAME]       .csv or .json

The database is the app's: IOC_DATABASE_URL, or the SQLite file in IOC_DATA_DIR (or the flags).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy import select

from collectors.timeutil import iso
from dashboard import config
from dashboard.store.database import Database


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.alerts.cli", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="SQLAlchemy URL (env IOC_DATABASE_URL)")
    parser.add_argument("--data-dir", type=Path, help="directory of the SQLite database (env IOC_DATA_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="create a source (or give it a new token) and print its token")
    create.add_argument("name")
    create.add_argument("--description")
    sub.add_parser("list", help="list the sources")
    revoke = sub.add_parser("revoke", help="revoke a source's token")
    revoke.add_argument("name")
    imp = sub.add_parser("import", help="import alerts from a .csv or .json file (all rows valid, or nothing)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--source", default="import", help="the source name recorded on the alerts")
    args = parser.parse_args(argv)

    settings = config.from_env()
    url = args.database_url or (f"sqlite:///{args.data_dir / 'ioc.db'}" if args.data_dir else settings.db_url)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    db = Database(url)
    try:
        import getpass

        from dashboard.alerts import ingest as alert_ingest
        from dashboard.auth import audit
        from dashboard.store.models import IngestSource

        actor = f"cli:{getpass.getuser()}"

        with db.session() as session:
            if args.command == "create":
                try:
                    token = alert_ingest.create_source(session, args.name, args.description)
                except ValueError as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    return 2
                audit.record(session, actor, "alert_source.create", args.name)
                print(f"source {args.name!r} ready; its token (shown once, only its hash is stored):\n{token}")
                print(f"send with: curl -X POST -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' "
                      f"-d '{{\"severity\": \"high\", \"title\": \"...\"}}' http://HOST:PORT/api/alerts/ingest/{args.name}")
            elif args.command == "list":
                for row in session.scalars(select(IngestSource).order_by(IngestSource.name)):
                    state = f"revoked {iso(row.revoked_at)}" if row.revoked_at else "active"
                    print(f"{row.name}\t{state}\tcreated {iso(row.created_at)}\tlast used {iso(row.last_used_at) or '-'}\t{row.description or ''}")
            elif args.command == "revoke":
                if not alert_ingest.revoke_source(session, args.name):
                    print(f"error: no source {args.name!r}", file=sys.stderr)
                    return 2
                audit.record(session, actor, "alert_source.revoke", args.name)
                print(f"source {args.name!r} revoked")
            elif args.command == "import":
                try:
                    report = alert_ingest.import_file(session, args.file.name, args.file.read_bytes(), args.source)
                except alert_ingest.IngestRejected as exc:
                    session.rollback()
                    print(f"error: {exc.message}", file=sys.stderr)
                    for detail in exc.details or []:
                        print("  " + json.dumps(detail, ensure_ascii=False), file=sys.stderr)
                    return 2
                audit.record(session, actor, "alerts.import", args.file.name, {"via": "cli"})
                print(json.dumps(report.as_dict()))
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
