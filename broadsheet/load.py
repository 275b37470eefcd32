"""Corpus files → Article records.

Reading never raises for a bad file: each problem becomes a Problem naming the
file, and the article is either built with a fallback or skipped.
"""

from __future__ import annotations

import codecs
import datetime
import functools
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import text as textlib
from . import times
from .records import Article, Body, FileStatus, Problem, status_of

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

ARTICLE_SUFFIXES = (".txt", ".md", ".markdown")
UNTITLED = "Untitled"
MAX_BYTES = 64 * 1024 * 1024

_EXPORT_NAME = re.compile(r"^\d+_([0-9A-Fa-f]{6,})$")
_EXPECTED_WHEN = "expected YYYY-MM-DD, or YYYY-MM-DDTHH:MM with an offset such as +02:00"
_TXT_HEADER = re.compile(r"\A[\s\ufeff]*date[ \t]+(\S+)[ \t]*(?:\n|(?=\S)|\Z)", re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n[ \t\f\v\u00a0]*\n")
# C0 controls other than tab and line ends, DEL, C1 controls and noncharacters:
# never meaningful in an article, and not allowed in an HTML page.
_CONTROL = re.compile(rf"[{textlib.C0_CONTROLS}\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")
# Characters that make a file name unprintable on one line: controls, and the
# surrogates that stand for bytes of a name that is not valid UTF-8.
_UNPRINTABLE_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Dates that exports write when the real date is missing: the first day of
# spreadsheet calendars (1899-12-30/31, 1900-01-01, 1904-01-01) and of Unix time.
PLACEHOLDER_DATES = frozenset(
    datetime.date.fromisoformat(d) for d in ("1899-12-30", "1899-12-31", "1900-01-01", "1904-01-01", "1970-01-01")
)


# One for each article, read or taken from the cache by every build: slots halve
# its size, and not frozen, it is made in a third of the time (0.05 s at 100,000,
# with the cache's record of it); nothing changes one once made.
@dataclass(slots=True)
class Loaded:
    article: Article | None
    problems: tuple[Problem, ...]


def article_id(rel: str) -> str:
    """The file name without its extension; for export names `NNN_<hex>`, the hex part.
    `rel` has forward slashes."""
    stem = _stem(rel)
    match = _EXPORT_NAME.match(stem)
    return match.group(1).lower() if match else stem


def _stem(path: str) -> str:
    """PurePosixPath(path).stem, without making a path (a tenth of reading a file)."""
    name = path.rstrip("/").rpartition("/")[2]
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def discover(source: Path) -> tuple[list[str], list[Problem]]:
    """Article files below `source`, as paths relative to it with forward
    slashes, in a stable order, with problems met on the way.

    Hidden files and folders are skipped; links that lead outside the source
    folder are never followed."""
    root = source.resolve()
    found: list[str] = []
    problems: list[Problem] = []
    # scandir's entries know hidden names, folders and links without a system
    # call each, which counts at a hundred thousand files.
    pending = [("", os.fspath(source))]
    while pending:
        prefix, here = pending.pop()
        try:
            with os.scandir(here) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as error:
            where = display_path(prefix.rstrip("/") or ".")
            problems.append(Problem(where, f"folder cannot be read ({error.strerror or error}); its articles are skipped"))
            continue
        below = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                below.append((rel + "/", entry.path))
            elif entry.is_symlink() and _leads_to_folder(entry):
                problems.append(Problem(display_path(rel), _folder_link_problem(_resolve(Path(entry.path)), root)))
            elif entry.name.lower().endswith(ARTICLE_SUFFIXES):
                if entry.is_symlink():
                    target = _resolve(Path(entry.path))
                    if target is None:
                        problems.append(Problem(display_path(rel), "link that leads nowhere (a loop); skipped"))
                        continue
                    if not _is_within(target, root):
                        problems.append(Problem(display_path(rel), "link to a file outside the source folder, not followed"))
                        continue
                found.append(rel)
        pending.extend(reversed(below))  # in order of name, as the problems are reported
    found.sort()
    return found, problems


def _leads_to_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a loop: the file's check names it
        return False


def _folder_link_problem(target: Path | None, root: Path) -> str:
    if target is None:
        return "link to a folder that leads nowhere (a loop), not followed"
    if not _is_within(target, root):
        return "link to a folder outside the source folder, not followed"
    return "link to a folder, not followed (its files are read where they are)"


def _resolve(path: Path) -> Path | None:
    """Where a link leads, or None for a loop."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop, before Python 3.13
        return None


def _is_within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def display_path(rel: str) -> str:
    """`rel` printable on one line: control characters and bytes that are not
    UTF-8 (kept by the file system as surrogates) become \\x escapes."""
    if not _UNPRINTABLE_NAME.search(rel):
        return rel
    raw = os.fsencode(rel)
    text = raw.decode("utf-8", errors="backslashreplace")
    return _UNPRINTABLE_NAME.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclass(frozen=True)
class SourceFile:
    """The bytes of one corpus file, or the problem that kept them from being read."""

    rel: str
    shown: str  # rel, printable
    fmt: str
    data: bytes | None
    problem: Problem | None = None
    status: FileStatus | None = None  # as found before reading


def read_relative(source: str, rel: str) -> SourceFile:
    """The file `rel` (with forward slashes) of the folder `source`."""
    # Plain strings and os calls: pathlib's joins and splits cost as much as reading the file.
    shown = display_path(rel)
    fmt = _format_of(rel)
    path = os.path.join(source, rel)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            # A pipe or device would block or never end; only plain files are articles.
            return SourceFile(rel, shown, fmt, None, Problem(shown, "not a regular file (a pipe or device); skipped"))
        if info.st_size > MAX_BYTES:
            message = f"file is {info.st_size // 1_048_576} MB, over the {MAX_BYTES // 1_048_576} MB limit; skipped"
            return SourceFile(rel, shown, fmt, None, Problem(shown, message))
        data = _read_bytes(path)
    except OSError as error:
        return SourceFile(rel, shown, fmt, None, Problem(shown, f"cannot be read ({error.strerror or error}); skipped"))
    return SourceFile(rel, shown, fmt, data, status=status_of(info))


class BodyFromSource:
    """An article's body, read from its file again each time it is used: for a
    build whose cache, where bodies are kept, could not be written."""

    __slots__ = ("language", "rel", "source")

    def __init__(self, source: str, rel: str, language: str) -> None:
        self.source, self.rel, self.language = source, rel, language

    def __call__(self) -> Body:
        article = parse_source(read_relative(self.source, self.rel), language=self.language).article
        if article is None:
            raise OSError(f"{display_path(self.rel)} could not be read again during the build")
        return article.body


def parse_source(source_file: SourceFile, *, language: str) -> Loaded:
    """What a file gives whatever the day: a pure function of its path and bytes
    (so that an incremental build may keep it); dated() adds the day's checks."""
    shown = source_file.shown
    if source_file.data is None:
        return Loaded(None, (source_file.problem,) if source_file.problem else ())
    loaded = _parse_undated(source_file.data, shown, fmt=source_file.fmt, language=language)
    if shown != source_file.rel and loaded.article is not None:
        name_problem = Problem(shown, "file name has characters that are not printable UTF-8; shown with \\x escapes")
        return Loaded(loaded.article, (name_problem, *loaded.problems))
    return loaded


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _format_of(rel: str) -> str:
    return "txt" if os.path.splitext(rel)[1].lower() == ".txt" else "md"


def _parse_undated(data: bytes, rel: str, *, fmt: str, language: str) -> Loaded:
    problems: list[Problem] = []
    text = decode(data, rel, problems)
    if text is None:
        return Loaded(None, tuple(problems))
    ident = article_id(rel)
    parse = _parse_txt if fmt == "txt" else _parse_markdown
    return Loaded(parse(text, rel, ident, language, problems), tuple(problems))


def dated(loaded: Loaded, today: datetime.date | None) -> Loaded:
    """`loaded` with the problems of its date: in the future, or a placeholder."""
    article = loaded.article
    if article is None:
        return loaded
    problems = []
    if today is not None and article.date > today:
        problems.append(Problem(article.source, f"date {article.date.isoformat()} is in the future; built as dated"))
    if article.date in PLACEHOLDER_DATES:
        problems.append(Problem(article.source, f"date {article.date.isoformat()} is a common placeholder for a missing date; built as dated"))
    return Loaded(article, loaded.problems + tuple(problems)) if problems else loaded


def decode(data: bytes, rel: str, problems: list[Problem]) -> str | None:
    """Bytes → text with Unix line ends, or None for a file that is not text.

    At most one problem is added: a binary file is only reported as binary."""
    decoded = _decode(data)
    if decoded is None:
        problems.append(Problem(rel, "not a text file (binary content); skipped"))
        return None
    text, note = decoded
    # Most files have no control character: one search tells, and the text is
    # scanned no further.
    if _has_control(text):
        if _looks_binary_text(text):
            problems.append(Problem(rel, "not a text file (binary content); skipped"))
            return None
        if not note:
            problems.append(Problem(rel, "contains NUL or other control characters; removed"))
        text = _CONTROL.sub("", text)
    if note:
        problems.append(Problem(rel, note))
    # Most files have Unix line ends: one search, instead of two replaces that copy the text.
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _decode(data: bytes) -> tuple[str, str | None] | None:
    """The text of `data` and a note on how it was read, or None for binary data."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_lenient(data[len(bom) :], encoding)
    wide = _utf16_without_bom(data)
    if wide is not None:
        decoded = _decode_lenient(data, wide)
        if decoded is not None:
            return decoded[0], decoded[1] or f"UTF-16 without a byte order mark; decoded as {wide.upper()}"
    # Trailing NULs are padding (preallocated or truncated files), not content.
    if _looks_binary(data.rstrip(b"\x00")):
        return None
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8", errors="replace")
    damaged = _replaced(data, lenient, "utf-8")
    intact = sum(1 for c in lenient if c > "\x7f" and c != "\ufffd")
    # Other encodings almost never form valid multi-byte UTF-8 sequences, so a
    # file that has them is UTF-8 with some damage, not another encoding.
    if intact and damaged <= intact:
        return lenient, "invalid UTF-8 byte sequences; replaced with U+FFFD"
    detected = _detect_encoding(data)
    if detected is None:
        return None
    return data.decode(detected, errors="replace"), f"not UTF-8; decoded as {detected} (detected)"


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _decode_lenient(data: bytes, encoding: str) -> tuple[str, str | None] | None:
    """`data` in a declared encoding, bad sequences replaced; None when so
    much is bad that the file is not text in that encoding at all."""
    try:
        return data.decode(encoding), None
    except UnicodeDecodeError:
        text = data.decode(encoding, errors="replace")
    if _replaced(data, text, encoding) > _MOSTLY_TEXT * len(text):
        return None
    return text, f"invalid {encoding.upper()} byte sequences; replaced with U+FFFD"


def _replaced(data: bytes, text: str, encoding: str) -> int:
    """How many U+FFFD in `text` stand for bad bytes (not for U+FFFD written in the file)."""
    return text.count("\ufffd") - data.decode(encoding, errors="ignore").count("\ufffd")


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for text that has every other byte NUL, as
    UTF-16 has for Latin script; else None."""
    sample = data[: min(len(data), 8192) // 2 * 2]
    if len(sample) < 8 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    if odd.count(0) > 0.4 * half and even.count(0) < 0.05 * half:
        return "utf-16-le"
    if even.count(0) > 0.4 * half and odd.count(0) < 0.05 * half:
        return "utf-16-be"
    return None


# Detection is unreliable on short texts: for a few accented letters many
# single-byte code pages fit, and charset_normalizer then often names a Central
# or Baltic European one (cp1250 turns "à" into "ŕ", cp1257 "é" into "é" but
# "à" into "ą").  Western European text is far more common in news exports, so
# Windows-1252 (a superset of Latin-1's letters) is taken whenever it reads as
# Latin-script text; detection decides only when it does not.
WESTERN = "cp1252"
# In Latin-script text most letters are ASCII; in Cyrillic, Greek, Hebrew,
# Arabic or CJK text read as cp1252, nearly all are not.
_MAX_NON_ASCII_LETTERS = 0.3
# Letters around a character that is not one: how Central European text reads
# in cp1252 ("Rz¹d", "³ód¿"); typographic apostrophes and the Catalan middle
# dot are at home between letters.
_BETWEEN_LETTERS = re.compile(r"(?<=[^\W\d_])[^\x00-\x7f](?=[^\W\d_])")
_AT_HOME_BETWEEN_LETTERS = frozenset("’‘·\u00ad")


def _detect_encoding(data: bytes) -> str | None:
    if _reads_as_western(data):
        return WESTERN
    import charset_normalizer  # on first use: most corpora are UTF-8

    best = charset_normalizer.from_bytes(data).best()
    if best is None or best.encoding in ("utf_8", "ascii"):
        return None
    return codecs.lookup(best.encoding).name


def _reads_as_western(data: bytes) -> bool:
    try:
        text = data.decode(WESTERN)
    except UnicodeDecodeError:  # bytes cp1252 leaves undefined
        return False
    letters = [c for c in text if c.isalpha()]
    foreign = sum(1 for c in letters if not c.isascii())
    if not letters or foreign > _MAX_NON_ASCII_LETTERS * len(letters):
        return False
    return not any(
        not c.isalpha() and c not in _AT_HOME_BETWEEN_LETTERS
        for c in (m.group() for m in _BETWEEN_LETTERS.finditer(text))
    )


# Text has few control characters or bad sequences; past this share, a file is binary.
_MOSTLY_TEXT = 0.1


# Control characters and bytes that text seldom has: C0 controls other than
# tab, line ends and form feed (a page break in old text files).
_CONTROL_CHARS = re.compile(rf"(?!\x0c)[{textlib.C0_CONTROLS}]")
_CONTROL_BYTES = bytes(c for c in range(128) if _CONTROL_CHARS.match(chr(c)))


_ASCII_CONTROLS = bytes(c for c in range(128) if _CONTROL.match(chr(c)))


def _has_control(text: str) -> bool:
    if text.isascii():  # the bytes' way is faster than the pattern's
        return len(text.encode("ascii").translate(None, _ASCII_CONTROLS)) != len(text)
    return _CONTROL.search(text) is not None


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if not sample:
        return False
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > _MOSTLY_TEXT * len(sample)


def _looks_binary_text(text: str) -> bool:
    sample = text[:8192].rstrip("\x00")
    if not sample:
        return False
    controls = len(_CONTROL_CHARS.findall(sample))
    return controls > _MOSTLY_TEXT * len(sample)


def split_paragraphs(body: str) -> tuple[str, ...]:
    """Blank lines separate paragraphs; a single line break inside one is soft."""
    paragraphs = (textlib.normalise_space(chunk) for chunk in _BLANK_LINE.split(body))
    return tuple(p for p in paragraphs if p)


def _parse_txt(text: str, rel: str, ident: str, language: str, problems: list[Problem]) -> Article | None:
    if not text.strip():
        problems.append(Problem(rel, "empty file; skipped"))
        return None
    header = _TXT_HEADER.match(text)
    if header is None:
        problems.append(Problem(rel, "no 'date YYYY-MM-DD' header; skipped"))
        return None
    date = times.parse_when(header.group(1))
    if date is None:
        problems.append(Problem(rel, f"invalid date {header.group(1)[:40]!r} ({_EXPECTED_WHEN}); skipped"))
        return None
    paragraphs = split_paragraphs(text[header.end() :])
    if textlib.is_blank("".join(paragraphs)):
        problems.append(Problem(rel, "no body after the date header; skipped"))
        return None
    body = "\n\n".join(paragraphs)
    return _article(
        ident=ident, rel=rel, fmt="txt", date=date, title=None, text=body,
        paragraphs=paragraphs, markdown="", language=language, summary=None,
    )


def markdown_parser() -> MarkdownIt:
    """A parser of the Markdown of articles: CommonMark, with raw HTML kept as
    text so that no article can bring markup of its own into a page."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "typographer": False})


@functools.cache
def _markdown() -> MarkdownIt:
    """The Markdown parser, made on first use: most corpora are plain text."""
    return markdown_parser()


@functools.cache
def _front_matter() -> tuple[Callable[[str], Any], tuple[type[Exception], ...]]:
    """python-frontmatter's reader, with a YAML loader that leaves dates as
    text (so that a bad date is reported as one), and the errors it raises.
    Imported on first use: most corpora are plain text, and every build starts
    faster without YAML."""
    import frontmatter
    import yaml
    from frontmatter.default_handlers import YAMLHandler

    class PlainYAMLLoader(yaml.SafeLoader):
        yaml_implicit_resolvers = {
            first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }

    class FrontMatterHandler(YAMLHandler):
        def load(self, fm: str, **kwargs: object) -> Any:
            return yaml.load(fm, Loader=PlainYAMLLoader)  # noqa: S506 - a SafeLoader subclass

    handler = FrontMatterHandler()
    return (lambda text: frontmatter.loads(text, handler=handler)), (yaml.YAMLError, ValueError, TypeError, RecursionError)


def markdown_plain_text(markdown: str) -> str:
    """The readable text of a Markdown body, blocks separated by blank lines."""
    blocks: list[str] = []
    for token in _markdown().parse(markdown):
        if token.type == "inline":
            blocks.append(textlib.normalise_space("".join(_inline_text(token))))
        elif token.type in ("fence", "code_block"):
            blocks.append(textlib.normalise_space(token.content))
    return "\n\n".join(b for b in blocks if b)


def _inline_text(token) -> Iterator[str]:
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            yield child.content
        elif child.type in ("softbreak", "hardbreak"):
            yield " "


def _parse_markdown(text: str, rel: str, ident: str, language: str, problems: list[Problem]) -> Article | None:
    read_front_matter, errors = _front_matter()
    try:
        post = read_front_matter(text)
    except errors as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        problems.append(Problem(rel, f"front matter is not valid YAML ({first}); skipped"))
        return None
    meta = post.metadata if isinstance(post.metadata, dict) else {}
    if "date" not in meta:
        problems.append(Problem(rel, "front matter has no 'date'; skipped"))
        return None
    date = times.parse_when(meta["date"])
    if date is None:
        problems.append(Problem(rel, f"invalid date {_shown(meta['date'])} ({_EXPECTED_WHEN}); skipped"))
        return None
    updated = times.parse_when(meta["updated"]) if meta.get("updated") is not None else None
    if meta.get("updated") is not None and updated is None:
        problems.append(Problem(rel, f"invalid 'updated' {_shown(meta['updated'])} ({_EXPECTED_WHEN}); ignored"))
    elif updated is not None and times.day_of(updated) < times.day_of(date):
        problems.append(Problem(rel, f"'updated' {_shown(meta['updated'])} is before the date; ignored"))
        updated = None
    plain = markdown_plain_text(post.content)
    if textlib.is_blank(plain):
        problems.append(Problem(rel, "no body after the front matter; skipped"))
        return None
    title = _meta_text(meta, "title", rel, problems)
    if title is None:
        problems.append(Problem(rel, "front matter has no 'title'; derived from the body"))
    slug = _meta_text(meta, "slug", rel, problems)
    lang = _meta_text(meta, "lang", rel, problems)
    if lang is not None and not textlib.LANGUAGE_CODE.match(lang):
        problems.append(Problem(rel, f"front matter 'lang' {lang[:40]!r} is not a language code like 'en' or 'pt-BR'; using {language!r}"))
        lang = None
    tags_raw = meta.get("tags") or ()
    if isinstance(tags_raw, str):
        tags_raw = [t for t in (s.strip() for s in tags_raw.split(",")) if t]
    if not isinstance(tags_raw, (list, tuple)):
        tags_raw = [tags_raw]
    tags = tuple(textlib.normalise_space(str(t)) for t in tags_raw if isinstance(t, _SCALARS))
    if len(tags) != len(tags_raw):
        problems.append(Problem(rel, "front matter 'tags' should be a list of words; the other entries ignored"))
    image, image_alt = _meta_image(meta, rel, problems)
    return _article(
        ident=ident, rel=rel, fmt="md", date=date, updated=updated, title=title, text=plain,
        paragraphs=(), markdown=post.content, language=lang or language,
        summary=_meta_text(meta, "summary", rel, problems), slug=slug,
        author=_meta_text(meta, "author", rel, problems), tags=tags,
        guess_language=lang is None,  # a declared language is taken as it is
        image=image, image_alt=image_alt,
    )


def _meta_image(meta: dict, rel: str, problems: list[Problem]) -> tuple[str | None, str | None]:
    """The front matter's `image` as written (images.resolve checks it, each
    build) and `image_alt`: None when not given, "" when given empty (an
    image that says nothing the text does not)."""
    value = meta.get("image")
    if value is None:
        return None, None
    if not isinstance(value, str) or textlib.is_blank(value) or _CONTROL.search(value):
        problems.append(Problem(rel, "front matter 'image' should be a file name or an http(s) address; no image"))
        return None, None
    alt = meta.get("image_alt")
    if alt is not None and not isinstance(alt, _SCALARS):
        problems.append(Problem(rel, "front matter 'image_alt' should be text; ignored"))
        alt = None
    return value.strip(), None if alt is None else textlib.normalise_space(str(alt))


# YAML values that read as text.  Lists and maps are not: and shown whole, a
# map built from aliases ("billion laughs") would grow without bound.
_SCALARS = (str, int, float, datetime.date)


def _shown(value: object) -> str:
    """A front matter value for a warning: quoted text, or just its kind."""
    return repr(str(value)[:40]) if isinstance(value, _SCALARS) else f"({type(value).__name__}, not text)"


def _meta_text(meta: dict, key: str, rel: str, problems: list[Problem]) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if not isinstance(value, _SCALARS):
        problems.append(Problem(rel, f"front matter '{key}' should be text; ignored"))
        return None
    value = textlib.normalise_space(str(value))
    return None if textlib.is_blank(value) else value


def _article(
    *, ident: str, rel: str, fmt: str, date: times.When, title: str | None, text: str,
    paragraphs: tuple[str, ...], markdown: str, language: str, summary: str | None,
    slug: str | None = None, author: str | None = None, tags: tuple[str, ...] = (),
    guess_language: bool = True, updated: times.When | None = None,
    image: str | None = None, image_alt: str | None = None,
) -> Article:
    # A text article's paragraphs are normal (split_paragraphs), and counted as they are.
    words = textlib.count_paragraph_words(paragraphs) if paragraphs else textlib.count_words(text)
    derived_title, opening = textlib.derive_title_and_opening(text) if title is None else (None, None)
    if derived_title is not None and textlib.is_blank(derived_title):
        derived_title = None
    return Article(
        id=ident,
        source=rel,
        format=fmt,
        date=times.day_of(date),
        title=title or derived_title or (ident if not textlib.is_blank(ident) else UNTITLED),
        title_derived=title is None,
        word_count=words,
        reading_minutes=textlib.reading_minutes(words),
        language=textlib.guess_language(text, language) if guess_language else language,
        direction=textlib.text_direction(title or text),
        slug=slug,
        author=author,
        tags=tags,
        time=times.time_of(date),
        updated=updated,
        content=Body(text, paragraphs, markdown, summary or textlib.derive_excerpt(
            text, skip_first_sentence=derived_title is not None and not derived_title.endswith("…"), opening=opening)),
        image=image,
        image_alt=image_alt,
    )
