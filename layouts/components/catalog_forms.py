"""Pure builders of the catalog editor: one input per field of a probe kind's options model
(plain field descriptions from dashboard.readmodels.catalog.kind_fields), field error messages,
the test-probe result and the revisions table."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from dashboard.i18n import format_ms, local_time, status_label, t

OPT = "ep-opt"  # pattern-matching id type of the kind's inputs: {"type": OPT, "name": field}
OPT_ERR = "admin-ep-opt-err"  # their error messages (written by the admin's save callback)
DEGRADED = "#degraded"
VERDICT_COLOURS = {"up": "success", "degraded": "warning", "down": "danger"}


def may_manage() -> bool:
    """May the signed-in person change the catalog? (The service checks again.)"""
    from dashboard.auth.permissions import allowed

    try:
        return allowed("manage_catalog")
    except Exception:  # noqa: BLE001 - no access control installed: trusted process
        return True


def banner(view: dict, lang: str, may_edit: bool):
    if view["file"]:
        return dbc.Alert(t("cat.file_banner", lang, file=view["file"]), color="warning", className="cat-file-banner")
    if not may_edit:
        return dbc.Alert(t("cat.readonly_role", lang), color="info", className="cat-readonly-banner")
    return None


def label_of(name: str, lang: str) -> str:
    key = f"cat.field.{name}"
    text = t(key, lang)
    return name if text == key else text


def kind_inputs(fields: list[dict], values: dict, lang: str, disabled: bool):
    """The inputs of a kind's own keys, generated from its field descriptions: two columns on a
    wide screen, the conditions across both."""
    return dbc.Row([dbc.Col(item, md=12 if "cat-conditions" in (getattr(item, "className", "") or "") else 6)
                    for item in _kind_rows(fields, values, lang, disabled)], className="g-3")


def _kind_rows(fields: list[dict], values: dict, lang: str, disabled: bool) -> list:
    rows = []
    for field in fields:
        name, shape = field["name"], field["input"]
        value = values.get(name)
        help_parts = [field["description"]] if field["description"] else []
        default = field["default"]
        if default not in (None, [], {}, "") and shape not in ("bool",):
            help_parts.append(t("cat.ep.default", lang, value=default))
        input_id = {"type": OPT, "name": name}
        if shape == "bool":
            control = dbc.Switch(id=input_id, value=bool(default) if value is None else bool(value),
                                 label=label_of(name, lang), disabled=disabled)
            rows.append(html.Div([control, _help(help_parts), _error(name)], className="mb-2"))
            continue
        if shape == "select":
            control = dbc.Select(id=input_id, options=[{"label": str(o), "value": o} for o in field["options"]],
                                 value=value if value is not None else default, disabled=disabled)
        elif shape == "conditions":
            rows.append(html.Div([
                dbc.Label(t("cat.ep.conditions_down", lang), html_for=f"opt-{name}"),
                dbc.Textarea(id=input_id, value=value or "", rows=3, disabled=disabled, className="font-monospace",
                             placeholder="[STATUS] == 200"),
                dbc.Label(t("cat.ep.conditions_degraded", lang), className="mt-2"),
                dbc.Textarea(id={"type": OPT, "name": name + DEGRADED}, value=values.get(name + DEGRADED) or "", rows=2,
                             disabled=disabled, className="font-monospace", placeholder="[RESPONSE_TIME] < 2000"),
                html.Div(t("cat.ep.conditions_help", lang), className="form-text cat-conditions-help"),
                _error(name),
            ], className="mb-3 cat-conditions"))
            continue
        elif shape in ("lines", "mapping"):
            help_parts.append(t(f"cat.ep.{shape}_help", lang))
            control = dbc.Textarea(id=input_id, value=value or "", rows=2, disabled=disabled, className="font-monospace")
        elif shape in ("int", "number"):
            control = dbc.Input(id=input_id, type="number", value=value, min=field["min"], max=field["max"],
                                step=1 if shape == "int" else "any", disabled=disabled,
                                placeholder=None if default is None else str(default))
        else:
            control = dbc.Input(id=input_id, type="text", value=value if value is None or isinstance(value, str) else str(value),
                                disabled=disabled)
        rows.append(html.Div([dbc.Label(label_of(name, lang)), control, _help(help_parts), _error(name)], className="mb-2"))
    return rows


def _help(parts: list[str]):
    return html.Div(" · ".join(str(p) for p in parts), className="form-text") if parts else None


def _error(name: str):
    return html.Div(id={"type": OPT_ERR, "name": name}, className="invalid-feedback d-block")


def field_messages(problems: list[dict], names: list[str]) -> tuple[list[str], list[str]]:
    """(a message per name in `names`, the problems that belong to none of them)."""
    by_field: dict[str, list[str]] = {n: [] for n in names}
    rest = []
    for problem in problems or []:
        field = problem.get("field")
        head = None
        if field is not None:
            head = field.split(".")[0].split("[")[0]
        if head in by_field and head:
            by_field[head].append(problem["message"])
        else:
            where = problem.get("field") or problem.get("path") or ""
            rest.append(f"{where}: {problem['message']}" if where else problem["message"])
    return ["; ".join(by_field[n]) for n in names], rest


def problems_list(rest: list[str], lang: str):
    if not rest:
        return None
    return html.Div([html.Strong(t("cat.other_problems", lang)), html.Ul([html.Li(p) for p in rest])],
                    className="text-danger small mt-2 cat-problems")


def trial_result(result: dict, lang: str):
    """Verdict, cause, latency, HTTP code, failed conditions and the response excerpt."""
    verdict = result.get("verdict", "unknown")
    rows = [
        (t("cat.trial.verdict", lang), html.Span(dbc.Badge(status_label(verdict, lang), color=VERDICT_COLOURS.get(verdict, "secondary"),
                                                           className="fs-6"),
                                                 className="cat-trial-verdict", **{"data-verdict": verdict})),
        (t("cat.trial.cause", lang), result.get("cause") or "—"),
        (t("cat.trial.latency", lang), format_ms(result.get("latency_ms"))),
        (t("cat.trial.target", lang), html.Code(result.get("target") or "—")),
    ]
    if result.get("http_code") is not None:
        rows.append((t("cat.trial.code", lang), str(result["http_code"])))
    if result.get("failed_conditions"):
        rows.append((t("cat.trial.failed", lang), html.Ul([html.Li(html.Code(c)) for c in result["failed_conditions"]],
                                                          className="mb-0")))
    table = html.Table(html.Tbody([html.Tr([html.Th(k, className="pe-3 text-nowrap"), html.Td(v)]) for k, v in rows]),
                       className="table table-sm mb-2")
    excerpt = result.get("excerpt")
    body = [table]
    if excerpt:
        body += [html.Div(t("cat.trial.excerpt", lang), className="small fw-bold"),
                 html.Pre(excerpt[:2000], className="cat-trial-excerpt small bg-light p-2 border rounded mb-0")]
    return dbc.Card(dbc.CardBody(body), className="cat-trial-result mt-2")


def revisions_table(rows: list[dict], current: int | None, lang: str, may_edit: bool):
    if not rows:
        return dbc.Alert(t("cat.rev.empty", lang), color="light")
    head = html.Thead(html.Tr([html.Th(t(f"cat.rev.col.{k}", lang)) for k in ("id", "at", "author", "action", "summary")]
                              + ([html.Th("")] if may_edit else [])))
    body = []
    for row in rows:
        headline = t("cat.rev.n_changes", lang, n=row["count"]) + (": " + ", ".join(row["paths"]) if row["paths"] else "") \
            + ("…" if row["count"] > len(row["paths"]) else "")
        changes = html.Details([html.Summary(headline, className="fw-normal"),
                                html.Ul([html.Li(html.Code(c)) for c in row["changes"]]
                                        + ([html.Li(t("cat.rev.more", lang, n=row["more"]))] if row["more"] else []),
                                        className="small mb-0")])
        cells = [html.Td([f"#{row['id']}", dbc.Badge(t("cat.rev.current", lang), color="primary", className="ms-1")
                          if row["id"] == current else None]),
                 html.Td(local_time(row["at"], with_date=True), className="text-nowrap"),
                 html.Td(row["author"]), html.Td(html.Code(row["action"])), html.Td(changes)]
        if may_edit:
            cells.append(html.Td(dbc.Button(t("cat.rev.rollback", lang), id={"type": "cat-rollback", "rev": row["id"]},
                                            size="sm", color="outline-secondary", className="text-nowrap")
                                 if row["id"] != current else None))
        body.append(html.Tr(cells, className="cat-revision", **{"data-revision": str(row["id"])}))
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, responsive=True, className="cat-revisions")
