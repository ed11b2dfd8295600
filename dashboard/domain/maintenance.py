"""Maintenance windows as plain values: when a one-off or recurring (RRULE) window is on,
and an index that answers "is this endpoint in maintenance at this time"."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date as date_type
from datetime import datetime, timedelta, timezone

from dateutil.rrule import DAILY, HOURLY, MINUTELY, MONTHLY, SECONDLY, WEEKLY, YEARLY, rrulestr

from collectors.timeutil import as_utc

MAX_DURATION = timedelta(days=31)
# Recurrence rules are read in Vietnam time (UTC+7, no daylight saving): "every Sunday 22:00"
# is Sunday 22:00 in Quảng Ngãi, whatever the weekday is in UTC at that moment.
VN_TZ = timezone(timedelta(hours=7))
# Recurring windows from the catalog start here (not at load time), so that loading the same
# catalog twice stores the same rows.
CATALOG_EPOCH = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=7)))
MIN_GAP = timedelta(hours=1)  # occurrences closer than this are refused: that is not maintenance


class MaintenanceError(ValueError):
    """A window that cannot be created; the message says why in plain words."""


@dataclass(frozen=True)
class WindowSpec:
    """The timing of a window, detached from the database (pure functions take this)."""

    id: int | None
    system_id: str | None
    endpoint_id: str | None
    starts_at: datetime
    ends_at: datetime | None
    rrule: str | None
    duration_s: float | None
    cancelled_at: datetime | None
    reason: str

    @classmethod
    def of(cls, row) -> WindowSpec:
        """From a stored window (any object with the same attributes)."""
        return cls(row.id, row.system_id, row.endpoint_id, as_utc(row.starts_at), as_utc(row.ends_at), row.rrule,
                   row.duration_s, as_utc(row.cancelled_at), row.reason)


def occurrence_at(window: WindowSpec, at: datetime) -> tuple[datetime, datetime] | None:
    """The occurrence (start, end) of `window` that covers `at`, or None."""
    if window.cancelled_at is not None and at >= window.cancelled_at:
        return None
    if at < window.starts_at:
        return None
    if not window.rrule:
        if window.ends_at is not None and at < window.ends_at:
            return window.starts_at, window.ends_at
        return None
    if window.ends_at is not None and at >= window.ends_at:
        return None
    rule = _rule(window.rrule, window.starts_at)
    start = rule.before(at, inc=True)
    if start is None:
        return None
    end = start + timedelta(seconds=window.duration_s or 0)
    return (start, end) if at < end else None


def next_occurrence(window: WindowSpec, after: datetime) -> tuple[datetime, datetime] | None:
    """The next occurrence starting after `after` (for 'upcoming maintenance' lists)."""
    if window.cancelled_at is not None:
        return None
    if not window.rrule:
        return (window.starts_at, window.ends_at) if window.starts_at > after else None
    start = _rule(window.rrule, window.starts_at).after(after)
    if start is None or (window.ends_at is not None and start >= window.ends_at):
        return None
    return start, start + timedelta(seconds=window.duration_s or 0)


_rule_cache: dict[tuple[str, datetime], object] = {}


def _rule(text: str, starts_at: datetime):
    key = (text, starts_at)
    rule = _rule_cache.get(key)
    if rule is None:
        rule = rrulestr(text, dtstart=as_utc(starts_at).astimezone(VN_TZ), cache=True)
        if len(_rule_cache) > 1000:
            _rule_cache.clear()
        _rule_cache[key] = rule
    return rule


class MaintenanceIndex:
    """The windows that are not cancelled, looked up by endpoint and by system."""

    def __init__(self, windows: list[WindowSpec]):
        self.by_endpoint: dict[str, list[WindowSpec]] = {}
        self.by_system: dict[str, list[WindowSpec]] = {}
        for window in windows:
            if window.endpoint_id:
                self.by_endpoint.setdefault(window.endpoint_id, []).append(window)
            elif window.system_id:
                self.by_system.setdefault(window.system_id, []).append(window)

    def window_for(self, endpoint_id: str, system_id: str, at: datetime) -> WindowSpec | None:
        for window in self.by_endpoint.get(endpoint_id, []) + self.by_system.get(system_id, []):
            if occurrence_at(window, at) is not None:
                return window
        return None

    def __bool__(self) -> bool:
        return bool(self.by_endpoint or self.by_system)


# --- recurring windows: validation, the form's rule builder, and a readable description

FREQ_NAMES = {YEARLY: "YEARLY", MONTHLY: "MONTHLY", WEEKLY: "WEEKLY", DAILY: "DAILY", HOURLY: "HOURLY",
              MINUTELY: "MINUTELY", SECONDLY: "SECONDLY"}
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_VI = {"MO": "Thứ hai", "TU": "Thứ ba", "WE": "Thứ tư", "TH": "Thứ năm", "FR": "Thứ sáu", "SA": "Thứ bảy",
              "SU": "Chủ nhật"}
WEEKDAY_EN = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday",
              "SA": "Saturday", "SU": "Sunday"}


def check_rrule(text: str, starts_at: datetime, duration_s: float | None) -> datetime:
    """Refuse a recurrence rule that cannot be read, never occurs, or occurs more often than
    hourly; return its first occurrence (aware, UTC)."""
    if not isinstance(text, str) or not text.strip():
        raise MaintenanceError("the recurrence rule is empty")
    text = text.strip()
    if len(text) > 255:
        raise MaintenanceError("the recurrence rule is longer than 255 characters")
    if "DTSTART" in text.upper() or "\n" in text:
        raise MaintenanceError("give only the RRULE part (e.g. FREQ=WEEKLY;BYDAY=SU;BYHOUR=22); the start is a separate field")
    if not duration_s or duration_s <= 0 or duration_s > MAX_DURATION.total_seconds():
        raise MaintenanceError("a recurring window needs a duration between 1 s and 31 days")
    starts_at = as_utc(starts_at)
    try:
        rule = rrulestr(text, dtstart=starts_at.astimezone(VN_TZ))
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise MaintenanceError(f"cannot read the recurrence rule {text!r}: {exc}") from None
    if getattr(rule, "_freq", None) in (MINUTELY, SECONDLY):
        raise MaintenanceError(f"the recurrence rule {text!r} occurs more often than hourly: refused")
    first_ones = []
    for occurrence in rule:
        first_ones.append(occurrence)
        if len(first_ones) == 50:
            break
    if not first_ones:
        raise MaintenanceError(f"the recurrence rule {text!r} never occurs")
    gaps = [b - a for a, b in zip(first_ones, first_ones[1:])]
    if gaps and min(gaps) < MIN_GAP:
        raise MaintenanceError(f"the recurrence rule {text!r} occurs more often than hourly: refused")
    return first_ones[0].astimezone(timezone.utc)


def _clock(text: str) -> tuple[int, int]:
    try:
        hour, minute = (int(part) for part in text.split(":"))
    except (ValueError, AttributeError):
        raise MaintenanceError(f"{text!r} is not a time such as 22:00") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise MaintenanceError(f"{text!r} is not a time such as 22:00")
    return hour, minute


def build_rrule(freq: str, start: str, end: str, *, weekdays: list[str] | None = None,
                monthday: int | None = None) -> tuple[str, float]:
    """What the maintenance form writes: a weekly (on some weekdays) or monthly (on a day of
    the month) rule from a start and an end clock time in Vietnam time. An end before the start
    means the next day (22:00–02:00 lasts 4 hours). Returns (RRULE, duration in seconds)."""
    (start_h, start_m), (end_h, end_m) = _clock(start), _clock(end)
    minutes = (end_h * 60 + end_m - start_h * 60 - start_m) % (24 * 60)
    if minutes == 0:
        raise MaintenanceError("the end time equals the start time")
    clock = f"BYHOUR={start_h};BYMINUTE={start_m};BYSECOND=0"
    if freq == "weekly":
        days = [d for d in WEEKDAYS if d in set(weekdays or ())]
        unknown = set(weekdays or ()) - set(WEEKDAYS)
        if unknown or not days:
            raise MaintenanceError("choose at least one weekday (MO…SU)")
        return f"FREQ=WEEKLY;BYDAY={','.join(days)};{clock}", minutes * 60.0
    if freq == "monthly":
        if not isinstance(monthday, int) or isinstance(monthday, bool) or not (1 <= monthday <= 28 or monthday == -1):
            raise MaintenanceError("the day of the month is 1 to 28, or -1 for the last day")
        return f"FREQ=MONTHLY;BYMONTHDAY={monthday};{clock}", minutes * 60.0
    raise MaintenanceError(f"repeat: {freq!r}; expected weekly or monthly")


def describe(rrule: str | None, starts_at: datetime, duration_s: float | None, lang: str = "vi") -> str:
    """"Chủ nhật hằng tuần 22:00–02:00" for the rules the form writes; the rule itself otherwise."""
    start_local = as_utc(starts_at).astimezone(VN_TZ)
    if not rrule:
        end = start_local + timedelta(seconds=duration_s or 0)
        return f"{start_local:%d/%m/%Y %H:%M}–{end:%d/%m/%Y %H:%M}"
    parts = dict(part.split("=", 1) for part in rrule.upper().split(";") if "=" in part)
    hour = int(parts.get("BYHOUR", start_local.hour).__str__().split(",")[0])
    minute = int(str(parts.get("BYMINUTE", start_local.minute)).split(",")[0])
    begin = datetime(2000, 1, 1, hour, minute)
    span = f"{begin:%H:%M}–{begin + timedelta(seconds=duration_s or 0):%H:%M}"
    if parts.get("FREQ") == "WEEKLY" and "BYDAY" in parts and set(parts["BYDAY"].split(",")) <= set(WEEKDAYS):
        names = WEEKDAY_EN if lang == "en" else WEEKDAY_VI
        days = ", ".join(names[d] for d in parts["BYDAY"].split(","))
        return f"{days} hằng tuần {span}" if lang != "en" else f"Every {days} {span}"
    if parts.get("FREQ") == "MONTHLY" and "BYMONTHDAY" in parts:
        day = parts["BYMONTHDAY"]
        if lang == "en":
            return f"Monthly on day {day if day != '-1' else 'last'} {span}"
        return f"Ngày {day if day != '-1' else 'cuối'} hằng tháng {span}"
    return f"{rrule} ({span})"


def _moment(data: dict, key: str) -> datetime | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise MaintenanceError(f"{key}: expected a time such as 2026-12-06T22:00:00+07:00")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MaintenanceError(f"{key}: {value!r} is not a time such as 2026-12-06T22:00:00+07:00") from None
    if moment.tzinfo is None:
        raise MaintenanceError(f"{key}: give the time zone (+07:00 or Z)")
    return moment.astimezone(timezone.utc)


FIELDS = {"system", "endpoint", "reason", "starts_at", "ends_at", "repeat", "weekdays", "monthday", "start_time",
          "end_time", "from", "until", "rrule", "duration_s"}


def window_fields(data: object, now: datetime) -> dict:
    """A window as the API, the page and the catalog describe it → the stored fields
    (system_id, endpoint_id, reason, starts_at, ends_at, rrule, duration_s). One-off:
    starts_at + ends_at. Recurring: repeat (weekly with weekdays, monthly with monthday) +
    start_time + end_time in Vietnam time, optionally from / until; or a raw rrule + duration_s.
    Raises MaintenanceError naming the field."""
    if not isinstance(data, dict):
        raise MaintenanceError("send a JSON object describing the window")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise MaintenanceError(f"unknown field(s): {', '.join(unknown)}")
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise MaintenanceError("reason: say why (a maintenance window needs a reason)")
    if len(reason) > 500:
        raise MaintenanceError("reason: 500 characters at most")
    system, endpoint = data.get("system"), data.get("endpoint")
    if bool(system) == bool(endpoint) or not isinstance(system or endpoint, str):
        raise MaintenanceError("system / endpoint: a window covers either one system or one endpoint")
    fields = {"system_id": system or None, "endpoint_id": endpoint or None, "reason": reason.strip()}
    if data.get("repeat") or data.get("rrule"):
        if data.get("repeat"):
            weekdays = data.get("weekdays")
            if weekdays is not None and not (isinstance(weekdays, list) and all(isinstance(d, str) for d in weekdays)):
                raise MaintenanceError("weekdays: a list such as [\"SU\"]")
            rrule, duration = build_rrule(data["repeat"], data.get("start_time") or "", data.get("end_time") or "",
                                          weekdays=[d.upper() for d in weekdays or []], monthday=data.get("monthday"))
        else:
            rrule, duration = data["rrule"], data.get("duration_s")
            if not isinstance(rrule, str):
                raise MaintenanceError("rrule: expected text")
            if isinstance(duration, bool) or not isinstance(duration, (int, float)):
                raise MaintenanceError("duration_s: a number of seconds")
        starts = _moment(data, "from") or now
        until = _moment(data, "until")
        if until is not None and until <= starts:
            raise MaintenanceError("until: must be after from")
        first = check_rrule(rrule, starts, duration)
        if until is not None and first >= until:
            raise MaintenanceError(f"the recurrence rule {rrule!r} never occurs before until")
        return {**fields, "starts_at": starts, "ends_at": until, "rrule": rrule, "duration_s": float(duration)}
    starts, ends = _moment(data, "starts_at"), _moment(data, "ends_at")
    if starts is None or ends is None:
        raise MaintenanceError("starts_at / ends_at: a one-off window needs both (or repeat: weekly / monthly)")
    if ends <= starts:
        raise MaintenanceError("ends_at: must be after starts_at")
    if ends - starts > MAX_DURATION:
        raise MaintenanceError("ends_at: a one-off window lasts 31 days at most")
    return {**fields, "starts_at": starts, "ends_at": ends, "rrule": None, "duration_s": (ends - starts).total_seconds()}


def as_input(window: WindowSpec) -> dict:
    """A stored window back in the input shape (what PATCH merges its changes into)."""
    data = {"system": window.system_id, "endpoint": window.endpoint_id, "reason": window.reason}
    if window.rrule:
        data.update({"rrule": window.rrule, "duration_s": window.duration_s, "from": window.starts_at.isoformat()})
        if window.ends_at is not None:
            data["until"] = window.ends_at.isoformat()
    else:
        data.update({"starts_at": window.starts_at.isoformat(), "ends_at": window.ends_at.isoformat()})
    return {k: v for k, v in data.items() if v is not None}


def merge_patch(current: dict, patch: object) -> dict:
    """A window's input with a PATCH applied: a new timing replaces the old one whole."""
    if not isinstance(patch, dict) or not patch:
        raise MaintenanceError("send a JSON object with the fields to change")
    merged = dict(current)
    timing_one_off, timing_repeat, timing_rrule = {"starts_at", "ends_at"}, {"repeat", "weekdays", "monthday",
                                                                              "start_time", "end_time"}, {"rrule", "duration_s"}
    if set(patch) & (timing_one_off | timing_repeat | timing_rrule):
        for key in timing_one_off | timing_repeat | timing_rrule | ({"from", "until"} if set(patch) & timing_one_off else set()):
            merged.pop(key, None)
    if "system" in patch:
        merged.pop("endpoint", None)
    if "endpoint" in patch:
        merged.pop("system", None)
    merged.update(patch)
    return merged


def form_input(subject, reason, repeat, weekdays, monthday, date, start, end) -> dict:
    """The /maintenance page's form fields in the API's input shape (times are Vietnam time;
    a one-off 22:00–02:00 ends the next day). `subject` is "system:<id>" or "endpoint:<id>"."""
    data: dict = {"reason": reason or ""}
    kind, _, ident = (subject or "").partition(":")
    if kind in ("system", "endpoint") and ident:
        data[kind] = ident
    if repeat == "once":
        try:
            day = date_type.fromisoformat(date or "")
            begin = datetime.fromisoformat(f"{day.isoformat()}T{start}:00+07:00")
            finish = datetime.fromisoformat(f"{day.isoformat()}T{end}:00+07:00")
        except (ValueError, TypeError):
            raise MaintenanceError("choose a date and a start and end time") from None
        if finish <= begin:
            finish += timedelta(days=1)  # 22:00–02:00 ends the next day
        data.update({"starts_at": begin.isoformat(), "ends_at": finish.isoformat()})
    else:
        data.update({"repeat": repeat, "start_time": start or "", "end_time": end or ""})
        if repeat == "weekly":
            data["weekdays"] = list(weekdays or [])
        else:
            data["monthday"] = int(monthday) if isinstance(monthday, (int, float)) else None
    return data
