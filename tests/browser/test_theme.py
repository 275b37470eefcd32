"""The theme in a browser: every kind of page loads with its icon and nothing
fails; the 404 page works at any depth, under a sub-path, at a host's root and
from disk; a redirect page keeps the paragraph a link points to."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from broadsheet.build import build
from broadsheet.config import Config, validate

from ..conftest import txt, write_corpus
from .conftest import STORIES, BuiltSite, Tab, serving
from .test_offline import missing_targets

MOVES = "moves/"  # a second site of the server, with a redirect page and a gone page
OLD_ADDRESS = "old/story/"
DEEP = "a/b/c/d/"  # a missing address, four folders down
ICONS = ("assets/favicon.svg", "assets/favicon-32.png", "assets/apple-touch-icon.png")
ICON_WAIT_MS = 10_000  # the longest wait for the browser to ask for the page's icon
POLL_MS = 50


def _story(word: str) -> tuple[str, ...]:
    return (f"The {word} opened.", f"The {word} was discussed at length.", f"The {word} closed at noon.")


@dataclass(frozen=True)
class MovesSite:
    folder: Path
    kept: str  # the address of the article the old address now leads to
    removed: str  # the address of a removed article


@pytest.fixture(scope="module")
def moves(www: Path, tmp_path_factory: pytest.TempPathFactory) -> MovesSite:
    """Built twice: one article is then removed, and an old address leads to the other."""
    source = write_corpus(
        tmp_path_factory.mktemp("moves"),
        {"kept.txt": txt("2023-02-01", *_story("ferry")), "removed.txt": txt("2023-03-01", *_story("pier"))},
    )
    out = www / MOVES.rstrip("/")
    config = validate(Config(source=source, out=out, base_url="https://example.org/" + MOVES, site_title="The Moving Gazette"))
    build(config)
    urls = {a["id"]: a["url"] for a in json.loads((out / "articles.json").read_text(encoding="utf-8"))["articles"]}
    (source / "removed.txt").unlink()
    (source / "redirects").write_text(f"{OLD_ADDRESS} {urls['kept']}\n", encoding="utf-8")
    build(config)
    assert (out / OLD_ADDRESS / "index.html").is_file() and (out / urls["removed"] / "index.html").is_file()
    return MovesSite(out, urls["kept"], urls["removed"])


@pytest.fixture(scope="module")
def root_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A site built without a base URL, served at the root of a host of its own."""
    source = write_corpus(tmp_path_factory.mktemp("root-corpus"), {"only.txt": txt("2023-04-01", *_story("tram"))})
    out = tmp_path_factory.mktemp("root-www")
    build(validate(Config(source=source, out=out, site_title="The Root Gazette")))
    with serving(out, []) as address:
        yield address


def failures(tab: Tab, served: list[tuple[str, int]], since: int, *, missing: str | None = None) -> list[str]:
    """Console errors and requests that failed since `served[since]`, once the
    browser has asked for the page's icon; `missing`: the address answered with
    404 on purpose (its page is the 404 page)."""
    for _ in range(ICON_WAIT_MS // POLL_MS):
        if any(path.endswith(ICONS) for path, _ in served[since:]):
            break
        tab.page.wait_for_timeout(POLL_MS)
    else:
        return ["the browser asked for no icon of the page"]
    missing_path = urlsplit(missing).path if missing else None
    failed = [f"{status} {path}" for path, status in served[since:] if status >= 400 and path != missing_path]
    errors = [e for e in tab.errors if missing is None or not e.endswith(f"({missing})")]
    return failed + errors


def icons_answer(page: Page) -> list[str]:
    """The icons the page names, each with its HTTP status and type."""
    hrefs = page.eval_on_selector_all("link[rel~=icon], link[rel=apple-touch-icon]", "links => links.map(l => l.href)")
    answers = []
    for href in hrefs:
        response = page.request.get(href)
        answers.append(f"{response.status} {response.headers.get('content-type')} {href.rsplit('/', 1)[1]}")
    return answers


EXPECTED_ICONS = [
    "200 image/svg+xml favicon.svg",
    "200 image/png favicon-32.png",
    "200 image/png apple-touch-icon.png",
]


@pytest.mark.parametrize("kind", ["home", "article", "not found", "redirect", "gone"])
def test_every_kind_of_page_loads_its_icon_and_nothing_fails(
    kind: str, tab: Tab, news: BuiltSite, news_url: str, server: str, moves: MovesSite, served: list[tuple[str, int]],
):
    moves_url = server + MOVES
    url = {
        "home": news_url,
        "article": news_url + news.articles[0].url,
        "not found": news_url + DEEP,
        "redirect": moves_url + OLD_ADDRESS,
        "gone": moves_url + moves.removed,
    }[kind]
    since = len(served)
    response = tab.page.goto(url)
    assert response is not None and response.status == (404 if kind == "not found" else 200)
    if kind == "redirect":
        tab.page.wait_for_url(moves_url + moves.kept + "index.html")
    assert failures(tab, served, since, missing=url if kind == "not found" else None) == []
    assert icons_answer(tab.page) == EXPECTED_ICONS


def check_not_found_page(page: Page, url: str, root: str) -> None:
    """The 404 page served at `url` of a site whose root is `root`: styled, every
    link answers inside the site, in-page links stay, the search form searches."""
    response = page.goto(url)
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    # The masthead's double rule comes from the stylesheet.
    assert page.evaluate("getComputedStyle(document.querySelector('.masthead')).borderBottomStyle") == "double"
    links = page.eval_on_selector_all("a[href], link[href]", "links => links.map(a => a.href)")
    assert len(links) > 5
    for link in links:
        if urlsplit(link).fragment:
            assert link.split("#")[0] == url, f"an in-page link leaves the page: {link}"
            assert page.locator(f"[id='{urlsplit(link).fragment}']").count() == 1, link
            continue
        assert link.startswith(root), link
        assert page.request.get(link).status == 200, link

    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    # The address changes in the same document, which Playwright learns of a moment later.
    page.wait_for_url(url + "#main")
    expect(page.locator("main")).to_be_focused()

    page.fill("#notfound-search", STORIES[0].word)
    page.locator("#notfound-search").press("Enter")
    page.wait_for_url(f"{root}search/index.html?q={STORIES[0].word}")
    expect(page.locator("h1")).to_have_text("Search")


@pytest.mark.parametrize("depth", ["no-such-page", "2099/01/", DEEP])
def test_the_not_found_page_works_at_any_depth_under_a_sub_path(page: Page, news_url: str, depth: str):
    check_not_found_page(page, news_url + depth, news_url)


def test_the_not_found_page_works_at_the_root_of_a_host_without_a_base_url(tab: Tab, root_site: str):
    check_not_found_page(tab.page, root_site + DEEP, root_site)
    assert tab.errors == [f"Failed to load resource: the server responded with a status of 404 (Not Found) ({root_site + DEEP})"]


def test_the_not_found_page_works_from_disk(page: Page, news: BuiltSite):
    url = (news.folder / "404.html").as_uri()
    page.goto(url)
    assert page.evaluate("getComputedStyle(document.querySelector('.masthead')).borderBottomStyle") == "double"
    assert missing_targets(page) == []
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    # The address changes in the same document, which Playwright learns of a moment later.
    page.wait_for_url(url + "#main")
    page.locator(".article-list a").first.click()
    page.wait_for_url((news.folder / news.articles[0].url / "index.html").as_uri())


def test_a_redirect_keeps_the_paragraph_over_http(page: Page, server: str, moves: MovesSite):
    page.goto(server + MOVES + OLD_ADDRESS + "#p3")
    page.wait_for_url(server + MOVES + moves.kept + "index.html#p3")
    assert page.evaluate("document.querySelector(':target').id") == "p3"


def test_a_redirect_keeps_the_paragraph_from_disk(page: Page, moves: MovesSite):
    page.goto((moves.folder / OLD_ADDRESS / "index.html").as_uri() + "#p3")
    page.wait_for_url((moves.folder / moves.kept / "index.html").as_uri() + "#p3")
    assert page.evaluate("document.querySelector(':target').id") == "p3"


def test_a_redirect_works_without_scripts(browser: Browser, server: str, moves: MovesSite):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server + MOVES + OLD_ADDRESS + "#p3")
        # The meta refresh leads on, though without the paragraph.
        page.wait_for_url(server + MOVES + moves.kept + "index.html", timeout=10_000)
        expect(page.locator("#p3")).to_have_count(1)
    finally:
        context.close()
