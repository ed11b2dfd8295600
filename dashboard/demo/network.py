"""Simulated provincial shared systems served over real HTTP on loopback.

Each system gets its own ``ThreadingHTTPServer`` (and port) so that one system
can refuse connections while the others keep answering. The monitoring app
probes them exactly like real systems; tests switch a system into a failure
mode with ``DemoNetwork.set_mode`` or with the control endpoint::

    GET  /_demo/mode                        -> {"system": id, "mode": m}
    POST /_demo/mode  {"mode": "failing"}   -> switches that system

While a system is ``down`` its port is closed, so the control endpoint is
unreachable: switch it back with ``DemoNetwork.set_mode``. A request held by
``hang`` is released (closed without an answer) when the client gives up, the
mode changes or the network stops.

The document portal (``dvc``) also answers over HTTPS, with a certificate from a private
demo CA made at start (``IOC_DEMO_CA_BUNDLE`` points the catalog at it), and a simulated
commune server (Lý Sơn's loudspeaker controller) pushes heartbeats to the app once its web
server runs (``start_heartbeats``): it stops pinging while ``httt-nguon`` is ``down`` or
``hang`` and reports degraded service while it is ``failing``. The servers of all 96
commune-level units push theirs too, from one thread: a few seeded mountain communes stay
silent and one or two report degraded service (``commune_roles``).

Run ``python -m dashboard.demo.network`` to serve the demo and print the environment
variables the demo catalog refers to.
"""
from __future__ import annotations

import json
import logging
import os
import random
import secrets
import select
import shutil
import ssl
import tempfile
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer
from urllib.parse import urlsplit

import requests

from collectors.timeutil import iso

log = logging.getLogger(__name__)

SYSTEM_IDS: tuple[str, ...] = (
    "lgsp", "qlvb", "hop-khong-giay", "httt-nguon", "data-platform", "ioc", "dvc",
)
MODES: tuple[str, ...] = ("ok", "slow", "failing", "hang", "down", "link_down")

TLS_SYSTEMS: tuple[str, ...] = ("dvc",)  # also served over HTTPS
TLS_SERVER_NAME = "dichvucong.quangngai.gov.vn"
HEARTBEAT_SYSTEM = "httt-nguon"  # the simulated commune server belongs to this system
_CONTROL_PATH = "/_demo/mode"
_POLL_S = 0.05  # serve_forever/hang poll interval: bounds how long stop() waits
_VN_TZ = timezone(timedelta(hours=7))  # Vietnam has no DST

_ERRORS = {
    "lgsp": "Backend database connection pool exhausted (HikariPool-1: connection is not available, request timed out after 30000ms)",
    "qlvb": "Không kết nối được cơ sở dữ liệu văn bản (ORA-12541: TNS:no listener)",
    "hop-khong-giay": "Kho tài liệu họp không truy cập được: MinIO bucket 'tai-lieu-hop' unreachable",
    "httt-nguon": "Mất kết nối tới máy chủ điều khiển truyền thanh: MQTT broker connection refused",
    "data-platform": "Airflow scheduler heartbeat missing for 900 s",
    "ioc": "Collector queue stalled: Kafka broker not available",
    "dvc": "Lỗi hệ thống: hết kết nối tới cơ sở dữ liệu hồ sơ (connection pool exhausted)",
}
# system id -> {link name: error text shown when the link is down}
_LINKS = {
    "lgsp": {"ndxp": "Không kết nối được NDXP: quá thời gian chờ bắt tay TLS"},
    "qlvb": {"national_axis": "Trục liên thông văn bản quốc gia trả về HTTP 502 Bad Gateway"},
    "hop-khong-giay": {},
    "httt-nguon": {"central_source": "Mất kết nối Hệ thống thông tin nguồn trung ương: connection timed out"},
    "data-platform": {"national_data_portal": "Đồng bộ Cổng dữ liệu quốc gia thất bại: 401 Unauthorized (token expired)"},
    "ioc": {},
    "dvc": {"national_public_service_portal": "Đồng bộ hồ sơ lên Cổng DVC quốc gia thất bại: read timed out"},
}


def _day_progress(now: datetime) -> float:
    """Share (0..1) of a working day's volume done by ``now``, local time; monotonic within a day."""
    local = now.astimezone(_VN_TZ)
    hours = local.hour + local.minute / 60 + local.second / 3600
    x = min(max((hours - 7.0) / 10.5, 0.0), 1.0)  # office hours 07:00-17:30
    return 0.03 * hours / 24 + 0.97 * x * x * (3 - 2 * x)


class _Sim:
    """Plausible, slowly varying figures for one system (seeded random walks)."""

    def __init__(self, seed: int | None, system_id: str):
        self.rng = random.Random(None if seed is None else f"{seed}:{system_id}")
        self.scale = self.rng.uniform(0.85, 1.15)  # per-system size of daily volumes
        self._walks: dict[str, float] = {}
        self.lock = threading.Lock()

    def walk(self, key: str, start: float, lo: float, hi: float, step: float) -> float:
        value = self._walks.get(key, start) + self.rng.uniform(-step, step)
        self._walks[key] = value = min(max(value, lo), hi)
        return value

    def daily(self, now: datetime, per_day: float) -> int:
        return int(per_day * self.scale * _day_progress(now))


def _health_payload(system_id: str, sim: _Sim, now: datetime) -> dict:
    w = sim.walk
    if system_id == "lgsp":
        return {"status": "UP", "version": "4.2.0", "gateway": {
            "apis": 48,
            "calls_last_hour": round(w("calls", 5200, 1500, 12000, 300)),
            "faults_last_hour": round(w("faults", 6, 0, 40, 2)),
            "backend_latency_ms": round(w("latency", 120, 40, 400, 15)),
        }}
    if system_id == "qlvb":
        return {"status": "UP", "documents": {
            "sent_today": sim.daily(now, 420),
            "received_today": sim.daily(now, 650),
            "failed_deliveries": round(w("failed", 1, 0, 5, 0.6)),
            "signed_share": round(w("signed", 0.95, 0.90, 0.99, 0.005), 3),
        }}
    if system_id == "hop-khong-giay":
        return {"status": "UP", "meetings_today": sim.daily(now, 6), "documents_pushed": sim.daily(now, 140)}
    if system_id == "httt-nguon":
        offline = round(w("offline", 4, 0, 12, 1))
        local = now.astimezone(_VN_TZ)
        # Scheduled broadcasts at 06:00, 11:30 and 17:00 local time.
        slots = [local.replace(hour=h, minute=m, second=0, microsecond=0) for h, m in ((6, 0), (11, 30), (17, 0))]
        past = [s for s in slots if s <= local] or [slots[-1] - timedelta(days=1)]
        return {"status": "UP", "loudspeaker_clusters": {"online": 180 - offline, "offline": offline},
                "eboards_online": round(w("eboards", 58, 48, 62, 1)), "last_broadcast": iso(past[-1])}
    if system_id == "data-platform":
        age_min = w("load_age", 6, 1, 14, 1.5)
        return {"status": "UP", "pipelines": {"total": 12, "fresh": 12},
                "last_successful_load": iso(now - timedelta(minutes=age_min))}
    if system_id == "ioc":
        return {"status": "UP", "collectors_alive": True, "data_age_s": round(w("data_age", 20, 5, 90, 6))}
    if system_id == "dvc":
        return {"status": "UP", "dossiers_today": sim.daily(now, 1350),
                "on_time_rate": round(w("on_time", 0.96, 0.93, 0.995, 0.004), 3)}
    raise KeyError(system_id)


def _links_payload(system: _System, now: datetime) -> dict:
    links = {}
    for name, error in _LINKS[system.id].items():
        if system.mode == "link_down":
            stale = system.mode_since - timedelta(minutes=3)
            links[name] = {"state": "disconnected", "error": error,
                           "last_exchange": iso(stale), "latency_ms": None}
        else:
            age_s = system.sim.walk(f"{name}.age", 20, 2, 60, 8)
            links[name] = {"state": "connected", "last_exchange": iso(now - timedelta(seconds=age_s)),
                           "latency_ms": round(system.sim.walk(f"{name}.latency", 90, 25, 300, 12))}
    return {"links": links}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    system: _System

    def server_bind(self) -> None:
        # Skip HTTPServer.server_bind: its reverse DNS lookup (getfqdn) can stall offline.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address) -> None:
        log.debug("demo %s: error handling request from %s", self.system.id, client_address, exc_info=True)


class _TlsServer(_Server):
    """HTTPS: the handshake runs on the connection's own thread, so a client that never
    completes it (a tcp probe, a scanner) cannot stall the accept loop."""

    ssl_context: ssl.SSLContext

    def finish_request(self, request, client_address) -> None:
        request.settimeout(5)
        try:
            request = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        request.settimeout(None)
        super().finish_request(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "IOCDemo/1.0"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - signature from the base class
        log.debug("demo %s: %s " + format, self.server.system.id, self.address_string(), *args)

    def do_GET(self) -> None:
        system = self.server.system
        path = urlsplit(self.path).path
        if path == _CONTROL_PATH:
            return self._send(200, {"system": system.id, "mode": system.mode})
        if system.mode == "hang":
            return self._hang()
        if system.mode == "slow" and system.network.stopping.wait(system.network.slow_delay_s):
            return
        if path not in ("/health", "/links"):
            return self._send(404, {"error": f"not found: {path}"})
        if system.mode == "failing":
            return self._send(503, {"status": "DOWN", "error": _ERRORS[system.id]})
        now = datetime.now(timezone.utc)
        with system.sim.lock:
            body = _health_payload(system.id, system.sim, now) if path == "/health" else _links_payload(system, now)
        self._send(200, body)

    def do_POST(self) -> None:
        system = self.server.system
        path = urlsplit(self.path).path
        if path != _CONTROL_PATH:
            return self._send(404, {"error": f"not found: {path}"})
        try:
            length = int(self.headers.get("Content-Length") or 0)
            payload = json.loads(self.rfile.read(min(length, 65536)) or b"null")
        except (ValueError, UnicodeDecodeError):
            return self._send(400, {"error": "request body must be JSON such as {\"mode\": \"failing\"}"})
        mode = payload.get("mode") if isinstance(payload, dict) else None
        if mode not in MODES:
            return self._send(400, {"error": f"unknown mode {mode!r}; expected one of: {', '.join(MODES)}"})
        system.network.set_mode(system.id, mode)
        self._send(200, {"system": system.id, "mode": mode})

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps({**body, "checked_at": iso(datetime.now(timezone.utc))}, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (e.g. timed out on a slow answer)
            self.close_connection = True

    def _hang(self) -> None:
        system, conn = self.server.system, self.connection
        while system.mode == "hang" and not system.network.stopping.is_set():
            readable, _, _ = select.select([conn], [], [], _POLL_S)
            if readable:
                try:
                    if not conn.recv(4096):
                        break  # client closed its end
                except OSError:
                    break
        self.close_connection = True


class _System:
    def __init__(self, network: DemoNetwork, system_id: str, port: int, seed: int | None):
        self.network, self.id, self.port = network, system_id, port
        self.mode = "ok"
        self.mode_since = datetime.now(timezone.utc)
        self.sim = _Sim(seed, system_id)
        self.lock = threading.RLock()
        self.tls_port = 0
        self._servers: list[tuple[_Server, threading.Thread]] = []

    def open(self) -> None:
        with self.lock:
            if self._servers:
                return
            server = _Server((self.network.host, self.port), _Handler)
            self.port = server.server_address[1]
            self._serve(server, f"demo-{self.id}")
            context = self.network.tls_context
            if context is not None and self.id in TLS_SYSTEMS:
                tls = _TlsServer((self.network.host, self.tls_port), _Handler)
                tls.ssl_context = context
                self.tls_port = tls.server_address[1]
                self._serve(tls, f"demo-{self.id}-tls")

    def _serve(self, server: _Server, name: str) -> None:
        server.system = self
        thread = threading.Thread(target=server.serve_forever, args=(_POLL_S,), name=name, daemon=True)
        self._servers.append((server, thread))
        thread.start()

    def close(self) -> None:
        with self.lock:
            servers, self._servers = self._servers, []
            for server, thread in servers:
                server.shutdown()
                server.server_close()
                thread.join(timeout=1)


class DemoNetwork:
    """All simulated systems, one HTTP server per system; usable as a context manager."""

    def __init__(self, host: str = "127.0.0.1", base_port: int = 0, seed: int | None = None,
                 slow_delay_s: float = 2.5):
        self.host = host
        self.slow_delay_s = slow_delay_s
        self.stopping = threading.Event()
        self.heartbeat_token = secrets.token_urlsafe(24)
        self.commune_secret = secrets.token_urlsafe(32)  # catalog communes.heartbeat (IOC_DEMO_COMMUNE_SECRET)
        self.seed = seed
        self._commune_heartbeats: threading.Thread | None = None
        self.tls_context: ssl.SSLContext | None = None
        self.tls_dir: Path | None = None
        self._heartbeats: threading.Thread | None = None
        self._running = False
        self._lock = threading.Lock()
        self._systems = {
            sid: _System(self, sid, base_port + i if base_port else 0, seed)
            for i, sid in enumerate(SYSTEM_IDS)
        }

    def start(self) -> DemoNetwork:
        with self._lock:
            if self._running:
                return self
            self.stopping.clear()
            try:
                self._make_certificates()
                for system in self._systems.values():
                    with system.lock:
                        system.open()  # bind even when down, so an ephemeral port gets assigned
                        if system.mode == "down":
                            system.close()
            except BaseException:
                for system in self._systems.values():
                    system.close()
                self._remove_certificates()
                raise
            self._running = True
        log.info("demo network started: %s", self.urls())
        return self

    def stop(self) -> None:
        with self._lock:
            self.stopping.set()  # releases hanging and slow requests (and the heartbeat sender)
            self._running = False
            for system in self._systems.values():
                system.close()
            for thread in (self._heartbeats, self._commune_heartbeats):
                if thread is not None:
                    thread.join(timeout=3)
            self._heartbeats = self._commune_heartbeats = None
            self._remove_certificates()

    def _make_certificates(self) -> None:
        """A private CA and a certificate for the HTTPS portal, new at each start."""
        from dashboard.demo.certs import make_ca, make_server_cert

        if self.tls_context is not None:
            return
        self.tls_dir = Path(tempfile.mkdtemp(prefix="ioc-demo-tls-"))
        ca = make_ca()
        ca.write(self.tls_dir, "ca")
        cert, key = make_server_cert([TLS_SERVER_NAME, "localhost", self.host], ca).write(self.tls_dir, "server")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.tls_context = context

    def _remove_certificates(self) -> None:
        if self.tls_dir is not None:
            shutil.rmtree(self.tls_dir, ignore_errors=True)
        self.tls_dir, self.tls_context = None, None

    @property
    def ca_bundle(self) -> str:
        if self.tls_dir is None:
            raise RuntimeError("demo network not started yet: the demo CA is made by start()")
        return str(self.tls_dir / "ca.crt")

    def port(self, system_id: str) -> int:
        return int(self.url(system_id).rsplit(":", 1)[1])

    def tls_port(self, system_id: str) -> int:
        system = self._system(system_id)
        if not system.tls_port:
            raise RuntimeError(f"{system_id} serves no HTTPS (or the network is not started)")
        return system.tls_port

    # ---------------------------------------------------------------- heartbeats
    def start_heartbeats(self, app_url: str, every_s: float = 3.0) -> None:
        """Push heartbeats to the app at `app_url` every few seconds, as a commune server behind
        a firewall would; call once the app's web server is (about to be) listening."""
        if self._heartbeats is not None:
            return
        url = f"{app_url.rstrip('/')}/api/heartbeat/{self.heartbeat_token}"
        self._heartbeats = threading.Thread(target=self._send_heartbeats, args=(url, every_s),
                                            name="demo-heartbeats", daemon=True)
        self._heartbeats.start()
        self._commune_heartbeats = threading.Thread(
            target=self._send_commune_heartbeats, args=(app_url.rstrip("/"), commune_period_s()),
            name="demo-commune-heartbeats", daemon=True)
        self._commune_heartbeats.start()

    def _send_commune_heartbeats(self, app_url: str, period_s: float) -> None:
        """Every commune server's heartbeat, from this one thread: each unit once per ~0.7 period,
        the pings spread evenly over that time (no burst of 96 requests)."""
        from dashboard.catalog.commune_tokens import commune_token
        from dashboard.domain.communes import province_units

        roles = commune_roles(province_units(), self.seed)
        senders = [(f"{app_url}/api/heartbeat/{commune_token(self.commune_secret, code)}", commune_payload(role))
                   for code, role in roles.items() if role != "silent"]
        gap = period_s * 0.7 / max(len(senders), 1)
        delivered = False
        with requests.Session() as session:
            while not self.stopping.is_set():
                for url, payload in senders:
                    while not self.stopping.is_set():
                        try:
                            response = session.post(url, json=payload, timeout=2)
                            delivered = delivered or response.ok
                            if not response.ok:
                                log.warning("demo commune heartbeat refused: HTTP %s %s", response.status_code, response.text[:200])
                        except requests.RequestException as exc:
                            log.debug("demo commune heartbeat not delivered (app not listening yet?): %s", exc)
                        if delivered:
                            break
                        self.stopping.wait(0.5)  # the web server may still be starting
                    if self.stopping.wait(gap):
                        return

    def _send_heartbeats(self, url: str, every_s: float) -> None:
        delivered = False
        with requests.Session() as session:
            while not self.stopping.is_set():
                payload = heartbeat_payload(self.mode(HEARTBEAT_SYSTEM))
                if payload is not None:
                    try:
                        response = session.post(url, json=payload, timeout=2)
                        delivered = delivered or response.ok
                        if not response.ok:
                            log.warning("demo heartbeat refused: HTTP %s %s", response.status_code, response.text[:200])
                    except requests.RequestException as exc:
                        log.debug("demo heartbeat not delivered (app not listening yet?): %s", exc)
                # until the first ping lands (the web server may still be starting) retry quickly
                self.stopping.wait(every_s if delivered else 0.5)

    def url(self, system_id: str) -> str:
        system = self._system(system_id)
        if not system.port:
            raise RuntimeError("demo network not started yet: ephemeral ports are assigned by start()")
        return f"http://{self.host}:{system.port}"

    def urls(self) -> dict[str, str]:
        return {sid: self.url(sid) for sid in SYSTEM_IDS}

    def set_mode(self, system_id: str, mode: str) -> None:
        system = self._system(system_id)
        if mode not in MODES:
            raise ValueError(f"unknown demo mode {mode!r}; expected one of: {', '.join(MODES)}")
        with self._lock, system.lock:  # network lock first: same order as start()/stop()
            if mode != system.mode:
                system.mode, system.mode_since = mode, datetime.now(timezone.utc)
            if mode == "down":
                system.close()
            elif self._running:
                system.open()  # same port as before
        log.info("demo %s: mode %s", system_id, mode)

    def mode(self, system_id: str) -> str:
        return self._system(system_id).mode

    def modes(self) -> dict[str, str]:
        return {sid: s.mode for sid, s in self._systems.items()}

    def _system(self, system_id: str) -> _System:
        try:
            return self._systems[system_id]
        except KeyError:
            raise ValueError(f"unknown demo system {system_id!r}; expected one of: {', '.join(SYSTEM_IDS)}") from None

    def __enter__(self) -> DemoNetwork:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def heartbeat_payload(mode: str) -> dict | None:
    """What Lý Sơn's loudspeaker controller sends in a demo mode; None: it is offline."""
    if mode in ("down", "hang"):
        return None
    if mode == "failing":
        return {"status": "degraded", "message": "3/12 cụm loa mất kết nối (mất điện lưới khu vực An Hải)"}
    return {"status": "up", "message": "12/12 cụm loa trực tuyến"}


COMMUNE_PERIOD_DEFAULT = "30s"  # as in catalog/demo.yaml: ${IOC_DEMO_COMMUNE_PERIOD:-30s}
OLD_KON_TUM_FIRST_CODE = "23000"  # units of the former Kon Tum province (mountain communes) come after this


def commune_period_s() -> float:
    from collectors.timeutil import parse_duration

    return parse_duration(os.environ.get("IOC_DEMO_COMMUNE_PERIOD") or COMMUNE_PERIOD_DEFAULT)


def commune_roles(units: list, seed: int | None = None) -> dict[str, str]:
    """What each simulated commune server (dashboard.domain.communes.AdminUnit) does: "up", "degraded"
    (1-2 units) or "silent" (2-4 mountain communes of the former Kon Tum province). The same
    seed picks the same units."""
    rng = random.Random(f"{seed}:communes")
    codes = [unit.code for unit in units]
    roles = dict.fromkeys(codes, "up")
    mountain = [u.code for u in units if u.unit_type == "commune" and u.code >= OLD_KON_TUM_FIRST_CODE] or codes
    silent = rng.sample(mountain, min(rng.randint(2, 4), len(mountain)))
    rest = [c for c in codes if c not in silent]
    for code in silent:
        roles[code] = "silent"
    for code in rng.sample(rest, min(rng.randint(1, 2), len(rest))):
        roles[code] = "degraded"
    return roles


def commune_payload(role: str) -> dict:
    if role == "degraded":
        return {"status": "degraded", "message": "Mất đường truyền chính, đang chạy đường dự phòng 4G"}
    return {"status": "up", "message": "Máy chủ xã hoạt động bình thường"}


def env_for(network: DemoNetwork) -> dict[str, str]:
    """Environment variables the demo catalog references: ``IOC_DEMO_LGSP_URL`` and
    ``IOC_DEMO_LGSP_PORT`` for each system, ``IOC_DEMO_DVC_TLS_PORT``, ``IOC_DEMO_CA_BUNDLE``
    ``IOC_DEMO_HEARTBEAT_TOKEN`` and ``IOC_DEMO_COMMUNE_SECRET``."""
    env = {}
    for sid, url in network.urls().items():
        name = sid.upper().replace("-", "_")
        env[f"IOC_DEMO_{name}_URL"] = url
        env[f"IOC_DEMO_{name}_PORT"] = str(network.port(sid))
    for sid in TLS_SYSTEMS:
        env[f"IOC_DEMO_{sid.upper().replace('-', '_')}_TLS_PORT"] = str(network.tls_port(sid))
    env["IOC_DEMO_CA_BUNDLE"] = network.ca_bundle
    env["IOC_DEMO_HEARTBEAT_TOKEN"] = network.heartbeat_token
    env["IOC_DEMO_COMMUNE_SECRET"] = network.commune_secret
    return env


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Serve the simulated IOC shared systems on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--base-port", type=int, default=0, help="system i listens on BASE_PORT+i (0: ephemeral)")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    with DemoNetwork(args.host, args.base_port, args.seed) as network:
        for name, value in env_for(network).items():
            print(f"export {name}={value}")
        print("# Ctrl-C to stop", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
