"""What the server pays for a remote agent's results: signed batches of N results posted to
/api/agent/results (in-process with Flask's test client, SQLite: no network), verified, checked
for duplicates and stored through the status engine.

    python bench/agents.py [--batches 20] [--size 200] [--endpoints 50]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--endpoints", type=int, default=50)
    args = parser.parse_args()
    os.environ.setdefault("IOC_SECRET_KEY", secrets.token_urlsafe(48))
    from collectors.timeutil import utcnow
    from dashboard.auth import tokens
    from dashboard.catalog.loader import apply_catalog, parse_catalog
    from dashboard.config import Settings
    from dashboard.domain.agents import SIGNATURE_HEADER, key_from_secret, sign
    from dashboard.runtime import Runtime
    from dashboard.store.database import Database
    from dashboard.web.app import create_app

    data = Path(tempfile.mkdtemp(prefix="ioc-bench-agents-"))
    catalog = {"version": 1, "communes": {"include": False},
               "agencies": [{"id": "skhcn", "name_vi": "Sở Khoa học và Công nghệ", "name_en": "DOST"}],
               "systems": [{"id": "xa", "name_vi": "Máy chủ xã", "name_en": "Commune servers", "owner": "skhcn",
                            "endpoints": [{"id": f"e{i}", "url": f"http://127.0.0.1:9/{i}", "vantage": "commune-net"}
                                          for i in range(args.endpoints)]}]}
    db = Database(f"sqlite:///{data / 'ioc.db'}")
    with db.session() as session:
        apply_catalog(session, parse_catalog(yaml.safe_dump(catalog)))
        _, secret = tokens.create_token(session, "bench", "agent", vantage="commune-net")
    client = create_app(Runtime(Settings(database_url=db.url, demo=False, data_dir=data), db, catalog=None)).server.test_client()
    key = key_from_secret(secret)
    times = []
    for b in range(args.batches):
        results = [{"id": str(uuid.uuid4()), "endpoint": f"xa.e{(b * args.size + n) % args.endpoints}",
                    "verdict": "up" if n % 7 else "down", "reason": "ok", "checked_at": utcnow().isoformat(),
                    "latency_ms": 12.0, "http_code": 200} for n in range(args.size)]
        body = json.dumps({"batch_id": str(uuid.uuid4()), "sent_at": utcnow().isoformat(), "results": results}).encode()
        started = time.perf_counter()
        answer = client.post("/api/agent/results", data=body, headers={
            "Authorization": f"Bearer {secret}", SIGNATURE_HEADER: sign(key, body), "Content-Type": "application/json"})
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200 and len(answer.get_json()["stored"]) == args.size, answer.text
    median = statistics.median(times)
    load = os.getloadavg()[0]
    print(f"{args.batches} batches of {args.size} results over {args.endpoints} endpoints: median {median * 1000:.0f} ms "
          f"per batch ({median / args.size * 1000:.2f} ms per result), max {max(times) * 1000:.0f} ms; load {load:.1f}")
    print(json.dumps({"bench": "agents", "batch_size": args.size, "median_batch_ms": round(median * 1000, 1),
                      "per_result_ms": round(median / args.size * 1000, 3), "max_batch_ms": round(max(times) * 1000, 1),
                      "load": round(load, 1)}))


if __name__ == "__main__":
    main()
