"""Commune heartbeats: the catalog's communes.heartbeat block makes one push heartbeat endpoint
per commune-level unit (tokens derived from one secret), the demo's simulated commune servers
push them from one thread, and the overview / wall map stay readable with 96 more endpoints."""
from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import func, select

import collectors.heartbeat as heartbeat_probe
from collectors.timeutil import utcnow
from dashboard.catalog.commune_tokens import commune_token
from dashboard.catalog.loader import TOKEN_PATTERN, CatalogError, apply_catalog, parse_catalog
from dashboard.demo.network import commune_roles
from dashboard.domain.causes import full_cause, short_cause
from dashboard.domain.communes import province_units
from dashboard.domain.status import system_cause, system_reason
from dashboard.monitoring.collector import target_for
from dashboard.monitoring.heartbeats import PingReader, receive, token_digest
from dashboard.monitoring.results import record_results
from dashboard.store.models import Endpoint, Status, System
from layouts.components.status_tile import commune_summary
from tests.conftest import PROJECT_DIR, start_app, stop_app, wait_for

SECRET = "commune-secret-for-tests-0123456789"

CATALOG = """\
version: 1
agencies:
  - id: skhcn
    name_vi: Sở Khoa học và Công nghệ
    name_en: Department of Science and Technology
communes:
  include: true
  heartbeat:
    system: commune-network
    secret: ${SECRET}
    period: 30s
    grace: 15s
    interval: 15s
    timeout: 5s
systems:
  - id: commune-network
    name_vi: Mạng truyền số liệu chuyên dùng cấp xã
    name_en: Commune dedicated data network
    owner: skhcn
"""


def _parse(text: str = CATALOG, env: dict | None = None):
    return parse_catalog(text, "c.yaml", {"SECRET": SECRET} if env is None else env)


def _problems(text: str, env: dict | None = None) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        _parse(text, env)
    return caught.value.problems


# ---------------------------------------------------------------- tokens (pure)


def test_token_is_hmac_of_the_code_url_safe_and_accepted_by_the_catalog():
    token = commune_token(SECRET, "21548")
    assert token == commune_token(SECRET, "21548")  # deterministic
    assert len(token) == 43 and TOKEN_PATTERN.match(token) and "=" not in token
    assert token != commune_token(SECRET, "21025")
    assert token != commune_token(SECRET + "x", "21548")
    # a fixed vector, so that a change of derivation (which would lock every commune out) fails here
    assert commune_token("demo-commune-secret-0123456789", "21548") == "Bmiz5ohGT-xc5tFJXe38vHrLmGY-rlcCVf_EnhVaBd4"


def test_cli_prints_one_units_token():
    run = subprocess.run([sys.executable, "-m", "dashboard.catalog.commune_tokens", "21548"], cwd=PROJECT_DIR,
                         env={"PATH": "/usr/bin:/bin", "IOC_COMMUNE_HEARTBEAT_SECRET": SECRET},
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == commune_token(SECRET, "21548")
    assert "Lý Sơn" in run.stderr
    missing = subprocess.run([sys.executable, "-m", "dashboard.catalog.commune_tokens", "21548"], cwd=PROJECT_DIR,
                             env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "IOC_COMMUNE_HEARTBEAT_SECRET" in missing.stderr and not missing.stdout
    unknown = subprocess.run([sys.executable, "-m", "dashboard.catalog.commune_tokens", "99999"], cwd=PROJECT_DIR,
                             env={"PATH": "/usr/bin:/bin", "IOC_COMMUNE_HEARTBEAT_SECRET": SECRET},
                             capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and "99999" in unknown.stderr and not unknown.stdout


# ---------------------------------------------------------------- catalog validation


def test_good_block_parses():
    block = _parse().spec.communes.heartbeat
    assert (block.system, block.period, block.grace, block.interval, block.timeout) == ("commune-network", 30, 15, 15, 5)
    assert block.critical is False  # a few silent communes: degraded, not down


@pytest.mark.parametrize("change, expected", [
    (("system: commune-network\n    secret", "system: nowhere\n    secret"),
     "c.yaml:1: (top level): communes.heartbeat: system 'nowhere' is not a system id in the catalog"),
    (("period: 30s", "period: soon"), "c.yaml:11: communes.heartbeat.period: 'soon' is not a duration"),
    (("grace: 15s", "grace: -3s"), "c.yaml:12: communes.heartbeat.grace: must be between"),
    (("timeout: 5s", "timeout: 20s"), "c.yaml:8: communes.heartbeat: timeout (20 s) must be shorter than interval (15 s)"),
    (("    secret: ${SECRET}\n", ""), "c.yaml:8: communes.heartbeat.secret: required key is missing"),
    (("secret: ${SECRET}", "secret: short"), "c.yaml:10: communes.heartbeat.secret: the commune heartbeat secret must be at least 16 characters"),
    (("include: true", "include: false"), "c.yaml:6: communes: communes.heartbeat needs include: true"),
    (("    timeout: 5s\n", "    timeout: 5s\n    tokens: x\n"), "c.yaml:15: communes.heartbeat.tokens: unknown key"),
])
def test_bad_block_is_reported_with_line_and_path(change, expected):
    problems = _problems(CATALOG.replace(*change))
    assert any(p.startswith(expected) for p in problems), problems


def test_short_secret_is_never_echoed_and_unset_env_is_named():
    problems = _problems(CATALOG, {"SECRET": "abc123xyz"})
    assert problems and not any("abc123xyz" in p for p in problems)
    problems = _problems(CATALOG, {})
    assert problems == ["c.yaml:10: communes.heartbeat.secret: environment variable SECRET is not set "
                        "(write ${SECRET:-default} for a default)"]


def test_own_endpoint_ids_may_not_clash_with_the_generated_ones():
    text = CATALOG + """    endpoints:
      - id: hb-21548
        kind: heartbeat
        token: some-token-0123456789abcdef
        period: 1m
"""
    assert any("reserved for communes.heartbeat" in p for p in _problems(text))


# ---------------------------------------------------------------- apply (SQLite and PostgreSQL)


def test_apply_creates_one_endpoint_per_unit_idempotently_and_deactivates_them(any_db):
    units = province_units()
    with any_db.session() as session:
        first = apply_catalog(session, _parse())
    with any_db.session() as session:
        second = apply_catalog(session, _parse())
        rows = session.scalars(select(Endpoint).where(Endpoint.system_id == "commune-network")).all()
        assert len(rows) == 96 and all(r.active and r.kind == "heartbeat" and not r.critical for r in rows)
        ly_son = session.get(Endpoint, "commune-network.hb-21548")
        assert ly_son.name == "Máy chủ Đặc khu Lý Sơn"
        assert ly_son.options["agency"] == "unit-21548"
        # stored exactly as a catalog heartbeat endpoint stores its token: a digest, never the token
        token = commune_token(SECRET, "21548")
        assert ly_son.options["token_sha256"] == token_digest(token)
        assert token not in str(ly_son.options) and SECRET not in str(ly_son.options)
        assert (ly_son.options["period_s"], ly_son.options["grace_s"], ly_son.interval_s) == (30, 15, 15)
        assert {r.id for r in rows} == {f"commune-network.hb-{u.code}" for u in units}
    assert first == second and first["endpoints"] == 96
    with any_db.session() as session:
        apply_catalog(session, _parse(CATALOG.split("  heartbeat:")[0] + "systems:" + CATALOG.split("systems:")[1]))
    with any_db.session() as session:
        assert session.scalar(select(func.count()).select_from(Endpoint)) == 96  # kept: history stays
        assert session.scalar(select(func.count()).select_from(Endpoint).where(Endpoint.active.is_(True))) == 0


def test_wall_map_shows_the_communes_once_their_servers_report(any_db):
    """After one round of pings and checks, every unit has a state on the map (the silent ones
    'unknown', waiting out their first period), the reporting ones 'up' or 'degraded'."""
    from dashboard.readmodels import wall as wall_queries

    units = province_units()
    roles = commune_roles(units)
    with any_db.session() as session:
        apply_catalog(session, _parse())
    with any_db.session() as session:
        for code, role in roles.items():
            if role != "silent":
                receive(session, commune_token(SECRET, code), b'{"status": "%s"}' % role.encode(), {}, "127.0.0.1")
    heartbeat_probe.use_source(PingReader(any_db))
    try:
        with any_db.session() as session:
            targets = [target_for(e) for e in session.scalars(select(Endpoint).where(Endpoint.system_id == "commune-network"))]
        results = [heartbeat_probe.probe(target) for target in targets]
    finally:
        heartbeat_probe.use_source(None)
    with any_db.session() as session:
        record_results(session, results)
    with any_db.session() as session:
        places = {p["code"]: p for p in wall_queries.map_places(session, utcnow()) if p["code"]}
    assert len(places) == 96
    assert sum(p["status"] != wall_queries.NO_DATA for p in places.values()) >= 90
    for code, role in roles.items():
        assert places[code]["status"] == {"up": "up", "degraded": "degraded", "silent": "unknown"}[role], code


# ---------------------------------------------------------------- summaries (pure)


def test_system_reason_counts_silent_communes_instead_of_listing_them():
    endpoints = [(f"Máy chủ Xã {i}", "up", None, True) for i in range(90)]
    endpoints += [(f"Máy chủ Xã S{i}", "down", "no heartbeat since …", True) for i in range(5)]
    endpoints += [("Máy chủ Phường D", "degraded", "the sender reports degraded service", True)]
    endpoints += [("Cổng", "down", "HTTP 503", False)]
    reason = system_reason(endpoints)
    assert reason == ("Cổng: HTTP 503; 5 of 96 communes silent: Xã S0, Xã S1, Xã S2 and 2 more; "
                      "1 of 96 communes reporting degraded service: Phường D")
    assert system_reason([("A", "down", "timeout", False), ("B", "degraded", "slow", False), ("C", "up", None, False)]) == \
        "A: timeout; B: slow"
    assert system_reason([("A", "up", None, False), ("Máy chủ Xã X", "up", None, True)]) is None


def test_system_cause_counts_silent_communes_as_codes():
    """The same summary as a cause (rendered per language by dashboard.domain.causes)."""
    silent = {"code": "heartbeat_late", "params": {"age": 600}}
    endpoints = [(f"Máy chủ Xã {i}", "up", None, True) for i in range(90)]
    endpoints += [(f"Máy chủ Xã S{i}", "down", silent, True) for i in range(5)]
    endpoints += [("Máy chủ Phường D", "degraded", {"code": "heartbeat_reported", "params": {"status": "degraded"}}, True)]
    endpoints += [("Cổng", "down", {"code": "condition_failed", "params": {"condition": "[STATUS] == 200", "observed": 503}}, False)]
    cause = system_cause(endpoints)
    assert [item["code"] for item in cause["params"]["items"]] == ["condition_failed", "communes_silent", "communes_degraded"]
    assert cause["params"]["items"][1]["params"] == {"n": 5, "total": 96, "names": ["Xã S0", "Xã S1", "Xã S2"]}
    assert full_cause(cause["code"], cause["params"], "vi") == (
        "Cổng: Mã trạng thái HTTP phải là 200 — nhận được 503; 5/96 xã mất tín hiệu: Xã S0, Xã S1, Xã S2 và 2 nơi khác; "
        "1/96 xã báo dịch vụ suy giảm: Phường D")
    assert full_cause(cause["code"], cause["params"], "en") == (
        "Cổng: HTTP status code must be 200 — got 503; 5 of 96 communes silent: Xã S0, Xã S1, Xã S2 and 2 more; "
        "1 of 96 communes reporting degraded service: Phường D")
    assert short_cause(cause["code"], cause["params"], "vi") == "HTTP 503 (+2)"
    only_communes = system_cause(endpoints[:95] + [("Máy chủ Phường D", "up", None, True)])
    assert only_communes["code"] == "communes_silent" and short_cause(**_args(only_communes), lang="vi") == "5/96 xã mất tín hiệu"
    assert system_cause([("A", "up", None, False), ("Máy chủ Xã X", "up", None, True)]) is None


def _args(cause: dict) -> dict:
    return {"code": cause["code"], "params": cause["params"]}


def test_tile_summary_counts_reporting_communes():
    endpoints = [{"status": s, "commune": True} for s in ["up"] * 93 + ["degraded", "down", "unknown"]]
    assert commune_summary(endpoints + [{"status": "up", "commune": False}]) == (94, 96)
    assert commune_summary([{"status": "up", "commune": False}]) is None


def test_demo_roles_pick_a_few_mountain_communes_by_seed():
    units = province_units()
    by_code = {u.code: u for u in units}
    for seed in (None, 1, 7, 42):
        roles = commune_roles(units, seed)
        silent = [c for c, r in roles.items() if r == "silent"]
        degraded = [c for c, r in roles.items() if r == "degraded"]
        assert 2 <= len(silent) <= 4 and 1 <= len(degraded) <= 2
        assert all(by_code[c].unit_type == "commune" and c >= "23000" for c in silent)  # former Kon Tum
        assert roles == commune_roles(units, seed)


# ---------------------------------------------------------------- the demo, for real


def test_demo_commune_servers_report_through_the_running_app(tmp_path):
    """The real app with the demo: one sender thread pushes all 96 heartbeats over HTTP; soon
    the reporting units are up (or degraded, as their payload says) and the silent ones down."""
    roles = commune_roles(province_units())
    silent = {f"commune-network.hb-{c}" for c, r in roles.items() if r == "silent"}
    degraded = {f"commune-network.hb-{c}" for c, r in roles.items() if r == "degraded"}
    app = start_app(tmp_path, env={"IOC_DEMO_COMMUNE_PERIOD": "4s", "IOC_DEMO_COMMUNE_GRACE": "2s",
                                   "IOC_DEMO_COMMUNE_INTERVAL": "2s"})
    try:
        def network():
            body = app.get("/api/systems").json()
            return next(s for s in body["systems"] if s["id"] == "commune-network")

        def settled():
            eps = {e["id"]: e["status"] for e in network()["endpoints"]}
            return (all(eps[i] == "down" for i in silent) and all(eps[i] == "degraded" for i in degraded)
                    and sum(s == "up" for s in eps.values()) == 96 - len(silent) - len(degraded))

        wait_for(settled, 40, interval=1, message="commune heartbeats settled")
        system = network()
        assert system["status"] == "degraded"  # not down: the commune endpoints are not critical
        assert system["reason"].startswith(f"{len(silent)}/96 xã mất tín hiệu: ")
        assert system["short_reason"] == f"{len(silent)}/96 xã mất tín hiệu (+1)"  # and the degraded ones
        assert system["cause"]["params"]["items"][0]["code"] == "communes_silent"
        assert len(system["reason"]) < 300
        english = next(s for s in app.get("/api/systems?lang=en").json()["systems"] if s["id"] == "commune-network")
        assert english["reason"].startswith(f"{len(silent)} of 96 communes silent: ")
    finally:
        stop_app(app)


def test_wall_tile_counts_troubled_communes(any_db):
    """The wall's system tile says how many communes are silent rather than one commune's reason."""
    from dashboard.readmodels import wall as wall_queries

    with any_db.session() as session:
        apply_catalog(session, _parse())
    with any_db.session() as session:
        rows = session.scalars(select(Endpoint).where(Endpoint.system_id == "commune-network")
                               .order_by(Endpoint.id)).all()
        now = utcnow()
        for index, row in enumerate(rows):
            row.status = Status.DOWN if index < 5 else Status.UP
            row.status_reason = "no heartbeat since …" if index < 5 else None
            row.last_check_at, row.status_since = now, now
        system = session.get(System, "commune-network")
        system.status, system.last_check_at = Status.DEGRADED, now
    with any_db.session() as session:
        tile = next(t for t in wall_queries.system_tiles(session, utcnow()) if t["id"] == "commune-network")
    assert tile["reason"] == tile["short_reason"] == "5/96 xã mất tín hiệu"
    assert tile["cause"] == {"code": "communes_silent", "params": {"n": 5, "total": 96, "names": []}}
    with any_db.session() as session:
        tile = next(t for t in wall_queries.system_tiles(session, utcnow(), lang="en") if t["id"] == "commune-network")
    assert tile["reason"] == "5 of 96 communes silent" and tile["short_reason"] == "5/96 communes silent"
    assert tile["endpoints_down"] == 5


def test_a_silent_commune_is_down_on_the_map_though_its_endpoint_is_not_critical(any_db):
    from dashboard.readmodels import wall as wall_queries

    with any_db.session() as session:
        apply_catalog(session, _parse())
    with any_db.session() as session:
        now = utcnow()
        for row in session.scalars(select(Endpoint).where(Endpoint.system_id == "commune-network")):
            row.status = Status.DOWN if row.id.endswith("21548") else Status.UP
            row.last_check_at, row.status_since = now, now
    with any_db.session() as session:
        places = {p["code"]: p for p in wall_queries.map_places(session, utcnow()) if p["code"]}
        unit = wall_queries.unit_detail(session, "21548")
    assert places["21548"]["status"] == "down" and places["21548"]["down"] == 1
    assert sum(p["status"] == "up" for p in places.values()) == 95
    assert unit["status"] == "down"
