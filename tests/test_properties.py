"""Properties that hold for any input: loading never raises, titles are never
empty, no word of a text is lost, no markup gets through, addresses are unique."""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import replace
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from broadsheet import load as load_module
from broadsheet import text as textlib
from broadsheet.render import body_html
from broadsheet.site import assign_permalinks

from .conftest import parse_bytes
from .html_checks import executable_markup, page_text

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Anything a word may hold: no whitespace, no controls or noncharacters (which
# the loader removes, with a warning), no lone surrogates (not encodable).
WORD = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp", "Co", "Cn")).filter(lambda c: not c.isspace()),
    min_size=1, max_size=12,
)
SEPARATOR = st.sampled_from([" ", "  ", "\n", "\n\n", "\r\n", "\r\n\r\n", "\t", "\r", "\n \n"])
SOME_TEXT = st.text(max_size=400)
MARKDOWN_NOISE = st.lists(
    st.sampled_from([
        "<script>alert(1)</script>", "[x](javascript:alert(1))", "<javascript:alert(1)>", "![i](javascript:x)",
        '"><img src=x onerror=alert(1)>', "{{ 7*7 }}", "{% raw %}", "`code`", "**b**", "\n\n", "\n", " ",
        "[r]: javascript:alert(1)\n\n[r]", "<a href='javascript:x'>", "&lt;", "&#106;avascript:", "# h", "> q", "- l",
    ]) | SOME_TEXT,
    max_size=12,
).map("".join)


def load(data: bytes, fmt: str):
    return parse_bytes(data, f"f.{fmt}", fmt=fmt, language="en", today=datetime.date(2030, 1, 1))


def check_loaded(loaded) -> None:
    assert loaded.article is not None or loaded.problems
    if loaded.article is not None:
        assert loaded.article.title and not textlib.is_blank(loaded.article.title)
    for problem in loaded.problems:
        assert "\n" not in str(problem)


@PROPERTY_SETTINGS
@given(SOME_TEXT, st.sampled_from(["txt", "md"]))
def test_any_text_gives_an_article_or_a_warning(text, fmt):
    check_loaded(load(text.encode("utf-8", errors="surrogatepass"), fmt))
    check_loaded(load(f"date 2023-11-11 {text}".encode("utf-8", errors="surrogatepass"), fmt))
    check_loaded(load(f"---\ntitle: {text[:40]!r}\ndate: 2023-11-11\n---\n{text}".encode("utf-8", errors="surrogatepass"), "md"))


@PROPERTY_SETTINGS
@given(st.binary(max_size=600), st.sampled_from(["txt", "md"]))
def test_any_bytes_give_an_article_or_a_warning(data, fmt):
    check_loaded(load(data, fmt))
    check_loaded(load(b"date 2023-11-11 " + data, fmt))


@PROPERTY_SETTINGS
@given(st.lists(st.tuples(WORD, SEPARATOR), min_size=1, max_size=40))
def test_every_word_of_a_text_body_is_on_its_page(pieces):
    body = "".join(word + separator for word, separator in pieces)
    loaded = load(f"date 2023-11-11 {body}".encode(), "txt")
    if loaded.article is None:  # a body of invisible characters only
        assert loaded.problems and all(textlib.is_blank(word) for word, _ in pieces)
        return
    html = str(body_html(loaded.article))
    assert executable_markup(html) == []
    shown = page_text(html)
    for word, _ in pieces:
        assert word in shown


@PROPERTY_SETTINGS
@given(MARKDOWN_NOISE, st.lists(WORD, max_size=5).map(" ".join))
def test_no_markdown_makes_executable_markup(markdown, title):
    loaded = load(f"---\ntitle: x\ndate: 2023-11-11\n---\n{markdown}\n\n{title}".encode(), "md")
    if loaded.article is None:
        return
    html = str(body_html(loaded.article))
    assert executable_markup(html) == []
    assert "49" not in html or "49" in markdown + title


NAME = st.text(alphabet=st.sampled_from("aAbB_-. 0123456789éÉ日本/"), min_size=1, max_size=10)


@PROPERTY_SETTINGS
@given(st.lists(st.tuples(NAME, st.sampled_from(["2023-01-01", "2023-01-02"])), min_size=1, max_size=25))
def test_no_two_articles_share_a_permalink(names_and_dates):
    template = load(b"date 2023-01-01 Body.", "txt").article
    articles = [
        replace(template, id=re.sub(r"^\d+_", "", name.rsplit("/", 1)[-1]) or "x", source=f"{i}/{name}.txt",
                date=datetime.date.fromisoformat(day))
        for i, (name, day) in enumerate(names_and_dates)
    ]
    placed, problems = assign_permalinks(articles)
    urls = [url for _, url in placed]
    assert len(placed) == len(articles) and len(set(urls)) == len(urls)
    assert len({url.lower() for url in urls}) == len(urls)
    assert all(url.isascii() and "//" not in url for url in urls)


SENTENCE_PARTS = st.lists(
    st.sampled_from(["word", "Word", " ", " ", "\n", ".", "...", "!", "?", "U.S.", "e.g.", "Mr.", "No. 5", "3.5",
                     "a.m.", "“quoted.”", "。", "x" * 60, "Lt. Gen.", "J.", "\n\n"]),
    max_size=120,
).map("".join)


@PROPERTY_SETTINGS
@given(st.integers(0, 220), st.sampled_from([".", "!", "…", "。", " e.g.", " U.S."]), SENTENCE_PARTS)
def test_a_title_is_the_same_as_if_the_whole_first_sentence_were_read(length, stop, rest):
    text = ("word " * 50)[:length].strip() + stop + " " + rest  # a first sentence near the longest title
    # A title stops looking for a sentence end after TITLE_MAX characters.
    whole = textlib.first_sentence
    with mock.patch.object(textlib, "first_sentence", lambda text, within=None: whole(text)):
        expected = textlib.derive_title_and_opening(text)[0]
    assert textlib.derive_title_and_opening(text)[0] == expected
    assert len(expected) <= textlib.TITLE_MAX


@given(titles=st.lists(st.text(max_size=40), max_size=5), ids=st.text(alphabet="abcdef0123456789_-", min_size=1, max_size=12))
def test_the_manifest_is_the_json_of_its_records(titles, ids):
    from broadsheet.check import manifest
    from broadsheet.records import Article, Body
    from broadsheet.site import Entry

    entries = tuple(
        Entry(
            Article(id=f"{ids}{i}", source=f"sub/{title}.txt", format="txt", date=datetime.date(2020, 1, 1 + i),
                    title=title, title_derived=True, word_count=0, reading_minutes=1, language="en",
                    direction="ltr", slug=None, author=None, tags=(), time=None, updated=None,
                    content=Body("", (), "", "")),
            f"2020/01/{1 + i:02d}/{ids}{i}/",
        )
        for i, title in enumerate(titles)
    )
    records = [
        {"id": e.article.id, "title": e.article.title, "date": e.article.date.isoformat(), "url": e.url, "source": e.article.source}
        for e in entries
    ]
    assert manifest(entries) == json.dumps({"articles": records}, ensure_ascii=False, indent=1) + "\n"


@given(raw=st.text(alphabet="abcdefxyz0189-_ ", min_size=1, max_size=90))
def test_the_quick_slug_is_the_slug_slugify_gives(raw):
    from slugify import slugify

    from broadsheet.site import slug_of

    article = mock.Mock(slug=raw, id="x")
    expected = slugify(raw, max_length=80, word_boundary=True)
    assert slug_of(article) == (expected or slug_of(article))


def _excerpt_from_the_whole_text(text: str, skip_first_sentence: bool, limit: int) -> str:
    """derive_excerpt as it reads when it normalises the whole text: what it must give."""
    if skip_first_sentence:
        opening = textlib.first_sentence(text)
        flat = textlib.normalise_space(text)
        text = flat[len(opening):].strip() if flat.startswith(opening) else flat
        text = text or flat
    text = textlib.normalise_space(text)
    if len(text) <= limit:
        return text
    window = text[: limit + 1]
    ends = [m.end(2) for m in textlib._SENTENCE_END.finditer(window) if textlib._ends_sentence(window, m)]
    if ends and ends[-1] >= limit * 0.6:
        return window[: ends[-1]].strip()
    return textlib.shorten(text, limit)


@given(
    st.lists(st.sampled_from(["word", "Dr.", "U.S.", "end.", "Next", "  ", "\n", "\n\n", "\t", " ", "é", "東京", "x" * 30]),
             max_size=400).map("".join),
    st.booleans(),
    st.integers(min_value=5, max_value=120),
)
@example("Short one. " + "Word " * 40, False, 100)  # a sentence end too early in the window: cut at a word
@example("word " * 14 + "end. Next " + "word " * 20, False, 100)  # one late enough: cut there
def test_the_excerpt_reads_only_the_start_of_a_long_text_and_is_the_same(text, skip, limit):
    assert textlib.derive_excerpt(text, skip_first_sentence=skip, limit=limit) == _excerpt_from_the_whole_text(text, skip, limit)


@PROPERTY_SETTINGS
@given(st.integers(0, 220), st.sampled_from([".", "!", "…", "。", " e.g.", " U.S.", ""]), SENTENCE_PARTS)
@example(0, "", "x" * 200 + ". Next one.")
@example(150, ".", " Next one. And more.")
def test_the_title_s_opening_sentence_gives_the_excerpt_that_looking_for_it_again_gives(length, stop, rest):
    text = ("word " * 50)[:length].strip() + stop + " " + rest
    title, opening = textlib.derive_title_and_opening(text)
    if opening is not None:
        assert opening == textlib.first_sentence(text)
    assert (textlib.derive_excerpt(text, skip_first_sentence=True, opening=opening)
            == textlib.derive_excerpt(text, skip_first_sentence=True))


_WORDS = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp")), max_size=4)
_SPACES = st.sampled_from(["", " ", "  ", "\t", "\r\n", "\n\n", "\x0b", "\x0c", "\x1c", "\x85", "\xa0", "\u2028", "\u3000"])


@PROPERTY_SETTINGS
@given(
    st.lists(st.tuples(st.sampled_from(["", " ", "  "]), _WORDS)) | st.lists(st.tuples(_SPACES, _WORDS | st.text())),
    st.sampled_from(["", " "]),
)
@example([("", "a"), ("  ", "b")], "")
@example([("", "a")], " ")
@example([(" ", "a")], "")
@example([("", "a"), ("\xa0", "b")], "")
@example([("", "a"), ("\n\n", "b")], "")
@example([("", "a"), ("\n\n", "b"), ("  ", "c")], "")
@example([("", "a"), ("\n\n\n", "b")], "")
def test_normalise_space_joins_the_words_with_single_spaces(parts, end):
    text = "".join(space + word for space, word in parts) + end
    assert textlib.normalise_space(text) == " ".join(text.split())


def test_every_whitespace_character_but_the_space_is_unprintable():
    # What normalise_space's shortcut for text already normal rests on.
    assert [hex(c) for c in range(0x110000) if chr(c).isspace() and chr(c).isprintable() and chr(c) != " "] == []


def _words_counted_one_by_one(text: str) -> int:
    cjk = textlib._CJK.findall(text)
    return len(textlib._CJK.sub(" ", text).split()) + len(cjk)


@PROPERTY_SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["", " ", "  ", "\n", "\n\n", "\n\n\n", "\t", "\xa0"]), _WORDS | st.text())),
       st.sampled_from(["", " ", "\n\n"]))
@example([("", "a"), ("\n\n", "b")], "")
@example([("", "東京"), (" ", "in"), ("\n\n", "Japan")], "")
@example([("", "a")], "\n\n")
def test_count_words_counts_each_word_once(parts, end):
    text = "".join(space + word for space, word in parts) + end
    assert textlib.count_words(text) == _words_counted_one_by_one(text)


@PROPERTY_SETTINGS
@given(st.lists(st.text(st.sampled_from("ab .\n\t東京\xa0")) | _WORDS, min_size=1))
@example(["a b", "東京 c"])
@example(["a  b", "c"])
def test_paragraphs_made_normal_count_the_words_of_their_text(raw):
    paragraphs = [p for p in map(textlib.normalise_space, raw) if p]
    assert textlib.count_paragraph_words(paragraphs) == textlib.count_words("\n\n".join(paragraphs))


@given(st.text(st.characters(max_codepoint=0x7f)) | st.text())
@example("a\x7fb")
@example("a\x0cb")
def test_control_characters_are_found_in_ascii_and_other_text(text):
    assert load_module._has_control(text) == (load_module._CONTROL.search(text) is not None)


def _body_html_formatted(paragraphs: tuple[str, ...]) -> str:
    """The body of a text article as Markup.format writes it, one paragraph at a time."""
    from markupsafe import Markup

    from broadsheet.render import paragraph_anchor

    return "\n".join(Markup('<p id="p{}">{}{}</p>').format(n, text, paragraph_anchor(n)) for n, text in enumerate(paragraphs, 1))


@PROPERTY_SETTINGS
@given(st.lists(st.text(min_size=1, max_size=30), max_size=150))
@example(["a"] * 3)
@example(["<b>&'\""] * 140)
@example(["a&b", "c<d", "e>f", 'g"h', "i'j", "plain"])
def test_a_text_body_is_the_same_as_formatted_one_paragraph_at_a_time(paragraphs):
    article = mock.Mock(format="txt", paragraphs=tuple(paragraphs))
    assert body_html(article) == _body_html_formatted(tuple(paragraphs))


_WRITES = "{{ v }}|{% set b %}<{{ v }}>{% endset %}{{ b }}|{% macro m() %}{{ v }}{% endmacro %}{{ m() }}|{{ [v]|first }}"


@PROPERTY_SETTINGS
@given(st.text(max_size=30) | st.integers() | st.text(max_size=30).map(Markup) | st.none())
@example("a&b<c>d\"e'f")
@example("plain")
def test_templates_write_each_value_as_markupsafe_escapes_it(value):
    import jinja2

    from broadsheet import render
    from broadsheet.config import Config, validate
    from broadsheet.site import build_site

    site, _ = build_site([], per_page=10, site_title="T")
    env = render.Renderer(validate(Config(source=Path("."), out=Path("site"))), site).env
    template = env.from_string(_WRITES)
    assert template.root_render_func.__globals__["escape"] is render._escape_output  # the quick path is taken
    assert template.render(v=value) == jinja2.Environment(**render._OPTIONS).from_string(_WRITES).render(v=value)


@pytest.mark.parametrize("count", [999, 1000, 1001, 2500])
def test_the_list_of_articles_is_jsons_in_parts_of_a_thousand_too(count):
    from broadsheet.check import manifest
    from broadsheet.records import Article, Body
    from broadsheet.site import Entry

    entries = tuple(
        Entry(Article(id=f"a{i}", source=f"a{i}.txt", format="txt", date=datetime.date(2020, 1, 1), title=f'T "{i}"',
                      title_derived=True, word_count=0, reading_minutes=1, language="en", direction="ltr", slug=None,
                      author=None, tags=(), time=None, updated=None, content=Body("", (), "", "")),
              f"2020/01/01/a{i}/")
        for i in range(count)
    )
    records = [{"id": e.article.id, "title": e.article.title, "date": "2020-01-01", "url": e.url, "source": e.article.source}
               for e in entries]
    assert manifest(entries) == json.dumps({"articles": records}, ensure_ascii=False, indent=1) + "\n"
