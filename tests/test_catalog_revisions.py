"""The catalog in the database: revisions (who, when, diff, document), rollback, the same
validation as the loader, the export/import round trip, the authoritative file re-read on change
(a bad edit keeps the last good revision and raises an alert), and the collector picking up a
new revision within one interval."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
from conftest import PROJECT_DIR, wait_for
from http_targets import HttpTargets
from sqlalchemy import func, select

from dashboard.catalog import revisions
from dashboard.catalog.loader import CatalogError, parse_catalog
from dashboard.catalog.watch import CatalogFileWatcher
from dashboard.monitoring.collector import Collector
from dashboard.store.models import Alert, AuditEntry, CatalogRevision, Endpoint, System
from dashboard.store.models import CheckResult as CheckRow
from tests.catalogs import KINDS_ENV, kinds_catalog, minimal_catalog


def doc_of(text: str, env=None) -> dict:
    return revisions.document(parse_catalog(text, "t.yaml", env or {}).spec)


def count_revisions(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(CatalogRevision))


# ---------------------------------------------------------------- diff: a table


@pytest.mark.parametrize("old, new, expected", [
    ({"a": 1}, {"a": 1}, []),
    ({"a": 1}, {"a": 2}, [("change", "a", 1, 2)]),
    ({}, {"a": 2}, [("add", "a", None, 2)]),
    ({"a": 1}, {}, [("remove", "a", 1, None)]),
    ({"systems": [{"id": "x", "name_vi": "A"}]}, {"systems": [{"id": "x", "name_vi": "B"}]},
     [("change", "systems[x].name_vi", "A", "B")]),
    ({"systems": [{"id": "x"}]}, {"systems": [{"id": "x"}, {"id": "y", "endpoints": [{"id": "e"}]}]},
     [("add", "systems[y]", None, {"id": "y"})]),
    ({"systems": [{"id": "x"}, {"id": "y"}]}, {"systems": [{"id": "y"}, {"id": "x"}]},
     [("reorder", "systems", ["x", "y"], ["y", "x"])]),
    ({"communes": {"heartbeat": {"secret": "old-secret"}}}, {"communes": {"heartbeat": {"secret": "new-secret"}}},
     [("change", "communes.heartbeat.secret", "•••", "•••")]),
])
def test_diff(old, new, expected):
    assert [(c["op"], c["path"], c["old"], c["new"]) for c in revisions.diff(old, new)] == expected


def test_document_round_trips_through_yaml():
    for text, env in ((minimal_catalog(), {}), (kinds_catalog(), KINDS_ENV)):
        data = doc_of(text, env)
        again = revisions.document(parse_catalog(revisions.to_yaml(data), "again.yaml", {}).spec)
        assert revisions.diff(data, again) == []
        assert again == data


# ---------------------------------------------------------------- revisions in the database


def test_save_rollback_and_the_audit_trail(sqlite_db):
    first = doc_of(minimal_catalog())
    with sqlite_db.session() as session:
        one = revisions.save(session, first, action="import", author="an")
    changed = revisions.with_endpoint(first, "lgsp", {"interval": 60}, "health")[0]
    with sqlite_db.session() as session:
        two = revisions.save(session, changed, action="endpoint.update", author="binh")
        assert revisions.save(session, changed, action="endpoint.update", author="binh") is None  # no change, no revision
        assert session.get(Endpoint, "lgsp.health").interval_s == 60
    assert [(c["op"], c["path"], c["old"], c["new"]) for c in two.diff] == [
        ("change", "systems[lgsp].endpoints[health].interval", 30.0, 60.0)]
    with sqlite_db.session() as session:
        three = revisions.rollback(session, one.id, author="an")
        assert session.get(Endpoint, "lgsp.health").interval_s == 30
        assert three.document == one.document and three.action == "rollback"
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["catalog.import", "catalog.endpoint.update", "catalog.rollback"]
    assert count_revisions(sqlite_db) == 3


@pytest.mark.parametrize("edit, path, words", [
    (lambda d: revisions.with_endpoint(d, "lgsp", {"interval": 5, "timeout": 10}, "health")[0],
     "systems[0].endpoints[0]", "must be shorter than interval"),
    (lambda d: revisions.with_endpoint(d, "lgsp", {"url": "ftp://files.example/x"}, "health")[0],
     "systems[0].endpoints[0].url", "http:// or https://"),
    (lambda d: revisions.with_endpoint(d, "lgsp", {"conditions": ["[STATUS] === 200"]}, "health")[0],
     "systems[0].endpoints[0].conditions[0]", ""),
    (lambda d: revisions.with_system(d, {"owner": "nobody"}, "lgsp")[0], "", "owner 'nobody' is not an agency"),
])
def test_a_bad_edit_names_the_field_and_changes_nothing(sqlite_db, edit, path, words):
    with sqlite_db.session() as session:
        revisions.save(session, doc_of(minimal_catalog()), action="import")
    with sqlite_db.session() as session:
        bad = edit(revisions.current_document(session))
        with pytest.raises(CatalogError) as caught:
            revisions.save(session, bad, action="edit")
    assert any(d["path"].startswith(path) and words in d["message"] for d in caught.value.details), caught.value.details
    assert count_revisions(sqlite_db) == 1


def test_duplicate_ids_are_refused_before_validation():
    data = doc_of(minimal_catalog())
    with pytest.raises(CatalogError) as caught:
        revisions.with_system(data, {"id": "lgsp", "name_vi": "X", "name_en": "X", "owner": "skhcn"})
    assert caught.value.details == [{"path": "id", "message": "a system 'lgsp' exists already"}]
    with pytest.raises(CatalogError):
        revisions.with_endpoint(data, "lgsp", {"id": "health", "url": "http://127.0.0.1:9/"})


def test_a_file_catalog_is_read_only_for_edits(sqlite_db):
    with sqlite_db.session() as session:
        revisions.save(session, doc_of(minimal_catalog()), action="file", from_file=True)
        revisions.set_mode(session, "file:/etc/ioc/catalog.yaml")
    with sqlite_db.session() as session:
        data = revisions.with_system(revisions.current_document(session), {"name_vi": "Mới"}, "lgsp")[0]
        with pytest.raises(revisions.CatalogReadOnly, match="/etc/ioc/catalog.yaml"):
            revisions.save(session, data, action="system.update")
    assert count_revisions(sqlite_db) == 1


def test_system_fields_reach_the_tables(sqlite_db):
    data = doc_of(minimal_catalog())
    data, _ = revisions.with_system(data, {"sla": 99.9, "short_name": "LGSP"}, "lgsp")
    with sqlite_db.session() as session:
        revisions.save(session, data, action="import")
        system = session.get(System, "lgsp")
        assert (system.sla, system.short_name, system.active) == (99.9, "LGSP", True)
    data, _ = revisions.with_system(data, {"enabled": False}, "lgsp")
    with sqlite_db.session() as session:
        revisions.save(session, data, action="system.update")
        assert session.get(System, "lgsp").active is False
        assert session.get(Endpoint, "lgsp.health").active is False


# ---------------------------------------------------------------- the command line


def run_cli(*args, data_dir):
    return subprocess.run([sys.executable, "app.py", "catalog", *args, "--data-dir", str(data_dir)],
                          cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)


def test_export_then_import_dry_run_reports_no_changes(tmp_path):
    source = tmp_path / "source.yaml"
    source.write_text(minimal_catalog(), encoding="utf-8")
    data_dir = tmp_path / "data"
    dry = run_cli("import", str(source), "--dry-run", data_dir=data_dir)
    assert dry.returncode == 0 and "dry run" in dry.stdout and "+ systems[lgsp]" in dry.stdout, dry.stderr
    done = run_cli("import", str(source), data_dir=data_dir)
    assert done.returncode == 0 and "revision 1" in done.stdout, done.stderr
    exported = tmp_path / "exported.yaml"
    assert run_cli("export", "--out", str(exported), data_dir=data_dir).returncode == 0
    again = run_cli("import", str(exported), "--dry-run", data_dir=data_dir)
    assert again.returncode == 0 and "no changes" in again.stdout, again.stdout + again.stderr
    # and a change is reported as one
    exported.write_text(exported.read_text(encoding="utf-8").replace("interval: 30.0", "interval: 45.0"), encoding="utf-8")
    changed = run_cli("import", str(exported), "--dry-run", data_dir=data_dir)
    assert "~ systems[lgsp].endpoints[health].interval: 30.0 → 45.0" in changed.stdout


def test_import_of_a_bad_file_changes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(minimal_catalog().replace("timeout: 5s", "timeout: 50s"), encoding="utf-8")
    answer = run_cli("import", str(bad), data_dir=tmp_path / "data")
    assert answer.returncode == 2
    assert "bad.yaml:19: systems[0].endpoints[0]: timeout (50 s) must be shorter than interval (30 s)" in answer.stderr
    assert "Nothing was changed" in answer.stderr


# ---------------------------------------------------------------- the authoritative file


def test_the_file_is_reread_and_a_bad_edit_keeps_the_last_good_revision(sqlite_db, tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text(minimal_catalog(), encoding="utf-8")
    with sqlite_db.session() as session:
        revisions.save(session, doc_of(minimal_catalog()), action="file", from_file=True)
    problems, good = [], []
    watcher = CatalogFileWatcher(path, {}, sqlite_db, poll_s=0.1,
                                 on_problem=lambda s, p, kept: problems.append((p, kept)),
                                 on_good=lambda s, rev: good.append(rev)).start()
    try:
        added = minimal_catalog().replace("    connections:", """      - id: second
        url: http://127.0.0.1:9/second
    connections:""")
        path.write_text(added, encoding="utf-8")
        wait_for(lambda: count_revisions(sqlite_db) == 2, 10, message="the edited file as revision 2")
        path.write_text(added.replace("interval: 30s", "interval: soon"), encoding="utf-8")
        wait_for(lambda: problems, 10, message="the bad edit reported")
        assert problems[0][1] == 2 and "interval" in problems[0][0][0]
        assert count_revisions(sqlite_db) == 2
        with sqlite_db.session() as session:
            assert session.get(Endpoint, "lgsp.second").active
        path.write_text(added, encoding="utf-8")  # fixed: same as revision 2, so no new revision
        wait_for(lambda: good, 10, message="the file good again")
        assert good == [2] and count_revisions(sqlite_db) == 2
    finally:
        watcher.stop()


def test_the_runtime_raises_and_clears_an_alert_for_a_bad_file(sqlite_db):
    from dashboard import runtime

    with sqlite_db.session() as session:
        runtime._catalog_file_invalid(session, ["catalog.yaml:3: interval: bad"], 4)
    with sqlite_db.session() as session:
        alert = session.scalars(select(Alert)).one()
        assert alert.status == "new" and "4" in alert.title and "interval: bad" in alert.description
        runtime._catalog_file_good(session, 5)
    with sqlite_db.session() as session:
        assert session.scalars(select(Alert)).one().status == "resolved"


# ---------------------------------------------------------------- the collector follows


def test_the_collector_picks_up_a_new_revision_within_one_interval(sqlite_db):
    server = HttpTargets().start()
    interval = 4.0
    text = minimal_catalog().replace("http://127.0.0.1:9/health", f"{server.url}/ok").replace("interval: 30s", f"interval: {interval:g}s") \
        .replace("timeout: 5s", "timeout: 2s")
    with sqlite_db.session() as session:
        revisions.save(session, doc_of(text), action="import")
    collector = Collector(sqlite_db, housekeeping=False)
    collector.start()
    try:
        wait_for(lambda: collector.is_leader and collector.engine.scheduled() == 1, 15, message="the lease")
        with sqlite_db.session() as session:
            data = revisions.with_endpoint(revisions.current_document(session), "lgsp",
                                           {"id": "added", "url": f"{server.url}/ok", "interval": interval, "timeout": 2})[0]
            revisions.save(session, data, action="endpoint.create")
        saved = time.monotonic()

        def first_result():
            with sqlite_db.session() as session:
                return session.scalars(select(CheckRow).where(CheckRow.endpoint_id == "lgsp.added")).first()

        row = wait_for(first_result, 3 * interval, 0.2, message="a check of the added endpoint")
        # the next poll (1 s), the first slot (< one interval), the writer's batch pause (1 s)
        assert time.monotonic() - saved < interval + 2.5
        assert row.verdict == "up"
    finally:
        collector.stop()
        server.stop()


def test_the_availability_target_is_the_catalogs_sla(sqlite_db):
    from dashboard.plans.availability import DEFAULT_SLA
    from dashboard.readmodels.availability import availability_view

    data = doc_of(minimal_catalog())
    with sqlite_db.session() as session:
        revisions.save(session, data, action="import")
        assert availability_view(session, "2026-11")["systems"][0]["target_percent"] == DEFAULT_SLA
    data = revisions.with_system(data, {"sla": 99.9}, "lgsp")[0]
    with sqlite_db.session() as session:
        revisions.save(session, data, action="system.update")
        assert availability_view(session, "2026-11")["systems"][0]["target_percent"] == 99.9


def test_agencies_with_their_location_and_platforms_are_edited_as_revisions(sqlite_db):
    from dashboard.catalog import edits
    from dashboard.store.models import Agency

    with sqlite_db.session() as session:
        revisions.save(session, doc_of(minimal_catalog()), action="import")
    with sqlite_db.session() as session:
        edits.save_item(session, "agencies", {"id": "skhcn", "name_vi": "Sở KH&CN", "name_en": "DOST",
                                              "lat": 15.12, "lon": 108.8}, "skhcn")
        assert (session.get(Agency, "skhcn").lat, session.get(Agency, "skhcn").lon) == (15.12, 108.8)
        edits.save_item(session, "national_platforms", {"id": "axis", "name_vi": "Trục", "name_en": "Axis"}, None)
    with sqlite_db.session() as session:
        # an agency that owns a system cannot go; a latitude off the globe is refused at its field
        with pytest.raises(edits.EditRefused) as owner:
            edits.delete_item(session, "agencies", "skhcn")
        assert "owner 'skhcn' is not an agency" in str(owner.value)
        with pytest.raises(edits.EditRefused) as lat:
            edits.save_item(session, "agencies", {"id": "skhcn", "name_vi": "X", "name_en": "X", "lat": 123}, "skhcn")
        assert lat.value.problems[0]["field"] == "lat"
    assert count_revisions(sqlite_db) == 3
