"""The public status page and Prometheus metrics: pure rules as tables, the read model on SQLite
and PostgreSQL, and the real app for access, privacy, caching and parsing."""
from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from dashboard.domain.uptime import daily_uptimes
from dashboard.readmodels.public_status import local_day_starts, overall_state, public_state, public_status
from dashboard.store.models import Agency, Incident, MaintenanceWindow, StateEvent, System
from tests.conftest import PROJECT_DIR, start_app, stop_app, wait_for

# what /metrics serves (checked against a real scrape below)
SERVED = {"ioc_endpoint_up", "ioc_endpoint_status", "ioc_endpoint_latency_seconds",
          "ioc_endpoint_last_check_timestamp_seconds", "ioc_check_missed_total", "ioc_system_status",
          "ioc_coverage_ratio", "ioc_alerts_open", "ioc_collector_up", "ioc_collector_last_heartbeat_timestamp_seconds"}
UTC = timezone.utc
D0 = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # 30/11/2026 00:00 in Vietnam
DAY = timedelta(days=1)


@pytest.mark.parametrize("name, events, initial, expected", [
    ("up all days", [], "up", [100.0, 100.0, 100.0]),
    ("never observed", [], None, [None, None, None]),
    ("down for 6 h on day 2", [(D0 + DAY, "down"), (D0 + DAY + timedelta(hours=6), "up")], "up", [100.0, 75.0, 100.0]),
    ("down across midnight", [(D0 + timedelta(hours=18), "down"), (D0 + DAY + timedelta(hours=6), "up")], "up",
     [75.0, 75.0, 100.0]),
    ("monitoring starts mid-day 2", [(D0 + DAY + timedelta(hours=12), "up")], None, [None, 100.0, 100.0]),
    ("maintenance does not count", [(D0 + DAY, "maintenance"), (D0 + DAY + timedelta(hours=12), "up")], "up",
     [100.0, 100.0, 100.0]),
    ("degraded counts as available", [(D0, "degraded")], "up", [100.0, 100.0, 100.0]),
    ("still down today", [(D0 + 2 * DAY, "down")], "up", [100.0, 100.0, 0.0]),
])
def test_daily_uptimes(name, events, initial, expected):
    starts = [D0, D0 + DAY, D0 + 2 * DAY]
    assert daily_uptimes(events, initial, starts, D0 + 3 * DAY) == expected, name


def test_today_is_cut_at_now():
    # up for the first 2 h of today, down for the last 2 h: 50 % so far, not 2/24 down
    events = [(D0 + timedelta(hours=2), "down")]
    assert daily_uptimes(events, "up", [D0], D0 + timedelta(hours=4)) == [50.0]


@pytest.mark.parametrize("states, overall", [
    ([], "unknown"), (["unknown"], "unknown"), (["operational", "unknown"], "operational"),
    (["operational", "degraded"], "degraded"), (["maintenance", "degraded", "outage"], "outage"),
    (["operational", "maintenance"], "maintenance"),
])
def test_overall_state_is_the_worst(states, overall):
    assert overall_state(states) == overall


@pytest.mark.parametrize("status, public", [("up", "operational"), ("degraded", "degraded"), ("down", "outage"),
                                            ("maintenance", "maintenance"), ("unknown", "unknown"), ("bogus", "unknown")])
def test_public_vocabulary(status, public):
    assert public_state(status) == public


def test_days_are_vietnamese_calendar_days():
    now = datetime(2026, 12, 2, 18, 30, tzinfo=UTC)  # 03/12 01:30 in Vietnam
    starts = local_day_starts(now, 3)
    assert [(s + timedelta(hours=7)).strftime("%d/%m %H:%M") for s in starts] == ["01/12 00:00", "02/12 00:00", "03/12 00:00"]


def test_read_model_shows_public_systems_only_and_never_causes(any_db):
    now = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
    with any_db.session() as s:
        s.add(Agency(id="skhcn", name_vi="Sở KH&CN", name_en="DOST", kind="department"))
        s.add(System(id="dvc", name_vi="Cổng dịch vụ công", name_en="Public service portal", owner_agency_id="skhcn",
                     public=True, status="down", position=0))
        s.add(System(id="internal", name_vi="Hệ thống nội bộ", name_en="Internal", owner_agency_id="skhcn",
                     public=False, status="down", position=1))
        s.flush()
        s.add(StateEvent(subject_type="system", subject_id="dvc", at=now - timedelta(days=3), old_status="unknown",
                         new_status="up"))
        s.add(StateEvent(subject_type="system", subject_id="dvc", at=now - timedelta(hours=1), old_status="up",
                         new_status="down"))
        s.add(Incident(subject_type="system", subject_id="dvc", system_id="dvc", severity="down",
                       started_at=now - timedelta(hours=1), cause="connection refused (10.0.0.5:443)",
                       last_reason="connection refused (10.0.0.5:443)", public_note="Đang khắc phục"))
        s.add(Incident(subject_type="system", subject_id="internal", system_id="internal", severity="down",
                       started_at=now - timedelta(hours=2), cause="secret internal cause"))
        s.add(MaintenanceWindow(system_id="dvc", reason="nâng cấp máy chủ 10.0.0.5", starts_at=now + timedelta(days=2),
                                ends_at=now + timedelta(days=2, hours=2), created_at=now, created_by="op"))
    with any_db.session() as s:
        data = public_status(s, now)
    assert [v["id"] for v in data["systems"]] == ["dvc"]
    assert data["overall"] == "outage"
    days = data["systems"][0]["days"]
    assert len(days) == 90 and days[-1]["date"].isoformat() == "2026-12-02"
    # monitoring began 29/11 at 12:00 (Vietnam); today up 00:00-11:00, then down until 12:00 (now)
    assert [d["uptime"] for d in days[-5:]] == [None, 100.0, 100.0, 100.0, round(100 * 11 / 12, 3)]
    assert [i["note"] for i in data["incidents"]] == ["Đang khắc phục"]
    assert len(data["maintenance"]) == 1
    text = repr(data)
    for secret in ("10.0.0.5", "connection refused", "secret internal cause", "nâng cấp", "internal"):
        assert secret not in text


# ---------------------------------------------------------------------------- the real app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("public")
    running = start_app(tmp)
    running.data_dir = tmp / f"data-{running.url.rsplit(':', 1)[1]}"
    yield running
    stop_app(running)


def cli(app, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "app.py", *args, "--data-dir", str(app.data_dir)], cwd=PROJECT_DIR,
                          text=True, capture_output=True, timeout=60)


def test_status_page_is_public_vietnamese_first_and_leaks_nothing(app):
    anonymous = requests.Session()
    wait_for(lambda: "Hoạt động" in anonymous.get(app.url + "/status", timeout=10).text, 60, message="a first state")
    page = anonymous.get(app.url + "/status", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert '<html lang="vi">' in html and "Tình trạng hoạt động các hệ thống thông tin tỉnh Quảng Ngãi" in html
    for public in ("Nền tảng tích hợp, chia sẻ dữ liệu (LGSP)", "Hệ thống thông tin giải quyết thủ tục hành chính (Cổng dịch vụ công)"):
        assert public in html, public
    systems = {s["id"]: s for s in app.get("/api/systems").json()["systems"]}
    for private in ("ioc", "data-platform", "commune-network"):
        assert systems[private]["name_vi"] not in html, private
    assert "127.0.0.1" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert html.count('class="bars"') == 5 and "90 ngày trước" in html
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    english = anonymous.get(app.url + "/status?lang=en", timeout=10).text
    assert '<html lang="en">' in english and "Data integration and sharing platform (LGSP)" in english
    # a second visitor within the cache period gets the same bytes, and a revalidation is a 304
    again = anonymous.get(app.url + "/status", timeout=10)
    assert again.content == page.content
    assert anonymous.get(app.url + "/status", headers={"If-None-Match": page.headers["ETag"]},
                         timeout=10).status_code == 304
    css = anonymous.get(app.url + "/status/style.css", timeout=10)
    assert css.status_code == 200 and "text/css" in css.headers["Content-Type"]


def test_an_outage_shows_with_the_operators_note_and_in_the_feed(app):
    assert app.post("/api/demo/systems/dvc/mode", json={"mode": "down"}).status_code == 200
    try:
        incident = wait_for(lambda: next((i for i in app.get("/api/incidents?open=1").json()["incidents"]
                                          if i["subject_type"] == "system" and i["subject_id"] == "dvc"), None),
                            60, message="an open incident on dvc")
        note = "Cổng dịch vụ công đang được khắc phục, dự kiến xong trước 15:00."
        answer = app.post(f"/api/incidents/{incident['id']}/public-note", json={"note": note})
        assert answer.status_code == 200, answer.text
        assert app.post(f"/api/incidents/{incident['id']}/public-note", json={"note": "x" * 1001}).status_code == 400
        assert app.post("/api/incidents/999999/public-note", json={"note": "x"}).status_code == 404
        assert app.post(f"/api/incidents/{incident['id']}/public-note", data="note").status_code == 400
        anonymous = requests.Session()
        # the page is a snapshot of at most 30 s
        html = wait_for(lambda: (lambda h: h if note in h else None)(anonymous.get(app.url + "/status", timeout=10).text),
                        60, message="the note on the status page")
        assert "Sự cố đang diễn ra" in html and "Có hệ thống đang bị gián đoạn" in html
        assert "refused" not in html and "127.0.0.1" not in html
        feed = anonymous.get(app.url + "/status/feed.atom", timeout=10)
        assert feed.headers["Content-Type"].startswith("application/atom+xml")
        entries = ET.fromstring(feed.content).findall("{http://www.w3.org/2005/Atom}entry")
        assert any(note in (e.findtext("{http://www.w3.org/2005/Atom}content") or "") for e in entries)
    finally:
        app.post("/api/demo/systems/dvc/mode", json={"mode": "ok"})


def test_metrics_need_a_metrics_token_and_agree_with_the_api(app):
    anonymous = requests.Session()
    refused = anonymous.get(app.url + "/metrics", timeout=10)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    api_token = re.search(r"^(ioc_\S+)$", cli(app, "token", "create", "portal").stdout, re.M).group(1)
    assert anonymous.get(app.url + "/metrics", headers={"Authorization": f"Bearer {api_token}"},
                         timeout=10).status_code == 401
    made = cli(app, "token", "create", "prometheus", "--kind", "metrics")
    assert made.returncode == 0, made.stderr
    secret = re.search(r"^(metrics_\S+)$", made.stdout, re.M).group(1)
    bearer = {"Authorization": f"Bearer {secret}"}

    def agree():
        scraped = anonymous.get(app.url + "/metrics", headers=bearer, timeout=10)
        assert scraped.status_code == 200 and scraped.headers["Content-Type"].startswith("text/plain")
        families = {f.name: f for f in text_string_to_metric_families(scraped.text)}
        systems = app.get("/api/systems").json()["systems"]
        api_states = {s["id"]: s["status"] for s in systems}
        scraped_states = {s.labels["system"]: s.labels["status"] for s in families["ioc_system_status"].samples}
        api_up = {e["id"]: e["status"] in ("up", "degraded") for s in systems for e in s["endpoints"]}
        scraped_up = {s.labels["endpoint"]: s.value == 1.0 for s in families["ioc_endpoint_up"].samples}
        return (api_states == scraped_states and api_up == scraped_up) and families
    # the metrics are a snapshot of at most 5 s: poll until both reads see the same moment
    families = wait_for(agree, 60, interval=1.0, message="metrics that agree with /api/systems")
    assert len(families["ioc_endpoint_up"].samples) == 112
    statuses = families["ioc_endpoint_status"].samples
    assert {s.labels["status"] for s in statuses} == {"up", "degraded", "down", "unknown", "maintenance"}
    assert all(set(s.labels) == {"endpoint", "kind", "system", "agency", "status"} for s in statuses)
    assert {s.labels["kind"] for s in families["ioc_coverage_ratio"].samples} == {"systems_up", "links_up"}
    assert {s.labels["severity"] for s in families["ioc_alerts_open"].samples} >= {"critical", "high"}
    assert families["ioc_collector_up"].samples[0].value == 1.0
    assert "ioc_check_missed" in families and families["ioc_check_missed"].type == "counter"
    assert {sample.name for family in families.values() for sample in family.samples} == SERVED


def test_the_grafana_dashboard_queries_only_metrics_we_serve():
    import json

    served = SERVED
    documented = set(re.findall(r"^\| `(ioc_[a-z_]+)` \|", (PROJECT_DIR / "docs/prometheus.md").read_text(), re.M))
    assert documented == served
    dashboard = json.loads((PROJECT_DIR / "docs/grafana-dashboard.json").read_text())
    queried = {name for panel in dashboard["panels"] for target in panel["targets"]
               for name in re.findall(r"\bioc_[a-z_]+", target["expr"])}
    assert queried and queried <= served, queried - served
