"""The pages at old addresses: a redirect page where an article moved or a
folder of pages has no page of its own, a gone page where one was removed.
Made by every build, from the plan of addresses."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..cache import OutputRecord
from ..records import Problem
from ..render import Rendered, file_for
from . import ALWAYS, UNKNOWN, Addresses, Done, Output, Work, register
from .pages import KIND as PAGES

KIND = "address pages"


@register
class AddressPages(Output):
    kind = KIND
    stage = "redirects"
    order = 40

    def units(self) -> Sequence[str]:
        addresses = self._addresses()
        return [file_for(p.url) for p in (*addresses.plan.moved, *addresses.plan.gone, *addresses.folders)]

    def _addresses(self) -> Addresses:
        return self.job.addresses(set(self.outputs.units(PAGES)))

    def start(self, todo: list[str]) -> Work:
        staging, kept = self.job.staging, self.outputs.kept_files
        made = {}
        for page in self._pages():
            if page.path in kept or staging.occupied(page.path):  # a file the pure plan cannot know of, such as another tool's
                self.job.note(Problem(page.path, "another file of the site is there; no redirect or gone page written"))
                made[page.path] = OutputRecord(ALWAYS, ())
                continue
            staging.write_text(page.path, page.html)
            made[page.path] = OutputRecord(ALWAYS, ((page.path, UNKNOWN),))
        return Done(made)

    def _pages(self) -> Iterator[Rendered]:
        addresses, renderer, site = self._addresses(), self.job.renderer, self.job.site
        plan = addresses.plan
        titles = {e.url: e.article.title for e in site.entries} if plan.moved else {}
        for moved in plan.moved:
            yield renderer.redirect(moved.url, moved.to or "", titles.get(moved.to or ""))
        for gone in plan.gone:
            yield renderer.gone(gone.url, gone.title)
        for folder in addresses.folders:
            yield renderer.redirect(folder.url, folder.to or "", None)
