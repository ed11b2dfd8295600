"""The inventory of information systems: template, all-or-nothing import with per-row problems,
coverage over its required connections and the security indicator (SQLite and PostgreSQL)."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from collectors.timeutil import utcnow
from dashboard.plans import inventory as inv
from dashboard.plans import store
from dashboard.readmodels import plans as views
from dashboard.store.models import CheckResult, InventorySystem, Link
from tests.test_plans_db import db  # noqa: F401 - the catalog-loaded database fixture

HEADER = [c.vi for c in inv.COLUMNS]


def row(code="syt-his", name="Hệ thống thông tin bệnh viện", agency="syt", kind="chuyen_nganh", platforms="ndxp",
        hosting="Trung tâm dữ liệu tỉnh", partner="VNPT", level="3", dossier="có", system="", integrated_on="", evidence=""):
    return {"code": code, "name": name, "agency": agency, "kind": kind, "platforms": platforms, "hosting": hosting,
            "partner": partner, "security_level": level, "dossier": dossier, "system": system,
            "integrated_on": integrated_on, "evidence": evidence}


def xlsx(rows: list[dict]) -> bytes:
    return inv.build_xlsx(rows)


def parse(db, rows, name="danh-muc.xlsx"):
    with db.session() as session:
        return inv.parse_inventory_file(name, xlsx(rows), views.reference(session))


def test_template_round_trip_and_text_cells_stay_text(db):
    data = inv.build_xlsx([row(name="=HYPERLINK(\"http://x\")")], agencies=[("syt", "Sở Y tế")], platforms=[("ndxp", "NDXP")])
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == [inv.SHEET_NAME, "Hướng dẫn", "Danh mục mã"]
    sheet = book[inv.SHEET_NAME]
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet["B2"].data_type == "s"  # a leading "=" is text, never a formula
    with db.session() as session:
        report = inv.parse_inventory_file("x.xlsx", data, views.reference(session))
    assert report.ok and report.rows[0].name.startswith("=HYPERLINK")


@pytest.mark.parametrize("change, column, code", [
    ({"code": ""}, "code", "required"),
    ({"code": "có dấu cách"}, "code", "bad_code"),
    ({"agency": "nope"}, "agency", "unknown_agency"),
    ({"kind": "khac"}, "kind", "unknown_code"),
    ({"platforms": "ndxp;moon"}, "platforms", "unknown_platform"),
    ({"partner": "ACME"}, "partner", "unknown_partner"),
    ({"level": "6"}, "security_level", "level_range"),
    ({"level": "2.5"}, "security_level", "level_range"),
    ({"dossier": "maybe"}, "dossier", "bad_yes_no"),
    ({"level": "", "dossier": "có"}, "dossier", "dossier_without_level"),
    ({"system": "nope"}, "system", "unknown_system"),
    ({"integrated_on": "31/02/2026"}, "integrated_on", "bad_date"),
    ({"platforms": "", "integrated_on": "01/10/2026"}, "integrated_on", "integrated_without_platform"),
])
def test_each_bad_cell_is_reported_with_its_row_and_nothing_is_kept(db, change, column, code):
    report = parse(db, [row(code="ok-1"), row(**{**{"code": "bad-1"}, **change})])
    assert not report.ok and report.rows == []
    assert [(p.row, p.column, p.code) for p in report.problems] == [(3, column, code)]
    assert report.problems[0].message("vi") and report.problems[0].column_label("vi") == inv.COLUMN_BY_KEY[column].vi


def test_duplicate_codes_missing_columns_and_wrong_sheet(db):
    report = parse(db, [row(code="A-1"), row(code="a-1")])
    assert [(p.row, p.code) for p in report.problems] == [(3, "duplicate_code")]
    with db.session() as session:
        reference = views.reference(session)
    missing = inv.parse_inventory_file("x.csv", "Mã hệ thống,Tên hệ thống / CSDL\nx,y\n".encode(), reference)
    assert [p.code for p in missing.problems] == ["missing_columns"]
    from dashboard.plans import template
    wrong = inv.parse_inventory_file("plan.xlsx", template.build_xlsx([]), reference)
    assert [p.code for p in wrong.problems] == ["wrong_sheet"]


def test_import_replaces_the_named_agencies_only_and_refuses_a_bad_file(db):
    good = parse(db, [row(code="syt-1"), row(code="skhcn-1", agency="skhcn", kind="dung_chung", system="lgsp"),
                      row(code="xa-1", agency="21025", kind="csdl", level="", dossier="")])
    assert good.ok
    with db.session() as session:
        assert store.apply_inventory(session, good) == {"agencies": 3, "systems": 3}
    again = parse(db, [row(code="syt-2", name="Bệnh án điện tử")])
    with db.session() as session:
        store.apply_inventory(session, again)
    with db.session() as session:
        assert sorted(session.scalars(select(InventorySystem.code))) == ["skhcn-1", "syt-2", "xa-1"]
        bad = parse(db, [row(code="syt-3"), row(code="x", agency="nope")])
        with pytest.raises(store.NotImportable):
            store.apply_inventory(session, bad)
        clash = parse(db, [row(code="SKHCN-1")])  # a code another agency already uses
        with pytest.raises(store.NotImportable, match="already used"):
            store.apply_inventory(session, clash)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(InventorySystem)) == 3


def test_coverage_counts_the_inventory_and_the_security_indicator(db):
    now = utcnow()
    report = parse(db, [
        # declared, its monitored system's ndxp link succeeded 2 days ago and is down now: verified, outage
        row(code="lgsp-inv", agency="skhcn", kind="dung_chung", system="lgsp", integrated_on="01/10/2026", evidence="CV 12/STTTT"),
        row(code="syt-his", platforms="ndxp;axis", integrated_on="01/09/2026"),  # declared, no monitored system: not verified
        row(code="syt-kho", kind="csdl", platforms="axis", level="", dossier=""),  # required, not declared
        row(code="xa-web", agency="21025", kind="chuyen_nganh", platforms="", level="2", dossier="không"),  # no connection required
    ])
    with db.session() as session:
        store.apply_inventory(session, report)
        endpoint = session.get(Link, "lgsp.ndxp").endpoint_id
        session.add(CheckResult(endpoint_id=endpoint, checked_at=now - timedelta(days=2), verdict="up", latency_ms=5.0, http_code=200, reason="ok"))
        link = session.get(Link, "lgsp.ndxp")
        link.status, link.last_check_at = "down", now
    with db.session() as session:
        view = views.coverage_view(session, now)
    inventory = view["inventory"]
    assert {k: inventory[k] for k in ("required", "declared", "verified", "live_up")} == {"required": 4, "declared": 3, "verified": 1, "live_up": 0}
    assert {k: inventory[k] for k in ("systems", "with_level", "dossier_approved", "dossier_approved_percent")} == {
        "systems": 4, "with_level": 3, "dossier_approved": 2, "dossier_approved_percent": 50.0}
    # the province counts every required connection: 4 agencies x 2 shared systems + the inventory's 4
    assert view["required"] == 8 + 4 and view["verified"] == 1 and view["province_percent"] == round(100 / 12, 1)
    syt = next(a for a in view["agencies"] if a["id"] == "syt")
    assert (syt["required"], syt["declared"]) == (2 + 3, 2)


def test_demo_inventory_is_a_few_hundred_labelled_rows_loaded_once(any_db, demo_network):
    import os

    from dashboard.catalog.loader import apply_catalog, load_catalog
    from dashboard.config import DEMO_CATALOG
    from dashboard.demo.inventory import DEMO_LABEL, load_demo_inventory
    from dashboard.demo.network import env_for

    env = {**os.environ, **env_for(demo_network)}
    with any_db.session() as session:
        apply_catalog(session, load_catalog(DEMO_CATALOG, env))
    with any_db.session() as session:
        assert load_demo_inventory(session, date(2026, 11, 25))
    with any_db.session() as session:
        assert not load_demo_inventory(session, date(2026, 11, 25))  # idempotent
        rows = session.scalars(select(InventorySystem)).all()
        assert 200 <= len(rows) <= 600
        assert all(r.source == "demo" and r.name.endswith(DEMO_LABEL) for r in rows)
        assert {r.kind for r in rows} == {"chuyen_nganh", "csdl"}
        assert any(r.integrated_on and r.system_id for r in rows) and any(r.dossier_approved for r in rows)
        view = views.coverage_view(session)
    assert view["inventory"]["demo"] and view["inventory"]["required"] > 200
