"""docs/probes.md cannot drift from the options models: its option tables are generated from
them, and this test fails when a kind's key is undocumented or documented wrongly."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import collectors
from collectors import docs

DOC = Path(__file__).resolve().parent.parent / "docs" / "probes.md"


def test_the_documented_options_are_the_models_options():
    assert docs.problems(DOC.read_text(encoding="utf-8")) == []


def test_every_kind_and_every_key_is_in_the_document():
    text = DOC.read_text(encoding="utf-8")
    for kind in collectors.kinds():
        assert f"<!-- options:{kind} -->" in text, kind
        for key in collectors.options_model(kind).model_fields:
            assert f"| `{key}` |" in docs.kind_table(kind) and f"| `{key}` |" in text, (kind, key)


def test_a_wrong_default_is_caught():
    text = DOC.read_text(encoding="utf-8")
    wrong = text.replace("| `warning_days` | `30` |", "| `warning_days` | `21` |", 1)
    assert wrong != text
    assert docs.problems(wrong) == ["block options:tls is out of date (python -m collectors.docs --write FILE)"]


def test_an_undocumented_kind_or_key_is_caught():
    text = DOC.read_text(encoding="utf-8")
    start = text.index("<!-- options:smtp -->")
    end = text.index("<!-- /options:smtp -->") + len("<!-- /options:smtp -->")
    assert "no <!-- options:smtp --> block (the smtp options are undocumented)" in docs.problems(text[:start] + text[end:])
    dropped = text.replace("| `starttls` | `false` |", "| `start_tls` | `false` |", 1)
    assert "block options:smtp is out of date (python -m collectors.docs --write FILE)" in docs.problems(dropped)


def test_the_command_checks_and_rewrites_a_file(tmp_path):
    stale = tmp_path / "probes.md"
    stale.write_text(DOC.read_text(encoding="utf-8").replace("| `port` | `25` |", "| `port` | `2525` |"), encoding="utf-8")
    check = subprocess.run([sys.executable, "-m", "collectors.docs", "--check", str(stale)],
                           capture_output=True, text=True, cwd=DOC.parent.parent, timeout=60)
    assert check.returncode == 1 and "options:smtp is out of date" in check.stderr
    write = subprocess.run([sys.executable, "-m", "collectors.docs", "--write", str(stale)],
                           capture_output=True, text=True, cwd=DOC.parent.parent, timeout=60)
    assert write.returncode == 0 and stale.read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8")
