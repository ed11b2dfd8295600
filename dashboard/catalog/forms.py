"""The endpoint editor's form, generated from each probe kind's options model
(collectors/<kind>.py): one input per field, its type, default, bounds and description taken from
the model, so a new kind needs no new page. And the way back: what a form sends becomes the
endpoint's keys, validated afterwards by the same models as a file (nothing is checked here
that the models check)."""
from __future__ import annotations

import types
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

import collectors
from collectors.options import ConditionSpec

# the generic keys every endpoint has, in the form's order (EndpointSpec)
GENERIC = ("id", "name", "kind", "interval", "timeout", "critical", "enabled", "failures_before_down", "successes_before_up")
FIRST = ("url", "host", "port")  # where the probe goes: first in the form
DEGRADED = "#degraded"  # suffix of the second box of a conditions field (warnings, not failures)


def kinds() -> list[str]:
    return collectors.kinds()


def kind_fields(kind: str) -> list[dict[str, Any]]:
    """[{name, input, default, description, options, min, max}] for the kind's own keys.
    input: text | int | number | bool | select | conditions | lines | mapping."""
    model = collectors.options_model(kind)
    fields = []
    for name, info in model.model_fields.items():
        input_, options = _input(info.annotation, info.metadata)
        bounds = {k: getattr(m, k) for m in info.metadata for k in ("ge", "le", "gt", "lt") if hasattr(m, k)}
        inner = _inner(info.annotation)
        for arg in get_args(inner) if get_origin(inner) is not None else ():
            for m in getattr(arg, "__metadata__", ()):
                for k in ("ge", "le"):
                    if hasattr(m, k):
                        bounds[k] = getattr(m, k)
        fields.append({"name": name, "input": input_, "options": options, "description": info.description or "",
                       "default": _plain(info.default), "min": bounds.get("ge", bounds.get("gt")),
                       "max": bounds.get("le", bounds.get("lt"))})
    fields.sort(key=lambda f: (FIRST.index(f["name"]) if f["name"] in FIRST else len(FIRST)))
    return fields


def _inner(annotation: Any) -> Any:
    """X from Optional[X] / X | None."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _input(annotation: Any, metadata: list) -> tuple[str, list]:
    inner = _inner(annotation)
    base = get_args(inner)[0] if hasattr(inner, "__metadata__") else inner
    origin = get_origin(base)
    if base is bool:
        return "bool", []
    if origin is Literal:
        return "select", list(get_args(base))
    if origin is list:
        item = get_args(base)[0]
        item = get_args(item)[0] if hasattr(item, "__metadata__") else item
        if isinstance(item, type) and issubclass(item, ConditionSpec):
            return "conditions", []
        return "lines", []
    if origin is dict:
        return "mapping", []
    if any(type(m).__name__ == "BeforeValidator" for m in metadata):
        return "text", []  # e.g. a duration: "30s", "5m"
    if base is int:
        return "int", []
    if base is float:
        return "number", []
    return "text", []


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump()
    if value.__class__.__name__ == "PydanticUndefinedType":
        return None
    return value


# ---------------------------------------------------------------- form values <-> endpoint keys


def form_values(endpoint: dict[str, Any]) -> dict[str, Any]:
    """What the inputs show for a stored endpoint (its keys as written in the catalog)."""
    values: dict[str, Any] = {}
    kind = endpoint.get("kind", "http")
    types_ = {f["name"]: f["input"] for f in kind_fields(kind)}
    for key, value in endpoint.items():
        shape = types_.get(key)
        if shape == "conditions":
            items = [c if isinstance(c, dict) else {"condition": c} for c in value]
            values[key] = "\n".join(c["condition"] for c in items if c.get("severity", "down") == "down")
            values[key + DEGRADED] = "\n".join(c["condition"] for c in items if c.get("severity") == "degraded")
        elif shape == "lines":
            values[key] = "\n".join(str(v) for v in value)
        elif shape == "mapping":
            values[key] = "\n".join(f"{k}: {v}" for k, v in value.items())
        else:
            values[key] = value
    return values


def endpoint_from_form(kind: str, generic: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """The endpoint's keys from the form: empty inputs are left out (the default applies)."""
    shapes = {f["name"]: f for f in kind_fields(kind)}
    endpoint: dict[str, Any] = {}
    for key in GENERIC:
        value = generic.get(key)
        if _empty(value) or key == "kind" or (key in ("critical", "enabled") and value is True):
            continue  # left out: the default applies (and the catalog reads as written by hand)
        endpoint[key] = value.strip() if isinstance(value, str) else value
    if kind != "http":
        endpoint["kind"] = kind
    for name, field in shapes.items():
        value = own.get(name)
        shape = field["input"]
        if shape == "conditions":
            down = _lines(value)
            degraded = _lines(own.get(name + DEGRADED))
            if down or degraded:
                endpoint[name] = down + [{"condition": c, "severity": "degraded"} for c in degraded]
        elif shape == "lines":
            if _lines(value):
                endpoint[name] = _lines(value)
        elif shape == "mapping":
            pairs = {}
            for line in _lines(value):
                key, sep, rest = line.partition(":")
                pairs[key.strip()] = rest.strip() if sep else ""
            if pairs:
                endpoint[name] = pairs
        elif shape == "bool":
            if value is not None and bool(value) != bool(field["default"]):
                endpoint[name] = bool(value)
        elif not _empty(value):
            endpoint[name] = value.strip() if isinstance(value, str) else value
    return endpoint


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _lines(value: Any) -> list[str]:
    if not isinstance(value, str):
        return []
    return [line.strip() for line in value.splitlines() if line.strip()]
