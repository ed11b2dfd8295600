"""The facade pages use (dashboard.web.facade): reads in their own session, one exception for a
database that does not answer, and the buttons' actions — each refusal says why and changes nothing."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import dash
import flask
import pytest
from sqlalchemy import func, select

from dashboard.auth.sessions import Principal
from dashboard.catalog.loader import apply_catalog, parse_catalog
from dashboard.config import Settings
from dashboard.i18n import t
from dashboard.monitoring.results import record_results
from dashboard.readmodels import detail as detail_queries
from dashboard.store.database import Database
from dashboard.store.models import Alert, AuditEntry, CheckRequest, Incident, MaintenanceWindow
from dashboard.web.facade import DataUnavailable, Facade
from tests.conftest import PROJECT_DIR, free_port
from tests.test_drilldown_db import CATALOG, NOW, probe


@pytest.fixture
def db(any_db):
    with any_db.session() as session:
        apply_catalog(session, parse_catalog(CATALOG, "test.yaml", {}), units=[])
    return any_db


def facade_for(db) -> Facade:
    return Facade(SimpleNamespace(db=db, settings=Settings(), demo=None))


def count(db, model, *where) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def open_incident(db) -> int:
    with db.session() as session:
        record_results(session, [probe("lgsp.health", NOW - timedelta(seconds=s), "down", code=503, reason="HTTP 503")
                                 for s in (90, 60, 30)])
    with db.session() as session:
        return session.scalar(select(Incident.id).where(Incident.subject_id == "lgsp.health", Incident.ended_at.is_(None)))


def test_a_read_runs_the_read_model_in_a_session_of_its_own(db):
    pages = facade_for(db)
    rows = pages.read(detail_queries.catalog_rows, NOW)
    with db.session() as session:
        assert rows == detail_queries.catalog_rows(session, NOW)
    assert {r["key"] for r in rows} >= {"system:lgsp", "endpoint:lgsp.health"}
    assert pages.read(detail_queries.drilldown, "system", "nope", NOW) is None


def test_a_database_that_does_not_answer_is_one_exception_and_actions_say_so():
    dead = Database(f"postgresql+psycopg://ioc@127.0.0.1:{free_port()}/ioc?connect_timeout=2", migrate=False)
    try:
        pages = facade_for(dead)
        with pytest.raises(DataUnavailable):
            pages.read(detail_queries.catalog_rows, NOW)
        outcome = pages.check_now("endpoint", "lgsp.health", "vi")
        assert (outcome.ok, outcome.message) == (False, t("wall.stale.database", "vi"))
        outcome = pages.acknowledge_incident(1, "đang xử lý", "en")
        assert (outcome.ok, outcome.message) == (False, t("wall.stale.database", "en"))
    finally:
        dead.dispose()


def test_check_now_asks_for_checks_and_an_unknown_subject_changes_nothing(db):
    pages = facade_for(db)
    outcome = pages.check_now("system", "lgsp", "vi")
    assert outcome.ok and outcome.message == t("action.check_now_done", "vi", n=2)
    assert count(db, CheckRequest) == 2
    outcome = pages.check_now("endpoint", "nope", "en")
    assert (outcome.ok, outcome.message) == (False, "no active endpoint to check")
    outcome = pages.check_now("link", "nope", "en")
    assert not outcome.ok
    assert count(db, CheckRequest) == 2
    assert count(db, AuditEntry, AuditEntry.action == "endpoint.check_now") == 1


def test_acknowledge_needs_a_comment_and_records_who_and_why(db):
    pages = facade_for(db)
    incident_id = open_incident(db)
    assert incident_id is not None
    refused = pages.acknowledge_incident(incident_id, "   ", "vi")
    assert (refused.ok, refused.message) == (False, "write a comment: what is being done about it")
    assert count(db, Incident, Incident.id == incident_id, Incident.acknowledged_at.is_not(None)) == 0
    unknown = pages.acknowledge_incident(999_999, "x", "vi")
    assert (unknown.ok, unknown.message) == (False, "no incident 999999")
    done = pages.acknowledge_incident(incident_id, "Đang khởi động lại máy chủ", "en")
    assert (done.ok, done.message) == (True, t("action.ack_done", "en", id=incident_id))
    with db.session() as session:
        assert session.get(Incident, incident_id).ack_comment == "Đang khởi động lại máy chủ"
    assert count(db, AuditEntry, AuditEntry.action == "incident.acknowledge") == 1


@pytest.mark.parametrize("kind, subject_id, hours, ok, message", [
    ("system", "lgsp", 2, True, t("mw.saved", "vi")),
    ("endpoint", "lgsp.health", "1.5", True, t("mw.saved", "vi")),
    ("link", "lgsp.ndxp", 1, True, t("mw.saved", "vi")),  # the link's endpoint
    ("link", "nope", 1, False, t("link.unmonitored", "vi")),
    ("system", "lgsp", "two", False, t("mw.need_time", "vi")),
    ("system", "lgsp", -1, False, None),  # the maintenance rules refuse an end before the start
])
def test_schedule_maintenance(db, kind, subject_id, hours, ok, message):
    outcome = facade_for(db).schedule_maintenance(kind, subject_id, starts_at=NOW + timedelta(days=1), hours=hours,
                                                  reason="Nâng cấp", lang="vi")
    assert outcome.ok is ok
    if message is not None:
        assert outcome.message == message
    assert count(db, MaintenanceWindow) == (1 if ok else 0)


def test_a_role_that_may_not_act_is_refused_and_nothing_is_written(db):
    pages = facade_for(db)
    incident_id = open_incident(db)
    app = flask.Flask(__name__)
    with app.test_request_context("/_dash-update-component", method="POST"):
        flask.g.ioc_principal = Principal("viewer1", "viewer", "user")
        for outcome in (pages.check_now("system", "lgsp", "vi"),
                        pages.acknowledge_incident(incident_id, "x", "vi"),
                        pages.schedule_maintenance("system", "lgsp", starts_at=NOW, hours=1, reason="x", lang="vi")):
            assert not outcome.ok and "your role does not allow this" in outcome.message
        alert = pages.handle_alert(1, "resolve", None, None, "vi")
        assert (alert.ok, alert.message) == (False, t("alert.action.forbidden", "vi"))
    assert count(db, CheckRequest) == count(db, MaintenanceWindow) == count(db, AuditEntry) == 0
    assert count(db, Incident, Incident.acknowledged_at.is_not(None)) == 0


def test_alert_actions_and_imports_explain_a_refusal(db):
    pages = facade_for(db)
    assert pages.handle_alert(424242, "acknowledge", "an", "x", "en").message == "no alert 424242"
    bad = pages.import_alerts("alerts.csv", b"\xff\xfe not a csv", "en")
    assert not bad.ok and bad.message.startswith(t("sec.import_failed", "en", reason="")[:10])
    extra = pages.import_alerts("alerts.json", '[{"title": "Quét cổng", "severity": "high", "source_ip": "10.0.0.9"}]'.encode(), "vi")
    assert not extra.ok and "source_ip: Extra inputs are not permitted" in extra.message
    assert count(db, Alert) == count(db, AuditEntry) == 0
    good = pages.import_alerts("alerts.json", '[{"title": "Quét cổng", "severity": "high"}]'.encode(), "vi")
    assert (good.ok, good.message) == (True, t("sec.import_done", "vi", created=1, repeated=0, reopened=0))
    assert count(db, Alert) == count(db, AuditEntry, AuditEntry.action == "alerts.import") == 1


def test_pages_say_the_database_is_unreachable_instead_of_failing():
    """The page callbacks, called as Dash calls them, with a facade on a database that refuses
    connections: each shows the notice (or keeps its last picture), none raises."""
    import json
    import sys

    dead = Database(f"postgresql+psycopg://ioc@127.0.0.1:{free_port()}/ioc?connect_timeout=2", migrate=False)
    # the pages register themselves with an app: build one the way dashboard.web.app does
    dash_app = dash.Dash(__name__, use_pages=True, pages_folder=str(PROJECT_DIR / "layouts"), suppress_callback_exceptions=True)
    # the page modules as Dash imported them (a second import would register their callbacks twice)
    pages = {page["module"].rsplit(".", 1)[-1]: sys.modules[page["module"]] for page in dash.page_registry.values()
             if page["module"] in sys.modules}
    admin_audit, alert, overview, unit = (pages[name] for name in ("admin_audit", "alert", "overview", "unit"))
    drilldown = sys.modules[pages["system_detail"].detail_layout.__module__]

    app = dash_app.server
    app.extensions["ioc.facade"] = facade_for(dead)
    notice = t("wall.stale.database", "vi")
    try:
        with app.test_request_context("/"):
            answers = {
                "overview": overview.refresh(1, "vi"),
                "drilldown": drilldown.refresh_body(1, 0, "vi", {"type": "system", "id": "lgsp"}),
                "unit": unit.render("vi", "21025"),
                "alert": alert.render("7", 0, "vi"),
                "audit": admin_audit.render("vi", None, None),
            }
            history = drilldown.refresh_history("24h", 1, "vi", {"type": "system", "id": "lgsp"})
            outcome = drilldown.check_now(1, {"type": "system", "id": "lgsp"}, "vi", 3)
    finally:
        dead.dispose()
    for page, answer in answers.items():
        assert notice in json.dumps(answer, default=lambda c: c.to_plotly_json(), ensure_ascii=False), page
    assert all(part is dash.no_update for part in history)
    assert notice in json.dumps(outcome[0].to_plotly_json(), default=lambda c: c.to_plotly_json(), ensure_ascii=False)
    assert outcome[1] is dash.no_update  # nothing changed: the page is not told to re-read


def test_the_wall_banner_says_since_when_the_database_is_unreachable(db):
    import json

    from dashboard.i18n import local_time
    from dashboard.web.facade import EXTENSION_KEY, database_down_since
    from layouts.components.wall_parts import banner

    def shown(component) -> str:
        return json.dumps(component.to_plotly_json(), default=lambda c: c.to_plotly_json(), ensure_ascii=False)

    dead = Database(f"postgresql+psycopg://ioc@127.0.0.1:{free_port()}/ioc?connect_timeout=2", migrate=False)
    runtime = SimpleNamespace(db=dead, settings=Settings(), demo=None)
    pages = Facade(runtime)
    app = flask.Flask(__name__)
    app.extensions[EXTENSION_KEY] = pages
    try:
        with app.app_context():
            assert database_down_since() is None
            with pytest.raises(DataUnavailable):
                pages.read(detail_queries.catalog_rows, NOW)
            first = database_down_since()
            assert first is not None
            with pytest.raises(DataUnavailable):
                pages.read(detail_queries.catalog_rows, NOW)
            assert database_down_since() == first  # since the first failed read, not the latest
            assert f"Cơ sở dữ liệu không truy cập được từ {local_time(first)[:5]}." in shown(banner({}, "vi", database_down=True))
            runtime.db = db  # the database answers again
            pages.read(detail_queries.catalog_rows, NOW)
            assert database_down_since() is None
            assert t("wall.stale.database", "vi") in shown(banner({}, "vi", database_down=True))
    finally:
        dead.dispose()
    # outside an app (a pure call) the banner still builds, without a time
    assert "The database is unreachable." in shown(banner({}, "en", database_down=True))
    older = banner({}, "en", database_down=NOW - timedelta(days=2))
    assert f"The database has been unreachable since {local_time(NOW - timedelta(days=2), with_date=True)[:16]}." in shown(older)


def test_the_accounts_page_binds_a_reporter_to_agencies(db):
    """Created from the page with its agencies, changed later; a reporter without one, or with an
    unknown agency, is refused and nothing is written."""
    from dashboard.readmodels import access as access_views
    from dashboard.store.models import Agency, User

    pages = facade_for(db)
    with db.session() as session:
        first = session.scalars(select(Agency.id).order_by(Agency.id).limit(1)).one()
    app = flask.Flask(__name__)
    with app.test_request_context("/_dash-update-component", method="POST"):
        flask.g.ioc_principal = Principal("admin1", "admin", "user")
        refused = pages.access_action("user.create", "vi", name="xa-khong-pham-vi", role="reporter")
        assert not refused.ok and "agency" in refused.message
        unknown = pages.access_action("user.create", "vi", name="xa-sai", role="reporter", agencies=["no-such-agency"])
        assert not unknown.ok and "no-such-agency" in unknown.message
        assert count(db, User) == 0
        made = pages.access_action("user.create", "vi", name="xa-a", role="reporter", agencies=[first], partners=["VNPT"])
        assert made.ok and made.value["secret"]
        changed = pages.access_action("user.scopes", "vi", name="xa-a", agencies=[], partners=["FPT"])
        assert changed.ok and changed.message == t("acc.done.user.scopes", "vi", name="xa-a")
    view = pages.read(access_views.access_view)
    (row,) = [u for u in view["users"] if u["username"] == "xa-a"]
    assert row["role"] == "reporter" and row["scope"] == "partner:FPT"
    assert first in {a["id"] for a in view["agencies"]} and view["partners"] == ["VNPT", "Viettel", "MobiFone", "FPT"]
    assert count(db, AuditEntry, AuditEntry.action == "user.set_scopes") == 1
