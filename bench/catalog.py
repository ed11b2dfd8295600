"""The catalog at province scale: parse, store as a revision, re-import unchanged, edit one endpoint.

    python bench/catalog.py [--endpoints 10000]

Generates a catalog with N HTTP endpoints, then times on a fresh SQLite database: parsing and
validating the YAML, storing it as the first revision (applied to the tables), the diff of the same
file against it (what `catalog import --dry-run` does), and one endpoint edit as a new revision
(what the editor's Save does). Ends with one JSON line.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.catalog import edits, revisions  # noqa: E402
from dashboard.catalog.loader import parse_catalog  # noqa: E402
from dashboard.store.database import Database  # noqa: E402
from tests.catalogs import one_big_system  # noqa: E402 - the same catalog the import test uses


def catalog_text(n: int) -> str:
    return one_big_system(n, "30s", """        timeout: 10s
        conditions: ["[STATUS] == 200", "[RESPONSE_TIME] < 2000"]
""")


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return value, round(time.perf_counter() - started, 2)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoints", type=int, default=10_000)
    args = parser.parse_args()
    text = catalog_text(args.endpoints)
    catalog, parse_s = timed(lambda: parse_catalog(text, "bench.yaml", {}))
    db = Database(f"sqlite:///{tempfile.mkdtemp(prefix='ioc-bench-catalog-')}/bench.db")

    def first():
        with db.session() as session:
            return revisions.save(session, None, catalog=catalog, action="import", author="bench")

    _, store_s = timed(first)

    def again():
        with db.session() as session:
            return revisions.diff(revisions.current(session).document, revisions.document(catalog.spec))

    changes, diff_s = timed(again)

    def edit():
        with db.session() as session:
            return edits.save_endpoint(session, "big", {"interval": 45}, "e1", None)

    _, edit_s = timed(edit)
    result = {"endpoints": args.endpoints, "yaml_bytes": len(text.encode()), "parse_s": parse_s,
              "store_first_revision_s": store_s, "reimport_diff_s": diff_s, "reimport_changes": len(changes),
              "one_edit_s": edit_s}
    for key, value in result.items():
        print(f"{key:>24}: {value}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
