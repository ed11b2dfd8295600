"""Plain geometry for the province map: read a GeoJSON outline into rings, test whether a
point is on land inside it, and fit a lon/lat box to a screen. No I/O here besides the one
reader; no map library: the outline is small (a few hundred vertices)."""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

Ring = list[tuple[float, float]]  # (lon, lat) pairs, first == last
# The province's outline, shipped with its license and attribution (assets/geo/README.md).
PROVINCE_OUTLINE = Path(__file__).resolve().parents[2] / "assets" / "geo" / "quang-ngai-2025-outline.geojson"
# The provincial administrative centre: the centroid of Cẩm Thành ward (vietnamadminunits), where the
# People's Committee and the provincial departments sit.
PROVINCIAL_CENTRE = (15.1135, 108.812)


class OutlineError(ValueError):
    """The outline file is missing, not GeoJSON, or has no polygon."""


def rings_of(geojson: dict) -> list[Ring]:
    """Every exterior ring of every Polygon / MultiPolygon in a GeoJSON object (a
    FeatureCollection, a Feature or a bare geometry). Holes are left out: the province has none,
    and a dashboard outline does not need them."""
    kind = geojson.get("type") if isinstance(geojson, dict) else None
    if kind == "FeatureCollection":
        return [ring for feature in geojson.get("features") or [] for ring in rings_of(feature)]
    if kind == "Feature":
        return rings_of(geojson.get("geometry") or {})
    if kind == "Polygon":
        polygons = [geojson.get("coordinates") or []]
    elif kind == "MultiPolygon":
        polygons = geojson.get("coordinates") or []
    elif kind == "GeometryCollection":
        return [ring for g in geojson.get("geometries") or [] for ring in rings_of(g)]
    else:
        return []
    rings = []
    for polygon in polygons:
        if polygon and len(polygon[0]) >= 4:
            rings.append([(float(x), float(y)) for x, y, *_ in polygon[0]])
    return rings


@lru_cache(maxsize=4)
def read_outline(path: str) -> tuple[tuple[tuple[float, float], ...], ...]:
    """The exterior rings of a GeoJSON file, cached per path (the file ships with the app)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OutlineError(f"cannot read the outline {path}: {exc}") from exc
    rings = rings_of(data)
    if not rings:
        raise OutlineError(f"the outline {path} has no polygon")
    return tuple(tuple(r) for r in rings)


def inside_ring(lon: float, lat: float, ring) -> bool:
    """Even-odd ray casting: is (lon, lat) inside the closed ring?"""
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def inside(lon: float, lat: float, rings) -> bool:
    return any(inside_ring(lon, lat, ring) for ring in rings)


def bounds(rings) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the rings."""
    lons = [x for ring in rings for x, _ in ring]
    lats = [y for ring in rings for _, y in ring]
    return min(lons), min(lats), max(lons), max(lats)


def lon_scale(lat: float) -> float:
    """How much shorter a degree of longitude is than a degree of latitude at `lat`: the
    ratio that keeps a plain lon/lat plot from looking stretched (equirectangular at the
    province's latitude, good enough for a province 1.5° tall)."""
    return math.cos(math.radians(lat))


def spread_around(centre: tuple[float, float], n: int, radius: float) -> list[tuple[float, float]]:
    """n (lat, lon) points evenly on a small circle around `centre` (lat, lon), starting north:
    places that share one address (the provincial departments) stay apart on the map."""
    if n <= 1:
        return [centre] * n
    lat0, lon0 = centre
    stretch = 1.0 / lon_scale(lat0)
    return [
        (lat0 + radius * math.cos(2 * math.pi * i / n), lon0 + radius * stretch * math.sin(2 * math.pi * i / n))
        for i in range(n)
    ]
