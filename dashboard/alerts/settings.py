"""Settings of the security alerts, from IOC_* environment variables (parsed by
dashboard.config.read_env, like every setting). A dataclass of their own, so that the alert
feature is configured without touching the shared command-line flags."""
from __future__ import annotations

from dataclasses import dataclass

from collectors.timeutil import parse_duration
from dashboard.config import environment, flag, not_valid, read_env

ENV_VARS = {
    "IOC_NOTIFY_MAX_PER_MINUTE": ("notify_max_per_minute", int),
    "IOC_PUBLIC_URL": ("public_url", str),
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
    "IOC_WAZUH_VERIFY": ("wazuh_verify", flag),
    "IOC_WAZUH_CA_BUNDLE": ("wazuh_ca_bundle", str),
}


@dataclass(frozen=True)
class AlertSettings:
    notify_urls: tuple[str, ...] = ()
    notify_max_per_minute: int = 20
    # the address people open the IOC at: messages link to its pages (default: the web server's own)
    public_url: str | None = None
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

        env = environment(env)
        values = read_env(env, ENV_VARS, not_valid, strip=True)
        values["notify_urls"] = tuple(parse_urls((env.get("IOC_NOTIFY_URLS") or "").strip()))
        return cls(**values)
