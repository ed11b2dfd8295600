"""Settings of the security alerts (issue 7), from IOC_* environment variables. Kept apart from
dashboard.config so the alert feature can be configured without touching the shared flags."""
from __future__ import annotations

import os
from dataclasses import dataclass

from collectors.timeutil import parse_duration


def _bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class AlertSettings:
    notify_urls: tuple[str, ...] = ()
    notify_max_per_minute: int = 20
    ingest_rate_per_minute: float = 120.0
    ingest_burst: int = 30
    # probe-derived alerts
    down_alert_after_s: float = 600.0  # a system down this long raises an alert
    cert_warning_days: float = 30.0
    cert_critical_days: float = 7.0
    # SIEM pull (Wazuh indexer); off unless a URL is set
    wazuh_url: str | None = None
    wazuh_user: str | None = None
    wazuh_password: str | None = None
    wazuh_index: str = "wazuh-alerts-*"
    wazuh_min_level: int = 7
    wazuh_interval_s: float = 60.0
    wazuh_verify: bool = True
    wazuh_ca_bundle: str | None = None
    wazuh_page_size: int = 200
    wazuh_max_pages: int = 10

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> AlertSettings:
        from dashboard.alerts.notify import parse_urls

        env = os.environ if env is None else env
        get = lambda name: (env.get(name) or "").strip()  # noqa: E731
        values: dict = {}
        conversions = {
            "IOC_NOTIFY_MAX_PER_MINUTE": ("notify_max_per_minute", int),
            "IOC_INGEST_RATE_PER_MINUTE": ("ingest_rate_per_minute", float),
            "IOC_INGEST_BURST": ("ingest_burst", int),
            "IOC_ALERT_DOWN_AFTER": ("down_alert_after_s", parse_duration),
            "IOC_ALERT_CERT_WARNING_DAYS": ("cert_warning_days", float),
            "IOC_ALERT_CERT_CRITICAL_DAYS": ("cert_critical_days", float),
            "IOC_WAZUH_URL": ("wazuh_url", str),
            "IOC_WAZUH_USER": ("wazuh_user", str),
            "IOC_WAZUH_PASSWORD": ("wazuh_password", str),
            "IOC_WAZUH_INDEX": ("wazuh_index", str),
            "IOC_WAZUH_MIN_LEVEL": ("wazuh_min_level", int),
            "IOC_WAZUH_INTERVAL": ("wazuh_interval_s", parse_duration),
            "IOC_WAZUH_VERIFY": ("wazuh_verify", _bool),
            "IOC_WAZUH_CA_BUNDLE": ("wazuh_ca_bundle", str),
        }
        for var, (name, convert) in conversions.items():
            if get(var):
                try:
                    values[name] = convert(get(var))
                except ValueError:
                    raise SystemExit(f"error: environment variable {var}={get(var)!r} is not valid") from None
        values["notify_urls"] = tuple(parse_urls(get("IOC_NOTIFY_URLS")))
        return cls(**values)
