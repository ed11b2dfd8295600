"""The alert webhook of a real `python app.py`: valid, unauthenticated, wrong-token, oversized,
malformed and hostile payloads, the rate limit, dedup, and GET /api/alerts. A rejected request
stores nothing and gets a 4xx JSON answer with the reason."""
from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest
import requests

from tests.conftest import PROJECT_DIR, start_app, stop_app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    base = tmp_path_factory.mktemp("alerts")
    running = start_app(base, env={"IOC_INGEST_BURST": "5", "IOC_INGEST_RATE_PER_MINUTE": "6"})
    running.data_dir = base / f"data-{running.url.rsplit(':', 1)[1]}"
    yield running
    stop_app(running)


def create_source(app, name: str) -> str:
    out = subprocess.run([sys.executable, "-m", "dashboard.alerts.cli", "--data-dir", str(app.data_dir), "create", name],
                         cwd=PROJECT_DIR, capture_output=True, text=True, check=True).stdout
    return out.splitlines()[1].strip()


def post(app, source: str, token: str | None, body, content_type="application/json", raw: bytes | None = None):
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = raw if raw is not None else json.dumps(body).encode()
    return requests.post(f"{app.url}/api/alerts/ingest/{source}", data=data, headers=headers, timeout=10)


def stored(app, source: str) -> list[dict]:
    response = app.get(f"/api/alerts?source={source}&status=new,acknowledged,resolved&limit=500")
    assert response.status_code == 200, response.text
    return response.json()["alerts"]


_bad = itertools.count()

ALERT = {"severity": "high", "category": "brute_force", "title": "Dò mật khẩu SSH từ 185.220.101.47",
         "system": "dvc", "asset": "185.220.101.47", "details": {"failures": 240}}


def test_valid_alert_is_stored_and_a_repeat_is_counted(app):
    token = create_source(app, "soc-valid")
    first = post(app, "soc-valid", token, ALERT)
    assert first.status_code == 201, first.text
    assert first.json()["created"] == 1
    again = post(app, "soc-valid", token, [ALERT, {**ALERT, "asset": "45.95.147.231"}])
    assert again.status_code == 201 and again.json()["repeated"] == 1 and again.json()["created"] == 1
    rows = stored(app, "soc-valid")
    assert sorted((r["asset"], r["count"]) for r in rows) == [("185.220.101.47", 2), ("45.95.147.231", 1)]
    one = rows[0]
    assert one["system_id"] == "dvc" and one["source_kind"] == "webhook" and one["status"] == "new"
    detail = app.get(f"/api/alerts/{one['id']}").json()
    assert detail["events"][0]["kind"] == "created" and detail["details"]["failures"] == 240


@pytest.mark.parametrize("case", ["no header", "not bearer", "wrong token", "unknown source", "revoked"])
def test_unauthenticated_and_wrong_tokens_are_refused(app, case):
    token = create_source(app, f"soc-auth-{case.replace(' ', '-')}")
    source = f"soc-auth-{case.replace(' ', '-')}"
    headers = {"Content-Type": "application/json"}
    if case == "not bearer":
        headers["Authorization"] = f"Basic {token}"
    elif case == "wrong token":
        headers["Authorization"] = "Bearer " + token[:-2] + "xx"
    elif case == "unknown source":
        headers["Authorization"] = f"Bearer {token}"
        source = "nobody"
    elif case == "revoked":
        subprocess.run([sys.executable, "-m", "dashboard.alerts.cli", "--data-dir", str(app.data_dir), "revoke", source],
                       cwd=PROJECT_DIR, check=True, capture_output=True)
        headers["Authorization"] = f"Bearer {token}"
    response = requests.post(f"{app.url}/api/alerts/ingest/{source}", data=json.dumps(ALERT), headers=headers, timeout=10)
    assert response.status_code == (401 if case in ("no header", "not bearer") else 403), response.text
    assert response.json()["error"]
    assert stored(app, source) == []


def test_oversized_body_is_refused_before_reading(app):
    token = create_source(app, "soc-big")
    big = {**ALERT, "description": "x" * 9_000, "details": {"blob": "y" * 70_000}}
    response = post(app, "soc-big", token, big)
    assert response.status_code == 413 and "65536" in response.json()["error"]
    # chunked upload without a Content-Length: still capped
    response = requests.post(f"{app.url}/api/alerts/ingest/soc-big", data=iter([b"[" + b" " * 70_000, b"]"]),
                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 413
    assert stored(app, "soc-big") == []


@pytest.mark.parametrize("raw,status,needle", [
    (b"{not json", 400, "not valid"),
    (b"\xff\xfe\x00", 400, "UTF-8"),
    (b"[]", 422, "empty"),
    (b'"just a string"', 422, "JSON object"),
    (json.dumps({"title": "no severity"}).encode(), 422, "schema"),
    (json.dumps({**ALERT, "severity": "apocalyptic"}).encode(), 422, "schema"),
    (json.dumps({**ALERT, "unexpected": 1}).encode(), 422, "schema"),
    (json.dumps({**ALERT, "title": ""}).encode(), 422, "schema"),
    (json.dumps({**ALERT, "observed_at": "2026-11-27T08:00:00"}).encode(), 422, "schema"),
    (json.dumps({**ALERT, "title": "NUL \u0000 inside"}).encode(), 422, "schema"),
    (json.dumps({**ALERT, "system": "no-such-system"}).encode(), 422, "not in the catalog"),
    (json.dumps([ALERT] * 101).encode(), 422, "at most 100"),
    # one bad alert in a batch: nothing of the batch is kept
    (json.dumps([ALERT, {**ALERT, "severity": "x"}]).encode(), 422, "schema"),
])
def test_malformed_payloads_are_refused_and_store_nothing(app, raw, status, needle):
    name = f"soc-bad-{next(_bad)}"  # one source per case: the rate limit counts refused requests too
    token = create_source(app, name)
    response = post(app, name, token, None, raw=raw)
    assert response.status_code == status, response.text
    body = response.json()
    assert needle in body["error"] or needle in json.dumps(body)
    assert stored(app, name) == []


def test_wrong_content_type_is_refused(app):
    token = create_source(app, "soc-type")
    response = post(app, "soc-type", token, ALERT, content_type="text/plain")
    assert response.status_code == 415
    assert stored(app, "soc-type") == []


def test_rate_limit_per_source(app):
    token = create_source(app, "soc-flood")
    other = create_source(app, "soc-calm")
    codes = [post(app, "soc-flood", token, {**ALERT, "asset": f"10.0.0.{n}"}).status_code for n in range(8)]
    assert codes[:5] == [201] * 5 and codes[5:] == [429] * 3
    limited = post(app, "soc-flood", token, ALERT)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert post(app, "soc-calm", other, ALERT).status_code == 201  # buckets are per source
    assert len(stored(app, "soc-flood")) == 5


def test_hostile_text_is_stored_verbatim_and_returned_as_json(app):
    token = create_source(app, "soc-hostile")
    evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'
    response = post(app, "soc-hostile", token, {**ALERT, "title": evil, "category": evil[:64], "description": evil,
                                                "asset": evil, "external_id": evil, "details": {"k": evil}})
    assert response.status_code == 201
    row = stored(app, "soc-hostile")[0]
    assert row["title"] == evil and row["description"] == evil
    listing = app.get("/api/alerts?source=soc-hostile")
    assert listing.headers["Content-Type"].startswith("application/json")


def test_list_filters_and_paging(app):
    everything = app.get("/api/alerts?status=new,acknowledged,resolved&limit=2&offset=0").json()
    assert everything["limit"] == 2 and len(everything["alerts"]) <= 2 and everything["total"] >= 2
    high = app.get("/api/alerts?severity=high&system=dvc").json()["alerts"]
    assert high and all(a["severity"] == "high" and a["system_id"] == "dvc" for a in high)
    assert app.get("/api/alerts?severity=urgent").status_code == 400
    assert app.get("/api/alerts?limit=0").status_code == 400
    assert app.get("/api/alerts/999999").status_code == 404
