"""Search in a real browser: from disk (file://, the offline index) and served (Pagefind).

Headless Chromium from the Debian package, driven by Playwright for Python;
skipped with the reason when either is missing."""

from __future__ import annotations

import base64
import functools
import http.server
import json
import math
import random
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from broadsheet import offline_index, search
from broadsheet.build import build
from broadsheet.config import Config, validate

from ..conftest import txt, write_corpus


def markdown(title: str, date: str, body: str) -> str:
    return f"---\ntitle: {title}\ndate: {date}\n---\n\n{body}\n"


TITLES = {
    "harbour": "Harbour strike closes the port of Valparaíso",
    "budget": "Parliament passes the budget after a long vote",
    "vaccine": "Hospital begins a vaccine trial",
    "cafe": "Café culture in Zürich",
    "hebrew": "ירושלים מתכוננת לחג",
    "arabic": "القاهرة تستضيف محادثات",
    "japanese": "東京タワーの夜景",
}
CORPUS = {
    "harbour.txt": txt(
        "2023-05-01", TITLES["harbour"] + ".",
        "Dockers at the harbour walked out on Monday, and the strike left ships waiting outside the harbour.",
    ),
    "budget.txt": txt(
        "2023-06-02", TITLES["budget"] + ".",
        "The budget vote ended at midnight. Cleaners near the harbour had threatened a strike.",
    ),
    "vaccine.txt": txt(
        "2023-03-03", TITLES["vaccine"] + ".", "The vaccine trial at the city hospital enrolled volunteers.",
    ),
    "cafe.md": markdown(TITLES["cafe"], "2023-09-05", "The café scene in Zürich is lively, the council says."),
    "hebrew.md": markdown(TITLES["hebrew"], "2023-07-03", "העירייה של ירושלים הודיעה על תוכנית חדשה."),
    "arabic.md": markdown(TITLES["arabic"], "2023-07-04", "استضافت القاهرة جولة جديدة من المحادثات."),
    "japanese.md": markdown(TITLES["japanese"], "2023-08-04", "東京タワーは日本の電波塔です。"),
    "ports.txt": txt(
        "2021-03-15", "Portraits of porters.", "Portable portraits of porters at the portal, a portion of the portfolio.",
    ),
    "gallery.txt": txt("2021-03-16", "A new gallery.", "Portraits hung in the gallery."),
    "coast.txt": txt(
        "2021-02-14", "Storms along the coast.",
        " ".join(["Rain fell on the northern towns for a week."] * 12)
        + " At the far end of the cape, the old lighthouses were flooded and their keepers left.",
    ),
    **{
        f"council{i:02d}.txt": txt(f"2022-{1 + i % 12:02d}-10", f"Council meeting number {i} in the city.",
                                    "The council discussed roads and parks.")
        for i in range(12)
    },
}


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh page in the session's Chromium (tests/browser/conftest.py); script errors on it fail the test."""
    context = browser.new_context()
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == []


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("search-site")
    source = write_corpus(folder / "corpus", CORPUS)
    # Shards of 10 pages: 2023 whole, 2022 cut into months (2022-01…10, 2022-11…12), so
    # that results come from several shards of both indexes, and are merged.
    build(validate(Config(source=source, out=folder / "site", search=True, quiet=True, search_shard_pages=10)))
    return folder / "site"


@pytest.fixture(scope="module")
def site_of_small_chunks(tmp_path_factory) -> Path:
    """The same site, its terms cut into chunks of a few terms (words and
    prefixes are looked up across many chunks), those of one term packed, and
    the levels of scores of words in two articles or more in two characters."""
    folder = tmp_path_factory.mktemp("search-site-small-chunks")
    source = write_corpus(folder / "corpus", CORPUS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(offline_index, "CHUNK_BYTES", 40)
        patch.setattr(offline_index, "PACK_SAVING", -10.0)  # every chunk of one term over 40 bytes packed
        patch.setattr(offline_index, "WIDE_FROM", 2)
        build(validate(Config(source=source, out=folder / "site", search=True, quiet=True, search_shard_pages=10)))
    return folder / "site"


@pytest.fixture(scope="module")
def site_of_split_terms(tmp_path_factory) -> Path:
    """The same site, nearly every term split: its postings in a whole file,
    and in a part for each shard that has it."""
    folder = tmp_path_factory.mktemp("search-site-split-terms")
    source = write_corpus(folder / "corpus", CORPUS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(offline_index, "SPLIT_BYTES", 20)
        patch.setattr(offline_index, "PART_BYTES", 1)
        build(validate(Config(source=source, out=folder / "site", search=True, quiet=True, search_shard_pages=10)))
    return folder / "site"


def _site_of_small_shards(folder: Path, split: bool) -> Path:
    source = write_corpus(folder / "corpus", CORPUS)
    with pytest.MonkeyPatch.context() as patch:
        if split:
            patch.setattr(offline_index, "SPLIT_BYTES", 20)
            patch.setattr(offline_index, "PART_BYTES", 1)
            patch.setattr(offline_index, "FAMILY_FROM", 1)  # each word's family's best in each shard
        # Pagefind's bundles beside, at any number of them: their list names the shards.
        build(validate(Config(source=source, out=folder / "site", search=True, quiet=True, search_shard_pages=2,
                              served_search="pagefind")))
    return folder / "site"


@pytest.fixture(scope="module")
def sites_of_small_shards(tmp_path_factory) -> tuple[Path, Path]:
    """The same corpus in shards of two articles or so: as it is, and with nearly every term split."""
    return (_site_of_small_shards(tmp_path_factory.mktemp("small-shards"), split=False),
            _site_of_small_shards(tmp_path_factory.mktemp("small-shards-split"), split=True))


@pytest.fixture(scope="module")
def site_of_newest_apart(tmp_path_factory) -> Path:
    """The same site, its newest day (one article, 2023-09-05) indexed apart:
    a second set of chunks of terms, which every query reads too."""
    folder = tmp_path_factory.mktemp("search-site-newest-apart")
    source = write_corpus(folder / "corpus", CORPUS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "NEWEST_APART_FROM", 5)
        build(validate(Config(source=source, out=folder / "site", search=True, quiet=True, search_shard_pages=10)))
    return folder / "site"


@pytest.fixture(scope="module")
def server(site) -> Iterator[str]:
    """The site served on a free port of 127.0.0.1; yields its address."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - the name is the base class's
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def article_path(url: str, root: str) -> str:
    """An article's address relative to the site root, as "YYYY/MM/DD/id/"."""
    path = url.split("?")[0].split("#")[0]
    assert path.startswith(root), (url, root)
    return path[len(root):].removesuffix("index.html")


def offline_search(page, site: Path, query: str, **options: object) -> dict:
    """What the offline engine answers for `query` on the search page opened from disk."""
    if not page.url.startswith((site / "search/index.html").as_uri()):
        page.goto((site / "search/index.html").as_uri())
        page.wait_for_function("typeof window.__offlineSearch?.search === 'function'")
    return page.evaluate("([q, o]) => window.__offlineSearch.search(q, o)", [query, options])


def offline_results(page, site: Path, query: str) -> list[str]:
    """Addresses of the first results the offline engine finds for `query`."""
    return [result["url"] for result in offline_search(page, site, query)["results"]]


def online_results(page, server: str, query: str) -> list[str]:
    page.goto(server + "search/?q=" + quote(query))
    page.wait_for_selector(".search-results h2 a")
    links = page.eval_on_selector_all(".search-results h2 a", "links => links.map(a => a.href)")
    return [article_path(link, server) for link in links]


def url_of(site: Path, title: str) -> str:
    """An article's address, from the site's list of articles."""
    listed = json.loads((site / "articles.json").read_text(encoding="utf-8"))["articles"]
    return next(article["url"] for article in listed if article["title"] == title)


@pytest.mark.parametrize(("query", "expected"), [
    ("VALPARAISO", "harbour"),  # case and accents
    ("zurich cafe", "cafe"),
    ("ירושלים", "hebrew"),  # right to left
    ("القَاهِرَة", "arabic"),  # vowel marks in the query
    ("東京", "japanese"),  # a pair of Han characters
    ("京", "japanese"),  # one character: the pairs it starts and the ends of runs
    ("タワー", "japanese"),
])
def test_search_from_disk_ignores_case_and_accents_and_finds_every_script(page, site, query, expected):
    assert offline_results(page, site, query)[:1] == [url_of(site, TITLES[expected])]


@pytest.mark.parametrize("query", ["harbour strike", "budget vote", "vaccine hospital", "Zürich", "ירושלים", "東京"])
def test_same_first_result_served_and_from_disk(page, site, server, query):
    online = online_results(page, server, query)
    offline = offline_results(page, site, query)
    assert offline and online
    assert offline[0] == online[0]


def test_text_rules_in_the_browser_are_the_builds(page, site):
    sample = ("Valparaíso ZÜRICH Straße ΟΔΟΣ ﬁnance ＡＢＣ ｶﾀｶﾅ が U.S.-led O'Brien "
              "שָׁלוֹם مَرْحَبًا أحمد हिन्दी 東京タワーは日本の iPhone15発売 한국어 𠮷野家")
    page.goto((site / "search/index.html").as_uri())
    assert page.evaluate("text => window.__offlineSearch.words(text)", sample) == offline_index.words(sample)
    # A query asks for the pairs of a Han or kana run, not the lone last character,
    # and for the words that begin with the stem of each other word.
    asked = page.evaluate("text => window.__offlineSearch.queryTerms(text)", "東京タワー harbour ")
    assert asked == [{"term": t, "prefix": False} for t in offline_index.terms("東京タワー")[:-1]] + [
        {"term": "harbour", "prefix": True}]
    # A stem shorter than PREFIX_FROM matches itself alone.
    asked = page.evaluate("text => window.__offlineSearch.queryTerms(text)", "re po por")
    assert asked == [{"term": "re", "prefix": False}, {"term": "po", "prefix": False}, {"term": "por", "prefix": True}]
    assert offline_index.PREFIX_FROM == 3


def test_a_word_of_two_letters_finds_itself_and_not_the_words_it_begins(page, site):
    """"po" begins portraits, porters, port and the others, and is none of
    them; "por" finds them, and "at" the articles that have it."""
    assert offline_search(page, site, "po")["total"] == 0
    assert sorted(offline_results(page, site, "por")) == sorted(
        url_of(site, title) for title in (TITLES["harbour"], "Portraits of porters", "A new gallery"))
    assert sorted(offline_results(page, site, "at")) == sorted(
        url_of(site, title) for title in (TITLES["harbour"], TITLES["budget"], TITLES["vaccine"], "Portraits of porters",
                                          "Storms along the coast"))


def test_the_page_reads_base64_as_python_writes_it(page, site):
    offline_search(page, site, "harbour")
    rng = random.Random(5)
    samples = [bytes(rng.choice([0, 255, rng.randrange(256)]) for _ in range(n)) for n in [*range(13), 1000]]
    read = page.evaluate("texts => texts.map((t) => Array.from(window.__offlineSearch.fromBase64(t)))",
                         [base64.b64encode(sample).decode("ascii") for sample in samples])
    assert read == [list(sample) for sample in samples]


def test_a_query_loads_its_own_chunks_not_the_whole_index(page, site):
    offline_search(page, site, "harbour strike ")
    loaded = page.evaluate("window.__offlineSearch.loaded")
    assert loaded[0] == "index.js"  # the list of shards and chunks, then chunks
    assert all(re.fullmatch(r"index\.js|(terms|recent|newest)/k[0-9a-f]*\.js|[0-9-]+/docs/[0-9]+\.js", path) for path in loaded), loaded
    # One chunk of terms per word at most, whatever the shards, and the records of the results only.
    assert len(list((site / offline_index.FOLDER).glob("*/docs"))) > 1
    assert len([path for path in loaded if path.startswith("terms/")]) <= 2
    assert [path for path in loaded if "/docs/" in path] == ["2023/docs/0.js"]


def test_the_engine_answers_as_the_contract_says(page, site):
    found = offline_search(page, site, "harbour strike")
    assert found["total"] == 2 and found["years"] == {"2023": 2} and found["months"] == {}
    first = found["results"][0]
    assert first["url"] == url_of(site, TITLES["harbour"])
    assert (first["title"], first["date"], first["dateText"]) == (TITLES["harbour"], "2023-05-01", "1 May 2023")
    assert (first["language"], first["direction"]) == ("en", "ltr")
    marked = [first["title"][a:b] for a, b in first["titleMarks"]]
    assert marked == ["Harbour", "strike"]
    assert {first["excerpt"][a:b].lower() for a, b in first["excerptMarks"]} == {"harbour", "strike"}


def test_a_word_finds_the_words_that_begin_with_its_stem(page, site):
    typing = offline_search(page, site, "vacc")
    assert [r["title"] for r in typing["results"]] == [TITLES["vaccine"]]
    assert [typing["results"][0]["title"][a:b] for a, b in typing["results"][0]["titleMarks"]] == ["vaccine"]
    assert offline_search(page, site, "vacc ")["total"] == 1  # as Pagefind does, typed or not
    assert offline_search(page, site, "vaccines trials")["total"] == 1  # "vaccin", "trial"
    assert offline_search(page, site, "vacca")["total"] == 0


def test_a_longer_term_counts_as_pagefind_counts_it(page, site):
    # Pagefind's word_length_bonus (pagefind_web/src/search.rs), at its default
    # term similarity of 1, for a term `extra` characters longer than the word,
    # against the word itself.
    def pagefind(extra: int) -> float:
        base = math.exp(-0.5 * (extra + 1) ** 2 / 2.0 ** 2)
        return math.exp(base) / math.e

    offline_search(page, site, "vacc")  # the page, opened from disk
    bonuses = page.evaluate("n => Array.from({length: n}, (_, e) => window.__offlineSearch.lengthBonus(e))", 9)
    assert bonuses == pytest.approx([pagefind(extra) / pagefind(0) for extra in range(9)])
    assert bonuses[0] == 1 and all(a > b for a, b in zip(bonuses, bonuses[1:], strict=False))
    # To the last bit as the build has them, for every length a term can have: the build lists a
    # common word's first documents with their scores as the page adds them up (family_bests).
    longest = offline_index.MAX_TERM
    assert page.evaluate("n => Array.from({length: n}, (_, e) => window.__offlineSearch.lengthBonus(e))", longest + 1) \
        == [offline_index.length_bonus(extra) for extra in range(longest + 1)]


def test_year_and_month_filters_and_their_counts(page, site):
    everything = offline_search(page, site, "council", count=100)
    assert everything["total"] == 13 and everything["years"] == {"2022": 12, "2023": 1}
    in_2022 = offline_search(page, site, "council", year="2022", count=100)
    assert in_2022["total"] == 12 and in_2022["years"] == everything["years"]
    assert in_2022["months"] == {f"{m:02d}": 1 for m in range(1, 13)}
    assert {r["date"][:4] for r in in_2022["results"]} == {"2022"}
    april = offline_search(page, site, "council", year="2022", month="04")
    assert april["total"] == 1 and [r["date"] for r in april["results"]] == ["2022-04-10"]
    assert april["months"] == in_2022["months"]  # the month filter leaves the counts of months alone
    assert offline_search(page, site, "council", year="1999")["results"] == []


def test_words_are_found_by_their_stem_and_the_passage_that_matched_is_shown(page, site):
    found = offline_search(page, site, "flooding lighthouse")
    assert [r["title"] for r in found["results"]] == ["Storms along the coast"]
    excerpt = found["results"][0]["excerpt"]
    # The passage of the match, not the opening of the article.
    assert "lighthouses were flooded" in excerpt and not excerpt.startswith("Rain")
    assert excerpt.startswith("… ") and len(excerpt.split()) <= 32
    assert [excerpt[a:b] for a, b in found["results"][0]["excerptMarks"]] == ["lighthouses", "flooded"]
    # The stemmer of the page is the build's.
    assert page.evaluate("w => window.__offlineSearch.stem(w)", "lighthouses") == offline_index.stem("lighthouses", "english")


def test_the_date_and_month_names_are_not_searched(page, site):
    assert offline_search(page, site, "may")["total"] == 0  # "1 May 2023" is on the page, not in the text
    assert offline_search(page, site, "2023 ")["total"] == 0


def test_orders_and_count(page, site):
    newest = offline_search(page, site, "council", order="desc", count=5)
    oldest = offline_search(page, site, "council", order="asc", count=100)
    assert len(newest["results"]) == 5 and newest["total"] == 13
    assert newest["results"][0]["date"] == "2023-09-05"
    dates = [r["date"] for r in oldest["results"]]
    assert dates == sorted(dates) and len(dates) == 13
    assert [r["date"] for r in newest["results"]] == sorted(dates, reverse=True)[:5]


@pytest.mark.parametrize("query", ["harb", "harbour strike", "port", "portr", "porters portal", "counc", "the", "c", "東", "タワー"])
def test_results_are_the_same_whatever_the_size_of_the_chunks_and_levels(page, site, site_of_small_chunks, query):
    chunks = list((site_of_small_chunks / offline_index.FOLDER).glob("terms/*.js"))
    assert len(chunks) > 20  # nearly a chunk for each term
    assert any(c.read_text(encoding="utf-8").split(",", 1)[1].startswith('"') for c in chunks)  # some packed
    expected = offline_search(page, site, query, count=100)
    found = offline_search(page, site_of_small_chunks, query, count=100)
    # The same articles, counts and passages; finer levels may order ties otherwise.
    assert {**found, "results": None} == {**expected, "results": None}
    assert sorted(found["results"], key=json.dumps) == sorted(expected["results"], key=json.dumps)
    if query == "port":  # a word whose terms run over several chunks
        assert "A new gallery" in [r["title"] for r in expected["results"]]


@pytest.mark.parametrize("query", ["harb", "harbour strike", "port", "porters portal", "council", "the", "the gallery",
                                   "the c", "c", "in", "in the", "東", "東京", "nothing here"])
def test_results_are_the_same_with_the_postings_of_terms_split(page, site, site_of_split_terms, query):
    expected = offline_search(page, site, query, count=100)
    found = offline_search(page, site_of_split_terms, query, count=100)
    assert {**found, "results": None} == {**expected, "results": None}
    assert sorted(found["results"], key=json.dumps) == sorted(expected["results"], key=json.dumps)


def _entry(site: Path, folder: str, term: str) -> object:
    """A term's entry in the chunks of terms of one set."""
    for chunk in (site / offline_index.FOLDER / folder).glob("k*.js"):
        members = json.loads(chunk.read_text(encoding="utf-8").split(",", 1)[1].removesuffix(");\n"))
        if term in members:
            return members[term]
    raise AssertionError(f"{term!r} is in no chunk of {folder}")


def test_a_word_in_most_articles_is_read_for_the_shards_of_the_other_words_only(page, site_of_split_terms):
    site = site_of_split_terms
    the = _entry(site, "terms", "the")  # the older shards': 2022 (two shards of months) and 2021
    assert isinstance(the, dict) and len(the["shards"]) == 6 and len(the["files"]) == 4
    whole, part_of = the["files"][0][0], dict(zip(the["shards"][::2], the["shards"][1::2], strict=True))
    shards = json.loads((site / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
    assert [b["name"] for b in shards] == ["2021", "2022-01", "2022-11", "2023"]  # oldest first, as numbered
    gallery = f"terms/s{the['files'][part_of[0]][0]}.js"  # 2021's part: "gallery" is in that shard only

    found = offline_search(page, site, "the gallery")
    assert [r["title"] for r in found["results"]] == ["A new gallery"]
    loaded = page.evaluate("window.__offlineSearch.loaded")
    split = [path for path in loaded if re.fullmatch(r"(terms|recent)/s[0-9a-f]+-[0-9]+\.js", path)]
    # "the" of 2021, not of every shard, and none of the newest shard's set, where "gallery" is not.
    assert gallery in split and f"terms/s{whole}.js" not in split
    assert not [path for path in split if path.startswith("recent/")]

    # Alone, in every shard: read for the shards of its first results, the others counted from its
    # list (see test_a_split_word_alone_is_read_for_the_shards_of_its_first_results).
    page.goto("about:blank")
    offline_search(page, site, "the")
    loaded = page.evaluate("window.__offlineSearch.loaded")
    read = {f"terms/s{number}.js" for number, _ in the["files"]} & set(loaded)
    assert read and f"terms/s{whole}.js" not in read, loaded  # parts, a few at a time (here all three)


@pytest.mark.parametrize("order", ["", "desc", "asc"])
@pytest.mark.parametrize("query", ["the", "c", "in", "at", "harb", "council", "port"])
def test_a_split_word_alone_is_read_for_the_shards_of_its_first_results(page, sites_of_small_shards, query, order):
    whole, split = sites_of_small_shards
    shards = json.loads((split / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
    assert len(shards) > 8
    for count in (1, 3, 10, 20, 30, 31, 100):  # up to FIRST, from the first documents listed
        expected = offline_search(page, whole, query, count=count, order=order)
        found = offline_search(page, split, query, count=count, order=order)
        assert found["results"] == expected["results"], count  # the same, in the same order
        assert found["months"] == expected["months"] == {}
        assert expected["approximate"] is False
        if query in ("the", "council", "port", "in", "at"):  # a family in each shard: its documents are listed
            assert found["approximate"] is False, count
        if found["approximate"]:  # estimated where several terms begin with the word in a shard not read
            assert abs(found["total"] - expected["total"]) <= len(shards)
            assert sum(found["years"].values()) == found["total"]
        else:  # one term in each shard not read: counted from the list
            assert (found["total"], found["years"]) == (expected["total"], expected["years"]), count
    if query == "the":
        the = _entry(split, "terms", "the")
        assert isinstance(the, dict) and len(the["shards"]) // 2 > 4
        page.goto("about:blank")
        offline_search(page, split, query, count=1, order=order)
        read = [path for path in page.evaluate("window.__offlineSearch.loaded") if re.fullmatch(r"\w+/s[0-9a-f]+-[0-9]+\.js", path)]
        # Of "the" and the terms that begin with it, a few files (none where the newest shard's set has
        # the first results), not a part for each shard; and the parts, not the whole of "the", but
        # oldest first, where its first parts here outweigh its whole (each part is a script of a few bytes).
        assert len(read) <= 4 and (order == "asc" or f"terms/s{the['files'][0][0]}.js" not in read)
        # By relevance, none: the first documents of "the" in every shard are listed with it; and
        # of the chunks of terms that begin with "the", only its own, as its first documents are whole.
        assert order or not read, read
        chunks = [path for path in page.evaluate("window.__offlineSearch.loaded") if re.fullmatch(r"terms/k[0-9a-f]*\.js", path)]
        assert order or (the["whole"] is True and len(chunks) == 1), chunks


def test_a_word_that_is_a_rare_term_and_begins_common_ones_is_listed_in_each_shard(page, tmp_path):
    # Three shards of two articles, each with "statement" and "states"; "stat" in one article only.
    corpus = {f"{n}.txt": txt(f"2023-0{n // 2 + 1}-1{n}", f"Report {n}.",
                              "The statement of the states" + (" and the stat." if n == 3 else "."))
              for n in range(6)}
    sites = []
    for split in (False, True):
        folder = tmp_path / str(split)
        with pytest.MonkeyPatch.context() as patch:
            if split:
                patch.setattr(offline_index, "SPLIT_BYTES", 20)
                patch.setattr(offline_index, "PART_BYTES", 1)
                patch.setattr(offline_index, "FAMILY_FROM", 2)
            build(validate(Config(source=write_corpus(folder / "corpus", corpus), out=folder / "site", search=True,
                                  quiet=True, search_shard_pages=2)))
        sites.append(folder / "site")
    whole, split_site = sites
    for count in (1, 3, 6):
        expected = offline_search(page, whole, "stat", count=count)
        found = offline_search(page, split_site, "stat", count=count)
        assert found["results"] == expected["results"] and found["total"] == expected["total"] == 6, count
    # The family's best of "stat" is known in each shard, the one where it is a term too: none is read.
    page.goto("about:blank")
    offline_search(page, split_site, "stat", count=3)
    read = [path for path in page.evaluate("window.__offlineSearch.loaded") if re.fullmatch(r"\w+/s[0-9a-f]+-[0-9]+\.js", path)]
    assert not read, read


def test_a_split_word_with_a_year_chosen_is_read_for_that_year(page, sites_of_small_shards):
    whole, split = sites_of_small_shards
    for year, month in (("2022", ""), ("2022", "03"), ("2023", "")):
        expected = offline_search(page, whole, "the", count=2, year=year, month=month)
        assert offline_search(page, split, "the", count=2, year=year, month=month) == expected
        assert expected["months"] and not expected["approximate"]


# Words of a random corpus by how common they are: in most articles, in some, in a few.
COMMON, SOME, FEW = ["tide", "wharf", "crane"], ["ferry", "dredge", "cargo", "pilot"], ["gull", "buoy", "anchor", "keel", "mast"]
# Terms that begin common words, not split: a query of "tide" finds "tidewater" too.
LONGER = ["tidewater", "wharfinger"]


@pytest.fixture(scope="module")
def sites_of_random_words(tmp_path_factory) -> tuple[Path, Path]:
    """120 random articles over two years in shards of about eight: as they
    are, and with the terms in most articles and some of those in a third
    split (in a part for each shard), each word's families listed."""
    draw = random.Random(11)
    corpus = {}
    for n in range(120):
        words = [w for w in COMMON if draw.random() < 0.85] + [w for w in SOME if draw.random() < 0.3]
        words += [w for w in FEW if draw.random() < 0.06] + [w for w in LONGER if draw.random() < 0.15]
        words += ["word"] * draw.randrange(1, 9)  # lengths apart, so that scores differ
        draw.shuffle(words)
        corpus[f"{n:03d}.txt"] = txt(f"{2022 + n // 60}-{1 + n % 12:02d}-{1 + n % 27:02d}", f"Report {n}.", " ".join(words) + ".")
    sites = []
    for split in (False, True):
        folder = tmp_path_factory.mktemp(f"random-words-{split}")
        with pytest.MonkeyPatch.context() as patch:
            if split:
                patch.setattr(offline_index, "SPLIT_BYTES", 130)  # "ferri", "cargo" and "pilot", not "dredg"
                patch.setattr(offline_index, "PART_BYTES", 1)
                patch.setattr(offline_index, "FAMILY_FROM", 1)
            build(validate(Config(source=write_corpus(folder / "corpus", corpus), out=folder / "site", search=True,
                                  quiet=True, search_shard_pages=8, served_search="pagefind")))  # its bundles' list names the shards
        sites.append(folder / "site")
    return sites[0], sites[1]


def _split_files_read(page) -> list[str]:
    return [path for path in page.evaluate("window.__offlineSearch.loaded") if re.fullmatch(r"\w+/s[0-9a-f]+-[0-9]+\.js", path)]


def _wholes(read: list[str]) -> list[str]:
    """Of the split terms' files read, their wholes (the parts are numbered from 1)."""
    return [path for path in read if path.endswith("-0.js")]


def _open_lazily(page, site: Path) -> None:
    """The search page of `site`, opened afresh (the page and the list, nothing else), where a
    query of several words is read lazily whatever the bytes of its split terms."""
    page.goto("about:blank")
    offline_search(page, site, "")
    page.evaluate("window.__offlineSearch.exactBytes = 0")


def _dated_corpus(text: Callable[[int], str]) -> dict[str, str]:
    """1,360 articles from 2010 on, 80 a year, seven a month: article n says text(n)."""
    return {f"{n:04d}.txt": txt(f"{2010 + n // 80}-{1 + n % 80 // 7:02d}-{1 + n % 7:02d}", "Report.", text(n))
            for n in range(1360)}


@pytest.mark.parametrize("order", ["", "desc", "asc"])
def test_several_words_with_split_ones_read_lazily_give_the_results_of_every_shard_read(page, sites_of_random_words, order):
    whole, split = sites_of_random_words
    assert len(json.loads((split / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]) > 10
    draw = random.Random(order)
    queries = ["tide wharf", "tide gull", "gull tide", "ferry crane", "tide wharf crane", "buoy anchor", "t gull",
               "tide ferry dredge", "wharf ta", "keel", "tide", "tide keel", "wharf buoy", "tide mast", "wharf anchor",
               "tidewater gull"]
    queries += [" ".join(draw.sample(COMMON + SOME + FEW, draw.randrange(2, 4))) for _ in range(12)]
    asked = [(query, count) for query in queries for count in (1, 3, 10, 25, 200)]
    expected = [offline_search(page, whole, query, count=count, order=order) for query, count in asked]
    approximate = 0
    for (query, count), answer in zip(asked, expected, strict=True):
        if count == 1:  # a new page: nothing read before (the counts after, as More results, read on)
            _open_lazily(page, split)
        found = offline_search(page, split, query, count=count, order=order)
        assert found["results"] == answer["results"], (query, count)
        assert found["months"] == answer["months"] == {} and not answer["approximate"]
        assert sum(found["years"].values()) == found["total"]
        if found["approximate"]:
            approximate += 1
            # Each word in a shard not read as if independent of the others: near, in shards of eight.
            assert abs(found["total"] - answer["total"]) <= 0.25 * answer["total"] + 2, (query, count)
        else:
            assert (found["total"], found["years"]) == (answer["total"], answer["years"]), (query, count)
    assert approximate >= 10  # the shards left unread were counted by estimate


def test_several_words_with_split_ones_read_the_parts_of_the_shards_of_their_first_results(page, sites_of_random_words):
    whole, split = sites_of_random_words
    offline_search(page, split, "tide gull", count=1)
    eager = _split_files_read(page)
    _open_lazily(page, split)
    found = offline_search(page, split, "tide gull", count=1)
    lazy = _split_files_read(page)
    assert found["results"] == offline_search(page, whole, "tide gull", count=1)["results"]
    # "tide", in most articles, in the shards of the first results only, not in every shard of "gull".
    assert lazy and set(lazy) < set(eager), (lazy, eager)

    # Two words in most articles: the first results may be in any shard, whose parts are more bytes
    # than the wholes; those are read at once, not after a few parts.
    _open_lazily(page, split)
    found = offline_search(page, split, "tide wharf", count=30)
    read = _split_files_read(page)
    # The wholes of both words, in the set of each year (the older's, and the newest's but its newest shard).
    assert sorted(read) == sorted(f"{unit}/s{_entry(split, unit, word)['files'][0][0]}.js"
                                  for unit in ("terms", "year") for word in ("tide", "wharf")), read
    assert found["results"] == offline_search(page, whole, "tide wharf", count=30)["results"]


def test_a_common_word_with_a_rarer_one_reads_the_shards_of_the_rarers_best_despite_the_newest_shards_results(page, tmp_path):
    # "and" in every article, split; "kite" in half of them, not split: long articles in the newest
    # shard (whose terms are never split), so that it has results of its own, low ones; its best in 2021.
    corpus = {f"{n:02d}.txt": txt(f"{2021 + n // 16}-{1 + n % 12:02d}-10", f"Report {n}.",
                                  "The wind and the rain" + (" and a kite" if n % 2 else "") + "." + " Filler words." * 20)
              for n in range(40)}
    corpus["best.txt"] = txt("2021-06-12", "Kites.", "A kite and a kite.")
    folder = tmp_path / "site"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(offline_index, "SPLIT_BYTES", 120)
        patch.setattr(offline_index, "PART_BYTES", 1)
        build(validate(Config(source=write_corpus(tmp_path / "corpus", corpus), out=folder, search=True, quiet=True,
                              search_shard_pages=4, served_search="pagefind")))  # its bundles' list names the shards
    assert isinstance(_entry(folder, "terms", "and"), dict) and isinstance(_entry(folder, "terms", "kite"), list)
    shards = json.loads((folder / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
    assert _entry(folder, "recent", "kite")[0] == len(shards) - 1  # the newest shard (numbered from the oldest) has it
    expected = offline_search(page, folder, "and kite", count=1)
    assert expected["results"][0]["title"] == "Kites"
    _open_lazily(page, folder)
    assert offline_search(page, folder, "and kite", count=1)["results"] == expected["results"]
    read = _split_files_read(page)
    # The parts of the first shards by bound (those of "Kites" and of long articles with a kite and
    # "and" at its top), a few at once, not the whole.
    assert 0 < len(read) <= 4 and not _wholes(read), read


def test_a_common_word_with_a_rarer_one_in_many_shards_reads_the_common_ones_whole(page, tmp_path):
    # "and" in every article, split; "kite" in every other of the first half, not split, each scoring
    # the same.  The first results may be in any shard of that half: more than MOST_PARTS parts of
    # "and", fewer bytes than its whole.
    corpus = _dated_corpus(lambda n: "The wind and the rain" + (" and a kite." if n % 2 and n < 680 else "."))
    folder = tmp_path / "site"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(offline_index, "SPLIT_BYTES", 1000)  # "and", not "kite"
        patch.setattr(offline_index, "PART_BYTES", 1)
        build(validate(Config(source=write_corpus(tmp_path / "corpus", corpus), out=folder, served_search="offline",
                              quiet=True, search_shard_pages=40)))
    assert isinstance(_entry(folder, "terms", "and"), dict) and isinstance(_entry(folder, "terms", "kite"), list)
    assert len(_entry(folder, "terms", "kite")) // 2 > 16  # shards
    expected = offline_search(page, folder, "and kite")
    _open_lazily(page, folder)
    assert offline_search(page, folder, "and kite")["results"] == expected["results"]
    assert _split_files_read(page) == ["terms/" + _entry(folder, "terms", "and")["files"][0][0].join(["s", ".js"])]


def _whole_and_split(tmp_path: Path, corpus: dict[str, str], family_from: int | None = None) -> tuple[Path, Path]:
    """`corpus` served by the offline index in shards of 40: as it is, and with
    the terms of more than 1,000 bytes split, in a part for each shard (and a
    family for each term in `family_from` articles of a shard)."""
    sites = []
    for split in (False, True):
        folder = tmp_path / f"site-{split}"
        with pytest.MonkeyPatch.context() as patch:
            if split:
                patch.setattr(offline_index, "SPLIT_BYTES", 1000)
                patch.setattr(offline_index, "PART_BYTES", 1)
                if family_from is not None:
                    patch.setattr(offline_index, "FAMILY_FROM", family_from)
            build(validate(Config(source=write_corpus(tmp_path / f"corpus-{split}", corpus), out=folder,
                                  served_search="offline", quiet=True, search_shard_pages=40)))
        sites.append(folder)
    return sites[0], sites[1]


@pytest.mark.parametrize("query", ["and", "and kite"])
def test_a_common_word_oldest_first_reads_the_parts_of_the_oldest_shards_not_the_whole(page, tmp_path, query):
    # "and" in every article, "kite" in every other, split, a part for each shard.  The newest
    # shards, whose terms are never split, are read first: they hold ten results and more, the
    # newest, and every older shard could hold older ones, but the oldest shard holds ten.
    corpus = {f"{n:04d}.txt": txt(f"{2010 + n // 80}-{1 + n % 80 // 7:02d}-{1 + n % 7:02d}" if n < 1300
                                  else f"2026-11-{1 + n % 28:02d}", "Report.",
                                  "The wind and the rain" + (" and a kite." if n % 2 else "."))
              for n in range(1360)}
    whole, split = _whole_and_split(tmp_path, corpus)  # "and" and "kite" split
    assert isinstance(_entry(split, "terms", "and"), dict) and len(_entry(split, "terms", "and")["files"]) > 17
    expected = offline_search(page, whole, query, count=10, order="asc")
    _open_lazily(page, split)
    found = offline_search(page, split, query, count=10, order="asc")
    assert found["results"] == expected["results"] and found["results"][0]["date"].startswith("2010")
    read = _split_files_read(page)
    assert 0 < len(read) <= 4 and not _wholes(read), read


def test_more_results_read_the_parts_they_lack_not_the_whole_of_a_word_read_in_parts(page, tmp_path):
    # "and" in every article, split, a part for each shard of 40; "kite" in one article of each
    # shard.  Newest first, ten results are in ten shards, twenty in twenty: more than sixteen
    # parts, of which the first ten were read for the first results.
    corpus = _dated_corpus(lambda n: "The wind and the rain" + (" and a kite." if n % 40 == 7 else "."))
    whole, split = _whole_and_split(tmp_path, corpus)  # "and" split, not "kite"
    assert isinstance(_entry(split, "terms", "and"), dict) and isinstance(_entry(split, "terms", "kite"), list)
    expected = [offline_search(page, whole, "and kite", count=count, order="desc")["results"] for count in (10, 20)]
    _open_lazily(page, split)
    assert offline_search(page, split, "and kite", count=10, order="desc")["results"] == expected[0]
    first = _split_files_read(page)
    assert 8 <= len(first) <= 16 and not _wholes(first), first
    assert offline_search(page, split, "and kite", count=20, order="desc")["results"] == expected[1]
    more = _split_files_read(page)[len(first):]
    assert 0 < len(more) <= 16 and not _wholes(more), more


def test_a_common_word_with_a_word_of_two_letters_reads_the_shards_of_its_best(page, tmp_path):
    # "of" in every article, "state" in three of four, split, a part for each shard of 40, a
    # family in each.  An article in each of twelve shards has "state" thirty times: the first
    # results.  By relevance, the shards likely to hold them are those whose best for a word's
    # family is among the highest, and no other can hold one of them, a document's score there
    # being bounded by the families' bests ("of" adds next to nothing).  Without the families'
    # bests, every shard was likely (a score bounded by the tops of "state" and "of", which no
    # document reaches together), and both words were read whole.
    def text(n: int) -> str:
        return ("The news of the town." + " The state" * (n % 4 != 0)
                + " state" * 30 * (n % 40 == 6 and 4 <= n // 40 < 16))
    whole, split = _whole_and_split(tmp_path, _dated_corpus(text), family_from=5)
    assert all(isinstance(_entry(split, "terms", term), dict) for term in ("state", "of"))
    expected = offline_search(page, whole, "state of", count=10)
    assert all("state state" in r["excerpt"] for r in expected["results"])
    _open_lazily(page, split)
    found = offline_search(page, split, "state of", count=10)
    assert found["results"] == expected["results"]
    read = _split_files_read(page)
    assert 0 < len(read) <= 32 and not _wholes(read), read


def test_a_word_of_two_letters_alone_is_its_own_family(page, tmp_path):
    # "us" in every article, split, a part for each shard of 40, a family in each; "usual", which
    # "us" does not match, many times in a few articles: the first documents listed with "us" are
    # its own, and a query reads none of its parts.
    corpus = _dated_corpus(lambda n: "They told us of the rain." + (" As usual, usual usual usual." if n % 97 == 5 else ""))
    whole, split = _whole_and_split(tmp_path, corpus, family_from=5)
    us = _entry(split, "terms", "us")
    assert isinstance(us, dict) and len(us["files"]) > 17 and min(us["family"]) > 0 and us["first"]
    expected = offline_search(page, whole, "us", count=10)
    assert "usual" not in json.dumps(expected["results"])
    _open_lazily(page, split)
    found = offline_search(page, split, "us", count=10)
    assert found["results"] == expected["results"] and found["total"] == expected["total"] == 1360
    assert _split_files_read(page) == []


@pytest.mark.parametrize("query", ["harb", "harbour strike", "council", "zürich council", "caf", "the", "c", "東"])
def test_results_are_the_same_with_the_newest_day_apart(page, site, site_of_newest_apart, query):
    assert [path.name for path in (site_of_newest_apart / offline_index.FOLDER / "newest").glob("*.js")] == ["k.js"]
    expected = offline_search(page, site, query, count=100)
    found = offline_search(page, site_of_newest_apart, query, count=100)
    assert {**found, "results": None} == {**expected, "results": None}
    assert sorted(found["results"], key=json.dumps) == sorted(expected["results"], key=json.dumps)
    loaded = page.evaluate("window.__offlineSearch.loaded")
    assert "newest/k.js" in loaded
    if query == "council":  # the newest day's article and older ones, from both sets
        assert {r["date"][:7] for r in found["results"]} >= {"2023-09", "2022-01"}


def test_served_over_http_the_search_page_loads_no_offline_index(page, server):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    assert online_results(page, server, "harbour")
    assert any("/pagefind/" in url for url in requested)
    assert not any("/search/offline/" in url for url in requested)
