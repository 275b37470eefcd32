"""The site model: permalinks, collisions, order, pagination, archives."""

import datetime
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from broadsheet.site import assign_permalinks, build_site, paginate, permalink, year_url

from .conftest import SEED_FILE, SEEDS, load_file, parse_bytes


def article(name="a.txt", date="2023-11-11", body="Body text here."):
    return parse_bytes(f"date {date} {body}".encode(), name, fmt="txt", language="en").article


def test_seed_permalink_is_pinned():
    seed = load_file(SEED_FILE, SEEDS, language="en").article
    assert permalink(seed) == "2023/11/11/18c9c60748474e6b/"


def test_permalink_ignores_the_title_and_uses_the_slug_when_given():
    a = article("000_abcdef12.txt")
    assert permalink(replace(a, title="Another title")) == permalink(a) == "2023/11/11/abcdef12/"
    assert permalink(replace(a, slug="Élan Vital! 2")) == "2023/11/11/elan-vital-2/"


def test_permalink_writes_every_year_in_four_digits_like_the_archive():
    # A YAML date may be any year; the address must not depend on the system's strftime.
    early = replace(article("000_abcdef12.txt"), date=datetime.date(99, 1, 2))
    assert permalink(early) == "0099/01/02/abcdef12/"
    assert permalink(early).startswith(year_url(99).removeprefix("archive/"))


def test_permalink_is_url_safe_for_any_file_name():
    assert permalink(article("My Story ÄÖ.txt")) == "2023/11/11/my-story-ao/"
    assert permalink(article("😀.txt")).startswith("2023/11/11/article-")


def test_collisions_are_resolved_deterministically_with_a_warning():
    first, second = article("x/000_aaaaaa11.txt"), article("y/001_aaaaaa11.txt")
    for order in ([first, second], [second, first]):
        placed, problems = assign_permalinks(order)
        urls = {a.source: url for a, url in placed}
        assert urls == {"x/000_aaaaaa11.txt": "2023/11/11/aaaaaa11/", "y/001_aaaaaa11.txt": "2023/11/11/aaaaaa11-2/"}
        assert len(problems) == 1 and problems[0].source == "y/001_aaaaaa11.txt"


def test_addresses_and_order_are_the_same_whether_or_not_an_address_is_wanted_twice():
    # Without a collision the addresses are not sorted to be given out: the site comes out the same.
    articles = [article(f"{i:03d}_{i % 7:08x}{i}.txt", f"2023-{1 + i % 3:02d}-{1 + i % 5:02d}") for i in range(40)]
    twice = article("zz/000_000000000.txt", "2023-01-01")  # the address of the first
    alone, _ = build_site(articles[::-1], per_page=3, site_title="T")
    with_collision, problems = build_site([*articles, twice], per_page=3, site_title="T")
    assert len(problems) == 1
    assert [(e.url, e.article.source) for e in alone.entries] == [
        (e.url, e.article.source) for e in with_collision.entries if e.article is not twice]


def test_listing_pages_newest_first_with_neighbours_and_archives():
    articles = [article(f"{i:03d}_{i:08x}.txt", f"2023-{1 + i % 3:02d}-{1 + i:02d}") for i in range(7)]
    site, problems = build_site(articles, per_page=3, site_title="T")
    assert problems == []
    dates = [e.article.date for e in site.entries]
    assert dates == sorted(dates, reverse=True)
    assert site.entries[0].newer is None and site.entries[0].older.url == site.entries[1].url
    index = [page for page in site.listings if page.kind == "index"]
    assert [page.url for page in index] == ["", "page/1/"]
    assert [len(page.entries) for page in index] == [4, 3]
    assert index[1].previous_url == "" and index[1].next_url is None
    months = [page for page in site.listings if page.kind == "month"]
    assert sorted(page.url for page in months) == ["archive/2023/01/", "archive/2023/02/", "archive/2023/03/"]
    in_months = [e.url for page in months for e in page.entries]
    assert sorted(in_months) == sorted(e.url for e in site.entries)  # each article once in its month
    assert [y.year for y in site.years] == [2023] and site.years[0].count == 7


@given(total=st.integers(0, 60), per_page=st.integers(1, 7), added=st.integers(1, 20))
def test_pages_numbered_from_the_oldest_keep_their_articles_as_the_list_grows(total, per_page, added):
    def pages(count: int) -> list:
        return paginate(list(range(count, 0, -1)), kind="index", base_url="", title="T", per_page=per_page)

    before, after = pages(total), pages(total + added)
    for listing in (before, after):
        shown = [entry for page in listing for entry in page.entries]
        assert shown == sorted(shown, reverse=True) and len(set(shown)) == len(shown)  # newest first, each once
        first, *numbered = listing
        assert first.url == "" and first.is_first and first.number == first.count == len(listing)
        assert per_page <= len(first.entries) < 2 * per_page or not numbered
        for page in numbered:
            assert page.url == f"page/{page.number}/" and len(page.entries) == per_page
            oldest = page.entries[-1]
            assert oldest == (page.number - 1) * per_page + 1  # the Nth per_page, counted from the oldest
        newer_older = [(page.previous_url, page.url, page.next_url) for page in listing]
        assert [n for n, _, _ in newer_older] == [None] + [u for _, u, _ in newer_older[:-1]]
        assert [o for _, _, o in newer_older] == [u for _, u, _ in newer_older[1:]] + [None]
    # A numbered page of the shorter list holds the same articles in the longer one.
    kept = {page.url: page.entries for page in after}
    assert all(kept[page.url] == page.entries for page in before if not page.is_first)
