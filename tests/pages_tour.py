"""Every page of the app as a reader meets it, with systems failing: shared by the language guard
(tests/test_language_guard_browser.py) and the accessibility check (tests/test_accessibility_browser.py).

One app per test module: the demo with three systems switched to faults, a security alert in,
and the audit trail holding entries. Each page is given with the selector that says its content
(not only its shell) has been drawn, so tests wait on it, never on a clock."""
from __future__ import annotations

from dataclasses import dataclass

from tests.conftest import start_app, stop_app, wait_for

# Three systems in trouble, as on a bad day: refused connections, a failing check, a national link down.
FAULTS = {"qlvb": "down", "hop-khong-giay": "failing", "lgsp": "link_down"}


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    ready: str  # a CSS selector present once the page's data is drawn


def pages(alert_id: int) -> list[Page]:
    return [
        Page("overview", "/", '.system-tile.tile-down'),
        Page("wall", "/wall", "#wall-tiles .wall-tile"),
        Page("wall-map", "/wall/map", "#wall-map .js-plotly-plot .scatterlayer .trace, #wall-map .maplibregl-canvas"),
        Page("wall-charts", "/wall/charts", ".wall-graph .js-plotly-plot .xtick"),
        Page("systems", "/systems", ".systems-grid .ag-row .grid-status"),
        Page("failing-system", "/systems/qlvb", ".detail-header .status-badge"),
        Page("endpoint", "/endpoints/hop-khong-giay.health", "#detail-latency .xtick"),
        Page("link", "/links/lgsp.ndxp", ".detail-header .status-badge"),
        Page("security", "/security", ".sec-grid .ag-row"),
        Page("alert", f"/alerts/{alert_id}", ".alert-history .alert-event"),
        Page("progress", "/progress", "#partner-ranking tbody tr"),
        Page("coverage", "/coverage", ".coverage-table tbody tr"),
        Page("report", "/report", "#report-summary"),
        Page("audit", "/admin/audit", ".audit-table .audit-row"),
    ]


PAGE_NAMES = [p.name for p in pages(0)]


def start_faulty_app(tmp_path):
    """The demo app with FAULTS switched on and seen by the collector, and one security alert."""
    app = start_app(tmp_path)
    try:
        for system, mode in FAULTS.items():
            answer = app.post(f"/api/demo/systems/{system}/mode", json={"mode": mode})
            assert answer.status_code == 200, answer.text

        def faults_seen():
            systems = {s["id"]: s["status"] for s in app.get("/api/systems").json()["systems"]}
            return systems["qlvb"] == "down" and systems["hop-khong-giay"] in ("down", "degraded")

        wait_for(faults_seen, 60, message="the demo faults seen by the collector")
        app.alert_id = wait_for(lambda: (app.get("/api/alerts").json()["alerts"] or [{}])[0].get("id"), 60,
                                message="a security alert from the demo SOC")
    except BaseException:
        stop_app(app)
        raise
    return app


def open_page(browser, app, page: Page, lang: str = "vi", viewport=(1920, 1080)):
    """A signed-in browser page at `page`, in `lang`, once its content is drawn. English is chosen
    the way a reader does: with the toggle, which the next page keeps (local storage and cookie)."""
    tab = browser.open(app, "/maintenance" if lang == "en" else page.path, viewport=viewport)
    if lang == "en":
        tab.locator("#lang-toggle label", has_text="English").click()
        tab.wait_for_function("document.documentElement.lang === 'en'", polling=1000, timeout=120_000)
        tab.goto(app.url + page.path)
    # leadership pages compute a whole province: minutes on a loaded two-core test machine
    tab.wait_for_selector(page.ready, state="attached", timeout=240_000)
    # polled each second: a page drawing a province's tables keeps the main thread busy
    tab.wait_for_function("lang => document.documentElement.lang === lang", arg=lang, polling=1000, timeout=120_000)
    return tab
