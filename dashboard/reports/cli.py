"""`python app.py report --kind monthly|quarterly|weekly --period 2026-11|2026-Q4|2026-W48
--format docx|xlsx --out FILE`: writes a report from the database. Exit 2 with a clear message
for a bad kind, period or format; nothing is written then."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dashboard import config
from dashboard.plans.availability import BadPeriod
from dashboard.reports import periodic


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app.py report", description="Write a monthly, quarterly or weekly report (DOCX or XLSX annex).")
    parser.add_argument("--kind", required=True, choices=periodic.KINDS)
    parser.add_argument("--period", required=True, help="2026-11 (monthly), 2026-Q4 (quarterly), 2026-W48 (weekly)")
    parser.add_argument("--format", required=True, choices=("docx", "xlsx"), dest="fmt")
    parser.add_argument("--out", required=True, type=Path)
    config.add_arguments(parser)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)  # argparse exits 2 on a bad kind or format
    try:
        period = periodic.parse_period(args.kind, args.period)
    except BadPeriod as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = config.from_args(args)
    if settings.database_url is None and not (settings.data_dir / "ioc.db").exists():
        print(f"error: no database at {settings.data_dir / 'ioc.db'}: pass --data-dir or --database-url of a running installation",
              file=sys.stderr)
        return 2
    from dashboard.store.database import Database

    db = Database(settings.db_url)
    try:
        with db.session() as session:
            data = periodic.report_data(session, period, verified_days=settings.verified_days)
        body = periodic.build_docx(data) if args.fmt == "docx" else periodic.build_xlsx(data)
    finally:
        db.dispose()
    args.out.write_bytes(body)
    print(f"{args.out}: {args.kind} report {period.label} ({len(body) // 1024} kB)")
    return 0
