"""Notification routes on a real database (SQLite and PostgreSQL) with a real local receiver:
an outage is routed to the route that matches it (in its language, with the link), quiet hours
hold back what can wait, flapping is deduplicated, the signed webhook carries a signature the
receiver can verify, nobody acknowledging escalates to the next level and acknowledging stops
it (audited); the catalog's `notifications:` section goes through the same validation; the
admin services check the role and audit; the month's MTTA reaches /api/availability's model."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from collectors.base import CheckResult as Probe
from dashboard.alerts import notify
from dashboard.alerts import routes as services
from dashboard.alerts import rules as alerts
from dashboard.alerts.rules import AlertInput
from dashboard.auth.audit import entries
from dashboard.catalog.loader import CatalogError, apply_catalog, notification_warnings, parse_catalog
from dashboard.domain.routes import RouteError
from dashboard.monitoring import actions
from dashboard.monitoring.results import record_results
from dashboard.readmodels import availability as availability_views
from dashboard.readmodels import routes as views
from dashboard.store.models import NotificationLog, NotificationRoute

UTC = timezone.utc
S = timedelta(seconds=1)

CATALOG = """\
version: 1
agencies:
  - {id: skhcn, name_vi: Sở Khoa học và Công nghệ, name_en: Department of Science and Technology, partner: VNPT}
  - {id: cong-an, name_vi: Công an tỉnh, name_en: Provincial Police, kind: police}
communes: {include: false}
systems:
  - id: lgsp
    name_vi: Nền tảng LGSP
    name_en: LGSP platform
    owner: skhcn
    partner: VNPT
    endpoints:
      - {id: health, url: "http://127.0.0.1:9/health", interval: 30s, timeout: 5s, failures_before_down: 1, successes_before_up: 1}
"""


class Receiver:
    """A local HTTP listener: what Apprise's json:// and our signed webhook post to."""

    def __init__(self):
        self.received: list[dict] = []
        self.failing: set[str] = set()  # paths answered with HTTP 500
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path in outer.failing:
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                outer.received.append({"path": self.path, "headers": dict(self.headers), "raw": raw,
                                       "body": json.loads(raw), "at": datetime.now(UTC)})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def at(self, path: str) -> list[dict]:
        return [r for r in self.received if r["path"] == path]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def db(any_db):
    with any_db.session() as session:
        apply_catalog(session, parse_catalog(CATALOG, "test.yaml", {}), units=[])
        notify.queue_state_changes(session)  # the cursor starts here
    return any_db


def add_route(db, **data) -> None:
    with db.session() as session:
        services.save(session, data, creating=True)


def feed(db, at: datetime, verdict: str) -> None:
    with db.session() as session:
        record_results(session, [Probe("lgsp.health", verdict, "HTTP 503" if verdict == "down" else "HTTP 200",
                                       checked_at=at, latency_ms=5.0)])
        notify.queue_state_changes(session, now=at)


def deliver(db, now: datetime):
    return notify.deliver_pending(db.session, None, now=now, link_base="http://ioc.local")


def routed(db) -> list[NotificationLog]:
    with db.session() as session:
        return session.scalars(select(NotificationLog).where(NotificationLog.route_id.is_not(None))
                               .order_by(NotificationLog.id)).all()


def test_an_outage_goes_to_the_matching_routes_in_their_language_and_recovery_follows(db, receiver):
    base = f"json://127.0.0.1:{receiver.port}"
    add_route(db, id="vnpt", partners=["VNPT"], urls=[f"{base}/vnpt"])
    add_route(db, id="english", systems=["lgsp"], language="en", kinds=["outage", "recovery"], urls=[f"{base}/en"])
    add_route(db, id="police", agencies=["cong-an"], urls=[f"{base}/police"])  # another owner: not told
    start = datetime.now(UTC).replace(microsecond=0)
    feed(db, start, "down")
    assert deliver(db, start + S).sent == 2
    [vi], [en] = receiver.at("/vnpt"), receiver.at("/en")
    assert receiver.at("/police") == []
    assert vi["body"]["title"] == "[Gián đoạn] Nền tảng LGSP"
    assert "bị gián đoạn từ" in vi["body"]["message"] and "HTTP 503" in vi["body"]["message"]
    assert vi["body"]["message"].endswith("Chi tiết: http://ioc.local/systems/lgsp")
    assert en["body"]["title"] == "[Down] LGSP platform" and en["body"]["message"].endswith("Details: http://ioc.local/systems/lgsp")

    feed(db, start + 300 * S, "up")
    deliver(db, start + 301 * S)
    assert [r["body"]["title"] for r in receiver.at("/vnpt")] == ["[Gián đoạn] Nền tảng LGSP", "[Đã khôi phục] Nền tảng LGSP"]
    assert "sau 5 phút gián đoạn" in receiver.at("/vnpt")[1]["body"]["message"]
    assert len(receiver.at("/en")) == 2
    # the delivery log shows each, per route
    log = {(d["route"], d["event"]): d["state"] for d in db_read(db, views.deliveries)}
    assert log == {("vnpt", "outage"): "sent", ("vnpt", "recovery"): "sent", ("english", "outage"): "sent",
                   ("english", "recovery"): "sent", (None, "outage"): "suppressed", (None, "recovery"): "suppressed"}


def db_read(db, query, *args):
    with db.session() as session:
        return query(session, *args)


def test_quiet_hours_hold_back_what_can_wait_and_flapping_is_deduplicated(db, receiver):
    base = f"json://127.0.0.1:{receiver.port}"
    local = datetime.now(timezone(timedelta(hours=7)))
    quiet = f"{(local - timedelta(hours=1)):%H:%M}-{(local + timedelta(hours=1)):%H:%M}"  # now is inside
    add_route(db, id="night", quiet_hours=quiet, urls=[f"{base}/night"])
    with db.session() as session:
        alerts.raise_alert(session, AlertInput(source_kind="webhook", source="ncsc", severity="medium",
                                               category="malware", title="Mã độc trên máy trạm", system_id="lgsp"))
        alerts.raise_alert(session, AlertInput(source_kind="webhook", source="ncsc", severity="critical",
                                               category="botnet", title="IP trong mạng botnet", system_id="lgsp"))
    now = datetime.now(UTC)
    states = {row.title: (row.state, row.last_error) for row in routed(db)}
    assert states["[Cảnh báo nghiêm trọng] IP trong mạng botnet"] == ("pending", None)  # critical: sent even so
    assert states["[Cảnh báo trung bình] Mã độc trên máy trạm"] == (
        "suppressed_quiet", f"quiet hours {quiet.replace('-', '–')} (Vietnam time)")
    deliver(db, now + S)
    assert [r["body"]["title"] for r in receiver.at("/night")] == ["[Cảnh báo nghiêm trọng] IP trong mạng botnet"]

    # down, up, down again within the cooldown: the second "down" is the same news
    start = now.replace(microsecond=0) + 10 * S
    feed(db, start, "down")
    feed(db, start + 30 * S, "up")
    feed(db, start + 60 * S, "down")
    outages = [r.state for r in routed(db) if r.event_kind == "outage"]
    assert outages == ["pending", "deduplicated"]


def test_the_signed_webhook_carries_a_signature_the_receiver_verifies(db, receiver):
    secret = "một khóa bí mật đủ dài 123"
    add_route(db, id="zalo", urls=[f"ioc-webhook://127.0.0.1:{receiver.port}/zalo"], secret=secret)
    start = datetime.now(UTC).replace(microsecond=0)
    feed(db, start, "down")
    assert deliver(db, start + S).sent == 1
    [hook] = receiver.at("/zalo")
    stamp = int(hook["headers"]["X-IOC-Timestamp"])
    assert services.verify(secret, stamp, hook["raw"], hook["headers"]["X-IOC-Signature"], now=stamp)
    assert not services.verify("sai khóa", stamp, hook["raw"], hook["headers"]["X-IOC-Signature"], now=stamp)
    assert hook["body"]["kind"] == "outage" and hook["body"]["system"] == "lgsp" and hook["body"]["route"] == "zalo"
    assert hook["body"]["link"] == "http://ioc.local/systems/lgsp" and hook["body"]["language"] == "vi"


def test_a_failing_target_is_logged_with_its_error_and_the_url_is_never_shown(db):
    add_route(db, id="dead", urls=["json://127.0.0.1:9/secret-token-path"])  # nothing listens on port 9
    start = datetime.now(UTC).replace(microsecond=0)
    feed(db, start, "down")
    report = deliver(db, start + S)
    assert report.failed == 1
    [row] = routed(db)
    assert row.state == "pending" and row.attempts == 1 and row.last_error
    assert row.last_error.startswith("json://127.0.0.1:9/…: A Connection error occurred") and "secret-token" not in row.last_error


def test_a_retry_goes_only_to_the_targets_that_failed(db, receiver):
    base = f"json://127.0.0.1:{receiver.port}"
    add_route(db, id="two", urls=[f"{base}/ok", f"{base}/flaky"])
    receiver.failing.add("/flaky")
    start = datetime.now(UTC).replace(microsecond=0)
    feed(db, start, "down")
    assert deliver(db, start + S).failed == 1
    [row] = routed(db)
    assert (row.state, row.delivered, len(receiver.at("/ok"))) == ("pending", [0], 1)
    assert row.last_error.startswith("json://127.0.0.1:" + str(receiver.port) + "/…: ")
    receiver.failing.clear()
    assert deliver(db, start + 120 * S).sent == 1  # after the backoff
    assert (len(receiver.at("/ok")), len(receiver.at("/flaky"))) == (1, 1)  # the first target is not told twice
    [row] = routed(db)
    assert row.state == "sent" and row.attempts == 2


def test_nobody_acknowledging_escalates_and_acknowledging_stops_it(db, receiver):
    base = f"json://127.0.0.1:{receiver.port}"
    add_route(db, id="truc", urls=[f"{base}/truc"], escalate_after="10m", escalation_urls=[f"{base}/lanh-dao"])
    start = datetime.now(UTC).replace(microsecond=0)
    feed(db, start, "down")
    deliver(db, start + S)
    with db.session() as session:
        assert notify.queue_escalations(session, now=start + 599 * S) == 0  # 9:59: not yet
        assert notify.queue_escalations(session, now=start + 600 * S) == 1  # 10:00: the next level
        assert notify.queue_escalations(session, now=start + 601 * S) == 0  # once per period
    deliver(db, start + 602 * S)
    [first] = receiver.at("/lanh-dao")
    assert first["body"]["title"] == "[Chuyển cấp 1] [Gián đoạn] Nền tảng LGSP"
    assert first["body"]["message"].startswith("Chưa ai xác nhận sau 10 phút.")
    with db.session() as session:
        assert notify.queue_escalations(session, now=start + 1200 * S) == 1  # still nobody: told again
        actions.acknowledge(session, _open_incident(session), "Đang khởi động lại máy chủ", user="kythuat")
    with db.session() as session:
        assert notify.queue_escalations(session, now=start + 1800 * S) == 0  # acknowledged: no more
        assert notify.queue_escalations(session, now=start + 3600 * S) == 0
        escalations = [e for e in entries(session) if e.action == "notify.escalate"]
        assert [(e.target, e.detail["level"]) for e in reversed(escalations)] == [("system:lgsp", 1), ("system:lgsp", 2)]
    assert [(r.level, r.kind) for r in routed(db)] == [(0, "state"), (1, "escalation"), (2, "escalation")]


def _open_incident(session) -> int:
    from dashboard.store.models import Incident

    return session.scalar(select(Incident.id).where(Incident.subject_type == "system", Incident.ended_at.is_(None)))


def test_an_outage_that_recovers_is_not_escalated(db, receiver):
    base = f"json://127.0.0.1:{receiver.port}"
    add_route(db, id="truc", urls=[f"{base}/truc"], escalate_after="10m", escalation_urls=[f"{base}/lanh-dao"])
    start = datetime.now(UTC).replace(microsecond=0)
    feed(db, start, "down")
    feed(db, start + 60 * S, "up")
    with db.session() as session:
        assert notify.queue_escalations(session, now=start + 900 * S) == 0


def test_admin_services_validate_audit_and_refuse_what_the_catalog_owns(db, receiver):
    good = {"id": "vnpt", "urls": [f"json://127.0.0.1:{receiver.port}/vnpt"], "partners": ["VNPT"]}
    with db.session() as session:
        for data, field in [({**good, "urls": ["notaurl"]}, "urls"), ({**good, "id": "Có dấu"}, "id"),
                            ({**good, "kinds": ["outages"]}, "kinds"), ({**good, "quiet_hours": "22:00"}, "quiet_hours"),
                            ({**good, "escalate_after": "15m"}, "escalation_urls"),
                            ({**good, "escalation_urls": good["urls"]}, "escalate_after"),
                            ({**good, "urls": ["ioc-webhook://bridge.local/zalo"]}, "secret"),
                            ({**good, "escalate_after": "1s", "escalation_urls": good["urls"]}, "escalate_after")]:
            with pytest.raises(RouteError) as caught:
                services.save(session, data, creating=True)
            assert caught.value.field == field, data
    with db.session() as session:
        assert session.scalars(select(NotificationRoute)).all() == []  # bad input changed nothing
        services.save(session, good, creating=True)
        with pytest.raises(RouteError, match="exists already"):
            services.save(session, good, creating=True)
        services.save(session, {**good, "name": "VNPT trực"}, creating=False)
        entry = services.send_test(session, "vnpt", "http://ioc.local")
        assert entry.state == "sent"
    assert receiver.at("/vnpt")[0]["body"]["title"] == "[Gửi thử] VNPT trực"
    with db.session() as session:
        assert [e.action for e in reversed(entries(session)) if e.action.startswith("route.")] == [
            "route.create", "route.edit", "route.test"]
        services.delete(session, "vnpt")
        with pytest.raises(LookupError):
            services.delete(session, "vnpt")
        catalog = parse_catalog(CATALOG + f"""\
notifications:
  - id: cong-an
    name: Công an tỉnh trực ATTT
    agencies: [cong-an]
    kinds: [security]
    min_severity: high
    urls: ["json://127.0.0.1:{receiver.port}/ca"]
""", "test.yaml", {})
        apply_catalog(session, catalog, units=[])
        with pytest.raises(RouteError, match="catalog file"):
            services.save(session, {"id": "cong-an", "urls": ["json://127.0.0.1:9/x"]}, creating=False)
        [view] = views.routes_view(session)
        assert (view["id"], view["source"], view["targets"], view["warnings"]) == (
            "cong-an", "catalog", ["json://127.0.0.1:" + str(receiver.port) + "/…"], [])
        apply_catalog(session, parse_catalog(CATALOG, "test.yaml", {}), units=[])  # the file no longer names it
        assert session.get(NotificationRoute, "cong-an").active is False


@pytest.mark.parametrize("entry, message", [
    ('{id: a, urls: ["notaurl"]}', "notifications[0]: urls: Apprise cannot read this URL"),
    ('{id: a, urls: ["tgram://secret-token/chat"]}', "urls: Apprise cannot read this URL"),
    ('{id: a, urls: ["json://x/"], quiet_hours: "22:00"}', "quiet_hours: '22:00' is not a span"),
    ('{id: a, urls: ["json://x/"], partners: [Mobifone]}', "partners: unknown Mobifone"),
    ('{id: a, urls: ["json://x/"], colour: red}', "colour: unknown field"),
])
def test_bad_catalog_routes_are_refused_with_their_line(entry, message):
    with pytest.raises(CatalogError) as caught:
        parse_catalog(CATALOG + f"notifications:\n  - {entry}\n", "test.yaml", {})
    [problem] = caught.value.problems
    assert problem.startswith("test.yaml:15: ") and message in problem, problem
    assert "secret-token" not in problem


def test_a_catalog_route_matching_nothing_is_a_warning():
    catalog = parse_catalog(CATALOG + 'notifications:\n  - {id: a, systems: [nowhere], urls: ["json://x/"]}\n',
                            "test.yaml", {})
    assert notification_warnings(catalog.spec) == [
        "notifications 'a': system: nowhere not in the catalog",
        "notifications 'a': the route matches nothing: no system it names is in the catalog"]


def test_the_month_carries_mtta_and_mttr(db):
    start = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
    feed(db, start, "down")
    with db.session() as session:
        actions.acknowledge(session, _open_incident(session), "Đã nhận", user="kythuat", now=start + 240 * S)
    feed(db, start + 720 * S, "up")
    with db.session() as session:
        month = availability_views.system_month(session, "lgsp", "2026-11", now=datetime(2026, 12, 2, tzinfo=UTC))
        other = availability_views.system_month(session, "lgsp", "2026-10", now=datetime(2026, 12, 2, tzinfo=UTC))
    assert (month["incidents"], month["acknowledged"], month["mtta_minutes"], month["mttr_minutes"]) == (1, 1, 4.0, 12.0)
    assert (other["incidents"], other["mtta_minutes"], other["mttr_minutes"]) == (0, None, None)


def test_the_system_page_shows_the_month_as_the_api_has_it(db):
    from dashboard.readmodels.detail import drilldown
    from layouts.components.detail_sections import month_card

    start = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
    feed(db, start, "down")
    with db.session() as session:
        actions.acknowledge(session, _open_incident(session), "Đã nhận", user="kythuat", now=start + 90 * S)
    feed(db, start + 3900 * S, "up")
    with db.session() as session:
        data = drilldown(session, "system", "lgsp", now=datetime(2026, 11, 20, tzinfo=UTC))
    assert (data["month"]["month"], data["month"]["mtta_minutes"], data["month"]["mttr_minutes"]) == ("2026-11", 1.5, 65.0)

    def facts(card) -> dict:
        dl = card.children.children[1]
        return {dt.children: dd.children for dt, dd in zip(dl.children[::2], dl.children[1::2])}

    shown = facts(month_card(data["month"], "vi"))
    assert shown.pop("Tỷ lệ khả dụng").endswith(" %")
    assert shown == {"Số lần gián đoạn": "1", "Thời gian xác nhận trung bình (MTTA)": "1 phút 30 giây",
                     "Thời gian khắc phục trung bình (MTTR)": "1 giờ 5 phút"}
    assert month_card(data["month"], "en").children.children[0].children == "Month 11/2026: availability, MTTA, MTTR"
    assert month_card(None, "vi") is None


def test_a_critical_alert_nobody_acknowledges_escalates_until_acknowledged(db, receiver):
    base = f"json://127.0.0.1:{receiver.port}"
    add_route(db, id="attt", kinds=["security"], min_severity="high", urls=[f"{base}/attt"],
              escalate_after="5m", escalation_urls=[f"{base}/lanh-dao"])
    with db.session() as session:
        high = alerts.raise_alert(session, AlertInput(source_kind="webhook", source="ncsc", severity="high",
                                                      category="scan", title="Dò quét cổng dịch vụ")).alert.id
        critical = alerts.raise_alert(session, AlertInput(source_kind="webhook", source="ncsc", severity="critical",
                                                          category="botnet", title="IP trong mạng botnet")).alert.id
    now = datetime.now(UTC)
    with db.session() as session:
        assert notify.queue_escalations(session, now=now + 301 * S) == 1  # the critical one only
        alerts.acknowledge(session, critical, "kythuat", "Đã chặn IP")
    with db.session() as session:
        assert notify.queue_escalations(session, now=now + 700 * S) == 0
        assert [(e.target, e.detail["route"]) for e in entries(session) if e.action == "notify.escalate"] == [
            (f"alert:{critical}", "attt")]
    assert high != critical


def test_check_catalog_prints_route_warnings(tmp_path):
    from dashboard.catalog.check import check

    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG + 'notifications:\n  - {id: a, agencies: [nowhere], urls: ["json://x/"]}\n', encoding="utf-8")
    report = check(path, env={})
    assert report.ok and report.text.splitlines()[-2:] == [
        "  warning: notifications 'a': agency: nowhere not in the catalog",
        "  warning: notifications 'a': the route matches nothing: no agency it names is in the catalog"]
