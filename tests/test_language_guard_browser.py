"""A guard against English leaking into the Vietnamese pages: every page, with systems failing,
opened in Vietnamese; its visible text (and the placeholders and names screen readers read)
collected once the content is drawn; no English fragment from the lists below may appear.

Two lists, two tests: what components bring along (the grid's pager, the dropdowns' search box,
month names on chart axes, elapsed times) must already pass; the causes of failures are rendered
from stored codes by the check-result work and the test on them passes once that work is in."""
from __future__ import annotations

import re

import pytest

from tests.conftest import stop_app
from tests.pages_tour import PAGE_NAMES, open_page, pages, start_faulty_app

pytestmark = [pytest.mark.browser]

# Component and formatting text, as the English defaults of AG Grid, Dash and Plotly write it.
COMPONENT_FRAGMENTS = [
    "Page Size", "No Rows", "No rows", "Search", "selected", "Select All", "No options found", "Loading...",
    "ms ago", "seconds ago", "minutes ago", "hours ago", "days ago", "just now",
    "Contains", "Equals", "Filter...",
]
# Month names as English dates write them: "Dec 1, 2026", "Dec 2026", "December"; a chart tick
# that is only "Dec". Not any capitalised "Mar": "Xã Đăk Mar" is a commune's official name.
MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)"
MONTHS = re.compile(rf"\b{MONTH}\.? \d{{1,4}}\b|\b(?:January|February|March|April|June|July|August|September|October"
                    rf"|November|December)\b|^{MONTH}$", re.MULTILINE)
# Causes of failures as the probes wrote them in English before causes were stored as codes.
CAUSE_FRAGMENTS = [
    "connection refused", "all conditions met", "observed", "communes", "not checked yet", "timed out",
    "link reported", "last exchange", "expected every", "reporting degraded", "nothing listening",
    "CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "Expected HTTP/",
]

# Everything a Vietnamese reader meets: the text drawn (chart labels are SVG text, outside
# innerText), the hints in empty fields and the names screen readers announce. Text the page
# quotes from outside and marks so (data-quoted: a SIEM's log line, a probe's raw answer; or
# lang="en") is left out: the app did not write it and must not translate it.
COLLECT = """() => {
  const foreign = el => { const tagged = el.closest('[lang]');
                          return el.closest('[data-quoted]') !== null
                              || el.closest('.ag-cell[col-id="id"]') !== null  // identifiers are code, not language
                              || (tagged && tagged !== document.documentElement && !tagged.lang.startsWith('vi')); };
  const parts = [document.body.innerText];
  for (const el of document.querySelectorAll('svg text')) if (!foreign(el)) parts.push(el.textContent);
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]'))
    if (!foreign(el)) parts.push(['placeholder', 'aria-label', 'title'].map(a => el.getAttribute(a) || '').join(' '));
  for (const el of document.querySelectorAll('[lang]:not(html), [data-quoted], .ag-cell[col-id="id"]'))
    if (foreign(el) && el.innerText) parts[0] = parts[0].split(el.innerText).join(' ');
  return parts.join('\\n');
}"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    running = start_faulty_app(tmp_path_factory.mktemp("guard"))
    yield running
    stop_app(running)


def found(text: str, fragments: list[str], months: bool = False) -> list[str]:
    hits = [fragment for fragment in fragments if fragment in text]
    if months:
        hits += sorted({match.group(0) for match in MONTHS.finditer(text)}, key=text.find)
    return hits


def in_context(text: str, hits: list[str], around: int = 160) -> str:
    """Each English fragment with the text around it: where on the page it was found."""
    lines = []
    for hit in hits:
        at = text.find(hit)
        lines.append(f"{hit!r}: …{text[max(0, at - around):at + len(hit) + around]}…")
    return "\n".join(lines)


def visible_text(browser, app, name: str) -> str:
    page = next(p for p in pages(app.alert_id) if p.name == name)
    tab = open_page(browser, app, page, "vi")
    if name == "systems":
        # an open dropdown shows its search box and "select all": they are on the page too
        tab.locator("#systems-status").click()
        tab.wait_for_selector(".dash-dropdown-content .dash-dropdown-search", state="attached")
    return tab.evaluate(COLLECT)


def test_fragment_lists_catch_what_they_are_meant_to_catch():
    english = "Page Size: 50 · 1 to 50 of 125 · Dec 1, 2026 · 2 selected · 1,234 ms ago · connection refused\nNov"
    assert found(english, COMPONENT_FRAGMENTS, months=True) == ["Page Size", "selected", "ms ago", "Dec 1", "Nov"]
    assert found(english, CAUSE_FRAGMENTS) == ["connection refused"]
    vietnamese = "Số dòng mỗi trang: 50 · 1 đến 50 trên 125 · 01/12/2026 · Đã chọn 2 · 5 phút trước · Xã Đăk Mar: 96%"
    assert found(vietnamese, COMPONENT_FRAGMENTS + CAUSE_FRAGMENTS, months=True) == []


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_components_speak_vietnamese(browser, app, name):
    text = visible_text(browser, app, name)
    hits = found(text, COMPONENT_FRAGMENTS, months=True)
    assert hits == [], f"English on {name}:\n{in_context(text, hits)}"


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_causes_speak_vietnamese(browser, app, name):
    text = visible_text(browser, app, name)
    assert found(text, CAUSE_FRAGMENTS) == [], f"English causes on {name}:\n{in_context(text, found(text, CAUSE_FRAGMENTS))}"
