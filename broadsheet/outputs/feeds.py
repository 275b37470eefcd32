"""The feeds, the sitemap and robots.txt, which need the site's absolute
address.  The feeds are kept while none of the newest articles changed (most
rebuilds: feedgen is then not even imported), the sitemaps and robots.txt
while no article did."""

from __future__ import annotations

from collections.abc import Sequence

from .. import publish
from ..cache import OutputRecord, holding, text_key
from . import UNKNOWN, Done, Output, Work, register

FEEDS = "feeds"
SITEMAP = "sitemap"  # and robots.txt


@register
class Feeds(Output):
    kind = "feeds"
    stage = "publish"
    order = 30

    def units(self) -> Sequence[str]:
        return [FEEDS, SITEMAP] if self.job.config.base_url else []

    def fingerprint(self, unit: str, last: OutputRecord) -> str:
        return self._feeds_key() if unit == FEEDS else self.job.site_key

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
            ):
                self.job.staging.write_text(path, text)
                published.append(path)
        made = {}
        if sitemaps:
            made[SITEMAP] = OutputRecord(self.job.site_key,
                                         tuple((path, UNKNOWN) for path in published if path not in _FEED_FILES))
        if feeds:
            newest = publish.newest(site)
            made[FEEDS] = OutputRecord(self._feeds_key(), tuple((path, UNKNOWN) for path in _FEED_FILES),
                                       count=len(newest))
        return Done(made)


_FEED_FILES = (publish.ATOM_FEED, publish.JSON_FEED)
