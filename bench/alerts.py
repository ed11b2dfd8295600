"""Benchmark of the security alerts: ingest throughput and the read models behind
/security, the wall's feed and the map, with a large alert history.

Fills a temporary SQLite database (or --database-url) with the 96 commune-level units, the
shared systems and --alerts alerts spread over a year (most resolved, --open of them open),
then measures:
  * ingest: webhook payloads stored through dashboard.alerts.ingest.ingest (token check,
    validation, dedup, notification queue), one transaction each, like the endpoint does;
  * the read models each /security refresh calls, and the wall's latest_alerts/alerts_by_agency.

    python bench/alerts.py                       # 100,000 alerts; prints one JSON line last
    python bench/alerts.py --alerts 300000 --database-url postgresql+psycopg://…
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

from collectors.timeutil import utcnow  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=2_000)
    parser.add_argument("--ingest", type=int, default=500, help="webhook payloads to store")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    from sqlalchemy import insert

    from dashboard.alerts import ingest as alert_ingest
    from dashboard.alerts.rules import fingerprint
    from dashboard.domain.alerts import SEVERITIES
    from dashboard.domain.communes import province_units
    from dashboard.readmodels import alerts as alerts_queries
    from dashboard.store.database import Database
    from dashboard.store.models import Agency, Alert, System

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='ioc-bench-alerts-')}/bench.db"
    db = Database(url)
    rng = random.Random(7)
    now = utcnow()
    with db.session() as s:
        units = province_units()
        s.execute(insert(Agency), [{"id": f"unit-{u.code}", "name_vi": u.name, "name_en": u.short_name, "kind": u.unit_type,
                                    "lat": u.lat, "lon": u.lon} for u in units])
        s.execute(insert(System), [{"id": f"sys-{i}", "name_vi": f"Hệ thống {i}", "name_en": f"System {i}"} for i in range(7)])
    agencies = [f"unit-{u.code}" for u in units]
    started = time.perf_counter()
    batch = []
    with db.session() as s:
        for n in range(args.alerts):
            seen = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
            is_open = n < args.open
            batch.append({"fingerprint": fingerprint("bench", n), "source_kind": "webhook", "source": "bench",
                          "severity": rng.choice(SEVERITIES), "category": rng.choice(["malware", "botnet", "brute_force"]),
                          "title": f"Alert {n}", "system_id": f"sys-{n % 7}" if n % 3 else None,
                          "agency_id": rng.choice(agencies) if n % 2 else None, "asset": f"10.0.{n % 250}.{n % 200}",
                          "first_seen": now - timedelta(minutes=n % 600) if is_open else seen,
                          "last_seen": now - timedelta(minutes=n % 600) if is_open else seen, "count": 1,
                          "status": rng.choice(["new", "acknowledged"]) if is_open else "resolved"})
            if len(batch) == 5_000:
                s.execute(insert(Alert), batch)
                batch = []
        if batch:
            s.execute(insert(Alert), batch)
    fill_s = time.perf_counter() - started

    with db.session() as s:
        token = alert_ingest.create_source(s, "bench-soc")
    limiter = None  # measure storing, not the bucket
    started = time.perf_counter()
    for n in range(args.ingest):
        body = json.dumps({"severity": "high", "category": "brute_force", "title": f"SSH brute force from 185.0.{n % 50}.{n % 7}",
                           "agency": rng.choice(agencies), "asset": f"185.0.{n % 50}.{n % 7}"}).encode()
        with db.session() as s:
            alert_ingest.ingest(s, "bench-soc", f"Bearer {token}", body, limiter)
    ingest_s = time.perf_counter() - started

    def security_refresh():
        with db.session() as s:
            alerts_queries.open_counts(s)
            alerts_queries.severity_over_time(s)
            alerts_queries.open_by(s, "system")
            alerts_queries.open_by(s, "agency")
            alerts_queries.list_alerts(s, status=["new", "acknowledged"], limit=500)
            alerts_queries.system_options(s)

    def wall():
        with db.session() as s:
            alerts_queries.latest_alerts(s)
            alerts_queries.alerts_by_agency(s)

    figures = {}
    for name, fn in (("security_refresh", security_refresh), ("wall_alerts", wall)):
        times = []
        for _ in range(args.calls):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        figures[f"{name}_p50_ms"] = round(statistics.median(times), 1)
        figures[f"{name}_p95_ms"] = round(times[int(len(times) * 0.95) - 1], 1)
    result = {"database": url.split(":", 1)[0], "alerts": args.alerts, "open": args.open, "fill_s": round(fill_s, 1),
              "ingest_per_s": round(args.ingest / ingest_s, 1), **figures}
    db.dispose()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
