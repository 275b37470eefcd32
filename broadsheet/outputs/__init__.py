"""The outputs of a build, and the one driver that plans, keeps, makes and
records them all.

Every file of the site belongs to a unit of one output kind: a page, the
feeds, a search bundle, a shard of the offline index, a host's redirect file.
A kind (a subclass of Output, in a module of this package that registers it)
answers which units the site has, what each depends on (its fingerprint), and
how to make them.  The driver keeps a unit whose fingerprint is the one the
cache recorded and whose files are in the output folder as the last build left
them, has the kind make the others, and gives the cache their records: the
cache stores `(kind, unit) → record` and knows no kind.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol, TypeVar

from .. import parallel, redirects, resume, search
from ..cache import (
    BodyReader,
    Cache,
    Fingerprints,
    OutputRecord,
    OutputRecords,
    read_outputs,
    status_reader,
    status_reader_in,
)
from ..config import Config
from ..progress import ProgressFactory
from ..records import IN_PLACE, UNKNOWN, Problem
from ..render import Renderer, site_globals
from ..site import Site
from ..write import Staging

T = TypeVar("T")

ALWAYS = ""  # the fingerprint of a unit made by every build: never kept, never recorded
# UNKNOWN (records.py): the status of a file its kind did not take, read once the site is in place.


@dataclass(frozen=True)
class Addresses:
    """What answers at the addresses the site no longer has pages at."""

    # Of the plan, only these: the record of every address is not held after it is written.
    moved: tuple[redirects.Permalink, ...]
    gone: tuple[redirects.Permalink, ...]
    folders: tuple[redirects.Permalink, ...]  # folders of pages, which redirect to a page


class AddressPlan(Protocol):
    def begin(self, pages: set[str]) -> None:
        """The files of every page are known: the plan may begin, beside the build."""

    def __call__(self, pages: set[str]) -> Addresses:
        """The plan, given the files of every page."""

    @property
    def being_made(self) -> bool:
        """Whether the plan is being made beside the build, begun and not yet taken."""


@dataclass
class Job:
    """What every kind may use: the site, and where and how it is made."""

    config: Config
    site: Site
    digests: Mapping[str, str]  # of each article's file, by its source path
    staging: Staging
    renderer: Renderer
    bodies: BodyReader | None  # the cache's bodies of articles, for those about to be used
    note: Callable[[Problem], None]  # a warning
    notes: list[str]  # a line for the user, not a warning
    progress: ProgressFactory
    jobs: int  # processes
    in_place: bool  # the site in place is updated, not replaced
    # The plan of addresses, given the files of every page: made when first asked for.
    addresses: AddressPlan
    # Of a build made whole: where the units made are noted as they are (see resume.py).
    journal: resume.Journal | None = None

    @functools.cached_property
    def site_key(self) -> str:
        """Changes when any article, its address or its place does: the key of
        what is made from every article (the sitemaps, the list of articles)."""
        return self.fingerprints.entries_key(self.site.entries)

    @functools.cached_property
    def fingerprints(self) -> Fingerprints:
        """Of the pages made from templates: one for every kind that renders them."""
        return Fingerprints(site_globals(self.config, self.site), self.digests, every=self.in_place,
                            entries=self.site.entries)

    @functools.cached_property
    def shards(self) -> list[search.Shard]:
        """The shards of the search indexes: Pagefind's bundles and the offline index's alike."""
        return search.plan_shards(self.site, limit=self.config.search_shard_pages)

    @functools.cached_property
    def shard_runs(self) -> dict[str, slice]:
        """Each shard's place in the site's entries, by its name: a shard is a
        run of days, so a run of the entries, newest first (and of the pages'
        units, which begin with the articles' in the same order)."""
        runs, start = {}, 0
        for shard in reversed(self.shards):
            runs[shard.name] = slice(start, start + len(shard.pages))
            start += len(shard.pages)
        return runs


class Work(ABC):
    """The making of a kind's units, begun by Output.start."""

    @abstractmethod
    def finish(self) -> dict[str, OutputRecord]:
        """Wait for the work to end; the record of each unit made."""

    def done_here(self) -> bool:
        """Whether finish() does what is left in the build's own process, not
        waiting for others (worker processes, Pagefind's runs)."""
        return False

    def finished_after(self) -> tuple[str, ...]:
        """The kinds whose work is finished before finish() is called: as a
        kind's `after` says for its plan, for work begun before theirs."""
        return ()

    def stop(self) -> None:  # noqa: B027 - most work is done by the time it is begun: nothing to stop
        """End work still under way (the build failed)."""


class Done(Work):
    """Work done as it was begun."""

    def __init__(self, records: dict[str, OutputRecord]) -> None:
        self.records = records

    def finish(self) -> dict[str, OutputRecord]:
        return self.records

    def done_here(self) -> bool:
        return True


class Taken(Work):
    """Work of worker processes (parallel.rendering, parallel.in_workers):
    a thread of the build takes their results as they come, while the build
    makes the rest of the site, so that the workers never wait for it and
    results are not left waiting in memory.  Where the work is done in the
    build's own process instead, finish() does it, in the build's thread.
    `take(chunks, taken)` makes the records of the results, calling taken(n)
    after each n; a progress bar named `name` counts `total` as finish() waits."""

    def __init__(self, stack: ExitStack, chunks: Iterator[list[T]],
                 take: Callable[[Iterator[list[T]], Callable[[int], None]], dict[str, OutputRecord]],
                 progress: ProgressFactory, name: str, total: int) -> None:
        self.stack, self.chunks, self.take, self.progress, self.name, self.total = stack, chunks, take, progress, name, total
        self.taken = 0  # results taken so far, for the progress shown by finish()
        self._records: dict[str, OutputRecord] = {}
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if parallel.made_elsewhere(chunks):
            self._thread = threading.Thread(target=self._take, daemon=True, name=name)
            self._thread.start()

    def _take(self) -> None:
        try:
            self._records = self.take(self.chunks, self._count)
        except BaseException as error:  # noqa: BLE001 - raised by finish()
            self._error = error

    def _count(self, done: int) -> None:
        self.taken += done

    def finish(self) -> dict[str, OutputRecord]:
        with self.stack:
            bar = self.progress(self.name, self.total)
            try:
                if self._thread is None:
                    return self.take(self.chunks, bar.update)
                shown = 0
                while self._thread.is_alive():
                    self._thread.join(0.2)
                    bar.update(self.taken - shown)
                    shown = self.taken
            finally:
                bar.close()
            if self._error is not None:
                raise self._error
            return self._records

    def stop(self) -> None:
        self.stack.close()  # the workers end; the thread taking their results with them


class Output(ABC):
    """One kind of output.  Kinds are planned and begun in the order of
    `order`, and finished in that order once all are begun: a kind's Work may
    go on (in other processes) while the next kinds are made.  Before a kind
    whose plan waits for work beside the build, the work begun that the build
    does itself is finished."""

    kind: ClassVar[str]  # its name in the cache
    stage: ClassVar[str]  # its name in the build's timings
    order: ClassVar[int]
    after: ClassVar[tuple[str, ...]] = ()  # kinds to finish before this one is planned
    # Whether a unit kept can be linked into a site made whole, beside the one
    # in place; else units are kept only by a site updated in place (or by a
    # build that takes up the staging folder of one cut short, see resume.py).
    linked: ClassVar[bool] = False
    # Whether its work notes each unit in the job's journal as it is made (a
    # long stage); the driver notes the others' once they are all made.
    journaled: ClassVar[bool] = False

    def __init__(self, job: Job, outputs: Outputs) -> None:
        self.job = job
        self.outputs = outputs

    def waits_beside(self) -> bool:
        """Whether planning this kind waits for work done beside the build: the
        driver then finishes the work begun that it does itself, meanwhile."""
        return False

    @classmethod
    def wanted(cls, config: Config) -> bool:
        """Whether a site built with `config` has this output."""
        return True

    @abstractmethod
    def units(self) -> Sequence[str]:
        """The units of the site, in the order of work."""

    def fingerprint(self, unit: str, last: OutputRecord) -> str:
        """What `unit` depends on, given its record from the last build; ALWAYS
        for a unit that is made by every build."""
        return ALWAYS

    @abstractmethod
    def start(self, todo: list[str]) -> Work:
        """Begin to make the units of `todo` into the staging folder."""


_KINDS: list[type[Output]] = []


def register(kind: type[Output]) -> type[Output]:
    """Make `kind` one of the outputs of every build that wants it."""
    _KINDS.append(kind)
    return kind


def kinds() -> list[type[Output]]:
    """Every kind, in its order: the modules of this package register theirs as they are imported
    (each of them, whichever were imported before: by a kind that uses another's names, or by a test)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return sorted(_KINDS, key=lambda kind: kind.order)


def units_changed(out: Path, last: OutputRecords) -> set[tuple[str, str]]:
    """The units of `last`, as (kind, unit), whose files are not in the output
    folder `out` as the last build left them: changed, moved or removed since."""
    with status_reader_in(out) as status_in_site:
        return {(kind, unit) for kind, records in last.items() for unit, record in records.items()
                if not all(status_in_site(name) == status for name, status in record.files)}


def _units_changed_in(out: Path) -> set[tuple[str, str]]:
    return units_changed(out, read_outputs(out))


class SiteCheck:
    """units_changed, in a process forked beside the build while it reads its
    cache, loads the articles and makes the site model: a status read of every
    file of the site takes 0.5 s of a rebuild at 100,000 articles.  Begun
    before the cache is read (`last` None), that process reads the last
    build's records itself: forked later, its build would copy every page of
    the cache's objects that it touched while the process lived (0.1 s).
    Where fork is not available, or memory is short for that process, or it
    fails, the files are read when first asked about."""

    def __init__(self, out: Path, last: OutputRecords | None = None, *, beside: bool = True) -> None:
        work = functools.partial(units_changed, out, last) if last is not None else functools.partial(_units_changed_in, out)
        # Its result is wanted after the listing of the source files, begun beside it too.
        self._apart = parallel.Apart(work, fork=beside and last != {}, behind=True)
        self._changed: set[tuple[str, str]] | None = None

    def changed(self) -> set[tuple[str, str]]:
        if self._changed is None:
            self._changed = self._apart.join()
        return self._changed

    def stop(self) -> None:
        """End the process, if it is still running (the build failed)."""
        self._apart.stop()


@dataclass(frozen=True)
class Tally:
    units: int  # recorded (not made every build)
    made: int  # of them, made by this build
    count: int  # the sum of their records' counts


class Outputs:
    """The driver: every output of one build, planned, kept or made, and recorded."""

    def __init__(self, job: Job, last: Cache | None, timed: Callable[[str], AbstractContextManager[None]],
                 site_check: SiteCheck | None = None, resumed: resume.Resumed | None = None) -> None:
        self.job = job
        # A build that takes up the staging folder of one cut short keeps units
        # in it, where they are, as a rebuild keeps them in the site in place.
        self.adopted = resumed is not None and last is None
        self.last = resumed.records if resumed is not None and last is None else last.outputs if last is not None else {}
        where = job.staging.path if self.adopted else job.config.out
        self.site_check = site_check if site_check is not None else SiteCheck(where, self.last, beside=False)
        self.timed = timed
        self.kept_files: set[str] = set()  # in the site in place, or linked from it
        self._units: dict[str, Sequence[str]] = {}
        self._kept: dict[str, dict[str, OutputRecord]] = {}
        self._made: dict[str, dict[str, OutputRecord]] = {}
        self._work: dict[str, Work] = {}
        self._stages: dict[str, str] = {}

    def make(self) -> None:
        """Plan every kind, keep what can be kept, and make the rest."""
        wanted = [kind(self.job, self) for kind in kinds() if kind.wanted(self.job.config)]
        self._journaled = {output.kind for output in wanted if output.journaled}  # their work notes their units
        try:
            for output in wanted:
                for kind in output.after:
                    self._finish(kind)
                if output.waits_beside():
                    self._finish_begun()
                with self.timed(output.stage):
                    self._work[output.kind] = output.start(self._plan(output))
                self._stages[output.kind] = output.stage
            for output in wanted:
                self._finish(output.kind)
        except BaseException:
            for work in self._work.values():
                work.stop()
            raise

    def _plan(self, output: Output) -> list[str]:
        """The units of `output` to make; the others are kept."""
        units = self._units[output.kind] = output.units()
        usable = self.job.in_place or output.linked or self.adopted
        last = self.last.get(output.kind, {}) if usable else {}
        changed = {unit for kind, unit in self.site_check.changed() if kind == output.kind} if last else set()
        kept = self._kept[output.kind] = {}
        todo = []
        # A rebuild checks every unit of a large archive here: what is asked of each is named once.
        fingerprint, kept_files, elsewhere = output.fingerprint, self.kept_files, self.adopted or not self.job.in_place
        for unit in units:
            record = last.get(unit)
            if record is None or unit in changed or record.fingerprint != fingerprint(unit, record):
                todo.append(unit)
                continue
            kept[unit] = record
            files = record.files
            if len(files) == 1 and not elsewhere:
                kept_files.add(files[0][0])  # most units: a page, kept in the site in place
                continue
            names = [name for name, _ in files]
            if self.adopted:
                self.job.staging.add(names)
            elif not self.job.in_place:
                for name in names:
                    self.job.staging.link_from(self.job.config.out, name)
            kept_files.update(names)
        if self.adopted:
            # What the build cut short made of this kind and is not kept: made
            # again from nothing, or no longer wanted; a file that this build
            # wrote there since (its status is another) is this build's.
            status_in_staging = status_reader(self.job.staging.path)
            self.job.staging.remove(name for unit, record in self.last.get(output.kind, {}).items()
                                    if unit not in kept for name, status in record.files
                                    if status_in_staging(name) == status)
        if self.job.journal is not None and not self.adopted:
            self.job.journal.add(output.kind, kept)  # linked into this build's folder: noted again there
        return todo

    def _finish(self, kind: str) -> None:
        work = self._work.pop(kind, None)
        if work is None:
            return
        for before in work.finished_after():
            self._finish(before)
        with self.timed(self._stages[kind]):
            made = self._made[kind] = work.finish()
        if self.job.journal is not None and kind not in self._journaled:
            self.job.journal.add(kind, {unit: record for unit, record in made.items() if record.fingerprint != ALWAYS})
        # Files written by others (worker processes, Pagefind) are noted here;
        # those left in the site in place (IN_PLACE) are kept there.
        written = []
        for record in made.values():
            for name, status in record.files:
                if status == IN_PLACE:
                    assert self.job.in_place, name
                    self.kept_files.add(name)
                else:
                    written.append(name)
        self.job.staging.add(written)

    def _finish_begun(self) -> None:
        """Finish the work begun so far that the build does itself (a rebuild's
        shard of the offline index, say); what other processes do (articles.json,
        Pagefind's runs) goes on, and is finished in its turn."""
        for kind, work in list(self._work.items()):
            if work.done_here():
                self._finish(kind)

    def units(self, kind: str) -> Sequence[str]:
        return self._units.get(kind, ())

    def record(self, kind: str, unit: str) -> OutputRecord | None:
        """The record of a unit kept or made so far."""
        return self.records_of(kind)(unit)

    def records_of(self, kind: str) -> Callable[[str], OutputRecord | None]:
        """`record` for the units of one kind: the tables looked up once, for a pass over many units."""
        made, kept = self._made.get(kind, {}), self._kept.get(kind, {})
        return lambda unit: made.get(unit) or kept.get(unit)

    def files_made(self, kind: str) -> set[str]:
        return {name for record in self._made.get(kind, {}).values() for name, _ in record.files}

    def files_of(self, kind: str) -> set[str]:
        """The files of the units of `kind` made or kept so far."""
        return self.files_made(kind) | {name for record in self._kept.get(kind, {}).values() for name, _ in record.files}

    def tally(self, kind: str) -> Tally:
        made = [r for r in self._made.get(kind, {}).values() if r.fingerprint != ALWAYS]
        kept = list(self._kept.get(kind, {}).values())
        return Tally(len(made) + len(kept), len(made), sum(r.count for r in (*made, *kept)))

    def kept_counts(self) -> dict[str, int]:
        """The units kept, by kind."""
        return {kind: len(kept) for kind, kept in self._kept.items()}

    def records(self, *, in_place: bool) -> OutputRecords:
        """What the next build may keep, with the status of each file as it
        now is in the output folder (a unit with a file missing is not kept)."""
        status_in_site = status_reader(self.job.config.out)
        recorded: OutputRecords = {}
        for kind in self._units:
            records = recorded[kind] = dict(self._kept.get(kind, {}))
            for unit, record in self._made.get(kind, {}).items():
                if record.fingerprint == ALWAYS:
                    continue
                if not in_place and all(status != UNKNOWN for _, status in record.files):
                    # The staging folder became the site by one rename: each file is as it was written.
                    records[unit] = record
                    continue
                # In place, a file that came out the same was not moved over the one there.
                files = tuple((name, status_in_site(name)) for name, _ in record.files)
                if all(status is not None for _, status in files):
                    records[unit] = OutputRecord(record.fingerprint, files, record.reads, record.count)  # type: ignore[arg-type]
        return recorded
