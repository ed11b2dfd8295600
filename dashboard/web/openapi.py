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
                     "http_code": {"type": ["integer", "null"]}, "reason": {"type": ["string", "null"]},
                     "checked_at": TIME, "status_since": TIME, "uptime": UPTIME,
                     "missed_24h": {"type": "integer"}, "commune": {"type": "boolean"}}),
    "Link": obj({"id": {"type": "string"}, "platform": {"type": "string"}, "status": STATUS,
                 "monitored": {"type": "boolean"}},
                {"platform_name_vi": {"type": "string"}, "platform_name_en": {"type": "string"},
                 "declared": {"type": ["string", "null"]}, "reason": {"type": ["string", "null"]},
                 "last_check_at": TIME, "uptime": UPTIME}),
    "System": obj({"id": {"type": "string"}, **NAMES, "status": STATUS, "stale": {"type": "boolean"},
                   "endpoints": array(ref("Endpoint")), "links": array(ref("Link"))},
                  {"owner": {"type": ["object", "null"]}, "partner": {"type": ["string", "null"]},
                   "reason": {"type": ["string", "null"]}, "status_since": TIME, "last_check_at": TIME,
                   "uptime": UPTIME}),
    "Systems": obj({"generated_at": TIME,
                    "counts": obj({s: {"type": "integer"} for s in STATUS["enum"]}),
                    "systems": array(ref("System"))}),
    "Incident": obj({"id": {"type": "integer"}, "subject_type": {"type": "string", "enum": ["endpoint", "system", "link"]},
                     "subject_id": {"type": "string"}, "system_id": {"type": "string"},
                     "severity": {"type": "string"}, "started_at": TIME, "open": {"type": "boolean"}},
                    {"ended_at": TIME, "duration_s": {"type": ["number", "null"]}, "cause": {"type": ["string", "null"]},
                     "last_reason": {"type": ["string", "null"]}, "acknowledged_at": TIME,
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
                     "agencies": array(obj({"id": {"type": "string"}, **NAMES})), "partners": {"type": "array"}},
                    {"categories": {"type": "array"}, "trend": {"type": "array"}, "demo_data": {"type": "boolean"}}),
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
    "Availability": obj({"generated_at": TIME, "systems": {"type": "array"}}),
    "MaintenanceWindows": obj({"generated_at": TIME, "windows": {"type": "array"}}),
    "MaintenanceUpcoming": obj({"generated_at": TIME, "upcoming": {"type": "array"}}),
    "MaintenanceWindow": obj({"id": {"type": "integer"}}),
}

JSON_BODY = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}

# (method, Flask rule) -> operation. `security`: who may call it (docs/security.md).
OPERATIONS: dict[tuple[str, str], dict] = {
    ("GET", "/api/health"): {"summary": "Liveness of the app, the collector and the database", "security": "public",
                             "responses": {200: "Health", 503: "Health"}},
    ("GET", "/api/systems"): {"summary": "Every system with its endpoints, links and uptime", "responses": {200: "Systems"}},
    ("GET", "/api/incidents"): {"summary": "Incidents, newest first", "responses": {200: "Incidents"},
                                "query": {"open": "1 for open incidents only", "system": "a system id"}},
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
    ("GET", "/api/progress"): {"summary": "Plan progress per agency, partner and category", "responses": {200: "Progress"}},
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
    ("GET", "/api/availability"): {"summary": "Availability per system for a month: uptime, downtime, incidents, MTTR, MTBF",
                                   "query": {"month": "YYYY-MM (default: this month)"},
                                   "responses": {200: "Availability", 400: "Error"}},
    ("GET", "/api/incidents/<int:incident_id>"): {"summary": "One incident with its comment thread and timeline",
                                                   "responses": {200: "IncidentDetail", 404: "Error"}},
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
}

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
            operation["responses"] = {
                str(code): {"description": schema, "content": {"application/json": {"schema": ref(schema)}}}
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
