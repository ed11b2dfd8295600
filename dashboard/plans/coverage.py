"""Pure integration-coverage rules.

Each (agency, shared system linked to national platforms) pair is a required connection. Three
states are kept apart, each implying the one before:
- declared: the agency says it is integrated — its plan has an integration task ("tich_hop")
  concerning that system, done (the task's due date and notes are the date and evidence);
- verified: declared, and every national link of the system had a successful live check within
  the last `verified_days` days (IOC_VERIFIED_DAYS, default 7);
- live up: declared, and every national link is up right now (fresh live check).
The headline "tỷ lệ tích hợp" is verified ÷ required: a short outage does not move it; an
outage of a verified connection shows as an outage ("mất kết nối"), not as "chưa".

The older per-pair facts stay too (the API keeps its fields):
- integrated: the agency's plan has an integration task ("tich_hop") concerning that system,
  and it is done (source: the plan);
- connected: the system's national links work — from the live link check where one exists
  and is fresh (source "live"), else from the declared state in the catalog (source "declared");
- sharing data: integrated and connected.
The province-wide percentage is the share of (agency, system) pairs that share data, against
the 100 % target.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

LIVE_UP = ("up", "degraded")
LIVE_KNOWN = ("up", "degraded", "down")
LIVE_FRESH = timedelta(minutes=15)
TARGET_PERCENT = 100.0
VERIFIED_DAYS = 7.0
PAIR_STATES = ("live", "outage", "verified", "declared", "none")


@dataclass(frozen=True)
class LinkFacts:
    link_id: str
    system_id: str
    platform_id: str
    declared_state: str
    monitored: bool
    status: str
    last_check_at: datetime | None
    last_success_at: datetime | None = None  # the latest up/degraded live check, if any


def link_verified(link: LinkFacts, now: datetime, verified_days: float = VERIFIED_DAYS) -> bool:
    """A live check of the link succeeded within the last `verified_days` days."""
    return link.monitored and link.last_success_at is not None and now - link.last_success_at <= timedelta(days=verified_days)


def link_live(link: LinkFacts, now: datetime) -> bool | None:
    """Up right now (True), down right now (False), or not known from a fresh check (None)."""
    if not (link.monitored and link.status in LIVE_KNOWN and link.last_check_at is not None
            and now - link.last_check_at <= LIVE_FRESH):
        return None
    return link.status in LIVE_UP


@dataclass(frozen=True)
class LinkState:
    link_id: str
    platform_id: str
    connected: bool
    source: str  # live | declared
    detail: str  # the live status or the declared state


def link_state(link: LinkFacts, now: datetime) -> LinkState:
    live = (
        link.monitored
        and link.status in LIVE_KNOWN
        and link.last_check_at is not None
        and now - link.last_check_at <= LIVE_FRESH
    )
    if live:
        return LinkState(link.link_id, link.platform_id, link.status in LIVE_UP, "live", link.status)
    return LinkState(link.link_id, link.platform_id, link.declared_state == "connected", "declared", link.declared_state)


@dataclass(frozen=True)
class SystemConnection:
    system_id: str
    connected: bool
    source: str  # live | declared | mixed
    links: tuple[LinkState, ...]
    verified: bool = False  # every link had a successful live check within the window
    live_up: bool = False  # every link is up now (fresh checks)
    live_down: bool = False  # at least one link is down now (fresh check)


def system_connection(system_id: str, links: list[LinkFacts], now: datetime,
                      verified_days: float = VERIFIED_DAYS) -> SystemConnection:
    """A system is connected (verified, live up) when every one of its national links is."""
    states = tuple(link_state(link, now) for link in links)
    sources = {s.source for s in states}
    live = [link_live(link, now) for link in links]
    return SystemConnection(
        system_id=system_id,
        connected=bool(states) and all(s.connected for s in states),
        source=sources.pop() if len(sources) == 1 else "mixed",
        links=states,
        verified=bool(links) and all(link_verified(link, now, verified_days) for link in links),
        live_up=bool(links) and all(v is True for v in live),
        live_down=any(v is False for v in live),
    )


@dataclass(frozen=True)
class Pair:
    agency_id: str
    system_id: str
    integrated: bool
    connected: bool
    connection_source: str
    verified: bool = False
    live_up: bool = False
    live_down: bool = False

    @property
    def sharing(self) -> bool:
        return self.integrated and self.connected

    @property
    def declared(self) -> bool:
        return self.integrated

    @property
    def required(self) -> bool:
        return True

    @property
    def state(self) -> str:
        """One word for the cell: live (hoạt động), outage (verified or declared, down now:
        mất kết nối), verified (no fresh check now), declared (not verified), none (chưa)."""
        if not self.integrated:
            return "none"
        if self.live_up:
            return "live"
        if self.live_down:
            return "outage"
        return "verified" if self.verified else "declared"


def coverage_pairs(agencies: list[str], systems: dict[str, SystemConnection], integrated: set[tuple[str, str]]) -> list[Pair]:
    """`integrated`: (agency, system) pairs whose integration task is done (declared)."""
    pairs = []
    for a in agencies:
        for s, conn in systems.items():
            declared = (a, s) in integrated
            pairs.append(Pair(a, s, declared, conn.connected, conn.source,
                              verified=declared and conn.verified, live_up=declared and conn.live_up,
                              live_down=declared and conn.live_down))
    return pairs


def percent(pairs: list[Pair], attribute: str = "sharing") -> float:
    return round(100.0 * sum(getattr(p, attribute) for p in pairs) / len(pairs), 1) if pairs else 0.0


def counts(pairs: list[Pair]) -> dict[str, float | int]:
    """Required, declared, verified and live-up counts, and their share of required."""
    out: dict[str, float | int] = {"required": len(pairs)}
    for name in ("declared", "verified", "live_up"):
        out[name] = sum(getattr(p, name) for p in pairs)
        out[f"{name}_percent"] = percent(pairs, name)
    return out


def summarize(pairs: list[Pair], key: str) -> dict[str, dict]:
    """Per agency (key='agency_id') or per system (key='system_id'): integrated, connected
    and sharing percentages, and the three states' counts and percentages."""
    groups: dict[str, list[Pair]] = {}
    for pair in pairs:
        groups.setdefault(getattr(pair, key), []).append(pair)
    return {
        name: {
            "integrated": percent(items, "integrated"),
            "connected": percent(items, "connected"),
            "sharing": percent(items, "sharing"),
            "pairs": len(items),
            **counts(items),
        }
        for name, items in groups.items()
    }


def inventory_pairs(rows, links: dict[tuple[str, str], LinkFacts], now: datetime,
                    verified_days: float = VERIFIED_DAYS) -> list[Pair]:
    """The inventory's required connections: one per (inventory system, national platform it
    must connect to). Declared when the row carries an integration date; verified / live up
    from the monitored system's link to that platform, where the row names one."""
    pairs = []
    for row in rows:
        for platform in row.platforms:
            link = links.get((row.system_id, platform)) if row.system_id else None
            declared = row.integrated_on is not None
            verified = declared and link is not None and link_verified(link, now, verified_days)
            live = link_live(link, now) if link is not None else None
            connected = link_state(link, now).connected if link is not None else False
            pairs.append(Pair(row.agency_id, f"{row.code}>{platform}", declared, connected, "live" if live is not None else "declared",
                              verified=verified, live_up=declared and live is True, live_down=declared and live is False))
    return pairs
