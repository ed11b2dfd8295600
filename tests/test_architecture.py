"""The folder tree's rules, enforced: the import contracts in .importlinter and no import cycles."""
from __future__ import annotations

import re
import subprocess
import sys

import grimp
import pytest

from tests.conftest import PROJECT_DIR

PACKAGES = ("collectors", "dashboard", "layouts")


def test_import_contracts_hold():
    # lint-imports in a child process: it imports every module it analyses into its own interpreter
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports('.importlinter', no_cache=True))"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def import_cycles(graph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), every import counted,
    including those inside functions."""
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(start: str) -> None:
        # iterative, so a deep import chain cannot hit the recursion limit
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        cycles.append(sorted(group))

    for module in modules:
        if module not in index:
            visit(module)
    return cycles


def test_no_import_cycles():
    sys.path.insert(0, str(PROJECT_DIR))
    graph = grimp.build_graph(*PACKAGES)
    assert import_cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert import_cycles(graph) == [["pkg.a", "pkg.b"]]


# Leadership pages being moved behind the facade on their own branch; remove each name as it lands.
DATABASE_REACH = re.compile(r"\bselect\(|\bsession\b|current_app\.extensions|SQLAlchemyError")


def database_reach(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if DATABASE_REACH.search(line)]


def test_pages_never_touch_the_database_themselves():
    """No session, no select, no runtime from the Flask app in layouts/: pages call
    dashboard.web.facade (reads through read models, actions through services)."""
    found = {}
    for path in sorted((PROJECT_DIR / "layouts").rglob("*.py")):
        lines = database_reach(path.read_text(encoding="utf-8"))
        if lines:
            found[str(path.relative_to(PROJECT_DIR))] = lines
    assert found == {}


@pytest.mark.parametrize("line, reaches", [
    ('    with current_app.extensions["ioc"].db.session() as session:', True),
    ("    rows = session.scalars(select(Endpoint.id))", True),
    ("    except SQLAlchemyError as exc:", True),
    ("    rows = facade().read(detail_queries.catalog_rows, utcnow())", False),
    ('    """Sessions of the wall: none here."""', False),
])
def test_the_database_reach_finder(line, reaches):
    assert bool(database_reach(line)) is reaches
