"""Relative times as aggregators print them ("4 hours ago"), resolved against a fetch time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import regex

_UNIT_SECONDS = {
    "second": 1, "sec": 1, "minute": 60, "min": 60, "hour": 3600, "hr": 3600,
    "day": 86400, "week": 7 * 86400, "month": 30 * 86400, "year": 365 * 86400,
}
_AGO = regex.compile(
    r"(?P<count>\d{1,4}|an?|one|a few)\s+(?P<unit>second|sec|minute|min|hour|hr|day|week|month|year)s?\s+ago",
    regex.IGNORECASE,
)
_WORDS = {"a": 1, "an": 1, "one": 1, "a few": 3}


def resolve_relative(published: str | None, fetched: datetime | None) -> datetime | None:
    """The moment ``published`` points at, seen from ``fetched``; None when either is unknown.

    Month and year are taken as 30 and 365 days: an aggregator's "2 months ago" is no more precise.
    A moment before the calendar's first day (a fetch time near year 1) is None.
    """
    if not published or fetched is None:
        return None
    phrase = " ".join(published.split()).casefold()
    if phrase == "just now":
        return fetched
    if phrase == "yesterday":
        seconds = 86400
    else:
        match = _AGO.fullmatch(phrase)
        if match is None:
            return None
        count_text = match["count"]
        count = int(count_text) if count_text.isdigit() else _WORDS[count_text]
        seconds = count * _UNIT_SECONDS[match["unit"]]
    try:
        return fetched - timedelta(seconds=seconds)
    except OverflowError:
        return None


def parse_time(value: Any) -> datetime | None:
    """A timestamp from a datetime, ISO 8601 text or epoch seconds, in UTC; naive times are taken as UTC.

    None when there is none, or when it is not a time of the calendar in UTC (9999-12-31T23:00-05:00 is
    year 10000, which Parquet would store and no reader could turn back into a datetime).
    """
    try:
        if isinstance(value, datetime):
            return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str) and value:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None
