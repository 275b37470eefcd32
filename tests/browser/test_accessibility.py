"""axe-core in the browser: no WCAG 2.2 AA violation on the main kinds of page,
in the light and in the dark colour scheme."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from .conftest import HARBOUR, BuiltSite, Tab, axe_script

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def open_index(page: Page, news: BuiltSite, news_url: str) -> None:
    page.goto(news_url)


def open_article(page: Page, news: BuiltSite, news_url: str) -> None:
    page.goto(news_url + news.articles[0].url + "#p2")


def open_search_results(page: Page, news: BuiltSite, news_url: str) -> None:
    page.goto(news_url + f"search/?q={HARBOUR}")
    expect(page.locator(".search-results > li").first).to_be_visible()
    expect(page.locator(".search-results .excerpt").first).not_to_be_empty()


def open_not_found(page: Page, news: BuiltSite, news_url: str) -> None:
    page.goto(news_url + "404.html")


PAGES: dict[str, Callable[[Page, BuiltSite, str], None]] = {
    "index": open_index,
    "article": open_article,
    "search": open_search_results,
    "404": open_not_found,
}


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['failureSummary'].splitlines()[-1].strip()}")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def axe() -> str:
    script = axe_script()
    if script is None:
        pytest.skip("axe-core not found: run `npm install --prefix .cache/axe-core axe-core@4` (needs npm)")
    return str(script)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", PAGES)
def test_no_wcag_violations(open_tab: Callable[..., Tab], news: BuiltSite, news_url: str, axe: str, kind: str, scheme: str):
    page = open_tab(color_scheme=scheme).page
    PAGES[kind](page, news, news_url)
    page.add_script_tag(path=axe)
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    assert results["violations"] == [], f"{kind} ({scheme}):\n{describe(results['violations'])}"
