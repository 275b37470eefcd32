"""The records that flow between the stages of a build."""

from __future__ import annotations

import datetime
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .images import LeadImage

# A file's size, modification time (ns) and inode, packed: a build holds one
# for each article and each page, 57 bytes so against 160 as a tuple of ints.
FileStatus = bytes
_STATUS = struct.Struct("<QqQ")
UNKNOWN: FileStatus = bytes(24)  # the status of a file its maker did not take: read from the file when needed
# The status of a file of a unit made again that is, in the site in place, as the
# unit would write it: left there, not written again (read once the site is done).
IN_PLACE: FileStatus = bytes([255]) * 24


def status_of(info: os.stat_result) -> FileStatus:
    """What tells a file apart from the one a build left: a change of bytes, of time or of file."""
    return _STATUS.pack(info.st_size, info.st_mtime_ns, info.st_ino)


def status_fields(status: FileStatus) -> tuple[int, int, int]:
    """The size, modification time (ns) and inode of a status."""
    size, mtime_ns, inode = _STATUS.unpack(status)
    return size, mtime_ns, inode


# A change within the file system's clock step would not show in a file's time.
_CLOCK_STEP_NS = 2_000_000_000


def unchanged(status: FileStatus | None, then: FileStatus, read_started_ns: int) -> bool:
    """True when a file whose status is `status` need not be read again: it
    had status `then` when a build that began reading at `read_started_ns`
    read it, and was not changed in the moments before."""
    return status == then and status_fields(status)[1] < read_started_ns - _CLOCK_STEP_NS


@dataclass(frozen=True)
class Problem:
    """Something wrong with one input file: reported as one line, never fatal."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"warning: {self.source}: {self.message}"


@dataclass(frozen=True)
class Body:
    """An article's text: what its own page, its feed entry and its search
    record show, and the excerpt a listing shows, which is kept with it: an
    excerpt is the largest part of an article's head (often twice its title),
    and a large archive would otherwise hold every one for the whole build."""

    text: str  # the body as plain text, paragraphs separated by blank lines
    paragraphs: tuple[str, ...]  # txt: plain paragraphs; md: empty
    markdown: str  # md: the Markdown body; txt: empty
    excerpt: str  # its summary, given or taken from its opening: listings, feeds, the page's description


# Reads a body kept elsewhere (the build cache), when it is first used.
BodySource = Callable[[], Body]


@dataclass(slots=True)
class Article:
    """One article as read from the corpus, before it has an address: what
    listings, feeds and links need of it, and its body, which is read from
    the build cache each time it is used (an archive's bodies are most of its
    size, and most are never shown by a rebuild).  Slots: a large archive holds
    every article at once, and a slotted one takes a third less memory."""

    id: str
    source: str  # path relative to the source folder, with forward slashes
    format: str  # "txt" or "md"
    date: datetime.date
    title: str
    title_derived: bool
    word_count: int
    reading_minutes: int
    language: str
    direction: str  # "ltr" or "rtl"
    slug: str | None
    author: str | None
    tags: tuple[str, ...]
    time: datetime.datetime | None  # the date and time, when the article gave a time (see times.py)
    updated: datetime.date | datetime.datetime | None  # when it was last changed, if it says
    content: Body | BodySource = field(repr=False)  # equal articles: equal heads and bodies, when both are here
    image: str | None = None  # as the front matter names it: a path relative to the article's file, or an http(s) address
    image_alt: str | None = None  # its text alternative; "" for an image that says nothing the text does not
    # The image checked, by each build (the file beside the article may change
    # while the article does not): never stored with the article.
    lead_image: LeadImage | None = field(default=None, repr=False, compare=False)

    @property
    def body(self) -> Body:
        content = self.content
        # A body kept elsewhere is read each time it is used, never held here:
        # an archive's bodies are most of its size.
        return content if isinstance(content, Body) else content()

    @property
    def has_body(self) -> bool:
        """True when the body is here, read with the article, not kept elsewhere."""
        return isinstance(self.content, Body)

    @property
    def text(self) -> str:
        return self.body.text

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return self.body.paragraphs

    @property
    def markdown(self) -> str:
        return self.body.markdown

    @property
    def excerpt(self) -> str:
        content = self.content
        if isinstance(content, Body):
            return content.excerpt
        # A body kept elsewhere may give its excerpt alone (a listing shows fifty).
        excerpt = getattr(content, "excerpt", None)
        return excerpt() if callable(excerpt) else content().excerpt
