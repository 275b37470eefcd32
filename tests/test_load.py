"""Reading corpus files into Article records."""

import datetime
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from broadsheet.load import _stem, article_id, discover, split_paragraphs

from .conftest import SEED_FILE, SEEDS, load_file, parse_bytes


def parse(text: str | bytes, name: str = "a.txt"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_bytes(data, name, fmt=Path(name).suffix.lstrip(".") if name.endswith(".txt") else "md", language="en")


def test_seed_article_parses_to_its_date_title_and_paragraphs():
    loaded = load_file(SEED_FILE, SEEDS, language="en")
    assert loaded.problems == ()
    article = loaded.article
    assert article.id == "18c9c60748474e6b"
    assert article.date == datetime.date(2023, 11, 11)
    # Its first sentence is 124 characters: cut at a word within 110, as headlines are.
    assert article.title == (
        "The Biden administration is calling on Israel to reevaluate its plans "
        "for a large-scale ground invasion in…"
    )
    assert len(article.title) <= 110
    assert article.title_derived
    assert len(article.paragraphs) == 8
    assert article.paragraphs[6].startswith("In an effort to assist Israel")
    assert "Lt. Gen. James Glynn" in article.paragraphs[6]
    assert article.word_count == len(SEED_FILE.read_text(encoding="utf-8").split()) - 2  # less "date 2023-11-11"
    assert article.reading_minutes == 3
    # The headline is cut short, so the excerpt gives the whole first sentence.
    assert article.excerpt.startswith("The Biden administration is calling on Israel to reevaluate its plans for a "
                                      "large-scale ground invasion in the Gaza Strip. Instead, they’re proposing")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("000_18c9c60748474e6b.txt", "18c9c60748474e6b"),
        ("123456_ABCDEF12.txt", "abcdef12"),
        ("my story.txt", "my story"),
        ("2023_report.md", "2023_report"),
    ],
)
def test_article_id_drops_the_export_index(name, expected):
    assert article_id(name) == expected
    assert article_id(f"2023/{name}") == expected


@given(st.lists(st.text(st.sampled_from("ab.-_ é"), max_size=6), min_size=1, max_size=3))
@example(["a."])
@example([".hidden"])
@example(["dir.d", "x.tar.gz"])
def test_the_stem_of_a_path_as_text_is_the_stem_of_the_path(parts):
    rel = "/".join(parts)
    assume(PurePosixPath(rel).name and "." not in parts)  # discovered paths have no "." folder
    assert _stem(rel) == PurePosixPath(rel).stem


@pytest.mark.parametrize(
    "text",
    [
        " date 2023-11-11 First paragraph.\n\nSecond.",
        "date 2023-11-11\nFirst paragraph.\n\nSecond.",
        "\ufeff  \n date 2023-11-11\n\nFirst paragraph.\n\nSecond.\n\n\n",
        "DATE 2023-11-11 First paragraph.\r\n\r\nSecond.\r\n",
        "date 2023-11-11 First paragraph.\r\rSecond.",
        "date\t2023-11-11\tFirst paragraph.\n  \t \nSecond.",
    ],
)
def test_header_and_paragraph_variants(text):
    loaded = parse(text)
    assert loaded.problems == ()
    assert loaded.article.date == datetime.date(2023, 11, 11)
    assert loaded.article.paragraphs == ("First paragraph.", "Second.")


def test_single_line_breaks_are_soft():
    assert split_paragraphs("one\ntwo\n\nthree") == ("one two", "three")


def test_plain_text_is_never_interpreted():
    loaded = parse("date 2023-01-02 # Not a heading\n\n1. Not a list\n\n<b>not bold</b> *not em*")
    assert loaded.article.paragraphs == ("# Not a heading", "1. Not a list", "<b>not bold</b> *not em*")
    assert loaded.article.title == "# Not a heading"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("  \n\t\n", "empty file"),
        ("date 2023-11-11", "no body"),
        ("date 2023-11-11\n\n\n", "no body"),
        ("Just a story without a header.", "no 'date YYYY-MM-DD' header"),
        ("date 2023-02-30 Body.", "invalid date '2023-02-30'"),
        ("date 23-11-11 Body.", "invalid date '23-11-11'"),
        ("date 2023/11/11 Body.", "invalid date '2023/11/11'"),
    ],
)
def test_bad_txt_files_are_skipped_with_one_warning(text, message):
    loaded = parse(text, "bad.txt")
    assert loaded.article is None
    assert len(loaded.problems) == 1
    assert message in loaded.problems[0].message
    assert str(loaded.problems[0]).startswith("warning: bad.txt: ")


def test_future_date_is_built_with_a_warning():
    loaded = parse_bytes(b"date 2999-01-01 Body.", "f.txt", fmt="txt", language="en", today=datetime.date(2026, 1, 1))
    assert loaded.article.date.year == 2999
    assert ["in the future" in p.message for p in loaded.problems] == [True]


def test_markdown_with_front_matter():
    text = (
        "---\ntitle: A *real* title\ndate: 2024-02-29\nslug: Leap Day\nsummary: The summary.\n"
        "lang: fr\nauthor: Ada\ntags: [one, two]\n---\n\n# Heading\n\nBody with [a link](https://example.org).\n"
    )
    loaded = parse(text, "x.md")
    assert loaded.problems == ()
    article = loaded.article
    assert (article.title, article.date, article.slug) == ("A *real* title", datetime.date(2024, 2, 29), "Leap Day")
    assert (article.excerpt, article.language, article.author, article.tags) == ("The summary.", "fr", "Ada", ("one", "two"))
    assert article.text == "Heading\n\nBody with a link."


def test_markdown_without_title_derives_one_and_warns():
    loaded = parse("---\ndate: 2024-01-01\n---\nFirst sentence here. More.\n", "y.md")
    assert loaded.article.title == "First sentence here"
    assert [p.message for p in loaded.problems] == ["front matter has no 'title'; derived from the body"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\ntitle: [unclosed\ndate: 2024-01-01\n---\nBody", "front matter is not valid YAML"),
        ("---\ntitle: T\n---\nBody", "front matter has no 'date'"),
        ("---\ntitle: T\ndate: 2024-13-01\n---\nBody", "invalid date"),
        ("---\ntitle: T\ndate: 2024-01-01\n---\n", "no body"),
    ],
)
def test_bad_markdown_files_are_skipped(text, message):
    loaded = parse(text, "bad.md")
    assert loaded.article is None
    assert message in loaded.problems[0].message


def test_discover_is_recursive_sorted_and_skips_hidden_and_other_files(tmp_path):
    for name in ["b.txt", "a/z.md", "a/c.TXT", ".hidden.txt", ".git/x.txt", "notes.docx", "img.png", "a/b/d.markdown"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("date 2023-01-01 x", encoding="utf-8")
    found, problems = discover(tmp_path)
    assert found == ["a/b/d.markdown", "a/c.TXT", "a/z.md", "b.txt"]
    assert problems == []


def test_markdown_without_lang_gets_the_language_of_its_script_and_a_declared_one_is_kept():
    guessed = parse("---\ntitle: 東京タワーの夜景\ndate: 2023-08-04\n---\n\n東京タワーは日本の電波塔です。\n", "ja.md")
    declared = parse("---\ntitle: T\ndate: 2023-08-04\nlang: zh-Hant\n---\n\n東京タワーは日本の電波塔です。\n", "zh.md")
    assert (guessed.article.language, declared.article.language) == ("ja", "zh-Hant")
