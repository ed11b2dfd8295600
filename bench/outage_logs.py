"""Log volume during a database outage: the real app (`python app.py`, web and collector in one
process) on a throwaway PostgreSQL cluster of its own, a small catalog on loopback targets, and
`--clients` simulated wall screens (kiosks on loopback) calling the wall's refresh callback every
`--refresh` seconds. PostgreSQL is stopped for `--outage` seconds, then started again. Prints the
log lines written from the stop until `--after` seconds after the restart, then one JSON line:

    {"outage_s", "clients", "wall_requests", "wall_http_errors", "log_lines", "tracebacks",
     "spooled_results_replayed"}

    python bench/outage_logs.py                       # 60 s outage, 30 wall clients
    python bench/outage_logs.py --outage 30 --clients 10
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CATALOG = """
version: 1
agencies:
  - {id: skhcn, name_vi: Sở Khoa học và Công nghệ, name_en: Department of Science and Technology, kind: department}
systems:
""" + "".join(f"""  - id: sys{i}
    name_vi: Hệ thống {i}
    name_en: System {i}
    owner: skhcn
    endpoints:
      - {{id: health, url: "${{TARGET}}/{i}", interval: 5s, timeout: 2s}}
""" for i in range(6))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_bindir() -> Path:
    found = shutil.which("pg_ctl")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    raise SystemExit("error: PostgreSQL is not installed (initdb and pg_ctl are needed)")


class Cluster:
    """A throwaway PostgreSQL cluster that can be stopped and started (also used by the tests)."""

    def __init__(self):
        self.bindir = pg_bindir()
        self.base = Path(tempfile.mkdtemp(prefix="ioc-outage-pg-"))
        self.datadir, self.port = self.base / "data", free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.base, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.run("initdb", "-D", str(self.datadir), "-U", "ioc", "--auth=trust", "-E", "UTF8", "--locale=C")
        self.start()
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "ioc", "ioc_test")
        self.url = f"postgresql+psycopg://ioc@127.0.0.1:{self.port}/ioc_test"

    def run(self, tool: str, *args: str) -> None:
        subprocess.run(self.as_user + [str(self.bindir / tool), *args], check=True, capture_output=True, text=True)

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.datadir), "-w", "-l", str(self.base / "log"),
                 "-o", f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        subprocess.run(self.as_user + [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)


def targets() -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def wall_body() -> dict:
    spec = importlib.util.spec_from_file_location("bench_wall", ROOT / "bench" / "wall.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.wall_calls("glance")["status"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outage", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--refresh", type=float, default=5.0)
    parser.add_argument("--after", type=float, default=15.0, help="seconds counted after the database is back")
    args = parser.parse_args()

    cluster, server, app, stop = Cluster(), targets(), None, threading.Event()
    work = Path(tempfile.mkdtemp(prefix="ioc-outage-"))
    log_path = work / "app.log"
    counts = {"requests": 0, "errors": 0}
    try:
        (work / "catalog.yaml").write_text(CATALOG)
        port = free_port()
        env = {**os.environ, "IOC_DATABASE_URL": cluster.url, "IOC_CATALOG": str(work / "catalog.yaml"),
               "TARGET": f"http://127.0.0.1:{server.server_address[1]}", "IOC_SECRET_KEY": secrets.token_urlsafe(48),
               "IOC_KIOSK_ALLOW": "127.0.0.1/32", "IOC_DATA_DIR": str(work / "data"), "IOC_DEMO": "0",
               "IOC_PORT": str(port), "IOC_LOG_LEVEL": "INFO"}
        app = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log_path.open("w"),
                               stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(base + "/api/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or app.poll() is not None:
                raise SystemExit(f"error: the app did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        body = wall_body()

        def wall_client(index: int) -> None:
            session = requests.Session()
            time.sleep(index * args.refresh / args.clients)  # screens are not in step
            while not stop.is_set():
                try:
                    answer = session.post(base + "/_dash-update-component", json=body, timeout=20)
                    counts["requests"] += 1
                    if answer.status_code >= 400:
                        counts["errors"] += 1
                except requests.RequestException:
                    counts["requests"] += 1
                    counts["errors"] += 1
                stop.wait(args.refresh)

        clients = [threading.Thread(target=wall_client, args=(i,), daemon=True) for i in range(args.clients)]
        for thread in clients:
            thread.start()
        time.sleep(2 * args.refresh)
        start_offset = log_path.stat().st_size
        requests_before = counts["requests"], counts["errors"]
        print(f"stopping PostgreSQL for {args.outage:g} s with {args.clients} wall clients", file=sys.stderr)
        cluster.stop()
        time.sleep(args.outage)
        cluster.start()
        print("PostgreSQL started again", file=sys.stderr)
        time.sleep(args.after)
        stop.set()
        for thread in clients:
            thread.join(30)
        with log_path.open() as handle:
            handle.seek(start_offset)
            lines = handle.read().splitlines()
    finally:
        stop.set()
        if app is not None and app.poll() is None:
            app.terminate()
            try:
                app.wait(20)
            except subprocess.TimeoutExpired:
                app.kill()
        server.shutdown()
        cluster.destroy()
    entries = [line for line in lines if re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line) or line.startswith("{")]
    print("---- log lines from the stop until %g s after the restart ----" % args.after)
    for line in lines:
        print(line)
    print("----")
    replayed = re.search(r"(\d+) spooled results replayed", "\n".join(lines))
    print(json.dumps({
        "outage_s": args.outage, "clients": args.clients,
        "wall_requests": counts["requests"] - requests_before[0], "wall_http_errors": counts["errors"] - requests_before[1],
        "log_lines": len(lines), "log_records": len(entries),
        "tracebacks": sum(1 for line in lines if line.startswith("Traceback")),
        "spooled_results_replayed": int(replayed.group(1)) if replayed else None,
    }))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
