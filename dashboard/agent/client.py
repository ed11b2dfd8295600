"""The remote agent's loop: fetch the assignment, check with the central collector's engine,
buffer every result on disk, send signed batches, delete what the server acknowledged.

Threads: the probe engine's event loop (dashboard.monitoring.engine) hands each result to
`_on_result`, which only queues it; the agent's own thread writes queued results to the buffer
at once (at most half a second later), sends a batch every `batch_interval_s` and asks for the
assignment again every `assignment_every_s`. A slow or unreachable server never delays a check.
"""
from __future__ import annotations

import json
import logging
import queue
import re
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from collectors.base import CheckResult
from collectors.timeutil import iso, utcnow
from dashboard.agent.buffer import DEFAULT_MAX_RESULTS, ResultBuffer
from dashboard.domain.agents import MAX_RESULTS_PER_BATCH, SIGNATURE_HEADER, key_from_secret, sign
from dashboard.monitoring.engine import ProbeEngine, target_from

log = logging.getLogger(__name__)

VERSION = "1"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class AgentSettings:
    server: str
    token: str
    data_dir: Path
    batch_interval_s: float = 10.0
    assignment_every_s: float = 60.0
    batch_size: int = 200
    max_buffer: int = DEFAULT_MAX_RESULTS
    probe_workers: int = 200
    ca_bundle: str | None = None
    allow_http: bool = False
    timeout_s: float = 20.0


class SettingsError(ValueError):
    pass


def check_settings(settings: AgentSettings) -> None:
    """Refuse what would send the token in clear or make a useless agent; names the flag."""
    parts = urlsplit(settings.server)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"--server must be the server's address, e.g. https://ioc.example.vn (got {settings.server!r})")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS and not settings.allow_http:
        raise SettingsError("--server uses plain http to another host: the token and the results would cross the "
                            "network in clear. Use https (or --allow-http on a network you trust)")
    if not settings.token or not settings.token.startswith("agent_"):
        raise SettingsError("give the agent token (IOC_AGENT_TOKEN or --token): `python app.py token create NAME "
                            "--kind agent --vantage NET` on the server prints one, starting with agent_")
    if not 1 <= settings.batch_interval_s <= 3600:
        raise SettingsError("--batch-interval must be between 1 s and 1 h")
    if not 1 <= settings.batch_size <= MAX_RESULTS_PER_BATCH:
        raise SettingsError(f"--batch-size must be between 1 and {MAX_RESULTS_PER_BATCH}")
    if settings.max_buffer < 1:
        raise SettingsError("--max-buffer must be at least 1")


def result_json(result: CheckResult) -> dict:
    """A result as a batch carries it, with its own id (made once, kept through every resend)."""
    return {
        "id": str(uuid.uuid4()), "endpoint": result.endpoint_id, "verdict": str(result.verdict),
        "reason": result.reason or "", "checked_at": result.checked_at.isoformat(),
        "latency_ms": result.latency_ms, "http_code": result.http_code,
        "detail": json.loads(json.dumps(result.detail or {}, default=str)), "missed": bool(result.missed),
        "cause": result.cause, "params": json.loads(json.dumps(result.params or {}, default=str)),
    }


class RemoteAgent:
    def __init__(self, settings: AgentSettings):
        check_settings(settings)
        self.settings = settings
        self.base = settings.server.rstrip("/")
        self.key = key_from_secret(settings.token)
        self.buffer = ResultBuffer(settings.data_dir, settings.max_buffer)
        self.engine = ProbeEngine(self._on_result, max_concurrent=settings.probe_workers)
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {settings.token}"
        self.http.headers["User-Agent"] = f"ioc-agent/{VERSION}"
        if settings.ca_bundle:
            self.http.verify = settings.ca_bundle
        self._queue: queue.Queue[CheckResult] = queue.Queue()
        self._stop = threading.Event()
        self._batch_size = settings.batch_size
        self._skew_flagged = False
        self.server_down_since: float | None = None
        self._outage_sent = 0
        self.sent = 0
        self.endpoints = 0

    # ------------------------------------------------------------------ results in
    def _on_result(self, result: CheckResult) -> None:
        self._queue.put(result)

    def _drain(self) -> int:
        """Queued results to the buffer, in one transaction."""
        items = []
        while True:
            try:
                items.append(result_json(self._queue.get_nowait()))
            except queue.Empty:
                break
        self.buffer.append(items)
        return len(items)

    # ------------------------------------------------------------------ the server
    def _server_unreachable(self, why: str) -> None:
        if self.server_down_since is None:
            self.server_down_since = time.monotonic()
            self._outage_sent = 0
            log.error("server %s unreachable (%s): checks continue, results are buffered (%d waiting)",
                      self.base, why, len(self.buffer))

    def _server_reachable(self) -> None:
        if self.server_down_since is not None:
            log.warning("server %s back after %.0f s: sending the buffered results in order", self.base,
                        time.monotonic() - self.server_down_since)
            self.server_down_since = None
            self._outage_sent = 0
            if self.buffer.dropped:
                log.error("%d result(s) were dropped during the outage: the buffer (--max-buffer %d) was full",
                          self.buffer.dropped, self.buffer.max_results)
                self.buffer.dropped = 0  # the next outage says so again

    def fetch_assignment(self) -> bool:
        try:
            answer = self.http.get(self.base + "/api/agent/assignment", timeout=self.settings.timeout_s)
        except requests.RequestException as exc:
            self._server_unreachable(type(exc).__name__)
            return False
        if answer.status_code != 200:
            self._refused(answer, "assignment")
            return False
        try:
            body = answer.json()
            if not isinstance(body, dict) or not isinstance(body.get("endpoints"), list):
                raise ValueError("no endpoints list")
        except ValueError as exc:  # e.g. a proxy's HTML page: keep the assignment held
            log.error("the server's assignment cannot be read (%s): keeping the last one", exc)
            return False
        self._server_reachable()
        if self._apply(body):
            self.buffer.save("assignment", body)
        return True

    def _apply(self, body: dict) -> bool:
        """Check what the assignment says; one that cannot be read keeps the targets held."""
        try:
            targets = [(target_from(e["id"], e["kind"], e["target"], float(e["timeout_s"]), e.get("options")),
                        float(e["interval_s"])) for e in body.get("endpoints", [])]
        except (KeyError, TypeError, ValueError) as exc:
            log.error("the assignment cannot be used (%s: %s): keeping the last one", type(exc).__name__, exc)
            return False
        if len(targets) != self.endpoints:
            log.info("vantage %s: %d endpoint(s) to check", body.get("vantage"), len(targets))
        self.endpoints = len(targets)
        self.engine.set_targets(targets)
        return True

    def _refused(self, answer: requests.Response, what: str) -> None:
        try:
            message = answer.json().get("error", "")
        except ValueError:
            message = answer.text[:200]
        if answer.status_code in (401, 403):
            log.error("server refused the agent's %s (%s: %s): is the token revoked? results stay buffered",
                      what, answer.status_code, message)
        elif answer.status_code >= 500:
            self._server_unreachable(f"HTTP {answer.status_code}")
        else:
            log.error("server refused the agent's %s (%s: %s)", what, answer.status_code, message)

    def send_batches(self) -> int:
        """Send the buffered results, oldest first, a batch at a time, until the buffer is empty
        or the server stops answering. Returns how many were acknowledged."""
        acknowledged = 0
        first = True
        while not self._stop.is_set():
            self._drain()  # a long backlog being sent: new results still reach the disk first
            results = self.buffer.head(self._batch_size)
            if not results and not first:
                break
            # an empty batch when there is nothing to send: the server hears from the agent every
            # batch interval (else its endpoints would read unknown), and answers with "check now"
            first = False
            body = json.dumps({"batch_id": str(uuid.uuid4()), "sent_at": iso(utcnow()),
                               "batch_interval_s": self.settings.batch_interval_s, "version": VERSION,
                               "results": results}, ensure_ascii=False).encode()
            try:
                answer = self.http.post(self.base + "/api/agent/results", data=body, timeout=self.settings.timeout_s,
                                        headers={"Content-Type": "application/json",
                                                 SIGNATURE_HEADER: sign(self.key, body)})
            except requests.RequestException as exc:
                self._server_unreachable(type(exc).__name__)
                break
            if answer.status_code == 200:
                try:
                    ack = answer.json()
                    if not isinstance(ack, dict):
                        raise ValueError("not an object")
                except ValueError:  # not the server answering (a proxy's page): nothing acknowledged
                    self._server_unreachable("an answer that is not the server's")
                    break
                self._server_reachable()
                done = list(ack.get("stored", [])) + list(ack.get("duplicates", [])) + [
                    r.get("id") for r in ack.get("refused", []) if isinstance(r, dict)]
                self.buffer.remove(done)
                acknowledged += len(done)
                self.sent += len(ack.get("stored", []))
                for endpoint_id in ack.get("check_now", []):
                    if not self.engine.check_now(endpoint_id):
                        log.info("check now of %s ignored: not assigned to this agent", endpoint_id)
                flagged = bool(ack.get("skew_flagged"))
                if flagged and not self._skew_flagged:  # said when it starts, not at every batch
                    log.warning("the server flags this agent's clock: %+.1f s from the server's; fix NTP",
                                ack.get("clock_skew_s", 0.0))
                self._skew_flagged = flagged
                if ack.get("refused"):
                    log.warning("%d result(s) refused by the server: %s", len(ack["refused"]), ack["refused"][0].get("reason"))
                if not results:
                    break
                if len(done) < len(results):
                    # whatever the server did not mention stays buffered; do not spin on it
                    log.error("the server acknowledged %d of %d results; the rest is kept", len(done), len(results))
                    break
                continue
            if answer.status_code == 413 and self._batch_size > 1:
                self._batch_size = max(1, self._batch_size // 2)
                log.warning("batch too large for the server: sending %d results per batch", self._batch_size)
                continue
            if answer.status_code == 400 and self._drop_named(answer, results):
                continue
            self._refused(answer, "batch")
            break
        return acknowledged

    def _drop_named(self, answer: requests.Response, results: list[dict]) -> bool:
        """A 400 naming one result (results[N]…): that result can never be stored; drop it, with
        a log line, so it does not hold every later result back."""
        try:
            message = answer.json().get("error", "")
        except ValueError:
            return False
        found = re.search(r"results\[(\d+)\]", message)
        if not found or int(found.group(1)) >= len(results):
            return False
        bad = results[int(found.group(1))]
        log.error("result %s dropped: the server cannot read it (%s)", bad.get("id"), message)
        self.buffer.remove([bad.get("id")])
        return True

    # ------------------------------------------------------------------ lifecycle
    def run(self) -> None:
        self.engine.start()
        cached = self.buffer.load("assignment")
        if cached:
            self._apply(cached)  # keep checking what was last assigned while the server is away
        waiting = len(self.buffer)
        if waiting:
            log.info("%d buffered result(s) from before this start will be sent first", waiting)
        next_assignment = next_batch = 0.0
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if now >= next_assignment:
                    got = self.fetch_assignment() or cached is not None
                    cached = cached or got or None
                    # without any assignment yet, ask again at the batch pace rather than once a minute
                    next_assignment = now + (self.settings.assignment_every_s if got else self.settings.batch_interval_s)
                self._drain()
                if now >= next_batch:
                    self.send_batches()
                    next_batch = time.monotonic() + self.settings.batch_interval_s
                self._stop.wait(0.5)
        finally:
            self.engine.stop()
            self._drain()
            self.buffer.close()

    def stop(self) -> None:
        self._stop.set()
