"""Feeds, sitemap, robots.txt, and the metadata in each page's head."""

import datetime
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest

from broadsheet import publish
from broadsheet.check import check_links
from broadsheet.cli import main

from .conftest import txt
from .html_checks import is_redirect_page
from .test_build import read, small_corpus

BASE = "https://example.org/news/"
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def manifest(out: Path) -> list[dict]:
    return json.loads((out / "articles.json").read_text(encoding="utf-8"))["articles"]


def article_body(page: Path) -> str:
    """The body HTML exactly as the article page shows it."""
    match = re.search(r'<div class="article-body">\n(.*?)\n  </div>', page.read_text(encoding="utf-8"), re.S)
    assert match, page
    return match.group(1)


def md(title: str, date: str, body: str, **front: str) -> str:
    extra = "".join(f"{key}: {json.dumps(value)}\n" for key, value in front.items())
    return f"---\ntitle: {json.dumps(title)}\ndate: {date}\n{extra}---\n\n{body}\n"


def test_atom_feed_holds_the_newest_50_articles_in_full(corpus, build_site):
    _, out = build_site(corpus(small_corpus(55)), base_url=BASE)
    records = manifest(out)  # newest first, as the site orders them
    feed = feedparser.parse((out / "feed.xml").read_bytes(), resolve_relative_uris=False, sanitize_html=False)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.id == BASE + "feed.xml" and feed.feed.title == "News Archive"
    assert {(link.rel, link.href) for link in feed.feed.links} == {
        ("alternate", BASE), ("self", BASE + "feed.xml"), ("prev-archive", BASE + "feeds/1.xml")}
    assert feed.feed.language == "en" and feed.feed.author == "News Archive"
    # The feed is as new as its newest article, not as the build.
    assert feed.feed.updated == records[0]["date"] + "T00:00:00+00:00"
    assert [e.id for e in feed.entries] == [BASE + r["url"] for r in records[:50]]
    for entry, record in zip(feed.entries, records, strict=False):
        assert entry.link == entry.id and entry.title == record["title"]
        assert entry.published == entry.updated == record["date"] + "T00:00:00+00:00"
        assert entry.content[0].type == "text/html" and entry.content[0].base == entry.id
        assert entry.content[0].value == article_body(out / record["url"] / "index.html")
        assert entry.summary


def test_atom_body_links_resolve_to_the_article_page(corpus, build_site):
    _, out = build_site(corpus(small_corpus(1)), base_url=BASE)
    entry = feedparser.parse((out / "feed.xml").read_bytes()).entries[0]
    assert f'href="{entry.id}#p1"' in entry.content[0].value


def test_json_feed_body_links_point_into_the_article_page(corpus, build_site):
    source = corpus({
        "linked.md": md("Linked", "2024-03-02", "First.\n\nSee [the first paragraph](#p1) and [the site](https://example.com/)."),
        "quoted.txt": txt("2024-03-01", 'Text that says href="#p9" in quotes.\n\nSecond paragraph.'),
    })
    _, out = build_site(source, base_url=BASE)
    linked, quoted = json.loads((out / "feed.json").read_text(encoding="utf-8"))["items"]
    assert ' href="#' not in linked["content_html"] + quoted["content_html"]
    assert f'<a href="{linked["url"]}#p1">the first paragraph</a>' in linked["content_html"]
    assert f'href="{linked["url"]}#p2"' in linked["content_html"]  # the ¶ link of the second paragraph
    assert '<a href="https://example.com/">' in linked["content_html"]
    # An article's own text stays text, escaped, and is not taken for a link.
    assert "href=&#34;#p9&#34;" in quoted["content_html"] and f'href="{quoted["url"]}#p2"' in quoted["content_html"]


def test_json_feed_has_the_same_articles_with_content_and_authors(corpus, build_site):
    source = corpus({
        **small_corpus(52),
        "signed.md": md("A signed piece", "2024-03-02", "Signed *text*.", author="Ann Writer", tags=["x", "y"]),
        "hebrew.txt": txt("2024-03-01", "שלום עולם. זה מאמר בעברית."),
    })
    _, out = build_site(source, base_url=BASE)
    feed = json.loads((out / "feed.json").read_text(encoding="utf-8"))
    atom = feedparser.parse((out / "feed.xml").read_bytes())
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "News Archive" and feed["language"] == "en"
    assert feed["home_page_url"] == BASE and feed["feed_url"] == BASE + "feed.json"
    items = feed["items"]
    assert [i["id"] for i in items] == [e.id for e in atom.entries] and len(items) == 50
    for item in items:
        assert item["url"] == item["id"] and item["title"] and item["summary"]
        page = out / item["url"].removeprefix(BASE) / "index.html"
        # The page's body, its links within the page made absolute (JSON Feed has no base address).
        assert item["content_html"] == article_body(page).replace(' href="#', f' href="{item["url"]}#')
        assert datetime.datetime.fromisoformat(item["date_published"]).tzinfo is not None
    signed, hebrew = items[0], items[1]
    assert signed["authors"] == [{"name": "Ann Writer"}] and signed["tags"] == ["x", "y"]
    assert "<em>text</em>" in signed["content_html"]
    assert hebrew["language"] == "he" and "authors" not in hebrew
    assert atom.entries[0].author == "Ann Writer" and [t.term for t in atom.entries[0].tags] == ["x", "y"]
    assert atom.entries[1].content[0].language == "he"


def test_feeds_and_sitemap_are_byte_identical_across_builds(corpus, build_site, tmp_path):
    source = corpus(small_corpus(8))
    _, first = build_site(source, base_url=BASE, out=tmp_path / "one")
    _, second = build_site(source, base_url=BASE, out=tmp_path / "two")
    for name in ("feed.xml", "feed.json", "sitemap.xml", "robots.txt"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_every_page_announces_both_feeds(corpus, build_site):
    _, out = build_site(corpus(small_corpus(3)), base_url=BASE)
    pages = sorted(p for p in out.rglob("*.html") if not is_redirect_page(p))
    assert len(pages) > 5
    for path in pages:
        alternates = {a["type"]: a["href"] for a in read(path).find("link", rel="alternate")}
        assert set(alternates) == {"application/atom+xml", "application/feed+json"}, path
    assert check_links(out) == []  # the relative hrefs of every page lead to the feeds


def test_without_a_base_url_feeds_and_sitemap_are_skipped_with_one_line(corpus, tmp_path, capsys):
    source = corpus(small_corpus(2))
    assert main(["--source", str(source), "--out", str(tmp_path / "out"), "--no-search"]) == 0
    lines = capsys.readouterr().err.splitlines()
    notes = [line for line in lines if "feed.xml" in line]
    assert notes == [publish.SKIPPED] and len(lines) == 2  # the note and the summary
    out = tmp_path / "out"
    assert not any((out / name).exists() for name in ("feed.xml", "feed.json", "sitemap.xml", "robots.txt"))
    assert read(out / "index.html").find("link", rel="alternate") == []
    assert check_links(out) == []


def sitemap_locations(path: Path) -> dict[str, str]:
    root = ET.parse(path).getroot()
    return {u.findtext("s:loc", namespaces=SITEMAP_NS): u.findtext("s:lastmod", namespaces=SITEMAP_NS)
            for u in root.findall("s:url", SITEMAP_NS)}


def test_sitemap_lists_every_article_and_listing_page(corpus, build_site):
    _, out = build_site(corpus(small_corpus(30)), base_url=BASE, per_page=4)
    locations = sitemap_locations(out / "sitemap.xml")
    pages = {p.parent.relative_to(out).as_posix() + "/" for p in out.rglob("index.html") if not is_redirect_page(p)}
    expected = {BASE + ("" if p == "./" else p) for p in pages if not p.startswith("search/")}
    assert set(locations) == expected
    assert BASE + "page/2/" in locations and BASE + "archive/2023/01/" in locations
    newest = max(r["date"] for r in manifest(out))
    for record in manifest(out):
        assert locations[BASE + record["url"]] == record["date"]
    assert locations[BASE] == locations[BASE + "archive/"] == newest
    january = [r["date"] for r in manifest(out) if r["date"].startswith("2023-01")]
    assert locations[BASE + "archive/2023/01/"] == max(january)
    assert (out / "robots.txt").read_text().splitlines()[-2:] == [f"Sitemap: {BASE}sitemap.xml", f"Sitemap: {BASE}news-sitemap.xml"]


def valid(path: Path) -> Path:
    from .test_news_sitemap import valid as valid_tree

    valid_tree(path)  # against the sitemap protocol's schema
    return path


def sitemap_index(path: Path) -> list[tuple[str, str]]:
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    return [(s.findtext("s:loc", namespaces=SITEMAP_NS), s.findtext("s:lastmod", namespaces=SITEMAP_NS))
            for s in root.findall("s:sitemap", SITEMAP_NS)]


def test_past_the_limit_the_sitemap_is_an_index_of_the_listings_and_of_each_month(corpus, build_site, tmp_path,
                                                                                 monkeypatch):
    source = corpus(small_corpus(30))  # 2023, about three articles a month, and 17 listing pages at four a page
    _, whole = build_site(source, base_url=BASE, per_page=4, out=tmp_path / "whole")
    every = sitemap_locations(whole / "sitemap.xml")
    monkeypatch.setattr(publish, "SITEMAP_LIMIT", 2)
    _, out = build_site(source, base_url=BASE, per_page=4, out=tmp_path / "parts")
    index = sitemap_index(out / "sitemap.xml")
    names = [loc.removeprefix(BASE) for loc, _ in index]
    listings = [name for name in names if name.startswith("sitemap-listings")]
    assert listings[:3] == ["sitemap-listings.xml", "sitemap-listings-2.xml", "sitemap-listings-3.xml"]
    # Months newest first (July to December hold two articles, the months before three): a month of
    # three articles is two parts, the first of them its two oldest.
    months = [f"sitemap-2023-{month:02d}.xml" for month in range(12, 6, -1)]
    assert names[len(listings):] == [*months, *(name for month in range(6, 0, -1) for name in (
        f"sitemap-2023-{month:02d}-2.xml", f"sitemap-2023-{month:02d}.xml"))]
    june = [sitemap_locations(out / name) for name in ("sitemap-2023-06.xml", "sitemap-2023-06-2.xml")]
    assert [len(part) for part in june] == [2, 1]
    assert max(june[0].values()) <= min(june[1].values())
    parts = [sitemap_locations(valid(out / name)) for name in names]
    assert all(1 <= len(part) <= 2 for part in parts)
    # Every address once, with the date the single sitemap gives it; each part dated by its newest.
    assert sum(len(part) for part in parts) == len(every)
    assert {loc: day for part in parts for loc, day in part.items()} == every
    assert [day for _, day in index] == [max(part.values()) for part in parts]
    assert sorted(path.name for path in out.glob("sitemap*.xml")) == sorted([*names, "sitemap.xml"])


def test_a_rebuild_makes_the_sitemap_of_the_month_that_changed_and_the_index(tmp_path, build_site, monkeypatch):
    from .conftest import write_corpus
    from .test_incremental import files_of

    source = write_corpus(tmp_path / "corpus", small_corpus(30))
    monkeypatch.setattr(publish, "SITEMAP_LIMIT", 10)
    _, out = build_site(source, base_url=BASE, incremental=True)
    parts = sorted(path.name for path in out.glob("sitemap-*.xml"))
    assert "sitemap-2023-03.xml" in parts and "sitemap-listings.xml" in parts
    before = {name: (out / name).stat().st_ino for name in parts}
    (source / "new.txt").write_text(txt("2023-03-20", "A new story of March."), encoding="utf-8")
    build_site(source, base_url=BASE, incremental=True)
    changed = {name for name in parts if (out / name).stat().st_ino != before[name]}
    assert changed == {"sitemap-2023-03.xml"}
    assert BASE + "2023/03/20/new/" in sitemap_locations(out / "sitemap-2023-03.xml")
    _, fresh = build_site(source, base_url=BASE, incremental=False, out=tmp_path / "fresh")
    assert files_of(out) == files_of(fresh)


def test_a_sitemap_limit_below_one_is_refused():
    from broadsheet.site import build_site

    empty, _ = build_site([], per_page=4, site_title="News")
    assert publish.sitemap_parts(empty, limit=1) == []
    with pytest.raises(ValueError, match="at least 1"):
        publish.sitemap_parts(empty, limit=0)


def meta(page, key: str) -> list[str]:
    return [a["content"] for a in page.find("meta", property=key) + page.find("meta", name=key)]


def test_article_pages_carry_open_graph_tags(corpus, build_site):
    source = corpus({"story.md": md("Rates rise again", "2024-02-03", "The bank raised rates.", tags=["economy"])})
    _, out = build_site(source, base_url=BASE)
    page = read(out / "2024/02/03/story/index.html")
    url = BASE + "2024/02/03/story/"
    assert meta(page, "og:type") == ["article"] and meta(page, "og:title") == ["Rates rise again"]
    assert meta(page, "og:url") == [url] and page.find("link", rel="canonical", href=url)
    assert meta(page, "og:description") == meta(page, "description") == ["The bank raised rates."]
    assert meta(page, "article:published_time") == ["2024-02-03T00:00:00+00:00"] and meta(page, "article:tag") == ["economy"]
    assert meta(page, "og:site_name") == ["News Archive"] and meta(page, "og:locale") == ["en_US"]
    _, plain = build_site(source, out=out.parent / "plain")
    assert meta(read(plain / "2024/02/03/story/index.html"), "og:url") == []


def test_listing_pages_have_a_description(corpus, build_site):
    _, out = build_site(corpus(small_corpus(6)), per_page=2, language="pt-BR")
    for path in ["index.html", "page/2/index.html", "archive/index.html", "archive/2023/index.html",
                 "archive/2023/01/index.html"]:
        page = read(out / path)
        (description,) = meta(page, "description")
        assert "News Archive" in description, path
        assert meta(page, "og:type") == ["website"] and meta(page, "og:locale") == ["pt_BR"]
    assert meta(read(out / "page/2/index.html"), "description")[0].endswith(", page 2.")


class Scripts(HTMLParser):
    """Every script element of a page, with its type and text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.scripts: list[tuple[str, str]] = []
        self._open: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._open = dict(attrs).get("type") or ""
            self.scripts.append((self._open, ""))

    def handle_data(self, data):
        if self._open is not None:
            kind, text = self.scripts[-1]
            self.scripts[-1] = (kind, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._open = None


def json_ld(path: Path) -> dict:
    scripts = Scripts(path.read_text(encoding="utf-8")).scripts
    (data,) = [text for kind, text in scripts if kind == "application/ld+json"]
    return json.loads(data)


def test_article_pages_describe_a_news_article_in_json_ld(corpus, build_site):
    source = corpus({"story.md": md("Rates rise again", "2024-02-03", "The bank raised rates today.",
                                    author="Ann Writer", lang="fr")})
    _, out = build_site(source, base_url=BASE, site_title="The Daily")
    data = json_ld(out / "2024/02/03/story/index.html")
    url = BASE + "2024/02/03/story/"
    assert data["@context"] == "https://schema.org" and data["@type"] == "NewsArticle"
    assert data["headline"] == "Rates rise again" and data["datePublished"] == "2024-02-03T00:00:00+00:00"
    assert data["url"] == url and data["mainEntityOfPage"] == {"@type": "WebPage", "@id": url}
    assert data["wordCount"] == 5 and data["inLanguage"] == "fr"
    assert data["author"] == {"@type": "Person", "name": "Ann Writer", "url": BASE + "authors/ann-writer/"}
    assert data["publisher"] == {"@type": "Organization", "name": "The Daily"}
    assert data["description"] == "The bank raised rates today."
    _, plain = build_site(source, out=out.parent / "plain")
    data = json_ld(plain / "2024/02/03/story/index.html")
    assert "url" not in data and "@id" not in data["mainEntityOfPage"]


def test_hostile_text_cannot_break_out_of_json_ld_or_feeds(corpus, build_site):
    title = 'Hi </script><script>alert(1)</script><!-- & "q" </SCRIPT >'
    author = "<!--x--></script>"
    source = corpus({"evil.md": md(title, "2024-02-03", "Body </script> text.", author=author, summary=title)})
    _, out = build_site(source, base_url=BASE)
    page = out / "2024/02/03/evil/index.html"
    scripts = Scripts(page.read_text(encoding="utf-8")).scripts
    assert [kind for kind, _ in scripts] == ["application/ld+json"]  # no script was smuggled in
    data = json_ld(page)
    assert data["headline"] == title and data["description"] == title and data["author"]["name"] == author
    entry = feedparser.parse((out / "feed.xml").read_bytes()).entries[0]
    assert entry.title == title and entry.author == author
    assert json.loads((out / "feed.json").read_text())["items"][0]["title"] == title


def test_open_graph_locales_have_a_territory():
    from broadsheet.render import og_locale

    assert [og_locale(code) for code in ("en", "fr", "pt-BR", "ar", "he", "zh-Hant-TW", "en-GB")] == [
        "en_US", "fr_FR", "pt_BR", "ar_EG", "he_IL", "zh_TW", "en_GB"]
