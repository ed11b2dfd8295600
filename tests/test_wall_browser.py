"""The operator wall in headless Chromium at 1920×1080, against the real app."""
from __future__ import annotations

import os
import signal
import time

import pytest
from playwright.sync_api import expect

from dashboard.demo.network import SYSTEM_IDS
from tests.conftest import start_app, stop_app, wait_for

pytestmark = [pytest.mark.browser]

REFRESH_MS = 2000  # the wall's refresh cycle in these tests (IOC_REFRESH_MS)
WALL = (1920, 1080)  # an exact 1920×1080 viewport
MAP_DATA = "() => { const p = document.querySelector('#wall-map .js-plotly-plot'); return p && p.data ? p.data : null; }"


@pytest.fixture
def app(tmp_path):
    running = start_app(tmp_path, env={"IOC_REFRESH_MS": str(REFRESH_MS)})
    yield running
    stop_app(running)


def open_wall(browser, app, path="/wall"):
    page = browser.open(app, path, viewport=WALL)  # signed in as the app's admin
    page.locator("#wall-root").wait_for(state="attached", timeout=20_000)
    return page


# Dash rebuilds the wall's nodes on every refresh, so a node found before a refresh is gone
# after it: everything below reads the DOM in a single script call instead, inside the live
# board (#wall-root): until it has drawn, the server's first paint shows the same tiles.
SNAPSHOT = """() => {
const root = document.querySelector('#wall-root');
const banner = document.querySelector('#wall-stale-banner');
const tiles = {};
document.querySelectorAll('#wall-root .wall-tile').forEach(t => { tiles[t.dataset.system] = t.dataset.status; });
return {root_class: root ? root.className : '', banner: banner ? banner.innerText : null, tiles: tiles};
}"""
GLANCE = """() => {
const root = document.querySelector('#wall-root');
const count = s => { const c = document.querySelector('#wall-root .wall-count.status-' + s); return c ? c.dataset.count : null; };
const px = s => { const e = document.querySelector('#wall-root ' + s); return e ? parseFloat(getComputedStyle(e).fontSize) : null; };
const clock = document.querySelector('#wall-clock');
// the smallest text drawn on the glance page: every visible element holding text of its own
let smallest = 1e9, smallestText = '';
root.querySelectorAll('*').forEach(e => {
  const own = Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own || !e.getClientRects().length) return;
  const size = parseFloat(getComputedStyle(e).fontSize);
  if (size < smallest) { smallest = size; smallestText = e.textContent.trim().slice(0, 40); }
});
return {root_class: root.className, text: root.innerText, banner: !!document.querySelector('#wall-stale-banner'),
        up: count('up'), down: count('down'), clock: clock ? clock.innerText : null,
        state_px: px('.wall-tile-state'), name_px: px('.wall-tile-name'), count_px: px('.wall-count-n'),
        clock_px: px('#wall-clock'), feed_px: px('.wall-feed-item'), reason_px: px('.wall-tile-reason'),
        smallest_px: smallest, smallest_text: smallestText,
        order: Array.from(document.querySelectorAll('#wall-root .wall-tile')).map(t => t.dataset.status),
        // a tile's state word or short name cut at the tile's edge (ellipsis or overflow)
        clipped: Array.from(document.querySelectorAll('#wall-root .wall-tile-state, #wall-root .wall-tile-name'))
          .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.trim()),
        // the "just changed" dot must not sit on the state word
        dot_overlaps: Array.from(document.querySelectorAll('#wall-root .wall-tile.is-recent')).filter(t => {
          const dot = getComputedStyle(t, '::after'), box = t.getBoundingClientRect();
          const word = t.querySelector('.wall-tile-state > span:last-child').getBoundingClientRect();
          const dotLeft = box.right - parseFloat(dot.right) - parseFloat(dot.width);
          return dot.content !== 'none' && word.right > dotLeft;
        }).map(t => t.dataset.system),
        gauges: Array.from(document.querySelectorAll('#wall-root .wall-gauge')).map(g => g.dataset.key),
        first_paint: document.querySelectorAll('.wall-first-paint').length};
}"""
RANK = ["down", "degraded", "unknown", "maintenance", "up"]
LOST = "() => { const b = document.querySelector('#wall-lost'); return {class: b.className, text: b.innerText}; }"
TILE_STYLE = """id => {
const t = document.querySelector('#wall-root .wall-tile[data-system="' + id + '"]');
if (!t) return null;
const css = getComputedStyle(t);
return {text: t.innerText, class: t.className, borderLeftColor: css.borderLeftColor, background: css.backgroundColor, color: css.color,
        animationName: css.animationName, filter: css.filter,
        root_class: document.querySelector('#wall-root').className,
        lost_class: document.querySelector('#wall-lost').className};
}"""


def wall_snapshot(page) -> dict:
    return page.evaluate(SNAPSHOT)


def tile_status(page, system_id: str) -> str | None:
    return wall_snapshot(page)["tiles"].get(system_id)


def api_status(app, system_id: str) -> str:
    return next(s["status"] for s in app.get("/api/systems").json()["systems"] if s["id"] == system_id)


def test_wall_renders_and_a_failing_system_turns_red_within_two_refreshes(browser, app):
    page = open_wall(browser, app, "/wall?sound=1")  # the optional beep, on for this screen
    wait_for(lambda: all(tile_status(page, s) == "up" for s in SYSTEM_IDS), 40, message="every tile up")
    glance = page.evaluate(GLANCE)
    assert "wall-view-glance" in glance["root_class"] and "wall-stale" not in glance["root_class"]
    assert not glance["banner"]
    text = glance["text"]
    assert "Hoạt động" in text and "Gián đoạn" in text and "Bảo trì" in text  # counts, Vietnamese first
    assert "Giám sát hệ thống dùng chung" in text and "Dữ liệu lúc" in text
    # + the commune data network (up until its seeded silent communes have waited out period + grace)
    up = int(glance["up"])
    assert up in (len(SYSTEM_IDS), len(SYSTEM_IDS) + 1)
    # two numbers, two meanings, as on /coverage: integrated (verified) and connected now (live)
    assert glance["gauges"] == ["verified", "live"]
    assert "Đã tích hợp" in text and "Đang kết nối" in text
    clock = glance["clock"]
    assert len(clock) == 8 and clock[2] == ":"  # HH:MM:SS, Vietnam time, ticking in the browser
    # type for a room at 5 m, at 1920×1080 (it scales with the viewport: 4K doubles it)
    assert glance["name_px"] >= 36 and glance["state_px"] >= 40 and glance["count_px"] >= 72, glance
    assert glance["clock_px"] >= 56 and (glance["feed_px"] is None or glance["feed_px"] >= 28), glance
    assert glance["smallest_px"] >= 24, (glance["smallest_px"], glance["smallest_text"])
    assert glance["clipped"] == [], glance["clipped"]  # "Họp không giấy" whole
    assert glance["first_paint"] == 0  # the server's snapshot gave way to the live board

    response = app.post("/api/demo/systems/qlvb/mode", json={"mode": "failing"})
    assert response.status_code == 200, response.text
    wait_for(lambda: api_status(app, "qlvb") == "down", 30, interval=0.1, message="qlvb down in the API")
    started = time.monotonic()
    wait_for(lambda: tile_status(page, "qlvb") == "down", 2 * REFRESH_MS / 1000 + 1.5, interval=0.1,
             message="qlvb red on the wall within two refresh cycles")
    log_took = time.monotonic() - started
    # Read the tile while the wall is current: when the starved test machine delays a refresh past
    # the watchdog (3 refreshes + 2 s) the wall rightly shows "lost contact", which greys the tiles
    # and stops the pulse until the next refresh arrives.
    tile = wait_for(lambda: (t := page.evaluate(TILE_STYLE, "qlvb")) and "d-none" in t["lost_class"]
                    and "wall-stale" not in t["root_class"] and t, 30, message="the wall current again")
    assert tile and "Gián đoạn" in tile["text"], tile
    assert "tile-down" in tile["class"]
    # filled red, white text: WCAG contrast 5.6:1
    assert tile["background"] == "rgb(198, 40, 40)" and tile["color"] == "rgb(255, 255, 255)", tile
    glance = page.evaluate(GLANCE)
    # worst first: the red tile leads, then the rest in catalog order
    assert glance["order"][0] == "down" and glance["order"] == sorted(glance["order"], key=RANK.index), glance["order"]
    assert glance["reason_px"] >= 28 and glance["feed_px"] >= 28, glance
    assert glance["smallest_px"] >= 24, (glance["smallest_px"], glance["smallest_text"])
    assert glance["clipped"] == [] and glance["dot_overlaps"] == [], glance
    # the pulse: a CSS animation runs on the tile of a system that went down
    assert tile["animationName"] == "wall-pulse", tile
    assert tile_status(page, "lgsp") == "up"
    # the beep (WebAudio, generated in the page) sounded once for the system that went down
    assert page.evaluate("() => (window.iocWall || {}).beeps") == 1
    wait_for(lambda: page.evaluate(GLANCE)["down"] == "1", 2 * REFRESH_MS / 1000 + 1)
    assert log_took <= 2 * REFRESH_MS / 1000 + 1.5
    assert browser.errors() == []


PLACES = """() => {
const counts = {};
document.querySelectorAll('.wall-place-count').forEach(c => { counts[c.dataset.state] = parseInt(c.dataset.count); });
const listed = {};
document.querySelectorAll('.wall-places li[data-state]').forEach(li => { listed[li.dataset.state] = (listed[li.dataset.state] || 0) + 1; });
const attribution = document.querySelector('#wall-map-attribution');
return {counts, listed, attribution: attribution ? attribution.innerText : ''};
}"""


def layers_of(data):
    layers: dict[str, int] = {}
    for trace in data:
        layer = (trace.get("meta") or {}).get("layer")
        layers[layer] = layers.get(layer, 0) + len(trace["x"])
    return layers


def test_map_shows_the_province_96_communes_and_the_provincial_agencies(browser, app):
    page = open_wall(browser, app, "/wall/map")
    data = wait_for(lambda: page.evaluate(MAP_DATA), 30, message="map figure")
    assert {trace["type"] for trace in data} == {"scatter"}  # a plain lon/lat plot: nothing fetched
    layers = layers_of(data)
    assert layers["outline"] > 700  # the province's filled outline: mainland, coast, Lý Sơn
    outline = next(t for t in data if (t.get("meta") or {}).get("layer") == "outline")
    assert outline["fill"] == "toself"
    assert layers["commune"] == 96
    assert layers["agency"] == 11  # the demo catalog's provincial agencies, at their seat
    assert layers["data_centre"] == 1
    communes = [t for t in data if (t.get("meta") or {}).get("layer") == "commune"]
    paths = [p for t in communes for p in t["customdata"]]
    assert "/units/21548" in paths and len(set(paths)) == 96
    # the Lý Sơn commune server pushes heartbeats in the demo: its marker carries that state
    wait_for(lambda: any((t.get("meta") or {}).get("state") == "up" and "/units/21548" in t["customdata"]
                         for t in page.evaluate(MAP_DATA) if (t.get("meta") or {}).get("layer") == "commune"),
             40, message="Lý Sơn up on the map")
    # the demo's three silent communes go down: each is named on the map, its cross twice a healthy dot
    def troubled():
        data = page.evaluate(MAP_DATA) or []
        return [t for t in data if (t.get("meta") or {}).get("layer") == "commune" and t["meta"]["state"] == "down"]
    down = wait_for(lambda: (d := troubled()) and sum(len(t["x"]) for t in d) >= 3 and d, 90, message="silent communes down")
    data = page.evaluate(MAP_DATA)
    up = next(t for t in data if (t.get("meta") or {}).get("state") == "up")
    for trace in data:
        meta = trace.get("meta") or {}
        if meta.get("layer") == "commune" and meta["state"] not in ("up", "nodata"):
            assert all(trace.get("text") or []) and len(trace.get("text") or []) == len(trace["x"]), trace
            assert trace["textfont"]["size"] >= 24
    assert down[0]["marker"]["symbol"] == "x" and down[0]["marker"]["size"] >= 2 * up["marker"]["size"]
    # the side list and the counts agree, state by state; the outline's license is shown under the map
    places = wait_for(lambda: (p := page.evaluate(PLACES)) and p["listed"] and p, 20, message="places list")
    for state, n in places["listed"].items():
        assert places["counts"].get(state) == n, places
    assert "geoBoundaries" in places["attribution"] and "CC BY-SA 4.0" in places["attribution"]
    # the map is drawn offline: no failed fetch in the console
    assert browser.errors() == []
    # the chosen metric instead of the state: communes by their slowest answer
    page.goto(app.url + "/wall/map?metric=latency")
    bands = wait_for(lambda: [t for t in (page.evaluate(MAP_DATA) or [])
                              if (t.get("meta") or {}).get("band")], 30, message="latency bands")
    assert sum(len(t["x"]) for t in bands) == 96
    assert {t["meta"]["band"] for t in bands} <= {"latency.fast", "latency.slow", "latency.very_slow", "nodata"}
    assert browser.errors() == []


def test_unit_page_opens_from_its_code(browser, app):
    page = browser.open(app, "/units/21548")
    expect(page.locator("#unit-name")).to_have_text("Đặc khu Lý Sơn", timeout=20_000)
    assert "21548" in page.locator(".unit-page").inner_text()
    assert browser.errors() == []


def test_charts_view_draws_availability_latency_and_timeline(browser, app):
    # the charts refresh once a minute: open them once there are results to draw
    wait_for(lambda: api_status(app, "lgsp") != "unknown", 40, message="a first result")
    page = open_wall(browser, app, "/wall/charts")
    for graph in ("wall-availability", "wall-latency", "wall-timeline"):
        wait_for(lambda g=graph: page.evaluate(
            "g => { const p = document.querySelector('#' + g + ' .js-plotly-plot'); return p && p.data && p.data.length; }", g),
            30, message=graph)
    heat = page.evaluate("() => { const d = document.querySelector('#wall-availability .js-plotly-plot');"
                         " return {type: d.data[0].type, y: d.data[0].y, range: d.layout.xaxis.range}; }")
    assert heat["type"] == "heatmap"
    # every system by its short name, the commune network included (seeded demo history: data from the first minute)
    assert "Mạng cấp xã" in heat["y"] and "LGSP" in heat["y"] and len(heat["y"]) == len(SYSTEM_IDS) + 1
    ranges = [page.evaluate("g => document.querySelector('#' + g + ' .js-plotly-plot').layout.xaxis.range", g)
              for g in ("wall-latency", "wall-timeline")]
    assert all(r == heat["range"] for r in ranges)  # one shared time axis
    assert browser.errors() == []


def test_rotation_moves_to_the_next_wall_page(browser, app):
    page = open_wall(browser, app, "/wall?rotate=/wall,/wall/map&dwell=5")
    wait_for(lambda: "wall-view-map" in wall_snapshot(page)["root_class"], 20, message="rotated to the map")
    assert page.url.endswith("/wall/map?rotate=%2Fwall%2C%2Fwall%2Fmap&dwell=5")
    assert browser.errors() == []


def test_stale_banner_when_the_collector_is_not_running(browser, tmp_path):
    # `serve` runs the web only: no collector, so no heartbeat and no fresh result
    app = start_app(tmp_path, "serve", env={"IOC_REFRESH_MS": str(REFRESH_MS)})
    try:
        page = open_wall(browser, app)
        # the wall re-renders every refresh: read banner, root and tiles from one DOM snapshot
        state = wait_for(lambda: (s := wall_snapshot(page))["banner"] is not None and s["tiles"] and s,
                         20, message="stale banner and tiles")
        assert "DỮ LIỆU KHÔNG CÒN CẬP NHẬT" in state["banner"]
        assert "Bộ thu thập dữ liệu đã dừng" in state["banner"]
        assert "wall-stale" in state["root_class"]
        # never old green: nothing on the wall says "up"
        statuses = set(state["tiles"].values())
        assert statuses and "up" not in statuses
        assert browser.errors() == []
    finally:
        stop_app(app)


def test_lost_contact_banner_when_the_server_stops_answering(browser, app):
    page = open_wall(browser, app)
    wait_for(lambda: tile_status(page, "lgsp") == "up", 40, message="lgsp up")
    assert "d-none" in page.evaluate(LOST)["class"]
    os.kill(app.process.pid, signal.SIGSTOP)  # the server freezes: no answer, no error page
    try:
        lost = wait_for(lambda: (b := page.evaluate(LOST)) and "d-none" not in b["class"] and b,
                        3 * REFRESH_MS / 1000 + 8, message="lost-contact banner")
        assert "MẤT KẾT NỐI TỚI MÁY CHỦ GIÁM SÁT" in lost["text"]
        # the tiles fade: old green must not look current
        assert "grayscale" in page.evaluate(TILE_STYLE, "lgsp")["filter"]
    finally:
        os.kill(app.process.pid, signal.SIGCONT)
    wait_for(lambda: "d-none" in page.evaluate(LOST)["class"], 20, message="banner gone")
