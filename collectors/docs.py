"""The options tables of docs/probes.md, rendered from the kinds' options models so that the
documentation cannot drift from what the catalog accepts.

    python -m collectors.docs                    # print every generated block
    python -m collectors.docs --check docs/probes.md   # exit 1 and name the stale blocks
    python -m collectors.docs --write docs/probes.md   # rewrite the blocks in place

A block sits between `<!-- options:KIND -->` and `<!-- /options:KIND -->` (and
`options:fields` for the key → kinds overview); the prose around the blocks is hand-written.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

import collectors

_BLOCK = re.compile(r"<!-- options:(?P<name>[a-z0-9_-]+) -->\n(?P<body>.*?)<!-- /options:(?P=name) -->", re.S)


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}".replace(",", " ") if isinstance(value, int) else f"{value:g}"


def _default(field: FieldInfo) -> str:
    value: Any = field.default
    if value is PydanticUndefined or value is None:
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (list, dict)) and not value:
        return "—"
    if isinstance(value, (int, float)):
        return f"`{_number(value)}`"
    return f"`{value}`"


def _bounds(field: FieldInfo) -> str:
    parts = []
    for item in field.metadata:
        for name, symbol in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            bound = getattr(item, name, None)
            if bound is not None:
                parts.append(f"{symbol} {_number(bound)}")
    return f" ({', '.join(parts)})" if parts else ""


def kind_table(kind: str) -> str:
    """The options table of one kind: key, default, what it means."""
    model = collectors.options_model(kind)
    lines = ["| key | default | meaning |", "| --- | --- | --- |"]
    for name, field in model.model_fields.items():
        description = (field.description or "").replace("|", "\\|")
        lines.append(f"| `{name}` | {_default(field)} | {description}{_bounds(field)} |")
    if len(lines) == 2:
        lines.append("| — | | this kind has no keys of its own |")
    return "\n".join(lines) + "\n"


def fields_table() -> str:
    """Which kinds accept each key: giving a key to another kind is a catalog error."""
    owners: dict[str, list[str]] = {}
    for kind in collectors.kinds():
        for name in collectors.options_model(kind).model_fields:
            owners.setdefault(name, []).append(kind)
    lines = ["| key | kinds |", "| --- | --- |"]
    lines += [f"| `{name}` | {', '.join(kinds)} |" for name, kinds in sorted(owners.items())]
    return "\n".join(lines) + "\n"


def blocks() -> dict[str, str]:
    """Every generated block, by name."""
    return {"fields": fields_table(), **{kind: kind_table(kind) for kind in collectors.kinds()}}


def problems(text: str) -> list[str]:
    """What is stale, missing or unknown in a document's generated blocks."""
    wanted = blocks()
    found = {m["name"]: m["body"] for m in _BLOCK.finditer(text)}
    issues = [f"no <!-- options:{name} --> block (the {name} options are undocumented)"
              for name in wanted if name not in found]
    issues += [f"block options:{name} is out of date (python -m collectors.docs --write FILE)"
               for name in wanted if name in found and found[name] != wanted[name]]
    issues += [f"block options:{name} names no probe kind" for name in found if name not in wanted]
    return issues


def rewrite(text: str) -> str:
    wanted = blocks()
    return _BLOCK.sub(lambda m: (f"<!-- options:{m['name']} -->\n{wanted.get(m['name'], m['body'])}"
                                 f"<!-- /options:{m['name']} -->"), text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m collectors.docs", description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--check", metavar="FILE", help="exit 1 when FILE's generated blocks are stale or missing")
    action.add_argument("--write", metavar="FILE", help="rewrite FILE's generated blocks")
    args = parser.parse_args(argv)
    if args.check or args.write:
        path = Path(args.check or args.write)
        text = path.read_text(encoding="utf-8")
        if args.write:
            path.write_text(rewrite(text), encoding="utf-8")
            text = path.read_text(encoding="utf-8")
        issues = problems(text)
        for issue in issues:
            print(f"{path}: {issue}", file=sys.stderr)
        return 1 if issues else 0
    for name, body in blocks().items():
        print(f"<!-- options:{name} -->\n{body}<!-- /options:{name} -->\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
