"""Maintenance planning: the form's rule builder, RRULE validation (never occurs, more often
than hourly → refused), Vietnam-time recurrence at exact minute boundaries, input parsing and
PATCH merging as tables; then plan / edit / cancel, overlaps and the upcoming feed on a real
database (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from dashboard.auth.audit import entries
from dashboard.catalog.loader import apply_catalog, parse_catalog
from dashboard.domain import maintenance as rules
from dashboard.domain.maintenance import MaintenanceError, WindowSpec
from dashboard.monitoring import maintenance as planning
from dashboard.readmodels import maintenance as views
from dashboard.store.models import MaintenanceWindow

UTC = timezone.utc
VN = timezone(timedelta(hours=7))
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # Wednesday 10:00 in Quảng Ngãi
S = timedelta(seconds=1)


@pytest.mark.parametrize("args, kwargs, rrule, hours", [
    (("weekly", "22:00", "02:00"), {"weekdays": ["SU"]}, "FREQ=WEEKLY;BYDAY=SU;BYHOUR=22;BYMINUTE=0;BYSECOND=0", 4),
    (("weekly", "01:30", "03:00"), {"weekdays": ["SA", "MO"]}, "FREQ=WEEKLY;BYDAY=MO,SA;BYHOUR=1;BYMINUTE=30;BYSECOND=0", 1.5),
    (("monthly", "23:00", "23:30"), {"monthday": 1}, "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=23;BYMINUTE=0;BYSECOND=0", 0.5),
    (("monthly", "20:00", "06:00"), {"monthday": -1}, "FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=20;BYMINUTE=0;BYSECOND=0", 10),
])
def test_the_form_writes_an_rrule(args, kwargs, rrule, hours):
    assert rules.build_rrule(*args, **kwargs) == (rrule, hours * 3600)


@pytest.mark.parametrize("args, kwargs, message", [
    (("weekly", "22:00", "02:00"), {}, "at least one weekday"),
    (("weekly", "22:00", "02:00"), {"weekdays": ["XX"]}, "at least one weekday"),
    (("weekly", "22:00", "22:00"), {"weekdays": ["SU"]}, "equals the start"),
    (("weekly", "25:00", "02:00"), {"weekdays": ["SU"]}, "not a time"),
    (("weekly", "", "02:00"), {"weekdays": ["SU"]}, "not a time"),
    (("monthly", "22:00", "23:00"), {"monthday": 31}, "1 to 28"),
    (("monthly", "22:00", "23:00"), {}, "1 to 28"),
    (("daily", "22:00", "23:00"), {}, "expected weekly or monthly"),
])
def test_the_form_refuses(args, kwargs, message):
    with pytest.raises(MaintenanceError, match=message):
        rules.build_rrule(*args, **kwargs)


@pytest.mark.parametrize("rrule, duration, message", [
    ("FREQ=MINUTELY", 60, "more often than hourly"),
    ("FREQ=SECONDLY;INTERVAL=30", 10, "more often than hourly"),
    ("FREQ=HOURLY;BYMINUTE=0,30", 60, "more often than hourly"),
    ("FREQ=DAILY;BYHOUR=1,2;BYMINUTE=0,15", 60, "more often than hourly"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", 3600, "never occurs"),
    ("FREQ=WEEKLY;COUNT=0", 3600, "never occurs"),
    ("FREQ=WEEKLY;UNTIL=20200101T000000Z", 3600, "never occurs"),
    ("FREQ=SOMETIMES", 3600, "cannot read"),
    ("DTSTART:20260101T000000Z\nRRULE:FREQ=WEEKLY", 3600, "only the RRULE part"),
    ("FREQ=WEEKLY", None, "needs a duration"),
    ("FREQ=WEEKLY", 40 * 86400, "needs a duration"),
    ("", 3600, "empty"),
])
def test_bad_rrules_are_refused(rrule, duration, message):
    with pytest.raises(MaintenanceError, match=message):
        rules.check_rrule(rrule, NOW, duration)


@pytest.mark.parametrize("rrule", ["FREQ=HOURLY", "FREQ=DAILY;BYHOUR=22", "FREQ=WEEKLY;BYDAY=SU;BYHOUR=22;BYMINUTE=0"])
def test_hourly_or_rarer_rules_are_accepted(rrule):
    assert rules.check_rrule(rrule, NOW, 600) >= NOW


SUNDAY_22 = WindowSpec(1, "lgsp", None, NOW, None, "FREQ=WEEKLY;BYDAY=SU;BYHOUR=22;BYMINUTE=0;BYSECOND=0",
                       4 * 3600, None, "sao lưu")


@pytest.mark.parametrize("local, inside", [
    # Sunday 6 Dec 2026 22:00 in Vietnam is 15:00 UTC; the window runs to Monday 02:00
    (datetime(2026, 12, 6, 21, 59, 59, tzinfo=VN), False),
    (datetime(2026, 12, 6, 22, 0, 0, tzinfo=VN), True),
    (datetime(2026, 12, 7, 1, 59, 59, tzinfo=VN), True),
    (datetime(2026, 12, 7, 2, 0, 0, tzinfo=VN), False),
    (datetime(2026, 12, 13, 22, 30, tzinfo=VN), True),
    # Sunday 22:00 UTC is Monday 05:00 in Vietnam: outside (the rule is read in Vietnam time)
    (datetime(2026, 12, 6, 22, 30, tzinfo=UTC), False),
])
def test_a_weekly_window_is_read_in_vietnam_time_to_the_second(local, inside):
    assert (rules.occurrence_at(SUNDAY_22, local.astimezone(UTC)) is not None) is inside


@pytest.mark.parametrize("data, message", [
    ([], "JSON object"),
    ({"system": "lgsp", "reason": "x", "starts_at": "2026-12-06T22:00:00+07:00", "ends_at": "2026-12-06T21:00:00+07:00"}, "after starts_at"),
    ({"system": "lgsp", "reason": "x", "starts_at": "2026-12-06T22:00:00", "ends_at": "2026-12-07T01:00:00+07:00"}, "time zone"),
    ({"system": "lgsp", "reason": "x", "starts_at": "tomorrow", "ends_at": "2026-12-07T01:00:00+07:00"}, "starts_at"),
    ({"system": "lgsp", "reason": "x"}, "needs both"),
    ({"system": "lgsp", "endpoint": "lgsp.health", "reason": "x", "repeat": "weekly"}, "either one system"),
    ({"reason": "x", "repeat": "weekly"}, "either one system"),
    ({"system": "lgsp", "reason": "  ", "repeat": "weekly"}, "reason"),
    ({"system": "lgsp", "reason": "x", "colour": "red"}, "unknown field"),
    ({"system": "lgsp", "reason": "x", "rrule": "FREQ=MINUTELY", "duration_s": 60}, "more often than hourly"),
    ({"system": "lgsp", "reason": "x", "rrule": "FREQ=WEEKLY", "duration_s": "1h"}, "duration_s"),
    ({"system": "lgsp", "reason": "x", "repeat": "weekly", "weekdays": "SU", "start_time": "22:00", "end_time": "02:00"}, "weekdays"),
    ({"system": "lgsp", "reason": "x", "repeat": "weekly", "weekdays": ["SU"], "start_time": "22:00", "end_time": "02:00",
      "from": "2026-12-10T00:00:00+07:00", "until": "2026-12-12T00:00:00+07:00"}, "never occurs before until"),
])
def test_bad_window_input_is_refused(data, message):
    with pytest.raises(MaintenanceError, match=message):
        rules.window_fields(data, NOW)


def test_patch_replaces_the_timing_whole():
    current = {"system": "lgsp", "reason": "x", "rrule": "FREQ=WEEKLY;BYDAY=SU", "duration_s": 60.0, "from": "a"}
    assert rules.merge_patch(current, {"starts_at": "s", "ends_at": "e"}) == {
        "system": "lgsp", "reason": "x", "starts_at": "s", "ends_at": "e"}
    assert rules.merge_patch(current, {"reason": "y"}) == {**current, "reason": "y"}
    assert rules.merge_patch(current, {"endpoint": "lgsp.health"})["endpoint"] == "lgsp.health"
    assert "system" not in rules.merge_patch(current, {"endpoint": "lgsp.health"})
    with pytest.raises(MaintenanceError):
        rules.merge_patch(current, {})


@pytest.mark.parametrize("rrule, lang, text", [
    ("FREQ=WEEKLY;BYDAY=SU;BYHOUR=22;BYMINUTE=0;BYSECOND=0", "vi", "Chủ nhật hằng tuần 22:00–02:00"),
    ("FREQ=WEEKLY;BYDAY=SU;BYHOUR=22;BYMINUTE=0;BYSECOND=0", "en", "Every Sunday 22:00–02:00"),
    ("FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=22;BYMINUTE=0;BYSECOND=0", "vi", "Ngày 1 hằng tháng 22:00–02:00"),
])
def test_descriptions(rrule, lang, text):
    assert rules.describe(rrule, NOW, 4 * 3600, lang) == text


# ----------------------------------------------------------------------------- database

CATALOG = """\
version: 1
agencies:
  - {id: skhcn, name_vi: Sở Khoa học và Công nghệ, name_en: Department of Science and Technology}
communes: {include: false}
systems:
  - id: lgsp
    name_vi: Nền tảng LGSP
    name_en: LGSP
    owner: skhcn
    endpoints:
      - {id: health, url: "http://127.0.0.1:9/health", interval: 30s, timeout: 5s}
"""

WEEKLY = {"system": "lgsp", "reason": "Sao lưu hằng tuần", "repeat": "weekly", "weekdays": ["SU"],
          "start_time": "22:00", "end_time": "02:00"}


@pytest.fixture
def db(any_db):
    with any_db.session() as session:
        apply_catalog(session, parse_catalog(CATALOG, "test.yaml", {}), units=[])
    return any_db


def test_plan_edit_cancel_with_overlaps_and_the_feed(db):
    with db.session() as session:
        weekly = planning.plan(session, WEEKLY, user="kythuat", now=NOW)
        one_off = planning.plan(session, {"endpoint": "lgsp.health", "reason": "Thay chứng thư số",
                                          "starts_at": "2026-12-06T23:00:00+07:00", "ends_at": "2026-12-07T00:00:00+07:00"},
                                user="kythuat", now=NOW)
        weekly_id, one_off_id = weekly.id, one_off.id
    with db.session() as session:
        listed = {w["id"]: w for w in views.all_windows(session, now=NOW)}
        assert listed[weekly_id]["description_vi"] == "Chủ nhật hằng tuần 22:00–02:00"
        assert listed[weekly_id]["next"] == ["2026-12-06T15:00:00Z", "2026-12-06T19:00:00Z"]
        # overlapping windows are allowed, and shown
        assert listed[weekly_id]["overlaps"] == [one_off_id] and listed[one_off_id]["overlaps"] == [weekly_id]
        sunday_noon = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)  # 12:00 in Vietnam
        assert [(f["text_vi"], f["system_id"]) for f in views.upcoming_feed(session, now=sunday_noon)] == [
            ("Bảo trì lúc 22:00", "lgsp"), ("Bảo trì lúc 23:00", "lgsp")]
        assert views.upcoming_feed(session, now=NOW) == []  # Sunday is more than 24 h away
        # the system page's read model lists both, with the readable timing
        assert {w["description_vi"] for w in views.windows_for(session, "lgsp", now=NOW)} == {
            "Chủ nhật hằng tuần 22:00–02:00", "06/12/2026 23:00–07/12/2026 00:00"}

        planning.edit(session, weekly_id, {"start_time": "21:00", "end_time": "23:00", "repeat": "weekly",
                                           "weekdays": ["SA"]}, now=NOW)
        with pytest.raises(MaintenanceError, match="more often than hourly"):
            planning.edit(session, weekly_id, {"rrule": "FREQ=MINUTELY", "duration_s": 30}, now=NOW)
        with pytest.raises(MaintenanceError, match="no system"):
            planning.edit(session, weekly_id, {"system": "nowhere"}, now=NOW)
        with pytest.raises(LookupError):
            planning.edit(session, 999_999, {"reason": "x"}, now=NOW)
    with db.session() as session:
        row = session.get(MaintenanceWindow, weekly_id)
        assert (row.rrule, row.duration_s, row.system_id) == (
            "FREQ=WEEKLY;BYDAY=SA;BYHOUR=21;BYMINUTE=0;BYSECOND=0", 7200.0, "lgsp")
        planning.cancel(session, weekly_id, now=NOW)
        with pytest.raises(MaintenanceError, match="cancelled"):
            planning.edit(session, weekly_id, {"reason": "y"}, now=NOW)
    with db.session() as session:
        assert [w["id"] for w in views.all_windows(session, now=NOW)] == [one_off_id]
        assert {w["id"]: w["state"] for w in views.all_windows(session, now=NOW, include_over=True)}[weekly_id] == "cancelled"
        assert {"maintenance.create", "maintenance.edit", "maintenance.cancel"} <= {e.action for e in entries(session)}


def test_bad_plans_change_nothing(db):
    with db.session() as session:
        for data in ({**WEEKLY, "system": "nowhere"}, {**WEEKLY, "weekdays": []}, {"system": "lgsp", "reason": "x"}):
            with pytest.raises(MaintenanceError):
                planning.plan(session, data, now=NOW)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(MaintenanceWindow)) == 0


def feed(db, at: datetime, verdict: str = "down") -> None:
    from collectors.base import CheckResult as Probe
    from dashboard.monitoring.results import record_results

    with db.session() as session:
        record_results(session, [Probe("lgsp.health", verdict, "HTTP 503" if verdict == "down" else "HTTP 200",
                                       checked_at=at, latency_ms=5.0, http_code=503 if verdict == "down" else 200)])


def status_and_open_incidents(db) -> tuple[str, str, int]:
    from dashboard.store.models import Endpoint, Incident, System

    with db.session() as session:
        return (session.get(Endpoint, "lgsp.health").status, session.get(System, "lgsp").status,
                session.scalar(select(func.count()).select_from(Incident).where(Incident.ended_at.is_(None))))


@pytest.mark.parametrize("fields, expected", [
    # the page's defaults: weekly, Sunday, 22:00–02:00
    (("system:lgsp", "Sao lưu hằng tuần", "weekly", ["SU"], 1, None, "22:00", "02:00"), WEEKLY),
    (("endpoint:lgsp.health", "Thay chứng thư", "monthly", ["SU"], -1, None, "23:00", "23:30"),
     {"endpoint": "lgsp.health", "reason": "Thay chứng thư", "repeat": "monthly", "start_time": "23:00",
      "end_time": "23:30", "monthday": -1}),
    (("system:lgsp", "Nâng cấp", "once", [], 1, "2026-12-06", "22:00", "02:00"),  # over midnight: ends the next day
     {"system": "lgsp", "reason": "Nâng cấp", "starts_at": "2026-12-06T22:00:00+07:00",
      "ends_at": "2026-12-07T02:00:00+07:00"}),
])
def test_the_page_form_gives_the_api_input(fields, expected):
    assert rules.form_input(*fields) == expected


def test_the_page_form_refuses_a_one_off_without_a_date():
    with pytest.raises(MaintenanceError, match="choose a date"):
        rules.form_input("system:lgsp", "x", "once", [], 1, "", "22:00", "02:00")


def test_a_weekly_window_takes_effect_at_its_exact_minute_edges(db):
    """Sunday 22:00–02:00 (Vietnam), planned with the /maintenance form's fields as the page sends
    them: an outage inside it raises nothing, one outside it does; the endpoint enters
    maintenance at 22:00:00 and leaves it at 02:00:00, between checks."""
    start = datetime(2026, 12, 6, 22, 0, tzinfo=VN).astimezone(UTC)
    end = start + timedelta(hours=4)
    from_the_page = rules.form_input("system:lgsp", "Sao lưu hằng tuần", "weekly", ["SU"], 1, None, "22:00", "02:00")
    with db.session() as session:
        planning.plan(session, from_the_page, now=NOW)
    feed(db, start - 60 * S, "up")
    feed(db, start - 30 * S, "up")
    with db.session() as session:
        assert planning.apply_edges(session, now=start - 1 * S) == []  # 21:59:59: not yet
    assert status_and_open_incidents(db) == ("up", "up", 0)
    with db.session() as session:
        changes = planning.apply_edges(session, now=start)  # 22:00:00 sharp, no check at that moment
        assert [(c.subject_type, c.new_status) for c in changes] == [("endpoint", "maintenance"), ("system", "maintenance")]
        # both dated by the edge, not by the last check 30 s before it
        assert [c.at for c in changes] == [start, start]
        assert planning.apply_edges(session, now=start + 30 * S) == []  # idempotent
    # the outage inside the window: every check down for four hours, nothing raised
    for minute in range(0, 240, 10):
        feed(db, start + minute * 60 * S, "down")
    feed(db, end - 1 * S, "down")
    assert status_and_open_incidents(db) == ("maintenance", "maintenance", 0)
    with db.session() as session:
        assert planning.apply_edges(session, now=end - 1 * S) == []  # 01:59:59: still inside
        changes = planning.apply_edges(session, now=end)  # 02:00:00 sharp
        assert [(c.subject_type, c.new_status) for c in changes][0] == ("endpoint", "unknown")
        assert {c.at for c in changes} == {end}
    # the same outage outside the window raises an incident
    feed(db, end + 10 * S, "down")
    feed(db, end + 40 * S, "down")
    endpoint, system, open_incidents = status_and_open_incidents(db)
    assert (endpoint, system) == ("down", "down") and open_incidents >= 1


CATALOG_WITH_WINDOWS = CATALOG + """\
maintenance:
  - id: sao-luu-tuan
    system: lgsp
    reason: Sao lưu hằng tuần
    repeat: weekly
    weekdays: [SU]
    start_time: "22:00"
    end_time: "02:00"
  - id: chung-thu
    endpoint: lgsp.health
    reason: Thay chứng thư số
    starts_at: "2026-12-06T23:00:00+07:00"
    ends_at: "2026-12-07T00:00:00+07:00"
"""


def test_catalog_windows_are_validated_applied_idempotently_and_cancelled_when_removed(db):
    with db.session() as session:
        apply_catalog(session, parse_catalog(CATALOG_WITH_WINDOWS, "test.yaml", {}), units=[])
        apply_catalog(session, parse_catalog(CATALOG_WITH_WINDOWS, "test.yaml", {}), units=[])
    with db.session() as session:
        rows = {w.created_by: w for w in session.scalars(select(MaintenanceWindow))}
        assert set(rows) == {"catalog:sao-luu-tuan", "catalog:chung-thu"}
        assert rows["catalog:sao-luu-tuan"].rrule == "FREQ=WEEKLY;BYDAY=SU;BYHOUR=22;BYMINUTE=0;BYSECOND=0"
        sunday = datetime(2026, 12, 6, 22, 30, tzinfo=VN)
        assert views.load_index(session).window_for("lgsp.health", "lgsp", sunday.astimezone(UTC)) is not None
    with db.session() as session:
        apply_catalog(session, parse_catalog(CATALOG, "test.yaml", {}), units=[])
    with db.session() as session:
        assert all(w.cancelled_at is not None for w in session.scalars(select(MaintenanceWindow)))


@pytest.mark.parametrize("entry, message", [
    ("  - {id: x, system: lgsp, reason: r, rrule: FREQ=MINUTELY, duration_s: 60}", "more often than hourly"),
    ("  - {id: x, system: nowhere, reason: r, repeat: weekly, weekdays: [SU], start_time: '22:00', end_time: '23:00'}",
     "not a system id"),
    ("  - {id: x, endpoint: lgsp.nope, reason: r, repeat: weekly, weekdays: [SU], start_time: '22:00', end_time: '23:00'}",
     "not <system>.<endpoint>"),
    ("  - {id: x, system: lgsp, reason: r, repeat: weekly, weekdays: [], start_time: '22:00', end_time: '23:00'}",
     "weekday"),
    ("  - {id: X Y, system: lgsp, reason: r, repeat: weekly, weekdays: [SU], start_time: '22:00', end_time: '23:00'}",
     "id"),
])
def test_bad_catalog_windows_are_refused_with_their_line(entry, message):
    from dashboard.catalog.loader import CatalogError

    with pytest.raises(CatalogError, match=message):
        parse_catalog(CATALOG + "maintenance:\n" + entry + "\n", "test.yaml", {})


@pytest.mark.parametrize("role, method, decision", [
    ("operator", "PATCH", "allow"), ("operator", "DELETE", "allow"), ("operator", "POST", "allow"),
    ("viewer", "PATCH", "deny"), ("viewer", "DELETE", "deny"), ("viewer", "GET", "allow"),
    (None, "DELETE", "login"),
])
def test_operators_edit_and_cancel_windows_over_the_api(role, method, decision):
    from dashboard.auth import policy

    path = "/api/maintenance" if method in ("POST", "GET") else "/api/maintenance/7"
    assert policy.decide_request(role, method, path).value == decision
