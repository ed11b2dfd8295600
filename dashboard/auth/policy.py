"""Who may do what: pure rules, no Flask, no database. Deny unless a rule allows.

A principal has one role: anonymous (None), "kiosk" (the unattended wall), "reporter" (an
agency's or a partner enterprise's focal point: their own tasks on /my and the province's
figures on /progress, nothing else), "viewer" (people who read, and read-only API tokens),
"operator" (acknowledge, check now, maintenance windows, review agencies' updates) or "admin"
(users, catalog, imports, settings). Each role includes the ones before it, except that a
reporter never sees the wall (it shows every system's state, which is IOC staff's business).
Which tasks a reporter may change (their scope) is judged by dashboard.auth.scopes.

Requests are judged by path and method (`decide_request`); Dash callbacks, which all arrive at
one URL, are judged by the components they change (`callback_role`). A page or callback added
later is covered without doing anything: pages need a viewer, callbacks need a viewer unless
their outputs are listed as actions below (or follow the `admin-` / `op-` id prefixes).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

SIGNED_IN = "signed_in"  # a "required role" meaning any principal at all (the shell, Dash's plumbing)
RANK = {SIGNED_IN: -1, "kiosk": 0, "reporter": 1, "viewer": 2, "operator": 3, "admin": 4}
ROLES = ("reporter", "viewer", "operator", "admin")  # roles a person account can have


class Decision(Enum):
    ALLOW = "allow"
    LOGIN = "login"  # anonymous: send to the login page (pages) or answer 401 (API, callbacks)
    DENY = "deny"  # signed in but not allowed: 403


PUBLIC = "public"  # a "required role" meaning nobody needs to be signed in

# Reachable by anyone: what the login page itself needs, liveness, and the ingest endpoints
# that check their own token.
PUBLIC_PREFIXES = (
    "/assets/", "/_dash-component-suites/", "/_favicon.ico", "/auth/oidc/",
    "/api/heartbeat/", "/api/alerts/ingest/", "/api/agent/",
)
# /metrics checks its own token or address allow-list (dashboard/web/metrics.py).
PUBLIC_PATHS = ("/api/health", "/login", "/logout", "/status", "/status/style.css", "/status/feed.atom", "/metrics")

# Dash's own plumbing: every signed-in principal, the kiosk included (the callback body is
# judged separately by `callback_role`).
DASH_INTERNALS = ("/_dash-layout", "/_dash-dependencies", "/_reload-hash", "/_dash-update-component")

KIOSK_PAGE_PREFIXES = ("/wall",)
ADMIN_PAGE_PREFIXES = ("/admin",)
# Admin pages operators may read (their writing callbacks still need an admin): who is told
# about what is something the people on duty must be able to check.
OPERATOR_READ_PAGES = ("/admin/routes",)
# The pages a reporter may open: their tasks, a task's timeline (the page checks the scope) and
# the province's plan figures.
REPORTER_PAGE_PREFIXES = ("/my", "/tasks", "/progress")
# API calls a reporter may make: (method, path prefix). Every other call needs a viewer or more.
REPORTER_API = (
    ("GET", "/api/my/"),
    ("GET", "/api/progress"),
    ("GET", "/api/tasks/"),  # a task's timeline: the route checks the scope
    ("GET", "/api/task-updates/"),  # an update's evidence: the route checks the scope
    ("POST", "/api/tasks/"),  # report an update: the service checks the scope
)

# API writes: (method, path prefix, role). Any other non-GET API call needs an admin.
API_WRITES = (
    ("POST", "/api/endpoints/", "operator"),  # check now
    ("POST", "/api/incidents/", "operator"),  # acknowledge
    ("POST", "/api/maintenance", "operator"),
    ("PATCH", "/api/maintenance/", "operator"),  # edit a window
    ("DELETE", "/api/maintenance/", "operator"),  # cancel a window
    ("POST", "/api/demo/", "operator"),  # simulate a fault in the demo
    ("POST", "/api/task-updates/", "operator"),  # accept or return an agency's update
)

# API reads only admins may make: the catalog as stored (it holds tokens and secrets) and its
# revisions. Read-only API tokens never reach them.
API_ADMIN_READS = ("/api/catalog/",)

# Callback outputs (component ids) that change something, with the role they need. A callback
# needs the highest role of its outputs. Add an entry when a page gets a new action, or give
# the output id an `op-` (operator) or `admin-` (admin) prefix.
ACTION_CALLBACKS: dict[str, str] = {
    # overview (foundation): the demo's fault switch
    "demo-result": "operator",
    # drill-down: check now, acknowledge, maintenance windows
    "detail-action-result": "operator",
    "detail-bump": "operator",
    # progress: plan import (preview of an uploaded file, then confirm)
    "plan-preview": "admin",
    "plan-import-result": "admin",
    "progress-version": "admin",
}
# Outputs of the reporter's pages (/my, /tasks/<id>, /progress): a reporter may run these
# callbacks; each one that writes goes through a service that checks the task's scope.
REPORTER_OUTPUT_PREFIXES = ("my-", "task-", "progress-", "plan-io-", "plan-template", "plan-export", "plan-drop", "plan-download")
REPORTER_OUTPUTS = frozenset({"plan-confirm"})
ACTION_PREFIXES = (("admin-", "admin"), ("op-", "operator"))

# Callbacks the kiosk may run: the shell's and the wall's (ids starting with "wall").
KIOSK_OUTPUT_PREFIXES = ("wall",)
SHELL_OUTPUTS = frozenset({"app-title", "app-subtitle", "navbar", "_pages_dummy", "_pages_store", "shell-user"})
PAGES_CONTENT = "_pages_content"  # Dash's page router: judged by the page it would render

# What each role may do by name (dashboard.auth.permissions delegates here).
ACTIONS: dict[str, str] = {
    "check_now": "operator",
    "acknowledge": "operator",
    "schedule_maintenance": "operator",
    "maintenance": "operator",
    "import_plan": "admin",
    "manage_users": "admin",
    "manage_catalog": "admin",
    "manage_settings": "admin",
    "manage_notifications": "admin",
    "read_audit": "admin",
    "report_progress": "reporter",  # and the task must be in the principal's scope
    "review_update": "operator",
}


def has_role(role: str | None, required: str) -> bool:
    if required == PUBLIC:
        return True
    if role is None:
        return False
    if role == "reporter" and required == "kiosk":
        return False  # the wall's pages and callbacks
    return RANK.get(role, -2) >= RANK[required]


def action_role(action: str) -> str:
    """The role an action needs: a named action, or a role name itself."""
    if action in RANK:
        return action
    try:
        return ACTIONS[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None


def page_role(pathname: str | None) -> str:
    path = _normalise(pathname or "/")
    if _under(path, KIOSK_PAGE_PREFIXES):
        return "kiosk"
    if _under(path, OPERATOR_READ_PAGES):
        return "operator"
    if _under(path, ADMIN_PAGE_PREFIXES):
        return "admin"
    if _under(path, REPORTER_PAGE_PREFIXES):
        return "reporter"
    return "viewer"


def request_role(method: str, path: str, api_token: bool = False) -> str:
    """The role a plain HTTP request needs (callbacks are further judged by `callback_role`)."""
    method = method.upper()
    path = _normalise(path)
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
        return PUBLIC
    if path in DASH_INTERNALS:
        return SIGNED_IN
    if path == "/api" or path.startswith("/api/"):
        for reporter_method, prefix in REPORTER_API:
            if method in (reporter_method, "HEAD" if reporter_method == "GET" else reporter_method) and path.startswith(prefix):
                return "reporter"
        if method in ("GET", "HEAD", "OPTIONS"):
            return "admin" if path.startswith(API_ADMIN_READS) else "viewer"
        for write_method, prefix, role in API_WRITES:
            if method == write_method and path.startswith(prefix):
                return role
        return "admin"
    if method in ("GET", "HEAD"):
        return page_role(path)
    return "admin"


def decide_request(role: str | None, method: str, path: str, kind: str = "user") -> Decision:
    """kind: "user" (a person's session), "token" (read-only API token), "reporter_token" (a
    reporter's token: their API calls only), "kiosk", "anonymous"."""
    required = request_role(method, path)
    if required == PUBLIC:
        return Decision.ALLOW
    if role is None:
        return Decision.LOGIN
    if kind == "token":
        # Machine tokens read the API and nothing else.
        api = _normalise(path).startswith("/api/")
        return Decision.ALLOW if api and method.upper() in ("GET", "HEAD") and required != "admin" else Decision.DENY
    if kind == "reporter_token":
        api = _normalise(path).startswith("/api/")
        return Decision.ALLOW if api and required == "reporter" else Decision.DENY
    return Decision.ALLOW if has_role(role, required) else Decision.DENY


@dataclass(frozen=True)
class CallbackCall:
    """What a call to /_dash-update-component would change: the output component ids of the
    callback as registered on the server (never as claimed by the request), and for Dash's page
    router the page asked for."""

    output_ids: tuple[str, ...]
    pathname: str | None = None  # for Dash's page router: the page asked for


class MalformedCall(ValueError):
    """The request's inputs do not line up with the callback's declared inputs."""


def pathname_of(declared_inputs, sent_inputs) -> str | None:
    """The page asked for, when the call is Dash's page router: Dash hands the callback its
    inputs by position, so the value is the one sent at the position where the server declared
    `_pages_location.pathname` — never one found by id in the request, which a hand-made body
    could place anywhere. Raises MalformedCall when the sent inputs do not match the declared
    ones position by position (count, id and property)."""
    declared = list(declared_inputs or [])
    sent = sent_inputs if isinstance(sent_inputs, list) else None
    if sent is None or len(sent) != len(declared):
        raise MalformedCall("the inputs sent do not match the callback's inputs")
    for spec, item in zip(declared, sent):
        if not isinstance(spec, dict) or isinstance(spec.get("id"), dict) or str(spec.get("id", "")).startswith("{"):
            continue  # pattern-matching inputs arrive as lists; never the router's
        if not isinstance(item, dict) or item.get("id") != spec.get("id") or item.get("property") != spec.get("property"):
            raise MalformedCall("the inputs sent do not match the callback's inputs")
    for spec, item in zip(declared, sent):
        if isinstance(spec, dict) and spec.get("id") == "_pages_location" and spec.get("property") == "pathname":
            value = item.get("value")
            return value if isinstance(value, str) else None
    return None


def component_key(component_id) -> str:
    """A component id as the rules see it: pattern-matching (dict) ids by their "type"."""
    if isinstance(component_id, dict):
        component_id = component_id.get("type")
    if not isinstance(component_id, str) or not component_id:
        raise ValueError("component without an id")
    return component_id


def output_role(component_id: str) -> str:
    if component_id in ACTION_CALLBACKS:
        return ACTION_CALLBACKS[component_id]
    for prefix, role in ACTION_PREFIXES:
        if component_id.startswith(prefix):
            return role
    if component_id in SHELL_OUTPUTS or component_id.startswith("nav-"):
        return SIGNED_IN
    if component_id.startswith(KIOSK_OUTPUT_PREFIXES):
        return "kiosk"
    if component_id in REPORTER_OUTPUTS or component_id.startswith(REPORTER_OUTPUT_PREFIXES):
        return "reporter"
    return "viewer"


def callback_role(call: CallbackCall) -> str:
    """The role a callback needs: the highest of its outputs'. A wall output next to a
    reporter's output needs both, which no role but viewer and above has."""
    roles = []
    for component_id in call.output_ids:
        if component_id == PAGES_CONTENT:
            roles.append(page_role(call.pathname))
        else:
            roles.append(output_role(component_id))
    if not roles:
        return "admin"
    highest = max(roles, key=RANK.__getitem__)
    if highest == "reporter" and "kiosk" in roles:
        return "viewer"  # a reporter may not change the wall; a kiosk may not run a reporter's callback
    return highest


def decide_callback(role: str | None, call: CallbackCall) -> Decision:
    if role is None:
        return Decision.LOGIN
    return Decision.ALLOW if has_role(role, callback_role(call)) else Decision.DENY


def _flatten(items):
    if isinstance(items, dict):
        yield items
        return
    for item in items or []:
        if isinstance(item, list):
            yield from _flatten(item)
        else:
            yield item


def _normalise(path: str) -> str:
    # "/wall/../admin" must not pass as a wall page
    parts: list[str] = []
    for part in path.split("?")[0].split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    normal = "/" + "/".join(parts)
    if path.endswith("/") and normal != "/":
        normal += "/"
    return normal


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") or path.startswith(p + "?") for p in prefixes)
