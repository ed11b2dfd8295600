"""Notification routes as pure rules: which routes an event matches (system, agency, partner,
kind, minimum severity), whether a route is in its quiet hours (Vietnam time), and the
warnings a route deserves (it matches nothing the catalog knows). Delivery (Apprise, the
signed webhook) and the delivery log live in dashboard.alerts."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

from collectors.timeutil import as_utc

VN_TZ = timezone(timedelta(hours=7))

KINDS = ("outage", "recovery", "security", "certificate", "plan_overdue")
SEVERITIES = ("info", "low", "medium", "high", "critical")  # least to most severe
RANK = {name: i for i, name in enumerate(SEVERITIES)}


class RouteError(ValueError):
    """A route that cannot be saved; `field` names the form field at fault."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass(frozen=True)
class Event:
    kind: str
    severity: str
    system_id: str | None = None
    agency_id: str | None = None
    partner: str | None = None


@dataclass(frozen=True)
class Route:
    """Empty match lists mean "any"."""

    id: str
    systems: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    min_severity: str = "info"
    quiet_start: time | None = None
    quiet_end: time | None = None
    language: str = "vi"
    urls: tuple[str, ...] = field(default=())


def matches(route: Route, event: Event) -> bool:
    def within(allowed: tuple[str, ...], value: str | None) -> bool:
        return not allowed or value in allowed

    return (within(route.kinds, event.kind) and within(route.systems, event.system_id)
            and within(route.agencies, event.agency_id) and within(route.partners, event.partner)
            and RANK.get(event.severity, 0) >= RANK[route.min_severity])


def in_quiet_hours(route: Route, at: datetime) -> bool:
    """Quiet hours are a clock span in Vietnam time; one that ends before it starts runs over
    midnight (22:00–06:00). The start is inside, the end is not."""
    if route.quiet_start is None or route.quiet_end is None or route.quiet_start == route.quiet_end:
        return False
    clock = as_utc(at).astimezone(VN_TZ).time()
    if route.quiet_start < route.quiet_end:
        return route.quiet_start <= clock < route.quiet_end
    return clock >= route.quiet_start or clock < route.quiet_end


def decide(route: Route, event: Event, at: datetime) -> str | None:
    """None (the route does not take this event), "send", or "suppressed_quiet". Critical
    events are sent even in quiet hours: quiet hours hold back what can wait until morning."""
    if not matches(route, event):
        return None
    if event.severity != "critical" and in_quiet_hours(route, at):
        return "suppressed_quiet"
    return "send"


def parse_clock(field_name: str, text: str | None) -> time | None:
    if text in (None, ""):
        return None
    try:
        hour, minute = (int(p) for p in str(text).split(":"))
        return time(hour, minute)
    except (ValueError, TypeError):
        raise RouteError(field_name, f"{text!r} is not a time such as 22:00") from None


def check_choices(field_name: str, values: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise RouteError(field_name, f"unknown {', '.join(unknown)}; expected {', '.join(allowed)}")


def warnings(route: Route, systems: set[str], agencies: set[str], partners: set[str]) -> list[str]:
    """What is suspicious but allowed: names the catalog does not know, and a route that can
    therefore match nothing."""
    found = []
    for label, chosen, known in (("system", route.systems, systems), ("agency", route.agencies, agencies),
                                 ("partner", route.partners, partners)):
        missing = [c for c in chosen if c not in known]
        if missing:
            found.append(f"{label}: {', '.join(missing)} not in the catalog")
        if chosen and len(missing) == len(chosen):
            found.append(f"the route matches nothing: no {label} it names is in the catalog")
    return found
