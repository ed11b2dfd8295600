"""The rules that decide a state: pure functions of plain values, no database.

Verdicts: up, degraded (a soft condition failed), down, unknown (never checked, stale, or a
check that could not start on time), maintenance (inside a maintenance window).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from collectors.base import Status

FAILING = (Status.DOWN,)
TROUBLE = (Status.DOWN, Status.DEGRADED)
DEFAULT_FAILURES_BEFORE_DOWN = 2
DEFAULT_SUCCESSES_BEFORE_UP = 2


@dataclass(frozen=True)
class Streak:
    status: Status
    failures: int
    successes: int


def next_endpoint_state(
    current: Status, failures: int, successes: int, verdict: Status,
    failures_before_down: int = DEFAULT_FAILURES_BEFORE_DOWN,
    successes_before_up: int = DEFAULT_SUCCESSES_BEFORE_UP,
) -> Streak:
    """Flap damping in both directions: down only after `failures_before_down` consecutive
    'down' verdicts, up again only after `successes_before_up` consecutive non-down verdicts.
    'degraded' counts as a success (the service answers) and shows at once, since it raises
    no alarm of its own. The first verdict after 'unknown' or 'maintenance' is taken as it
    is: there is no earlier state to protect."""
    failed = verdict in FAILING
    failures = failures + 1 if failed else 0
    successes = 0 if failed else successes + 1
    if current in (Status.UNKNOWN, Status.MAINTENANCE):
        return Streak(verdict, failures, successes)
    if failed:
        if current == Status.DOWN or failures >= failures_before_down:
            return Streak(Status.DOWN, failures, successes)
        return Streak(current, failures, successes)
    if current == Status.DOWN and successes < successes_before_up:
        return Streak(Status.DOWN, failures, successes)
    return Streak(verdict, failures, successes)


# ---------------------------------------------------------------------------- flapping

@dataclass(frozen=True)
class FlapSettings:
    """An endpoint whose verdict flips between failing and not failing `changes` times within
    `window_s` is *flapping*: shown degraded with its own reason, whatever damping would say.
    It stops flapping once its verdict has not flipped for `quiet_s`."""
    changes: int = 5
    window_s: float = 600.0
    quiet_s: float = 600.0

    def __post_init__(self):
        if self.changes < 2 or self.window_s <= 0 or self.quiet_s <= 0:
            raise ValueError("flap detection needs at least 2 changes and a positive window and quiet period")


@dataclass(frozen=True)
class FlapState:
    """What flap detection remembers of an endpoint (times in Unix seconds): the recent
    flips inside the window, the latest flip, and since when it has been flapping (or None)."""
    changes: tuple[float, ...] = ()
    last_change: float | None = None
    since: float | None = None

    @property
    def flapping(self) -> bool:
        return self.since is not None

    def to_json(self) -> dict:
        return {"changes": list(self.changes), "last_change": self.last_change, "since": self.since}

    @classmethod
    def from_json(cls, data: dict | None) -> FlapState:
        if not data:
            return cls()
        return cls(tuple(float(c) for c in data.get("changes", ())), data.get("last_change"), data.get("since"))


def next_flap_state(state: FlapState, previous: Status | None, verdict: Status, at: float,
                    settings: FlapSettings = FlapSettings()) -> FlapState:
    """One more verdict at `at`. A flip is a change between failing (down) and not failing;
    `previous` is the verdict before this one (None: no earlier verdict, no flip)."""
    flipped = previous is not None and (previous in FAILING) != (verdict in FAILING)
    changes = [c for c in state.changes if at - c <= settings.window_s]
    last_change = state.last_change
    if flipped:
        changes.append(at)
        last_change = at
    changes = changes[-settings.changes:]  # only the latest N matter
    since = state.since
    if since is None and len(changes) >= settings.changes:
        since = at
    elif since is not None and not flipped and last_change is not None and at - last_change >= settings.quiet_s:
        return FlapState(tuple(changes), last_change, None)  # quiet long enough: no longer flapping
    return FlapState(tuple(changes), last_change, since)


def flap_reason(state: FlapState, settings: FlapSettings = FlapSettings()) -> str:
    """Vietnamese first, English second (reasons are stored as text)."""
    minutes = f"{settings.window_s / 60:g}"
    n = len(state.changes) or settings.changes
    return (f"dao động: {n} lần đổi trạng thái trong {minutes} phút / "
            f"flapping: {n} state changes in {minutes} minutes")


def flap_cause(state: FlapState, settings: FlapSettings = FlapSettings()) -> dict:
    """The flapping reason as a cause (dashboard.domain.causes renders it per language)."""
    return {"code": "flapping", "params": {"n": len(state.changes) or settings.changes,
                                           "minutes": round(settings.window_s / 60, 1)}}


def apply_flapping(streak: Streak, flap: FlapState) -> Streak:
    """While flapping the endpoint is degraded (the service answers some of the time): neither
    green nor a down alarm that depends on which answer came first."""
    if flap.flapping:
        return Streak(Status.DEGRADED, streak.failures, streak.successes)
    return streak


# ---------------------------------------------------------------------------- pending confirmation

def pending_status(status: Status, failures: int, successes: int,
                   failures_before_down: int = DEFAULT_FAILURES_BEFORE_DOWN,
                   successes_before_up: int = DEFAULT_SUCCESSES_BEFORE_UP) -> Status | None:
    """The state damping is waiting to confirm: 'down' after the first failures of an endpoint
    still shown up (or degraded), 'up' after the first successes of one still shown down."""
    if status in (Status.UP, Status.DEGRADED) and 0 < failures < failures_before_down:
        return Status.DOWN
    if status == Status.DOWN and 0 < successes < successes_before_up:
        return Status.UP
    return None


def pending_reason(failures: int, failures_before_down: int, cause: str | None) -> str:
    """The reason shown while a failure awaits confirmation: never a green state with a bare red cause."""
    text = (f"lỗi lần {failures}/{failures_before_down}, chờ xác nhận / "
            f"failure {failures} of {failures_before_down}, awaiting confirmation")
    return f"{text}: {cause}" if cause else text


def pending_cause(failures: int, failures_before_down: int, cause: dict | None) -> dict:
    """pending_reason as a cause: the failure awaiting confirmation, with the failure's own cause."""
    return {"code": "pending", "params": {"failures": failures, "of": failures_before_down, "cause": cause}}


# ---------------------------------------------------------------------------- health

DISK_LOW_BYTES = 200 * 1024 * 1024
DISK_LOW_FRACTION = 0.02


def health_verdict(read_ok: bool, write_ok: bool, collector_alive: bool | None,
                   disk_free_bytes: int | None = None, disk_total_bytes: int | None = None) -> tuple[str, list[str]]:
    """/api/health's verdict: 'down' when the database cannot be read (nothing can be served);
    'degraded' when pages and the API still answer but something is wrong: the database refuses
    writes (full, read-only: no new results are stored), the collector is not running (None:
    not known to this caller), or the data disk is almost full; else 'ok'."""
    if not read_ok:
        return "down", ["database unreachable"]
    problems = []
    if not write_ok:
        problems.append("database not writable")
    if collector_alive is False:
        problems.append("collector not running")
    if disk_free_bytes is not None and (disk_free_bytes < DISK_LOW_BYTES or
                                        (disk_total_bytes and disk_free_bytes < disk_total_bytes * DISK_LOW_FRACTION)):
        problems.append("data disk almost full")
    return ("degraded" if problems else "ok"), problems


def system_status(endpoints: list[tuple[Status, bool]]) -> Status:
    """A system from its endpoints' (status, critical): a critical endpoint down takes the system
    down; any other trouble makes it degraded; no checked endpoint leaves it unknown; all
    endpoints in maintenance put it in maintenance."""
    if not endpoints:
        return Status.UNKNOWN
    statuses = [s for s, _ in endpoints]
    if all(s == Status.MAINTENANCE for s in statuses):
        return Status.MAINTENANCE
    checked = [(s, c) for s, c in endpoints if s not in (Status.UNKNOWN, Status.MAINTENANCE)]
    if not checked:
        return Status.MAINTENANCE if Status.MAINTENANCE in statuses else Status.UNKNOWN
    if any(s == Status.DOWN and critical for s, critical in checked):
        return Status.DOWN
    if any(s in TROUBLE for s, _ in checked):
        return Status.DEGRADED
    return Status.UP


COMMUNE_NAMES_SHOWN = 3


def system_reason(endpoints: list[tuple[str, str, str | None, bool]]) -> str | None:
    """A system's reason from its endpoints' (name or None, status, reason, is_commune_heartbeat): each
    troubled endpoint's "name: reason", except the per-commune heartbeats, which are counted
    ("2 of 96 communes silent: …") instead of listing up to 96 reasons."""
    parts = [f"{name}: {reason}" if name else str(reason) for name, status, reason, commune in endpoints
             if not commune and status in TROUBLE]
    communes = [(name, status) for name, status, _, commune in endpoints if commune]
    for status, verb in ((Status.DOWN, "silent"), (Status.DEGRADED, "reporting degraded service")):
        names = [(name or "").removeprefix("Máy chủ ") for name, s in communes if s == status]
        if names:
            shown = ", ".join(names[:COMMUNE_NAMES_SHOWN]) + (f" and {len(names) - COMMUNE_NAMES_SHOWN} more"
                                                              if len(names) > COMMUNE_NAMES_SHOWN else "")
            # without names (the wall's narrow read model has none) only the count
            parts.append(f"{len(names)} of {len(communes)} communes {verb}" + (f": {shown}" if any(names) else ""))
    return "; ".join(parts) or None


def system_cause(endpoints: list[tuple[str | None, str, dict | None, bool]], names: bool = True) -> dict | None:
    """system_reason as a cause, from the endpoints' (name or None, status, cause, is_commune_heartbeat):
    each troubled endpoint's cause with its name, and the per-commune heartbeats counted
    (communes_silent{n, total, names}) instead of listed. One commune count alone is the cause
    itself; anything else is "several" (its short form is the first one's, with "+N")."""
    items = [{"name": name, "code": cause["code"], "params": cause.get("params") or {}}
             for name, status, cause, commune in endpoints if not commune and status in TROUBLE and cause]
    communes = [(name, status) for name, status, _, commune in endpoints if commune]
    for status, code in ((Status.DOWN, "communes_silent"), (Status.DEGRADED, "communes_degraded")):
        hit = [(name or "").removeprefix("Máy chủ ") for name, s in communes if s == status]
        if hit:
            shown = [n for n in hit if n][:COMMUNE_NAMES_SHOWN] if names else []
            items.append({"name": None, "code": code, "params": {"n": len(hit), "total": len(communes), "names": shown}})
    if not items:
        return None
    if len(items) == 1 and items[0]["name"] is None:
        return {"code": items[0]["code"], "params": items[0]["params"]}
    return {"code": "several", "params": {"items": items}}


STALE_GRACE_FACTOR = 3.0


def trust_window_s(interval_s: float, grace_factor: float = STALE_GRACE_FACTOR) -> float:
    """How long without a result before a state can no longer be trusted: three intervals, at
    least a minute."""
    return max(60.0, interval_s * grace_factor)


def is_stale(last_check_at: datetime | None, interval_s: float, now: datetime, grace_factor: float = STALE_GRACE_FACTOR) -> bool:
    """No result for three intervals (and at least a minute) means the state can no longer be trusted."""
    if last_check_at is None:
        return True
    return now - last_check_at > timedelta(seconds=trust_window_s(interval_s, grace_factor))


def effective_status(status: str, last_check_at: datetime | None, interval_s: float, now: datetime) -> tuple[str, bool]:
    """(status shown, stale): the stored status, unless results stopped coming — then 'unknown',
    never an old green. Maintenance and unknown are shown as they are."""
    if status in (Status.MAINTENANCE, Status.UNKNOWN):
        return status, False
    if is_stale(last_check_at, interval_s, now):
        return Status.UNKNOWN, True
    return status, False


def shown_system_status(status: str, last_check_at: datetime | None, longest_interval_s: float,
                        any_endpoint_stale: bool, now: datetime) -> tuple[str, bool]:
    """(status shown, stale) of a system, on every page and the wall alike: stale as a whole
    reads 'unknown'; up while one of its endpoints went silent reads 'degraded' (part of it
    can no longer be vouched for)."""
    shown, stale = effective_status(status, last_check_at, longest_interval_s, now)
    if not stale and shown == Status.UP and any_endpoint_stale:
        return Status.DEGRADED, False
    return shown, stale


def incident_action(old: Status, new: Status) -> str | None:
    """What a state change does to the subject's incident: 'open' (trouble begins),
    'escalate' (degraded -> down), 'update' (down -> degraded: still the same incident),
    'close' (back to up, or maintenance takes over), or None."""
    if new in TROUBLE and old not in TROUBLE:
        return "open"
    if new == Status.DOWN and old == Status.DEGRADED:
        return "escalate"
    if new == Status.DEGRADED and old == Status.DOWN:
        return "update"
    if old in TROUBLE and new not in TROUBLE:
        return "close"
    return None


COMMUNE_MARK = "commune_heartbeat"  # in Endpoint.options: one of the per-unit heartbeats


def is_commune_heartbeat(options: dict | None) -> bool:
    return bool((options or {}).get(COMMUNE_MARK))
