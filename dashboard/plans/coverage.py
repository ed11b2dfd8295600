"""Pure integration-coverage rules.

For each shared system linked to national platforms and each agency that must use it:
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


@dataclass(frozen=True)
class LinkFacts:
    link_id: str
    system_id: str
    platform_id: str
    declared_state: str
    monitored: bool
    status: str
    last_check_at: datetime | None


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


def system_connection(system_id: str, links: list[LinkFacts], now: datetime) -> SystemConnection:
    """A system is connected when every one of its national links is."""
    states = tuple(link_state(link, now) for link in links)
    sources = {s.source for s in states}
    return SystemConnection(
        system_id=system_id,
        connected=bool(states) and all(s.connected for s in states),
        source=sources.pop() if len(sources) == 1 else "mixed",
        links=states,
    )


@dataclass(frozen=True)
class Pair:
    agency_id: str
    system_id: str
    integrated: bool
    connected: bool
    connection_source: str

    @property
    def sharing(self) -> bool:
        return self.integrated and self.connected


def coverage_pairs(agencies: list[str], systems: dict[str, SystemConnection], integrated: set[tuple[str, str]]) -> list[Pair]:
    """`integrated`: (agency, system) pairs whose integration task is done."""
    return [
        Pair(a, s, (a, s) in integrated, conn.connected, conn.source)
        for a in agencies
        for s, conn in systems.items()
    ]


def percent(pairs: list[Pair], attribute: str = "sharing") -> float:
    return round(100.0 * sum(getattr(p, attribute) for p in pairs) / len(pairs), 1) if pairs else 0.0


def summarize(pairs: list[Pair], key: str) -> dict[str, dict]:
    """Per agency (key='agency_id') or per system (key='system_id'): integrated, connected
    and sharing percentages."""
    groups: dict[str, list[Pair]] = {}
    for pair in pairs:
        groups.setdefault(getattr(pair, key), []).append(pair)
    return {
        name: {
            "integrated": percent(items, "integrated"),
            "connected": percent(items, "connected"),
            "sharing": percent(items, "sharing"),
            "pairs": len(items),
        }
        for name, items in groups.items()
    }
