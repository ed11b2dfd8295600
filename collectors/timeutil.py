"""UTC time helpers: the database stores naive UTC, the code works with aware UTC."""
from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """Attach UTC to a naive timestamp read back from the database."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat(timespec="seconds").replace("+00:00", "Z") if value else None


def parse_duration(value: int | float | str) -> float:
    """Seconds from 30, 2.5, "30s", "5m", "1h", "2d" (a config convenience)."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30, '30s', '5m' or '1h'")
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().lower()
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    for suffix in sorted(units, key=len, reverse=True):
        if text.endswith(suffix):
            number = text[: -len(suffix)].strip()
            try:
                return float(number) * units[suffix]
            except ValueError:
                break
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a duration such as 30, '30s', '5m' or '1h'") from None


def parse_iso(text: str | None) -> datetime | None:
    """Read back a timestamp written by `iso`."""
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00"))) if text else None
