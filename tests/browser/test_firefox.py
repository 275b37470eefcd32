"""The site opened from disk (file://) in Firefox ESR: reading link by link, the
archives, paragraph links and the offline search, with no script error.

Firefox has rules of its own for pages opened from disk: each file is an origin
of its own, and may not fetch its neighbours (`security.fileuri.strict_origin_policy`).
What works from disk in Chromium must work here too.  One Firefox serves the module;
it is driven over Marionette (tests/browser/firefox.py) and skipped, with the
reason, when Debian's firefox-esr is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from . import firefox as ff
from .conftest import HARBOUR, HARBOUR_STORIES, STORIES, BuiltSite

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(ff.missing_reason() is not None, reason=ff.missing_reason() or ""),
]

# Each result of the search page (the selectors the search page keeps for tests).
RESULT_LINKS = "ol.search-results > li > article.teaser > h2 > a"


@pytest.fixture(scope="module")
def firefox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ff.Firefox]:
    folder = tmp_path_factory.mktemp("firefox")
    with ff.running(folder / "profile", folder / "firefox.log") as browser:
        yield browser


@pytest.fixture
def reader(firefox: ff.Firefox) -> Iterator[ff.Firefox]:
    """The module's Firefox on a blank page of 1280 by 900, its error output counted from here."""
    firefox.open("about:blank")
    firefox.client.set_window_rect(width=1280, height=900)
    firefox.since = firefox.mark()
    yield firefox


def page_file(site: BuiltSite, url: str) -> str:
    """The file:// address of a page of `site`, from its folder-form URL ("2023/01/12/a01/")."""
    return (site.folder / url / "index.html").as_uri()


def missing_targets(browser: ff.Firefox) -> list[str]:
    """Links of the page that lead to no file on disk, or to no element of a page."""
    links = browser.script("return Array.from(document.querySelectorAll('a[href]'), a => a.href)")
    assert links, f"no links on {browser.url()}"
    here = urlsplit(browser.url())
    missing = []
    for link in links:
        target = urlsplit(link)
        if target.scheme != "file":
            continue  # the canonical address and the offline notice name hosts on purpose
        path = Path(unquote(target.path))
        if path.is_dir():
            missing.append(f"{link} (a folder: from disk a link must name the file)")
        elif not path.is_file():
            missing.append(link)
        elif target.fragment and target.path == here.path:
            if not browser.script("return document.getElementById(arguments[0]) !== null", target.fragment):
                missing.append(f"{link} (no such anchor)")
    return missing


def heading(browser: ff.Firefox) -> str:
    """The page's h1 as written (its shown text may be in capitals by style)."""
    return str(browser.script("return document.querySelector('h1').textContent")).strip()


def test_reading_from_disk_link_by_link(reader: ff.Firefox, news: BuiltSite):
    oldest, second = news.articles[-1], news.articles[-2]
    reader.open((news.folder / "index.html").as_uri())
    assert reader.script("return document.querySelector('.article-list h2 a').textContent").strip() == (
        news.articles[0].title
    )
    assert missing_targets(reader) == []

    reader.click_to(".site-nav a[href$='archive/index.html']", "/archive/index.html")
    assert heading(reader) == "Archive"
    assert missing_targets(reader) == []

    year = oldest.date[:4]
    reader.click_to(f"#y{year} a", f"/archive/{year}/index.html")
    assert heading(reader) == year
    assert missing_targets(reader) == []

    month = oldest.date[5:7]
    reader.click_to(f".months a[href$='/{month}/index.html']", f"/archive/{year}/{month}/index.html")
    assert missing_targets(reader) == []

    reader.click_to(f".article-list a[href$='/{oldest.url}index.html']", f"/{oldest.url}index.html")
    assert heading(reader) == oldest.title
    assert missing_targets(reader) == []

    # The oldest article has only a newer one; the next has both.
    assert reader.find_all(".article-nav a.older") == []
    reader.click_to(".article-nav a.newer", f"/{second.url}index.html")
    assert heading(reader) == second.title
    assert missing_targets(reader) == []
    reader.click_to(".article-nav a.older", f"/{oldest.url}index.html")
    assert heading(reader) == oldest.title

    # Back through the way taken, as the reader's Back button goes.
    reader.client.go_back()
    reader.wait(lambda: reader.url().endswith(f"/{second.url}index.html"), message="back to the newer article")

    assert reader.errors_since(reader.since) == []


def test_the_archives_list_every_article_once(reader: ff.Firefox, news: BuiltSite):
    reader.open((news.folder / "archive" / "index.html").as_uri())
    years = reader.script("return Array.from(document.querySelectorAll('.archive-year h2 a'), a => a.href)")
    assert sorted(urlsplit(y).path.split("/")[-2] for y in years) == sorted({a.date[:4] for a in news.articles})

    listed: list[str] = []
    for year in years:
        reader.open(year)
        assert missing_targets(reader) == []
        months = reader.script("return Array.from(document.querySelectorAll('.listing .months a'), a => a.href)")
        assert months, f"no months on {year}"
        for month in months:
            reader.open(month)
            assert missing_targets(reader) == []
            listed += reader.script("return Array.from(document.querySelectorAll('.article-list h2 a'), a => a.href)")

    assert sorted(listed) == sorted(page_file(news, a.url) for a in news.articles)
    assert reader.errors_since(reader.since) == []


def test_a_paragraph_link_goes_to_its_anchor(reader: ff.Firefox, news: BuiltSite):
    article = news.article(STORIES[2].name)
    address = page_file(news, article.url)
    reader.open(address)
    reader.find("#p2 .cite").click()  # the pointer moves onto the paragraph, which shows its ¶
    reader.wait(lambda: urlsplit(reader.url()).fragment == "p2", message="the address of paragraph 2")
    assert reader.url() == address + "#p2"
    assert reader.script("return document.querySelector(':target').id") == "p2"

    # A citation opened from elsewhere, on a small screen, lands on its paragraph
    # below the fold, scrolled into view.
    reader.client.set_window_rect(width=400, height=400)
    reader.open("about:blank")
    reader.open(address + "#p3")
    assert reader.script("return document.querySelector(':target').id") == "p3"
    scrolled, top = reader.script(
        "return [window.scrollY, document.getElementById('p3').getBoundingClientRect().top]"
    )
    assert scrolled > 0
    assert 0 <= top < reader.script("return window.innerHeight") / 2
    assert reader.errors_since(reader.since) == []


def result_links(browser: ff.Firefox) -> list[tuple[str, str]]:
    """The search page's results: (title, href)."""
    found = browser.script(
        "return Array.from(document.querySelectorAll(arguments[0]), a => [a.textContent.trim(), a.href])",
        RESULT_LINKS,
    )
    return [(str(title), str(href)) for title, href in found]


def test_offline_search_finds_and_opens_articles(reader: ff.Firefox, news: BuiltSite):
    reader.open((news.folder / "search" / "index.html").as_uri())
    box = reader.find("input#search-query")
    box.send_keys(HARBOUR)
    box.send_keys(ff.Keys.ENTER)
    expected = {news.article(name).title: page_file(news, news.article(name).url) for name in HARBOUR_STORIES}

    # Results of the word half typed may show first: wait for those of the whole word.
    def the_results() -> list[tuple[str, str]]:
        found = result_links(reader)
        return found if {title for title, _ in found} == set(expected) else []

    results = reader.wait(
        the_results, message=lambda: f"the {len(expected)} results for {HARBOUR!r}, not {result_links(reader)}"
    )
    assert len(results) == len(expected)
    for title, href in results:
        assert href.split("?")[0] == expected[title]
    assert missing_targets(reader) == []

    title, href = results[0]
    reader.click_to(RESULT_LINKS, href)
    assert reader.url().split("?")[0] == expected[title]
    assert heading(reader) == title
    assert reader.errors_since(reader.since) == []


def test_a_search_address_opened_from_disk_shows_its_results(reader: ff.Firefox, news: BuiltSite):
    story = STORIES[0]
    article = news.article(story.name)
    reader.open((news.folder / "search" / "index.html").as_uri() + f"?q={story.word}")
    results = reader.wait(lambda: result_links(reader), message=f"a result for {story.word!r}")
    assert [(title, href.split("?")[0]) for title, href in results] == [(article.title, page_file(news, article.url))]
    assert reader.script("return document.querySelector('input#search-query').value") == story.word
    assert reader.errors_since(reader.since) == []


def test_a_page_from_disk_may_not_fetch_its_neighbours(reader: ff.Firefox, news: BuiltSite):
    """The rule of readers' Firefox holds in the tests' Firefox, so that a page
    that fetches files of the site fails here as it fails for them."""
    reader.open((news.folder / "index.html").as_uri())
    assert (news.folder / "articles.json").is_file()
    outcome = reader.script("return fetch('articles.json').then(r => 'read ' + r.status, e => 'refused ' + e.name)")
    assert outcome == "refused TypeError"
