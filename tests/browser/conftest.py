"""Real-browser tests: Debian's Chromium driven by Playwright, over http and file://.

One browser serves the whole session.  A small corpus (a dozen articles over two
years, each with a word of its own) is built with search on and a small page
size, under a sub-path (`/news/`) of a local server; the seed article is built
beside it (`/seed/`).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from broadsheet.build import build
from broadsheet.config import Config, validate

from ..conftest import PROJECT, SEEDS, txt, write_corpus

CHROMIUM = Path(os.environ.get("BROADSHEET_CHROMIUM", "/usr/bin/chromium"))
# Background networking off: the tests run without internet, and must not wait on it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of this folder is marked `browser`, so that `-m "not browser"` leaves them out."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


SCREENSHOTS = PROJECT / "test-artifacts" / "screenshots"
# axe-core comes from the npm registry into this git-ignored folder (see .ci/run).
AXE_CACHE = PROJECT / ".cache" / "axe-core"
AXE_SCRIPT = AXE_CACHE / "node_modules" / "axe-core" / "axe.min.js"
PER_PAGE = 5
# Search bundles of at most four articles: the search page merges several, as it
# does for a large archive, and every search test goes through the merge.
SHARD_PAGES = 4
SUB_PATH = "news/"


@dataclass(frozen=True)
class Story:
    """One article of the test corpus and the word that only it contains."""

    name: str
    date: str
    word: str
    paragraphs: tuple[str, ...]


def _story(name: str, date: str, word: str, place: str) -> Story:
    return Story(
        name=name,
        date=date,
        word=word,
        paragraphs=(
            f"Residents of {place} gathered on Monday to hear the council's plans for the coming year.",
            f"The meeting turned to the {word}, which several speakers said had been neglected for a decade. "
            f"Officials promised a report on the {word} before the summer recess.",
            "A second session is planned for next month, when the budget will be put to a vote. "
            "Councillors said they expected a long debate and a close result.",
        ),
    )


# Four articles, two in each year, share HARBOUR: for the year filter and the sort order.
HARBOUR = "harbour"
STORIES = (
    _story("a01", "2023-01-12", "zeppelin", "Ashford"),
    _story("a02", "2023-03-08", "marmalade", "Bexley"),
    _story("a03", "2023-05-21", "quokka", "Carlow"),
    _story("a04", "2023-07-02", "obsidian", "Dunmore"),
    _story("a05", "2023-09-17", "harpsichord", "Elmstead"),
    _story("a06", "2023-11-30", "tangerine", "Fairlie"),
    _story("a07", "2024-02-14", "glacier", "Glenrothes"),
    _story("a08", "2024-04-03", "saxophone", "Hexham"),
    _story("a09", "2024-06-25", "lighthouse", "Ilkley"),
    _story("a10", "2024-08-09", "origami", "Jarrow"),
    _story("a11", "2024-10-19", "volcano", "Kelso"),
    _story("a12", "2024-12-05", "kaleidoscope", "Lanark"),
)
HARBOUR_STORIES = ("a01", "a04", "a08", "a11")


def corpus_files() -> dict[str, str]:
    files = {}
    for story in STORIES:
        paragraphs = list(story.paragraphs)
        if story.name in HARBOUR_STORIES:
            paragraphs[2] += f" The {HARBOUR} wall will be repaired first."
        files[f"{story.date[:4]}/{story.name}.txt"] = txt(story.date, *paragraphs)
    return files


@dataclass(frozen=True)
class BuiltArticle:
    """An article as the built site lists it in articles.json."""

    id: str
    title: str
    date: str
    url: str  # relative to the site root, ends in "/"


@dataclass(frozen=True)
class BuiltSite:
    folder: Path
    articles: tuple[BuiltArticle, ...]  # newest first

    def article(self, name: str) -> BuiltArticle:
        return next(a for a in self.articles if a.id == name)


def _build(source: Path, out: Path, **settings) -> BuiltSite:
    result = build(validate(Config(source=source, out=out, **settings)))
    assert result.problems == [], result.problems
    listed = json.loads((out / "articles.json").read_text(encoding="utf-8"))["articles"]
    articles = tuple(BuiltArticle(a["id"], a["title"], a["date"], a["url"]) for a in listed)
    return BuiltSite(out, tuple(sorted(articles, key=lambda a: a.date, reverse=True)))


@pytest.fixture(scope="session")
def www(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the local server serves: the test site under news/, the seed under seed/."""
    return tmp_path_factory.mktemp("www")


@pytest.fixture(scope="session")
def news(www: Path, tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    source = write_corpus(tmp_path_factory.mktemp("corpus"), corpus_files())
    return _build(
        source, www / SUB_PATH.rstrip("/"), per_page=PER_PAGE, search=True, search_shard_pages=SHARD_PAGES,
        site_title="The Test Gazette", base_url="https://example.org/" + SUB_PATH,
    )


@pytest.fixture(scope="session")
def seed(www: Path) -> BuiltSite:
    return _build(SEEDS, www / "seed", search=True)


class _Host(http.server.SimpleHTTPRequestHandler):
    """Serves files, and for a missing address the nearest 404.html above it, as
    static hosts do; notes every request and its status in `served`."""

    served: list[tuple[str, int]]

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = self._not_found_page() if code == 404 else None
        if page is None:
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _not_found_page(self) -> Path | None:
        root = Path(self.directory)
        folder = Path(self.translate_path(self.path))
        while folder != root and root in folder.parents:
            folder = folder.parent
            if (folder / "404.html").is_file():
                return folder / "404.html"
        return None

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.served.append((self.path, code if isinstance(code, int) else 0))

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a browser that closes a page mid-request is no failure of the site


@pytest.fixture(scope="session")
def served() -> list[tuple[str, int]]:
    """The requests the server answered, in order: (path, status)."""
    return []


@contextlib.contextmanager
def serving(folder: Path, served: list[tuple[str, int]]) -> Iterator[str]:
    """http://127.0.0.1:<free port>/ serving `folder` as a host does, in a thread."""
    handler = functools.partial(type("Host", (_Host,), {"served": served}), directory=str(folder))
    httpd = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture(scope="session")
def server(www: Path, news: BuiltSite, seed: BuiltSite, served: list[tuple[str, int]]) -> Iterator[str]:
    """The local server of `www`."""
    with serving(www, served) as address:
        yield address


@pytest.fixture(scope="session")
def news_url(server: str) -> str:
    return server + SUB_PATH


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set BROADSHEET_CHROMIUM)")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Tab:
    """A page in a fresh browser context, with the errors it reported."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def note(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url', '')})")


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[Callable[..., Tab]]:
    """Open a page in a new context: open_tab(width=1280, height=900, color_scheme="light")."""
    contexts = []

    def make(width: int = 1280, height: int = 900, color_scheme: str = "light") -> Tab:
        context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=color_scheme)
        context.set_default_timeout(10_000)
        contexts.append(context)
        tab = Tab(context.new_page())
        tab.page.on("console", tab.note)
        tab.page.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))
        return tab

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def tab(open_tab: Callable[..., Tab]) -> Tab:
    return open_tab()


@pytest.fixture
def page(tab: Tab) -> Page:
    return tab.page


def axe_script() -> Path | None:
    """axe.min.js from the cache folder, fetched with npm when missing and npm is there."""
    override = os.environ.get("AXE_CORE_JS")
    if override:
        return Path(override) if Path(override).is_file() else None
    if not AXE_SCRIPT.is_file() and shutil.which("npm"):
        subprocess.run(
            ["npm", "install", "--prefix", str(AXE_CACHE), "--no-audit", "--no-fund", "--silent",
             "--fetch-retries=1", "--fetch-timeout=30000", "axe-core@4"],
            capture_output=True, check=False, timeout=300,
        )
    return AXE_SCRIPT if AXE_SCRIPT.is_file() else None


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
