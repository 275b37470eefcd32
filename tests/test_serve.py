"""`serve`: answers as a static host would, and rebuilds and reloads as the inputs change.

The host is tried in this process on a hand-made site; watching runs the real
command in a process of its own on a small corpus.  Every server is on
127.0.0.1 at a free port, every wait is bounded, and every server is stopped.
"""

from __future__ import annotations

import http.client
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from broadsheet.serve import RELOAD_SCRIPT, Host, Site, make_server, read_rules

from .conftest import PROJECT, txt, write_corpus
from .test_redirects import FIRST, second_corpus

REDIRECTS = """\
# written by the build
/news/2023/01/05/old-id/ /news/2024/01/05/old-id/ 301!
/news/2023/01/05/old-id/index.html /news/2024/01/05/old-id/ 301!
/news/2022/02/02/removed/ /news/2022/02/02/removed/index.html 410!
/news/2022/02/02/removed/index.html /news/2022/02/02/removed/index.html 410!
/news/shadowed/ /news/ 301
/news/* /news/404.html 404
"""
TAG = RELOAD_SCRIPT.encode()


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def fetch(port: int, path: str, method: str = "GET") -> Reply:
    """One request, sent as written: no redirect followed, no path cleaned up."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def page(text: str) -> str:
    return f"<!doctype html>\n<html><head><title>{text}</title></head><BODY><p>{text}</p></BODY></html>\n"


def hand_made_site(root: Path, redirects: str | None) -> Path:
    files: dict[str, str | bytes] = {
        "index.html": page("front page"),
        "404.html": page("no page here"),
        "2024/01/05/old-id/index.html": page("the moved story"),
        "2022/02/02/removed/index.html": page("this story was removed"),
        "shadowed/index.html": page("a page a rule does not replace"),
        "café/index.html": page("accented folder"),
        "assets/app.js": "console.log('</body>');\n",
        "assets/empty/.keep": "",
        "data.json": '{"a": 1}\n',
        "logo.svg": '<svg xmlns="http://www.w3.org/2000/svg"></svg>\n',
        "pagefind/pagefind.en_1234.pf_meta": b"\x1f\x8b\x08\x00binary",
        "pagefind/wasm.en.pagefind": b"\x1f\x8b\x08\x00wasm",
        "pagefind/fragment/en_1.pf_fragment": b"\x1f\x8b\x08\x00fragment",
        "module.wasm": b"\0asm\x01\0\0\0",
    }
    if redirects is not None:
        files["_redirects"] = redirects
    return write_corpus(root, files)


@contextmanager
def hosting(root: Path, base_path: str) -> Iterator[tuple[int, Host]]:
    host = Host(Site(root, base_path))
    server = make_server(host, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], host
    finally:
        host.reloads.close()
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.fixture
def news(tmp_path: Path) -> Iterator[tuple[int, Host, Path]]:
    """A site under /news/ with a _redirects file, and a secret beside it."""
    (tmp_path / "secret.txt").write_text("the secret beside the site", encoding="utf-8")
    root = hand_made_site(tmp_path / "site", REDIRECTS)
    (root / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (root / "outside").symlink_to(tmp_path)
    with hosting(root, "/news/") as (port, host):
        yield port, host, root


def test_pages_answer_200_at_the_base_path(news):
    port, _, _ = news
    front = fetch(port, "/news/")
    assert front.status == 200
    assert b"front page" in front.body
    assert front.headers["Content-Type"] == "text/html; charset=utf-8"
    story = fetch(port, "/news/2024/01/05/old-id/")
    assert story.status == 200 and b"the moved story" in story.body
    assert fetch(port, "/news/2024/01/05/old-id/index.html").status == 200


def test_the_host_root_and_the_base_path_without_slash_redirect_to_the_base_path(news):
    port, _, _ = news
    root = fetch(port, "/")
    assert root.status == 302 and root.headers["Location"] == "/news/"
    bare = fetch(port, "/news")
    assert bare.status == 301 and bare.headers["Location"] == "/news/"
    folder = fetch(port, "/news/2024/01/05/old-id?x=1")
    assert folder.status == 301 and folder.headers["Location"] == "/news/2024/01/05/old-id/?x=1"
    # Only the site is served: the rest of the host has nothing.
    assert fetch(port, "/elsewhere/").status == 404


def test_a_moved_address_redirects_with_its_location(news):
    port, _, _ = news
    for old in ("/news/2023/01/05/old-id/", "/news/2023/01/05/old-id/index.html", "/news/2023/01/05/old-id"):
        reply = fetch(port, old)
        assert reply.status == 301, old
        assert reply.headers["Location"] == "/news/2024/01/05/old-id/"
    with_query = fetch(port, "/news/2023/01/05/old-id/?utm=feed")
    assert with_query.headers["Location"] == "/news/2024/01/05/old-id/?utm=feed"


def test_a_gone_address_answers_410_with_the_gone_page(news):
    port, _, root = news
    # Forced: the gone page itself is there, and still answers 410.
    for path in ("/news/2022/02/02/removed/", "/news/2022/02/02/removed/index.html"):
        reply = fetch(port, path)
        assert reply.status == 410, path
        assert b"this story was removed" in reply.body


def test_a_missing_page_answers_404_with_the_sites_404_page(news):
    port, _, _ = news
    for path in ("/news/no/such/page/", "/news/nothing.html", "/news/assets/", "/news/assets/empty/"):
        reply = fetch(port, path)
        assert reply.status == 404, path
        assert b"no page here" in reply.body, path
        assert b"Index of" not in reply.body  # a folder is never listed


def test_a_rule_without_bang_gives_way_to_a_file(news):
    port, _, _ = news
    reply = fetch(port, "/news/shadowed/")
    assert reply.status == 200
    assert b"a page a rule does not replace" in reply.body


def test_the_redirects_file_is_read_not_served(news):
    port, _, _ = news
    reply = fetch(port, "/news/_redirects")
    assert reply.status == 404
    assert b"301!" not in reply.body


def test_without_a_redirects_file_missing_pages_answer_the_404_page(tmp_path):
    root = hand_made_site(tmp_path / "site", None)
    with hosting(root, "/") as (port, _):
        assert fetch(port, "/").status == 200
        missing = fetch(port, "/2023/01/05/nothing/")
        assert missing.status == 404
        assert b"no page here" in missing.body
        assert fetch(port, "/assets/empty/").status == 404


def test_without_a_404_page_a_missing_page_is_a_plain_404(tmp_path):
    root = write_corpus(tmp_path / "site", {"index.html": page("front")})
    with hosting(root, "/") as (port, _):
        reply = fetch(port, "/missing")
        assert reply.status == 404
        assert TAG not in reply.body


@pytest.mark.parametrize("path", [
    "/news/../secret.txt",
    "/news/%2e%2e/secret.txt",
    "/news/%2E%2E%2Fsecret.txt",
    "/news/assets/..%2f..%2fsecret.txt",
    "/news/./../secret.txt",
    "/news/leak.txt",
    "/news/outside/secret.txt",
    "//news/../../secret.txt",
])
def test_nothing_outside_the_output_folder_is_served(news, path):
    port, _, _ = news
    reply = fetch(port, path)
    assert reply.status in (400, 404), path
    assert b"the secret beside the site" not in reply.body


def test_percent_escapes_are_undone(news):
    port, _, _ = news
    reply = fetch(port, "/news/caf%C3%A9/")
    assert reply.status == 200
    assert b"accented folder" in reply.body


@pytest.mark.parametrize(("path", "expected"), [
    ("/news/assets/app.js", "text/javascript; charset=utf-8"),
    ("/news/data.json", "application/json"),
    ("/news/logo.svg", "image/svg+xml"),
    ("/news/module.wasm", "application/wasm"),
    ("/news/pagefind/pagefind.en_1234.pf_meta", "application/octet-stream"),
    ("/news/pagefind/wasm.en.pagefind", "application/octet-stream"),
    ("/news/pagefind/fragment/en_1.pf_fragment", "application/octet-stream"),
])
def test_content_types(news, path, expected):
    port, _, root = news
    reply = fetch(port, path)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == expected
    # Pagefind unpacks its files itself: they go out as they are on disk.
    assert reply.headers["Content-Encoding"] is None
    assert reply.body == (root / path.removeprefix("/news/")).read_bytes()


def test_the_reload_script_is_added_to_html_answers_only(news):
    port, _, root = news
    on_disk = (root / "index.html").read_bytes()
    served = fetch(port, "/news/")
    assert served.body.count(TAG) == 1
    # Before the end of the body, whatever its case.
    assert served.body.index(TAG) < served.body.index(b"</BODY>")
    assert served.body.replace(b'<script src="' + TAG + b'"></script>', b"") == on_disk
    assert (root / "index.html").read_bytes() == on_disk  # never into the built file
    assert TAG in fetch(port, "/news/nothing/").body  # the 404 page is HTML too
    assert TAG in fetch(port, "/news/2022/02/02/removed/").body
    for other in ("/news/assets/app.js", "/news/data.json", "/news/logo.svg"):
        assert TAG not in fetch(port, other).body, other
    script = fetch(port, RELOAD_SCRIPT)
    assert script.status == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert b"EventSource" in script.body and b"location.reload" in script.body


def test_head_answers_the_headers_of_get_without_a_body(news):
    port, _, _ = news
    for path in ("/news/", "/news/assets/app.js", "/news/missing/", "/news/2023/01/05/old-id/"):
        got, head = fetch(port, path), fetch(port, path, method="HEAD")
        assert head.status == got.status, path
        assert head.body == b""
        assert head.headers["Content-Length"] == str(len(got.body))
        assert head.headers["Content-Type"] == got.headers["Content-Type"]
        assert head.headers["Location"] == got.headers["Location"]


class Events:
    """A client of the server-sent events, reading in a thread of its own."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.connection.request("GET", "/__broadsheet__/events")
        self.response = self.connection.getresponse()
        self.reloads: queue.Queue[str] = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for line in self.response:
                if line.startswith(b"event: reload"):
                    self.reloads.put(line.decode())
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        self.connection.close()


def test_listening_pages_are_told_of_each_finished_build(news):
    port, host, root = news
    events = Events(port)
    try:
        assert events.response.status == 200
        assert events.response.headers["Content-Type"] == "text/event-stream"
        host.publish(Site(root, "/news/"))
        assert events.reloads.get(timeout=10).startswith("event: reload")
    finally:
        events.close()


def test_the_output_and_what_the_build_keeps_beside_it_are_not_inputs(tmp_path):
    out = tmp_path / "dist"
    out.mkdir()
    host = Host(Site(out, "/", record=tmp_path / "seeds" / "published.json"))
    assert host.is_output(out / "index.html")
    # The record of addresses, kept here with the articles, is written back by each build.
    assert host.is_output(tmp_path / "seeds" / "published.json")
    assert host.is_output(tmp_path / "seeds" / ".published.json.123.new")
    assert host.is_output(tmp_path / ".dist.cache" / "cache.sqlite")
    assert host.is_output(tmp_path / ".broadsheet-staging-dist-abc" / "a" / "index.html")
    assert not host.is_output(tmp_path / "seeds" / "a.txt")
    assert not host.is_output(tmp_path / "distant" / "a.txt")


def test_the_rules_reader():
    rules, problems = read_rules(
        "# comment\n\n/a/ /b/\n/c/* /d/:splat 302\n/e /f 418\n/g\n/h /i 200 Country=nz\nrel /x 301\n"
        "/gone /410.html 410!\n/s/* https://example.org/:splat 308\n",
        "site/_redirects",
    )
    assert problems == [
        "warning: site/_redirects:5: status 418 is not one of 200, 301, 302, 307, 308, 404, 410; the line is ignored",
        "warning: site/_redirects:6: a rule needs an address and where it leads; the line is ignored",
        "warning: site/_redirects:7: conditions and query parameters are not supported; the line is ignored",
        "warning: site/_redirects:8: 'rel' is not a path from the host root; the line is ignored",
    ]
    a = rules.match("/a")
    assert a is not None and (a[0].target, a[0].status, a[0].force) == ("/b/", 301, False)
    c = rules.match("/c/x/y.html")
    assert c is not None and c[0].status == 302 and c[1] == "x/y.html"
    gone = rules.match("/gone/")
    assert gone is not None and gone[0].force and gone[0].status == 410
    assert rules.match("/nothing") is None


def test_the_first_matching_rule_wins():
    rules, _ = read_rules("/a/* /first 301\n/a/b /second 301\n/a/c /third 301\n/a/* /fourth 301\n")
    assert rules.match("/a/b")[0].target == "/first"  # type: ignore[index]
    rules, _ = read_rules("/a/b /second 301\n/a/* /first 301\n")
    assert rules.match("/a/b")[0].target == "/second"  # type: ignore[index]
    assert rules.match("/a/z")[0].target == "/first"  # type: ignore[index]


def test_a_splat_fills_the_location(news):
    port, _, root = news
    (root / "_redirects").write_text("/news/old/* /news/new/:splat 308\n" + REDIRECTS, encoding="utf-8")
    reply = fetch(port, "/news/old/a/b.html")
    assert reply.status == 308
    assert reply.headers["Location"] == "/news/new/a/b.html"
    escaped = fetch(port, "/news/old/caf%C3%A9%0D%0ASet-Cookie:%20taken=1")
    assert escaped.status == 308
    assert escaped.headers["Location"] == "/news/new/caf%C3%A9%0D%0ASet-Cookie:%20taken=1"
    assert escaped.headers["Set-Cookie"] is None


# ---------------------------------------------------------------------------
# Watching: the real command, in a process of its own


class Serving:
    """`build.py serve` on a free port; its error output is read as it comes."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(PROJECT / "build.py"), "serve", "--port", "0", *args],
            cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            # Ctrl-C as in a terminal, even where the tests were started with it ignored (`&` in a script).
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.lines: list[str] = []
        self._new = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._new:
                self.lines.append(line)
                self._new.notify_all()

    def wait_for(self, pattern: str, *, after: int = 0, timeout: float = 60) -> re.Match[str]:
        """The first line from line number `after` on that matches `pattern`."""
        deadline = time.monotonic() + timeout
        with self._new:
            while True:
                for line in self.lines[after:]:
                    found = re.search(pattern, line)
                    if found:
                        return found
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(self.lines)}")
                self._new.wait(min(left, 0.5))

    def stop(self, by: signal.Signals = signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(by)  # Ctrl-C, by default
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._reader.join(10)
        return self.process.returncode


def poll(check: Callable[[], bool], *, timeout: float, nudge: Callable[[], None] | None = None) -> bool:
    """Whether `check` came true within `timeout` seconds.  `nudge` is called
    every few seconds meanwhile: a file written before the watcher had settled
    is written again."""
    deadline = time.monotonic() + timeout
    next_nudge = time.monotonic() + 5
    while time.monotonic() < deadline:
        if check():
            return True
        if nudge is not None and time.monotonic() > next_nudge:
            nudge()
            next_nudge = time.monotonic() + 5
        time.sleep(0.1)
    return check()


def test_serve_rebuilds_on_a_change_reloads_pages_and_keeps_the_last_site_when_a_build_fails(tmp_path):
    source = write_corpus(tmp_path / "src", {
        "first.txt": txt("2024-01-01", "The first story of the harbour."),
        "second.txt": txt("2024-01-02", "The second story of the harbour."),
    })
    templates = tmp_path / "templates"
    templates.mkdir()
    serving = Serving(["--no-search", "--source", str(source), "--out", str(tmp_path / "out"),
                       "--templates", str(templates), "--base-url", "https://example.org/news/"], tmp_path)
    events: Events | None = None
    try:
        address = serving.wait_for(r"at http://127\.0\.0\.1:(\d+)(/news/)")
        port = int(address.group(1))
        serving.wait_for(r"^watching ")
        assert fetch(port, "/news/2024/01/02/second/").status == 200
        assert fetch(port, "/").headers["Location"] == "/news/"
        events = Events(port)
        assert events.response.status == 200

        new_page = "/news/2024/02/03/third/"
        assert fetch(port, new_page).status == 404

        def add() -> None:
            (source / "third.txt").write_text(txt("2024-02-03", "A third story, added while serving."),
                                              encoding="utf-8")

        add()
        assert poll(lambda: fetch(port, new_page).status == 200, timeout=30, nudge=add), "".join(serving.lines)
        assert events.reloads.get(timeout=30).startswith("event: reload")
        assert b"A third story, added while serving." in fetch(port, new_page).body
        # The rebuild started from the cache of the first build.
        serving.wait_for(r"built 3 articles .* rendered again")

        seen = len(serving.lines)
        (templates / "article.html").write_text("{% extends 'base.html' %}{% block main %}{% if %}{% endblock %}\n",
                                                encoding="utf-8")
        serving.wait_for(r"^error: template error", after=seen, timeout=30)
        kept = fetch(port, new_page)
        assert kept.status == 200
        assert b"A third story, added while serving." in kept.body
        assert fetch(port, "/news/").status == 200
        assert events.reloads.empty()  # a failed build reloads nothing
    finally:
        if events is not None:
            events.close()
        code = serving.stop()
    assert code == 0, "".join(serving.lines)
    assert "Traceback" not in "".join(serving.lines)


def test_serve_listens_where_host_says_and_reports_a_port_in_use(tmp_path):
    source = write_corpus(tmp_path / "src", {"a.txt": txt("2023-01-01", "A story.")})
    first = Serving(["--no-search", "--source", str(source), "--out", str(tmp_path / "out"),
                     "--host", "127.0.0.2"], tmp_path)
    try:
        port = int(first.wait_for(r"at http://127\.0\.0\.2:(\d+)/").group(1))
        connection = http.client.HTTPConnection("127.0.0.2", port, timeout=10)
        connection.request("GET", "/2023/01/01/a/")
        assert connection.getresponse().status == 200
        connection.close()
        taken = subprocess.run(
            [sys.executable, str(PROJECT / "build.py"), "serve", "--host", "127.0.0.2", "--port", str(port),
             "--no-search", "--source", str(source), "--out", str(tmp_path / "out2")],
            cwd=tmp_path, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )
        assert taken.returncode == 1
        assert f"error: cannot serve on 127.0.0.2:{port}" in taken.stderr
    finally:
        assert first.stop() == 0


def test_serve_stops_cleanly_on_sigterm(tmp_path):
    source = write_corpus(tmp_path / "src", {"a.txt": txt("2023-01-01", "A story.")})
    served = Serving(["--no-search", "--source", str(source), "--out", str(tmp_path / "out")], tmp_path)
    served.wait_for(r"watching ")
    assert served.stop(by=signal.SIGTERM) == 0  # not -15: it stopped as Ctrl-C stops it
    assert served.lines[-1] == "stopping\n"
    assert (tmp_path / "out" / "index.html").is_file()


def test_a_built_site_answers_its_moves_its_removals_and_its_folders(corpus, build_site):
    source = corpus(FIRST)
    build_site(source, base_url="https://example.org/news/")
    second_corpus(source)
    _, out = build_site(source, base_url="https://example.org/news/")
    with hosting(out, "/news/") as (port, _):
        for old, new in [("2023/01/05/redated/", "2023/01/09/redated/"), ("2023/01/", "archive/2023/01/"),
                         ("2023/01/09/", "archive/2023/01/"), ("2023/", "archive/2023/")]:
            moved = fetch(port, "/news/" + old)
            assert (moved.status, moved.headers["Location"]) == (301, "/news/" + new), old
        gone = fetch(port, "/news/2023/02/05/removed/")
        assert gone.status == 410 and b"removed" in gone.body
        missing = fetch(port, "/news/2023/02/05/never/")
        assert missing.status == 404 and missing.body.startswith((out / "404.html").read_bytes()[:40])
