"""A simulated Wazuh indexer for the demo: a real HTTP server on loopback answering
`POST /wazuh-alerts-*/_search` (basic auth, rule.level filter, sort, search_after, size) with
Wazuh-shaped alert documents that appear over time, so the demo exercises the same SIEM pull
(dashboard.alerts.siem) a real deployment uses."""
from __future__ import annotations

import base64
import json
import logging
import random
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer

log = logging.getLogger(__name__)

EVERY_S = (30.0, 90.0)  # a new SIEM alert this often
# (rule id, level, description, groups) — real Wazuh rule ids and texts
RULES = [
    ("5712", 10, "sshd: brute force trying to get access to the system. Non existent user.", ["syslog", "sshd", "authentication_failures"]),
    ("5763", 10, "sshd: brute force trying to get access to the system. Authentication failed.", ["syslog", "sshd", "authentication_failures"]),
    ("31151", 10, "Multiple web server 400 error codes from same source ip.", ["web", "accesslog", "web_scan", "recon"]),
    ("31103", 7, "SQL injection attempt.", ["web", "accesslog", "attack", "sql_injection"]),
    ("60204", 10, "Multiple Windows logon failures.", ["windows", "authentication_failures"]),
    ("554", 7, "File added to the system.", ["ossec", "syscheck", "syscheck_entry_added"]),
    ("87105", 13, "VirusTotal: Alert - malicious file detected.", ["virustotal"]),
]
AGENTS = [("001", "dvc", "10.10.1.21"), ("002", "lgsp", "10.10.1.11"), ("003", "qlvb", "10.10.1.31"),
          ("004", "ioc", "10.10.1.41")]
SOURCES = ["185.220.101.47", "45.95.147.231", "103.151.122.9", "61.177.172.140", "194.26.29.110"]


class DemoWazuh:
    def __init__(self, seed: int | None = None):
        self.user, self.password = "ioc-demo-reader", secrets.token_urlsafe(12)
        self.rng = random.Random(seed)
        self.documents: list[dict] = []
        self.lock = threading.Lock()
        self.next_at = time.monotonic() + 10.0
        self._serial = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                expected = "Basic " + base64.b64encode(f"{outer.user}:{outer.password}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self._answer(401, {"error": "unauthorized"})
                if not self.path.endswith("/_search"):
                    return self._answer(404, {"error": "not found"})
                try:
                    body = json.loads(self.rfile.read(min(int(self.headers.get("Content-Length") or 0), 65536)))
                except ValueError:
                    return self._answer(400, {"error": "bad query"})
                self._answer(200, outer.search(body))

            def _answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def server_bind(self):  # skip the reverse DNS lookup of HTTPServer.server_bind
                TCPServer.server_bind(self)
                self.server_name, self.server_port = self.server_address[:2]

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.2,), name="demo-wazuh", daemon=True)

    def start(self) -> DemoWazuh:
        self.thread.start()
        log.info("demo Wazuh indexer on %s", self.url)
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _grow(self) -> None:
        while time.monotonic() >= self.next_at:
            self.next_at += self.rng.uniform(*EVERY_S)
            rule_id, level, description, groups = self.rng.choice(RULES)
            agent_id, agent_name, agent_ip = self.rng.choice(AGENTS)
            src = self.rng.choice(SOURCES)
            self._serial += 1
            now = datetime.now(timezone.utc)
            self.documents.append({
                "id": f"{int(now.timestamp())}.{self._serial:06d}",
                "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000",
                "rule": {"id": rule_id, "level": level, "description": description, "groups": groups},
                "agent": {"id": agent_id, "name": agent_name, "ip": agent_ip},
                "manager": {"name": "wazuh-manager.qni"},
                "data": {"srcip": src},
                "full_log": f"{now:%b %d %H:%M:%S} {agent_name} {groups[0]}: {description} from {src}",
            })
            cutoff = now - timedelta(days=1)
            self.documents = [d for d in self.documents[-5000:] if d["timestamp"] >= cutoff.strftime("%Y-%m-%dT%H:%M:%S")]

    def search(self, body: dict) -> dict:
        with self.lock:
            self._grow()
            filters = body.get("query", {}).get("bool", {}).get("filter", [])
            min_level = next((f["range"]["rule.level"]["gte"] for f in filters if "rule.level" in f.get("range", {})), 0)
            docs = [d for d in self.documents if d["rule"]["level"] >= min_level]
            after = body.get("search_after")
            if after:
                docs = [d for d in docs if (d["timestamp"], d["id"]) > (str(after[0]), str(after[1]))]
            page = docs[: int(body.get("size", 10))]
        return {"hits": {"total": {"value": len(docs)}, "hits": [
            {"_index": "wazuh-alerts-4.x-demo", "_id": d["id"], "_source": d, "sort": [d["timestamp"], d["id"]]} for d in page]}}
