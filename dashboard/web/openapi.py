"""The OpenAPI 3.1 description of the JSON API, served at /api/openapi.json.

The paths and methods come from the Flask routes themselves (every rule under /api/), so a route
cannot exist without appearing here; each one's summary, parameters and response schemas are in
OPERATIONS below, and tests/test_openapi.py fails when a route has none or when a real response
does not match its schema. Schemas list the fields clients rely on; answers may carry more
(fields are added, never renamed: docs/api.md)."""
from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify

openapi = Blueprint("openapi", __name__, url_prefix="/api")

TIME = {"type": ["string", "null"], "format": "date-time"}
STATUS = {"type": "string", "enum": ["up", "degraded", "down", "unknown", "maintenance"]}
UPTIME = {"type": "object", "properties": {k: {"type": ["number", "null"]} for k in ("24h", "7d", "30d")}}
NAMES = {"name_vi": {"type": "string"}, "name_en": {"type": "string"}}
# A cause as stored: a code and its parameters (docs/api.md lists the codes); `reason` and
# `short_reason` are the same in words, in the language asked with ?lang=vi|en (default vi).
CAUSE = {"type": ["object", "null"], "required": ["code", "params"],
         "properties": {"code": {"type": "string"}, "params": {"type": "object"}}}
CAUSE_FIELDS = {"cause": CAUSE, "reason": {"type": ["string", "null"]}, "short_reason": {"type": ["string", "null"]}}
LANG = {"lang": "vi (default) or en: the language of reasons and causes"}


def obj(required: dict, optional: dict | None = None) -> dict:
    return {"type": "object", "required": sorted(required), "properties": {**required, **(optional or {})}}


def array(items: dict) -> dict:
    return {"type": "array", "items": items}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS: dict[str, dict] = {
    "Error": obj({"error": {"type": "string"}}),
    "Health": obj({"status": {"type": "string", "enum": ["ok", "degraded", "down"]}, "time": TIME},
                  {"database": {"type": "string"}, "last_check_at": TIME,
                   "scheduler": obj({"alive": {"type": "boolean"}}, {"last_heartbeat": TIME})}),
    "Endpoint": obj({"id": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string"},
                     "status": STATUS, "stale": {"type": "boolean"}, "interval_s": {"type": "number"}},
                    {"target": {"type": "string"}, "latency_ms": {"type": ["number", "null"]},
                     "http_code": {"type": ["integer", "null"]}, **CAUSE_FIELDS,
                     "checked_at": TIME, "status_since": TIME, "uptime": UPTIME,
                     "missed_24h": {"type": "integer"}, "commune": {"type": "boolean"}}),
    "Link": obj({"id": {"type": "string"}, "platform": {"type": "string"}, "status": STATUS,
                 "monitored": {"type": "boolean"}},
                {"platform_name_vi": {"type": "string"}, "platform_name_en": {"type": "string"},
                 "declared": {"type": ["string", "null"]}, **CAUSE_FIELDS,
                 "last_check_at": TIME, "uptime": UPTIME}),
    "System": obj({"id": {"type": "string"}, **NAMES, "status": STATUS, "stale": {"type": "boolean"},
                   "endpoints": array(ref("Endpoint")), "links": array(ref("Link"))},
                  {"owner": {"type": ["object", "null"]}, "partner": {"type": ["string", "null"]},
                   **CAUSE_FIELDS, "status_since": TIME, "last_check_at": TIME,
                   "uptime": UPTIME}),
    "Systems": obj({"generated_at": TIME,
                    "counts": obj({s: {"type": "integer"} for s in STATUS["enum"]}),
                    "systems": array(ref("System"))}),
    "Incident": obj({"id": {"type": "integer"}, "subject_type": {"type": "string", "enum": ["endpoint", "system", "link"]},
                     "subject_id": {"type": "string"}, "system_id": {"type": "string"},
                     "severity": {"type": "string"}, "started_at": TIME, "open": {"type": "boolean"}},
                    {"ended_at": TIME, "duration_s": {"type": ["number", "null"]}, "cause": {"type": ["string", "null"]},
                     "last_reason": {"type": ["string", "null"]}, "short_cause": {"type": ["string", "null"]},
                     "short_reason": {"type": ["string", "null"]}, "cause_data": CAUSE, "last_cause": CAUSE,
                     "acknowledged_at": TIME,
                     "acknowledged_by": {"type": ["string", "null"]}}),
    "Incidents": obj({"generated_at": TIME, "incidents": array(ref("Incident"))}),
    "CheckRequested": obj({"endpoint": {"type": "string"}, "requested_at": TIME, "request_id": {"type": "integer"}}),
    "PublicNote": obj({"incident": {"type": "integer"}, "public_note": {"type": ["string", "null"]}}),
    "Alert": obj({"id": {"type": "integer"}, "severity": {"type": "string"}, "status": {"type": "string"},
                  "title": {"type": "string"}, "source": {"type": "string"}, "first_seen": TIME, "last_seen": TIME,
                  "count": {"type": "integer"}},
                 {"source_kind": {"type": "string"}, "category": {"type": ["string", "null"]},
                  "system_id": {"type": ["string", "null"]}, "agency_id": {"type": ["string", "null"]},
                  # the app's own alerts: title and description in both languages, and their codes
                  "title_vi": {"type": "string"}, "title_en": {"type": "string"},
                  "description_vi": {"type": ["string", "null"]}, "description_en": {"type": ["string", "null"]},
                  "title_code": {"type": ["string", "null"]}, "title_params": {"type": ["object", "null"]},
                  "description_code": {"type": ["string", "null"]}, "description_params": {"type": ["object", "null"]}}),
    "Alerts": obj({"generated_at": TIME, "total": {"type": "integer"}, "limit": {"type": "integer"},
                   "offset": {"type": "integer"}, "alerts": array(ref("Alert"))}),
    "AlertAccepted": {"type": "object"},
    "Progress": obj({"generated_at": TIME, "province_percent": {"type": ["number", "null"]},
                     "agencies": array(obj({"id": {"type": "string"}, **NAMES},
                                           {"last_report": {"type": ["string", "null"], "format": "date"},
                                            "freshness": {"type": ["string", "null"], "enum": ["fresh", "stale", "silent", None]}})),
                     "partners": {"type": "array"}},
                    {"categories": {"type": "array"}, "trend": {"type": "array"}, "demo_data": {"type": "boolean"},
                     "view": {"type": "string", "enum": ["accepted", "reported"]}, "silent_days": {"type": "integer"},
                     "freshness": obj({k: {"type": "integer"} for k in ("fresh", "stale", "silent")})}),
    "Coverage": obj({"generated_at": TIME, "agencies": array(obj({"id": {"type": "string"}, **NAMES})),
                     "systems": {"type": "array"}}),
    "Unit": obj({"id": {"type": "string"}, **NAMES, "kind": {"type": "string"}},
                {"official_code": {"type": ["string", "null"]}, "partner": {"type": ["string", "null"]},
                 "lat": {"type": ["number", "null"]}, "lon": {"type": ["number", "null"]}}),
    "Units": obj({"generated_at": TIME, "units": array(ref("Unit"))}),
    "HeartbeatAccepted": obj({"ok": {"type": "boolean"}, "endpoint": {"type": "string"}, "received_at": TIME}),
    "DemoMode": obj({"system": {"type": "string"}, "mode": {"type": "string"}}),
    "GeoJSON": obj({"type": {"type": "string"}}),
    "OpenAPI": obj({"openapi": {"type": "string"}, "paths": {"type": "object"}}),
    "IncidentDetail": obj({"id": {"type": "integer"}, "comments": {"type": "array"}}),
    "IncidentStats": obj({"generated_at": TIME}),
    "Availability": obj({"generated_at": TIME, "month": {"type": "string"}, "systems": array(ref("SystemAvailability"))}),
    "SystemAvailability": obj({"id": {"type": "string"}, **NAMES, "uptime_percent": {"type": ["number", "null"]},
                               "downtime_minutes": {"type": "number"}, "incidents": {"type": "integer"},
                               "mttr_minutes": {"type": ["number", "null"]}, "mtta_minutes": {"type": ["number", "null"]},
                               "acknowledged": {"type": "integer"}},
                              {"target_percent": {"type": "number"}, "behind": {"type": "boolean"},
                               "maintenance_minutes": {"type": "number"}, "mtbf_hours": {"type": ["number", "null"]}}),
    "Route": obj({"id": {"type": "string"}, "name": {"type": "string"}, "kinds": array({"type": "string"}),
                  "min_severity": {"type": "string"}, "language": {"type": "string", "enum": ["vi", "en"]},
                  "targets": array({"type": "string"}), "source": {"type": "string", "enum": ["admin", "catalog"]},
                  "active": {"type": "boolean"}, "warnings": array({"type": "string"})},
                 {"systems": array({"type": "string"}), "agencies": array({"type": "string"}),
                  "partners": array({"type": "string"}), "quiet_start": {"type": ["string", "null"]},
                  "quiet_end": {"type": ["string", "null"]}, "escalate_after_s": {"type": ["number", "null"]},
                  "escalation_targets": array({"type": "string"}), "signed": {"type": "boolean"},
                  "deliveries": {"type": "object"}}),
    "Routes": obj({"generated_at": TIME, "routes": array(ref("Route"))}),
    "Delivery": obj({"id": {"type": "integer"}, "route": {"type": ["string", "null"]}, "level": {"type": "integer"},
                     "state": {"type": "string", "enum": ["pending", "sent", "failed", "suppressed", "suppressed_quiet",
                                                          "deduplicated"]},
                     "title": {"type": "string"}, "created_at": TIME},
                    {"kind": {"type": "string"}, "event": {"type": ["string", "null"]},
                     "severity": {"type": ["string", "null"]}, "subject": {"type": "string"},
                     "attempts": {"type": "integer"}, "error": {"type": ["string", "null"]},
                     "link": {"type": ["string", "null"]}, "sent_at": TIME}),
    "Deliveries": obj({"generated_at": TIME, "deliveries": array(ref("Delivery"))}),
    "RouteDeleted": obj({"deleted": {"type": "string"}}),
    "RouteTest": obj({"route": {"type": "string"}, "state": {"type": "string", "enum": ["sent", "failed"]},
                      "error": {"type": ["string", "null"]}, "at": TIME}),
    "FieldError": obj({"error": {"type": "string"}}, {"field": {"type": "string"}}),
    "MaintenanceWindows": obj({"generated_at": TIME, "windows": {"type": "array"}}),
    "MaintenanceUpcoming": obj({"generated_at": TIME, "upcoming": {"type": "array"}}),
    "MaintenanceWindow": obj({"id": {"type": "integer"}}),
    "CatalogProblems": obj({"error": {"type": "string"}},
                           {"problems": array(obj({"path": {"type": "string"}, "message": {"type": "string"}},
                                                  {"field": {"type": ["string", "null"]}}))}),
    "CatalogRevision": obj({"id": {"type": "integer"}, "created_at": TIME, "author": {"type": "string"},
                            "action": {"type": "string"}, "summary": {"type": "string"}, "changes": {"type": "array"}},
                           {"document": {"type": "object"}}),
    "CatalogChange": obj({"revision": {"anyOf": [ref("CatalogRevision"), {"type": "null"}]}}),
    "CatalogRevisions": obj({"mode": {"type": "string"}, "current": {"type": ["integer", "null"]},
                             "revisions": array(ref("CatalogRevision"))}),
    "CatalogExport": obj({"revision": {"type": "integer"}, "mode": {"type": "string"}, "document": {"type": "object"},
                          "yaml": {"type": "string"}}),
    "CatalogImport": obj({"dry_run": {"type": "boolean"}, "changes": {"type": "array"}},
                         {"summary": {"type": "string"}, "revision": {"anyOf": [ref("CatalogRevision"), {"type": "null"}]}}),
    "ProbeTrial": obj({"verdict": {"type": "string"}, "cause": {"type": "string"}, "latency_ms": {"type": ["number", "null"]},
                       "target": {"type": "string"}, "checked_at": TIME},
                      {"http_code": {"type": ["integer", "null"]}, "excerpt": {"type": ["string", "null"]},
                       "failed_conditions": {"type": "array"}}),
    "AgentAssignment": obj({"vantage": {"type": "string"}, "agent": {"type": "string"}, "generated_at": TIME,
                            "endpoints": array(obj({"id": {"type": "string"}, "kind": {"type": "string"},
                                                    "target": {"type": "string"}, "interval_s": {"type": "number"},
                                                    "timeout_s": {"type": "number"}, "options": {"type": "object"},
                                                    "vantage": {"type": "string"}}))}),
    "AgentAck": obj({"stored": array({"type": "string"}), "duplicates": array({"type": "string"}),
                     "refused": array(obj({"id": {"type": "string"}, "reason": {"type": "string"}})),
                     "clock_skew_s": {"type": "number"}, "skew_flagged": {"type": "boolean"},
                     "check_now": array({"type": "string"})}),
    "Agent": obj({"id": {"type": "integer"}, "name": {"type": "string"}, "vantage": {"type": "string"},
                  "state": {"type": "string", "enum": ["ok", "silent", "never", "revoked"]},
                  "silent": {"type": "boolean"}, "last_contact_at": TIME, "endpoints": {"type": "integer"}},
                 {"batch_interval_s": {"type": "number"}, "clock_skew_s": {"type": ["number", "null"]},
                  "skew_flagged": {"type": "boolean"}, "results_stored": {"type": "integer"},
                  "duplicates": {"type": "integer"}, "rejected_batches": {"type": "integer"},
                  "last_rejection": {"type": ["string", "null"]}, "last_address": {"type": ["string", "null"]}}),
    "Agents": obj({"generated_at": TIME, "agents": array(ref("Agent"))}),
}

ADMIN = "admin (session)"
CATALOG_REFUSALS = {400: "CatalogProblems", 403: "Error", 404: "Error", 409: "Error", 413: "Error"}

AGENT_BATCH_BODY = {"required": True, "description": (
    "A batch of results, signed: header X-IOC-Signature: sha256=<hex HMAC-SHA256 of the raw body>, the key "
    "being HMAC-SHA256(key=SHA-256(token), msg='ioc-agent-batch-v1') (docs/agents.md)"),
    "content": {"application/json": {"schema": obj(
        {"batch_id": {"type": "string", "format": "uuid"}, "sent_at": TIME,
         "results": array(obj({"id": {"type": "string", "format": "uuid"}, "endpoint": {"type": "string"},
                               "verdict": {"type": "string", "enum": ["up", "degraded", "down", "unknown"]},
                               "checked_at": TIME},
                              {"reason": {"type": "string"}, "latency_ms": {"type": ["number", "null"]},
                               "http_code": {"type": ["integer", "null"]}, "detail": {"type": ["object", "null"]},
                               "missed": {"type": "boolean"}, "cause": {"type": ["string", "null"]},
                               "params": {"type": ["object", "null"]}}))},
        {"batch_interval_s": {"type": "number"}, "version": {"type": "string"}})}}}

JSON_BODY = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}

# (method, Flask rule) -> operation. `security`: who may call it (docs/security.md).
OPERATIONS: dict[tuple[str, str], dict] = {
    ("GET", "/api/health"): {"summary": "Liveness of the app, the collector and the database", "security": "public",
                             "responses": {200: "Health", 503: "Health"}},
    ("GET", "/api/systems"): {"summary": "Every system with its endpoints, links and uptime", "query": LANG,
                              "responses": {200: "Systems", 400: "Error"}},
    ("GET", "/api/incidents"): {"summary": "Incidents, newest first", "responses": {200: "Incidents", 400: "Error"},
                                "query": {"open": "1 for open incidents only", "system": "a system id", **LANG}},
    ("POST", "/api/endpoints/<endpoint_id>/check"): {"summary": "Ask the collector to check an endpoint now",
                                                     "security": "operator", "responses": {202: "CheckRequested", 404: "Error"}},
    ("POST", "/api/incidents/<int:incident_id>/public-note"): {
        "summary": "Set the note the public status page shows for an incident", "security": "operator",
        "body": JSON_BODY, "responses": {200: "PublicNote", 400: "Error", 404: "Error"}},
    ("GET", "/api/alerts"): {"summary": "Security alerts, filtered and paged", "responses": {200: "Alerts", 400: "Error"},
                             "query": {"status": "new, acknowledged, resolved (repeatable)",
                                       "severity": "critical … info (repeatable)", "system": "a system id",
                                       "agency": "an agency id", "source": "a source name", "q": "text search",
                                       "limit": "1-500", "offset": "0 or more"}},
    ("GET", "/api/alerts/<int:alert_id>"): {"summary": "One alert with its history", "responses": {200: "Alert", 404: "Error"}},
    ("POST", "/api/alerts/ingest/<source>"): {"summary": "Receive alerts from a SIEM or SOC (the source's own token)",
                                              "security": "source token", "body": JSON_BODY,
                                              "responses": {202: "AlertAccepted", 400: "Error", 401: "Error", 413: "Error",
                                                            429: "Error"}},
    ("GET", "/api/progress"): {"summary": "Plan progress per agency, partner and category, with each agency's last report",
                               "security": "reporter and above (session or token)",
                               "query": {"view": "accepted (default: figures the IOC accepted) or reported (as agencies "
                                                 "last reported them, pending updates included)"},
                               "responses": {200: "Progress", 400: "Error"}},
    ("GET", "/api/coverage"): {"summary": "Integration coverage per agency and system", "responses": {200: "Coverage"}},
    ("GET", "/api/units"): {"summary": "Agencies and commune-level units with their official codes and coordinates",
                            "responses": {200: "Units"}},
    ("GET", "/api/heartbeat/<token>"): {"summary": "A push heartbeat (plain cron curl)", "security": "heartbeat token",
                                        "responses": {200: "HeartbeatAccepted", 404: "Error"}},
    ("POST", "/api/heartbeat/<token>"): {"summary": "A push heartbeat with an optional JSON status",
                                         "security": "heartbeat token",
                                         "responses": {200: "HeartbeatAccepted", 400: "Error", 404: "Error", 413: "Error"}},
    ("GET", "/api/map/boundary.geojson"): {"summary": "The province outline for the maps (CC BY-SA 4.0)",
                                           "responses": {200: "GeoJSON", 404: "Error"}},
    ("POST", "/api/demo/systems/<system_id>/mode"): {"summary": "Demo only: simulate a fault", "security": "operator",
                                                     "body": JSON_BODY, "responses": {200: "DemoMode", 400: "Error", 404: "Error"}},
    ("GET", "/api/openapi.json"): {"summary": "This description", "responses": {200: "OpenAPI"}},
    ("GET", "/api/routes"): {"summary": "Notification routes (targets masked) with their warnings and delivery counts",
                             "responses": {200: "Routes"}},
    ("GET", "/api/routes/deliveries"): {"summary": "The notification delivery log, newest first",
                                        "query": {"route": "a route id", "state": "a delivery state (repeatable)",
                                                  "limit": "1-500"},
                                        "responses": {200: "Deliveries", 400: "Error"}},
    ("POST", "/api/routes"): {"summary": "Create a notification route", "security": "admin", "body": JSON_BODY,
                              "responses": {201: "Route", 400: "FieldError", 403: "Error"}},
    ("PUT", "/api/routes/<route_id>"): {"summary": "Replace a notification route", "security": "admin", "body": JSON_BODY,
                                        "responses": {200: "Route", 400: "FieldError", 403: "Error", 404: "Error"}},
    ("DELETE", "/api/routes/<route_id>"): {"summary": "Delete a notification route", "security": "admin",
                                           "responses": {200: "RouteDeleted", 400: "FieldError", 404: "Error"}},
    ("POST", "/api/routes/<route_id>/test"): {"summary": "Send a test message through a route now (Gửi thử)",
                                              "security": "admin", "responses": {200: "RouteTest", 404: "Error"}},
    ("GET", "/api/availability"): {"summary": "Availability per system for a month: uptime, downtime, incidents, MTTA, MTTR, MTBF",
                                   "query": {"month": "YYYY-MM (default: this month)"},
                                   "responses": {200: "Availability", 400: "Error"}},
    ("GET", "/api/incidents/<int:incident_id>"): {"summary": "One incident with its comment thread and timeline",
                                                   "query": LANG, "responses": {200: "IncidentDetail", 400: "Error", 404: "Error"}},
    ("GET", "/api/incidents/stats"): {"summary": "MTTA and MTTR per system for a month",
                                      "query": {"system": "a system id", "month": "YYYY-MM"},
                                      "responses": {200: "IncidentStats", 400: "Error"}},
    ("POST", "/api/incidents/<int:incident_id>/comments"): {"summary": "Add a comment to an incident's thread",
                                                            "security": "operator", "body": JSON_BODY,
                                                            "responses": {200: "IncidentDetail", 400: "Error", 404: "Error"}},
    ("POST", "/api/incidents/<int:incident_id>/acknowledge"): {"summary": "Acknowledge an incident", "security": "operator",
                                                               "body": JSON_BODY,
                                                               "responses": {200: "IncidentDetail", 400: "Error", 404: "Error"}},
    ("POST", "/api/incidents/<int:incident_id>/close"): {"summary": "Close a resolved incident with its post-incident note",
                                                         "security": "operator", "body": JSON_BODY,
                                                         "responses": {200: "IncidentDetail", 400: "Error", 404: "Error"}},
    ("GET", "/api/catalog/export"): {"summary": "The catalog in force: its document and YAML (?format=yaml: the file)",
                                     "security": ADMIN, "query": {"format": "yaml for the file itself"},
                                     "responses": {200: "CatalogExport", 404: "Error"}},
    ("POST", "/api/catalog/import"): {"summary": "Import a whole YAML catalog as one revision (?dry_run=1: the diff only)",
                                      "security": ADMIN, "query": {"dry_run": "1 to see the changes without storing them"},
                                      "body": {"required": True, "content": {"application/yaml": {"schema": {"type": "string"}}}},
                                      "responses": {200: "CatalogImport", **CATALOG_REFUSALS}},
    ("POST", "/api/catalog/systems"): {"summary": "Add a system (with its endpoints, optionally)", "security": ADMIN,
                                       "body": JSON_BODY, "responses": {201: "CatalogChange", **CATALOG_REFUSALS}},
    ("PATCH", "/api/catalog/systems/<system_id>"): {"summary": "Change a system's fields (null resets one)",
                                                    "security": ADMIN, "body": JSON_BODY,
                                                    "responses": {200: "CatalogChange", **CATALOG_REFUSALS}},
    ("DELETE", "/api/catalog/systems/<system_id>"): {"summary": "Remove a system from the catalog (its history stays)",
                                                     "security": ADMIN, "responses": {200: "CatalogChange", **CATALOG_REFUSALS}},
    ("POST", "/api/catalog/systems/<system_id>/endpoints"): {"summary": "Add an endpoint to a system", "security": ADMIN,
                                                             "body": JSON_BODY,
                                                             "responses": {201: "CatalogChange", **CATALOG_REFUSALS}},
    ("PATCH", "/api/catalog/systems/<system_id>/endpoints/<endpoint_id>"): {
        "summary": "Change an endpoint (null resets a key)", "security": ADMIN, "body": JSON_BODY,
        "responses": {200: "CatalogChange", **CATALOG_REFUSALS}},
    ("DELETE", "/api/catalog/systems/<system_id>/endpoints/<endpoint_id>"): {
        "summary": "Remove an endpoint", "security": ADMIN, "responses": {200: "CatalogChange", **CATALOG_REFUSALS}},
    ("POST", "/api/catalog/test-probe"): {"summary": "Run a probe once with unsaved settings (network guard applies)",
                                          "security": ADMIN, "body": JSON_BODY,
                                          "responses": {200: "ProbeTrial", 400: "CatalogProblems", 403: "Error", 413: "Error"}},
    ("GET", "/api/catalog/revisions"): {"summary": "Catalog revisions, newest first", "security": ADMIN,
                                        "query": {"limit": "1-1000 (default 100)"},
                                        "responses": {200: "CatalogRevisions", 400: "Error"}},
    ("GET", "/api/catalog/revisions/<int:revision_id>"): {"summary": "One revision with its full document",
                                                          "security": ADMIN,
                                                          "responses": {200: "CatalogRevision", 404: "Error"}},
    ("POST", "/api/catalog/rollback/<int:revision_id>"): {"summary": "Make a past revision the catalog again (as a new revision)",
                                                          "security": ADMIN,
                                                          "responses": {200: "CatalogChange", **CATALOG_REFUSALS}},
    ("GET", "/api/maintenance"): {"summary": "Maintenance windows, one-off and recurring",
                                  "responses": {200: "MaintenanceWindows"}},
    ("GET", "/api/maintenance/upcoming"): {"summary": "The next maintenance occurrences",
                                           "responses": {200: "MaintenanceUpcoming"}},
    ("POST", "/api/maintenance"): {"summary": "Plan a maintenance window (one-off or an RRULE)", "security": "operator",
                                   "body": JSON_BODY, "responses": {201: "MaintenanceWindow", 400: "Error", 404: "Error"}},
    ("PATCH", "/api/maintenance/<int:window_id>"): {"summary": "Change a maintenance window", "security": "operator",
                                                    "body": JSON_BODY,
                                                    "responses": {200: "MaintenanceWindow", 400: "Error", 404: "Error"}},
    ("DELETE", "/api/maintenance/<int:window_id>"): {"summary": "Cancel a maintenance window", "security": "operator",
                                                     "responses": {200: "MaintenanceWindow", 404: "Error"}},
    ("GET", "/api/agent/assignment"): {"summary": "A remote agent's endpoints: its vantage's only, with what a probe needs",
                                       "security": "agent token", "responses": {200: "AgentAssignment", 401: "Error"}},
    ("POST", "/api/agent/results"): {
        "summary": "A remote agent's signed batch of results; each result stored once by its id",
        "security": "agent token + HMAC signature", "body": AGENT_BATCH_BODY,
        "responses": {200: "AgentAck", 400: "Error", 401: "Error", 409: "Error", 413: "Error", 503: "Error"}},
    ("GET", "/api/agents"): {"summary": "Remote agents: last contact, silent or not, clock skew, results received",
                             "responses": {200: "Agents"}},
}

# --- agencies' own reports (docs/reporting.md)
SCHEMAS.update({
    "ReportError": obj({"error": {"type": "string"}},
                       {"error_vi": {"type": "string"}, "field": {"type": ["string", "null"]}, "code": {"type": "string"},
                        "problems": array(obj({"error": {"type": "string"}, "field": {"type": ["string", "null"]},
                                               "code": {"type": "string"}}))}),
    "MyTask": obj({"id": {"type": "integer"}, "title": {"type": "string"}, "agency_id": {"type": "string"},
                   "due": {"type": "string", "format": "date"}, "accepted_percent": {"type": "number"},
                   "accepted_status": {"type": "string"}, "reported_percent": {"type": "number"},
                   "reported_status": {"type": "string"}, "pending": {"type": "integer"},
                   "overdue": {"type": "boolean"}, "confirmed_this_week": {"type": "boolean"}},
                  {"code": {"type": ["string", "null"]}, "reported_state": {"type": ["string", "null"]},
                   "last_update_at": TIME, "days_left": {"type": "integer"}, "due_soon": {"type": "boolean"}}),
    "MyTasks": obj({"generated_at": TIME, "date": {"type": "string", "format": "date"},
                    "scope": obj({"agencies": array({"type": "string"}), "partners": array({"type": "string"})}),
                    "tasks": array(ref("MyTask"))}),
    "TaskUpdate": obj({"id": {"type": "integer"}, "task_id": {"type": "integer"}, "kind": {"type": "string", "enum": ["update", "no_change"]},
                       "at": TIME, "author": {"type": "string"}, "old_percent": {"type": "number"},
                       "new_percent": {"type": "number"}, "old_status": {"type": "string"}, "new_status": {"type": "string"},
                       "review_state": {"type": "string", "enum": ["pending", "accepted", "returned"]}},
                      {"note": {"type": ["string", "null"]}, "done_on": {"type": ["string", "null"]},
                       "evidence_url": {"type": ["string", "null"]}, "evidence": {"type": ["object", "null"]},
                       "reviewed_at": TIME, "reviewed_by": {"type": ["string", "null"]},
                       "review_comment": {"type": ["string", "null"]}}),
    "TaskUpdateResult": obj({"update": ref("TaskUpdate")}),
    "TaskTimeline": obj({"generated_at": TIME, "task": obj({"id": {"type": "integer"}, "updates": array(ref("TaskUpdate"))})}),
    "ReviewQueue": obj({"generated_at": TIME, "pending": array(ref("TaskUpdate"))}),
    "Attachment": {"type": "string", "description": "the evidence file (PDF, PNG, JPEG or DOCX), served with "
                                                    "Content-Disposition: attachment"},
})
REPORT_BODY = {"required": True, "description": "percent (0–100), status (chua_bat_dau, dang_thuc_hien, hoan_thanh, "
               "tam_dung), note (≤ 2,000 characters; required when progress goes backwards), done_on (YYYY-MM-DD, not in "
               "the future; with hoan_thanh), evidence_url (http/https), kind (update | no_change: \"nothing changed this "
               "week\"); in multipart/form-data also a file \"evidence\" (PDF, PNG, JPEG or DOCX, ≤ 5 MB, type read from "
               "the content)",
               "content": {"application/json": {"schema": {"type": "object"}},
                           "multipart/form-data": {"schema": {"type": "object", "properties": {
                               "evidence": {"type": "string", "format": "binary"}}}}}}
OPERATIONS.update({
    ("GET", "/api/my/tasks"): {"summary": "The caller's tasks: their agencies' (and partner's), with accepted and reported figures",
                               "security": "reporter and above (session or reporter token)", "responses": {200: "MyTasks"}},
    ("GET", "/api/tasks/<int:task_id>/updates"): {"summary": "A task's timeline: every update, newest first",
                                                  "security": "reporter (own agencies' tasks; else 403, audited) and viewer and above",
                                                  "responses": {200: "TaskTimeline", 403: "ReportError", 404: "ReportError"}},
    ("POST", "/api/tasks/<int:task_id>/updates"): {
        "summary": "Report progress on a task (a new update, pending review), or a weekly \"nothing changed\"",
        "security": "reporter in scope (session or reporter token), admin", "body": REPORT_BODY,
        "responses": {201: "TaskUpdateResult", 400: "ReportError", 403: "ReportError", 404: "ReportError",
                      413: "ReportError", 415: "ReportError"}},
    ("GET", "/api/task-updates"): {"summary": "Updates waiting for review, the longest waiting first",
                                   "responses": {200: "ReviewQueue"}},
    ("GET", "/api/task-updates/<int:update_id>/evidence"): {
        "summary": "An update's evidence file, as an attachment", "security": "as the task's timeline",
        "media": {200: "application/octet-stream"},
        "responses": {200: "Attachment", 403: "ReportError", 404: "ReportError"}},
    ("POST", "/api/task-updates/<int:update_id>/review"): {
        "summary": "Accept an update (its figures become the task's) or return it with a comment", "security": "operator",
        "body": JSON_BODY, "responses": {200: "TaskUpdateResult", 400: "ReportError", 403: "ReportError", 404: "ReportError"}},
})

_CONVERTER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def openapi_path(rule: str) -> str:
    """/api/alerts/<int:alert_id> -> /api/alerts/{alert_id}"""
    return _CONVERTER.sub(r"{\1}", rule)


def api_rules(app) -> list[tuple[str, str]]:
    """(method, rule) of every JSON API route the app serves."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule))
    return sorted(found)


def build(app) -> dict:
    paths: dict[str, dict] = {}
    for method, rule in api_rules(app):
        meta = OPERATIONS.get((method, rule))
        operation: dict = {"operationId": f"{method.lower()}_{re.sub(r'[^a-z0-9]+', '_', rule.lower()).strip('_')}"}
        if meta is None:
            operation.update({"summary": "(undocumented)", "x-undocumented": True,
                              "responses": {"default": {"description": "undocumented"}}})
        else:
            operation["summary"] = meta["summary"]
            operation["x-access"] = meta.get("security", "viewer (session or API token)")
            parameters = [{"name": name, "in": "path", "required": True,
                           "schema": {"type": "integer" if f"<int:{name}>" in rule else "string"}}
                          for name in _CONVERTER.findall(rule)]
            parameters += [{"name": name, "in": "query", "required": False, "description": text,
                            "schema": {"type": "string"}} for name, text in meta.get("query", {}).items()]
            if parameters:
                operation["parameters"] = parameters
            if "body" in meta:
                operation["requestBody"] = meta["body"]
            media = meta.get("media", {})  # a response that is not JSON (a file) names its type
            operation["responses"] = {
                str(code): {"description": schema, "content": {media.get(code, "application/json"): {"schema": ref(schema)}}}
                for code, schema in meta["responses"].items()}
        paths.setdefault(openapi_path(rule), {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "IOC Quảng Ngãi — JSON API", "version": "1",
                 "description": "Trung tâm Giám sát, điều hành thông minh tỉnh Quảng Ngãi. See docs/api.md."},
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "ioc_session"},
                                "token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"session": []}, {"token": []}],
    }


@openapi.get("/openapi.json")
def describe():
    return jsonify(build(current_app))
