"""Checks of a built site: every internal link and asset resolves, and the manifest."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from json.encoder import encode_basestring
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .site import Entry

MANIFEST = "articles.json"
_LINK_ATTRIBUTES = {"href", "src", "action", "poster"}


@dataclass(frozen=True)
class BrokenLink:
    page: str
    target: str

    def __str__(self) -> str:
        return f"broken link: {self.page}: {self.target}"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if tag == "base" and name == "href":
                self.base = value
            elif name in _LINK_ATTRIBUTES:
                self.links.append(value)
            elif name == "srcset":
                self.links += [part.split()[0] for part in value.split(",") if part.strip()]


def links_of(html: str) -> tuple[list[str], str | None]:
    parser = _Links()
    parser.feed(html)
    return parser.links, parser.base


def check_links(site: Path) -> list[BrokenLink]:
    """Internal links and asset references of every page that lead nowhere."""
    broken: list[BrokenLink] = []
    for page in sorted(site.rglob("*.html")):
        rel_page = page.relative_to(site).as_posix()
        links, base = links_of(page.read_text(encoding="utf-8", errors="replace"))
        if base is not None:
            # Pages with <base> (404.html) are served at any depth; they are
            # checked as if at the root of the site.
            folder = ""
        else:
            folder = posixpath.dirname(rel_page)
        for link in links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("#", "data:")) or not parts.path:
                continue
            path = unquote(parts.path)
            if path.startswith("/"):
                broken.append(BrokenLink(rel_page, link + " (absolute path: breaks under a sub-path and from disk)"))
                continue
            target = posixpath.normpath(posixpath.join(folder, path))
            if target.startswith(".."):
                broken.append(BrokenLink(rel_page, link + " (leads outside the site)"))
                continue
            resolved = site / target
            if path.endswith("/") or resolved.is_dir():
                resolved = resolved / "index.html"
            if not resolved.is_file():
                broken.append(BrokenLink(rel_page, link))
    return broken


def manifest(entries: tuple[Entry, ...]) -> str:
    """articles.json: how other tools find each article's permalink."""
    return "".join(manifest_parts(entries))


def manifest_parts(entries: tuple[Entry, ...]) -> Iterator[str]:
    """The text of articles.json, an article at a time."""
    # The text json.dumps(..., indent=1) gives, put together from values encoded
    # one by one: its indenting encoder is written in Python, and slow at 100,000.
    if not entries:
        yield '{\n "articles": []\n}\n'
        return
    # Each value is a string, which that encoder writes with this (C) function: no method call for each.
    value = encode_basestring
    yield '{\n "articles": [\n'
    # A thousand articles at a time: each part given costs whoever takes it a step.
    for start in range(0, len(entries), 1000):
        yield ("" if start == 0 else ",\n") + ",\n".join([
            f'  {{\n   "id": {value(e.article.id)},\n   "title": {value(e.article.title)},\n'
            f'   "date": "{e.article.date.isoformat()}",\n   "url": {value(e.url)},\n   "source": {value(e.article.source)}\n  }}'
            for e in entries[start : start + 1000]])
    yield "\n ]\n}\n"
