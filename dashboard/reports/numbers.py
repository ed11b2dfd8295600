"""Numbers and dates in reports: the same Babel-backed formats as the pages (dashboard.i18n)."""
from __future__ import annotations

from datetime import date

from dashboard.i18n.formats import LOCALES, format_day, format_number, format_percent

__all__ = ["LOCALES", "format_day", "format_number", "format_percent", "spreadsheet_number_formats"]


def spreadsheet_number_formats(book) -> None:
    """Numbers and days in an openpyxl workbook kept as numbers and dates, each with a display
    format: Excel and LibreOffice then show "82,2" and "01/12/2026" on a Vietnamese computer and
    "82.2" on an English one (a format code's "." and "," mean "decimal" and "thousands", not the
    characters). Text that only looks like a number never becomes one."""
    from datetime import datetime as _datetime

    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, bool) or value is None:
                    continue
                if isinstance(value, float):
                    cell.number_format = "#,##0.0"
                elif isinstance(value, int):
                    cell.number_format = "#,##0"
                elif isinstance(value, _datetime):
                    cell.number_format = "DD/MM/YYYY HH:MM"
                elif isinstance(value, date):
                    cell.number_format = "DD/MM/YYYY"
