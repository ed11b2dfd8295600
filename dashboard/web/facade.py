"""What pages may do with the data: read through a read model, act through a service.

Pages (layouts/) never open a database session, never import the ORM or SQLAlchemy, and never
reach into the Flask app for the runtime. They call `facade()`, which gives them:

- `read(query, *args)`: run one read-model function (`query(session, *args)`) in its own short
  session; a database that cannot be reached or answered raises `DataUnavailable`, the one
  exception type pages catch.
- one method per button (check now, acknowledge, schedule maintenance, acknowledge/resolve an
  alert, import alerts, switch a demo system). Each goes through `_act`, the single place that
  opens the session, lets the service check the permission and write its audit entry, and turns
  the outcome into an `Outcome` (ok + a message in the reader's language) for the page to show.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import current_app, has_request_context, request
from sqlalchemy.exc import SQLAlchemyError

from dashboard.alerts import ingest as alert_ingest
from dashboard.alerts import rules as alert_rules
from dashboard.auth import audit
from dashboard.auth.permissions import Forbidden, current_user_name
from dashboard.domain.incidents import IncidentError
from dashboard.domain.maintenance import MaintenanceError
from dashboard.i18n import LANGUAGES, t
from dashboard.monitoring import actions
from dashboard.monitoring import incidents as incident_services
from dashboard.monitoring import maintenance as maintenance_planning
from dashboard.readmodels import detail as detail_queries

log = logging.getLogger(__name__)

EXTENSION_KEY = "ioc.facade"
IMPORT_COUNTS = ("created", "repeated", "reopened")
MAX_COMMENT_CHARS = actions.MAX_COMMENT_CHARS  # pages stop typing where the service would refuse

T = TypeVar("T")
# The language toggle lives in the browser (local storage); assets/locale.js copies it into this
# cookie so that what the server builds once per page (the grid's pager, the dropdowns' search
# box, the date picker, <html lang>) is already in the reader's language.
LANG_COOKIE = "ioc_lang"


class DataUnavailable(Exception):
    """The database could not be reached or did not answer; nothing was read or changed."""


@dataclass(frozen=True)
class Outcome:
    """What became of a button press: `ok`, and a message to show in the reader's language."""

    ok: bool
    message: str
    value: Any = None


class Facade:
    """Built once per app (dashboard.web.app.create_app) around the process's runtime."""

    def __init__(self, runtime) -> None:
        self._runtime = runtime

    @property
    def settings(self):
        return self._runtime.settings

    @property
    def demo_running(self) -> bool:
        return self._runtime.demo is not None

    # ------------------------------------------------------------------ reads

    @contextmanager
    def _session(self) -> Iterator[Any]:
        try:
            with self._runtime.db.session() as session:
                yield session
        except SQLAlchemyError as exc:
            raise DataUnavailable(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc

    def read(self, query: Callable[..., T], /, *args, **kwargs) -> T:
        """`query(session, *args, **kwargs)` in a session of its own; DataUnavailable when the
        database cannot answer."""
        with self._session() as session:
            return query(session, *args, **kwargs)

    # ---------------------------------------------------------------- actions

    def _act(self, lang: str, work: Callable[[Any], T], done: Callable[[T], str],
             forbidden_key: str | None = None) -> Outcome:
        """Run one write service in its own session (committed only if it succeeds) and say what
        happened. The service checks the permission and records the audit entry itself, so a
        page cannot forget either; a refusal or a bad input changes nothing."""
        try:
            with self._session() as session:
                value = work(session)
        except Forbidden as exc:
            return Outcome(False, t(forbidden_key, lang) if forbidden_key else str(exc))
        except (actions.ActionError, alert_rules.AlertError, IncidentError, MaintenanceError, LookupError,
                TypeError, ValueError) as exc:
            # a refusal of the service (bad input, wrong state, unknown id): said as it is, nothing kept
            return Outcome(False, str(exc).strip("'\""))
        except DataUnavailable as exc:
            log.error("action refused: database unreachable: %s", exc)
            return Outcome(False, t("wall.stale.database", lang))
        return Outcome(True, done(value), value)

    def check_now(self, kind: str, subject_id: str, lang: str) -> Outcome:
        def work(session):
            return actions.check_now(session, detail_queries.subject_endpoint_ids(session, kind, subject_id))

        return self._act(lang, work, lambda rows: t("action.check_now_done", lang, n=len(rows)))

    def acknowledge_incident(self, incident_id: int, comment: str, lang: str) -> Outcome:
        return self._act(lang, lambda session: actions.acknowledge(session, int(incident_id), comment or ""),
                         lambda _incident: t("action.ack_done", lang, id=incident_id))

    def schedule_maintenance(self, kind: str, subject_id: str, *, starts_at: datetime, hours: float,
                             reason: str, lang: str) -> Outcome:
        """A window for the whole system on a system page, for the page's one endpoint otherwise."""
        try:
            duration = timedelta(hours=float(hours))
        except (TypeError, ValueError, OverflowError):
            return Outcome(False, t("mw.need_time", lang))

        def work(session):
            if kind == "system":
                scope = {"system_id": subject_id}
            else:
                ids = detail_queries.subject_endpoint_ids(session, kind, subject_id)
                if not ids:
                    raise actions.ActionError(t("link.unmonitored", lang))
                scope = {"endpoint_id": ids[0]}
            return actions.schedule_maintenance(session, reason=reason or "", starts_at=starts_at, duration=duration, **scope)

        return self._act(lang, work, lambda _window: t("mw.saved", lang))

    def handle_alert(self, alert_id: int, action: str, user: str | None, comment: str | None, lang: str) -> Outcome:
        """Acknowledge or resolve a security alert, in the name of the signed-in user when
        there is one (else the name typed on the page)."""
        operate = alert_rules.resolve if action == "resolve" else alert_rules.acknowledge
        who = current_user_name() or (user or "").strip() or "operator"
        key = "alert.action.done_resolve" if action == "resolve" else "alert.action.done_ack"
        return self._act(lang, lambda session: operate(session, int(alert_id), who, comment),
                         lambda _alert: t(key, lang, id=alert_id), forbidden_key="alert.action.forbidden")

    def import_alerts(self, filename: str, data: bytes, lang: str) -> Outcome:
        def work(session):
            done = alert_ingest.import_file(session, filename or "", data, source="import").as_dict()
            audit.record(session, None, "alerts.import", filename, {k: done[k] for k in IMPORT_COUNTS if k in done})
            return done

        try:
            return self._act(lang, work, lambda done: t("sec.import_done", lang, **{k: done[k] for k in IMPORT_COUNTS}))
        except alert_ingest.IngestRejected as exc:
            details = "; ".join(f"{d.get('row', '')} {d.get('field', '')}: {d.get('problem', '')}".strip()
                                for d in (exc.details or [])[:10])
            return Outcome(False, t("sec.import_failed", lang, reason=exc.message + (f" — {details}" if details else "")))
        except ValueError:
            return Outcome(False, t("sec.import_failed", lang, reason="unreadable upload"))

    def incident_action(self, which: str, incident_id: int, text: str, lang: str) -> Outcome:
        """Comment on, acknowledge or close an incident (the incident page's three buttons)."""
        def work(session):
            if which == "comment":
                incident_services.add_comment(session, incident_id, text)
            elif which == "acknowledge":
                actions.acknowledge(session, incident_id, text)
            else:
                incident_services.close(session, incident_id, text)
            return incident_id

        keys = {"comment": "inc.done.comment", "acknowledge": "inc.done.acknowledge", "close": "inc.done.close"}
        return self._act(lang, work, lambda number: t(keys.get(which, "inc.done.close"), lang, id=number),
                         forbidden_key="inc.forbidden")

    def maintenance_change(self, which: str, window_id: int | None, data: object, lang: str) -> Outcome:
        """Plan, edit or cancel a maintenance window (the maintenance page)."""
        def work(session):
            if which == "cancel":
                maintenance_planning.cancel(session, window_id)
                return window_id
            if which == "edit":
                maintenance_planning.edit(session, window_id, data)
                return window_id
            return maintenance_planning.plan(session, data).id

        keys = {"cancel": "maint.done.cancel", "edit": "maint.done.edit", "create": "maint.done.create"}
        return self._act(lang, work, lambda number: t(keys[which], lang, id=number), forbidden_key="inc.forbidden")

    def switch_demo_system(self, system_id: str, mode: str, lang: str) -> Outcome:
        demo = self._runtime.demo
        if demo is None:
            return Outcome(False, "the demo is not running")
        try:
            demo.set_mode(system_id, mode)
        except ValueError as exc:
            return Outcome(False, str(exc))
        return self._act(lang, lambda session: audit.record(session, None, "demo.set_mode", system_id, {"mode": mode}),
                         lambda _entry: t("demo.done", lang, system=system_id, mode=t(f"demo.mode.{mode}", lang)))


def install(server, runtime) -> Facade:
    server.extensions[EXTENSION_KEY] = Facade(runtime)
    return server.extensions[EXTENSION_KEY]


def page_language() -> str:
    """The reader's language for the current request: the toggle's cookie, Vietnamese without one."""
    value = request.cookies.get(LANG_COOKIE) if has_request_context() else None
    return value if value in LANGUAGES else "vi"


def facade() -> Facade:
    """The facade of the app serving the current request."""
    return current_app.extensions[EXTENSION_KEY]
