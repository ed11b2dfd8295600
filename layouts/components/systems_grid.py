"""Rows of the systems grid: filtering and presentation, pure functions."""
from __future__ import annotations

from collectors.timeutil import parse_iso
from dashboard.i18n import local_time, status_label, t
from layouts.components.status_tile import STATUS_GLYPH

TYPES = ("system", "endpoint", "link")
STATUSES = ("down", "degraded", "unknown", "maintenance", "up")


def filter_rows(rows: list[dict], statuses=None, owners=None, partners=None, kinds=None, types=None) -> list[dict]:
    """Keep the rows matching every filter that is set (an empty filter keeps everything)."""
    def keep(row: dict) -> bool:
        return ((not statuses or row["status"] in statuses)
                and (not owners or row["owner_id"] in owners)
                and (not partners or row["partner"] in partners)
                and (not kinds or row["kind"] in kinds)
                and (not types or row["type"] in types))
    return [row for row in rows if keep(row)]


def grid_rows(rows: list[dict], lang: str) -> list[dict]:
    """Rows as the grid shows them: translated names, status word with its glyph, local time."""
    en = lang == "en"
    return [
        {
            "key": row["key"],
            "id": row["id"],
            "type": t(f"grid.type.{row['type']}", lang),
            "name": row["name_en" if en else "name_vi"],
            "system": row["system_en" if en else "system_vi"],
            "status": f"{STATUS_GLYPH.get(row['status'], '?')} {status_label(row['status'], lang)}",
            "status_order": STATUSES.index(row["status"]) if row["status"] in STATUSES else len(STATUSES),
            "status_code": row["status"],
            "owner": row["owner_en" if en else "owner_vi"] or "",
            "partner": row["partner"] or "",
            "kind": row["kind"],
            "reason": row["reason"] or "",
            "reason_full": row.get("reason_full") or row["reason"] or "",
            "last_check": local_time(parse_iso(row["last_check_at"]), with_date=True),
            "href": row["href"],
        }
        for row in rows
    ]
