"""Screenshots of the wall for the docs, and the 5 m simulation.

    python scripts/wall_screenshots.py --url http://127.0.0.1:8050 --user demo-admin --password …
    python scripts/wall_screenshots.py --start          # starts the demo app itself on a free port

With --faults it first switches three demo systems to failing modes (the demo's three silent
communes are already there) and waits for them to be red. Saves docs/screenshots/wall-*.png:
1920×1080, 3840×2160 (downscaled to 1920 wide to keep the file small), 1366×768, the map and
charts views, and wall-5m.png, the 1920 picture shrunk to what a 55″ screen subtends at 5 m
(about 640 px wide on a laptop held at reading distance).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, login, start_app, stop_app  # noqa: E402

OUT = PROJECT / "docs" / "screenshots"
FAULTS = {"qlvb": "failing", "dvc": "down", "httt-nguon": "hang"}
SHOTS = [("wall-1920.png", "/wall", (1920, 1080), 1), ("wall-4k.png", "/wall", (1920, 1080), 2),
         ("wall-1366.png", "/wall", (1366, 768), 1), ("wall-map-1920.png", "/wall/map", (1920, 1080), 1),
         ("wall-map-1366.png", "/wall/map", (1366, 768), 1), ("wall-charts-1920.png", "/wall/charts", (1920, 1080), 1)]


def save(png: bytes, path: Path, width: int | None = None) -> None:
    import io

    image = Image.open(io.BytesIO(png)).convert("RGB")
    if width and image.width != width:
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    image = image.quantize(colors=128, method=Image.Quantize.MEDIANCUT)  # small files for the repo
    image.save(path, optimize=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--user", default="demo-admin")
    parser.add_argument("--password")
    parser.add_argument("--start", action="store_true")
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--only", help="comma-separated file names to take")
    args = parser.parse_args()
    app = None
    if args.start:
        app = start_app(Path(tempfile.mkdtemp()), env={"IOC_REFRESH_MS": "2000"})
        url, client = app.url, app.client
    else:
        url, client = args.url, login(args.url, args.user, args.password)
    try:
        if args.faults:
            for system, mode in FAULTS.items():
                client.post(f"{url}/api/demo/systems/{system}/mode", json={"mode": mode}, timeout=10).raise_for_status()
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                states = {s["id"]: s["status"] for s in client.get(url + "/api/systems", timeout=10).json()["systems"]}
                if all(states.get(s) in ("down", "degraded") for s in FAULTS):
                    break
                time.sleep(1)
            time.sleep(4)
        OUT.mkdir(parents=True, exist_ok=True)
        only = set(args.only.split(",")) if args.only else None
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for name, path, (w, h), dpr in SHOTS:
                if only and name not in only:
                    continue
                # 4K: a 3840×2160 viewport (CSS px), so the vw-based type doubles as on the real screen
                size = (w * dpr, h * dpr)
                context = chromium.new_context(viewport={"width": size[0], "height": size[1]}, locale="vi-VN")
                context.add_cookies([{"name": c.name, "value": c.value, "url": url + "/"} for c in client.cookies])
                page = context.new_page()
                page.goto(url + path)
                page.locator("#wall-root").wait_for(state="attached", timeout=30_000)
                selector = "#wall-map .js-plotly-plot" if "map" in path or path == "/wall" else "#wall-availability .js-plotly-plot"
                page.wait_for_function("s => { const p = document.querySelector(s); return p && p.data && p.data.length; }",
                                       arg=selector, timeout=40_000)
                page.wait_for_timeout(2500)
                png = page.screenshot()
                save(png, OUT / name, width=1920 if dpr > 1 else None)
                if name == "wall-1920.png":
                    save(png, OUT / "wall-5m.png", width=640)
                print("saved", OUT / name)
                context.close()
            chromium.close()
    finally:
        if app is not None:
            stop_app(app)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
