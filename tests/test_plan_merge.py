"""The plan import merges by stable task code: a preview says what is new, changed, unchanged
and missing; a task with reported updates is never deleted unless asked."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dashboard.plans import store, template, updates
from dashboard.plans.importer import parse_plan_file
from dashboard.plans.reporting import Proposed
from dashboard.readmodels import plans as plan_views
from dashboard.store.models import Task, TaskUpdate
from tests.test_reporting_db import TODAY, db, row  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("db")


def coded(agency, title, code, percent=40, **extra):
    values = row(agency, title, percent)
    values["code"] = code
    values.update(extra)
    return values


def preview(db, rows):
    import base64

    contents = "data:text/csv;base64," + base64.b64encode(template.build_csv(rows)).decode()
    with db.session() as session:
        return store.preview_merge(session, "plan.csv", contents), contents


def tasks_of(db, agency):
    with db.session() as session:
        return {t.code: (t.title, t.percent) for t in session.scalars(select(Task).join(Task.plan)) if t.plan.agency_id == agency}


def test_the_first_import_gives_every_task_a_code_and_export_carries_it(db):
    codes = tasks_of(db, "unit-21548")
    assert list(codes) == ["unit-21548-01"]
    with db.session() as session:
        exported = plan_views.export_rows(session)
        assert {r["code"] for r in exported} == {"unit-21548-01", "unit-21028-01", "skhcn-01"}


def test_preview_says_new_changed_unchanged_missing_and_writes_nothing(db):
    (report, diff), _ = preview(db, [
        coded("21548", "Kết nối LGSP (đổi tên)", "unit-21548-01", 55),  # changed: title and percent, matched by code
        coded("21548", "Đánh giá ATTT", ""),  # new
        coded("21028", "Kết nối LGSP", "unit-21028-01"),  # unchanged
        coded("skhcn", "Việc mới của Sở", "skhcn-99"),  # new, with the code it names; skhcn-01 is missing
    ])
    assert report.ok, [(p.row, p.message("en")) for p in report.problems]
    assert diff.counts() == {"new": 2, "changed": 1, "unchanged": 1, "missing": 1, "missing_reported": 0}
    changed = next(i for i in diff.items if i.kind == "changed")
    assert changed.fields == ("title", "percent")
    assert tasks_of(db, "unit-21548") == {"unit-21548-01": ("Kết nối LGSP", 40.0)}  # nothing written


def test_merge_keeps_the_task_and_its_history_and_never_deletes_a_reported_task_unless_asked(db):
    mine = next(iter(tasks_of(db, "unit-21548")))
    with db.session() as session:
        task = session.scalar(select(Task).where(Task.code == mine))
        updates.report(session, db.reporter, task.id, Proposed(percent=60), today=TODAY)
        task_id = task.id
    # the next file drops that task and adds another: the reported task stays
    (report, diff), contents = preview(db, [coded("21548", "Đánh giá ATTT", "")])
    assert diff.counts()["missing_reported"] == 1
    with db.session() as session:
        _, counts = store.import_upload(session, "plan.csv", contents, TODAY)
    assert (counts["new"], counts["deleted"], counts["kept"]) == (1, 0, 1)
    assert set(tasks_of(db, "unit-21548")) == {mine, "unit-21548-02"}
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(TaskUpdate).where(TaskUpdate.task_id == task_id)) == 1
        _, counts = store.import_upload(session, "plan.csv", contents, TODAY, delete_reported=True)  # asked explicitly
    assert counts["deleted"] == 1 and set(tasks_of(db, "unit-21548")) == {"unit-21548-02"}
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(TaskUpdate)) == 0


def test_a_changed_row_keeps_the_task_id(db):
    with db.session() as session:
        before = session.scalar(select(Task.id).where(Task.code == "skhcn-01"))
    (report, _), contents = preview(db, [coded("skhcn", "Nâng cấp QLVB", "skhcn-01", 95, due=TODAY + timedelta(days=40))])
    with db.session() as session:
        store.import_upload(session, "plan.csv", contents, TODAY)
    with db.session() as session:
        task = session.scalar(select(Task).where(Task.code == "skhcn-01"))
        assert (task.id, task.percent, task.due_date) == (before, 95, TODAY + timedelta(days=40))


@pytest.mark.parametrize("rows, code", [
    ([coded("21548", "Kết nối LGSP", "unit-21028-01")], "code_other_agency"),  # another commune's task
    ([coded("21548", "A", "x-1"), coded("21548", "B", "X-1")], "duplicate_code"),
    ([coded("21548", "A", "mã có dấu")], "bad_task_code"),
])
def test_bad_codes_are_refused_and_nothing_is_imported(db, rows, code):
    (report, _), contents = preview(db, rows)
    assert not report.ok and [p.code for p in report.problems] == [code]
    assert report.problems[0].message("vi") != f"plans.err.{code}"
    with db.session() as session:
        _, counts = store.import_upload(session, "plan.csv", contents, TODAY)
    assert counts is None and tasks_of(db, "unit-21548") == {"unit-21548-01": ("Kết nối LGSP", 40.0)}
