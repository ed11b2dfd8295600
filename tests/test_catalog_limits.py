"""A catalog is a small, trusted-looking file that may still be hostile or simply wrong:
alias bombs, huge files and absurd nesting are refused quickly, with a clear message,
before anything is expanded."""
from __future__ import annotations

import time
import tracemalloc

import pytest
import yaml

from dashboard.catalog.loader import MAX_ALIASES, MAX_CATALOG_BYTES, MAX_NODES, CatalogError, parse_catalog
from tests.catalogs import minimal_catalog


def alias_bomb(levels: int, fan_out: int) -> str:
    """The 'billion laughs': each level repeats the previous one fan_out times."""
    lines = ["version: 1", 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * fan_out) + "]")
    return "\n".join(lines) + "\n"


def refused(text: str) -> tuple[list[str], float, int]:
    """The problems, the seconds it took, and the peak bytes allocated while refusing (measured
    in a second run: tracing allocations slows Python down several times)."""
    started = time.perf_counter()
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "bomb.yaml", {})
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    try:
        with pytest.raises(CatalogError):
            parse_catalog(text, "bomb.yaml", {})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return caught.value.problems, elapsed, peak


def test_nested_alias_bomb_within_the_alias_budget_is_refused_by_its_expanded_size():
    # 9 levels x 10 aliases = 90 aliases (under the alias budget) standing for 10^10 nodes
    problems, elapsed, peak = refused(alias_bomb(levels=9, fan_out=10))
    assert problems == [problems[0]] and f"expands to more than {MAX_NODES:,} YAML nodes" in problems[0], problems
    assert problems[0].startswith("bomb.yaml:")
    assert elapsed < 1.0 and peak < 100_000_000, (elapsed, peak)


def test_too_many_aliases_are_refused_before_composing():
    problems, elapsed, peak = refused(alias_bomb(levels=30, fan_out=4))
    assert f"more than {MAX_ALIASES} YAML aliases" in problems[0], problems
    assert elapsed < 1.0 and peak < 100_000_000, (elapsed, peak)


def test_a_recursive_alias_is_refused():
    problems, _, _ = refused("version: 1\nloop: &loop [*loop]\n")
    assert "refers to the node that contains it" in problems[0], problems


def test_absurd_nesting_is_refused_without_a_recursion_error():
    problems, elapsed, _ = refused("version: 1\nx: " + "[" * 100_000 + "]" * 100_000 + "\n")
    # our own budget (64 levels) or libyaml's (1,000), whichever the parser meets first
    assert problems[0].startswith("bomb.yaml:2: "), problems
    assert "nested more than 64 levels deep" in problems[0] or "exceeded maximum nesting depth" in problems[0], problems
    assert elapsed < 1.0


def test_a_file_over_the_size_limit_is_refused_without_parsing():
    text = minimal_catalog() + "# " + "x" * MAX_CATALOG_BYTES + "\n"
    problems, elapsed, _ = refused(text)
    assert "more than the 5,000,000-byte limit" in problems[0], problems
    assert elapsed < 1.0


def test_nesting_just_over_the_budget_is_refused_by_ours():
    problems, _, _ = refused("version: 1\nx:\n" + "".join("  " * level + "- \n" for level in range(1, 80)))
    assert "nested more than 64 levels deep" in problems[0], problems


def test_a_few_aliases_in_a_normal_catalog_still_work():
    text = minimal_catalog().replace("  - id: skhcn\n", "  - id: skhcn\n    partner: &partner VNPT\n")
    text = text.replace("    partner: VNPT\n", "    partner: *partner\n")
    spec = parse_catalog(text, "ok.yaml", {}).spec
    assert spec.agencies[0].partner == spec.systems[0].partner == "VNPT"


def test_a_catalog_of_ten_thousand_endpoints_is_not_mistaken_for_a_bomb():
    endpoints = "".join(f"""      - id: e{i}
        name: Endpoint {i}
        url: http://127.0.0.1:{20000 + i % 1000}/health
        interval: 30s
        timeout: 10s
        conditions: ["[STATUS] == 200", "[RESPONSE_TIME] < 2000"]
""" for i in range(10_000))
    text = f"""version: 1
agencies:
  - id: skhcn
    name_vi: Sở Khoa học và Công nghệ
    name_en: Department of Science and Technology
    kind: department
systems:
  - id: big
    name_vi: Hệ thống lớn
    name_en: A big system
    owner: skhcn
    endpoints:
{endpoints}"""
    catalog = parse_catalog(text, "big.yaml", {})
    assert len(catalog.spec.systems[0].endpoints) == 10_000


SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@pytest.mark.parametrize("text", [
    "version: 1\n",
    "a: 1\nb: 1.5\nc: true\nd: null\ne: ~\nf: 2026-12-02\ng: 2026-12-02T10:00:00Z\nh: '007'\ni: 0x1F\nj: .inf\n",
    "s: !!str 42\nt: !!int '7'\nu: !!float 1\nempty:\nlist: []\nmap: {}\n",
    "nested:\n  - id: a\n    tags: [x, y, {k: v}]\n  - - 1\n    - 2\n",
    "text: |\n  line one\n  line two\nfolded: >\n  one\n  two\n",
    "1: int key\n2026-01-01: date key\n? [a, b]\n: unhashable list key is refused\n",
    "dup: 1\ndup: 2\n",
    "anchored: &a {x: 1}\nplain: 2\n",  # an anchor without an alias
    "name_vi: Sở Khoa học và Công nghệ\nquoted: \"Quảng Ngãi\\tIOC\"\n",
    "---\nversion: 1\n...\n",
    "[1, 2, 3]\n",
    "just a scalar\n",
])
def test_the_event_path_builds_exactly_what_safe_loader_builds(text):
    from dashboard.catalog.loader import _data_from_events

    try:
        expected = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        with pytest.raises(yaml.YAMLError) as caught:
            _data_from_events(text, "t.yaml")
        assert type(caught.value) is type(exc)
        return
    assert _data_from_events(text, "t.yaml") == expected


@pytest.mark.parametrize("text", [
    "a: &x 1\nb: *x\n",  # an alias
    "base: &b {x: 1}\nchild:\n  <<: *b\n",  # a merge key with its alias
    "child:\n  <<: {x: 1}\n  y: 2\n",  # a merge key without an alias
    "s: !!set {a, b}\n",  # a tagged collection
    "a: 1\n---\nb: 2\n",  # two documents
])
def test_what_only_the_node_graph_handles_goes_through_it_with_the_same_result(text):
    from dashboard.catalog.loader import _NEEDS_GRAPH, _data_from_events

    assert _data_from_events(text, "t.yaml") is _NEEDS_GRAPH
    if text.count("---"):
        with pytest.raises(CatalogError, match="not valid YAML"):
            parse_catalog(text, "t.yaml", {})


def test_a_ten_thousand_endpoint_catalog_is_read_without_the_node_graph():
    """The graph PyYAML composes costs more than the data and the validated models together
    (traced here: 32 MB for the graph of this file, 15 MB for reading it whole without one)."""
    from tests.catalogs import one_big_system

    text = one_big_system(10_000)
    tracemalloc.start()
    try:
        spec = parse_catalog(text, "big.yaml", {}).spec
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sum(len(system.endpoints) for system in spec.systems) == 10_000
    assert peak < 24 * 2**20, f"peak {peak / 2**20:.0f} MB"
