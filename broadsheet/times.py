"""When an article was published and updated: a day, or a moment of a day.

An article says a date (`2024-04-29`) or a date and time, with an offset from
UTC (`2024-04-29T09:30:00+02:00`) or without one, when it is the time of the
site's `timezone`.  Its day, as written, places it in the archives and in its
address; its time, when given, orders it among the articles of that day.
Feeds, Open Graph and schema.org want a moment: a day alone stands for its
first moment in the site's timezone.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .records import Article

# A date, or a date and time to the minute or second, with an optional fraction
# and offset ("Z" or ±HH:MM); a space may stand for the "T", as YAML allows.
_WHEN = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?[ \t]*(Z|z|[+-]\d{2}:?\d{2})?)?"
)

When = datetime.date | datetime.datetime  # a datetime is a date too: test for it first


def parse_when(raw: object) -> When | None:
    """A date, or a date and time (to the second, with its offset if given),
    from text or a YAML value; None when it is not one."""
    if isinstance(raw, datetime.datetime | datetime.date):
        return raw
    if not isinstance(raw, str):
        return None
    match = _WHEN.fullmatch(raw.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, offset = match.groups()
    try:
        date = datetime.date(int(year), int(month), int(day))
        if hour is None:
            return date
        zone = None
        if offset is not None:
            sign = -1 if offset[0] == "-" else 1
            digits = offset.lstrip("+-").replace(":", "")
            zone = datetime.timezone(sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))) \
                if offset not in "Zz" else datetime.UTC
        return datetime.datetime.combine(date, datetime.time(int(hour), int(minute), int(second or 0)), tzinfo=zone)
    except ValueError:  # a day, hour or offset out of range
        return None


def day_of(when: When) -> datetime.date:
    """The day as written (not moved into another timezone)."""
    return when.date() if isinstance(when, datetime.datetime) else when


def time_of(when: When) -> datetime.datetime | None:
    return when if isinstance(when, datetime.datetime) else None


def moment(when: When, zone: datetime.tzinfo) -> datetime.datetime:
    """A moment: a day is its first moment, and a time with no offset is of `zone`."""
    if not isinstance(when, datetime.datetime):
        when = datetime.datetime.combine(when, datetime.time())
    return when if when.tzinfo is not None else when.replace(tzinfo=zone)


def published(article: Article, zone: datetime.tzinfo) -> datetime.datetime:
    """When the article was published: a day alone is its first moment in `zone`."""
    return moment(article.time or article.date, zone)


def modified(article: Article, zone: datetime.tzinfo) -> datetime.datetime:
    """When the article was last changed: when it was updated, or published."""
    return published(article, zone) if article.updated is None else moment(article.updated, zone)


def seconds_of_day(time: datetime.datetime | None) -> int:
    """The time of day as written, in seconds; a day alone counts as its start."""
    return 0 if time is None else time.hour * 3600 + time.minute * 60 + time.second


def zone_named(name: str) -> datetime.tzinfo | None:
    """The timezone of an IANA name ("Europe/Paris", "UTC"); None if unknown."""
    if name.upper() == "UTC":
        return datetime.UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def clock(time: datetime.datetime, language: str = "en") -> str:
    """'09:30' as the language writes a time of day, with its offset when the
    article gave one: '09:30 UTC+02:00'."""
    from .language import clock as written  # Babel's data is loaded only when a time is shown

    return written(time, language)
