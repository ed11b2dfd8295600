"""Prometheus metrics at /metrics (text format 0.0.4, written by prometheus_client).

Reachable with a `metrics` token (`python app.py token create prometheus --kind metrics`, sent as
`Authorization: Bearer …`) or from a network in IOC_METRICS_ALLOW; anyone else gets 401. The
figures are read from the database at most every CACHE_S seconds, so a scraper cannot load it."""
from __future__ import annotations

import ipaddress
import threading
import time

from flask import Blueprint, Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy.exc import SQLAlchemyError

from collectors.base import Status
from dashboard.auth import tokens
from dashboard.readmodels.metrics import metric_samples

CACHE_S = 5.0
STATUSES = [str(s) for s in Status]
SYSTEM_STATUS_VALUE = {"down": 0, "degraded": 1, "up": 2, "maintenance": 3, "unknown": -1}

metrics = Blueprint("metrics", __name__)


class _Snapshot:
    def __init__(self):
        self.lock = threading.Lock()
        self.at = 0.0
        self.body = b""


class SnapshotCollector:
    """Turns one read of metric_samples into metric families (a fresh registry per snapshot)."""

    def __init__(self, samples: dict):
        self.samples = samples

    def collect(self):
        endpoint_labels = ["endpoint", "kind", "system", "agency"]
        up = GaugeMetricFamily("ioc_endpoint_up", "1 when the endpoint's current state is up or degraded, else 0",
                               labels=endpoint_labels)
        status = GaugeMetricFamily("ioc_endpoint_status", "1 for the endpoint's current state, 0 for the others",
                                   labels=endpoint_labels + ["status"])
        latency = GaugeMetricFamily("ioc_endpoint_latency_seconds", "Response time of the latest check",
                                    labels=endpoint_labels)
        last = GaugeMetricFamily("ioc_endpoint_last_check_timestamp_seconds", "When the latest check ran (Unix time)",
                                 labels=endpoint_labels)
        missed = CounterMetricFamily("ioc_check_missed", "Checks that could not start on time", labels=endpoint_labels)
        for e in self.samples["endpoints"]:
            values = [e["id"], e["kind"], e["system"], e["agency"]]
            up.add_metric(values, 1.0 if e["status"] in ("up", "degraded") else 0.0)
            for name in STATUSES:
                status.add_metric(values + [name], 1.0 if e["status"] == name else 0.0)
            if e["latency_s"] is not None:
                latency.add_metric(values, e["latency_s"])
            if e["last_check"] is not None:
                last.add_metric(values, e["last_check"])
            missed.add_metric(values, float(e["missed_total"]))
        yield from (up, status, latency, last, missed)
        system = GaugeMetricFamily("ioc_system_status",
                                   "Current state of a system: 2 up, 1 degraded, 0 down, 3 maintenance, -1 unknown",
                                   labels=["system", "agency", "status"])
        for s in self.samples["systems"]:
            system.add_metric([s["id"], s["agency"], s["status"]], float(SYSTEM_STATUS_VALUE.get(s["status"], -1)))
        yield system
        coverage = GaugeMetricFamily("ioc_coverage_ratio", "Share (0-1) of systems up and of national links up now",
                                     labels=["kind"])
        for kind, value in self.samples["coverage"].items():
            coverage.add_metric([kind], value)
        yield coverage
        alerts = GaugeMetricFamily("ioc_alerts_open", "Open security alerts", labels=["severity"])
        for severity, count in self.samples["alerts_open"].items():
            alerts.add_metric([severity], float(count))
        yield alerts
        collector = self.samples["collector"]
        yield GaugeMetricFamily("ioc_collector_up", "1 while the collector's heartbeat is fresh", value=1.0 if collector["alive"] else 0.0)
        if collector["last_heartbeat"] is not None:
            yield GaugeMetricFamily("ioc_collector_last_heartbeat_timestamp_seconds", "The collector's latest heartbeat",
                                    value=collector["last_heartbeat"])


def render(samples: dict) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(samples))
    return generate_latest(registry)


def _allowed() -> bool:
    runtime = current_app.extensions["ioc"]
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        with runtime.db.session() as session:
            # no write on the request path: a scraper must work on a read-only database
            return tokens.verify_token(session, header[7:].strip(), "metrics", touch=False) is not None
    networks = getattr(runtime.settings, "metrics_allow", ())
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in networks)


@metrics.get("/metrics")
def scrape():
    try:
        if not _allowed():
            response = jsonify({"error": "send a metrics token (Authorization: Bearer …) or scrape from an allowed network"})
            response.status_code = 401
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        snapshot = current_app.extensions.setdefault("ioc_metrics_snapshot", _Snapshot())
        with snapshot.lock:
            if time.monotonic() - snapshot.at >= CACHE_S or not snapshot.body:
                with current_app.extensions["ioc"].db.session() as session:
                    snapshot.body = render(metric_samples(session))
                snapshot.at = time.monotonic()
            body = snapshot.body
    except SQLAlchemyError:
        return jsonify({"error": "database unreachable"}), 503
    return Response(body, mimetype=CONTENT_TYPE_LATEST)
