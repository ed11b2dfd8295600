"""SQLAlchemy 2 ORM models. Timestamps are stored as naive UTC (see UTCDateTime)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from collectors.base import Status


class UTCDateTime(TypeDecorator):
    """Stores naive UTC on every backend and always hands back aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database: use collectors.timeutil.utcnow()")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return value.replace(tzinfo=timezone.utc) if value is not None else None


class EpochMillis(TypeDecorator):
    """A moment stored as whole milliseconds since 1970 (UTC): 6 bytes in an SQLite record and
    in each index holding it, where a DATETIME text takes 26. Hands back aware UTC datetimes, and
    comparisons with datetimes work as with UTCDateTime (the bound value is converted too)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | int | None, dialect) -> int | None:
        if value is None or isinstance(value, int):
            return value
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database: use collectors.timeutil.utcnow()")
        # floored: a stored time is never later than the moment itself
        return round(value.replace(microsecond=value.microsecond // 1000 * 1000).timestamp() * 1000)

    def process_result_value(self, value: int | None, dialect) -> datetime | None:
        if value is None:
            return None
        seconds, millis = divmod(value, 1000)
        return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(microsecond=millis * 1000)


class VerdictCode(TypeDecorator):
    """A verdict as a small integer (0 up, 1 down, ...): SQLite stores 0 and 1 in the record
    header alone. Reads and comparisons use the words ("up", "down") as everywhere else."""

    impl = SmallInteger
    cache_ok = True
    CODES = {"up": 0, "down": 1, "degraded": 2, "unknown": 3, "maintenance": 4}
    WORDS = {v: k for k, v in CODES.items()}

    def process_bind_param(self, value, dialect) -> int | None:
        if value is None:
            return None
        try:
            return self.CODES[str(value)]
        except KeyError:
            raise ValueError(f"not a verdict: {value!r}") from None

    def process_result_value(self, value, dialect) -> str | None:
        return None if value is None else self.WORDS.get(value, "unknown")


class TenthsMs(TypeDecorator):
    """A latency in milliseconds kept to a tenth, stored as an integer count of tenths (1–3
    bytes where a float takes 8). Sums come back in milliseconds too (the type follows sum())."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value, dialect) -> int | None:
        return None if value is None else round(float(value) * 10)

    def process_result_value(self, value, dialect) -> float | None:
        return None if value is None else value / 10


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Agency(Base):
    """A provincial department, the police, the PC office, or one of the 96 commune-level units."""

    __tablename__ = "agencies"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    partner: Mapped[str | None] = mapped_column(String(32))
    official_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)


class NationalPlatform(Base):
    __tablename__ = "national_platforms"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))


class System(Base):
    """A shared provincial system (LGSP, document management, ...)."""

    __tablename__ = "systems"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    short_name: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    owner_agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"))
    partner: Mapped[str | None] = mapped_column(String(32))
    sla: Mapped[float | None] = mapped_column(Float)  # availability target in percent; None: the default
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # on /status
    status: Mapped[str] = mapped_column(String(16), default=Status.UNKNOWN)
    status_since: Mapped[datetime | None]
    last_check_at: Mapped[datetime | None]

    owner: Mapped[Agency | None] = relationship()
    endpoints: Mapped[list[Endpoint]] = relationship(
        back_populates="system", order_by="Endpoint.position"
    )
    links: Mapped[list[Link]] = relationship(back_populates="system", order_by="Link.id")


class Endpoint(Base):
    """One thing probed on a schedule. Its current state is a cache kept by dashboard.monitoring.results."""

    __tablename__ = "endpoints"

    id: Mapped[str] = mapped_column(String(130), primary_key=True)  # "<system>.<endpoint>"
    # A small integer naming the endpoint in raw results (a few bytes per row and index entry
    # instead of the text id); given when the endpoint is first stored (assign_endpoint_keys).
    key: Mapped[int | None] = mapped_column(Integer, unique=True)
    system_id: Mapped[str] = mapped_column(ForeignKey("systems.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(2048))
    interval_s: Mapped[float] = mapped_column(Float)
    timeout_s: Mapped[float] = mapped_column(Float)
    critical: Mapped[bool] = mapped_column(Boolean, default=True)
    failures_before_down: Mapped[int] = mapped_column(Integer, default=2)
    successes_before_up: Mapped[int] = mapped_column(Integer, default=2)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Who checks it: the central collector ("central") or the remote agent of that vantage
    # (a network the central collector cannot reach; docs/agents.md).
    vantage: Mapped[str] = mapped_column(String(64), default="central", server_default="central", index=True)

    status: Mapped[str] = mapped_column(String(16), default=Status.UNKNOWN)
    status_since: Mapped[datetime | None]
    status_reason: Mapped[str | None] = mapped_column(Text)  # in English, for logs; pages render status_cause
    status_cause: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"code", "params"} (dashboard.domain.causes)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    consecutive_successes: Mapped[int] = mapped_column(Integer, default=0)
    last_check_at: Mapped[datetime | None]
    last_verdict: Mapped[str | None] = mapped_column(String(16))
    last_latency_ms: Mapped[float | None] = mapped_column(Float)
    last_http_code: Mapped[int | None] = mapped_column(Integer)
    last_reason: Mapped[str | None] = mapped_column(Text)  # the probe's own English words (technical details)
    last_cause: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # e.g. certificate details
    # Flap detection's memory (dashboard.domain.status.FlapState): recent verdict flips and
    # since when the endpoint is flapping; null while it never flipped.
    flap_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    system: Mapped[System] = relationship(back_populates="endpoints")


class Link(Base):
    """A connection between a provincial system and a national platform."""

    __tablename__ = "links"

    id: Mapped[str] = mapped_column(String(130), primary_key=True)  # "<system>.<platform>"
    system_id: Mapped[str] = mapped_column(ForeignKey("systems.id"), index=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("national_platforms.id"))
    endpoint_id: Mapped[str | None] = mapped_column(ForeignKey("endpoints.id"))
    declared_state: Mapped[str] = mapped_column(String(32), default="planned")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default=Status.UNKNOWN)
    status_since: Mapped[datetime | None]
    last_check_at: Mapped[datetime | None]
    last_reason: Mapped[str | None] = mapped_column(Text)
    last_cause: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    system: Mapped[System] = relationship(back_populates="links")
    platform: Mapped[NationalPlatform] = relationship()


class CheckResult(Base):
    """One probe outcome, kept raw for a bounded time (IOC_RAW_RETENTION_DAYS), so kept lean:
    the endpoint by its integer key, the time in milliseconds, the verdict as a small integer,
    the cause as a code. Parameters only when they say something (a failure, a state change),
    the probe's detail (its English words, an excerpt of the answer) only on failures. Rows
    stored before causes had codes keep their `reason` text (and no cause).

    One index, (endpoint, time): queries over a time range for every endpoint go through it
    one endpoint at a time (joined with endpoints, or `endpoint_key IN (…)`), so a second
    index on the time alone, ~15 bytes a row, is not kept."""

    __tablename__ = "check_results"
    __table_args__ = (
        Index("ix_check_results_endpoint_time", "endpoint_key", "checked_at"),
        # partial: only a remote agent's results carry an id, the central collector's rows pay nothing
        Index("uq_check_results_result_uid", "result_uid", unique=True,
              sqlite_where=text("result_uid IS NOT NULL"), postgresql_where=text("result_uid IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint_key: Mapped[int] = mapped_column(ForeignKey("endpoints.key", ondelete="CASCADE"))
    checked_at: Mapped[datetime] = mapped_column(EpochMillis)
    verdict: Mapped[str] = mapped_column(VerdictCode)
    latency_ms: Mapped[float | None] = mapped_column(TenthsMs)
    http_code: Mapped[int | None] = mapped_column(Integer)
    cause: Mapped[str | None] = mapped_column(String(32))
    # none_as_null: an absent value is SQL NULL (no bytes), not the JSON text 'null'
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # a check that could not start on time (verdict 'unknown'), and a check made
    # inside a maintenance window; neither counts against uptime.
    missed: Mapped[bool] = mapped_column(Boolean, default=False)
    maintenance: Mapped[bool] = mapped_column(Boolean, default=False)
    # A remote agent's id for the result (a UUID): a batch sent again stores nothing twice.
    result_uid: Mapped[str | None] = mapped_column(String(36))

    def __init__(self, endpoint_id: str | None = None, **values: Any):  # noqa: D107
        """`endpoint_id` may name the endpoint instead of its key (looked up in the INSERT)."""
        if endpoint_id is not None and "endpoint_key" not in values:
            values["endpoint_key"] = key_of(endpoint_id)
        super().__init__(**values)


class StateEvent(Base):
    """A change of an endpoint's, a system's or a link's status."""

    __tablename__ = "state_events"
    __table_args__ = (Index("ix_state_events_subject_time", "subject_type", "subject_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_type: Mapped[str] = mapped_column(String(16))  # endpoint | system | link
    subject_id: Mapped[str] = mapped_column(String(130))
    at: Mapped[datetime] = mapped_column(index=True)
    old_status: Mapped[str] = mapped_column(String(16))
    new_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    cause: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class RuntimeState(Base):
    """Small key/value facts shared between processes: scheduler lease and heartbeat."""

    __tablename__ = "runtime_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    # The collector lease's fencing token: incremented at every takeover; a writer whose epoch
    # is no longer the row's has lost the lease and must not write.
    epoch: Mapped[int | None] = mapped_column(Integer)


class Incident(Base):
    """A period during which an endpoint, a link or a system was down (or degraded)."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_subject_open", "subject_type", "subject_id", "ended_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_type: Mapped[str] = mapped_column(String(16))  # endpoint | system | link
    subject_id: Mapped[str] = mapped_column(String(130))
    system_id: Mapped[str] = mapped_column(ForeignKey("systems.id"), index=True)
    severity: Mapped[str] = mapped_column(String(16))  # down | degraded
    started_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    cause: Mapped[str | None] = mapped_column(Text)
    last_reason: Mapped[str | None] = mapped_column(Text)
    # the same as codes ({"code", "params"}), rendered in the reader's language
    cause_data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_cause: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    ack_comment: Mapped[str | None] = mapped_column(Text)
    # What the public status page says about it, written by an operator; never the cause.
    public_note: Mapped[str | None] = mapped_column(Text)
    # The incident workflow (open → acknowledged → resolved → closed): closing records who
    # closed it and the post-incident note (what happened, what was done, what changes).
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(128))
    postmortem: Mapped[str | None] = mapped_column(Text)


class IncidentComment(Base):
    """One message of an incident's thread: who wrote what, when."""

    __tablename__ = "incident_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    author: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)


class MaintenanceWindow(Base):
    """Planned work: checks inside a window count neither against uptime nor raise alarms.
    One-off (starts_at..ends_at) or recurring (an RFC 5545 RRULE plus a duration)."""

    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    system_id: Mapped[str | None] = mapped_column(ForeignKey("systems.id"), index=True)
    endpoint_id: Mapped[str | None] = mapped_column(ForeignKey("endpoints.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    rrule: Mapped[str | None] = mapped_column(String(255))
    duration_s: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]


class Rollup(Base):
    """Per endpoint, per hour or per day: what charts over weeks and years read."""

    __tablename__ = "rollups"

    endpoint_id: Mapped[str] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)  # hour | day
    bucket_start: Mapped[datetime] = mapped_column(primary_key=True)
    checks: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # down verdicts
    degraded: Mapped[int] = mapped_column(Integer, default=0)
    missed: Mapped[int] = mapped_column(Integer, default=0)
    maintenance: Mapped[int] = mapped_column(Integer, default=0)  # checks inside a maintenance window
    latency_avg_ms: Mapped[float | None] = mapped_column(Float)
    latency_p95_ms: Mapped[float | None] = mapped_column(Float)
    latency_max_ms: Mapped[float | None] = mapped_column(Float)


# --- plans, tasks, weekly progress snapshots, daily coverage snapshots

from datetime import date  # noqa: E402

from sqlalchemy import Column, Date, Table, UniqueConstraint  # noqa: E402

task_systems = Table(
    "task_systems",
    Base.metadata,
    Column("task_id", ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("system_id", ForeignKey("systems.id"), primary_key=True),
)


class Plan(Base):
    """An agency's plan ("Kế hoạch hoàn thiện, nâng cấp và triển khai") with its partner enterprise."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), unique=True)
    partner: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16), default="import")  # import | demo
    source_file: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime]

    agency: Mapped[Agency] = relationship()
    tasks: Mapped[list[Task]] = relationship(
        back_populates="plan", order_by="Task.position", cascade="all, delete-orphan"
    )


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(32))
    owner: Mapped[str | None] = mapped_column(String(255))
    start_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    percent: Mapped[float] = mapped_column(Float, default=0.0)
    notes: Mapped[str | None] = mapped_column(Text)
    # A stable code ("skhcn-01"): imports match rows to tasks by it, so a task keeps its
    # reported updates when the plan file is sent again.
    code: Mapped[str | None] = mapped_column(String(64), unique=True)

    plan: Mapped[Plan] = relationship(back_populates="tasks")
    systems: Mapped[list[System]] = relationship(secondary=task_systems, order_by="System.position")


class TaskUpdate(Base):
    """One report on a task by an agency's focal point (or a weekly "nothing changed"
    confirmation): never edited, only reviewed. The task's own percent and status are the
    accepted figures; an update changes them when a reviewer accepts it."""

    __tablename__ = "task_updates"
    __table_args__ = (Index("ix_task_updates_task_time", "task_id", "at"), Index("ix_task_updates_review", "review_state"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="update")  # update | no_change
    at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(128))
    old_percent: Mapped[float] = mapped_column(Float)
    new_percent: Mapped[float] = mapped_column(Float)
    old_status: Mapped[str] = mapped_column(String(16))
    new_status: Mapped[str] = mapped_column(String(16))
    done_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(String(2048))
    evidence_name: Mapped[str | None] = mapped_column(String(255))
    evidence_type: Mapped[str | None] = mapped_column(String(16))  # pdf | png | jpeg | docx, sniffed from the content
    evidence_size: Mapped[int | None] = mapped_column(Integer)
    review_state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | accepted | returned
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[str | None] = mapped_column(String(128))
    review_comment: Mapped[str | None] = mapped_column(Text)


class TaskEvidence(Base):
    """The file attached to an update, kept in the database (every web worker and a
    PostgreSQL backup see it; files are small, size-limited)."""

    __tablename__ = "task_evidence"

    update_id: Mapped[int] = mapped_column(ForeignKey("task_updates.id", ondelete="CASCADE"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))


class ProgressSnapshot(Base):
    """An agency's plan progress as it stood in a week (week_start is a Monday)."""

    __tablename__ = "progress_snapshots"
    __table_args__ = (UniqueConstraint("week_start", "agency_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    week_start: Mapped[date] = mapped_column(Date, index=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    percent: Mapped[float] = mapped_column(Float)
    tasks: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer)
    overdue: Mapped[int] = mapped_column(Integer)


class CoverageSnapshot(Base):
    """Integration coverage on a day: province-wide (subject_id ''), per system or per agency."""

    __tablename__ = "coverage_snapshots"
    __table_args__ = (UniqueConstraint("day", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    subject_type: Mapped[str] = mapped_column(String(16))  # province | system | agency
    subject_id: Mapped[str] = mapped_column(String(64), default="")
    percent: Mapped[float] = mapped_column(Float)


class InventorySystem(Base):
    """One information system or database of an agency (danh mục hệ thống thông tin): every
    one, not only the shared systems, with the national platforms it must connect to, its
    security level (cấp độ 1–5) and whether that level's dossier is approved."""

    __tablename__ = "inventory_systems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # dung_chung | chuyen_nganh | csdl
    platforms: Mapped[str] = mapped_column(String(500), default="")  # required national platform ids, ';'-separated
    hosting: Mapped[str | None] = mapped_column(String(255))
    partner: Mapped[str | None] = mapped_column(String(32))
    security_level: Mapped[int | None] = mapped_column(Integer)
    dossier_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    system_id: Mapped[str | None] = mapped_column(ForeignKey("systems.id"))  # the monitored system, where one exists
    integrated_on: Mapped[date | None] = mapped_column(Date)  # declared integrated on this day
    evidence: Mapped[str | None] = mapped_column(Text)  # the declaration's evidence (document number, link)
    source: Mapped[str] = mapped_column(String(16), default="import")  # import | demo
    updated_at: Mapped[datetime]


# --- collectors and status engine


class CheckRequest(Base):
    """'Check now' asked from any process (web, API); the collector picks it up within a second."""

    __tablename__ = "check_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"))
    requested_at: Mapped[datetime]
    requested_by: Mapped[str | None] = mapped_column(String(128))
    picked_at: Mapped[datetime | None] = mapped_column(index=True)


# --- heartbeat (push) checks


class HeartbeatPing(Base):
    """One heartbeat received at /api/heartbeat/<token>; only pings with a known token are
    stored, and only for a bounded time (dashboard.monitoring.heartbeats.KEEP)."""

    __tablename__ = "heartbeat_pings"
    __table_args__ = (Index("ix_heartbeat_pings_endpoint_time", "endpoint_id", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"))
    received_at: Mapped[datetime]
    status: Mapped[str | None] = mapped_column(String(16))  # as reported by the sender: up | degraded | down
    message: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(64))  # the sender's address


# --- security alerts: alerts, their history, webhook sources, notification outbox


class Alert(Base):
    """A security or operational alert. One row per fingerprint while it is open: a repeat only
    bumps last_seen and count. Status: new -> acknowledged -> resolved (who, when, comment)."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_fingerprint_status", "fingerprint", "status"),
        Index("ix_alerts_status_last_seen", "status", "last_seen"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    source_kind: Mapped[str] = mapped_column(String(16))  # probe | siem | webhook | import | manual
    source: Mapped[str] = mapped_column(String(64))  # e.g. probe, wazuh, the webhook source's name
    external_id: Mapped[str | None] = mapped_column(String(255))
    severity: Mapped[str] = mapped_column(String(16), index=True)  # critical | high | medium | low | info
    category: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    # Alerts the app raises itself are stored as a translation code and its parameters, rendered
    # in the reader's language (dashboard.i18n.coded_text); title/description then hold the
    # Vietnamese text for search and for senders. Alerts from outside (SIEM, webhooks) and rows
    # from before the codes have no code and keep their text.
    title_code: Mapped[str | None] = mapped_column(String(64))
    title_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    description_code: Mapped[str | None] = mapped_column(String(64))
    description_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    system_id: Mapped[str | None] = mapped_column(ForeignKey("systems.id"), index=True)
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    asset: Mapped[str | None] = mapped_column(String(255))  # host name, IP address, URL...
    first_seen: Mapped[datetime] = mapped_column(index=True)
    last_seen: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="new")
    status_at: Mapped[datetime | None]
    status_by: Mapped[str | None] = mapped_column(String(128))
    status_comment: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    events: Mapped[list[AlertEvent]] = relationship(
        back_populates="alert", order_by="AlertEvent.id", cascade="all, delete-orphan"
    )


class AlertEvent(Base):
    """The history of an alert: created, repeated, acknowledged, resolved, reopened."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(128))
    comment: Mapped[str | None] = mapped_column(Text)

    alert: Mapped[Alert] = relationship(back_populates="events")


class IngestSource(Base):
    """A sender allowed to post alerts to /api/alerts/ingest/<name>. Only the token's SHA-256
    is stored; the token itself is shown once, when created from the command line."""

    __tablename__ = "ingest_sources"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class NotificationLog(Base):
    """The notification outbox: detection stores a row, delivery sends it later and retries
    with backoff. `key` makes one event notify once."""

    __tablename__ = "notification_log"
    __table_args__ = (Index("ix_notification_log_pending", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # alert | state | escalation | test
    subject: Mapped[str] = mapped_column(String(130))  # alert id or system id
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
    # pending | sent | failed | suppressed (no channel) | suppressed_quiet (the route's quiet
    # hours) | deduplicated (the same news a moment ago)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    # A person's e-mail address for a notification meant for them alone (a reporter's weekly
    # reminder); None: the configured channels (IOC_NOTIFY_URLS) or its route's targets.
    recipient: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Routed deliveries: the route whose targets get it (None: the global IOC_NOTIFY_URLS list),
    # the escalation level (0: the first message, 1, 2…: the next level), what happened and how
    # severe it is, and the page it links to (a path; the base URL is added when sent).
    route_id: Mapped[str | None] = mapped_column(String(64), index=True)
    level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    event_kind: Mapped[str | None] = mapped_column(String(16))  # outage | recovery | security | certificate | plan_overdue | test
    severity: Mapped[str | None] = mapped_column(String(16))
    link: Mapped[str | None] = mapped_column(String(255))
    # the targets of the route (their positions) that already took this message: a retry after
    # one target failed goes only to the others
    delivered: Mapped[list | None] = mapped_column(JSON)


class NotificationRoute(Base):
    """Who hears about what: events matching the route (systems, agencies, partners, kinds,
    a minimum severity; empty lists mean any) go to its Apprise URLs, outside its quiet hours
    (Vietnam time), in its language; an outage or critical alert nobody acknowledges within
    `escalate_after_s` goes to the escalation URLs. Rules: dashboard.domain.routes."""

    __tablename__ = "notification_routes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    systems: Mapped[list] = mapped_column(JSON, default=list)
    agencies: Mapped[list] = mapped_column(JSON, default=list)
    partners: Mapped[list] = mapped_column(JSON, default=list)
    kinds: Mapped[list] = mapped_column(JSON, default=list)
    min_severity: Mapped[str] = mapped_column(String(16), default="info")
    quiet_start: Mapped[str | None] = mapped_column(String(5))  # "22:00", Vietnam time
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    language: Mapped[str] = mapped_column(String(2), default="vi")
    urls: Mapped[list] = mapped_column(JSON, default=list)  # may carry tokens: never shown whole
    escalate_after_s: Mapped[float | None] = mapped_column(Float)
    escalation_urls: Mapped[list] = mapped_column(JSON, default=list)
    secret: Mapped[str | None] = mapped_column(String(255))  # signs ioc-webhook:// bodies (HMAC-SHA256)
    source: Mapped[str] = mapped_column(String(16), default="admin")  # admin | catalog
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(String(128))


# --- access control and audit trail


class User(Base):
    """A person who signs in. `auth_version` changes on a password reset, a role change or a
    disable, which ends every cookie session signed before."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # reporter | viewer | operator | admin
    email: Mapped[str | None] = mapped_column(String(255))  # where reminders go (reporters)
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None: single sign-on only
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    auth_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]

    scopes: Mapped[list[UserScope]] = relationship(cascade="all, delete-orphan", order_by="UserScope.id")


class UserScope(Base):
    """What a reporter may report on: an agency's tasks (kind 'agency', value an agency id) or
    the tasks where an enterprise is the partner (kind 'partner', value 'VNPT'...)."""

    __tablename__ = "user_scopes"
    __table_args__ = (UniqueConstraint("user_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # agency | partner
    value: Mapped[str] = mapped_column(String(64))


class AccessToken(Base):
    """A read-only API token (kind 'api'), a wall kiosk token ('kiosk'), a Prometheus scrape
    token ('metrics') or a remote agent's token ('agent', bound to one vantage); only a hash of
    the secret is stored, the secret itself is shown once."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # api | kiosk | metrics | agent | reporter
    vantage: Mapped[str | None] = mapped_column(String(64))  # agent tokens: the vantage it checks for
    # A reporter token acts for this person (their role and scopes); other kinds have none.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # first characters, to tell tokens apart in lists
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(128))
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class UserSession(Base):
    """A person's signed-in session on the server: the signed cookie carries only its random id
    (stored here as a hash). Logout and "sign out everywhere" set `revoked_at`, so a copied
    cookie stops working at once."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user", "user_id"),)

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    address: Mapped[str | None] = mapped_column(String(64))


class LoginAttempt(Base):
    """Every login attempt, kept for the throttle (shared by all web workers) for a day."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_user_time", "username", "at"),
        Index("ix_login_attempts_address_time", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    username: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean)


class AuditEntry(Base):
    """Who did what, when, to what, from which address."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(128), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict[str, Any] | None]
    address: Mapped[str | None] = mapped_column(String(64))


# --- drill-down: dependencies between provincial systems


class SystemDependency(Base):
    """A provincial system that needs another one to work (e.g. document management needs
    LGSP): the drill-down draws it, coloured by the state of the system depended on."""

    __tablename__ = "system_dependencies"

    system_id: Mapped[str] = mapped_column(ForeignKey("systems.id"), primary_key=True)
    depends_on_id: Mapped[str] = mapped_column(ForeignKey("systems.id"), primary_key=True, index=True)


# --- the catalog as edited in the admin pages, the API or imported from a file


class CatalogRevision(Base):
    """One version of the whole catalog: who made it, when, how (an edit, an import, a rollback,
    the file re-read), what changed (`diff`) and the full validated document, so that any
    revision can be restored as it was. The newest row is the catalog in force."""

    __tablename__ = "catalog_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    author: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))  # e.g. system.create, endpoint.update, import, rollback, file
    summary: Mapped[str] = mapped_column(Text)
    diff: Mapped[list[Any]] = mapped_column(JSON)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


# --- remote agents (collectors placed in other networks; docs/agents.md)


class Agent(Base):
    """A remote collector, one per agent token: what the server last heard from it."""

    __tablename__ = "agents"

    token_id: Mapped[int] = mapped_column(ForeignKey("access_tokens.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    vantage: Mapped[str] = mapped_column(String(64), index=True)
    first_seen_at: Mapped[datetime]
    last_contact_at: Mapped[datetime]  # any authenticated call: assignment or results
    last_address: Mapped[str | None] = mapped_column(String(64))
    batch_interval_s: Mapped[float] = mapped_column(Float, default=10.0)  # as the agent says it sends
    last_batch_at: Mapped[datetime | None]
    clock_skew_s: Mapped[float | None] = mapped_column(Float)  # agent clock minus server clock, last batch
    skew_flagged_at: Mapped[datetime | None]  # last batch whose skew was over the limit
    results_stored: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    rejected_batches: Mapped[int] = mapped_column(Integer, default=0)
    last_rejection: Mapped[str | None] = mapped_column(String(255))
    last_rejection_at: Mapped[datetime | None]
    version: Mapped[str | None] = mapped_column(String(64))


class AgentBatch(Base):
    """A batch id already received: the same signed request sent again is a replay. Kept as
    long as a batch's send time is accepted (dashboard.domain.agents.MAX_BATCH_AGE_S) and a bit."""

    __tablename__ = "agent_batches"

    batch_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_id: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(index=True)


# --- integer keys of endpoints

from sqlalchemy import event, func, select  # noqa: E402
from sqlalchemy.orm import Session, column_property  # noqa: E402


def key_of(endpoint_id: str):
    """An endpoint's integer key, as a scalar subquery (raw results name endpoints by it)."""
    return select(Endpoint.key).where(Endpoint.id == endpoint_id).scalar_subquery()


@event.listens_for(Session, "before_flush")
def assign_endpoint_keys(session: Session, flush_context, instances) -> None:
    """Give each new endpoint the next free integer key (raw results name endpoints by it). One
    query per flush that adds endpoints; the unique constraint stops two writers that raced."""
    new = [obj for obj in session.new if isinstance(obj, Endpoint) and obj.key is None]
    if not new:
        return
    with session.no_autoflush:
        top = session.execute(select(func.max(Endpoint.key))).scalar() or 0
    for offset, endpoint in enumerate(sorted(new, key=lambda e: e.id), start=1):
        endpoint.key = top + offset


# a raw row's endpoint id, looked up by its unique key when whole rows are loaded (few: the latest checks)
CheckResult.endpoint_id = column_property(
    select(Endpoint.id).where(Endpoint.key == CheckResult.endpoint_key).correlate_except(Endpoint).scalar_subquery()
)
