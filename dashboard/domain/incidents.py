"""Incidents as a workflow, as pure rules: the state an incident is in, what may happen next,
the limits of what people write, and the response figures (MTTA, MTTR) per incident and per
system per month. Times are aware UTC; months are calendar months in Vietnam time (UTC+7),
because that is the month the province reports on."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from collectors.timeutil import as_utc

VN_TZ = timezone(timedelta(hours=7))

OPEN, ACKNOWLEDGED, RESOLVED, CLOSED = "open", "acknowledged", "resolved", "closed"
STATES = (OPEN, ACKNOWLEDGED, RESOLVED, CLOSED)

MAX_COMMENT_CHARS = 4000
MAX_NOTE_CHARS = 20000
MAX_AUTHOR_CHARS = 128


class IncidentError(ValueError):
    """Something that cannot be done to an incident; the message says why in plain words."""


@dataclass(frozen=True)
class IncidentTimes:
    """The moments that decide an incident's state and figures (from a stored row or a test)."""

    started_at: datetime
    acknowledged_at: datetime | None = None
    ended_at: datetime | None = None
    closed_at: datetime | None = None

    @classmethod
    def of(cls, row) -> IncidentTimes:
        return cls(as_utc(row.started_at), as_utc(row.acknowledged_at), as_utc(row.ended_at), as_utc(row.closed_at))


def state(times: IncidentTimes) -> str:
    """closed (someone wrote the post-incident note) > resolved (the subject recovered) >
    acknowledged (someone is on it) > open."""
    if times.closed_at is not None:
        return CLOSED
    if times.ended_at is not None:
        return RESOLVED
    if times.acknowledged_at is not None:
        return ACKNOWLEDGED
    return OPEN


def mtta_s(times: IncidentTimes) -> float | None:
    """Seconds from the start to the acknowledgement; None when nobody acknowledged it. An
    acknowledgement recorded before the start (clock skew between hosts) counts as 0."""
    if times.acknowledged_at is None:
        return None
    return max(0.0, (times.acknowledged_at - times.started_at).total_seconds())


def mttr_s(times: IncidentTimes) -> float | None:
    """Seconds from the start to the recovery; None while it is not resolved."""
    if times.ended_at is None:
        return None
    return max(0.0, (times.ended_at - times.started_at).total_seconds())


def clean_text(text: object, *, what: str, limit: int) -> str:
    """The text a person wrote, trimmed; refused when empty or longer than `limit` characters
    (the server decides: a browser's maxlength is only a courtesy)."""
    if not isinstance(text, str):
        raise IncidentError(f"{what}: expected text")
    text = text.strip()
    if not text:
        raise IncidentError(f"{what}: write something")
    if len(text) > limit:
        raise IncidentError(f"{what}: {len(text):,} characters, the limit is {limit:,}")
    return text


def can_comment(current: str) -> None:
    if current == CLOSED:
        raise IncidentError("the incident is closed: its thread is read-only")


def can_close(current: str) -> None:
    if current in (OPEN, ACKNOWLEDGED):
        raise IncidentError("the incident is not resolved yet: it can be closed once the system has recovered")
    if current == CLOSED:
        raise IncidentError("the incident is already closed")


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """"2026-11" → the UTC start and end of November 2026 in Vietnam time."""
    match = _MONTH.match(month or "")
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise IncidentError(f"month: {month!r} is not a month such as 2026-11")
    year, number = int(match.group(1)), int(match.group(2))
    start = datetime(year, number, 1, tzinfo=VN_TZ)
    end = datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=VN_TZ)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def month_of(moment: datetime) -> str:
    return as_utc(moment).astimezone(VN_TZ).strftime("%Y-%m")


@dataclass(frozen=True)
class MonthStats:
    incidents: int
    acknowledged: int
    resolved: int
    mtta_s: float | None
    mttr_s: float | None

    def as_dict(self) -> dict:
        return {"incidents": self.incidents, "acknowledged": self.acknowledged, "resolved": self.resolved,
                "mtta_s": self.mtta_s, "mttr_s": self.mttr_s}


def month_stats(incidents: list[IncidentTimes], month: str) -> MonthStats:
    """MTTA and MTTR of the incidents that started in `month` (Vietnam time): the means over
    those acknowledged (MTTA) and resolved (MTTR); None when there is none to average."""
    start, end = month_bounds(month)
    inside = [i for i in incidents if start <= i.started_at < end]
    acks = [v for v in map(mtta_s, inside) if v is not None]
    repairs = [v for v in map(mttr_s, inside) if v is not None]
    return MonthStats(
        incidents=len(inside), acknowledged=len(acks), resolved=len(repairs),
        mtta_s=round(sum(acks) / len(acks), 1) if acks else None,
        mttr_s=round(sum(repairs) / len(repairs), 1) if repairs else None,
    )


def timeline(times: IncidentTimes, *, acknowledged_by: str | None = None, ack_comment: str | None = None,
             closed_by: str | None = None, state_changes: list[dict] | None = None,
             comments: list[dict] | None = None) -> list[dict]:
    """Everything that happened to an incident, oldest first: its state changes, the subject's
    status changes during it (from the status engine) and the comments. Items are dicts with
    `at` (aware UTC), `kind` and what that kind carries."""
    items = [{"at": times.started_at, "kind": "opened"}]
    if times.acknowledged_at is not None:
        items.append({"at": times.acknowledged_at, "kind": "acknowledged", "by": acknowledged_by, "text": ack_comment})
    if times.ended_at is not None:
        items.append({"at": times.ended_at, "kind": "resolved"})
    if times.closed_at is not None:
        items.append({"at": times.closed_at, "kind": "closed", "by": closed_by})
    for change in state_changes or ():
        items.append({"kind": "status", **change})
    for comment in comments or ():
        items.append({"kind": "comment", **comment})
    order = {"opened": 0, "status": 1, "acknowledged": 2, "comment": 3, "resolved": 4, "closed": 5}
    return sorted(items, key=lambda item: (item["at"], order[item["kind"]]))
