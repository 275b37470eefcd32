"""`serve` in a real browser: an open page reloads after an edit, and search
works from what `serve` answers (Pagefind's files with their content types)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from ..conftest import txt, write_corpus
from ..test_serve import Serving, poll
from .conftest import Tab

QUERY_BOX = "#search-query"
RESULT = ".search-results > li"


def test_an_open_page_reloads_after_an_edit_and_search_works_when_served(tab: Tab, tmp_path: Path):
    source = write_corpus(tmp_path / "src", {
        "quay.txt": txt("2024-05-06", "The quay was painted blue.", "Fishermen approved of the colour."),
        "mill.txt": txt("2024-05-07", "The mill turned again after a decade."),
    })
    serving = Serving(["--source", str(source), "--out", str(tmp_path / "out"),
                       "--base-url", "https://example.org/news/"], tmp_path)
    try:
        site = serving.wait_for(r"at (http://127\.0\.0\.1:\d+/news/)").group(1)
        serving.wait_for(r"^watching ")
        page = tab.page
        page.goto(site + "2024/05/06/quay/")
        expect(page.locator("main")).to_contain_text("painted blue")

        seen = len(serving.lines)

        def edit() -> None:
            (source / "quay.txt").write_text(txt("2024-05-06", "The quay was painted green.",
                                                 "Fishermen approved of the colour."), encoding="utf-8")

        edit()
        assert poll(lambda: any(line.startswith("built 2 articles") for line in serving.lines[seen:]),
                    timeout=60, nudge=edit), "".join(serving.lines)
        # The page was not navigated: the script that serve adds reloaded it.
        expect(page.locator("main")).to_contain_text("painted green", timeout=30_000)
        assert page.url == site + "2024/05/06/quay/"

        page.goto(site + "search/")
        page.locator(QUERY_BOX).fill("mill")
        expect(page.locator(RESULT)).to_have_count(1)
        expect(page.locator(RESULT)).to_contain_text(re.compile("mill", re.IGNORECASE))
        assert tab.errors == []
    finally:
        assert serving.stop() == 0, "".join(serving.lines)
