"""What a probe kind accepts in the catalog, declared next to its check function.

Each kind registers a `ProbeOptions` model (`@register("tcp", options=TcpOptions)`): its fields
are the keys an endpoint of that kind may carry (with defaults, bounds and a description that
docs/probes.md is checked against), its validators say what the kind needs, `target()` gives the
text stored as the endpoint's target, and `to_options()` the dict the probe reads from
`Target.options`. The catalog keeps only the generic endpoint keys (id, name, interval, …).

Shared field types and mixins live here so that kinds with the same keys (url, host/port, the
HTTP request settings) write them, their defaults and their checks once.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from collectors._net import hostport
from collectors.conditions import ConditionError, parse
from collectors.timeutil import parse_duration

DEFAULT_MAX_BYTES = 1_000_000  # body cap of the kinds that fetch a URL

# One host name or address: no spaces, no scheme, no path.
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?)$")
# scheme://host[:port][/…]; the host part may not hold a space or another odd character.
_URL = re.compile(r"^(?P<scheme>https?)://(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s/?#:@\[\]]+)(:(?P<port>\d{1,5}))?([/?#]\S*)?$")


def duration(minimum: float, maximum: float):
    """A before-validator: seconds from 30, '30s', '5m', '1h', '2d', within bounds."""

    def convert(value: Any) -> float:
        seconds = parse_duration(value)
        if not minimum <= seconds <= maximum:
            raise ValueError(f"must be between {minimum:g} s and {maximum:g} s (got {seconds:g} s)")
        return seconds

    return convert


def _host(value: Any) -> Any:
    if isinstance(value, str) and not _HOST.match(value.strip()):
        raise ValueError(f"{value!r} is not a host name or IP address (no spaces, scheme or path)")
    return value.strip() if isinstance(value, str) else value


def _url(value: Any) -> Any:
    if isinstance(value, str):
        match = _URL.match(value)
        if not match:
            raise ValueError(f"{value!r} is not an http:// or https:// URL with a host (no spaces)")
        if match["port"] and not 1 <= int(match["port"]) <= 65535:
            raise ValueError(f"{value!r}: port {match['port']} is not between 1 and 65535")
    return value


def _ca_bundle(value: Any) -> Any:
    # Checked when the catalog loads: a missing file would otherwise fail every check later.
    if isinstance(value, str) and not Path(value).is_file():
        raise ValueError(f"CA bundle file {value!r} does not exist (or is not a file)")
    return value


Host = Annotated[str, BeforeValidator(_host)]
CaBundle = Annotated[str, BeforeValidator(_ca_bundle)]
Url = Annotated[str, BeforeValidator(_url)]
Port = Annotated[int, Field(ge=1, le=65535)]


class ConditionSpec(BaseModel):
    """`"[STATUS] == 200"` in the file is short for `{condition: "[STATUS] == 200", severity: down}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    condition: str
    severity: Literal["down", "degraded"] = "down"

    @model_validator(mode="after")
    def _parses(self) -> ConditionSpec:
        try:
            parse(self.condition, self.severity)
        except ConditionError as exc:
            raise ValueError(str(exc)) from None
        return self


def _condition_shorthand(value: Any) -> Any:
    return {"condition": value} if isinstance(value, str) else value


ConditionItem = Annotated[ConditionSpec, BeforeValidator(_condition_shorthand)]


class ProbeOptions(BaseModel):
    """The base of every kind's options model. Unknown keys are errors (a typo is caught)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def target(self) -> str:
        """The endpoint's target as stored and shown: a URL, host:port, a name."""
        return ""

    def to_options(self) -> dict[str, Any]:
        """What the probe reads from Target.options (plain JSON values)."""
        return self.model_dump(mode="json", exclude_none=True)


class HttpRequestOptions(ProbeOptions):
    """The request settings shared by the kinds that fetch a URL (http, connection)."""

    conditions: list[ConditionItem] = Field(
        default=[], description="health conditions judged on the answer, e.g. `[STATUS] == 200` "
                                "(default `[STATUS] < 400`); `{condition: …, severity: degraded}` for a warning")
    headers: dict[str, str] = Field(default={}, description="request headers, e.g. an API key from `${ENV}`")
    verify_tls: bool = Field(default=True, description="verify the server's certificate (false only for a lab)")
    ca_bundle: CaBundle | None = Field(default=None, description="PEM file of the private CA that signed the certificate")
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=1_000, le=50_000_000,
                           description="read at most this many bytes of the body, then fail")

    def to_options(self) -> dict[str, Any]:
        options = super().to_options()
        options["conditions"] = [c.model_dump() for c in self.conditions]
        return options


class NetworkOptions(ProbeOptions):
    """host + port for the kinds that open a connection themselves."""

    host: Host | None = Field(default=None, description="host name or IP address")
    port: Port | None = Field(default=None, description="TCP port")

    def target(self) -> str:
        return hostport(self.host or "", self.port)
