"""Spreadsheet exports never carry a live formula from data (CSV/formula injection): a text
that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is what Excel and LibreOffice
read as a formula (`=HYPERLINK(…)`, `@SUM(…)`, `-2+3`…). One helper for every export:

- XLSX: such a cell is written with an explicit string type and Excel's "quote prefix" style
  (the leading-apostrophe marker, not shown, which also keeps it text when someone edits it);
- CSV, which has no types: the value gets a leading apostrophe, and the plan importer drops it
  again so that an exported file imports unchanged.
"""
from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def csv_text(value):
    """A CSV field that no spreadsheet evaluates."""
    return "'" + value if formula_like(value) else value


def from_csv_text(value):
    """The inverse of csv_text, for the importer."""
    if isinstance(value, str) and value.startswith("'") and formula_like(value[1:]):
        return value[1:]
    return value


def protect_workbook(book) -> int:
    """Make every formula-like text cell of an openpyxl workbook plain text. Call it just before
    saving; returns how many cells it changed (the exports never write formulas on purpose)."""
    changed = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if formula_like(cell.value):
                    cell.data_type = "s"
                    cell.quotePrefix = True
                    changed += 1
    return changed
