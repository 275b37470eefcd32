"""Corpus files → Article records.

Reading never raises for a bad file: each problem becomes a Problem naming the
file, and the article is either built with a fallback or skipped.
"""

from __future__ import annotations

import codecs
import datetime
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer
import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler
from markdown_it import MarkdownIt

from . import text as textlib
from .records import Article, Problem

ARTICLE_SUFFIXES = (".txt", ".md", ".markdown")
MAX_BYTES = 64 * 1024 * 1024

_EXPORT_NAME = re.compile(r"^\d+_([0-9A-Fa-f]{6,})$")
_TXT_HEADER = re.compile(r"\A[\s\ufeff]*date[ \t]+(\S+)[ \t]*(?:\n|(?=\S)|\Z)", re.IGNORECASE)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_BLANK_LINE = re.compile(r"\n[ \t\f\v\u00a0]*\n")
# C0 controls other than tab and newline, and DEL: never meaningful in an article.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Loaded:
    article: Article | None
    problems: tuple[Problem, ...]


def article_id(path: Path) -> str:
    """The file name without its extension; for export names `NNN_<hex>`, the hex part."""
    match = _EXPORT_NAME.match(path.stem)
    return match.group(1).lower() if match else path.stem


def discover(source: Path) -> tuple[list[Path], list[Problem]]:
    """Article files below `source`, in a stable order, with problems met on the way.

    Hidden files and folders are skipped; links that lead outside the source
    folder are never followed."""
    root = source.resolve()
    found: list[Path] = []
    problems: list[Problem] = []
    for folder, dirs, files in os.walk(source, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        here = Path(folder)
        for d in list(dirs):
            if (here / d).is_symlink():
                target = (here / d).resolve()
                rel = _relative(here / d, source)
                if not _is_within(target, root):
                    problems.append(Problem(rel, "link to a folder outside the source folder, not followed"))
                else:
                    problems.append(Problem(rel, "link to a folder, not followed (its files are read where they are)"))
                dirs.remove(d)
        for name in sorted(files):
            if name.startswith(".") or not name.lower().endswith(ARTICLE_SUFFIXES):
                continue
            path = here / name
            if path.is_symlink() and not _is_within(path.resolve(), root):
                problems.append(Problem(_relative(path, source), "link to a file outside the source folder, not followed"))
                continue
            found.append(path)
    found.sort(key=lambda p: _relative(p, source))
    return found, problems


def _is_within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _relative(path: Path, source: Path) -> str:
    return path.relative_to(source).as_posix()


def load_file(path: Path, source: Path, *, language: str, today: datetime.date | None = None) -> Loaded:
    """Read one file into an Article, or explain why it could not be."""
    rel = _relative(path, source)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return Loaded(None, (Problem(rel, f"file is {size // 1_048_576} MB, over the {MAX_BYTES // 1_048_576} MB limit; skipped"),))
        data = path.read_bytes()
    except OSError as error:
        return Loaded(None, (Problem(rel, f"cannot be read ({error.strerror or error}); skipped"),))
    return parse_bytes(data, rel, fmt=_format_of(path), language=language, today=today, name=path)


def _format_of(path: Path) -> str:
    return "txt" if path.suffix.lower() == ".txt" else "md"


def parse_bytes(
    data: bytes,
    rel: str,
    *,
    fmt: str,
    language: str,
    today: datetime.date | None = None,
    name: Path | None = None,
) -> Loaded:
    """Bytes of one file → an Article and its problems.  Pure: no file access."""
    problems: list[Problem] = []
    text = decode(data, rel, problems)
    if text is None:
        return Loaded(None, tuple(problems))
    ident = article_id(name or Path(rel))
    parse = _parse_txt if fmt == "txt" else _parse_markdown
    article = parse(text, rel, ident, language, problems)
    if article is not None and today is not None and article.date > today:
        problems.append(Problem(rel, f"date {article.date.isoformat()} is in the future; built as dated"))
    return Loaded(article, tuple(problems))


def decode(data: bytes, rel: str, problems: list[Problem]) -> str | None:
    """Bytes → text with Unix line ends, or None for a file that is not text."""
    if data.startswith(codecs.BOM_UTF8):
        text, encoding = _decode_lenient(data[3:], "utf-8", rel, problems), None
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, encoding = _decode_lenient(data, "utf-16", rel, problems), None
    else:
        try:
            text, encoding = data.decode("utf-8"), None
        except UnicodeDecodeError:
            text, encoding = None, _detect_encoding(data)
            if encoding is None:
                if _looks_binary(data):
                    problems.append(Problem(rel, "not a text file (binary content); skipped"))
                    return None
                problems.append(Problem(rel, "invalid UTF-8 and no other encoding fits; bad bytes replaced with U+FFFD"))
                text = data.decode("utf-8", errors="replace")
            else:
                problems.append(Problem(rel, f"not UTF-8; decoded as {encoding}"))
                text = data.decode(encoding, errors="replace")
    if _looks_binary_text(text):
        problems.append(Problem(rel, "not a text file (binary content); skipped"))
        return None
    if _CONTROL.search(text):
        problems.append(Problem(rel, "contains NUL or other control characters; removed"))
        text = _CONTROL.sub("", text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_lenient(data: bytes, encoding: str, rel: str, problems: list[Problem]) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        problems.append(Problem(rel, f"invalid {encoding.upper()} byte sequences; replaced with U+FFFD"))
        return data.decode(encoding, errors="replace")


def _detect_encoding(data: bytes) -> str | None:
    if _looks_binary(data):
        return None
    best = charset_normalizer.from_bytes(data).best()
    if best is None or best.encoding in ("utf_8", "ascii"):
        return None
    return codecs.lookup(best.encoding).name


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if not sample:
        return False
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls / len(sample) > 0.1


def _looks_binary_text(text: str) -> bool:
    sample = text[:8192]
    if not sample:
        return False
    odd = sum(1 for c in sample if c == "\ufffd" or (c < " " and c not in "\t\n\r\f"))
    return odd / len(sample) > 0.1


def parse_date(raw: object) -> datetime.date | None:
    """A calendar date from `YYYY-MM-DD` text or a YAML date; None when invalid."""
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    match = _ISO_DATE.match(str(raw).strip())
    if not match:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


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
    date = parse_date(header.group(1))
    if date is None:
        problems.append(Problem(rel, f"invalid date {header.group(1)[:40]!r} (expected YYYY-MM-DD); skipped"))
        return None
    paragraphs = split_paragraphs(text[header.end() :])
    if not paragraphs:
        problems.append(Problem(rel, "no body after the date header; skipped"))
        return None
    body = "\n\n".join(paragraphs)
    return _article(
        ident=ident, rel=rel, fmt="txt", date=date, title=None, text=body,
        paragraphs=paragraphs, markdown="", language=language, summary=None,
    )


_MARKDOWN = MarkdownIt("commonmark", {"html": False})


class _PlainYAMLLoader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so that a bad date is reported as one."""


_PlainYAMLLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _FrontMatterHandler(YAMLHandler):
    def load(self, fm: str, **kwargs: object) -> object:
        return yaml.load(fm, Loader=_PlainYAMLLoader)  # noqa: S506 - a SafeLoader subclass


_FRONT_MATTER = _FrontMatterHandler()


def markdown_plain_text(markdown: str) -> str:
    """The readable text of a Markdown body, blocks separated by blank lines."""
    blocks: list[str] = []
    for token in _MARKDOWN.parse(markdown):
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
    try:
        post = frontmatter.loads(text, handler=_FRONT_MATTER)
    except (yaml.YAMLError, ValueError, TypeError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        problems.append(Problem(rel, f"front matter is not valid YAML ({first}); skipped"))
        return None
    meta = post.metadata if isinstance(post.metadata, dict) else {}
    if "date" not in meta:
        problems.append(Problem(rel, "front matter has no 'date'; skipped"))
        return None
    date = parse_date(meta["date"])
    if date is None:
        problems.append(Problem(rel, f"invalid date {str(meta['date'])[:40]!r} (expected YYYY-MM-DD); skipped"))
        return None
    plain = markdown_plain_text(post.content)
    if not plain.strip():
        problems.append(Problem(rel, "no body after the front matter; skipped"))
        return None
    title = _meta_text(meta, "title", rel, problems)
    if title is None:
        problems.append(Problem(rel, "front matter has no 'title'; derived from the body"))
    slug = _meta_text(meta, "slug", rel, problems)
    tags_raw = meta.get("tags") or ()
    if isinstance(tags_raw, str):
        tags_raw = [t for t in (s.strip() for s in tags_raw.split(",")) if t]
    tags = tuple(str(t) for t in tags_raw) if isinstance(tags_raw, (list, tuple)) else ()
    return _article(
        ident=ident, rel=rel, fmt="md", date=date, title=title, text=plain,
        paragraphs=(), markdown=post.content, language=_meta_text(meta, "lang", rel, problems) or language,
        summary=_meta_text(meta, "summary", rel, problems), slug=slug,
        author=_meta_text(meta, "author", rel, problems), tags=tags, guess_language=False,
    )


def _meta_text(meta: dict, key: str, rel: str, problems: list[Problem]) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        problems.append(Problem(rel, f"front matter '{key}' should be text; ignored"))
        return None
    value = textlib.normalise_space(str(value))
    return value or None


def _article(
    *, ident: str, rel: str, fmt: str, date: datetime.date, title: str | None, text: str,
    paragraphs: tuple[str, ...], markdown: str, language: str, summary: str | None,
    slug: str | None = None, author: str | None = None, tags: tuple[str, ...] = (),
    guess_language: bool = True,
) -> Article:
    words = textlib.count_words(text)
    derived_title = textlib.derive_title(text) if title is None else None
    return Article(
        id=ident,
        source=rel,
        format=fmt,
        date=date,
        title=title or derived_title or ident,
        title_derived=title is None,
        text=text,
        paragraphs=paragraphs,
        markdown=markdown,
        excerpt=summary
        or textlib.derive_excerpt(text, skip_first_sentence=derived_title is not None and not derived_title.endswith("…")),
        word_count=words,
        reading_minutes=textlib.reading_minutes(words),
        language=textlib.guess_language(text, language) if guess_language else language,
        direction=textlib.text_direction(title or text),
        slug=slug,
        author=author,
        tags=tags,
    )
