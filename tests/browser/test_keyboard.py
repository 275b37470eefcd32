"""Keyboard only: Tab reaches the skip link, the search box, the paragraph links
and the pagination, and every element in focus shows that it is."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from .conftest import BuiltSite

# What the element in focus looks like: enough to tell whether focus can be seen.
FOCUSED = """async () => {
  const element = document.activeElement;
  // Styles that fade in on focus are read once they have arrived.
  await Promise.all(element.getAnimations().map(animation => animation.finished));
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  return {
    tag: element.tagName.toLowerCase(),
    id: element.id,
    classes: [...element.classList],
    rel: element.getAttribute("rel") || "",
    text: (element.textContent || "").trim().slice(0, 60),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
    boxShadow: style.boxShadow,
    opacity: parseFloat(style.opacity),
    inViewport: box.bottom > 0 && box.right > 0 && box.top < innerHeight && box.left < innerWidth,
  };
}"""
MAX_TABS = 60


def tab_through(page: Page) -> list[dict[str, Any]]:
    """Press Tab from the top of a page just opened until focus leaves it or comes round again."""
    seen: list[dict[str, Any]] = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["tag"] == "body" or (seen and focused == seen[0]):
            break
        seen.append(focused)
    return seen


def shows_focus(focused: dict[str, Any]) -> bool:
    outlined = focused["outlineStyle"] != "none" and focused["outlineWidth"] > 0
    return (outlined or focused["boxShadow"] != "none") and focused["opacity"] > 0 and focused["inViewport"]


def test_an_article_by_keyboard(page: Page, news: BuiltSite, news_url: str):
    page.goto(news_url + news.articles[1].url)
    stops = tab_through(page)
    assert stops, "Tab reached nothing"
    assert "skip-link" in stops[0]["classes"], f"the first stop is {stops[0]}"
    assert any(stop["id"] == "site-search" for stop in stops)
    paragraph_links = [stop for stop in stops if "cite" in stop["classes"]]
    assert len(paragraph_links) == page.locator(".article-body p").count()
    assert any(stop["rel"] == "prev" for stop in stops) and any(stop["rel"] == "next" for stop in stops)
    hidden = [stop for stop in stops if not shows_focus(stop)]
    assert hidden == [], "focus cannot be seen on these"


def test_the_skip_link_moves_focus_to_the_content(page: Page, news: BuiltSite, news_url: str):
    page.goto(news_url + news.articles[0].url)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUSED)
    # The next stop is inside the article, past the masthead.
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)"), focused


def test_the_index_by_keyboard(page: Page, news_url: str):
    page.goto(news_url)
    stops = tab_through(page)
    assert "skip-link" in stops[0]["classes"]
    assert any(stop["rel"] == "next" for stop in stops), "the next page of the index cannot be reached"
    hidden = [stop for stop in stops if not shows_focus(stop)]
    assert hidden == [], "focus cannot be seen on these"
