"""The access rules as pure functions: each role against each kind of request and callback."""
from __future__ import annotations

import pytest

from dashboard.auth import policy
from dashboard.auth.policy import CallbackCall, Decision

A, L, D = Decision.ALLOW, Decision.LOGIN, Decision.DENY

# (method, path): expected decision for anonymous, reporter, kiosk, viewer, operator, admin
REQUESTS = [
    (("POST", "/api/agent/results"), (A, A, A, A, A, A)),  # checks its own agent token and signature
    (("GET", "/api/agent/assignment"), (A, A, A, A, A, A)),
    (("GET", "/api/agents"), (L, D, D, A, A, A)),  # not under the agents' own prefix
    (("GET", "/admin/agents"), (L, D, D, D, D, A)),
    (("GET", "/api/catalog/export"), (L, D, D, D, D, A)),  # the stored catalog holds secrets
    (("GET", "/api/catalog/revisions"), (L, D, D, D, D, A)),
    (("POST", "/api/catalog/test-probe"), (L, D, D, D, D, A)),
    (("PATCH", "/api/catalog/systems/lgsp"), (L, D, D, D, D, A)),
    (("GET", "/"), (L, D, D, A, A, A)),
    (("GET", "/systems/lgsp"), (L, D, D, A, A, A)),
    (("GET", "/security"), (L, D, D, A, A, A)),
    (("GET", "/a-page-added-later"), (L, D, D, A, A, A)),
    (("GET", "/wall"), (L, D, A, A, A, A)),
    (("GET", "/wall/map"), (L, D, A, A, A, A)),
    (("GET", "/wall/../systems"), (L, D, D, A, A, A)),  # no escaping the kiosk's pages
    (("GET", "/wallpaper"), (L, D, D, A, A, A)),
    (("GET", "/admin/audit"), (L, D, D, D, D, A)),
    (("GET", "/admin/anything-later"), (L, D, D, D, D, A)),
    (("GET", "/_dash-layout"), (L, A, A, A, A, A)),
    (("GET", "/_dash-dependencies"), (L, A, A, A, A, A)),
    (("POST", "/_dash-update-component"), (L, A, A, A, A, A)),  # then judged per callback
    (("GET", "/assets/bootstrap.min.css"), (A, A, A, A, A, A)),
    (("GET", "/_dash-component-suites/dash/dcc/x.js"), (A, A, A, A, A, A)),
    (("GET", "/login"), (A, A, A, A, A, A)),
    (("POST", "/login"), (A, A, A, A, A, A)),
    (("GET", "/api/health"), (A, A, A, A, A, A)),
    (("POST", "/api/heartbeat/abc"), (A, A, A, A, A, A)),
    (("POST", "/api/alerts/ingest/wazuh"), (A, A, A, A, A, A)),
    (("GET", "/api/systems"), (L, D, D, A, A, A)),
    (("GET", "/api/anything-later"), (L, D, D, A, A, A)),
    (("POST", "/api/endpoints/lgsp-api/check"), (L, D, D, D, A, A)),
    (("POST", "/api/demo/systems/qlvb/mode"), (L, D, D, D, A, A)),
    (("POST", "/api/settings"), (L, D, D, D, D, A)),  # unknown writes need an admin
    (("DELETE", "/api/systems"), (L, D, D, D, D, A)),
    (("POST", "/some/form"), (L, D, D, D, D, A)),
    # a reporter's pages and API calls (which task: judged by the scope, dashboard.auth.scopes)
    (("GET", "/my"), (L, A, D, A, A, A)),
    (("GET", "/tasks/12"), (L, A, D, A, A, A)),
    (("GET", "/progress"), (L, A, D, A, A, A)),
    (("GET", "/coverage"), (L, D, D, A, A, A)),
    (("GET", "/mystery"), (L, D, D, A, A, A)),  # a prefix is a path segment, not a string start
    (("GET", "/api/my/tasks"), (L, A, D, A, A, A)),
    (("GET", "/api/progress"), (L, A, D, A, A, A)),
    (("GET", "/api/coverage"), (L, D, D, A, A, A)),
    (("POST", "/api/tasks/12/updates"), (L, A, D, A, A, A)),
    (("GET", "/api/task-updates/3/evidence"), (L, A, D, A, A, A)),
    (("POST", "/api/task-updates/3/review"), (L, D, D, D, A, A)),
]
ROLES = [(None, "anonymous"), ("reporter", "user"), ("kiosk", "kiosk"), ("viewer", "user"), ("operator", "user"), ("admin", "user")]


@pytest.mark.parametrize("request_, expected", REQUESTS, ids=[f"{m} {p}" for (m, p), _ in REQUESTS])
def test_each_role_against_each_route(request_, expected):
    method, path = request_
    got = tuple(policy.decide_request(role, method, path, kind) for role, kind in ROLES)
    assert got == expected


def test_api_tokens_read_the_api_and_nothing_else():
    assert policy.decide_request("viewer", "GET", "/api/systems", "token") is A
    assert policy.decide_request("viewer", "GET", "/api/incidents", "token") is A
    assert policy.decide_request("viewer", "POST", "/api/endpoints/x/check", "token") is D
    assert policy.decide_request("viewer", "GET", "/", "token") is D
    assert policy.decide_request("viewer", "POST", "/_dash-update-component", "token") is D
    assert policy.decide_request("viewer", "GET", "/_dash-layout", "token") is D


# callback outputs: required role
CALLBACKS = [
    (("overview-tiles",), "viewer"),
    (("systems-grid", "systems-heading"), "viewer"),
    (("a-component-added-later",), "viewer"),
    (("wall-counts", "wall-clock"), "kiosk"),
    (("app-title", "app-subtitle", "nav-overview"), "signed_in"),
    (("my-tasks",), "reporter"),
    (("progress-content",), "reporter"),
    (("my-tasks", "wall-counts"), "viewer"),  # a reporter may not change the wall, a kiosk not a reporter's page
    (("detail-action-result", "detail-bump"), "operator"),
    (("detail-action-result", "detail-bump", "detail-ack-comment"), "operator"),
    (("op-alert-result", "op-alert-version"), "operator"),
    (("plan-import-result", "plan-confirm", "plan-preview", "progress-version"), "admin"),
    (("admin-alert-import-result",), "admin"),
    (("admin-audit-table",), "admin"),
    (("wall-counts", "admin-x"), "admin"),  # the highest role of the outputs
    ((), "admin"),  # nothing to judge by: only the highest role
]


def test_read_only_api_tokens_read_the_api_but_not_the_catalog():
    assert policy.decide_request("viewer", "GET", "/api/systems", "token") == A
    assert policy.decide_request("viewer", "GET", "/api/catalog/export", "token") == D


@pytest.mark.parametrize("outputs, required", CALLBACKS)
def test_callback_needs_the_highest_role_of_its_outputs(outputs, required):
    assert policy.callback_role(CallbackCall(outputs)) == required


def test_reporter_tokens_make_a_reporters_api_calls_and_nothing_else():
    assert policy.decide_request("reporter", "GET", "/api/my/tasks", "reporter_token") is A
    assert policy.decide_request("reporter", "POST", "/api/tasks/4/updates", "reporter_token") is A
    assert policy.decide_request("reporter", "GET", "/api/systems", "reporter_token") is D
    assert policy.decide_request("reporter", "GET", "/my", "reporter_token") is D
    assert policy.decide_request("reporter", "POST", "/_dash-update-component", "reporter_token") is D


def test_a_reporter_sees_the_shell_but_not_the_wall():
    assert policy.decide_callback("reporter", CallbackCall(("app-title", "nav-overview"))) is A
    assert policy.decide_callback("reporter", CallbackCall(("wall-counts",))) is D
    assert policy.decide_callback("reporter", CallbackCall(("_pages_content", "_pages_store"), "/wall")) is D
    assert policy.decide_callback("reporter", CallbackCall(("_pages_content", "_pages_store"), "/my")) is A
    assert policy.decide_callback("reporter", CallbackCall(("_pages_content", "_pages_store"), "/systems")) is D
    assert policy.decide_callback("kiosk", CallbackCall(("my-tasks",))) is D
    assert policy.decide_callback("reporter", CallbackCall(("plan-import-result", "progress-version"))) is D


def test_page_router_callback_is_judged_by_the_page_asked_for():
    router = ("_pages_content", "_pages_store")
    assert policy.decide_callback("kiosk", CallbackCall(router, "/wall")) is A
    assert policy.decide_callback("kiosk", CallbackCall(router, "/wall/charts")) is A
    assert policy.decide_callback("kiosk", CallbackCall(router, "/systems")) is D
    assert policy.decide_callback("kiosk", CallbackCall(router, "/")) is D
    assert policy.decide_callback("kiosk", CallbackCall(router, None)) is D
    assert policy.decide_callback("viewer", CallbackCall(router, "/admin/audit")) is D
    assert policy.decide_callback("admin", CallbackCall(router, "/admin/audit")) is A
    assert policy.decide_callback(None, CallbackCall(router, "/wall")) is L


def test_pathname_and_component_keys():
    inputs = [{"id": "_pages_location", "property": "pathname", "value": "/wall/map"},
              {"id": "_pages_location", "property": "search", "value": ""}]
    declared = [{"id": "_pages_location", "property": "pathname"}, {"id": "_pages_location", "property": "search"}]
    assert policy.pathname_of(declared, inputs) == "/wall/map"
    assert policy.pathname_of([{"id": "x", "property": "value"}], [{"id": "x", "property": "value", "value": 1}]) is None
    assert policy.component_key({"type": "op-row", "index": 3}) == "op-row"
    with pytest.raises(ValueError):
        policy.component_key({"index": 3})


@pytest.mark.parametrize("sent", [
    # the wanted page first under another id, the harmless page second: Dash would render the first
    [{"id": "x", "property": "pathname", "value": "/admin/audit"},
     {"id": "_pages_location", "property": "pathname", "value": "/wall"}],
    # the same ids, swapped properties
    [{"id": "_pages_location", "property": "search", "value": "/admin/audit"},
     {"id": "_pages_location", "property": "pathname", "value": "/wall"}],
    [{"id": "_pages_location", "property": "pathname", "value": "/wall"}],  # too few
    [{"id": "_pages_location", "property": "pathname", "value": "/wall"},
     {"id": "_pages_location", "property": "search", "value": ""}, {"id": "y", "property": "z"}],  # too many
    "not a list",
    None,
])
def test_router_inputs_are_judged_by_position_against_the_declared_ones(sent):
    declared = [{"id": "_pages_location", "property": "pathname"}, {"id": "_pages_location", "property": "search"}]
    with pytest.raises(policy.MalformedCall):
        policy.pathname_of(declared, sent)


def test_named_actions_map_to_roles():
    assert policy.action_role("check_now") == "operator"
    assert policy.action_role("acknowledge") == "operator"
    assert policy.action_role("schedule_maintenance") == "operator"
    assert policy.action_role("import_plan") == "admin"
    assert policy.action_role("admin") == "admin"
    with pytest.raises(ValueError):
        policy.action_role("launch_missiles")
    assert policy.has_role("admin", "operator") and not policy.has_role("viewer", "operator")
    assert not policy.has_role("kiosk", "viewer") and not policy.has_role(None, "kiosk")
