"""Images: what kind of image a file is (by its first bytes, never by its
name), its size in pixels (from its header: no image library), and the lead
image of an article as the site shows and announces it.

An article names its image in its front matter (`image`, `image_alt`); load.py
keeps what it says, and `resolve` checks it on every build, since the file
beside the article can change while the article does not.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import struct
import time
from collections.abc import Iterable
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from . import storage
from .records import Article, FileStatus, Problem, status_of, unchanged

MAX_BYTES = 32 * 1024 * 1024  # a larger file is no image for a web page

# The file name endings of each type: a name with another ending would be
# served as something else (a `.html` with PNG bytes would be read as a page).
SUFFIXES = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "image/avif": (".avif",),
    "image/svg+xml": (".svg",),
}


def sniff(data: bytes) -> str | None:
    """The media type of an image by its first bytes, or None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and (data[8:12] in (b"avif", b"avis") or b"avif" in data[16 : 8 + _box_size(data, 0)]):
        return "image/avif"
    if _svg_root(data) is not None:
        return "image/svg+xml"
    return None


def _box_size(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "big") if len(data) >= at + 4 else 0


# Before an SVG's root element: a byte order mark, an XML declaration, comments, a doctype, space.
_SVG_PROLOGUE = re.compile(rb"\A(?:\xef\xbb\xbf)?(?:\s+|<\?xml[^>]*\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)*", re.S | re.I)
_SVG_OPEN = re.compile(rb"<svg(?=[\s>/])[^>]*>", re.S)


def _svg_root(data: bytes) -> bytes | None:
    """The opening tag of an SVG document's root element, or None."""
    head = data[:65536]
    prologue = _SVG_PROLOGUE.match(head)
    root = _SVG_OPEN.match(head, prologue.end() if prologue else 0)
    return root.group() if root else None


# What would make an SVG run code or load other things when it is opened as a
# page of the site (an <img> runs none of it, but the file has the site's address).
_SVG_ACTIVE = re.compile(
    rb"<\s*(?:[\w.-]+:)?(?:script|foreignObject|iframe|embed|object|handler|listener)\b"
    rb"|\son[a-z]+\s*="
    rb"|<!ENTITY"
    rb"|[\s:](?:href|src)\s*=\s*+[\"']?+\s*+(?!#)",
    re.I,
)


def svg_is_passive(data: bytes) -> bool:
    """True for an SVG with no script, event handler, embedded document,
    entity or link to anything outside itself."""
    return _SVG_ACTIVE.search(data) is None


def dimensions(data: bytes, kind: str) -> tuple[int, int] | None:
    """Width and height in pixels, from the header of an image of type `kind`
    (sniff); None when the header does not say (an SVG sized in ems, a
    damaged file)."""
    try:
        size = _READERS[kind](data)
    except (struct.error, IndexError, ValueError):
        return None
    if size is None or size[0] <= 0 or size[1] <= 0:
        return None
    return size


def _png(data: bytes) -> tuple[int, int] | None:
    if data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _gif(data: bytes) -> tuple[int, int] | None:
    width, height = struct.unpack("<HH", data[6:10])
    return width, height


# JPEG markers that begin a frame and give its size: SOF0…SOF15 but DHT (C4), JPG (C8) and DAC (CC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill bytes
            at += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers with no length
            at += 2
            continue
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height
        if marker == 0xDA:  # start of scan: no frame header before it
            return None
        at += 2 + length
    return None


def _webp(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    return None


def _avif(data: bytes) -> tuple[int, int] | None:
    # The image spatial extents property of the first item: the primary one in
    # the files encoders write (a full reader would follow the item references).
    at = data.find(b"ispe", 0, 65536)
    if at < 0:
        return None
    width, height = struct.unpack(">II", data[at + 8 : at + 16])
    return width, height


_SVG_LENGTH = re.compile(rb"\s*([0-9]*\.?[0-9]+)\s*(?:px)?\s*\Z")
_NUMBER = rb"[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?"
_VIEW_BOX = re.compile(rb"\s*(" + _NUMBER + rb")[\s,]+(" + _NUMBER + rb")[\s,]+(" + _NUMBER + rb")[\s,]+(" + _NUMBER + rb")\s*\Z")


def _svg_attribute(tag: bytes, name: bytes) -> bytes | None:
    match = re.search(rb"\s" + name + rb"\s*=\s*(\"[^\"]*\"|'[^']*')", tag)
    return match.group(1)[1:-1] if match else None


def _svg(data: bytes) -> tuple[int, int] | None:
    """From the root's width and height in pixels, else its viewBox (units are
    pixels when no size is given); None for sizes in other units."""
    tag = _svg_root(data)
    if tag is None:
        return None
    width, height = _svg_attribute(tag, b"width"), _svg_attribute(tag, b"height")
    if width is not None and height is not None:
        w, h = _SVG_LENGTH.match(width), _SVG_LENGTH.match(height)
        if w and h:
            return round(float(w.group(1))), round(float(h.group(1)))
        return None
    box = _svg_attribute(tag, b"viewBox")
    if width is None and height is None and box is not None:
        numbers = _VIEW_BOX.match(box)
        if numbers:
            return round(float(numbers.group(3))), round(float(numbers.group(4)))
    return None


_READERS = {
    "image/png": _png, "image/jpeg": _jpeg, "image/gif": _gif, "image/webp": _webp, "image/avif": _avif,
    "image/svg+xml": _svg,
}


@dataclass(frozen=True)
class ImageFile:
    """An image file read and checked: its type, size in pixels and digest."""

    path: str  # where it is read from
    type: str
    width: int | None
    height: int | None
    length: int
    digest: str  # of its bytes


class NotAnImage(Exception):
    """A file that cannot be an image of the site; the message says why, in a few words."""


def read_image(path: str) -> ImageFile:
    """The image at `path`, checked; NotAnImage when it cannot be used."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise NotAnImage("is not a regular file")
        if info.st_size > MAX_BYTES:
            raise NotAnImage(f"is over {MAX_BYTES // 1_048_576} MB")
        with open(path, "rb") as file:
            data = file.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise NotAnImage("not found") from None
    except OSError as error:
        raise NotAnImage(f"cannot be read ({error.strerror or error})") from None
    kind = sniff(data)
    if kind is None:
        raise NotAnImage("is not a PNG, JPEG, GIF, WebP, AVIF or SVG image")
    if kind == "image/svg+xml" and not svg_is_passive(data):
        raise NotAnImage("is an SVG with scripts, event handlers or outside references")
    width, height = dimensions(data, kind) or (None, None)
    return ImageFile(path, kind, width, height, len(data), hashlib.blake2b(data, digest_size=16).hexdigest())


KNOWN_FILE = "images"  # in the build cache's folder


class Known:
    """The image files the last build read, by path, with the status each had
    then: one whose status is the same, and that was not changed in the
    moments before that build read it, is not read again (a rebuild of an
    archive of photographs would read them all, for nothing)."""

    def __init__(self, last: dict[str, tuple[FileStatus, ImageFile]] | None = None, last_started_ns: int = 0) -> None:
        self.last = last or {}
        self.last_started_ns = last_started_ns
        self.started_ns = time.time_ns()
        self.seen: dict[str, tuple[FileStatus, ImageFile]] = {}

    def read(self, path: str) -> ImageFile:
        """read_image(path), or what the last build read of it if it is unchanged."""
        try:
            status = status_of(os.stat(path))
        except FileNotFoundError:
            raise NotAnImage("not found") from None
        except OSError as error:
            raise NotAnImage(f"cannot be read ({error.strerror or error})") from None
        last = self.last.get(path)
        if last is not None and unchanged(status, last[0], self.last_started_ns):
            found = last[1]
        else:
            found = read_image(path)
        self.seen[path] = (status, found)
        return found

    @classmethod
    def load(cls, path: Path, key: str) -> Known:
        """What a build with the same build key saved at `path`; nothing if there is none."""
        try:
            saved_key, started_ns, files = storage.loads(path.read_bytes())
            if saved_key != key:
                return cls()
            return cls({name: (status, ImageFile(name, *values))
                        for name, (status, values) in files.items()}, started_ns)
        except Exception:  # noqa: BLE001 - missing or damaged: every image is read
            return cls()

    def save(self, path: Path, key: str) -> None:
        if not self.seen:  # a site without images leaves no file
            path.unlink(missing_ok=True)
            return
        files: dict[str, Any] = {name: (status, astuple(found)[1:]) for name, (status, found) in self.seen.items()}
        write = path.with_name(path.name + ".new")
        write.write_bytes(storage.dumps((key, self.started_ns, files)))
        os.replace(write, path)


@dataclass(frozen=True)
class LeadImage:
    """An article's image as its page, its feed entries and its metadata show it."""

    src: str  # the address as the article's page links to it (relative, or absolute for a remote image)
    url: str | None  # absolute, when the site's address or the image's is known
    alt: str
    width: int | None = None
    height: int | None = None
    type: str | None = None  # media type; for a remote image, as its name says, if it does
    length: int | None = None  # bytes; None for a remote image
    file: ImageFile | None = None  # the file to copy, for an image beside the article
    target: str | None = None  # where in the site it is copied

    @property
    def key(self) -> str:
        """What the pages and feeds that show it depend on, besides the article."""
        return repr((self.src, self.url, self.width, self.height, self.type, self.length,
                     self.file.digest if self.file else None))


def _type_by_name(path: str) -> str | None:
    """The media type a remote image's name says (it is not fetched to see)."""
    name = path.lower()
    return next((kind for kind, suffixes in SUFFIXES.items() if name.endswith(suffixes)), None)


def is_remote(image: str) -> bool:
    return image.lower().startswith(("http://", "https://"))


def _remote_url(image: str) -> str | None:
    """An absolute http(s) address, non-ASCII and spaces percent-encoded; None if it is not one."""
    parts = urlsplit(image)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c in image for c in "\\<>\"'`"):
        return None
    return quote(image, safe=":/?#[]@!$&'()*+,;=%~")


def resolve(article: Article, page_url: str, *, source: str, base_url: str | None,
            known: Known | None = None) -> tuple[LeadImage | None, Problem | None]:
    """The lead image of `article`, whose page is at `page_url`: its file
    beside the article (in the folder `source`) checked, or its remote
    address; or the one warning that says why it has none."""
    image = article.image
    if image is None:
        return None, None
    alt = article.image_alt or ""
    shown = repr(image[:80])
    if is_remote(image):
        url = _remote_url(image)
        if url is None:
            return None, Problem(article.source, f"image {shown} is not a valid http(s) address; no image")
        return LeadImage(src=url, url=url, alt=alt, type=_type_by_name(urlsplit(url).path)), _no_alt(article)
    folder = os.path.dirname(article.source)
    rel = os.path.normpath(os.path.join(folder, image)) if not os.path.isabs(image) else None
    if rel is None or rel == ".." or rel.startswith("../") or "\\" in image:
        return None, Problem(article.source, f"image {shown} is outside the source folder; no image")
    root = os.path.realpath(source)
    path = os.path.join(source, rel)
    real = os.path.realpath(path)
    if os.path.commonpath([root, real]) != root:
        return None, Problem(article.source, f"image {shown} leads outside the source folder; no image")
    name = os.path.basename(rel)
    try:
        found = (known or Known()).read(path)
    except NotAnImage as error:
        where = " beside the article" if str(error) == "not found" else ""
        return None, Problem(article.source, f"image {shown} {error}{where}; no image")
    if not name.lower().endswith(SUFFIXES[found.type]):
        wanted = " or ".join(SUFFIXES[found.type])
        return None, Problem(article.source, f"image {shown} is {found.type} but its name does not end in {wanted}; no image")
    target = page_url + name
    return LeadImage(src=quote(name), url=base_url + quote(target) if base_url else None, alt=alt,
                     width=found.width, height=found.height, type=found.type, length=found.length, file=found,
                     target=target), _no_alt(article)


def _no_alt(article: Article) -> Problem | None:
    # An empty image_alt is the author's word that the image adds nothing to the text; none at all is an oversight.
    if article.image_alt is not None:
        return None
    return Problem(article.source, "image has no image_alt; shown with an empty alt")


def resolve_all(entries: Iterable[tuple[Article, str]], *, source: str, base_url: str | None,
                known: Known | None = None) -> list[Problem]:
    """Give each article its lead image (Article.lead_image); the warnings, one an article at most."""
    problems = []
    known = known or Known()
    for article, page_url in entries:
        lead, problem = resolve(article, page_url, source=source, base_url=base_url, known=known)
        article.lead_image = lead
        if problem is not None:
            problems.append(problem)
    return problems


@dataclass(frozen=True)
class Logo:
    """The site's logo, copied to the root of the site."""

    file: ImageFile
    target: str  # logo.<ext>
    url: str | None  # absolute, with the site's address


def logo_target(kind: str) -> str:
    return "logo" + SUFFIXES[kind][0]


def site_logo(path: str | os.PathLike[str] | None, base_url: str | None) -> Logo | None:
    """The logo at `path` (checked with the settings), or None without one or
    if it went away since."""
    if path is None:
        return None
    try:
        found = read_image(os.fspath(path))
    except NotAnImage:
        return None
    target = logo_target(found.type)
    return Logo(found, target, base_url + target if base_url else None)
