"""The pages of the site (articles, listings, years, archive, search, 404),
rendered in worker processes while the build makes the rest of the site."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass

from .. import parallel
from ..cache import BodyReader, Fingerprints, OutputRecord, holding
from ..progress import ProgressFactory
from ..render import Rendered, Renderer, file_for, listing_read
from ..resume import Journal
from ..site import AUTHORS_URL, TAGS_URL, Entry, Group, Listing, Site, YearArchive
from . import Job, Output, Outputs, Taken, Work, register

KIND = "pages"

# A page is named by its kind and its place among the site's pages of that
# kind, so that a forked worker finds it in the site model it inherited; the
# order of page_keys is the order pages are written in.
PageKey = tuple[str, int]


def page_keys(site: Site) -> list[PageKey]:
    keys: list[PageKey] = [("article", i) for i in range(len(site.entries))]
    keys += [("listing", i) for i in range(len(site.listings))]
    keys += [("year", i) for i in range(len(site.years))]
    keys += [("archive", 0), ("search", 0), ("404", 0)]
    keys += [(kind, 0) for kind, groups in (("authors", site.authors), ("tags", site.tags)) if groups]
    return keys


def page_path(site: Site, key: PageKey) -> str:
    """The file a page is written to, known without rendering it."""
    kind, i = key
    if kind == "article":
        return file_for(site.entries[i].url)
    if kind == "listing":
        return file_for(site.listings[i].url)
    if kind == "year":
        return file_for(site.years[i].url)
    return {"archive": "archive/index.html", "search": "search/index.html", "authors": file_for(AUTHORS_URL),
            "tags": file_for(TAGS_URL)}.get(kind, "404.html")


# What of the site a page shows (see part_of).
Part = Entry | Listing | YearArchive | tuple[Group, ...] | None


def part_of(site: Site, key: PageKey) -> Part:
    """The entry, listing, year or groups a page shows; None for the others."""
    kind, i = key
    if kind == "article":
        return site.entries[i]
    if kind == "listing":
        return site.listings[i]
    if kind == "year":
        return site.years[i]
    if kind in ("authors", "tags"):
        return site.authors if kind == "authors" else site.tags
    return None


def render_page(renderer: Renderer, key: PageKey, part: Part) -> Rendered:
    kind, _ = key
    if isinstance(part, Entry):
        return renderer.article(part)
    if isinstance(part, Listing):
        return renderer.listing(part)
    if isinstance(part, YearArchive):
        return renderer.year(part)
    if kind == "archive":
        return renderer.archive_page()
    if kind == "search":
        return renderer.search_page()
    if kind in ("authors", "tags"):
        return renderer.groups_page(kind)
    return renderer.not_found_page()


def made_from(fingerprints: Fingerprints, key: PageKey, part: Part) -> tuple[str, ...]:
    """What a page shows of the site, besides what its templates read of `site`."""
    kind, _ = key
    if isinstance(part, Entry):
        return ("article", fingerprints.entry(part), fingerprints.entry(part.newer), fingerprints.entry(part.older))
    if isinstance(part, Listing):
        # With what its templates read of the listing's other attributes (see with_reads).
        return ("listing", *fingerprints.texts(part.entries))
    if isinstance(part, YearArchive):
        return ("year", repr(part))
    if kind in ("authors", "tags"):
        return (kind, repr(part))
    return (kind,)


@dataclass(frozen=True, slots=True)
class Shown:
    """What a page is made from, sent with its key to the worker that makes it:
    what of the site it shows, and what its fingerprint is made from."""

    part: Part
    made_from: tuple[str, ...]


def shown(site: Site, fingerprints: Fingerprints, key: PageKey) -> Shown:
    part = part_of(site, key)
    return Shown(part, made_from(fingerprints, key, part))


def with_reads(given: tuple[str, ...], part: Part, reads: frozenset[str]) -> tuple[str, ...]:
    """What a page is made from (made_from), with what its templates read of
    its listing, if it is a listing's page."""
    return given + listing_read(part, reads) if isinstance(part, Listing) else given


def page_fingerprint(site: Site, fingerprints: Fingerprints, key: PageKey, reads: frozenset[str]) -> str:
    # As fingerprint_shown, without a Shown for each page a rebuild checks (0.1 s at 100,000 articles).
    part = part_of(site, key)
    return fingerprints.of(with_reads(made_from(fingerprints, key, part), part, reads), reads)


def render_shown(renderer: Renderer, key: PageKey, page: Shown) -> Rendered:
    return render_page(renderer, key, page.part)


def fingerprint_shown(fingerprints: Fingerprints, key: PageKey, page: Shown, reads: frozenset[str]) -> str:
    return fingerprints.of(with_reads(page.made_from, page.part, reads), reads)


def bodies_of(bodies: BodyReader | None, pages: Sequence[tuple[PageKey, Shown]]) -> AbstractContextManager[None]:
    """The bodies of a range of pages' articles, and the excerpts of those its
    listings show, read in a few queries rather than one at a time."""
    return holding(bodies, (page.part.article for _, page in pages if isinstance(page.part, Entry)),
                   excerpts=(entry.article for _, page in pages if isinstance(page.part, Listing)
                             for entry in page.part.entries))


@register
class Pages(Output):
    kind = KIND
    stage = "render"
    order = 10
    linked = True  # a page kept is linked from the site in place into a new one
    journaled = True  # as the workers give them: most of a full build's time

    def __init__(self, job: Job, outputs: Outputs) -> None:
        super().__init__(job, outputs)
        self.fingerprints = job.fingerprints
        self.keys: dict[str, PageKey] = {}
        self._articles: dict[frozenset[str], list[str]] = {}  # the fingerprint of each article's page, by what it reads

    def units(self) -> Sequence[str]:
        site = self.job.site
        keys = page_keys(site)
        # page_keys lists the articles first: their files at once, not through page_path each (0.03 s at 100,000).
        articles = len(site.entries)
        files = [file_for(entry.url) for entry in site.entries] + [page_path(site, key) for key in keys[articles:]]
        self.keys = dict(zip(files, keys, strict=True))
        self.job.addresses.begin(set(self.keys))
        return list(self.keys)

    def page_fingerprint(self, key: PageKey, reads: frozenset[str]) -> str:
        """The fingerprint of the page `key` when its templates read `reads` of `site`."""
        return page_fingerprint(self.job.site, self.fingerprints, key, reads)

    def fingerprint(self, unit: str, last: OutputRecord) -> str:
        kind, i = key = self.keys[unit]
        if kind == "article":
            articles = self._articles.get(last.reads)
            if articles is None:  # once for all: nearly every article's page reads the same keys
                articles = self._articles[last.reads] = self.fingerprints.articles(self.job.site.entries, last.reads)
            return articles[i]
        return self.page_fingerprint(key, last.reads)

    def start(self, todo: list[str]) -> Work:
        keys = [self.keys[path] for path in todo]
        stack = ExitStack()
        renderer, site, bodies, fingerprints = self.job.renderer, self.job.site, self.job.bodies, self.fingerprints
        # Functions of what the workers are given once each: never the site,
        # which they are sent a page's part of with its key (see parallel.rendering).
        chunks = stack.enter_context(parallel.rendering(
            functools.partial(render_shown, renderer), keys, self.job.staging.path, jobs=self.job.jobs,
            shown=functools.partial(shown, site, fingerprints),
            fingerprint=functools.partial(fingerprint_shown, fingerprints.for_workers()),
            holding=functools.partial(bodies_of, bodies)))
        return Rendering(stack, chunks, todo, self.job.progress, self.job.journal)


class Rendering(Taken):
    """The pages being made (see Taken): a result left waiting would hold its
    page's path twice, and its object (0.2 KB a page).  Made in the build's
    own thread, where they are, as the renderer is not shared between threads."""

    def __init__(self, stack: ExitStack, chunks: Iterator[list[parallel.Written]], todo: list[str],
                 progress: ProgressFactory, journal: Journal | None = None) -> None:
        super().__init__(stack, chunks, lambda chunks, taken: take_pages(chunks, todo, taken, journal), progress,
                         "render", len(todo))


def take_pages(chunks: Iterator[list[parallel.Written]], todo: list[str],
               taken: Callable[[int], None], journal: Journal | None = None) -> dict[str, OutputRecord]:
    """The record of each page of `todo` rendered, by its file, as the workers
    give them; taken(n) after each n pages, and each noted in `journal`."""
    records: dict[str, OutputRecord] = {}
    # Nearly every page reads the same few keys of `site`: one set for them
    # all, not one each as they come from the workers (5 MB at 10,000 articles).
    reads: dict[frozenset[str], frozenset[str]] = {}
    units = iter(todo)
    for chunk in chunks:
        got = {}
        for page in chunk:
            # Pages come back in the order of `todo`: the unit's own string
            # is kept, not the worker's copy of it (a string a page).
            unit = next(units, None)
            path = unit if unit is not None and unit == page.path else page.path
            got[path] = OutputRecord(page.fingerprint, ((path, page.status),), reads.setdefault(page.reads, page.reads))
        records.update(got)
        if journal is not None:
            journal.add(KIND, got)
        taken(len(chunk))
    return records
