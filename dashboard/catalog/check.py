"""`python app.py check-catalog FILE`: validate a catalog and say what the app would run.

The counts are those the app applies: the catalog's own endpoints and agencies plus, when
`communes.include` is on, the 96 commune-level units (agencies) and, with `communes.heartbeat`,
one heartbeat endpoint per unit. Variables the running app would fill itself (the demo's
`${IOC_DEMO_…}`) come from `fill_env`, and the report says where they came from.
"""
from __future__ import annotations

import os
import re
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from dashboard.catalog.loader import Catalog, CatalogError, load_catalog, notification_warnings

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}")


@dataclass(frozen=True)
class Report:
    ok: bool
    text: str  # what to print: the counts, or every problem

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 2


def counts(catalog: Catalog, units: list | None = None) -> dict[str, int]:
    """What applying the catalog yields (same rules as apply_catalog, without a database)."""
    spec = catalog.spec
    if spec.communes.include and units is None:
        from dashboard.domain.communes import province_units

        units = province_units()
    units = units if spec.communes.include else []
    heartbeats = len(units) if spec.communes.heartbeat is not None else 0
    own = sum(len(system.endpoints) for system in spec.systems)
    return {"systems": len(spec.systems), "endpoints": own + heartbeats, "commune_heartbeats": heartbeats,
            "agencies": len(spec.agencies) + len(units), "commune_units": len(units),
            "national_platforms": len(spec.national_platforms),
            "links": sum(len(system.connections) for system in spec.systems)}


def unset_variables(path: Path, env: dict[str, str]) -> list[str]:
    """Variables the file uses without a default that `env` does not set."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    return sorted({m[1] for m in _VARIABLE.finditer(text) if not m[2] and m[1] not in env})


def check(path: str | Path, env: dict[str, str] | None = None,
          fill_env: Callable[[list[str]], AbstractContextManager[tuple[dict[str, str], str]]] | None = None,
          units: list | None = None) -> Report:
    """Validate `path`. `fill_env(missing)` may supply the missing variables the way the
    running app would: a context (the values stay valid inside it, e.g. a CA file) giving them
    and a sentence saying where they came from."""
    path = Path(path)
    env = dict(os.environ) if env is None else dict(env)
    note = ""
    missing = unset_variables(path, env)
    filling = fill_env(missing) if missing and fill_env is not None else nullcontext(({}, ""))
    with filling as (filled, where):
        env.update(filled)
        used = sorted(set(filled) & set(missing))
        if used:
            note = f"\n  {len(used)} variable(s) not set here were filled {where}: {', '.join(used)}"
        try:
            catalog = load_catalog(path, env)
        except CatalogError as exc:
            return Report(False, f"error: {exc}")
    n = counts(catalog, units)
    text = (f"{catalog.source}: valid — {n['systems']} systems, {n['endpoints']} endpoints "
            f"({n['commune_heartbeats']} of them commune heartbeats), {n['agencies']} agencies "
            f"({n['commune_units']} of them commune-level units), {n['national_platforms']} national platforms, "
            f"{n['links']} links{note}")
    warnings = notification_warnings(catalog.spec)
    if warnings:
        text += "\n" + "\n".join(f"  warning: {w}" for w in warnings)
    return Report(True, text)
