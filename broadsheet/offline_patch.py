"""A set of chunks of terms of the offline index made again where its terms
changed, not whole (see offline_index.py for the set and its chunks).

A change to one older article changes the postings of a few hundred of the
90,000 terms of its shard (at 100,000 articles), spread over about one chunk
in eight of the set of every older shard's terms; made whole, that set is most
of such a rebuild.  So the chunks those terms are in are made again from the
files the last build wrote, with the shard's postings of those terms put in
place of the old; the chunks after them are read and made again until a chunk
begins where one began before, with the same chunks after it.  The other
chunks keep their files, and their names: a chunk is named by its key
(offline_index.chunk_path), a split term's files by the term.

What the last build wrote is known from the set's state (SetState), kept in
the cache folder: each chunk's key, first and last terms, and a digest of each
of its files.  The set so made is byte for byte the set made whole (the tests
hold them together).  Where it cannot be made so, PatchRefused, and the set
is made whole: a file of the set not as the state says, or a term split or no
longer split (which changes what the chunks after it say of the terms they
begin)."""

from __future__ import annotations

import bisect
import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

from . import parallel
from .offline_index import (
    FOLDER,
    SPLIT_FILE,
    ChunkFile,
    ChunkState,
    Family,
    InShards,
    beginnings_of,
    chunk_run,
    digest,
    set_files,
    term_order,
    unpack,
)


class PatchRefused(Exception):
    """The set cannot be made from the files of the last build: it is made whole."""


@dataclass(frozen=True)
class SetState:
    """What a build keeps of a set of terms for the next: its shards (name,
    number in the chunks (offline_index.shard_numbers), the fingerprint of
    their postings), and its chunks.  (And, in a file of their own, the
    family_bests its split terms need: write_families.)"""

    shards: tuple[tuple[str, int, str], ...]
    chunks: tuple[ChunkState, ...]

    def to_json(self) -> dict[str, object]:
        return {"shards": [list(shard) for shard in self.shards],
                "chunks": [[c.key, c.path, c.first, c.last, c.digest, [list(f) for f in c.split], c.opens]
                           for c in self.chunks]}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> SetState:
        """The state as to_json wrote it; PatchRefused for another (the state of an older build)."""
        try:
            shards = tuple((str(name), int(place), str(key)) for name, place, key in data["shards"])  # type: ignore[attr-defined]
            chunks = tuple(ChunkState(key, path, first, last, made, tuple((p, d) for p, d in split), bool(opens))
                           for key, path, first, last, made, split, opens in data["chunks"])  # type: ignore[attr-defined]
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise PatchRefused(f"a state of another layout: {error}") from None
        return cls(shards, chunks)


def split_words(chunks: Iterable[ChunkState]) -> set[str]:
    """The words whose family_bests a set's split terms are made from: each
    split term, and each beginning of it that a query's word extends."""
    terms = [chunk.first for chunk in chunks if chunk.split]
    return {*terms, *(word for term in terms for word in beginnings_of(term))}


def write_families(
    path: Path, families: Mapping[int, Mapping[str, Family]], words: set[str], kept: KeptFamilies | None = None,
    changed: AbstractSet[str] = frozenset(),
) -> None:
    """The family_bests of `words` in each shard (by number), a line
    "word<TAB>{shard: family, ...}" for each word some shard has, in order:
    a patch reads only the words it needs, not all of every shard's (at a
    million articles, hundreds of shards, each a few thousand words).
    `kept`: what the last build wrote for the same words and shards, whose
    line is written again as it was for each word not `changed` (a change to
    one article changes the families of a few words of one shard, and each
    line made anew took 0.3 s at 100,000 articles)."""
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for word in sorted(words):
            if kept is not None and word not in changed:
                line = kept.line(word)
                if line is not None:
                    out.write(f"{word}\t{line}\n")
                continue
            found = {str(place): bests[word] for place, bests in sorted(families.items()) if word in bests}
            if found:
                out.write(f"{word}\t{json.dumps(found, ensure_ascii=False, separators=(',', ':'))}\n")


class KeptFamilies:
    """The family_bests that write_families wrote, each word's read when first asked for."""

    def __init__(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise PatchRefused(f"the family bests of the set's split terms: {error}") from None
        fields = text.replace("\t", "\n").split("\n")  # words and JSON hold no tab or line break
        self._lines = dict(zip(fields[0:-1:2], fields[1:-1:2], strict=True))
        self._read: dict[str, dict[int, Family]] = {}

    def of(self, word: str) -> dict[int, Family]:
        """The family_bests of `word`, by shard."""
        if word not in self._read:
            line = self._lines.get(word)
            self._read[word] = {int(place): family for place, family in json.loads(line).items()} if line else {}
        return self._read[word]

    def words(self) -> Iterator[str]:
        return iter(self._lines)

    def line(self, word: str) -> str | None:
        """The line of `word` as written, after its tab; None where it has none."""
        return self._lines.get(word)

    def shard(self, number: int) -> Mapping[str, Family]:
        """The family_bests of the shard `number`."""
        return _ShardFamilies(self, number)


class _ShardFamilies(Mapping[str, Family]):
    def __init__(self, kept: KeptFamilies, number: int) -> None:
        self._kept, self._number = kept, number

    def __getitem__(self, word: str) -> Family:
        return self._kept.of(word)[self._number]

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._number in self._kept.of(word)

    def __iter__(self) -> Iterator[str]:  # every word read: a patch does not ask
        return (word for word in self._kept.words() if self._number in self._kept.of(word))

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass(frozen=True)
class ShardChange:
    """What changed in one shard of a set since the last build."""

    number: int  # its number in the chunks (offline_index.shard_numbers)
    postings: dict[str, str | None]  # the terms whose postings changed: the new, None where it has the term no more
    families: frozenset[str]  # the words whose family_bests changed


def shard_change(
    number: int, old: Iterable[tuple[str, str]], new: Iterable[tuple[str, str]],
    old_families: Mapping[str, Family], new_families: Mapping[str, Family],
) -> ShardChange:
    """The change of the shard `number` from its `old` (term, postings) and
    family_bests to its `new`."""
    before = dict(old)
    changed: dict[str, str | None] = {}
    for term, postings in new:
        if before.pop(term, None) != postings:
            changed[term] = postings
    changed.update(dict.fromkeys(before))  # the terms it has no more
    words = frozenset(word for word in old_families.keys() | new_families.keys()
                      if old_families.get(word) != new_families.get(word))
    return ShardChange(number, changed, words)


# A patch with this many chunks whose terms change or more may be made in two
# halves side by side, the later in a process beside (_Patch.run), cut in a
# gap of this many chunks or more between them (a region is one to three chunks).
HALVES_FROM = 64
CUT_GAP = 6


def patched(
    name: str, chunks: Sequence[ChunkState], read: Callable[[str], str], changes: Sequence[ShardChange],
    families: Mapping[int, Mapping[str, Family]], *, halves: bool = False,
) -> tuple[list[ChunkState], list[ChunkFile]]:
    """The set `name`, whose chunks were `chunks` (their files read by `read`,
    by path relative to the site root), with the `changes` of its shards,
    whose family_bests are now `families` (by shard number): the state of its
    chunks, and the chunks made again; the files of the others are as they
    were.  With `halves`, a large patch is made in two halves side by side."""
    return _Patch(name, chunks, read, changes, families).run(halves=halves)


def _with(value: InShards, number: int, postings: str | None) -> InShards:
    """[shard, postings, ...] with the postings of shard `number` put in, or taken out if None."""
    pairs = [(int(shard), str(p)) for shard, p in zip(value[::2], value[1::2], strict=True) if shard != number]
    if postings is not None:
        bisect.insort(pairs, (number, postings))
    return [item for pair in pairs for item in pair]


class _Patch:
    def __init__(
        self, name: str, chunks: Sequence[ChunkState], read: Callable[[str], str], changes: Sequence[ShardChange],
        families: Mapping[int, Mapping[str, Family]],
    ) -> None:
        self.name, self.chunks, self.read, self.changes, self.families = name, chunks, read, changes, families
        self.keys = [term_order(chunk.key) for chunk in chunks]
        self.split_terms = [chunk.first for chunk in chunks if chunk.split]
        self.split_keys = [term_order(term) for term in self.split_terms]
        self.opening = {chunk.first for chunk in chunks if chunk.opens}
        # The chunks whose terms change, and the terms of each that change (some may be new).
        self.affected: dict[int, set[str]] = {}
        for change in changes:
            for term in change.postings:
                self.affected.setdefault(self._chunk_of(term), set()).add(term)
            # A split term's entry says what each shard's family_bests say of it,
            # and of the words that begin it and no split term before it.
            for word in change.families:
                at = bisect.bisect_left(self.split_keys, term_order(word))
                if at < len(self.split_terms) and self.split_terms[at].startswith(word):
                    self.affected.setdefault(self._chunk_of(self.split_terms[at]), set())
        # Whether a chunk ends before the first term of the next depends on that
        # term's size: where it changed, or a term comes before it, the chunk
        # before is made again too (the term may go at its end).
        for number, terms in list(self.affected.items()):
            first = term_order(chunks[number].first)
            if number and any(term_order(term) <= first for term in terms):
                self.affected.setdefault(number - 1, set())

    def _chunk_of(self, term: str) -> int:
        return max(bisect.bisect_right(self.keys, term_order(term)) - 1, 0)

    def _clean(self, number: int) -> bool:
        """Whether the chunk `number` begins where no split term that holds
        back the terms it begins (_whole_families) is open: where the set can
        be taken up without the chunks before it."""
        first = self.chunks[number].first
        return not any(first[:n] in self.opening for n in range(1, len(first)))

    def run(self, *, halves: bool = False) -> tuple[list[ChunkState], list[ChunkFile]]:
        numbers = sorted(self.affected)
        cut = self._cut(numbers) if halves and len(numbers) >= HALVES_FROM else None
        if cut is None:
            states, made, at = self._regions(numbers, 0)
            return [*states, *self.chunks[at:]], made
        # The later half from a clean chunk on, beside: its regions are those the
        # whole would make, once the regions before it end before it (nearly always:
        # the cut is in a wide gap between changed chunks).  The set of every older
        # shard at 100,000 articles, about 400 of its 2,700 chunks changed: 1.3 s to 1.1 s.
        later = parallel.Apart(functools.partial(self._regions, [n for n in numbers if n >= cut], cut))
        try:
            states, made, at = self._regions([n for n in numbers if n < cut], 0)
        except BaseException:
            later.stop()
            raise
        if at <= cut:
            states += self.chunks[at:cut]
            later_states, later_made, at = later.join()
            states += later_states
            made += later_made
        else:
            later.stop()
            more_states, more_made, at = self._regions([n for n in numbers if n >= cut], at)
            states += more_states
            made += more_made
        return [*states, *self.chunks[at:]], made

    def _regions(self, numbers: Sequence[int], at: int) -> tuple[list[ChunkState], list[ChunkFile], int]:
        """The regions of the changed chunks `numbers` (in order) from the chunk
        `at` on: the state of the chunks from `at` to the end of the last
        region, the chunks made again, and the first old chunk after them."""
        states: list[ChunkState] = []
        made: list[ChunkFile] = []
        for number in numbers:
            if number < at:  # made again with the region before
                continue
            start = number
            while start > at and not self._clean(start):
                start -= 1
            states += self.chunks[at:start]
            region, at = self._region(start)
            states += (chunk.state() for chunk in region)
            made += region
        return states, made, at

    def _cut(self, numbers: Sequence[int]) -> int | None:
        """Where a patch of the changed chunks `numbers` is cut in two: a clean
        chunk (where no region begins before it, see _clean) in the gap between
        changed chunks nearest the middle that is wide enough (CUT_GAP) that the
        region before it likely ends in it."""
        middle = len(numbers) // 2
        for i in sorted(range(1, len(numbers)), key=lambda i: abs(i - middle)):
            if numbers[i] - numbers[i - 1] >= CUT_GAP:
                for cut in range(numbers[i], numbers[i - 1], -1):
                    if self._clean(cut):
                        return cut
        return None

    def _region(self, start: int) -> tuple[list[ChunkFile], int]:
        """The chunks made again from the chunk `start` on, and the first old chunk after them."""
        chunks = self.chunks
        position = [start, 0]  # the old chunk read, and how many of its entries given so far

        def entries() -> Iterator[tuple[str, InShards]]:
            for number in range(start, len(chunks)):
                members = self._members(chunks[number])
                terms = self.affected.get(number)
                order = sorted(members.keys() | terms, key=term_order) if terms else list(members)
                position[:] = [number, 0]
                for term in order:
                    value = members.get(term, [])
                    for change in self.changes:
                        if term in change.postings:
                            value = _with(value, change.number, change.postings[term])
                    if value:
                        position[1] += 1
                        yield term, value

        before = self.split_terms[: bisect.bisect_left(self.split_keys, term_order(chunks[start].first))]
        after = chunks[start - 1] if start else None
        after_key = (after.key, _run(after)) if after else None
        made: list[ChunkFile] = []
        end = len(chunks)
        received: list[str] = []  # the term that ended the chunk just made, the first of the next
        for chunk in set_files(self.name, entries(), self.families, after.last if after else None, before, after_key,
                               received):
            made.append(chunk)
            number, given = position
            # The chunk just made ends where the old chunk `number - 1` ended, and the
            # next begins as the old chunk `number` began: from there on, the set is as it was.
            if (given == 1 and number > start and received == [chunks[number].first] and number not in self.affected
                    and self._clean(number) and chunk.last == chunks[number - 1].last
                    and chunk_run((chunk.key, _run(chunk)), chunks[number].key) == _run(chunks[number])):
                end = number
                break
        old = [(c.first, c.opens) for c in chunks[start:end] if c.split]
        new = [(c.first, c.opens) for c in made if c.split]
        if old != new:
            raise PatchRefused("a term split, or no longer split")
        return made, end

    def _file(self, path: str, made: str) -> str:
        text = self.read(path)
        if digest(text) != made:
            raise PatchRefused(f"{path} is not the file the last build wrote")
        return text

    def _members(self, chunk: ChunkState) -> dict[str, InShards]:
        """The terms of an old chunk and their postings in every shard, the whole of a split term's."""
        members = _payload(self._file(chunk.path, chunk.digest))
        if not isinstance(members, dict):
            raise PatchRefused(f"{chunk.path} holds no chunk of terms")
        if chunk.split:
            ((term, _),) = members.items()
            whole, made = chunk.split[0]
            if not whole.startswith(f"{FOLDER}{self.name}/{SPLIT_FILE}"):
                raise PatchRefused(f"{whole} is not a split term's file")
            postings = _payload(self._file(whole, made))
            if not isinstance(postings, list):
                raise PatchRefused(f"{whole} holds no postings")
            return {term: postings}
        return members


def _payload(text: str) -> object:
    """What a script of terms (offline_index._terms_script) hands the page: JSON, or packed."""
    _, _, rest = text.partition(",")
    value = json.loads(rest.removesuffix(");\n"))
    return unpack(value) if isinstance(value, str) else value


def _run(chunk: ChunkState | ChunkFile) -> int:
    """The run of a chunk's key (offline_index.chunk_run), from its path."""
    head, _, run = chunk.path.removesuffix(".js").rpartition("-")
    return int(run) if head and run.isdigit() and "/k" in head else 0
