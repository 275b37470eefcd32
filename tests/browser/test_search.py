"""Search served over http, in a real browser: Pagefind through its JavaScript API
on the search page, the header form, the year filter, the order, what Pagefind
indexes, and the highlight on the article opened from a result."""

from __future__ import annotations

import datetime
import json
import re
import string
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Locator, Page, expect

from broadsheet.build import build
from broadsheet.config import Config, validate
from broadsheet.render import long_date

from ..conftest import txt, write_corpus
from .conftest import HARBOUR, HARBOUR_STORIES, STORIES, SUB_PATH, BuiltSite, Tab, corpus_files, serving

RESULT = ".search-results > li"
QUERY_BOX = "#search-query"
STATUS = "p.search-status"


def search(page: Page, words: str) -> None:
    page.locator(QUERY_BOX).fill(words)


def the_word(word: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(word)}$", re.IGNORECASE)


def result_dates(page: Page) -> Locator:
    return page.locator(f"{RESULT} .byline time")


def shown_date(iso: str) -> str:
    """A date as the article pages show it ("11 November 2023")."""
    return long_date(datetime.date.fromisoformat(iso))


def all_bundles(news: BuiltSite) -> list[str]:
    listed = json.loads((news.folder / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
    return [b["path"] for b in listed[1:]]


# Pagefind's own API over every bundle: the addresses and contents a query finds.
PAGEFIND_FIND = """async ([bundle, others, terms]) => {
    const pagefind = await import(bundle + "pagefind.js");
    await pagefind.options({ baseUrl: "/" });
    for (const other of others) await pagefind.mergeIndex(bundle + other, { baseUrl: "/" });
    const found = {};
    for (const term of terms) {
        found[term] = [];
        for (const result of (await pagefind.search(term)).results) found[term].push(await result.data());
    }
    return found;
}"""


def test_a_word_of_one_article_finds_it_with_title_date_and_excerpt(tab: Tab, news: BuiltSite, news_url: str):
    page = tab.page
    story = STORIES[2]
    article = news.article(story.name)
    page.goto(news_url + "search/")
    search(page, story.word)
    results = page.locator(RESULT)
    expect(results).to_have_count(1)
    expect(page.locator(STATUS)).to_have_text(f"1 article matches \u201c{story.word}\u201d.")
    expect(results.locator("h2 a")).to_have_text(article.title)
    expect(result_dates(page)).to_have_text(shown_date(article.date))
    expect(result_dates(page)).to_have_attribute("datetime", article.date)
    excerpt = results.locator("p.excerpt")
    expect(excerpt.locator("mark").first).to_have_text(the_word(story.word))

    results.locator("h2 a").click()
    page.wait_for_url(lambda url: story.name in url)
    address = urlsplit(page.url)
    assert address.path == f"/{SUB_PATH}{article.url}"
    assert parse_qs(address.query)["highlight"] == [story.word]
    marks = page.locator("mark.search-highlight")
    expect(marks.first).to_have_text(the_word(story.word))
    # The paragraph that holds the word is the one marked, at each place, and in view.
    expect(page.locator("#p2 mark.search-highlight")).to_have_count(story.paragraphs[1].count(story.word))
    expect(marks.first).to_be_in_viewport()
    assert tab.errors == []


def test_words_of_the_title_are_marked_in_the_result_and_on_the_article(tab: Tab, news: BuiltSite, news_url: str):
    page = tab.page
    article = news.article("a03")  # "Residents of Carlow gathered…"
    page.goto(news_url + "search/?q=carlow")
    link = page.locator(f"{RESULT} h2 a")
    expect(link).to_have_count(1)
    expect(link.locator("mark")).to_have_text(["Carlow"])
    expect(link).to_have_text(article.title)
    link.click()
    page.wait_for_url(lambda url: "a03" in url)
    expect(page.locator("h1 mark.search-highlight")).to_have_text(["Carlow"])
    expect(page.locator(".article-body mark.search-highlight").first).to_have_text("Carlow")
    assert tab.errors == []


def test_the_header_form_of_an_article_leads_to_the_results(tab: Tab, news: BuiltSite, news_url: str):
    page = tab.page
    story = STORIES[9]
    page.goto(news_url + news.articles[0].url)
    page.locator("#site-search").fill(story.word)
    page.locator("#site-search").press("Enter")
    page.wait_for_url(lambda url: "/search/" in url)
    address = urlsplit(page.url)
    assert address.path.removesuffix("index.html") == f"/{SUB_PATH}search/"
    assert parse_qs(address.query)["q"] == [story.word]
    expect(page.locator(QUERY_BOX)).to_have_value(story.word)
    expect(page.locator(RESULT)).to_have_count(1)
    expect(page.locator(f"{RESULT} h2 a")).to_have_text(news.article(story.name).title)
    assert tab.errors == []


def test_served_the_page_uses_pagefinds_api_and_not_its_ui(tab: Tab, news_url: str):
    page = tab.page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(urlsplit(request.url).path))
    page.goto(news_url + f"search/?q={HARBOUR}")
    expect(page.locator(RESULT)).to_have_count(len(HARBOUR_STORIES))
    assert any(path.endswith("/pagefind/pagefind.js") for path in requested)
    assert not any("pagefind-ui" in path or "pagefind-highlight" in path for path in requested)
    assert not any("/search/offline/" in path for path in requested)
    assert tab.errors == []


def test_the_year_filter_narrows_the_results(tab: Tab, news: BuiltSite, news_url: str):
    page = tab.page
    page.goto(news_url + "search/")
    search(page, HARBOUR)
    expect(page.locator(RESULT)).to_have_count(len(HARBOUR_STORIES))
    in_2023 = sorted(a.date for a in news.articles if a.id in HARBOUR_STORIES and a.date.startswith("2023"))
    assert 0 < len(in_2023) < len(HARBOUR_STORIES)
    expect(page.locator("#search-year option")).to_have_text(["Any year", "2024 (2)", "2023 (2)"])

    page.locator("#search-year").select_option("2023")
    expect(page.locator(RESULT)).to_have_count(len(in_2023))
    assert sorted(result_dates(page).all_inner_texts()) == sorted(map(shown_date, in_2023))
    # The months of that year, in calendar order, with their counts.
    months = [datetime.date.fromisoformat(d).strftime("%B") for d in in_2023]
    expect(page.locator("#search-month option")).to_have_text(["Any month", *(f"{m} (1)" for m in months)])
    assert parse_qs(urlsplit(page.url).query) == {"q": [HARBOUR], "year": ["2023"]}
    assert tab.errors == []


def test_the_order_select_sorts_by_date_without_leaving_the_page(tab: Tab, news: BuiltSite, news_url: str):
    page = tab.page
    page.goto(news_url + f"search/?q={HARBOUR}")
    expect(page.locator(RESULT)).to_have_count(len(HARBOUR_STORIES))
    page.evaluate("window.stillHere = true")
    dates = sorted(a.date for a in news.articles if a.id in HARBOUR_STORIES)
    order = page.locator("#search-order")

    for choice, expected in (("desc", list(reversed(dates))), ("asc", dates)):
        order.select_option(choice)
        page.wait_for_url(lambda url, choice=choice: parse_qs(urlsplit(url).query).get("order") == [choice])
        expect(result_dates(page)).to_have_text([shown_date(d) for d in expected])
        expect(page.locator(QUERY_BOX)).to_have_value(HARBOUR)
        expect(order).to_have_value(choice)
    assert page.evaluate("window.stillHere") is True
    assert tab.errors == []


def test_only_the_title_and_the_text_are_indexed(tab: Tab, news: BuiltSite, news_url: str):
    """Dates, month names, reading time, tags and the paragraph links are not words
    of any article: no query finds them, though every article has them."""
    page = tab.page
    page.goto(news_url)
    months = [datetime.date(2023, m, 1).strftime("%B").lower() for m in range(1, 13)]
    corpus_text = " ".join(" ".join(s.paragraphs) for s in STORIES).lower()
    assert not any(re.search(rf"\b{m}\b", corpus_text) for m in months)
    unwritten = [*months, "2023", "2024", "min", "¶", "tags"]
    found = page.evaluate(PAGEFIND_FIND, [f"/{SUB_PATH}pagefind/", all_bundles(news), [*unwritten, "council"]])
    assert found["march"] == [] and found["2023"] == [] and found["min"] == []
    # A word that begins no indexed word falls back, in Pagefind, to the longest
    # indexed word that begins it ("april" to "a"): what matched is never the term.
    for term in unwritten:
        for data in found[term]:
            matched = {data["content"].split()[place].lower() for place in data["locations"]}
            assert not any(word.startswith(term) for word in matched), (term, matched)
    # Each page's indexed text: its title, then its paragraphs, and nothing else.
    pages = found["council"]
    assert len(pages) == len(STORIES)
    for data in pages:
        story = next(s for s in STORIES if f"/{s.name}/" in data["url"])
        article = news.article(story.name)
        assert data["content"].startswith(article.title)
        assert "¶" not in data["content"] and "min read" not in data["content"]
        assert shown_date(article.date) not in data["content"]
        assert data["meta"] == {"title": article.title, "image": ""}
        assert data["filters"] == {"year": [article.date[:4]], "month": [article.date[:7]],
                                   "date": [article.date], "date_text": [shown_date(article.date)]}
    assert tab.errors == []


def test_the_test_site_is_searched_through_several_bundles(news: BuiltSite):
    # Every test above goes through Pagefind's merge of bundles, as on a large archive.
    listed = json.loads((news.folder / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
    # Months packed four articles at most, but for the newest month, a bundle of its own.
    assert [(b["name"], b["pages"]) for b in listed] == [("2023-01", 4), ("2023-09", 2), ("2024-02", 4), ("2024-10", 1),
                                                         ("2024-12", 1)]
    assert all((news.folder / "pagefind" / b["path"] / "pagefind-entry.json").is_file() for b in listed)


def test_no_search_finds_the_placeholder_that_leads_a_bundle(tab: Tab, news: BuiltSite, news_url: str):
    """Each bundle holds a placeholder record, first in date order; searched with
    Pagefind's own API over all bundles, no word and no prefix reaches it."""
    page = tab.page
    page.goto(news_url)
    terms = [*string.ascii_lowercase, *string.digits, "\u0345", "a\u0345", "the", "council", HARBOUR]
    found = page.evaluate(
        """async ([bundle, others, terms]) => {
            const pagefind = await import(bundle + "pagefind.js");
            await pagefind.options({ baseUrl: "/" });
            for (const other of others) await pagefind.mergeIndex(bundle + other, { baseUrl: "/" });
            const urls = [];
            for (const term of terms) {
                for (const sort of [{}, { date: "asc" }, { date: "desc" }]) {
                    const search = await pagefind.search(term, { sort });
                    for (const result of search.results) urls.push((await result.data()).url);
                }
            }
            return urls;
        }""",
        [f"/{SUB_PATH}pagefind/", all_bundles(news), terms],
    )
    article_urls = {f"/{a.url}index.html" for a in news.articles}
    assert found and set(found) <= article_urls
    assert tab.errors == []


def test_a_lone_accent_in_the_query_does_not_match_every_page(tab: Tab, news_url: str):
    """Pagefind folds accents after it splits the query: "word ́" would leave an
    empty word, which matches every page, placeholders included."""
    page = tab.page
    page.goto(news_url + "search/")
    for words in ("zzzz \u0301", "\u0301 \u0301"):
        search(page, words)
        expect(page.locator(STATUS)).to_contain_text("No articles match")
        expect(page.locator(RESULT)).to_have_count(0)
    search(page, f"{HARBOUR} \u0301")
    expect(page.locator(RESULT)).to_have_count(len(HARBOUR_STORIES))
    assert tab.errors == []


def test_a_word_missing_from_a_bundle_does_not_find_its_short_words(tab: Tab, news: BuiltSite, news_url: str):
    """Pagefind searches a bundle that lacks every word beginning with a term for
    the longest word that begins it ("ashford" for "a", in three bundles of four):
    the page drops those results, and counts the years of those it keeps."""
    page = tab.page
    page.goto(news_url)
    raw = page.evaluate(PAGEFIND_FIND, [f"/{SUB_PATH}pagefind/", all_bundles(news), ["ashford"]])["ashford"]
    assert len(raw) > 1  # what Pagefind itself answers
    page.goto(news_url + "search/?q=ashford")
    expect(page.locator(RESULT)).to_have_count(1)
    expect(page.locator(STATUS)).to_have_text("1 article matches \u201cashford\u201d.")
    expect(page.locator(f"{RESULT} h2 a")).to_have_text(news.article("a01").title)
    expect(page.locator("#search-year option")).to_have_text(["Any year", "2023 (1)"])
    page.locator("#search-year").select_option("2023")
    expect(page.locator("#search-month option")).to_have_text(["Any month", "January (1)"])
    assert tab.errors == []


def test_a_pictures_file_name_is_not_searched(tab: Tab, tmp_path: Path):
    """Pagefind takes the first picture of a page as metadata, and searches the
    words of its address: the articles give an empty picture instead."""
    source = write_corpus(tmp_path / "src", {"quay.md": (
        "---\ntitle: Quay repainted\ndate: 2024-05-06\n---\n\nThe quay was painted blue.\n\n"
        "![A fishing boat beside the wall](zanzibar-lighthouse.jpg)\n"
    )})
    (tmp_path / "out").mkdir()
    assert build(validate(Config(source=source, out=tmp_path / "out", search=True, quiet=True))).problems == []
    with serving(tmp_path / "out", []) as site:
        tab.page.goto(site)
        found = tab.page.evaluate(PAGEFIND_FIND, ["/pagefind/", [], ["zanzibar", "jpg", "quay"]])
    assert (len(found["zanzibar"]), len(found["jpg"]), len(found["quay"])) == (0, 0, 1)
    assert tab.errors == []


def test_with_many_results_the_count_of_those_dropped_is_estimated(tab: Tab, tmp_path: Path):
    """Past 50 results the page checks those it shows and a sample of the rest:
    20 articles of the first bundle name Ashford, and the 120 of the two others
    that Pagefind finds by "a" are not counted."""
    files = {}
    for n in range(180):
        day = f"2022-{1 + n // 15:02d}-{1 + n % 15:02d}"
        place = "the Ashford council" if n < 20 else "a council"
        files[f"s{n:03d}.txt"] = txt(day, f"Meeting {n} of {place}.", "A vote on the roads was put off.")
    source = write_corpus(tmp_path / "src", files)
    (tmp_path / "out").mkdir()
    config = Config(source=source, out=tmp_path / "out", search=True, quiet=True, search_shard_pages=60)
    assert build(validate(config)).problems == []
    with serving(tmp_path / "out", []) as site:
        page = tab.page
        page.goto(site)
        raw = page.evaluate(PAGEFIND_FIND, ["/pagefind/", all_bundles(BuiltSite(tmp_path / "out", ())), ["ashford"]])
        assert len(raw["ashford"]) > 50
        page.goto(site + "search/?q=ashford")
        expect(page.locator(RESULT)).to_have_count(10)
        expect(page.locator(f"{RESULT} h2 a").first).to_contain_text("Ashford")
        status = page.locator(STATUS).inner_text()
        shown = int(re.search(r"\d+", status)[0])
        assert 20 <= shown <= 40, status
        assert tab.errors == []


def test_a_site_served_by_its_offline_index_searches_without_pagefind(tab: Tab, news: BuiltSite, tmp_path: Path):
    """`served-search = "offline"`: no Pagefind bundle is built, and the page
    served over http asks the offline index, with filters, and links to the
    articles' folder addresses."""
    source = write_corpus(tmp_path / "src", corpus_files())
    out = tmp_path / "www" / SUB_PATH.rstrip("/")
    out.parent.mkdir()
    config = Config(source=source, out=out, search=True, quiet=True, served_search="offline",
                    search_shard_pages=4, base_url="https://example.org/" + SUB_PATH)
    assert build(validate(config)).problems == []
    assert not (out / "pagefind").exists()
    assert (out / "search/offline/index.js").is_file()
    page = tab.page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    with serving(tmp_path / "www", []) as site:
        page.goto(site + SUB_PATH + f"search/?q={HARBOUR}")
        expect(page.locator(RESULT)).to_have_count(len(HARBOUR_STORIES))
        expect(page.locator("#search-year option")).to_have_text(["Any year", "2024 (2)", "2023 (2)"])
        index_files = [urlsplit(url) for url in requested if f"/{SUB_PATH}search/offline/" in url]
        assert {u.path.rsplit("/", 1)[-1] for u in index_files} >= {"index.js", "k.js"}
        assert not any("/pagefind/" in url for url in requested)
        # Each file of the index at an address with its version: the list's the time, a chunk's from the list.
        assert all(re.fullmatch(r"v=[0-9a-f]{12}|v=[0-9]{13}", u.query) for u in index_files), index_files
        wanted = {f"/{SUB_PATH}{a.url}" for a in news.articles if a.id in HARBOUR_STORIES}
        links = page.locator(f"{RESULT} h2 a").evaluate_all("links => links.map(a => new URL(a.href).pathname)")
        assert set(links) == wanted
        page.locator(f"{RESULT} h2 a").first.click()
        page.wait_for_url("**/?highlight=*")
        expect(page.locator(".article-body mark.search-highlight").first).to_have_text(HARBOUR)
    assert tab.errors == []
