"""Probe-derived alerts from what the real tls probe reports about real certificates on
loopback (expired, expiring, trusted), through the endpoint's stored detail."""
from __future__ import annotations

from datetime import timedelta

import pytest
from probe_targets import TlsServer
from sqlalchemy import select

from collectors import get_probe
from collectors.base import Target
from collectors.timeutil import utcnow
from dashboard.alerts.probe_alerts import derive_probe_alerts
from dashboard.alerts.settings import AlertSettings
from dashboard.demo.certs import make_ca, make_server_cert
from dashboard.store.models import Alert, Endpoint, System

tls = get_probe("tls")


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    authority = make_ca()
    bundle, _ = authority.write(tmp_path_factory.mktemp("ca"), "ca")
    return authority, str(bundle)


def probe_cert(issued, bundle):
    server = TlsServer(issued).start()
    try:
        return tls(Target("dvc.certificate", "tls", f"127.0.0.1:{server.port}", 3.0, (),
                          {"host": "127.0.0.1", "port": server.port, "server_name": "localhost", "ca_bundle": bundle}))
    finally:
        server.stop()


@pytest.fixture
def db(sqlite_db):
    with sqlite_db.session() as s:
        s.add(System(id="dvc", name_vi="Cổng dịch vụ công", name_en="Public services"))
        s.flush()
        s.add(Endpoint(id="dvc.certificate", system_id="dvc", name="HTTPS", kind="tls", target="127.0.0.1:443",
                       interval_s=60, timeout_s=3, options={}))
    return sqlite_db


def alerts_after(db, detail) -> dict[str, tuple[str, str]]:
    with db.session() as s:
        s.get(Endpoint, "dvc.certificate").last_detail = detail
        derive_probe_alerts(s, AlertSettings())
    with db.session() as s:
        return {a.category: (a.severity, a.status) for a in s.scalars(select(Alert))}


def test_expiring_then_expired_then_renewed(db, ca):
    authority, bundle = ca
    now = utcnow()
    soon = probe_cert(make_server_cert(["localhost"], authority, not_after=now + timedelta(days=20)), bundle)
    assert alerts_after(db, soon.detail) == {"cert_expiry": ("medium", "new")}

    expired = probe_cert(make_server_cert(["localhost"], authority, not_before=now - timedelta(days=400),
                                          not_after=now - timedelta(days=3)), bundle)
    assert alerts_after(db, expired.detail) == {"cert_expiry": ("critical", "new"), "tls_verify": ("high", "new")}

    renewed = probe_cert(make_server_cert(["localhost"], authority), bundle)
    assert alerts_after(db, renewed.detail) == {"cert_expiry": ("critical", "resolved"), "tls_verify": ("high", "resolved")}


def test_untrusted_certificate_is_a_verification_alert(db, ca):
    self_signed = probe_cert(make_server_cert(["localhost"]), ca[1])
    assert alerts_after(db, self_signed.detail) == {"tls_verify": ("high", "new")}
