"""The index that search from disk (file://) uses, where Pagefind cannot run,
in the shards of the Pagefind index (see broadsheet/offline_index.py).  A shard
none of whose articles changed is kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import parallel, search
from ..cache import BodyReader, OutputRecord, bundle_key, entries_key, holding
from ..config import Config
from ..render import file_for
from ..site import Entry
from ..write import write_file
from . import ALWAYS, UNKNOWN, Output, Work, register
from .pages import KIND as PAGES

SHARDS = "shards"  # the unit of the list of shards


@register
class OfflineSearch(Output):
    kind = "offline search"
    stage = "offline search"
    order = 60  # before the search bundles: its shards are made beside Pagefind's runs
    after = (PAGES,)  # the pages' workers are done: the cores are free

    @classmethod
    def wanted(cls, config: Config) -> bool:
        return config.search

    def units(self) -> Sequence[str]:
        shard_of = {}
        for shard in search.plan_shards(self.job.site, limit=self.job.config.search_shard_pages):
            shard_of.update(dict.fromkeys(shard.pages, shard))
        self.entries: dict[str, list[Entry]] = {}  # by shard name, newest first
        self.shards = {}
        for entry in self.job.site.entries:
            shard = shard_of[file_for(entry.url)]
            self.entries.setdefault(shard.name, []).append(entry)
            self.shards[shard.name] = shard
        return [*self.entries, SHARDS]

    def fingerprint(self, unit: str, last: OutputRecord) -> str:
        if unit not in self.shards:
            return ALWAYS
        return bundle_key(self.shards[unit], [entries_key(self.entries[unit], self.job.digests)])

    def start(self, todo: list[str]) -> Work:
        from .. import offline_index  # here: a build without search does without it

        job = self.job
        names = [name for name in todo if name in self.shards]
        path, text = offline_index.shards_file(
            [(name, len(entries)) for name, entries in self.entries.items()], job.config.language)
        job.staging.write_text(path, text)
        return Shards(self, names, {SHARDS: OutputRecord(ALWAYS, ((path, UNKNOWN),))})

    def make(self, names: list[str], *, jobs: int) -> dict[str, OutputRecord]:
        """Write the shards `names` into the staging folder: one shard's terms
        counted by `jobs` processes, or several shards side by side, one each."""
        return make_shards(self.maker(names), names, jobs=jobs)

    def maker(self, names: list[str]) -> ShardMaker:
        """What makes the shards `names`: it holds no more of the build than
        they need, for the process or the cluster's worker that makes them."""
        return ShardMaker({name: self.entries[name] for name in names}, self.job.config.language,
                          self.job.staging.path.absolute(),
                          {name: self.fingerprint(name, OutputRecord(ALWAYS, ())) for name in names}, self.job.bodies)


@dataclass(frozen=True)
class ShardMaker:
    entries: dict[str, list[Entry]]  # by shard name, newest first
    language: str
    root: Path  # the staging folder
    keys: dict[str, str]  # the fingerprint of each shard
    bodies: BodyReader | None  # where the articles' bodies are kept

    def __call__(self, name: str, jobs: int) -> tuple[str, OutputRecord]:
        from .. import offline_index

        with holding(self.bodies, (e.article for e in self.entries[name])):
            documents = offline_index.documents(self.entries[name], self.language)
        counted = parallel.count_terms(documents, jobs=jobs)
        files = offline_index.index_files(documents, counted, shard=name)
        for path, text in files.items():
            write_file(self.root, path, text.encode("utf-8"))
        return name, OutputRecord(self.keys[name], tuple((path, UNKNOWN) for path in sorted(files)), count=len(documents))


def make_shards(maker: ShardMaker, names: list[str], *, jobs: int) -> dict[str, OutputRecord]:
    if len(names) == 1 or jobs <= 1:
        return dict(maker(name, jobs) for name in names)
    return dict(parallel.each(lambda i: maker(names[i], 1), len(names), jobs=jobs))


class Shards(Work):
    """A site whose Pagefind runs all go at once makes its offline index
    beside them, in a process of its own: a large one makes it after them, so
    that their memory and its never add up."""

    def __init__(self, output: OfflineSearch, names: list[str], made: dict[str, OutputRecord]) -> None:
        self.output, self.names, self.made = output, names, made
        job = output.job
        beside = names and len(job.site.entries) <= job.config.search_shard_pages * job.jobs
        # The work takes only what it needs (`maker`), not the build: a cluster's worker is sent it.
        maker = output.maker(names)
        self.making = parallel.beside(lambda: make_shards(maker, names, jobs=1)) if beside else None

    def finish(self) -> dict[str, OutputRecord]:
        if self.making is not None:
            shards = self.making.join()
        else:
            shards = self.output.make(self.names, jobs=self.output.job.jobs)
        return {**shards, **self.made}

    def stop(self) -> None:
        if self.making is not None:
            self.making.stop()
