"""Access-control settings, read from the environment only (secrets never come from flags)."""
from __future__ import annotations

import ipaddress
import math
import secrets
from collections import Counter
from dataclasses import dataclass, field

from dashboard.config import environment, flag, read_env


@dataclass(frozen=True)
class AuthSettings:
    secret_key: str
    secret_is_generated: bool = False
    cookie_secure: bool = False  # IOC_COOKIE_SECURE=true when the site is served over https
    session_hours: float = 12.0
    kiosk_allow: tuple = ()  # networks whose requests see the wall without a token
    wall_frame_ancestors: str | None = None  # e.g. "https://portal.quangngai.gov.vn"; default: no framing
    proxy_hops: int = 0  # reverse proxies in front (X-Forwarded-For/-Proto trusted this many hops)
    max_request_bytes: int = 20 * 1024 * 1024
    worker_header: bool = False  # X-IOC-Worker: <pid> on every answer (deployment checks)
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scope: str = "openid profile email"
    oidc_default_role: str = "viewer"
    extra: dict = field(default_factory=dict)

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)


class SettingsError(ValueError):
    pass


def _networks(value: str) -> tuple:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())


# Unset or empty: the dataclass default.
ENV_VARS = {
    "IOC_COOKIE_SECURE": ("cookie_secure", flag),
    "IOC_SESSION_HOURS": ("session_hours", float),
    "IOC_KIOSK_ALLOW": ("kiosk_allow", _networks),
    "IOC_WALL_FRAME_ANCESTORS": ("wall_frame_ancestors", str),
    "IOC_PROXY_HOPS": ("proxy_hops", int),
    "IOC_MAX_REQUEST_MB": ("max_request_bytes", lambda v: int(float(v) * 1024 * 1024)),
    "IOC_WORKER_HEADER": ("worker_header", flag),
    "IOC_OIDC_ISSUER": ("oidc_issuer", lambda v: v.rstrip("/") or None),
    "IOC_OIDC_CLIENT_ID": ("oidc_client_id", str),
    "IOC_OIDC_CLIENT_SECRET": ("oidc_client_secret", str),
    "IOC_OIDC_SCOPE": ("oidc_scope", str),
    "IOC_OIDC_DEFAULT_ROLE": ("oidc_default_role", str),
}


def _not_valid(_var: str, _value: str, error: ValueError) -> SettingsError:
    return SettingsError(f"access-control setting not valid: {error}")


# 32 hex digits from a good generator measure 96 bits and more here (2,000 draws), 32 url-safe
# characters 100 and more; "a" * 32 measures 0, the alphabet 14, a word repeated 4.
MIN_SECRET_BITS = 80


def estimated_bits(secret: str) -> float:
    """A lower bound-ish estimate of a secret's entropy: its length times the Shannon entropy of
    its characters, and for short ones no more than zxcvbn's estimate of the guesses it takes
    (which sees sequences, keyboard walks, repeated words)."""
    if not secret:
        return 0.0
    counts = Counter(secret)
    per_char = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    bits = per_char * len(secret)
    if len(secret) <= 100:
        from zxcvbn import zxcvbn

        bits = min(bits, zxcvbn(secret)["guesses_log10"] * math.log2(10))
    return bits


def from_env(env=None, demo: bool = False) -> AuthSettings:
    """Without IOC_SECRET_KEY a random key is made in the demo (sessions end at restart); outside
    the demo that is an error, since several web workers must share one key."""
    env = environment(env)
    key = env.get("IOC_SECRET_KEY", "")
    generated = False
    if not key:
        if not demo:
            raise SettingsError("IOC_SECRET_KEY is not set: give the web server a long random secret "
                                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)")
        key, generated = secrets.token_urlsafe(48), True
    elif len(key) < 32:
        raise SettingsError("IOC_SECRET_KEY is too short: use at least 32 random characters")
    elif estimated_bits(key) < MIN_SECRET_BITS:
        raise SettingsError("IOC_SECRET_KEY is not random enough (repeated or patterned characters): make one with "
                            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`")
    settings = AuthSettings(secret_key=key, secret_is_generated=generated, **read_env(env, ENV_VARS, _not_valid))
    if settings.oidc_default_role not in ("viewer", "operator", "admin"):
        raise SettingsError("IOC_OIDC_DEFAULT_ROLE must be viewer, operator or admin")
    return settings
