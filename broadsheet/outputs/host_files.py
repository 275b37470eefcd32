"""The redirect files of web hosts (see broadsheet/hosts.py), for the old
addresses whose redirect or gone page was written: a file that another tool
put at an address is left to answer there."""

from __future__ import annotations

from collections.abc import Sequence

from .. import hosts
from ..cache import OutputRecord
from ..render import file_for
from . import ALWAYS, UNKNOWN, Done, Output, Work, register
from .address_pages import KIND as ADDRESS_PAGES
from .pages import KIND as PAGES


@register
class HostFiles(Output):
    kind = "host files"
    stage = "redirects"
    order = 50
    after = (ADDRESS_PAGES,)  # the pages it writes are those the files answer with

    def units(self) -> Sequence[str]:
        return hosts.FILES

    def start(self, todo: list[str]) -> Work:
        addresses = self.job.addresses(set(self.outputs.units(PAGES)))
        written = self.outputs.files_made(ADDRESS_PAGES)
        plan = addresses.plan
        moves = [(p.url, p.to or "") for p in (*plan.moved, *addresses.folders) if file_for(p.url) in written]
        gone = [p.url for p in plan.gone if file_for(p.url) in written]
        made = {}
        for name, text in hosts.host_files(moves, gone, self.job.config.base_path).items():
            if name in todo:
                self.job.staging.write_text(name, text)
                made[name] = OutputRecord(ALWAYS, ((name, UNKNOWN),))
        return Done(made)
