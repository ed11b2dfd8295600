"""Keys of the runtime_state table and the lease's timing: written by the collector, read by
the read models (wall banners, /api/health), so both import them from here."""
from __future__ import annotations

LEASE_KEY = "collector.lease"
HEARTBEAT_KEY = "collector.heartbeat"
STATS_KEY = "collector.stats"
LEASE_TTL_S = 30.0
