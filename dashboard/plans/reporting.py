"""Pure rules for an agency's report on one of its tasks: what a valid update is, what type
an evidence file really is, how fresh an agency's reporting is. No database, no web.

Every rule refuses with a `Refusal` naming the field, a code (an i18n key suffix:
`rep.err.<code>`) and the HTTP status the API answers with (400 bad field, 413 file too large,
415 file type), so that the page and the API say the same thing.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import filetype

from dashboard.domain.limits import limit_of
from dashboard.i18n import t
from dashboard.plans.template import DONE, STATUSES

NOTE_LIMIT = limit_of("task_update.note")
REVIEW_COMMENT_LIMIT = limit_of("task_update.review_comment")
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024  # a scanned decision or a few screenshots; not a video
URL_LIMIT = 2048
FILENAME_LIMIT = 255
# The evidence types taken, by what the content is (never by the name or the browser's claim).
EVIDENCE_TYPES = {
    "pdf": ("application/pdf", (".pdf",)),
    "png": ("image/png", (".png",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
}
_SNIFFED = {"pdf": "pdf", "png": "png", "jpg": "jpeg", "docx": "docx"}
# Forward order of statuses; "on hold" stands where work stands still.
STATUS_RANK = {"chua_bat_dau": 0, "tam_dung": 1, "dang_thuc_hien": 1, DONE: 2}
FRESH_DAYS = 7
SILENT_DAYS_DEFAULT = 14
KINDS = ("update", "no_change")
REVIEW_STATES = ("pending", "accepted", "returned")
REVIEW_DECISIONS = ("accept", "return")


@dataclass(frozen=True)
class Refusal:
    field: str
    code: str
    http_status: int = 400
    params: tuple[tuple[str, object], ...] = ()

    def message(self, lang: str = "vi") -> str:
        return t(f"rep.err.{self.code}", lang, **dict(self.params))

    def as_json(self) -> dict:
        return {"error": self.message("en"), "error_vi": self.message("vi"), "field": self.field, "code": self.code}


class UpdateRefused(ValueError):
    """An update (or a review) that breaks a rule: nothing was changed."""

    def __init__(self, refusals: list[Refusal]):
        self.refusals = refusals
        super().__init__("; ".join(r.message("en") for r in refusals))

    @property
    def http_status(self) -> int:
        # the most specific status: a file problem says so (413/415), else a bad field (400)
        return max(r.http_status for r in self.refusals)

    def message(self, lang: str = "vi") -> str:
        return " ".join(r.message(lang) for r in self.refusals)


@dataclass(frozen=True)
class Evidence:
    kind: str  # pdf | png | jpeg | docx
    mime: str
    size: int
    name: str


@dataclass(frozen=True)
class Proposed:
    """What a person sends: raw values as they arrived (the rules parse them)."""

    percent: object = None
    status: object = None
    note: object = None
    done_on: object = None  # "YYYY-MM-DD" or "dd/mm/yyyy"; the day the task was finished
    evidence_url: object = None
    kind: str = "update"


@dataclass(frozen=True)
class CheckedUpdate:
    kind: str
    percent: float
    status: str
    note: str | None
    done_on: date | None
    evidence_url: str | None
    refusals: list[Refusal] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refusals


def _bad(field_name: str, code: str, status: int = 400, **params) -> Refusal:
    return Refusal(field_name, code, status, tuple(params.items()))


def parse_percent(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip().rstrip("%").strip().replace(",", ".")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def parse_day(value: object) -> date | None:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for pattern in (r"^(\d{4})-(\d{2})-(\d{2})$", r"^(\d{1,2})/(\d{1,2})/(\d{4})$"):
        match = re.match(pattern, text)
        if match:
            parts = [int(p) for p in match.groups()]
            year, month, day = parts if pattern.startswith("^(\\d{4})") else (parts[2], parts[1], parts[0])
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


def check_update(current_percent: float, current_status: str, proposed: Proposed, today: date,
                 has_file: bool = False) -> CheckedUpdate:
    """Judge a report against the task as it stands (its latest reported values). Rules:
    percent a number from 0 to 100; a known status; "done" means 100 % and its date is not in
    the future; going backwards (a lower status, a lower percent) needs a note saying why; the
    note has a length limit; a link is http(s); an update must change something (else it is a
    "nothing changed this week" confirmation, kind no_change, which keeps the values)."""
    refusals: list[Refusal] = []
    kind = proposed.kind if proposed.kind in KINDS else None
    if kind is None:
        refusals.append(_bad("kind", "bad_kind", known=", ".join(KINDS)))
        kind = "update"
    note = proposed.note
    if note is not None and not isinstance(note, str):
        refusals.append(_bad("note", "not_text"))
        note = None
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_LIMIT:
        refusals.append(_bad("note", "note_too_long", limit=f"{NOTE_LIMIT:,}".replace(",", "."), length=len(note)))
    url = proposed.evidence_url
    if url is not None and not isinstance(url, str):
        refusals.append(_bad("evidence_url", "not_text"))
        url = None
    url = (url or "").strip() or None
    if url is not None and (len(url) > URL_LIMIT or not re.match(r"^https?://[^\s/]+\S*$", url, re.IGNORECASE)):
        refusals.append(_bad("evidence_url", "bad_url", limit=URL_LIMIT))
    if kind == "no_change":
        return CheckedUpdate(kind, current_percent, current_status, note, None, url, refusals)

    percent = parse_percent(proposed.percent) if proposed.percent is not None else current_percent
    if percent is None:
        refusals.append(_bad("percent", "percent_not_number", value=str(proposed.percent)[:20]))
    elif not 0 <= percent <= 100:
        refusals.append(_bad("percent", "percent_range", value=f"{percent:g}"))
        percent = None
    status = proposed.status if proposed.status is not None else current_status
    if status not in STATUSES:
        refusals.append(_bad("status", "bad_status", value=str(status)[:40], known=", ".join(STATUSES)))
        status = None
    done_on = None
    if proposed.done_on not in (None, ""):
        done_on = parse_day(proposed.done_on)
        if done_on is None:
            refusals.append(_bad("done_on", "bad_date", value=str(proposed.done_on)[:20]))
    if status == DONE:
        if percent is not None and percent < 100:
            refusals.append(_bad("percent", "done_not_100", value=f"{percent:g}"))
        if done_on is None and not any(r.field == "done_on" for r in refusals):
            done_on = today
        if done_on is not None and done_on > today:
            refusals.append(_bad("done_on", "done_in_future", day=done_on.strftime("%d/%m/%Y")))
    elif done_on is not None:
        refusals.append(_bad("done_on", "done_on_not_done"))
    if percent is not None and status is not None:
        backwards = STATUS_RANK[status] < STATUS_RANK.get(current_status, 0) or percent < current_percent
        if backwards and note is None:
            refusals.append(_bad("note", "backwards_needs_note", old=f"{current_percent:g}", new=f"{percent:g}"))
        if percent == current_percent and status == current_status and note is None and url is None and not has_file:
            refusals.append(_bad("percent", "nothing_changed"))
    return CheckedUpdate(kind, percent if percent is not None else current_percent, status or current_status,
                         note, done_on if status == DONE else None, url, refusals)


def sniff_evidence(data: bytes, filename: str | None) -> tuple[Evidence | None, list[Refusal]]:
    """The file's real type from its content (filetype reads the magic numbers and, for .docx,
    the zip's parts), its size checked first. A name whose extension names another type than
    the content is refused as well: such a file lies about itself."""
    name = (filename or "").strip().replace("\\", "/").rsplit("/", 1)[-1][:FILENAME_LIMIT] or "minh-chung"
    if len(data) > EVIDENCE_MAX_BYTES:
        return None, [_bad("evidence", "file_too_large", 413, size=f"{len(data) / 1_048_576:.1f}",
                           limit=EVIDENCE_MAX_BYTES // 1_048_576)]
    if not data:
        return None, [_bad("evidence", "file_empty")]
    guessed = filetype.guess(data)
    kind = _SNIFFED.get(guessed.extension) if guessed is not None else None
    if kind is None:
        found = guessed.extension if guessed is not None else "?"
        return None, [_bad("evidence", "file_type", 415, found=found)]
    mime, extensions = EVIDENCE_TYPES[kind]
    dot = name.rfind(".")
    extension = name[dot:].lower() if dot > 0 else ""
    if extension and extension not in extensions:
        return None, [_bad("evidence", "file_lies", 415, extension=extension, found=kind)]
    if not extension:
        name = f"{name}{extensions[0]}"
    return Evidence(kind, mime, len(data), name), []


def check_review(decision: object, comment: object, review_state: str) -> list[Refusal]:
    """Accept or return a pending update; returning needs a comment saying what to fix."""
    refusals: list[Refusal] = []
    if decision not in REVIEW_DECISIONS:
        refusals.append(_bad("decision", "bad_decision", known=", ".join(REVIEW_DECISIONS)))
    if comment is not None and not isinstance(comment, str):
        refusals.append(_bad("comment", "not_text"))
        comment = None
    text = (comment or "").strip()
    if len(text) > REVIEW_COMMENT_LIMIT:
        refusals.append(_bad("comment", "comment_too_long", limit=f"{REVIEW_COMMENT_LIMIT:,}".replace(",", ".")))
    if decision == "return" and not text:
        refusals.append(_bad("comment", "return_needs_comment"))
    if review_state != "pending":
        refusals.append(_bad("decision", "already_reviewed", state=review_state))
    return refusals


def freshness(last_update: date | None, today: date, silent_days: int = SILENT_DAYS_DEFAULT) -> str:
    """fresh: reported in the last FRESH_DAYS days; stale: within `silent_days`; silent: longer
    ago, or never."""
    if last_update is None:
        return "silent"
    age = (today - last_update).days
    if age <= FRESH_DAYS:
        return "fresh"
    return "stale" if age <= silent_days else "silent"


def silent_since(last_update: date | None, today: date) -> int | None:
    return None if last_update is None else max(0, (today - last_update).days)


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())
