"""The OpenAPI description: valid, complete (every /api route), and true of the real answers."""
from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource

from tests.conftest import start_app, stop_app, wait_for


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    running = start_app(tmp_path_factory.mktemp("openapi"))
    yield running
    stop_app(running)


@pytest.fixture(scope="module")
def spec(app):
    answer = app.get("/api/openapi.json")
    assert answer.status_code == 200
    return answer.json()


def validator(spec: dict, schema_name: str) -> Draft202012Validator:
    registry = Registry().with_resource("urn:ioc", Resource.from_contents({**spec, "$schema": "https://json-schema.org/draft/2020-12/schema"}))
    return Draft202012Validator({"$ref": f"urn:ioc#/components/schemas/{schema_name}"}, registry=registry)


def response_schema(spec: dict, method: str, path: str, status: int) -> str:
    content = spec["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
    return content["$ref"].rsplit("/", 1)[1]


def test_the_description_is_valid_openapi(spec):
    validate(spec)


def test_every_api_route_is_described(spec):
    undocumented = [(path, method) for path, item in spec["paths"].items() for method, op in item.items()
                    if op.get("x-undocumented")]
    assert undocumented == []
    assert "/api/systems" in spec["paths"] and "/api/alerts/{alert_id}" in spec["paths"]


@pytest.mark.parametrize("path, status", [
    ("/api/health", 200), ("/api/systems", 200), ("/api/incidents", 200), ("/api/alerts?limit=5", 200),
    ("/api/progress", 200), ("/api/coverage", 200), ("/api/units", 200),
    ("/api/openapi.json", 200), ("/api/alerts/99999999", 404), ("/api/alerts?limit=0", 400),
    ("/api/availability", 200), ("/api/availability?month=2026-13", 400), ("/api/incidents/stats?system=lgsp", 200),
    ("/api/maintenance", 200), ("/api/maintenance/upcoming", 200), ("/api/incidents/99999999", 404),
    ("/api/routes", 200), ("/api/routes/deliveries", 200), ("/api/routes/deliveries?state=lost", 400),
    ("/api/catalog/revisions", 200), ("/api/catalog/export", 200), ("/api/catalog/revisions/1", 200),
    ("/api/catalog/revisions/99999999", 404),
    ("/api/agents", 200),
])
def test_real_answers_match_their_schema(app, spec, path, status):
    wait_for(lambda: app.get("/api/systems").json()["counts"]["up"] > 0, 60, message="a first result")
    answer = app.get(path)
    assert answer.status_code == status, answer.text[:300]
    template = path.split("?")[0].replace("alerts/99999999", "alerts/{alert_id}").replace("incidents/99999999", "incidents/{incident_id}") \
        .replace("revisions/99999999", "revisions/{revision_id}").replace("revisions/1", "revisions/{revision_id}")
    errors = sorted(validator(spec, response_schema(spec, "get", template, status)).iter_errors(answer.json()),
                    key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_a_schema_that_disagrees_is_caught(app, spec):
    # the check above can fail: a systems answer without its counts does not pass
    body = app.get("/api/systems").json()
    del body["counts"]
    assert list(validator(spec, "Systems").iter_errors(body))


def test_units_carry_official_codes_and_coordinates(app):
    units = app.get("/api/units").json()["units"]
    communes = [u for u in units if u["kind"] in ("commune", "ward", "special_zone")]
    assert len(communes) == 96
    ly_son = next(u for u in communes if u["official_code"] == "21548")
    assert ly_son["name_vi"] == "Đặc khu Lý Sơn" and 15.3 < ly_son["lat"] < 15.5 and 109.0 < ly_son["lon"] < 109.2
