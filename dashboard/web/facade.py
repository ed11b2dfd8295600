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

import base64
import binascii
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy.exc import SQLAlchemyError

from collectors.timeutil import utcnow
from dashboard.alerts import ingest as alert_ingest
from dashboard.alerts import routes as route_services
from dashboard.alerts import rules as alert_rules
from dashboard.auth import audit
from dashboard.auth.permissions import Forbidden, current_user_name
from dashboard.catalog import edits as catalog_edits
from dashboard.catalog import forms as catalog_forms
from dashboard.catalog import revisions as catalog_revisions
from dashboard.catalog.loader import CatalogError
from dashboard.catalog.trial import guard_for, run_trial
from dashboard.auth.sessions import current_principal
from dashboard.domain.incidents import IncidentError
from dashboard.domain.maintenance import MaintenanceError
from dashboard.domain.routes import RouteError
from dashboard.i18n import LANGUAGES, t
from dashboard.monitoring import actions
from dashboard.monitoring import incidents as incident_services
from dashboard.monitoring import maintenance as maintenance_planning
from dashboard.plans import reporting, updates
from dashboard.readmodels.plans import local_today
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
        # When this process's reads began to fail, None while they work: the wall says since when
        # the database is away. The web cannot learn it from the collector (that would need the
        # database), and its own first failed read comes within one refresh of the outage.
        self.database_down_since: datetime | None = None

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
            if self.database_down_since is None:
                self.database_down_since = utcnow()
            raise DataUnavailable(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
        self.database_down_since = None

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
            # a refusal of the service (bad input, wrong state, unknown id): said as it is (in the
            # reader's language when the refusal can say it so), nothing kept
            localized = getattr(exc, "message", None)
            return Outcome(False, localized(lang) if callable(localized) else str(exc).strip("'\""))
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

    def route_change(self, which: str, route_id: str | None, data: object, lang: str, link_base: str = "") -> Outcome:
        """Create, replace, delete or test ("Gửi thử") a notification route (/admin/routes). A
        field error comes back with the field's name in `value`, for the form to mark it."""
        def work(session):
            if which == "delete":
                return route_services.delete(session, route_id)
            if which == "test":
                base = link_base or (request.host_url.rstrip("/") if has_request_context() else "")
                entry = route_services.send_test(session, route_id, base)
                return (entry.state, entry.last_error)
            return route_services.save(session, data, creating=which == "create").id

        def done(value) -> str:
            if which == "test":
                state, error = value
                return t("routes.done.test_sent", lang, id=route_id) if state == "sent" else \
                    t("routes.done.test_failed", lang, id=route_id, error=error or "")
            return t(f"routes.done.{which}", lang, id=value)

        try:
            with self._session() as session:
                value = work(session)
        except RouteError as exc:
            return Outcome(False, t("routes.field_error", lang, field=t(f"routes.field.{exc.field}", lang),
                                    problem=str(exc).split(": ", 1)[-1]), exc.field)
        except Forbidden:
            return Outcome(False, t("routes.forbidden", lang))
        except LookupError as exc:
            return Outcome(False, str(exc).strip("'\""))
        except DataUnavailable as exc:
            log.error("action refused: database unreachable: %s", exc)
            return Outcome(False, t("wall.stale.database", lang))
        ok = not (which == "test" and value[0] != "sent")
        return Outcome(ok, done(value), value)

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


    # ---------------------------------------------------------------- the catalog (admins)

    def catalog_change(self, which: str, lang: str, *, system_id: str | None = None, endpoint_id: str | None = None,
                       values: dict | None = None, kind: str | None = None, own: dict | None = None,
                       revision: int | None = None, item_id: str | None = None) -> Outcome:
        """Save or delete a system, an endpoint, an agency or a national platform, or roll back, as one catalog revision. A
        refusal changes nothing; its `value` is {"problems": [{"path", "field", "message"}]}
        for the form to show next to each input."""
        guard = guard_for(self.settings)

        def work(session):
            if which == "system.save":
                return catalog_edits.save_system(session, values or {}, system_id, guard)
            if which == "system.delete":
                return catalog_edits.delete_system(session, system_id)
            if which == "endpoint.save":
                endpoint = catalog_forms.endpoint_from_form(kind or "http", values or {}, own or {})
                return catalog_edits.save_endpoint(session, system_id, endpoint, endpoint_id, guard, replace=True)
            if which == "endpoint.delete":
                return catalog_edits.delete_endpoint(session, system_id, endpoint_id)
            if which == "item.save":  # an agency or a national platform: `kind` names the list
                return catalog_edits.save_item(session, kind, values or {}, item_id)
            if which == "item.delete":
                return catalog_edits.delete_item(session, kind, item_id)
            return catalog_revisions.rollback(session, int(revision))

        try:
            with self._session() as session:
                row = work(session)
                number = row.id if row is not None else None
        except catalog_edits.EditRefused as exc:
            return Outcome(False, t("cat.refused", lang), {"problems": exc.problems})
        except CatalogError as exc:  # a past revision that no longer validates
            return Outcome(False, t("cat.refused", lang), {"problems": catalog_revisions.relative(exc.details, "")})
        except catalog_revisions.CatalogReadOnly:
            return Outcome(False, t("cat.read_only", lang, file=catalog_revisions_file(self)))
        except catalog_revisions.CatalogNotFound as exc:
            return Outcome(False, str(exc).strip("'\""))
        except Forbidden:
            return Outcome(False, t("cat.forbidden", lang))
        except DataUnavailable as exc:
            log.error("catalog change refused: database unreachable: %s", exc)
            return Outcome(False, t("wall.stale.database", lang))
        if number is None:
            return Outcome(True, t("cat.no_change", lang), {"revision": None})
        return Outcome(True, t("cat.saved", lang, n=number), {"revision": number})

    def catalog_trial(self, system_id: str | None, kind: str, values: dict, own: dict, lang: str) -> Outcome:
        """Run the probe once with the form's unsaved settings (the network guard applies)."""
        from dashboard.auth.permissions import require

        try:
            require("manage_catalog")
            endpoint = catalog_forms.endpoint_from_form(kind or "http", values or {}, own or {})
            endpoint.setdefault("id", "trial")
            result = run_trial(system_id or "trial", endpoint, guard_for(self.settings))
        except Forbidden:
            return Outcome(False, t("cat.forbidden", lang))
        except CatalogError as exc:
            return Outcome(False, t("cat.trial_refused", lang), {"problems": catalog_revisions.relative(exc.details, "")})
        return Outcome(True, result["cause"], result)


    # ---------------------------------------------------------------- accounts, tokens, alert sources (admins)

    def access_action(self, which: str, lang: str, **args) -> Outcome:
        """One action of the access admin page. A password or a secret made here is in the
        outcome's value once (`secret`) and never stored in clear; every action is audited."""
        from dashboard.auth import tokens as token_service
        from dashboard.auth import users as user_service
        from dashboard.auth.passwords import WeakPassword
        from dashboard.auth.permissions import require

        actor = current_user_name() or "admin"

        def work(session):
            require("manage_users")
            name = (args.get("name") or "").strip()
            if which == "user.create":
                password = one_time_password()
                user_service.create_user(session, name, args.get("role") or "", password, actor=actor,
                                         agencies=list(args.get("agencies") or []), partners=list(args.get("partners") or []))
                return {"secret": password, "name": name}
            if which == "user.scopes":
                user_service.set_scopes(session, name, list(args.get("agencies") or []), list(args.get("partners") or []),
                                        actor=actor)
                return {"name": name}
            if which == "user.role":
                user_service.set_role(session, name, args.get("role") or "", actor=actor)
            elif which in ("user.disable", "user.enable"):
                user_service.set_active(session, name, which == "user.enable", actor=actor)
            elif which == "user.reset":
                password = one_time_password()
                user_service.reset_password(session, name, password, actor=actor)
                return {"secret": password, "name": name}
            elif which == "user.logout":
                return {"count": user_service.logout_all(session, name, actor=actor), "name": name}
            elif which == "token.create":
                row, secret = token_service.create_token(session, name, args.get("kind") or "api", created_by=actor)
                audit.record(session, actor, "token.create", f"{row.kind}:{row.name}", {"id": row.id})
                return {"secret": secret, "name": name, "kind": row.kind}
            elif which == "token.revoke":
                row = token_service.revoke_token(session, int(args.get("id")))
                audit.record(session, actor, "token.revoke", f"{row.kind}:{row.name}", {"id": row.id})
            elif which in ("source.create", "source.rotate"):
                secret = alert_ingest.create_source(session, name, args.get("description") or None)
                audit.record(session, actor, f"alert_source.{which.split('.')[1]}", name)
                return {"secret": secret, "name": name}
            elif which == "source.disable":
                if not alert_ingest.revoke_source(session, name):
                    raise LookupError(f"no alert source {name!r}")
                audit.record(session, actor, "alert_source.disable", name)
            else:
                raise ValueError(f"unknown action {which!r}")
            return {"name": name}

        try:
            with self._session() as session:
                value = work(session)
        except Forbidden:
            return Outcome(False, t("cat.forbidden_access", lang))
        except (user_service.AccountError, WeakPassword, LookupError, TypeError, ValueError) as exc:
            return Outcome(False, str(exc).strip("'\""))
        except DataUnavailable:
            return Outcome(False, t("wall.stale.database", lang))
        return Outcome(True, t(f"acc.done.{which}", lang, **{k: v for k, v in value.items() if k != "secret"}), value)

    # ------------------------------------------------- agencies' own reports

    def who(self) -> tuple[str | None, str | None, int | None]:
        """(name, role, user id) of the person signed in to this request."""
        principal = current_principal()
        return (principal.name, principal.role, principal.user_id) if principal else (None, None, None)

    def report_task(self, task_id: int, values: dict, upload: str | None, filename: str | None, lang: str) -> Outcome:
        """An update from the /my page: the values typed and, optionally, a dcc.Upload file
        (its size judged on the encoded text, before decoding)."""
        data = None
        if upload:
            _, _, encoded = upload.partition(",")
            if len(encoded) * 3 // 4 > reporting.EVIDENCE_MAX_BYTES + 4:
                return Outcome(False, reporting.Refusal("evidence", "file_too_large", 413, (
                    ("size", f"{len(encoded) * 3 / 4 / 1_048_576:.1f}"), ("limit", reporting.EVIDENCE_MAX_BYTES // 1_048_576))).message(lang))
            try:
                data = base64.b64decode(encoded)
            except (binascii.Error, ValueError):
                return Outcome(False, reporting.Refusal("evidence", "file_empty").message(lang))
        proposed = reporting.Proposed(**{k: values.get(k) for k in ("percent", "status", "note", "done_on", "evidence_url")},
                                      kind=values.get("kind") or "update")
        return self._act(lang, lambda session: updates.report(session, current_principal(), int(task_id), proposed, evidence=data,
                                                               evidence_name=filename, today=local_today()),
                         lambda row: t("my.saved_no_change" if row.kind == "no_change" else "my.saved", lang),
                         forbidden_key="rep.err.out_of_scope")

    def confirm_no_change(self, task_ids: list[int], lang: str) -> Outcome:
        return self._act(lang, lambda session: updates.confirm_no_change(session, current_principal(), [int(i) for i in task_ids],
                                                                         today=local_today()),
                         lambda rows: t("my.confirmed", lang, n=len(rows)), forbidden_key="rep.err.out_of_scope")

    def review_update(self, update_id: int, decision: str, comment: str | None, lang: str) -> Outcome:
        return self._act(lang, lambda session: updates.review(session, current_principal(), int(update_id), decision, comment,
                                                              today=local_today()),
                         lambda row: t(f"review.done.{row.review_state}", lang, id=row.id), forbidden_key="review.forbidden")


def one_time_password() -> str:
    """A random password shown once (to be changed by its owner): 16 URL-safe characters."""
    import secrets

    return secrets.token_urlsafe(12)


def catalog_revisions_file(facade_: Facade) -> str:
    try:
        with facade_._session() as session:
            return catalog_revisions.read_only_file(session) or "?"
    except DataUnavailable:
        return "?"


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


def database_down_since() -> datetime | None:
    """Since when the current app's reads fail (None while they work, or outside an app)."""
    if not has_app_context():
        return None
    pages = current_app.extensions.get(EXTENSION_KEY)
    return pages.database_down_since if pages is not None else None
