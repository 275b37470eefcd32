"""The pages of the site (articles, listings, years, archive, search, 404),
rendered in worker processes while the build makes the rest of the site."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack

from .. import parallel
from ..cache import OutputRecord
from ..progress import ProgressFactory
from . import Job, Output, Outputs, Work, register

KIND = "pages"


@register
class Pages(Output):
    kind = KIND
    stage = "render"
    order = 10
    linked = True  # a page kept is linked from the site in place into a new one

    def __init__(self, job: Job, outputs: Outputs) -> None:
        super().__init__(job, outputs)
        self.fingerprints = job.fingerprints
        self.keys: dict[str, parallel.PageKey] = {}

    def units(self) -> Sequence[str]:
        site = self.job.site
        self.keys = {parallel.page_path(site, key): key for key in parallel.page_keys(site)}
        return list(self.keys)

    def fingerprint(self, unit: str, last: OutputRecord) -> str:
        return self.fingerprints.page(self.keys[unit], last.reads)

    def start(self, todo: list[str]) -> Work:
        keys = [self.keys[path] for path in todo]
        bodies = self.job.bodies
        if bodies is not None:
            # Read in a few queries here rather than one at a time in the workers.
            bodies.fetch(self.job.site.entries[i].article for kind, i in keys if kind == "article")
        stack = ExitStack()
        chunks = stack.enter_context(parallel.rendering(
            self.job.renderer, self.job.site, self.job.staging.path, jobs=self.job.jobs, keys=keys,
            fingerprint=self.fingerprints.page))
        return Rendering(stack, chunks, len(keys), self.job.progress)


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
    bar = progress("render", count)
    try:
        for chunk in chunks:
            for page in chunk:
                records[page.path] = OutputRecord(page.fingerprint, ((page.path, page.status),), page.reads)
            bar.update(len(chunk))
    finally:
        bar.close()
    return records
