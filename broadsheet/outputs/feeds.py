"""The feeds, the sitemap and robots.txt, which need the site's absolute
address.  The feeds are kept while none of the newest articles changed (most
rebuilds: feedgen is then not even imported), the sitemap, the news sitemap
and robots.txt while no article did.  A site with more addresses than one
sitemap takes has its sitemap in parts (publish.sitemap_parts), each a unit
kept while its articles are: a rebuild makes the part of the month that
changed and the index, not every address of the archive again."""

from __future__ import annotations

from collections.abc import Sequence

from .. import publish
from ..cache import OutputRecord, holding, text_key
from . import UNKNOWN, Done, Job, Output, Outputs, Work, register

FEEDS = "feeds"
SITEMAP = "sitemap"  # and robots.txt


@register
class Feeds(Output):
    kind = "feeds"
    stage = "publish"
    order = 30

    def __init__(self, job: Job, outputs: Outputs) -> None:
        super().__init__(job, outputs)
        self.parts: dict[str, publish.SitemapPart] = {}  # by unit: its file's name

    def units(self) -> Sequence[str]:
        if not self.job.config.base_url:
            return []
        self.parts = {part.name: part for part in publish.sitemap_parts(self.job.site, limit=publish.SITEMAP_LIMIT)}
        return [FEEDS, SITEMAP, *self.parts]

    def fingerprint(self, unit: str, last: OutputRecord) -> str:
        if unit == FEEDS:
            return self._feeds_key()
        if unit == SITEMAP:
            return self.job.site_key
        part = self.parts[unit]
        if part.entries:
            return self.job.fingerprints.entries_key(part.entries)
        return text_key("\n".join(f"{url.url} {url.lastmod}" for url in part.listings))

    def _feeds_key(self) -> str:
        # The feeds link to the newest archive document, whose number grows with the archive.
        newest = self.job.fingerprints.entries_key(publish.newest(self.job.site))
        return text_key(f"{newest} {len(publish.archive_pages(self.job.site))}")

    def start(self, todo: list[str]) -> Work:
        config, site = self.job.config, self.job.site
        if not config.base_url:
            self.job.notes.append(publish.SKIPPED)
            return Done({})
        feeds, sitemaps = FEEDS in todo, SITEMAP in todo
        published = []
        with holding(self.job.bodies, (e.article for e in publish.newest(site)) if feeds else ()):
            for path, text in publish.publish_files(
                site, base_url=config.base_url, site_title=config.site_title, language=config.language, feeds=feeds,
                sitemap_files=sitemaps, zone=config.zone, archives=len(publish.archive_pages(site)),
                parts=list(self.parts.values()),
            ):
                self.job.staging.write_text(path, text)
                published.append(path)
        made = {}
        for unit in todo:
            part = self.parts.get(unit)
            if part is not None:
                self.job.staging.write_text(part.name, publish.sitemap_part(part, base_url=config.base_url))
                made[unit] = OutputRecord(self.fingerprint(unit, OutputRecord("", ())), ((part.name, UNKNOWN),))
        if sitemaps:
            made[SITEMAP] = OutputRecord(self.job.site_key,
                                         tuple((path, UNKNOWN) for path in published if path not in _FEED_FILES))
        if feeds:
            newest = publish.newest(site)
            made[FEEDS] = OutputRecord(self._feeds_key(), tuple((path, UNKNOWN) for path in _FEED_FILES),
                                       count=len(newest))
        return Done(made)


_FEED_FILES = (publish.ATOM_FEED, publish.JSON_FEED)
