"""Cold load of the wall in Chromium: what a wall PC downloads and how soon it shows something.

    python bench/wall_load.py                      # starts the demo app on a free port
    python bench/wall_load.py --url http://127.0.0.1:8050 --password …   # a running app (demo-admin)

Each run opens /wall in a fresh browser context (empty cache, new connections) at 1920×1080 on
loopback and measures, from the navigation's start (performance.now()):
- transferred: bytes on the wire (compressed bodies + headers) of every response until the map is drawn;
- first_tile_s: the first system tile on screen: the server's first paint (the page's HTML
  carries the current tiles, dashboard.web.app.first_paint) when there is one;
- live_tile_s: the first tile drawn by the live board (#wall-tiles), after the scripts started;
- map_s: the map figure drawn (its outline trace present).
Prints each run, then one JSON line with the medians of `--runs` (default 5) and the machine's
load average (a loaded machine measures the others). Budgets (DESIGN.md): ≤ 2.5 MB, first tile
≤ 1.0 s, map ≤ 2.0 s.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, login, start_app, stop_app  # noqa: E402

MAP_DRAWN = """() => { const p = document.querySelector('#wall-map .js-plotly-plot');
  return !!(p && p.data && p.data.some(t => t.meta && t.meta.layer === 'outline')); }"""


def one_run(chromium, url: str, cookies) -> dict:
    context = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
    context.add_cookies(cookies)
    page = context.new_page()
    requests_seen = []
    page.on("requestfinished", lambda request: requests_seen.append(request))
    page.goto(url + "/wall", wait_until="commit")
    page.wait_for_selector(".wall-tile", timeout=60_000)
    first_tile = page.evaluate("() => performance.now()") / 1000
    page.wait_for_selector("#wall-tiles .wall-tile", timeout=60_000)
    live_tile = page.evaluate("() => performance.now()") / 1000
    page.wait_for_function(MAP_DRAWN, timeout=60_000, polling=50)
    map_s = page.evaluate("() => performance.now()") / 1000
    transferred = 0
    for request in list(requests_seen):
        sizes = request.sizes()
        transferred += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    context.close()
    return {"transferred_kb": round(transferred / 1024, 1), "first_tile_s": round(first_tile, 3),
            "live_tile_s": round(live_tile, 3), "map_s": round(map_s, 3),
            "requests": len(requests_seen)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url")
    parser.add_argument("--user", default="demo-admin")
    parser.add_argument("--password")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    app = None
    if args.url:
        url, client = args.url.rstrip("/"), login(args.url.rstrip("/"), args.user, args.password)
    else:
        app = start_app(Path(tempfile.mkdtemp()))
        url, client = app.url, app.client
    try:
        cookies = [{"name": c.name, "value": c.value, "url": url + "/"} for c in client.cookies]
        # the wall has something to show: wait for the first results
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and all(s["status"] == "unknown" for s in client.get(url + "/api/systems", timeout=10).json()["systems"]):
            time.sleep(1)
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            one_run(chromium, url, cookies)  # warm the server's caches (compressed files), not the browser's
            runs = []
            for _ in range(args.runs):
                run = one_run(chromium, url, cookies)
                print(json.dumps(run))
                runs.append(run)
            chromium.close()
    finally:
        if app is not None:
            stop_app(app)
    result = {key: statistics.median(r[key] for r in runs) for key in ("transferred_kb", "first_tile_s", "live_tile_s", "map_s")}
    result.update(runs=len(runs), load_average=[round(x, 2) for x in os.getloadavg()])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
