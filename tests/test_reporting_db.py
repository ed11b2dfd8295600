"""Agencies' reports on a real database (SQLite and PostgreSQL): a new row per update, scope
refusals audited and writing nothing, review, the evidence kept with its update."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from dashboard.auth import users
from dashboard.auth.permissions import Forbidden
from dashboard.auth.scopes import OutOfScope
from dashboard.catalog.loader import apply_catalog, parse_catalog
from dashboard.domain.communes import AdminUnit
from dashboard.plans import store, template, updates
from dashboard.plans.importer import parse_plan_file
from dashboard.plans.reporting import Proposed, UpdateRefused
from dashboard.readmodels import plans as plan_views
from dashboard.readmodels import reporting as views
from dashboard.store.models import AuditEntry, Plan, Task, TaskEvidence, TaskUpdate

CATALOG = """
version: 1
agencies:
  - {id: skhcn, name_vi: Sở Khoa học và Công nghệ, name_en: DOST, partner: VNPT}
communes:
  include: true
  partner_default: FPT
systems:
  - id: lgsp
    name_vi: LGSP
    name_en: LGSP
    owner: skhcn
    endpoints:
      - {id: health, url: "http://127.0.0.1:9/health", interval: 60s, timeout: 5s}
"""
UNITS = [
    AdminUnit("21548", "Xã Bình Sơn", "Bình Sơn", "commune", 15.3, 108.7),
    AdminUnit("21028", "Phường Trương Quang Trọng", "Trương Quang Trọng", "ward", 15.1, 108.8),
]
TODAY = date(2026, 12, 2)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def row(agency, title, percent=40, status="dang_thuc_hien"):
    return {"agency": agency, "partner": "", "title": title, "category": "tich_hop", "owner": "CNTT",
            "start": TODAY - timedelta(days=30), "due": TODAY + timedelta(days=10), "status": status,
            "percent": percent, "systems": ["lgsp"], "notes": ""}


@pytest.fixture
def db(any_db):
    with any_db.session() as session:
        apply_catalog(session, parse_catalog(CATALOG), units=UNITS)
        report = parse_plan_file("plan.csv", template.build_csv([
            row("21548", "Kết nối LGSP"), row("21028", "Kết nối LGSP"), row("skhcn", "Nâng cấp QLVB", 80)]),
            plan_views.reference(session))
        assert report.ok
        store.apply_import(session, report, TODAY)
        user = users.create_user(session, "xa-binh-son", "reporter", None, agencies=["unit-21548"])
        users.create_user(session, "vnpt-staff", "reporter", None, partners=["VNPT"])
        users.create_user(session, "ioc-op", "operator", None)
        session.flush()
        any_db.reporter = updates.Actor("xa-binh-son", "reporter", user.id)
    return any_db


def task_id(db, agency):
    with db.session() as session:
        return session.scalar(select(Task.id).join(Task.plan).where(Plan.agency_id == agency))


def count(db, model):
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_report_with_a_pdf_is_pending_until_an_operator_accepts(db):
    mine = task_id(db, "unit-21548")
    with db.session() as session:
        update = updates.report(session, db.reporter, mine, Proposed(percent=70, note="Đã kết nối thử"),
                                evidence=PDF, evidence_name="bien-ban.pdf", today=TODAY)
        update_id = update.id
    with db.session() as session:
        task = session.get(Task, mine)
        assert (task.percent, task.status) == (40, "dang_thuc_hien")  # accepted figures unchanged while pending
        timeline = views.task_timeline(session, "reporter", db.reporter.user_id, mine, TODAY)
        assert timeline["updates"][0]["review_state"] == "pending"
        assert timeline["reported_percent"] == 70 and timeline["accepted_percent"] == 40
        assert timeline["updates"][0]["evidence"]["type"] == "pdf"
        assert session.get(TaskEvidence, update_id).content == PDF
        assert plan_views.progress_api(session, TODAY)["province_percent"] == pytest.approx((40 + 40 + 80) / 3, abs=0.1)
        operator = updates.Actor("ioc-op", "operator")
        updates.review(session, operator, update_id, "accept", "Khớp biên bản", today=TODAY)
    with db.session() as session:
        assert session.get(Task, mine).percent == 70
        agencies = {a["id"]: a for a in plan_views.progress_api(session, TODAY)["agencies"]}
        assert agencies["unit-21548"]["percent_done"] == 70
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert "task.update" in actions and "task_update.accept" in actions


def test_another_communes_task_is_refused_audited_and_nothing_written(db):
    theirs = task_id(db, "unit-21028")
    before = count(db, TaskUpdate)
    with pytest.raises(OutOfScope):
        with db.session() as session:
            updates.report(session, db.reporter, theirs, Proposed(percent=90), today=TODAY)
    assert count(db, TaskUpdate) == before
    with db.session() as session:
        denied = session.scalars(select(AuditEntry).where(AuditEntry.action == "task.update.denied")).all()
        assert [(e.actor, e.target) for e in denied] == [("xa-binh-son", f"task:{theirs}")]
        with pytest.raises(OutOfScope):
            views.task_timeline(session, "reporter", db.reporter.user_id, theirs, TODAY)


def test_a_partner_reporter_reports_where_the_enterprise_is_the_partner(db):
    with db.session() as session:
        staff = users.find(session, "vnpt-staff")
        actor = updates.Actor(staff.username, "reporter", staff.id)
        assert [t["agency_id"] for t in views.my_tasks(session, staff.id, TODAY)["tasks"]] == ["skhcn"]
        updates.report(session, actor, task_id(db, "skhcn"), Proposed(percent=90), today=TODAY)
        with pytest.raises(OutOfScope):
            updates.report(session, actor, task_id(db, "unit-21548"), Proposed(percent=90), today=TODAY)


@pytest.mark.parametrize("proposed, evidence, status", [
    (Proposed(percent=120), None, 400),
    (Proposed(percent=20), None, 400),  # backwards without a note
    (Proposed(percent=100, status="hoan_thanh", done_on=(TODAY + timedelta(days=1)).isoformat()), None, 400),
    (Proposed(percent=50), b"MZ" + b"\x00" * 100, 415),
    (Proposed(percent=50), PDF + b"\x00" * (5 * 1024 * 1024), 413),
])
def test_a_bad_report_changes_nothing(db, proposed, evidence, status):
    mine = task_id(db, "unit-21548")
    with pytest.raises(UpdateRefused) as refused:
        with db.session() as session:
            updates.report(session, db.reporter, mine, proposed, evidence=evidence, evidence_name="x.pdf", today=TODAY)
    assert refused.value.http_status == status
    assert count(db, TaskUpdate) == 0 and count(db, TaskEvidence) == 0


def test_returned_update_and_rules_of_review(db):
    mine = task_id(db, "unit-21548")
    with db.session() as session:
        first = updates.report(session, db.reporter, mine, Proposed(percent=60), today=TODAY).id
    with db.session() as session:
        with pytest.raises(Forbidden):  # a reporter does not review
            updates.review(session, db.reporter, first, "accept", None, today=TODAY)
        operator = updates.Actor("ioc-op", "operator")
        with pytest.raises(UpdateRefused):
            updates.review(session, operator, first, "return", "", today=TODAY)  # needs a comment
    with db.session() as session:
        updates.review(session, updates.Actor("ioc-op", "operator"), first, "return", "Thiếu minh chứng", today=TODAY)
    with db.session() as session:
        timeline = views.task_timeline(session, "reporter", db.reporter.user_id, mine, TODAY)
        assert timeline["reported_percent"] == 40  # a returned update no longer counts as reported
        assert timeline["returned_comment"] == "Thiếu minh chứng"
        # the next report starts from the figures that stand, not from the returned one
        again = updates.report(session, db.reporter, mine, Proposed(percent=55), today=TODAY)
        assert again.old_percent == 40


def test_nothing_changed_confirmation_is_stored_and_needs_no_review(db):
    mine = task_id(db, "unit-21548")
    with db.session() as session:
        rows = updates.confirm_no_change(session, db.reporter, [mine], today=TODAY)
        assert [(r.kind, r.review_state, r.new_percent) for r in rows] == [("no_change", "accepted", 40)]
    with db.session() as session:
        assert views.my_tasks(session, db.reporter.user_id, TODAY)["tasks"][0]["confirmed_this_week"]
        assert views.review_queue(session) == []


def test_leadership_reads_accepted_figures_unless_asked_for_the_reported_ones(db):
    mine = task_id(db, "unit-21548")
    with db.session() as session:
        updates.report(session, db.reporter, mine, Proposed(percent=90), today=TODAY)
    with db.session() as session:
        accepted = {a["id"]: a for a in plan_views.progress_api(session, TODAY)["agencies"]}
        reported = {a["id"]: a for a in plan_views.progress_api(session, TODAY, view="reported")["agencies"]}
        assert accepted["unit-21548"]["percent_done"] == 40 and reported["unit-21548"]["percent_done"] == 90
        assert accepted["unit-21028"]["percent_done"] == reported["unit-21028"]["percent_done"] == 40
        assert plan_views.progress_api(session, TODAY, view="nonsense")["view"] == "accepted"


def test_freshness_per_agency_and_the_silent_flag(db):
    from datetime import datetime, timezone

    mine = task_id(db, "unit-21548")
    with db.session() as session:
        updates.report(session, db.reporter, mine, Proposed(percent=50), today=TODAY,
                       now=datetime(2026, 11, 10, 3, 0, tzinfo=timezone.utc))  # 22 days before TODAY
    with db.session() as session:
        body = plan_views.progress_api(session, TODAY, silent_days=14)
        rows = {a["id"]: a for a in body["agencies"]}
        assert (rows["unit-21548"]["last_report"], rows["unit-21548"]["freshness"]) == ("2026-11-10", "silent")
        assert rows["unit-21028"]["freshness"] == "silent" and rows["unit-21028"]["last_report"] is None
        assert plan_views.progress_api(session, TODAY, silent_days=30)["agencies"] and \
            {a["id"]: a for a in plan_views.progress_api(session, TODAY, silent_days=30)["agencies"]}["unit-21548"]["freshness"] == "stale"
        updates.confirm_no_change(session, db.reporter, [mine], today=TODAY)
    with db.session() as session:
        rows = {a["id"]: a for a in plan_views.progress_api(session, TODAY)["agencies"]}
        assert rows["unit-21548"]["freshness"] == "fresh"  # a "nothing changed" is a report: silence is told apart
        assert plan_views.progress_api(session, TODAY)["freshness"] == {"fresh": 1, "stale": 0, "silent": 2}


def test_demo_reporters_show_fresh_stale_and_silent_agencies(any_db):
    from dashboard.demo import reporters as demo_reporters
    from dashboard.demo.plans import load_demo_plans

    units = UNITS + [AdminUnit(str(21600 + i), f"Xã Demo {i}", f"Demo {i}", "commune", 15.0, 108.5) for i in range(20)]
    with any_db.session() as session:
        apply_catalog(session, parse_catalog(CATALOG), units=units)
        assert load_demo_plans(session, TODAY)
        assert demo_reporters.load_demo_reports(session, TODAY)
        assert not demo_reporters.load_demo_reports(session, TODAY)  # once
    names, password = demo_reporters.prepare(any_db, env={"IOC_DEMO_REPORTER_PASSWORD": "a-long-demo-pass-Xk9"})
    assert "demo-xa-1" in names and "demo-vnpt" in names and password == "a-long-demo-pass-Xk9"
    with any_db.session() as session:
        spread = plan_views.progress_api(session, TODAY)["freshness"]
        assert spread["fresh"] and spread["stale"] and spread["silent"], spread
        assert views.review_queue(session)  # fresh agencies' reports wait for review, with a PDF
        pending = views.review_queue(session)[0]
        content, name, mime = views.evidence_file(session, "viewer", None, pending["id"])
        assert content.startswith(b"%PDF-") and mime == "application/pdf"
        user = users.find(session, "demo-xa-1")
        mine = views.my_tasks(session, user.id, TODAY)
        assert mine["tasks"] and {t["agency_id"] for t in mine["tasks"]} == set(mine["scope"]["agencies"])
        rows = {a["id"]: a["freshness"] for a in plan_views.progress_api(session, TODAY)["agencies"]}
        assert rows[mine["scope"]["agencies"][0]] == "fresh"
