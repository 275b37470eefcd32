"""The whole archive in one ZIM file (`--zim FILE`), the format that Kiwix
reads on phones and laptops and that kiwix-serve serves, made from the pages
this build rendered.

Each page goes in at the path of its file, so that the site's relative links
(which name files: `../archive/index.html`) lead from entry to entry; its
folder address (`2023/11/11/id/`) redirects there.  What needs a script or
the network is left out of the pages and of the file: scripts, the search
page and the search boxes (a ZIM reader has its own search over libzim's
full-text index), Pagefind, the offline index and the feeds.  Only what a
reader wrote is indexed: an article's title and text, never its byline,
dates or the pages' navigation; listing pages are not indexed at all.

The file is written beside FILE under another name, then renamed over it: a
write that fails leaves no half file at FILE, and the last good one stays.
libzim is an optional dependency (`pip install 'broadsheet[zim]'`); without
it, --zim is one warning and the build goes on.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import glob
import hashlib
import html
import itertools
import mimetypes
import os
import queue
import re
import shutil
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from .. import favicon, parallel
from .. import language as languages
from ..cache import OutputRecord, file_status, library_version, text_key
from ..config import Config
from ..records import FileStatus, Problem
from ..render import file_for
from ..write import walk_files
from . import Done, Output, Work, register, zim_file
from .address_pages import KIND as ADDRESS_PAGES
from .pages import KIND as PAGES
from .pages import page_keys, page_path

UNIT = "zim"
ILLUSTRATION_SIZE = 48
DESCRIPTION_LENGTH = 80  # the most the openZIM metadata rules allow
# Pages are compressed together in clusters of this size: half libzim's default, which compresses
# a tenth to a sixth faster for a file 1 to 3 % larger, and a reader opening a page unpacks half as much.
CLUSTER_SIZE = 1 << 20
# The theme's icons, the largest first: the illustration is scaled down from it.
ICONS = ("assets/apple-touch-icon.png", favicon.SOURCE)
# The pages a ZIM file leaves out: the search page, which needs scripts, and
# the 404 page, which a reader never shows.
LEFT_OUT = frozenset({"search/index.html", "404.html"})
# Of the theme's assets, what a page shows: the stylesheet, icons, images, fonts.
_SHOWN = ("text/css", "image/", "font/")

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>\s*", re.IGNORECASE | re.DOTALL)
_SEARCH_FORM = re.compile(r"<form\b[^>]*\brole=\"search\"[^>]*>.*?</form\s*>\s*", re.IGNORECASE | re.DOTALL)
# A link to the search page, and the separator before it (" · Search" in the footer), in two patterns
# that each begin with a plain character: one that may begin anywhere is tried at every character.
_TO_SEARCH = r"href=\"(?:\.\./)*search/(?:index\.html)?(?:[?#][^\"]*)?\""
_SEARCH_SEPARATOR = re.compile(r"·[ \t]*(?=<a\b[^>]*\b" + _TO_SEARCH + ")", re.IGNORECASE)
_SEARCH_LINK = re.compile(r"<a\b[^>]*\b" + _TO_SEARCH + r"[^>]*>.*?</a\s*>", re.IGNORECASE | re.DOTALL)
_FEED_LINK = re.compile(r"<link\b[^>]*\brel=\"alternate\"[^>]*>\s*", re.IGNORECASE)
# What only a search engine, a social network, a browser's tab or Pagefind reads (libzim compresses
# every byte at zstd's level 19, and these are 7 % of an article page).
_SHARING_META = re.compile(r"<meta (?:property=\"(?:og|article):|name=\"(?:twitter:[^\"]*|description)\")[^>]*>\s*"
                           r"|<link\b[^>]*\brel=\"(?:icon|apple-touch-icon)\"[^>]*>\s*", re.IGNORECASE)
_PAGEFIND_ATTRIBUTE = re.compile(r" data-pagefind-[a-z-]+(?:=\"[^\"]*\")?")
# An image from another site (a lead image given by its address, one in a Markdown body), with its figure.
_REMOTE_IMAGE = re.compile(r"<figure\b[^>]*>\s*<img\b[^>]*\bsrc=\"(?:https?:)?//[^\"]*\"[^>]*>\s*</figure>\s*"
                           r"|<img\b[^>]*\bsrc=\"(?:https?:)?//[^\"]*\"[^>]*>", re.IGNORECASE)
_TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)

# ISO 639-1 → ISO 639-3, which ZIM metadata and libzim's indexer take: the
# languages of the site's interface and of Snowball's stemmers, and those of
# most news archives.  A code of three letters is taken as it is.
ISO_639_3 = {
    "af": "afr", "am": "amh", "ar": "ara", "az": "aze", "be": "bel", "bg": "bul", "bn": "ben", "bs": "bos",
    "ca": "cat", "cs": "ces", "cy": "cym", "da": "dan", "de": "deu", "el": "ell", "en": "eng", "eo": "epo",
    "es": "spa", "et": "est", "eu": "eus", "fa": "fas", "fi": "fin", "fr": "fra", "ga": "gle", "gl": "glg",
    "gu": "guj", "ha": "hau", "he": "heb", "hi": "hin", "hr": "hrv", "hu": "hun", "hy": "hye", "id": "ind",
    "is": "isl", "it": "ita", "ja": "jpn", "ka": "kat", "kk": "kaz", "km": "khm", "kn": "kan", "ko": "kor",
    "ku": "kur", "ky": "kir", "lt": "lit", "lv": "lav", "mk": "mkd", "ml": "mal", "mn": "mon", "mr": "mar",
    "ms": "msa", "mt": "mlt", "my": "mya", "nb": "nob", "ne": "nep", "nl": "nld", "nn": "nno", "no": "nor",
    "pa": "pan", "pl": "pol", "ps": "pus", "pt": "por", "ro": "ron", "ru": "rus", "si": "sin", "sk": "slk",
    "sl": "slv", "so": "som", "sq": "sqi", "sr": "srp", "sv": "swe", "sw": "swa", "ta": "tam", "te": "tel",
    "th": "tha", "tl": "tgl", "tr": "tur", "uk": "ukr", "ur": "urd", "uz": "uzb", "vi": "vie", "yi": "yid",
    "yo": "yor", "zh": "zho", "zu": "zul",
}


def iso_639_3(language: str) -> str:
    """The ISO 639-3 code of a language code such as "pt-BR"; "und"
    (undetermined) for one the table does not know."""
    primary = language.split("-")[0].lower()
    return primary if len(primary) == 3 else ISO_639_3.get(primary, "und")


def for_reader(page: str) -> str:
    """A rendered page as a ZIM reader shows it: without its scripts (the
    schema.org data too), its search boxes and links to the search page, its
    links to the feeds, and what is there for other programs only (Open Graph,
    Pagefind's attributes), and images from other sites, which a reader
    without the network cannot show."""
    page = _SCRIPT.sub("", page)
    page = _SEARCH_FORM.sub("", page)
    page = _SEARCH_LINK.sub("", _SEARCH_SEPARATOR.sub("", page))
    page = _FEED_LINK.sub("", page)
    page = _SHARING_META.sub("", page)
    page = _REMOTE_IMAGE.sub("", page)
    return _PAGEFIND_ATTRIBUTE.sub("", page)


_MARKS = regex.compile(r"\p{M}+")


def unaccented(text: str) -> str:
    """`text` as libzim makes a reader's query before it searches the full-text
    index (ICU's "Lower; NFD; [:M:] remove; NFC"): words are indexed so, or a
    word with an accent ("été", "Müller") would be found by no query."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFC", _MARKS.sub("", unicodedata.normalize("NFD", text.lower())))


@dataclass(frozen=True)
class Entry:
    """One entry of the ZIM file."""

    path: str
    title: str
    mimetype: str
    content: bytes
    indexed: str | None = None  # an article's title and text, for the full-text index
    words: int = 0


@dataclass(frozen=True)
class Redirect:
    path: str
    target: str


@register
class Zim(Output):
    kind = "zim"
    stage = "zim"
    order = 90
    after = (PAGES, "images", "static", ADDRESS_PAGES)  # it reads their files
    # Its one unit has no file in the site: a site made whole keeps it as well as one updated in place.
    linked = True

    @classmethod
    def wanted(cls, config: Config) -> bool:
        return config.zim is not None

    def units(self) -> Sequence[str]:
        return [UNIT]

    def fingerprint(self, unit: str, last: OutputRecord) -> str:
        assert self.job.config.zim is not None
        return self.file_key(file_status(self.job.config.zim))

    def file_key(self, status: FileStatus | None) -> str:
        """Stands for the file as it would be written now, and for the file at
        FILE (`status`): the file is kept when it is the one the last build
        wrote and nothing in it would differ."""
        return text_key(f"{self.contents}\n{status.hex() if status is not None else 'absent'}")

    @functools.cached_property
    def contents(self) -> str:
        """What the file would hold if written now (the same before and after it
        is written).  The code, the templates and the settings are not in it: a
        change to any of those makes the whole build again (the cache's key)."""
        config, outputs = self.job.config, self.outputs
        parts = [str(config.zim), f"libzim {library_version('libzim')}", f"zstd level {config.zim_compression}",
                 f"zstandard {library_version('zstandard')}"]
        for kind in (PAGES, "images"):
            record_of = outputs.records_of(kind)  # every page's: the tables looked up once
            for unit in outputs.units(kind):
                record = record_of(unit)
                parts.append(f"{kind} {unit} {record.fingerprint if record is not None else ''}")
        # What a build copies again each time, and the illustration's file: by their bytes.
        shown = sorted(name for name in outputs.files_of("static") if _mimetype(name).startswith(_SHOWN))
        for name in shown:
            parts.append(f"static {name} {hashlib.blake2b(self._read(name), digest_size=16).hexdigest()}")
        if config.zim_illustration is not None and config.zim_illustration.is_file():
            parts.append(f"illustration {hashlib.blake2b(config.zim_illustration.read_bytes()).hexdigest()}")
        parts += [f"redirect {r.path} {r.target}" for r in self.redirects()]
        parts += [f"metadata {name} {value}" for name, value in self.metadata().items()]
        return text_key("\n".join(parts))

    def start(self, todo: list[str]) -> Work:
        config, note = self.job.config, self.job.note
        assert config.zim is not None
        if not todo:
            self.job.notes.append(f"kept {config.zim}: nothing in it changed")
            return Done({})
        try:
            import libzim  # noqa: F401
            import zstandard  # noqa: F401
        except ImportError as missing:
            note(Problem(str(config.zim), f"needs the Python package {missing.name} (pip install 'broadsheet[zim]'); "
                                          "no ZIM file written"))
            return Done({})
        if not config.zim.parent.is_dir():
            note(Problem(str(config.zim), f"its folder {config.zim.parent} does not exist; no ZIM file written"))
            return Done({})
        bar = self.job.progress("zim", len(self.outputs.units(PAGES)))
        try:
            # The pages are read as libzim takes them, while its workers compress and index those before,
            # a thread for each process the build may use (on this machine: not a cluster's width).
            written = write_archive(config.zim, self.entries(tick=bar.update), self.redirects(), main=file_for(""),
                                    metadata=self.metadata(), illustration=self.illustration(),
                                    language=iso_639_3(config.language),
                                    workers=min(self.job.jobs, parallel.default_jobs()), level=config.zim_compression)
        except (OSError, RuntimeError, UnicodeDecodeError) as error:
            note(Problem(str(config.zim), f"cannot be written ({_reason(error)}); no ZIM file written"))
            return Done({})
        finally:
            bar.close()
        self.job.notes.append(f"wrote {config.zim}: {written.articles} article{'s' if written.articles != 1 else ''}, "
                              f"{written.size / 1_000_000:.1f} MB")
        return Done({UNIT: OutputRecord(self.file_key(file_status(config.zim)), ())})

    def _read(self, name: str) -> bytes:
        """A file of the site as this build makes it: written into the staging
        folder, or kept in the site in place."""
        made = self.job.staging.path / name
        return (made if made.exists() else self.job.config.out / name).read_bytes()

    def entries(self, tick: Callable[[int], object] = lambda n: None) -> Iterator[Entry]:
        """The pages (articles first, then the home page and the other listings),
        the theme's stylesheet and icons, and the images; `tick` is told of each page."""
        site = self.job.site
        for key in page_keys(site):
            tick(1)
            path = page_path(site, key)
            if path in LEFT_OUT:
                continue
            page = for_reader(self._read(path).decode("utf-8"))
            kind, i = key
            if kind == "article":
                article = site.entries[i].article
                yield Entry(path, article.title, "text/html", page.encode("utf-8"),
                            indexed=f"{article.title}\n\n{article.text}", words=article.word_count)
            else:
                title = _TITLE.search(page)
                yield Entry(path, html.unescape(title.group(1)).strip() if title else path, "text/html",
                            page.encode("utf-8"))
        assets: dict[str, Path] = {}
        for folder in reversed(self.job.config.template_dirs):  # the user's templates win, as in the site
            if (folder / "assets").is_dir():
                assets.update({f"assets/{name}": folder / "assets" / name for name in walk_files(folder / "assets")})
        for name in sorted(assets):
            kind = _mimetype(name)
            if kind.startswith(_SHOWN):
                yield Entry(name, "", kind, assets[name].read_bytes())
        for name in sorted(self.outputs.files_of("images") | self.outputs.files_of("static")):
            kind = _mimetype(name)
            if kind.startswith(_SHOWN):
                yield Entry(name, "", kind, self._read(name))

    def redirects(self) -> Iterator[Redirect]:
        """Each page's folder address to its file, and the old addresses the
        site redirects (moved articles, folders above pages) to their pages."""
        site = self.job.site
        for key in page_keys(site):
            path = page_path(site, key)
            if path.endswith("/index.html"):
                yield Redirect(path.removesuffix("index.html"), path)
        addresses = self.job.addresses(set(self.outputs.units(PAGES)))
        moves = [(m.url, m.to) for m in addresses.moved] + [(f.url, f.to) for f in addresses.folders]
        for url, to in moves:
            if to is None:
                continue
            yield Redirect(file_for(url), file_for(to))
            if url.endswith("/"):
                yield Redirect(url, file_for(to))

    def metadata(self) -> dict[str, str]:
        config, site = self.job.config, self.job.site
        words = languages.translations(config.language)
        description = words.gettext("Every article of %(title)s, by year and month.") % {"title": config.site_title}
        if len(description) > DESCRIPTION_LENGTH:  # what readers show in their lists; the rest is the long one
            long_description, description = description, description[:DESCRIPTION_LENGTH - 1].rstrip() + "…"
        else:
            long_description = None
        name = re.sub(r"[^a-z0-9]+", "-", config.site_title.lower()).strip("-") or "broadsheet"
        pictures = "yes" if self.outputs.files_of("images") else "no"
        version = library_version("broadsheet")  # "absent" from a checkout that was never installed
        made_by = "broadsheet" if version == "absent" else f"broadsheet {version}"
        values = {
            "Title": config.site_title,
            "Description": description,
            "Language": iso_639_3(config.language),
            "Creator": config.site_title,
            "Publisher": config.site_title,
            # The newest article's day, not the day of the build: the same articles make the same file.
            "Date": max(e.article.date for e in site.entries).isoformat(),
            "Name": f"{name}_{config.language.split('-')[0].lower()}_all",
            "Tags": f"news;_category:news;_ftindex:yes;_pictures:{pictures};_videos:no;_details:yes",
            "Scraper": made_by,
        }
        if long_description is not None:
            values["LongDescription"] = long_description
        return values

    def illustration(self) -> bytes | None:
        """The 48×48 PNG that readers show for the file: the `zim-illustration`
        setting, else the theme's icon, scaled."""
        config, note = self.job.config, self.job.note
        if config.zim_illustration is not None:
            try:
                return square_png(config.zim_illustration.read_bytes(), ILLUSTRATION_SIZE)
            except (OSError, ValueError) as error:
                note(Problem(str(config.zim_illustration), f"cannot be used as the ZIM file's illustration "
                                                           f"({_reason(error)}); the theme's icon is used"))
        for icon in ICONS:
            source = next((d / icon for d in config.template_dirs if (d / icon).is_file()), None)
            if source is None:
                continue
            try:
                return square_png(source.read_bytes(), ILLUSTRATION_SIZE)
            except (OSError, ValueError) as error:
                note(Problem(str(source), f"cannot be used as the ZIM file's illustration ({_reason(error)})"))
        return None


def _mimetype(name: str) -> str:
    if name.endswith(".ico"):
        return "image/vnd.microsoft.icon"  # mimetypes has image/x-icon on some systems only
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror}: {error.filename}" if error.filename else error.strerror
    return str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__


def square_png(png: bytes, size: int) -> bytes:
    """`png` as a PNG of `size`×`size` pixels (raises ValueError when it is no
    PNG).  A PNG of that size is taken as it is; another is scaled by Pillow,
    which comes with libzim in the `zim` extra."""
    width, height = favicon.png_size(png)
    if (width, height) == (size, size):
        return png
    import io

    from PIL import Image  # only here: only an illustration of another size needs it

    with Image.open(io.BytesIO(png)) as image:
        image.load()
        square = image.convert("RGBA").resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    square.save(out, format="PNG", optimize=True)  # no date or other varying chunk: the same bytes each time
    return out.getvalue()


class InTurn:
    """The articles' turns in libzim's full-text index, so that several
    worker threads can compress and index side by side and still make the
    same file.

    libzim gives the index its documents in the order its threads finish
    them, so with more than one thread the same articles would give another
    file each time.  Each article's words, once found, wait on the thread that
    is to add them to the index until libzim has let go of the article's
    before (which it does once those are in the index); a thread not waiting
    its turn finds an article's words or compresses.  A thread waits only
    on an article taken from the queue before its own, which another thread
    is indexing, so the wait ends, unless the writing stopped (stop())."""

    # Longer than any one article takes to index: a wait that ends this way is a fault, not a slow article.
    LONGEST_WAIT = 600.0
    SLICE = 0.25  # how soon a wait sees that the writing stopped

    def __init__(self) -> None:
        self._last: threading.Event | None = None
        self._stopped = threading.Event()

    def next(self) -> tuple[threading.Event | None, threading.Event]:
        """The turn of the next article: the event it waits for, and its own."""
        after, self._last = self._last, threading.Event()
        return after, self._last

    def wait(self, after: threading.Event | None) -> None:
        if after is None:
            return
        deadline = time.monotonic() + self.LONGEST_WAIT
        while not after.wait(self.SLICE):
            if self._stopped.is_set():
                raise RuntimeError("the writing stopped")
            if time.monotonic() > deadline:
                raise RuntimeError("the full-text index stopped: an article was never indexed")

    def stop(self) -> None:
        """End the waits: the writing failed, and the articles before them may never be indexed."""
        self._stopped.set()


def _thread_ids() -> frozenset[int] | None:
    """The system's ids of this process's threads (Python's among them, as
    `threading.get_native_id` gives them); None where psutil cannot list them."""
    import psutil  # Linux, macOS, Windows and the BSDs list a process's threads

    try:
        return frozenset(thread.id for thread in psutil.Process().threads())
    except (psutil.Error, NotImplementedError, OSError):
        return None


class Writing:
    """The file written on a thread of its own, given the entries by the
    writer process's main thread, which watches the writing.

    When one of libzim's own threads fails (a disk that fills, a file too
    large), libzim ends all its threads, but a call that waits for room in
    their queues waits for good, and so does the writer's destructor.
    libzim's threads end only so or at the end of the file, after its last
    wait, when libzim writes the file's last parts and renames it.  So the
    writing is given up when one of those threads is gone while entries are
    still being added, or while the file being finished has not changed for
    `stalled` seconds, and the process that writes it ends (see
    write_archive).  Where psutil does not list a process's threads, nothing
    is watched."""

    STALLED = 30.0  # no part of a file's end takes so long without a write
    GRACE = 1.0  # for the writing to raise libzim's error itself, at its next call
    POLL = 0.25
    LAST_THREADS = 10.0  # for the rest of libzim's threads to end, once one did on an error
    AHEAD = 64  # entries taken ahead of the writing: about a cluster of pages

    def __init__(self, fill: Callable[[Writing], int], creator: object, partial: Path, turns: InTurn,
                 libzim: frozenset[int], stalled: float = STALLED) -> None:
        self.fill, self.creator, self.partial, self.turns = fill, creator, partial, turns
        self.libzim, self.stalled = libzim, stalled
        self.finishing = False
        self._items: queue.Queue[Entry | Redirect | None] = queue.Queue(self.AHEAD)
        self._articles = 0
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name="zim")
        self._gone_at: float | None = None  # when libzim's threads were first seen gone
        self._files: tuple[FileStatus | None, ...] = ()

    def _run(self) -> None:
        try:
            self._articles = self.fill(self)
        except BaseException as error:  # noqa: BLE001 - raised by result()
            self._error = error

    def items(self) -> Iterator[Entry | Redirect]:
        """The entries and redirects, on the writing's thread, as they are given."""
        while (item := self._items.get()) is not None:
            yield item

    def result(self, items: Iterable[Entry | Redirect]) -> int:
        """Write `items`; the number of articles written, once the file is;
        raises what stopped it."""
        self._thread.start()
        for item in _then_none(items):
            while self._thread.is_alive():
                try:
                    self._items.put(item, timeout=self.POLL)
                    break
                except queue.Full:
                    self._check()
            if not self._thread.is_alive():
                break  # the writing failed: its error follows
        while self._thread.is_alive():
            self._thread.join(self.POLL)
            if self._thread.is_alive():
                self._check()
        if self._error is not None:
            raise self._error
        return self._articles

    def _check(self) -> None:
        """Raise when libzim's threads have stopped on an error."""
        running = _thread_ids()
        if running is None or self.libzim <= running:
            return
        now = time.monotonic()
        files = (file_status(self.partial), file_status(f"{self.partial}.tmp"))
        if self._gone_at is None or files != self._files:
            self._gone_at, self._files = now, files
        if files[1] is None and files[0] is not None:
            return  # renamed: libzim is past its last wait, computing the file's checksum
        waited = now - self._gone_at - (self.stalled if self.finishing else self.GRACE)
        if waited < 0:
            return
        # Its threads waiting their turn in the index, behind an article never indexed, end too.
        self.turns.stop()
        gone = not self.libzim & running
        if gone or waited >= self.LAST_THREADS:
            # libzim is asked only when all its threads are gone: else it may be writing still.
            raise RuntimeError(self._reason() if gone else "libzim's threads stopped on an error")

    def _reason(self) -> str:
        """What libzim's threads failed on."""
        try:
            # Asked so, libzim raises the error its threads stopped on, before it adds anything.
            self.creator.add_metadata("Error", "")  # type: ignore[attr-defined]
        except RuntimeError as error:
            return _reason(error)
        return "libzim's threads stopped on an error"


def _then_none(items: Iterable[Entry | Redirect]) -> Iterator[Entry | Redirect | None]:
    yield from items
    yield None  # the end


@dataclass(frozen=True)
class Written:
    size: int  # bytes
    articles: int


@dataclass(frozen=True)
class _Task:
    """What the writer process is given, besides the entries and redirects."""

    partial: Path
    main: str
    metadata: dict[str, str]
    illustration: bytes | None
    language: str
    workers: int
    cluster_size: int
    stalled: float


# Entries sent to the writer process at a time: about 0.5 MB of pages.
_BATCH = 64


def write_archive(target: Path, entries: Iterable[Entry], redirects: Iterable[Redirect], *, main: str,
                  metadata: dict[str, str], illustration: bytes | None, language: str, workers: int = 1,
                  level: int = 12) -> Written:
    """Write the ZIM file `target` of `entries`, whose main page is at `main`,
    and of the `redirects` whose target is one of them, with `workers` threads
    that index side by side and then compress its clusters at zstd's `level`;
    the same entries give the same bytes whatever their number.  Written under another name in the same folder,
    then renamed: on any failure nothing is left at `target` but what was there
    before.

    libzim runs in a process of its own, which is given the entries as they
    are read: a writer whose threads failed can be neither used nor freed
    (see Writing), and ends with its process, which lets go of its files and
    of its count of tasks (one for the whole process, which every later writer
    in it would wait on)."""
    import multiprocessing

    if multiprocessing.current_process().daemon:
        raise RuntimeError("libzim runs in a process of its own, which a daemon process cannot start")
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    partial = Path(name)
    # Started afresh ("spawn"): nothing of the build's threads and locks, and the limits of the process as they are now.
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_write_in_process, name="zim", daemon=True, args=(
        theirs, _Task(partial, main, metadata, illustration, language, workers, CLUSTER_SIZE, Writing.STALLED)))
    try:
        with parallel.main_left_alone():
            process.start()
        theirs.close()
        batch: list[Entry | Redirect] = []
        items: Iterator[Entry | Redirect] = itertools.chain(entries, redirects)
        for item in items:
            batch.append(item)
            if len(batch) == _BATCH:
                _send(ours, process, batch)
                batch = []
        _send(ours, process, batch)
        _send(ours, process, None)
        articles = _answer(ours, process)
        process.join()
        zim_file.finish(partial, level, workers)
        os.replace(partial, target)
    except BaseException as error:
        if process.pid is not None:  # started
            process.kill()  # an interrupted build, or a writer in error: its files are let go
            process.join()
        ours.close()
        # libzim and Xapian tell a full disk badly ("Unknown exception"): seen before the part written is removed.
        full = isinstance(error, RuntimeError) and _no_room(target.parent)
        for leftover in partial.parent.glob(glob.escape(partial.name) + "*"):  # libzim's own temporary files too
            _remove(leftover)
        if full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target.parent)) from error
        raise
    ours.close()
    return Written(target.stat().st_size, articles)


def _send(connection: Any, process: Any, batch: list[Entry | Redirect] | None) -> None:
    try:
        connection.send(batch)
    except OSError:
        # The writer ended (its pipe is closed): what it said before it did.
        _answer(connection, process)
        raise RuntimeError("the ZIM writer stopped") from None


def _answer(connection: Any, process: Any) -> int:
    """The writer process's answer: the number of articles written, or the error it stopped on, raised."""
    try:
        ok, value = connection.recv()
    except (EOFError, OSError):
        process.join()
        raise RuntimeError(f"the ZIM writer ended with exit code {process.exitcode}") from None
    if not ok:
        raise value
    return int(value)


def _write_in_process(connection: Any, task: _Task) -> None:
    """The writer process: the entries as they come, then the number of
    articles written, or the error that stopped it.  It ends without freeing
    libzim's writer, which would wait for good after an error of its threads."""
    parallel.die_with(os.getppid())  # a build killed takes its writer with it
    # libzim prints the steps of finishing a file on the standard output, which is the user's.
    with open(os.devnull, "wb") as nowhere:
        os.dup2(nowhere.fileno(), 1)
    answer: tuple[bool, object] = (False, RuntimeError("the ZIM writer stopped"))
    try:
        answer = (True, _write(connection, task))
    except BaseException as error:  # noqa: BLE001 - handed to the build, which raises it
        answer = (False, error)
    finally:
        try:
            connection.send(answer)
        except Exception as error:  # noqa: BLE001 - an exception that cannot be pickled, or a build gone
            with contextlib.suppress(Exception):
                connection.send((False, RuntimeError(f"{type(error).__name__}: {error}")))
        sys.stderr.flush()
        os._exit(0 if answer[0] else 1)


def _received(connection: Any) -> Iterator[Entry | Redirect]:
    while (batch := connection.recv()) is not None:
        yield from batch


def _write(connection: Any, task: _Task) -> int:
    """Write the file of the entries and redirects received; the number of articles."""
    from libzim.writer import Compression, Creator, Hint, IndexData, Item, StringProvider

    class Indexed(IndexData):  # type: ignore[misc]
        """An article's words for the full-text index, added in its turn (see `InTurn`)."""

        def __init__(self, entry: Entry, turn: InTurn) -> None:
            self.entry = entry
            self.turn = turn
            self.after, self.done = turn.next()

        def has_indexdata(self) -> bool:
            return True

        def __del__(self) -> None:
            # libzim lets go of the article's words once they are in the index.
            self.done.set()

        def get_title(self) -> str:
            return unaccented(self.entry.title)

        def get_content(self) -> str:
            return unaccented(self.entry.indexed or "")

        def get_keywords(self) -> str:
            # libzim asks this last, once the article's words are found and
            # stemmed, just before it adds them to the index: the wait holds
            # back that step alone, so that threads find words side by side
            # (at 10,000 articles, a fifth less time for the whole file).
            self.turn.wait(self.after)
            return ""

        def get_wordcount(self) -> int:
            return self.entry.words

        def get_geoposition(self) -> tuple[float, float] | None:
            return None

    class Adding(Item):  # type: ignore[misc]
        def __init__(self, entry: Entry) -> None:
            super().__init__()
            self.entry = entry

        def get_path(self) -> str:
            return self.entry.path

        def get_title(self) -> str:
            return self.entry.title

        def get_mimetype(self) -> str:
            return self.entry.mimetype

        def get_contentprovider(self) -> StringProvider:
            return StringProvider(self.entry.content)

        def get_hints(self) -> dict[Hint, int]:
            # Only articles are offered in the reader's suggestions and random pages.
            return {Hint.FRONT_ARTICLE: self.entry.indexed is not None,
                    Hint.COMPRESS: not self.entry.mimetype.startswith(("image/png", "image/jpeg", "image/gif",
                                                                       "image/webp", "image/avif"))}

        def get_indexdata(self) -> IndexData | None:
            # None: no full-text index for the page (libzim would index a page's whole HTML otherwise).
            return Indexed(self.entry, turns) if self.entry.indexed is not None else None

    turns = InTurn()

    def fill(creator: Creator, writing: Writing) -> int:
        """Add everything to the file and finish it; the number of articles."""
        added: set[str] = set()
        articles = 0
        creator.set_mainpath(task.main)
        # The illustration first: the binding adds it holding Python's lock, and had it
        # filled a cluster, libzim would wait for threads that wait for that lock.
        if task.illustration is not None:
            creator.add_illustration(ILLUSTRATION_SIZE, task.illustration)
        for key, value in task.metadata.items():
            creator.add_metadata(key, value)
        for item in writing.items():
            if isinstance(item, Entry):
                creator.add_item(Adding(item))
                added.add(item.path)
                articles += item.indexed is not None
            elif item.path not in added and item.target in added:
                creator.add_redirection(item.path, "", item.target, {Hint.FRONT_ARTICLE: False})
                added.add(item.path)
        # On an error above, the file is not finished: the process ends with it, and the build removes it.
        writing.finishing = True
        creator.__exit__(None, None, None)  # what `with creator` does at its end: the file finished
        return articles

    # Clusters as they are: they are compressed once the file is written (see zim_file).
    creator = (Creator(task.partial).config_indexing(True, task.language).config_nbworkers(task.workers)
               .config_clustersize(task.cluster_size).config_compression(Compression.none))
    before = _thread_ids()
    creator.__enter__()
    after = _thread_ids()
    libzim = after - before if before is not None and after is not None else frozenset()
    writing = Writing(functools.partial(fill, creator), creator, task.partial, turns, libzim, task.stalled)
    return writing.result(_received(connection))


def _remove(leftover: Path) -> None:
    """Remove a file or folder of a file not written (its writer's process has ended)."""
    if leftover.is_dir():
        shutil.rmtree(leftover, ignore_errors=True)
    else:
        leftover.unlink(missing_ok=True)


def _no_room(folder: Path) -> bool:
    """Whether the file system of `folder` has no room left for one more cluster."""
    try:
        return shutil.disk_usage(folder).free < 2 * CLUSTER_SIZE
    except OSError:
        return False
