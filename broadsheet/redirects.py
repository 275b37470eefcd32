"""Addresses that keep working: the record of every address the site has
published, and what answers at one that no article holds any more.

Everything here is pure.  The build hands in the record the previous build
left in the output folder, the articles of this build and the lines of the
source folder's `redirects` file; it gets back the new record, in which every
address is a page, a move (to a page of this build) or gone, and the warnings.

An address that was published keeps answering for good: its article's page;
else a redirect to where that article is now (recognised by its id, else by its
source path) or to where a line of `redirects` sends it; else a page that says
the article was removed.  Targets are followed to the end, so A→B then B→C
makes A lead to C directly.
"""

from __future__ import annotations

import functools
import hashlib
import json
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any
from urllib.parse import unquote, urlsplit

from .records import Problem
from .render import file_for
from .site import ARCHIVE_URL, month_url, year_url

RECORD = "published.json"  # in the output folder: carried from build to build
HAND_FILE = "redirects"  # in the source folder
PAGE, MOVED, GONE = "page", "moved", "gone"
# Folders of the site that hold files other than pages: never an address to redirect.
RESERVED_FOLDERS = frozenset({"assets", "pagefind", "feeds"})
_RECORD_NOTE = (
    "Every address this site has published. Each build reads it so that old links keep working, and writes it "
    "back: commit it with the articles. Add moves by hand in the source folder's redirects file, not here."
)
# Characters that have no place in a file name on some system, or in a page
# address without escaping; U+FFFD stands for percent-escapes that were not UTF-8.
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f-\x9f"<>\\|*:?#%\ufffd]')


class BadAddress(ValueError):
    """An address that cannot be used; the message says why, for a warning."""


# One for each address, made by every build: slotted, and not frozen, which takes
# three times as long to make (0.1 s at 100,000 articles); none is changed once made.
@dataclass(slots=True)
class Permalink:
    """One published address and what answers there."""

    url: str  # relative to the site root: "2023/11/11/abc/", "old/page.html", "" for the home page
    status: str  # PAGE, MOVED or GONE
    id: str | None = None  # the article that had the address, when one did
    source: str | None = None
    title: str | None = None
    to: str | None = None  # MOVED: the page it leads to

    @property
    def identity(self) -> tuple[str | None, str | None]:
        return (self.id, self.source)


@dataclass(frozen=True)
class HandRedirect:
    """A line of the `redirects` file."""

    old: str
    new: str
    line: int


@dataclass(frozen=True)
class Plan:
    record: tuple[Permalink, ...]  # every address, sorted
    problems: tuple[Problem, ...]
    unchanged_text: str | None = None  # the previous record's text, when the record is the same
    base_url: str | None = None  # of the build, noted in the record
    # The lines of a record a build wrote, by address, with the Permalink each
    # was read as: one that is written again is written as that line.
    written: Mapping[str, tuple[Permalink, str]] | None = None
    # Whether the record's text is laid out as record_json lays it out: the one
    # it writes, or one it wrote read and written again as it was (see trusted).
    laid_out: bool = True
    read_digest: str | None = None  # the record_digest of the record read, where it was worked out

    def record_text(self) -> str:
        """published.json for this plan."""
        return "".join(self.record_parts())

    def record_parts(self) -> Iterator[str]:
        """The text of published.json for this plan, an address at a time."""
        if self.unchanged_text is not None:
            # In slices, each encoded as it is written: not the whole record twice.
            text, step = self.unchanged_text, 1 << 20
            yield from (text[start:start + step] for start in range(0, len(text), step))
        else:
            yield from record_json_parts(self.record, self.base_url, self.written)

    @functools.cached_property
    def moved(self) -> tuple[Permalink, ...]:
        return tuple(p for p in self.record if p.status == MOVED)

    @functools.cached_property
    def gone(self) -> tuple[Permalink, ...]:
        return tuple(p for p in self.record if p.status == GONE)


_PERMALINK = re.compile(r"[0-9]{4}/[0-9]{2}/[0-9]{2}/[a-z0-9_-]{1,200}/\Z")


def normalise_address(raw: str, base_url: str | None = None) -> str:
    """An address inside the site, relative to its root: "2023/11/11/abc/",
    "old/page.html", or "" for the home page.  Raises BadAddress for anything
    that could lead outside the site or outside the output folder."""
    text = raw.strip()
    if base_url and text.startswith(base_url):
        text = text[len(base_url):]
    if _PERMALINK.match(text):
        return text  # the shape of every permalink, which passes all the checks below
    if urlsplit(text).scheme or text.startswith("//"):
        raise BadAddress("is the address of another site; redirects stay inside the site")
    if "?" in text or "#" in text:
        raise BadAddress("has a query or a fragment; give the address of a page")
    if text.startswith("/"):
        raise BadAddress("is an absolute path; write it from the site root, like 2023/11/11/some-id/")
    try:
        path = unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise BadAddress("has percent-escapes that are not UTF-8") from None
    path = path.removeprefix("./")
    if path in ("", ".", "index.html"):
        return ""
    folder = path.endswith("/")
    segments = (path[:-1] if folder else path).split("/")
    for segment in segments:
        if segment in ("", ".", ".."):
            raise BadAddress("has an empty, '.' or '..' part")
        if segment.startswith("."):
            raise BadAddress("has a hidden part (starting with '.')")
        forbidden = _FORBIDDEN.search(segment)
        if forbidden:
            raise BadAddress(f"has a character that an address cannot hold ({forbidden.group()!r})")
        if segment != segment.strip():
            raise BadAddress("has a part that starts or ends with a space")
        if len(segment.encode("utf-8")) > 255:
            raise BadAddress("has a part longer than a file name can be")
    if segments[0] in RESERVED_FOLDERS:
        raise BadAddress(f"is inside {segments[0]}/, which holds the site's own files")
    if folder:
        return path
    last = segments[-1]
    if last == "index.html":
        return path[: -len(last)]
    if last.lower().endswith((".html", ".htm")):
        return path
    if "." in last:
        raise BadAddress("is not a page: only folders (ending in /) and .html pages can redirect")
    return path + "/"


def parse_hand(text: str, name: str = HAND_FILE, base_url: str | None = None) -> tuple[tuple[HandRedirect, ...], list[Problem]]:
    """The lines of a `redirects` file: `old/address/ new/address/` or
    `old/address/ -> new/address/`; `#` starts a comment."""
    redirects: list[HandRedirect] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) == 3 and words[1] == "->":
            words = [words[0], words[2]]
        where = f"{name}:{number}"
        if len(words) != 2:
            problems.append(Problem(where, "expected an old and a new address, like: 2023/01/05/old-id/ 2023/01/06/new-id/; line ignored"))
            continue
        try:
            old = normalise_address(words[0], base_url)
        except BadAddress as error:
            problems.append(Problem(where, f"old address {words[0]!r} {error}; line ignored"))
            continue
        try:
            new = normalise_address(words[1], base_url)
        except BadAddress as error:
            problems.append(Problem(where, f"new address {words[1]!r} {error}; line ignored"))
            continue
        redirects.append(HandRedirect(old, new, number))
    return tuple(redirects), problems


def record_digest(text: str) -> str:
    """Stands for a record's text: a record whose digest the build cache holds
    is, byte for byte, one that a build wrote."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class RecordDigest:
    """The record_digest of a text written in parts, taken as they go by."""

    def __init__(self) -> None:
        self._hashed = hashlib.blake2b(digest_size=16)

    def through(self, parts: Iterable[str]) -> Iterator[str]:
        # Each part as it goes by: record_parts gives a thousand addresses a part, or a slice of a megabyte.
        for part in parts:
            self._hashed.update(part.encode("utf-8"))
            yield part

    def hexdigest(self) -> str:
        return self._hashed.hexdigest()


class RecordError(ValueError):
    """A record of addresses that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class ReadRecord:
    """What a record of addresses holds."""

    permalinks: tuple[Permalink, ...]
    problems: list[Problem]
    base_url: str | None = None  # the base URL of the build that wrote it


def parse_record(
    text: str, name: str, *, trusted: bool = False, strict: bool = False, known: Mapping[str, Permalink] | None = None,
) -> ReadRecord:
    """The record a previous build left (published.json); an entry that is not
    sound is left out with a warning, so that nothing is written from it.
    A `strict` record, the project's own, is used whole or not at all: the
    first entry that is not sound raises RecordError.  A `trusted` record, one
    that a build wrote as it is, is not checked again.  An entry equal to the
    Permalink that `known` has at its address is that Permalink: most of a
    record is the build's own pages, and is then held once."""
    # Each entry becomes its Permalink as it is parsed: the dicts of a large
    # archive's record, all held at once, would weigh twice its text.
    make = _written_permalink if trusted else _permalink_or_entry
    known = known or {}

    def read(entry: dict[str, Any]) -> Permalink | dict[str, Any]:
        if "status" not in entry:
            return entry
        permalink = make(entry)
        if isinstance(permalink, Permalink) and known.get(permalink.url) == permalink:
            return known[permalink.url]
        return permalink

    try:
        data = json.loads(text, object_hook=read)
        entries = data["addresses"]
        if not isinstance(entries, list):
            raise TypeError
    except ValueError as error:
        if strict:
            line = error.lineno if isinstance(error, json.JSONDecodeError) else 1
            raise RecordError(f"{name}:{line}: is not valid JSON ({getattr(error, 'msg', error)})") from None
        return ReadRecord((), [Problem(name, _NOT_A_RECORD)])
    except (KeyError, TypeError):
        if strict:
            raise RecordError(f"{name}:1: is not a record of published addresses (no list of \"addresses\")") from None
        return ReadRecord((), [Problem(name, _NOT_A_RECORD)])
    base_url = data.get("base_url") if isinstance(data.get("base_url"), str) else None
    if trusted:
        return ReadRecord(tuple(entries), [], base_url)
    record: list[Permalink] = []
    problems: list[Problem] = []
    for number, entry in enumerate(entries, start=1):
        if isinstance(entry, Permalink):
            record.append(entry)
            continue
        try:
            record.append(_permalink(entry))
        except (BadAddress, KeyError, TypeError, ValueError) as error:
            why = error or type(error).__name__
            if strict:
                found = _line_of_entry(text, number)
                where = f"{name}:{found}" if found is not None else f"{name}: entry {number}"
                raise RecordError(f"{where}: this address cannot be used ({why})") from None
            problems.append(Problem(name, f"entry {number} cannot be used ({why}); left out"))
    return ReadRecord(tuple(record), problems, base_url)


_NOT_A_RECORD = "is not a record of published addresses; old addresses it held are not known to this build"


def _line_of_entry(text: str, number: int) -> int | None:
    """The line on which entry `number` (from 1) of a record starts, when the
    record is laid out one address a line, as record_json writes it."""
    start = text.find('"addresses"')
    if start < 0:
        return None
    line = text.count("\n", 0, start) + 1
    for row in text[start:].splitlines()[1:]:
        line += 1
        if row.lstrip().startswith("{"):
            number -= 1
            if number == 0:
                return line
    return None


def _permalink(entry: object) -> Permalink:
    if not isinstance(entry, dict):
        raise TypeError("not an object")
    fields = {key: entry.get(key) for key in ("id", "source", "title", "to")}
    if not all(value is None or isinstance(value, str) for value in fields.values()):
        raise TypeError("a value is not text")
    if not isinstance(entry.get("url"), str):
        raise TypeError("no address")
    url = normalise_address(entry["url"])
    if url != entry["url"]:
        raise ValueError(f"address {entry['url']!r} is not in its plain form")
    status = entry["status"]
    if status not in (PAGE, MOVED, GONE):
        raise ValueError(f"unknown status {status!r}")
    if status == MOVED:
        if fields["to"] is None or normalise_address(fields["to"]) != fields["to"]:
            raise ValueError("a move without a plain address to go to")
    else:
        fields["to"] = None
    return Permalink(url=url, status=status, **fields)


def _permalink_or_entry(entry: dict[str, Any]) -> Permalink | dict[str, Any]:
    """The Permalink of a sound entry; the entry itself, to be told what is wrong with it later."""
    try:
        return _permalink(entry)
    except (BadAddress, KeyError, TypeError, ValueError):
        return entry


def _written_permalink(entry: dict[str, str | None]) -> Permalink:
    # As record_json wrote it: its values are not checked.
    return Permalink(entry["url"], entry["status"], entry["id"], entry["source"], entry["title"],  # type: ignore[arg-type]
                     entry.get("to"))


def parse_manifest(text: str) -> tuple[Permalink, ...]:
    """The articles of a previous build as pages, from its articles.json: the
    record of a site built before published.json existed."""
    try:
        articles = json.loads(text)["articles"]
        return tuple(
            Permalink(normalise_address(a["url"]), PAGE, a.get("id"), a.get("source"), a.get("title"))
            for a in articles
            if isinstance(a, dict) and isinstance(a.get("url"), str)
        )
    except (ValueError, KeyError, TypeError):
        return ()


def merge_records(*records: Iterable[Permalink]) -> tuple[Permalink, ...]:
    """One entry per address; the first record that has an address wins."""
    merged: dict[str, Permalink] = {}
    for record in records:
        for permalink in record:
            merged.setdefault(permalink.url, permalink)
    return tuple(merged.values())


def plan_from_texts(
    *,
    record: str | None,
    manifest: str | Callable[[], str | None] | None,
    hand: str | None,
    current: Iterable[Permalink],
    pages: Iterable[str],
    record_name: str = RECORD,
    base_url: str | None = None,
    written_digest: str | None = None,
    strict_record: bool = False,
) -> Plan:
    """The plan from the texts of the previous build's published.json and
    articles.json (None when absent; or what reads it, if it is needed) and
    of the source's redirects file.
    `written_digest`: the record_digest of the record the last build wrote,
    laid out as record_json lays it out (Plan.laid_out); a record whose digest
    it is is trusted: read without its checks, and its lines written again.
    A `strict_record` (the project's own) that cannot be used whole raises
    RecordError."""
    read_digest = record_digest(record) if record is not None and written_digest is not None else None
    trusted = read_digest is not None and read_digest == written_digest
    current = tuple(current)
    known = _read_written(record, current) if record is not None and trusted else None
    if known is not None:
        read, written = known
    else:
        written = None
        read = (parse_record(record, record_name, trusted=trusted, strict=strict_record, known={p.url: p for p in current})
                if record is not None else ReadRecord((), []))
    previous, problems = read.permalinks, list(read.problems)
    if record is None or problems:
        # articles.json too: a site built before published.json existed, or a
        # record that was damaged.  A sound record holds every page of the build
        # that wrote it, which are all that its articles.json lists.
        previous = merge_records(previous, parse_manifest((manifest() if callable(manifest) else manifest) or ""))
    if read.base_url is not None and read.base_url != base_url:
        problems.append(Problem(record_name, f"was made for the base URL {read.base_url}, not "
                                f"{base_url or 'none'}: its addresses now answer under the new one; "
                                "links to the old one are not redirected by this site"))
    lines, hand_problems = parse_hand(hand or "", HAND_FILE, base_url)
    result = plan(previous, current, pages, lines)
    # Most builds change no address: the record read is then written as it was
    # read, which saves writing a line per article of a large archive again.
    same = record is not None and not problems and result.record == previous and read.base_url == base_url
    unchanged = record if same else None
    answered = {p.url for p in result.record} if not same else set()
    dropped = [p.url for p in previous if p.url not in answered] if not same else []
    dropped_problems = [Problem(url, f"was published ({record_name}) and no longer answers") for url in dropped]
    return Plan(result.record, (*problems, *hand_problems, *result.problems, *dropped_problems), unchanged, base_url,
                None if same else written, laid_out=not same or trusted, read_digest=read_digest)


_BASE_URL_LINE = ' "base_url": '


def _read_written(text: str, current: Sequence[Permalink]) -> tuple[ReadRecord, dict[str, tuple[Permalink, str]]] | None:
    """A record that a build wrote (it is laid out as record_json lays it
    out: three lines, then one an address, then two), read a line at a time:
    a line that is the line of one of `current` is that Permalink, and only
    the others are parsed (a record is mostly the build's own pages: this
    takes half the time of parsing it whole).  With it, the line of each of
    `current` by address, for Plan.written.  None if it is not so laid out."""
    rows = text.split("\n")
    if len(rows) < 6 or rows[-2:] != ["]}", ""] or rows[2] != ' "addresses": [' or not rows[1].startswith(_BASE_URL_LINE):
        return None
    lines = {_record_line(p): p for p in current}
    permalinks = []
    try:
        base_url = json.loads(rows[1][len(_BASE_URL_LINE):].removesuffix(","))
        for row in rows[3:-2] if rows[3:-2] != [""] else ():
            line = row.removesuffix(",")
            permalink = lines.get(line)
            permalinks.append(permalink if permalink is not None else _written_permalink(json.loads(line)))
    except (ValueError, KeyError, TypeError):
        return None
    read = ReadRecord(tuple(permalinks), [], base_url if isinstance(base_url, str) else None)
    return read, {p.url: (p, line) for line, p in lines.items()}


def plan(
    previous: Iterable[Permalink],
    current: Iterable[Permalink],
    pages: Iterable[str],
    hand: Iterable[HandRedirect] = (),
    hand_name: str = HAND_FILE,
) -> Plan:
    """What answers at each address: `current` are this build's articles (as
    PAGE entries), `pages` the files of every other page of this build."""
    current = tuple(current)
    # The files of a large archive's pages are many: each is one string here,
    # the one `pages` holds, and its folded form is that string too when it
    # has no capitals (a permalink never has).
    page_files = set(pages)
    page_files.update([file_for(p.url) for p in current])
    folded: dict[str, str] = {}
    for f in page_files:
        key = f.casefold()
        folded[f if key == f else key] = f
    problems: list[Problem] = []

    def is_page(url: str) -> bool:
        return file_for(url) in page_files

    # An address that a page of this build holds is that page: the real page wins.
    # Most of a record is the build's own articles, told by their address alone.
    previous = tuple(previous)
    articles = {p.url for p in current}
    earlier = {p.url: p for p in previous if p.url not in articles and file_for(p.url).casefold() not in folded}
    auto = _automatic_moves(earlier.values(), current, previous)
    manual = _usable_hand_lines(hand, folded, hand_name, problems)
    while True:
        targets = {**auto, **{old: line.new for old, line in manual.items()}}
        # Lines that lead nowhere first: dropping one may make another line's
        # address fall back to its automatic move, which can mend a chain.
        dead = [line for line in manual.values() if not (is_page(line.new) or line.new in targets)]
        if not dead:
            dead = [line for line in manual.values() if _follow(line.old, targets, is_page) is None]
        if not dead:
            break
        for line in dead:
            problems.append(Problem(f"{hand_name}:{line.line}", _dead_end(line, targets, is_page, earlier)))
            del manual[line.old]

    record = list(current)
    newly_gone: list[Permalink] = []
    for url in sorted(earlier.keys() | manual.keys()):
        before = earlier.get(url, Permalink(url, MOVED))
        final = _follow(url, targets, is_page) if url in targets else None
        if final is not None:
            record.append(Permalink(url, MOVED, before.id, before.source, before.title, to=final))
            continue
        record.append(Permalink(url, GONE, before.id, before.source, before.title))
        if before.status != GONE:
            newly_gone.append(before)
    record.sort(key=_URL)
    return Plan(tuple(record), (*problems, *_removals(newly_gone)))


_URL = operator.attrgetter("url")


def _removals(newly_gone: Iterable[Permalink]) -> list[Problem]:
    """One warning for each article that is gone: at the address where it was
    last, naming the older addresses that led there."""
    by_article: dict[tuple[str | None, str | None], list[Permalink]] = {}
    for p in newly_gone:
        key = p.identity if p.identity != (None, None) else (None, p.url)
        by_article.setdefault(key, []).append(p)
    problems = []
    for addresses in by_article.values():
        last = next((p for p in addresses if p.status == PAGE), addresses[0])
        was = f" (it was {last.source})" if last.source else ""
        older = ", ".join(p.url for p in addresses if p is not last)
        pages = f"pages there and at {older} now say" if older else "a page there now says"
        problems.append(Problem(last.url, f"no article has this address any more{was}; {pages} it was removed"))
    return sorted(problems, key=lambda p: p.source)


def _automatic_moves(
    earlier: Iterable[Permalink], current: tuple[Permalink, ...], previous: Sequence[Permalink]
) -> dict[str, str]:
    """Old address → where its article is now, or where the old record said it leads."""
    earlier = tuple(earlier)
    # The articles that may be an earlier address's: those of its id or its
    # source (few: the others are passed over by a lookup or two each), and
    # any without an id or a source, which no build makes (below, None and ""
    # are looked up alike).
    ids = {old.id for old in earlier if old.id is not None}
    sources = {old.source for old in earlier if old.source is not None}
    candidates = [p for p in current if p.id in ids or p.source in sources or not p.id or not p.source] if earlier else []
    by_identity = {p.identity: p for p in reversed(candidates)}
    # An article that had an address before (same id and source) is that
    # address's article: it is no candidate for another old address by id
    # alone or source alone.
    candidate_ids = {p.id for p in candidates}
    known = {p.identity for p in previous if p.id in candidate_ids} & by_identity.keys()
    by_id: dict[str, list[Permalink]] = {}
    by_source: dict[str, list[Permalink]] = {}
    for p in candidates:
        if p.identity not in known:
            by_id.setdefault(p.id or "", []).append(p)
            by_source.setdefault(p.source or "", []).append(p)
    moves: dict[str, str] = {}
    for old in earlier:
        found = by_identity.get(old.identity)
        if found is None and old.id is not None and old.id in by_id:
            found = by_id[old.id][0]
        if found is None and old.source is not None and old.source in by_source:
            found = by_source[old.source][0]
        if found is not None:
            moves[old.url] = found.url
        elif old.status == MOVED and old.to is not None:
            moves[old.url] = old.to
    return moves


def _usable_hand_lines(
    hand: Iterable[HandRedirect], folded_pages: Mapping[str, str], name: str, problems: list[Problem]
) -> dict[str, HandRedirect]:
    """Hand-written moves that replace no page and repeat no earlier line."""
    usable: dict[str, HandRedirect] = {}
    first_line: dict[str, int] = {}
    for line in hand:
        key = file_for(line.old).casefold()
        if key in folded_pages:
            page = folded_pages[key]
            same = "is" if page == file_for(line.old) else f"is, but for case, {page} which is"
            problems.append(Problem(f"{name}:{line.line}", f"{line.old or 'index.html'} {same} a page of the site; a redirect never replaces a page; line ignored"))
        elif key in first_line:
            problems.append(Problem(f"{name}:{line.line}", f"{line.old} is already redirected on line {first_line[key]}; line ignored"))
        else:
            first_line[key] = line.line
            usable[line.old] = line
    return usable


def _follow(url: str, targets: Mapping[str, str], is_page: Callable[[str], bool]) -> str | None:
    """The page at the end of the moves from `url`, or None (a circle, or an
    address that is neither a page nor a move)."""
    seen = {url}
    target = targets[url]
    while not is_page(target):
        if target in seen or target not in targets:
            return None
        seen.add(target)
        target = targets[target]
    return target


def _dead_end(
    line: HandRedirect, targets: Mapping[str, str], is_page: Callable[[str], bool], earlier: Mapping[str, Permalink]
) -> str:
    shown = line.new or "index.html"
    if is_page(line.new) or line.new in targets:
        return f"{line.old} → {shown} leads in a circle or to an address that is gone; line ignored"
    if line.new in earlier:
        return f"{shown} is gone: there is no page there to lead to; line ignored"
    return f"{shown} is not a page of the site; line ignored"


def _json_value(value: object) -> str:
    if type(value) is str:
        return encode_basestring(value)
    # None, or whatever an articles.json written by another tool had there.
    return json.dumps(value, ensure_ascii=False)


def _record_line(p: Permalink) -> str:
    """json.dumps of the address's fields, ensure_ascii=False, put together from
    its values: a hundred thousand dicts through the encoder take three times as
    long (0.47 s against 0.14 s), on every build that changes the record."""
    ident, source, title = p.id, p.source, p.title
    if p.status == PAGE and type(ident) is str and type(source) is str and type(title) is str:
        # A page of the build, as every line but a few is: its values encoded without a call of
        # _json_value each (0.1 s at 100,000 articles, made by every rebuild).
        return (f'{{"url": {encode_basestring(p.url)}, "status": "{PAGE}", "id": {encode_basestring(ident)}, '
                f'"source": {encode_basestring(source)}, "title": {encode_basestring(title)}}}')
    to = f', "to": {_json_value(p.to)}' if p.status == MOVED else ""
    return (f'{{"url": {_json_value(p.url)}, "status": {_json_value(p.status)}, "id": {_json_value(p.id)}, '
            f'"source": {_json_value(p.source)}, "title": {_json_value(p.title)}{to}}}')


def record_json(record: Iterable[Permalink], base_url: str | None = None) -> str:
    """published.json: sorted, no timestamps, so the same history gives the
    same file; one address a line, so that a change to the history reads as
    a change of a few lines.  The base URL is noted so that a build for
    another one can say so."""
    return "".join(record_json_parts(record, base_url))


def record_json_parts(record: Iterable[Permalink], base_url: str | None = None,
                      written: Mapping[str, tuple[Permalink, str]] | None = None) -> Iterator[str]:
    """The text of record_json, an address at a time.  `written`: lines of a
    record a build wrote (Plan.written), taken for the same Permalinks: a
    record read whole and written with an address more makes most of its
    lines again otherwise (0.3 s at 100,000 articles)."""
    yield f'{{"about": {json.dumps(_RECORD_NOTE)},\n "base_url": {json.dumps(base_url)},\n "addresses": [\n'
    lines = written or {}
    between = ""
    held: list[str] = []  # given a thousand lines at a time: each part costs whoever takes it a step
    for p in sorted(record, key=operator.attrgetter("url")):
        known = lines.get(p.url)
        # The same object: parse_record gives the build's own Permalink for a line equal to it.
        held.append(known[1] if known is not None and known[0] is p else _record_line(p))
        if len(held) == 1000:
            yield between + ",\n".join(held)
            between = ",\n"
            held.clear()
    if held:
        yield between + ",\n".join(held)
    yield "\n]}\n"


_DATE_FOLDER = re.compile(r"([0-9]{4})/(?:([0-9]{2})/(?:[0-9]{2}/)?)?\Z")


def folder_moves(page_files: Iterable[str], also: Iterable[str] = ()) -> tuple[Permalink, ...]:
    """A move for every folder a reader reaches by shortening the address of
    a page (`2023/11/11/`, `2023/`, `page/`) that holds no page of its own, so
    that no such address answers 403 or 404: a date leads to the archive of its
    month or year, any other folder to the nearest folder above it that is a
    page.  The pages are the files `page_files` and `also`.  Derived from the
    pages of each build, so not recorded."""
    files = page_files if isinstance(page_files, (set, frozenset)) else set(page_files)
    extra = set(also) - files

    def has_page(folder: str) -> bool:  # "" or "a/b/"
        index = folder + "index.html"
        return index in files or index in extra

    # Only folders above a page's own are looked at: one string each for the
    # few folders of dates, not one for every page of a large archive.
    folders: set[str] = set()
    for group in (files, extra):
        for f in group:
            parent = f.rpartition("/")[0]
            if f.endswith("/index.html"):
                parent = parent.rpartition("/")[0]  # the page's own folder has a page: itself
            while parent and parent not in folders:
                folders.add(parent)
                parent = parent.rpartition("/")[0]
    moves = []
    for folder in sorted(f + "/" for f in folders):
        if not has_page(folder) and folder.split("/", 1)[0] not in RESERVED_FOLDERS:
            moves.append(Permalink(folder, MOVED, to=_folder_target(folder, has_page)))
    return tuple(moves)


def _folder_target(folder: str, has_page: Callable[[str], bool]) -> str:
    date = _DATE_FOLDER.match(folder)
    if date:
        year, month = date.groups()
        archives = [month_url(int(year), int(month))] if month else []
        for archive in [*archives, year_url(int(year)), ARCHIVE_URL]:
            if has_page(archive):
                return archive
    parts = folder.rstrip("/").split("/")
    while parts:
        parts.pop()
        above = "/".join(parts) + "/" if parts else ""
        if has_page(above):
            return above
    return ""
