"""The build, as one readable pipeline: load → site → render → write → search → check."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import check, load, offline_index, parallel, publish, redirects, search
from .config import PROJECT_ROOT, Config
from .progress import ProgressFactory, silent
from .records import Article, Problem
from .render import Rendered, Renderer, TemplateProblem
from .site import Site, build_site
from .write import OutputError, Staging, check_output, clear_leftovers, output_lock, recover_interrupted_swap

ASSETS = "assets"


class BuildError(Exception):
    """A build that cannot produce a site; the message is one line for the user."""


@dataclass
class BuildResult:
    out: Path
    articles: int = 0
    pages: int = 0
    indexed: int | None = None
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


def load_articles(config: Config, report: Callable[[Problem], None], progress: ProgressFactory) -> list[Article]:
    if not config.source.is_dir():
        raise BuildError(f"source folder {config.source} does not exist")
    paths, problems = load.discover(config.source)
    for problem in problems:
        report(problem)
    articles = []
    bar = progress("load", len(paths))
    try:
        for loaded in parallel.load_all(
            paths, config.source, language=config.language, today=datetime.date.today(),
            jobs=_jobs(config), tick=bar.update,
        ):
            for problem in loaded.problems:
                report(problem)
            if loaded.article is not None:
                articles.append(loaded.article)
    finally:
        bar.close()
    if not articles and paths:
        raise BuildError(f"none of the {len(paths)} article files in {config.source} could be used (see the warnings)")
    if not articles:
        raise BuildError(f"no articles found in {config.source} (looked for .txt and .md files)")
    return articles


def _jobs(config: Config) -> int:
    return config.jobs or parallel.default_jobs()


def plan_addresses(config: Config, site: Site, pages: set[str], report: Callable[[Problem], None]) -> redirects.Plan:
    """What answers at every address ever published, from the previous build's
    record in the output folder and the source folder's redirects file."""
    record = config.out / redirects.RECORD
    plan = redirects.plan_from_texts(
        record=_read_if_any(record, str(record), report),
        manifest=_read_if_any(config.out / check.MANIFEST, str(config.out / check.MANIFEST), report),
        hand=_read_if_any(config.source / redirects.HAND_FILE, redirects.HAND_FILE, report),
        current=[redirects.Permalink(e.url, redirects.PAGE, e.article.id, e.article.source, e.article.title) for e in site.entries],
        pages=pages, record_name=str(record), base_url=config.base_url,
    )
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


def _address_pages(renderer: Renderer, site: Site, plan: redirects.Plan) -> Iterator[Rendered]:
    titles = {e.url: e.article.title for e in site.entries}
    for moved in plan.moved:
        yield renderer.redirect(moved.url, moved.to or "", titles.get(moved.to or ""))
    for gone in plan.gone:
        yield renderer.gone(gone.url, gone.title)


def _stop_if_strict(config: Config, result: BuildResult) -> None:
    if config.strict and result.problems:
        raise BuildError(f"{len(result.problems)} warning(s) with --strict; the site was not written")


def build(
    config: Config, report: Callable[[Problem], None] | None = None, progress: ProgressFactory = silent
) -> BuildResult:
    """Build the site described by `config`; problems go to `report` as they are met."""
    try:
        with output_lock(config.out):
            recover_interrupted_swap(config.out)
            return _build(config, report, progress)
    except OutputError as error:
        raise BuildError(str(error)) from None
    except OSError as error:
        # A full disk, a folder made read-only meanwhile: the previous site stays.
        raise BuildError(f"cannot write the site: {error}") from None


def _build(config: Config, report: Callable[[Problem], None] | None, progress: ProgressFactory) -> BuildResult:
    result = BuildResult(out=config.out)

    def note(problem: Problem) -> None:
        result.problems.append(problem)
        if report is not None:
            report(problem)

    try:
        check_output(config.out, source=config.source, templates=config.template_dirs, project_root=PROJECT_ROOT)
    except OutputError as error:
        raise BuildError(str(error)) from None
    with _stage(result, "load"):
        articles = load_articles(config, note, progress)
    with _stage(result, "site"):
        site, problems = build_site(articles, per_page=config.per_page, site_title=config.site_title)
        for problem in problems:
            note(problem)
    result.articles = len(site.entries)
    _stop_if_strict(config, result)

    clear_leftovers(config.out)
    staging = Staging(config.out)
    try:
        renderer = Renderer(config, site)
        with _stage(result, "render"):
            bar = progress("render", len(parallel.page_keys(site)))
            try:
                written = set(parallel.render_all(renderer, site, staging.path, jobs=_jobs(config), tick=bar.update))
            finally:
                bar.close()
            result.pages = len(written)
        with _stage(result, "write"):
            for folder in reversed(config.template_dirs):
                if (folder / ASSETS).is_dir():
                    staging.copy_tree(folder / ASSETS, ASSETS)
            staging.write_text(check.MANIFEST, check.manifest(site.entries))
        with _stage(result, "publish"):
            if config.base_url:
                published = publish.publish_files(
                    site, base_url=config.base_url, site_title=config.site_title, language=config.language
                )
                for path, text in published.items():
                    staging.write_text(path, text)
            else:
                result.notes.append(publish.SKIPPED)
        with _stage(result, "redirects"):
            plan = plan_addresses(config, site, written, note)
            _stop_if_strict(config, result)
            staging.write_text(redirects.RECORD, redirects.record_json(plan.record))
            for page in _address_pages(renderer, site, plan):
                if staging.occupied(page.path):  # a file the pure plan cannot know of, such as another tool's
                    note(Problem(page.path, "another file of the site is there; no redirect or gone page written"))
                    continue
                staging.write_text(page.path, page.html)
            result.moved, result.gone = len(plan.moved), len(plan.gone)
        if config.search:
            with _stage(result, "search"):
                result.indexed = search.run_pagefind(staging.path, language=config.language)
            with _stage(result, "offline search"):
                # Pagefind cannot run from disk (file://); this index of plain scripts can.
                for path, text in offline_index.index_files(offline_index.documents(site.entries)).items():
                    staging.write_text(path, text)
        if config.check:
            with _stage(result, "check"):
                result.broken_links = check.check_links(staging.path)
            if result.broken_links and config.strict:
                raise BuildError(f"{len(result.broken_links)} broken link(s) with --strict; the site was not written")
        staging.commit()
    except TemplateProblem as error:
        staging.discard()
        raise BuildError(f"template error: {error}") from None
    except search.SearchError as error:
        staging.discard()
        raise BuildError(str(error)) from None
    except BaseException:
        staging.discard()
        raise
    return result
