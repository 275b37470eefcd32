"""Loading and rendering on every core, with the same output as one process.

Work is cut into chunks in a fixed order and results are taken back in that
order, so warnings come out in the same sequence and every page is the same
bytes whatever the number of processes.  Workers are forked: they inherit the
site model instead of receiving it pickled, which keeps start-up cheap at any
corpus size.  Where fork is not available, the work runs in this process.
"""

from __future__ import annotations

import gc
import hashlib
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from . import cache, load, write
from .records import FileStatus, status_of
from .render import Rendered

if TYPE_CHECKING:
    import multiprocessing.process
    from concurrent.futures import Executor
    from multiprocessing.connection import Connection

    from .offline_index import SearchDocument

LOAD_CHUNK = 200
RENDER_CHUNK = 100

Tick = Callable[[int], None]
T = TypeVar("T")
K = TypeVar("K")  # what names a page to make


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def _pool(jobs: int, work: int, chunk: int) -> Iterator[Executor | None]:
    # Imported here: a rebuild that changes a few pages does without them.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if jobs <= 1 or work <= chunk or "fork" not in multiprocessing.get_all_start_methods():
        yield None
        return
    # The build turns the cycle collector off (see build.build); the workers
    # collect their own garbage, but never scan the records they inherit,
    # which would copy every page of memory they sit in.
    gc.freeze()
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                               initializer=_start_worker, initargs=(os.getpid(),))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        gc.unfreeze()


def _start_worker(parent: int) -> None:
    gc.enable()
    die_with(parent)


def die_with(parent: int) -> None:
    """Have this forked process killed when `parent`, the build, dies: else a
    build killed by the user or by the out-of-memory killer leaves its workers
    waiting forever for work (Linux only; elsewhere they may be left waiting)."""
    if sys.platform != "linux":
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the build died before that was set
        os._exit(1)


@contextmanager
def _started(run: Callable[[int, int], list[T]], total: int, *, chunk: int, jobs: int) -> Iterator[Iterator[list[T]]]:
    """`run` over consecutive ranges of `total` items, results in their order:
    in forked workers when there are enough of them, given all the work on
    entry (this process is free meanwhile), else in this process as the
    results are taken.  On exit, work not begun is dropped and the workers end."""
    ranges = [(start, min(start + chunk, total)) for start in range(0, total, chunk)]
    with _pool(jobs, total, chunk) as pool:
        if pool is None:
            yield (run(start, stop) for start, stop in ranges)
        else:
            yield pool.map(run, *zip(*ranges, strict=True))


def _in_ranges(run: Callable[[int, int], list[T]], total: int, *, chunk: int, jobs: int) -> Iterator[list[T]]:
    with _started(run, total, chunk=chunk, jobs=jobs) as results:
        yield from results


# What loading one file gives: its record packed as the build cache writes it
# (cache.pack), read back several times faster than a pickled one and written
# to the cache as it is; or, for a file that could not be read, what that gave.
Parsed = cache.Packed | load.Loaded


def source_digest(source_file: load.SourceFile) -> str | None:
    if source_file.data is None:
        return None
    digest = hashlib.blake2b(source_file.rel.encode("utf-8", "surrogateescape"), digest_size=16)
    digest.update(b"\0")
    digest.update(source_file.data)
    return digest.hexdigest()


# What forked load workers inherit: the files to read, relative to the source folder.
_reading: tuple[list[str], str, str] | None = None


def _parse_range(start: int, stop: int) -> list[Parsed]:
    assert _reading is not None
    rels, source, language = _reading
    parsed: list[Parsed] = []
    for rel in rels[start:stop]:
        source_file = load.read_relative(source, rel)
        loaded = load.parse_source(source_file, language=language)
        digest = source_digest(source_file)
        if digest is None or source_file.status is None:
            parsed.append(loaded)
        else:
            parsed.append(cache.pack(cache.ArticleRecord(digest, source_file.status, loaded)))
    return parsed


def parse_all(rels: list[str], source: Path, *, language: str, jobs: int, tick: Tick) -> Iterator[Parsed]:
    """Each file of `source` (by path relative to it) read and parsed, in order:
    packed (cache.unpack reads it) or, if it could not be read, as it was loaded."""
    global _reading
    _reading = (rels, os.fspath(source), language)
    try:
        for parsed in _in_ranges(_parse_range, len(rels), chunk=LOAD_CHUNK, jobs=jobs):
            tick(len(parsed))
            yield from parsed
    finally:
        _reading = None


@dataclass(frozen=True)
class Written:
    path: str
    reads: frozenset[str]  # the keys of the templates' `site` the page read
    status: FileStatus  # of the file as written
    fingerprint: str  # of what the page was made from (see rendering)


# What forked render workers inherit, set just before the pool is made: how
# to make a page from its key, the keys, where pages go, the build's process,
# the folders made so far, and how to fingerprint a page from its key and the
# keys of `site` it read, and what to hold while a range of keys is made.
_job: tuple[Callable[[Any], Rendered], Sequence[Any], Path, int, set[str], Callable[[Any, frozenset[str]], str],
            Callable[[Sequence[Any]], AbstractContextManager[None]]] | None = None


def _render_range(start: int, stop: int) -> list[Written]:
    assert _job is not None
    make, keys, root, parent, folders, fingerprint, holding = _job
    # The range is rendered, then written: a seventh less time a page than
    # writing each between templates (for a range of about 1 MB), most likely
    # as the file system calls and the templates stop evicting each other from
    # the processor's caches.
    pages = []
    with holding(keys[start:stop]):
        for key in keys[start:stop]:
            _stop_if_orphaned(parent)
            page = make(key)
            pages.append((key, page.path, page.reads, page.html.encode("utf-8")))
    written = []
    for key, path, reads, data in pages:
        _stop_if_orphaned(parent)
        written.append(Written(path, reads, status_of(write.write_file(root, path, data, folders)), fingerprint(key, reads)))
    return written


def _stop_if_orphaned(parent: int) -> None:
    if os.getpid() != parent and os.getppid() != parent:
        # A worker whose build was killed: write nothing more into its staging folder.
        os._exit(1)


@contextmanager
def rendering(
    make: Callable[[K], Rendered], keys: Sequence[K], root: Path, *, jobs: int,
    fingerprint: Callable[[K, frozenset[str]], str],
    holding: Callable[[Sequence[K]], AbstractContextManager[None]] = lambda keys: nullcontext(),
) -> Iterator[Iterator[list[Written]]]:
    """Make the pages of `keys` with `make`, straight to files below `root`: in
    worker processes from the start, while this process does other work inside
    the `with`.  Gives what each page wrote and read, and its `fingerprint`
    (taken in the workers too), in order, chunk by chunk; leaving the `with`
    early stops the workers.  `holding` gives what to hold in memory while a
    range of keys is made (their articles' bodies).  `make` and the keys are inherited by the forked
    workers, never pickled.

    Pages go to disk a range at a time, so memory stays flat at any size."""
    global _job
    # Each worker notes the folders it made in its own copy of the set.
    _job = (make, keys, root, os.getpid(), set(), fingerprint, holding)
    try:
        with _started(_render_range, len(keys), chunk=RENDER_CHUNK, jobs=jobs) as chunks:
            yield chunks
    finally:
        _job = None


# What forked workers that count search terms inherit.
_documents: Sequence[SearchDocument] | None = None


def _count_range(start: int, stop: int) -> list[tuple[Counter[str], Counter[str]]]:
    from .offline_index import term_counts

    assert _documents is not None
    return [term_counts(doc) for doc in _documents[start:stop]]


def count_terms(
    docs: Sequence[SearchDocument], *, jobs: int
) -> Iterator[tuple[Counter[str], Counter[str]]]:
    """The counted terms of each document's title and body, in order."""
    global _documents
    _documents = docs
    try:
        for counted in _in_ranges(_count_range, len(docs), chunk=LOAD_CHUNK, jobs=jobs):
            yield from counted
    finally:
        _documents = None


# What forked workers of each() inherit: the work to do for each number.
_each_work: Callable[[int], object] | None = None


def _each_range(start: int, stop: int) -> list[object]:
    assert _each_work is not None
    return [_each_work(i) for i in range(start, stop)]


def each(work: Callable[[int], T], count: int, *, jobs: int) -> list[T]:
    """work(0) … work(count - 1), one at a time in each of `jobs` forked
    workers (for work that is large and uneven: a shard of an index); the
    results in order."""
    global _each_work
    _each_work = work
    try:
        return [result for results in _in_ranges(_each_range, count, chunk=1, jobs=jobs) for result in results]  # type: ignore[misc]
    finally:
        _each_work = None


class Beside(Generic[T]):
    """Work that runs in a forked process beside this one while this one does
    something else (Pagefind's runs, which wait on processes of their own);
    join() gives its result, or raises its exception.  Where fork is not
    available, the work runs in this process when joined."""

    def __init__(self, work: Callable[[], T]) -> None:
        import multiprocessing

        self._work = work
        self._process: multiprocessing.process.BaseProcess | None = None
        if "fork" not in multiprocessing.get_all_start_methods():
            return
        context = multiprocessing.get_context("fork")
        self._results, sending = context.Pipe(duplex=False)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # else the child would write what this process has buffered again
        # Not a daemon: the work may fork workers of its own.
        self._process = context.Process(target=_run_beside, args=(work, sending, os.getpid()), name="beside")
        self._process.start()
        sending.close()

    def join(self) -> T:
        if self._process is None:
            return self._work()
        try:
            ok, value = self._results.recv()
        except EOFError:
            # The pipe closes as the process dies, a moment before its exit code is known.
            self._process.join()
            ok, value = False, RuntimeError(f"a worker process ended with exit code {self._process.exitcode}")
        finally:
            self._process.join()
            self._results.close()
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join()


def _run_beside(work: Callable[[], T], sending: Connection, parent: int) -> None:
    die_with(parent)
    try:
        result: tuple[bool, object] = (True, work())
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
        result = (False, error)
    try:
        sending.send(result)
    except Exception as error:  # noqa: BLE001 - an exception that cannot be pickled
        sending.send((False, RuntimeError(f"{type(error).__name__}: {error}")))
    sending.close()
