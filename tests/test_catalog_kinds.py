"""Catalog fields of the tcp, tls, dns, heartbeat and connection kinds: valid examples load into
the options the probes read; mistakes are reported as 'file:line: path: message'."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from dashboard.catalog.loader import CatalogError, apply_catalog, parse_catalog
from dashboard.monitoring.heartbeats import token_digest
from dashboard.store.models import Endpoint, Link
from tests.catalogs import HEARTBEAT_TOKEN, KINDS_ENV, kinds_catalog

TOKEN = HEARTBEAT_TOKEN

BASE = kinds_catalog()
ENV = KINDS_ENV


def endpoints(text: str = BASE) -> dict:
    spec = parse_catalog(text, "k.yaml", ENV).spec
    return {e.id: e for e in spec.systems[0].endpoints}


def problems_of(text: str, env: dict | None = None) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "k.yaml", ENV if env is None else env)
    return caught.value.problems


def test_each_kind_loads_into_probe_options():
    eps = endpoints()
    assert eps["port"].target() == "127.0.0.1:8280" and eps["port"].probe_options()["port"] == 8280
    tls = eps["cert"].probe_options()
    assert eps["cert"].target() == "lgsp.quangngai.gov.vn:443"
    assert (tls["port"], tls["warning_days"], tls["critical_days"], tls["ca_bundle"]) == (443, 21, 5, ENV["CA"])
    assert eps["name"].probe_options()["expected_addresses"] == ["10.10.0.5", "2001:db8::5"]
    hb = eps["hb"].probe_options()
    assert hb["token_sha256"] == token_digest(TOKEN) and (hb["period_s"], hb["grace_s"]) == (300, 150)
    assert TOKEN not in str(hb) and TOKEN not in eps["hb"].target()
    link = eps["link-ndxp"].probe_options()
    assert (link["state_path"], link["max_age_s"]) == ("links.ndxp.state", 600)
    assert eps["ndxp-direct"].target() == "ndxp.gov.vn:443" and "state_path" not in eps["ndxp-direct"].probe_options()


def test_tls_defaults():
    text = BASE.replace("        warning_days: 21\n        critical_days: 5\n", "")
    options = endpoints(text)["cert"].probe_options()
    assert (options["warning_days"], options["critical_days"]) == (30, 7)


def test_connection_link_is_applied_to_its_endpoint(sqlite_db):
    with sqlite_db.session() as session:
        apply_catalog(session, parse_catalog(BASE, "k.yaml", ENV), units=[])
    with sqlite_db.session() as session:
        link = session.scalars(select(Link)).one()
        assert (link.id, link.endpoint_id) == ("lgsp.ndxp", "lgsp.link-ndxp")
        kinds = {e.id: e.kind for e in session.scalars(select(Endpoint))}
        assert kinds["lgsp.link-ndxp"] == "connection" and kinds["lgsp.hb"] == "heartbeat"
        assert all(TOKEN not in str(e.options) + e.target for e in session.scalars(select(Endpoint)))


@pytest.mark.parametrize("change, expected", [
    # a kind-specific field on the wrong kind, reported on its own line
    (("        port: 8280\n", "        port: 8280\n        warning_days: 10\n"),
     "k.yaml:22: systems[0].endpoints[0].warning_days: warning_days does not apply to a tcp endpoint (it is for tls endpoints)"),
    (("        period: 5m\n", "        period: 5m\n        url: http://x/ping\n"),
     "k.yaml:36: systems[0].endpoints[3].url: url does not apply to a heartbeat endpoint (it is for connection, http endpoints)"),
    (("        max_age: 10m\n", "        max_age: 10m\n        expected_addresses: [10.0.0.1]\n"),
     "systems[0].endpoints[4].expected_addresses: expected_addresses does not apply to a connection endpoint (it is for dns endpoints)"),
    (("        critical_days: 5\n", "        critical_days: 5\n        conditions: ['[STATUS] == 200']\n"),
     "systems[0].endpoints[1].conditions: conditions does not apply to a tls endpoint"),
    (("        expected_addresses: [10.10.0.5, \"2001:db8::5\"]\n", "        expected_addresses: [10.10.0.5]\n        port: 53\n"),
     "systems[0].endpoints[2].port: port does not apply to a dns endpoint"),
    (("        kind: tcp\n", "        kind: tcp\n        token: " + TOKEN + "x\n"),
     "systems[0].endpoints[0].token: token does not apply to a tcp endpoint (it is for heartbeat endpoints)"),
    # what each kind needs
    (("        port: 8280\n", ""), "k.yaml:18: systems[0].endpoints[0]: a tcp endpoint needs host and port"),
    (("        host: lgsp.quangngai.gov.vn\n        ca_bundle", "        ca_bundle"), "a tls endpoint needs a host"),
    (("critical_days: 5", "critical_days: 30"), "critical_days (30) must be fewer than warning_days (21)"),
    (("        token: ${HB}\n", ""), "a heartbeat endpoint needs a token"),
    (("        period: 5m\n", ""), "a heartbeat endpoint needs a period"),
    (("period: 5m", "period: often"), "systems[0].endpoints[3].period: 'often' is not a duration"),
    (("        state_path: links.ndxp.state\n", ""), "max_age need(s) state_path"),
    (("        url: http://127.0.0.1:8280/links\n", ""), "a connection endpoint with state_path needs the url"),
    (("        host: ndxp.gov.vn\n        port: 443\n", ""), "a connection endpoint needs url + state_path"),
    (("state_path: links.ndxp.state", "state_path: links..state"), "'links..state' is not a JSON path"),
    (("[10.10.0.5, ", "[10.10.0.300, "), "'10.10.0.300' is not an IPv4 or IPv6 address"),
])
def test_kind_mistakes_are_reported_with_line_and_path(change, expected):
    old, new = change
    assert old in BASE
    problems = problems_of(BASE.replace(old, new, 1))
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("bad", ["short", "has spaces in it here", "tõken-with-diacritics-1234"])
def test_bad_token_is_refused_without_repeating_it(bad):
    problems = problems_of(BASE, {**ENV, "HB": bad})
    assert any("systems[0].endpoints[3].token: a heartbeat token must be 16 to 128" in p for p in problems), problems
    assert not any(bad in p for p in problems)


def test_two_heartbeats_cannot_share_a_token():
    second = "      - id: hb2\n        kind: heartbeat\n        token: ${HB}\n        period: 1m\n"
    problems = problems_of(BASE.replace("      - id: link-ndxp\n", second + "      - id: link-ndxp\n"))
    assert any("heartbeat endpoints lgsp.hb and lgsp.hb2 share one token" in p for p in problems), problems
    assert not any(TOKEN in p for p in problems)
