"""Settings from the environment: one parser (dashboard.config.read_env) for the core, the
alert and the access-control settings; each refuses a bad value with its own clear error."""
from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest

from dashboard import config
from dashboard.alerts.settings import AlertSettings
from dashboard.auth import settings as auth_settings
from tests.conftest import PROJECT_DIR

KEY = "kR7v2Qe9XfLm4TzWb8NcYs3HuJd6PaGq5Vx1Ek0Ro"  # random-looking: the entropy check accepts it


@pytest.mark.parametrize("value, default, expected", [
    (None, False, False), ("", True, True), ("  ", True, True),
    ("1", False, True), ("true", False, True), (" Yes ", False, True), ("ON", False, True),
    ("0", True, False), ("no", True, False), ("off", True, False), ("maybe", True, False),
])
def test_flag(value, default, expected):
    assert config.flag(value, default) is expected


@pytest.mark.parametrize("env, expected", [
    ({}, {}),
    ({"IOC_PORT": ""}, {}),                                   # empty is unset
    ({"IOC_PORT": "9000"}, {"port": 9000}),
    ({"IOC_STALE_AFTER": "5m"}, {"stale_after_s": 300.0}),
    ({"IOC_WALL_PAGES": "/wall, /wall/map,,"}, {"wall_pages": ("/wall", "/wall/map")}),
    ({"IOC_DEMO": "no", "IOC_WALL_SOUND": "yes"}, {"demo": False, "wall_sound": True}),
    ({"IOC_DATA_DIR": "/srv/ioc"}, {"data_dir": Path("/srv/ioc")}),
])
def test_core_settings(env, expected):
    settings = config.from_env(env)
    assert {name: getattr(settings, name) for name in expected} == expected
    defaults = config.Settings()
    assert all(getattr(settings, f) == getattr(defaults, f) for f in ("host", "refresh_ms") if f not in expected)


@pytest.mark.parametrize("var, value", [("IOC_PORT", "eighty"), ("IOC_STALE_AFTER", "soon"), ("IOC_RAW_RETENTION_DAYS", "x")])
def test_core_settings_refuse_a_bad_value(var, value):
    with pytest.raises(SystemExit, match=re.escape(f"error: environment variable {var}={value!r} is not valid")):
        config.from_env({var: value})


def test_alert_settings():
    settings = AlertSettings.from_env({"IOC_INGEST_BURST": " 5 ", "IOC_WAZUH_VERIFY": "no", "IOC_ALERT_DOWN_AFTER": "2m",
                                       "IOC_WAZUH_URL": "", "IOC_NOTIFY_URLS": ""})
    assert (settings.ingest_burst, settings.wazuh_verify, settings.down_alert_after_s) == (5, False, 120.0)
    assert settings.wazuh_url is None and settings.notify_urls == () and settings.wazuh_min_level == 7
    with pytest.raises(SystemExit, match=re.escape("IOC_WAZUH_MIN_LEVEL='high' is not valid")):
        AlertSettings.from_env({"IOC_WAZUH_MIN_LEVEL": "high"})


def test_access_control_settings():
    settings = auth_settings.from_env({"IOC_SECRET_KEY": KEY, "IOC_KIOSK_ALLOW": "10.1.0.0/16, 10.2.3.4",
                                       "IOC_MAX_REQUEST_MB": "1.5", "IOC_OIDC_ISSUER": "https://sso.example/realm/",
                                       "IOC_SESSION_HOURS": "", "IOC_COOKIE_SECURE": "true"})
    assert settings.kiosk_allow == (ipaddress.ip_network("10.1.0.0/16"), ipaddress.ip_network("10.2.3.4/32"))
    assert settings.max_request_bytes == int(1.5 * 1024 * 1024) and settings.oidc_issuer == "https://sso.example/realm"
    assert settings.session_hours == 12.0 and settings.cookie_secure and settings.oidc_default_role == "viewer"


@pytest.mark.parametrize("env, message", [
    ({}, "IOC_SECRET_KEY is not set"),
    ({"IOC_SECRET_KEY": "short"}, "IOC_SECRET_KEY is too short"),
    ({"IOC_SECRET_KEY": KEY, "IOC_KIOSK_ALLOW": "10.0.0.0/33"}, "access-control setting not valid: "),
    ({"IOC_SECRET_KEY": KEY, "IOC_PROXY_HOPS": "one"}, "access-control setting not valid: "),
    ({"IOC_SECRET_KEY": KEY, "IOC_OIDC_DEFAULT_ROLE": "root"}, "IOC_OIDC_DEFAULT_ROLE must be viewer, operator or admin"),
])
def test_access_control_settings_refuse_a_bad_value(env, message):
    with pytest.raises(auth_settings.SettingsError, match=re.escape(message)):
        auth_settings.from_env(env)


def test_the_demo_makes_a_key_when_none_is_given():
    settings = auth_settings.from_env({}, demo=True)
    assert settings.secret_is_generated and len(settings.secret_key) >= 32


def test_settings_are_read_from_the_process_environment_in_one_place():
    readers = {str(p.relative_to(PROJECT_DIR)) for p in [*PROJECT_DIR.joinpath("dashboard").rglob("settings.py"),
                                                        PROJECT_DIR / "dashboard" / "config.py", PROJECT_DIR / "wsgi.py"]
               if re.search(r"os\.environ|os\.getenv", p.read_text(encoding="utf-8"))}
    assert readers == {"dashboard/config.py"}
