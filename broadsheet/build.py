"""The build, as one readable pipeline: load → site → outputs (kept or made) → check → write → cache."""

from __future__ import annotations

import dataclasses
import datetime
import functools
import gc
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import cache as cache_module
from . import check, images, language, load, outputs, parallel, redirects, resume, search
from .cache import ArticleRecord, Cache
from .config import PROJECT_ROOT, Config
from .outputs.search_bundles import SearchBundles
from .progress import ProgressFactory, silent
from .records import Article, FileStatus, Problem
from .render import Renderer, TemplateProblem, file_for
from .site import Site, build_site
from .write import (
    OutputError,
    Staging,
    check_output,
    clear_leftovers,
    describe,
    output_lock,
    recover_interrupted_swap,
    replace_file,
)


class BuildError(Exception):
    """A build that cannot produce a site; the message is one line for the user."""


@dataclass
class BuildResult:
    out: Path
    articles: int = 0
    pages: int = 0
    rendered: int = 0  # pages rendered; the others were kept from the last build
    indexed: int | None = None
    in_place: bool = False  # only what changed was written, into the site in place
    bundles: int = 0  # search bundles
    bundles_indexed: int = 0  # of them, indexed by this build (the others were kept)
    moved: int = 0  # redirect pages at old addresses
    gone: int = 0  # pages at addresses of removed articles
    problems: list[Problem] = field(default_factory=list)
    broken_links: list[check.BrokenLink] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one line each, for the user, not warnings
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        stages = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in self.timings.items())
        total = sum(self.timings.values())
        searched = f", {self.indexed} indexed for search" if self.indexed is not None else ", search off"
        if self.moved or self.gone:
            searched = f", {self.moved} redirected, {self.gone} gone" + searched
        noun = "article" if self.articles == 1 else "articles"
        if self.indexed is not None and self.bundles_indexed < self.bundles:
            searched += f" ({self.bundles_indexed} of {self.bundles} search bundles indexed again)"
        if self.rendered < self.pages:
            searched = f", {self.rendered} rendered again" + searched
        return (
            f"built {self.articles} {noun} ({self.pages} pages{searched}) into {self.out} "
            f"with {len(self.problems)} warning{'s' if len(self.problems) != 1 else ''} "
            f"in {total:.2f}s: {stages}"
        )


@contextmanager
def _stage(result: BuildResult, name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        result.timings[name] = result.timings.get(name, 0.0) + time.perf_counter() - start


@dataclass
class Corpus:
    articles: list[Article]
    records: dict[str, ArticleRecord]  # by source path, for the next build
    read_started_ns: int
    bodies: cache_module.BodyReader | None = None  # where the bodies of the articles just read are kept

    @property
    def digests(self) -> Mapping[str, str]:
        """The digest of each article's file, by its source path."""
        return Digests(self.records)


class Digests(Mapping[str, str]):
    """The digests of the records' files, read from the records: not a second
    table of every article, which a large archive would hold to the end."""

    def __init__(self, records: dict[str, ArticleRecord]) -> None:
        self.records = records

    def __getitem__(self, source: str) -> str:
        return self.records[source].digest

    def __iter__(self) -> Iterator[str]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def get(self, source: str, default: str | None = None) -> str | None:  # type: ignore[override]
        # Asked once or more for each page of each rebuild: Mapping's own get
        # goes through __getitem__ and a KeyError (0.2 s at 100,000 articles).
        record = self.records.get(source)
        return record.digest if record is not None else default


@dataclass(frozen=True)
class Listed:
    """The article files of the source folder, with the status of each."""

    rels: list[str]
    problems: list[Problem]
    statuses: list[FileStatus | None]
    read_started_ns: int  # before the first status was read


def list_sources(source: Path) -> Listed:
    read_started_ns = time.time_ns()
    rels, problems = load.discover(source)
    return Listed(rels, problems, list(map(cache_module.status_reader(source), rels)), read_started_ns)


def load_articles(
    config: Config, report: Callable[[Problem], None], progress: ProgressFactory, cache: Cache | None = None,
    whole: cache_module.WholeCache | None = None, listing: parallel.Apart[Listed] | None = None,
) -> Corpus:
    """Every article of the source folder; a file unchanged since the build of
    `cache` is not parsed again.  The record of each goes into `whole` as it
    comes, while the workers parse the next ones.  `listing`: the folder's
    files, listed beside the reading of the cache."""
    if not config.source.is_dir():
        raise BuildError(f"source folder {config.source} does not exist")
    if cache is not None:
        listed = listing.join() if listing is not None else list_sources(config.source)
        rels, problems, statuses, read_started_ns = listed.rels, listed.problems, listed.statuses, listed.read_started_ns
    else:
        if listing is not None:
            listing.stop()
        rels, problems = load.discover(config.source)
        read_started_ns = time.time_ns()
        # Without a cache, the status of each file is taken as it is read, in the workers.
        statuses = [None] * len(rels)
    for problem in problems:
        report(problem)
    results: list[ArticleRecord | load.Loaded | None] = [None] * len(rels)
    todo: list[str] = []
    places: list[int] = []
    for i, rel in enumerate(rels):
        record = cache.trusts(rel, statuses[i]) if cache is not None else None
        if record is not None:
            results[i] = record
        else:
            todo.append(rel)  # read in the workers, side by side
            places.append(i)
    bar = progress("load", len(todo))
    batch: list[tuple[str, ArticleRecord, cache_module.Packed]] = []
    # The bodies read go into the new cache with the articles, and are read
    # from it when used: held here, they would be most of the build's memory.
    kept = cache_module.BodyReader(whole.path) if whole is not None else None
    try:
        parsed = parallel.parse_all(todo, config.source, language=config.language, jobs=_jobs(config), tick=bar.update)
        for i, fresh in zip(places, parsed, strict=True):
            if isinstance(fresh, load.Loaded):
                results[i] = fresh
                continue
            # A file changed while it was read shows another status next time, and is read again.
            if kept is None:
                results[i] = record = cache_module.unpack(fresh[0], body=fresh)
            else:
                results[i] = record = cache_module.unpack(fresh[0], cache_module.StoredBody(kept, rels[i]))
            if whole is not None:
                batch.append((rels[i], record, fresh))
                if len(batch) == parallel.LOAD_CHUNK:
                    whole.add(batch)
                    batch = []
    finally:
        bar.close()
    if whole is not None:
        whole.add(batch)
        whole.close()
        if whole.failed:
            # The new cache could not be written: each body is read from its file again when used.
            for result in results:
                if isinstance(result, ArticleRecord) and result.loaded.article is not None:
                    article = result.loaded.article
                    if isinstance(article.content, cache_module.StoredBody) and article.content.reader is kept:
                        article.content = load.BodyFromSource(os.fspath(config.source), article.source, config.language)
            kept = None
    today = datetime.date.today()
    corpus = Corpus([], {}, read_started_ns, bodies=kept if kept is not None else cache.bodies if cache is not None else None)
    for rel, result in zip(rels, results, strict=True):
        undated = result.loaded if isinstance(result, ArticleRecord) else result
        assert isinstance(undated, load.Loaded)
        loaded = load.dated(undated, today)
        for problem in loaded.problems:
            report(problem)
        if isinstance(result, ArticleRecord):
            corpus.records[rel] = result
        if loaded.article is not None:
            corpus.articles.append(loaded.article)
    if not corpus.articles and rels:
        raise BuildError(f"none of the {len(rels)} article files in {config.source} could be used (see the warnings)")
    if not corpus.articles:
        raise BuildError(f"no articles found in {config.source} (looked for .txt and .md files)")
    return corpus


def _jobs(config: Config) -> int:
    return config.jobs or parallel.runner().width()


@dataclass(frozen=True)
class PreviousRecord:
    """The record of addresses a build starts from."""

    text: str | None
    name: str  # for messages
    own: bool  # the project's file, used whole or not at all


def previous_record(config: Config, report: Callable[[Problem], None], notes: list[str]) -> PreviousRecord:
    """The project's record of addresses; for a project that has none yet,
    the copy that the last build published in the output folder, taken up."""
    in_site = config.out / redirects.RECORD
    if config.record is not None:
        try:
            return PreviousRecord(config.record.read_text(encoding="utf-8"), str(config.record), own=True)
        except FileNotFoundError:
            pass
        except (OSError, UnicodeDecodeError) as error:
            raise BuildError(f"{config.record}: the record of addresses cannot be read ({error}); nothing was written") from None
    text = _read_if_any(in_site, str(in_site), report)
    if text is not None and config.record is not None:
        notes.append(f"note: the record of addresses in {in_site} was taken up: from now on it is kept in "
                     f"{config.record}, to be committed with the articles")
    return PreviousRecord(text, str(in_site), own=False)


def plan_addresses(
    config: Config, site: Site, pages: set[str], previous: PreviousRecord, report: Callable[[Problem], None],
    written_digest: str | None = None,
) -> redirects.Plan:
    """What answers at every address ever published, from the record of
    addresses and the source folder's redirects file."""
    try:
        plan = redirects.plan_from_texts(
            record=previous.text,
            manifest=functools.partial(_read_if_any, config.out / check.MANIFEST, str(config.out / check.MANIFEST), report),
            hand=_read_if_any(config.source / redirects.HAND_FILE, redirects.HAND_FILE, report),
            current=[redirects.Permalink(e.url, redirects.PAGE, e.article.id, e.article.source, e.article.title)
                     for e in site.entries],
            pages=pages, record_name=previous.name, base_url=config.base_url, written_digest=written_digest,
            strict_record=previous.own,
        )
    except redirects.RecordError as error:
        raise BuildError(f"{error}; nothing was written") from None
    for problem in plan.problems:
        report(problem)
    return plan


def _read_if_any(path: Path, name: str, report: Callable[[Problem], None]) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        report(Problem(name, f"cannot be read ({error}); ignored"))
        return None


def _keep_record(path: Path, copied: Path) -> None:
    try:
        replace_file(path, copied)
    except OSError as error:
        raise BuildError(f"{path}: the record of addresses cannot be written ({error.strerror or error}); "
                         "nothing was written") from None


def _stop_if_strict(config: Config, result: BuildResult) -> None:
    if config.strict and result.problems:
        raise BuildError(f"{len(result.problems)} warning(s) with --strict; the site was not written")


# What builds left for the process's end to free (see build's leave_to_exit).
_LEFT_TO_EXIT: list[object] = []


def build(
    config: Config, report: Callable[[Problem], None] | None = None, progress: ProgressFactory = silent,
    *, leave_to_exit: bool = False,
) -> BuildResult:
    """Build the site described by `config`; problems go to `report` as they are met.
    With `leave_to_exit`, for a program that ends right after, the build's
    model and records are not freed as it returns, one object at a time (half
    a second at 100,000 articles), but with the process."""
    # The records of a large archive are millions of objects that live for the
    # whole build, and the garbage a build makes is freed by reference counts:
    # the cycle collector would only scan them again and again (a tenth of a
    # rebuild).  Worker processes, which render templates, turn it back on.
    collecting = gc.isenabled()
    gc.disable()
    try:
        # The cluster is reached first: a build that cannot reach it touches nothing.
        with parallel.running(config.scheduler), output_lock(config.out):
            recover_interrupted_swap(config.out)
            return _build(config, report, progress, _LEFT_TO_EXIT if leave_to_exit else None)
    except parallel.ClusterError as error:
        raise BuildError(str(error)) from None
    except OutputError as error:
        raise BuildError(str(error)) from None
    except OSError as error:
        # A full disk, a folder made read-only meanwhile: the previous site stays.
        raise BuildError(f"cannot write the site: {describe(error, config.out)}") from None
    finally:
        if leave_to_exit:
            # Nor scanned: the collector's first pass would go through every
            # object made while it was off (a fifth of a second at 100,000 articles).
            gc.freeze()
        if collecting:
            gc.enable()


def _build(config: Config, report: Callable[[Problem], None] | None, progress: ProgressFactory,
           left: list[object] | None) -> BuildResult:
    result = BuildResult(out=config.out)
    english = language.english_interface_note(config.language)
    if english is not None:
        result.notes.append(english)

    def note(problem: Problem) -> None:
        result.problems.append(problem)
        if report is not None:
            report(problem)

    # A rebuild lists the articles' files beside the reading of its cache, and
    # reads the status of the site's files in another process (see SiteCheck).
    rebuild = config.incremental and cache_module.exists(config.out)
    listing = parallel.Apart(functools.partial(list_sources, config.source)) if rebuild and config.source.is_dir() else None
    site_check = outputs.SiteCheck(config.out) if rebuild else None
    try:
        with _stage(result, "cache"):
            key = cache_module.build_key(config)
            cache, trouble = cache_module.read_cache(config.out, key) if config.incremental else (None, None)
            if trouble:
                result.notes.append(trouble)
        # With the cache of the site in place, only what changed is written, in
        # place; else a new site is made beside it and swapped in whole.  A
        # --check build is always made whole, so that --strict can refuse it.
        in_place = cache is not None and not config.check
        try:
            made = check_output(config.out, source=config.source, templates=config.template_dirs,
                                project_root=PROJECT_ROOT, replacing=not in_place)
        except OutputError as error:
            raise BuildError(str(error)) from None
        result.in_place = made is not None and in_place
        # Without a cache to keep from, a new one is written as the articles are loaded.
        whole = cache_module.WholeCache(config.out) if cache is None else None
        if cache is None and site_check is not None:
            site_check.stop()  # no records to check
            site_check = None
    except BaseException:
        if listing is not None:
            listing.stop()
        if site_check is not None:
            site_check.stop()
        raise
    staging: Staging | None = None
    addresses: AddressPlanning | None = None
    journal: resume.Journal | None = None
    resumed: resume.Resumed | None = None
    try:
        with _stage(result, "load"):
            corpus = load_articles(config, note, progress, cache, whole, listing)
        with _stage(result, "site"):
            site, problems = build_site(corpus.articles, per_page=config.per_page, site_title=config.site_title,
                                        language=config.language)
            # "auto" is decided once the site's size is known; every stage after this sees the engine chosen.
            if config.served_search == "auto":
                config = dataclasses.replace(
                    config, served_search=search.served_engine(len(site.entries), config.search_shard_pages))
                if config.served_search == "offline" and cache is not None and cache.outputs.get(SearchBundles.kind):
                    most = search.AUTO_PAGEFIND_SHARDS * config.search_shard_pages
                    result.notes.append(
                        f"note: the archive is now {len(site.entries):,} articles, more than {most:,}: served, the "
                        "search page now asks the offline index, and Pagefind's bundles are removed "
                        '(served-search = "pagefind" keeps them; see docs/search.md)')
            for problem in problems:
                note(problem)
            # Each build: the files beside the articles may have changed while the articles did not.
            known_images = images.Known.load(_known_images(config), key) if cache is not None else images.Known()
            for problem in images.resolve_all(((e.article, e.url) for e in site.entries), source=str(config.source),
                                              base_url=config.base_url, known=known_images):
                note(problem)
        result.articles = len(site.entries)
        _stop_if_strict(config, result)
        # A build made whole takes up the staging folder of the last one, if that was cut short (see resume.py).
        # The engine "auto" chose is part of what the build cut short made: another takes up none of it.
        journal_key = f"{key} served-search={config.served_search}"
        resumed = resume.take_up(config.out, journal_key) if cache is None and config.incremental else None
        if resumed is None:
            resume.remove(config.out)
        clear_leftovers(config.out, keep=resumed.folder if resumed is not None else None)
        if resumed is not None:
            resume.prune(resumed)
        staging = Staging(config.out, adopted=resumed.folder if resumed is not None else None)
        if not result.in_place:
            journal = resume.Journal(config.out, journal_key, staging.path, going_on=resumed is not None)
        addresses = AddressPlanning(config, site, staging, result, note, cache.record_digest if cache is not None else None,
                                    beside=result.in_place, kept=cache.address_plan if cache is not None else None)
        job = outputs.Job(
            config, site, corpus.digests, staging,
            Renderer(config, site, compiled=cache_module.folder_for(config.out) / "templates"),
            bodies=corpus.bodies, note=note, notes=result.notes, progress=progress,
            jobs=_jobs(config), in_place=result.in_place, addresses=addresses, journal=journal,
        )
        # Every output: kept where it is unchanged, made again where not.
        made_outputs = outputs.Outputs(job, cache, functools.partial(_stage, result), site_check, resumed)
        made_outputs.make()
        if site_check is not None:
            site_check.stop()  # asked by every kind kept from the last build; ended here if none was
        addresses.stop()  # the same: a plan begun and not asked for
        _tally(result, made_outputs)
        if config.check:
            with _stage(result, "check"):
                result.broken_links = check.check_links(staging.path)
            if result.broken_links and config.strict:
                raise BuildError(f"{len(result.broken_links)} broken link(s) with --strict; the site was not written")
        if config.record is not None and addresses.to_keep:
            # Before the site: the site never shows an address that the record lacks.
            _keep_record(config.record, staging.path / redirects.RECORD)
        if result.in_place:
            assert made is not None
            cache_module.forget_outputs(config.out)
            with _stage(result, "write"):
                staging.update_in_place(kept=made_outputs.kept_files, made=made)
        else:
            with _stage(result, "write"):
                staging.commit()
                if journal is not None:
                    journal.remove()
            if resumed is not None:
                taken = ", ".join(f"{kind} {count:,}" for kind, count in made_outputs.kept_counts().items() if count)
                result.notes.append(f"note: taken up from the build into {config.out} that was cut short: "
                                    f"{taken or 'nothing that could still be used'}")
    except BaseException as error:
        # Stopped by Ctrl-C, a build made whole leaves what it made for the next
        # to take up, as one killed outright does (see resume.py); else it goes.
        for_next = (isinstance(error, KeyboardInterrupt) and journal is not None
                    and (journal.noted > 0 or resumed is not None))
        if journal is not None and not for_next:
            journal.remove()
        elif journal is not None:
            journal.close()
        if listing is not None:
            listing.stop()
        if site_check is not None:
            site_check.stop()
        if addresses is not None:
            addresses.stop()
        if staging is not None and not for_next:
            staging.discard()
        if whole is not None:
            whole.abandon()
        if isinstance(error, TemplateProblem):
            raise BuildError(f"template error: {error}") from None
        if isinstance(error, search.SearchError):
            raise BuildError(str(error)) from None
        raise
    if corpus.bodies is not None:
        corpus.bodies.close()
    with _stage(result, "cache"):
        try:
            next_cache = Cache(key, corpus.records, made_outputs.records(in_place=result.in_place),
                               read_started_ns=corpus.read_started_ns,
                               record_digest=addresses.digest, address_plan=addresses.kept)
            cache_module.write_cache(config.out, next_cache, last=cache, whole=whole)
            known_images.save(_known_images(config), key)
        except (OSError, sqlite3.Error) as error:
            if whole is not None:
                whole.abandon()
            result.notes.append(f"the build cache could not be written ({error}); the next build renders every page")
    if left is not None:
        left.append((cache, corpus, site, job, made_outputs, addresses))
    return result


def _known_images(config: Config) -> Path:
    return cache_module.folder_for(config.out) / images.KNOWN_FILE


@dataclass(frozen=True)
class PlannedAddresses:
    """What planning the addresses gives the build, besides the record it writes into the site."""

    addresses: outputs.Addresses
    digest: str | None  # of the record written, if laid out as the build lays it out (Plan.laid_out)
    to_keep: bool
    problems: list[Problem]
    notes: list[str]
    kept: str | None = None  # for the next build: the plan and what it was made from (see _kept_plan)


def _kept_plan(key: str, counts: list[int], planned: PlannedAddresses) -> str:
    """What the next build needs of a plan of addresses to take it up where it
    would be made from the same things (`key`, see AddressPlanning._key), of
    as many articles and pages (`counts`)."""
    addresses = planned.addresses
    return json.dumps({"key": key, "counts": counts, "digest": planned.digest,
                       "moved": [dataclasses.astuple(p) for p in addresses.moved],
                       "gone": [dataclasses.astuple(p) for p in addresses.gone],
                       "folders": [dataclasses.astuple(p) for p in addresses.folders]}, ensure_ascii=False)


@dataclass(frozen=True)
class _KeptPlan:
    key: str
    counts: list[int]
    digest: str
    addresses: outputs.Addresses

    @classmethod
    def read(cls, kept: str | None) -> _KeptPlan | None:
        """The plan a build kept (_kept_plan), if it is whole."""
        try:
            plan = json.loads(kept) if kept else None
            if not isinstance(plan, dict):
                return None
            moved, gone, folders = (tuple(redirects.Permalink(*fields) for fields in plan[name])
                                    for name in ("moved", "gone", "folders"))
            key, counts, digest = plan["key"], plan["counts"], plan["digest"]
        except (ValueError, TypeError, KeyError):
            return None
        if not isinstance(key, str) or not isinstance(digest, str) or not isinstance(counts, list):
            return None
        return cls(key, counts, digest, outputs.Addresses(moved, gone, folders))


class AddressPlanning:
    """The plan of what answers at every address ever published, made once
    the pages are known, by the first output that asks: the record of
    addresses goes into the site then.  Neither record's text is held after
    that (they are as large as the heads of the articles): the record's digest
    is, and whether the project's record is to be written again from the
    site's copy.

    A rebuild (`beside`) begins the plan in a process forked as soon as the
    pages are known, while the build checks the fingerprint of every page: a
    second at 100,000 articles, on a core that is otherwise idle then.  A full
    build, whose workers have both cores, plans when asked; so does a rebuild
    short of memory for that process (see parallel.room_beside)."""

    def __init__(
        self, config: Config, site: Site, staging: Staging, result: BuildResult, note: Callable[[Problem], None],
        written_digest: str | None, *, beside: bool = False, kept: str | None = None,
    ) -> None:
        self.config, self.site, self.staging, self.result, self.note = config, site, staging, result, note
        self.written_digest = written_digest
        self.last_plan = kept  # the last build's plan (_kept_plan), if it kept one
        self.kept: str | None = None  # this build's, for the next
        self.beside = beside
        self._begun: tuple[set[str], parallel.Apart[PlannedAddresses]] | None = None
        self._planned: outputs.Addresses | None = None
        self.digest: str | None = redirects.record_digest("")
        self.to_keep = False  # the project's record differs from the site's copy, or there is none yet

    def begin(self, pages: set[str]) -> None:
        """The pages are known: a rebuild begins the plan beside the build."""
        if self.beside and self._begun is None and self._planned is None:
            self._begun = (pages, parallel.Apart(functools.partial(self._plan, pages)))

    @property
    def being_made(self) -> bool:
        return self._begun is not None

    def stop(self) -> None:
        """End the plan begun beside the build, if any (the build failed)."""
        if self._begun is not None:
            self._begun[1].stop()
            self._begun = None

    def __call__(self, pages: set[str]) -> outputs.Addresses:
        if self._planned is None:
            begun, self._begun = self._begun, None
            if begun is not None and begun[0] != pages:
                begun[1].stop()  # begun for other pages: planned again here
                begun = None
            planned = begun[1].join() if begun is not None else self._plan(pages)
            self.staging.add([redirects.RECORD])  # written by the process beside, if there was one
            for problem in planned.problems:
                self.note(problem)
            self.result.notes.extend(planned.notes)
            _stop_if_strict(self.config, self.result)
            self.digest, self.to_keep, self.kept = planned.digest, planned.to_keep, planned.kept
            self.result.moved, self.result.gone = len(planned.addresses.moved), len(planned.addresses.gone)
            self._planned = planned.addresses
        return self._planned

    def _plan(self, pages: set[str]) -> PlannedAddresses:
        """The plan, its record written into the site, and the warnings and
        notes it gives, to be told by the build (this may run beside it)."""
        problems: list[Problem] = []
        notes: list[str] = []
        previous = previous_record(self.config, problems.append, notes)
        # A plan taken up is made from as many articles and pages: where there are
        # more or fewer (an article added), what it was made from is not worked out.
        counts, key = [len(self.site.entries), len(pages)], None
        last = _KeptPlan.read(self.last_plan)
        if last is not None and last.counts == counts and previous.text is not None and not notes:
            read_digest = redirects.record_digest(previous.text)
            key = self._key(previous.name, previous.own, read_digest, pages)
            if (last.key, last.digest) == (key, read_digest):
                # Made from the same record, redirects file and pages as the last build's, which
                # wrote the record it read: the same plan, and the record as it was read (1.3 s of
                # processor at 100,000 articles).
                text, step = previous.text, 1 << 20
                self.staging.write_text(redirects.RECORD, (text[i : i + step] for i in range(0, len(text), step)))
                return PlannedAddresses(last.addresses, read_digest, not previous.own, problems, notes, self.last_plan)
        plan = plan_addresses(self.config, self.site, pages, previous, problems.append, self.written_digest)
        # Written as it is made, not held whole: a line an article.
        digest = redirects.RecordDigest()
        self.staging.write_text(redirects.RECORD, digest.through(plan.record_parts()))
        written = digest.hexdigest()
        to_keep = (not previous.own or previous.text is None
                   or written != (plan.read_digest or redirects.record_digest(previous.text)))
        # Taken up by the next build where it reads back this record as written (the
        # plan wrote the record it read) and nothing needed telling.
        keep_plan = plan.unchanged_text is not None and plan.laid_out and not problems and not notes
        if keep_plan and key is None:
            key = self._key(previous.name, previous.own, written, pages)
        del previous
        folders = redirects.folder_moves(pages, also={file_for(p.url) for p in (*plan.moved, *plan.gone)})
        # Trusted by the next build only if laid out as this one lays it out: it takes its lines as they are.
        planned = PlannedAddresses(outputs.Addresses(plan.moved, plan.gone, folders), written if plan.laid_out else None,
                                   to_keep, problems, notes)
        return dataclasses.replace(planned, kept=_kept_plan(key, counts, planned)) if keep_plan and key else planned

    def _key(self, record_name: str, own: bool, read_digest: str, pages: set[str]) -> str:
        """Stands for all that the plan of addresses is made from: the record
        read and whose it is, the redirects file, the digest of the record the
        last build wrote, and the site's permalinks and page files."""
        hand = self.config.source / redirects.HAND_FILE
        try:
            hand_text = hand.read_bytes().hex() if hand.is_file() else "none"
        except OSError as error:
            hand_text = f"unreadable {error}"
        hashed = hashlib.blake2b(digest_size=16)
        for part in (record_name, str(own), read_digest, hand_text,
                     str(self.written_digest), str(self.config.base_url)):
            hashed.update(f"{part}\n".encode())
        hashed.update(cache_module.listed_key(self.site.entries).encode())
        hashed.update("\n".join(sorted(pages)).encode("utf-8", "surrogateescape"))
        return hashed.hexdigest()


def _tally(result: BuildResult, made: outputs.Outputs) -> None:
    """What the build made and kept, for its summary."""
    pages = made.tally("pages")
    result.pages, result.rendered = pages.units, pages.made
    bundles = made.tally("search bundles")
    if made.units("search bundles"):
        result.indexed, result.bundles, result.bundles_indexed = bundles.count, bundles.units, bundles.made
    elif made.units("offline search"):
        result.indexed = result.articles  # served by the offline index, which holds every article
