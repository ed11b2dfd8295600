"""Readable health conditions (after Gatus): `[STATUS] == 200`, `[BODY].gateway.faults < 100`,
`[RESPONSE_TIME] < 2000`, `[BODY] contains "UP"`, `[HEADER].content-type contains json`,
`len([BODY].items) >= 1` (the length of a text, list or object).

Parsed once when the catalog loads (so a typo stops the app with its location), evaluated by
one small interpreter, and every failure names the condition and the value observed.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from collectors.base import Status

OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "!contains", "contains")
PLACEHOLDERS = ("STATUS", "RESPONSE_TIME", "BODY", "HEADER", "CERTIFICATE_EXPIRATION")
SEVERITIES = (Status.DOWN, Status.DEGRADED)
_MISSING = object()
_NOT_JSON = object()  # a [BODY].path condition met a body that is not JSON

FUNCTIONS = ("len",)
_PATTERN = re.compile(
    r"^\s*(?:(?P<function>[a-z]+)\(\s*)?\[(?P<placeholder>[A-Z_]+)\](?P<path>(\.[^\s)]+)?)(?(function)\s*\))\s+"
    r"(?P<op>==|!=|<=|>=|<|>|!contains|contains)\s+(?P<right>.+?)\s*$"
)


class ConditionError(ValueError):
    """A condition that cannot be parsed; the message says what is wrong."""


@dataclass(frozen=True)
class Condition:
    text: str
    placeholder: str
    path: tuple[str, ...]
    op: str
    expected: Any
    severity: Status = Status.DOWN
    function: str | None = None  # len: compare the length of the value instead of the value


@dataclass(frozen=True)
class Outcome:
    condition: Condition
    ok: bool
    observed: Any

    def describe(self) -> str:
        if self.observed is _MISSING:
            observed = "missing"
        elif self.observed is _NOT_JSON:
            observed = "a body that is not valid JSON"
        else:
            observed = _show(self.observed)
        return f"{self.condition.text} — observed {observed}"

    def to_params(self) -> dict[str, Any]:
        """The outcome as plain data for a stored cause: the condition's text and what was seen
        ("state" says when nothing was: missing, or a body that is not JSON)."""
        params: dict[str, Any] = {"condition": self.condition.text}
        if self.observed is _MISSING:
            params["state"] = "missing"
        elif self.observed is _NOT_JSON:
            params["state"] = "not_json"
        else:
            params["observed"] = _plain(self.observed)
        return params


def parse(text: str, severity: str | Status = Status.DOWN) -> Condition:
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("a condition must be a non-empty text such as '[STATUS] == 200'")
    match = _PATTERN.match(text)
    if not match:
        raise ConditionError(
            f"cannot read condition {text!r}: expected '[PLACEHOLDER] OPERATOR VALUE', "
            f"operators {', '.join(OPERATORS)}"
        )
    placeholder = match["placeholder"]
    function = match["function"]
    if function is not None and function not in FUNCTIONS:
        raise ConditionError(f"unknown function {function}() in {text!r}; known: {', '.join(f + '()' for f in FUNCTIONS)}")
    if placeholder not in PLACEHOLDERS:
        raise ConditionError(f"unknown placeholder [{placeholder}] in {text!r}; known: {', '.join(PLACEHOLDERS)}")
    path = tuple(p for p in match["path"].split(".") if p) if match["path"] else ()
    if placeholder == "HEADER" and len(path) != 1:
        raise ConditionError(f"[HEADER] needs one header name, e.g. [HEADER].content-type, in {text!r}")
    if placeholder in ("STATUS", "RESPONSE_TIME", "CERTIFICATE_EXPIRATION") and path:
        raise ConditionError(f"[{placeholder}] takes no path in {text!r}")
    op = match["op"]
    expected = _literal(match["right"])
    if function == "len":
        if placeholder not in ("BODY", "HEADER"):
            raise ConditionError(f"len() takes [BODY] or [HEADER], not [{placeholder}], in {text!r}")
        if op in ("contains", "!contains") or not isinstance(expected, int) or isinstance(expected, bool):
            raise ConditionError(f"len() is compared with a whole number (==, !=, <, <=, >, >=) in {text!r}")
    if placeholder == "CERTIFICATE_EXPIRATION":
        from collectors.timeutil import parse_duration

        try:
            expected = parse_duration(match["right"]) / 3600.0  # compared in hours
        except ValueError as exc:
            raise ConditionError(f"{exc} in {text!r}") from None
    if op in ("<", "<=", ">", ">=") and not isinstance(expected, (int, float)):
        raise ConditionError(f"operator {op} needs a number on the right in {text!r}")
    severity = Status(severity)
    if severity not in SEVERITIES:
        raise ConditionError(f"severity must be 'down' or 'degraded', not {severity!r}")
    return Condition(text.strip(), placeholder, path, op, expected, severity, function)


def _literal(raw: str) -> Any:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        return raw


@dataclass
class Observation:
    """What a probe saw, for the conditions to judge."""

    status: int | None = None
    response_time_ms: float | None = None
    body: str | None = None
    headers: dict[str, str] | None = None
    certificate_hours_left: float | None = None
    _json: Any = _MISSING

    def json(self) -> Any:
        """The body parsed as JSON; _NOT_JSON when it cannot be."""
        if self._json is _MISSING:
            try:
                self._json = json.loads(self.body) if self.body else _NOT_JSON
            except ValueError:
                self._json = _NOT_JSON
        return self._json


def evaluate(conditions: tuple[Condition, ...] | list[Condition], seen: Observation) -> list[Outcome]:
    return [_evaluate_one(condition, seen) for condition in conditions]


def _evaluate_one(condition: Condition, seen: Observation) -> Outcome:
    observed = _observe(condition, seen)
    if condition.function == "len" and observed is not _MISSING and observed is not _NOT_JSON:
        observed = len(observed) if isinstance(observed, (str, list, dict)) else _MISSING
    if observed is _MISSING or observed is _NOT_JSON:
        return Outcome(condition, condition.op in ("!=", "!contains"), observed)
    return Outcome(condition, _compare(observed, condition.op, condition.expected), observed)


def _observe(condition: Condition, seen: Observation) -> Any:
    if condition.placeholder == "STATUS":
        return seen.status if seen.status is not None else _MISSING
    if condition.placeholder == "RESPONSE_TIME":
        return round(seen.response_time_ms) if seen.response_time_ms is not None else _MISSING
    if condition.placeholder == "CERTIFICATE_EXPIRATION":
        return seen.certificate_hours_left if seen.certificate_hours_left is not None else _MISSING
    if condition.placeholder == "HEADER":
        headers = {k.lower(): v for k, v in (seen.headers or {}).items()}
        return headers.get(condition.path[0].lower(), _MISSING)
    if not condition.path:
        return seen.body if seen.body is not None else _MISSING
    value = seen.json()
    if value is _NOT_JSON:
        return _NOT_JSON
    for key in condition.path:
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return _MISSING
    return value


def _compare(observed: Any, op: str, expected: Any) -> bool:
    if op in ("contains", "!contains"):
        found = str(expected) in (observed if isinstance(observed, str) else json.dumps(observed, ensure_ascii=False))
        return found if op == "contains" else not found
    if op in ("==", "!="):
        same = _equal(observed, expected)
        return same if op == "==" else not same
    try:
        left = float(observed)
    except (TypeError, ValueError):
        return False
    return {"<": left < expected, "<=": left <= expected, ">": left > expected, ">=": left >= expected}[op]


def _equal(observed: Any, expected: Any) -> bool:
    if isinstance(observed, bool) or isinstance(expected, bool):
        return observed is expected or str(observed).lower() == str(expected).lower()
    if isinstance(observed, (int, float)) and isinstance(expected, (int, float)):
        return float(observed) == float(expected)
    return str(observed) == str(expected)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 120 else text[:117] + "…"


def _plain(value: Any) -> Any:
    """A JSON-able observed value, cut to a size a stored cause may keep."""
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:119] + "…"


def cause(outcomes: list[Outcome], http_status: int | None = None) -> tuple[str, dict[str, Any]]:
    """The cause code and parameters of judged conditions: "ok" (with the HTTP status, if any),
    or "condition_failed" naming the first failed condition and what was observed, the others
    in "others" (the worst severity first)."""
    failed = [o for o in outcomes if not o.ok]
    status = {"status": http_status} if http_status is not None else {}
    if not failed:
        return "ok", {**status, "conditions": len(outcomes)}
    failed.sort(key=lambda o: o.condition.severity != Status.DOWN)
    params = {**failed[0].to_params(), **status}
    if len(failed) > 1:
        params["others"] = [o.to_params() for o in failed[1:]]
    return "condition_failed", params


def verdict(outcomes: list[Outcome]) -> tuple[Status, str]:
    """Worst severity among failed conditions, with every failure named."""
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        return Status.UP, "all conditions met" if outcomes else "reachable"
    worst = Status.DOWN if any(o.condition.severity == Status.DOWN for o in failed) else Status.DEGRADED
    return worst, "; ".join(o.describe() for o in failed)
