"""`serve`: the built site answered as a static host would, rebuilt as its inputs change.

The site is served at its base path, follows its `_redirects` file (the grammar
that Netlify and Cloudflare Pages read) and answers missing pages with its
404.html, so that what is previewed is what will be hosted.  The source folder,
the templates and the settings file are watched; each change rebuilds the site
(the build's cache makes that quick) and open pages reload.  It is a tool for
writing and previewing, not a production server.
"""

from __future__ import annotations

import contextlib
import http.server
import mimetypes
import os
import queue
import re
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from .cache import folder_for
from .config import Config

REDIRECTS_FILE = "_redirects"  # at the root of the output folder
NOT_FOUND_PAGE = "404.html"
INDEX = "index.html"
PREFIX = "/__broadsheet__/"  # the server's own addresses, at the host root whatever the base path
EVENTS = PREFIX + "events"
RELOAD_SCRIPT = PREFIX + "reload.js"
RELOAD_TAG = f'<script src="{RELOAD_SCRIPT}"></script>'.encode()
# A file, not inline code: a page whose templates set a Content-Security-Policy
# that allows scripts of its own origin runs it too.
RELOAD_JS = (
    'new EventSource("' + EVENTS + '").addEventListener("reload", function () { location.reload(); });\n'
).encode()
KEEP_ALIVE_SECONDS = 15.0  # a comment line this often finds out a page that was closed

REDIRECT_STATUSES = frozenset({301, 302, 307, 308})
CONTENT_STATUSES = frozenset({200, 404, 410})

_TEXT = "; charset=utf-8"
_OCTETS = "application/octet-stream"
# Stated here rather than left to the mimetypes module, whose answers depend on
# the Python version and on the machine's own tables.  Pagefind's index files
# (.pagefind, .pf_*) are compressed by Pagefind itself and unpacked by its
# script: served as plain bytes, never with a Content-Encoding.
CONTENT_TYPES = {
    ".html": "text/html" + _TEXT, ".htm": "text/html" + _TEXT,
    ".css": "text/css" + _TEXT, ".js": "text/javascript" + _TEXT, ".mjs": "text/javascript" + _TEXT,
    ".json": "application/json", ".xml": "application/xml", ".txt": "text/plain" + _TEXT,
    ".webmanifest": "application/manifest+json", ".svg": "image/svg+xml", ".wasm": "application/wasm",
    ".pagefind": _OCTETS, ".pf_meta": _OCTETS, ".pf_index": _OCTETS, ".pf_fragment": _OCTETS,
    ".pf_filter": _OCTETS,
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".avif": "image/avif", ".ico": "image/x-icon",
    ".woff": "font/woff", ".woff2": "font/woff2", ".pdf": "application/pdf",
}


def content_type(name: str) -> str:
    suffix = os.path.splitext(name)[1].lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    # A .gz file is served as what it is: a host would not unpack it either.
    return guessed if guessed and encoding is None else _OCTETS


# ---------------------------------------------------------------------------
# The _redirects file


@dataclass(frozen=True)
class Rule:
    """One line of a `_redirects` file: requests for `source` answer `target`."""

    source: str  # a path from the host root, without the trailing "*" of a splat
    target: str  # a path or an absolute URL; ":splat" stands for what the "*" matched
    status: int
    force: bool  # "!": applies even where a file is
    splat: bool
    line: int


def _match_key(path: str) -> str:
    # Hosts match "/a" and "/a/" alike.
    return path.rstrip("/") or "/"


@dataclass(frozen=True)
class Rules:
    """The rules of a `_redirects` file; the first that matches a path wins."""

    exact: dict[str, Rule] = field(default_factory=dict)  # by _match_key of the unescaped source
    splats: tuple[Rule, ...] = ()

    def match(self, path: str) -> tuple[Rule, str] | None:
        """The rule for an unescaped request path and what its splat matched."""
        found = self.exact.get(_match_key(path))
        for rule in self.splats:
            if found is not None and found.line < rule.line:
                break
            if path.startswith(rule.source):
                return rule, path[len(rule.source):]
            if _match_key(path) == _match_key(rule.source):  # "/news" for "/news/*"
                return rule, ""
        return (found, "") if found is not None else None


def read_rules(text: str, name: str = REDIRECTS_FILE) -> tuple[Rules, list[str]]:
    """The rules of a `_redirects` file and one line for each line that was not understood."""
    exact: dict[str, Rule] = {}
    splats: list[Rule] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        rule, problem = _rule(words, number)
        if problem is not None:
            problems.append(f"warning: {name}:{number}: {problem}; the line is ignored")
        elif rule is not None and rule.splat:
            splats.append(rule)
        elif rule is not None:
            exact.setdefault(_match_key(rule.source), rule)
    return Rules(exact, tuple(splats)), problems


def _rule(words: list[str], number: int) -> tuple[Rule | None, str | None]:
    if len(words) < 2:
        return None, "a rule needs an address and where it leads"
    if len(words) > 3:
        return None, "conditions and query parameters are not supported"
    source, target = words[0], words[1]
    status_word = words[2] if len(words) == 3 else "301"
    force = status_word.endswith("!")
    status_word = status_word.rstrip("!")
    if not status_word.isdigit():
        return None, f"status {words[2]!r} is not a number"
    status = int(status_word)
    if status not in REDIRECT_STATUSES | CONTENT_STATUSES:
        return None, f"status {status} is not one of 200, 301, 302, 307, 308, 404, 410"
    if not source.startswith("/"):
        return None, f"{source!r} is not a path from the host root"
    if status in CONTENT_STATUSES and not target.startswith("/"):
        return None, f"status {status} needs a file of the site, not {target!r}"
    splat = source.endswith("*")
    return Rule(unquote(source.rstrip("*")), target, status, force, splat, number), None


class RulesFile:
    """The rules of a site's `_redirects`, read again whenever the file changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: tuple[Path, int, int, int] | None = None
        self._rules = Rules()

    def rules(self, root: Path) -> Rules:
        path = root / REDIRECTS_FILE
        try:
            info = path.stat()
        except OSError:
            return Rules()
        seen = (path, info.st_size, info.st_mtime_ns, info.st_ino)
        with self._lock:
            if seen != self._seen:
                try:
                    text = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as error:
                    print(f"warning: {path}: cannot be read ({error}); no rules applied", file=sys.stderr)
                    text = ""
                self._rules, problems = read_rules(text, str(path))
                for problem in problems:
                    print(problem, file=sys.stderr)
                self._seen = seen
            return self._rules


# ---------------------------------------------------------------------------
# Answers


@dataclass(frozen=True)
class Site:
    """What is served: an output folder at a base path of the host."""

    root: Path
    base_path: str  # "/" or "/news/"
    record: Path | None = None  # the record of addresses, which each build may write back

    @classmethod
    def of(cls, config: Config) -> Site:
        return cls(config.out, config.base_path, config.record)


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str = "text/plain" + _TEXT
    body: bytes = b""
    file: Path | None = None  # sent as it is, instead of `body`
    location: str | None = None
    html: bool = False  # gets the reload script


class BadRequest(Exception):
    pass


def request_path(target: str) -> tuple[str, str, str]:
    """The request target as (path as sent, with runs of "/" made one; path
    unescaped; query).  Raises BadRequest for a path that steps out ("..") or
    is no path at all."""
    raw, _, query = target.split("#", 1)[0].partition("?")
    if not raw.startswith("/"):
        raw = urlsplit(raw).path  # the absolute form, "http://host/path"
        if not raw.startswith("/"):
            raise BadRequest("not a path")
    # Also keeps "//host/" out of any Location made from the path.
    raw = re.sub("/{2,}", "/", raw)
    path = unquote(raw, errors="surrogateescape")
    parts = path.split("/")
    if "\0" in path or ".." in parts or "." in parts:
        raise BadRequest("a path with '.' or '..' in it")
    return raw, path, query


class Host:
    """Answers requests from the current site; the site can be replaced (a
    rebuild that changed the settings) while it serves."""

    def __init__(self, site: Site) -> None:
        self._site = site
        self._rules = RulesFile()
        self.reloads = Reloads()

    def publish(self, site: Site) -> None:
        """A build finished: serve `site` from now on and reload open pages."""
        self._site = site
        self.reloads.announce()

    def is_output(self, path: Path) -> bool:
        """Whether `path` is written by the build: the site, its cache, its
        staging folders, the record of addresses (and its file on the way)."""
        record = self._site.record
        if record is not None and path.parent.resolve() == record.parent.resolve():
            if path.name == record.name or path.name.startswith(f".{record.name}."):
                return True
        out = self._site.root.resolve()
        try:
            first = path.relative_to(out.parent).parts[0]
        except (ValueError, IndexError):
            return False
        return first in (out.name, folder_for(out).name) or (first.startswith(".broadsheet-") and out.name in first)

    def answer(self, target: str) -> Answer:
        try:
            raw, path, query = request_path(target)
        except BadRequest as error:
            return Answer(400, body=f"bad request: {error}\n".encode())
        site = self._site
        root = _wait_for(site.root)
        if path == "/" and site.base_path != "/":
            return Answer(302, location=site.base_path)
        found = _locate(root, site.base_path, path)
        matched = self._rules.rules(root).match(path)
        if matched is not None and (matched[0].force or found is None):
            return self._follow(root, site, matched[0], matched[1], query)
        if isinstance(found, Path):
            return _file_answer(200, found)
        if found == _NEEDS_SLASH:
            return Answer(301, location=raw + "/" + (f"?{query}" if query else ""))
        return _not_found(root, site)

    def _follow(self, root: Path, site: Site, rule: Rule, splat: str, query: str) -> Answer:
        # Escaped again: what the "*" matched goes into a header.
        target = rule.target.replace(":splat", quote(splat, safe="/!$&'()*+,;=:@~", errors="surrogateescape"))
        if rule.status in REDIRECT_STATUSES:
            if query and "?" not in target:
                target += "?" + query
            return Answer(rule.status, location=target)
        found = _locate(root, site.base_path, unquote(target.partition("?")[0], errors="surrogateescape"))
        if isinstance(found, Path):
            return _file_answer(rule.status, found)
        return _not_found(root, site)


_NEEDS_SLASH = "needs slash"
_HIDDEN = frozenset({REDIRECTS_FILE})  # read by the host, never served


def _wait_for(root: Path) -> Path:
    # A full rebuild swaps the new site in by two renames; between them the
    # folder is briefly missing.
    for _ in range(40):
        if root.is_dir():
            break
        time.sleep(0.025)
    return root


def _locate(root: Path, base_path: str, path: str) -> Path | str | None:
    """The file that answers an unescaped path, _NEEDS_SLASH for a folder asked
    for without its "/", or None.  Nothing outside `root` is ever found."""
    base_path = unquote(base_path)
    if path + "/" == base_path:
        return _NEEDS_SLASH if (root / INDEX).is_file() else None
    if not path.startswith(base_path):
        return None
    relative = path[len(base_path):]
    if relative in _HIDDEN:
        return None
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, relative))
    if real != real_root and not real.startswith(real_root + os.sep):
        return None  # a symbolic link that leads out of the site
    if os.path.isdir(real):
        index = os.path.join(real, INDEX)
        if not os.path.isfile(index):
            return None  # folders are never listed
        return Path(index) if path.endswith("/") else _NEEDS_SLASH
    if os.path.isfile(real) and not path.endswith("/"):
        return Path(real)
    return None


def _file_answer(status: int, file: Path) -> Answer:
    kind = content_type(file.name)
    return Answer(status, kind, file=file, html=kind.startswith("text/html"))


def _not_found(root: Path, site: Site) -> Answer:
    page = root / NOT_FOUND_PAGE
    if page.is_file():
        return _file_answer(404, page)
    return Answer(404, body=b"not found\n")


def inject_reload(html: bytes) -> bytes:
    """`html` with the reload script before its last </body>, or at its end."""
    at = html.lower().rfind(b"</body>")
    if at < 0:
        return html + RELOAD_TAG
    return html[:at] + RELOAD_TAG + html[at:]


# ---------------------------------------------------------------------------
# Reloads


class Reloads:
    """Counts finished builds; pages that listen are told of each."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._count = 0
        self._closed = False

    @property
    def count(self) -> int:
        return self._count

    def announce(self) -> None:
        with self._changed:
            self._count += 1
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int | None:
        """The count once it is past `seen` or `timeout` has passed; None once closed."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed or self._count > seen, timeout)
            return None if self._closed else self._count


# ---------------------------------------------------------------------------
# The HTTP server


class Handler(http.server.BaseHTTPRequestHandler):
    host: Host  # set on the class made for each server
    protocol_version = "HTTP/1.1"
    server_version = "broadsheet"
    sys_version = ""

    def do_GET(self) -> None:
        self._respond(body=True)

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def log_message(self, format: str, *args: object) -> None:
        pass  # a preview for one writer: a line per request would bury the build's own

    def _respond(self, *, body: bool) -> None:
        target = self.path.partition("?")[0]
        if target == EVENTS:
            self._events(body=body)
            return
        if target == RELOAD_SCRIPT:
            self._send(Answer(200, CONTENT_TYPES[".js"], RELOAD_JS), body=body)
            return
        self._send(self.host.answer(self.path), body=body)

    def _send(self, answer: Answer, *, body: bool) -> None:
        data = answer.body
        if answer.file is not None:
            try:
                data = answer.file.read_bytes()
            except OSError:
                answer, data = Answer(404), b"not found\n"
        if answer.html:
            data = inject_reload(data)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(data)))
        # Each rebuild changes files at the same addresses: the browser asks again.
        self.send_header("Cache-Control", "no-cache")
        if answer.location is not None:
            self.send_header("Location", answer.location)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _events(self, *, body: bool) -> None:
        self.close_connection = True  # the stream ends with the connection
        # The builds seen so far, taken before the page hears back: a build that
        # finishes once the stream is open is announced on it.
        reloads = self.host.reloads
        seen = reloads.count
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if not body:
            return
        # A page whose stream broke during a build catches up when it reconnects.
        last = self.headers.get("Last-Event-ID", "")
        if last.isdigit() and int(last) < seen:
            seen = int(last)
        try:
            self.wfile.write(b"retry: 1000\n\n")
            self.wfile.flush()
            while True:
                count = reloads.wait(seen, KEEP_ALIVE_SECONDS)
                if count is None:
                    return
                if count > seen:
                    self.wfile.write(f"id: {count}\nevent: reload\ndata: {count}\n\n".encode())
                    seen = count
                else:
                    self.wfile.write(b": still here\n\n")
                self.wfile.flush()
        except OSError:
            return  # the page was closed


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the browser went away mid-answer
        super().handle_error(request, client_address)


class Server6(Server):
    address_family = socket.AF_INET6


def make_server(host: Host, address: str, port: int) -> Server:
    """A server for `host` on `address`:`port` (0: a free port), not yet serving."""
    class Bound(Handler):
        pass

    Bound.host = host
    return (Server6 if ":" in address else Server)((address, port), Bound)


def address_of(server: Server, base_path: str) -> str:
    host, port = server.server_address[:2]
    host = str(host)
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{base_path}"


# ---------------------------------------------------------------------------
# Watching and rebuilding

Rebuild = Callable[[], Config | None]  # builds and says so; the settings it built with, None if no site was written


@dataclass(frozen=True)
class Inputs:
    """What a build reads: folders (with all below them) and single files."""

    folders: tuple[Path, ...]
    files: tuple[Path, ...]

    @classmethod
    def of(cls, config: Config, settings: Path | None) -> Inputs:
        folders = [config.source]
        if config.templates is not None:
            folders.append(config.templates)
        files = [settings] if settings is not None else []
        if config.logo is not None:
            files.append(config.logo)
        return cls(tuple(f.resolve() for f in folders), tuple(f.resolve() for f in files))


class Rebuilder:
    """Watches the inputs in threads of its own and rebuilds after each batch of changes."""

    def __init__(self, inputs: Inputs, rebuild: Rebuild, host: Host) -> None:
        self._inputs = inputs
        self._rebuild = rebuild
        self._host = host
        self._stop = threading.Event()
        self._changes: queue.Queue[set[Path] | None] = queue.Queue()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        watches: list[tuple[tuple[Path, ...], bool, Callable[[Path], bool]]] = []
        if self._inputs.folders:
            watches.append((self._inputs.folders, True, lambda path: not self._host.is_output(path)))
        # A settings file is watched through its folder, alone: editors save by
        # replacing the file, which ends a watch on the file itself.
        for file in self._inputs.files:
            watches.append(((file.parent,), False, _only(file)))
        for paths, recursive, wanted in watches:
            self._spawn(self._watch, paths, recursive, wanted)
        self._spawn(self._build_loop)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop watching; a rebuild under way is waited for up to `timeout` seconds."""
        self._stop.set()
        self._changes.put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=f"broadsheet-{target.__name__}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _watch(self, paths: tuple[Path, ...], recursive: bool, wanted: Callable[[Path], bool]) -> None:
        import watchfiles  # only here: a build does without it

        ignored = watchfiles.DefaultFilter()

        def keep(change: watchfiles.Change, path: str) -> bool:
            return ignored(change, path) and wanted(Path(path))

        try:
            for changes in watchfiles.watch(*paths, watch_filter=keep, stop_event=self._stop, recursive=recursive,
                                            raise_interrupt=False):
                self._changes.put({Path(path) for _, path in changes})
        except (OSError, RuntimeError) as error:
            if not self._stop.is_set():
                shown = ", ".join(str(p) for p in paths)
                print(f"warning: {shown}: cannot be watched ({error}); changes there are not seen", file=sys.stderr)

    def _build_loop(self) -> None:
        for changed in self._batches():
            names = sorted(str(path) for path in changed)
            more = f" and {len(names) - 1} more" if len(names) > 1 else ""
            print(f"changed: {names[0]}{more}; rebuilding", file=sys.stderr, flush=True)
            try:
                config = self._rebuild()
            except Exception:  # a fault of the build itself: the last site stays served
                if self._stop.is_set():
                    return
                traceback.print_exc()
                config = None
            if config is not None and not self._stop.is_set():
                self._host.publish(Site.of(config))
                if Inputs.of(config, None).folders != self._inputs.folders:
                    print("note: the source or templates folder changed; restart serve to watch the new one",
                          file=sys.stderr)

    def _batches(self) -> Iterator[set[Path]]:
        """The changes seen, gathered while the last rebuild ran."""
        while True:
            first = self._changes.get()
            if first is None:
                return
            changed = set(first)
            while True:
                try:
                    more = self._changes.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    return
                changed |= more
            yield changed


def _only(file: Path) -> Callable[[Path], bool]:
    return lambda path: path == file


def serve(config: Config, rebuild: Rebuild, *, host: str = "127.0.0.1", port: int = 8000,
          settings: Path | None = None) -> int:
    """Serve the site built with `config` until Ctrl-C, rebuilding it as its inputs change."""
    state = Host(Site.of(config))
    try:
        server = make_server(state, host, port)
    except OSError as error:
        print(f"error: cannot serve on {host}:{port}: {error.strerror or error}", file=sys.stderr)
        return 1
    rebuilder = Rebuilder(Inputs.of(config, settings), rebuild, state)
    try:
        # Before the first line: whoever reads it may stop the server at once.
        with _stopped_by_term():
            print(f"serving {config.out} at {address_of(server, config.base_path)} (Ctrl-C to stop)",
                  file=sys.stderr, flush=True)
            rebuilder.start()
            shown = ", ".join(str(path) for path in _watched(Inputs.of(config, settings)))
            print(f"watching {shown}: pages reload after each rebuild", file=sys.stderr, flush=True)
            server.serve_forever()
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr, flush=True)
    finally:
        state.reloads.close()
        rebuilder.stop()
        server.server_close()
    return 0


@contextlib.contextmanager
def _stopped_by_term() -> Iterator[None]:
    """SIGTERM (what `kill`, systemd and `docker stop` send) stops serving as
    Ctrl-C does: the watchers stop and a rebuild under way is waited for a
    while, rather than the process ending where it stands."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread takes signals
        yield
        return

    def interrupt(number: int, frame: object) -> None:
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        # None: a handler set by C code, which Python cannot put back; the default then.
        signal.signal(signal.SIGTERM, before if before is not None else signal.SIG_DFL)


def _watched(inputs: Inputs) -> Iterable[Path]:
    yield from inputs.folders
    yield from inputs.files

