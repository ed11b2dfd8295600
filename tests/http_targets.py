"""Real misbehaving servers on loopback for the http probe tests (raw sockets, one thread per
connection, so each failure mode is exactly what is sent on the wire)."""
from __future__ import annotations

import json
import socket
import socketserver
import threading
import time

OK_BODY = json.dumps({"status": "UP", "gateway": {"faults_last_hour": 3, "apis": [{"name": "a"}]}}).encode()


def _response(status: str, body: bytes, headers: dict | None = None, length: bool = True) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Connection: close", "Content-Type: application/json"]
    for key, value in (headers or {}).items():
        lines.append(f"{key}: {value}")
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        conn: socket.socket = self.request
        conn.settimeout(30)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
        except OSError:
            return
        path = data.split(b" ", 2)[1].decode()
        self.server.hits.append(path)
        try:
            self.route(conn, path)
        except OSError:
            pass  # the client gave up (deadline reached): that is the point of several tests

    def route(self, conn: socket.socket, path: str) -> None:
        stopping = self.server.stopping
        if path == "/ok":
            conn.sendall(_response("200 OK", OK_BODY, {"X-Version": "4.2.0"}))
        elif path == "/500":
            conn.sendall(_response("500 Internal Server Error", b'{"error": "boom"}'))
        elif path == "/503":
            conn.sendall(_response("503 Service Unavailable", b'{"status": "DOWN"}'))
        elif path == "/down":
            conn.sendall(_response("200 OK", b'{"status": "DOWN", "gateway": {"faults_last_hour": 900}}'))
        elif path == "/notjson":
            conn.sendall(_response("200 OK", b"<html>Service Temporarily Unavailable</html>", {"Content-Type": "text/html"}))
        elif path == "/loop":
            conn.sendall(_response("302 Found", b"", {"Location": "/loop"}))
        elif path == "/hop":
            conn.sendall(_response("302 Found", b"", {"Location": "/ok"}))
        elif path == "/huge":
            # no Content-Length: the cap must stop the reading, not a header check
            conn.sendall(_response("200 OK", b"", length=False))
            block = b"x" * 65536
            for _ in range(200):  # 13 MB
                conn.sendall(block)
        elif path == "/huge-declared":
            conn.sendall(_response("200 OK", b"", {"Content-Length": "50000000"}, length=False))
        elif path == "/drip":
            conn.sendall(_response("200 OK", b"", {"Content-Length": "100"}, length=False))
            for _ in range(100):
                if stopping.wait(0.5):
                    return
                conn.sendall(b"x")
        elif path == "/drip-headers":
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"y" * 200:
                if stopping.wait(0.3):
                    return
                conn.sendall(bytes([byte]))
        elif path == "/slow":
            stopping.wait(0.6)
            conn.sendall(_response("200 OK", OK_BODY))
        elif path == "/flap":
            self.server.flap += 1
            code = "200 OK" if self.server.flap % 2 else "500 Internal Server Error"
            conn.sendall(_response(code, OK_BODY))
        else:
            conn.sendall(_response("404 Not Found", b"{}"))


class HttpTargets(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hits: list[str] = []
        self.flap = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> HttpTargets:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


class RawServer:
    """Accepts connections and then either says nothing (hang) or sends a fixed greeting
    that is not HTTP (e.g. an SSH banner)."""

    def __init__(self, greeting: bytes | None = None):
        self.greeting = greeting
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.conns.append(conn)
            if self.greeting:
                try:
                    conn.sendall(self.greeting)
                except OSError:
                    pass

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(2)
        for conn in self.conns:
            conn.close()
        self.sock.close()


def refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(fn, *args, **kwargs):
    started = time.monotonic()
    value = fn(*args, **kwargs)
    return value, time.monotonic() - started
