"""Authors' and tags' pages: addresses, pages numbered from the oldest, links to them."""

from __future__ import annotations

from pathlib import Path

import lxml.html

from .conftest import write_corpus
from .test_publish import BASE, json_ld, md


def tree(page: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(page.read_bytes())


def listed(page: Path) -> list[str]:
    return [a.text_content() for a in tree(page).xpath('//ol[contains(@class, "article-list")]//h2/a')]


def test_each_author_has_a_page_that_the_byline_and_the_json_ld_link_to(corpus, build_site):
    source = corpus({
        "one.md": md("One", "2024-01-02", "Text.", author="Ann Lée"),
        "two.md": md("Two", "2024-01-03", "Text.", author="ann lee"),
        "three.md": md("Three", "2024-01-04", "Text.", author="<b>Bob</b>"),
        "four.md": md("Four", "2024-01-05", "Nobody signed this."),
    })
    result, out = build_site(source, base_url=BASE, check=True)
    assert not result.problems
    # Names that make one address share its page, under the name that sorts first.
    assert listed(out / "authors/ann-lee/index.html") == ["Two", "One"]
    assert tree(out / "authors/ann-lee/index.html").xpath("//h1")[0].text_content() == "Articles by Ann Lée"
    bob = (out / "authors/b-bob-b/index.html").read_text(encoding="utf-8")
    assert "Articles by &lt;b&gt;Bob&lt;/b&gt;" in bob and "<b>Bob" not in bob
    byline = tree(out / "2024/01/02/one/index.html").xpath('//span[@class="author"]/a')[0]
    assert byline.get("href") == "../../../../authors/ann-lee/index.html" and byline.get("rel") == "author"
    assert json_ld(out / "2024/01/02/one/index.html")["author"] == {
        "@type": "Person", "name": "Ann Lée", "url": BASE + "authors/ann-lee/"}
    index = tree(out / "authors/index.html")
    assert [(a.text_content(), a.get("href")) for a in index.xpath('//ul[@class="groups"]//a')] == [
        ("<b>Bob</b>", "../authors/b-bob-b/index.html"), ("Ann Lée", "../authors/ann-lee/index.html")]


def test_tags_have_pages_and_the_article_links_to_them(corpus, build_site):
    source = corpus({
        "a.md": md("A", "2024-01-02", "Text.", tags=["Economy", "Rates"]),
        "b.md": md("B", "2024-01-03", "Text.", tags=["economy"]),
    })
    _, out = build_site(source, base_url=BASE)
    assert listed(out / "tags/economy/index.html") == ["B", "A"]
    assert listed(out / "tags/rates/index.html") == ["A"]
    links = tree(out / "2024/01/02/a/index.html").xpath('//ul[@class="tags"]//a')
    assert [(a.text_content(), a.get("href")) for a in links] == [
        ("Economy", "../../../../tags/economy/index.html"), ("Rates", "../../../../tags/rates/index.html")]
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    for url in ("tags/", "tags/economy/", "tags/rates/"):
        assert f"<loc>{BASE}{url}</loc>" in sitemap


def test_a_tags_pages_are_numbered_from_the_oldest_and_keep_their_articles(tmp_path, build_site):
    files = {f"s{i}.md": md(f"Story {i}", f"2024-01-{10 + i:02d}", "Text.", tags=["port"]) for i in range(5)}
    source = write_corpus(tmp_path / "corpus", files)
    _, out = build_site(source, per_page=2)
    assert listed(out / "tags/port/page/1/index.html") == ["Story 1", "Story 0"]
    assert listed(out / "tags/port/index.html") == ["Story 4", "Story 3", "Story 2"]
    (source / "s5.md").write_text(md("Story 5", "2024-01-20", "Text.", tags=["port"]), encoding="utf-8")
    _, out = build_site(source, per_page=2)
    assert listed(out / "tags/port/page/1/index.html") == ["Story 1", "Story 0"]
    assert listed(out / "tags/port/page/2/index.html") == ["Story 3", "Story 2"]
    assert listed(out / "tags/port/index.html") == ["Story 5", "Story 4"]


def test_a_site_without_authors_or_tags_has_no_such_pages(corpus, build_site):
    _, out = build_site(corpus({"a.md": md("A", "2024-01-02", "Text.")}))
    assert not (out / "authors").exists() and not (out / "tags").exists()
