"""Read models of the security alerts for the pages, the wall, the map and the API."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from collectors.timeutil import iso, utcnow
from dashboard.domain.alerts import OPEN_STATUSES, SEVERITIES, SEVERITY_RANK
from dashboard.i18n import VN_TZ, coded_text
from dashboard.store.models import Agency, Alert, AlertEvent, System

MAX_PAGE = 500


def alert_dict(alert: Alert, names: dict[str, tuple[str, str]] | None = None) -> dict:
    names = names or {}
    return {
        "id": alert.id,
        "severity": alert.severity,
        "status": alert.status,
        "category": alert.category,
        "title": alert.title,
        "description": alert.description,
        # rendered from the stored code in each language; rows without a code keep their text
        "title_vi": coded_text(alert.title_code, alert.title_params, alert.title, "vi"),
        "title_en": coded_text(alert.title_code, alert.title_params, alert.title, "en"),
        "description_vi": coded_text(alert.description_code, alert.description_params, alert.description, "vi") or alert.description,
        "description_en": coded_text(alert.description_code, alert.description_params, alert.description, "en") or alert.description,
        "title_code": alert.title_code,
        "title_params": alert.title_params,
        "description_code": alert.description_code,
        "description_params": alert.description_params,
        "source_kind": alert.source_kind,
        "source": alert.source,
        "external_id": alert.external_id,
        "system_id": alert.system_id,
        "system_name": (names.get(f"s:{alert.system_id}") or (None, None))[0],
        "agency_id": alert.agency_id,
        "agency_name": (names.get(f"a:{alert.agency_id}") or (None, None))[0],
        "asset": alert.asset,
        "first_seen": iso(alert.first_seen),
        "last_seen": iso(alert.last_seen),
        "count": alert.count,
        "status_at": iso(alert.status_at),
        "status_by": alert.status_by,
        "status_comment": alert.status_comment,
        "fingerprint": alert.fingerprint,
    }


def _names(session: Session) -> dict[str, tuple[str, str]]:
    names = {f"s:{i}": (vi, en) for i, vi, en in session.execute(select(System.id, System.name_vi, System.name_en))}
    names.update({f"a:{i}": (vi, en) for i, vi, en in session.execute(select(Agency.id, Agency.name_vi, Agency.name_en))})
    return names


def list_alerts(session: Session, status: str | list[str] | None = None, severity: str | list[str] | None = None,
                system: str | None = None, agency: str | None = None, source: str | None = None,
                search: str | None = None, limit: int = 50, offset: int = 0) -> tuple[int, list[dict]]:
    """Newest activity first. Filters take one value or a list; returns (total, page)."""
    query = select(Alert)
    for column, value in ((Alert.status, status), (Alert.severity, severity)):
        if value:
            values = [value] if isinstance(value, str) else list(value)
            query = query.where(column.in_(values))
    if system:
        query = query.where(Alert.system_id == system)
    if agency:
        query = query.where(Alert.agency_id == agency)
    if source:
        query = query.where(Alert.source == source)
    if search:
        like = f"%{search.strip()[:100]}%"
        query = query.where(or_(Alert.title.ilike(like), Alert.asset.ilike(like), Alert.category.ilike(like)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Alert.last_seen.desc(), Alert.id.desc()).limit(max(1, min(limit, MAX_PAGE))).offset(max(offset, 0))
    ).all()
    names = _names(session)
    return total, [alert_dict(a, names) for a in rows]


def alert_detail(session: Session, alert_id: int) -> dict | None:
    alert = session.get(Alert, alert_id)
    if alert is None:
        return None
    view = alert_dict(alert, _names(session))
    view["details"] = alert.details or {}
    view["events"] = [
        {"at": iso(e.at), "kind": e.kind, "actor": e.actor, "comment": e.comment}
        for e in session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id))
    ]
    return view


def severity_over_time(session: Session, now: datetime | None = None, days: int = 14) -> list[dict]:
    """New alerts per day and severity (by first_seen, UTC+7 days), oldest first; zeros kept."""
    now = now or utcnow()
    since = now - timedelta(days=days)
    rows = session.execute(select(Alert.first_seen, Alert.severity).where(Alert.first_seen >= since)).all()
    first_day = since.astimezone(VN_TZ).date()
    buckets = {(first_day + timedelta(days=i)).isoformat(): dict.fromkeys(SEVERITIES, 0) for i in range(days + 1)}
    offset = VN_TZ.utcoffset(None)  # fixed (+7, no DST): cheaper than astimezone per row
    for seen, severity in rows:
        day = (seen + offset).date().isoformat()
        if day in buckets and severity in buckets[day]:
            buckets[day][severity] += 1
    return [{"day": day, **counts} for day, counts in buckets.items()]


def _open_counts(session: Session, column) -> list[tuple[str, str, int]]:
    return session.execute(
        select(column, Alert.severity, func.count()).where(Alert.status.in_(OPEN_STATUSES), column.is_not(None))
        .group_by(column, Alert.severity)
    ).all()


def open_by(session: Session, what: str) -> list[dict]:
    """Open alerts per system or per agency: [{id, name_vi, name_en, total, critical, ...}], most first."""
    column = Alert.system_id if what == "system" else Alert.agency_id
    names = _names(session)
    out: dict[str, dict] = {}
    for key, severity, n in _open_counts(session, column):
        vi, en = names.get(f"{what[0]}:{key}", (key, key))
        row = out.setdefault(key, {"id": key, "name_vi": vi, "name_en": en, "total": 0, **dict.fromkeys(SEVERITIES, 0)})
        row[severity] += n
        row["total"] += n
    return sorted(out.values(), key=lambda r: (-r["critical"], -r["high"], -r["total"], r["id"]))


def open_counts(session: Session) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for severity, n in session.execute(
        select(Alert.severity, func.count()).where(Alert.status.in_(OPEN_STATUSES)).group_by(Alert.severity)
    ):
        counts[severity] = n
    return counts


# ---------------------------------------------------------------------------- wall and map


def latest_alerts(session: Session, limit: int = 8, severities: tuple[str, ...] = ("critical", "high")) -> list[dict]:
    """Newest open critical/high alerts for the wall's feed, in the shape of
    dashboard.readmodels.wall.latest_incidents (kind='alert', at, severity, title_vi/en, text, open)."""
    rows = session.scalars(
        select(Alert).where(Alert.status.in_(OPEN_STATUSES), Alert.severity.in_(severities))
        .order_by(Alert.last_seen.desc(), Alert.id.desc()).limit(limit)
    ).all()
    return [
        {
            "kind": "alert",
            "id": alert.id,
            "at": alert.last_seen,
            "ended_at": None,
            "open": True,
            "severity": alert.severity,
            "system_id": alert.system_id,
            "title_vi": coded_text(alert.title_code, alert.title_params, alert.title, "vi"),
            "title_en": coded_text(alert.title_code, alert.title_params, alert.title, "en"),
            "subject": alert.asset or alert.agency_id or alert.system_id or "",
            "text": f"{alert.category} · {alert.source}" + (f" · ×{alert.count}" if alert.count > 1 else ""),
            "acknowledged": alert.status == "acknowledged",
            "href": f"/alerts/{alert.id}",
            "source": alert.source,
        }
        for alert in rows
    ]


def alerts_by_agency(session: Session) -> dict[str, dict]:
    """Open alerts per place for map markers: {agency_id: {count, worst, lat, lon, name_vi,
    name_en}}. An alert about a system without an agency counts for the system's owner."""
    owners = dict(session.execute(select(System.id, System.owner_agency_id)).all())
    places: dict[str, dict] = {}
    rows = session.execute(
        select(Alert.agency_id, Alert.system_id, Alert.severity, func.count())
        .where(Alert.status.in_(OPEN_STATUSES)).group_by(Alert.agency_id, Alert.system_id, Alert.severity)
    ).all()
    for agency_id, system_id, severity, n in rows:
        key = agency_id or owners.get(system_id)
        if not key:
            continue
        place = places.setdefault(key, {"count": 0, "worst": severity})
        place["count"] += n
        if SEVERITY_RANK[severity] < SEVERITY_RANK[place["worst"]]:
            place["worst"] = severity
    if places:
        for agency_id, vi, en, lat, lon in session.execute(
            select(Agency.id, Agency.name_vi, Agency.name_en, Agency.lat, Agency.lon).where(Agency.id.in_(list(places)))
        ):
            places[agency_id].update(name_vi=vi, name_en=en, lat=lat, lon=lon)
    return places


def system_options(session: Session, lang: str = "vi") -> list[dict]:
    return [{"label": vi if lang == "vi" else en, "value": i}
            for i, vi, en in session.execute(select(System.id, System.name_vi, System.name_en)
                                             .where(System.active.is_(True)).order_by(System.position, System.id))]


def security_view(session: Session, lang: str = "vi", *, status=None, severity=None, system=None, search=None,
                  limit: int = MAX_PAGE) -> dict:
    """Everything the security page shows in one session: open counts per severity, severity over
    time, open alerts per system and per agency, the filtered list (and its total), the systems
    to filter by."""
    total, alerts = list_alerts(session, status=status or None, severity=severity or None, system=system or None,
                                search=search or None, limit=limit)
    return {
        "counts": open_counts(session),
        "over_time": severity_over_time(session),
        "by_system": open_by(session, "system"),
        "by_agency": open_by(session, "agency"),
        "total": total,
        "alerts": alerts,
        "systems": system_options(session, lang),
    }
