"""The ZIM file of --zim: read back with libzim's reader, searched with its
searcher and suggestions, and served by Kiwix's own kiwix-serve."""

from __future__ import annotations

import gc
import http.client
import os
import posixpath
import random
import re
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
from libzim.reader import Archive
from libzim.search import Query, Searcher
from libzim.suggestion import SuggestionSearcher

from broadsheet import favicon
from broadsheet.build import build
from broadsheet.cli import main
from broadsheet.config import Config, ConfigError, validate
from broadsheet.outputs import zim, zim_file

from .conftest import SEED_FILE, write_corpus
from .image_files import png

SEED_ARTICLE = "2023/11/11/18c9c60748474e6b/index.html"
SEED_TITLE = "The Biden administration is calling on Israel to reevaluate its plans"


def md(title: str, date: str, body: str, **front: str) -> str:
    lines = [f"title: {title}", f"date: {date}", *(f"{key}: {value}" for key, value in front.items())]
    return "---\n" + "\n".join(lines) + "\n---\n\n" + body + "\n"


# Each article has a word of its own in its text ("lighthouse", "quarry"…);
# "Harbourmaster" is only an author's name, in bylines and author pages.
SMALL = {
    "one.md": md("Storm closes the lighthouse", "2024-01-02", "The lighthouse keeper left at dawn.\n\nMore.",
                 author="Harbourmaster Ode", tags="[weather, coast]", image="lamp.png", image_alt="The lamp"),
    "two.md": md("Quarry reopens", "2024-01-03", "The quarry reopened after ten years.", author="Ann Lee",
                 tags="[work]"),
    "three.md": md("Ferry timetable changes", "2024-02-04", "The ferry now leaves twice a day.",
                   author="Harbourmaster Ode"),
    "lamp.png": png(4, 4),
}


def small_corpus(folder: Path) -> Path:
    return write_corpus(folder, SMALL)


def entries(archive: Archive) -> Iterator[tuple[str, bool, str, bytes]]:
    """Every entry but metadata and indexes: path, whether a redirect, its
    target or its mime type, and its content."""
    for i in range(archive.all_entry_count):
        entry = archive._get_entry_by_id(i)
        if entry.is_redirect:
            yield entry.path, True, entry.get_redirect_entry().path, b""
        elif "/" in entry.path or "." in entry.path:  # not a metadata entry (Title, Counter…)
            item = entry.get_item()
            yield entry.path, False, item.mimetype, bytes(item.content)


def found(archive: Archive, words: str) -> list[str]:
    search = Searcher(archive).search(Query().set_query(words))
    return list(search.getResults(0, 50))


def suggested(archive: Archive, words: str) -> list[str]:
    return list(SuggestionSearcher(archive).suggest(words).getResults(0, 50))


def zim_build(source: Path, out: Path, target: Path, **settings: object):
    settings.setdefault("search", False)
    return build(validate(Config(source=source, out=out, zim=target, **settings)))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def seeds_zim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("seeds-zim")
    result = zim_build(SEED_FILE.parent, folder / "site", folder / "seeds.zim", search=True)
    assert not result.problems
    assert any(re.fullmatch(r"wrote .*seeds\.zim: 1 article, 0\.\d MB", note) for note in result.notes), result.notes
    return folder / "seeds.zim"


def test_the_home_page_is_the_main_entry_and_the_article_is_at_its_file(seeds_zim):
    archive = Archive(seeds_zim)
    assert archive.main_entry.get_item().path == "index.html"
    article = archive.get_entry_by_path(SEED_ARTICLE)
    assert article.title.startswith(SEED_TITLE)
    page = bytes(article.get_item().content).decode()
    assert "Hamas’ extensive network of tunnels" in page and f"<h1>{article.title}</h1>" in page
    # The folder address, as the site's permanent link is written, leads to the file.
    folder = archive.get_entry_by_path(SEED_ARTICLE.removesuffix("index.html"))
    assert folder.is_redirect and folder.get_redirect_entry().path == SEED_ARTICLE


def test_nothing_needs_a_script_pagefind_or_the_feeds(seeds_zim):
    archive = Archive(seeds_zim)
    paths = set()
    for path, _redirect, kind, content in entries(archive):
        paths.add(path)
        assert b"<script" not in content.lower(), path
        assert not path.endswith(".js") and not path.startswith(("pagefind", "search")), path
        if kind == "text/html":
            assert b"search/index.html" not in content and b'role="search"' not in content, path
            assert b"data-pagefind" not in content and b"feed.xml" not in content, path
    assert {"assets/site.css", "favicon.ico", "assets/favicon-32.png", "archive/index.html"} <= paths
    assert "404.html" not in paths


def test_the_metadata_say_what_the_archive_is(seeds_zim):
    archive = Archive(seeds_zim)
    values = {key: archive.get_metadata(key).decode() for key in archive.metadata_keys if key != "Illustration_48x48@1"}
    assert values["Title"] == values["Creator"] == values["Publisher"] == "News Archive"
    assert values["Language"] == "eng"
    assert values["Date"] == "2023-11-11"  # the newest article's, whatever the day of the build
    assert values["Name"] == "news-archive_en_all"
    assert values["Description"] == "Every article of News Archive, by year and month."
    assert "_ftindex:yes" in values["Tags"].split(";")
    assert archive.has_illustration(48)
    assert favicon.png_size(bytes(archive.get_illustration_item(48).content)) == (48, 48)
    assert archive.has_fulltext_index and archive.has_title_index


def test_search_finds_an_article_by_its_text_and_suggestions_by_its_title(seeds_zim):
    archive = Archive(seeds_zim)
    assert found(archive, "tunnels") == [SEED_ARTICLE]
    assert suggested(archive, "Biden administration") == [SEED_ARTICLE]
    # The date is in the article's byline, "Archive" in every page's navigation: neither is indexed.
    assert "November" not in SEED_FILE.read_text(encoding="utf-8")
    assert found(archive, "November") == []
    assert found(archive, "Archive") == []


def links(page: str) -> list[str]:
    return [unquote(link.split("#")[0]) for link in re.findall(r'(?:href|src)="([^"]*)"', page)
            if not link.startswith(("#", "http:", "https:", "mailto:"))]


def resolved(archive: Archive, path: str) -> str | None:
    """The entry at `path`, after its redirects; None when there is none."""
    if not archive.has_entry_by_path(path):
        return None
    entry = archive.get_entry_by_path(path)
    while entry.is_redirect:
        entry = entry.get_redirect_entry()
    return entry.path


def test_every_link_of_every_page_leads_to_an_entry(tmp_path):
    source = small_corpus(tmp_path / "corpus")
    result = zim_build(source, tmp_path / "site", tmp_path / "small.zim", search=True)
    assert not result.problems
    archive = Archive(tmp_path / "small.zim")
    pages = [(path, content.decode()) for path, redirect, kind, content in entries(archive) if kind == "text/html"]
    assert {"authors/harbourmaster-ode/index.html", "tags/coast/index.html", "archive/2024/01/index.html"} <= {
        path for path, _ in pages}
    checked = 0
    for path, page in pages:
        for link in links(page):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), link))
            assert resolved(archive, target) is not None, f"{path} links to {link}, which is not in the file"
            checked += 1
    assert checked > 100
    lamp = archive.get_entry_by_path("2024/01/02/one/lamp.png").get_item()
    assert (lamp.mimetype, bytes(lamp.content)) == ("image/png", SMALL["lamp.png"])
    # Only articles are searched and suggested: the author's name is in bylines and on listing pages only.
    assert found(archive, "quarry") == ["2024/01/03/two/index.html"]
    assert suggested(archive, "ferry") == ["2024/02/04/three/index.html"]
    assert found(archive, "Harbourmaster") == []
    assert archive.article_count == 3  # the front articles: listings are not offered as articles


def test_a_moved_article_is_found_at_its_old_address_too(tmp_path):
    source = small_corpus(tmp_path / "corpus")
    zim_build(source, tmp_path / "site", tmp_path / "small.zim")
    first_id = Archive(tmp_path / "small.zim").uuid
    (source / "two.md").write_text(SMALL["two.md"].replace("2024-01-03", "2024-01-09"), encoding="utf-8")
    result = zim_build(source, tmp_path / "site", tmp_path / "small.zim")
    assert result.moved == 1
    archive = Archive(tmp_path / "small.zim")
    assert archive.uuid != first_id  # made from the content, which changed
    for old in ("2024/01/03/two/index.html", "2024/01/03/two/"):
        assert resolved(archive, old) == "2024/01/09/two/index.html"


def test_the_same_articles_make_the_same_file(tmp_path):
    source = small_corpus(tmp_path / "corpus")
    zim_build(source, tmp_path / "one", tmp_path / "one.zim", jobs=1)
    zim_build(source, tmp_path / "two", tmp_path / "two.zim", jobs=1)
    zim_build(source, tmp_path / "two", tmp_path / "again.zim", jobs=1)  # a rebuild, which keeps every page
    first = (tmp_path / "one.zim").read_bytes()
    assert first == (tmp_path / "two.zim").read_bytes() == (tmp_path / "again.zim").read_bytes()
    assert Archive(tmp_path / "one.zim").check()  # the checksum made again after the ids are settled
    # However many processes the build has, and so threads writing the ZIM.
    zim_build(source, tmp_path / "three", tmp_path / "three.zim", jobs=2)
    assert (tmp_path / "three.zim").read_bytes() == first


def test_the_ids_are_settled_from_pieces_of_the_file(tmp_path, monkeypatch):
    # The file is read in pieces, not held (gigabytes for a large archive): pieces so
    # small that the indexes' heads fall across them give the same bytes.
    pages = [zim.Entry(f"a/{n}.html", f"Article {n}", "text/html", f"<p>Text {n}.</p>".encode(),
                       indexed=f"Article {n}\n\nText number {n}.", words=3) for n in range(50)]

    def written(name: str) -> bytes:
        zim.write_archive(tmp_path / name, pages, [], main="a/0.html", metadata={"Title": "T"}, illustration=None,
                          language="eng")
        return (tmp_path / name).read_bytes()

    whole = written("whole.zim")
    for piece in (4096, 97, 31):
        monkeypatch.setattr(zim_file, "_PIECE", piece)
        assert written(f"{piece}.zim") == whole, piece
    assert Archive(tmp_path / "31.zim").check() and found(Archive(tmp_path / "31.zim"), "number") != []


def clusters(path: Path) -> list[tuple[int, int, int]]:
    """Each cluster of the ZIM file, read by the format's own description
    (openZIM's): its place, its size in the file and its compression (1 none, 5 zstd)."""
    data = path.read_bytes()
    count, = struct.unpack_from("<I", data, 28)
    entry_list, cluster_list = struct.unpack_from("<Q", data, 32)[0], struct.unpack_from("<Q", data, 48)[0]
    entries = struct.unpack_from(f"<{struct.unpack_from('<I', data, 24)[0]}Q", data, entry_list)
    places = [*struct.unpack_from(f"<{count}Q", data, cluster_list), min(entries)]
    return [(start, end - start, data[start] & 0x0F) for start, end in zip(places, places[1:], strict=False)]


def test_clusters_are_compressed_but_the_indexes_and_what_does_not_shrink(tmp_path):
    rng = random.Random(3)
    words = ["".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3)) for _ in range(2000)]
    noise = rng.randbytes(3 * zim.CLUSTER_SIZE // 2)  # an image that no compression shortens
    pages = [zim.Entry("i/noise.png", "", "image/png", noise)]
    pages += [zim.Entry(f"a/{n}.html", f"Article {n}", "text/html", f"<p>{' '.join(rng.choices(words, k=900))}</p>".encode(),
                        indexed=f"Article {n}\n\n{' '.join(rng.choices(words, k=300))}", words=300)
              for n in range(400)]

    def written(name: str, level: int) -> Path:
        zim.write_archive(tmp_path / name, pages, [], main="a/0.html", metadata={"Title": "T"}, illustration=None,
                          language="eng", workers=2, level=level)
        return tmp_path / name

    fast, small = written("fast.zim", 1), written("small.zim", 19)
    assert small.stat().st_size < fast.stat().st_size
    for path in (fast, small):
        archive = Archive(path)
        assert archive.check()
        given = {e.path: e.content for e in pages}
        assert {p: content for p, _, _, content in entries(archive) if p in given} == given
        assert found(archive, words[5]) and suggested(archive, "Article 12")  # both indexes read where they are
        assert [kind for _, _, kind in clusters(path)].count(5) >= 3  # the pages'
        # Stored as they are: the noise, and the two indexes (Xapian reads them in place).
        assert [kind for _, size, kind in clusters(path) if size > zim.CLUSTER_SIZE] == [1]
        data = path.read_bytes()
        indexes = [m.start() for m in re.finditer(re.escape(b"Xapian Glass"), data)]
        assert len(indexes) == 2
        assert [kind for start, size, kind in clusters(path) for at in indexes if start <= at < start + size] == [1, 1]


def test_a_file_not_laid_out_as_expected_is_an_error_and_left_as_it_was(tmp_path, monkeypatch):
    pages = [zim.Entry(f"a/{n}.html", f"A {n}", "text/html", b"<p>x</p>" * 200) for n in range(20)]
    zim.write_archive(tmp_path / "one.zim", pages, [], main="a/0.html", metadata={"Title": "T"}, illustration=None,
                      language="eng")
    target = tmp_path / "one.zim"
    before = target.read_bytes()
    data = bytearray(before)
    data[48:56] = struct.pack("<Q", struct.unpack_from("<Q", data, 48)[0] - 8)  # the list of clusters moved
    target.write_bytes(bytes(data))
    monkeypatch.setattr(zim_file, "_index_heads", lambda path: [])  # what libzim would refuse to open
    with pytest.raises(RuntimeError, match="not laid out"):
        zim_file.finish(target, 12)
    assert target.read_bytes() == bytes(data)


def test_threads_that_compress_and_index_side_by_side_make_the_same_file(tmp_path):
    # Enough articles for libzim's threads to finish them out of turn, and
    # clusters to compress while articles are indexed (without the articles
    # taking turns in the index, each of these files differs from the others).
    rng = random.Random(5)
    words = ["".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3)) for _ in range(3000)]
    pages = [zim.Entry(f"a/{n}.html", f"Article {n}", "text/html",
                       f"<p>{' '.join(rng.choices(words, k=400))}</p>".encode(),
                       indexed=f"Article {n}\n\n{' '.join(rng.choices(words, k=400))}", words=400)
             for n in range(600)]

    def written(name: str, workers: int) -> bytes:
        zim.write_archive(tmp_path / name, pages, [], main="a/0.html", metadata={"Title": "T"}, illustration=None,
                          language="eng", workers=workers)
        return (tmp_path / name).read_bytes()

    one = written("one.zim", 1)
    assert written("four.zim", 4) == one and written("again.zim", 4) == one
    assert found(Archive(tmp_path / "four.zim"), words[0])  # and it is searched


ILLUSTRATION_AFTER_A_FULL_CLUSTER = """
import random, sys
from pathlib import Path
from broadsheet.outputs import zim
from tests.image_files import png
rng = random.Random(1)
words = ["".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3)) for _ in range(5000)]
icon = png(48, 48)
entries = [zim.Entry("i/big.png", "", "image/png", rng.randbytes(zim.CLUSTER_SIZE - len(icon) // 2))]
entries += [zim.Entry(f"l/{i}.html", f"L {i}", "text/html", f"<p>{' '.join(rng.choices(words, k=40000))}</p>".encode())
            for i in range(60)]
zim.write_archive(Path(sys.argv[1]), entries, [], main="l/0.html", metadata={"Title": "T"}, illustration=icon,
                  language="eng", workers=2)
"""


def test_an_illustration_that_would_fill_a_cluster_does_not_stop_the_writing(tmp_path):
    # Added last, the illustration filled the cluster of uncompressed images while Python's lock
    # was held, and libzim waited for its threads, which waited for that lock: the build hung.
    # In a process of its own, so that a hang fails the test instead of the whole run.
    done = subprocess.run([sys.executable, "-c", ILLUSTRATION_AFTER_A_FULL_CLUSTER, str(tmp_path / "x.zim")],
                          cwd=Path(__file__).parent.parent, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert Archive(tmp_path / "x.zim").has_illustration(48)


A_FILE_TOO_LARGE = """
import gc, os, random, resource, signal, sys
from pathlib import Path
from broadsheet.outputs import zim
folder = Path(sys.argv[1])
zim.Writing.STALLED = 3.0
# A file system that takes no more than 2 MB a file, as a full disk takes nothing more.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
_, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
rng = random.Random(1)
words = ["".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3)) for _ in range(5000)]

def held() -> int:
    # The bytes of files removed from the folder but still open: a disk kept full.
    total = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            path = os.path.join("/proc/self/fd", fd)
            if os.readlink(path).startswith(str(folder)) and os.readlink(path).endswith("(deleted)"):
                total += os.stat(path).st_size
        except FileNotFoundError:  # the listing's own
            pass
    return total

# Articles that fill the disk, then a file the disk has room for, in the same process.
articles, workers = int(sys.argv[2]), int(sys.argv[3])
for articles, workers, limit in ((articles, workers, 2_000_000), (20, 2, hard)):
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    entries = (zim.Entry(f"l/{i}.html", f"L {i}", "text/html", " ".join(rng.choices(words, k=4000)).encode(),
                         indexed=" ".join(rng.choices(words, k=300)), words=300) for i in range(articles))
    try:
        zim.write_archive(folder / "x.zim", entries, [], main="l/0.html", metadata={"Title": "T"},
                          illustration=None, language="eng", workers=workers)
        print(articles, workers, "written")
    except RuntimeError as error:
        # The writer's process ended with it: no file of the folder is held open (a disk kept full).
        print(articles, workers, zim._reason(error), sorted(p.name for p in folder.iterdir()), held())
    gc.collect()
print("done")
"""


def test_a_disk_that_fills_is_an_error_and_no_hang(tmp_path):
    # libzim's threads stopped on the write error, and the call adding an article (or
    # finishing the file) waited for them for good, as did the writer's destructor.
    # Enough articles to fill it while they are added, and (345) while the file is finished.
    for n, (articles, workers) in enumerate(((1500, 4), (1500, 1), (345, 4), (345, 4))):
        (tmp_path / f"out{n}").mkdir()
        done = subprocess.run([sys.executable, "-c", A_FILE_TOO_LARGE, str(tmp_path / f"out{n}"), str(articles),
                               str(workers)], cwd=Path(__file__).parent.parent, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        # libzim counts its tasks for the whole process: after a writer in error in the build's
        # own process, the next one waited for the tasks that writer never ended.  Each is a process.
        assert done.stdout.splitlines() == [f"{articles} {workers} File too large [] 0", "20 2 written", "done"]


def test_the_watch_sees_a_thread_start_and_end():
    # The watch knows libzim's threads as those that started with its writer, and
    # gives up when one of them is gone: the list must show threads as they come and go.
    import threading

    go = threading.Event()
    thread = threading.Thread(target=go.wait)
    before = zim._thread_ids()
    thread.start()
    during = zim._thread_ids()
    go.set()
    thread.join()
    # join returns once Python is done with the thread; the system may list it a moment longer.
    deadline = time.monotonic() + 10
    after = zim._thread_ids()
    while after is not None and thread.native_id in after and time.monotonic() < deadline:
        time.sleep(0.01)
        after = zim._thread_ids()
    assert before is not None and during is not None and after is not None
    # (Threads that earlier tests left may come and go meanwhile.)
    assert thread.native_id in during - before
    assert thread.native_id not in after and threading.get_native_id() in after


def test_an_interrupted_write_leaves_no_part_and_no_thread(tmp_path):
    def interrupted() -> Iterator[zim.Entry]:
        for n in range(400):
            if n == 200:
                raise KeyboardInterrupt  # Ctrl-C, as the build reads the pages
            yield zim.Entry(f"a/{n}.html", f"A {n}", "text/html", f"<p>{n}</p>".encode() * 500,
                            indexed=f"A {n}\n\nText {n}.", words=2)

    threads = len(os.listdir("/proc/self/task"))
    with pytest.raises(KeyboardInterrupt):
        zim.write_archive(tmp_path / "x.zim", interrupted(), [], main="a/0.html", metadata={"Title": "T"},
                          illustration=None, language="eng", workers=2)
    assert list(tmp_path.iterdir()) == []
    gc.collect()
    assert len(os.listdir("/proc/self/task")) == threads  # libzim ended the file, and its threads with it
    # and it writes the next file as before
    zim.write_archive(tmp_path / "y.zim", [zim.Entry("a/0.html", "A", "text/html", b"<p>A</p>", indexed="A", words=1)],
                      [], main="a/0.html", metadata={"Title": "T"}, illustration=None, language="eng")
    assert Archive(tmp_path / "y.zim").check()


A_FULL_DISK = """
import os, random, sys, threading
from pathlib import Path
from broadsheet.build import build
from broadsheet.config import Config, validate
folder, disk, jobs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
rng = random.Random(2)
words = ["".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3)) for _ in range(5000)]
(folder / "corpus").mkdir(exist_ok=True)
for i in range(300):
    text = "\\n\\n".join(" ".join(rng.choices(words, k=400)) for _ in range(8))
    (folder / "corpus" / f"{i:03d}.txt").write_text(f" date 2024-01-{i % 28 + 1:02d} {text}\\n", encoding="utf-8")
result = build(validate(Config(source=folder / "corpus", out=folder / "site", search=False, zim=disk / "news.zim",
                               jobs=jobs)))
# The threads not Python's: libzim's, left running.
print([str(p) for p in result.problems], len(os.listdir("/proc/self/task")) - threading.active_count())
"""


def test_a_full_disk_is_one_warning_and_the_last_file_stays(tmp_path):
    # Xapian, filling the disk as libzim ends the file, raised "Unknown exception"; libzim's
    # threads, filling it while pages are added, stopped (see the test above).
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("a small disk needs a tmpfs mounted (root, with the right to mount)")
    try:
        (disk / "news.zim").write_bytes(b"the last archive")
        line = f"warning: {disk}/news.zim: cannot be written (No space left on device: {disk}); no ZIM file written"
        for jobs in (1, 2):  # each in a process of its own: a hang fails the test, not the whole run
            done = subprocess.run([sys.executable, "-c", A_FULL_DISK, str(tmp_path), str(disk), str(jobs)],
                                  cwd=Path(__file__).parent.parent, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr[-2000:]
            # The build went on, and no thread of libzim's is left.
            assert done.stdout.splitlines() == [f"[{line!r}] 0"]
        assert sorted(p.name for p in disk.iterdir()) == ["news.zim"]
        assert (disk / "news.zim").read_bytes() == b"the last archive"
        assert (tmp_path / "site" / "index.html").is_file()
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_words_with_accents_are_found_with_or_without_them(tmp_path):
    # libzim takes the accents off a reader's query: the words are indexed without them too.
    pages = [zim.Entry("a/1.html", "Wahl in Zürich", "text/html", b"<p>1</p>", words=6,
                       indexed="Wahl in Zürich\n\nBürgermeister Müller gewann in Genève."),
             zim.Entry("a/2.html", "Andere", "text/html", b"<p>2</p>", indexed="Andere\n\nNichts.", words=2)]
    zim.write_archive(tmp_path / "de.zim", pages, [], main="a/1.html", metadata={"Title": "T"}, illustration=None,
                      language="deu")
    archive = Archive(tmp_path / "de.zim")
    for query in ("Zürich", "zurich", "Müller", "MULLER", "Genève", "geneve", "bürgermeister"):
        assert found(archive, query) == ["a/1.html"], query
    assert zim.unaccented("Ça Été À Ἀθῆναι, ΟΔΟΣ") == "ca ete a αθηναι, οδος"


def test_a_rebuild_keeps_the_file_when_nothing_in_it_would_change(tmp_path):
    source = small_corpus(tmp_path / "corpus")
    target = tmp_path / "news.zim"

    def rebuilt(**settings: object) -> str:
        """What the build did with the file: "kept" or "wrote"."""
        notes = [n for n in zim_build(source, tmp_path / "site", target, **settings).notes if str(target) in n]
        assert len(notes) == 1, notes
        return notes[0].split()[0]

    assert rebuilt() == "wrote"
    first = target.stat()
    assert rebuilt() == "kept"
    assert rebuilt(check=True) == "kept"  # a site made whole, not updated in place
    assert (target.stat().st_ino, target.stat().st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    (source / "two.md").write_text(md("Quarry reopens", "2024-01-03", "The quarry reopened after twelve years."),
                                   encoding="utf-8")
    assert rebuilt() == "wrote"
    assert found(Archive(target), "twelve") == ["2024/01/03/two/index.html"]
    target.unlink()
    assert rebuilt() == "wrote" and target.is_file()
    target.write_bytes(b"another file")  # a file put there by hand is not taken for the archive
    assert rebuilt() == "wrote" and Archive(target).check()
    icon = tmp_path / "icon.png"
    icon.write_bytes(png(48, 48))
    assert rebuilt(zim_illustration=icon) == "wrote"
    assert rebuilt(zim_illustration=icon) == "kept"
    icon.write_bytes(png(64, 64))
    assert rebuilt(zim_illustration=icon) == "wrote"
    assert rebuilt(zim_illustration=icon, jobs=1) == "kept"  # however many threads write it: the same bytes
    smaller = target.stat().st_size
    assert rebuilt(zim_illustration=icon, zim_compression=1) == "wrote"  # the level asked is in the file
    assert target.stat().st_size > smaller and Archive(target).check()
    assert rebuilt(zim_illustration=icon, zim_compression=1) == "kept"


def test_a_failed_write_leaves_the_last_file_and_no_part_of_a_new_one(tmp_path, monkeypatch):
    source = small_corpus(tmp_path / "corpus")
    target = tmp_path / "out" / "news.zim"
    target.parent.mkdir()
    zim_build(source, tmp_path / "site", target)
    before = target.read_bytes()
    (source / "four.md").write_text(md("Late news", "2024-03-01", "Text."), encoding="utf-8")
    real_read = zim.Zim._read

    def failing(self: zim.Zim, name: str) -> bytes:
        if name.startswith("2024/01/"):
            raise OSError(5, "Input/output error", name)
        return real_read(self, name)

    monkeypatch.setattr(zim.Zim, "_read", failing)
    result = zim_build(source, tmp_path / "site", target)
    assert [str(p) for p in result.problems] == [
        f"warning: {target}: cannot be written (Input/output error: 2024/01/03/two/index.html); no ZIM file written"]
    assert (tmp_path / "site" / "2024/03/01/four/index.html").is_file()  # the build went on
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["news.zim"]


def test_a_folder_in_the_way_is_one_warning_and_is_left_as_it_is(tmp_path):
    source = small_corpus(tmp_path / "corpus")
    (tmp_path / "news.zim").mkdir()
    result = zim_build(source, tmp_path / "site", tmp_path / "news.zim")
    assert len(result.problems) == 1
    assert re.fullmatch(rf"warning: {tmp_path}/news\.zim: cannot be written \(Is a directory.*\); no ZIM file written",
                        str(result.problems[0]))
    assert [p.name for p in tmp_path.iterdir() if "news.zim" in p.name] == ["news.zim"]  # no part of a file
    assert list((tmp_path / "news.zim").iterdir()) == []
    assert (tmp_path / "site" / "2024/02/04/three/index.html").is_file()


def test_without_libzim_the_build_goes_on_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "libzim", None)  # import libzim now raises ImportError
    source = small_corpus(tmp_path / "corpus")
    result = zim_build(source, tmp_path / "site", tmp_path / "news.zim")
    assert [str(p) for p in result.problems] == [
        f"warning: {tmp_path / 'news.zim'}: needs the Python package libzim (pip install 'broadsheet[zim]'); "
        "no ZIM file written"]
    assert (tmp_path / "site" / "index.html").is_file() and not (tmp_path / "news.zim").exists()


def test_the_option_and_its_checks(tmp_path, capfd):
    source = small_corpus(tmp_path / "corpus")
    assert main(["--source", str(source), "--out", "site", "--zim", "news.zim", "--no-search"]) == 0
    out, err = capfd.readouterr()
    assert re.search(r"^wrote news\.zim: 3 articles, \d+\.\d MB$", err, re.MULTILINE)
    assert out == ""  # libzim's own lines are not the user's
    assert Archive(tmp_path / "news.zim").article_count == 3
    assert main(["--source", str(source), "--out", "site", "--zim", "nowhere/news.zim", "--no-search"]) == 0
    assert "warning: nowhere/news.zim: its folder nowhere does not exist; no ZIM file written" in capfd.readouterr().err
    with pytest.raises(ConfigError, match=r"^zim site/a\.zim must not be inside the output folder site, "):
        validate(Config(out=Path("site"), zim=Path("site/a.zim")))


def test_a_long_description_is_cut_for_lists_and_kept_whole(tmp_path):
    source = small_corpus(tmp_path / "corpus")
    title = "The Harbour Gazette of the Northern Isles and the Seven Ferries"
    zim_build(source, tmp_path / "site", tmp_path / "a.zim", site_title=title)
    archive = Archive(tmp_path / "a.zim")
    whole = f"Every article of {title}, by year and month."
    assert archive.get_metadata("LongDescription").decode() == whole
    short = archive.get_metadata("Description").decode()
    assert len(short) == 80 and short.endswith("…") and whole.startswith(short[:-1])
    assert archive.get_metadata("Name").decode() == "the-harbour-gazette-of-the-northern-isles-and-the-seven-ferries_en_all"


def test_the_illustration_setting_is_scaled_and_a_bad_one_is_a_warning(tmp_path):
    source = small_corpus(tmp_path / "corpus")
    (tmp_path / "big.png").write_bytes(png(96, 96))
    zim_build(source, tmp_path / "site", tmp_path / "a.zim", zim_illustration=tmp_path / "big.png")
    illustration = bytes(Archive(tmp_path / "a.zim").get_illustration_item(48).content)
    assert favicon.png_size(illustration) == (48, 48)
    (tmp_path / "bad.png").write_bytes(b"not a picture")
    result = zim_build(source, tmp_path / "site", tmp_path / "b.zim", zim_illustration=tmp_path / "bad.png")
    assert [str(p) for p in result.problems] == [
        f"warning: {tmp_path / 'bad.png'}: cannot be used as the ZIM file's illustration (not a PNG image); "
        "the theme's icon is used"]
    assert favicon.png_size(bytes(Archive(tmp_path / "b.zim").get_illustration_item(48).content)) == (48, 48)


def test_a_page_for_the_reader_keeps_all_but_scripts_search_and_feeds():
    page = (
        '<head><script type="application/ld+json">{"a": 1}</script>\n'
        '<link rel="alternate" type="application/atom+xml" href="../feed.xml">\n'
        '<meta property="og:title" content="T">\n<meta name="description" content="D">\n'
        '<link rel="icon" href="../assets/favicon.svg" type="image/svg+xml">\n<meta name="viewport" content="V">\n'
        '<SCRIPT src="../assets/highlight.js" defer></SCRIPT></head>\n'
        '<form class="search-box" role="search" action="../search/index.html"><input name="q"></form>\n'
        '<h1 data-pagefind-meta="title, image:">Title</h1>\n'
        '<figure class="article-image" data-pagefind-ignore>\n  <img src="https://example.org/a.jpg" alt="A">\n'
        '</figure>\n<p>Text <img src="map.png" alt="Map"> and <IMG SRC="//example.org/b.png"></p>\n'
        '<p>Site · <a href="../archive/index.html">Archive</a> · <a href="../search/index.html">Search</a></p>'
    )
    assert zim.for_reader(page) == (
        '<head><meta name="viewport" content="V">\n</head>\n<h1>Title</h1>\n'
        '<p>Text <img src="map.png" alt="Map"> and </p>\n'
        '<p>Site · <a href="../archive/index.html">Archive</a> </p>'
    )


@pytest.mark.parametrize(("code", "iso"), [("en", "eng"), ("pt-BR", "por"), ("zh-TW", "zho"), ("fil", "fil"),
                                           ("xx", "und")])
def test_language_codes_of_three_letters(code, iso):
    assert zim.iso_639_3(code) == iso


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(port: int, path: str) -> tuple[int, str | None, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.getheader("Location"), response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def test_kiwix_serve_serves_the_articles_and_searches_them(tmp_path):
    program = shutil.which("kiwix-serve")
    if program is None:
        pytest.skip("kiwix-serve is not installed (Debian package kiwix-tools; .ci/run installs it)")
    source = small_corpus(tmp_path / "corpus")
    zim_build(source, tmp_path / "site", tmp_path / "harbour.zim")
    port = free_port()
    log = tmp_path / "kiwix.log"
    with open(log, "wb") as output:
        process = subprocess.Popen([program, "--address", "127.0.0.1", "--port", str(port), str(tmp_path / "harbour.zim")],
                                   stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                status, _, _ = get(port, "/")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"kiwix-serve does not answer: {log.read_text(errors='replace')[-2000:]}")
                time.sleep(0.1)
        # The search of Kiwix itself, over the file's full-text index; its results link to the articles.
        status, _, results = get(port, "/search?content=harbour&pattern=" + quote("quarry"))
        assert status == 200, results[-2000:]
        hits = [link for link in re.findall(r'href="([^"]+)"', results) if link.endswith("/2024/01/03/two/index.html")]
        assert hits, results[-3000:]
        assert "/2024/01/02/one/" not in results  # found by its own word only
        status, _, article = get(port, urlsplit(hits[0]).path)
        assert status == 200 and "<h1>Quarry reopens</h1>" in article
        assert "The quarry reopened after ten years." in article
        # The stylesheet a page names, relative to it, is served from the file too.
        stylesheet = posixpath.normpath(posixpath.join(posixpath.dirname(urlsplit(hits[0]).path),
                                                       "../../../../assets/site.css"))
        status, _, css = get(port, stylesheet)
        assert status == 200 and "body" in css
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_writer_process_that_cannot_start_is_an_error_and_leaves_nothing(tmp_path, monkeypatch):
    import multiprocessing.context

    def refused(self: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", refused)
    with pytest.raises(OSError, match="Resource temporarily unavailable"):
        zim.write_archive(tmp_path / "x.zim", [zim.Entry("a/0.html", "A", "text/html", b"<p>A</p>", indexed="A", words=1)],
                          [], main="a/0.html", metadata={"Title": "T"}, illustration=None, language="eng")
    assert list(tmp_path.iterdir()) == []
