"""The archive documents of the feeds (RFC 5005 archived feeds, and JSON
Feed's `next_url`): `feeds/N.xml` and `feeds/N.json`, numbered from the
oldest, of 50 articles each, so that a feed reader can fetch the whole archive
by following the subscription feed's link to the documents before it.  A full
document never changes unless one of its articles does; only the newest,
which holds the articles just older than the subscription feed's, grows."""

from __future__ import annotations

from collections.abc import Sequence

from .. import publish
from ..cache import OutputRecord, holding
from ..render import body_html
from ..site import Entry
from . import UNKNOWN, Done, Job, Output, Outputs, Work, register


@register
class FeedArchives(Output):
    kind = "feed archives"
    stage = "publish"
    order = 31

    def __init__(self, job: Job, outputs: Outputs) -> None:
        super().__init__(job, outputs)
        self.pages: dict[str, tuple[int, tuple[Entry, ...]]] = {}  # by unit: its number and its articles

    def units(self) -> Sequence[str]:
        if not self.job.config.base_url:
            return []
        pages = publish.archive_pages(self.job.site)
        self.pages = {str(number): (number, entries) for number, entries in enumerate(pages, start=1)}
        return list(self.pages)

    def fingerprint(self, unit: str, last: OutputRecord) -> str:
        # A document shows its articles and links to the one before it, which exists for every number but 1.
        return self.job.fingerprints.entries_key(self.pages[unit][1])

    def start(self, todo: list[str]) -> Work:
        config = self.job.config
        if config.base_url is None or not todo:
            return Done({})
        made = {}
        for unit in todo:
            number, entries = self.pages[unit]
            atom, json = publish.archive_path(number, ".xml"), publish.archive_path(number, ".json")
            before = number - 1 if number > 1 else None
            with holding(self.job.bodies, (e.article for e in entries)):
                bodies = [str(body_html(e.article, config.language)) for e in entries]  # once for both documents
                self.job.staging.write_text(atom, publish.atom_document(
                    entries, path=atom, older=publish.archive_path(before, ".xml") if before else None, archive=True,
                    base_url=config.base_url, site_title=config.site_title, language=config.language, zone=config.zone,
                    bodies=bodies))
                self.job.staging.write_text(json, publish.json_document(
                    entries, path=json, older=publish.archive_path(before, ".json") if before else None,
                    base_url=config.base_url, site_title=config.site_title, language=config.language, zone=config.zone,
                    bodies=bodies))
            made[unit] = OutputRecord(self.fingerprint(unit, OutputRecord("", ())), ((atom, UNKNOWN), (json, UNKNOWN)))
        return Done(made)
