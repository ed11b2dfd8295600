"""The province outline shipped with the app and the catalog's agency locations."""
from __future__ import annotations

import pytest

from dashboard.catalog.loader import CatalogError, parse_catalog
from dashboard.domain import geo
from dashboard.domain.communes import province_units
from tests.catalogs import minimal_catalog

RINGS = geo.read_outline(str(geo.PROVINCE_OUTLINE))


@pytest.mark.parametrize("name, lat, lon, inside", [
    ("provincial centre", *geo.PROVINCIAL_CENTRE, True),
    ("Lý Sơn island", 15.385, 109.115, True),
    ("Kon Tum (former province, now inside)", 14.35, 108.0, True),
    ("the sea east of the centre, where agencies used to be drawn", 15.11, 109.05, False),
    ("Đà Nẵng", 16.05, 108.2, False),
    ("Bình Định", 13.8, 109.2, False),
])
def test_inside_the_province(name, lat, lon, inside):
    assert geo.inside(lon, lat, RINGS) is inside, name


def test_outline_has_the_mainland_and_the_islands_and_keeps_its_license():
    assert len(RINGS) == 3
    west, south, east, north = geo.bounds(RINGS)
    assert (round(west, 2), round(south, 2), round(east, 2), round(north, 2)) == (107.33, 13.92, 109.14, 15.43)
    readme = (geo.PROVINCE_OUTLINE.parent / "README.md").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in readme and "geoBoundaries" in readme


def test_every_official_commune_centroid_is_inside():
    assert all(geo.inside(u.lon, u.lat, RINGS) for u in province_units())


def test_agencies_spread_around_their_shared_seat_stay_on_land():
    points = geo.spread_around(geo.PROVINCIAL_CENTRE, 11, 0.05)
    assert len(set(points)) == 11 and all(geo.inside(lon, lat, RINGS) for lat, lon in points)


def test_catalog_takes_a_location_and_a_short_name_and_refuses_the_sea():
    text = minimal_catalog().replace("    name_en: Department of Science and Technology\n",
                                     "    name_en: Department of Science and Technology\n    location: [15.1135, 108.812]\n", 1)
    text = text.replace("    name_en: LGSP\n", "    name_en: LGSP\n    short_name: LGSP\n", 1)
    catalog = parse_catalog(text)
    assert catalog.spec.agencies[0].location == (15.1135, 108.812)
    assert catalog.spec.systems[0].short_name == "LGSP"
    with pytest.raises(CatalogError) as error:
        parse_catalog(text.replace("[15.1135, 108.812]", "[15.11, 109.05]"))
    assert "not inside the province" in str(error.value) and "agencies[0].location" in str(error.value)
    with pytest.raises(CatalogError) as error:  # [lon, lat] by mistake
        parse_catalog(text.replace("[15.1135, 108.812]", "[108.812, 15.1135]"))
    assert "location" in str(error.value)
