"""Numbers and dates as a Vietnamese (or English) reader writes them: a decimal comma in
Vietnamese ("38,5 %"), a dot in English. Formatting goes through Babel's CLDR data rather than
hand-written rules."""
from __future__ import annotations

from datetime import date

from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal

LOCALES = {"vi": "vi_VN", "en": "en_US"}


def _locale(lang: str) -> str:
    return LOCALES.get(lang or "vi", "vi_VN")


def format_number(value: float | int | None, lang: str = "vi", digits: int = 1) -> str:
    """`digits` decimals at most (trailing zeros dropped); '—' for no value."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale(lang))


def format_percent(value: float | None, lang: str = "vi", digits: int = 1) -> str:
    """38.5 → '38,5%' (vi) / '38.5%' (en)."""
    return "—" if value is None else f"{format_number(value, lang, digits)}%"


def format_day(day: date, lang: str = "vi") -> str:
    """dd/MM/yyyy in both languages (the province's documents use it)."""
    return babel_format_date(day, "dd/MM/yyyy", locale=_locale(lang))
