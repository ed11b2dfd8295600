"""The weekly reminder to agencies' reporters: each reporter with an e-mail address gets, once
a week, the list of their tasks due in the next 14 days and the overdue ones, with a link to
/my. Stored first (a NotificationLog row per reporter and week: the key deduplicates, however
often the job runs and however many collectors took over meanwhile), then sent by the shared
delivery (dashboard.alerts.notify: retries, backoff, the per-minute rate limit) to that one
address, through an Apprise mail URL (IOC_REMINDER_MAIL_URL, e.g.
"mailtos://ioc:secret@smtp.quangngai.gov.vn?from=ioc@quangngai.gov.vn"; the recipient is added
as its "to")."""
from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from urllib.parse import quote

from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
# the shared outbox: its dedup-by-key insert, its Apprise sender
from dashboard.alerts.notify import AppriseSender, _add
from dashboard.i18n import VN_TZ
from dashboard.plans.template import STATUSES
from dashboard.readmodels import reporting as views
from dashboard.store.models import NotificationLog

SEND_WEEKDAY = 0  # Monday
SEND_HOUR = 8  # local time: the reminder waits for the working day
MAX_TASKS_LISTED = 30


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def due_this_week(now: datetime) -> date | None:
    """The week whose reminder is due at `now` (Monday 08:00 local time or later that week)."""
    local = now.astimezone(VN_TZ)
    start = week_start(local.date())
    if local < datetime.combine(start + timedelta(days=SEND_WEEKDAY), time(SEND_HOUR), VN_TZ):
        return None
    return start


def reminder_text(reporter: dict, week: date, base_url: str) -> tuple[str, str]:
    """(title, body) in Vietnamese first, English second."""
    title = f"[INFO] Nhắc báo cáo tiến độ tuần {week.strftime('%d/%m/%Y')} / weekly progress reminder"
    lines = [f"Kính gửi {reporter['username']},", "",
             f"Các nhiệm vụ đến hạn trong {reporter['horizon_days']} ngày tới và nhiệm vụ quá hạn của đơn vị "
             f"(tasks due in the next {reporter['horizon_days']} days, and overdue):"]
    tasks = reporter["tasks"]
    for task in tasks[:MAX_TASKS_LISTED]:
        due = date.fromisoformat(task["due"]).strftime("%d/%m/%Y")
        state = "QUÁ HẠN / overdue" if task["overdue"] else f"hạn / due {due}"
        status = STATUSES.get(task["reported_status"], (task["reported_status"],))[0]
        lines.append(f"- {task['title']} ({task['agency_vi']}): {state}; {task['reported_percent']:g}% — {status}")
    if len(tasks) > MAX_TASKS_LISTED:
        lines.append(f"… và {len(tasks) - MAX_TASKS_LISTED} nhiệm vụ khác (and more)")
    if not tasks:
        lines.append("- Không có nhiệm vụ nào đến hạn (no task due).")
    lines += ["", "Cập nhật tiến độ, hoặc xác nhận “Tuần này không có thay đổi”, tại / update or confirm at:",
              f"{base_url.rstrip('/')}/my", "", "Trung tâm Giám sát, điều hành thông minh tỉnh Quảng Ngãi (IOC)"]
    return title[:500], "\n".join(lines)


def queue_weekly_reminders(session: Session, now: datetime | None = None, base_url: str | None = None) -> int:
    """Store this week's reminder for every reporter with an e-mail address (once per reporter
    and week). Returns how many were stored now."""
    now = now or utcnow()
    week = due_this_week(now)
    if week is None:
        return 0
    base_url = base_url or os.environ.get("IOC_PUBLIC_URL") or "http://127.0.0.1:8050"
    queued = 0
    for reporter in views.reporters_due(session, now.astimezone(VN_TZ).date()):
        if not reporter["email"]:
            continue
        title, body = reminder_text(reporter, week, base_url)
        row = NotificationLog(key=f"reminder:{reporter['user_id']}:{week.isoformat()}", kind="reminder",
                              subject=reporter["username"][:130], title=title, body=body, created_at=now,
                              state="pending", next_attempt_at=now, recipient=reporter["email"])
        queued += _add(session, row)
    return queued


def mail_sender_factory(mail_url: str | None = None):
    """A function address -> sender for the reminders, or None when no mail URL is set (the
    rows are then kept as 'suppressed', visible to admins, never lost silently)."""
    mail_url = mail_url if mail_url is not None else (os.environ.get("IOC_REMINDER_MAIL_URL") or "").strip()
    if not mail_url:
        return None
    cache: dict[str, AppriseSender] = {}

    def sender_for(address: str) -> AppriseSender:
        if address not in cache:
            joiner = "&" if "?" in mail_url else "?"
            cache[address] = AppriseSender([f"{mail_url}{joiner}to={quote(address, safe='@')}"])
        return cache[address]

    return sender_for
