"""A site built for a sub-path, served there by a real HTTP server: every page,
link, asset, feed and sitemap entry must answer 200 under /news/."""

from __future__ import annotations

import functools
import http.server
import json
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import feedparser
import pytest

from broadsheet.build import build
from broadsheet.check import check_links
from broadsheet.config import Config, validate

from .conftest import write_corpus
from .html_checks import is_redirect_page
from .test_build import small_corpus

SUB_PATH = "/news/"
PAGEFIND_FILES = ("pagefind-ui.js", "pagefind-ui.css", "pagefind.js", "pagefind-highlight.js")


class StaticHost(http.server.SimpleHTTPRequestHandler):
    """Serves files, and the site's 404.html for a missing address inside it, as static hosts do."""

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / SUB_PATH.strip("/") / "404.html"
        if code != 404 or not self.path.startswith(SUB_PATH) or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def host(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local server for tmp_path/root; yields its address and the folder."""
    root = tmp_path / "root"
    root.mkdir()
    handler = functools.partial(StaticHost, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read()


class References(HTMLParser):
    """Every address a page refers to: links, assets, form targets, the search bundle."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.targets: list[str] = []
        self.bundles: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if tag == "base" and name == "href":
                self.base = value
            elif name in ("href", "src", "action"):
                self.targets.append(value)
            elif name == "data-bundle":
                self.bundles.append(value)

    def resolved(self, page_url: str) -> list[str]:
        base = urljoin(page_url, self.base) if self.base else page_url
        found = [urljoin(base, t) for t in self.targets]
        found += [urljoin(base, bundle + name) for bundle in self.bundles for name in PAGEFIND_FILES]
        return [urldefrag(u).url for u in found]


def references(url: str, kind: str, body: bytes) -> list[str]:
    """The addresses a fetched file leads to, by its kind."""
    if kind == "text/html":
        return References(body.decode("utf-8")).resolved(url)
    if url.endswith("/feed.xml"):
        feed = feedparser.parse(body)
        assert not feed.bozo
        return [link.href for link in feed.feed.links] + [e.link for e in feed.entries]
    if url.endswith("/feed.json"):
        feed = json.loads(body)
        return [feed["home_page_url"], feed["feed_url"]] + [item["url"] for item in feed["items"]]
    if url.endswith(".xml"):  # a sitemap or sitemap index
        return [loc.text for loc in ET.fromstring(body).iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    if url.endswith("/robots.txt"):
        return [line.split(" ", 1)[1] for line in body.decode().splitlines() if line.startswith("Sitemap: ")]
    return []


def crawl(start: list[str]) -> dict[str, int]:
    """Fetch everything reachable from `start` on the same host: address → status."""
    host = urlsplit(start[0]).netloc
    statuses: dict[str, int] = {}
    queue = deque(start)
    while queue:
        url = queue.popleft()
        if url in statuses:
            continue
        status, kind, body = fetch(url)
        statuses[url] = status
        if status == 200:
            queue += [u for u in references(url, kind, body) if urlsplit(u).netloc == host]
    return statuses


def build_under_sub_path(address: str, root: Path, source: Path, **settings) -> Path:
    out = root / SUB_PATH.strip("/")
    build(validate(Config(source=source, out=out, base_url=address + SUB_PATH, **settings)))
    return out


def test_every_page_and_reference_answers_under_a_sub_path(host, tmp_path):
    address, root = host
    source = write_corpus(tmp_path / "corpus", small_corpus(12))
    out = build_under_sub_path(address, root, source, per_page=5, search=True)
    site = address + SUB_PATH
    statuses = crawl([site, site + "robots.txt", site + "sitemap.xml", site + "404.html"])
    failed = {url: status for url, status in statuses.items() if status != 200}
    assert failed == {}
    assert all(urlsplit(url).path.startswith(SUB_PATH) for url in statuses), "a reference left the sub-path"
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*.html") if not is_redirect_page(p)}
    served = {urlsplit(url).path.removeprefix(SUB_PATH) for url in statuses}
    served = {p + "index.html" if p == "" or p.endswith("/") else p for p in served}
    assert on_disk <= served  # every page was reached
    assert {"feed.xml", "feed.json", "assets/site.css", "pagefind/pagefind-ui.js"} <= served
    assert check_links(out) == []


def test_not_found_page_works_at_any_depth_under_a_sub_path(host, tmp_path):
    address, root = host
    source = write_corpus(tmp_path / "corpus", small_corpus(3))
    build_under_sub_path(address, root, source)
    for missing in ("no-such-page", "2099/01/01/gone/", "archive/1999/13/deep/er/"):
        url = address + SUB_PATH + missing
        status, kind, body = fetch(url)
        assert status == 404 and b"Page not found" in body
        page = References(body.decode("utf-8"))
        assert page.base == SUB_PATH
        targets = page.resolved(url)
        assert any(t.endswith("/assets/site.css") for t in targets) and any("/search/" in t for t in targets)
        for target in targets:
            assert urlsplit(target).path.startswith(SUB_PATH), target
            assert fetch(target)[0] == 200, target
