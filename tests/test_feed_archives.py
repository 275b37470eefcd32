"""Archived feeds (RFC 5005) and JSON Feed's pages: the whole archive, from the subscription feed."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser

from .conftest import txt, write_corpus
from .test_build import small_corpus
from .test_publish import BASE

HISTORY = "{http://purl.org/syndication/history/1.0}"


def atom_chain(out: Path) -> list[tuple[str, feedparser.FeedParserDict]]:
    """Each Atom document from feed.xml back through prev-archive, with its path."""
    chain, path = [], "feed.xml"
    while path:
        feed = feedparser.parse((out / path).read_bytes())
        assert not feed.bozo, (path, feed.get("bozo_exception"))
        chain.append((path, feed))
        older = [link.href for link in feed.feed.links if link.rel == "prev-archive"]
        assert len(older) <= 1
        path = older[0].removeprefix(BASE) if older else ""
    return chain


def json_chain(out: Path) -> list[tuple[str, dict]]:
    chain, path = [], "feed.json"
    while path:
        data = json.loads((out / path).read_text(encoding="utf-8"))
        chain.append((path, data))
        path = data.get("next_url", "").removeprefix(BASE)
    return chain


def test_following_the_feeds_back_gives_every_article_once(corpus, build_site):
    _, out = build_site(corpus(small_corpus(130)), base_url=BASE)
    every = {BASE + r["url"] for r in json.loads((out / "articles.json").read_text(encoding="utf-8"))["articles"]}
    chain = atom_chain(out)
    assert [path for path, _ in chain] == ["feed.xml", "feeds/2.xml", "feeds/1.xml"]
    assert [len(feed.entries) for _, feed in chain] == [50, 30, 50]
    ids = [entry.id for _, feed in chain for entry in feed.entries]
    assert len(ids) == len(set(ids)) and set(ids) == every
    # Newest first along the chain: each document holds articles older than the one before.
    dates = [entry.published for _, feed in chain for entry in feed.entries]
    assert dates == sorted(dates, reverse=True)
    jchain = json_chain(out)
    assert [path for path, _ in jchain] == ["feed.json", "feeds/2.json", "feeds/1.json"]
    assert [item["id"] for _, data in jchain for item in data["items"]] == ids


def test_archive_documents_are_marked_and_name_the_current_feed(corpus, build_site):
    import xml.etree.ElementTree as ET

    _, out = build_site(corpus(small_corpus(130)), base_url=BASE)
    for path in ("feeds/1.xml", "feeds/2.xml"):
        root = ET.parse(out / path).getroot()
        assert root.find(f"{HISTORY}archive") is not None, path
        links = {link.get("rel"): link.get("href") for link in root.findall("{http://www.w3.org/2005/Atom}link")}
        assert links["current"] == BASE + "feed.xml" and links["self"] == BASE + path
        assert "next-archive" not in links  # so that a full document never changes
    assert ET.parse(out / "feed.xml").getroot().find(f"{HISTORY}archive") is None
    data = json.loads((out / "feeds/1.json").read_text(encoding="utf-8"))
    assert data["feed_url"] == BASE + "feeds/1.json" and "next_url" not in data


def test_a_full_archive_document_never_changes_as_articles_are_added(tmp_path, build_site):
    files = small_corpus(130)
    source = write_corpus(tmp_path / "corpus", files)
    _, out = build_site(source, base_url=BASE)
    first = {name: (out / "feeds" / name).read_bytes() for name in ("1.xml", "1.json")}
    for i in range(30):  # newer than every article of the corpus
        (source / f"new{i:02d}.txt").write_text(txt(f"2024-01-{1 + i:02d}", f"New story {i} arrives."), encoding="utf-8")
    _, out = build_site(source, base_url=BASE)
    assert {name: (out / "feeds" / name).read_bytes() for name in first} == first
    assert [len(feed.entries) for _, feed in atom_chain(out)] == [50, 10, 50, 50]


def test_a_small_archive_has_no_archive_documents(corpus, build_site):
    _, out = build_site(corpus(small_corpus(50)), base_url=BASE)
    assert not (out / "feeds").exists()
    assert [path for path, _ in atom_chain(out)] == ["feed.xml"]
    assert "next_url" not in json.loads((out / "feed.json").read_text(encoding="utf-8"))


def test_json_feed_documents_hold_one_item_a_line_with_the_same_content_as_the_atom(corpus, build_site):
    import xml.etree.ElementTree as ET

    ATOM = "{http://www.w3.org/2005/Atom}"  # noqa: N806
    _, out = build_site(corpus(small_corpus(60)), base_url=BASE)
    for path in ("feed.json", "feeds/1.json"):
        text = (out / path).read_text(encoding="utf-8")
        data = json.loads(text)
        lines = text.split('\n "items": [\n', 1)[1].split("\n")
        items = [json.loads(line.removesuffix(",")) for line in lines if line.startswith("{")]
        assert items == data["items"] and len(items) == len(lines) - 3  # then " ]", "}" and ""
        atom = ET.parse(out / path.replace(".json", ".xml")).getroot().iter(f"{ATOM}content")
        # The body made once for both documents: the same in each (bar the links into the page).
        for item, content in zip(items, atom, strict=True):
            assert item["content_html"].replace(item["url"] + "#", "#") == content.text


def test_an_empty_json_feed_is_valid():
    from broadsheet import publish

    text = publish.json_document([], path="feed.json", older=None, base_url=BASE, site_title="T", language="en",
                                 zone=__import__("datetime").UTC)
    assert json.loads(text)["items"] == [] and text.endswith("}\n")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_archive_documents_written_by_workers_are_those_the_build_writes(tmp_path, monkeypatch):
    # Above a few documents, worker processes write them while the pages are rendered.
    from contextlib import contextmanager

    from broadsheet import parallel
    from broadsheet.build import build
    from broadsheet.config import Config, validate
    from broadsheet.outputs import feed_archives

    source = write_corpus(tmp_path / "corpus", small_corpus(260))  # five documents
    elsewhere = []
    real = parallel.in_workers

    @contextmanager
    def noting(*args, **kwargs):
        with real(*args, **kwargs) as chunks:
            elsewhere.append(parallel.made_elsewhere(chunks))
            yield chunks

    monkeypatch.setattr(parallel, "in_workers", noting)

    def built(out: Path, jobs: int):
        return build(validate(Config(source=source, out=out, base_url=BASE, search=False, jobs=jobs)))

    monkeypatch.setattr(feed_archives, "IN_WORKERS_FROM", 100)
    built(tmp_path / "here", jobs=2)
    monkeypatch.setattr(feed_archives, "IN_WORKERS_FROM", 2)
    built(tmp_path / "there", jobs=2)
    assert elsewhere == [False, True]
    here, there = _files(tmp_path / "here"), _files(tmp_path / "there")
    assert [name for name in there if name.startswith("feeds/")] == [f"feeds/{n}.{s}" for n in range(1, 6)
                                                                      for s in ("json", "xml")]
    assert there == here
    # Their records hold each file as written: a rebuild keeps every one.
    again = built(tmp_path / "there", jobs=2)
    assert again.in_place and elsewhere == [False, True]
    assert _files(tmp_path / "there") == here


def test_a_worker_never_makes_a_staging_folder_again(tmp_path):
    import datetime

    import pytest

    from broadsheet.outputs.feed_archives import Archiving
    from broadsheet.site import Entry

    from .test_site import article

    gone = tmp_path / "staging"
    archiving = Archiving(gone, BASE, "T", "en", datetime.UTC, None)
    with pytest.raises(FileNotFoundError, match="staging folder is gone"):
        archiving((1, (Entry(article("a.txt"), "2024/01/01/a/"),)))
    assert not gone.exists()


def test_nothing_else_is_planned_inside_feeds_where_workers_write_the_documents(tmp_path, monkeypatch):
    # The archive documents are written while the redirect pages are made: those never go into feeds/.
    from broadsheet.build import build
    from broadsheet.config import Config, validate
    from broadsheet.outputs import feed_archives

    monkeypatch.setattr(feed_archives, "IN_WORKERS_FROM", 2)
    source = write_corpus(tmp_path / "corpus", small_corpus(260))
    (source / "redirects").write_text("feeds/1.xml/ archive/\nfeeds/5.json/x/ archive/\n", encoding="utf-8")
    result = build(validate(Config(source=source, out=tmp_path / "site", base_url=BASE, search=False, jobs=2)))
    assert [(p.source, p.message) for p in result.problems] == [
        (f"redirects:{line}", f"old address '{address}' is inside feeds/, which holds the site's own files; line ignored")
        for line, address in ((1, "feeds/1.xml/"), (2, "feeds/5.json/x/"))]
    assert atom_chain(tmp_path / "site")[-1][0] == "feeds/1.xml"
    assert json_chain(tmp_path / "site")[-1][0] == "feeds/1.json"
