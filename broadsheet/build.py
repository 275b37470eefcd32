"""The build, as one readable pipeline: load → site → render → write → search → check."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import check, load, offline_index, search
from .config import PROJECT_ROOT, Config
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
    problems: list[Problem] = field(default_factory=list)
    broken_links: list[check.BrokenLink] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        stages = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in self.timings.items())
        total = sum(self.timings.values())
        searched = f", {self.indexed} indexed for search" if self.indexed is not None else ", search off"
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


def load_articles(config: Config, report: Callable[[Problem], None]) -> list[Article]:
    if not config.source.is_dir():
        raise BuildError(f"source folder {config.source} does not exist")
    paths, problems = load.discover(config.source)
    for problem in problems:
        report(problem)
    today = datetime.date.today()
    articles = []
    for path in paths:
        loaded = load.load_file(path, config.source, language=config.language, today=today)
        for problem in loaded.problems:
            report(problem)
        if loaded.article is not None:
            articles.append(loaded.article)
    if not articles and paths:
        raise BuildError(f"none of the {len(paths)} article files in {config.source} could be used (see the warnings)")
    if not articles:
        raise BuildError(f"no articles found in {config.source} (looked for .txt and .md files)")
    return articles


def _pages(renderer: Renderer, site: Site) -> Iterator[Rendered]:
    for entry in site.entries:
        yield renderer.article(entry)
    for listing in site.listings:
        yield renderer.listing(listing)
    for year in site.years:
        yield renderer.year(year)
    yield renderer.archive_page()
    yield renderer.search_page()
    yield renderer.not_found_page()


def build(config: Config, report: Callable[[Problem], None] | None = None) -> BuildResult:
    """Build the site described by `config`; problems go to `report` as they are met."""
    try:
        with output_lock(config.out):
            recover_interrupted_swap(config.out)
            return _build(config, report)
    except OutputError as error:
        raise BuildError(str(error)) from None
    except OSError as error:
        # A full disk, a folder made read-only meanwhile: the previous site stays.
        raise BuildError(f"cannot write the site: {error}") from None


def _build(config: Config, report: Callable[[Problem], None] | None) -> BuildResult:
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
        articles = load_articles(config, note)
    with _stage(result, "site"):
        site, problems = build_site(articles, per_page=config.per_page, site_title=config.site_title)
        for problem in problems:
            note(problem)
    result.articles = len(site.entries)
    if config.strict and result.problems:
        raise BuildError(f"{len(result.problems)} warning(s) with --strict; the site was not written")

    clear_leftovers(config.out)
    staging = Staging(config.out)
    try:
        renderer = Renderer(config, site)
        with _stage(result, "render"):
            # Pages go to disk as they are rendered: memory stays flat at any corpus size.
            for page in _pages(renderer, site):
                staging.write_text(page.path, page.html)
                result.pages += 1
        with _stage(result, "write"):
            for folder in reversed(config.template_dirs):
                if (folder / ASSETS).is_dir():
                    staging.copy_tree(folder / ASSETS, ASSETS)
            staging.write_text(check.MANIFEST, check.manifest(site.entries))
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
