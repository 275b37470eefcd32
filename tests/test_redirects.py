"""Links that never rot: every address once published keeps answering, with its
article, a redirect to where the article went, or a page that says it was removed."""

from __future__ import annotations

import json
import posixpath
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadsheet.build import BuildError
from broadsheet.check import check_links
from broadsheet.redirects import (
    GONE,
    MOVED,
    PAGE,
    RECORD,
    BadAddress,
    HandRedirect,
    Permalink,
    ReadRecord,
    folder_moves,
    normalise_address,
    parse_hand,
    parse_record,
    plan,
    record_json,
)

from .conftest import txt
from .test_build import read
from .test_reproducible import files_of
from .test_site_checks import VALIDATOR

# --- addresses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "address"),
    [
        ("2023/01/05/a/", "2023/01/05/a/"),
        ("2023/01/05/a", "2023/01/05/a/"),
        ("old/story.html", "old/story.html"),
        ("old/index.html", "old/"),
        ("./", ""),
        ("index.html", ""),
        ("caf%C3%A9/", "café/"),
        ("https://example.org/news/2023/01/05/a/", "2023/01/05/a/"),
    ],
)
def test_addresses_inside_the_site_are_accepted_in_one_plain_form(raw, address):
    assert normalise_address(raw, base_url="https://example.org/news/") == address


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("../x/", "'..'"),
        ("a/../../x/", "'..'"),
        ("a//b/", "empty"),
        ("/2023/01/05/a/", "absolute path"),
        ("https://elsewhere.example/x/", "another site"),
        ("//elsewhere.example/x/", "another site"),
        ("C:\\x", "another site"),
        ("a\\..\\b/", "character"),
        (".well-known/x/", "hidden"),
        ("assets/site.css.html", "site's own files"),
        ("pagefind/", "site's own files"),
        ("a/feed.xml", "not a page"),
        ("a/?q=1", "query"),
        ("a/#p1", "fragment"),
        ("%ff/", "not UTF-8"),
        ("a%00b/", "character"),
    ],
)
def test_addresses_that_could_lead_outside_are_refused(raw, why):
    with pytest.raises(BadAddress, match=why):
        normalise_address(raw)


@given(st.text(alphabet=st.sampled_from("ab./\\%2e:~-_ \x00é"), max_size=20))
def test_no_address_leads_outside_the_output_folder(raw):
    try:
        address = normalise_address(raw)
    except BadAddress:
        return
    path = posixpath.join("out", address + ("index.html" if address.endswith("/") or not address else ""))
    assert posixpath.normpath(path).startswith("out/") and normalise_address(address) == address
    assert not any(part.startswith(".") for part in address.split("/"))


# --- the plan: what answers at each old address -----------------------------------------


def page(url: str, ident: str, source: str, title: str = "T") -> Permalink:
    return Permalink(url, PAGE, ident, source, title)


def by_url(result) -> dict[str, Permalink]:
    return {p.url: p for p in result.record}


def test_a_redated_article_is_found_by_its_id_and_a_renamed_one_by_its_source():
    previous = [page("2023/01/05/a/", "a", "a.txt"), page("2023/01/06/b/", "b", "b.txt")]
    current = [page("2023/01/09/a/", "a", "sub/a.txt"), page("2023/01/06/b2/", "b2", "b.txt")]
    result = by_url(plan(previous, current, []))
    assert result["2023/01/05/a/"] == Permalink("2023/01/05/a/", MOVED, "a", "a.txt", "T", to="2023/01/09/a/")
    assert result["2023/01/06/b/"].to == "2023/01/06/b2/"


def test_chains_collapse_to_the_newest_address():
    previous = [
        Permalink("2023/01/05/a/", MOVED, "a", "a.txt", "T", to="2023/01/06/a/"),
        page("2023/01/06/a/", "a", "a.txt"),
        Permalink("legacy/a.html", MOVED, to="2023/01/05/a/"),
    ]
    result = by_url(plan(previous, [page("2023/01/07/a/", "a", "a.txt")], []))
    assert {url: p.to for url, p in result.items()} == {
        "2023/01/05/a/": "2023/01/07/a/", "2023/01/06/a/": "2023/01/07/a/",
        "2023/01/07/a/": None, "legacy/a.html": "2023/01/07/a/",
    }


def test_a_removed_article_is_gone_with_one_warning_and_stays_gone_quietly():
    previous = [page("2023/01/05/a/", "a", "a.txt", "Alpha"), page("2023/01/06/b/", "b", "b.txt")]
    first = plan(previous, [page("2023/01/06/b/", "b", "b.txt")], [])
    assert by_url(first)["2023/01/05/a/"] == Permalink("2023/01/05/a/", GONE, "a", "a.txt", "Alpha")
    assert [(p.source, "a.txt" in p.message) for p in first.problems] == [("2023/01/05/a/", True)]
    again = plan(first.record, [page("2023/01/06/b/", "b", "b.txt")], [])
    assert again.record == first.record and again.problems == ()


def test_an_article_removed_after_a_move_gives_one_warning_for_both_its_addresses():
    previous = [
        Permalink("2023/01/05/a/", MOVED, "a", "a.txt", "T", to="2023/01/09/a/"),
        page("2023/01/09/a/", "a", "a.txt"),
        Permalink("legacy/a.html", MOVED, to="2023/01/09/a/"),
    ]
    result = plan(previous, [page("2023/02/01/b/", "b", "b.txt")], [])
    assert {p.status for p in result.record if p.url != "2023/02/01/b/"} == {GONE}
    assert [p.source for p in result.problems] == ["2023/01/09/a/", "legacy/a.html"]
    assert "pages there and at 2023/01/05/a/ now say" in result.problems[0].message


def test_an_article_that_takes_an_old_address_again_wins_and_one_that_returns_is_followed():
    gone = Permalink("2023/01/05/a/", GONE, "a", "a.txt")
    moved = Permalink("2023/01/05/x/", MOVED, "x", "x.txt", to="2023/01/06/x/")
    result = by_url(plan([gone, moved], [page("2023/01/05/x/", "y", "y.txt"), page("2023/02/01/a/", "a", "new/a.txt")], []))
    assert result["2023/01/05/x/"] == page("2023/01/05/x/", "y", "y.txt")
    assert result["2023/01/05/a/"].status == MOVED and result["2023/01/05/a/"].to == "2023/02/01/a/"


def test_an_id_alone_does_not_lead_to_an_article_that_has_its_own_address():
    previous = [page("2023/01/05/a/", "a", "one/a.txt"), page("2023/01/05/a-2/", "a", "two/a.txt")]
    result = plan(previous, [page("2023/01/05/a/", "a", "one/a.txt")], [])
    assert by_url(result)["2023/01/05/a-2/"].status == GONE


def test_the_record_is_sorted_and_reads_back_the_same():
    record = [
        page("2023/01/06/b/", "b", "b.txt", "Bé"),
        Permalink("2023/01/05/a/", MOVED, "a", "a.txt", "A", to="2023/01/06/b/"),
        Permalink("old.html", GONE),
    ]
    shuffled = record[:]
    random.Random(1).shuffle(shuffled)
    text = record_json(record)
    assert record_json(shuffled) == text and "Bé" in text
    assert parse_record(text, RECORD) == ReadRecord(tuple(sorted(record, key=lambda p: p.url)), [])
    # A record the last build wrote is read back without its checks, to the same.
    assert parse_record(text, RECORD, trusted=True) == parse_record(text, RECORD)


@pytest.mark.parametrize("trusted", [False, True])
def test_a_record_read_holds_the_builds_own_pages_once(trusted):
    # Most of a large archive's record is its current pages: an entry equal to
    # one of them is read as that object, not as a copy of its strings.
    current = page("2023/01/06/b/", "b", "b.txt", "B")
    changed = page("2023/01/07/c/", "c", "c.txt", "C")
    record = [current, page("2023/01/07/c/", "c", "c.txt", "C before"), Permalink("old.html", GONE)]
    known = {p.url: p for p in (current, changed)}
    read = parse_record(record_json(record), RECORD, trusted=trusted, known=known).permalinks
    assert read == tuple(record)
    assert read[0] is current
    assert read[1] is not changed and read[1].title == "C before"


def test_an_old_address_finds_a_page_without_an_id_or_a_source_as_before():
    # No build makes such a page; the plan's own callers may: None and "" are looked up alike.
    moved = plan([Permalink("old.html", MOVED, to="2023/01/02/b/")], [Permalink("2023/01/01/a/", PAGE, None, None, "A")], [])
    assert by_url(moved)["old.html"] == Permalink("old.html", MOVED, to="2023/01/01/a/")
    renamed = plan([page("2023/01/02/b/", "", "s.txt")], [Permalink("2023/01/01/a/", PAGE, None, "t.txt", "A")], [])
    assert by_url(renamed)["2023/01/02/b/"].to == "2023/01/01/a/"


@pytest.mark.parametrize("trusted", [False, True])
def test_a_record_written_with_an_address_more_takes_the_lines_a_build_wrote(monkeypatch, trusted):
    from broadsheet import redirects

    base = "https://example.org/news/"
    current = [page(f"2023/01/{day:02d}/a{day}/", f"a{day}", f"a{day}.txt", f"Tïtle \"{day}\"") for day in range(1, 6)]
    text = record_json([*current[:4], Permalink("old.html", GONE, title="Old")], base)
    expected = record_json(current + [Permalink("old.html", GONE, title="Old")], base)
    made: list[str] = []
    line = redirects._record_line
    monkeypatch.setattr(redirects, "_record_line", lambda p: made.append(p.url) or line(p))
    planned = redirects.plan_from_texts(record=text, manifest=None, hand=None, current=current, pages=[],
                                        base_url=base, written_digest=redirects.record_digest(text) if trusted else None)
    assert planned.unchanged_text is None and planned.record_text() == expected
    # Trusted, the line of each page of the build is made once, to be found
    # in the record read and written again, and the gone address, which the
    # plan makes anew, once more; no line twice.
    assert sorted(made) == sorted(p.url for p in planned.record)
    if trusted:
        parsed: list[str] = []
        loads = redirects.json.loads
        monkeypatch.setattr(redirects.json, "loads", lambda text: parsed.append(text) or loads(text))
        read, lines = redirects._read_written(text.replace("Old", "Ancient"), current)
        # Only the base address and the line that is no page of the build are parsed.
        assert parsed == [f'"{base}"', line(Permalink("old.html", GONE, title="Ancient"))]
        assert all(r is c for r, c in zip(read.permalinks[:4], current, strict=False)) and read.base_url == base
        assert lines[current[4].url] == (current[4], line(current[4]))
    # A record laid out otherwise is read whole.
    assert redirects._read_written(text.replace(",\n", ", "), current[:4]) is None


def test_folders_of_pages_and_of_other_files_lead_where_those_of_all_of_them_do():
    pages = {"index.html", "archive/index.html", "archive/2023/index.html", "archive/2023/05/index.html",
             "2023/05/01/a/index.html", "2024/01/02/b/index.html", "notes/x/page.html"}
    also = {"2022/12/31/gone/index.html", "old/page.html", "2023/05/01/a/index.html"}
    together = folder_moves(pages | also)
    assert folder_moves(pages, also=also) == together
    assert folder_moves(list(pages), also=also) == together
    assert {p.url: p.to for p in together} == {
        "2022/": "archive/", "2022/12/": "archive/", "2022/12/31/": "archive/",
        "2023/": "archive/2023/", "2023/05/": "archive/2023/05/", "2023/05/01/": "archive/2023/05/", "2024/": "archive/", "2024/01/": "archive/", "2024/01/02/": "archive/",
        "notes/": "", "notes/x/": "", "old/": "",
    }


# Not only text: an articles.json written by another tool may hold numbers there.
_OPTIONAL_TEXT = st.none() | st.text(max_size=12) | st.integers()


@given(st.lists(st.builds(
    Permalink, url=st.text(max_size=12), status=st.sampled_from([PAGE, MOVED, GONE]),
    id=_OPTIONAL_TEXT, source=_OPTIONAL_TEXT, title=_OPTIONAL_TEXT, to=_OPTIONAL_TEXT,
), min_size=1, max_size=6))
def test_each_line_of_the_record_is_the_json_of_its_address(record):
    lines = record_json(record).split("\n")[3:-2]
    expected = []
    for p in sorted(record, key=lambda p: p.url):
        entry = {"url": p.url, "status": p.status, "id": p.id, "source": p.source, "title": p.title}
        if p.status == MOVED:
            entry["to"] = p.to
        expected.append(json.dumps(entry, ensure_ascii=False))
    assert [line.removesuffix(",") for line in lines] == expected


def test_a_damaged_record_is_used_only_where_it_is_sound():
    text = json.dumps({"addresses": [
        {"url": "../../outside/", "status": "gone"},
        {"url": "2023/01/05/a/", "status": "moved", "to": "/etc/"},
        {"url": "2023/01/05/b/", "status": "nonsense"},
        {"url": "2023/01/05/c/", "status": "page", "id": "c", "source": "c.txt", "title": None},
        "not an object",
    ]})
    read = parse_record(text, "site/published.json")
    assert [p.url for p in read.permalinks] == ["2023/01/05/c/"]
    assert [p.message.split(" ")[1] for p in read.problems] == ["1", "2", "3", "5"]
    assert parse_record("{not json", "site/published.json").problems[0].source == "site/published.json"


# --- hand-written redirects -------------------------------------------------------------

HAND = """\
# moves the old system made
legacy/story-1.html   2023/01/05/a/
legacy/story-2.html -> 2023/01/05/a/   # both forms
2023/01/05/a/ 2023/01/06/b/

just-one-word
../../escape/ 2023/01/05/a/
legacy/x/ https://elsewhere.example/
legacy/y/ /2023/01/05/a/
legacy/z/ no/such/page/
legacy/story-1.html archive/
Legacy/Story-1.HTML archive/
legacy/loop-1/ legacy/loop-2/
legacy/loop-2/ legacy/loop-1/
"""


def test_a_redirects_file_gives_moves_and_names_each_bad_line():
    lines, problems = parse_hand(HAND)
    assert [(p.source, p.message.split(" ")[0]) for p in problems] == [
        ("redirects:6", "expected"), ("redirects:7", "old"), ("redirects:8", "new"), ("redirects:9", "new"),
    ]
    result = plan([], [page("2023/01/05/a/", "a", "a.txt")], ["archive/index.html", "index.html"], lines)
    warned = {p.source: p.message for p in result.problems}
    assert sorted(warned) == [f"redirects:{n}" for n in (10, 11, 12, 13, 14, 4)]
    assert "is a page of the site" in warned["redirects:4"] and "not a page of the site" in warned["redirects:10"]
    assert all("already redirected on line 2" in warned[f"redirects:{n}"] for n in (11, 12))
    assert "circle" in warned["redirects:13"] and "circle" in warned["redirects:14"]
    assert {p.url: p.to for p in result.record if p.status == MOVED} == {
        "legacy/story-1.html": "2023/01/05/a/", "legacy/story-2.html": "2023/01/05/a/",
    }


def test_a_hand_move_wins_over_the_automatic_one_and_chains_through_it():
    previous = [page("2023/01/05/a/", "a", "a.txt")]
    current = [page("2023/01/09/a/", "a", "a.txt"), page("2023/02/01/c/", "c", "c.txt")]
    hand = [HandRedirect("legacy/a/", "2023/01/05/a/", 1), HandRedirect("2023/01/05/a/", "2023/02/01/c/", 2)]
    moves = {p.url: p.to for p in plan(previous, current, [], hand).record if p.status == MOVED}
    assert moves == {"2023/01/05/a/": "2023/02/01/c/", "legacy/a/": "2023/02/01/c/"}
    # Without the second line, the first leads through the automatic move.
    moves = {p.url: p.to for p in plan(previous, current, [], hand[:1]).record if p.status == MOVED}
    assert moves == {"2023/01/05/a/": "2023/01/09/a/", "legacy/a/": "2023/01/09/a/"}


# --- builds into the same output folder -------------------------------------------------

FIRST = {
    "redated.txt": txt("2023-01-05", "A story that will be re-dated. More."),
    "removed.txt": txt("2023-02-05", "A story that will be removed. More."),
    "slugged.md": "---\ntitle: A story that gets a slug\ndate: 2023-03-05\n---\n\nBody.\n",
    "moved.txt": txt("2023-04-05", "A story that moves into a folder. More."),
}


def second_corpus(source: Path) -> None:
    (source / "redated.txt").write_text(txt("2023-01-09", "A story that will be re-dated. More."), encoding="utf-8")
    (source / "removed.txt").unlink()
    (source / "slugged.md").write_text(
        "---\ntitle: A story that gets a slug\ndate: 2023-03-05\nslug: with-a-slug\n---\n\nBody.\n", encoding="utf-8"
    )
    (source / "sub").mkdir()
    (source / "moved.txt").rename(source / "sub" / "moved.txt")


def resolve(out: Path, page_file: str, link: str) -> Path:
    return (out / posixpath.dirname(page_file) / link).resolve()


def assert_redirects(out: Path, old: str, new: str) -> None:
    page_file = old + "index.html"
    html = (out / page_file).read_text(encoding="utf-8")
    page = read(out / page_file)
    refresh = page.find("meta", http_equiv="refresh")
    assert len(refresh) == 1 and refresh[0]["content"].startswith("0; url=")
    target = refresh[0]["content"].removeprefix("0; url=")
    assert not target.startswith(("/", "http")) and resolve(out, page_file, target) == (out / new / "index.html").resolve()
    assert page.find("link", rel="canonical", href=target) and target in page.links
    assert page.find("meta", name="robots", content="noindex") and "data-pagefind-body" not in html


def test_moved_articles_redirect_and_a_removed_one_says_so_build_after_build(corpus, build_site):
    source = corpus(FIRST)
    _, out = build_site(source)
    second_corpus(source)
    result, _ = build_site(source, check=True)

    assert_redirects(out, "2023/01/05/redated/", "2023/01/09/redated/")
    assert_redirects(out, "2023/03/05/slugged/", "2023/03/05/with-a-slug/")
    assert (out / "2023/04/05/moved/index.html").read_text(encoding="utf-8").count("data-pagefind-body") == 1
    assert [str(p) for p in result.problems] == [
        "warning: 2023/02/05/removed/: no article has this address any more (it was removed.txt); "
        "a page there now says it was removed"
    ]
    gone = read(out / "2023/02/05/removed/index.html")
    assert gone.find("meta", name="robots", content="noindex")
    assert [f["action"] for f in gone.find("form")] == ["../../../../search/index.html"] * 2
    assert "../../../../index.html" in gone.links and "A story that will be removed" in "".join(gone.text)
    assert result.broken_links == [] and (result.moved, result.gone) == (2, 1)
    urls = [a["url"] for a in json.loads((out / "articles.json").read_text(encoding="utf-8"))["articles"]]
    assert sorted(urls) == ["2023/01/09/redated/", "2023/03/05/with-a-slug/", "2023/04/05/moved/"]

    # A third build: the re-dated article moves again; its first address follows it.
    (source / "redated.txt").write_text(txt("2023-01-12", "A story that will be re-dated. More."), encoding="utf-8")
    result, _ = build_site(source, check=True)
    assert_redirects(out, "2023/01/05/redated/", "2023/01/12/redated/")
    assert_redirects(out, "2023/01/09/redated/", "2023/01/12/redated/")
    assert (out / "2023/02/05/removed/index.html").is_file() and result.problems == []
    assert check_links(out) == []
    record = {p.url: p for p in parse_record((out / RECORD).read_text(encoding="utf-8"), RECORD).permalinks}
    assert record["2023/01/05/redated/"].to == "2023/01/12/redated/" and record["2023/02/05/removed/"].status == GONE


def test_an_article_that_takes_a_gone_address_again_is_the_page_there(corpus, build_site):
    source = corpus(FIRST)
    build_site(source)
    removed = (source / "removed.txt").read_text(encoding="utf-8")
    (source / "removed.txt").unlink()
    build_site(source)
    (source / "again").mkdir()
    (source / "again" / "removed.txt").write_text(removed, encoding="utf-8")
    result, out = build_site(source)
    page = read(out / "2023/02/05/removed/index.html")
    assert page.find("article", data_pagefind_body="") and not page.find("meta", name="robots")
    assert result.problems == [] and result.gone == 0


def test_canonical_is_absolute_with_a_base_url_and_the_refresh_stays_relative(corpus, build_site):
    source = corpus(FIRST)
    build_site(source, base_url="https://example.org/news/")
    second_corpus(source)
    _, out = build_site(source, base_url="https://example.org/news/")
    page = read(out / "2023/01/05/redated/index.html")
    assert page.find("link", rel="canonical", href="https://example.org/news/2023/01/09/redated/")
    assert page.find("meta", http_equiv="refresh", content="0; url=../../../../2023/01/09/redated/index.html")


def test_a_site_built_before_the_record_existed_is_known_by_its_articles_json(corpus, build_site):
    source = corpus(FIRST)
    _, out = build_site(source)
    (out / RECORD).unlink()
    second_corpus(source)
    result, _ = build_site(source)
    assert_redirects(out, "2023/01/05/redated/", "2023/01/09/redated/")
    assert result.gone == 1


def test_a_record_edited_since_the_last_build_is_checked_again(corpus, build_site):
    source = corpus(FIRST)
    _, out = build_site(source)
    data = json.loads((out / RECORD).read_text(encoding="utf-8"))
    data["addresses"].append({"url": "../../outside/", "status": "gone"})
    (out / RECORD).write_text(json.dumps(data), encoding="utf-8")
    result, _ = build_site(source)
    assert result.in_place
    assert [p.message.split(" (")[0] for p in result.problems] == [f"entry {len(data['addresses'])} cannot be used"]
    assert "outside" not in (out / RECORD).read_text(encoding="utf-8")


def test_a_record_laid_out_otherwise_is_written_again_as_a_build_lays_it_out(corpus, build_site):
    # Another tool's layout, a line an address as a build writes it but escaped otherwise:
    # kept as it is while no address changes, and never taken a line at a time.
    source = corpus({"a.txt": txt("2023-01-05", "Café on the quay."), "b.txt": txt("2023-01-06", "Crème at the market.")})
    _, out = build_site(source)
    record = out / RECORD
    text = record.read_text(encoding="utf-8")
    foreign = text.replace("é", "\\u00e9").replace("è", "\\u00e8")
    assert foreign != text and foreign.count("\n") == text.count("\n")
    record.write_text(foreign, encoding="utf-8")
    build_site(source)
    assert record.read_text(encoding="utf-8") == foreign
    (source / "c.txt").write_text(txt("2023-01-07", "Déjà vu."), encoding="utf-8")
    build_site(source)
    written = record.read_text(encoding="utf-8")
    assert written == record_json(parse_record(written, RECORD).permalinks) and "Café" in written


def test_hand_redirects_in_a_build(corpus, build_site, tmp_path):
    source = corpus(FIRST)
    (source / "redirects").write_text(
        "# from the old site\n"
        "old/redated.html 2023/01/05/redated/\n"
        "old/section/ -> archive/\n"
        "2023/04/05/moved/ archive/\n"
        "../../../outside/ archive/\n"
        "old/away/ https://elsewhere.example/\n"
        "old/nowhere/ no/such/page/\n"
        "bad line here\n",
        encoding="utf-8",
    )
    result, out = build_site(source, check=True)
    assert [p.source for p in result.problems] == [f"redirects:{n}" for n in (5, 6, 8, 4, 7)]
    assert_redirects(out, "old/section/", "archive/")
    assert read(out / "2023/04/05/moved/index.html").find("article", data_pagefind_body="")
    assert not (out / "old/away").exists() and not (out / "old/nowhere").exists()
    # Nothing written outside the site but the build cache beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.cache", "corpus", "site"]

    second_corpus(source)
    result, _ = build_site(source, check=True)
    html = (out / "old/redated.html").read_text(encoding="utf-8")
    assert 'url=../2023/01/09/redated/index.html"' in html  # the hand move follows the article
    assert result.broken_links == []


def test_a_gone_page_fails_a_strict_build_and_the_site_stays(corpus, build_site):
    source = corpus(FIRST)
    _, out = build_site(source)
    before = files_of(out)
    (source / "removed.txt").unlink()
    with pytest.raises(BuildError, match="with --strict"):
        build_site(source, strict=True)
    assert files_of(out) == before


def test_the_same_history_gives_the_same_files(corpus, build_site, tmp_path):
    source = corpus(FIRST)
    _, out = build_site(source)
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    second_corpus(source)
    (source / "redirects").write_text("old/a.html 2023/01/05/redated/\n", encoding="utf-8")
    build_site(source)
    first = files_of(out)
    build_site(source, out=copy)
    assert files_of(copy) == first
    build_site(source)
    assert files_of(out) == first


@pytest.mark.slow
def test_redirect_and_gone_pages_are_valid_html_and_not_searched(corpus, build_site):
    source = corpus(FIRST)
    build_site(source)
    second_corpus(source)
    result, out = build_site(source, search=True)
    assert result.indexed == 3
    pages = [out / "2023/01/05/redated/index.html", out / "2023/02/05/removed/index.html"]
    if shutil.which("java") is None:
        pytest.skip("the HTML validator (vnu.jar) needs Java")
    done = subprocess.run(
        [str(VALIDATOR), "--show-warnings", "--format", "text", *map(str, pages)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_redirect_is_never_written_over_another_file_of_the_site(corpus, build_site):
    source = corpus(FIRST)
    (source / "redirects").write_text("articles.json/ archive/\n", encoding="utf-8")
    result, out = build_site(source)
    assert json.loads((out / "articles.json").read_text(encoding="utf-8"))["articles"]
    assert [p.source for p in result.problems] == ["articles.json/index.html"]



@pytest.mark.parametrize("count", [0, 1, 999, 1000, 1001, 2500])
def test_each_line_of_the_record_is_its_address_as_json_dumps_writes_it(count):
    # Lines are put together from their values, a page's faster than the others',
    # and given a thousand at a time: the text is json's, whatever their number.
    record = [page(f"2023/01/01/a{i:05d}/", f"a{i}", f"dir/a{i}.txt", f'Tïtle "{i}"\n\u2028\\') for i in range(count)]
    record += [Permalink("old/", MOVED, "x", "x.txt", None, to="2023/01/01/a00000/"), Permalink("g/", GONE, title="G"),
               Permalink("p/", PAGE, None, "p.txt", "P")][: count % 4]
    text = record_json(record, "https://example.org/")
    rows = text.split("\n")
    lines = [row.removesuffix(",") for row in rows[3:-2] if row]
    fields = [{"url": p.url, "status": p.status, "id": p.id, "source": p.source, "title": p.title,
               **({"to": p.to} if p.status == MOVED else {})} for p in sorted(record, key=lambda p: p.url)]
    assert lines == [json.dumps(f, ensure_ascii=False) for f in fields]
    assert json.loads(text)["addresses"] == fields and rows[-2:] == ["]}", ""]


def test_the_list_of_articles_is_read_only_where_the_record_cannot_be_used():
    from broadsheet import redirects

    current = [page("2023/01/01/a/", "a", "a.txt")]
    sound = record_json(current)
    asked = []

    def manifest() -> str:
        asked.append(1)
        return ""

    redirects.plan_from_texts(record=sound, manifest=manifest, hand=None, current=current, pages=[])
    assert asked == []
    redirects.plan_from_texts(record=None, manifest=manifest, hand=None, current=current, pages=[])
    assert asked == [1]
