"""The search bundles of Pagefind, one per shard of the articles (see
broadsheet/search.py), indexed from the rendered pages, several runs side by
side; a bundle none of whose pages changed is kept."""

from __future__ import annotations

from collections.abc import Sequence

from .. import search
from ..cache import OutputRecord, bundle_key
from ..config import Config
from ..site import Entry
from . import ALWAYS, UNKNOWN, Done, Output, Work, register
from .pages import KIND as PAGES

BUNDLES = f"{search.INDEX_FOLDER}/{search.BUNDLES}"  # the unit of the list of bundles
# Past this many bundles, a query of the served site reads more than the
# offline index would at any size: about 40 KB in two requests a bundle.
HEAVY = 10


@register
class SearchBundles(Output):
    kind = "search bundles"
    stage = "search"
    order = 70
    after = (PAGES,)  # Pagefind reads the rendered pages
    journaled = True  # each bundle as its run ends: a minute or more each

    @classmethod
    def wanted(cls, config: Config) -> bool:
        # Served by the offline index, the site has no use for Pagefind's bundles.
        return config.search and config.served_search == "pagefind"

    def units(self) -> Sequence[str]:
        self.shards = {s.name: s for s in self.job.shards}
        if len(self.shards) > HEAVY:
            self.job.notes.append(
                f"note: the search index is {len(self.shards)} Pagefind bundles, and a search of the site on a "
                f"web server loads a part of each (about {40 * len(self.shards):,} KB); with served-search = "
                '"offline" it reads a few hundred KB at any size (see docs/search.md)')
        return [*self.shards, BUNDLES]

    def fingerprint(self, unit: str, last: OutputRecord) -> str:
        shard = self.shards.get(unit)
        if shard is None:
            return ALWAYS
        run = self.job.shard_runs[unit]
        return bundle_key(shard, self.indexed(self.job.site.entries[run], self.outputs.units(PAGES)[run]))

    def indexed(self, entries: Sequence[Entry], pages: Sequence[str]) -> list[str]:
        """What Pagefind reads of the pages of `entries`, whose files are
        `pages`: each one's article and the site's values its templates read;
        not the links to the articles before and after it, which are outside
        the part indexed, and change when an article is added beside it in
        another bundle.  The entries' texts of a run, a slice (0.3 s at 100,000 articles)."""
        record, fingerprints = self.outputs.records_of(PAGES), self.job.fingerprints
        return [fingerprints.indexed_text(text, made.reads) if (made := record(page)) is not None else ""
                for text, page in zip(fingerprints.texts(entries), pages, strict=True)]

    def start(self, todo: list[str]) -> Work:
        job, staging = self.job, self.job.staging
        shards = [self.shards[name] for name in todo if name in self.shards]
        last, unchanged = None, set[str]()
        if job.in_place:
            # Pagefind reads whole pages from one folder: those kept, and those just rendered.
            kept = self.outputs.kept_files
            wanted = {page for shard in shards for page in shard.pages}
            folder = staging.view(job.config.out, wanted & kept, wanted - kept)
            if not self.outputs.adopted:  # the bundles as the last build left them, in the site in place
                # Not from a folder that held a file not as the last build left it (edited by hand,
                # say), of whatever bundle: the first bundle's folder is the same under another name.
                records = self.outputs.last.get(self.kind, {})
                edited = [name for kind, unit in self.outputs.site_check.changed() if kind == self.kind
                          for name, _ in (records[unit].files if unit in records else ())]
                last = job.config.out
                unchanged = {page for shard in shards
                             if not any(search.in_bundle(shard.folder, name) for name in edited)
                             for page in shard.pages if page in kept}
        else:
            folder = staging.path
        bar = job.progress("search", len(shards))
        every = list(self.shards.values())
        made = {}

        def done(shard: search.Shard, count: int) -> None:
            files = tuple((name, UNKNOWN) for name in search.bundle_files(staging.path, shard, every))
            made[shard.name] = OutputRecord(self.fingerprint(shard.name, OutputRecord(ALWAYS, ())), files, count=count)
            if job.journal is not None:
                job.journal.add(self.kind, {shard.name: made[shard.name]})
            bar.update(1)

        try:
            search.index_shards(folder, shards, language=job.config.language, jobs=job.jobs, done=done,
                                output=staging.path, last=last, kept=unchanged)
        finally:
            bar.close()
        made = {shard.name: made[shard.name] for shard in shards}  # in the order of the shards, as they end in any
        pages = {name: (made.get(name) or self.outputs.record(self.kind, name) or OutputRecord(ALWAYS, ())).count
                 for name in self.shards}
        staging.write_text(BUNDLES, search.bundles_json(every, pages))
        made[BUNDLES] = OutputRecord(ALWAYS, ((BUNDLES, UNKNOWN),))
        return Done(made)
