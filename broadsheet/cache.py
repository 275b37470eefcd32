"""What a build may keep from the last one, so that a rebuild does only the work
its changes need.

The cache sits beside the output folder (`.dist.cache/` for `dist/`), never
inside it, and is written only once a build has put its site in place (a cache
written whole is made beside it as the articles are loaded, and replaces it
then).  It holds:

- the build key: everything but the articles that shapes the output (this
  package's code, the templates and their assets, the settings, the versions of
  Python and of the libraries).  With another key nothing is kept.
- for each source file, the digest of its path and bytes and what parsing them
  gave (before load.dated's checks, which depend on the day): an unchanged file
  is not parsed again.
- for each unit of each output (a page, the feeds, a search bundle: see
  broadsheet/outputs), by kind and unit, its fingerprint (what it was made
  from), and its files with their status in the output folder; a page's record
  also names the keys of `site` its templates read.  A unit whose fingerprint
  is unchanged, and whose files are still as the build left them, is kept
  instead of being made again: making is deterministic, so it would come out
  the same bytes.  The cache knows no kind: each kind says what its units are.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import importlib.metadata
import itertools
import operator
import os
import sqlite3
import sys
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, storage
from .config import Config, output_settings
from .load import Loaded
from .records import Article, Body, FileStatus, status_of, unchanged
from .render import ReadsNoted
from .site import Entry

PACKAGE = Path(__file__).resolve().parent
CACHE_FILE = "build-cache.sqlite"
FORMAT = f"8.{storage.FORMAT}"  # of the cache file and the values in it; another one is not read
# Libraries whose output ends up in the site.
_LIBRARIES = ("markdown-it-py", "jinja2", "markupsafe", "pagefind", "pagefind_bin", "python-frontmatter",
              "charset-normalizer", "python-slugify", "feedgen", "regex", "cbor2", "mdurl",
              "babel")  # its CLDR data writes the dates and month names


@dataclass(frozen=True, slots=True)  # one or more for each article: slots halve its size
class OutputRecord:
    """One unit of an output as a build made it: its fingerprint, its files
    with their status, the keys of `site` its templates read (a page's), and
    a number its kind keeps with it (the pages a search bundle indexed)."""

    fingerprint: str
    files: tuple[tuple[str, FileStatus], ...]
    reads: frozenset[str] = frozenset()
    count: int = 0


# The records of a build's outputs: by kind, then by unit.
OutputRecords = dict[str, dict[str, OutputRecord]]


@dataclass(slots=True)  # one for each article: slots, and not frozen, as Loaded (load.py)
class ArticleRecord:
    """A source file as the last build read it: the digest of its path and
    bytes, its status then, and what parsing it gave."""

    digest: str
    status: FileStatus
    loaded: Loaded


@dataclass
class Cache:
    key: str
    articles: dict[str, ArticleRecord] = field(default_factory=dict)  # by source path
    outputs: OutputRecords = field(default_factory=dict)
    read_started_ns: int = 0  # when the build began to read the source files
    record_digest: str | None = None  # of the record of addresses it wrote (redirects.record_digest)
    address_plan: str | None = None  # its plan of addresses, for the next build to take up (build.AddressPlanning)
    bodies: BodyReader | None = None  # of the articles, which are read without them

    def trusts(self, rel: str, status: FileStatus | None) -> ArticleRecord | None:
        """The record of a source file that need not be read again: its status
        is the same as when it was read, and it was not changed in the moments
        before (a change within the file system's clock step would not show)."""
        record = self.articles.get(rel)
        return record if record is not None and unchanged(status, record.status, self.read_started_ns) else None


def folder_for(out: Path) -> Path:
    """The cache folder of an output folder: beside it, hidden, never published."""
    out = out.resolve()
    return out.parent / f".{out.name}.cache"


def exists(out: Path) -> bool:
    """Whether a build into `out` left a cache (which may not be usable)."""
    return (folder_for(out) / CACHE_FILE).is_file()


def _connect(out: Path, *, create: bool) -> sqlite3.Connection | None:
    path = folder_for(out) / CACHE_FILE
    if not create and not path.is_file():
        return None
    return _open(path)


def _open(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(exist_ok=True)
    db = sqlite3.connect(path)
    db.executescript(
        # For a new file: an article's row (about 4 kB with its body) then fits
        # in one page, which halves the time of writing or reading them all.
        "pragma page_size = 65536;"
        "create table if not exists meta (name text primary key, value blob);"
        # rel: file system bytes; record: all but the body and the excerpt, which are read
        # only when used (a listing reads the excerpts of the articles it shows).
        "create table if not exists articles (rel blob primary key, record blob, body blob, excerpt text);"
        # The records of each kind's units, by part (see OUTPUT_PART).
        "create table if not exists outputs (kind text, part text, units blob, primary key (kind, part)) without rowid;"
    )
    return db


def read_cache(out: Path, key: str) -> tuple[Cache | None, str | None]:
    """The cache of the last build into `out`, if it was made with `key`; else
    None and, when a cache was there but cannot be used, why (one line)."""
    try:
        db = _connect(out, create=False)
        if db is None:
            return None, None
        try:
            meta = dict(db.execute("select name, value from meta"))
            if meta.get("format") != FORMAT or meta.get("key") != key:
                return None, None
            bodies = BodyReader(folder_for(out) / CACHE_FILE)
            cache = Cache(key, read_started_ns=int(meta.get("read_started_ns", 0)), bodies=bodies,
                          record_digest=meta.get("record_digest"), address_plan=meta.get("address_plan"))
            # Files of this tool's own, beside the output the user asked for.
            for rel, record in db.execute("select rel, record from articles"):
                name = os.fsdecode(rel)
                cache.articles[name] = unpack(record, StoredBody(bodies, name))
            cache.outputs = _outputs_in(db, meta)
            return cache, None
        finally:
            db.close()
    except Exception as error:  # noqa: BLE001 - any damage means: build everything
        return None, f"the build cache in {folder_for(out)} cannot be read ({type(error).__name__}); every page is built"


def _outputs_in(db: sqlite3.Connection, meta: dict[str, Any]) -> OutputRecords:
    outputs: OutputRecords = {}
    if meta.get("outputs") == OUTPUTS_KNOWN:
        for kind, units in db.execute("select kind, units from outputs order by kind, part"):
            outputs.setdefault(kind, {}).update(_records_from(storage.loads(units)))
    return outputs


def read_outputs(out: Path) -> OutputRecords:
    """The records of the outputs of the last build into `out`, whatever its
    key (read_cache says whether they may be used); none if it left none."""
    db = _connect(out, create=False)
    if db is None:
        return {}
    try:
        meta = dict(db.execute("select name, value from meta"))
        return _outputs_in(db, meta) if meta.get("format") == FORMAT else {}
    finally:
        db.close()


def write_cache(out: Path, cache: Cache, *, last: Cache | None, whole: WholeCache | None = None) -> None:
    """Record `cache`, writing only the articles that differ from `last`'s;
    with no `last`, into the file `whole` if it holds `cache`'s articles."""
    if last is not None and last.key != cache.key:
        last = None
    try:
        if last is None and whole is not None and whole.holds(cache.articles):
            whole.finish(cache)
            return
        if whole is not None:
            whole.abandon()  # another cache's articles, or not all of them
        if last is None:
            # Every article is written: into a new file, faster than emptying the old one.
            (folder_for(out) / CACHE_FILE).unlink(missing_ok=True)
        _write(out, cache, last)
    except sqlite3.DatabaseError:
        if whole is not None:
            whole.abandon()
        # Damaged: made anew, with the articles whose bodies this build holds
        # (the others are parsed again next time).
        (folder_for(out) / CACHE_FILE).unlink(missing_ok=True)
        kept = {rel: r for rel, r in cache.articles.items() if r.loaded.article is None or r.loaded.article.has_body}
        _write(out, dataclasses.replace(cache, articles=kept), None)


class WholeCache:
    """A cache written whole into a new file beside the one in place: its
    articles as they are loaded (add), the rest by finish(), once the site is
    in place, when it replaces the old file.  A build cut short leaves the old
    one; if this file cannot be written, the cache is written at the end as
    without it."""

    def __init__(self, out: Path) -> None:
        self.path = folder_for(out) / (CACHE_FILE + ".new")
        self.target = folder_for(out) / CACHE_FILE
        # How many records were written: the build's own records, not a second
        # table of them (see holds).
        self.count = 0
        self.failed = False
        self._db: sqlite3.Connection | None = None
        try:
            self.path.unlink(missing_ok=True)  # left by a build that was killed
        except OSError:
            self.failed = True

    def add(self, records: list[tuple[str, ArticleRecord, Packed]]) -> None:
        """Each record by its source path, with what pack() gave for it."""
        if self.failed:
            return
        try:
            if self._db is None:
                # Opened at the first records, after the workers that load were forked:
                # a connection must never be carried into another process.
                self._db = _open(self.path)
            _insert_packed(self._db, ((rel, packed) for rel, _, packed in records))  # one transaction for all, until close()
        except (OSError, sqlite3.Error):
            self.abandon()
            return
        self.count += len(records)

    def close(self) -> None:
        """Commit what was added: before any worker that renders is forked."""
        if self._db is None:
            return
        try:
            self._db.commit()
        except sqlite3.Error:
            self.abandon()
            return
        self._db.close()
        self._db = None

    def holds(self, articles: dict[str, ArticleRecord]) -> bool:
        """True when the articles written are `articles`: a full build adds each
        record it reads, once, and keeps no other (load_articles)."""
        return not self.failed and self._db is None and self.count == len(articles)

    def finish(self, cache: Cache) -> None:
        db = _open(self.path)
        try:
            with db:
                _insert_outputs(db, cache.outputs, {})
                _insert_meta(db, cache)
        finally:
            db.close()
        os.replace(self.path, self.target)

    def abandon(self) -> None:
        if self._db is not None:
            self._db.close()  # what was not committed is dropped
            self._db = None
        self.failed = True
        self.path.unlink(missing_ok=True)


def _write(out: Path, cache: Cache, last: Cache | None) -> None:
    """Write what differs from `last` into its file; without `last`, write a new file whole."""
    db = _connect(out, create=True)
    assert db is not None
    last = last or Cache(cache.key)
    try:
        with db:
            gone = last.articles.keys() - cache.articles.keys()
            db.executemany("delete from articles where rel = ?", ((os.fsencode(rel),) for rel in sorted(gone)))
            _insert_articles(db, ((rel, r) for rel, r in cache.articles.items() if last.articles.get(rel) is not r))
            _insert_outputs(db, cache.outputs, last.outputs)
            _insert_meta(db, cache)
    finally:
        db.close()


def _insert_articles(db: sqlite3.Connection, records: Iterable[tuple[str, ArticleRecord]]) -> None:
    _insert_packed(db, ((rel, pack(record)) for rel, record in records))


def _insert_packed(db: sqlite3.Connection, rows: Iterable[tuple[str, Packed]]) -> None:
    db.executemany("insert or replace into articles values (?, ?, ?, ?)", ((os.fsencode(rel), *packed) for rel, packed in rows))


def _insert_outputs(db: sqlite3.Connection, outputs: OutputRecords, last: OutputRecords) -> None:
    """The parts of `outputs` that are not as in `last`, the outputs in the
    file (none: all are written)."""
    if not last:
        db.execute("delete from outputs")  # forgotten, or a new file
    written, gone = _changed_parts(outputs, last)
    db.executemany("delete from outputs where kind = ? and part = ?", gone)
    db.executemany("insert or replace into outputs values (?, ?, ?)",
                   ((kind, part, storage.dumps(_records_values(units))) for kind, part, units in written))


def _insert_meta(db: sqlite3.Connection, cache: Cache) -> None:
    """The cache's settings; its outputs are those the table holds (_insert_outputs)."""
    meta = {
        "format": FORMAT, "key": cache.key, "read_started_ns": str(cache.read_started_ns),
        "record_digest": cache.record_digest, "outputs": OUTPUTS_KNOWN, "address_plan": cache.address_plan,
    }
    db.executemany("insert or replace into meta values (?, ?)", meta.items())


# The records of outputs are stored by parts, each the units whose names begin
# with the same OUTPUT_PART characters ("2024/11" for a month's articles' pages):
# a rebuild writes the parts where a unit was made again, not every unit's
# record (18 MB at 100,000 articles, 0.25 s, for a page or two).
OUTPUT_PART = 7
OUTPUTS_KNOWN = 1  # the value of meta's "outputs" when the table outputs holds the site in place's


def _changed_parts(outputs: OutputRecords, last: OutputRecords) -> tuple[
        list[tuple[str, str, dict[str, OutputRecord]]], list[tuple[str, str]]]:
    """The parts of `outputs` that hold a unit whose record is not `last`'s
    (kept records are the last build's objects), or that lost one; and the
    parts of `last` that `outputs` no longer has."""
    written, gone = [], []
    for kind in sorted(outputs.keys() | last.keys()):
        units, before = outputs.get(kind, {}), last.get(kind, {})
        changed = {unit[:OUTPUT_PART] for unit in before.keys() - units.keys()}
        changed.update(unit[:OUTPUT_PART] for unit, record in units.items() if before.get(unit) is not record)
        # Only the changed parts are gathered: a rebuild changes a few of thousands.
        parts: dict[str, dict[str, OutputRecord]] = {part: {} for part in sorted(changed)}
        for unit, record in units.items():
            held = parts.get(unit[:OUTPUT_PART])
            if held is not None:
                held[unit] = record
        written += [(kind, part, held) for part, held in parts.items() if held]
        gone += [(kind, part) for part, held in parts.items() if not held]
    return written, gone


def _records_values(units: dict[str, OutputRecord]) -> dict[str, tuple[Any, ...]]:
    return {unit: (r.fingerprint, r.files, r.reads, r.count) for unit, r in units.items()}


def _records_from(values: dict[str, tuple[Any, ...]]) -> dict[str, OutputRecord]:
    # marshal gives back the tuples it was given: each record's values are its fields.
    return dict(zip(values, itertools.starmap(OutputRecord, values.values()), strict=True))


# A record without its article's body and excerpt; the body; the excerpt.
Packed = tuple[bytes, bytes | None, str | None]


def pack(record: ArticleRecord) -> Packed:
    """The record as stored: without the article's body and excerpt, then those."""
    article = record.loaded.article
    head = body = excerpt = None
    if article is not None:
        head = storage.article_values(article)
        body = storage.dumps(storage.body_values(article.body))
        excerpt = article.excerpt
    problems = storage.problems_values(record.loaded.problems)
    return storage.dumps((record.digest, record.status, head, problems)), body, excerpt


def unpack(data: bytes, stored: StoredBody | None = None, *, body: Packed | None = None) -> ArticleRecord:
    """A record that pack() gave: its article, if any, with the body of
    `body` (what pack() gave), or reading its body from the cache when first used."""
    digest, status, head, problems = storage.loads(data)
    article = None
    if head is not None:
        if body is not None and body[1] is not None and body[2] is not None:
            article = storage.article_from(head, storage.body_from(storage.loads(body[1]), body[2]))
        else:
            assert stored is not None
            article = storage.article_from(head, stored, source=stored.rel)
    return ArticleRecord(digest, status, Loaded(article, storage.problems_from(problems)))


class StoredBody:
    """The body of an article, kept in the build cache: read when first used."""

    __slots__ = ("reader", "rel")

    def __init__(self, reader: BodyReader, rel: str) -> None:
        self.reader = reader
        self.rel = rel  # the article's source: one string for both

    def __call__(self) -> Body:
        return self.reader.read(os.fsencode(self.rel))

    def excerpt(self) -> str:
        return self.reader.excerpt(os.fsencode(self.rel))


# The reader of each cache file in this process, by its absolute path (see BodyReader.__reduce__).
_readers: weakref.WeakValueDictionary[Path, BodyReader] = weakref.WeakValueDictionary()


def reader_of(path: Path) -> BodyReader:
    """The reader of the cache file at `path` in this process."""
    return _readers.get(path) or BodyReader(path)


class BodyReader:
    """Reads the bodies of articles from a cache file: one at a time when an
    article's body is used, or those of many articles at once, kept while they
    are used (holding).  Bodies are never all held: an archive's bodies are
    most of its size, and would not fit in memory at a million articles."""

    # Bodies read one at a time are kept until this many, for the page and the
    # feed entry of the same article that ask for its text, then paragraphs.
    RECENT = 64

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        self._held: dict[bytes, Body] = {}
        self._excerpts: dict[bytes, str] = {}  # held without their bodies
        self._recent: dict[bytes, Body] = {}
        _readers[self.path.absolute()] = self

    def __reduce__(self) -> tuple[Callable[[Path], BodyReader], tuple[Path]]:
        # Sent to a worker (with the articles of a range of pages): there, the
        # reader of the same file, which a forked worker inherited, or a new
        # one that opens its own connection (on a cluster's shared file system).
        return reader_of, (self.path.absolute(),)

    def _connection(self) -> sqlite3.Connection:
        # A connection is never used across a fork: worker processes open their own.
        if self._db is None or self._pid != os.getpid():
            self._db, self._pid = sqlite3.connect(self.path), os.getpid()
        return self._db

    def read(self, rel: bytes) -> Body:
        body = self._held.get(rel) or self._recent.get(rel)
        if body is not None:
            return body
        # fetchall: a statement left open would keep the file locked against the cache's writer.
        rows = self._connection().execute("select body, excerpt from articles where rel = ?", (rel,)).fetchall()
        if not rows or rows[0][0] is None:
            raise RuntimeError(f"the build cache in {self.path.parent} lost the body of {os.fsdecode(rel)}")
        body = storage.body_from(storage.loads(rows[0][0]), rows[0][1])
        if len(self._recent) >= self.RECENT:
            self._recent.clear()
        self._recent[rel] = body
        return body

    def excerpt(self, rel: bytes) -> str:
        excerpt = self._excerpts.get(rel)
        if excerpt is not None:
            return excerpt
        body = self._held.get(rel) or self._recent.get(rel)
        if body is not None:
            return body.excerpt
        rows = self._connection().execute("select excerpt from articles where rel = ?", (rel,)).fetchall()
        if not rows or rows[0][0] is None:
            raise RuntimeError(f"the build cache in {self.path.parent} lost the excerpt of {os.fsdecode(rel)}")
        return str(rows[0][0])

    @contextmanager
    def holding(self, articles: Iterable[Article], *, excerpts: Iterable[Article] = ()) -> Iterator[None]:
        """The bodies of those of `articles` kept in this cache, and the
        excerpts alone of those of `excerpts` (a listing's), read in a few
        queries and held inside the `with` (a range of pages, a shard)."""
        held: dict[bytes, Body] = {}
        for rel, body, excerpt in self._rows("body, excerpt", articles):
            if body is not None:
                held[rel] = storage.body_from(storage.loads(body), excerpt)
        shown = {rel: excerpt for rel, excerpt in self._rows("excerpt", excerpts) if excerpt is not None}
        outer = self._held, self._excerpts
        self._held, self._excerpts = {**self._held, **held}, {**self._excerpts, **shown}
        try:
            yield
        finally:
            self._held, self._excerpts = outer

    def _rows(self, columns: str, articles: Iterable[Article]) -> Iterator[Any]:
        """(rel, columns…) of those of `articles` kept in this cache, in a few queries."""
        rels = sorted({os.fsencode(content.rel) for article in articles
                       if isinstance(content := article.content, StoredBody) and content.reader is self})
        db = self._connection()
        for start in range(0, len(rels), 500):
            part = rels[start : start + 500]
            query = f"select rel, {columns} from articles where rel in ({','.join('?' * len(part))})"  # noqa: S608
            yield from db.execute(query, part).fetchall()

    def close(self) -> None:
        if self._db is not None and self._pid == os.getpid():
            self._db.close()
        self._db = None


def holding(
    bodies: BodyReader | None, articles: Iterable[Article], *, excerpts: Iterable[Article] = ()
) -> AbstractContextManager[None]:
    """BodyReader.holding, where the build reads bodies from a cache at all."""
    return nullcontext() if bodies is None else bodies.holding(articles, excerpts=excerpts)


def forget_outputs(out: Path) -> None:
    """Called before the site in place is changed: until the new cache is
    written, its outputs are not known to be as recorded."""
    db = _connect(out, create=False)
    if db is None:
        return
    try:
        with db:
            # The records stay in the file, not trusted until a build writes them.
            db.execute("insert or replace into meta values ('outputs', 0)")
    finally:
        db.close()


def file_status(path: Path | str, folder: int | None = None) -> FileStatus | None:
    """The status of the file at `path`, relative to the open folder `folder` if given; None if there is none."""
    try:
        info = os.stat(path, dir_fd=folder)
    except OSError:
        return None
    return status_of(info)


def status_reader(folder: Path) -> Callable[[str], FileStatus | None]:
    """file_status of paths relative to `folder`, joined as strings: a rebuild
    of a large archive reads a hundred thousand, where pathlib's joins count."""
    prefix = os.path.join(os.fspath(folder), "")
    return lambda rel: file_status(prefix + rel)


@contextmanager
def status_reader_in(folder: Path) -> Iterator[Callable[[str], FileStatus | None]]:
    """status_reader, with the folder open: each path is looked up from it,
    not from the file system's root (a sixth less time for a site's files)."""
    try:
        opened = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)) if os.stat in os.supports_dir_fd else None
    except OSError:  # gone, say: status_reader then finds every file gone
        opened = None
    if opened is None:
        yield status_reader(folder)
        return
    try:
        yield lambda rel: file_status(rel, opened)
    finally:
        os.close(opened)


def _hash(parts: Iterable[str | bytes]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def build_key(config: Config, *, package: Path = PACKAGE) -> str:
    """Changes whenever something other than the articles could change the output."""
    return _hash([
        f"format {FORMAT}", __version__, sys.version,
        *_files(package, "*.py"),
        # The catalogs of the interface's words (broadsheet/locale/).
        *_files(package, "*.po"),
        *(part for i, folder in enumerate(config.template_dirs) for part in (f"templates {i}", *_files(folder, "*"))),
        *(f"{name}={value!r}" for name, value in output_settings(config)),
        *_library_versions(),
    ])


def _files(folder: Path, pattern: str) -> Iterable[str | bytes]:
    for path in sorted(p for p in folder.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts):
        yield path.relative_to(folder).as_posix()
        yield path.read_bytes()


def _library_versions() -> list[str]:
    """The version of each library the output depends on."""
    return [f"{name} {library_version(name)}" for name in _LIBRARIES]


def library_version(name: str) -> str:
    """The installed version of a distribution, or "absent"."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def entry_text(entry: Entry, digests: Mapping[str, str]) -> str:
    """An entry as a fingerprint sees it: its address, the digest of its
    article's file (which stands for the whole article) or of the article,
    and its lead image as checked this build (a file apart from the article's)."""
    article = entry.article
    text = f"{entry.url} {digests.get(article.source) or _hash([repr((article, article.body))])}"
    return text if article.lead_image is None else f"{text} {article.lead_image.key}"


def listed_key(entries: Sequence[Entry]) -> str:
    """Changes when what a list of every article shows of them does (the
    manifest, the record of addresses): the address, id, file, title and date
    of each, in order; not when a body alone changes."""
    hashed = hashlib.blake2b(digest_size=16)
    # A thousand at a time: one text of 100,000 articles' would be 15 MB.
    for start in range(0, len(entries), 1000):
        hashed.update("".join(f"{e.url}\0{e.article.id}\0{e.article.source}\0{e.article.title}\0{e.article.date}\n"
                              for e in entries[start : start + 1000]).encode("utf-8", "surrogateescape"))
    return hashed.hexdigest()


def text_key(text: str) -> str:
    """Stands for `text`, which says all that a unit depends on."""
    return _hash([text])


def bundle_key(shard: Any, page_fingerprints: Iterable[str]) -> str:
    """Changes when a search bundle would: its place, its pages, or theirs."""
    return _hash([shard.name, shard.folder, *shard.pages, *page_fingerprints])


class Fingerprints:
    """The fingerprints of a site's pages, from what each page is made of
    (its kind says: see outputs/pages.py) and what its templates read of
    `site`.  `digests` maps each article's source path to the digest of its
    file, which stands for the whole article."""

    RECENT = 4096  # entries' texts kept (see _entries)

    def __init__(self, site_globals: Mapping[str, Any], digests: Mapping[str, str], *, every: bool = False,
                 entries: Sequence[Entry] = ()) -> None:
        self.digests = digests
        # By address: each entry is shown on about five pages, and a worker is sent
        # copies of entries (see outputs/pages.py part_of), whose ids mean nothing.
        # A build made whole keeps only the last few thousand: pages are made in
        # order, so an entry's are near each other, and a text for every article
        # of a large archive would be held to the end of the build (0.15 KB an
        # article).  A rebuild, whose peak is far below, keeps `every` one: it
        # checks the fingerprint of every page, bundle and feed, and would make
        # each entry's text six times (0.6 s at 100,000 articles).
        self.every = every
        self._entries: dict[str, str] = {}
        # And the texts of the site's `entries` in their order, made once: a run
        # of them (a shard's, a month's, the feeds' archive document's, the whole
        # site's) is a slice then, not a lookup for each entry (0.25 s at 100,000).
        self._site = entries if every else ()
        self._in_order: list[str] | None = None
        self._place: dict[str, int] = {}
        self._globals = {name: _hash([self._text(value)]) for name, value in site_globals.items()}
        self._globals[ReadsNoted.ALL] = _hash(f"{name}={value}" for name, value in sorted(self._globals.items()))
        self._read: dict[frozenset[str], str] = {}  # what pages read of `site`: most read the same

    def for_workers(self) -> Fingerprints:
        """These fingerprints, for workers that are given what each page is
        made from (see outputs/pages.py): `of` only, without the digest of
        every article's file."""
        sent = copy.copy(self)
        sent.digests, sent._entries = {}, {}
        sent._site, sent._in_order, sent._place = (), None, {}
        return sent

    def of(self, given: tuple[str, ...], reads: frozenset[str]) -> str:
        """The fingerprint of a page made from `given` by templates that read `reads` of `site`."""
        # No part holds a line break (each is a word, an address, an entry's
        # text, a repr or a name=repr), so that parts joined by one are told apart: one
        # string to hash, for each page of many (a repr of them all took twice as long).
        text = "\n".join((*given, self._reads_key(reads)))
        return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()

    def articles(self, entries: Sequence[Entry], reads: frozenset[str]) -> list[str]:
        """What `of` gives for the page of each of `entries`, a site's entries
        in their order (each one's neighbours beside it), read by templates
        that read `reads` of `site`: in one pass, as a rebuild checks every
        article's page (0.08 s at 100,000 articles, 0.17 s a page at a time):
        each page's text is `of`'s, written out, with what it reads looked up once."""
        texts = self.texts(entries)
        neighbours = ["-", *texts, "-"]
        read, hashed = self._reads_key(reads), hashlib.blake2b
        return [hashed(f"article\n{text}\n{newer}\n{older}\n{read}".encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
                for newer, text, older in zip(neighbours[:-2], texts, neighbours[2:], strict=True)]

    def _reads_key(self, reads: frozenset[str]) -> str:
        """Stands for the values of the keys `reads` of `site`."""
        key = self._read.get(reads)
        if key is None:
            key = self._read[reads] = text_key(repr(tuple(f"{name}={self._globals.get(name, '-')}" for name in sorted(reads))))
        return key

    def entry(self, entry: Entry | None) -> str:
        """An entry as a page that shows it depends on it."""
        # An entry's neighbours are not part of it: a page shows its own
        # neighbours' addresses and titles, not theirs.
        if entry is None:
            return "-"
        text = self._entries.get(entry.url)
        if text is None:
            if len(self._entries) >= self.RECENT and not self.every:
                self._entries.clear()
            text = self._entries[entry.url] = entry_text(entry, self.digests)
        return text

    def texts(self, entries: Iterable[Entry]) -> Sequence[str]:
        """The text of each of `entries` (see entry): a slice where they are a
        run of the site's, else those already made taken without a call each."""
        run = self._run(entries)
        if run is not None:
            return run
        known = self._entries.get
        return [known(e.url) or self.entry(e) for e in entries]

    def entries_key(self, entries: Iterable[Entry]) -> str:
        """Changes when any of `entries`, or its address or place, does."""
        # Hashed as one text (an entry's text has no line break): a rebuild hashes
        # every entry four times, for the sitemaps, the feeds' archives and the offline index.
        return text_key("\n".join(self.texts(entries)))

    def _run(self, entries: Iterable[Entry]) -> list[str] | None:
        """The texts of `entries` if they are a run of the site's (those the
        fingerprints were given, kept by a rebuild), in its order; else None."""
        if not self._site or not isinstance(entries, Sequence) or not entries:
            return None
        if self._in_order is None:
            # Not through entry(), whose table of texts a run does not need (0.07 s at 100,000).
            self._in_order = [entry_text(e, self.digests) for e in self._site]
            self._place = {e.url: i for i, e in enumerate(self._site)}
        start = self._place.get(entries[0].url)
        if start is None:
            return None
        stop = start + len(entries)
        # The same entries, each in its place: compared as objects, by the interpreter's loop.
        if stop > len(self._site) or not all(map(operator.is_, entries, self._site[start:stop])):
            return None
        return self._in_order[start:stop]

    def indexed_text(self, text: str, reads: frozenset[str]) -> str:
        """What a search index reads of the page of the entry whose text (see
        `texts`) is `text`, made by templates that read `reads` of `site`: the
        article and those values, not its neighbours.  Not hashed: a bundle's
        key hashes the texts of its pages."""
        return f"{self._reads_key(reads)} {text}"

    def _text(self, value: Any) -> str:
        if isinstance(value, Entry):
            return self.entry(value)
        if isinstance(value, tuple | list):
            return "[" + ", ".join(self._text(item) for item in value) + "]"
        return repr(value)
