"""Drill-down benchmark: page callback times with a year of history in the DB.

Fills a database with `--systems` systems of `--endpoints` endpoints each (plus one national
link per system) and the history a year of running leaves behind under the default retention:
raw results for the last 24 h at `--raw-interval` seconds (older raw rows are not read by any
page), hourly rollups for 90 days, daily rollups for 366 days, and some incidents. The rollup
bookkeeping says everything before the current hour is rolled up, as the collector leaves it.

Then it times, server side, the work of each page callback (the same functions the callbacks
call, on the real database, figures built): the body of a system / endpoint / link page, the
history block for every range, and the systems grid. Prints progress on stderr and one JSON line:

    {"db", "endpoints", "raw_rows", "hourly_rollups", "daily_rollups", "timings_ms": {name: {"median", "max"}},
     "payload_kb": {name: kb}}

    python bench/drilldown.py                       # SQLite in a temp dir, 20 x 5 endpoints
    python bench/drilldown.py --url postgresql+psycopg://ioc@127.0.0.1:5432/ioc_bench
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plotly.io.json import to_json_plotly  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from collectors.timeutil import iso, utcnow  # noqa: E402
from dashboard.monitoring import rollups  # noqa: E402
from dashboard.readmodels import detail as detail_queries  # noqa: E402
from dashboard.store.database import Database  # noqa: E402
from dashboard.store.models import (  # noqa: E402
    Agency,
    CheckResult,
    Endpoint,
    Incident,
    Link,
    NationalPlatform,
    Rollup,
    RuntimeState,
    System,
)
from layouts.components.systems_grid import grid_rows  # noqa: E402
from layouts.drilldown import build_body, build_history  # noqa: E402


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fill(db: Database, systems: int, per_system: int, raw_interval: float, now) -> dict:
    rng = random.Random(5)
    counts = {"raw_rows": 0, "hourly_rollups": 0, "daily_rollups": 0}
    with db.session() as session:
        session.add(Agency(id="skhcn", name_vi="Sở Khoa học và Công nghệ", name_en="Department of Science and Technology", kind="department"))
        session.add(NationalPlatform(id="ndxp", name_vi="Nền tảng NDXP", name_en="NDXP"))
        session.flush()
        for s in range(systems):
            session.add(System(id=f"sys{s}", name_vi=f"Hệ thống {s}", name_en=f"System {s}", owner_agency_id="skhcn",
                               partner="VNPT", position=s, status="up", status_since=now - timedelta(days=3), last_check_at=now))
            for e in range(per_system):
                session.add(Endpoint(id=f"sys{s}.ep{e}", system_id=f"sys{s}", name=f"Endpoint {e}", kind="http",
                                     target=f"http://10.0.{s}.{e}/health", interval_s=raw_interval, timeout_s=5, position=e,
                                     options={"conditions": [{"condition": "[STATUS] == 200", "severity": "down"}]},
                                     status="up", last_check_at=now, last_verdict="up", last_latency_ms=40, last_http_code=200,
                                     last_reason="HTTP 200, all conditions met"))
            session.flush()
            session.add(Link(id=f"sys{s}.ndxp", system_id=f"sys{s}", platform_id="ndxp", endpoint_id=f"sys{s}.ep{per_system - 1}",
                             declared_state="connected", status="up"))
        for key, value in ((rollups.DONE_KEYS["hour"], rollups.floor_hour(now)), (rollups.DONE_KEYS["day"], rollups.floor_day(now))):
            session.add(RuntimeState(key=key, value=iso(value), updated_at=now))
    endpoint_ids = [f"sys{s}.ep{e}" for s in range(systems) for e in range(per_system)]
    with db.session() as session:
        keys = dict(session.execute(select(Endpoint.id, Endpoint.key)).all())

    def bulk(model, rows):
        with db.session() as session:
            for i in range(0, len(rows), 20_000):
                session.execute(insert(model), rows[i:i + 20_000])

    per_day = int(86_400 / raw_interval)
    for n, endpoint_id in enumerate(endpoint_ids):
        raw = []
        for i in range(per_day):
            down = rng.random() < 0.01
            raw.append({"endpoint_key": keys[endpoint_id], "checked_at": now - timedelta(seconds=i * raw_interval + rng.random()),
                        "verdict": "down" if down else "up", "latency_ms": None if down else rng.uniform(10, 300),
                        "http_code": 503 if down else 200, "cause": "condition_failed" if down else "ok",
                        "params": {"condition": "[STATUS] == 200", "observed": 503, "status": 503} if down else None,
                        "detail": {"excerpt": '{"status": "UP"}'} if down else None, "missed": False, "maintenance": False})
        bulk(CheckResult, raw)
        hour0 = rollups.floor_hour(now)
        hourly = [{"endpoint_id": endpoint_id, "period": "hour", "bucket_start": hour0 - timedelta(hours=h + 1),
                   "checks": int(3600 / raw_interval), "failures": rng.choice((0, 0, 0, 1, 5)), "degraded": 0, "missed": 0,
                   "maintenance": 0, "latency_avg_ms": rng.uniform(20, 200), "latency_p95_ms": rng.uniform(200, 900),
                   "latency_max_ms": 1500.0} for h in range(90 * 24)]
        bulk(Rollup, hourly)
        day0 = rollups.floor_day(now)
        daily = [{"endpoint_id": endpoint_id, "period": "day", "bucket_start": day0 - timedelta(days=d + 1),
                  "checks": per_day, "failures": rng.choice((0, 2, 10, 30)), "degraded": 0, "missed": 0, "maintenance": 0,
                  "latency_avg_ms": rng.uniform(20, 200), "latency_p95_ms": rng.uniform(200, 900), "latency_max_ms": 2000.0}
                 for d in range(366)]
        bulk(Rollup, daily)
        counts["raw_rows"] += len(raw)
        counts["hourly_rollups"] += len(hourly)
        counts["daily_rollups"] += len(daily)
        if n % 10 == 9:
            log(f"  filled {n + 1}/{len(endpoint_ids)} endpoints")
    with db.session() as session:
        session.execute(insert(Incident), [
            {"subject_type": "endpoint", "subject_id": rng.choice(endpoint_ids), "system_id": f"sys{rng.randrange(systems)}",
             "severity": "down", "started_at": now - timedelta(days=d, hours=1), "ended_at": now - timedelta(days=d),
             "cause": "[STATUS] == 200 — observed 503"} for d in range(1, 366)
        ])
    return counts


def timed(repeat: int, fn) -> tuple[dict, object]:
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - start) * 1000)
    return {"median": round(statistics.median(samples), 1), "max": round(max(samples), 1)}, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--systems", type=int, default=20)
    parser.add_argument("--endpoints", type=int, default=5, help="endpoints per system")
    parser.add_argument("--raw-interval", type=float, default=30.0, help="seconds between raw checks in the last 24 h")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    tmp = tempfile.TemporaryDirectory(prefix="ioc-bench-drilldown-")
    url = args.url or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    db = Database(url)
    now = utcnow()
    log(f"filling {url.split('@')[-1]} ...")
    started = time.perf_counter()
    counts = fill(db, args.systems, args.endpoints, args.raw_interval, now)
    log(f"filled in {time.perf_counter() - started:.0f} s: {counts}")
    with db.engine.connect() as connection:  # fresh statistics, as autovacuum / SQLite's optimizer would have
        connection.exec_driver_sql("ANALYZE")
        connection.commit()

    subjects = {"system": {"type": "system", "id": "sys0"}, "endpoint": {"type": "endpoint", "id": "sys0.ep0"},
                "link": {"type": "link", "id": "sys0.ndxp"}}
    timings, payload = {}, {}
    with db.session() as session:
        for name, subject in subjects.items():
            timings[f"{name}_page_body"], body = timed(args.repeat, lambda s=subject: build_body(
                detail_queries.drilldown(session, s["type"], s["id"], now), s, "vi", now))
            payload[f"{name}_page_body"] = round(len(to_json_plotly(body[:2])) / 1024, 1)
        for range_key in detail_queries.RANGES:
            timings[f"system_history_{range_key}"], block = timed(
                args.repeat, lambda r=range_key: build_history(detail_queries.drilldown_history(session, "system", "sys0", r, now), "vi"))
            payload[f"system_history_{range_key}"] = round(len(to_json_plotly(list(block))) / 1024, 1)
        timings["endpoint_history_1y"], _ = timed(
            args.repeat, lambda: build_history(detail_queries.drilldown_history(session, "endpoint", "sys0.ep0", "1y", now), "vi"))
        timings["systems_grid"], rows = timed(args.repeat, lambda: grid_rows(detail_queries.catalog_rows(session, now), "vi"))
        payload["systems_grid"] = round(len(json.dumps(rows)) / 1024, 1)
        timings["csv_export_24h_system"], text = timed(
            args.repeat, lambda: detail_queries.history_csv(session, [f"sys0.ep{e}" for e in range(args.endpoints)], "24h", now))
        payload["csv_export_24h_system"] = round(len(text) / 1024, 1)
    db.dispose()
    print(json.dumps({"db": url.split(":")[0], "endpoints": args.systems * args.endpoints, **counts,
                      "timings_ms": timings, "payload_kb": payload}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
