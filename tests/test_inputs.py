"""Hostile and broken input files: each is built (with a fallback) or skipped,
gives exactly one warning line naming it, fails a --strict build, and never
puts executable markup or evaluated template syntax into the site."""

from __future__ import annotations

import codecs
import contextlib
import io
import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from broadsheet import load
from broadsheet import text as textlib
from broadsheet.cli import main

from .conftest import parse_bytes, txt, write_corpus
from .html_checks import page_text, unsafe_pages

ANCHOR = "zz-anchor.txt"  # a good article beside each case, so that every build has one
MARKUP = (
    '<script>alert(1)</script> "><img src=x onerror=alert(1)> {{ 7*7 }} {% if true %}yes{% endif %} '
    "</textarea> [click me](javascript:alert(1))"
)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f80f00000101000518d84e0000000049454e44ae426082"
)


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, str | bytes]
    flagged: str  # the file the case is about
    built: bool  # is that file's article in the site?
    warning: str | None = None  # what the one warning line about it says; None: no warning
    prepare: Callable[[Path, Path, pytest.MonkeyPatch], None] | None = None
    title: str | None = None  # the title the article must get
    pages_contain: tuple[str, ...] = field(default_factory=tuple)


def one(name: str, content: str | bytes, built: bool, warning: str | None, **more) -> Case:
    return Case(name=name, files={f"{name}.txt": content}, flagged=f"{name}.txt", built=built, warning=warning, **more)


def bom(codec: str, bom_bytes: bytes, text: str) -> bytes:
    return bom_bytes + text.encode(codec)


def link_to_outside_file(source: Path, tmp: Path, _: pytest.MonkeyPatch) -> None:
    outside = write_corpus(tmp / "elsewhere", {"secret.txt": txt("2023-05-05", "Outside secret words.")})
    (source / "linked.txt").symlink_to(outside / "secret.txt")


def link_to_outside_folder(source: Path, tmp: Path, _: pytest.MonkeyPatch) -> None:
    outside = write_corpus(tmp / "elsewhere", {"secret.txt": txt("2023-05-05", "Outside secret words.")})
    (source / "linked").symlink_to(outside, target_is_directory=True)


def link_loop(source: Path, tmp: Path, _: pytest.MonkeyPatch) -> None:
    (source / "loop.txt").symlink_to(source / "loop.txt")


def pipe(source: Path, tmp: Path, _: pytest.MonkeyPatch) -> None:
    os.mkfifo(source / "pipe.txt")


def unreadable_file(source: Path, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = source / "locked.txt"
    target.write_text(txt("2023-01-01", "Locked away."), encoding="utf-8")
    if os.geteuid() != 0:
        target.chmod(0)
        return
    # chmod does not stop root from reading: the refusal the kernel would give is simulated.
    real = load._read_bytes

    def refuse(path: str) -> bytes:
        if os.path.basename(path) == "locked.txt":
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(load, "_read_bytes", refuse)


def unreadable_folder(source: Path, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_corpus(source / "locked", {"inside.txt": txt("2023-01-01", "Locked away.")})
    if os.geteuid() != 0:
        folder.chmod(0)
        return
    real = os.scandir

    def refuse(path=".", *args, **kwargs):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", refuse)


def name_not_utf8(source: Path, tmp: Path, _: pytest.MonkeyPatch) -> None:
    with open(os.path.join(os.fsencode(source), b"caf\xe9.txt"), "wb") as handle:
        handle.write(txt("2023-01-01", "A file whose name is Latin-1.").encode())


LONG_SENTENCE = "word " * 1000 + "and on without a stop"
# YAML aliases that grow nine-fold at each level ("billion laughs"): 9**8 entries if expanded.
ALIAS_BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}' if prev else 'x'] * 9)}]\n"
    for prev, name in zip(["", "a", "b", "c", "d", "e", "f", "g"], "abcdefgh", strict=True)
)


def front_matter(*lines: str, body: str = "Body text.") -> str:
    return "---\n" + "".join(f"{line}\n" for line in lines) + "---\n\n" + body + "\n"


LATIN = "Le café à Paris était déjà fermé. Après la pluie, ça va."
WINDOWS = "\u201cQuoted\u201d news \u2013 it\u2019s the caf\u00e9\u2019s \u20ac5 menu. Second sentence."

CASES = [
    one("empty", b"", False, "empty file"),
    one("whitespace", " \n\t \r\n  \n", False, "empty file"),
    one("header-only", "date 2023-11-11\n", False, "no body"),
    one("invisible-body", "date 2023-11-11 \u200b\u200d\ufeff\n", False, "no body"),
    one("no-date", "Just a story without any header.", False, "no 'date YYYY-MM-DD' header"),
    one("feb-30", "date 2023-02-30 Body.", False, "invalid date '2023-02-30'"),
    one("two-digit-year", "date 23-11-11 Body.", False, "invalid date '23-11-11'"),
    one("slashes", "date 2023/11/11 Body.", False, "invalid date '2023/11/11'"),
    one("far-future", txt("2999-01-01", "From the future."), True, "is in the future"),
    one("day-zero", txt("1900-01-01", "A placeholder date."), True, "placeholder"),
    one("old", txt("1900-06-15", "News from 1900."), True, None, title="News from 1900"),
    one("crlf", "date 2023-11-11 First para.\r\n\r\nSecond para.\r\n", True, None, pages_contain=('id="p2"',)),
    one("lone-cr", "date 2023-11-11 First para.\r\rSecond para.\r", True, None, pages_contain=('id="p2"',)),
    one("utf8-bom", bom("utf-8", codecs.BOM_UTF8, txt("2023-11-11", "Naïve café.")), True, None, title="Naïve café"),
    one("utf16-le-bom", bom("utf-16-le", codecs.BOM_UTF16_LE, txt("2023-11-11", "Naïve café.")), True, None, title="Naïve café"),
    one("utf16-be-bom", bom("utf-16-be", codecs.BOM_UTF16_BE, txt("2023-11-11", "Naïve café.")), True, None, title="Naïve café"),
    one("utf16-no-bom", txt("2023-11-11", "Naïve café.").encode("utf-16-le"), True, "UTF-16 without a byte order mark", title="Naïve café"),
    one("latin-1", txt("2023-11-11", LATIN).encode("latin-1"), True, "decoded as cp1252", title="Le café à Paris était déjà fermé"),
    one("cp1252", txt("2023-11-11", WINDOWS).encode("cp1252"), True, "decoded as cp1252", title=WINDOWS.split(". ")[0]),
    one("damaged-utf8", txt("2023-11-11", "Café — naïve résumé.").encode().replace("—".encode(), b"\xe2\x80"), True,
        "invalid UTF-8 byte sequences", title="Café \ufffd naïve résumé"),
    one("nul-bytes", b" date 2023-11-11 Hello\x00 wor\x00ld.\n", True, "control characters; removed", title="Hello world"),
    one("nul-padding", txt("2023-11-11", "Padded file.").encode() + b"\x00" * 5000, True, "control characters; removed"),
    one("png", PNG, False, "not a text file"),
    one("random-bytes", random.Random(7).randbytes(4096), False, "not a text file"),
    one("long-first-sentence", txt("2023-11-11", LONG_SENTENCE), True, None),
    one("markup-txt", txt("2023-11-11", f"Title {MARKUP}", f"Body {MARKUP}"), True, None,
        pages_contain=("{{ 7*7 }}", "{% if true %}", "&lt;/textarea&gt;", "[click me](javascript:alert(1))")),
    Case("markup-md", {"markup-md.md": (
        "---\n"
        "title: '<script>alert(1)</script> \"><img src=x onerror=alert(1)> {{ 7*7 }} {% if x %}'\n"
        "date: 2023-11-11\n"
        "summary: '</textarea><script>alert(2)</script> {{ 7*7 }}'\n"
        "author: '\"><svg onload=alert(3)>'\n"
        "tags: ['<b onmouseover=alert(4)>', '{{ 7*7 }}']\n"
        "---\n\n"
        f"Body {MARKUP}\n\n<javascript:alert(5)> [x](JAVASCRIPT:alert(6)) [y](java\tscript:alert(7))\n\n"
        "<iframe src=x></iframe> <a href=\"javascript:alert(8)\">raw</a>\n"
    )}, "markup-md.md", True, None, pages_contain=("{{ 7*7 }}", "{% if x %}")),
    Case("alias-bomb-tags", {"bomb.md": front_matter(ALIAS_BOMB, "title: T", "date: 2023-11-11", "tags: *h")},
         "bomb.md", True, "'tags' should be a list of words"),
    Case("alias-bomb-date", {"bomb.md": front_matter(ALIAS_BOMB, "title: T", "date: *h")},
         "bomb.md", False, "invalid date (list, not text)"),
    Case("deeply-nested-yaml", {"deep.md": front_matter("title: " + "[" * 20_000 + "]" * 20_000, "date: 2023-11-11")},
         "deep.md", False, "front matter is not valid YAML"),
    Case("md-no-date", {"nodate.md": front_matter("title: T")}, "nodate.md", False, "front matter has no 'date'"),
    Case("md-no-title", {"notitle.md": front_matter("date: 2023-11-11", body="First sentence. Second.")}, "notitle.md",
         True, "no 'title'; derived from the body", title="First sentence"),
    Case("bad-lang-md", {"bad-lang.md": '---\ntitle: T\ndate: 2023-11-11\nlang: \'en" onclick="alert(1)\'\n---\nBody.\n'},
         "bad-lang.md", True, "is not a language code"),
    one("hebrew", txt("2023-11-11", "הממשלה הודיעה היום על צעדים חדשים. זה המשך."), True, None,
        title="הממשלה הודיעה היום על צעדים חדשים", pages_contain=('dir="rtl"', 'lang="he"')),
    one("arabic", txt("2023-11-11", "أعلنت الحكومة اليوم عن إجراءات جديدة. هذا استمرار."), True, None,
        title="أعلنت الحكومة اليوم عن إجراءات جديدة", pages_contain=('dir="rtl"', 'lang="ar"')),
    one("chinese", txt("2023-11-11", "政府今天宣布了新的经济措施。这是后续。"), True, None,
        title="政府今天宣布了新的经济措施。", pages_contain=('lang="zh"',)),
    one("japanese", txt("2023-11-11", "政府は新しい経済対策を発表した。これは続きです。"), True, None,
        title="政府は新しい経済対策を発表した。", pages_contain=('lang="ja"',)),
    one("combining-emoji", txt("2023-11-11", "Cafe\u0301 n\u0303 👩🏽‍🚀 flags 🇺🇦 and 🧑‍🤝‍🧑 joined. More."), True, None,
        title="Cafe\u0301 n\u0303 👩🏽‍🚀 flags 🇺🇦 and 🧑‍🤝‍🧑 joined"),
    Case("spaces-capitals", {"My Big Story.txt": txt("2023-11-11", "Spaces and capitals.")}, "My Big Story.txt", True,
         pages_contain=()),
    Case("non-ascii-name", {"Été à Zürich – Ünïcödé.txt": txt("2023-11-11", "Accents in the name.")},
         "Été à Zürich – Ünïcödé.txt", True),
    Case("cjk-name", {"日本語の記事.txt": txt("2023-11-11", "A Japanese file name.")}, "日本語の記事.txt", True),
    Case("markup-name", {'"><img src=x onerror=alert(1)>.txt': txt("2023-11-11", "A name with markup.")},
         '"><img src=x onerror=alert(1)>.txt', True),
    Case("same-name-two-folders", {"a/story.txt": txt("2023-11-11", "First story."), "b/story.txt": txt("2023-11-11", "Second story.")},
         "b/story.txt", True, "address 2023/11/11/story/ is taken by a/story.txt"),
    Case("same-hex-two-prefixes", {"001_deadbeef01.txt": txt("2023-11-11", "First."), "002_deadbeef01.txt": txt("2023-11-11", "Second.")},
         "002_deadbeef01.txt", True, "is taken by 001_deadbeef01.txt"),
    Case("same-id-other-dates", {"a/story.txt": txt("2023-01-01", "First story."), "b/story.txt": txt("2023-02-02", "Second story.")},
         "b/story.txt", True, "id 'story' is also the id of a/story.txt"),
    Case("case-only-difference", {"Story.txt": txt("2023-11-11", "Upper."), "story.txt": txt("2023-11-11", "Lower.")},
         "story.txt", True, "address 2023/11/11/story/ is taken by Story.txt"),
    Case("link-to-outside-file", {}, "linked.txt", False, "link to a file outside the source folder", prepare=link_to_outside_file),
    Case("link-to-outside-folder", {}, "linked", False, "link to a folder outside the source folder", prepare=link_to_outside_folder),
    Case("link-loop", {}, "loop.txt", False, "leads nowhere", prepare=link_loop),
    Case("pipe", {}, "pipe.txt", False, "not a regular file", prepare=pipe),
    Case("unreadable-file", {}, "locked.txt", False, "cannot be read (Permission denied)", prepare=unreadable_file),
    Case("unreadable-folder", {}, "locked", False, "folder cannot be read (Permission denied)", prepare=unreadable_folder),
    Case("name-not-utf8", {}, "caf\\xe9.txt", True, "not printable UTF-8", prepare=name_not_utf8),
]


def build(source: Path, out: Path, *options: str) -> tuple[int, list[str]]:
    """Run the command line in this process; its exit code and stderr lines."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["--source", str(source), "--out", str(out), "--no-search", *options])
    return code, err.getvalue().splitlines()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_input_is_built_or_skipped_with_one_warning(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    source = write_corpus(tmp_path / "src", {ANCHOR: txt("2020-01-01", "An ordinary article."), **case.files})
    if case.prepare:
        case.prepare(source, tmp_path, monkeypatch)

    code, lines = build(source, tmp_path / "out")

    assert code == 0, lines
    assert not any("Traceback" in line for line in lines)
    warnings = [line for line in lines if line.startswith("warning:")]
    if case.warning is None:
        assert warnings == []
    else:
        assert len(warnings) == 1, warnings
        assert warnings[0].startswith(f"warning: {case.flagged}: ") and case.warning in warnings[0], warnings
    records = json.loads((tmp_path / "out/articles.json").read_text(encoding="utf-8"))["articles"]
    built = {r["source"]: r for r in records}
    assert (case.flagged in built) == case.built
    assert all((name in built) == case.built for name in case.files) and ANCHOR in built
    urls = [r["url"] for r in records]
    assert len(urls) == len(set(urls))
    assert all(url.isascii() and " " not in url for url in urls)
    assert all(r["title"] and not textlib.is_blank(r["title"]) for r in records)
    assert unsafe_pages(tmp_path / "out") == {}
    for record in records:
        html = (tmp_path / "out" / record["url"] / "index.html").read_text(encoding="utf-8")
        if any("7*7" in content for content in case.files.values() if isinstance(content, str)):
            assert "49" not in html
        if record["source"] == case.flagged:
            assert page_text(html).count(record["title"]) >= 1
            if case.title is not None:
                assert record["title"] == case.title
            for snippet in case.pages_contain:
                assert snippet in html
    assert "Outside secret" not in "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").rglob("*.html"))

    strict_code, strict_lines = build(source, tmp_path / "strict-out", "--strict")
    assert (strict_code != 0) == (case.warning is not None), strict_lines
    assert (tmp_path / "strict-out").exists() == (case.warning is None)


def test_a_20_mb_article_is_built(tmp_path: Path):
    # The worst shapes for sentence detection, in one 20 MB paragraph: runs of
    # stops, abbreviations and initials, no sentence end; then more paragraphs.
    first = "The U.S. and e.g. Mr. Smith vs. Dr. Jones met at 3 p.m. on Jan. 5 near No. 10 " * 150_000
    first += "." * 200_000 + "x"
    rest = "\n\n".join(f"Paragraph {i} says something. It goes on." for i in range(250_000))
    body = (first + "\n\n" + rest)[: 20 * 1_048_576]
    source = write_corpus(tmp_path / "src", {"big.txt": f"date 2023-11-11 {body}"})
    code, lines = build(source, tmp_path / "out")
    assert code == 0 and [line for line in lines if line.startswith("warning:")] == []
    record = json.loads((tmp_path / "out/articles.json").read_text(encoding="utf-8"))["articles"][0]
    assert len(record["title"]) <= textlib.TITLE_MAX and record["title"].endswith("…")
    page = (tmp_path / "out" / record["url"] / "index.html").read_text(encoding="utf-8")
    assert len(page) > 20_000_000 and 'id="p2"' in page


def test_a_5000_character_first_sentence_makes_a_short_title():
    title = textlib.derive_title_and_opening("x" * 5000)[0]
    assert len(title) <= textlib.TITLE_MAX and title.endswith("…")
    title = textlib.derive_title_and_opening(LONG_SENTENCE + ". Next sentence.")[0]
    assert len(title) <= textlib.TITLE_MAX and title.startswith("word word") and title.endswith("…")
    excerpt = textlib.derive_excerpt(LONG_SENTENCE)
    assert len(excerpt) <= textlib.EXCERPT_LENGTH


def test_a_corpus_of_only_bad_files_is_one_error_after_the_warnings(tmp_path: Path):
    source = write_corpus(tmp_path / "src", {"a.txt": "no header", "b.txt": PNG})
    code, lines = build(source, tmp_path / "out")
    assert code == 1 and not (tmp_path / "out").exists()
    assert lines == [
        "warning: a.txt: no 'date YYYY-MM-DD' header; skipped",
        "warning: b.txt: not a text file (binary content); skipped",
        f"error: none of the 2 article files in {source} could be used (see the warnings)",
    ]


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Le café à Paris était déjà fermé. Après la pluie, ça va.", "latin-1"),
        ("El niño comió piñas en la montaña. ¿Qué pasó?", "latin-1"),
        ("Die Bürger müssen größere Straßen bauen.", "latin-1"),
        ("A população não está satisfeita com a situação.", "latin-1"),
        ("Þjóðin kaus í dag. Ríkisstjórnin féll.", "latin-1"),
        ("“Quoted” news – it’s the café’s €5 menu… «really».", "cp1252"),
        ("Rząd ogłosił nowe środki. Łódź i Kraków się zgadzają.", "cp1250"),
        ("Правительство объявило новые меры поддержки экономики.", "cp1251"),
        ("Η κυβέρνηση ανακοίνωσε νέα μέτρα στήριξης της οικονομίας.", "cp1253"),
        ("政府は新しい経済対策を発表した。", "shift_jis"),
    ],
)
def test_short_text_in_a_legacy_encoding_is_read_right(text, encoding):
    # Detection alone names a Central European code page for most short Western
    # texts; the text must come out as written, with the encoding named.
    loaded = parse_bytes(f" date 2023-11-11 {text}\n".encode(encoding), "old.txt", fmt="txt", language="en")
    assert loaded.article.paragraphs == (text,)
    assert len(loaded.problems) == 1 and loaded.problems[0].message.startswith("not UTF-8; decoded as ")
