"""WCAG 2.1 AA in the browser: axe-core (bundled by axe-playwright-python, nothing fetched) run
on every page, in Vietnamese and in English, with systems failing. Zero violations of the
WCAG 2 A/AA and 2.1 A/AA rules: <html lang> in the page's language, contrast, names of progress
bars, buttons and form fields, nothing focusable inside aria-hidden."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.conftest import stop_app
from tests.pages_tour import PAGE_NAMES, open_page, pages, start_faulty_app

pytestmark = [pytest.mark.browser]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE = Axe()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    running = start_faulty_app(tmp_path_factory.mktemp("a11y"))
    yield running
    stop_app(running)


def violations(tab) -> list[dict]:
    results = AXE.run(tab, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    return results.response["violations"]


def describe(found: list[dict]) -> str:
    lines = []
    for rule in found:
        lines.append(f"{rule['id']} ({rule['impact']}): {rule['help']} — {len(rule['nodes'])} node(s)")
        for node in rule["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'][-1:]) if node['target'] else '?'}: {node['failureSummary'][:200]}")
    return "\n".join(lines)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_page_meets_wcag_21_aa(browser, app, name, lang):
    page = next(p for p in pages(app.alert_id) if p.name == name)
    tab = open_page(browser, app, page, lang)
    assert tab.evaluate("document.documentElement.lang") == lang
    found = violations(tab)
    assert found == [], f"{name} ({lang}):\n{describe(found)}"
