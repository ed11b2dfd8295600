"""The demo's seeded history: 30 days, fast, labelled, and continued by the collector's own."""
from __future__ import annotations

from sqlalchemy import func, select

from collectors.timeutil import utcnow
from dashboard.catalog.loader import apply_catalog, load_catalog
from dashboard.demo.history import DEMO_LABEL, seed_demo_history
from dashboard.domain.uptime import floor_hour
from dashboard.readmodels import detail, wall
from dashboard.readmodels.uptime import done_until
from dashboard.store.models import Incident, MaintenanceWindow, Rollup
from tests.catalogs import DEMO_ENV


def test_thirty_days_seeded_once_fast_and_labelled(sqlite_db):
    now = utcnow()
    with sqlite_db.session() as s:
        apply_catalog(s, load_catalog("catalog/demo.yaml", DEMO_ENV))
    with sqlite_db.session() as s:
        counts = seed_demo_history(s, now)
    assert counts["hourly"] >= 7 * 24 * 100 and counts["daily"] >= 30 * 100 and counts["incidents"] >= 3
    with sqlite_db.session() as s:
        assert seed_demo_history(s, now) == {}  # never twice
        assert done_until(s, "hour") == floor_hour(now)  # the collector's rollups continue from here
        incidents = s.scalars(select(Incident)).all()
        assert all(DEMO_LABEL in i.cause and i.ended_at is not None for i in incidents)
        assert DEMO_LABEL in s.scalar(select(MaintenanceWindow.reason))
        assert s.scalar(select(func.count()).select_from(Rollup).where(Rollup.period == "day")) == counts["daily"]
        # what a newcomer sees first is not empty: the wall's charts, the drill-down's month, the timeline
        charts = wall.charts_view(s, now)
        assert all(any(v is not None for v in charts["availability"]["series"][sid]["availability"]) for sid in charts["availability"]["series"])
        assert len(charts["availability"]["series"]) == len(charts["tiles"])  # every system, the commune network too
        month = detail.history(s, "qlvb.health", "30d", now)
        assert len(month) >= 30 and any(p["failures"] for p in month)
        assert any(row["changes"] for row in charts["timeline"])  # one incident within the last 24 h
        assert wall.open_incidents(s) == []  # all of them are over
