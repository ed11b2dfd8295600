"""Settings from the environment (IOC_*) and the command line; flags win over env."""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from collectors.timeutil import parse_duration

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEMO_CATALOG = PROJECT_DIR / "catalog" / "demo.yaml"


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
    # wall display (issue 4): pages shown in turn (none: no rotation), dwell per page, beep on down
    wall_pages: tuple[str, ...] = ()
    wall_dwell_s: float = 60.0
    wall_sound: bool = False
    # optional map background: raster tile URL template ({z}/{x}/{y}) and a boundary GeoJSON file
    map_tiles_url: str | None = None
    map_boundary_geojson: Path | None = None
    # history (issue 3): raw results, hourly and daily rollups are kept this many days
    raw_retention_days: float = 14.0
    hourly_retention_days: float = 90.0
    daily_retention_days: float = 1100.0
    # coverage: a required connection counts as verified when a live check succeeded this recently
    verified_days: float = 7.0
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
    "IOC_DEMO": ("demo", lambda v: v.strip().lower() in ("1", "true", "yes", "on")),
    "IOC_DEMO_PORT_BASE": ("demo_port_base", int),
    "IOC_PROBE_WORKERS": ("probe_workers", int),
    "IOC_REFRESH_MS": ("refresh_ms", int),
    "IOC_LOG_LEVEL": ("log_level", str),
    "IOC_STALE_AFTER": ("stale_after_s", parse_duration),
    "IOC_WALL_PAGES": ("wall_pages", lambda v: tuple(p.strip() for p in v.split(",") if p.strip())),
    "IOC_WALL_DWELL": ("wall_dwell_s", parse_duration),
    "IOC_WALL_SOUND": ("wall_sound", lambda v: v.strip().lower() in ("1", "true", "yes", "on")),
    "IOC_MAP_TILES_URL": ("map_tiles_url", str),
    "IOC_MAP_BOUNDARY_GEOJSON": ("map_boundary_geojson", Path),
    "IOC_RAW_RETENTION_DAYS": ("raw_retention_days", float),
    "IOC_HOURLY_RETENTION_DAYS": ("hourly_retention_days", float),
    "IOC_DAILY_RETENTION_DAYS": ("daily_retention_days", float),
    "IOC_VERIFIED_DAYS": ("verified_days", lambda v: _positive(float(v))),
}


def _positive(value: float) -> float:
    if not value > 0:
        raise ValueError("must be above 0")
    return value


def from_env(env: dict[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    values = {}
    for var, (name, convert) in ENV_VARS.items():
        if env.get(var, "") != "":
            try:
                values[name] = convert(env[var])
            except ValueError:
                raise SystemExit(f"error: environment variable {var}={env[var]!r} is not valid") from None
    settings = Settings(**values)
    # A real catalog means real systems: the demo is off unless asked for explicitly.
    if settings.catalog is not None and "IOC_DEMO" not in env:
        settings = replace(settings, demo=False)
    return settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (env IOC_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="web port (env IOC_PORT, default 8050)")
    parser.add_argument("--data-dir", type=Path, help="directory for the SQLite database (env IOC_DATA_DIR, default ./data)")
    parser.add_argument("--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://user:pass@host/ioc (env IOC_DATABASE_URL, default SQLite in the data directory)")
    parser.add_argument("--catalog", type=Path, help="YAML catalog of systems to monitor (env IOC_CATALOG, default the demo catalog); giving one turns the demo off")
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
