"""Every translation key the code asks for exists, in Vietnamese and in English: a missing key
would show its name ("audit.action.user.create") to the reader."""
from __future__ import annotations

import re

import pytest

from dashboard.i18n import TEXT, audit_action_label, t
from dashboard.i18n.components import DROPDOWN_LABELS, GRID_TEXT_VI, dropdown_labels, grid_locale
from tests.conftest import PROJECT_DIR

SOURCES = [path for folder in ("dashboard", "layouts") for path in (PROJECT_DIR / folder).rglob("*.py")] + [PROJECT_DIR / "app.py"]
# t("key", ...) with a literal key; t(f"prefix.{x}") gives the literal prefix before the first brace
LITERAL = re.compile(r"""\bt\(\s*["']([a-z0-9_.\-]+)["']\s*[,)]""")
PREFIX = re.compile(r"""\bt\(\s*f["']([a-z0-9_.\-]+)\{""")
AUDIT_ACTION = re.compile(r"""audit\.record\([^,]+,\s*[^,]+,\s*"([a-z_.]+)\"""")


def _uses(pattern: re.Pattern) -> dict[str, str]:
    found = {}
    for path in SOURCES:
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(1), str(path.relative_to(PROJECT_DIR)))
    return found


def test_the_scan_finds_keys_at_all():
    # a pattern that matched nothing would make the tests below pass without checking anything
    assert len(_uses(LITERAL)) > 250 and len(_uses(PREFIX)) > 20 and len(_uses(AUDIT_ACTION)) > 15


def test_every_literal_key_used_exists_in_both_languages():
    missing = {key: where for key, where in _uses(LITERAL).items() if key not in TEXT}
    assert missing == {}
    empty = [key for key in _uses(LITERAL) if not all(text.strip() for text in TEXT[key])]
    assert empty == []


def test_every_key_prefix_used_has_keys():
    missing = {prefix: where for prefix, where in _uses(PREFIX).items()
               if not any(key.startswith(prefix) for key in TEXT)}
    assert missing == {}


def test_every_audit_action_recorded_reads_as_words_in_both_languages():
    actions = set(_uses(AUDIT_ACTION)) | {"alert.new", "alert.acknowledged", "alert.resolved"}  # alert.{status}
    for action in sorted(actions):
        vi, en = audit_action_label(action, "vi"), audit_action_label(action, "en")
        assert vi != action and en != action and vi != en, action
    assert audit_action_label("user.create") == "Tạo người dùng" and audit_action_label("user.create", "en") == "Create user"
    assert audit_action_label("some.future_action") == "some.future_action"  # no words yet: the code, not a blank


def test_translations_use_the_same_placeholders_in_both_languages():
    fields = re.compile(r"\{(\w*)")
    differ = {key: pair for key, pair in TEXT.items() if set(fields.findall(pair[0])) != set(fields.findall(pair[1]))}
    assert differ == {}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_component_text_exists_for_both_languages(lang):
    labels = dropdown_labels(lang)
    assert set(labels) == set(DROPDOWN_LABELS["vi"]) == set(DROPDOWN_LABELS["en"])
    assert "{num_selected}" in labels["selected_count"]
    grid = grid_locale(lang)
    assert grid["pageSizeSelectorLabel"] and grid["noRowsToShow"]


def test_grid_text_in_vietnamese_is_vietnamese():
    assert GRID_TEXT_VI["noRowsToShow"] == "Không có dòng nào" and GRID_TEXT_VI["to"] == "đến"
    assert t("a11y.progress", "vi", percent="82%") == "Tiến độ: 82%"

