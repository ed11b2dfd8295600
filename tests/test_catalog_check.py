"""`python app.py check-catalog FILE` tells the truth: the demo catalog checks from a fresh
clone (its ${IOC_DEMO_…} values made as the running demo makes them), the counts are those
the app runs (commune units and their heartbeats included), and bad values are refused."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dashboard.catalog.check import check, counts, unset_variables
from dashboard.catalog.loader import parse_catalog
from dashboard.config import DEMO_CATALOG, PROJECT_DIR
from tests.catalogs import DEMO_ENV, catalog_with, minimal_catalog


def run_check(path, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    # a fresh shell: none of the demo's variables set
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "app.py", "check-catalog", str(path)], capture_output=True, text=True,
                          timeout=120, cwd=PROJECT_DIR, env=env)


def test_the_demo_catalog_checks_from_a_fresh_clone_with_the_counts_the_app_runs():
    result = run_check("catalog/demo.yaml")
    assert result.returncode == 0, result.stderr
    assert "valid — 8 systems, 112 endpoints (96 of them commune heartbeats), 107 agencies " \
           "(96 of them commune-level units)" in result.stdout
    assert "filled from a demo network started for this check" in result.stdout
    assert "IOC_DEMO_LGSP_URL" in result.stdout and "IOC_DEMO_CA_BUNDLE" in result.stdout


def test_counts_match_what_apply_catalog_writes(sqlite_db):
    from dashboard.catalog.loader import apply_catalog, load_catalog

    catalog = load_catalog(DEMO_CATALOG, DEMO_ENV)
    with sqlite_db.session() as session:
        applied = apply_catalog(session, catalog)
    expected = counts(catalog)
    assert (expected["endpoints"], expected["agencies"], expected["systems"]) == (
        applied["endpoints"], applied["agencies"], applied["systems"]) == (112, 107, 8)


def test_a_catalog_without_communes_counts_only_its_own():
    n = counts(parse_catalog(minimal_catalog(), "m.yaml", {}))
    assert (n["endpoints"], n["agencies"], n["commune_units"], n["links"]) == (1, 1, 0, 1)


def test_variables_with_a_default_are_not_missing(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("a: ${NEEDED}\nb: ${OPTIONAL:-x}\nc: ${SET}\n", encoding="utf-8")
    assert unset_variables(path, {"SET": "1"}) == ["NEEDED"]


def test_other_catalogs_get_no_invented_values(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(minimal_catalog().replace("http://127.0.0.1:9/health", "${PORTAL_URL}/health"), encoding="utf-8")
    result = run_check(path)
    assert result.returncode == 2 and "environment variable PORTAL_URL is not set" in result.stderr


@pytest.mark.parametrize("endpoint, expected", [
    ({"id": "portal", "url": "http://dich vu cong.gov.vn/health"},
     "systems[0].endpoints[0].url: 'http://dich vu cong.gov.vn/health' is not an http:// or https:// URL with a host"),
    ({"id": "portal", "url": "https://dvc.gov.vn/", "ca_bundle": "/nonexistent/private-ca.pem"},
     "systems[0].endpoints[0].ca_bundle: CA bundle file '/nonexistent/private-ca.pem' does not exist"),
    ({"id": "cert", "kind": "tls", "host": "dvc.gov.vn", "ca_bundle": "/nonexistent/private-ca.pem"},
     "CA bundle file '/nonexistent/private-ca.pem' does not exist"),
    ({"id": "port", "kind": "tcp", "host": "lgsp gateway", "port": 8243}, "'lgsp gateway' is not a host name"),
])
def test_check_refuses_bad_hosts_and_missing_ca_bundles(tmp_path, endpoint, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(catalog_with([endpoint]), encoding="utf-8")
    report = check(path, env={})
    assert not report.ok and report.exit_code == 2 and expected in report.text, report.text


def test_the_command_refuses_a_url_with_a_space_in_the_host(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(catalog_with([{"id": "portal", "url": "http://dich vu.gov.vn/"}]), encoding="utf-8")
    result = run_check(path)
    assert result.returncode == 2 and "is not an http:// or https:// URL with a host" in result.stderr
