"""End-to-end builds of small corpora made in temporary folders."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from broadsheet.build import BuildError
from broadsheet.check import check_links
from broadsheet.write import MARKER

from .conftest import txt


class Page(HTMLParser):
    """The parts of a page that tests look at."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag, **attrs):
        return [a for t, a in self.tags if t == tag and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())]


def read(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


def small_corpus(count: int) -> dict[str, str]:
    files = {}
    for i in range(count):
        day = f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}"
        files[f"{i:03d}_{i + 0xA0000:08x}.txt"] = txt(
            day, f"Story number {i} is about topic{i} and more. It goes on.", f"Second paragraph of story {i}."
        )
    return files


def test_every_article_gets_a_page_with_cited_paragraphs(corpus, build_site):
    result, out = build_site(corpus(small_corpus(5)))
    assert result.articles == 5 and result.problems == []
    manifest = json.loads((out / "articles.json").read_text(encoding="utf-8"))["articles"]
    assert len(manifest) == 5
    for record in manifest:
        page_file = out / record["url"] / "index.html"
        assert set(record) == {"id", "title", "date", "url", "source"}
        assert record["url"] == f"{record['date'].replace('-', '/')}/{record['id']}/"
        page = read(page_file)
        assert page.find("time", datetime=record["date"])
        assert page.ids[-2:] == ["p1", "p2"]
        assert "#p1" in page.links and "#p2" in page.links
        assert page.find("article", data_pagefind_body="")
        assert record["title"] in "".join(page.text)
        assert page.find("html", lang="en") and page.find("form", role="search")
    assert check_links(out) == []
    assert (out / MARKER).is_file()


def test_index_is_newest_first_and_paginated_from_the_oldest(corpus, build_site):
    result, out = build_site(corpus(small_corpus(17)), per_page=5)
    # Pages 1 to 2 hold the oldest ten; the first page the newest seven (page 3 and two more).
    pages = [out / "index.html", out / "page/2/index.html", out / "page/1/index.html"]
    assert all(p.is_file() for p in pages) and not (out / "page/3").exists()
    dates = []
    for p in pages:
        shown = re.findall(r'<li>\s*<article class="teaser".*?<time datetime="([\d-]+)"', p.read_text(), re.S)
        assert len(shown) == (7 if p == pages[0] else 5)
        dates += shown
    assert len(dates) == 17 and dates == sorted(dates, reverse=True)
    first = read(pages[0])
    assert "page/2/index.html" in first.links
    middle = read(pages[1])
    assert "../../index.html" in middle.links and "../../page/1/index.html" in middle.links
    assert "Articles, page 2" in "".join(middle.text) and "page 2 of" not in "".join(middle.text)


def test_archives_list_every_article_once_in_its_month(corpus, build_site):
    _, out = build_site(corpus(small_corpus(30)), per_page=50)
    manifest = json.loads((out / "articles.json").read_text())["articles"]
    seen = []
    for month_page in sorted((out / "archive").glob("*/*/index.html")):
        in_month = re.findall(r'<h2><a href="[./]*(\d{4}/\d\d/\d\d/[^"]+/)index.html"', month_page.read_text())
        month = month_page.parent.relative_to(out / "archive").as_posix()
        assert in_month and all(url.startswith(month + "/") for url in in_month), month
        seen += in_month
    assert sorted(seen) == sorted(r["url"] for r in manifest)
    assert (out / "archive/2023/index.html").is_file() and (out / "archive/index.html").is_file()
    assert "archive/index.html" in read(out / "index.html").links


def test_every_article_links_to_its_older_and_newer_neighbours(corpus, build_site):
    _, out = build_site(corpus(small_corpus(9)))
    urls = [r["url"] for r in json.loads((out / "articles.json").read_text())["articles"]]  # newest first
    for i, url in enumerate(urls):
        page = read(out / url / "index.html")
        older = [a["href"] for a in page.find("a", rel="prev")]
        newer = [a["href"] for a in page.find("a", rel="next")]
        assert older == ([f"../../../../{urls[i + 1]}index.html"] if i + 1 < len(urls) else []), url
        assert newer == ([f"../../../../{urls[i - 1]}index.html"] if i > 0 else []), url


def test_search_index_holds_one_entry_per_article(corpus, build_site):
    result, out = build_site(corpus(small_corpus(4)), search=True)
    entry = json.loads((out / "pagefind/pagefind-entry.json").read_text())
    assert sum(lang["page_count"] for lang in entry["languages"].values()) == 4
    assert result.indexed == 4
    assert (out / "pagefind/pagefind-ui.js").is_file()
    search_page = read(out / "search/index.html")
    assert search_page.find("div", id="search", data_bundle="../pagefind/", data_served="pagefind")


def test_a_site_served_by_its_offline_index_has_no_pagefind_bundles(corpus, build_site):
    result, out = build_site(corpus(small_corpus(4)), search=True, served_search="offline")
    assert not (out / "pagefind").exists()
    assert (out / "search/offline/index.js").is_file()
    assert result.indexed == 4 and result.bundles == 0
    assert "4 indexed for search" in result.summary()
    search_page = read(out / "search/index.html")
    assert search_page.find("div", id="search", data_served="offline")


def test_markdown_article_renders_without_raw_html(corpus, build_site):
    source = corpus({
        "story.md": "---\ntitle: Hello <b>there</b>\ndate: 2024-05-06\nslug: hello\n---\n\n"
                    "Para *one* <script>alert(1)</script>.\n\n[bad](javascript:alert(1)) and [good](https://example.org)\n",
    })
    _, out = build_site(source)
    html = (out / "2024/05/06/hello/index.html").read_text()
    assert "<script>alert" not in html and 'href="javascript:' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Hello &lt;b&gt;there&lt;/b&gt;" in html
    assert '<p id="p1">Para <em>one</em>' in html and '<p id="p2">' in html
    assert 'href="https://example.org"' in html


def test_rtl_article_is_marked_right_to_left(corpus, build_site):
    _, out = build_site(corpus({"he.txt": txt("2024-01-01", "שלום עולם. זה מאמר בעברית.")}))
    page = read(next(out.glob("2024/01/01/*/index.html")))
    assert page.find("article", dir="rtl", lang="he")


def test_failed_build_leaves_the_previous_site(corpus, build_site, tmp_path):
    source = corpus(small_corpus(2))
    _, out = build_site(source)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    bad_templates = tmp_path / "tpl"
    bad_templates.mkdir()
    (bad_templates / "article.html").write_text("{% extends 'base.html' %}{% block main %}{{ nope(}}{% endblock %}")
    with pytest.raises(BuildError, match=r"article.html:1"):
        build_site(source, templates=bad_templates)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".broadsheet")] == []


def test_template_override_replaces_one_template(corpus, build_site, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "article.html").write_text(
        "{% extends 'base.html' %}{% block main %}<p class=mine>{{ article.title }}</p>{% endblock %}"
    )
    _, out = build_site(corpus(small_corpus(1)), templates=mine)
    assert '<p class=mine>Story number 0 is about topic0 and more</p>' in next(out.glob("2023/*/*/*/index.html")).read_text()
    assert "Latest articles" in (out / "index.html").read_text()  # the other templates are the built-in ones
