"""Leadership read models and the plan importer, timed on the demo's full agency set.

    python bench/plans.py [--rows-per-agency 30] [--database-url URL]

Fills a fresh SQLite database (or the given URL) with the demo catalog (107 agencies) and the
demo plans, then times: the progress view, the coverage view, the weekly report (data + XLSX),
and the validation and import of a generated plan file with N tasks per agency (.xlsx).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.catalog.loader import apply_catalog, load_catalog  # noqa: E402
from dashboard.config import DEMO_CATALOG  # noqa: E402
from dashboard.demo.network import DemoNetwork, env_for  # noqa: E402
from dashboard.demo.plans import load_demo_plans  # noqa: E402
from dashboard.plans import store, template
from dashboard.plans.importer import parse_plan_file  # noqa: E402
from dashboard.readmodels import plans as views  # noqa: E402
from dashboard.reports import weekly as report  # noqa: E402
from dashboard.store.database import Database  # noqa: E402


def timed(label: str, fn, repeat: int = 5):
    best, result = None, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    print(f"{label:<48} {best * 1000:8.1f} ms (best of {repeat})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows-per-agency", type=int, default=30)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    db = Database(args.database_url or f"sqlite:///{tmp}/bench.db")
    demo = DemoNetwork().start()  # only to fill the demo catalog's ${...} values
    try:
        catalog = load_catalog(DEMO_CATALOG, {**os.environ, **env_for(demo)})
    finally:
        demo.stop()
    with db.session() as session:
        apply_catalog(session, catalog)
        today = views.local_today()
        load_demo_plans(session, today)
    with db.session() as session:
        timed("progress view (107 agencies, demo plans)", lambda: views.progress_view(session, today))
        timed("coverage view (read only)", lambda: views.coverage_view(session))
        data = timed("weekly report data", lambda: report.weekly_report(session))
        xlsx = timed("weekly report XLSX", lambda: report.build_report_xlsx(data))
        print(f"{'  report XLSX size':<48} {len(xlsx) / 1024:8.1f} kB")
        agencies, _ = views.code_lists(session)
        reference = views.reference(session)
    rows = [
        {"agency": code, "partner": "", "title": f"Nhiệm vụ {i}", "category": "nang_cap", "owner": "CNTT",
         "start": today - timedelta(days=30), "due": today + timedelta(days=i), "status": "dang_thuc_hien",
         "percent": 50, "systems": ["lgsp"], "notes": ""}
        for code, _ in agencies for i in range(args.rows_per_agency)
    ]
    data = template.build_xlsx(rows)
    print(f"{'plan file: rows / size':<48} {len(rows):8d} rows, {len(data) / 1024:.0f} kB")
    parsed = timed("validate the plan file (.xlsx)", lambda: parse_plan_file("bench.xlsx", data, reference), repeat=3)
    assert parsed.ok, parsed.problems[:3]
    with db.session() as session:
        timed("import it (replace all plans, snapshot)", lambda: store.apply_import(session, parsed, today), repeat=1)
    db.dispose()


if __name__ == "__main__":
    main()
