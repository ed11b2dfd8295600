"""Pull alerts from a SIEM: the Wazuh indexer (OpenSearch) is the reference.

Wazuh stores every alert in the `wazuh-alerts-*` indices of its indexer; they are read with
`POST <indexer>/wazuh-alerts-*/_search` and HTTP basic auth (an indexer user with read access).
Each run asks for alerts after the cursor (timestamp and id of the last alert taken), at or
above a minimum rule level, oldest first, a page at a time with `search_after`, and stores
them through dashboard.alerts.rules. The cursor lives in runtime_state, so a restart resumes where
the last run stopped; a failed run keeps the cursor and the next run retries.

Wazuh rule levels run 0-15; they map to severities with `severity_for_level`.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.timeutil import parse_iso, utcnow
from dashboard.alerts.rules import AlertInput, fingerprint, raise_alert
from dashboard.alerts.settings import AlertSettings
from dashboard.store.models import Agency, RuntimeState, System

log = logging.getLogger(__name__)

CURSOR_KEY = "siem.wazuh.cursor"
TIMEOUT_S = 15.0
FIRST_LOOKBACK = "now-1d"


def severity_for_level(level: int) -> str:
    """Wazuh: 12+ is a high-importance event, 15 a severe attack."""
    if level >= 13:
        return "critical"
    if level >= 10:
        return "high"
    if level >= 7:
        return "medium"
    if level >= 4:
        return "low"
    return "info"


def build_query(cursor: list | None, min_level: int, size: int) -> dict:
    query: dict[str, Any] = {
        "size": size,
        "sort": [{"timestamp": {"order": "asc"}}, {"id": {"order": "asc"}}],
        "query": {"bool": {"filter": [{"range": {"rule.level": {"gte": min_level}}}]}},
    }
    if cursor:
        query["search_after"] = cursor
    else:  # first run: the last day only, not the SIEM's whole past
        query["query"]["bool"]["filter"].append({"range": {"timestamp": {"gte": FIRST_LOOKBACK}}})
    return query


@dataclass
class PullReport:
    fetched: int = 0
    created: int = 0
    repeated: int = 0
    pages: int = 0
    cursor: list | None = None


def _category(rule: dict) -> str:
    groups = [g for g in rule.get("groups") or [] if isinstance(g, str)]
    for known in ("authentication_failures", "authentication_failed", "malware", "rootcheck", "syscheck",
                  "web", "attack", "vulnerability-detector", "sca"):
        if known in groups:
            return {"authentication_failed": "brute_force", "authentication_failures": "brute_force",
                    "rootcheck": "malware", "syscheck": "integrity"}.get(known, known)
    return groups[-1] if groups else "siem"


def to_input(hit: dict, systems: set[str], agencies: set[str]) -> AlertInput:
    """One Wazuh alert document (`_source`) to an alert. The agent's name is matched to a
    catalog system or agency id when it equals one (name your agents that way to link them)."""
    rule = hit.get("rule") or {}
    agent = hit.get("agent") or {}
    data = hit.get("data") or {}
    level = int(rule.get("level") or 0)
    agent_name = str(agent.get("name") or "") or None
    system_id = agent_name if agent_name in systems else None
    agency_id = agent_name if agent_name in agencies else None
    asset = " ".join(x for x in (agent_name, agent.get("ip")) if x) or None
    title = str(rule.get("description") or f"Wazuh rule {rule.get('id')}")[:500]
    observed = parse_iso(str(hit.get("timestamp"))) if hit.get("timestamp") else None
    src = data.get("srcip") if isinstance(data, dict) else None
    details = {"wazuh_id": hit.get("id"), "rule_id": rule.get("id"), "rule_level": level,
               "groups": rule.get("groups"), "agent": agent or None, "srcip": src,
               "full_log": str(hit.get("full_log") or "")[:2000] or None}
    return AlertInput(
        source_kind="siem", source="wazuh", severity=severity_for_level(level), category=_category(rule),
        title=title, description=details["full_log"], system_id=system_id, agency_id=agency_id, asset=asset,
        external_id=str(hit.get("id")) if hit.get("id") else None,
        # Same rule on the same agent from the same source address = the same alert, counted.
        fingerprint=fingerprint("wazuh", rule.get("id"), agent.get("id") or agent_name, src),
        observed_at=observed if observed and observed <= utcnow() else None,
        details={k: v for k, v in details.items() if v is not None},
    )


class WazuhClient:
    def __init__(self, settings: AlertSettings):
        self.url = settings.wazuh_url.rstrip("/")
        self.index = settings.wazuh_index
        self.auth = (settings.wazuh_user, settings.wazuh_password or "") if settings.wazuh_user else None
        self.verify: bool | str = settings.wazuh_ca_bundle or settings.wazuh_verify

    def search(self, body: dict) -> list[dict]:
        response = requests.post(f"{self.url}/{self.index}/_search", json=body, auth=self.auth,
                                 verify=self.verify, timeout=TIMEOUT_S)
        if response.status_code in (401, 403):
            raise RuntimeError(f"Wazuh indexer refused the credentials (HTTP {response.status_code})")
        if response.status_code != 200:
            raise RuntimeError(f"Wazuh indexer answered HTTP {response.status_code}: {response.text[:300]}")
        try:
            hits = response.json()["hits"]["hits"]
        except (ValueError, KeyError, TypeError):
            raise RuntimeError("Wazuh indexer answer is not a search result (no hits.hits)") from None
        return hits if isinstance(hits, list) else []


def pull(db, settings: AlertSettings, client: WazuhClient | None = None) -> PullReport:
    """One run: page through new alerts and store each page with its cursor in one transaction."""
    client = client or WazuhClient(settings)
    report = PullReport()
    with db.session() as session:
        report.cursor = _read_cursor(session)
        systems = set(session.scalars(select(System.id)))
        agencies = set(session.scalars(select(Agency.id)))
    for _ in range(settings.wazuh_max_pages):
        hits = client.search(build_query(report.cursor, settings.wazuh_min_level, settings.wazuh_page_size))
        report.pages += 1
        if not hits:
            break
        with db.session() as session:
            for hit in hits:
                outcome = raise_alert(session, to_input(hit.get("_source") or {}, systems, agencies))
                report.created += outcome.is_new
                report.repeated += not outcome.is_new
            report.fetched += len(hits)
            report.cursor = hits[-1].get("sort") or report.cursor
            _write_cursor(session, report.cursor)
        if len(hits) < settings.wazuh_page_size:
            break
    return report


def _read_cursor(session: Session) -> list | None:
    row = session.get(RuntimeState, CURSOR_KEY)
    if row is None or not row.value:
        return None
    try:
        value = json.loads(row.value)
    except ValueError:
        return None
    return value if isinstance(value, list) else None


def _write_cursor(session: Session, cursor: list | None) -> None:
    text = json.dumps(cursor)[:255]
    row = session.get(RuntimeState, CURSOR_KEY)
    if row is None:
        session.add(RuntimeState(key=CURSOR_KEY, value=text, updated_at=utcnow()))
    else:
        row.value, row.updated_at = text, utcnow()

