import unicodedata
from collections import Counter

import pytest
from vietnam_provinces import Province, ProvinceCode
from vietnamadminunits.database import query

from dashboard.domain.communes import PROVINCE_CODE, UNIT_TYPE_LABELS, province_units

# Union of the pre-merger provinceBounds recorded in vietnamadminunits'
# admin_units_legacy table, rounded outward to 0.05°:
#   Quảng Ngãi (51): 14.533–15.433 N, 108.235–109.147 E (east edge is Lý Sơn)
#   Kon Tum    (62): 13.921–15.418 N, 107.332–108.547 E (south and west edges)
LAT_RANGE = (13.90, 15.45)
LON_RANGE = (107.30, 109.15)


@pytest.fixture(scope="module")
def units():
    return province_units()


def _geodata_rows():
    return query(
        "SELECT wardCode, ward FROM admin_units "
        f"WHERE provinceCode = '{int(PROVINCE_CODE):02d}'"
    )


def test_province_code_is_quang_ngai():
    province = Province.from_code(ProvinceCode(int(PROVINCE_CODE)))
    assert province.name == "Quảng Ngãi"


def test_unit_count(units):
    assert len(units) == 96


def test_split_by_type(units):
    assert Counter(unit.unit_type for unit in units) == {
        "commune": 86,
        "ward": 9,
        "special_zone": 1,
    }


def test_codes_unique_and_sorted(units):
    codes = [unit.code for unit in units]
    assert len(set(codes)) == len(codes)
    assert codes == sorted(codes)
    assert all(len(code) == 5 and code.isdigit() for code in codes)


def test_names_match_type_and_short_name(units):
    for unit in units:
        prefix = UNIT_TYPE_LABELS[unit.unit_type][0]
        assert unit.name == f"{prefix} {unit.short_name}"
        assert unicodedata.is_normalized("NFC", unit.name)


def test_names_keep_diacritics(units):
    names = {unit.name for unit in units}
    assert {"Đặc khu Lý Sơn", "Phường Cẩm Thành", "Phường Kon Tum", "Xã Bình Sơn"} <= names
    # These pairs differ only by diacritics, so both survive only if accents do.
    assert {"Xã Sơn Hà", "Xã Sơn Hạ", "Xã Ba Tơ", "Xã Ba Tô"} <= names
    special_zones = [unit for unit in units if unit.unit_type == "special_zone"]
    assert [unit.name for unit in special_zones] == ["Đặc khu Lý Sơn"]


def test_packages_list_the_same_units(units):
    other = {row["wardCode"] for row in _geodata_rows()}
    ours = {unit.code for unit in units}
    assert ours - other == set(), "no coordinates in vietnamadminunits"
    assert other - ours == set(), "unknown to vietnam-provinces"


def test_packages_agree_on_names(units):
    # Guards the join on code; case is ignored because the packages disagree
    # only on "Phường Đăk BLa" (vietnam-provinces) vs "Phường Đăk Bla".
    other = {row["wardCode"]: row["ward"] for row in _geodata_rows()}
    mismatched = [
        (unit.code, unit.name, other[unit.code])
        for unit in units
        if unit.name.casefold() != other[unit.code].casefold()
    ]
    assert mismatched == []


def test_coordinates_inside_province(units):
    outside = [
        (unit.code, unit.name, unit.lat, unit.lon)
        for unit in units
        if unit.lat is None
        or unit.lon is None
        or not LAT_RANGE[0] <= unit.lat <= LAT_RANGE[1]
        or not LON_RANGE[0] <= unit.lon <= LON_RANGE[1]
    ]
    assert outside == []


def test_areas_present(units):
    assert all(unit.area_km2 is not None and unit.area_km2 > 0 for unit in units)


def test_unknown_province_rejected():
    with pytest.raises(ValueError):
        province_units("99")


def test_cached():
    first = province_units()
    hits = province_units.cache_info().hits
    assert province_units() is first
    assert province_units.cache_info().hits == hits + 1
