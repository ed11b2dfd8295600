"""Notification routes as tables: matching, quiet hours in Vietnam time (over midnight, edges),
what is sent or suppressed, bad input naming its field, warnings for a route matching nothing."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest

from dashboard.domain import routes as rules
from dashboard.domain.routes import Event, Route, RouteError

VN = timezone(timedelta(hours=7))
OUTAGE = Event("outage", "critical", system_id="lgsp", agency_id="skhcn", partner="VNPT")


@pytest.mark.parametrize("route, event, expected", [
    (Route("any"), OUTAGE, True),
    (Route("lgsp", systems=("lgsp",)), OUTAGE, True),
    (Route("qlvb", systems=("qlvb",)), OUTAGE, False),
    (Route("vnpt", partners=("VNPT",)), OUTAGE, True),
    (Route("viettel", partners=("Viettel",)), OUTAGE, False),
    (Route("police", agencies=("cong-an",), kinds=("security",)), Event("security", "high", agency_id="cong-an"), True),
    (Route("police", agencies=("cong-an",), kinds=("security",)), OUTAGE, False),
    (Route("high+", min_severity="high"), Event("security", "medium"), False),
    (Route("high+", min_severity="high"), Event("security", "high"), True),
    (Route("recovery", kinds=("recovery",)), Event("recovery", "info", system_id="lgsp"), True),
])
def test_matching(route, event, expected):
    assert rules.matches(route, event) is expected


NIGHT = Route("night", quiet_start=time(22, 0), quiet_end=time(6, 0))
LUNCH = Route("lunch", quiet_start=time(11, 30), quiet_end=time(13, 0))


@pytest.mark.parametrize("route, local, quiet", [
    (NIGHT, datetime(2026, 12, 2, 21, 59, 59, tzinfo=VN), False),
    (NIGHT, datetime(2026, 12, 2, 22, 0, tzinfo=VN), True),
    (NIGHT, datetime(2026, 12, 3, 3, 0, tzinfo=VN), True),
    (NIGHT, datetime(2026, 12, 3, 5, 59, 59, tzinfo=VN), True),
    (NIGHT, datetime(2026, 12, 3, 6, 0, tzinfo=VN), False),
    (NIGHT, datetime(2026, 12, 2, 16, 0, tzinfo=timezone.utc), True),  # 23:00 in Vietnam
    (LUNCH, datetime(2026, 12, 2, 12, 0, tzinfo=VN), True),
    (LUNCH, datetime(2026, 12, 2, 13, 0, tzinfo=VN), False),
    (Route("none"), datetime(2026, 12, 2, 3, 0, tzinfo=VN), False),
])
def test_quiet_hours(route, local, quiet):
    assert rules.in_quiet_hours(route, local) is quiet


@pytest.mark.parametrize("event, local, decision", [
    (Event("outage", "critical"), datetime(2026, 12, 3, 2, 0, tzinfo=VN), "send"),  # critical: even at night
    (Event("certificate", "medium"), datetime(2026, 12, 3, 2, 0, tzinfo=VN), "suppressed_quiet"),
    (Event("certificate", "medium"), datetime(2026, 12, 3, 9, 0, tzinfo=VN), "send"),
    (Event("security", "info"), datetime(2026, 12, 3, 9, 0, tzinfo=VN), None),  # below the minimum
])
def test_decide(event, local, decision):
    route = Route("night", quiet_start=time(22, 0), quiet_end=time(6, 0), min_severity="low")
    assert rules.decide(route, event, local) == decision


@pytest.mark.parametrize("text, expected", [("22:00", time(22, 0)), ("6:05", time(6, 5)), ("", None), (None, None)])
def test_parse_clock(text, expected):
    assert rules.parse_clock("quiet_start", text) == expected


@pytest.mark.parametrize("text", ["25:00", "22", "abc", "22:61"])
def test_parse_clock_refuses_naming_the_field(text):
    with pytest.raises(RouteError) as caught:
        rules.parse_clock("quiet_start", text)
    assert caught.value.field == "quiet_start"


def test_choices_and_warnings():
    with pytest.raises(RouteError, match="kinds: unknown outages"):
        rules.check_choices("kinds", ("outages",), rules.KINDS)
    route = Route("r", systems=("nowhere",), partners=("VNPT",))
    assert rules.warnings(route, {"lgsp"}, set(), {"VNPT"}) == [
        "system: nowhere not in the catalog", "the route matches nothing: no system it names is in the catalog"]
    assert rules.warnings(Route("r", systems=("lgsp",)), {"lgsp"}, set(), set()) == []


@pytest.mark.parametrize("role, method, path, decision", [
    ("operator", "GET", "/admin/routes", "allow"),  # operators read who is told about what
    ("viewer", "GET", "/admin/routes", "deny"),
    ("operator", "GET", "/admin/audit", "deny"),  # the other admin pages stay admin-only
    ("operator", "GET", "/admin/routes/../audit", "deny"),
    ("operator", "POST", "/api/routes", "deny"),
    ("operator", "PUT", "/api/routes/vnpt", "deny"),
    ("operator", "POST", "/api/routes/vnpt/test", "deny"),
    ("admin", "POST", "/api/routes/vnpt/test", "allow"),
    ("operator", "GET", "/api/routes/deliveries", "allow"),
])
def test_who_reads_and_who_changes_routes(role, method, path, decision):
    from dashboard.auth import policy

    assert policy.decide_request(role, method, path).value == decision


def test_the_routes_page_writes_need_an_admin():
    from dashboard.auth import policy

    call = policy.CallbackCall(("admin-routes-result", "admin-routes-version"))
    assert policy.decide_callback("operator", call) is policy.Decision.DENY
    assert policy.decide_callback("admin", call) is policy.Decision.ALLOW
    # the form is filled with a route's whole URLs: admins only
    assert policy.decide_callback("operator", policy.CallbackCall(("routes-editing", "admin-route-urls"))) is policy.Decision.DENY
