"""The index that search from disk (file://) uses, where Pagefind cannot run
(see broadsheet/offline_index.py): the records of each shard of the Pagefind
index, and the terms of the shards in sets of chunks (SETS): the newest day's,
when it is a shard apart; the newest shard of the others'; the other shards of
its year; and all the older years' shards'.  The day before, put back with the
rest by the first article of a new day, and any change to the newest articles
make the small sets again, a newer month the set of its year, and only a newer
year the set of every older shard.  A shard none of whose articles changed is
kept, and its postings, kept in the cache folder, go into the chunks of terms
without its articles being read."""

from __future__ import annotations

import functools
import itertools
import json
import os
import socket
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, overload

from .. import parallel
from ..cache import BodyReader, OutputRecord, bundle_key, folder_for, holding, text_key
from ..config import Config
from ..resume import Noting
from ..site import Entry
from ..write import write_file
from . import ALWAYS, IN_PLACE, UNKNOWN, Output, Work, register
from .pages import KIND as PAGES
from .search_bundles import SearchBundles

if TYPE_CHECKING:
    from .. import offline_index, offline_patch

INDEX = "index"  # the unit of the list of shards and of the chunks of terms
# The sets of chunks of terms: the older years' shards' (or the only one's), the
# other shards of the newest shard's year, the newest shard's but the newest
# day's, and the newest day's.  A month joins the set of its year's older
# shards once a newer month comes, and a year the set of the older years' once
# a newer year comes: that set of most of the archive is made again once a
# year, not once a month.
SETS = ("terms", "year", "recent", "newest")
KEPT = "offline-search"  # the folder of the shards' postings, in the cache folder


@register
class OfflineSearch(Output):
    kind = "offline search"
    stage = "offline search"
    # Before the pages: a rebuild makes its few shards beside the rest from the
    # start, while the build checks every page's fingerprint (0.5 s at 100,000
    # articles) and renders those that changed, and beside Pagefind's runs; a
    # build made whole, once the pages' workers are done (Shards).
    order = 5

    @classmethod
    def wanted(cls, config: Config) -> bool:
        return config.search

    def units(self) -> Sequence[str]:
        from .. import offline_index

        self.entries: dict[str, list[Entry]] = {}  # by shard name, newest first
        self.shards = {}
        for shard in reversed(self.job.shards):  # newest first
            self.entries[shard.name] = list(self.job.site.entries[self.job.shard_runs[shard.name]])
            self.shards[shard.name] = shard
        # The chunks of terms name each shard by its number (offline_index.shard_numbers).
        self.numbers = dict(zip(self.entries, offline_index.shard_numbers(len(self.entries)), strict=True))
        self.keys = {
            name: bundle_key(self.shards[name], [self.job.fingerprints.entries_key(entries)])
            for name, entries in self.entries.items()
        }
        # The newest day, if apart, has a set of terms of its own (it is the first shard, newest first), and
        # so has the newest shard of the rest, which holds the day before once a newer day comes (or the
        # parts of the newest month, search.plan_shards: a new part adds a shard to their set, not to the
        # year's); and the other shards of its year, which it joins once a newer month comes.
        apart = [name for name in self.entries if self.shards[name].apart]
        rest = [name for name in self.entries if name not in apart]
        recent = list(itertools.takewhile(lambda name: self.shards[name].part, rest)) or rest[:1]
        older, recent = (rest[len(recent):], recent) if len(recent) < len(rest) else (rest, [])
        newest_year = self.entries[recent[0]][0].article.date.year if recent else None
        year = list(itertools.takewhile(lambda name: self.entries[name][-1].article.date.year == newest_year, older))
        older = older[len(year):]
        self.sets = {unit: names for unit, names in zip(SETS, (older, year, recent, apart), strict=True) if names}
        self.kept = folder_for(self.job.config.out).absolute() / KEPT
        self.last_sets: dict[str, str] = {}  # the fingerprint of each set the last build left in the site in place
        self.last_shards: dict[str, str] = {}  # and of each shard
        return [*self.entries, *self.sets, INDEX]

    def postings_file(self, name: str) -> Path:
        """Where the postings of the shard `name` as it now is are kept."""
        return self.kept / f"{name}.{self.keys[name]}.gz"

    def set_keys_file(self, unit: str, key: str | None = None) -> Path:
        """Where the state of the set of terms `unit`, as it now is or as it was
        with the fingerprint `key`, is kept: its keys, version and chunks."""
        return self.kept / f"{unit}.{key or self.set_key(unit)}.keys.json"

    def fingerprint(self, unit: str, last: OutputRecord) -> str:
        # A unit is made again if a shard's postings are not at hand: the sets
        # of terms are made from their shards', the list from every shard's
        # head and every set's keys.
        if unit in self.entries:
            self.last_shards[unit] = last.fingerprint  # as for a set, below: its records may be kept
            return self.keys[unit] if self.postings_file(unit).is_file() else ALWAYS
        if unit in self.sets:
            # Its files are as the last build left them (the driver asks only then):
            # made again, it may be made from them (offline_patch.py).
            self.last_sets[unit] = last.fingerprint
            ready = self.set_keys_file(unit).is_file() and all(self.postings_file(n).is_file() for n in self.sets[unit])
            return self.set_key(unit) if ready else ALWAYS
        return self.index_key() if all(self.postings_file(n).is_file() for n in self.entries) else ALWAYS

    def set_key(self, unit: str) -> str:
        # A set's chunks name each shard by its number.
        return text_key("\n".join(f"{self.numbers[name]} {name} {self.keys[name]}" for name in self.sets[unit]))

    def index_key(self) -> str:
        return text_key("\n".join(f"{name} {key}" for name, key in self.keys.items()) + f"\n{self.job.config.language}")

    def start(self, todo: list[str]) -> Work:
        return Shards(self, [name for name in todo if name in self.entries], [unit for unit in self.sets if unit in todo],
                      INDEX in todo)

    def maker(self, names: list[str], sets: list[str], index: bool) -> IndexMaker:
        """What makes the shards `names`, the sets of terms `sets`, and the list
        if `index`: it holds no more of the build than they need, for the
        process or the cluster's worker that makes them."""
        return IndexMaker(
            {name: self.entries[name] for name in names}, self.job.config.language, self.job.staging.path.absolute(),
            self.keys, {name: self.postings_file(name) for name in self.entries}, self.job.bodies,
            {unit: (self.sets[unit], self.set_key(unit), self.set_keys_file(unit)) for unit in self.sets},
            sets, self.index_key() if index else None,
            # A set made again is made from its files in the site in place, where they are as the last build left them.
            self.job.config.out.absolute() if self.job.in_place and not self.outputs.adopted else None,
            {unit: self.set_keys_file(unit, key) for unit, key in self.last_sets.items()}, self.last_shards,
            self.numbers, {name: self.job.fingerprints.texts(self.entries[name]) for name in names},
            # Each shard noted as it is made, wherever: not by a cluster's workers, which may be other machines.
            self.job.journal.elsewhere(self.kind)
            if self.job.journal is not None and not isinstance(parallel.runner(), parallel.Cluster) else None,
        )


@dataclass(frozen=True)
class IndexMaker:
    entries: dict[str, list[Entry]]  # of the shards to make, by name, newest first
    language: str
    root: Path  # the staging folder
    keys: dict[str, str]  # the fingerprint of every shard, newest first
    postings: dict[str, Path]  # where every shard's postings are kept
    bodies: BodyReader | None  # where the articles' bodies are kept
    sets: dict[str, tuple[list[str], str, Path]]  # every set of terms: its shards, fingerprint, where its keys are kept
    make_sets: list[str]  # the sets of terms to make
    index_key: str | None  # the fingerprint of the list, if it is to be made
    site: Path | None  # the site in place, where a set's files are as the last build left them
    last_sets: dict[str, Path]  # where the state of each set the last build left there is kept
    last_shards: dict[str, str]  # the fingerprint of each shard whose records the last build left there
    numbers: dict[str, int]  # each shard's number in the chunks of terms (offline_index.shard_numbers)
    texts: dict[str, Sequence[str]]  # of the shards to make, the texts of their entries (cache.entry_text)
    noting: Noting | None = None  # of the build's journal (see resume.py)
    # Each shard made in this process by a rebuild in place of one shard, as it
    # was (its fingerprint then, and as read) and as made: its set is patched
    # from them, not from their files read again (0.25 s at 100,000 articles).
    made_here: dict[str, tuple[str, offline_index.ShardIndex, offline_index.ShardIndex]] = field(default_factory=dict)
    # The writing of those shards' kept postings, begun beside: joined before any is read.
    keeping: list[parallel.Apart[None]] = field(default_factory=list)

    def shard(self, name: str, jobs: int) -> tuple[str, OutputRecord]:
        from .. import offline_index

        entries = self.entries[name]
        documents = ShardDocuments(entries, self.language, self.bodies)
        last = self._last_state(name)
        kept = _kept_records(last) if self.site else {}
        sources = offline_index.records_sources(self.texts[name])
        # The articles of the files of records made again are read at once; those of the others are not read.
        documents.read(number for first, path in offline_index.records_paths(len(entries), name)
                       if kept.get(path, ("",))[0] != sources[first // offline_index.DOCS_PER_CHUNK]
                       for number in range(first, min(first + offline_index.DOCS_PER_CHUNK, len(entries))))
        files = list(offline_index.records_made(documents, name, kept, sources))
        for made_file in files:
            if made_file.text is not None:  # else as the last build left it in the site in place: left there
                write_file(self.root, made_file.path, made_file.text.encode("utf-8"))
        digests = {made_file.path: made_file.digest for made_file in files}
        # The documents of the files of records made again: the others are as they were, in the same places.
        changed = {number for f in files if f.text is not None
                   for number in range(f.first, min(f.first + offline_index.DOCS_PER_CHUNK, len(documents)))}
        last_shard = self._last_shard(name, last)
        index, lengths, held, bests = self._postings(name, documents, changed if last_shard else None, jobs)
        if last_shard is not None and last_shard.scoring is not None:
            last_shard = replace(last_shard, scoring=replace(last_shard.scoring, terms=bests))
        months = offline_index.month_starts(entry.article.date.isoformat() for entry in entries)
        made = replace(offline_index.scored_shard(documents, index, lengths, last_shard, held, months),
                       version=offline_index.records_version_of(digests))
        keep = (functools.partial(_keep_counts, self.postings[name], index, lengths, made, files),
                functools.partial(_keep_postings, self.postings[name], made))
        if self.site is not None and last_shard is not None and len(self.entries) == 1:
            self.made_here[name] = (self.last_shards[name], last_shard, made)
            # Its set is patched from `made` here while what the next build reads
            # of it is written beside, in two processes: its counts and its postings
            # take as long each (at 100,000 articles, 0.3 s less than in one).
            self.keeping.extend(map(parallel.Apart, keep))
        else:
            for part in keep:
                part()
        written = {made_file.path for made_file in files if made_file.text is not None}
        record = OutputRecord(self.keys[name], tuple((path, UNKNOWN if path in written else IN_PLACE)
                                                     for path in sorted(digests)), count=len(documents))
        if self.noting is not None:
            self.noting(name, record)
        return name, record

    def _postings(
        self, name: str, documents: ShardDocuments, changed: set[int] | None, jobs: int,
    ) -> tuple[dict[str, offline_index.Postings], list[int], dict[int, tuple[Counter[str], Counter[str]]],
               dict[str, offline_index.TermBest] | None]:
        """The postings of the shard `name` before scoring (offline_index.postings),
        the counted terms of the documents `changed` (the others are as they
        were, in the same places; None where the shard is made new), and the
        best score of each term as the last build kept it, if it did: from the
        postings the last build kept, where it did and fewer than half changed,
        and else from every document counted."""
        from .. import offline_index

        last = self.last_shards.get(name)
        kept = offline_index.read_counts(_counts_file(self._kept_postings(name, last))) \
            if last is not None and changed is not None and 2 * len(changed) < len(documents) else None
        bests = kept[2] if kept is not None else None
        held: dict[int, tuple[Counter[str], Counter[str]]] = {}
        if kept is not None and changed is not None:
            numbers = sorted(changed)
            held.update(zip(numbers, parallel.count_terms([documents[n] for n in numbers], jobs=jobs), strict=True))
            updated = offline_index.updated_postings(kept[0], kept[1], len(documents), held)
            if updated is not None:
                index, lengths, really = updated
                return index, lengths, {number: held[number] for number in really}, bests
            held.clear()
        whole = documents.all()
        counted = parallel.count_terms(whole, jobs=jobs)
        index, lengths = offline_index.postings(
            whole, counted if changed is None else offline_index.holding_counts(counted, changed, held))
        return index, lengths, held, bests

    def _kept_postings(self, name: str, key: str) -> Path:
        """Where the postings of the shard `name` of fingerprint `key` are kept."""
        return self.postings[name].with_name(f"{name}.{key}.gz")

    def _last_state(self, name: str) -> dict[str, object]:
        """What the last build kept beside the postings of the shard `name` ({} where nothing)."""
        last = self.last_shards.get(name)
        if last is None:
            return {}
        try:
            state = json.loads(_shard_state(self._kept_postings(name, last)).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return state if isinstance(state, dict) else {}

    def _last_shard(self, name: str, state: dict[str, object]) -> offline_index.ShardIndex | None:
        """The shard `name` as the last build kept it, and what its scores were
        worked out from (from its `state`), if they are at hand."""
        from .. import offline_index

        last = self.last_shards.get(name)
        if last is None or not self._kept_postings(name, last).is_file():
            return None
        kept = state.get("scoring")
        scoring = None
        if isinstance(kept, list) and len(kept) == 3:
            scoring = offline_index.Scoring(float(kept[0]), float(kept[1]), str(kept[2]))
        return offline_index.read_shard(self._kept_postings(name, last), scoring)

    def terms_set(self, unit: str, jobs: int = 1) -> OutputRecord:
        """Make the set of chunks of terms `unit` from its shards' kept postings,
        or from its files in the site in place where few of its shards changed,
        and keep its state for the list and the next build."""
        from .. import offline_index, offline_patch

        names, key, keys_file = self.sets[unit]
        shards = tuple((name, self.numbers[name], self.keys[name]) for name in names)
        try:
            made = self._patched(unit, shards, jobs)
        except offline_patch.PatchRefused:
            made = self._whole(unit)
        chunks = made.chunks
        state = offline_patch.SetState(shards, tuple(chunks)).to_json()
        partial = _partial(_families_file(keys_file))
        offline_patch.write_families(partial, made.families, offline_patch.split_words(chunks), made.kept,
                                     made.changed)
        partial.replace(_families_file(keys_file))
        keys = [chunk.key for chunk in chunks]
        _write_whole(keys_file, json.dumps({"keys": keys, "version": offline_index.set_version(chunks), **state},
                                           ensure_ascii=False))
        return OutputRecord(key, tuple((path, UNKNOWN if made.written is None or path in made.written else IN_PLACE)
                                       for path in sorted(path for chunk in chunks for path, _ in chunk.files())))

    def _whole(self, unit: str) -> SetMade:
        """The set of terms `unit` made whole from its shards' kept postings,
        each chunk written as it comes."""
        from .. import offline_index

        names, _, _ = self.sets[unit]
        self._wait_keeping()
        chunks = []
        families = {self.numbers[name]: offline_index.read_families(self.postings[name]) for name in names}
        for chunk in offline_index.set_files(
            unit, offline_index.merged([offline_index.read_postings(self.postings[name]) for name in names],
                                       [self.numbers[name] for name in names]), families,
        ):
            for path, text in ((chunk.path, chunk.text), *chunk.split):
                write_file(self.root, path, text.encode("utf-8"))
            chunks.append(chunk.state())
        return SetMade(chunks, families)

    def _patched(
        self, unit: str, shards: tuple[tuple[str, int, str], ...], jobs: int = 1,
    ) -> SetMade:
        """The set of terms `unit` made from its files in the site in place and
        the postings of its shards that changed (offline_patch.py), its other
        files left there.  PatchRefused where it cannot be, or where
        more than one and more than a quarter of its shards changed (made
        whole, it reads each shard once, not each chunk of the set; one shard
        changed is patched however few the set has: at 10,000 articles, sets
        of two or three, 0.4 s less).  With `jobs` > 1, a large patch is made
        in two halves side by side."""
        from .. import offline_index, offline_patch

        state_file = self.last_sets.get(unit)
        if self.site is None or state_file is None or not state_file.is_file():
            raise offline_patch.PatchRefused("no state of the set in the site in place")
        site = self.site
        last = offline_patch.SetState.from_json(json.loads(state_file.read_text(encoding="utf-8")))
        if [shard[:2] for shard in last.shards] != [shard[:2] for shard in shards]:
            raise offline_patch.PatchRefused("the set's shards are others")
        changed = [(old, new) for old, new in zip(last.shards, shards, strict=True) if old[2] != new[2]]
        if len(changed) > 1 and 4 * len(changed) > len(shards):
            raise offline_patch.PatchRefused("most of the set's shards changed")
        changes = []
        # Of the shards that did not change, the family_bests the split terms need, as the last build kept them.
        kept = offline_patch.KeptFamilies(_families_file(state_file))
        families: dict[int, Mapping[str, list[float]]] = {place: kept.shard(place) for _, place, _ in shards}
        for (name, place, old_key), _ in changed:
            here = self.made_here.get(name)
            if here is not None and here[0] == old_key:
                old, new = here[1], here[2]
            else:
                old_postings = self._kept_postings(name, old_key)
                if not old_postings.is_file():
                    raise offline_patch.PatchRefused(f"the postings of {name} as they were are lost")
                # Each kept file read once, its families and postings together.
                old, new = offline_index.read_shard(old_postings), offline_index.read_shard(self.postings[name])
            families[place] = new.families
            changes.append(offline_patch.shard_change(
                place, old.postings.items(), new.postings.items(), old.families, new.families))

        def read(path: str) -> str:
            try:
                return (site / path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise offline_patch.PatchRefused(f"{path}: {error}") from None

        chunks, made = offline_patch.patched(unit, last.chunks, read, changes, families, halves=jobs > 1)
        texts = {path: text for chunk in made for path, text in ((chunk.path, chunk.text), *chunk.split)}
        # A file made again as it was (most parts of a split term) is left in place, as the others are:
        # of the set's thousands of files, a few dozen are written.
        was = {path: made for state in last.chunks for path, made in state.files()}
        written = set()
        for state in chunks:
            for path, made_digest in state.files():
                if path in texts and was.get(path) != made_digest:
                    write_file(self.root, path, texts[path].encode("utf-8"))
                    written.add(path)
        return SetMade(chunks, families, written, kept, frozenset(word for change in changes for word in change.families))

    def index(self, jobs: int = 1) -> dict[str, OutputRecord]:
        """The sets of chunks of terms to make, from their shards' kept
        postings (or patched, on `jobs` processes), and the list of shards and of sets."""
        from .. import offline_index

        made = {unit: self.terms_set(unit, jobs) for unit in self.make_sets}
        self._wait_keeping()
        if self.index_key is not None:
            heads = [(name, offline_index.read_head(self.postings[name])) for name in self.keys]
            sets = []
            for unit, (_, _, keys_file) in self.sets.items():
                kept_set = json.loads(keys_file.read_text(encoding="utf-8"))
                sets.append((unit, kept_set["keys"], kept_set["version"]))
            path, text = offline_index.list_file(heads, sets, self.language)
            write_file(self.root, path, text.encode("utf-8"))
            made[INDEX] = OutputRecord(self.index_key, ((path, UNKNOWN),))
        # What was kept of shards and sets as they no longer are, and any half written by a build that stopped.
        current = {*self.postings.values(), *map(_shard_state, self.postings.values()),
                   *map(_counts_file, self.postings.values()),
                   *(file for _, _, keys_file in self.sets.values() for file in (keys_file, _families_file(keys_file)))}
        for old in next(iter(current)).parent.glob("*.*") if current else ():
            if old not in current:
                old.unlink(missing_ok=True)
        return made

    def _wait_keeping(self) -> None:
        """Wait for the kept postings being written beside (see shard)."""
        while self.keeping:
            self.keeping.pop().join()

    def __call__(self, *, jobs: int) -> dict[str, OutputRecord]:
        """Make the shards (one's terms counted by `jobs` processes, or several
        side by side, one each), then the index of terms."""
        names = list(self.entries)
        try:
            if len(names) <= 1 or jobs <= 1:
                made = dict(self.shard(name, jobs) for name in names)
            else:
                made = dict(parallel.each(lambda i: self.shard(names[i], 1), len(names), jobs=jobs))
            return {**made, **self.index(jobs)}
        finally:
            self._wait_keeping()  # where the sets failed: no file left half written for the next build


class ShardDocuments(Sequence["offline_index.SearchDocument"]):
    """The documents of a shard's `entries`, each made when first asked for:
    a rebuild that keeps most of a shard's records and counts reads the bodies
    of the few articles that changed, not the shard's (a change to an older
    article at 100,000 articles read 4,000 bodies)."""

    def __init__(self, entries: Sequence[Entry], language: str, bodies: BodyReader | None) -> None:
        self._entries, self._language, self._bodies = entries, language, bodies
        self._made: dict[int, offline_index.SearchDocument] = {}

    def read(self, numbers: Iterable[int]) -> None:
        """Make the documents `numbers`, their articles' bodies read at once."""
        from .. import offline_index

        wanted = sorted({number for number in numbers if number not in self._made})
        if wanted:
            with holding(self._bodies, (self._entries[number].article for number in wanted)):
                self._made.update(zip(wanted, offline_index.documents((self._entries[n] for n in wanted), self._language),
                                      strict=True))

    def all(self) -> list[offline_index.SearchDocument]:
        self.read(range(len(self._entries)))
        return [self._made[number] for number in range(len(self._entries))]

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> offline_index.SearchDocument: ...

    @overload
    def __getitem__(self, index: slice) -> list[offline_index.SearchDocument]: ...

    def __getitem__(self, index: int | slice) -> offline_index.SearchDocument | list[offline_index.SearchDocument]:
        if isinstance(index, slice):
            numbers = range(len(self._entries))[index]
            self.read(numbers)
            return [self._made[number] for number in numbers]
        number = range(len(self._entries))[index]  # an IndexError past the end, as a list's
        self.read((number,))
        return self._made[number]

    def __iter__(self) -> Iterator[offline_index.SearchDocument]:
        return iter(self.all())


@dataclass(frozen=True)
class SetMade:
    """A set of terms made: its chunks and the family_bests of its shards that
    its split terms need; made from the last build's files (IndexMaker._patched),
    the files it wrote (the others left in place), the family bests the last
    build kept, and the words whose family bests changed in some shard."""

    chunks: list[offline_index.ChunkState]
    families: Mapping[int, Mapping[str, list[float]]]
    written: set[str] | None = None  # None: every file
    kept: offline_patch.KeptFamilies | None = None
    changed: frozenset[str] = frozenset()


def _keep_counts(kept: Path, index: dict[str, offline_index.Postings], lengths: list[int],
                 made: offline_index.ShardIndex, files: list[offline_index.RecordsFile]) -> None:
    """What the next build reads of a shard made, but its postings (_keep_postings):
    its postings before scoring and the state of its files of records, beside `kept`."""
    from .. import offline_index

    kept.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial(_counts_file(kept))
    offline_index.write_counts(partial, index, lengths, made.scoring.terms if made.scoring else None)
    partial.replace(_counts_file(kept))
    scoring = made.scoring
    _write_whole(_shard_state(kept), json.dumps({
        "files": [[f.path, f.source, f.digest] for f in files],
        "scoring": [scoring.average, scoring.best, scoring.best_term] if scoring else None,
    }, ensure_ascii=False))


def _keep_postings(kept: Path, made: offline_index.ShardIndex) -> None:
    """The postings of a shard made, at `kept`, for the next build."""
    from .. import offline_index

    kept.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial(kept)
    offline_index.write_shard(partial, made)
    partial.replace(kept)  # whole or not there: a build stopped midway leaves no half list


def _kept_records(state: dict[str, object]) -> dict[str, tuple[str, str]]:
    """Of the files of records of a shard that the last build left in the site
    in place, from the `state` it kept: by path, the digests of their records
    and of their texts (none where not known)."""
    try:
        return {str(path): (str(source), str(made)) for path, source, made in state["files"]}  # type: ignore[attr-defined]
    except (KeyError, TypeError, ValueError):
        return {}


def _write_whole(path: Path, text: str) -> None:
    """`text` as the file at `path`, whole or not there (_partial)."""
    partial = _partial(path)
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def _families_file(keys_file: Path) -> Path:
    """Where the family_bests that a set's split terms need are kept, beside its state."""
    return keys_file.with_name(keys_file.name.removesuffix(".keys.json") + ".families.txt")


def _shard_state(postings: Path) -> Path:
    """Where the digests of a shard's files of records, and what its scores
    were worked out from, are kept, beside its postings."""
    return postings.with_name(postings.name.removesuffix(".gz") + ".state.json")


def _counts_file(postings: Path) -> Path:
    """Where a shard's postings before scoring are kept (offline_index.write_counts), beside its postings."""
    return postings.with_name(postings.name.removesuffix(".gz") + ".counts")


def _partial(path: Path) -> Path:
    """Where `path` is written before it is renamed into place: a name of this
    process's own, as the task of a killed build may still be writing the same
    file on a cluster's worker (what is left there goes with the next index())."""
    return path.with_name(f"{path.name}.{socket.gethostname()}-{os.getpid()}.part")


# A rebuild without Pagefind's runs makes its shards beside the rest of its work
# (Shards) where they hold this many articles or more: an older article changed
# at 100,000 articles, 5.3 s to 5.0 s; a newest day's shard, made beside, took
# 0.1 s more than made while the build waits for the plan of addresses.
BESIDE_ARTICLES = 1000


def made_beside(articles: int, shard_pages: int, jobs: int, shards: int) -> bool:
    """Whether the offline index may be made in a process of its own, beside
    Pagefind's runs or the rest of a rebuild (Shards says which): when the
    runs all go at once (a small site), or when the build makes no more of its
    shards than there are cores (a rebuild: the newest day, or the day before
    put back with the rest), whose few runs leave it a core.  A large build
    makes it after the runs, so that their memory and its never add up; with
    one job, no process is started for it."""
    return jobs > 1 and (articles <= shard_pages * jobs or shards <= jobs)


class Shards(Work):
    """The offline index's shards, sets of terms and list: made in a process
    beside the build from the start, while the pages are made and Pagefind's
    runs (made_beside), or by the build once the pages' workers are done."""

    def __init__(self, output: OfflineSearch, names: list[str], sets: list[str], index: bool) -> None:
        self.output = output
        job = output.job
        # Beside Pagefind's runs, if there are any, in one process; else beside the
        # rest of a rebuild whose shards to make are large (BESIDE_ARTICLES), on every
        # core once the build's own work ends (a set of terms patched in halves).  A
        # site made whole and served by the offline index has all the cores for it.
        pagefind = SearchBundles.wanted(job.config)
        large = job.in_place and sum(len(output.entries[name]) for name in names) >= BESIDE_ARTICLES
        beside = ((pagefind or large) and bool(names or sets)
                  and made_beside(len(job.site.entries), job.config.search_shard_pages, job.jobs, len(names)))
        # The work takes only what it needs (`maker`), not the build: a cluster's worker is sent it.
        self.maker = output.maker(names, sets, index)
        maker, jobs = self.maker, 1 if pagefind else job.jobs
        self.making = parallel.beside(lambda: maker(jobs=jobs)) if beside else None

    def finish(self) -> dict[str, OutputRecord]:
        if self.making is not None:
            return self.making.join()
        return self.maker(jobs=self.output.job.jobs)

    def done_here(self) -> bool:
        return self.making is None

    def finished_after(self) -> tuple[str, ...]:
        # Made here, once the pages' workers are done: the cores are free.
        return () if self.making is not None else (PAGES,)

    def stop(self) -> None:
        if self.making is not None:
            self.making.stop()
