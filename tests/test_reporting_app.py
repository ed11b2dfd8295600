"""Agencies' own reports through the real app (demo mode, its generated plans): a commune
reporter updates a task with a PDF and sees it pending, an operator accepts it, /api/progress
reflects it, and the same reporter is refused (403, audited) on another commune's task."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import PROJECT_DIR, start_app, stop_app

PASSWORD = "Xk9!long-enough-pass-phrase"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    running = start_app(tmp_path_factory.mktemp("reporting"))
    yield running
    stop_app(running)


def cli(app, *argv, stdin=PASSWORD + "\n"):
    data_dir = app.log_path.parent / f"data-{app.url.rsplit(':', 1)[1]}"
    return subprocess.run([sys.executable, "app.py", *argv, "--data-dir", str(data_dir)], cwd=PROJECT_DIR,
                          input=stdin, text=True, capture_output=True)


@pytest.fixture(scope="module")
def communes(app):
    units = [u for u in app.get("/api/units").json()["units"] if u["kind"] in ("commune", "ward", "special_zone")]
    return units[0]["id"], units[1]["id"]


@pytest.fixture(scope="module")
def reporter(app, communes):
    done = cli(app, "user", "create", "xa-a", "--role", "reporter", "--agency", communes[0])
    assert done.returncode == 0, done.stderr
    assert cli(app, "user", "create", "ioc-op", "--role", "operator").returncode == 0
    return app.login("xa-a", PASSWORD)


def agency_percent(app, agency_id):
    return next(a["percent_done"] for a in app.get("/api/progress").json()["agencies"] if a["id"] == agency_id)


def test_done_when(app, communes, reporter):
    mine = reporter.get(app.url + "/api/my/tasks", timeout=10).json()
    assert mine["scope"]["agencies"] == [communes[0]]
    assert mine["tasks"] and {t["agency_id"] for t in mine["tasks"]} == {communes[0]}
    task = next(t for t in mine["tasks"] if t["reported_status"] != "hoan_thanh")
    before = agency_percent(app, communes[0])
    new_percent = min(100, task["reported_percent"] + 15) if task["reported_percent"] < 100 else 100

    # a commune reporter updates a task with a PDF and sees it pending
    answer = reporter.post(app.url + f"/api/tasks/{task['id']}/updates", timeout=10,
                           data={"percent": str(new_percent), "status": "dang_thuc_hien", "note": "Đã kết nối thử nghiệm"},
                           files={"evidence": ("bien-ban.pdf", PDF, "application/pdf")})
    assert answer.status_code == 201, answer.text
    update = answer.json()["update"]
    assert update["review_state"] == "pending" and update["evidence"]["type"] == "pdf"
    timeline = reporter.get(app.url + f"/api/tasks/{task['id']}/updates", timeout=10).json()["task"]
    assert timeline["updates"][0]["id"] == update["id"] and timeline["reported_state"] == "pending"
    assert agency_percent(app, communes[0]) == before  # leadership sees accepted figures only

    # the evidence comes back as a download
    file = reporter.get(app.url + update["evidence"]["href"], timeout=10)
    assert file.status_code == 200 and file.content == PDF
    assert file.headers["Content-Disposition"].startswith("attachment;")
    assert file.headers["Content-Type"] == "application/pdf"

    # a reporter may not review; an operator accepts
    assert reporter.post(app.url + f"/api/task-updates/{update['id']}/review", json={"decision": "accept"},
                         timeout=10).status_code == 403
    operator = app.login("ioc-op", PASSWORD)
    accepted = operator.post(app.url + f"/api/task-updates/{update['id']}/review",
                             json={"decision": "accept", "comment": "Khớp biên bản"}, timeout=10)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["update"]["review_state"] == "accepted"
    assert agency_percent(app, communes[0]) > before  # /api/progress reflects it

    # the same reporter on another commune's task: 403, audited, nothing written
    other = _a_task_of(app, communes[1])
    refused = reporter.post(app.url + f"/api/tasks/{other}/updates", json={"percent": 99, "note": "x"}, timeout=10)
    assert refused.status_code == 403 and refused.json()["code"] == "out_of_scope"
    assert reporter.get(app.url + f"/api/tasks/{other}/updates", timeout=10).status_code == 403
    assert [u for u in app.get(f"/api/tasks/{other}/updates").json()["task"]["updates"] if u["author"] == "xa-a"] == []
    denied = audit_entries(app, "task.update.denied")
    assert (("xa-a", f"task:{other}")) in denied
    assert (("xa-a", f"task:{other}")) in audit_entries(app, "task.read.denied")


def audit_entries(app, action):
    from sqlalchemy import select

    from dashboard.store.database import Database
    from dashboard.store.models import AuditEntry

    data_dir = app.log_path.parent / f"data-{app.url.rsplit(':', 1)[1]}"
    db = Database(f"sqlite:///{data_dir / 'ioc.db'}")
    try:
        with db.session() as session:
            return [(e.actor, e.target) for e in session.scalars(select(AuditEntry).where(AuditEntry.action == action))]
    finally:
        db.dispose()


def _a_task_of(app, agency_id, reported_by=None):
    """A task id of an agency (as the admin sees it), or, with `reported_by`, the first update
    by that user on any of the agency's tasks (None when there is none)."""
    queue = app.get("/api/task-updates").json()["pending"]
    if reported_by:
        return next((u for u in queue if u["agency_id"] == agency_id and u["author"] == reported_by), None)
    done = cli(app, "user", "create", f"probe-{agency_id}", "--role", "reporter", "--agency", agency_id)
    assert done.returncode == 0 or "exists" in done.stderr
    probe = app.login(f"probe-{agency_id}", PASSWORD)
    return probe.get(app.url + "/api/my/tasks", timeout=10).json()["tasks"][0]["id"]


def test_the_evidence_file_name_is_kept_safe(app, reporter):
    task = reporter.get(app.url + "/api/my/tasks", timeout=10).json()["tasks"][-1]
    answer = reporter.post(app.url + f"/api/tasks/{task['id']}/updates", timeout=10, data={"note": "Biên bản họp"},
                           files={"evidence": ('../bien "ban" họp.pdf', PDF, "application/pdf")})
    assert answer.status_code == 201, answer.text
    file = reporter.get(app.url + answer.json()["update"]["evidence"]["href"], timeout=10)
    disposition = file.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and "/" not in disposition.split(";")[1]
    assert "filename*=UTF-8''" in disposition


@pytest.mark.parametrize("body, files, status, code", [
    ({"percent": "150"}, None, 400, "percent_range"),
    ({"percent": "5"}, None, 400, "backwards_needs_note"),
    ({"percent": "100", "status": "hoan_thanh", "done_on": "2999-01-01"}, None, 400, "done_in_future"),
    ({"percent": "60", "note": "x" * 2001}, None, 400, "note_too_long"),
    ({"percent": "60"}, {"evidence": ("bien-ban.pdf", b"MZ\x90\x00" + bytes(200), "application/pdf")}, 415, "file_type"),
    ({"percent": "60"}, {"evidence": ("anh.pdf", b"\x89PNG\r\n\x1a\n" + bytes(40), "application/pdf")}, 415, "file_lies"),
    ({"percent": "60"}, {"evidence": ("big.pdf", PDF + bytes(6 * 1024 * 1024), "application/pdf")}, 413, "file_too_large"),
])
def test_bad_reports_get_clear_json_errors_and_change_nothing(app, reporter, body, files, status, code):
    task = next(t for t in reporter.get(app.url + "/api/my/tasks", timeout=10).json()["tasks"] if t["reported_percent"] >= 10
                and t["reported_status"] != "hoan_thanh")
    before = reporter.get(app.url + f"/api/tasks/{task['id']}/updates", timeout=10).json()["task"]["updates"]
    answer = reporter.post(app.url + f"/api/tasks/{task['id']}/updates", data=body, files=files, timeout=30)
    assert answer.status_code == status, answer.text[:300]
    assert answer.json()["code"] == code and answer.json()["error_vi"]
    after = reporter.get(app.url + f"/api/tasks/{task['id']}/updates", timeout=10).json()["task"]["updates"]
    assert after == before


def test_unknown_task_and_update_are_404(app, reporter):
    assert reporter.post(app.url + "/api/tasks/99999999/updates", json={"percent": 5}, timeout=10).status_code == 404
    assert app.post("/api/task-updates/99999999/review", json={"decision": "accept"}).status_code == 404
    assert reporter.get(app.url + "/api/task-updates/99999999/evidence", timeout=10).status_code == 404


def test_a_reporter_token_reports_and_reads_nothing_else(app, reporter):
    made = cli(app, "token", "create", "dien-thoai", "--kind", "reporter", "--user", "xa-a")
    assert made.returncode == 0, made.stderr
    secret = next(word for word in made.stdout.split() if word.startswith("rep_"))
    import requests

    headers = {"Authorization": f"Bearer {secret}"}
    tasks = requests.get(app.url + "/api/my/tasks", headers=headers, timeout=10)
    assert tasks.status_code == 200 and tasks.json()["tasks"]
    task = tasks.json()["tasks"][-1]
    confirmed = requests.post(app.url + f"/api/tasks/{task['id']}/updates", json={"kind": "no_change"}, headers=headers, timeout=10)
    assert confirmed.status_code == 201 and confirmed.json()["update"]["kind"] == "no_change"
    assert requests.get(app.url + "/api/systems", headers=headers, timeout=10).status_code == 403
    assert requests.get(app.url + "/my", headers=headers, timeout=10, allow_redirects=False).status_code in (302, 403)


def test_reporter_pages_and_the_rest(app, reporter):
    assert reporter.get(app.url + "/my", timeout=10).status_code == 200
    assert reporter.get(app.url + "/progress", timeout=10).status_code == 200
    for path in ("/", "/systems", "/wall", "/security", "/coverage", "/admin/audit"):
        assert reporter.get(app.url + path, timeout=10, allow_redirects=False).status_code == 403, path
    assert reporter.get(app.url + "/api/systems", timeout=10).status_code == 403
