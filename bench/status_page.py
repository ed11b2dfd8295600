"""Load on the public status page: a flood of anonymous visitors against the real app.

Starts `python app.py` (the demo, with its collector) on a free port in a temporary data
directory, then sends GET /status at --rate requests per second for --seconds from --threads
client threads on loopback, and measures each response's time. The collector's own counters
(/api/health → scheduler.checks) are read before and after, and during an equal quiet period
first, so any effect of the load on the collector's schedule shows as missed checks.

    python bench/status_page.py                    # 200 req/s for 60 s
    python bench/status_page.py --rate 400 --seconds 30

The last line is JSON: {"rate":…, "sent":…, "ok":…, "errors":…, "p50_ms":…, "p95_ms":…,
"p99_ms":…, "max_ms":…, "achieved_rps":…, "collector_missed_quiet":…, "collector_missed_load":…,
"collector_checks_quiet":…, "collector_checks_load":…, "load_avg":…}
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

PROJECT_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(data_dir: Path) -> tuple[subprocess.Popen, str, requests.Session]:
    port = free_port()
    password = secrets.token_urlsafe(16)
    env = {**os.environ, "IOC_SECRET_KEY": secrets.token_urlsafe(48), "IOC_DEMO_ADMIN_PASSWORD": password,
           "IOC_DEMO_INTERVAL": "10s"}
    process = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--data-dir", str(data_dir)],
                               cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/api/health", timeout=5).status_code < 500:
                break
        except requests.RequestException:
            pass
        time.sleep(0.5)
    else:
        process.kill()
        raise SystemExit("the app did not start")
    admin = requests.Session()
    form = admin.get(url + "/login", timeout=10).text
    csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    admin.post(url + "/login", data={"csrf": csrf, "username": "demo-admin", "password": password, "next": "/"},
               allow_redirects=False, timeout=10)
    return process, url, admin


def collector_checks(admin: requests.Session, url: str) -> dict:
    return admin.get(url + "/api/health", timeout=10).json().get("scheduler", {}).get("checks", {})


def flood(port: int, rate: float, seconds: float, threads: int) -> tuple[list[float], int, float]:
    """Paced requests from `threads` keep-alive connections; returns latencies (ms), errors, wall time."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    interval = threads / rate  # each thread sends one request every `interval` seconds
    start = time.monotonic() + 0.2
    stop = start + seconds

    def worker(offset: float):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        next_at = start + offset
        mine = []
        while next_at < stop:
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            began = time.perf_counter()
            try:
                connection.request("GET", "/status")
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            elapsed = (time.perf_counter() - began) * 1000.0
            if ok:
                mine.append(elapsed)
            else:
                with lock:
                    errors[0] += 1
            next_at += interval
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=worker, args=(i * interval / threads,)) for i in range(threads)]
    began = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return latencies, errors[0], time.monotonic() - began


def delta(after: dict, before: dict, key: str) -> int | None:
    if key not in after or key not in before:
        return None
    return int(after[key]) - int(before[key])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second (default 200)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long (default 60 s)")
    parser.add_argument("--threads", type=int, default=16, help="client connections (default 16)")
    args = parser.parse_args()
    if args.rate <= 0 or args.seconds <= 0 or not 1 <= args.threads <= 256:
        raise SystemExit("--rate and --seconds must be positive, --threads 1-256")
    with tempfile.TemporaryDirectory(prefix="ioc-bench-status-") as tmp:
        process, url, admin = start_app(Path(tmp) / "data")
        try:
            port = int(url.rsplit(":", 1)[1])
            time.sleep(15)  # let the demo's first checks and the status snapshot settle
            quiet_before = collector_checks(admin, url)
            time.sleep(args.seconds)
            quiet_after = collector_checks(admin, url)
            latencies, errors, took = flood(port, args.rate, args.seconds, args.threads)
            load_after = collector_checks(admin, url)
        finally:
            process.terminate()
            process.wait(10)
    latencies.sort()
    pct = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2) if latencies else None  # noqa: E731
    sent = len(latencies) + errors
    result = {
        "rate": args.rate, "seconds": args.seconds, "sent": sent, "ok": len(latencies), "errors": errors,
        "p50_ms": round(statistics.median(latencies), 2) if latencies else None, "p95_ms": pct(0.95),
        "p99_ms": pct(0.99), "max_ms": round(latencies[-1], 2) if latencies else None,
        "achieved_rps": round(sent / took, 1),
        "collector_checks_quiet": delta(quiet_after, quiet_before, "done"),
        "collector_checks_load": delta(load_after, quiet_after, "done"),
        "collector_missed_quiet": delta(quiet_after, quiet_before, "missed"),
        "collector_missed_load": delta(load_after, quiet_after, "missed"),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
