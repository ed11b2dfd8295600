"""Collector benchmark: N HTTP targets on loopback (a tenth hang until the timeout), the REAL
collector (catalog -> scheduler -> probes -> status engine -> SQLite) checking them every
`--interval` seconds for a few cycles. Prints progress on stderr and one final JSON line:

    {"endpoints", "interval_s", "cycle_p95_s", "checks_due", "checks_done", "missed",
     "cpu_pct_one_core", "rss_mb", "cpu_ms_per_check", "latency_up_p50_ms", "latency_up_p99_ms",
     "written", "load_avg_1m_start_end"}

- cycle_p95_s: 95th percentile of the time between two consecutive starts of the same
  endpoint's check (the interval actually achieved; ideal = interval_s).
- cpu: the collector process only (all its threads, database writes included); the targets
  run in separate processes, a few hundred ports each, so their CPU is not counted.
- rss_mb: peak resident memory of the collector process (loading the catalog included).
- latency_up_*: the response time stored for healthy targets, the value `[RESPONSE_TIME]` sees
  (timed by the probe from the connect to the last byte of the body).
- stderr also says the time spent in the garbage collector and the CPU per thread.

    python bench/collector.py --endpoints 5000            # 3 cycles of 30 s
    python bench/collector.py --endpoints 500 --cycles 2 --interval 10
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HEALTH_BODY = json.dumps({"status": "UP", "version": "4.2.0",
                          "gateway": {"apis": 48, "calls_last_hour": 5200, "faults_last_hour": 6}}).encode()
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(HEALTH_BODY), HEALTH_BODY))


# ---------------------------------------------------------------------------- targets (other processes)


class _Healthy(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""

    def data_received(self, data):
        self.buffer += data
        if b"\r\n\r\n" in self.buffer:
            self.transport.write(RESPONSE)
            self.transport.close()


class _Hanging(asyncio.Protocol):
    """Accepts, reads the request, never answers; the client gives up at its deadline."""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        pass


def _serve(count: int, hanging_every: int, first_index: int, conn) -> None:
    async def main():
        loop = asyncio.get_running_loop()
        ports = []
        for i in range(first_index, first_index + count):
            factory = _Hanging if hanging_every and i % hanging_every == 0 else _Healthy
            server = await loop.create_server(factory, "127.0.0.1", 0, backlog=256)
            ports.append(server.sockets[0].getsockname()[1])
        conn.send(ports)
        await asyncio.Event().wait()

    asyncio.run(main())


def start_targets(n: int, hang_share: float, per_process: int) -> tuple[list, list[int], set[int]]:
    hanging_every = round(1 / hang_share) if hang_share > 0 else 0
    context = multiprocessing.get_context("spawn")
    processes, ports = [], []
    for first in range(0, n, per_process):
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(min(per_process, n - first), hanging_every, first, child), daemon=True)
        process.start()
        processes.append((process, parent))
    for process, parent in processes:
        ports.extend(parent.recv())
    hanging = {i for i in range(n) if hanging_every and i % hanging_every == 0}
    return [p for p, _ in processes], ports, hanging


# ---------------------------------------------------------------------------- catalog


def write_catalog(path: Path, ports: list[int], interval: float, timeout: float, per_system: int = 10) -> None:
    lines = ["version: 1", "agencies:", "  - {id: bench, name_vi: Bench, name_en: Bench}",
             "communes: {include: false}", "systems:"]
    for s in range(0, len(ports), per_system):
        lines += [f"  - id: s{s // per_system}", f"    name_vi: Hệ thống {s // per_system}",
                  f"    name_en: System {s // per_system}", "    owner: bench", "    endpoints:"]
        for i, port in enumerate(ports[s:s + per_system]):
            lines += [
                f"      - id: e{i}", f"        url: http://127.0.0.1:{port}/health",
                f"        interval: {interval}", f"        timeout: {timeout}",
                "        conditions:",
                '          - "[STATUS] == 200"',
                '          - "[BODY].status == UP"',
                '          - {condition: "[RESPONSE_TIME] < 2000", severity: degraded}',
                '          - {condition: "[BODY].gateway.faults_last_hour < 500", severity: degraded}',
            ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------- run


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered) + 0.5)) - 1))]


def thread_cpu() -> dict[str, float]:
    """CPU seconds per live thread of this process, by thread name (Linux /proc)."""
    import threading

    ticks = os.sysconf("SC_CLK_TCK")
    usage: dict[str, float] = {}
    for thread in threading.enumerate():
        try:
            fields = Path(f"/proc/self/task/{thread.native_id}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, TypeError):
            continue
        name = thread.name.split("_")[0].rstrip("0123456789-")
        usage[name] = usage.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return usage


class GcClock:
    """Time spent in the cyclic garbage collector, per generation (gc.callbacks)."""

    def __init__(self):
        import gc

        self.seconds = [0.0, 0.0, 0.0]
        self.count = [0, 0, 0]
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.thread_time()
        else:
            generation = info["generation"]
            self.seconds[generation] += time.thread_time() - self._started
            self.count[generation] += 1

    def __str__(self) -> str:
        return ", ".join(f"gen{g}: {self.count[g]} runs {self.seconds[g]:.2f} s" for g in range(3))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoints", type=int, default=2000)
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between checks of one endpoint")
    parser.add_argument("--cycles", type=int, default=3, help="how many intervals to measure")
    parser.add_argument("--timeout", type=float, default=10.0, help="probe deadline (hanging targets hold it fully)")
    parser.add_argument("--hang-share", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=None, help="concurrent checks at most (default: the app's default)")
    parser.add_argument("--ports-per-process", type=int, default=500)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def say(text: str) -> None:
        print(f"[bench] {text}", file=sys.stderr, flush=True)

    processes, ports, hanging = start_targets(args.endpoints, args.hang_share, args.ports_per_process)
    say(f"{len(ports)} targets on loopback in {len(processes)} processes ({len(hanging)} hanging)")
    from sqlalchemy import select

    from dashboard.catalog.loader import apply_catalog, load_catalog
    from dashboard.config import Settings
    from dashboard.monitoring.collector import Collector
    from dashboard.store.database import Database
    from dashboard.store.models import CheckResult

    with tempfile.TemporaryDirectory(prefix="ioc-bench-") as tmp:
        catalog_path = Path(tmp) / "catalog.yaml"
        write_catalog(catalog_path, ports, args.interval, args.timeout)
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        with db.session() as session:
            apply_catalog(session, load_catalog(catalog_path, {}))
        workers = args.workers or Settings().probe_workers
        from dashboard.monitoring.spool import Spool

        # with the fencing epoch and the spool in place, as in production
        collector = Collector(db, workers=workers, housekeeping=False, spool=Spool(Path(tmp) / "spool"), own_process=True)
        load_start = os.getloadavg()
        say(f"load average at the start: {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f} (shared machine: CPU figures inflate under load)")
        cpu0, wall0 = time.process_time(), time.monotonic()
        gc_clock = GcClock()
        collector.start()
        duration = args.cycles * args.interval
        try:
            while time.monotonic() - wall0 < duration:
                time.sleep(min(10.0, duration - (time.monotonic() - wall0)))
                s = collector.engine.stats
                say(f"t={time.monotonic() - wall0:5.1f}s due={s.due} done={s.done} missed={s.missed} running={s.running} "
                    f"written={collector.written} cpu={time.process_time() - cpu0:.1f}s")
        finally:
            say(f"garbage collector: {gc_clock}")
            say("CPU by thread (s): " + ", ".join(f"{k}={v:.1f}" for k, v in sorted(thread_cpu().items(), key=lambda kv: -kv[1])))
            stats = collector.engine.stats
            due, done, missed = stats.due, stats.done, stats.missed
            collector.stop()  # drains the writer: the CPU of storing every result is counted
            cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
            for process in processes:
                process.terminate()
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        current_rss = next((int(line.split()[1]) / 1024 for line in Path("/proc/self/status").read_text().splitlines()
                            if line.startswith("VmRSS:")), None)
        say(f"resident memory: peak {rss_mb:.0f} MB (reported), now {current_rss:.0f} MB")
        with db.session() as session:
            starts: dict[str, list] = {}
            for endpoint_id, at, was_missed in session.execute(
                select(CheckResult.endpoint_id, CheckResult.checked_at, CheckResult.missed).order_by(CheckResult.checked_at)
            ):
                if not was_missed:
                    starts.setdefault(endpoint_id, []).append(at)
            verdicts = {}
            latencies = []
            for verdict, latency in session.execute(select(CheckResult.verdict, CheckResult.latency_ms)):
                verdicts[verdict] = verdicts.get(verdict, 0) + 1
                if verdict == "up" and latency is not None:
                    latencies.append(latency)
        gaps = [(b - a).total_seconds() for times in starts.values() for a, b in zip(times, times[1:])]
        db.dispose()
    say(f"verdicts stored: {verdicts}; missed by reason: {stats.missed_by_reason}; "
        f"max start lag {stats.max_start_lag_s:.2f} s; wall {wall:.1f} s; load {os.getloadavg()}")
    print(json.dumps({
        "endpoints": args.endpoints,
        "interval_s": args.interval,
        "cycle_p95_s": round(percentile(gaps, 95), 2) if gaps else None,
        "checks_due": due,
        "checks_done": done,
        "missed": missed,
        "cpu_pct_one_core": round(100 * cpu / wall, 1),
        "rss_mb": round(rss_mb, 1),
        "cpu_ms_per_check": round(1000 * cpu / max(done, 1), 3),
        # the response time recorded for healthy targets (what [RESPONSE_TIME] and charts see):
        # collectors/http.py times the exchange from the connect to the last byte of the body
        "latency_up_p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
        "latency_up_p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
        "written": collector.written,
        "load_avg_1m_start_end": [round(load_start[0], 2), round(os.getloadavg()[0], 2)],
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
