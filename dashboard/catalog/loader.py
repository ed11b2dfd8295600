"""The YAML catalog: what to monitor. Validated whole before anything is written, so a bad
file stops the app with every problem listed (file:line, key path, what is wrong) and the
database untouched. Loading is idempotent: apply the same catalog twice, get the same rows.
"""
from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

import collectors
from collectors.conditions import Condition, parse

# TOKEN_PATTERN is re-exported: the ping receiver checks a token's shape with the kind's rule.
from collectors.heartbeat import TOKEN_PATTERN  # noqa: F401
from collectors.options import ProbeOptions, duration
from dashboard.domain import geo
from dashboard.domain.agents import CENTRAL
from dashboard.domain.status import COMMUNE_MARK
from dashboard.store.models import Agency, Endpoint, Link, NationalPlatform, System, SystemDependency

PARTNERS = ("VNPT", "Viettel", "MobiFone", "FPT")
AGENCY_KINDS = ("department", "police", "office", "commune", "ward", "special_zone", "other")
LINK_DECLARED_STATES = ("connected", "in_progress", "planned", "not_started")
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
Partner = Literal["VNPT", "Viettel", "MobiFone", "FPT"]
CENTRAL_ONLY_KINDS = ("heartbeat",)  # pushed to the server: no agent can check them


def _repeated(ids: list[str]) -> list[str]:
    """The ids that appear more than once, sorted (linear: a system may have 10,000 endpoints)."""
    return sorted(i for i, n in Counter(ids).items() if n > 1)


class CatalogError(Exception):
    """The catalog cannot be used. `problems` lists each one as 'file:line: path: message'."""

    def __init__(self, source: str, problems: list[str], details: list[dict] | None = None):
        self.source = source
        self.problems = problems
        # the same problems as {"path": "systems[0].endpoints[1].timeout", "message": …}, for
        # forms and the API that show each one next to its field ("" for the whole document)
        self.details = details if details is not None else [{"path": "", "message": p} for p in problems]
        super().__init__(f"catalog {source} is invalid ({len(problems)} problem(s)):\n  " + "\n  ".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EndpointSpec(_Strict):
    """The keys every endpoint has, whatever its kind. The kind's own keys (url, host, port,
    conditions, warning_days, token, …) are declared by its options model in collectors/<kind>.py;
    the endpoint of a kind is this class and that model together (see `_endpoint_model`)."""

    id: Slug
    name: str | None = None
    kind: str = "http"
    interval: float = 60.0
    timeout: float = 10.0
    critical: bool = True
    enabled: bool = True  # false: kept in the catalog, not checked
    failures_before_down: int = Field(default=2, ge=1, le=20)
    successes_before_up: int = Field(default=2, ge=1, le=20)
    # Who checks it: the central collector, or the remote agent placed in that network
    # (an agent token is bound to one vantage: docs/agents.md).
    vantage: Slug = CENTRAL
    # Free-form settings read by the dashboard, not the probe (agency, public_portal, …).
    options: dict[str, Any] = {}

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, value: Any) -> float:
        return duration(1, 86_400)(value)

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout(cls, value: Any) -> float:
        return duration(0.1, 300)(value)

    @model_validator(mode="after")
    def _timeout_shorter(self) -> EndpointSpec:
        if self.timeout >= self.interval:
            raise ValueError(f"timeout ({self.timeout:g} s) must be shorter than interval ({self.interval:g} s)")
        if self.vantage != CENTRAL and self.kind in CENTRAL_ONLY_KINDS:
            raise ValueError(f"a {self.kind} endpoint is judged from what the server receives: "
                             f"its vantage must be {CENTRAL!r} (got {self.vantage!r})")
        return self

    def kind_options(self) -> ProbeOptions:
        """The kind's own options, as its model validated them."""
        model = collectors.options_model(self.kind)
        return model.model_construct(**{name: getattr(self, name) for name in model.model_fields})

    def target(self) -> str:
        return self.kind_options().target()

    def parsed_conditions(self) -> tuple[Condition, ...]:
        return tuple(parse(item.condition, item.severity) for item in getattr(self, "conditions", []))

    def probe_options(self) -> dict[str, Any]:
        return {**self.options, **self.kind_options().to_options()}


_ENDPOINT_MODELS: dict[str, type[EndpointSpec]] = {}


def _endpoint_model(kind: str) -> type[EndpointSpec]:
    """EndpointSpec + the kind's options model: one class, so a key of the kind is validated
    where it is written and its errors carry the same file:line: key.path as any other key."""
    model = _ENDPOINT_MODELS.get(kind)
    if model is None:
        options = collectors.options_model(kind)
        model = create_model(f"{options.__name__}Endpoint", __base__=(EndpointSpec, options),
                             kind=(Literal[kind], "http" if kind == "http" else ...))
        _ENDPOINT_MODELS[kind] = model
    return model


def _kind_of(value: Any) -> str:
    kind = value.get("kind", "http") if isinstance(value, dict) else getattr(value, "kind", "http")
    return f"{_TAG}{kind}"


_TAG = "kind="  # the tag pydantic adds to an error's location; not a part of the document


def _endpoint_union():
    kinds = collectors.kinds()
    models = tuple(Annotated[_endpoint_model(kind), Tag(f"{_TAG}{kind}")] for kind in kinds)
    return Annotated[Union[models], Discriminator(  # noqa: UP007 - a runtime tuple of models
        _kind_of, custom_error_type="unknown_kind",
        custom_error_message=f"unknown kind; known kinds: {', '.join(kinds)}")]


AnyEndpoint = _endpoint_union()
_ENDPOINT = TypeAdapter(AnyEndpoint)


def endpoint_spec(**values: Any) -> EndpointSpec:
    """An endpoint of any kind from keys as written in a catalog (validated)."""
    return _ENDPOINT.validate_python(values)


def validate_endpoint(values: Any, source: str = "<endpoint>") -> EndpointSpec:
    """One endpoint as a form or the API sends it, validated like one in a file; CatalogError
    with each problem's field path (`url`, `conditions[0]`, …) otherwise."""
    try:
        return _ENDPOINT.validate_python(values)
    except ValidationError as exc:
        problems, details = [], []
        for err in exc.errors():
            path, message = _located(err, {}, values)
            problems.append(f"{source}: {_dotted(path)}: {message}")
            details.append({"path": _dotted(path) if path else "", "message": message})
        raise CatalogError(source, problems, details) from None


def _kinds_with(key: str) -> list[str]:
    return [kind for kind in collectors.kinds() if key in collectors.options_model(kind).model_fields]


class LinkSpec(_Strict):
    platform: Slug
    endpoint: Slug | None = None
    declared: Literal["connected", "in_progress", "planned", "not_started"] = "connected"


class SystemSpec(_Strict):
    id: Slug
    name_vi: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    # A few letters where space is tight (wall charts, map labels): "LGSP", "QLVB", "DVC".
    short_name: str | None = Field(default=None, min_length=1, max_length=16)
    description: str | None = None
    owner: Slug
    partner: Partner | None = None
    # availability target in percent (monthly uptime); none: the default target of the reports
    sla: float | None = Field(default=None, ge=50, le=100)
    enabled: bool = True  # false: kept in the catalog, neither checked nor shown
    endpoints: list[AnyEndpoint] = Field(default_factory=list)
    connections: list[LinkSpec] = Field(default_factory=list)
    depends_on: list[Slug] = Field(default_factory=list)  # other provincial systems this one needs
    public: bool = False  # shown on the public status page (/status): its state, never its causes

    @model_validator(mode="after")
    def _references(self) -> SystemSpec:
        ids = [e.id for e in self.endpoints]
        duplicates = _repeated(ids)
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
    # where the agency sits, for the map: `location: [lat, lon]`, or `lat` and `lon` (the editor's
    # form); without one the map puts it at the provincial administrative centre.
    location: tuple[float, float] | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="before")
    @classmethod
    def _location_as_lat_lon(cls, data):
        """`location: [lat, lon]` is kept as given and also fills lat and lon (one place, two spellings)."""
        if isinstance(data, dict) and data.get("location") is not None:
            location = data["location"]
            if isinstance(location, (list, tuple)) and len(location) == 2:
                given = (data.get("lat"), data.get("lon"))
                if given != (None, None) and list(given) != list(location):
                    raise ValueError("give either location: [lat, lon] or lat and lon, not both")
                data = {**data, "lat": location[0], "lon": location[1]}
        return data

    @field_validator("location")
    @classmethod
    def _location_on_land(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is None:
            return value
        lat, lon = value
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(f"location must be [lat, lon] in degrees (got {list(value)})")
        if not geo.inside(lon, lat, geo.read_outline(str(geo.PROVINCE_OUTLINE))):
            raise ValueError(f"location {list(value)} is not inside the province (the sea, or another province?): give [lat, lon]")
        return value

    @model_validator(mode="after")
    def _on_land(self):
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        if self.lat is None or self.location is not None:  # a location was checked on its own
            return self
        if not geo.inside(self.lon, self.lat, geo.read_outline(str(geo.PROVINCE_OUTLINE))):
            raise ValueError(f"location {[self.lat, self.lon]} is not inside the province (the sea, or another province?): "
                             "give [lat, lon]")
        return self
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise ValueError(f"location must be [lat, lon] in degrees (got {[self.lat, self.lon]})")
        if not geo.inside(self.lon, self.lat, geo.read_outline(str(geo.PROVINCE_OUTLINE))):
            raise ValueError(f"location {[self.lat, self.lon]} is not inside the province (the sea, or another province?): "
                             "give [lat, lon]")
        return self


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
        return duration(*bounds[info.field_name])(value)

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

        grace = {} if self.grace is None else {"grace": self.grace}
        return endpoint_spec(
            id=f"hb-{unit.code}", name=f"Máy chủ {unit.name}", kind="heartbeat",
            token=commune_token(self.secret, unit.code), period=self.period, **grace,
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


class NotificationRouteSpec(BaseModel):
    """A notification route (`notifications:`), validated by the same rules as the admin page
    and POST /api/routes (dashboard.domain.routes.route_fields): a target URL Apprise cannot
    read is an error at its line."""

    model_config = ConfigDict(extra="allow", frozen=True)
    id: str

    @model_validator(mode="before")
    @classmethod
    def _route(cls, data: Any) -> Any:
        from dashboard.domain.routes import RouteError, route_fields

        try:
            route_fields(data)
        except RouteError as exc:
            raise ValueError(str(exc)) from None
        return data

    def route_input(self) -> dict:
        return {"id": self.id, **(self.model_extra or {})}


class CatalogSpec(_Strict):
    version: Literal[1]
    national_platforms: list[PlatformSpec] = Field(default_factory=list)
    agencies: list[AgencySpec] = Field(default_factory=list)
    communes: CommunesSpec = CommunesSpec()
    systems: list[SystemSpec] = Field(min_length=1)
    maintenance: list[MaintenanceEntrySpec] = Field(default_factory=list)
    notifications: list[NotificationRouteSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _notification_ids(self) -> CatalogSpec:
        ids = [n.id for n in self.notifications]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError("; ".join(f"notification route id {i!r} appears more than once" for i in repeated))
        return self

    @model_validator(mode="after")
    def _maintenance_references(self) -> CatalogSpec:
        endpoints = {f"{s.id}.{e.id}" for s in self.systems for e in s.endpoints}
        systems = {s.id for s in self.systems}
        ids = [m.id for m in self.maintenance]
        problems = [f"maintenance id {dup!r} appears more than once" for dup in _repeated(ids)]
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
            for dup in _repeated(ids):
                problems.append(f"{label} id {dup!r} appears more than once")
        tokens: dict[str, str] = {}
        for system in self.systems:
            for endpoint in system.endpoints:
                if endpoint.kind == "heartbeat" and endpoint.token:
                    first = tokens.setdefault(endpoint.token, f"{system.id}.{endpoint.id}")
                    if first != f"{system.id}.{endpoint.id}":
                        problems.append(f"heartbeat endpoints {first} and {system.id}.{endpoint.id} share one token; each needs its own")
        agencies = {a.id for a in self.agencies}
        system_ids = {s.id for s in self.systems}
        platforms = {p.id for p in self.national_platforms}
        for system in self.systems:
            if system.owner not in agencies:
                problems.append(f"system {system.id!r}: owner {system.owner!r} is not an agency id in the catalog")
            for link in system.connections:
                if link.platform not in platforms:
                    problems.append(f"system {system.id!r}: connection platform {link.platform!r} is not in national_platforms")
            for other in system.depends_on:
                if other == system.id or other not in system_ids:
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

# Budgets checked before the document is expanded: PyYAML expands aliases, and a few
# kilobytes of nested aliases become gigabytes. The demo catalog (112 endpoints) is ~12 KB,
# has no alias and under 700 nodes.
MAX_CATALOG_BYTES = 5_000_000
MAX_ALIASES = 100
# A generated catalog of 10,000 endpoints is ~300,000 nodes: room for province-size catalogs,
# far below what nested aliases can reach (a 600-byte bomb stands for 10^10).
MAX_NODES = 2_000_000
MAX_DEPTH = 64
# libyaml's parser when installed: PyYAML's own scans flow collections ([[[…) in quadratic time.
_EVENT_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

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
    size = len(text.encode("utf-8"))
    if size > MAX_CATALOG_BYTES:
        raise CatalogError(source, [f"{source}: the file is {size:,} bytes, more than the {MAX_CATALOG_BYTES:,}-byte "
                                    "limit of a catalog (is it the right file?)"])
    # One parse, by libyaml when installed (PyYAML's pure-Python parser, run twice, took 25 s and
    # 400 MB for 10,000 endpoints), built straight from the event stream: the node graph PyYAML
    # composes first costs ~9 KB per endpoint (90 MB at 10,000) on top of the data. Only a
    # document with aliases or merge keys goes through the graph, where the aliases' expansion
    # is budgeted first. The line numbers are only needed for a message about a problem: they
    # are indexed then, from a second parse.
    try:
        data = _data_from_events(text, source)
        if data is _NEEDS_GRAPH:
            data = _data_from_graph(text, source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise CatalogError(source, [f"{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}"]) from None
    lines = _LineIndex(text)
    if not isinstance(data, dict):
        raise CatalogError(source, [f"{source}:1: the top level must be a mapping with keys version, agencies, systems, …"])
    problems: list[str] = []
    data = _interpolate(data, (), env, problems, lines, source)
    if problems:
        raise CatalogError(source, problems)
    return _validated(data, source, lines)


_NEEDS_GRAPH = object()  # the document needs PyYAML's node graph (aliases, merge keys, special tags)
_NO_KEY = object()
_PLAIN_TAGS = {yaml.MappingNode: "tag:yaml.org,2002:map", yaml.SequenceNode: "tag:yaml.org,2002:seq"}
_GRAPH_KEY_TAGS = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")


def _data_from_events(text: str, source: str):
    """The document as SafeLoader constructs it, built from the parser's events with one event
    alive at a time, its nesting depth checked on the way. Returns _NEEDS_GRAPH for what only
    the composed graph handles (aliases, `<<` merges, tagged collections, several documents)."""
    loader = _EVENT_LOADER(text)
    constructors = loader.yaml_constructors
    stack: list[list] = []  # [container, key waiting for its value]
    result, documents = _NO_KEY, 0

    def add(value) -> None:
        nonlocal result
        if not stack:
            result = value
            return
        top = stack[-1]
        if isinstance(top[0], list):
            top[0].append(value)
        elif top[1] is _NO_KEY:
            try:
                hash(value)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", None, "found unhashable key", None) from None
            top[1] = value
        else:
            top[0][top[1]] = value
            top[1] = _NO_KEY

    try:
        while True:
            event = loader.get_event()
            if isinstance(event, yaml.ScalarEvent):
                tag = event.tag
                if tag is None or tag == "!":
                    tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
                if tag in _GRAPH_KEY_TAGS:
                    return _NEEDS_GRAPH
                node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
                add((constructors.get(tag) or constructors[None])(loader, node))
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                kind = yaml.MappingNode if isinstance(event, yaml.MappingStartEvent) else yaml.SequenceNode
                tag = event.tag
                if tag is None or tag == "!":
                    tag = loader.resolve(kind, None, event.implicit)
                if tag != _PLAIN_TAGS[kind]:
                    return _NEEDS_GRAPH
                if len(stack) >= MAX_DEPTH:
                    raise CatalogError(source, [f"{source}:{event.start_mark.line + 1}: nested more than {MAX_DEPTH} "
                                                "levels deep; a catalog needs fewer than ten"])
                stack.append([{} if kind is yaml.MappingNode else [], _NO_KEY])
            elif isinstance(event, yaml.CollectionEndEvent):
                add(stack.pop()[0])
            elif isinstance(event, yaml.AliasEvent):
                return _NEEDS_GRAPH
            elif isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    return _NEEDS_GRAPH  # the graph path says "expected a single document"
            elif isinstance(event, yaml.StreamEndEvent):
                break
    finally:
        loader.dispose()
    if result is _NO_KEY:
        raise CatalogError(source, [f"{source}: the file is empty"])
    return result


def _data_from_graph(text: str, source: str):
    """PyYAML's own path, for documents with aliases: their expansion is budgeted on the event
    stream and on the composed graph before anything is expanded."""
    loader = _EVENT_LOADER(text)
    try:
        aliases = _check_events(text, source)
        root = loader.get_single_node()
        if root is None:
            raise CatalogError(source, [f"{source}: the file is empty"])
        if aliases:  # without aliases the document is no larger than the (size-capped) text
            _check_expanded_size(root, source)
        return loader.construct_document(root)
    finally:
        loader.dispose()


def validate_document(data: Any, source: str = "<catalog>") -> Catalog:
    """Validate a catalog held as data (a stored revision, an edit from a form or the API) with
    the same models and the same messages as a file, minus the line numbers."""
    if not isinstance(data, dict):
        raise CatalogError(source, [f"{source}: the top level must be a mapping with keys version, agencies, systems, …"])
    return _validated(data, source, {})


def _validated(data: dict, source: str, lines: dict[tuple, int]) -> Catalog:
    try:
        spec = CatalogSpec.model_validate(data)
    except ValidationError as exc:
        problems, details = [], []
        for err in exc.errors():
            path, message = _located(err, lines, data)
            problems.append(f"{_where(path, lines, source)}: {message}")
            details.append({"path": _dotted(path) if path else "", "message": message})
        raise CatalogError(source, problems, details) from None
    return Catalog(spec, source)


class _LineIndex:
    """Key path -> line number, indexed on first use (only a catalog with a problem needs it)."""

    def __init__(self, text: str):
        self._text = text
        self._lines: dict[tuple, int] | None = None

    def _index(self) -> dict[tuple, int]:
        if self._lines is None:
            self._lines = {}
            _index_lines(yaml.compose(self._text, Loader=_EVENT_LOADER), (), self._lines)
        return self._lines

    def __contains__(self, path) -> bool:
        return path in self._index()

    def get(self, path, default=None):
        return self._index().get(path, default)


def _check_events(text: str, source: str) -> int:
    """Count aliases and nesting on the event stream (linear in the text, nothing expanded;
    composing a deeper document would exhaust Python's recursion limit)."""
    aliases = depth = 0
    for event in yaml.parse(text, Loader=_EVENT_LOADER):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise CatalogError(source, [f"{source}:{event.start_mark.line + 1}: nested more than {MAX_DEPTH} "
                                            "levels deep; a catalog needs fewer than ten"])
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise CatalogError(source, [f"{source}:{event.start_mark.line + 1}: more than {MAX_ALIASES} YAML aliases "
                                            "(*name); a catalog needs few or none, and many can expand to gigabytes"])
    return aliases


def _check_expanded_size(root: yaml.Node, source: str) -> None:
    """How many nodes the document becomes once every alias is expanded, computed on the
    composed graph (aliases are shared nodes there) with one visit per distinct node: a few
    nested aliases can stand for billions of nodes, so the budget is checked before expanding."""
    sizes: dict[int, int] = {}
    busy: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in busy:
            raise CatalogError(source, [f"{source}:{node.start_mark.line + 1}: a YAML alias refers to the node "
                                        "that contains it (a recursive document cannot be a catalog)"])
        busy.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = []
        for child in children:
            total += size(child)
            if total > MAX_NODES:
                raise CatalogError(source, [f"{source}:{node.start_mark.line + 1}: the document expands to more than "
                                            f"{MAX_NODES:,} YAML nodes (nested aliases?); a catalog is far smaller"])
        busy.discard(key)
        sizes[key] = total
        return total

    size(root)


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


def _describe(error: dict, lines: dict[tuple, int], source: str, data: Any = None) -> str:
    path, message = _located(error, lines, data)
    return f"{_where(path, lines, source)}: {message}"


def _located(error: dict, lines: dict[tuple, int], data: Any = None) -> tuple[tuple, str]:
    # pydantic adds union-branch names ("str", "ConditionSpec"), the endpoint kind's tag and
    # validator tags to loc; keep only the parts that exist in the document.
    path: list = []
    for part in error["loc"]:
        candidate = tuple(path) + (part,)
        if isinstance(part, str) and part.startswith(_TAG):
            continue
        if candidate in lines or (isinstance(part, str) and not part.startswith(("function-", "function_"))) \
                or (not lines and isinstance(part, int)):  # data without lines: list positions are real
            path.append(part)
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = _unknown_key(path, data)
    elif error["type"] == "missing":
        message = "required key is missing"
    elif error["type"] == "unknown_kind":
        kind = error["input"].get("kind") if isinstance(error["input"], dict) else None
        path.append("kind")
        message = f"unknown kind {kind!r}; known kinds: {', '.join(collectors.kinds())}"
    return tuple(path), message


def _unknown_key(path: list, data: Any) -> str:
    """An unknown key; on an endpoint, say which kinds it belongs to when it is another kind's key."""
    parent = _lookup(data, path[:-1])
    key = path[-1] if path else None
    if len(path) >= 4 and path[-3] == "endpoints" and isinstance(parent, dict) and isinstance(key, str):
        owners = _kinds_with(key)
        if owners:
            kind = parent.get("kind", "http")
            article = "an" if kind[:1] in "aeiou" or kind in ("http", "smtp") else "a"
            return f"{key} does not apply to {article} {kind} endpoint (it is for {', '.join(owners)} endpoints)"
    return "unknown key (check its spelling)"


def _lookup(data: Any, path: list) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


# ---------------------------------------------------------------- writing to the database


def apply_catalog(session: Session, catalog: Catalog, units: list | None = None) -> dict[str, int]:
    """Upsert everything the catalog names. What it no longer names is deactivated, never
    deleted, so history stays. `units` defaults to the official commune-level units."""
    spec = catalog.spec
    counts = {"agencies": 0, "systems": 0, "endpoints": 0, "links": 0, "national_platforms": 0}

    for agency in spec.agencies:
        _upsert(session, Agency, agency.id, name_vi=agency.name_vi, name_en=agency.name_en, kind=agency.kind,
                partner=agency.partner, lat=agency.lat, lon=agency.lon)
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
    # one query per table instead of one per row (and no flush per new row): a catalog may hold
    # 10,000 endpoints
    known = {model: {row.id: row for row in session.scalars(select(model))} for model in (System, Endpoint, Link)}
    for position, system in enumerate(spec.systems):
        _upsert(
            session, System, system.id, known=known[System],
            name_vi=system.name_vi, name_en=system.name_en, short_name=system.short_name,
            description=system.description, owner_agency_id=system.owner, partner=system.partner,
            sla=system.sla, position=position, active=system.enabled, public=system.public,
        )
        if not system.enabled:
            continue  # its rows stay (history), deactivated below with its endpoints and links
        seen_systems.add(system.id)
        endpoints = list(system.endpoints)
        heartbeat = spec.communes.heartbeat
        if heartbeat is not None and heartbeat.system == system.id and units:
            endpoints += [heartbeat.endpoint(unit) for unit in units]  # after the system's own
        for index, endpoint in enumerate(endpoints):
            endpoint_id = _upsert_endpoint(session, system.id, endpoint, index, known[Endpoint])
            if endpoint.enabled:
                seen_endpoints.add(endpoint_id)
        session.flush()
        for link in system.connections:
            link_id = f"{system.id}.{link.platform}"
            _upsert(
                session, Link, link_id, known=known[Link],
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
    counts["notifications"] = apply_notifications(session, spec.notifications)
    return counts


def _upsert_endpoint(session: Session, system_id: str, endpoint: EndpointSpec, position: int,
                     known: dict | None = None) -> str:
    endpoint_id = f"{system_id}.{endpoint.id}"
    _upsert(
        session, Endpoint, endpoint_id, known=known,
        system_id=system_id, name=endpoint.name or endpoint.id, kind=endpoint.kind,
        target=endpoint.target(), interval_s=endpoint.interval, timeout_s=endpoint.timeout,
        critical=endpoint.critical, failures_before_down=endpoint.failures_before_down,
        successes_before_up=endpoint.successes_before_up, options=endpoint.probe_options(),
        position=position, active=endpoint.enabled, vantage=endpoint.vantage,
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


def _upsert(session: Session, model, key: str, known: dict | None = None, **values) -> None:
    """Insert or update one row. `known`: the table's rows by id, loaded once by the caller (a
    key not in it is new: no query, no autoflush per row)."""
    row = known.get(key) if known is not None else session.get(model, key)
    if row is None:
        row = model(id=key, **values)
        session.add(row)
        if known is not None:
            known[key] = row
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


def notification_warnings(spec: CatalogSpec) -> list[str]:
    """What is allowed but suspicious in `notifications:`: names the catalog does not know, a
    route that therefore matches nothing (dashboard.domain.routes.warnings)."""
    from dashboard.domain.routes import Route, route_fields
    from dashboard.domain.routes import warnings as route_warnings

    systems = {s.id for s in spec.systems}
    agencies = {a.id for a in spec.agencies}
    partners = set(PARTNERS)
    found = []
    for entry in spec.notifications:
        fields = route_fields(entry.route_input())
        route = Route(fields["id"], systems=tuple(fields["systems"]), partners=tuple(fields["partners"]),
                      agencies=tuple(a for a in fields["agencies"]
                                     if not (spec.communes.include and re.fullmatch(r"unit-\d{5}", a))))
        found += [f"notifications {entry.id!r}: {w}" for w in route_warnings(route, systems, agencies, partners)]
    return found


def apply_notifications(session: Session, entries: list[NotificationRouteSpec]) -> int:
    """Upsert the catalog's routes (source "catalog"; the admin page shows them read-only); a
    catalog route the file no longer names is turned off, never deleted, so its delivery log
    keeps its name."""
    from collectors.timeutil import utcnow
    from dashboard.domain.routes import route_fields
    from dashboard.store.models import NotificationRoute

    seen = set()
    for entry in entries:
        fields = route_fields(entry.route_input())
        row = session.get(NotificationRoute, fields["id"])
        if row is None:
            row = NotificationRoute(id=fields["id"], updated_at=utcnow())
            session.add(row)
        changed = [key for key, value in fields.items() if getattr(row, key) != value]
        for key in changed:
            setattr(row, key, fields[key])
        if changed or row.source != "catalog":
            row.source, row.updated_at, row.updated_by = "catalog", utcnow(), "catalog"
        seen.add(fields["id"])
    for row in session.scalars(select(NotificationRoute).where(NotificationRoute.source == "catalog",
                                                               NotificationRoute.active.is_(True))):
        if row.id not in seen:
            row.active = False
    session.flush()
    return len(seen)
