"""Benchmark of the operator wall's refresh callbacks.

Fills a temporary SQLite database (or the --database-url given) with --endpoints endpoints
(default 2,000: the shared systems' own plus commune-level ones), the 96 commune-level units, a
year of daily rollups, hourly rollups for --hourly-days (default 90, dashboard.monitoring.rollups's
retention), raw results for the hours not rolled up yet, state changes and incidents. Then it
calls every wall refresh callback the way the browser does — a POST to /_dash-update-component
through the real Flask app (access control, Dash dispatch and JSON serialisation included) —
and measures server time and response size.

    python bench/wall.py                      # 2,000 endpoints, prints one JSON line last
    python bench/wall.py --endpoints 5000 --calls 60

The last line is {"endpoints":…, "refresh_p50_ms":…, "refresh_p95_ms":…, "payload_kb":…, …}:
refresh_* and payload_kb are those of the slowest / largest callback (the first call of each,
which fills caches, is left out and reported apart for the charts); per-callback figures,
CPU time per call and the machine's load average follow.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collectors.timeutil import iso, utcnow  # noqa: E402

SHARED_SYSTEMS = [
    ("lgsp", "Nền tảng tích hợp, chia sẻ dữ liệu (LGSP)", "Data integration and sharing platform (LGSP)"),
    ("qlvb", "Hệ thống quản lý văn bản và điều hành", "Document management and executive system"),
    ("hop-khong-giay", "Hệ thống họp không giấy tờ", "Paperless meeting system"),
    ("httt-nguon", "Hệ thống thông tin nguồn tỉnh", "Provincial source information system"),
    ("data-platform", "Nền tảng tổng hợp, phân tích dữ liệu", "Data aggregation and analytics platform"),
    ("ioc", "Trung tâm giám sát, điều hành thông minh (IOC)", "Intelligent operations center (IOC)"),
    ("dvc", "Hệ thống thông tin giải quyết thủ tục hành chính", "Online public service system"),
]
# Commune-level endpoints are grouped into these systems, each endpoint tied to its unit.
COMMUNE_SYSTEMS = [
    ("commune-servers", "Máy chủ cấp xã", "Commune servers"),
    ("loudspeakers", "Cụm loa truyền thanh", "Loudspeaker clusters"),
    ("eboards", "Bảng tin điện tử", "Public e-boards"),
    ("one-stop", "Bộ phận một cửa cấp xã", "Commune one-stop desks"),
]
DEPARTMENTS = ["vp-ubnd", "cong-an", "skhcn", "ttcds", "svhttdl", "snv", "stc", "syt", "sgddt", "snnmt", "stp"]
PLATFORMS = ["ndxp", "national-axis", "central-source", "national-data-portal", "national-dvc"]


def status_mix(rng: random.Random) -> str:
    x = rng.random()
    return "down" if x < 0.02 else "degraded" if x < 0.05 else "maintenance" if x < 0.06 else "up"


def fill(db, endpoints_n: int, hourly_days: int, now: datetime, seed: int = 7) -> dict:
    """Bulk inserts through the DB-API (executemany) — minutes of ORM work would take hours."""
    from sqlalchemy import insert

    from dashboard.domain.communes import province_units
    from dashboard.readmodels.uptime import DONE_KEYS
    from dashboard.store.models import Agency, Endpoint, Link, NationalPlatform, RuntimeState, System
    from dashboard.store.runtime_keys import HEARTBEAT_KEY

    rng = random.Random(seed)
    counts = {}
    units = province_units()
    current_hour = now.replace(minute=0, second=0, microsecond=0)
    with db.engine.begin() as conn:
        conn.execute(insert(Agency), [
            # every row with the same keys: an executemany takes its columns from the first row, and
            # the communes' codes and coordinates were silently dropped when departments came first
            {"id": a, "name_vi": f"Sở {a}", "name_en": f"Department {a}", "kind": "department", "partner": "VNPT",
             "official_code": None, "lat": None, "lon": None} for a in DEPARTMENTS
        ] + [
            {"id": f"unit-{u.code}", "name_vi": u.name, "name_en": u.short_name, "kind": u.unit_type, "partner": "VNPT",
             "official_code": u.code, "lat": u.lat, "lon": u.lon} for u in units
        ])
        conn.execute(insert(NationalPlatform), [{"id": p, "name_vi": p, "name_en": p} for p in PLATFORMS])
        systems = [(sid, vi, en, False) for sid, vi, en in SHARED_SYSTEMS] + [(sid, vi, en, True) for sid, vi, en in COMMUNE_SYSTEMS]
        conn.execute(insert(System), [
            {"id": sid, "name_vi": vi, "name_en": en, "owner_agency_id": DEPARTMENTS[i % len(DEPARTMENTS)], "position": i,
             "active": True, "status": "up", "status_since": now - timedelta(hours=rng.randint(1, 500)), "last_check_at": now - timedelta(seconds=3)}
            for i, (sid, vi, en, _) in enumerate(systems)
        ])
        endpoint_rows = []
        shared_n = min(endpoints_n, 10 * len(SHARED_SYSTEMS))
        for i in range(shared_n):
            sid = SHARED_SYSTEMS[i % len(SHARED_SYSTEMS)][0]
            endpoint_rows.append((f"{sid}.ep{i}", sid, None))
        for i in range(endpoints_n - shared_n):
            unit = units[i % len(units)]
            sid = COMMUNE_SYSTEMS[(i // len(units)) % len(COMMUNE_SYSTEMS)][0]
            endpoint_rows.append((f"{sid}.{unit.code}.{i}", sid, f"unit-{unit.code}"))
        endpoint_dicts = []
        for position, (eid, sid, agency) in enumerate(endpoint_rows):
            status = status_mix(rng)
            endpoint_dicts.append({
                "id": eid, "key": position + 1, "system_id": sid, "name": eid, "kind": "http", "target": f"https://{eid}.example.vn/health",
                "interval_s": 60.0, "timeout_s": 10.0, "critical": agency is None or rng.random() < 0.5,
                "failures_before_down": 2, "successes_before_up": 2, "position": position, "active": True,
                "options": {"method": "GET", "conditions": ["[STATUS] == 200"], **({"agency": agency} if agency else {})},
                "status": status, "status_since": now - timedelta(minutes=rng.randint(1, 100_000)),
                "status_reason": None if status == "up" else "[STATUS] == 200 — observed 503",
                "last_check_at": now - timedelta(seconds=rng.uniform(0, 50)), "last_verdict": status,
                "last_latency_ms": rng.uniform(20, 400), "last_http_code": 200, "last_reason": "ok",
            })
        conn.execute(insert(Endpoint), endpoint_dicts)
        conn.execute(insert(Link), [
            {"id": f"{sid}.{p}", "system_id": sid, "platform_id": p, "endpoint_id": f"{sid}.ep{i}",
             "declared_state": "connected", "active": True, "status": "up"}
            for i, ((sid, _, _), p) in enumerate(zip(SHARED_SYSTEMS, PLATFORMS))
        ])
        conn.execute(insert(RuntimeState), [
            {"key": HEARTBEAT_KEY, "value": "bench", "updated_at": now, "expires_at": None},
            {"key": DONE_KEYS["hour"], "value": iso(current_hour - timedelta(hours=1)), "updated_at": now, "expires_at": None},
            {"key": DONE_KEYS["day"], "value": iso(current_hour.replace(hour=0) - timedelta(days=1)), "updated_at": now, "expires_at": None},
        ])
    counts["endpoints"] = len(endpoint_dicts)
    ids = [e["id"] for e in endpoint_dicts]
    keys = [e["key"] for e in endpoint_dicts]

    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        sqlite = db.engine.dialect.name == "sqlite"
        if sqlite:
            cur.execute("PRAGMA synchronous=OFF")
        ph = "?" if sqlite else "%s"
        naive = lambda d: d.replace(tzinfo=None)  # noqa: E731 - the DB stores naive UTC

        def bulk(table: str, columns: str, rows) -> int:
            n = 0
            batch = []
            sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join([ph] * len(columns.split(',')))})"
            for row in rows:
                batch.append(row)
                if len(batch) == 50_000:
                    cur.executemany(sql, batch)
                    n += len(batch)
                    batch = []
            if batch:
                cur.executemany(sql, batch)
                n += len(batch)
            raw.commit()
            return n

        cols = "endpoint_id, period, bucket_start, checks, failures, degraded, missed, maintenance, latency_avg_ms, latency_p95_ms, latency_max_ms"

        def rollups(period: str, buckets: list[datetime], per_bucket: int):
            for bucket in buckets:
                b = naive(bucket)
                for eid in ids:
                    failures = per_bucket if rng.random() < 0.003 else (1 if rng.random() < 0.05 else 0)
                    avg = rng.uniform(30, 300)
                    yield (eid, period, b, per_bucket, failures, 0, 0, 0, avg, avg * 1.8, avg * 3)

        days = [current_hour.replace(hour=0) - timedelta(days=d) for d in range(365, 0, -1)]
        counts["rollups_day"] = bulk("rollups", cols, rollups("day", days, 1440))
        hours = [current_hour - timedelta(hours=h) for h in range(hourly_days * 24, 0, -1)]
        counts["rollups_hour"] = bulk("rollups", cols, rollups("hour", hours, 60))

        def results():
            start = current_hour - timedelta(hours=1)  # the hour not rolled up yet, and this one
            minutes = int((now - start).total_seconds() // 60)
            for m in range(minutes):
                # the raw row's lean encoding (store.models.CheckResult): ms, verdict codes, tenths of ms
                at = round((start + timedelta(minutes=m, seconds=rng.uniform(0, 59))).timestamp() * 1000)
                for key in keys:
                    down = rng.random() < 0.02
                    yield (key, at, 1 if down else 0, round(rng.uniform(20, 400) * 10), 503 if down else 200,
                           "condition_failed" if down else "ok", False, False)
        counts["raw_results"] = bulk("check_results", "endpoint_key, checked_at, verdict, latency_ms, http_code, cause, missed, maintenance", results())

        system_ids = [s[0] for s in systems]

        def events():
            at = now - timedelta(days=365)
            state = {s: "up" for s in system_ids}
            while at < now:
                at += timedelta(minutes=rng.uniform(10, 240))
                subject = rng.choice(system_ids)
                new = rng.choice(["up", "degraded", "down"]) if state[subject] == "up" else "up"
                yield ("system", subject, naive(min(at, now)), state[subject], new, "bench")
                state[subject] = new
                for _ in range(3):
                    yield ("endpoint", rng.choice(ids), naive(min(at, now)), "up", "down", "bench")
        counts["state_events"] = bulk("state_events", "subject_type, subject_id, at, old_status, new_status, reason", events())

        def incidents():
            for i in range(20_000):
                start = now - timedelta(minutes=rng.uniform(5, 525_600))
                sid = rng.choice(system_ids)
                yield ("system", sid, sid, rng.choice(["down", "degraded"]), naive(start), naive(start + timedelta(minutes=rng.uniform(1, 90))), "bench", "HTTP 503")
        counts["incidents"] = bulk("incidents", "subject_type, subject_id, system_id, severity, started_at, ended_at, cause, last_reason", incidents())
        if sqlite:
            cur.execute("ANALYZE")
            raw.commit()
    finally:
        raw.close()
    return counts


def touch(db) -> None:
    """A live collector keeps results and its heartbeat fresh; filling the database takes
    minutes, so the bench does the same before each series of calls (outside the timing)."""
    from sqlalchemy import update

    from dashboard.store.models import Endpoint, RuntimeState
    from dashboard.store.runtime_keys import HEARTBEAT_KEY

    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(update(Endpoint).values(last_check_at=now - timedelta(seconds=5)))
        conn.execute(update(RuntimeState).where(RuntimeState.key == HEARTBEAT_KEY).values(updated_at=now))


class Runtime:
    """What create_app needs from dashboard.runtime.Runtime, without catalog, demo or collector."""

    def __init__(self, settings, db):
        self.settings, self.db, self.demo, self.collector, self.catalog = settings, db, None, None, None


def build_app(db, settings):
    # Access control is installed by create_app: the bench is a kiosk on loopback.
    os.environ.setdefault("IOC_SECRET_KEY", secrets.token_urlsafe(48))
    os.environ.setdefault("IOC_KIOSK_ALLOW", "127.0.0.1/32")
    from dashboard.web.app import create_app

    return create_app(Runtime(settings, db))


def callback_body(outputs: list[tuple[str, str]], inputs: list[tuple[str, str, object]], state: list[tuple[str, str, object]]) -> dict:
    return {
        # Dash's callback id: "..a.x...b.y.." for several outputs, "a.x" for one
        "output": "..{}..".format("...".join(f"{i}.{p}" for i, p in outputs)) if len(outputs) > 1 else f"{outputs[0][0]}.{outputs[0][1]}",
        "outputs": [{"id": i, "property": p} for i, p in outputs] if len(outputs) > 1 else {"id": outputs[0][0], "property": outputs[0][1]},
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
        "changedPropIds": [f"{inputs[0][0]}.{inputs[0][1]}"],
    }


def wall_calls(view: str, map_sig: str | None = None) -> dict[str, dict]:
    refresh = [("wall-refresh", "n_intervals", 7), ("lang-toggle", "value", "vi")]
    return {
        "status": callback_body(
            [("wall-root", "className"), ("wall-last-data", "children"), ("wall-last-data", "className"), ("wall-banner", "children"),
             ("wall-counts", "children"), ("wall-tiles", "children"), ("wall-coverage", "children"), ("wall-feed", "children"),
             ("wall-state", "data")],
            refresh, [("wall-view", "data", {"view": view})]),
        "map": callback_body(
            [("wall-map", "figure"), ("wall-map-sig", "data"), ("wall-places", "children")],
            refresh, [("wall-view", "data", {"view": view}), ("wall-map-sig", "data", map_sig), ("wall-viewport", "data", 1.0),
                      ("wall-config", "data", {"metric": "state"})]),
        "charts": callback_body(
            [("wall-availability", "figure"), ("wall-latency", "figure"), ("wall-timeline", "figure")],
            [("wall-slow", "n_intervals", 3), ("lang-toggle", "value", "vi"), ("wall-viewport", "data", 1.0)],
            [("wall-view", "data", {"view": view})]),
    }


class Collector:
    """Between two calls, what a live collector writes in one wall refresh: each endpoint is
    checked once per interval, so about endpoints × refresh ÷ interval rows get a new check
    time and latency (outside the timing). Without it every call after the first would read
    rows it has already seen."""

    def __init__(self, db, per_refresh: int, seed: int = 11):
        from sqlalchemy import select

        from dashboard.store.models import Endpoint

        self.db, self.per_refresh, self.rng = db, per_refresh, random.Random(seed)
        with db.engine.connect() as conn:
            self.ids = [eid for (eid,) in conn.execute(select(Endpoint.id).where(Endpoint.active.is_(True)))]

    def refresh(self) -> None:
        from sqlalchemy import bindparam, update

        from dashboard.store.models import Endpoint

        if not self.per_refresh:
            return
        now = utcnow()
        rows = [{"eid": eid, "at": now, "ms": round(self.rng.uniform(20, 400), 1)}
                for eid in self.rng.sample(self.ids, min(self.per_refresh, len(self.ids)))]
        with self.db.engine.begin() as conn:
            conn.execute(update(Endpoint).where(Endpoint.id == bindparam("eid"))
                         .values(last_check_at=bindparam("at"), last_latency_ms=bindparam("ms")), rows)


def measure(client, body: dict, calls: int, collector: Collector | None = None) -> tuple[list[float], int, dict, list[float]]:
    """Server time (wall clock) and CPU time of this thread per call: on a loaded machine the
    CPU time shows what the callback costs, the wall clock what a wall waits."""
    times, size, answer, cpu = [], 0, {}, []
    for _ in range(calls):
        if collector is not None:
            collector.refresh()
        started, cpu_started = time.perf_counter(), time.thread_time()
        response = client.post("/_dash-update-component", json=body)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - cpu_started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"callback failed: HTTP {response.status_code}: {response.get_data(as_text=True)[:500]}")
        size = len(response.get_data())
        answer = response.get_json()
    return times, size, answer, cpu


def profile(client, bodies: dict[str, dict], calls: int = 20, collector: "Collector | None" = None) -> None:
    import cProfile
    import pstats

    for name, body in bodies.items():
        profiler = cProfile.Profile()
        for _ in range(calls):
            if collector is not None:
                collector.refresh()
            profiler.enable()
            client.post("/_dash-update-component", json=body)
            profiler.disable()
        print(f"--- {name}: {calls} calls, by cumulative CPU", file=sys.stderr)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(28)


def refill_counts(db, now: datetime) -> dict:
    """Counts of a database filled by an earlier run; its clocks moved on, so the current-state
    columns (last check, heartbeat) are made fresh again, as a running collector keeps them."""
    from sqlalchemy import func, select

    from dashboard.store.models import CheckResult, Endpoint, Incident, Rollup, StateEvent

    with db.session() as s:
        counts = {
            "endpoints": s.scalar(select(func.count()).select_from(Endpoint)),
            "rollups_day": s.scalar(select(func.count()).select_from(Rollup).where(Rollup.period == "day")),
            "rollups_hour": s.scalar(select(func.count()).select_from(Rollup).where(Rollup.period == "hour")),
            "raw_results": s.scalar(select(func.count()).select_from(CheckResult)),
            "state_events": s.scalar(select(func.count()).select_from(StateEvent)),
            "incidents": s.scalar(select(func.count()).select_from(Incident)),
        }
    touch(db)
    return counts


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoints", type=int, default=2000)
    parser.add_argument("--hourly-days", type=int, default=90, help="hourly rollups kept (default 90, as dashboard.monitoring.rollups)")
    parser.add_argument("--calls", type=int, default=40, help="calls per callback")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument("--reuse", help="an SQLite file filled by an earlier --keep run: measure it again without filling")
    parser.add_argument("--profile", action="store_true", help="print where the status and map callbacks spend their CPU (cProfile)")
    parser.add_argument("--refresh-s", type=float, default=5.0,
                        help="wall refresh interval (IOC_REFRESH_MS): between two calls the bench writes the checks "
                             "a collector makes in that time (endpoints checked every 60 s)")
    args = parser.parse_args(argv)

    from dashboard.config import Settings
    from dashboard.store.database import Database

    tmp = Path(args.reuse).resolve().parent if args.reuse else Path(tempfile.mkdtemp(prefix="ioc-bench-wall-"))
    url = f"sqlite:///{Path(args.reuse).resolve()}" if args.reuse else args.database_url or f"sqlite:///{tmp / 'wall.db'}"
    db = Database(url)
    now = utcnow()
    started = time.perf_counter()
    if args.reuse:
        counts = refill_counts(db, now)
    else:
        counts = fill(db, args.endpoints, args.hourly_days, now)
    fill_s = time.perf_counter() - started
    print(f"filled in {fill_s:.0f} s: {counts}", file=sys.stderr)
    settings = Settings(database_url=url, demo=False, data_dir=tmp)
    app = build_app(db, settings)
    client = app.server.test_client()

    results = {}
    glance = wall_calls("glance")
    touch(db)
    collector = Collector(db, round(counts["endpoints"] * args.refresh_s / 60.0))
    # the map: a first figure (or one after a change), then refreshes where no marker changed
    map_times, map_size, answer, map_cpu = measure(client, glance["map"], args.calls, collector)
    signature = answer["response"]["wall-map-sig"]["data"]
    results["map_full"] = (map_times, map_size, map_cpu)
    touch(db)
    unchanged = measure(client, wall_calls("glance", signature)["map"], args.calls, collector)
    results["map_unchanged"] = (unchanged[0], unchanged[1], unchanged[3])
    touch(db)
    status = measure(client, glance["status"], args.calls, collector)
    results["status"] = (status[0], status[1], status[3])
    touch(db)
    charts = measure(client, wall_calls("charts")["charts"], max(5, args.calls // 2), collector)
    results["charts"] = (charts[0], charts[1], charts[3])
    if args.profile:
        profile(client, {"status": glance["status"], "map_unchanged": wall_calls("glance", signature)["map"]}, collector=collector)

    line = {"endpoints": counts["endpoints"], "rows_changed_per_call": collector.per_refresh}
    per = {}
    first_ms = {}
    for name, (times, size, cpu) in results.items():
        first_ms[name] = round(times[0], 1)
        times, cpu = (times[1:], cpu[1:]) if len(times) > 2 else (times, cpu)  # the first call warms caches
        per[name] = {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(percentile(times, 95), 1), "kb": round(size / 1024, 1),
                     "cpu_p50_ms": round(statistics.median(cpu), 1), "cpu_p95_ms": round(percentile(cpu, 95), 1)}
    line["refresh_p50_ms"] = max(v["p50_ms"] for v in per.values())
    line["refresh_p95_ms"] = max(v["p95_ms"] for v in per.values())
    line["payload_kb"] = max(v["kb"] for v in per.values())
    line["cpu_p50_ms"] = max(v["cpu_p50_ms"] for v in per.values())
    line["cpu_p95_ms"] = max(v["cpu_p95_ms"] for v in per.values())
    for name, v in per.items():
        line.update({f"{name}_{k}": x for k, x in v.items()})
    line["charts_first_call_ms"] = first_ms["charts"]
    line["load_avg_1m"] = round(os.getloadavg()[0], 1)
    line.update({"rollups": counts["rollups_day"] + counts["rollups_hour"], "raw_results": counts["raw_results"],
                 "state_events": counts["state_events"], "incidents": counts["incidents"]})
    if url.startswith("sqlite"):
        line["db_mb"] = round(Path(url.removeprefix("sqlite:///")).stat().st_size / 2**20)
    db.dispose()
    if not args.keep and not args.database_url and not args.reuse:
        for path in tmp.iterdir():
            path.unlink()
        tmp.rmdir()
    elif args.keep:
        print(f"database kept: {url}", file=sys.stderr)
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
