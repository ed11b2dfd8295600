"""The YAML catalog: what to monitor. Validated whole before anything is written, so a bad
file stops the app with every problem listed (file:line, key path, what is wrong) and the
database untouched. Loading is idempotent: apply the same catalog twice, get the same rows.
"""
from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

import collectors
from collectors._net import hostport
from collectors.conditions import Condition, ConditionError, parse
from collectors.timeutil import parse_duration
from dashboard.catalog.commune_tokens import token_digest
from dashboard.domain.status import COMMUNE_MARK
from dashboard.store.models import Agency, Endpoint, Link, NationalPlatform, System, SystemDependency

PARTNERS = ("VNPT", "Viettel", "MobiFone", "FPT")
AGENCY_KINDS = ("department", "police", "office", "commune", "ward", "special_zone", "other")
LINK_DECLARED_STATES = ("connected", "in_progress", "planned", "not_started")
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
Partner = Literal["VNPT", "Viettel", "MobiFone", "FPT"]


class CatalogError(Exception):
    """The catalog cannot be used. `problems` lists each one as 'file:line: path: message'."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"catalog {source} is invalid ({len(problems)} problem(s)):\n  " + "\n  ".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _duration(minimum: float, maximum: float):
    def convert(value: Any) -> float:
        seconds = parse_duration(value)
        if not minimum <= seconds <= maximum:
            raise ValueError(f"must be between {minimum:g} s and {maximum:g} s (got {seconds:g} s)")
        return seconds

    return convert


class ConditionSpec(_Strict):
    """`"[STATUS] == 200"` in the file is short for `{condition: "[STATUS] == 200", severity: down}`."""

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


# --- probe kinds (issue 3A): which endpoint fields belong to which kinds. A field given to
# a kind it does not fit is an error. Kinds added later (not listed in KIND_FIELDS_KNOWN)
# may use the generic network fields.
KIND_FIELDS: dict[str, frozenset[str]] = {
    "url": frozenset({"http", "connection"}),
    "host": frozenset({"tcp", "tls", "dns", "connection"}),
    "port": frozenset({"tcp", "tls", "connection"}),
    "conditions": frozenset({"http", "connection"}),
    "method": frozenset({"http"}),
    "headers": frozenset({"http", "connection"}),
    "verify_tls": frozenset({"http", "connection"}),
    "ca_bundle": frozenset({"http", "tls", "connection"}),
    "max_bytes": frozenset({"http", "connection"}),
    "max_redirects": frozenset({"http"}),
    "server_name": frozenset({"tls"}),
    "warning_days": frozenset({"tls"}),
    "critical_days": frozenset({"tls"}),
    "expected_addresses": frozenset({"dns"}),
    "token": frozenset({"heartbeat"}),
    "period": frozenset({"heartbeat"}),
    "grace": frozenset({"heartbeat"}),
    "state_path": frozenset({"connection"}),
    "connected_value": frozenset({"connection"}),
    "last_exchange_path": frozenset({"connection"}),
    "error_path": frozenset({"connection"}),
    "max_age": frozenset({"connection"}),
}
KIND_FIELDS_KNOWN = frozenset({"http", "tcp", "tls", "dns", "heartbeat", "connection"})
GENERIC_FIELDS = frozenset({"url", "host", "port", "conditions", "method", "headers", "verify_tls",
                            "ca_bundle", "max_bytes", "max_redirects"})
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


class EndpointSpec(_Strict):
    id: Slug
    name: str | None = None
    kind: str = "http"
    url: str | None = None
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    interval: float = 60.0
    timeout: float = 10.0
    conditions: list[ConditionItem] = []
    critical: bool = True
    failures_before_down: int = Field(default=2, ge=1, le=20)
    successes_before_up: int = Field(default=2, ge=1, le=20)
    method: Literal["GET", "HEAD", "POST"] = "GET"
    headers: dict[str, str] = {}
    verify_tls: bool = True
    ca_bundle: str | None = None
    max_bytes: int = Field(default=1_000_000, ge=1_000, le=50_000_000)
    max_redirects: int = Field(default=5, ge=0, le=20)
    options: dict[str, Any] = {}
    # Kind-specific fields (issue 3A): see KIND_FIELDS and docs/probes.md.
    server_name: str | None = None
    warning_days: float | None = Field(default=None, gt=0, le=3650)
    critical_days: float | None = Field(default=None, ge=0, le=3650)
    expected_addresses: list[str] = []
    token: str | None = None
    period: float | None = None
    grace: float | None = None
    state_path: str | None = None
    connected_value: bool | int | str | None = None
    last_exchange_path: str | None = None
    error_path: str | None = None
    max_age: float | None = None

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, value: Any) -> float:
        return _duration(1, 86_400)(value)

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout(cls, value: Any) -> float:
        return _duration(0.1, 300)(value)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        known = collectors.kinds()
        if value not in known:
            raise ValueError(f"unknown kind {value!r}; known kinds: {', '.join(known)}")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, value: Any) -> float:
        return _duration(1, 30 * 86_400)(value)

    @field_validator("grace", mode="before")
    @classmethod
    def _grace(cls, value: Any) -> float:
        return _duration(0, 30 * 86_400)(value)

    @field_validator("max_age", mode="before")
    @classmethod
    def _max_age(cls, value: Any) -> float:
        return _duration(1, 365 * 86_400)(value)

    @field_validator("token")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        # The message never repeats the value: it is a secret.
        if value is not None and not TOKEN_PATTERN.match(value):
            raise ValueError("a heartbeat token must be 16 to 128 letters, digits, '-' or '_' "
                             "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(24))')")
        return value

    @field_validator("expected_addresses")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            try:
                ipaddress.ip_address(address)
            except ValueError:
                raise ValueError(f"{address!r} is not an IPv4 or IPv6 address") from None
        return value

    @field_validator("state_path", "last_exchange_path", "error_path")
    @classmethod
    def _json_path(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[^\s.]+(\.[^\s.]+)*$", value):
            raise ValueError(f"{value!r} is not a JSON path such as links.ndxp.state")
        return value

    @field_validator(*KIND_FIELDS, mode="after")
    @classmethod
    def _field_fits_kind(cls, value: Any, info: ValidationInfo) -> Any:
        kind = info.data.get("kind")
        allowed = KIND_FIELDS[info.field_name]
        if kind is None or kind in allowed or (kind not in KIND_FIELDS_KNOWN and info.field_name in GENERIC_FIELDS):
            return value
        raise ValueError(f"{info.field_name} does not apply to a {kind} endpoint "
                         f"(it is for {', '.join(sorted(allowed))} endpoints)")

    @model_validator(mode="after")
    def _target_and_timeout(self) -> EndpointSpec:
        missing = _kind_requirements(self)
        if missing:
            raise ValueError(missing)
        if self.timeout >= self.interval:
            raise ValueError(f"timeout ({self.timeout:g} s) must be shorter than interval ({self.interval:g} s)")
        return self

    def target(self) -> str:
        if self.kind == "heartbeat":
            return f"push /api/heartbeat/{(self.token or '')[:4]}…"
        if self.kind == "dns":
            return self.host or ""
        if self.kind == "tls":
            return hostport(self.host or "", self.port or 443)
        return self.url or hostport(self.host or "", self.port)

    def parsed_conditions(self) -> tuple[Condition, ...]:
        return tuple(parse(item.condition, item.severity) for item in self.conditions)

    def probe_options(self) -> dict[str, Any]:
        options = dict(self.options)
        options.update(
            method=self.method,
            headers=self.headers,
            verify_tls=self.verify_tls,
            max_bytes=self.max_bytes,
            max_redirects=self.max_redirects,
            conditions=[c.model_dump() for c in self.conditions],
        )
        if self.ca_bundle:
            options["ca_bundle"] = self.ca_bundle
        options.update(_kind_options(self))
        return options


def _kind_requirements(spec: EndpointSpec) -> str | None:
    """What a kind needs to be checkable; None when it has it."""
    kind, given = spec.kind, spec.model_fields_set
    if kind == "http" and not spec.url:
        return "an http endpoint needs a url"
    if kind == "tcp" and not (spec.host and spec.port):
        return "a tcp endpoint needs host and port"
    if kind in ("tls", "dns") and not spec.host:
        return f"a {kind} endpoint needs a host"
    if kind == "tls":
        warning = spec.warning_days or 30.0
        critical = spec.critical_days if spec.critical_days is not None else 7.0
        if critical >= warning:
            return f"critical_days ({critical:g}) must be fewer than warning_days ({warning:g}); defaults are 7 and 30"
    if kind == "heartbeat":
        if not spec.token:
            return ("a heartbeat endpoint needs a token, e.g. token: ${IOC_HEARTBEAT_TOKEN_X} "
                    "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(24))')")
        if spec.period is None:
            return "a heartbeat endpoint needs a period: how often the sender pings, e.g. period: 1m"
    if kind == "connection":
        if spec.state_path and not spec.url:
            return "a connection endpoint with state_path needs the url of the document that reports the link"
        if not spec.state_path:
            extra = sorted(given & {"connected_value", "last_exchange_path", "error_path", "max_age"})
            if extra:
                return f"{', '.join(extra)} need(s) state_path (the link as reported by the system)"
            if not spec.url and not (spec.host and spec.port):
                return ("a connection endpoint needs url + state_path (the system reports its link), "
                        "or url or host + port (probe the national side directly)")
    if kind not in KIND_FIELDS_KNOWN and not spec.url and not (spec.host and spec.port):
        return f"a {kind} endpoint needs host and port (or a url)"
    return None


def _kind_options(spec: EndpointSpec) -> dict[str, Any]:
    """The kind-specific settings the probe reads from Target.options."""
    options: dict[str, Any] = {}
    if spec.host:
        options["host"] = spec.host
    if spec.port:
        options["port"] = spec.port
    if spec.kind == "tls":
        options.update(port=spec.port or 443, warning_days=spec.warning_days or 30.0,
                       critical_days=spec.critical_days if spec.critical_days is not None else 7.0)
        if spec.server_name:
            options["server_name"] = spec.server_name
    elif spec.kind == "dns" and spec.expected_addresses:
        options["expected_addresses"] = list(spec.expected_addresses)
    elif spec.kind == "heartbeat":

        # Only a digest is stored: the token itself never reaches the database.
        options.update(token_sha256=token_digest(spec.token), period_s=spec.period,
                       grace_s=spec.grace if spec.grace is not None else spec.period / 2)
    elif spec.kind == "connection" and spec.state_path:
        options["state_path"] = spec.state_path
        for name in ("connected_value", "last_exchange_path", "error_path"):
            if getattr(spec, name) is not None:
                options[name] = getattr(spec, name)
        if spec.max_age:
            options["max_age_s"] = spec.max_age
    return options


class LinkSpec(_Strict):
    platform: Slug
    endpoint: Slug | None = None
    declared: Literal["connected", "in_progress", "planned", "not_started"] = "connected"


class SystemSpec(_Strict):
    id: Slug
    name_vi: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    description: str | None = None
    owner: Slug
    partner: Partner | None = None
    endpoints: list[EndpointSpec] = Field(default_factory=list)
    connections: list[LinkSpec] = Field(default_factory=list)
    depends_on: list[Slug] = Field(default_factory=list)  # other provincial systems this one needs

    @model_validator(mode="after")
    def _references(self) -> SystemSpec:
        ids = [e.id for e in self.endpoints]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"endpoint ids repeated in system {self.id!r}: {', '.join(duplicates)}")
        for link in self.connections:
            if link.endpoint and link.endpoint not in ids:
                raise ValueError(f"connection to {link.platform!r} names endpoint {link.endpoint!r}, which system {self.id!r} does not have")
        return self


class AgencySpec(_Strict):
    id: Slug
    name_vi: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    kind: Literal["department", "police", "office", "other"] = "department"
    partner: Partner | None = None


class PlatformSpec(_Strict):
    id: Slug
    name_vi: str = Field(min_length=1)
    name_en: str = Field(min_length=1)


class CommuneHeartbeatSpec(_Strict):
    """One push heartbeat endpoint per commune-level unit (its server on the dedicated data
    network), owned by `system`. Tokens are derived from `secret` (dashboard.catalog.commune_tokens)."""

    system: Slug
    secret: str
    period: float
    grace: float | None = None
    interval: float = 60.0
    timeout: float = 10.0
    # Not critical by default: a few silent communes make the system degraded, not down.
    critical: bool = False

    @field_validator("period", "grace", "interval", "timeout", mode="before")
    @classmethod
    def _durations(cls, value: Any, info: ValidationInfo) -> float:
        # same bounds as the fields of an endpoint
        bounds = {"period": (1, 30 * 86_400), "grace": (0, 30 * 86_400), "interval": (1, 86_400), "timeout": (0.1, 300)}
        return _duration(*bounds[info.field_name])(value)

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str) -> str:
        from dashboard.catalog.commune_tokens import MIN_SECRET_CHARS

        # The message never repeats the value: it is a secret.
        if len(value.strip()) < MIN_SECRET_CHARS:
            raise ValueError(f"the commune heartbeat secret must be at least {MIN_SECRET_CHARS} characters "
                             "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')")
        return value

    @model_validator(mode="after")
    def _timeout_shorter(self) -> CommuneHeartbeatSpec:
        if self.timeout >= self.interval:
            raise ValueError(f"timeout ({self.timeout:g} s) must be shorter than interval ({self.interval:g} s)")
        return self

    def endpoint(self, unit) -> EndpointSpec:
        """The heartbeat endpoint of one unit, built like a catalog endpoint (same token storage)."""
        from dashboard.catalog.commune_tokens import commune_token

        return EndpointSpec(
            id=f"hb-{unit.code}", name=f"Máy chủ {unit.name}", kind="heartbeat",
            token=commune_token(self.secret, unit.code), period=self.period, grace=self.grace,
            interval=self.interval, timeout=self.timeout, critical=self.critical,
            options={"agency": f"unit-{unit.code}", COMMUNE_MARK: True},
        )




class CommunesSpec(_Strict):
    """The 96 commune-level units come from vietnam-provinces, never typed by hand."""

    include: bool = True
    partner_default: Partner | None = None
    partners: dict[str, Partner] = {}
    heartbeat: CommuneHeartbeatSpec | None = None

    @model_validator(mode="after")
    def _heartbeat_needs_units(self) -> CommunesSpec:
        if self.heartbeat is not None and not self.include:
            raise ValueError("communes.heartbeat needs include: true (the endpoints belong to the units)")
        return self


class MaintenanceEntrySpec(BaseModel):
    """A planned maintenance window (`maintenance:`), validated by the same rules as the API
    and the /maintenance page (dashboard.domain.maintenance.window_fields)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,47}$")

    @model_validator(mode="after")
    def _window(self) -> MaintenanceEntrySpec:
        from dashboard.domain.maintenance import CATALOG_EPOCH, MaintenanceError, window_fields

        try:
            window_fields(self.window_input(), CATALOG_EPOCH)
        except MaintenanceError as exc:
            raise ValueError(str(exc)) from None
        return self

    def window_input(self) -> dict:
        return dict(self.model_extra or {})


class CatalogSpec(_Strict):
    version: Literal[1]
    national_platforms: list[PlatformSpec] = Field(default_factory=list)
    agencies: list[AgencySpec] = Field(default_factory=list)
    communes: CommunesSpec = CommunesSpec()
    systems: list[SystemSpec] = Field(min_length=1)
    maintenance: list[MaintenanceEntrySpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _maintenance_references(self) -> CatalogSpec:
        endpoints = {f"{s.id}.{e.id}" for s in self.systems for e in s.endpoints}
        systems = {s.id for s in self.systems}
        ids = [m.id for m in self.maintenance]
        problems = [f"maintenance id {dup!r} appears more than once" for dup in sorted({i for i in ids if ids.count(i) > 1})]
        for entry in self.maintenance:
            data = entry.window_input()
            if data.get("system") and data["system"] not in systems:
                problems.append(f"maintenance {entry.id!r}: system {data['system']!r} is not a system id in the catalog")
            if data.get("endpoint") and data["endpoint"] not in endpoints:
                problems.append(f"maintenance {entry.id!r}: endpoint {data['endpoint']!r} is not <system>.<endpoint> in the catalog")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _cross_references(self) -> CatalogSpec:
        problems = []
        for label, items in (("agency", self.agencies), ("system", self.systems), ("national platform", self.national_platforms)):
            ids = [i.id for i in items]
            for dup in sorted({i for i in ids if ids.count(i) > 1}):
                problems.append(f"{label} id {dup!r} appears more than once")
        tokens: dict[str, str] = {}
        for system in self.systems:
            for endpoint in system.endpoints:
                if endpoint.kind == "heartbeat" and endpoint.token:
                    first = tokens.setdefault(endpoint.token, f"{system.id}.{endpoint.id}")
                    if first != f"{system.id}.{endpoint.id}":
                        problems.append(f"heartbeat endpoints {first} and {system.id}.{endpoint.id} share one token; each needs its own")
        agencies = {a.id for a in self.agencies}
        platforms = {p.id for p in self.national_platforms}
        for system in self.systems:
            if system.owner not in agencies:
                problems.append(f"system {system.id!r}: owner {system.owner!r} is not an agency id in the catalog")
            for link in system.connections:
                if link.platform not in platforms:
                    problems.append(f"system {system.id!r}: connection platform {link.platform!r} is not in national_platforms")
            for other in system.depends_on:
                if other == system.id or other not in {s.id for s in self.systems}:
                    problems.append(f"system {system.id!r}: depends_on {other!r} is not another system id in the catalog")
        heartbeat = self.communes.heartbeat
        if heartbeat is not None:
            owner = next((s for s in self.systems if s.id == heartbeat.system), None)
            if owner is None:
                problems.append(f"communes.heartbeat: system {heartbeat.system!r} is not a system id in the catalog")
            else:
                clash = sorted(e.id for e in owner.endpoints if re.fullmatch(r"hb-\d{5}", e.id))
                if clash:
                    problems.append(f"system {owner.id!r}: endpoint id(s) {', '.join(clash)} are reserved for communes.heartbeat")
        if problems:
            raise ValueError("; ".join(problems))
        return self


@dataclass(frozen=True)
class Catalog:
    spec: CatalogSpec
    source: str


# ---------------------------------------------------------------- reading and validating

_ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def load_catalog(path: str | Path, env: dict[str, str] | None = None) -> Catalog:
    """Read, interpolate ${VAR} / ${VAR:-default} from the environment, and validate."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise CatalogError(str(path), [f"not UTF-8 text: {exc}"]) from None
    return parse_catalog(text, str(path), env)


def parse_catalog(text: str, source: str = "<catalog>", env: dict[str, str] | None = None) -> Catalog:
    env = dict(os.environ) if env is None else env
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise CatalogError(source, [f"{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}"]) from None
    if root is None:
        raise CatalogError(source, [f"{source}: the file is empty"])
    lines: dict[tuple, int] = {}
    _index_lines(root, (), lines)
    data = yaml.load(text, Loader=yaml.SafeLoader)
    if not isinstance(data, dict):
        raise CatalogError(source, [f"{source}:1: the top level must be a mapping with keys version, agencies, systems, …"])
    problems: list[str] = []
    data = _interpolate(data, (), env, problems, lines, source)
    if problems:
        raise CatalogError(source, problems)
    try:
        spec = CatalogSpec.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(source, [_describe(err, lines, source) for err in exc.errors()]) from None
    return Catalog(spec, source)


def _index_lines(node: yaml.Node, path: tuple, lines: dict[tuple, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            _index_lines(value_node, path + (key_node.value,), lines)
            lines[path + (key_node.value,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, path + (index,), lines)


def _interpolate(value: Any, path: tuple, env: dict[str, str], problems: list[str], lines, source) -> Any:
    if isinstance(value, dict):
        return {k: _interpolate(v, path + (k,), env, problems, lines, source) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, path + (i,), env, problems, lines, source) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def replace(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        problems.append(f"{_where(path, lines, source)}: environment variable {name} is not set (write ${{{name}:-default}} for a default)")
        return match.group(0)

    return _ENV_PATTERN.sub(replace, value)


def _where(path: tuple, lines: dict[tuple, int], source: str) -> str:
    probe = tuple(path)
    while probe and probe not in lines:
        probe = probe[:-1]
    line = lines.get(probe)
    dotted = _dotted(path)
    return f"{source}:{line}: {dotted}" if line else f"{source}: {dotted}"


def _dotted(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _describe(error: dict, lines: dict[tuple, int], source: str) -> str:
    # pydantic adds union-branch names ("str", "ConditionSpec") and validator tags to loc;
    # keep only the parts that exist in the document.
    path: list = []
    for part in error["loc"]:
        candidate = tuple(path) + (part,)
        if candidate in lines or (isinstance(part, str) and not part.startswith(("function-", "function_"))):
            path.append(part)
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (check its spelling)"
    elif error["type"] == "missing":
        message = "required key is missing"
    return f"{_where(tuple(path), lines, source)}: {message}"


# ---------------------------------------------------------------- writing to the database


def apply_catalog(session: Session, catalog: Catalog, units: list | None = None) -> dict[str, int]:
    """Upsert everything the catalog names. What it no longer names is deactivated, never
    deleted, so history stays. `units` defaults to the official commune-level units."""
    spec = catalog.spec
    counts = {"agencies": 0, "systems": 0, "endpoints": 0, "links": 0, "national_platforms": 0}

    for agency in spec.agencies:
        _upsert(session, Agency, agency.id, name_vi=agency.name_vi, name_en=agency.name_en, kind=agency.kind, partner=agency.partner)
        counts["agencies"] += 1
    if spec.communes.include:
        if units is None:
            from dashboard.domain.communes import province_units

            units = province_units()
        for unit in units:
            partner = spec.communes.partners.get(unit.code, spec.communes.partner_default)
            _upsert(
                session,
                Agency,
                f"unit-{unit.code}",
                name_vi=unit.name,
                name_en=f"{unit.short_name} {unit_type_en(unit.unit_type)}",
                kind=unit.unit_type,
                partner=partner,
                official_code=unit.code,
                lat=unit.lat,
                lon=unit.lon,
            )
            counts["agencies"] += 1
    for platform in spec.national_platforms:
        _upsert(session, NationalPlatform, platform.id, name_vi=platform.name_vi, name_en=platform.name_en)
        counts["national_platforms"] += 1
    session.flush()

    seen_systems, seen_endpoints, seen_links = set(), set(), set()
    for position, system in enumerate(spec.systems):
        _upsert(
            session, System, system.id,
            name_vi=system.name_vi, name_en=system.name_en, description=system.description,
            owner_agency_id=system.owner, partner=system.partner, position=position, active=True,
        )
        seen_systems.add(system.id)
        endpoints = list(system.endpoints)
        heartbeat = spec.communes.heartbeat
        if heartbeat is not None and heartbeat.system == system.id and units:
            endpoints += [heartbeat.endpoint(unit) for unit in units]  # after the system's own
        for index, endpoint in enumerate(endpoints):
            seen_endpoints.add(_upsert_endpoint(session, system.id, endpoint, index))
        session.flush()
        for link in system.connections:
            link_id = f"{system.id}.{link.platform}"
            _upsert(
                session, Link, link_id,
                system_id=system.id, platform_id=link.platform,
                endpoint_id=f"{system.id}.{link.endpoint}" if link.endpoint else None,
                declared_state=link.declared, active=True,
            )
            seen_links.add(link_id)
    _apply_dependencies(session, spec)
    counts.update(systems=len(seen_systems), endpoints=len(seen_endpoints), links=len(seen_links))

    for model, seen in ((System, seen_systems), (Endpoint, seen_endpoints), (Link, seen_links)):
        for row in session.scalars(select(model).where(model.active.is_(True))):
            if row.id not in seen:
                row.active = False
    session.flush()
    counts["maintenance"] = apply_maintenance(session, spec.maintenance)  # planned windows
    return counts


def _upsert_endpoint(session: Session, system_id: str, endpoint: EndpointSpec, position: int) -> str:
    endpoint_id = f"{system_id}.{endpoint.id}"
    _upsert(
        session, Endpoint, endpoint_id,
        system_id=system_id, name=endpoint.name or endpoint.id, kind=endpoint.kind,
        target=endpoint.target(), interval_s=endpoint.interval, timeout_s=endpoint.timeout,
        critical=endpoint.critical, failures_before_down=endpoint.failures_before_down,
        successes_before_up=endpoint.successes_before_up, options=endpoint.probe_options(),
        position=position, active=True,
    )
    return endpoint_id


def _apply_dependencies(session: Session, spec: CatalogSpec) -> None:
    """Make the system_dependencies rows exactly what the catalog declares."""
    wanted = {(system.id, other) for system in spec.systems for other in system.depends_on}
    for row in session.scalars(select(SystemDependency)):
        if (row.system_id, row.depends_on_id) not in wanted:
            session.delete(row)
        else:
            wanted.discard((row.system_id, row.depends_on_id))
    session.add_all(SystemDependency(system_id=a, depends_on_id=b) for a, b in sorted(wanted))
    session.flush()


def unit_type_en(unit_type: str) -> str:
    return {"commune": "Commune", "ward": "Ward", "special_zone": "Special Zone"}[unit_type]


def _upsert(session: Session, model, key: str, **values) -> None:
    row = session.get(model, key)
    if row is None:
        session.add(model(id=key, **values))
        return
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def apply_maintenance(session: Session, entries: list[MaintenanceEntrySpec]) -> int:
    """Upsert the catalog's maintenance windows (known by `created_by = "catalog:<id>"`); a
    window the catalog no longer names is cancelled, never deleted."""
    from collectors.timeutil import utcnow
    from dashboard.domain.maintenance import CATALOG_EPOCH, window_fields
    from dashboard.store.models import MaintenanceWindow

    existing = {w.created_by: w for w in session.scalars(
        select(MaintenanceWindow).where(MaintenanceWindow.created_by.like("catalog:%"),
                                        MaintenanceWindow.cancelled_at.is_(None)))}
    now = utcnow()
    for entry in entries:
        fields = window_fields(entry.window_input(), CATALOG_EPOCH)
        row = existing.pop(f"catalog:{entry.id}", None)
        if row is None:
            session.add(MaintenanceWindow(**fields, created_by=f"catalog:{entry.id}", created_at=now))
            continue
        for key, value in fields.items():
            if getattr(row, key) != value and not (key in ("starts_at", "ends_at") and value is not None
                                                   and getattr(row, key) is not None
                                                   and getattr(row, key).replace(tzinfo=None) == value.replace(tzinfo=None)):
                setattr(row, key, value)
    for row in existing.values():
        row.cancelled_at = now
    session.flush()
    return len(entries)
