"""Numbers and dates in reports: the same Babel-backed formats as the pages (dashboard.i18n)."""
from __future__ import annotations

from dashboard.i18n.formats import LOCALES, format_day, format_number, format_percent

__all__ = ["LOCALES", "format_day", "format_number", "format_percent"]
