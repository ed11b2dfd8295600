"""Storage benchmark: what a stored check and a rollup row cost on SQLite, and what a year of
checks costs with the documented retention.

Fills a fresh SQLite database (the real schema, migrations included) with N endpoints' raw
results built by the real write path's row function (dashboard.monitoring.results.raw_row,
the row `record_results` inserts), in a realistic mix — mostly healthy HTTP checks, a few
failing ones with their cause parameters and an excerpt of the answer, refusals, timeouts,
TLS failures, missed checks, and the state changes in between (whose rows keep their cause's
parameters) — and the hourly and daily rollups of the same endpoints. Then it measures the
pages each table and its indexes take (SQLite's `dbstat`) and prints one JSON line:

    {"endpoints", "checks", "bytes_per_check", "rollups", "bytes_per_rollup",
     "projection": {"endpoints", "interval_s", "raw_days", "hourly_days", "daily_days",
                    "raw_gb", "rollup_gb", "total_gb"}}

bytes_per_check: check_results' table and all its indexes, divided by the rows stored.
The projection: 500 endpoints checked every 60 s for a year, raw results kept
IOC_RAW_RETENTION_DAYS (14), hourly rollups IOC_HOURLY_RETENTION_DAYS (90), daily rollups a
year's worth (they are kept 1,100 days). State changes and incidents are a few rows a day and
left out.

    python bench/storage.py                      # 500 endpoints, 2 days of minute checks
    python bench/storage.py --endpoints 200 --days 1 --keep /tmp/storage.db
"""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from collectors.base import CheckResult, Status  # noqa: E402
from collectors.timeutil import utcnow  # noqa: E402
from dashboard.config import Settings  # noqa: E402
from dashboard.domain.uptime import floor_day, floor_hour  # noqa: E402
from dashboard.monitoring.results import raw_row  # noqa: E402
from dashboard.store.database import Database  # noqa: E402
from dashboard.store.models import Agency, Endpoint, Rollup, System  # noqa: E402
from dashboard.store.models import CheckResult as CheckRow  # noqa: E402

GB = 1_000_000_000
CONDITIONS = ["[STATUS] == 200", "[BODY].status == UP", "[RESPONSE_TIME] < 2000"]
EXCERPT = '{"status": "DOWN", "gateway": {"faults_last_hour": 312, "queue": "full"}, "message": "upstream unavailable"}'


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def outcome(rng: random.Random, endpoint_id: str, failing: bool) -> CheckResult:
    """One check as a probe would give it; `failing` endpoints fail most of the time."""
    draw = rng.random()
    if failing:
        draw = 0.9 + draw * 0.1
    if draw < 0.965:
        return CheckResult(endpoint_id, Status.UP, "HTTP 200, all conditions met", latency_ms=rng.uniform(8, 400),
                           http_code=200, cause="ok", params={"status": 200, "conditions": len(CONDITIONS)},
                           detail={"url": "https://x/health", "excerpt": '{"status": "UP"}'})
    if draw < 0.975:
        return CheckResult(endpoint_id, Status.DEGRADED, "[RESPONSE_TIME] < 2000 — observed 2525", latency_ms=2525.0,
                           http_code=200, cause="condition_failed",
                           params={"condition": "[RESPONSE_TIME] < 2000", "observed": 2525, "status": 200},
                           detail={"url": "https://x/health", "excerpt": '{"status": "UP"}',
                                   "failed_conditions": ["[RESPONSE_TIME] < 2000"]})
    if draw < 0.99:
        return CheckResult(endpoint_id, Status.DOWN, "[STATUS] == 200 — observed 503", latency_ms=rng.uniform(20, 200),
                           http_code=503, cause="condition_failed",
                           params={"condition": "[STATUS] == 200", "observed": 503, "status": 503,
                                   "others": [{"condition": "[BODY].status == UP", "observed": "DOWN"}]},
                           detail={"url": "https://x/health", "excerpt": EXCERPT,
                                   "failed_conditions": ["[STATUS] == 200", "[BODY].status == UP"]})
    if draw < 0.995:
        return CheckResult(endpoint_id, Status.DOWN, "connection refused (nothing listening on 10.20.0.15:8443)",
                           latency_ms=1.2, cause="conn_refused", params={"host": "10.20.0.15", "port": 8443},
                           detail={"url": "https://x/health", "phase": "connecting"})
    if draw < 0.998:
        return CheckResult(endpoint_id, Status.DOWN, "no complete answer within 10 s (timeout while waiting for the answer)",
                           latency_ms=10000.0, cause="timeout", params={"phase": "answer", "seconds": 10.0},
                           detail={"url": "https://x/health", "phase": "connecting"})
    if draw < 0.999:
        return CheckResult(endpoint_id, Status.DOWN, "TLS certificate not accepted: [SSL: CERTIFICATE_VERIFY_FAILED] "
                           "certificate verify failed: certificate has expired (_ssl.c:1006)", latency_ms=30.0,
                           cause="tls_expired", params={"date": "2026-11-22", "days": 10},
                           detail={"url": "https://x/health", "phase": "connecting", "verify_error": "certificate has expired"})
    return CheckResult(endpoint_id, Status.UNKNOWN, "check could not start on time (collector overloaded)",
                       missed=True, cause="missed", params={"why": "overloaded"}, detail={"missed": True})


def fill(db: Database, endpoints: int, days: float, interval_s: float, seed: int) -> dict:
    rng = random.Random(seed)
    now = utcnow()
    with db.session() as session:
        session.add(Agency(id="skhcn", name_vi="Sở Khoa học và Công nghệ", name_en="Department of Science and Technology",
                           kind="department"))
        session.flush()
        for s in range(max(1, endpoints // 25)):
            session.add(System(id=f"he-thong-{s:02d}", name_vi=f"Hệ thống {s}", name_en=f"System {s}", owner_agency_id="skhcn"))
        session.flush()
        for e in range(endpoints):
            # ids as the catalog writes them: "<system>.<endpoint>"
            session.add(Endpoint(id=f"he-thong-{e // 25:02d}.api-{e:04d}", system_id=f"he-thong-{e // 25:02d}",
                                 name=f"API {e}", kind="http", target=f"https://he-thong-{e // 25}.quangngai.gov.vn/health",
                                 interval_s=interval_s, timeout_s=10.0,
                                 options={"conditions": [{"condition": c, "severity": "down"} for c in CONDITIONS]}))
    with db.session() as session:
        keys = dict(session.execute(select(Endpoint.id, Endpoint.key)).all())
    failing = set(rng.sample(sorted(keys), max(1, endpoints // 50)))  # a few endpoints in trouble for long
    checks = int(days * 86_400 / interval_s)
    start = now - timedelta(days=days)
    previous: dict[str, str] = {}
    stored = 0
    started = time.monotonic()
    for step in range(checks):
        at = start + timedelta(seconds=step * interval_s)
        rows = []
        for endpoint_id, key in keys.items():
            result = outcome(rng, endpoint_id, endpoint_id in failing)
            result.checked_at = at + timedelta(milliseconds=rng.randint(0, int(interval_s * 1000) - 1))
            row = raw_row(key, result)
            if not result.missed and previous.get(endpoint_id, str(result.verdict)) != str(result.verdict) and result.params:
                row["params"] = dict(result.params)  # a state change keeps its cause's parameters
            if not result.missed:
                previous[endpoint_id] = str(result.verdict)
            rows.append(row)
        with db.session() as session:
            session.execute(insert(CheckRow.__table__), rows)
        stored += len(rows)
        if step and step % 240 == 0:
            log(f"  {stored:,} checks stored ({time.monotonic() - started:.0f} s)")
    rollups = []
    hour0, day0 = floor_hour(now), floor_day(now)
    for endpoint_id in keys:
        for h in range(1, int(days * 24) + 1):
            avg = rng.uniform(30, 300)
            rollups.append({"endpoint_id": endpoint_id, "period": "hour", "bucket_start": hour0 - timedelta(hours=h),
                            "checks": int(3600 / interval_s), "failures": rng.choice((0, 0, 0, 1, 3)), "degraded": rng.choice((0, 0, 1)),
                            "missed": 0, "maintenance": 0, "latency_avg_ms": avg, "latency_p95_ms": avg * 1.8, "latency_max_ms": avg * 3})
        for d in range(1, max(1, int(days)) + 1):
            avg = rng.uniform(30, 300)
            rollups.append({"endpoint_id": endpoint_id, "period": "day", "bucket_start": day0 - timedelta(days=d),
                            "checks": int(86_400 / interval_s), "failures": rng.choice((0, 2, 10)), "degraded": rng.choice((0, 4)),
                            "missed": 0, "maintenance": 0, "latency_avg_ms": avg, "latency_p95_ms": avg * 1.8, "latency_max_ms": avg * 3})
    with db.session() as session:
        for i in range(0, len(rollups), 20_000):
            session.execute(insert(Rollup.__table__), rollups[i:i + 20_000])
    return {"checks": stored, "rollups": len(rollups)}


def table_bytes(path: Path, table: str) -> int:
    """Pages of a table and every index on it (SQLite's dbstat)."""
    with sqlite3.connect(path) as conn:
        names = [table] + [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,))]
        marks = ",".join("?" * len(names))
        return conn.execute(f"SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN ({marks})", names).fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, default=500)
    parser.add_argument("--days", type=float, default=2.0, help="days of raw checks to store (default 2)")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between two checks of an endpoint")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--keep", type=Path, help="write the database here instead of a temporary file")
    args = parser.parse_args()
    if args.endpoints < 1 or args.days <= 0 or args.interval <= 0:
        parser.error("--endpoints, --days and --interval must be positive")
    directory = tempfile.TemporaryDirectory()
    path = args.keep or Path(directory.name) / "storage.db"
    if path.exists():
        parser.error(f"{path} exists: give a new file")
    db = Database(f"sqlite:///{path}")
    log(f"filling {path}: {args.endpoints} endpoints, {args.days:g} days every {args.interval:g} s")
    counts = fill(db, args.endpoints, args.days, args.interval, args.seed)
    db.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("VACUUM")  # pages as a long-running database settles: no free pages counted
    per_check = table_bytes(path, "check_results") / counts["checks"]
    per_rollup = table_bytes(path, "rollups") / counts["rollups"]
    settings = Settings()
    year = {"endpoints": 500, "interval_s": 60.0, "raw_days": settings.raw_retention_days,
            "hourly_days": settings.hourly_retention_days, "daily_days": min(365.0, settings.daily_retention_days)}
    per_day = 86_400 / year["interval_s"]
    raw = year["endpoints"] * per_day * year["raw_days"] * per_check
    rolled = year["endpoints"] * (24 * year["hourly_days"] + year["daily_days"]) * per_rollup
    print(json.dumps({
        "endpoints": args.endpoints, "checks": counts["checks"], "bytes_per_check": round(per_check, 1),
        "rollups": counts["rollups"], "bytes_per_rollup": round(per_rollup, 1),
        "projection": {**year, "raw_gb": round(raw / GB, 3), "rollup_gb": round(rolled / GB, 3),
                       "total_gb": round((raw + rolled) / GB, 3)},
    }))


if __name__ == "__main__":
    main()
