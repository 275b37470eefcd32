"""Work in other processes: results and failures come back as if the work had run here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from broadsheet import parallel

from .conftest import PROJECT


def test_work_beside_gives_its_result_from_another_process():
    here = os.getpid()
    beside = parallel.Beside(lambda: (os.getpid(), [1, 2, 3]))
    pid, value = beside.join()
    assert value == [1, 2, 3] and pid != here


def _fail() -> None:
    raise OSError(28, "No space left on device")


def test_work_beside_that_fails_raises_its_error_when_joined():
    beside = parallel.Beside(_fail)
    with pytest.raises(OSError, match="No space left"):
        beside.join()


def test_work_beside_that_dies_is_an_error():
    beside = parallel.Beside(lambda: os._exit(3))
    with pytest.raises(RuntimeError, match="exit code 3"):
        beside.join()


def test_work_beside_can_be_stopped():
    beside = parallel.Beside(lambda: __import__("time").sleep(60))
    beside.stop()
    with pytest.raises(RuntimeError, match="exit code -15"):  # ended by SIGTERM
        beside.join()


def test_files_loaded_in_workers_come_back_as_parsing_them_here_gives(tmp_path):
    from broadsheet import cache, load

    texts = {
        "a.txt": "date 2024-01-02\n\nFirst paragraph. With 'quotes' & more.\n\nSecond one.\n",
        "b.md": "---\ntitle: B\ndate: 2024-01-03\nauthor: Ann\ntags: [x, y]\nslug: bee\n---\nSome *text*.\n\nMore.\n",
        "c.txt": "date 2024-01-04\n\nOdd   spacing\nand a soft break.\n\n\n\nEnd.",
        "d.txt": "no header at all\n",
    }
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    rels = sorted(texts)
    # More files than one range, so that they are loaded in workers.
    rels = rels * (parallel.LOAD_CHUNK // len(rels) + 1)
    loaded = list(parallel.parse_all(rels, tmp_path, language="en", jobs=2, tick=lambda n: None))
    assert len(loaded) == len(rels)
    for rel, fresh in zip(rels, loaded, strict=True):
        assert not isinstance(fresh, load.Loaded)  # every file could be read
        record = cache.unpack(fresh[0], body=fresh)
        here = load.parse_source(load.read_relative(str(tmp_path), rel), language="en")
        assert record.loaded == here
        assert record.status == cache.file_status(tmp_path / rel)


def test_every_page_of_a_build_of_several_ranges_is_written_with_its_own_article(tmp_path):
    from broadsheet.build import build
    from broadsheet.config import Config, validate

    from .conftest import txt, write_corpus

    count = parallel.RENDER_CHUNK + 30  # two ranges
    source = write_corpus(tmp_path / "corpus", {
        f"{i:03d}_{0xB0000 + i:08x}.txt": txt(f"2023-{1 + i % 12:02d}-{1 + i % 27:02d}", f"Story {i}.") for i in range(count)
    })
    result = build(validate(Config(source=source, out=tmp_path / "site", search=False, jobs=1)))
    assert result.rendered >= count
    pages = sorted((tmp_path / "site/2023").glob("*/*/*/index.html"))
    stories = [re.findall(r'<p id="p1">Story (\d+)\.', page.read_text(encoding="utf-8")) for page in pages]
    assert sorted(int(number) for found in stories for number in found) == list(range(count))
    assert all(len(found) == 1 for found in stories)


def test_a_script_that_builds_without_a_main_guard_builds_once(tmp_path):
    # Render workers are started by multiprocessing, which runs the main module
    # of the build's process again in each unless told otherwise: a script
    # without `if __name__ == "__main__":` would then build in every worker,
    # and wait forever for the output folder the first build holds.
    import subprocess
    import sys

    from .conftest import PROJECT, txt, write_corpus

    source = write_corpus(tmp_path / "corpus", {
        f"{i:03d}.txt": txt(f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", f"Story {i} of the harbour.") for i in range(250)})
    script = tmp_path / "make_site.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(PROJECT)!r})\n"
        "from pathlib import Path\n"
        "from broadsheet.build import build\n"
        "from broadsheet.config import Config, validate\n"
        f"result = build(validate(Config(source=Path({str(source)!r}), out=Path({str(tmp_path / 'site')!r}),"
        " jobs=2, search=False)))\n"
        "print('built', result.articles, result.rendered)\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [f"built 250 {done.stdout.split()[-1]}"]
    assert int(done.stdout.split()[-1]) > parallel.RENDER_CHUNK  # rendered by the workers, in several ranges


def _page_reading_the_same_keys(key: int, shown: str) -> object:
    from broadsheet.render import Rendered

    # A new set for each page, as templates give: equal, not the same object.
    return Rendered(f"{key}/index.html", f"<p>{shown}</p>", frozenset({"site_title", "language"}))


def test_pages_that_read_the_same_keys_come_back_with_one_set_and_no_dict_each(tmp_path):
    # A build holds what each page wrote until its record is kept: a set of
    # strings and an attribute dict a page would be a kilobyte an article.
    with parallel.rendering(_page_reading_the_same_keys, list(range(40)), tmp_path, jobs=1,
                            shown=str, fingerprint=lambda key, shown, reads: f"{key}:{shown}") as chunks:
        written = [page for chunk in chunks for page in chunk]
    assert [page.path for page in written] == [f"{key}/index.html" for key in range(40)]
    assert (tmp_path / "39/index.html").read_text() == "<p>39</p>"
    assert all(page.reads is written[0].reads for page in written)
    assert written[0].reads == {"site_title", "language"}
    assert not hasattr(written[0], "__dict__")


def _fingerprint_of(key: int, shown: str, reads: frozenset[str]) -> str:
    return f"{key}:{shown}"


def test_pages_made_by_workers_are_taken_as_they_come_while_the_build_does_other_work(tmp_path):
    # Results left waiting for the build would hold each page's path twice.
    from contextlib import ExitStack

    from broadsheet import progress
    from broadsheet.outputs.pages import Rendering

    keys = list(range(3 * parallel.RENDER_CHUNK))
    todo = [f"{key}/index.html" for key in keys]
    stack = ExitStack()
    chunks = stack.enter_context(parallel.rendering(_page_reading_the_same_keys, keys, tmp_path, jobs=2, shown=str,
                                                    fingerprint=_fingerprint_of))
    assert parallel.made_elsewhere(chunks)
    rendering = Rendering(stack, chunks, todo, progress.silent)
    deadline = time.monotonic() + 120
    while rendering.taken < len(keys) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rendering.taken == len(keys)  # all taken, finish() not yet called
    records = rendering.finish()
    assert list(records) == todo and records["7/index.html"].fingerprint == "7:7"
    assert (tmp_path / "299/index.html").read_text() == "<p>299</p>"


def test_pages_made_here_are_made_as_they_are_taken(tmp_path):
    from contextlib import ExitStack

    from broadsheet import progress
    from broadsheet.outputs.pages import Rendering

    stack = ExitStack()
    chunks = stack.enter_context(parallel.rendering(_page_reading_the_same_keys, [0, 1], tmp_path, jobs=1, shown=str,
                                                    fingerprint=_fingerprint_of))
    assert not parallel.made_elsewhere(chunks)
    rendering = Rendering(stack, chunks, ["0/index.html", "1/index.html"], progress.silent)
    time.sleep(0.2)
    assert rendering.taken == 0 and not (tmp_path / "0/index.html").exists()  # nothing made on another thread
    assert list(rendering.finish()) == ["0/index.html", "1/index.html"]


def _pid_and_square(n: int) -> tuple[int, int]:
    return os.getpid(), n * n


def test_items_made_in_workers_come_back_in_order_from_other_processes():
    here = os.getpid()
    sent = []

    def item(i: int) -> int:
        sent.append(i)
        return i

    with parallel.in_workers(_pid_and_square, 10, item, jobs=2, chunk=3) as chunks:
        assert parallel.made_elsewhere(chunks)
        results = [result for chunk in chunks for result in chunk]
    assert [square for _, square in results] == [n * n for n in range(10)]
    assert here not in {pid for pid, _ in results}
    assert sorted(sent) == list(range(10))  # each item made once, by this process, as its range is sent


def test_items_made_here_are_made_as_they_are_taken():
    sent = []
    with parallel.in_workers(_pid_and_square, 2, lambda i: sent.append(i) or i, jobs=1) as chunks:
        assert not parallel.made_elsewhere(chunks) and sent == []
        assert [result for chunk in chunks for result in chunk] == [(os.getpid(), 0), (os.getpid(), 1)]


def test_two_pools_of_fresh_workers_may_end_in_any_order(tmp_path):
    # The main module's name is given back once the last pool ends, not when the first does.
    main = sys.modules["__main__"]
    spec = getattr(main, "__spec__", None)
    with parallel.in_workers(_pid_and_square, 4, int, jobs=2) as chunks:
        other = parallel.rendering(_page_reading_the_same_keys, list(range(3 * parallel.RENDER_CHUNK)),
                                   tmp_path, jobs=2, shown=str, fingerprint=_fingerprint_of)
        pages = other.__enter__()
        assert main.__spec__ is not spec
        assert len([page for chunk in pages for page in chunk]) == 3 * parallel.RENDER_CHUNK
        list(chunks)
    assert main.__spec__ is not spec  # the pages' pool is still open
    other.__exit__(None, None, None)
    assert main.__spec__ is spec


ORPHANED = """
import multiprocessing, os, sys, time
from broadsheet import parallel

def worker(parent):
    sys.platform = sys.argv[1]  # "linux", or another system: the worker watches its parent itself
    parallel.die_with(parent)
    time.sleep(60)

if __name__ == "__main__":
    child = multiprocessing.get_context("fork").Process(target=worker, args=(os.getpid(),))
    child.start()
    print(child.pid, flush=True)
    time.sleep(0.5)
    os._exit(0)  # the build, gone at once, as when it is killed: nothing ends its workers
"""


@pytest.mark.parametrize("system", ["linux", "darwin"])
def test_a_worker_ends_when_the_build_is_gone(tmp_path, system):
    import psutil

    done = subprocess.run([sys.executable, "-c", ORPHANED, system], capture_output=True, text=True, timeout=60,
                          cwd=PROJECT)
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout)
    deadline = time.monotonic() + 10

    def alive() -> bool:
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    while alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive()  # not left waiting for work that never comes (60 s)
