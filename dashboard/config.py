"""Settings from the environment (IOC_*) and the command line; flags win over env.

This module is the one place that reads settings from the process environment: `environment()`
and `read_env()` are also what the alert settings (dashboard.alerts.settings) and the
access-control settings (dashboard.auth.settings) parse their variables with."""
from __future__ import annotations

import argparse
import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from collectors.timeutil import parse_duration

# The cyclic garbage collector in a process that checks thousands of endpoints: with Python's
# default thresholds (700, 10, 10) it ran a full collection every few seconds, each walking the
# whole start-up heap (modules, ORM, the targets; 0.1-0.5 s at 10,000 endpoints, the GIL held),
# which made the CPU per check grow with the number of endpoints and stalled every check in
# flight. A check's objects are freed by reference counting; only what is in flight survives a
# collection, so collections can be rarer. The start-up heap is frozen once the targets are
# loaded (gc.freeze: never walked again). The web server's wall refresh reads every endpoint
# every few seconds: the same thresholds keep its slowest calls from being a full collection.
GC_THRESHOLDS = (50_000, 20, 10)

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEMO_CATALOG = PROJECT_DIR / "catalog" / "demo.yaml"
TRUE_WORDS = ("1", "true", "yes", "on")


def environment(env: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """The variables settings are read from: `env` when a caller (a test) gives one, else the
    process environment."""
    return os.environ if env is None else env


def flag(value: str | None, default: bool = False) -> bool:
    """A yes/no variable: 1, true, yes or on (any case) is yes; empty or unset is `default`."""
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in TRUE_WORDS


def read_env(env: Mapping[str, str], table: dict[str, tuple[str, Callable[[str], Any]]],
             invalid: Callable[[str, str, ValueError], Exception], strip: bool = False) -> dict[str, Any]:
    """{field: converted value} for each variable of `table` ({VAR: (field, convert)}) that is set
    and not empty; a value `convert` refuses raises `invalid(var, value, error)`."""
    values = {}
    for var, (name, convert) in table.items():
        raw = env.get(var) or ""
        raw = raw.strip() if strip else raw
        if raw != "":
            try:
                values[name] = convert(raw)
            except ValueError as exc:
                raise invalid(var, raw, exc) from None
    return values


def not_valid(var: str, value: str, _error: ValueError) -> SystemExit:
    return SystemExit(f"error: environment variable {var}={value!r} is not valid")


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8050
    data_dir: Path = PROJECT_DIR / "data"
    database_url: str | None = None
    catalog: Path | None = None
    demo: bool = True
    demo_port_base: int = 0
    probe_workers: int = 1000  # concurrent checks at most (async; hanging targets cost no thread)
    stale_after_s: float = 180.0
    refresh_ms: int = 5_000
    log_level: str = "INFO"
    # wall display: pages shown in turn (none: no rotation), dwell per page, beep on down
    wall_pages: tuple[str, ...] = ()
    wall_dwell_s: float = 60.0
    wall_sound: bool = False
    # optional map background: raster tile URL template ({z}/{x}/{y}) and a boundary GeoJSON file
    map_tiles_url: str | None = None
    map_boundary_geojson: Path | None = None
    # history: raw results, hourly and daily rollups are kept this many days
    raw_retention_days: float = 14.0
    hourly_retention_days: float = 90.0
    daily_retention_days: float = 1100.0
    # Prometheus /metrics: networks allowed without a token (a `metrics` token works from anywhere)
    metrics_allow: tuple = ()
    # public status page: who may frame it (CSP frame-ancestors), e.g. the provincial portal
    status_frame_ancestors: str | None = None
    # flap detection: this many verdict flips within the window -> degraded 'flapping',
    # cleared after the quiet period without a flip (docs/status-engine.md)
    flap_changes: int = 5
    flap_window_s: float = 600.0
    flap_quiet_s: float = 600.0
    # results kept in the local spool (data_dir/spool/) while the database is down
    spool_max_results: int = 200_000
    # coverage: a required connection counts as verified when a live check succeeded this recently
    verified_days: float = 7.0
    # the "test probe" button of the catalog editor (and endpoints saved from the pages or the API)
    # may not reach these networks; with an allow list, only those. The app's own port is refused too.
    probe_test_allow: tuple = ()
    probe_test_deny: tuple = tuple(ipaddress.ip_network(n) for n in ("169.254.0.0/16", "fe80::/10"))
    # an agency that has not reported for more than this many days is flagged as silent
    silent_days: int = 14
    extra: dict = field(default_factory=dict)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'ioc.db'}"

    @property
    def catalog_path(self) -> Path:
        return self.catalog or DEMO_CATALOG


ENV_VARS = {
    "IOC_HOST": ("host", str),
    "IOC_PORT": ("port", int),
    "IOC_DATA_DIR": ("data_dir", Path),
    "IOC_DATABASE_URL": ("database_url", str),
    "IOC_CATALOG": ("catalog", Path),
    "IOC_DEMO": ("demo", flag),
    "IOC_DEMO_PORT_BASE": ("demo_port_base", int),
    "IOC_PROBE_WORKERS": ("probe_workers", int),
    "IOC_REFRESH_MS": ("refresh_ms", int),
    "IOC_LOG_LEVEL": ("log_level", str),
    "IOC_STALE_AFTER": ("stale_after_s", parse_duration),
    "IOC_WALL_PAGES": ("wall_pages", lambda v: tuple(p.strip() for p in v.split(",") if p.strip())),
    "IOC_WALL_DWELL": ("wall_dwell_s", parse_duration),
    "IOC_WALL_SOUND": ("wall_sound", flag),
    "IOC_MAP_TILES_URL": ("map_tiles_url", str),
    "IOC_MAP_BOUNDARY_GEOJSON": ("map_boundary_geojson", Path),
    "IOC_RAW_RETENTION_DAYS": ("raw_retention_days", float),
    "IOC_HOURLY_RETENTION_DAYS": ("hourly_retention_days", float),
    "IOC_DAILY_RETENTION_DAYS": ("daily_retention_days", float),
    "IOC_METRICS_ALLOW": ("metrics_allow", lambda v: tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in v.split(",") if part.strip())),
    "IOC_STATUS_FRAME_ANCESTORS": ("status_frame_ancestors", str),
    "IOC_FLAP_CHANGES": ("flap_changes", int),
    "IOC_FLAP_WINDOW": ("flap_window_s", parse_duration),
    "IOC_FLAP_QUIET": ("flap_quiet_s", parse_duration),
    "IOC_SPOOL_MAX_RESULTS": ("spool_max_results", int),
    "IOC_PROBE_TEST_ALLOW": ("probe_test_allow", lambda v: _networks(v)),
    "IOC_PROBE_TEST_DENY": ("probe_test_deny", lambda v: _networks(v)),
    "IOC_VERIFIED_DAYS": ("verified_days", lambda v: _positive(float(v))),
    "IOC_SILENT_DAYS": ("silent_days", lambda v: int(_positive(int(v)))),
}


def _networks(value: str) -> tuple:
    """Comma-separated networks ("10.0.0.0/8, 169.254.0.0/16"); "none" for an empty list."""
    if value.strip().lower() == "none":
        return ()
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())


def _positive(value: float) -> float:
    if not value > 0:
        raise ValueError("must be above 0")
    return value


def from_env(env: dict[str, str] | None = None) -> Settings:
    env = environment(env)
    settings = Settings(**read_env(env, ENV_VARS, not_valid))
    # A real catalog means real systems: the demo is off unless asked for explicitly.
    if settings.catalog is not None and "IOC_DEMO" not in env:
        settings = replace(settings, demo=False)
    return settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (env IOC_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="web port (env IOC_PORT, default 8050)")
    parser.add_argument("--data-dir", type=Path, help="directory for the SQLite database (env IOC_DATA_DIR, default ./data)")
    parser.add_argument("--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://user:pass@host/ioc (env IOC_DATABASE_URL, default SQLite in the data directory)")
    parser.add_argument("--catalog", type=Path, help="YAML catalog of systems to monitor (env IOC_CATALOG, default the demo catalog); giving one turns the demo off. "
                        "The file is then authoritative: re-read when it changes or on SIGHUP, the admin pages read-only. "
                        "Without it and without the demo, the catalog kept in the database is used (python app.py catalog import F)")
    parser.add_argument("--demo", dest="demo", action="store_true", default=None, help="start the built-in simulated systems (env IOC_DEMO; on by default without --catalog)")
    parser.add_argument("--no-demo", dest="demo", action="store_false", help="do not start the simulated systems")
    parser.add_argument("--demo-port-base", type=int, help="first port of the simulated systems (env IOC_DEMO_PORT_BASE, default: any free ports)")
    parser.add_argument("--probe-workers", type=int, help="concurrent checks at most (env IOC_PROBE_WORKERS, default 1000)")
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING… (env IOC_LOG_LEVEL, default INFO)")


def from_args(args: argparse.Namespace, env: dict[str, str] | None = None) -> Settings:
    settings = from_env(env)
    overrides = {
        name: getattr(args, name)
        for name in ("host", "port", "data_dir", "database_url", "catalog", "demo", "demo_port_base", "probe_workers", "log_level")
        if getattr(args, name, None) is not None
    }
    if overrides.get("catalog") is not None and "demo" not in overrides:
        overrides["demo"] = False
    return replace(settings, **overrides)
