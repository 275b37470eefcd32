"""The search page in a real browser, served (Pagefind) and opened from disk (the
offline index): one page for both.  Typing, filters, order, more results, the
address that holds the search, Back, the phone layout, the highlight on the
article opened, the colours of the marks, keyboard and axe-core."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from .conftest import HARBOUR, HARBOUR_STORIES, STORIES, BuiltSite, Tab, axe_script
from .test_accessibility import WCAG_TAGS, describe
from .test_keyboard import FOCUSED, shows_focus
from .test_search import shown_date

RESULT = ".search-results > li"
STATUS = "p.search-status"
ENGINES = ["served", "disk"]


def search_page(engine: str, news: BuiltSite, news_url: str) -> str:
    """The search page's address, with neither query nor filters."""
    if engine == "served":
        return news_url + "search/"
    return (news.folder / "search/index.html").as_uri()


def state(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def wait_for_results(page: Page, count: int) -> None:
    expect(page.locator(RESULT)).to_have_count(count)
    expect(page.locator(STATUS)).to_have_text(re.compile(r"\d+ articles? match"))


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def test_the_page_has_the_structure_both_engines_fill(tab: Tab, news: BuiltSite, news_url: str, engine: str):
    page = tab.page
    page.goto(search_page(engine, news, news_url))
    expect(page.locator("form.search-box[role=search] > input#search-query[type=search][name=q]")).to_be_focused()
    status = page.locator(STATUS)
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(page.locator("#search-month")).to_be_hidden()
    page.locator("#search-query").press_sequentially(HARBOUR, delay=10)
    wait_for_results(page, len(HARBOUR_STORIES))
    expect(status).to_have_text(f"{len(HARBOUR_STORIES)} articles match \u201c{HARBOUR}\u201d.")
    teaser = page.locator(f"{RESULT} > article.teaser")
    expect(teaser).to_have_count(len(HARBOUR_STORIES))
    expect(teaser.locator("h2 > a")).to_have_count(len(HARBOUR_STORIES))
    dates = {a.title: a.date for a in news.articles if a.id in HARBOUR_STORIES}
    for one in teaser.all():
        iso = dates[one.locator("h2 a").inner_text()]
        expect(one.locator("p.byline > time")).to_have_text(shown_date(iso))
        expect(one.locator("p.byline > time")).to_have_attribute("datetime", iso)
        expect(one.locator("p.excerpt")).not_to_be_empty()
    expect(page.locator("button.search-more")).to_be_hidden()
    assert tab.errors == []


def test_results_follow_the_words_as_they_are_typed(tab: Tab, news: BuiltSite, news_url: str, engine: str):
    page = tab.page
    story = STORIES[4]
    page.goto(search_page(engine, news, news_url))
    length = page.evaluate("history.length")
    page.locator("#search-query").press_sequentially(story.word[:5], delay=30)
    wait_for_results(page, 1)
    expect(page.locator(f"{RESULT} h2 a")).to_have_text(news.article(story.name).title)
    expect(page.locator(f"{RESULT} mark").first).to_have_text(re.compile(f"^{story.word}$", re.IGNORECASE))
    # Typing replaces the page's entry in the history: the address holds the words.
    assert state(page) == {"q": [story.word[:5]]}
    assert page.evaluate("history.length") == length
    assert tab.errors == []


def test_year_then_month_in_calendar_order_and_the_order_keeps_them(tab: Tab, news: BuiltSite, news_url: str, engine: str):
    page = tab.page
    page.goto(search_page(engine, news, news_url) + "?q=council")
    wait_for_results(page, 10)
    expect(page.locator("#search-year option")).to_have_text(["Any year", "2024 (6)", "2023 (6)"])
    page.evaluate("window.stillHere = true")

    page.locator("#search-year").select_option("2024")
    wait_for_results(page, 6)
    expect(page.locator("#search-month")).to_be_visible()
    months_2024 = ["February", "April", "June", "August", "October", "December"]
    expect(page.locator("#search-month option")).to_have_text(["Any month", *(f"{m} (1)" for m in months_2024)])
    page.locator("#search-month").select_option("06")
    wait_for_results(page, 1)
    expect(page.locator(STATUS)).to_have_text("1 article matches \u201ccouncil\u201d in June 2024.")
    assert state(page) == {"q": ["council"], "year": ["2024"], "month": ["06"]}

    page.locator("#search-month").select_option("")
    page.locator("#search-order").select_option("asc")
    wait_for_results(page, 6)
    times = page.locator(f"{RESULT} time")
    expect(times.first).to_have_attribute("datetime", "2024-02-14")
    dates = [times.nth(i).get_attribute("datetime") for i in range(6)]
    assert dates == sorted(dates) and all(d and d.startswith("2024") for d in dates)
    assert state(page) == {"q": ["council"], "year": ["2024"], "order": ["asc"]}
    assert page.evaluate("window.stillHere") is True
    assert tab.errors == []


def test_a_select_changed_with_the_arrow_keys_searches_and_does_not_navigate(tab: Tab, news: BuiltSite, news_url: str, engine: str):
    page = tab.page
    page.goto(search_page(engine, news, news_url) + f"?q={HARBOUR}")
    wait_for_results(page, len(HARBOUR_STORIES))
    page.evaluate("window.stillHere = true")
    length = page.evaluate("history.length")
    page.locator("#search-order").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#search-order")).to_have_value("asc")
    page.wait_for_function("location.search.includes('order=asc')")
    times = page.locator(f"{RESULT} time")
    expect(times.first).to_have_attribute("datetime", min(a.date for a in news.articles if a.id in HARBOUR_STORIES))
    # The page was not loaded again: what it was given is still there.
    assert page.evaluate("window.stillHere") is True
    # Going through the options adds one entry to the history, not one an option.
    assert page.evaluate("history.length") == length + 1
    assert tab.errors == []


def test_the_address_restores_the_search_and_back_returns_to_it(tab: Tab, news: BuiltSite, news_url: str, engine: str):
    page = tab.page
    start = search_page(engine, news, news_url)
    page.goto(start + f"?q={HARBOUR}&year=2023&order=desc")
    wait_for_results(page, 2)
    expect(page.locator("#search-query")).to_have_value(HARBOUR)
    expect(page.locator("#search-year")).to_have_value("2023")
    expect(page.locator("#search-order")).to_have_value("desc")
    in_2023 = sorted((a.date for a in news.articles if a.id in HARBOUR_STORIES and a.date < "2024"), reverse=True)
    expect(page.locator(f"{RESULT} time")).to_have_text([shown_date(d) for d in in_2023])

    # A search submitted is an entry of its own; Back shows the one before.
    page.locator("#search-query").fill("council")
    page.locator("#search-query").press("Enter")
    wait_for_results(page, 6)
    assert state(page) == {"q": ["council"], "year": ["2023"], "order": ["desc"]}
    page.go_back()
    wait_for_results(page, 2)
    expect(page.locator("#search-query")).to_have_value(HARBOUR)

    # Out to an article and back: the search is there again.
    page.locator(f"{RESULT} h2 a").first.click()
    page.wait_for_url(re.compile(r"highlight="))
    page.go_back()
    wait_for_results(page, 2)
    expect(page.locator("#search-year")).to_have_value("2023")

    # Reloaded, and an old link with only q and order.
    page.reload()
    wait_for_results(page, 2)
    page.goto(start + f"?q={HARBOUR}&order=asc")
    wait_for_results(page, len(HARBOUR_STORIES))
    expect(page.locator("#search-order")).to_have_value("asc")
    dates = sorted(a.date for a in news.articles if a.id in HARBOUR_STORIES)
    expect(page.locator(f"{RESULT} time").first).to_have_attribute("datetime", dates[0])
    assert tab.errors == []


def test_more_results(tab: Tab, news: BuiltSite, news_url: str, engine: str):
    page = tab.page
    page.goto(search_page(engine, news, news_url) + "?q=council&order=desc")
    wait_for_results(page, 10)
    more = page.locator("button.search-more")
    expect(more).to_be_visible()
    more.click()
    wait_for_results(page, len(STORIES))
    expect(more).to_be_hidden()
    times = page.locator(f"{RESULT} time")
    dates = [times.nth(i).get_attribute("datetime") for i in range(len(STORIES))]
    assert dates == sorted((a.date for a in news.articles), reverse=True)
    # Reading goes on from the first new result.
    assert page.evaluate("document.activeElement.closest('li') === document.querySelectorAll('.search-results > li')[10]")
    assert tab.errors == []


def test_a_word_of_two_letters_marks_itself_alone_on_the_article(tab: Tab, news: BuiltSite, news_url: str, engine: str):
    page = tab.page
    story = STORIES[7]  # "Residents of Hexham ...", "Officials promised ...", and the harbour
    article = news.article(story.name).url
    page.goto((news_url + article if engine == "served" else (news.folder / article / "index.html").as_uri())
              + "?highlight=of+harb")
    marks = page.locator(".article-body mark.search-highlight")
    expect(marks.first).to_be_visible()
    assert sorted({m.lower() for m in marks.all_inner_texts()}) == ["harbour", "of"]
    assert "Officials" in page.locator(".article-body").inner_text()
    assert tab.errors == []


def test_the_article_opened_marks_the_words_and_shows_the_first(open_tab: Callable[..., Tab], news: BuiltSite, news_url: str, engine: str):
    tab = open_tab(width=375, height=812)
    page = tab.page
    story = STORIES[7]
    page.goto(search_page(engine, news, news_url) + f"?q=hexham+{story.word}")
    wait_for_results(page, 1)
    page.locator(f"{RESULT} h2 a").click()
    page.wait_for_url(re.compile(r"highlight="))
    expect(page.locator("h1 mark.search-highlight")).to_have_text(["Hexham"])
    body = page.locator(".article-body mark.search-highlight")
    expect(body).to_have_text(["Hexham", story.word, story.word])
    expect(page.locator(".article-body .cite mark")).to_have_count(0)
    expect(page.locator("mark.search-highlight").first).to_be_in_viewport()
    assert tab.errors == []


def test_on_a_phone_the_first_result_shows_without_scrolling(open_tab: Callable[..., Tab], news: BuiltSite, news_url: str, engine: str):
    page = open_tab(width=375, height=812).page
    page.goto(search_page(engine, news, news_url))
    options = page.locator("details.search-options")
    expect(options).not_to_have_attribute("open", "")
    page.locator("#search-query").fill(HARBOUR)
    page.locator("#search-query").press("Enter")
    wait_for_results(page, len(HARBOUR_STORIES))
    assert page.evaluate("scrollY") == 0
    first = page.locator(RESULT).first.locator("h2 a").bounding_box()
    assert first and first["y"] + first["height"] <= 812, first
    # The filters open from their summary, by keyboard too.
    page.locator("details.search-options summary").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#search-year")).to_be_visible()


# Contrast of two CSS colours, as WCAG defines it.
CONTRAST = """([a, b]) => {
    const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
    const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                       return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_marks_and_control_borders_are_readable(open_tab: Callable[..., Tab], news: BuiltSite, news_url: str, scheme: str):
    page = open_tab(color_scheme=scheme).page
    page.goto(news_url + f"search/?q={HARBOUR}")
    wait_for_results(page, len(HARBOUR_STORIES))
    colours = page.evaluate("""() => {
        const style = e => getComputedStyle(document.querySelector(e));
        return {page: style("body").backgroundColor, markBg: style(".search-results mark").backgroundColor,
                markInk: style(".search-results mark").color,
                borders: ["#search-query", "#search-year", "#search-order"].map(e => style(e).borderTopColor),
                controls: ["#search-query", "#search-year", "#search-order"].map(e => style(e).backgroundColor)};
    }""")
    assert page.evaluate(CONTRAST, [colours["markBg"], colours["page"]]) >= 3
    assert page.evaluate(CONTRAST, [colours["markInk"], colours["markBg"]]) >= 4.5
    for border in colours["borders"]:
        assert page.evaluate(CONTRAST, [border, colours["page"]]) >= 3, border
    # On the article, the same colours.
    page.locator(f"{RESULT} h2 a").first.click()
    page.wait_for_url(re.compile(r"highlight="))
    mark = page.evaluate("(() => { const s = getComputedStyle(document.querySelector('mark.search-highlight')); return [s.backgroundColor, s.color]; })()")
    assert mark == [colours["markBg"], colours["markInk"]]


def test_every_control_by_keyboard_with_the_focus_ring(tab: Tab, news: BuiltSite, news_url: str):
    page = tab.page
    page.goto(news_url + "search/?q=council")
    wait_for_results(page, 10)
    page.locator("#search-query").focus()
    seen = []
    for _ in range(8):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        seen.append(focused)
        if focused["tag"] == "a":
            break
    ids = [f["id"] or f["tag"] for f in seen]
    assert ids[:5] == ["button", "summary", "search-year", "search-order", "a"], ids
    assert all(shows_focus(f) for f in seen), seen
    page.locator("button.search-more").focus()
    assert shows_focus(page.evaluate(FOCUSED))
    page.keyboard.press("Enter")
    wait_for_results(page, len(STORIES))
    # Choosing a year by keyboard: the month's select comes after it.
    page.locator("#search-year").focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#search-month")).to_be_visible()
    wait_for_results(page, 6)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "search-month"
    assert shows_focus(page.evaluate(FOCUSED))


@pytest.fixture(scope="module")
def axe() -> str:
    script = axe_script()
    if script is None:
        pytest.skip("axe-core not found: run `npm install --prefix .cache/axe-core axe-core@4` (needs npm)")
    return str(script)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_wcag_violations_before_and_after_a_query(open_tab: Callable[..., Tab], news: BuiltSite, news_url: str, axe: str, engine: str, scheme: str):
    page = open_tab(color_scheme=scheme).page
    page.goto(search_page(engine, news, news_url))
    page.add_script_tag(path=axe)
    run = "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
    before = page.evaluate(run, WCAG_TAGS)
    assert before["violations"] == [], describe(before["violations"])
    page.locator("#search-query").fill(HARBOUR)
    page.locator("#search-year").wait_for(state="attached")
    wait_for_results(page, len(HARBOUR_STORIES))
    page.locator("#search-year").select_option("2023")
    wait_for_results(page, 2)
    after = page.evaluate(run, WCAG_TAGS)
    assert after["violations"] == [], describe(after["violations"])


def test_the_header_form_from_disk_leads_to_the_results_and_the_article(tab: Tab, news: BuiltSite):
    page = tab.page
    story = STORIES[0]
    page.goto((news.folder / "index.html").as_uri())
    page.fill("#site-search", story.word)
    page.press("#site-search", "Enter")
    page.wait_for_url((news.folder / "search/index.html").as_uri() + f"?q={story.word}")
    wait_for_results(page, 1)
    page.locator(f"{RESULT} h2 a").click()
    page.wait_for_url((news.folder / news.article(story.name).url / "index.html").as_uri() + f"?highlight={story.word}")
    expect(page.locator("h1")).to_have_text(news.article(story.name).title)
    assert tab.errors == []


def test_served_the_page_loads_the_filters_of_years_and_months_only(tab: Tab, news: BuiltSite, news_url: str):
    # Pagefind writes a file for each filter of each bundle: year, month, and the
    # two of the date that results show, which the page takes from each result's data.
    import json

    page = tab.page
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(search_page("served", news, news_url) + "?q=council")
    wait_for_results(page, 10)
    expect(page.locator("#search-year option")).to_have_text(["Any year", "2024 (6)", "2023 (6)"])
    bundles = json.loads((news.folder / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
    written = sum(1 for _ in (news.folder / "pagefind").rglob("*.pf_filter"))
    assert len(bundles) > 1 and written == 4 * len(bundles)
    assert len([url for url in fetched if url.endswith(".pf_filter")]) == 2 * len(bundles)
    assert tab.errors == []


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_served_in_date_order_bundles_in_groups_give_the_same_order_and_counts(tab: Tab, news: BuiltSite, news_url: str,
                                                                               order: str):
    # Past a bound of the product of their records (about 80 bundles of 5,000
    # articles), bundles are searched in groups whose weights start again; the
    # bound is lowered here so that the test site's four bundles make three groups.
    page = tab.page
    page.add_init_script("window.__searchWeightsUpTo = 13;")
    page.goto(search_page("served", news, news_url) + f"?q=council&order={order}")
    wait_for_results(page, 10)
    expect(page.locator("#search-year option")).to_have_text(["Any year", "2024 (6)", "2023 (6)"])
    page.locator("button.search-more").click()
    wait_for_results(page, len(STORIES))
    times = page.locator(f"{RESULT} time")
    dates = [times.nth(i).get_attribute("datetime") for i in range(len(STORIES))]
    assert dates == sorted((a.date for a in news.articles), reverse=order == "desc")
    assert page.evaluate("window.__searchWeightsUpTo") == 13
    assert tab.errors == []
