"""Config as code for the catalog kept in the database:

    python app.py catalog export --out F.yaml       the catalog in force, as YAML
    python app.py catalog import F.yaml [--dry-run] validate the whole file, show the diff, apply it as one revision
    python app.py catalog revisions                 who changed what, when
    python app.py catalog rollback REV              a new revision equal to REV

Database flags as for the app (--database-url / IOC_DATABASE_URL, --data-dir). Exit codes: 0
done (or nothing to change), 2 refused (a bad file, a read-only catalog, an unknown revision).
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from dashboard import config
from dashboard.catalog import revisions
from dashboard.catalog.loader import CatalogError, load_catalog
from dashboard.i18n import local_time


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app.py catalog", description="The catalog kept in the database: export, import, revisions.")
    common = argparse.ArgumentParser(add_help=False)
    config.add_arguments(common)
    actions = parser.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="write the catalog in force as YAML", parents=[common])
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.add_argument("--revision", type=int, help="a past revision instead of the one in force")
    imp = actions.add_parser("import", help="validate a YAML file whole, show the diff, apply it as one revision",
                             parents=[common])
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="validate and show the diff; write nothing")
    actions.add_parser("revisions", help="list the revisions, newest first", parents=[common])
    back = actions.add_parser("rollback", help="make a revision the catalog in force again (as a new revision)",
                              parents=[common])
    back.add_argument("revision", type=int)
    return parser


def main(argv: list[str], out=None, err=None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = build_parser().parse_args(argv)
    settings = config.from_args(args)
    os.umask(0o077)
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if args.action == "import":
        # the file first, whole, before the database is opened: its problems come with line numbers
        print(f"validating {args.file} …", file=err, flush=True)
        try:
            catalog = load_catalog(args.file)
        except CatalogError as exc:
            print(f"error: {exc}\nNothing was changed.", file=err)
            return 2
        data = revisions.document(catalog.spec)
        endpoints = sum(len(s.get("endpoints", [])) for s in data["systems"])
        print(f"valid: {len(data['systems'])} systems, {endpoints} endpoints", file=err, flush=True)
    from dashboard.store.database import Database

    db = Database(settings.db_url)
    actor = f"cli:{getpass.getuser()}"
    try:
        with db.session() as session:
            if args.action == "export":
                return _export(session, args, out, err)
            if args.action == "revisions":
                for row in _listing(session):
                    print(row, file=out)
                return 0
            if args.action == "rollback":
                row = revisions.rollback(session, args.revision, author=actor)
                print(f"revision {row.id}: {row.summary}" if row else f"revision {args.revision} is the catalog in force already",
                      file=out)
                return 0
            return _import(session, data, args, actor, out, err)
    except (CatalogError, revisions.CatalogReadOnly, revisions.CatalogNotFound) as exc:
        print(f"error: {exc}\nNothing was changed.", file=err)
        return 2
    finally:
        db.dispose()


def _export(session, args, out, err) -> int:
    data = revisions.get(session, args.revision).document if args.revision else revisions.current_document(session)
    text = revisions.to_yaml(data)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out} (revision {args.revision or revisions.latest_id(session)})", file=err)
    else:
        out.write(text)
    return 0


def _import(session, data, args, actor, out, err) -> int:
    previous = revisions.current(session)
    changes = revisions.diff(previous.document if previous else revisions.EMPTY, data)
    if previous is not None and not changes:
        print("no changes: the file is the catalog in force", file=out)
        return 0
    for change in changes[:200]:
        print(revisions.describe_change(change), file=out)
    if len(changes) > 200:
        print(f"… and {len(changes) - 200} more", file=out)
    if args.dry_run:
        print(f"dry run: {len(changes)} change(s); nothing was written", file=out)
        return 0
    print(f"applying {len(changes)} change(s) …", file=err, flush=True)
    row = revisions.save(session, data, action="import", author=actor,
                         summary=f"import of {args.file.name}: {revisions.summary_of(changes)}")
    print(f"revision {row.id}: {len(changes)} change(s) applied", file=out)
    return 0


def _listing(session) -> list[str]:
    from sqlalchemy import select

    from dashboard.store.models import CatalogRevision

    rows = session.scalars(select(CatalogRevision).order_by(CatalogRevision.id.desc()).limit(200))
    return [f"{r.id:>5}  {local_time(r.created_at, with_date=True)}  {r.author:<20} {r.action:<16} {r.summary}" for r in rows]
