"""The pages of the site (articles, listings, years, archive, search, 404),
rendered in worker processes while the build makes the rest of the site."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack

from .. import parallel
from ..cache import BodyReader, Fingerprints, OutputRecord, holding
from ..progress import ProgressFactory
from ..render import Rendered, Renderer, file_for
from ..site import AUTHORS_URL, TAGS_URL, Entry, Listing, Site, YearArchive
from . import Job, Output, Outputs, Work, register

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


# What of the site a page shows (see part_of), or None where it is read from the site.
Part = Entry | Listing | YearArchive | None


def part_of(site: Site, key: PageKey) -> Part:
    """The entry, listing or year a page shows: sent to the forked workers with
    each range of pages, which then never touch the records of the site they
    inherit.  Python writes to an object each time it is used (its count of
    references), and a page of memory written by a worker is copied for it: a
    worker that used every entry it inherited would hold a copy of them all."""
    kind, i = key
    if kind == "article":
        return site.entries[i]
    if kind == "listing":
        return site.listings[i]
    if kind == "year":
        return site.years[i]
    return None


def render_page(renderer: Renderer, site: Site, key: PageKey, part: Part = None) -> Rendered:
    kind, i = key
    part = part or part_of(site, key)
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


def made_from(site: Site, fingerprints: Fingerprints, key: PageKey, part: Part = None) -> tuple[str, ...]:
    """What a page shows of the site, besides what its templates read of `site`."""
    kind, i = key
    part = part or part_of(site, key)
    if isinstance(part, Entry):
        return ("article", fingerprints.entry(part), fingerprints.entry(part.newer), fingerprints.entry(part.older))
    if isinstance(part, Listing):
        fields = (repr(getattr(part, f.name)) for f in dataclasses.fields(part) if f.name != "entries")
        return ("listing", *fields, *(fingerprints.entry(e) for e in part.entries))
    if isinstance(part, YearArchive):
        return ("year", repr(part))
    if kind in ("authors", "tags"):
        return (kind, repr(site.authors if kind == "authors" else site.tags))
    return (kind,)


def page_fingerprint(site: Site, fingerprints: Fingerprints, key: PageKey, part: Part, reads: frozenset[str]) -> str:
    return fingerprints.of(made_from(site, fingerprints, key, part), reads)


@register
class Pages(Output):
    kind = KIND
    stage = "render"
    order = 10
    linked = True  # a page kept is linked from the site in place into a new one

    def __init__(self, job: Job, outputs: Outputs) -> None:
        super().__init__(job, outputs)
        self.fingerprints = job.fingerprints
        self.keys: dict[str, PageKey] = {}

    def units(self) -> Sequence[str]:
        site = self.job.site
        self.keys = {page_path(site, key): key for key in page_keys(site)}
        return list(self.keys)

    def page_fingerprint(self, key: PageKey, reads: frozenset[str]) -> str:
        """The fingerprint of the page `key` when its templates read `reads` of `site`."""
        return page_fingerprint(self.job.site, self.fingerprints, key, None, reads)

    def fingerprint(self, unit: str, last: OutputRecord) -> str:
        return self.page_fingerprint(self.keys[unit], last.reads)

    def start(self, todo: list[str]) -> Work:
        keys = [self.keys[path] for path in todo]
        stack = ExitStack()
        renderer, site, bodies = self.job.renderer, self.job.site, self.job.bodies
        chunks = stack.enter_context(parallel.rendering(
            lambda key, part: render_page(renderer, site, key, part), keys, self.job.staging.path, jobs=self.job.jobs,
            # Not the method, which would take the whole build to a cluster's workers.
            fingerprint=functools.partial(page_fingerprint, site, self.fingerprints),
            holding=functools.partial(bodies_of, bodies, site), parts=functools.partial(part_of, site)))
        return Rendering(stack, chunks, len(keys), self.job.progress)


def bodies_of(bodies: BodyReader | None, site: Site, keys: Sequence[PageKey], parts: Sequence[Part]) -> AbstractContextManager[None]:
    """The bodies of a range of pages' articles, read in a few queries, rather than one at a time."""
    return holding(bodies, (part.article for key, given in zip(keys, parts, strict=True)
                            if isinstance(part := given or part_of(site, key), Entry)))


class Rendering(Work):
    def __init__(self, stack: ExitStack, chunks: Iterator[list[parallel.Written]], count: int, progress: ProgressFactory) -> None:
        self.stack, self.chunks, self.count, self.progress = stack, chunks, count, progress

    def finish(self) -> dict[str, OutputRecord]:
        with self.stack:
            return take_pages(self.chunks, self.count, self.progress)

    def stop(self) -> None:
        self.stack.close()  # the workers end


def take_pages(chunks: Iterator[list[parallel.Written]], count: int, progress: ProgressFactory) -> dict[str, OutputRecord]:
    """The record of each page rendered, by its file, as the workers give them."""
    records = {}
    # Nearly every page reads the same few keys of `site`: one set for them
    # all, not one each as they come from the workers (5 MB at 10,000 articles).
    reads: dict[frozenset[str], frozenset[str]] = {}
    bar = progress("render", count)
    try:
        for chunk in chunks:
            for page in chunk:
                records[page.path] = OutputRecord(page.fingerprint, ((page.path, page.status),),
                                                  reads.setdefault(page.reads, page.reads))
            bar.update(len(chunk))
    finally:
        bar.close()
    return records
