"""`python app.py --catalog FILE`: the file is authoritative. Editing it adds an endpoint without a
restart; a broken edit keeps the last good revision and raises a visible alert (cleared when the
file is good again); SIGHUP re-reads it; API edits are refused with 409."""
from __future__ import annotations

import signal

import pytest
from http_targets import HttpTargets

from tests.catalogs import minimal_catalog
from tests.conftest import start_app, stop_app, wait_for


@pytest.fixture(scope="module")
def web():
    server = HttpTargets().start()
    yield server
    server.stop()


def catalog_text(web, extra: str = "") -> str:
    return minimal_catalog().replace("http://127.0.0.1:9/health", f"{web.url}/ok") \
        .replace("interval: 30s", "interval: 2s").replace("timeout: 5s", "timeout: 1s") \
        .replace("    connections:", extra + "    connections:")


SECOND = """      - id: second
        url: URL/ok
        interval: 2s
        timeout: 1s
"""


def endpoint_ids(app) -> set[str]:
    return {e["id"] for s in app.get("/api/systems").json()["systems"] for e in s["endpoints"]}


def test_the_file_decides(tmp_path, web):
    path = tmp_path / "catalog.yaml"
    path.write_text(catalog_text(web), encoding="utf-8")
    app = start_app(tmp_path, "--catalog", str(path))
    try:
        assert app.get("/api/catalog/revisions").json()["mode"] == f"file:{path}"
        refused = app.client.patch(app.url + "/api/catalog/systems/lgsp", json={"sla": 99.9}, timeout=10)
        assert refused.status_code == 409 and str(path) in refused.json()["error"]

        path.write_text(catalog_text(web, SECOND.replace("URL", web.url)), encoding="utf-8")
        wait_for(lambda: "lgsp.second" in endpoint_ids(app), 20, message="the added endpoint")
        good = app.get("/api/catalog/revisions").json()["current"]

        path.write_text(catalog_text(web, SECOND.replace("URL", web.url)).replace("interval: 2s", "interval: often", 1),
                        encoding="utf-8")

        def alert():
            alerts = app.get("/api/alerts?source=catalog&status=new").json()["alerts"]
            return alerts[0] if alerts else None

        raised = wait_for(alert, 20, message="the alert for the broken file")
        assert f"phiên bản {good}" in raised["title"]
        assert app.get("/api/catalog/revisions").json()["current"] == good
        assert "lgsp.second" in endpoint_ids(app)  # still checked: the last good revision stays
        assert app.process.poll() is None  # and the service runs on

        path.write_text(catalog_text(web), encoding="utf-8")  # fixed, and the endpoint taken out
        app.process.send_signal(signal.SIGHUP)
        wait_for(lambda: "lgsp.second" not in endpoint_ids(app), 20, message="the endpoint removed")
        wait_for(lambda: alert() is None, 20, message="the alert resolved")
    finally:
        stop_app(app)
