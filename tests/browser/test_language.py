"""The search page's words in the site's language, in a real browser, from
disk: the script takes them from the page (search.html writes them from the
site's catalog and CLDR) and chooses a count's plural form with the browser's
Intl.PluralRules."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from broadsheet.build import build
from broadsheet.config import Config, validate

from ..conftest import txt, write_corpus
from .conftest import axe_script
from .test_accessibility import WCAG_TAGS, describe

CORPUS = {
    "harbour.txt": txt("2023-11-11", "Harbour strike.", "Dockers at the harbour walked out."),
    "quay.txt": txt("2023-11-02", "Quay repairs.", "The harbour quay was repaired."),
    "fair.txt": txt("2024-03-20", "Spring fair.", "The fair opened."),
}


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("languages")
    source = write_corpus(root / "corpus", CORPUS)
    made = {}
    for code in ("fr", "ar"):
        out = root / code
        build(validate(Config(source=source, out=out, language=code, record=root / f"{code}.json")))
        made[code] = out
    return made


def open_search(page: Page, site: Path, query: str) -> None:
    page.goto((site / "search/index.html").as_uri() + query)


def test_a_french_search_page_speaks_french(page: Page, sites: dict[str, Path]):
    open_search(page, sites["fr"], "?q=harbour&year=2023&month=11")
    expect(page.locator("p.search-status")).to_have_text(
        "2 articles correspondent à «\u00a0harbour\u00a0» en novembre 2023.")
    expect(page.locator(".search-results time").first).to_have_text("11 novembre 2023")
    expect(page.locator("#search-year option").first).to_have_text("Toutes les années")
    expect(page.locator("#search-month option:checked")).to_have_text("novembre (2)")
    expect(page.locator(".search-chosen")).to_have_text("\u00a0: novembre 2023")
    page.locator("#search-query").fill("zzzz")
    expect(page.locator("p.search-status")).to_have_text("Aucun article ne correspond à «\u00a0zzzz\u00a0» en novembre 2023.")


def test_an_arabic_search_page_speaks_arabic_right_to_left(page: Page, sites: dict[str, Path]):
    open_search(page, sites["ar"], "?q=harbour")
    # Two: Arabic's dual ("مقالتان"), which the browser's plural rules choose.
    expect(page.locator("p.search-status")).to_have_text("مقالتان تطابقان «harbour».")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"


@pytest.mark.parametrize(("code", "side"), [("fr", "right"), ("ar", "left")])
def test_the_masthead_mirrors_itself_right_to_left(page: Page, sites: dict[str, Path], code: str, side: str):
    """The header's search box goes to the end of the masthead's line: the
    right in French, the left in Arabic (the stylesheet's logical margins)."""
    page.goto((sites[code] / "archive/index.html").as_uri())
    box = page.locator("#site-search").bounding_box()
    assert box is not None
    middle = box["x"] + box["width"] / 2
    assert (middle > 640) == (side == "right")


@pytest.mark.parametrize("path", ["archive/index.html", "2023/11/11/harbour/index.html", "search/index.html?q=harbour"])
def test_arabic_pages_have_no_wcag_violations(page: Page, sites: dict[str, Path], path: str):
    script = axe_script()
    if script is None:
        pytest.skip("axe-core not found: run `npm install --prefix .cache/axe-core axe-core@4` (needs npm)")
    file, _, query = path.partition("?")
    page.goto((sites["ar"] / file).as_uri() + (f"?{query}" if query else ""))
    if query:
        expect(page.locator(".search-results > li").first).to_be_visible()
    page.add_script_tag(path=str(script))
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", WCAG_TAGS)
    assert results["violations"] == [], describe(results["violations"])
