"""What access control costs per request: the wall's refresh callback through a kiosk session,
whole request vs. the access check alone (in-process with Flask's test client: no network).

    python bench/auth.py [--n 300]
"""
from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("IOC_SECRET_KEY", secrets.token_urlsafe(48))
    from dashboard import config
    from dashboard import runtime as runtime_module
    from dashboard.auth import enforce, tokens
    from dashboard.web.app import create_app

    data = Path(tempfile.mkdtemp(prefix="ioc-bench-auth-"))
    settings = config.from_env({"IOC_DATA_DIR": str(data)})  # the demo catalog, no collector
    runtime = runtime_module.start(settings, collect=False)
    app = create_app(runtime)
    server = app.server
    with runtime.db.session() as session:
        _, kiosk = tokens.create_token(session, "bench", "kiosk")
    client = server.test_client()
    client.get(f"/wall?kiosk={kiosk}")
    deps = client.get("/_dash-dependencies").get_json()
    dep = next(d for d in deps if d["output"].startswith("..wall-counts") or "wall-counts.children" in d["output"])
    outputs = [dict(zip(("id", "property"), part.rsplit(".", 1))) for part in dep["output"].strip(".").split("...")]
    outputs = [{"id": o["id"], "property": o["property"].split("@")[0]} for o in outputs]
    body = {"output": dep["output"], "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": [{"id": i["id"], "property": i["property"], "value": None} for i in dep["inputs"]],
            "state": [{"id": s["id"], "property": s["property"], "value": None} for s in dep["state"]], "changedPropIds": []}

    def timed(fn) -> list[float]:
        out = []
        for _ in range(args.n):
            start = time.perf_counter()
            fn()
            out.append((time.perf_counter() - start) * 1000)
        return out

    def check_only():
        with server.test_request_context("/_dash-update-component", method="POST", json=body,
                                         headers={"Cookie": client.get_cookie("ioc_session").key + "=" + client.get_cookie("ioc_session").value}):
            assert enforce.check_request(server) is None

    status = client.post("/_dash-update-component", json=body).status_code
    assert status == 200, client.post("/_dash-update-component", json=body).get_data(as_text=True)[:500]
    full = timed(lambda: client.post("/_dash-update-component", json=body))
    check = timed(check_only)
    print(f"wall callback through a kiosk session (status {status}), {args.n} calls:")
    print(f"  whole request      median {statistics.median(full):6.2f} ms   p95 {sorted(full)[int(len(full) * .95)]:6.2f} ms")
    print(f"  access check alone median {statistics.median(check):6.2f} ms   p95 {sorted(check)[int(len(check) * .95)]:6.2f} ms")
    runtime.stop()


if __name__ == "__main__":
    main()
