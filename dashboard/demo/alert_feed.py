"""The demo's security feeds: a stream of realistic alerts from a simulated provincial SOC, the
national centre and the police, posted to our own webhook every 20-60 s so that they go
through authentication, validation and rate limiting like any real sender."""
from __future__ import annotations

import json
import logging
import random
import threading
import time
from dataclasses import replace

import requests
from sqlalchemy import select

from dashboard.alerts.ingest import IngestRejected, create_source, ingest
from dashboard.store.models import Agency

log = logging.getLogger(__name__)

DEMO_TICK_S = 5.0
DEMO_GAP_S = (20.0, 60.0)


def install(collector, jobs, settings) -> DemoAlertFeed:
    """Post demo alerts from the collector's scheduler, while it holds the lease."""
    feed = DemoAlertFeed(collector.db, _local_url(settings))
    collector.scheduler.add_job(lambda: jobs.guarded("demo alerts", feed.tick), "interval", seconds=DEMO_TICK_S,
                                id="_alerts_demo")
    return feed


def with_demo_siem(alert_settings):
    """Without a SIEM of its own, the demo pulls a simulated Wazuh indexer on loopback, like a real one."""
    if alert_settings.wazuh_url:
        return alert_settings
    from dashboard.demo.siem import DemoWazuh

    wazuh = DemoWazuh().start()
    return replace(alert_settings, wazuh_url=wazuh.url, wazuh_user=wazuh.user,
                   wazuh_password=wazuh.password, wazuh_interval_s=min(alert_settings.wazuh_interval_s, 30.0))


def _local_url(settings) -> str:
    host = settings.host if settings.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return f"http://{host}:{settings.port}"


_PCS = ["PC-KT-03 (10.12.4.23)", "PC-VT-11 (10.12.4.57)", "PC-MC-02 (10.21.8.14)", "LAPTOP-CT-07 (10.21.8.91)",
        "PC-TN-05 (10.33.2.40)"]
_BOTNET_IPS = ["113.161.77.24", "14.225.19.210", "171.244.62.8"]
_BRUTE_IPS = ["185.220.101.47", "45.95.147.231", "103.151.122.9", "61.177.172.140"]
_MALWARE = ["Trojan.Win32.Agent.xdkq", "Backdoor.Win32.PlugX.gen", "HEUR:Trojan-Ransom.Win32.Lockbit.gen",
            "Worm.Win32.AutoRun.hgz"]
_PORTAL_SYSTEMS = ["dvc", "lgsp", "qlvb"]


def demo_alert(rng: random.Random, communes: list[str], departments: list[str]) -> tuple[str, dict]:
    """One realistic SOC alert: (webhook source, payload)."""
    kind = rng.choices(["malware", "botnet", "brute", "police", "phishing", "web", "vuln"],
                       weights=[3, 2, 4, 1, 2, 2, 1])[0]
    if kind == "malware":
        name, pc = rng.choice(_MALWARE), rng.choice(_PCS)
        return "demo-soc", {
            "severity": "critical" if "Ransom" in name else "high", "category": "malware",
            "title": f"Phát hiện mã độc {name} trên máy trạm", "asset": pc, "agency": rng.choice(communes),
            "description": f"Phần mềm phòng chống mã độc tập trung phát hiện và cách ly {name}; máy trạm cần được rà soát.",
            "details": {"detector": "EDR", "action": "quarantined"}}
    if kind == "botnet":
        ip = rng.choice(_BOTNET_IPS)
        return "ncsc", {
            "severity": "critical", "category": "botnet",
            "title": f"NCSC cảnh báo: địa chỉ IP {ip} của tỉnh nằm trong mạng botnet",
            "description": f"Trung tâm Giám sát an toàn không gian mạng quốc gia ghi nhận {ip} kết nối tới máy chủ điều khiển (C2) Mirai.",
            "asset": ip, "agency": rng.choice(departments), "fingerprint": f"botnet-{ip}",
            "details": {"c2": "45.148.10.88:23", "family": "Mirai"}}
    if kind == "brute":
        ip, system = rng.choice(_BRUTE_IPS), rng.choice(_PORTAL_SYSTEMS)
        tries = rng.randint(60, 900)
        return "demo-soc", {
            "severity": "high" if tries > 400 else "medium", "category": "brute_force",
            "title": f"Dò mật khẩu SSH từ {ip}", "system": system, "asset": ip,
            "description": f"{tries} lần đăng nhập thất bại trong 5 phút (sshd).", "fingerprint": f"brute-{ip}-{system}",
            "details": {"failures": tries, "service": "sshd"}}
    if kind == "police":
        return "pa05", {
            "severity": "high", "category": "data_leak",
            "title": "Công an tỉnh (PA05) thông báo: lộ lọt tài khoản thư công vụ",
            "description": "Phát hiện 3 tài khoản thư công vụ bị rao bán trên diễn đàn; đề nghị đổi mật khẩu và bật xác thực hai lớp.",
            "agency": rng.choice(communes + departments), "details": {"notice": f"CV-{rng.randint(100, 999)}/PA05"}}
    if kind == "phishing":
        return "demo-soc", {
            "severity": "medium", "category": "phishing",
            "title": "Chiến dịch thư giả mạo 'Cập nhật hồ sơ thuế 2026'", "agency": rng.choice(departments),
            "description": "Thư giả mạo gửi tới nhiều hộp thư công vụ, chứa liên kết tới trang đăng nhập giả.",
            "fingerprint": "phishing-thue-2026"}
    if kind == "web":
        ip = rng.choice(_BRUTE_IPS)
        return "demo-soc", {
            "severity": "medium", "category": "web_attack", "system": "dvc", "asset": ip,
            "title": f"Tấn công SQL injection vào Cổng dịch vụ công từ {ip}",
            "description": "WAF chặn 37 yêu cầu chứa mẫu UNION SELECT trên /tra-cuu-ho-so.",
            "fingerprint": f"sqli-{ip}"}
    return "ncsc", {
        "severity": "high", "category": "vulnerability", "system": rng.choice(_PORTAL_SYSTEMS),
        "title": "Lỗ hổng nghiêm trọng trên máy chủ ứng dụng cần vá khẩn cấp",
        "description": "Cục An toàn thông tin cảnh báo lỗ hổng thực thi mã từ xa trên máy chủ ứng dụng Java đang dùng.",
        "fingerprint": "vuln-appserver-rce"}


class DemoAlertFeed:
    """Posts a demo alert to our own webhook every 20-60 s, with per-source tokens created at
    start (so the demo goes through authentication, validation and rate limiting like any
    sender). Without a web server (collect only) it stores through the same ingest function."""

    SOURCES = {"demo-soc": "Demo: SOC tỉnh (EDR, WAF, SIEM)", "ncsc": "Demo: Trung tâm Giám sát an toàn không gian mạng quốc gia",
               "pa05": "Demo: Công an tỉnh (PA05)"}

    def __init__(self, db, base_url: str, seed: int | None = None):
        self.db, self.base_url = db, base_url
        self.rng = random.Random(seed)
        self.tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        with db.session() as session:
            for name, description in self.SOURCES.items():
                self.tokens[name] = create_source(session, name, description)
            agencies = session.execute(select(Agency.id, Agency.kind)).all()
        self.communes = [a for a, kind in agencies if kind in ("commune", "ward", "special_zone")] or [a for a, _ in agencies]
        self.departments = [a for a, kind in agencies if kind not in ("commune", "ward", "special_zone")] or self.communes
        self.next_at = time.monotonic() + 5.0  # a first alert soon after start

    def tick(self) -> None:
        with self._lock:
            if time.monotonic() < self.next_at or not self.communes:
                return
            self.next_at = time.monotonic() + self.rng.uniform(*DEMO_GAP_S)
            source, payload = demo_alert(self.rng, self.communes, self.departments)
        self.post(source, payload)

    def post(self, source: str, payload: dict) -> None:
        headers = {"Authorization": f"Bearer {self.tokens[source]}"}
        try:
            response = requests.post(f"{self.base_url}/api/alerts/ingest/{source}", json=payload, headers=headers, timeout=5)
            if response.status_code >= 300:
                log.warning("demo alert refused by the webhook: %s %s", response.status_code, response.text[:200])
            return
        except requests.RequestException:
            pass  # no web server in this process: store directly, through the same checks
        try:
            with self.db.session() as session:
                ingest(session, source, headers["Authorization"], json.dumps(payload).encode())
        except IngestRejected as exc:
            log.warning("demo alert refused: %s", exc.message)
