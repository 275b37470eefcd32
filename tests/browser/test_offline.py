"""The site opened from disk (file://): reading, paragraph links, going back,
pages of the index; every link on the way leads to a file, and nothing errs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from playwright.sync_api import Page, expect

from .conftest import HARBOUR, HARBOUR_STORIES, PER_PAGE, BuiltSite, Tab
from .test_search import shown_date


def missing_targets(page: Page) -> list[str]:
    """Links of the page that lead to no file on disk, or to no element of a page."""
    links = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    assert links, f"no links on {page.url}"
    here = urlsplit(page.url)
    missing = []
    for link in links:
        target = urlsplit(link)
        if target.scheme != "file":
            continue  # the offline notice names a local server address on purpose
        path = Path(unquote(target.path))
        if path.is_dir():
            # A browser shows a folder listing here, not the page: links from disk name the file.
            missing.append(f"{link} (a folder)")
        elif not path.is_file():
            missing.append(link)
        elif target.fragment and target.path == here.path:
            if not page.locator(f"[id='{target.fragment}']").count():
                missing.append(f"{link} (no such anchor)")
    return missing


def test_reading_from_disk_link_by_link(tab: Tab, news: BuiltSite):
    page = tab.page
    index = (news.folder / "index.html").as_uri()
    page.goto(index)
    assert missing_targets(page) == []

    newest = news.articles[0]
    page.locator(".article-list a").first.click()
    page.wait_for_url(f"**/{newest.url}index.html")
    expect(page.locator("h1")).to_have_text(newest.title)
    assert missing_targets(page) == []

    page.locator("#p2").hover()
    page.locator("#p2 .cite").click()
    assert urlsplit(page.url).fragment == "p2"
    assert page.evaluate("document.querySelector(':target').id") == "p2"

    page.go_back()
    assert urlsplit(page.url).fragment == ""
    expect(page.locator("h1")).to_have_text(newest.title)
    page.go_back()
    assert page.url == index

    # Pages are numbered from the oldest; the first page holds those that fill no page yet.
    numbered = len(news.articles) // PER_PAGE - 1
    assert numbered >= 1
    page.locator(".pagination a[rel=next]").click()
    page.wait_for_url(f"**/page/{numbered}/index.html")
    shown_first = len(news.articles) - numbered * PER_PAGE
    expect(page.locator(".article-list h2").first).to_have_text(news.articles[shown_first].title)
    assert missing_targets(page) == []
    page.go_back()
    assert page.url == index

    assert tab.errors == []


def test_the_search_page_from_disk_searches_the_offline_index(tab: Tab, news: BuiltSite):
    page = tab.page
    page.goto((news.folder / "index.html").as_uri())
    page.locator(".site-footer").get_by_role("link", name="Search").click()
    page.wait_for_url("**/search/index.html")
    page.fill("#search-query", HARBOUR)
    page.press("#search-query", "Enter")
    results = page.locator(".search-results h2 a")
    results.first.wait_for()
    assert results.count() == len(HARBOUR_STORIES)
    # Each result's date is written as the article pages write it.
    dates = {a.title: shown_date(a.date) for a in news.articles if a.id in HARBOUR_STORIES}
    teasers = page.locator(".search-results .teaser").all()
    assert len(teasers) == len(HARBOUR_STORIES)
    for teaser in teasers:
        title = teaser.locator("h2 a").inner_text()
        expect(teaser.locator("time")).to_have_text(dates[title])
    assert missing_targets(page) == []

    # A result opens its article's file, with the words marked.
    first = page.locator(".search-results h2 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url("**/index.html?highlight=*")
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(".article-body mark.search-highlight").first).to_have_text(HARBOUR)
    page.go_back()
    expect(page.locator("#search-query")).to_have_value(HARBOUR)
    expect(page.locator(".search-results h2 a")).to_have_count(len(HARBOUR_STORIES))
    assert tab.errors == []
