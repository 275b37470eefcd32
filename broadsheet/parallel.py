"""Loading and rendering on every core, with the same output as one process.

Work is cut into chunks in a fixed order and results are taken back in that
order, so warnings come out in the same sequence and every page is the same
bytes whatever the number of processes.  Workers that load, count terms or
run beside the build are forked: they inherit what they need instead of
receiving it pickled.  Workers that render inherit nothing of the build (see
_pool): they are given the renderer once and, with each range of pages, what
those pages show; the build goes on using its records meanwhile, and workers
that shared them held a copy each.  Where fork is not available, the work runs
in this process.

How the work is run is a Runner, chosen once by the build (running()): the
forked processes of this machine, or the workers of a Dask cluster (Cluster,
see docs/distributed.md), which are sent once per stage what forked workers
inherit, and run each range as a task.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import logging
import os
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from . import cache, load, write
from .records import FileStatus, status_of
from .render import Rendered

if TYPE_CHECKING:
    import importlib.machinery
    import multiprocessing.process
    from concurrent.futures import Executor, Future
    from multiprocessing.connection import Connection

    import distributed

    from .offline_index import SearchDocument

LOAD_CHUNK = 200
RENDER_CHUNK = 100

Tick = Callable[[int], None]
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
K = TypeVar("K")  # what names a page to make
X = TypeVar("X")


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# Modules the fresh workers (see _pool) start with: imported once, in the
# server process they are forked from.
FRESH_PRELOAD = ["broadsheet.outputs.pages", "broadsheet.render", "broadsheet.cache"]


@contextmanager
def _pool(jobs: int, work: int, chunk: int, *, fresh: tuple[str, object] | None = None) -> Iterator[Executor | None]:
    """Forked worker processes, which inherit this one's memory; or, with
    `fresh` (the name of a module global and its value, which each is given),
    processes that inherit nothing of it: forked from a server process that
    Python starts anew (multiprocessing's "forkserver").  A page of memory
    that a worker shares with the build is copied as soon as either uses an
    object in it (Python writes its count of references), and the build goes
    on using its records while pages are rendered: workers that inherited
    them doubled the memory of a large build."""
    # Imported here: a rebuild that changes a few pages does without them.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if jobs <= 1 or work <= chunk or not can_fork():
        yield None
        return
    if fresh is not None and "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(FRESH_PRELOAD)
        fresh_pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start_fresh_worker,
                                         initargs=(os.getpid(), *fresh))
        try:
            with main_left_alone():
                yield fresh_pool
        finally:
            fresh_pool.shutdown(wait=True, cancel_futures=True)
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


@contextmanager
def main_left_alone() -> Iterator[None]:
    """While fresh workers start: a process that multiprocessing starts runs
    the main module of this one again first (as "__mp_main__"), and a script
    that calls build() without `if __name__ == "__main__":` would build again
    in each worker, waiting forever for the output folder this build holds.
    The workers need only the modules preloaded: a main module named
    "__main__" is one multiprocessing leaves alone."""
    import importlib.machinery

    global _main_spec, _left_alone
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    # Pools of fresh workers may be open side by side (pages, feed archives),
    # and end in any order: the name is given back when the last one ends.
    if _left_alone == 0:
        _main_spec = getattr(main, "__spec__", None)
        main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)
    _left_alone += 1
    try:
        yield
    finally:
        _left_alone -= 1
        if _left_alone == 0:
            main.__spec__ = _main_spec
            _main_spec = None


_left_alone = 0  # pools of fresh workers open (see main_left_alone)
_main_spec: importlib.machinery.ModuleSpec | None = None  # the main module's own, while they are


def _start_fresh_worker(build: int, name: str, value: object) -> None:
    gc.enable()
    # Its parent is the server it was forked from, which outlives a build
    # killed outright as long as any of its workers lives (each holds the
    # pipe whose end tells the server its clients are gone): it watches the build.
    end_with(build)
    globals()[name] = value


def end_with(build: int) -> None:
    """Have this process end when the process `build`, which need not be its
    parent, ends: on Linux as soon as it does (a pidfd, which no later process
    with the same id is mistaken for), elsewhere within PARENT_POLL."""
    try:
        watched = os.pidfd_open(build)
    except ProcessLookupError:  # ended already
        os._exit(1)
    except (AttributeError, OSError):  # not Linux 5.3 or later
        threading.Thread(target=_end_when_gone, args=(build,), daemon=True, name="build").start()
        return
    threading.Thread(target=_end_when_readable, args=(watched,), daemon=True, name="build").start()


def _end_when_readable(watched: int) -> None:
    import select

    select.select([watched], [], [])  # a pidfd turns readable when its process ends
    os._exit(1)


def _end_when_gone(build: int) -> None:
    while True:
        try:
            os.kill(build, 0)
        except (ProcessLookupError, PermissionError):  # gone; or its id now another user's process's
            os._exit(1)
        time.sleep(PARENT_POLL)


PARENT_POLL = 0.5  # seconds: how soon a worker outside Linux sees that the build is gone


def die_with(parent: int) -> None:
    """Have this forked process end when `parent`, the build, dies: else a
    build killed by the user or by the out-of-memory killer leaves its workers
    waiting forever for work.  Linux kills it at once; elsewhere a thread of
    its own sees within PARENT_POLL that its parent is another process."""
    if sys.platform != "linux":
        threading.Thread(target=_end_without, args=(parent,), daemon=True, name="parent").start()
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the build died before that was set
        os._exit(1)


def _end_without(parent: int) -> None:
    # An orphan is given another parent (init, or a subreaper): its parent's id changes.
    while os.getppid() == parent:
        time.sleep(PARENT_POLL)
    os._exit(1)


def can_fork() -> bool:
    """Whether this process may fork workers: not where fork is missing, nor
    in a daemon process (which may have no children: a Dask worker under its
    nanny), nor in a task of a Dask worker, whose other threads a fork would
    copy in the middle of what they do."""
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon \
        and not _in_task


def _spans(total: int, chunk: int) -> list[tuple[int, int]]:
    return [(start, min(start + chunk, total)) for start in range(0, total, chunk)]


class Joinable(Protocol[T_co]):
    """Work begun beside the build's own (see Runner.beside)."""

    def join(self) -> T_co: ...

    def stop(self) -> None: ...


class ClusterError(Exception):
    """The Dask cluster cannot be reached or lost the build's work; the message is one line for the user."""


class Runner:
    """Runs the build's parallel work in processes forked from this one."""

    remote = False  # whether the work runs in processes that inherit nothing (a cluster's)

    def width(self) -> int:
        """How many ranges run side by side: the default of --jobs."""
        return default_jobs()

    @contextmanager
    def ranges(
        self, run: Callable[..., list[T]], total: int, *, chunk: int, jobs: int, inherited: str | None = None,
        sent: Callable[[int, int], object] | None = None,
    ) -> Iterator[Iterator[list[T]]]:
        """`run` over consecutive ranges of `total` items, results in their
        order: in forked workers when there are enough of them, given all the
        work on entry (this process is free meanwhile), else in this process as
        the results are taken.  `run` reads the module global named
        `inherited` (if any), set by the caller.  With `sent`, run is also
        given sent(start, stop) as its third argument, all it needs besides
        that global: the workers are then fresh processes, given the global
        (see _pool), and the ranges are sent a few ahead (see _Fed).  On exit,
        work not begun is dropped and the workers end."""
        ranges = _spans(total, chunk)
        fresh = (inherited, globals()[inherited]) if sent is not None and inherited is not None else None
        with _pool(jobs, total, chunk, fresh=fresh) as pool:
            if pool is None:
                yield (run(start, stop, *([] if sent is None else [sent(start, stop)])) for start, stop in ranges)
            elif sent is None:
                yield pool.map(run, *zip(*ranges, strict=True))
            else:
                def submit(i: int, start: int, stop: int) -> Future[list[T]]:
                    assert pool is not None and sent is not None
                    return pool.submit(run, start, stop, sent(start, stop))

                fed: _Fed[T] = _Fed(submit, lambda future: future.result(), ranges, ahead=4 * jobs)
                try:
                    yield fed
                finally:
                    fed.close()

    def beside(self, work: Callable[[], T]) -> Joinable[T]:
        return Beside(work)

    def close(self) -> None:
        pass


class _Fed(Generic[T]):
    """submit(i, start, stop) for each range, i its number: a future whose
    result take() gives; the results in order.  A thread of this process
    submits the ranges from the start, at most `ahead` of them not yet done:
    what is sent with each (the parts of its pages) is made as it goes, never
    all at once, while this process does other work.  `in_flight`: the futures
    submitted and not yet taken, which a build that fails cancels."""

    def __init__(self, submit: Callable[[int, int, int], Any], take: Callable[[Any], list[T]],
                 ranges: list[tuple[int, int]], *, ahead: int) -> None:
        import queue

        self._take = take
        self._futures: queue.SimpleQueue[Any] = queue.SimpleQueue()  # futures, then an error or None
        self._slots = threading.Semaphore(ahead)
        self._stopping = threading.Event()
        self._ended = False
        self.in_flight: set[Any] = set()
        # The first range from this thread, which starts the workers: a forked
        # worker is killed when the thread that forked it ends (see die_with).
        self._slots.acquire()
        self._submit(submit, 0, *ranges[0])
        self._feeder = threading.Thread(target=self._feed, args=(submit, ranges), daemon=True, name="ranges")
        self._feeder.start()

    def _submit(self, submit: Callable[[int, int, int], Any], i: int, start: int, stop: int) -> None:
        future = submit(i, start, stop)
        self.in_flight.add(future)
        future.add_done_callback(lambda _: self._slots.release())
        self._futures.put(future)

    def _feed(self, submit: Callable[[int, int, int], Any], ranges: list[tuple[int, int]]) -> None:
        try:
            for i, (start, stop) in enumerate(ranges[1:], start=1):
                self._slots.acquire()
                if self._stopping.is_set():
                    break
                self._submit(submit, i, start, stop)
        except BaseException as error:  # noqa: BLE001 - raised where the results are taken
            self._futures.put(error)
        finally:
            self._futures.put(None)

    def __iter__(self) -> Iterator[list[T]]:
        return self

    def __next__(self) -> list[T]:
        if self._ended:
            raise StopIteration
        future = self._futures.get()
        if future is None or isinstance(future, BaseException):
            self._ended = True
            if future is None:
                raise StopIteration
            raise future
        result = self._take(future)
        self.in_flight.discard(future)
        return result

    def close(self) -> None:
        self._stopping.set()
        self._slots.release()  # a feeder waiting for a slot sees it is stopped
        self._feeder.join()


def made_elsewhere(chunks: Iterator[Any]) -> bool:
    """True when the results of `chunks` (what ranges() gives) are made in
    other processes, so that a thread of this one may take them as they come
    while it does other work; else they are made by whoever takes them."""
    return isinstance(chunks, _Fed)


# Connecting to a scheduler that does not answer fails after this long.
CONNECT_SECONDS = 10
# A failed build waits at most this long for its tasks under way to end.
STOP_SECONDS = 120


class Cluster(Runner):
    """Runs the build's parallel work as tasks on the workers of a Dask
    scheduler.  What forked workers would inherit is scattered to every worker
    once per stage (pickled by cloudpickle, closures and all); each range is a
    task that sets it and calls the same range function, and the results are
    taken back in order, so that the site is the one a local build makes.  The
    workers read the sources and write the staging folder themselves: both
    must be on a file system that they and this process share."""

    remote = True

    def __init__(self, address: str) -> None:
        try:
            import distributed
        except ImportError:
            raise ClusterError("--scheduler needs Dask's distributed, which is not installed: "
                               "pip install 'broadsheet[distributed]'") from None
        self.address = address
        self._distributed = distributed
        # What Dask logs here (tracebacks of a connection lost, its attempts to
        # connect again) is said in one line by the build, which fails.
        # Each of its loggers: some have a level of their own.
        self._levels = {name: logging.getLogger(name).level for name in
                        ["distributed", *(name for name in logging.root.manager.loggerDict if name.startswith("distributed."))]}
        for name in self._levels:
            logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            self.client = distributed.Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except Exception as error:  # noqa: BLE001 - refused, timed out or malformed: one line, never a local build
            self._restore_logging()
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {_one_line(error)}") from None

    def width(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def _key(self, name: str) -> str:
        return f"broadsheet-{name.strip('_').replace('_', '-')}-{uuid.uuid4().hex}"

    @contextmanager
    def ranges(
        self, run: Callable[..., list[T]], total: int, *, chunk: int, jobs: int, inherited: str | None = None,
        sent: Callable[[int, int], object] | None = None,
    ) -> Iterator[Iterator[list[T]]]:
        spans = _spans(total, chunk)

        def extra(start: int, stop: int) -> list[object]:
            return [] if sent is None else [sent(start, stop)]

        if len(spans) <= 1:
            # One range is done here, as a local build does: sending the
            # state to the workers would take longer than the work.
            yield (run(start, stop, *extra(start, stop)) for start, stop in spans)
            return
        shipped = None if inherited is None else \
            self.client.scatter(_Shipped(inherited, globals()[inherited]), broadcast=True, hash=False)
        key = self._key(run.__name__)

        # What each range is sent is made as its task is submitted, a few ahead
        # of the workers (see _Fed): not the parts of every page at once, on
        # this process and then on the scheduler.
        def submit(i: int, start: int, stop: int) -> distributed.Future:
            return self.client.submit(_range_task, shipped, run, start, stop, *extra(start, stop),
                                      key=f"{key}-{i}", pure=False)

        fed: _Fed[T] = _Fed(submit, self.result, spans, ahead=4 * max(jobs, self.width()))
        try:
            yield fed
        finally:
            fed.close()
            self._stop(list(fed.in_flight), key)
            if shipped is not None:
                shipped.release()

    def _stop(self, futures: list[distributed.Future], key: str) -> None:
        """Cancel the tasks of `futures` (their keys begin with `key`) not yet
        done, and wait for those under way to end: a worker cannot stop a
        task, and one that went on would write into the staging folder while
        the failed build removes it (the forked pool's shutdown waits for its
        workers in the same way)."""
        pending = [future for future in futures if not future.done()]
        if not pending:
            return
        self.client.cancel(pending)
        deadline = time.monotonic() + STOP_SECONDS
        while time.monotonic() < deadline:
            try:
                running = self.client.run(_running_tasks, key, on_error="ignore")  # a worker gone runs nothing
            except Exception:  # noqa: BLE001 - the scheduler or the workers are gone: nothing more to wait for
                return
            if not any(running.values()):
                return
            time.sleep(0.1)

    def result(self, future: distributed.Future) -> Any:
        """The result of a task, or its exception raised; the loss of its
        workers or of the scheduler as a ClusterError."""
        try:
            return future.result()
        except self._distributed.KilledWorker as error:
            raise ClusterError(f"the Dask workers running the build's task {future.key} died, too many times to try "
                               f"again ({_one_line(error)})") from None
        except self._distributed.CancelledError as error:
            raise ClusterError(f"the Dask scheduler at {self.address} dropped the build's work "
                               f"({_one_line(error) or 'the connection was lost'})") from None

    def beside(self, work: Callable[[], T]) -> Joinable[T]:
        key = self._key("beside")
        return _Task(self, self.client.submit(_call_task, work, key=key, pure=False), key)

    def as_done(self, name: str, work: Callable[[X], T], items: Sequence[X]) -> Iterator[tuple[int, T]]:
        """work(item) for each of `items`, each a task (its key begins with
        `name`): the place of each item and its result, as each is done."""
        key = self._key(name)
        futures = {self.client.submit(_call_task, work, item, key=f"{key}-{i}", pure=False): i
                   for i, item in enumerate(items)}
        try:
            for future in self._distributed.as_completed(list(futures), loop=self.client.loop):
                yield futures[future], self.result(future)
        finally:
            self._stop(list(futures), key)

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            self._restore_logging()

    def _restore_logging(self) -> None:
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)


class _Task(Generic[T]):
    def __init__(self, cluster: Cluster, future: distributed.Future, key: str) -> None:
        self.cluster, self.future, self.key = cluster, future, key

    def join(self) -> T:
        result: T = self.cluster.result(self.future)
        return result

    def stop(self) -> None:
        self.cluster._stop([self.future], self.key)


@dataclass(frozen=True)
class _Shipped:
    """What forked workers inherit, for the workers of a cluster: the name of
    the module global and its value.  One object, so that Dask scatters it
    whole (it scatters the items of a tuple or a list one by one)."""

    name: str
    value: object


# Set in a process that has run a task of a cluster: it forks nothing (see can_fork).
_in_task = False
# The ranges of a worker's threads run one at a time: they read module
# globals, and the interpreter's lock would let only one run at a time anyway.
_task_lock = threading.Lock()


def _range_task(shipped: _Shipped | None, run: Callable[..., list[T]], start: int, stop: int, *sent: object) -> list[T]:
    global _in_task
    _in_task = True
    if shipped is None:
        return run(start, stop, *sent)
    with _task_lock:
        globals()[shipped.name] = shipped.value
        try:
            return run(start, stop, *sent)
        finally:
            globals()[shipped.name] = None


def _running_tasks(key: str, dask_worker: Any = None) -> list[str]:
    """The tasks of a worker whose keys begin with `key`, running still
    (cancelled ones too): run in each worker by Client.run, which gives it
    `dask_worker`."""
    state = dask_worker.state
    return [str(task.key) for task in state.executing | state.long_running if str(task.key).startswith(key)]


def _call_task(work: Callable[..., T], *args: Any) -> T:
    global _in_task
    _in_task = True
    return work(*args)


def _one_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


_runner: Runner = Runner()


def runner() -> Runner:
    """How the build under way runs its parallel work."""
    return _runner


@contextmanager
def running(scheduler: str | None) -> Iterator[Runner]:
    """The work of the build inside the `with` runs in forked processes, or,
    with the address of a Dask `scheduler`, on its workers (ClusterError when
    it cannot be reached)."""
    global _runner
    chosen = Runner() if scheduler is None else Cluster(scheduler)
    previous, _runner = _runner, chosen
    try:
        yield chosen
    finally:
        _runner = previous
        chosen.close()


def _in_ranges(
    run: Callable[[int, int], list[T]], total: int, *, chunk: int, jobs: int, inherited: str | None = None,
) -> Iterator[list[T]]:
    with _runner.ranges(run, total, chunk=chunk, jobs=jobs, inherited=inherited) as results:
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
    # Absolute for the workers of a cluster, which may run in another folder.
    _reading = (rels, os.fspath(source.absolute() if _runner.remote else source), language)
    try:
        for parsed in _in_ranges(_parse_range, len(rels), chunk=LOAD_CHUNK, jobs=jobs, inherited="_reading"):
            tick(len(parsed))
            yield from parsed
    finally:
        _reading = None


@dataclass(frozen=True, slots=True)  # a build holds one a page until its record is kept
class Written:
    path: str
    reads: frozenset[str]  # the keys of the templates' `site` the page read
    status: FileStatus  # of the file as written
    fingerprint: str  # of what the page was made from (see rendering)


S = TypeVar("S")  # what a page is made from, sent to a worker with its key


# What render workers are given, set just before the pool is made: how to make
# a page from its key and what it is made from, where pages go, the folders
# made so far, how to fingerprint a page from its key, what it is made from and
# the keys of `site` it read, and what to hold while a range of pages is made.
_job: tuple[Callable[[Any, Any], Rendered], Path, set[str], Callable[[Any, Any, frozenset[str]], str],
            Callable[[Sequence[tuple[Any, Any]]], AbstractContextManager[None]]] | None = None
# What the build sends with each range of pages (see rendering): the keys and
# how to tell what each page is made from.  Never sent to the workers.
_sending: tuple[Sequence[Any], Callable[[Any], Any]] | None = None


def _hold_nothing(pages: Sequence[tuple[Any, Any]]) -> AbstractContextManager[None]:
    return nullcontext()


def _shown_range(start: int, stop: int) -> list[tuple[Any, Any]]:
    assert _sending is not None
    keys, shown = _sending
    return [(key, shown(key)) for key in keys[start:stop]]


def _render_range(start: int, stop: int, pages_sent: Sequence[tuple[Any, Any]]) -> list[Written]:
    assert _job is not None
    make, root, folders, fingerprint, holding = _job
    # The range is rendered, then written: a seventh less time a page than
    # writing each between templates (for a range of about 1 MB), most likely
    # as the file system calls and the templates stop evicting each other from
    # the processor's caches.
    pages = []
    with holding(pages_sent):
        for key, shown in pages_sent:
            page = make(key, shown)
            pages.append((key, shown, page.path, page.reads, page.html.encode("utf-8")))
    written = []
    # One set for the pages that read the same keys: sent and received once a
    # range, not once a page (pickle sends an object it has sent as a reference).
    same: dict[frozenset[str], frozenset[str]] = {}
    for key, shown, path, reads, data in pages:
        reads = same.setdefault(reads, reads)
        if not os.path.isdir(root):
            # A worker of a build that failed, or died (and the next build
            # cleared up): no page may make the staging folder again.
            raise FileNotFoundError(errno.ENOENT, "the build's staging folder is gone", os.fspath(root))
        written.append(Written(path, reads, status_of(write.write_file(root, path, data, folders)),
                               fingerprint(key, shown, reads)))
    return written


@contextmanager
def rendering(
    make: Callable[[K, S], Rendered], keys: Sequence[K], root: Path, *, jobs: int,
    shown: Callable[[K], S], fingerprint: Callable[[K, S, frozenset[str]], str],
    holding: Callable[[Sequence[tuple[K, S]]], AbstractContextManager[None]] | None = None,
) -> Iterator[Iterator[list[Written]]]:
    """Make the pages of `keys` with `make`, straight to files below `root`: in
    worker processes from the start, while this process does other work inside
    the `with`.  Gives what each page wrote and read, and its `fingerprint`
    (taken in the workers too), in order, chunk by chunk; leaving the `with`
    early stops the workers.  Each key goes to the workers with `shown(key)`,
    what its page is made from (the entry or listing it shows), given to
    `make` and `fingerprint` with the key: the workers inherit none of the
    build's records (see _pool), and are given `make`, `fingerprint` and
    `holding` (what to hold in memory while a range of pages is made: their
    articles' bodies) once each.

    Pages go to disk a range at a time, so memory stays flat at any size."""
    global _job, _sending
    # Each worker notes the folders it made in its own copy of the set.
    _job = (make, root.absolute(), set(), fingerprint, holding or _hold_nothing)
    _sending = (keys, shown)
    try:
        with _runner.ranges(_render_range, len(keys), chunk=RENDER_CHUNK, jobs=jobs, inherited="_job",
                            sent=_shown_range) as chunks:
            yield chunks
    finally:
        _job = _sending = None


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
        for counted in _in_ranges(_count_range, len(docs), chunk=LOAD_CHUNK, jobs=jobs, inherited="_documents"):
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
    workers (for work that is large and uneven: a shard of an index), or as
    tasks of a cluster; the results in order."""
    global _each_work
    _each_work = work
    try:
        return [result for results in _in_ranges(_each_range, count, chunk=1, jobs=jobs, inherited="_each_work") for result in results]  # type: ignore[misc]
    finally:
        _each_work = None


# What fresh workers of in_workers() are given once: the work to do for each item.
_item_work: Callable[[Any], object] | None = None


def _items_range(start: int, stop: int, items: Sequence[Any]) -> list[object]:
    assert _item_work is not None
    return [_item_work(item) for item in items]


@contextmanager
def in_workers(work: Callable[[X], T], count: int, item: Callable[[int], X], *, jobs: int,
               chunk: int = 1) -> Iterator[Iterator[list[T]]]:
    """work(item(i)) for i in range(count), results in order, `chunk` at a
    time: in fresh workers (see _pool), each given `work` once and sent the
    items of a range as it is begun, from the start, while this process does
    other work inside the `with` (see made_elsewhere); else in this process as
    the results are taken.  On exit, work not begun is dropped and the workers
    end.  One at a time: the work is a module global, as the workers'."""
    global _item_work
    if _item_work is not None:
        raise RuntimeError("in_workers is already in use")
    _item_work = work
    try:
        with _runner.ranges(_items_range, count, chunk=chunk, jobs=jobs, inherited="_item_work",
                            sent=lambda start, stop: [item(i) for i in range(start, stop)]) as chunks:
            yield chunks  # type: ignore[misc]
    finally:
        _item_work = None


def beside(work: Callable[[], T]) -> Joinable[T]:
    """`work` begun beside the build: in a forked process, or as a task of a cluster."""
    return _runner.beside(work)


def room_beside() -> bool:
    """Whether a process forked beside this one fits in the memory there is
    now: it shares this one's pages until it writes to them, and a Python
    process writes to each object it reads (its count of references), so it
    may come to copy all it reads of them.  Twice this process's resident
    size is asked for; where the memory cannot be known, there is room."""
    import psutil  # here: a build that forks nothing beside does without it

    try:
        return int(psutil.virtual_memory().available) >= 2 * int(psutil.Process().memory_info().rss)
    except (psutil.Error, OSError, NotImplementedError):
        return True


class ProcessDied(RuntimeError):
    """A process beside the build ended without its result (killed, out of memory)."""


class Apart(Generic[T]):
    """`work` for a rebuild, done in a process forked beside the build where
    there is room for it (see room_beside) and `fork` says so, while the build
    does something else; in the build itself when joined where not, or where
    that process died.  Exceptions of the work itself are raised by join().
    `behind`: the process yields the processor to the build and to the
    others beside it, its result wanted after theirs."""

    def __init__(self, work: Callable[[], T], *, fork: bool = True, behind: bool = False) -> None:
        self._work = work
        self._beside: Beside[T] | None = Beside(work, behind=behind) if fork and room_beside() else None

    def join(self) -> T:
        beside, self._beside = self._beside, None
        if beside is not None:
            try:
                return beside.join()
            except ProcessDied:
                pass
        return self._work()

    def stop(self) -> None:
        """End the process, if it is still running (the build failed, or has no use for the result)."""
        if self._beside is not None:
            self._beside.stop()
            self._beside = None


class Beside(Generic[T]):
    """Work that runs in a forked process beside this one while this one does
    something else (Pagefind's runs, which wait on processes of their own);
    join() gives its result, or raises its exception.  Where fork is not
    available, the work runs in this process when joined."""

    def __init__(self, work: Callable[[], T], *, behind: bool = False) -> None:
        import multiprocessing

        self._work = work
        self._process: multiprocessing.process.BaseProcess | None = None
        if not can_fork():
            return
        context = multiprocessing.get_context("fork")
        self._results, sending = context.Pipe(duplex=False)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # else the child would write what this process has buffered again
        # Not a daemon: the work may fork workers of its own.
        self._process = context.Process(target=_run_beside, args=(work, sending, os.getpid(), behind), name="beside")
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
            ok, value = False, ProcessDied(f"a worker process ended with exit code {self._process.exitcode}")
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


BEHIND = 10  # the niceness of a process beside whose result is wanted after the others'


def _run_beside(work: Callable[[], T], sending: Connection, parent: int, behind: bool = False) -> None:
    die_with(parent)
    if behind and hasattr(os, "nice"):
        os.nice(BEHIND)
    try:
        result: tuple[bool, object] = (True, work())
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
        result = (False, error)
    try:
        sending.send(result)
    except Exception as error:  # noqa: BLE001 - an exception that cannot be pickled
        sending.send((False, RuntimeError(f"{type(error).__name__}: {error}")))
    sending.close()
