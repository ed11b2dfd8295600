"""The catalog API on the real app (demo mode, so the catalog is editable): admins add, change,
remove and roll back; every bad input names its field and changes nothing; the test-probe runs
unsaved settings behind the network guard; operators get 403; imports refuse bombs and huge
files quickly; export → import is a no-op."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
from http_targets import HttpTargets

from tests.catalogs import one_big_system
from tests.conftest import PROJECT_DIR, login, start_app, stop_app, wait_for

OPERATOR = ("op", "operator password 1")


@pytest.fixture(scope="module")
def web():
    server = HttpTargets().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("catalog-api")
    running = start_app(tmp)
    data_dir = tmp / f"data-{running.url.rsplit(':', 1)[1]}"
    subprocess.run([sys.executable, "app.py", "user", "create", OPERATOR[0], "--role", "operator", "--data-dir", str(data_dir)],
                   cwd=PROJECT_DIR, input=OPERATOR[1] + "\n", text=True, capture_output=True, check=True, timeout=60)
    running.operator = login(running.url, *OPERATOR)
    yield running
    stop_app(running)


def call(app, method, path, **kwargs):
    return app.client.request(method, app.url + path, timeout=60, **kwargs)


def revision_count(app) -> int:
    return len(call(app, "GET", "/api/catalog/revisions?limit=1000").json()["revisions"])


def new_system(web, **endpoint):
    return {"id": "ktra", "name_vi": "Hệ thống kiểm tra", "name_en": "Test system", "owner": "skhcn", "sla": 99.9,
            "endpoints": [{"id": "health", "url": f"{web.url}/ok", "interval": "2s", "timeout": "1s",
                           "conditions": ["[STATUS] == 200"], **endpoint}]}


def test_operators_and_tokens_are_refused(app):
    operator = app.operator
    for method, path in [("GET", "/api/catalog/revisions"), ("GET", "/api/catalog/export"),
                         ("POST", "/api/catalog/systems"), ("PATCH", "/api/catalog/systems/lgsp"),
                         ("DELETE", "/api/catalog/systems/lgsp"), ("POST", "/api/catalog/test-probe"),
                         ("POST", "/api/catalog/rollback/1")]:
        answer = operator.request(method, app.url + path, json={}, timeout=10)
        assert answer.status_code == 403, (method, path, answer.status_code)
    assert call(app, "GET", "/api/catalog/revisions").status_code == 200


def test_add_a_system_and_see_it_checked(app, web):
    before = revision_count(app)
    answer = call(app, "POST", "/api/catalog/systems", json=new_system(web))
    assert answer.status_code == 201, answer.text
    revision = answer.json()["revision"]
    assert revision["action"] == "system.create" and revision["changes"][0]["path"] == "systems[ktra]"
    assert revision_count(app) == before + 1

    def checked():
        systems = {s["id"]: s for s in call(app, "GET", "/api/systems").json()["systems"]}
        return systems.get("ktra", {}).get("endpoints", [{}])[0].get("status") == "up"

    saved = time.monotonic()
    wait_for(checked, 30, 0.3, message="the new system checked")
    # one interval (2 s) + the collector's poll and batch pause + two successes before up
    assert time.monotonic() - saved < 15


@pytest.mark.parametrize("method, path, body, field, words", [
    ("POST", "/api/catalog/systems", {"id": "lgsp", "name_vi": "X", "name_en": "X", "owner": "skhcn"},
     "id", "exists already"),
    ("POST", "/api/catalog/systems/lgsp/endpoints", {"id": "short", "url": "http://127.0.0.1:9/", "interval": "5s", "timeout": "10s"},
     "", "must be shorter than interval"),
    ("POST", "/api/catalog/systems/lgsp/endpoints", {"id": "ftp", "url": "ftp://127.0.0.1/x"}, "url", "http:// or https://"),
    ("POST", "/api/catalog/systems/lgsp/endpoints", {"id": "cond", "url": "http://127.0.0.1:9/", "conditions": ["[STATUS] === 200"]},
     "conditions[0]", ""),
    ("POST", "/api/catalog/systems/lgsp/endpoints", {"id": "meta", "url": "http://169.254.169.254/latest/meta-data/"},
     "url", "may not reach"),
    ("PATCH", "/api/catalog/systems/lgsp", {"owner": "nobody"}, "", "owner 'nobody' is not an agency"),
    ("PATCH", "/api/catalog/systems/lgsp", {"sla": 120}, "sla", "less than or equal to 100"),
])
def test_bad_input_names_the_field_and_changes_nothing(app, method, path, body, field, words):
    before = call(app, "GET", "/api/catalog/export").json()["revision"]
    answer = call(app, method, path, json=body)
    assert answer.status_code == 400, answer.text
    problems = answer.json()["problems"]
    assert any((p["field"] or "") == field and words in p["message"] for p in problems), problems
    assert call(app, "GET", "/api/catalog/export").json()["revision"] == before


def test_unknown_ids_and_bodies(app):
    assert call(app, "PATCH", "/api/catalog/systems/nope", json={"sla": 99}).status_code == 404
    assert call(app, "DELETE", "/api/catalog/systems/lgsp/endpoints/nope").status_code == 404
    assert call(app, "POST", "/api/catalog/systems", data="not json").status_code == 400
    assert call(app, "POST", "/api/catalog/rollback/999999").status_code == 404


def test_test_probe_runs_unsaved_settings_behind_the_guard(app, web):
    before = revision_count(app)
    answer = call(app, "POST", "/api/catalog/test-probe",
                  json={"system": "lgsp", "endpoint": {"url": f"{web.url}/ok", "conditions": ["[STATUS] == 200"]}})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["verdict"] == "up" and result["http_code"] == 200 and result["latency_ms"] is not None
    assert result["excerpt"] is not None
    failing = call(app, "POST", "/api/catalog/test-probe",
                   json={"endpoint": {"url": f"{web.url}/500", "conditions": ["[STATUS] == 200"]}}).json()
    assert failing["verdict"] == "down" and failing["failed_conditions"] == ["[STATUS] == 200"]
    own_port = app.url.rsplit(":", 1)[1]
    for url in (f"http://127.0.0.1:{own_port}/api/health", "http://169.254.169.254/latest/meta-data/"):
        refused = call(app, "POST", "/api/catalog/test-probe", json={"endpoint": {"url": url}})
        assert refused.status_code == 400 and refused.json()["problems"][0]["path"] == "url", refused.text
    bad = call(app, "POST", "/api/catalog/test-probe", json={"endpoint": {"url": f"{web.url}/ok", "conditions": ["[STATUS] ="]}})
    assert bad.status_code == 400 and bad.json()["problems"][0]["path"].startswith("conditions[0]")
    assert revision_count(app) == before  # nothing stored


def test_edit_rollback_and_the_audit_log(app, web):
    if call(app, "PATCH", "/api/catalog/systems/ktra", json={}).status_code == 404:
        call(app, "POST", "/api/catalog/systems", json=new_system(web))
    start = call(app, "GET", "/api/catalog/export").json()["revision"]
    edited = call(app, "PATCH", "/api/catalog/systems/ktra/endpoints/health",
                  json={"conditions": ["[STATUS] == 200", {"condition": "[RESPONSE_TIME] < 500", "severity": "degraded"}]})
    assert edited.status_code == 200, edited.text
    assert edited.json()["revision"]["changes"][0]["path"] == "systems[ktra].endpoints[health].conditions"
    back = call(app, "POST", f"/api/catalog/rollback/{start}")
    assert back.status_code == 200 and back.json()["revision"]["action"] == "rollback"
    document = call(app, "GET", "/api/catalog/export").json()["document"]
    ktra = next(s for s in document["systems"] if s["id"] == "ktra")
    assert ktra["endpoints"][0]["conditions"] == [{"condition": "[STATUS] == 200"}]
    actions = [r["action"] for r in call(app, "GET", "/api/catalog/revisions").json()["revisions"][:2]]
    assert actions == ["rollback", "endpoint.update"]


def test_remove_an_endpoint_and_a_system(app, web):
    if call(app, "PATCH", "/api/catalog/systems/ktra", json={}).status_code == 404:
        call(app, "POST", "/api/catalog/systems", json=new_system(web))
    added = call(app, "POST", "/api/catalog/systems/ktra/endpoints", json={"id": "second", "url": f"{web.url}/ok"})
    assert added.status_code == 201, added.text
    assert call(app, "DELETE", "/api/catalog/systems/ktra/endpoints/second").status_code == 200
    assert call(app, "DELETE", "/api/catalog/systems/ktra").status_code == 200
    wait_for(lambda: "ktra" not in {s["id"] for s in call(app, "GET", "/api/systems").json()["systems"]}, 10,
             message="the system gone from the overview")


def test_export_then_import_dry_run_is_no_change(app):
    text = call(app, "GET", "/api/catalog/export?format=yaml")
    assert text.status_code == 200 and text.headers["Content-Type"].startswith("application/yaml")
    again = call(app, "POST", "/api/catalog/import?dry_run=1", data=text.content)
    assert again.status_code == 200, again.text
    assert again.json()["changes"] == []


def test_an_alias_bomb_and_a_huge_file_are_refused_quickly(app):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8))
    started = time.monotonic()
    answer = call(app, "POST", "/api/catalog/import?dry_run=1", data=bomb.encode())
    assert answer.status_code == 400 and "YAML nodes" in answer.json()["problems"][0]["message"], answer.text
    huge = b"# " + b"x" * (50 * 1024 * 1024)
    answer = call(app, "POST", "/api/catalog/import?dry_run=1", data=huge)
    assert answer.status_code == 413
    assert time.monotonic() - started < 10


def test_a_ten_thousand_endpoint_import_is_validated_and_diffed(app):
    text = one_big_system(10_000)
    answer = app.client.post(app.url + "/api/catalog/import?dry_run=1", data=text.encode(), timeout=120)
    assert answer.status_code == 200, answer.text[:500]
    changes = answer.json()["changes"]
    assert {"op": "add", "path": "systems[big]", "old": None,
            "new": {"id": "big", "name_vi": "Hệ thống lớn", "name_en": "A big system", "owner": "skhcn"}} in changes
