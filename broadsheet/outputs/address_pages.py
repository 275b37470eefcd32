"""The pages at old addresses: a redirect page where an article moved or a
folder of pages has no page of its own, a gone page where one was removed.
Planned by every build from the plan of addresses; a page whose address,
target and the site values its template read are as in the last build is
kept (a large archive has a folder page for every day it published on)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from ..cache import OutputRecord
from ..records import Problem
from ..render import Rendered, file_for
from . import ALWAYS, UNKNOWN, Done, Job, Output, Outputs, Work, register
from .pages import KIND as PAGES

KIND = "address pages"


@register
class AddressPages(Output):
    kind = KIND
    stage = "redirects"
    # After the offline search and Pagefind's runs are begun: a rebuild plans the
    # addresses beside until here, and makes its offline shard meanwhile (waits_beside).
    order = 75

    def __init__(self, job: Job, outputs: Outputs) -> None:
        super().__init__(job, outputs)
        self.fingerprints = job.fingerprints
        # By file: what the page depends on, and how to render it.
        self.pages: dict[str, tuple[tuple[str, ...], Callable[[], Rendered]]] = {}

    def waits_beside(self) -> bool:
        # The plan of addresses, where a rebuild makes it beside: the build does
        # its own work first (its shard of the offline index, say), then waits, if at all.
        return self.job.addresses.being_made

    def units(self) -> Sequence[str]:
        addresses = self.job.addresses(set(self.outputs.units(PAGES)))
        renderer = self.job.renderer
        titles = {e.url: e.article.title for e in self.job.site.entries} if addresses.moved else {}
        for moved in addresses.moved:
            to, title = moved.to or "", titles.get(moved.to or "")
            self._add(moved.url, ("moved", moved.url, to, repr(title)), partial(renderer.redirect, moved.url, to, title))
        for gone in addresses.gone:
            self._add(gone.url, ("gone", gone.url, repr(gone.title)), partial(renderer.gone, gone.url, gone.title))
        for folder in addresses.folders:
            to = folder.to or ""
            self._add(folder.url, ("folder", folder.url, to), partial(renderer.redirect, folder.url, to, None))
        return list(self.pages)

    def _add(self, url: str, given: tuple[str, ...], render: Callable[[], Rendered]) -> None:
        self.pages[file_for(url)] = (given, render)

    def fingerprint(self, unit: str, last: OutputRecord) -> str:
        return self.fingerprints.of(self.pages[unit][0], last.reads)

    def start(self, todo: list[str]) -> Work:
        staging, kept = self.job.staging, self.outputs.kept_files
        made = {}
        for unit in todo:
            given, render = self.pages[unit]
            page = render()
            if page.path in kept or staging.occupied(page.path):  # a file the pure plan cannot know of, such as another tool's
                self.job.note(Problem(page.path, "another file of the site is there; no redirect or gone page written"))
                made[page.path] = OutputRecord(ALWAYS, ())
                continue
            staging.write_text(page.path, page.html)
            made[page.path] = OutputRecord(self.fingerprints.of(given, page.reads), ((page.path, UNKNOWN),), page.reads)
        return Done(made)
