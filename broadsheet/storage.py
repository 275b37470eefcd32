"""How a build keeps what it read and made: as plain values (None, bool, int,
str, bytes and tuples of them) written with marshal, which reads them back
several times faster than pickle reads objects, and runs no code of the data
it reads.  Articles and bodies are stored apart, so that a rebuild reads the
head of every article and the body of only those it shows.

FORMAT names this layout; a store written in another one is not read.
"""

from __future__ import annotations

import datetime
import marshal
from typing import Any

from .records import Article, Body, BodySource, Problem

FORMAT = 3

# An article's fields, but its body, in the order they are stored.
_HEAD = ("id", "source", "format", "date", "title", "title_derived", "word_count",
         "reading_minutes", "language", "direction", "slug", "author", "tags", "time", "updated", "image", "image_alt")
_DATE, _TIME, _UPDATED = map(_HEAD.index, ("date", "time", "updated"))  # not plain values


def dumps(value: Any) -> bytes:
    """The bytes of a plain value."""
    return marshal.dumps(value)


def loads(data: bytes) -> Any:
    """The plain value of bytes that dumps() gave."""
    return marshal.loads(data)  # noqa: S302 - plain values, written by dumps()


def article_values(article: Article) -> tuple[Any, ...]:
    values = [getattr(article, name) for name in _HEAD]
    values[_DATE] = values[_DATE].toordinal()
    values[_TIME] = _when_text(values[_TIME])
    values[_UPDATED] = _when_text(values[_UPDATED])
    return tuple(values)


def article_from(values: tuple[Any, ...], content: Body | BodySource, source: str | None = None) -> Article:
    """The article of article_values; `source`, its source path as the
    caller holds it already, is used for the one stored when they are equal."""
    (ident, stored_source, fmt, date, title, title_derived, word_count, reading_minutes, language, direction,
     slug, author, tags, time, updated, image, image_alt) = values
    return Article(ident, source if source == stored_source and source is not None else stored_source, fmt, datetime.date.fromordinal(date), title, title_derived, word_count,
                   reading_minutes, language, direction, slug, author, tags,
                   None if time is None else datetime.datetime.fromisoformat(time), _when(updated), content,
                   image, image_alt)


def _when_text(when: datetime.date | None) -> str | None:
    return None if when is None else when.isoformat()


def _when(text: str | None) -> datetime.date | datetime.datetime | None:
    # A date's text is ten characters; a date and time's is longer.
    if text is None:
        return None
    return datetime.date.fromisoformat(text) if len(text) == 10 else datetime.datetime.fromisoformat(text)


def body_values(body: Body) -> tuple[Any, ...]:
    # A text article's text is its paragraphs joined: not stored twice.
    # The excerpt is stored beside it (a listing reads the excerpts, not the bodies).
    text = None if body.text == "\n\n".join(body.paragraphs) else body.text
    return text, body.paragraphs, body.markdown


def body_from(values: tuple[Any, ...], excerpt: str) -> Body:
    text, paragraphs, markdown = values
    return Body("\n\n".join(paragraphs) if text is None else text, tuple(paragraphs), markdown, excerpt)


def problems_values(problems: tuple[Problem, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((p.source, p.message) for p in problems)


def problems_from(values: tuple[tuple[str, str], ...]) -> tuple[Problem, ...]:
    return tuple(Problem(*p) for p in values) if values else ()  # most have none: no generator for them
