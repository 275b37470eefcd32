"""The Google News sitemap: the articles of the two days before the newest, checked against the schema."""

from __future__ import annotations

from pathlib import Path

import lxml.etree

from .test_publish import BASE, md

SCHEMAS = Path(__file__).parent / "schemas"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "n": "http://www.google.com/schemas/sitemap-news/0.9"}


def valid(path: Path) -> lxml.etree._ElementTree:
    schema = lxml.etree.XMLSchema(lxml.etree.parse(str(SCHEMAS / "sitemap.xsd")))
    tree = lxml.etree.parse(str(path))
    schema.assertValid(tree)
    return tree


def test_the_news_sitemap_lists_the_two_days_before_the_newest_article(corpus, build_site):
    source = corpus({
        "newest.md": md("Newest <& story>", "2024-05-10T12:00:00+00:00", "Today."),
        "yesterday.md": md("Yesterday", "2024-05-09", "One day before."),
        "edge.md": md("Just in", "2024-05-08T12:00:00+00:00", "Two days before, to the minute."),
        "old.md": md("Old", "2024-05-08T11:59:00+00:00", "A minute too old."),
        "older.md": md("Older", "2024-04-01", "Long ago."),
    })
    _, out = build_site(source, base_url=BASE, site_title="The Daily & Co", language="fr")
    tree = valid(out / "news-sitemap.xml")
    urls = tree.xpath("//s:url", namespaces=NS)
    assert [u.findtext("s:loc", namespaces=NS) for u in urls] == [
        BASE + "2024/05/10/newest/", BASE + "2024/05/09/yesterday/", BASE + "2024/05/08/edge/"]
    first = urls[0]
    assert first.findtext("n:news/n:publication/n:name", namespaces=NS) == "The Daily & Co"
    assert first.findtext("n:news/n:publication/n:language", namespaces=NS) == "fr"
    assert first.findtext("n:news/n:publication_date", namespaces=NS) == "2024-05-10T12:00:00+00:00"
    assert first.findtext("n:news/n:title", namespaces=NS) == "Newest <& story>"
    assert urls[1].findtext("n:news/n:publication_date", namespaces=NS) == "2024-05-09T00:00:00+00:00"
    robots = (out / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {BASE}sitemap.xml\n" in robots and f"Sitemap: {BASE}news-sitemap.xml\n" in robots


def test_the_sitemap_is_valid_against_the_protocols_schema(corpus, build_site):
    _, out = build_site(corpus({"a.md": md("A", "2024-05-10", "Text.")}), base_url=BASE)
    valid(out / "sitemap.xml")


def test_the_news_sitemap_counts_its_days_from_the_newest_article_not_the_build(corpus, build_site):
    # Built years after these articles: counted from the build's day, the list would be empty,
    # and each day's build would give another file.
    source = corpus({"a.md": md("A", "2020-01-02", "Text."), "b.md": md("B", "2020-01-01", "Text.")})
    _, out = build_site(source, base_url=BASE)
    tree = valid(out / "news-sitemap.xml")
    assert len(tree.xpath("//s:url", namespaces=NS)) == 2


def test_a_news_sitemap_holds_at_most_a_thousand_addresses(corpus, build_site):
    files = {f"a{i:04d}.md": md(f"Story {i}", f"2024-05-10T{i // 60 % 24:02d}:{i % 60:02d}:00+00:00", "Text.")
             for i in range(1100)}
    _, out = build_site(corpus(files), base_url=BASE)
    assert len(valid(out / "news-sitemap.xml").xpath("//s:url", namespaces=NS)) == 1000
