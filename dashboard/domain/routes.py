"""Notification routes as pure rules: which routes an event matches (system, agency, partner,
kind, minimum severity), whether a route is in its quiet hours (Vietnam time), the warnings a
route deserves (it matches nothing the catalog knows), the one validation of a route's input
that the admin page, the API and the catalog's `notifications:` section share, when an
unacknowledged event escalates, and the short messages sent. Delivery (Apprise, the signed
webhook) and the delivery log live in dashboard.alerts."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

from collectors.timeutil import as_utc, parse_duration
from dashboard.i18n import duration_text, t

VN_TZ = timezone(timedelta(hours=7))

KINDS = ("outage", "recovery", "security", "certificate", "plan_overdue")
PARTNERS = ("VNPT", "Viettel", "MobiFone", "FPT")
LANGUAGES = ("vi", "en")
ROUTE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
MIN_ESCALATE_S = 5.0  # short enough for a drill, or a test; people write minutes
MAX_ESCALATE_S = 7 * 86_400.0
MAX_ESCALATIONS = 3  # the next level is told again every period until someone acknowledges, this many times
MAX_URLS = 10
MIN_SECRET_CHARS = 16
WEBHOOK_SCHEMES = ("ioc-webhook://", "ioc-webhooks://")  # our signed JSON webhook: http / https
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
    escalate_after_s: float | None = None
    escalation_urls: tuple[str, ...] = ()

    @classmethod
    def of(cls, row) -> Route:
        """From a stored route (or anything with the same attributes)."""
        return cls(id=row.id, systems=tuple(row.systems or ()), agencies=tuple(row.agencies or ()),
                   partners=tuple(row.partners or ()), kinds=tuple(row.kinds or ()), min_severity=row.min_severity,
                   quiet_start=parse_clock("quiet_start", row.quiet_start), quiet_end=parse_clock("quiet_end", row.quiet_end),
                   language=row.language, urls=tuple(row.urls or ()), escalate_after_s=row.escalate_after_s,
                   escalation_urls=tuple(row.escalation_urls or ()))


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


def warnings(route: Route, systems: set[str], agencies: set[str], partners: set[str], lang: str = "en") -> list[str]:
    """What is suspicious but allowed: names the catalog does not know, and a route that can
    therefore match nothing (in English for the API and the catalog, in the page's language
    there)."""
    found = []
    for label, chosen, known in (("system", route.systems, systems), ("agency", route.agencies, agencies),
                                 ("partner", route.partners, partners)):
        missing = [c for c in chosen if c not in known]
        what = t(f"route.warn.{label}", lang)
        if missing:
            found.append(t("route.warn.unknown", lang, what=what, names=", ".join(missing)))
        if chosen and len(missing) == len(chosen):
            found.append(t("route.warn.nothing", lang, what=what))
    return found


# ---------------------------------------------------------------------- the input of a route


def check_url(url: object, field_name: str = "urls") -> str:
    """A target URL Apprise understands (or our signed webhook); RouteError naming the field
    otherwise. Apprise only parses here, nothing is sent. The URL itself is never echoed
    back: it may carry a token."""
    if not isinstance(url, str) or not url.strip():
        raise RouteError(field_name, "an empty target URL")
    url = url.strip()
    if url.startswith(WEBHOOK_SCHEMES):
        if not url.split("://", 1)[1].split("/", 1)[0]:
            raise RouteError(field_name, "the webhook URL has no host")
        return url
    import apprise  # parsing a URL the way delivery will; loaded only when a route is checked

    if apprise.Apprise.instantiate(url) is None:
        scheme = url.split("://", 1)[0] if "://" in url else "?"
        raise RouteError(field_name, f"Apprise cannot read this URL (scheme {scheme!r}); see the Apprise wiki for its form")
    return url


def _names(field_name: str, value: object) -> tuple[str, ...]:
    """A list of names, or one text of names separated by commas or spaces (the page's form)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = [v for v in re.split(r"[,\s]+", value) if v]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
        raise RouteError(field_name, "expected a list of names")
    seen: list[str] = []
    for item in (v.strip() for v in value):
        if item not in seen:
            seen.append(item)
    return tuple(seen)


def _urls(field_name: str, value: object) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = [v for v in value.split() if v]
    if not isinstance(value, (list, tuple)):
        raise RouteError(field_name, "expected a list of URLs")
    if len(value) > MAX_URLS:
        raise RouteError(field_name, f"at most {MAX_URLS} URLs")
    return tuple(check_url(v, field_name) for v in value)


FIELDS = ("id", "name", "systems", "agencies", "partners", "kinds", "min_severity", "quiet_hours", "quiet_start",
          "quiet_end", "language", "urls", "escalate_after", "escalation_urls", "secret", "active")


def route_fields(data: object) -> dict:
    """The stored fields of a route from its input (the admin page's form, POST /api/routes, a
    catalog entry): RouteError naming the first field at fault. Empty match lists mean any;
    `quiet_hours` is "22:00-06:00" (or `quiet_start` / `quiet_end`); `escalate_after` a
    duration ("15m", "30s", 900) that needs `escalation_urls`, and the other way round."""
    if not isinstance(data, Mapping):
        raise RouteError("route", "expected an object with id, urls, …")
    unknown = sorted(str(k) for k in data if k not in FIELDS)
    if unknown:
        raise RouteError(unknown[0], f"unknown field; known fields: {', '.join(FIELDS)}")
    route_id = data.get("id")
    if not isinstance(route_id, str) or not ROUTE_ID.match(route_id):
        raise RouteError("id", "a short name of lower-case letters, digits, - and _ (e.g. vnpt-truc)")
    name = data.get("name") or route_id
    if not isinstance(name, str) or len(name) > 255:
        raise RouteError("name", "a text of at most 255 characters")
    kinds, partners = _names("kinds", data.get("kinds")), _names("partners", data.get("partners"))
    check_choices("kinds", kinds, KINDS)
    check_choices("partners", partners, PARTNERS)
    severity = data.get("min_severity") or "info"
    if severity not in SEVERITIES:
        raise RouteError("min_severity", f"expected one of {', '.join(SEVERITIES)}")
    start, end = data.get("quiet_start"), data.get("quiet_end")
    if data.get("quiet_hours"):
        span = data["quiet_hours"]
        parts = re.split(r"\s*[-–]\s*", span.strip()) if isinstance(span, str) else []
        if len(parts) != 2:
            raise RouteError("quiet_hours", f"{span!r} is not a span such as 22:00-06:00")
        start, end = parts
    quiet_start, quiet_end = parse_clock("quiet_start", start), parse_clock("quiet_end", end)
    if (quiet_start is None) != (quiet_end is None):
        raise RouteError("quiet_end" if quiet_end is None else "quiet_start", "quiet hours need both a start and an end")
    if quiet_start is not None and quiet_start == quiet_end:
        raise RouteError("quiet_end", "the end of the quiet hours equals their start")
    language = data.get("language") or "vi"
    if language not in LANGUAGES:
        raise RouteError("language", "expected vi or en")
    urls = _urls("urls", data.get("urls"))
    if not urls:
        raise RouteError("urls", "at least one target URL")
    escalation_urls = _urls("escalation_urls", data.get("escalation_urls"))
    after = data.get("escalate_after")
    if after in (None, ""):
        escalate_after_s = None
    else:
        try:
            escalate_after_s = parse_duration(after)
        except (TypeError, ValueError):
            raise RouteError("escalate_after", f"{after!r} is not a duration such as 15m or 900") from None
        if not MIN_ESCALATE_S <= escalate_after_s <= MAX_ESCALATE_S:
            raise RouteError("escalate_after", f"between {MIN_ESCALATE_S:g} s and 7 days")
    if escalation_urls and escalate_after_s is None:
        raise RouteError("escalate_after", "say after how long the escalation URLs are told")
    if escalate_after_s is not None and not escalation_urls:
        raise RouteError("escalation_urls", "say who is told when nobody acknowledges")
    secret = data.get("secret") or None
    signed = any(u.startswith(WEBHOOK_SCHEMES) for u in urls + escalation_urls)
    if secret is not None and (not isinstance(secret, str) or len(secret.strip()) < MIN_SECRET_CHARS):
        raise RouteError("secret", f"at least {MIN_SECRET_CHARS} characters")  # never repeats the value
    if signed and secret is None:
        raise RouteError("secret", "an ioc-webhook:// target needs a secret to sign its body")
    active = data.get("active", True)
    if not isinstance(active, bool):
        raise RouteError("active", "expected true or false")
    return {
        "id": route_id, "name": name.strip() or route_id, "systems": list(_names("systems", data.get("systems"))),
        "agencies": list(_names("agencies", data.get("agencies"))), "partners": list(partners), "kinds": list(kinds),
        "min_severity": severity, "quiet_start": quiet_start and quiet_start.strftime("%H:%M"),
        "quiet_end": quiet_end and quiet_end.strftime("%H:%M"), "language": language, "urls": list(urls),
        "escalate_after_s": escalate_after_s, "escalation_urls": list(escalation_urls), "secret": secret,
        "active": active,
    }


def mask_url(url: str) -> str:
    """What a page may show of a target URL: its scheme and host, never a path or a token."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}/…" if rest else "…"


# ---------------------------------------------------------------------- escalation


def escalation_due(created_at: datetime, after_s: float | None, sent_levels: int, now: datetime) -> int | None:
    """The escalation level due now for an event first told at `created_at` and still not
    acknowledged, or None: level k is due `k × after_s` after it, up to MAX_ESCALATIONS."""
    if after_s is None or sent_levels >= MAX_ESCALATIONS:
        return None
    level = sent_levels + 1
    return level if as_utc(now) >= as_utc(created_at) + timedelta(seconds=after_s * level) else None


def escalates(kind: str, severity: str) -> bool:
    """What waits for an acknowledgement: outages and critical alerts."""
    return kind == "outage" or (kind in ("security", "certificate", "plan_overdue") and severity == "critical")


# ---------------------------------------------------------------------- the messages


def _clock(at: datetime) -> str:
    return as_utc(at).astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y")


def message(kind: str, lang: str, *, name: str, at: datetime, link: str, reason: str | None = None,
            severity: str = "critical", down_s: float | None = None, number: int | None = None,
            source: str | None = None) -> tuple[str, str]:
    """(title, body) of a notification: short, in the route's language, the last line the link
    to the page that explains it."""
    sev = t(f"route.sev.{severity}", lang)
    title = t(f"route.msg.{kind}.title", lang, name=name, severity=sev)
    body = t(f"route.msg.{kind}.body", lang, name=name, at=_clock(at), severity=sev, number=number or "",
             source=source or "", duration=duration_text(down_s, lang))
    if reason:
        body += f" {t('route.msg.reason', lang)}: {reason.strip()[:300]}"
    return title[:500], f"{body}\n{t('route.msg.link', lang)}: {link}"


def escalation_message(lang: str, *, title: str, body: str, waited_s: float, level: int) -> tuple[str, str]:
    head = t("route.msg.escalation.title", lang, level=level)
    note = t("route.msg.escalation.body", lang, waited=duration_text(waited_s, lang))
    return f"{head} {title}"[:500], f"{note}\n{body}"
