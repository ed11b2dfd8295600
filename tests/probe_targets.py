"""Real servers on loopback for the tcp / tls / connection probe tests: a TLS server with a given
certificate, a plain TCP service that accepts and never answers, a port with a full backlog
(connects time out), and a small JSON server whose answer the test sets."""
from __future__ import annotations

import json
import socket
import ssl
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer

from dashboard.demo.certs import Issued


class _Acceptor:
    """Accept loop on its own thread; each connection handled on a thread of its own."""

    def __init__(self, backlog: int = 64):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        self.connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections.append(conn)
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn: socket.socket) -> None:  # accept and say nothing
        self.stopping.wait()

    def stop(self) -> None:
        self.stopping.set()
        self._thread.join(timeout=2)
        for conn in self.connections:
            conn.close()
        self.sock.close()


class SilentServer(_Acceptor):
    """Accepts connections and never sends a byte (for tcp: still up; for tls: a timeout)."""


class PlainTextServer(_Acceptor):
    """A non-TLS service: answers anything with an HTTP 400 in plain text, then closes."""

    def handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(2)
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        except OSError:
            pass
        finally:
            conn.close()


class TlsServer(_Acceptor):
    """Completes a TLS handshake with the given certificate, then closes."""

    def __init__(self, issued: Issued):
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="ioc-test-tls-"))
        cert, key = issued.write(self.dir, "server")
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)

    def handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            with self.context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)  # until the client goes away
        except (OSError, ssl.SSLError):
            pass


class FullBacklog:
    """A listening port whose accept queue is full: new connections are never completed."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(0)
        self.port = self.sock.getsockname()[1]
        self.fillers = []
        for _ in range(8):  # the queue holds backlog + 1; fill it whatever the kernel rounds to
            filler = socket.socket()
            filler.settimeout(0.3)
            try:
                filler.connect(("127.0.0.1", self.port))
            except OSError:
                filler.close()
                break
            self.fillers.append(filler)

    def stop(self) -> None:
        for filler in self.fillers:
            filler.close()
        self.sock.close()


class JsonServer:
    """An HTTP server whose answer to every GET is (status, body) as set by the test; `delay_s`
    holds the answer back."""

    def __init__(self):
        outer = self
        self.status, self.body, self.delay_s = 200, "{}", 0.0
        self.stopping = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                if outer.delay_s and outer.stopping.wait(outer.delay_s):
                    return
                data = outer.body.encode() if isinstance(outer.body, str) else json.dumps(outer.body).encode()
                try:
                    self.send_response(outer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def server_bind(self) -> None:  # no reverse DNS lookup
                TCPServer.server_bind(self)
                self.server_name, self.server_port = self.server_address[:2]

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def start(self):
        self._thread.start()
        return self

    def set(self, body, status: int = 200, delay_s: float = 0.0) -> None:
        self.body, self.status, self.delay_s = body, status, delay_s

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A port with nothing listening (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(fn, *args):
    started = time.monotonic()
    result = fn(*args)
    return result, time.monotonic() - started
