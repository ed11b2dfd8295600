"""Commune-level administrative units of Quảng Ngãi (two-tier system since 1 July 2025).

Official codes, names and types come from ``vietnam-provinces``; centroid
coordinates and areas come from ``vietnamadminunits``. The two are joined on
the official ward code, which both packages carry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

from vietnam_provinces import ProvinceCode, VietNamDivisionType, Ward

log = logging.getLogger(__name__)

PROVINCE_CODE = "51"

UNIT_TYPE_LABELS = {
    "commune": ("Xã", "Commune"),
    "ward": ("Phường", "Ward"),
    "special_zone": ("Đặc khu", "Special zone"),
}

_UNIT_TYPES = {
    VietNamDivisionType.XA: "commune",
    VietNamDivisionType.PHUONG: "ward",
    VietNamDivisionType.DAC_KHU: "special_zone",
}


@dataclass(frozen=True)
class AdminUnit:
    code: str
    name: str
    short_name: str
    unit_type: str
    lat: float | None
    lon: float | None
    area_km2: float | None = None


def _short_name(name: str, unit_type: str) -> str:
    prefix = UNIT_TYPE_LABELS[unit_type][0] + " "
    if not name.startswith(prefix):
        raise ValueError(f"{name!r} does not start with the expected prefix {prefix!r}")
    return name.removeprefix(prefix)


def _geodata_by_code(province_code: ProvinceCode) -> dict[str, dict]:
    # Imported here because the package's __init__ also builds its address
    # parser, which costs ~0.25 s; importing this module stays cheap.
    from vietnamadminunits.database import query

    # The code is a validated ProvinceCode, so formatting it into SQL is safe
    # (query() takes no bind parameters).
    rows = query(
        "SELECT wardCode, wardLat, wardLon, wardAreaKm2 FROM admin_units "
        f"WHERE provinceCode = '{int(province_code):02d}'"
    )
    return {row["wardCode"]: row for row in rows}


@lru_cache
def province_units(province_code: str = PROVINCE_CODE) -> list[AdminUnit]:
    """Return the province's commune-level units sorted by code.

    The list is cached and shared between callers, so do not mutate it.
    Raises ValueError for a province code unknown to vietnam-provinces.
    """
    code = ProvinceCode(int(province_code))
    geodata = _geodata_by_code(code)
    units = []
    for ward in Ward.iter_by_province(code):
        ward_code = f"{int(ward.code):05d}"
        unit_type = _UNIT_TYPES[ward.division_type]
        geo = geodata.pop(ward_code, {})
        units.append(
            AdminUnit(
                code=ward_code,
                name=ward.name,
                short_name=_short_name(ward.name, unit_type),
                unit_type=unit_type,
                lat=geo.get("wardLat"),
                lon=geo.get("wardLon"),
                area_km2=geo.get("wardAreaKm2"),
            )
        )
    units.sort(key=lambda unit: unit.code)

    missing = [unit.code for unit in units if unit.lat is None or unit.lon is None]
    if missing:
        log.warning("No coordinates in vietnamadminunits for unit(s): %s", ", ".join(missing))
    if geodata:
        log.warning(
            "vietnamadminunits unit(s) unknown to vietnam-provinces: %s", ", ".join(sorted(geodata))
        )
    return units
