"""Catalog validation: the demo catalog is valid; every kind of mistake is reported with its
line and key path, and nothing is written when the file is bad."""
from __future__ import annotations

import textwrap

import pytest
from sqlalchemy import func, select

from dashboard.catalog.loader import CatalogError, apply_catalog, load_catalog, parse_catalog
from dashboard.config import DEMO_CATALOG
from dashboard.store.models import Agency, Endpoint, Link, System
from tests.catalogs import DEMO_ENV, minimal_catalog

MINIMAL = minimal_catalog()


def problems_of(text: str, env: dict | None = None) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "test.yaml", env or {})
    return caught.value.problems


def test_demo_catalog_is_valid():
    catalog = load_catalog(DEMO_CATALOG, DEMO_ENV)
    ids = [s.id for s in catalog.spec.systems]
    assert ids == ["lgsp", "qlvb", "hop-khong-giay", "httt-nguon", "data-platform", "ioc", "dvc", "commune-network"]
    agency_ids = {a.id for a in catalog.spec.agencies}
    assert {"vp-ubnd", "cong-an", "skhcn", "svhttdl", "ttcds"} <= agency_ids  # named in the letter


def test_minimal_catalog_parses_durations_and_conditions():
    spec = parse_catalog(MINIMAL, "test.yaml", {}).spec
    endpoint = spec.systems[0].endpoints[0]
    assert endpoint.interval == 30 and endpoint.timeout == 5
    conditions = endpoint.parsed_conditions()
    assert [c.severity for c in conditions] == ["down", "degraded"]


@pytest.mark.parametrize(
    "change, expected",
    [
        (("interval: 30s", "interval: soon"), "test.yaml:21: systems[0].endpoints[0].interval: 'soon' is not a duration"),
        (("timeout: 5s", "timeout: 60s"), "timeout (60 s) must be shorter than interval (30 s)"),
        (('"[STATUS] == 200"', '"[STATUS] = 200"'), "test.yaml:24: systems[0].endpoints[0].conditions[0]: cannot read condition"),
        (('"[STATUS] == 200"', '"[STAUTS] == 200"'), "unknown placeholder [STAUTS]"),
        (("owner: skhcn", "owner: nobody"), "owner 'nobody' is not an agency id"),
        (("partner: VNPT", "partner: Acme"), "test.yaml:17: systems[0].partner: Input should be 'VNPT', 'Viettel', 'MobiFone' or 'FPT'"),
        (("- platform: ndxp", "- platform: mars"), "connection platform 'mars' is not in national_platforms"),
        (("endpoint: health\n", "endpoint: nope\n"), "names endpoint 'nope', which system 'lgsp' does not have"),
        (("url: http://127.0.0.1:9/health", "url: ftp://x/health"), "is not an http:// or https:// URL"),
        (("    partner: VNPT\n", "    partner: VNPT\n    colour: red\n"), "test.yaml:18: systems[0].colour: unknown key"),
        (("        url: http://127.0.0.1:9/health\n", ""), "an http endpoint needs a url"),
        (("version: 1", "version: 2"), "test.yaml:1: version: Input should be 1"),
        (("  - id: lgsp", "  - id: LGSP!"), "systems[0].id: String should match pattern"),
    ],
)
def test_each_mistake_is_reported_with_line_and_path(change, expected):
    old, new = change
    assert old in MINIMAL
    problems = problems_of(MINIMAL.replace(old, new, 1))
    assert any(expected in p for p in problems), problems


def test_all_problems_are_listed_at_once():
    text = MINIMAL.replace("interval: 30s", "interval: soon").replace("owner: skhcn", "owner: nobody")
    # the interval error is found per field; cross-references are checked once fields are valid
    assert len(problems_of(text)) >= 1
    text = MINIMAL.replace("partner: VNPT", "partner: Acme").replace("interval: 30s", "interval: soon")
    assert len(problems_of(text)) == 2


def test_yaml_syntax_error_names_the_line():
    problems = problems_of(MINIMAL.replace("  - id: skhcn", "  - id: [skhcn"))
    assert problems[0].startswith("test.yaml:") and "not valid YAML" in problems[0]


def test_empty_and_non_mapping_files():
    assert "empty" in problems_of("")[0]
    assert "top level must be a mapping" in problems_of("- just\n- a list\n")[0]


def test_duplicate_ids_are_refused():
    text = MINIMAL + textwrap.indent(MINIMAL.split("systems:\n", 1)[1], "")
    assert any("system id 'lgsp' appears more than once" in p for p in problems_of(text))


def test_environment_variables_are_interpolated_and_missing_ones_reported():
    text = MINIMAL.replace("http://127.0.0.1:9/health", "${LGSP_URL}/health")
    assert "LGSP_URL is not set" in problems_of(text)[0]
    assert "test.yaml:20" in problems_of(text)[0]
    spec = parse_catalog(text, "test.yaml", {"LGSP_URL": "https://lgsp.example"}).spec
    assert spec.systems[0].endpoints[0].url == "https://lgsp.example/health"
    defaulted = MINIMAL.replace("http://127.0.0.1:9/health", "${LGSP_URL:-http://fallback}/health")
    assert parse_catalog(defaulted, "t", {}).spec.systems[0].endpoints[0].url == "http://fallback/health"


def test_unreadable_file(tmp_path):
    with pytest.raises(CatalogError, match="cannot read the file"):
        load_catalog(tmp_path / "missing.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: Qu\xe1ng".encode("latin-1"))
    with pytest.raises(CatalogError, match="not UTF-8"):
        load_catalog(bad)


def _counts(session):
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Agency, System, Endpoint, Link))


def test_apply_is_idempotent_and_includes_the_96_units(any_db):
    catalog = load_catalog(DEMO_CATALOG, DEMO_ENV)
    with any_db.session() as session:
        first = apply_catalog(session, catalog)
    with any_db.session() as session:
        before = _counts(session)
    with any_db.session() as session:
        second = apply_catalog(session, catalog)
    with any_db.session() as session:
        assert _counts(session) == before
        units = session.scalars(select(Agency).where(Agency.official_code.is_not(None))).all()
        assert len(units) == 96
        assert {u.kind for u in units} == {"commune", "ward", "special_zone"}
        ly_son = session.scalar(select(Agency).where(Agency.name_vi == "Đặc khu Lý Sơn"))
        assert ly_son is not None and ly_son.lat and ly_son.lon
    assert first == second
    assert first["systems"] == 8  # the seven shared systems and the commune data network


def test_systems_dropped_from_the_catalog_are_deactivated_not_deleted(sqlite_db):
    with sqlite_db.session() as session:
        apply_catalog(session, parse_catalog(MINIMAL, "t", {}))
    smaller = MINIMAL.replace("  - id: lgsp", "  - id: other").replace("endpoint: health", "endpoint: health")
    with sqlite_db.session() as session:
        apply_catalog(session, parse_catalog(smaller, "t", {}))
    with sqlite_db.session() as session:
        assert session.get(System, "lgsp").active is False
        assert session.get(Endpoint, "lgsp.health").active is False
        assert session.get(System, "other").active is True


def test_a_bad_catalog_stops_the_app_with_a_clear_message(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("interval: 30s", "interval: -5"), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "app.py", "--catalog", str(bad), "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=60, cwd=DEMO_CATALOG.parent.parent,
    )
    assert result.returncode == 2
    assert f"{bad}:21: systems[0].endpoints[0].interval: must be between" in result.stderr
    assert not (tmp_path / "data" / "ioc.db").exists()  # nothing half-loaded
