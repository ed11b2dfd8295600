"""Links to national platforms keep their own history through the connection probe, and the demo
shows every probe kind live: tcp, tls, dns, heartbeat (pushed by the simulated commune server)
and connection, with the demo modes driving them."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import start_app, stop_app, wait_for
from probe_targets import JsonServer
from sqlalchemy import select

from collectors import get_probe
from collectors.timeutil import iso, utcnow
from dashboard.catalog.loader import apply_catalog, parse_catalog
from dashboard.monitoring.results import record_results
from dashboard.store.models import Link, StateEvent, Status

CATALOG = """\
version: 1
national_platforms:
  - id: ndxp
    name_vi: Nền tảng tích hợp, chia sẻ dữ liệu quốc gia
    name_en: National data integration platform
agencies:
  - id: skhcn
    name_vi: Sở Khoa học và Công nghệ
    name_en: Department of Science and Technology
communes:
  include: false
systems:
  - id: lgsp
    name_vi: Nền tảng LGSP
    name_en: LGSP
    owner: skhcn
    endpoints:
      - id: link-ndxp
        kind: connection
        url: ${LINKS_URL}/links
        state_path: links.ndxp.state
        max_age: 5m
        critical: false
        interval: 30s
        timeout: 2s
    connections:
      - platform: ndxp
        endpoint: link-ndxp
"""


def test_connection_results_give_the_link_its_own_history(any_db):
    server = JsonServer().start()
    try:
        with any_db.session() as session:
            apply_catalog(session, parse_catalog(CATALOG, "links.yaml", {"LINKS_URL": server.url}), units=[])
        from dashboard.monitoring.collector import target_for
        from dashboard.store.models import Endpoint

        with any_db.session() as session:
            target = target_for(session.get(Endpoint, "lgsp.link-ndxp"))
        probe = get_probe("connection")

        def check(state: str, error: str | None = None):
            link = {"state": state, "last_exchange": iso(utcnow() - timedelta(seconds=30))}
            if error:
                link["error"] = error
            server.set({"links": {"ndxp": link}})
            result = probe(target)
            with any_db.session() as session:
                record_results(session, [result])
            return result

        assert check("connected").verdict == Status.UP
        for _ in range(2):  # flap damping: down after the second failure in a row
            assert check("disconnected", "NDXP: SSL handshake timed out").verdict == Status.DOWN
        with any_db.session() as session:
            link = session.get(Link, "lgsp.ndxp")
            assert link.status == Status.DOWN and "NDXP: SSL handshake timed out" in link.last_reason
            events = session.scalars(select(StateEvent).where(StateEvent.subject_type == "link")
                                     .order_by(StateEvent.id)).all()
            assert [(e.subject_id, e.old_status, e.new_status) for e in events] == [
                ("lgsp.ndxp", "unknown", "up"), ("lgsp.ndxp", "up", "down")]
            assert events[-1].reason.startswith('link reported "disconnected"')
    finally:
        server.stop()


@pytest.mark.slow
def test_demo_shows_every_probe_kind_and_its_modes(tmp_path):
    app = start_app(tmp_path)
    try:
        def endpoints():
            systems = app.get("/api/systems").json()["systems"]
            return {e["id"]: e for s in systems for e in s["endpoints"]}, {l["id"]: l for s in systems for l in s["links"]}

        wanted = {"lgsp.gateway-port": "tcp", "dvc.certificate": "tls", "ioc.dns": "dns",
                  "httt-nguon.hb-ly-son": "heartbeat", "lgsp.link-ndxp": "connection"}

        def all_up():
            eps, _ = endpoints()
            return all(eps[i]["status"] == "up" and eps[i]["kind"] == k for i, k in wanted.items()) and eps

        eps = wait_for(all_up, 40, 0.5, "every probe kind up in the demo")
        # causes rendered in Vietnamese (the API's default language), with the sender's own words
        assert "được tin cậy, đúng tên dichvucong.quangngai.gov.vn" in eps["dvc.certificate"]["reason"]
        assert eps["dvc.certificate"]["cause"]["code"] == "tls_ok"
        assert "12/12 cụm loa trực tuyến" in eps["httt-nguon.hb-ly-son"]["reason"]
        assert eps["lgsp.link-ndxp"]["reason"].startswith("Kết nối tốt")
        _, links = endpoints()
        assert {l["status"] for l in links.values()} == {"up"}

        # link_down drives the connection kind; a silent commune server makes the heartbeat down
        assert app.post("/api/demo/systems/lgsp/mode", json={"mode": "link_down"}).status_code == 200
        assert app.post("/api/demo/systems/httt-nguon/mode", json={"mode": "hang"}).status_code == 200

        def link_and_heartbeat_down():
            eps, links = endpoints()
            return (links["lgsp.ndxp"]["status"] == "down" and eps["httt-nguon.hb-ly-son"]["status"] == "down"
                    and (eps, links))

        eps, links = wait_for(link_and_heartbeat_down, 40, 0.5, "link and heartbeat down")
        assert links["lgsp.ndxp"]["reason"].startswith("Kết nối báo “disconnected”")
        assert "Không kết nối được NDXP" in links["lgsp.ndxp"]["reason"]
        assert links["lgsp.ndxp"]["short_reason"] == "Mất kết nối (disconnected)"
        assert eps["httt-nguon.hb-ly-son"]["reason"].startswith("Mất tín hiệu ")
        assert eps["lgsp.gateway-port"]["status"] == "up"  # the gateway itself still answers

        app.post("/api/demo/systems/httt-nguon/mode", json={"mode": "failing"})
        wait_for(lambda: endpoints()[0]["httt-nguon.hb-ly-son"]["status"] == "degraded", 40, 0.5, "heartbeat degraded")
        assert not re.search(r"/api/heartbeat/[A-Za-z0-9_-]{5,}", app.log())  # no token in the log
    finally:
        stop_app(app)
