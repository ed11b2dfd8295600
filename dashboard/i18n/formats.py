"""Numbers, dates and elapsed times as a Vietnamese (or English) reader writes them, from the
CLDR data Babel ships rather than hand-written rules: "1.234,5" and "82,2%" in Vietnamese,
"1,234.5" and "82.2%" in English; dates dd/mm/yyyy and 24-hour clock times in both languages,
as the province's documents write them."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.dates import format_timedelta as _babel_timedelta
from babel.numbers import format_decimal as _babel_decimal
from babel.numbers import get_decimal_symbol, get_group_symbol

VN_TZ = timezone(timedelta(hours=7))
LOCALES = {"vi": "vi_VN", "en": "en_US"}
DATE_PATTERN = "dd/MM/yyyy"
TIME_PATTERN = "HH:mm:ss"


def babel_locale(lang: str | None) -> str:
    """The CLDR locale for one of the app's languages (Vietnamese for anything unknown)."""
    return LOCALES.get(lang or "vi", "vi_VN")


def separators(lang: str | None) -> str:
    """Decimal then thousands separator, as Plotly's `layout.separators` wants them: ",." / ".,"."""
    locale = babel_locale(lang)
    return get_decimal_symbol(locale) + get_group_symbol(locale)


def format_number(value: float | int | None, lang: str = "vi", digits: int = 1) -> str:
    """At most `digits` decimals (trailing zeros dropped), grouped thousands; '—' for no value."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return _babel_decimal(value, format=pattern, locale=babel_locale(lang))


def format_percent(value: float | None, lang: str = "vi", digits: int = 1) -> str:
    """38.5 → '38,5%' (vi) / '38.5%' (en)."""
    return "—" if value is None else f"{format_number(value, lang, digits)}%"


def format_ms(value: float | None, lang: str = "vi") -> str:
    """A latency: whole milliseconds from 10 ms up ("1.234 ms" / "1,234 ms"), one decimal below."""
    if value is None:
        return "—"
    return f"{format_number(value, lang, 0 if value >= 10 else 1)} ms"


def format_day(day: date, lang: str = "vi") -> str:
    """dd/mm/yyyy in both languages (the province's documents use it)."""
    return _babel_date(day, DATE_PATTERN, locale=babel_locale(lang))


def local_time(moment: datetime | None, with_date: bool = False, lang: str = "vi") -> str:
    """Clock time in Vietnam (UTC+7, no DST), 24-hour, as operators read it; '—' for none."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:  # stored UTC without a zone (SQLite)
        moment = moment.replace(tzinfo=timezone.utc)
    pattern = f"{DATE_PATTERN} {TIME_PATTERN}" if with_date else TIME_PATTERN
    return _babel_datetime(moment, pattern, tzinfo=VN_TZ, locale=babel_locale(lang))


def elapsed(seconds: float, lang: str = "vi") -> str:
    """"5 phút trước" / "5 minutes ago": the largest whole unit, rounded down, as a clock reads."""
    seconds = max(0, int(seconds))
    for size in (86_400, 3600, 60, 1):
        if seconds >= size or size == 1:
            whole = timedelta(seconds=seconds // size * size)
            break
    return _babel_timedelta(-whole, add_direction=True, threshold=1, locale=babel_locale(lang))
