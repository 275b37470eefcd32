"""The build, as one readable pipeline: load → site → render → write → search → check."""

from __future__ import annotations

import datetime
import gc
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import cache as cache_module
from . import check, favicon, hosts, load, parallel, publish, redirects, search
from .cache import ArticleRecord, BundleRecord, Cache, Fingerprints, PageRecord
from .config import PROJECT_ROOT, Config
from .progress import ProgressFactory, silent
from .records import Article, Problem
from .render import Rendered, Renderer, TemplateProblem, file_for, site_globals
from .site import Entry, Site, build_site
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

ASSETS = "assets"
_UNKNOWN = (0, 0, 0)  # the status of a file not yet in place


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
    digests: dict[str, str] = field(default_factory=dict)  # by Article.source


def load_articles(
    config: Config, report: Callable[[Problem], None], progress: ProgressFactory, cache: Cache | None = None,
    whole: cache_module.WholeCache | None = None,
) -> Corpus:
    """Every article of the source folder; a file unchanged since the build of
    `cache` is not parsed again.  The record of each goes into `whole` as it
    comes, while the workers parse the next ones."""
    if not config.source.is_dir():
        raise BuildError(f"source folder {config.source} does not exist")
    rels, problems = load.discover(config.source)
    for problem in problems:
        report(problem)
    read_started_ns = time.time_ns()
    results: list[ArticleRecord | load.Loaded | None] = [None] * len(rels)
    todo: list[str] = []
    places: list[int] = []
    # Without a cache, the status of each file is taken as it is read, in the workers.
    statuses = list(map(cache_module.status_reader(config.source), rels)) if cache is not None else [None] * len(rels)
    for i, rel in enumerate(rels):
        record = cache.trusts(rel, statuses[i]) if cache is not None else None
        if record is not None:
            results[i] = record
        else:
            todo.append(rel)  # read in the workers, side by side
            places.append(i)
    bar = progress("load", len(todo))
    batch: list[tuple[str, ArticleRecord, cache_module.Packed]] = []
    try:
        parsed = parallel.parse_all(todo, config.source, language=config.language, jobs=_jobs(config), tick=bar.update)
        for i, fresh in zip(places, parsed, strict=True):
            if isinstance(fresh, load.Loaded):
                results[i] = fresh
                continue
            # A file changed while it was read shows another status next time, and is read again.
            results[i] = record = cache_module.unpack(fresh[0], body=fresh[1])
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
    today = datetime.date.today()
    corpus = Corpus([], {}, read_started_ns)
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
            if isinstance(result, ArticleRecord):
                corpus.digests[loaded.article.source] = result.digest
    if not corpus.articles and rels:
        raise BuildError(f"none of the {len(rels)} article files in {config.source} could be used (see the warnings)")
    if not corpus.articles:
        raise BuildError(f"no articles found in {config.source} (looked for .txt and .md files)")
    return corpus


def _jobs(config: Config) -> int:
    return config.jobs or parallel.default_jobs()


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
            manifest=_read_if_any(config.out / check.MANIFEST, str(config.out / check.MANIFEST), report),
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


def _address_pages(
    renderer: Renderer, site: Site, plan: redirects.Plan, folders: tuple[redirects.Permalink, ...]
) -> Iterator[Rendered]:
    titles = {e.url: e.article.title for e in site.entries} if plan.moved else {}
    for moved in plan.moved:
        yield renderer.redirect(moved.url, moved.to or "", titles.get(moved.to or ""))
    for gone in plan.gone:
        yield renderer.gone(gone.url, gone.title)
    for folder in folders:
        yield renderer.redirect(folder.url, folder.to or "", None)


def _keep_record(path: Path, text: str) -> None:
    try:
        replace_file(path, text.encode("utf-8"))
    except OSError as error:
        raise BuildError(f"{path}: the record of addresses cannot be written ({error.strerror or error}); "
                         "nothing was written") from None


def _host_files(
    config: Config, plan: redirects.Plan, folders: tuple[redirects.Permalink, ...], skipped: set[str]
) -> dict[str, str]:
    """The redirect files of web hosts, for the addresses whose pages were
    written (a file that another tool put at an address is left to answer)."""
    moves = [(p.url, p.to or "") for p in (*plan.moved, *folders) if file_for(p.url) not in skipped]
    gone = [p.url for p in plan.gone if file_for(p.url) not in skipped]
    return hosts.host_files(moves, gone, config.base_path)


def _write_favicon(config: Config, staging: Staging, note: Callable[[Problem], None]) -> None:
    """favicon.ico at the root, from the PNG icon of the templates that give one."""
    source = next((d / favicon.SOURCE for d in config.template_dirs if (d / favicon.SOURCE).is_file()), None)
    if source is None:
        return
    try:
        staging.write_bytes(favicon.ICO, favicon.ico_from_png(source.read_bytes()))
    except favicon.NotAPng as error:
        note(Problem(str(source), f"{error}; no {favicon.ICO} written"))
    except OSError as error:
        note(Problem(str(source), f"cannot be read ({error.strerror or error}); no {favicon.ICO} written"))


def _stop_if_strict(config: Config, result: BuildResult) -> None:
    if config.strict and result.problems:
        raise BuildError(f"{len(result.problems)} warning(s) with --strict; the site was not written")


def build(
    config: Config, report: Callable[[Problem], None] | None = None, progress: ProgressFactory = silent
) -> BuildResult:
    """Build the site described by `config`; problems go to `report` as they are met."""
    # The records of a large archive are millions of objects that live for the
    # whole build, and the garbage a build makes is freed by reference counts:
    # the cycle collector would only scan them again and again (a tenth of a
    # rebuild).  Worker processes, which render templates, turn it back on.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with output_lock(config.out):
            recover_interrupted_swap(config.out)
            return _build(config, report, progress)
    except OutputError as error:
        raise BuildError(str(error)) from None
    except OSError as error:
        # A full disk, a folder made read-only meanwhile: the previous site stays.
        raise BuildError(f"cannot write the site: {describe(error, config.out)}") from None
    finally:
        if collecting:
            gc.enable()


def _build(config: Config, report: Callable[[Problem], None] | None, progress: ProgressFactory) -> BuildResult:
    result = BuildResult(out=config.out)

    def note(problem: Problem) -> None:
        result.problems.append(problem)
        if report is not None:
            report(problem)

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
    staging: Staging | None = None
    try:
        with _stage(result, "load"):
            corpus = load_articles(config, note, progress, cache, whole)
        with _stage(result, "site"):
            site, problems = build_site(corpus.articles, per_page=config.per_page, site_title=config.site_title)
            for problem in problems:
                note(problem)
        result.articles = len(site.entries)
        _stop_if_strict(config, result)
        clear_leftovers(config.out)
        staging = Staging(config.out)
        renderer = Renderer(config, site, compiled=cache_module.folder_for(config.out) / "templates")
        with ExitStack() as rendering:
            with _stage(result, "render"):
                page_plan = plan_pages(config, site, staging, corpus.digests, cache, link_kept=not result.in_place)
                written, kept = page_plan.paths, page_plan.kept
                chunks = rendering.enter_context(parallel.rendering(
                    renderer, site, staging.path, jobs=_jobs(config), keys=page_plan.todo,
                    fingerprint=page_plan.fingerprints.page))
            # The pages render in worker processes while this one makes the rest of the site.
            bundles: dict[str, BundleRecord] = {}  # files made in sets, kept as sets: search bundles, feeds
            with _stage(result, "write"):
                for folder in reversed(config.template_dirs):
                    if (folder / ASSETS).is_dir():
                        staging.copy_tree(folder / ASSETS, ASSETS)
                _write_favicon(config, staging, note)
                staging.write_text(check.MANIFEST, check.manifest(site.entries))
            with _stage(result, "publish"):
                if config.base_url:
                    bundles[FEEDS], keep_feeds = feeds_record(config, site, corpus, cache if result.in_place else None)
                    if keep_feeds:
                        kept.update(name for name, _ in bundles[FEEDS].files)
                    elif cache is not None and cache.bodies is not None:
                        cache.bodies.fetch(e.article for e in publish.newest(site))
                    published = publish.publish_files(
                        site, base_url=config.base_url, site_title=config.site_title, language=config.language,
                        feeds=not keep_feeds,
                    )
                    for path, text in published.items():
                        staging.write_text(path, text)
                else:
                    result.notes.append(publish.SKIPPED)
            with _stage(result, "redirects"):
                previous = previous_record(config, note, result.notes)
                plan = plan_addresses(config, site, written, previous, note,
                                      cache.record_digest if cache is not None else None)
                _stop_if_strict(config, result)
                record_text = plan.record_text()
                staging.write_text(redirects.RECORD, record_text)
                folders = redirects.folder_moves(written | {file_for(p.url) for p in (*plan.moved, *plan.gone)})
                skipped: set[str] = set()
                for page in _address_pages(renderer, site, plan, folders):
                    if page.path in kept or staging.occupied(page.path):  # a file the pure plan cannot know of, such as another tool's
                        note(Problem(page.path, "another file of the site is there; no redirect or gone page written"))
                        skipped.add(page.path)
                        continue
                    staging.write_text(page.path, page.html)
                result.moved, result.gone = len(plan.moved), len(plan.gone)
                for name, text in _host_files(config, plan, folders, skipped).items():
                    staging.write_text(name, text)
            with _stage(result, "render"):
                pages = take_pages(page_plan, chunks, staging, progress)
                result.pages = len(pages)
                result.rendered = len(page_plan.todo)
        if config.search:
            with _stage(result, "offline search"):
                offline = plan_offline_search(config, site, staging, corpus, cache if result.in_place else None, kept,
                                              bodies=cache.bodies if cache is not None else None)
            with _stage(result, "search"):
                # A site whose Pagefind runs all go at once makes its offline
                # index beside them, in a process of its own: a large one makes
                # it after them, so that their memory and its never add up.
                beside = offline.todo and len(site.entries) <= config.search_shard_pages * _jobs(config)
                making = parallel.Beside(lambda: offline.make(jobs=1)) if beside else None
                try:
                    bundles = index_search(config, site, staging, pages, cache, result, kept, progress)
                except BaseException:
                    if making is not None:
                        making.stop()
                    raise
            with _stage(result, "offline search"):
                bundles.update(offline.kept)
                shards_made = making.join() if making is not None else offline.make(jobs=_jobs(config))
                bundles.update(offline.added(shards_made))
        if config.check:
            with _stage(result, "check"):
                result.broken_links = check.check_links(staging.path)
            if result.broken_links and config.strict:
                raise BuildError(f"{len(result.broken_links)} broken link(s) with --strict; the site was not written")
        if config.record is not None and (record_text != previous.text or not previous.own):
            # Before the site: the site never shows an address that the record lacks.
            _keep_record(config.record, record_text)
        if result.in_place:
            assert made is not None
            cache_module.forget_pages(config.out)
            with _stage(result, "write"):
                staging.update_in_place(kept=kept, made=made)
        else:
            with _stage(result, "write"):
                staging.commit()
    except BaseException as error:
        if staging is not None:
            staging.discard()
        if whole is not None:
            whole.abandon()
        if isinstance(error, TemplateProblem):
            raise BuildError(f"template error: {error}") from None
        if isinstance(error, search.SearchError):
            raise BuildError(str(error)) from None
        raise
    if cache is not None and cache.bodies is not None:
        cache.bodies.close()
    with _stage(result, "cache"):
        try:
            next_cache = _next_cache(config, key, corpus, pages, cache, in_place=result.in_place)
            next_cache.record_digest = redirects.record_digest(record_text)
            next_cache.bundles = _bundle_statuses(config.out, bundles)
            cache_module.write_cache(config.out, next_cache, last=cache, whole=whole)
        except (OSError, sqlite3.Error) as error:
            if whole is not None:
                whole.abandon()
            result.notes.append(f"the build cache could not be written ({error}); the next build renders every page")
    return result


@dataclass
class PagePlan:
    """Every page of the site by path: the record of each rendered so far, None
    for one kept from the last build (whose record stays as it was)."""

    pages: dict[str, PageRecord | None]
    todo: list[parallel.PageKey]  # the pages to render
    paths: set[str]  # of every page
    fingerprints: Fingerprints

    @property
    def kept(self) -> set[str]:
        return {path for path, record in self.pages.items() if record is None}


def plan_pages(
    config: Config, site: Site, staging: Staging, digests: dict[str, str], cache: Cache | None, *, link_kept: bool,
) -> PagePlan:
    """Which pages are to be rendered: all but those the cache shows would come
    out the same as the file in place, which are kept where they are (and
    linked into the staging folder with `link_kept`)."""
    keys = parallel.page_keys(site)
    paths = [parallel.page_path(site, key) for key in keys]
    fingerprints = Fingerprints(site, site_globals(config, site), digests)
    plan = PagePlan({}, [], set(paths), fingerprints)
    kept = cache.pages if cache is not None else {}
    status_in_site = cache_module.status_reader(config.out)
    for key, path in zip(keys, paths, strict=True):
        record = kept.get(path)
        if (
            record is not None
            and record.fingerprint == fingerprints.page(key, record.reads)
            and status_in_site(path) == record.status
        ):
            if link_kept:
                staging.link_from(config.out, path)
            plan.pages[path] = None
        else:
            plan.todo.append(key)
    if cache is not None and cache.bodies is not None:
        # Read in a few queries here rather than one at a time in the workers.
        cache.bodies.fetch(site.entries[i].article for kind, i in plan.todo if kind == "article")
    return plan


def take_pages(
    plan: PagePlan, chunks: Iterator[list[parallel.Written]], staging: Staging, progress: ProgressFactory
) -> dict[str, PageRecord | None]:
    """The record of every page, once the pages of `plan.todo` are rendered."""
    pages = plan.pages
    bar = progress("render", len(plan.todo))
    try:
        for chunk in chunks:
            for page in chunk:
                pages[page.path] = PageRecord(page.fingerprint, page.reads, page.status)
            bar.update(len(chunk))
    finally:
        bar.close()
        staging.add(path for path, record in pages.items() if record is not None)
    return pages


def index_search(
    config: Config, site: Site, staging: Staging, pages: dict[str, PageRecord | None], cache: Cache | None,
    result: BuildResult, kept: set[str], progress: ProgressFactory,
) -> dict[str, BundleRecord]:
    """The search bundles, one per shard of the articles: indexed into the
    staging folder, or (in place) kept where they are when none of their pages
    changed; adds the files of kept bundles to `kept`.  The record of each."""
    shards = search.plan_shards(site, limit=config.search_shard_pages)
    last = cache.bundles if cache is not None and result.in_place else {}

    def fingerprint(path: str) -> str:
        record = pages[path] or (cache.pages[path] if cache is not None else None)
        return record.fingerprint if record is not None else ""

    keys = {s.name: cache_module.bundle_key(s, map(fingerprint, s.pages)) for s in shards}
    records: dict[str, BundleRecord] = {}
    todo = []
    for shard in shards:
        record = last.get(shard.name)
        if record is not None and record.fingerprint == keys[shard.name] and _in_place(config.out, record):
            records[shard.name] = record
            kept.update(name for name, _ in record.files)
        else:
            todo.append(shard)
    if result.in_place:
        # Pagefind reads whole pages from one folder: those kept, and those just rendered.
        wanted = {page for shard in todo for page in shard.pages}
        folder = staging.view(config.out, wanted & kept, wanted - kept)
    else:
        folder = staging.path
    bar = progress("search", len(todo))
    try:
        counts = search.index_shards(
            folder, todo, language=config.language, jobs=_jobs(config),
            done=lambda shard, count: bar.update(1), output=staging.path,
        )
    finally:
        bar.close()
    for shard in todo:
        files = tuple((name, _UNKNOWN) for name in search.bundle_files(staging.path, shard, shards))
        staging.add(name for name, _ in files)
        records[shard.name] = BundleRecord(keys[shard.name], counts[shard.name], files)
    staging.write_text(f"{search.INDEX_FOLDER}/{search.BUNDLES}",
                       search.bundles_json(shards, {name: r.pages for name, r in records.items()}))
    result.indexed = sum(r.pages for r in records.values())
    result.bundles, result.bundles_indexed = len(shards), len(todo)
    return records


FEEDS = "feeds"  # the name of the feeds' record among those of the search bundles


def feeds_record(config: Config, site: Site, corpus: Corpus, cache: Cache | None) -> tuple[BundleRecord, bool]:
    """The record of the feeds, and whether the feeds in place can be kept:
    none of the newest articles changed, and their files are as the last build
    left them (most rebuilds: feedgen is then not even imported)."""
    newest = publish.newest(site)
    key = cache_module.entries_key(newest, corpus.digests)
    last = cache.bundles.get(FEEDS) if cache is not None else None
    if last is not None and last.fingerprint == key and _in_place(config.out, last):
        return last, True
    return BundleRecord(key, len(newest), ((publish.ATOM_FEED, _UNKNOWN), (publish.JSON_FEED, _UNKNOWN))), False


@dataclass
class OfflinePlan:
    """The offline search index of a build: the records of the shards kept as
    they are, and the work that makes the others (see make)."""

    kept: dict[str, BundleRecord]  # by record name
    todo: list[tuple[str, str, list[Entry]]]  # record name, key, entries of each shard to make
    staging: Staging

    def make(self, *, jobs: int) -> dict[str, BundleRecord]:
        """Write the shards to make into the staging folder: one shard's terms
        counted by `jobs` processes, or several shards side by side, one each.
        The staging folder hears of their files in added(), in the build's process."""
        if len(self.todo) == 1 or jobs <= 1:
            return dict(self._make(i, jobs) for i in range(len(self.todo)))
        return dict(parallel.each(lambda i: self._make(i, 1), len(self.todo), jobs=jobs))

    def added(self, made: dict[str, BundleRecord]) -> dict[str, BundleRecord]:
        """`made`, the shards make() wrote (perhaps in another process), noted in the staging folder."""
        for record in made.values():
            self.staging.add(name for name, _ in record.files)
        return made

    def _make(self, i: int, jobs: int) -> tuple[str, BundleRecord]:
        from . import offline_index

        name, key, entries = self.todo[i]
        documents = offline_index.documents(entries)
        counted = parallel.count_terms(documents, jobs=jobs)
        files = offline_index.index_files(documents, counted, shard=name.removeprefix(OFFLINE_PREFIX))
        for path, text in files.items():
            self.staging.write_text(path, text)
        return name, BundleRecord(key, len(documents), tuple((path, _UNKNOWN) for path in sorted(files)))


OFFLINE_PREFIX = "offline search "  # the names of its shards' records among the search bundles


def plan_offline_search(
    config: Config, site: Site, staging: Staging, corpus: Corpus, cache: Cache | None, kept: set[str],
    bodies: cache_module.BodyReader | None = None,
) -> OfflinePlan:
    """The index that search from disk (file://) uses, where Pagefind cannot
    run, in the shards of the Pagefind index.  A shard none of whose articles
    changed is kept in place (its files are added to `kept`); the list of
    shards is written into the staging folder now, the shards to make by
    OfflinePlan.make."""
    shard_of = {}
    for shard in search.plan_shards(site, limit=config.search_shard_pages):
        shard_of.update(dict.fromkeys(shard.pages, shard))
    entries_of: dict[str, list[Entry]] = {}  # by shard name, newest first
    shards = {}
    for entry in site.entries:
        shard = shard_of[file_for(entry.url)]
        entries_of.setdefault(shard.name, []).append(entry)
        shards[shard.name] = shard
    plan = OfflinePlan({}, [], staging)
    for name, entries in entries_of.items():
        key = cache_module.bundle_key(shards[name], [cache_module.entries_key(entries, corpus.digests)])
        last = cache.bundles.get(OFFLINE_PREFIX + name) if cache is not None else None
        if last is not None and last.fingerprint == key and _in_place(config.out, last):
            plan.kept[OFFLINE_PREFIX + name] = last
            kept.update(file for file, _ in last.files)
        else:
            plan.todo.append((OFFLINE_PREFIX + name, key, entries))
    if bodies is not None:
        bodies.fetch(e.article for _, _, entries in plan.todo for e in entries)
    from . import offline_index  # here: a build without search does without it

    staging.write_text(*offline_index.shards_file([(name, len(entries)) for name, entries in entries_of.items()]))
    return plan


def _in_place(out: Path, record: BundleRecord) -> bool:
    """True when every file of `record` is in `out` as the last build left it."""
    status_in_site = cache_module.status_reader(out)
    return all(status_in_site(name) == status for name, status in record.files)


def _bundle_statuses(out: Path, bundles: dict[str, BundleRecord]) -> dict[str, BundleRecord]:
    """The records of the bundles, with the status of each file as it now is."""
    recorded = {}
    status_in_site = cache_module.status_reader(out)
    for name, record in bundles.items():
        files = tuple((file, status_in_site(file)) for file, _ in record.files)
        if all(status is not None for _, status in files):
            recorded[name] = BundleRecord(record.fingerprint, record.pages, files)  # type: ignore[arg-type]
    return recorded


def _next_cache(
    config: Config, key: str, corpus: Corpus, pages: dict[str, PageRecord | None], last: Cache | None,
    *, in_place: bool,
) -> Cache:
    """What this build leaves for the next one, with the status of each page's
    file as it now is in the output folder."""
    records: dict[str, PageRecord] = {}
    status_in_site = cache_module.status_reader(config.out)
    for path, record in pages.items():
        if record is None:
            # Kept: its file was checked against its record, and left as it was.
            if last is not None and path in last.pages:
                records[path] = last.pages[path]
            continue
        if not in_place:
            # The staging folder became the site by one rename: each file is as it was written.
            records[path] = record
            continue
        # In place, a page that came out the same was not moved over the file there.
        status = status_in_site(path)
        if status is not None:
            records[path] = PageRecord(record.fingerprint, record.reads, status)
    return Cache(key, corpus.records, records, read_started_ns=corpus.read_started_ns)
