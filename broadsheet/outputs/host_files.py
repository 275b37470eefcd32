"""The redirect files of web hosts (see broadsheet/hosts.py), for the old
addresses whose redirect or gone page is in the site: a file that another
tool put at an address is left to answer there."""

from __future__ import annotations

from collections.abc import Sequence

from .. import hosts
from ..cache import OutputRecord, text_key
from ..render import file_for
from . import UNKNOWN, Done, Output, Work, register
from .address_pages import KIND as ADDRESS_PAGES
from .pages import KIND as PAGES


@register
class HostFiles(Output):
    kind = "host files"
    stage = "redirects"
    order = 76
    after = (ADDRESS_PAGES,)  # the pages it writes are those the files answer with

    _rules: tuple[list[tuple[str, str]], list[str]] | None = None

    def units(self) -> Sequence[str]:
        return hosts.FILES

    def rules(self) -> tuple[list[tuple[str, str]], list[str]]:
        """The moves and the gone addresses the files answer."""
        if self._rules is None:
            addresses = self.job.addresses(set(self.outputs.units(PAGES)))
            in_site = self.outputs.files_of(ADDRESS_PAGES)
            moves = [(p.url, p.to or "") for p in (*addresses.moved, *addresses.folders) if file_for(p.url) in in_site]
            gone = [p.url for p in addresses.gone if file_for(p.url) in in_site]
            self._rules = (moves, gone)
        return self._rules

    def fingerprint(self, unit: str, last: OutputRecord) -> str:
        return self._key(unit)

    def _key(self, unit: str) -> str:
        moves, gone = self.rules()
        return text_key(repr((unit, self.job.config.base_path, moves, gone)))

    def start(self, todo: list[str]) -> Work:
        if not todo:
            return Done({})
        moves, gone = self.rules()
        made = {}
        for name, text in hosts.host_files(moves, gone, self.job.config.base_path).items():
            if name in todo:
                self.job.staging.write_text(name, text)
                made[name] = OutputRecord(self._key(name), ((name, UNKNOWN),))
        return Done(made)
