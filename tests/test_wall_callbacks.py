"""The wall's refresh callbacks through the real Flask app (as the browser calls them), without a
browser: a database error shows the banner instead of an error, and an unchanged map costs bytes."""
from __future__ import annotations

import importlib.util
import secrets
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from collectors.timeutil import utcnow
from dashboard.config import Settings
from dashboard.readmodels import wall as wall_queries

BENCH = Path(__file__).resolve().parent.parent / "bench" / "wall.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_wall", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def client(bench, sqlite_db, tmp_path, monkeypatch):
    monkeypatch.setenv("IOC_SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("IOC_KIOSK_ALLOW", "127.0.0.1/32")  # the test client is a kiosk on loopback
    bench.fill(sqlite_db, 150, 1, utcnow())
    app = bench.build_app(sqlite_db, Settings(database_url=sqlite_db.url, demo=False, data_dir=tmp_path))
    return app.server.test_client()


def post(client, body):
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:500]
    return response.get_json() if response.status_code == 200 else None


def test_status_refresh_shows_tiles_and_counts(bench, client):
    answer = post(client, bench.wall_calls("glance")["status"])["response"]
    assert answer["wall-root"]["className"] == "wall-root wall-view-glance"  # fresh heartbeat and results
    assert answer["wall-banner"]["children"] is None
    tiles = answer["wall-tiles"]["children"]
    assert len(tiles) == len(bench.SHARED_SYSTEMS) + len(bench.COMMUNE_SYSTEMS)
    assert answer["wall-state"]["data"]["ok"] is True


def test_database_error_shows_the_banner_instead_of_failing(bench, client, monkeypatch):
    def unreachable(*_args, **_kwargs):
        raise OperationalError("SELECT …", {}, Exception("could not connect to server: Connection refused"))

    monkeypatch.setattr(wall_queries, "wall_status", unreachable)
    answer = post(client, bench.wall_calls("glance")["status"])["response"]
    assert "wall-stale" in answer["wall-root"]["className"]
    assert "Cơ sở dữ liệu không truy cập được từ" in str(answer["wall-banner"]["children"])
    assert "wall-tiles" not in answer  # the last picture stays, greyed by wall-stale, never refreshed as current
    assert answer["wall-state"]["data"] == {"ok": False, "down": [], "stale": True}


def test_unchanged_map_is_not_sent_again(bench, client):
    first = post(client, bench.wall_calls("glance")["map"])["response"]
    figure = first["wall-map"]["figure"]
    communes = sum(len(t["x"]) for t in figure["data"] if (t.get("meta") or {}).get("layer") == "commune")
    assert communes == 96
    assert any((t.get("meta") or {}).get("layer") == "outline" for t in figure["data"])
    signature = first["wall-map-sig"]["data"]
    second = post(client, bench.wall_calls("glance", signature)["map"])
    assert second is None or "wall-map" not in second["response"]


def test_charts_refresh_only_on_the_charts_view(bench, client):
    elsewhere = post(client, bench.wall_calls("glance")["charts"])
    assert elsewhere is None or elsewhere["response"] == {}  # nothing drawn, nothing sent on other views
    answer = post(client, bench.wall_calls("charts")["charts"])["response"]
    heat = answer["wall-availability"]["figure"]["data"][0]
    # every system has a row, the commune systems included (counted whole: none of their endpoints is critical)
    assert heat["type"] == "heatmap" and len(heat["y"]) == len(bench.SHARED_SYSTEMS) + len(bench.COMMUNE_SYSTEMS)


def test_wall_page_loads_plotly_with_the_page_and_no_grid_code(client):
    import re

    page = client.get("/wall")
    assert page.status_code == 200
    scripts = re.findall(r'<script src="([^"]+)"', page.get_data(as_text=True))
    assert any("plotly/package_data/plotly" in s for s in scripts)  # loaded with the page, never lazily
    assert not any("dash_ag_grid" in s for s in scripts)  # the wall renders no grid
    assert not any("async-mathjax" in s or "async-enterprise" in s for s in scripts)  # lazy chunks stay lazy
    plotly = next(s for s in scripts if "plotly/package_data/plotly" in s)
    answer = client.get(plotly, headers={"Accept-Encoding": "br, gzip"})
    assert answer.headers["Content-Encoding"] == "br"
    assert answer.headers["Cache-Control"] == "max-age=31536000"
    assert len(answer.get_data()) < 1_400_000  # 4.6 MB on the wire before
    css = next(s for s in re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.get_data(as_text=True)) if "wall.css" in s)
    answer = client.get(css, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})  # what Chromium asks for
    assert answer.headers["Content-Encoding"] in ("br", "zstd")
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
