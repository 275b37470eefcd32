"""The weight of an article page: its HTML, CSS and JS, as the browser fetched
them over http, stay small until the reader uses search."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Request

from .conftest import PROJECT, BuiltSite, Tab

BUDGET = 30_000  # bytes, before the reader uses search
REPORT = PROJECT / "test-artifacts" / "weight.txt"


def test_an_article_page_weighs_less_than_30_kb(tab: Tab, seed: BuiltSite, server: str):
    fetched: list[tuple[str, int]] = []

    def count(request: Request) -> None:
        fetched.append((request.url, request.sizes()["responseBodySize"]))

    tab.page.on("requestfinished", count)
    tab.page.goto(server + "seed/" + seed.articles[0].url, wait_until="networkidle")
    total = sum(size for _, size in fetched)

    REPORT.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{size:>7} {urlsplit(url).path}" for url, size in fetched] + [f"{total:>7} in all"]
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n" + "\n".join(lines))

    kinds = {urlsplit(url).path.rsplit(".", 1)[-1] for url, _ in fetched}
    assert {"css", "js"} <= kinds, "the page's stylesheet and script were not counted"
    assert not [url for url, _ in fetched if "/pagefind/" in url], "search code loaded before any search"
    assert tab.errors == []
    assert 0 < total < BUDGET, "\n".join(lines)
