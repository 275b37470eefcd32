"""Search in a real browser: Pagefind's UI on the search page, the header form,
the year filter, the sort order, and the highlight on the article opened."""

from __future__ import annotations

import datetime
import json
import re
import string
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Locator, Page, expect

from broadsheet.render import long_date

from .conftest import HARBOUR, HARBOUR_STORIES, STORIES, SUB_PATH, BuiltSite, Tab

RESULT = ".pagefind-ui__result"
QUERY_BOX = ".pagefind-ui__search-input"


def search(page: Page, words: str) -> None:
    page.locator(QUERY_BOX).fill(words)


def the_word(word: str) -> re.Pattern[str]:
    """The word as Pagefind marks it: perhaps with the punctuation that follows."""
    return re.compile(rf"^{re.escape(word)}\W*$", re.IGNORECASE)


def result_dates(page: Page) -> Locator:
    return page.locator(f"{RESULT} [data-pagefind-ui-meta='date']")


def shown_date(iso: str) -> str:
    """A date as the article pages show it ("11 November 2023")."""
    return long_date(datetime.date.fromisoformat(iso))


def test_a_word_of_one_article_finds_it_with_title_date_and_excerpt(tab: Tab, news: BuiltSite, news_url: str):
    page = tab.page
    story = STORIES[2]
    article = news.article(story.name)
    page.goto(news_url + "search/")
    search(page, story.word)
    results = page.locator(RESULT)
    expect(results).to_have_count(1)
    expect(results.locator(".pagefind-ui__result-link")).to_have_text(article.title)
    expect(result_dates(page)).to_have_text(f"Date: {shown_date(article.date)}")
    excerpt = results.locator(".pagefind-ui__result-excerpt")
    expect(excerpt.locator("mark").first).to_have_text(the_word(story.word))

    results.locator(".pagefind-ui__result-link").click()
    page.wait_for_url(lambda url: story.name in url)
    address = urlsplit(page.url)
    assert address.path.removesuffix("index.html") == f"/{SUB_PATH}{article.url}"
    assert parse_qs(address.query)["highlight"] == [story.word]
    marks = page.locator("mark.pagefind-highlight")
    expect(marks.first).to_have_text(the_word(story.word))
    # The paragraph that holds the word is the one marked, at each place.
    expect(page.locator("#p2 mark.pagefind-highlight")).to_have_count(story.paragraphs[1].count(story.word))
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
    expect(page.locator(".pagefind-ui__result-link")).to_have_text(news.article(story.name).title)
    assert tab.errors == []


def test_the_plain_form_gives_way_to_the_search_ui_when_served(tab: Tab, news_url: str):
    page = tab.page
    page.goto(news_url + "search/")
    expect(page.locator(QUERY_BOX)).to_be_visible()
    expect(page.locator(".search-fallback")).to_be_hidden()
    expect(page.locator("#search-offline")).to_be_hidden()
    assert tab.errors == []


def test_the_year_filter_narrows_the_results(tab: Tab, news: BuiltSite, news_url: str):
    page = tab.page
    page.goto(news_url + "search/")
    search(page, HARBOUR)
    expect(page.locator(RESULT)).to_have_count(len(HARBOUR_STORIES))
    in_2023 = sorted(a.date for a in news.articles if a.id in HARBOUR_STORIES and a.date.startswith("2023"))
    assert 0 < len(in_2023) < len(HARBOUR_STORIES)

    page.get_by_role("checkbox", name="2023").check()
    expect(page.locator(RESULT)).to_have_count(len(in_2023))
    shown = sorted(text.removeprefix("Date:").strip() for text in result_dates(page).all_inner_texts())
    assert shown == sorted(map(shown_date, in_2023))
    assert tab.errors == []


def test_the_order_select_sorts_by_date(tab: Tab, news: BuiltSite, news_url: str):
    page = tab.page
    page.goto(news_url + f"search/?q={HARBOUR}")
    expect(page.locator(RESULT)).to_have_count(len(HARBOUR_STORIES))
    dates = sorted(a.date for a in news.articles if a.id in HARBOUR_STORIES)
    order = page.get_by_label("Order")

    for choice, expected in (("desc", list(reversed(dates))), ("asc", dates)):
        order.select_option(choice)
        page.wait_for_url(lambda url, choice=choice: parse_qs(urlsplit(url).query).get("order") == [choice])
        expect(result_dates(page)).to_have_text([f"Date: {shown_date(d)}" for d in expected])
        # The query and the order survive the change: the address holds both.
        expect(page.locator(QUERY_BOX)).to_have_value(HARBOUR)
        expect(order).to_have_value(choice)
    assert tab.errors == []


def test_the_test_site_is_searched_through_several_bundles(news: BuiltSite):
    # Every test above goes through Pagefind's merge of bundles, as on a large archive.
    listed = json.loads((news.folder / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
    assert len(listed) == 4 and sum(b["pages"] for b in listed) == len(STORIES)
    assert all((news.folder / "pagefind" / b["path"] / "pagefind-entry.json").is_file() for b in listed)


def test_no_search_finds_the_placeholder_that_leads_a_bundle(tab: Tab, news: BuiltSite, news_url: str):
    """Each bundle holds a placeholder record, first in date order; searched with
    Pagefind's own API over all bundles, no word and no prefix reaches it."""
    page = tab.page
    page.goto(news_url)
    listed = json.loads((news.folder / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
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
        [f"/{SUB_PATH}pagefind/", [b["path"] for b in listed[1:]], terms],
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
        expect(page.locator(".pagefind-ui__message")).to_contain_text("No results")
        expect(page.locator(RESULT)).to_have_count(0)
    search(page, f"{HARBOUR} \u0301")
    expect(page.locator(RESULT)).to_have_count(len(HARBOUR_STORIES))
    assert tab.errors == []
