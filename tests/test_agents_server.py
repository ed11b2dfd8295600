"""Remote agents against the real Flask app (in process, SQLite): the assignment holds only the
token's vantage, batches are stored once, and every bad input is refused with nothing stored —
revoked token, tampered body, replayed request, results of another vantage, a day-old batch;
clock skew is flagged; a silent agent's endpoints read unknown; the central collector never
schedules another vantage's endpoints."""
from __future__ import annotations

import json
import logging
import secrets
import uuid
from datetime import timedelta

import pytest
import yaml
from sqlalchemy import func, select, update

from collectors.timeutil import utcnow
from dashboard.auth import tokens
from dashboard.catalog.loader import CatalogError, apply_catalog, parse_catalog
from dashboard.config import Settings
from dashboard.domain.agents import SIGNATURE_HEADER, key_from_secret, sign
from dashboard.monitoring.collector import Collector
from dashboard.runtime import Runtime
from dashboard.store.models import Agent, CheckResult, Endpoint
from dashboard.web.app import create_app
from tests.conftest import wait_for


def catalog_text(extra_endpoint: dict | None = None) -> str:
    endpoints = [
        {"id": "portal", "url": "http://127.0.0.1:9/portal", "interval": "30s", "timeout": "5s"},
        {"id": "commune-a", "url": "http://127.0.0.1:9/a", "interval": "30s", "timeout": "5s", "vantage": "commune-net",
         "headers": {"Authorization": "Bearer x"}, "conditions": ["[STATUS] == 200"]},
        {"id": "commune-b", "kind": "tcp", "host": "127.0.0.1", "port": 9, "interval": "1m", "vantage": "commune-net"},
        {"id": "dmz-web", "url": "http://127.0.0.1:9/dmz", "interval": "30s", "timeout": "5s", "vantage": "dmz"},
        {"id": "portal-from-dmz", "url": "http://127.0.0.1:9/portal", "interval": "30s", "timeout": "5s", "vantage": "dmz"},
    ] + ([extra_endpoint] if extra_endpoint else [])
    return yaml.safe_dump({
        "version": 1,
        "agencies": [{"id": "skhcn", "name_vi": "Sở Khoa học và Công nghệ", "name_en": "Department of Science and Technology"}],
        "communes": {"include": False},
        "systems": [{"id": "dvc", "name_vi": "Cổng dịch vụ công", "name_en": "Public service portal", "owner": "skhcn",
                     "endpoints": endpoints}],
    }, allow_unicode=True, sort_keys=False)


def make_setup(db, tmp_path, monkeypatch):
    with db.session() as session:
        apply_catalog(session, parse_catalog(catalog_text()))
        _, commune = tokens.create_token(session, "commune-agent", "agent", vantage="commune-net")
        _, dmz = tokens.create_token(session, "dmz-agent", "agent", vantage="dmz")
        _, api = tokens.create_token(session, "portal", "api")
    monkeypatch.setenv("IOC_SECRET_KEY", secrets.token_urlsafe(48))
    app = create_app(Runtime(Settings(database_url=db.url, demo=False, data_dir=tmp_path), db, catalog=None))
    return app.server.test_client(), db, {"commune": commune, "dmz": dmz, "api": api}


@pytest.fixture
def setup(sqlite_db, tmp_path, monkeypatch):
    return make_setup(sqlite_db, tmp_path, monkeypatch)


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def result(endpoint: str, verdict: str = "down", **changes) -> dict:
    item = {"id": str(uuid.uuid4()), "endpoint": endpoint, "verdict": verdict, "reason": "connection refused",
            "checked_at": utcnow().isoformat(), "latency_ms": None, "http_code": None, "detail": {}, "missed": False}
    item.update(changes)
    return item


def body_of(results: list[dict], sent_at=None, batch_id: str | None = None) -> bytes:
    return json.dumps({"batch_id": batch_id or str(uuid.uuid4()), "sent_at": (sent_at or utcnow()).isoformat(),
                       "batch_interval_s": 10, "results": results}).encode()


def post(client, secret: str, body: bytes, signature: str | None = None):
    headers = {**bearer(secret), "Content-Type": "application/json",
               SIGNATURE_HEADER: signature if signature is not None else sign(key_from_secret(secret), body)}
    return client.post("/api/agent/results", data=body, headers=headers)


def stored(db, endpoint: str | None = None) -> int:
    with db.session() as session:
        query = select(func.count()).select_from(CheckResult)
        if endpoint:
            query = query.where(CheckResult.endpoint_id == endpoint)
        return session.scalar(query)


def test_an_assignment_holds_only_the_tokens_vantage(setup):
    client, _, secrets_ = setup
    answer = client.get("/api/agent/assignment", headers=bearer(secrets_["commune"]))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["vantage"] == "commune-net"
    assert [e["id"] for e in body["endpoints"]] == ["dvc.commune-a", "dvc.commune-b"]
    first = body["endpoints"][0]
    assert (first["kind"], first["interval_s"], first["timeout_s"]) == ("http", 30.0, 5.0)
    assert first["options"]["conditions"] == [{"condition": "[STATUS] == 200", "severity": "down"}] and first["options"]["headers"] == {"Authorization": "Bearer x"}
    dmz = client.get("/api/agent/assignment", headers=bearer(secrets_["dmz"])).get_json()
    assert [e["id"] for e in dmz["endpoints"]] == ["dvc.dmz-web", "dvc.portal-from-dmz"]


@pytest.mark.parametrize("who", ["none", "api", "garbage", "session-less kiosk"])
def test_the_agent_routes_need_an_agent_token(setup, who):
    client, db, secrets_ = setup
    headers = {"none": {}, "api": bearer(secrets_["api"]), "garbage": bearer("agent_nope"),
               "session-less kiosk": bearer("kiosk_abc")}[who]
    assert client.get("/api/agent/assignment", headers=headers).status_code == 401
    body = body_of([result("dvc.commune-a")])
    answer = client.post("/api/agent/results", data=body, headers={**headers, SIGNATURE_HEADER: sign(key_from_secret("x"), body)})
    assert answer.status_code == 401 and stored(db) == 0


def test_a_revoked_agent_is_refused_and_logged(setup, caplog):
    client, db, secrets_ = setup
    assert post(client, secrets_["commune"], body_of([result("dvc.commune-a")])).status_code == 200
    with db.session() as session:
        token = tokens.verify_token(session, secrets_["commune"], "agent", touch=False)
        tokens.revoke_token(session, token.id)
    with caplog.at_level(logging.WARNING, logger="dashboard.monitoring.agents"):
        answer = post(client, secrets_["commune"], body_of([result("dvc.commune-a")]))
        assignment = client.get("/api/agent/assignment", headers=bearer(secrets_["commune"]))
    assert answer.status_code == 401 and assignment.status_code == 401
    assert stored(db) == 1
    assert sum("unknown or revoked agent token" in r.getMessage() for r in caplog.records) == 2
    assert secrets_["commune"] not in caplog.text  # the log names a prefix, never the secret


def test_results_are_stored_once_whatever_the_number_of_sends(setup):
    client, db, secrets_ = setup
    results = [result("dvc.commune-a"), result("dvc.commune-b", "up", reason="connected", latency_ms=3.0)]
    first = post(client, secrets_["commune"], body_of(results))
    assert first.status_code == 200
    ack = first.get_json()
    assert sorted(ack["stored"]) == sorted(r["id"] for r in results) and ack["duplicates"] == []
    # the agent never saw the answer: it sends the same results in a new batch
    again = post(client, secrets_["commune"], body_of(results)).get_json()
    assert again["stored"] == [] and sorted(again["duplicates"]) == sorted(r["id"] for r in results)
    assert stored(db) == 2
    with db.session() as session:
        uids = set(session.scalars(select(CheckResult.result_uid)))
        endpoint = session.get(Endpoint, "dvc.commune-b")
        agent = session.scalar(select(Agent).where(Agent.vantage == "commune-net"))
        assert uids == {r["id"] for r in results}
        assert (endpoint.last_verdict, endpoint.last_latency_ms) == ("up", 3.0)
        assert (agent.results_stored, agent.duplicates, agent.rejected_batches) == (2, 2, 0)


def test_a_replayed_request_is_refused_and_stores_nothing(setup):
    client, db, secrets_ = setup
    body = body_of([result("dvc.commune-a")])
    assert post(client, secrets_["commune"], body).status_code == 200
    replay = post(client, secrets_["commune"], body)  # the very same signed request, captured and sent again
    assert replay.status_code == 409 and "replayed" in replay.get_json()["error"]
    assert stored(db) == 1
    with db.session() as session:
        assert session.scalar(select(Agent.rejected_batches)) == 1


@pytest.mark.parametrize("tamper", ["verdict", "endpoint", "added result", "other agent's key", "no signature"])
def test_a_tampered_batch_is_refused_and_stores_nothing(setup, tamper):
    client, db, secrets_ = setup
    good = [result("dvc.commune-a", "up", reason="ok")]
    body = body_of(good)
    signature = sign(key_from_secret(secrets_["commune"]), body)
    if tamper == "verdict":
        body = body.replace(b'"verdict": "up"', b'"verdict": "down"')
    elif tamper == "endpoint":
        body = body.replace(b"dvc.commune-a", b"dvc.commune-b")
    elif tamper == "added result":
        payload = json.loads(body)
        payload["results"].append(result("dvc.commune-b"))
        body = json.dumps(payload).encode()
    elif tamper == "other agent's key":
        signature = sign(key_from_secret(secrets_["dmz"]), body)
    else:
        signature = ""
    answer = post(client, secrets_["commune"], body, signature)
    assert answer.status_code == 401 and "signature" in answer.get_json()["error"]
    assert stored(db) == 0
    # the genuine batch still goes through afterwards
    assert post(client, secrets_["commune"], body_of(good)).status_code == 200 and stored(db) == 1


def test_results_for_another_vantage_are_refused_one_by_one(setup):
    client, db, secrets_ = setup
    mine, theirs, central, ghost = (result("dvc.commune-a"), result("dvc.dmz-web"), result("dvc.portal"),
                                    result("dvc.nowhere"))
    ack = post(client, secrets_["commune"], body_of([mine, theirs, central, ghost])).get_json()
    assert ack["stored"] == [mine["id"]]
    assert [r["id"] for r in ack["refused"]] == [theirs["id"], central["id"], ghost["id"]]
    assert stored(db) == 1 and stored(db, "dvc.dmz-web") == 0 and stored(db, "dvc.portal") == 0


@pytest.mark.parametrize("payload, status, text", [
    (b"not json", 400, "bad batch"),
    (b'{"batch_id": "x", "sent_at": "now", "results": []}', 400, "batch_id"),
    (json.dumps({"batch_id": str(uuid.uuid4()), "sent_at": utcnow().isoformat(),
                 "results": [result("dvc.commune-a", verdict="maintenance")]}).encode(), 400, "results[0].verdict"),
])
def test_a_malformed_batch_is_refused_with_the_field_named(setup, payload, status, text):
    client, db, secrets_ = setup
    answer = post(client, secrets_["commune"], payload)
    assert answer.status_code == status and text in answer.get_json()["error"]
    assert stored(db) == 0


def test_clock_skew_is_flagged_and_a_day_old_batch_refused(setup):
    client, db, secrets_ = setup
    fine = post(client, secrets_["commune"], body_of([result("dvc.commune-a")], sent_at=utcnow() + timedelta(seconds=20)))
    assert fine.status_code == 200 and fine.get_json()["skew_flagged"] is False
    ahead = post(client, secrets_["commune"], body_of([result("dvc.commune-a")], sent_at=utcnow() + timedelta(minutes=5)))
    ack = ahead.get_json()
    assert ahead.status_code == 200 and ack["skew_flagged"] is True and 290 < ack["clock_skew_s"] < 310
    agents = client.get("/api/agents", headers=bearer(secrets_["api"])).get_json()["agents"]
    commune = next(a for a in agents if a["vantage"] == "commune-net")
    assert commune["skew_flagged"] is True and commune["skew_flagged_at"] is not None
    old = post(client, secrets_["commune"], body_of([result("dvc.commune-a")], sent_at=utcnow() - timedelta(days=2)))
    assert old.status_code == 400 and "clock" in old.get_json()["error"]
    assert stored(db) == 2


def test_a_silent_agents_endpoints_read_unknown_not_down(setup):
    client, db, secrets_ = setup
    results = [result("dvc.commune-a"), result("dvc.commune-a")]  # two failures: down after damping
    assert post(client, secrets_["commune"], body_of(results)).status_code == 200

    def endpoint(eid: str) -> dict:
        systems = client.get("/api/systems", headers=bearer(secrets_["api"])).get_json()["systems"]
        return next(e for e in systems[0]["endpoints"] if e["id"] == eid)

    assert endpoint("dvc.commune-a")["status"] == "down" and endpoint("dvc.commune-a")["vantage"] == "commune-net"
    assert client.get("/api/systems", headers=bearer(secrets_["api"])).get_json()["systems"][0]["status"] == "down"
    with db.session() as session:  # the agent's last contact: 10 batch intervals ago
        session.execute(update(Agent).values(last_contact_at=utcnow() - timedelta(seconds=100)))
    shown = endpoint("dvc.commune-a")
    assert shown["status"] == "unknown" and shown["stale"] is True
    assert shown["cause"] == {"code": "agent_silent", "params": {"vantage": "commune-net", "since": shown["checked_at"]}}
    assert "không liên lạc" in shown["reason"]
    english = client.get("/api/systems?lang=en", headers=bearer(secrets_["api"])).get_json()["systems"][0]["endpoints"]
    assert "silent" in next(e for e in english if e["id"] == "dvc.commune-a")["reason"]
    system = client.get("/api/systems", headers=bearer(secrets_["api"])).get_json()["systems"][0]
    assert system["status"] == "unknown"  # its stored 'down' rested on the silent agent's word only
    agents = client.get("/api/agents", headers=bearer(secrets_["api"])).get_json()["agents"]
    assert {a["vantage"]: a["state"] for a in agents} == {"commune-net": "silent", "dmz": "never"}
    health = client.get("/api/health", headers=bearer(secrets_["api"])).get_json()
    assert health["agents"] == {"total": 2, "silent": 2, "skew_flagged": 0}
    with db.session() as session:
        assert session.get(Endpoint, "dvc.commune-a").status == "down"  # shown unknown; the stored state is kept


def test_the_central_collector_schedules_only_its_own_vantage(sqlite_db):
    with sqlite_db.session() as session:
        apply_catalog(session, parse_catalog(catalog_text()))
    collector = Collector(sqlite_db, housekeeping=False)
    collector.engine.start()
    try:
        assert collector.sync_jobs() == 1
        wait_for(lambda: collector.engine.scheduled() == 1, 5, message="the engine's targets")
        assert set(collector.engine._entries) == {"dvc.portal"}  # noqa: SLF001
    finally:
        collector.engine.stop()


@pytest.mark.parametrize("endpoint, message", [
    ({"id": "hb", "kind": "heartbeat", "token": "Zt4uV0n9W2xq-commune-21025", "period": "5m", "vantage": "commune-net"},
     "vantage must be 'central'"),
    ({"id": "bad", "url": "http://127.0.0.1:9/", "vantage": "Commune Net"}, "vantage"),
])
def test_the_catalog_refuses_a_vantage_it_cannot_honour(endpoint, message):
    with pytest.raises(CatalogError) as caught:
        parse_catalog(catalog_text(endpoint))
    assert message in str(caught.value)


@pytest.mark.parametrize("kind, vantage, message", [
    ("agent", None, "needs --vantage"),
    ("agent", "central", "central collector"),
    ("agent", "Commune Net", "needs --vantage"),
    ("api", "commune-net", "agent tokens only"),
])
def test_agent_tokens_are_bound_to_a_real_vantage(sqlite_db, kind, vantage, message):
    with sqlite_db.session() as session, pytest.raises(ValueError) as caught:
        tokens.create_token(session, "x", kind, vantage=vantage)
    assert message in str(caught.value)


def test_results_sent_after_their_hour_was_rolled_up_reach_the_rollups(setup):
    from collectors.timeutil import iso
    from dashboard.domain.uptime import floor_day, floor_hour
    from dashboard.readmodels.uptime import DONE_KEYS
    from dashboard.store.models import Rollup, RuntimeState

    client, db, secrets_ = setup
    now = utcnow()
    with db.session() as session:  # hours and days up to now are rolled up already
        for period, until in (("hour", floor_hour(now)), ("day", floor_day(now))):
            session.add(RuntimeState(key=DONE_KEYS[period], value=iso(until), updated_at=now))
    three_hours_ago, two_days_ago = now - timedelta(hours=3), now - timedelta(days=2)
    late = [result("dvc.commune-a", checked_at=three_hours_ago.isoformat()),
            result("dvc.commune-a", "up", checked_at=(three_hours_ago + timedelta(seconds=30)).isoformat()),
            result("dvc.commune-b", checked_at=two_days_ago.isoformat())]
    assert post(client, secrets_["commune"], body_of(late)).status_code == 200
    with db.session() as session:
        rows = {(r.endpoint_id, r.period, r.bucket_start): r for r in session.scalars(select(Rollup))}
    hour = rows[("dvc.commune-a", "hour", floor_hour(three_hours_ago))]
    assert (hour.checks, hour.failures) == (2, 1)
    assert rows[("dvc.commune-b", "day", floor_day(two_days_ago))].checks == 1
    assert ("dvc.commune-a", "hour", floor_hour(now)) not in rows  # the open hour is the regular job's


def test_the_agent_answers_match_their_openapi_schemas(setup):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    client, _, secrets_ = setup
    spec = client.get("/api/openapi.json", headers=bearer(secrets_["api"])).get_json()
    registry = Registry().with_resource("urn:ioc", Resource.from_contents(
        {**spec, "$schema": "https://json-schema.org/draft/2020-12/schema"}))

    def errors(name: str, body) -> list[str]:
        validator = Draft202012Validator({"$ref": f"urn:ioc#/components/schemas/{name}"}, registry=registry)
        return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(body)]

    assert errors("AgentAssignment", client.get("/api/agent/assignment", headers=bearer(secrets_["commune"])).get_json()) == []
    assert errors("AgentAck", post(client, secrets_["commune"], body_of([result("dvc.commune-a")])).get_json()) == []
    assert errors("Agents", client.get("/api/agents", headers=bearer(secrets_["api"])).get_json()) == []
    assert errors("Error", client.get("/api/agent/assignment").get_json()) == []
    # and a body that disagrees is caught
    assert errors("AgentAck", {"stored": "all"})
    for method, path in (("get", "/api/agent/assignment"), ("post", "/api/agent/results"), ("get", "/api/agents")):
        assert not spec["paths"][path][method].get("x-undocumented")


def test_the_endpoint_page_shows_one_target_from_each_vantage(setup):
    from dashboard.readmodels.detail import endpoint_page

    client, db, secrets_ = setup
    assert post(client, secrets_["dmz"], body_of([result("dvc.portal-from-dmz", "up", reason="ok")])).status_code == 200
    with db.session() as session:
        portal = endpoint_page(session, "dvc.portal")
        alone = endpoint_page(session, "dvc.commune-a")
    seen = {e["vantage"]: e for e in portal["vantages"]}
    assert set(seen) == {"central", "dmz"} and seen["dmz"]["id"] == "dvc.portal-from-dmz"
    assert seen["dmz"]["checked_at"] is not None and seen["central"]["checked_at"] is None
    assert alone["vantages"] == [] and alone["vantage"] == "commune-net"


def test_metrics_say_unknown_for_a_silent_agents_endpoints(setup):
    from prometheus_client.parser import text_string_to_metric_families

    client, db, secrets_ = setup
    with db.session() as session:
        _, scrape = tokens.create_token(session, "prometheus", "metrics")
    assert post(client, secrets_["commune"], body_of([result("dvc.commune-a"), result("dvc.commune-a")])).status_code == 200

    def samples() -> dict:
        client.application.extensions.pop("ioc_metrics_snapshot", None)  # no 5 s cache between the two reads
        text = client.get("/metrics", headers=bearer(scrape)).get_data(as_text=True)
        found = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "ioc_endpoint_status" and sample.value == 1:
                    found[sample.labels["endpoint"]] = sample.labels["status"]
                if sample.name == "ioc_system_status":
                    found[sample.labels["system"]] = sample.value
        return found

    before = samples()
    assert before["dvc.commune-a"] == "down" and before["dvc"] == 0
    with db.session() as session:
        session.execute(update(Agent).values(last_contact_at=utcnow() - timedelta(seconds=100)))
    after = samples()
    assert after["dvc.commune-a"] == "unknown" and after["dvc"] == -1


def test_check_now_reaches_the_agent_of_the_endpoints_vantage(setup):
    from dashboard.monitoring.actions import check_now, take_check_requests

    client, db, secrets_ = setup
    with db.session() as session:
        check_now(session, ["dvc.commune-a", "dvc.portal", "dvc.dmz-web"], user="operator-1", via="test")
    empty = post(client, secrets_["commune"], body_of([]))  # an agent with nothing to send still calls
    assert empty.status_code == 200 and empty.get_json()["check_now"] == ["dvc.commune-a"]
    assert post(client, secrets_["commune"], body_of([])).get_json()["check_now"] == []  # handed over once
    with db.session() as session:
        assert take_check_requests(session) == ["dvc.portal"]  # the central collector's own, and only those
    assert post(client, secrets_["dmz"], body_of([])).get_json()["check_now"] == ["dvc.dmz-web"]


def test_the_agent_client_against_the_real_routes(setup, tmp_path):
    import threading

    from werkzeug.serving import make_server

    from collectors.base import CheckResult as Made
    from collectors.base import Status
    from dashboard.agent.client import AgentSettings, RemoteAgent

    client, db, secrets_ = setup
    server = make_server("127.0.0.1", 0, client.application, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    agent = RemoteAgent(AgentSettings(server=f"http://127.0.0.1:{server.server_port}", token=secrets_["commune"],
                                      data_dir=tmp_path / "agent"))

    def state() -> str:
        agents = client.get("/api/agents", headers=bearer(secrets_["api"])).get_json()["agents"]
        return next(a["state"] for a in agents if a["vantage"] == "commune-net")

    try:
        assert agent.fetch_assignment() and agent.endpoints == 2
        agent._on_result(Made("dvc.commune-a", Status.DOWN, "connection refused"))
        agent._drain()
        assert len(agent.buffer) == 1  # on disk before any attempt to send
        assert agent.send_batches() == 1 and len(agent.buffer) == 0 and stored(db, "dvc.commune-a") == 1
        # nothing to send: the agent still calls, so it does not read as silent
        with db.session() as session:
            session.execute(update(Agent).values(last_contact_at=utcnow() - timedelta(seconds=100)))
        assert state() == "silent"
        agent.send_batches()
        assert state() == "ok"
        # revoked: refused, and what it checked stays in its buffer
        with db.session() as session:
            tokens.revoke_token(session, session.scalar(select(Agent.token_id).where(Agent.vantage == "commune-net")))
        agent._on_result(Made("dvc.commune-a", Status.UP, "ok"))
        agent._drain()
        assert agent.send_batches() == 0 and len(agent.buffer) == 1 and stored(db, "dvc.commune-a") == 1
        assert not agent.fetch_assignment()
    finally:
        agent.buffer.close()
        server.shutdown()


@pytest.mark.postgres
def test_on_postgresql_results_are_stored_once_and_replays_refused(postgres_db, tmp_path, monkeypatch):
    client, db, secrets_ = make_setup(postgres_db, tmp_path, monkeypatch)
    results = [result("dvc.commune-a"), result("dvc.commune-a"), result("dvc.commune-b", "up", reason="connected")]
    body = body_of(results)
    assert post(client, secrets_["commune"], body).status_code == 200
    assert post(client, secrets_["commune"], body).status_code == 409  # the same request again
    again = post(client, secrets_["commune"], body_of(results)).get_json()  # the same results, a new batch
    assert again["stored"] == [] and len(again["duplicates"]) == 3
    assert stored(db) == 3
    with db.session() as session:
        assert session.get(Endpoint, "dvc.commune-a").status == "down"
        session.execute(update(Agent).values(last_contact_at=utcnow() - timedelta(seconds=100)))
    systems = client.get("/api/systems", headers=bearer(secrets_["api"])).get_json()["systems"]
    shown = {e["id"]: e["status"] for e in systems[0]["endpoints"]}
    assert shown["dvc.commune-a"] == "unknown" and systems[0]["status"] == "unknown"
