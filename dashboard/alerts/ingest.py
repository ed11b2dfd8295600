"""Alert ingest: the webhook payload schema, source tokens, the per-source rate limit, and
CSV/JSON file import. Everything is validated before anything is stored: a rejected request
or file stores nothing. The schema is documented in docs/alerts.md (JSON Schema:
`payload_json_schema()`).
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.timeutil import utcnow
from dashboard.alerts.rules import AlertInput, fingerprint, raise_alert
from dashboard.store.models import Agency, IngestSource, System

MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32  # an alert is an object with a few labels: anything deeper is not one
MAX_BATCH = 100
MAX_FUTURE = timedelta(minutes=5)
SOURCE_NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"


class IngestRejected(Exception):
    """A request refused before storing anything: HTTP status and a plain reason."""

    def __init__(self, http_status: int, message: str, details: list | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.http_status, self.message, self.details, self.retry_after = http_status, message, details, retry_after

    def body(self) -> dict:
        body: dict[str, Any] = {"error": self.message}
        if self.details:
            body["details"] = self.details
        return body


def _no_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


class AlertPayload(BaseModel):
    """One alert as a sender posts it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    severity: Literal["critical", "high", "medium", "low", "info"]
    title: str = Field(min_length=1, max_length=500)
    category: str = Field(default="other", min_length=1, max_length=64)
    description: str | None = Field(default=None, max_length=10_000)
    system: str | None = Field(default=None, max_length=64, description="a system id of the catalog")
    agency: str | None = Field(default=None, max_length=64, description="an agency id of the catalog, e.g. cong-an or unit-21025")
    asset: str | None = Field(default=None, max_length=255, description="host name, IP address or URL concerned")
    external_id: str | None = Field(default=None, max_length=255, description="the sender's own id of the alert")
    fingerprint: str | None = Field(default=None, max_length=128,
                                    description="same value = same alert (deduplicated); default: source, category, title, system, agency, asset")
    observed_at: datetime | None = Field(default=None, description="ISO 8601 with a time zone; default: when received")
    details: dict[str, Any] | None = Field(default=None, description="any further facts (indicators, rule id...)")

    @field_validator("title", "category", "description", "system", "agency", "asset", "external_id", "fingerprint")
    @classmethod
    def _text(cls, value):
        return _no_nul(value)

    @field_validator("details")
    @classmethod
    def _details(cls, value):
        if value is not None and "\\u0000" in json.dumps(value):
            raise ValueError("must not contain NUL characters")
        return value

    @field_validator("observed_at")
    @classmethod
    def _aware(cls, value: datetime | None):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2026-11-27T08:15:00+07:00")
        if value.astimezone(timezone.utc) > utcnow() + MAX_FUTURE:
            raise ValueError("is in the future")
        return value.astimezone(timezone.utc)


_BATCH = TypeAdapter(list[AlertPayload])


def payload_json_schema() -> dict:
    """The webhook body: one alert object, or an array of up to MAX_BATCH of them."""
    one = AlertPayload.model_json_schema()
    return {"oneOf": [{"$ref": "#/$defs/AlertPayload"},
                      {"type": "array", "items": {"$ref": "#/$defs/AlertPayload"}, "minItems": 1, "maxItems": MAX_BATCH}],
            "$defs": {"AlertPayload": one}}


def _errors(exc: ValidationError, prefix: str = "") -> list[dict]:
    return [{"field": prefix + ".".join(str(p) for p in err["loc"]), "problem": err["msg"]} for err in exc.errors()]


def json_depth(value) -> int:
    """How deep lists and objects nest (iteratively: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def parse_payload(body: bytes) -> list[AlertPayload]:
    if len(body) > MAX_BODY_BYTES:
        raise IngestRejected(413, f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(body.decode("utf-8"))
    except RecursionError:  # 64 KB of "[" nests deeper than Python's parser goes
        raise IngestRejected(400, f"body is nested deeper than {MAX_JSON_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise IngestRejected(400, f"body is not valid UTF-8 JSON: {str(exc)[:200]}") from None
    if json_depth(data) > MAX_JSON_DEPTH:
        raise IngestRejected(400, f"body is nested deeper than {MAX_JSON_DEPTH} levels")
    items = data if isinstance(data, list) else [data]
    if not items:
        raise IngestRejected(422, "empty array: send at least one alert")
    if len(items) > MAX_BATCH:
        raise IngestRejected(422, f"at most {MAX_BATCH} alerts per request")
    if not all(isinstance(i, dict) for i in items):
        raise IngestRejected(422, "each alert must be a JSON object (see docs/alerts.md)")
    try:
        return _BATCH.validate_python(items)
    except ValidationError as exc:
        raise IngestRejected(422, "payload does not match the alert schema", _errors(exc)) from None


# ---------------------------------------------------------------------------- sources and tokens


def token_sha256(token: str) -> str:
    # Tokens are 256-bit random values: a plain SHA-256 is enough (no dictionary to guard against).
    return hashlib.sha256(token.encode()).hexdigest()


def create_source(session: Session, name: str, description: str | None = None) -> str:
    """Create (or re-key) a source; returns the token, which is never stored."""
    import re

    if not re.match(SOURCE_NAME_PATTERN, name):
        raise ValueError("source name: lower-case letters, digits, '.', '_' and '-' only (at most 64)")
    token = secrets.token_urlsafe(32)
    row = session.get(IngestSource, name)
    if row is None:
        row = IngestSource(name=name, created_at=utcnow())
        session.add(row)
    row.token_sha256, row.revoked_at = token_sha256(token), None
    if description is not None:
        row.description = description
    session.flush()
    return token


def revoke_source(session: Session, name: str) -> bool:
    row = session.get(IngestSource, name)
    if row is None:
        return False
    row.revoked_at = utcnow()
    return True


def authenticate(session: Session, name: str, authorization: str | None) -> IngestSource:
    if not authorization:
        raise IngestRejected(401, "missing 'Authorization: Bearer <token>' header")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise IngestRejected(401, "the Authorization header must be 'Bearer <token>'")
    row = session.get(IngestSource, name)
    digest = token_sha256(token.strip())
    # Same answer for an unknown source and a wrong token: no probing for source names.
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_sha256, digest):
        raise IngestRejected(403, "unknown source or wrong token")
    return row


# ---------------------------------------------------------------------------- rate limit


class RateLimiter:
    """Token bucket per source, in this process's memory. With N web workers a source may
    send up to N times the rate: run one web worker for the ingest, or divide the rate."""

    def __init__(self, per_minute: float = 120.0, burst: int = 30):
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, cost: float = 1.0, now: float | None = None) -> float:
        """0.0 when allowed, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, stamp = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - stamp) * self.rate)
            if tokens >= cost:
                self._buckets[key] = (tokens - cost, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (cost - tokens) / self.rate if self.rate > 0 else 60.0


# ---------------------------------------------------------------------------- storing


def _check_references(session: Session, items: list[AlertPayload], where: str = "") -> None:
    problems = []
    systems = {s for i in items if (s := i.system)}
    agencies = {a for i in items if (a := i.agency)}
    known_systems = set(session.scalars(select(System.id).where(System.id.in_(systems)))) if systems else set()
    known_agencies = set(session.scalars(select(Agency.id).where(Agency.id.in_(agencies)))) if agencies else set()
    for n, item in enumerate(items):
        prefix = f"{where}{n}." if len(items) > 1 or where else ""
        if item.system and item.system not in known_systems:
            problems.append({"field": f"{prefix}system", "problem": f"unknown system id {item.system!r}"})
        if item.agency and item.agency not in known_agencies:
            problems.append({"field": f"{prefix}agency", "problem": f"unknown agency id {item.agency!r}"})
    if problems:
        raise IngestRejected(422, "the alert names a system or agency that is not in the catalog", problems)


def to_input(item: AlertPayload, source_kind: str, source: str) -> AlertInput:
    key = fingerprint(source, "fp", item.fingerprint) if item.fingerprint else None
    return AlertInput(
        source_kind=source_kind, source=source, severity=item.severity, category=item.category, title=item.title,
        description=item.description, system_id=item.system, agency_id=item.agency, asset=item.asset,
        external_id=item.external_id, fingerprint=key, observed_at=item.observed_at, details=item.details or {},
    )


@dataclass
class StoreReport:
    created: int = 0
    repeated: int = 0
    reopened: int = 0
    ids: list[int] | None = None

    def as_dict(self) -> dict:
        return {"created": self.created, "repeated": self.repeated, "reopened": self.reopened, "ids": self.ids or []}


def store(session: Session, items: list[AlertPayload], source_kind: str, source: str) -> StoreReport:
    _check_references(session, items)
    report = StoreReport(ids=[])
    now = utcnow()
    for item in items:
        outcome = raise_alert(session, to_input(item, source_kind, source), now)
        report.created += outcome.created
        report.reopened += outcome.reopened
        report.repeated += not outcome.is_new
        report.ids.append(outcome.alert.id)
    return report


def ingest(session: Session, source_name: str, authorization: str | None, body: bytes,
           limiter: RateLimiter | None = None) -> StoreReport:
    """The webhook: authenticate, rate-limit, validate, store — in that order."""
    source = authenticate(session, source_name, authorization)
    if limiter is not None:
        wait = limiter.take(source.name)
        if wait > 0:
            raise IngestRejected(429, f"too many requests from source {source.name!r}; retry in {wait:.0f} s",
                                 retry_after=wait)
    items = parse_payload(body)
    report = store(session, items, "webhook", source.name)
    source.last_used_at = utcnow()
    return report


# ---------------------------------------------------------------------------- files

CSV_COLUMNS = ("severity", "title", "category", "description", "system", "agency", "asset", "external_id",
               "fingerprint", "observed_at")


def read_file(name: str, data: bytes) -> list[AlertPayload]:
    """Parse a CSV (header row with CSV_COLUMNS, extra columns go to details) or JSON file
    (an array of alerts, or {"alerts": [...]}). Every row must be valid, or nothing is kept."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IngestRejected(400, "the file is not UTF-8 text") from None
    if name.lower().endswith(".json"):
        try:
            raw = json.loads(text)
            if json_depth(raw) > MAX_JSON_DEPTH:
                raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
        except RecursionError:
            raise IngestRejected(400, f"not valid JSON: nested deeper than {MAX_JSON_DEPTH} levels") from None
        except ValueError as exc:
            raise IngestRejected(400, f"not valid JSON: {exc}") from None
        rows = raw.get("alerts") if isinstance(raw, dict) else raw
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise IngestRejected(422, 'a JSON file holds an array of alerts or {"alerts": [...]}')
    elif name.lower().endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or not {"severity", "title"} <= set(reader.fieldnames):
            raise IngestRejected(422, f"the CSV needs a header row with at least severity and title; columns: {', '.join(CSV_COLUMNS)}")
        rows = []
        for record in reader:
            row = {k: v for k, v in record.items() if k in CSV_COLUMNS and v not in (None, "")}
            extra = {k: v for k, v in record.items() if k and k not in CSV_COLUMNS and v not in (None, "")}
            if extra:
                row["details"] = extra
            rows.append(row)
    else:
        raise IngestRejected(415, "import a .csv or a .json file")
    if not rows:
        raise IngestRejected(422, "the file holds no alerts")
    problems, items = [], []
    for n, row in enumerate(rows, start=1):
        try:
            items.append(AlertPayload.model_validate(row))
        except ValidationError as exc:
            problems += [{"row": n, **p} for p in _errors(exc)]
    if problems:
        raise IngestRejected(422, f"{len(problems)} problem(s) in the file; nothing was imported", problems)
    return items


def import_file(session: Session, name: str, data: bytes, source: str = "import") -> StoreReport:
    items = read_file(name, data)
    return store(session, items, "import", source)
