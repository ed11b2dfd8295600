"""Keys of the runtime_state table and the lease's timing: written by the collector, read by
the read models (wall banners, /api/health), so both import them from here.

Lease timing: the leader renews every LEASE_RENEW_S; a standby polls every STANDBY_POLL_S and
takes an expired lease over. A leader killed just after a renewal leaves a lease that expires
LEASE_TTL_S later, so takeover takes at most LEASE_TTL_S + STANDBY_POLL_S (+ scheduling delay):
11 s, inside the documented 15 s, while a leader may still miss three renewals in a row (a
busy machine) without losing the lease."""
from __future__ import annotations

LEASE_KEY = "collector.lease"
HEARTBEAT_KEY = "collector.heartbeat"
STATS_KEY = "collector.stats"
LEASE_TTL_S = 10.0
LEASE_RENEW_S = 2.5
STANDBY_POLL_S = 1.0
# The collector is reported dead when its heartbeat (written with every renewal) is older than this.
COLLECTOR_DEAD_AFTER_S = 2 * LEASE_RENEW_S
