"""Remote agents, the pure rules as tables: signing and verification, batch reading, clock skew,
the silent-agent rule and what an endpoint of a silent agent shows, assignment filtering."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest

from dashboard.domain import agents as rules

SECRET = "agent_" + "x" * 43
OTHER = "agent_" + "y" * 43
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)
BODY = json.dumps({"batch_id": "6f1c2d3e-0000-4000-8000-000000000001", "sent_at": NOW.isoformat(), "results": []}).encode()


def test_the_agent_and_the_server_derive_the_same_key():
    # the agent holds the secret, the server only its SHA-256: both must land on one key
    assert rules.key_from_secret(SECRET) == rules.key_from_digest(hashlib.sha256(SECRET.encode()).hexdigest())
    assert rules.key_from_secret(SECRET) != rules.key_from_secret(OTHER)
    # the key is not the stored digest itself
    assert rules.key_from_secret(SECRET) != hashlib.sha256(SECRET.encode()).digest()


KEY = rules.key_from_secret(SECRET)
GOOD = rules.sign(KEY, BODY)


@pytest.mark.parametrize("body, header, ok", [
    (BODY, GOOD, True),
    (BODY, " " + GOOD + " ", True),  # surrounding spaces from a proxy
    (BODY.replace(b'"results": []', b'"results": [ ]'), GOOD, False),  # one byte more
    (BODY.replace(b"0001", b"0002"), GOOD, False),  # another batch id under the old signature
    (BODY, rules.sign(rules.key_from_secret(OTHER), BODY), False),  # signed with another agent's key
    (BODY, GOOD.removeprefix("sha256="), False),  # no scheme
    (BODY, GOOD[:-2], False),  # truncated
    (BODY, None, False),
    (BODY, "", False),
    (BODY, GOOD + "0" * 100, False),  # absurdly long
])
def test_signature_verification(body, header, ok):
    assert rules.signature_ok(KEY, body, header) is ok


def result(**changes) -> dict:
    item = {"id": "0b7a0c6e-1111-4111-8111-000000000001", "endpoint": "lgsp.health", "verdict": "up", "reason": "ok",
            "checked_at": NOW.isoformat(), "latency_ms": 12.5, "http_code": 200, "detail": {}, "missed": False}
    item.update(changes)
    return item


def batch(**changes) -> dict:
    payload = {"batch_id": "6f1c2d3e-0000-4000-8000-000000000001", "sent_at": NOW.isoformat(),
               "batch_interval_s": 10, "results": [result()]}
    payload.update(changes)
    return payload


def test_a_good_batch_is_read_whole():
    parsed = rules.parse_batch(batch())
    assert parsed.batch_id.endswith("0001") and parsed.sent_at == NOW and parsed.batch_interval_s == 10.0
    (only,) = parsed.results
    assert (only.endpoint_id, only.verdict, only.checked_at, only.latency_ms, only.http_code) == ("lgsp.health", "up", NOW, 12.5, 200)


@pytest.mark.parametrize("sent, kept", [
    ({"cause": "conn_refused", "params": {"host": "10.1.2.3", "port": 443}}, ("conn_refused", {"host": "10.1.2.3", "port": 443})),
    ({"cause": "a_code_from_a_newer_agent", "params": {"x": 1}}, (None, None)),  # its reason text still says it
    ({}, (None, None)),  # an agent from before cause codes
])
def test_a_batch_carries_the_probe_cause_code(sent, kept):
    (only,) = rules.parse_batch(batch(results=[result(verdict="down", **sent)])).results
    assert (only.cause, only.params) == kept


@pytest.mark.parametrize("payload, field", [
    ([], "JSON object"),
    (batch(results=[result(cause=5)]), "results[0].cause"),
    (batch(results=[result(cause="timeout", params="slow")]), "results[0].params"),
    (batch(batch_id="not-a-uuid"), "batch_id"),
    (batch(batch_id=None), "batch_id"),
    (batch(sent_at="yesterday"), "sent_at"),
    (batch(sent_at="2026-12-02T08:00:00"), "no zone"),
    (batch(batch_interval_s=0), "batch_interval_s"),
    (batch(batch_interval_s=float("inf")), "batch_interval_s"),
    (batch(results="many"), "results"),
    (batch(results=[result()] * 2), "appears twice"),
    (batch(results=[result(id="x")]), "results[0].id"),
    (batch(results=[result(endpoint="")]), "results[0].endpoint"),
    (batch(results=[result(verdict="maintenance")]), "results[0].verdict"),  # a window decides that, not an agent
    (batch(results=[result(verdict="UP")]), "results[0].verdict"),
    (batch(results=[result(checked_at=12)]), "results[0].checked_at"),
    (batch(results=[result(latency_ms=-1)]), "results[0].latency_ms"),
    (batch(results=[result(latency_ms=True)]), "results[0].latency_ms"),
    (batch(results=[result(http_code=20.5)]), "results[0].http_code"),
    (batch(results=[result(detail="x" * 10)]), "results[0].detail"),
    (batch(results=[result(detail={"x": "y" * 5000})]), "results[0].detail"),
    (batch(results=[result(missed="no")]), "results[0].missed"),
    (batch(results=[result(id=f"0b7a0c6e-1111-4111-8111-{i:012d}") for i in range(rules.MAX_RESULTS_PER_BATCH + 1)]),
     "at most"),
])
def test_a_bad_batch_names_its_field(payload, field):
    with pytest.raises(rules.BadBatch) as caught:
        rules.parse_batch(payload)
    assert field in str(caught.value)


@pytest.mark.parametrize("agent_ahead_s, flagged, too_old", [
    (0, False, False),
    (59.9, False, False),
    (-60, False, False),
    (60.1, True, False),
    (-600, True, False),  # agent's clock ten minutes slow: accepted, flagged
    (3 * 3600, True, False),
    (-rules.MAX_BATCH_AGE_S - 1, True, True),  # a day-old send time: a replay cannot be ruled out
    (rules.MAX_BATCH_AGE_S + 1, True, True),
])
def test_clock_skew(agent_ahead_s, flagged, too_old):
    skew = rules.clock_skew_s(NOW + timedelta(seconds=agent_ahead_s), NOW)
    assert skew == pytest.approx(agent_ahead_s)
    assert rules.skew_flagged(skew) is flagged
    assert rules.batch_too_old(skew) is too_old


@pytest.mark.parametrize("last_contact_ago_s, interval_s, silent", [
    (None, 10, True),  # never heard from
    (0, 10, False),
    (50, 10, False),  # 2 × 10 + 30 grace = 50: not yet
    (50.5, 10, True),
    (100, 60, False),  # a slow agent: 2 × 60 + 30 = 150
    (151, 60, True),
    (-5, 10, False),  # a contact stamped slightly ahead (the server's own clock): live
])
def test_an_agent_is_silent_after_two_batch_intervals_and_a_grace(last_contact_ago_s, interval_s, silent):
    last = None if last_contact_ago_s is None else NOW - timedelta(seconds=last_contact_ago_s)
    assert rules.agent_silent(last, interval_s, NOW) is silent


@pytest.mark.parametrize("vantage, live, status, stale, shown", [
    ("central", frozenset(), "down", False, ("down", False)),  # the central collector has its own rule
    (None, frozenset(), "up", False, ("up", False)),
    ("commune-net", frozenset({"commune-net"}), "down", False, ("down", False)),  # agent alive: as stored
    ("commune-net", frozenset(), "down", False, ("unknown", True)),  # agent silent: unknown, never down
    ("commune-net", frozenset({"dmz"}), "up", False, ("unknown", True)),  # another vantage's agent does not vouch
    ("commune-net", frozenset(), "degraded", False, ("unknown", True)),
    ("commune-net", frozenset(), "maintenance", False, ("maintenance", False)),  # a planned window stays
    ("commune-net", frozenset(), "unknown", True, ("unknown", True)),
])
def test_what_an_endpoint_of_a_silent_agent_shows(vantage, live, status, stale, shown):
    assert rules.shown_for_vantage(status, stale, rules.vantage_silent(vantage, live)) == shown


def test_an_assignment_holds_only_its_own_vantage():
    endpoints = [{"id": "a", "vantage": "commune-net"}, {"id": "b", "vantage": "dmz"}, {"id": "c"},
                 {"id": "d", "vantage": "central"}, {"id": "e", "vantage": "commune-net"}]
    assert [e["id"] for e in rules.assigned(endpoints, "commune-net")] == ["a", "e"]
    assert [e["id"] for e in rules.assigned(endpoints, "dmz")] == ["b"]
    assert [e["id"] for e in rules.assigned(endpoints, "central")] == ["c", "d"]
    assert rules.assigned(endpoints, "nowhere") == []


@pytest.mark.parametrize("shown, stale, endpoints, expected", [
    # no silent endpoint: as it was
    ("down", False, [("down", True, False), ("up", True, False)], ("down", False)),
    # the only failure came from a silent agent: the rest is up, so degraded (part cannot be seen), never down
    ("down", False, [("unknown", True, True), ("up", True, False)], ("degraded", False)),
    # a central endpoint really down still takes the system down
    ("down", False, [("unknown", True, True), ("down", True, False)], ("down", False)),
    # a non-critical central failure: degraded
    ("down", False, [("unknown", True, True), ("down", False, False)], ("degraded", False)),
    # everything behind silent agents: unknown, stale
    ("down", False, [("unknown", True, True), ("unknown", False, True)], ("unknown", True)),
    # a planned window is not overruled
    ("maintenance", False, [("unknown", True, True)], ("maintenance", False)),
])
def test_a_system_with_a_silent_agent_is_judged_on_what_is_still_seen(shown, stale, endpoints, expected):
    assert rules.system_shown_with_silent(shown, stale, endpoints) == expected
