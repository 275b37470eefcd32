"""The site model: permalinks, collisions, order, pagination, archives."""

from dataclasses import replace

from broadsheet.load import load_file, parse_bytes
from broadsheet.site import assign_permalinks, build_site, permalink

from .conftest import SEED_FILE, SEEDS


def article(name="a.txt", date="2023-11-11", body="Body text here."):
    return parse_bytes(f"date {date} {body}".encode(), name, fmt="txt", language="en").article


def test_seed_permalink_is_pinned():
    seed = load_file(SEED_FILE, SEEDS, language="en").article
    assert permalink(seed) == "2023/11/11/18c9c60748474e6b/"


def test_permalink_ignores_the_title_and_uses_the_slug_when_given():
    a = article("000_abcdef12.txt")
    assert permalink(replace(a, title="Another title")) == permalink(a) == "2023/11/11/abcdef12/"
    assert permalink(replace(a, slug="Élan Vital! 2")) == "2023/11/11/elan-vital-2/"


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


def test_listing_pages_newest_first_with_neighbours_and_archives():
    articles = [article(f"{i:03d}_{i:08x}.txt", f"2023-{1 + i % 3:02d}-{1 + i:02d}") for i in range(7)]
    site, problems = build_site(articles, per_page=3, site_title="T")
    assert problems == []
    dates = [e.article.date for e in site.entries]
    assert dates == sorted(dates, reverse=True)
    assert site.entries[0].newer is None and site.entries[0].older.url == site.entries[1].url
    index = [page for page in site.listings if page.kind == "index"]
    assert [page.url for page in index] == ["", "page/2/", "page/3/"]
    assert [len(page.entries) for page in index] == [3, 3, 1]
    assert index[1].previous_url == "" and index[1].next_url == "page/3/"
    months = [page for page in site.listings if page.kind == "month"]
    assert sorted(page.url for page in months) == ["archive/2023/01/", "archive/2023/02/", "archive/2023/03/"]
    in_months = [e.url for page in months for e in page.entries]
    assert sorted(in_months) == sorted(e.url for e in site.entries)  # each article once in its month
    assert [y.year for y in site.years] == [2023] and site.years[0].count == 7
