"""The records that flow between the stages of a build."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field

FileStatus = tuple[int, int, int]  # size, modification time (ns), inode


def status_of(info: os.stat_result) -> FileStatus:
    """What tells a file apart from the one a build left: a change of bytes, of time or of file."""
    return (info.st_size, info.st_mtime_ns, info.st_ino)


@dataclass(frozen=True)
class Problem:
    """Something wrong with one input file: reported as one line, never fatal."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"warning: {self.source}: {self.message}"


@dataclass(frozen=True)
class Article:
    """One article as read from the corpus, before it has an address."""

    id: str
    source: str  # path relative to the source folder, with forward slashes
    format: str  # "txt" or "md"
    date: datetime.date
    title: str
    title_derived: bool
    text: str  # the body as plain text, paragraphs separated by blank lines
    paragraphs: tuple[str, ...]  # txt: plain paragraphs; md: empty
    markdown: str  # md: the Markdown body; txt: empty
    excerpt: str
    word_count: int
    reading_minutes: int
    language: str
    direction: str  # "ltr" or "rtl"
    slug: str | None = None
    author: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    def __getattr__(self, name: str) -> object:
        # Called only for an attribute that is not set: the body of an article
        # that the build cache made without it (most of a large archive's
        # articles are never shown by a rebuild), fetched on first use.
        fetch = self.__dict__.get(BODY_FETCHER)
        if name not in BODY_FIELDS or fetch is None:
            raise AttributeError(name)
        self.__dict__.update(zip(BODY_FIELDS, fetch(), strict=True))
        del self.__dict__[BODY_FETCHER]
        return self.__dict__[name]


BODY_FIELDS = ("text", "paragraphs", "markdown")
BODY_FETCHER = "_fetch_body"  # in an Article's __dict__: a function that returns its body fields


def has_body(article: Article) -> bool:
    return BODY_FETCHER not in article.__dict__
