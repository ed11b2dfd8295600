"""Demo reporters ("Dữ liệu trình diễn / demo data"): a few focal-point accounts for communes,
departments and a partner enterprise, and a realistic spread of reports across every agency —
fresh (reported this week, some waiting for review, one returned), stale (a fortnight ago)
and silent (a month ago, or never) — so that /my, the review queue and the freshness view on
/progress are alive in the demo. Deterministic (seeded); the reports are loaded once."""
from __future__ import annotations

import hashlib
import os
import random
import secrets
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from dashboard.auth import users
from dashboard.auth.passwords import hash_password
from dashboard.i18n import VN_TZ
from dashboard.plans.template import DONE
from dashboard.store.models import Agency, Plan, TaskEvidence, TaskUpdate

# account, its scope (agency ids, or a commune's official code), the spread it shows
REPORTERS = (
    ("demo-xa-1", "commune:0", "fresh"),
    ("demo-xa-2", "commune:1", "stale"),
    ("demo-xa-3", "commune:2", "silent"),
    ("demo-so-1", "department:0", "fresh"),
    ("demo-vnpt", "partner:VNPT", None),
)
SPREAD = (("fresh", 0.45), ("stale", 0.25), ("silent", 0.20), ("never", 0.10))
REVIEWER = "demo-admin"
NOTES = (
    "Đã hoàn thành rà soát, gửi biên bản kèm theo.",
    "Đang phối hợp doanh nghiệp đồng hành kiểm thử kết nối.",
    "Đã nâng cấp phiên bản, chờ nghiệm thu.",
    "Đã họp triển khai với các phòng chuyên môn.",
)


def demo_pdf(title: str) -> bytes:
    """A small valid PDF standing for a scanned record (biên bản)."""
    text = title.encode("ascii", "replace")
    stream = b"BT /F1 12 Tf 40 780 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def _scope(session: Session, spec: str) -> tuple[list[str], list[str]]:
    kind, _, value = spec.partition(":")
    if kind == "partner":
        return [], [value]
    kinds = ("commune", "ward", "special_zone") if kind == "commune" else ("department",)
    ids = session.scalars(select(Agency.id).join(Plan, Plan.agency_id == Agency.id).where(Agency.kind.in_(kinds))
                          .order_by(Agency.id)).all()
    return ([ids[int(value)]] if len(ids) > int(value) else []), []


def prepare(db, env=None) -> tuple[list[str], str]:
    """The demo reporters' accounts with one password for all (IOC_DEMO_REPORTER_PASSWORD, or
    generated at each start). Returns (names, password)."""
    env = os.environ if env is None else env
    password = env.get("IOC_DEMO_REPORTER_PASSWORD") or secrets.token_urlsafe(12)
    names = []
    with db.session() as session:
        for name, spec, _ in REPORTERS:
            agencies, partners = _scope(session, spec)
            if not agencies and not partners:
                continue
            user = users.find(session, name)
            if user is None:
                user = users.create_user(session, name, "reporter", None, actor="demo", agencies=agencies, partners=partners,
                                         email=f"{name}@demo.quangngai.gov.vn")
            user.password_hash = hash_password(password)
            user.active = True
            user.auth_version += 1
            names.append(name)
    return names, password


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 16), rng.randint(0, 59)), VN_TZ)


def load_demo_reports(session: Session, today: date, seed: int = 2026) -> bool:
    """Reports for every agency with a plan, spread fresh / stale / silent / never; the demo
    reporters' own agencies get the spread their name promises. Loaded once."""
    if session.scalar(select(func.count()).select_from(TaskUpdate)):
        return False
    rng = random.Random(seed)
    forced: dict[str, str] = {}
    for name, spec, spread in REPORTERS:
        agencies, _ = _scope(session, spec)
        for agency in agencies:
            if spread:
                forced[agency] = spread
    plans = session.scalars(select(Plan).options(selectinload(Plan.tasks)).order_by(Plan.agency_id)).all()
    returned_once = False
    for plan in plans:
        bucket = forced.get(plan.agency_id) or rng.choices([b for b, _ in SPREAD], [w for _, w in SPREAD])[0]
        if bucket == "never" or not plan.tasks:
            continue
        author = next((n for n, spec, _ in REPORTERS if plan.agency_id in _scope(session, spec)[0]), f"dau-moi-{plan.agency_id}")
        last_day = today - timedelta(days={"fresh": rng.randint(0, 6), "stale": rng.randint(8, 13),
                                           "silent": rng.randint(16, 40)}[bucket])
        tasks = sorted(plan.tasks, key=lambda t: t.due_date)
        # an older accepted report on the first tasks: how the accepted figures came to be
        for task in tasks[:2]:
            if task.percent <= 0:
                continue
            day = last_day - timedelta(days=rng.randint(7, 20))
            at = _at(day, rng)
            session.add(TaskUpdate(
                task_id=task.id, agency_id=plan.agency_id, kind="update", at=at, author=author,
                old_percent=max(0.0, task.percent - 20), new_percent=task.percent, old_status="dang_thuc_hien",
                new_status=task.status, done_on=day if task.status == DONE else None, note=rng.choice(NOTES),
                review_state="accepted", reviewed_at=at + timedelta(hours=20), reviewed_by=REVIEWER, review_comment=None))
        open_tasks = [t for t in tasks if t.status != DONE and t.percent < 100]
        if not open_tasks:
            continue
        task = open_tasks[0]
        at = _at(last_day, rng)
        new = min(95.0, task.percent + rng.choice((10, 15, 20)))
        pending = bucket == "fresh"
        row = TaskUpdate(task_id=task.id, agency_id=plan.agency_id, kind="update", at=at, author=author,
                         old_percent=task.percent, new_percent=new, old_status=task.status, new_status="dang_thuc_hien",
                         note=rng.choice(NOTES), review_state="pending" if pending else "accepted",
                         evidence_name="bien-ban-kiem-tra.pdf" if pending else None, evidence_type="pdf" if pending else None)
        if not pending:
            row.reviewed_at, row.reviewed_by = at + timedelta(days=1), REVIEWER
            task.percent = new
            task.status = "dang_thuc_hien"
        elif not returned_once and len(open_tasks) > 1:
            # one report sent back, so the reporter's page shows what a return looks like
            returned_once = True
            back = open_tasks[1]
            session.add(TaskUpdate(task_id=back.id, agency_id=plan.agency_id, kind="update", at=at - timedelta(days=2),
                                   author=author, old_percent=back.percent, new_percent=100.0, old_status=back.status,
                                   new_status=DONE, done_on=last_day - timedelta(days=2), note="Đã xong.",
                                   review_state="returned", reviewed_at=at - timedelta(days=1), reviewed_by=REVIEWER,
                                   review_comment="Chưa có biên bản nghiệm thu; đề nghị bổ sung minh chứng."))
        session.add(row)
        session.flush()
        if pending:
            content = demo_pdf(f"Bien ban kiem tra - {plan.agency_id} - du lieu trinh dien")
            row.evidence_size = len(content)
            session.add(TaskEvidence(update_id=row.id, content=content, sha256=hashlib.sha256(content).hexdigest()))
        if bucket == "fresh" and len(open_tasks) > 2:
            # and a "nothing changed this week" on a task without progress
            quiet = open_tasks[2]
            session.add(TaskUpdate(task_id=quiet.id, agency_id=plan.agency_id, kind="no_change", at=at, author=author,
                                   old_percent=quiet.percent, new_percent=quiet.percent, old_status=quiet.status,
                                   new_status=quiet.status, review_state="accepted"))
    session.flush()
    return True
