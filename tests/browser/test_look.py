"""How pages look: screenshots at phone and desktop widths in both colour
schemes (kept in test-artifacts/screenshots/), and the measurable parts of good
typography: no sideways scrolling, readable sizes, a comfortable line length."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from .conftest import HARBOUR, BuiltSite, Tab, screenshot_path

WIDTHS = (375, 1280)
SCHEMES = ("light", "dark")

# Characters per line of body text: its width over the average width of its characters.
LINE_LENGTH = """() => {
  const p = document.querySelector(".article-body p");
  const style = getComputedStyle(p);
  const context = document.createElement("canvas").getContext("2d");
  context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const text = p.textContent;
  const average = context.measureText(text).width / text.length;
  return {chars: p.clientWidth / average, fontSize: parseFloat(style.fontSize),
          lineHeight: parseFloat(style.lineHeight) / parseFloat(style.fontSize)};
}"""


def no_sideways_scroll(tab: Tab) -> bool:
    return tab.page.evaluate("document.documentElement.scrollWidth <= innerWidth")


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_index_screenshot(open_tab: Callable[..., Tab], news: BuiltSite, news_url: str, width: int, scheme: str):
    tab = open_tab(width=width, color_scheme=scheme)
    tab.page.goto(news_url)
    tab.page.screenshot(path=screenshot_path(f"index-{width}-{scheme}"), full_page=True)
    assert no_sideways_scroll(tab)
    teaser_size = tab.page.eval_on_selector(".teaser .excerpt", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert teaser_size >= 16


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_article_screenshot(open_tab: Callable[..., Tab], seed: BuiltSite, server: str, width: int, scheme: str):
    tab = open_tab(width=width, color_scheme=scheme)
    tab.page.goto(server + "seed/" + seed.articles[0].url)
    tab.page.screenshot(path=screenshot_path(f"article-{width}-{scheme}"), full_page=True)
    assert no_sideways_scroll(tab)
    measure = tab.page.evaluate(LINE_LENGTH)
    assert measure["fontSize"] >= 16
    assert 1.4 <= measure["lineHeight"] <= 1.8
    # Print and web typography agree on about 45 to 75 characters a line; a phone gets fewer.
    fewest = 30 if width < 600 else 45
    assert fewest <= measure["chars"] <= 80, measure


@pytest.mark.parametrize("scheme", SCHEMES)
def test_search_screenshot(open_tab: Callable[..., Tab], news_url: str, scheme: str):
    tab = open_tab(color_scheme=scheme)
    tab.page.goto(news_url + f"search/?q={HARBOUR}")
    expect(tab.page.locator(".search-results .excerpt").first).not_to_be_empty()
    tab.page.screenshot(path=screenshot_path(f"search-1280-{scheme}"), full_page=True)
    assert no_sideways_scroll(tab)


def test_readme_screenshot_of_the_seed_article(open_tab: Callable[..., Tab], seed: BuiltSite, server: str):
    """The picture in the README: docs/screenshot-article.png is a copy of this one."""
    tab = open_tab(width=1280, height=900)
    tab.page.goto(server + "seed/" + seed.articles[0].url)
    path = screenshot_path("readme-article")
    tab.page.screenshot(path=path)
    assert path.stat().st_size > 0 and tab.errors == []
