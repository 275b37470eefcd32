"""A set of chunks of terms made again where its terms changed (offline_patch.py):
byte for byte the set made whole, or refused."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from broadsheet import offline_index as oi
from broadsheet import offline_patch, parallel
from broadsheet.cache import folder_for
from broadsheet.offline_patch import (
    KeptFamilies,
    PatchRefused,
    SetState,
    patched,
    shard_change,
    split_words,
    write_families,
)
from broadsheet.outputs.offline_search import IndexMaker

from .conftest import txt, write_corpus
from .test_offline_index import call, doc
from .test_search_split import files_of, run

# Words with long families ("for", "form", "format", ...), common ones, and a long tail.
COMMON = ["the", "and", "for", "form", "format", "formal", "fort", "forte", "harbour", "council", "state", "statement",
          "of", "off", "a", "us", "usual"]  # words of one or two letters: families of their own
TAIL = [f"{stem}{a}{b}" for stem in ("for", "harb", "stat", "quay", "tide", "ferr") for a in "aeiou" for b in "bdgklmnprstvz"]


def body(rng: random.Random, length: int) -> str:
    return " ".join(rng.choice(COMMON) if rng.random() < 0.5 else rng.choice(TAIL) for _ in range(length))


def shards_of(bodies: list[list[str]]) -> list[oi.ShardIndex]:
    return [oi.shard_index([doc(f"S{n} {i}", text, url=f"{2020 - n}/01/01/s{i}/") for i, text in enumerate(shard)])
            for n, shard in enumerate(bodies)]


def whole(shards: list[oi.ShardIndex]) -> list[oi.ChunkFile]:
    return list(oi.set_files("terms", oi.merged([made.in_order() for made in shards]),
                             {n: made.families for n, made in enumerate(shards)}))


def files(chunks: list[oi.ChunkFile]) -> dict[str, str]:
    return {path: text for chunk in chunks for path, text in ((chunk.path, chunk.text), *chunk.split)}


def patch(old: list[oi.ShardIndex], new: list[oi.ShardIndex], site: dict[str, str] | None = None, *,
          halves: bool = False) -> tuple[list[oi.ChunkState], dict[str, str], int]:
    """The set of `new` made from the set of `old`: its state, its files, and how many chunks were made again."""
    before = whole(old)
    site = files(before) if site is None else site
    changes = [shard_change(n, was.in_order(), now.in_order(), was.families, now.families)
               for n, (was, now) in enumerate(zip(old, new, strict=True)) if was != now]
    # As a build does: of the shards that did not change, the family_bests the last build kept of them.
    with tempfile.TemporaryDirectory() as folder:
        kept_file = Path(folder) / "families.txt"
        write_families(kept_file, {n: was.families for n, was in enumerate(old)}, split_words(c.state() for c in before))
        kept = KeptFamilies(kept_file)
    families = {n: now.families if was != now else kept.shard(n) for n, (was, now) in enumerate(zip(old, new, strict=True))}
    states, made = patched("terms", [chunk.state() for chunk in before], site.__getitem__, changes, families,
                           halves=halves)
    written = files(made)
    kept = {path: site[path] for state in states for path in (state.path, *(p for p, _ in state.split))
            if path not in written}
    return states, {**kept, **written}, len(made)


@pytest.fixture
def small(monkeypatch):
    """Chunks, split terms and families at the size of a few dozen documents."""
    monkeypatch.setattr(oi, "CHUNK_BYTES", 400)
    monkeypatch.setattr(oi, "SPLIT_BYTES", 100)  # the common words
    monkeypatch.setattr(oi, "PART_BYTES", 60)
    monkeypatch.setattr(oi, "FAMILY_FROM", 3)
    monkeypatch.setattr(oi, "CUT_EVERY", 4)


def four_shards(rng: random.Random) -> tuple[list[list[str]], list[list[str]], int, int]:
    """Four shards of a few dozen documents; a copy; and a shard and a document of it, to change."""
    bodies = [[body(rng, rng.randint(20, 40)) for _ in range(rng.randint(20, 30))] for _ in range(4)]
    shard = rng.randrange(4)
    return bodies, [list(texts) for texts in bodies], shard, rng.randrange(len(bodies[shard]))


@pytest.mark.parametrize("seed", range(24))
def test_a_set_patched_where_one_shard_changed_is_the_set_made_whole(small, seed):
    rng = random.Random(seed)
    bodies, changed, shard, number = four_shards(rng)
    words = changed[shard][number].split()
    if seed % 4 == 0:  # a word of its own for one of its words: a new term, the shard's lengths as they were
        words[rng.randrange(len(words))] = f"unheard{seed}"
    elif seed % 4 == 1:  # a word for another
        words[rng.randrange(len(words))] = rng.choice(TAIL)
    elif seed % 4 == 2:  # a sentence added
        words += body(rng, 6).split()
    else:  # made shorter
        words = words[:3]
    changed[shard][number] = " ".join(words)
    old, new = shards_of(bodies), shards_of(changed)
    made_whole = whole(new)
    try:
        states, written, remade = patch(old, new)
    except PatchRefused:
        # Only where a term is split, or no more: the split terms are others.
        assert [c.first for c in whole(old) if c.split] != [c.first for c in made_whole if c.split]
        return
    assert states == [chunk.state() for chunk in made_whole]
    assert written == files(made_whole)
    if seed % 4 < 2:  # a word for another: the lengths as they were, a few chunks made again
        assert remade < len(made_whole) / 2
    assert sum(1 for chunk in made_whole if chunk.opens) > 5  # split terms that hold back the terms they begin


def test_a_patch_made_in_two_halves_is_the_set_made_whole(small, monkeypatch):
    # Cut in the widest gap between changed chunks (the later half made beside), or
    # right after a changed chunk, where its region may go on past the cut (the
    # later half then made after it, here).
    monkeypatch.setattr(offline_patch, "HALVES_FROM", 2)
    real_cut = offline_patch._Patch._cut
    tight = [False]
    monkeypatch.setattr(offline_patch._Patch, "_cut", lambda self, numbers: next(
        (n + 1 for n in numbers[:-1] if self._clean(n + 1) and n + 1 not in self.affected), None)
        if tight[0] else real_cut(self, numbers))
    ends: list[str] = []
    real_apart = parallel.Apart

    class Apart(real_apart):  # type: ignore[misc, valid-type]
        def join(self):
            ends.append("joined")
            return super().join()

        def stop(self):
            ends.append("stopped")
            super().stop()

    monkeypatch.setattr(parallel, "Apart", Apart)
    ways = set()
    for seed in range(16):
        tight[0] = seed % 2 == 1
        rng = random.Random(100 + seed)
        bodies, changed, shard, _ = four_shards(rng)
        for number in rng.sample(range(len(changed[shard])), 3):  # words for others in three documents
            words = changed[shard][number].split()
            for _ in range(3):
                words[rng.randrange(len(words))] = rng.choice(TAIL)
            changed[shard][number] = " ".join(words)
        old, new = shards_of(bodies), shards_of(changed)
        made_whole = whole(new)
        ends.clear()
        try:
            states, written, _ = patch(old, new, halves=True)
        except PatchRefused:
            assert [c.first for c in whole(old) if c.split] != [c.first for c in made_whole if c.split]
            continue
        assert states == [chunk.state() for chunk in made_whole], seed
        assert written == files(made_whole), seed
        ways.add(("tight" if tight[0] else "wide", *ends))
    # Both ways taken: the later half made beside, and made here after a region that went past the cut.
    assert {("wide", "joined"), ("tight", "stopped")} <= ways, ways


def test_a_term_split_by_a_change_is_refused(small):
    rng = random.Random(11)
    bodies = [[body(rng, 30) for _ in range(20)] for _ in range(4)]
    bodies[1:3] = [[text + " tidal" for text in shard] for shard in bodies[1:3]]
    changed = [list(shard) for shard in bodies]
    changed[3] = [text + " tidal" for text in changed[3]]  # in every document of a third shard: split
    old, new = shards_of(bodies), shards_of(changed)
    assert "tidal" not in [c.first for c in whole(old) if c.split]
    assert "tidal" in [c.first for c in whole(new) if c.split]
    with pytest.raises(PatchRefused, match="split"):
        patch(old, new)


def test_a_patch_makes_again_only_the_chunks_of_the_terms_that_changed(small, monkeypatch):
    monkeypatch.setattr(oi, "SPLIT_BYTES", 10**6)  # no split term: nothing held back
    rng = random.Random(7)
    # A long tail: most terms are of a few documents.
    tail = ["".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(4)) for _ in range(3000)]
    bodies = [[" ".join(rng.choice(tail) for _ in range(30)) for _ in range(20)] for _ in range(3)]
    changed = [list(shard) for shard in bodies]
    # One word of a document for another: the shard's lengths, and so its scale, as they were.
    changed[2][0] = "quayage " + changed[2][0].partition(" ")[2]
    old, new = shards_of(bodies), shards_of(changed)
    states, written, remade = patch(old, new)
    assert written == files(whole(new))
    assert len(states) > 10 * remade  # a change of one document: a few chunks of many


def test_a_term_removed_from_its_only_shard_leaves_the_set(small):
    rng = random.Random(3)
    bodies = [[body(rng, 20) for _ in range(10)] for _ in range(3)]
    bodies[1][4] += " zymurgy"
    changed = [list(shard) for shard in bodies]
    changed[1][4] = changed[1][4].removesuffix(" zymurgy")
    old, new = shards_of(bodies), shards_of(changed)
    states, written, _ = patch(old, new)
    assert written == files(whole(new))
    assert not any("zymurgy" in text for text in written.values())


def test_a_file_of_the_set_not_as_the_last_build_wrote_it_is_refused(small):
    rng = random.Random(5)
    bodies = [[body(rng, 20) for _ in range(10)] for _ in range(3)]
    changed = [list(shard) for shard in bodies]
    changed[0][0] += " unheard"
    old, new = shards_of(bodies), shards_of(changed)
    site = files(whole(old))
    for path in site:
        site[path] = site[path].replace('"', "'")
    with pytest.raises(PatchRefused):
        patch(old, new, site)


def test_a_state_of_another_layout_is_refused():
    with pytest.raises(PatchRefused):
        SetState.from_json({"keys": [""], "version": "0"})  # the state of a build before chunks were kept


def test_a_chunk_whose_key_is_long_is_named_by_its_beginning_and_its_place_in_the_run():
    long_key = "\U00010300" * 30  # 60 UTF-16 code units: more than NAME_UNITS
    head = long_key.encode("utf-16-be")[: 2 * oi.NAME_UNITS].hex()
    assert oi.chunk_path("terms", long_key, 2) == f"terms/k{head}-2"
    assert oi.chunk_run((long_key, 0), long_key + "x") == 1
    assert oi.chunk_run(("short", 0), long_key) == 0
    assert oi.chunk_path("terms", "ab") == "terms/k00610062"


@pytest.fixture
def older(tmp_path: Path) -> Path:
    """Eight years of articles, one shard each, and the newest day apart: six shards in the set of the older."""
    return write_corpus(tmp_path / "corpus", {
        f"{i:02d}.txt": txt(f"{2015 + i % 8}-{1 + i % 12:02d}-10",
                            f"Story {i} about the word{i} and the harbour, the council and the statement {i % 5}.")
        for i in range(40)
    })


@pytest.fixture
def whole_sets(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sets of terms made whole, not patched, as the builds go."""
    made: list[str] = []
    real = IndexMaker._whole
    monkeypatch.setattr(IndexMaker, "_whole", lambda self, unit: made.append(unit) or real(self, unit))
    return made


def test_an_older_article_changed_patches_the_set_of_the_older_shards(older, tmp_path, monkeypatch, whole_sets):
    out = tmp_path / "site"
    run(older, out, jobs=1, search_shard_pages=5)
    whole_sets.clear()  # of the first build
    (older / "09.txt").write_text(txt("2016-10-10", "Story 9 about the lighthouse and the harbour."), encoding="utf-8")
    changed = run(older, out, jobs=1, search_shard_pages=5)
    assert changed.in_place and whole_sets == []  # the set of the older shards patched
    shutil.rmtree(tmp_path / "full", ignore_errors=True)
    run(older, tmp_path / "full", jobs=1, search_shard_pages=5, incremental=False)
    assert files_of(out) == files_of(tmp_path / "full")
    # And again, from the set so patched, with words split by then: made whole.
    monkeypatch.setattr(oi, "SPLIT_BYTES", 40)
    whole_sets.clear()  # of the full build above
    (older / "17.txt").write_text(txt("2016-06-10", "Story 17, the ferry and the council."), encoding="utf-8")
    run(older, out, jobs=1, search_shard_pages=5)
    assert whole_sets == ["terms"]
    shutil.rmtree(tmp_path / "full")
    run(older, tmp_path / "full", jobs=1, search_shard_pages=5, incremental=False)
    assert files_of(out) == files_of(tmp_path / "full")


def _families(out: Path) -> dict[str, str]:
    """The family_bests kept for each set of terms of the build into `out`, by file name."""
    return {path.name: path.read_text(encoding="utf-8") for path in folder_for(out).rglob("*.families.txt")}


def test_the_family_bests_a_patch_keeps_are_those_of_the_set_made_whole(older, tmp_path, monkeypatch, whole_sets):
    # Common words split, each with its family in every shard: a change moves the families of its own words.
    monkeypatch.setattr(oi, "SPLIT_BYTES", 60)
    monkeypatch.setattr(oi, "FAMILY_FROM", 1)
    out, full = tmp_path / "site", tmp_path / "full"
    run(older, out, jobs=1, search_shard_pages=5)
    before = _families(out)
    assert any(text.count("\n") > 3 for text in before.values())
    edits = [("09.txt", txt("2016-10-10", "Story 9 about the lighthouse and the harbour, the harbour.")),
             ("17.txt", txt("2016-06-10", "Story 17, the ferry and the council.")),
             ("09.txt", txt("2016-10-10", "Story 9."))]
    for name, text in edits:
        whole_sets.clear()
        (older / name).write_text(text, encoding="utf-8")
        run(older, out, jobs=1, search_shard_pages=5)
        assert whole_sets == []  # patched
        shutil.rmtree(full, ignore_errors=True)
        run(older, full, jobs=1, search_shard_pages=5, incremental=False)
        assert _families(out) == _families(full)
        assert files_of(out) == files_of(full)
    assert _families(out) != before


def test_a_set_is_patched_from_its_changed_shard_as_made_not_read_again(older, tmp_path, monkeypatch, whole_sets):
    out = tmp_path / "site"
    run(older, out, jobs=1, search_shard_pages=5)
    read: list[str] = []
    real = oi.read_shard
    monkeypatch.setattr(oi, "read_shard", lambda path, *args: read.append(path.name) or real(path, *args))
    whole_sets.clear()
    (older / "09.txt").write_text(txt("2016-10-10", "Story 9 about the lighthouse and the harbour."), encoding="utf-8")
    run(older, out, jobs=1, search_shard_pages=5)
    assert whole_sets == [] and len(read) == 1  # the shard as it was, read to be scored again, and no more
    run(older, tmp_path / "full", jobs=1, search_shard_pages=5, incremental=False)
    assert files_of(out) == files_of(tmp_path / "full")


def test_one_changed_shard_of_a_set_of_two_is_patched_and_two_are_made_whole(older, tmp_path, whole_sets):
    # Fifteen articles a shard: three years each, the newest shard apart, two in the set of the older.
    out = tmp_path / "site"
    run(older, out, jobs=1, search_shard_pages=15)
    whole_sets.clear()  # of the first build
    (older / "09.txt").write_text(txt("2016-10-10", "Story 9 about the lighthouse and the harbour."), encoding="utf-8")
    run(older, out, jobs=1, search_shard_pages=15)
    assert whole_sets == []  # one shard of the two changed: patched
    full = tmp_path / "full"
    run(older, full, jobs=1, search_shard_pages=15, incremental=False)
    assert files_of(out) == files_of(full)
    whole_sets.clear()  # of the full build
    (older / "17.txt").write_text(txt("2016-06-10", "Story 17, the ferry and the council."), encoding="utf-8")
    (older / "12.txt").write_text(txt("2019-01-10", "Story 12, the quay and the storm."), encoding="utf-8")
    run(older, out, jobs=1, search_shard_pages=15)
    assert whole_sets == ["terms"]  # both: made whole
    shutil.rmtree(full)
    run(older, full, jobs=1, search_shard_pages=15, incremental=False)
    assert files_of(out) == files_of(full)


def test_a_set_whose_file_was_edited_by_hand_is_made_whole(older, tmp_path, whole_sets):
    out = tmp_path / "site"
    run(older, out, jobs=1, search_shard_pages=5)
    whole_sets.clear()  # of the first build
    chunk = sorted((out / oi.FOLDER / "terms").glob("k*.js"))[-1]
    chunk.write_text(chunk.read_text(encoding="utf-8") + "// edited\n", encoding="utf-8")
    (older / "09.txt").write_text(txt("2016-10-10", "Story 9 about the lighthouse and the harbour."), encoding="utf-8")
    run(older, out, jobs=1, search_shard_pages=5)
    assert whole_sets == ["terms"]  # not made from the files in place: one is not as the build left it
    run(older, tmp_path / "full", jobs=1, search_shard_pages=5, incremental=False)
    assert files_of(out) == files_of(tmp_path / "full")


def test_files_of_the_index_edited_by_hand_where_a_rebuild_does_not_read_are_made_again(
    older, tmp_path, monkeypatch, whole_sets,
):
    monkeypatch.setattr(oi, "SPLIT_BYTES", 40)  # "the", "and", ... split, each with a file of its part
    out = tmp_path / "site"
    run(older, out, jobs=1, search_shard_pages=5)
    # A part of a split term (a patch reads the whole), and a file of records of a shard whose articles do not change.
    part = sorted((out / oi.FOLDER / "terms").glob("s*-1.js"))[0]
    records = sorted((out / oi.FOLDER).glob("2019*/docs/0.js"))[0]
    for edited in (part, records):
        edited.write_text(edited.read_text(encoding="utf-8") + "// edited\n", encoding="utf-8")
    whole_sets.clear()
    (older / "09.txt").write_text(txt("2016-10-10", "Story 9 about the lighthouse and the harbour."), encoding="utf-8")
    run(older, out, jobs=1, search_shard_pages=5)
    assert whole_sets == ["terms"]
    run(older, tmp_path / "full", jobs=1, search_shard_pages=5, incremental=False)
    assert files_of(out) == files_of(tmp_path / "full")


def test_a_changed_article_packs_again_only_its_own_file_of_records(tmp_path, monkeypatch):
    corpus = write_corpus(tmp_path / "corpus", {
        f"{i:02d}.txt": txt(f"{2016 + i // 30}-{1 + i % 12:02d}-{1 + i % 28:02d}", f"Story {i} about the harbour.")
        for i in range(40)
    })
    out = tmp_path / "site"
    run(corpus, out, jobs=1, search_shard_pages=30)
    records = sorted((out / oi.shard_folder("2016") / "docs").glob("*.js"))
    assert len(records) == 5
    inodes = {path.name: path.stat().st_ino for path in records}
    packed: list[str] = []
    real = oi._packed
    monkeypatch.setattr(oi, "_packed", lambda plain: packed.append(plain) or real(plain))
    (corpus / "07.txt").write_text(txt("2016-08-08", "Story 7 about the lighthouse."), encoding="utf-8")
    run(corpus, out, jobs=1, search_shard_pages=30)
    records_packed = [plain for plain in packed if plain.startswith('[["')]  # not the list
    assert len(records_packed) == 1 and "lighthouse" in records_packed[0]
    # The others are the files that were there, not written again.
    renewed = [path.name for path in records if path.stat().st_ino != inodes[path.name]]
    assert len(renewed) == 1
    _, (_, records_there) = call((records[0].parent / renewed[0]).read_text(encoding="utf-8"))
    assert "lighthouse" in str(oi.unpack(records_there))
    run(corpus, tmp_path / "full", jobs=1, search_shard_pages=30, incremental=False)
    assert files_of(out) == files_of(tmp_path / "full")


@pytest.mark.parametrize("lost", [False, True])
def test_a_changed_article_counts_again_only_the_documents_of_its_file_of_records(tmp_path, monkeypatch, lost):
    corpus = write_corpus(tmp_path / "corpus", {
        f"{i:02d}.txt": txt(f"{2016 + i // 30}-{1 + i % 12:02d}-{1 + i % 28:02d}", f"Story {i} about the harbour.")
        for i in range(40)
    })
    out = tmp_path / "site"
    run(corpus, out, jobs=1, search_shard_pages=30)
    counts = sorted(out.parent.glob(".site.cache/offline-search/*.counts"))
    assert len(counts) == 2  # one for each shard
    if lost:  # not whole: every document of the shard counted, as before any was kept
        for path in counts:
            path.write_bytes(path.read_bytes()[:100])
    counted: list[int] = []
    real = parallel.count_terms
    monkeypatch.setattr(parallel, "count_terms", lambda docs, *, jobs: counted.append(len(docs)) or real(docs, jobs=jobs))
    scored: list[int] = []
    real_scored = oi.scored_shard
    monkeypatch.setattr(oi, "scored_shard", lambda docs, index, lengths, last, held, months: scored.append(len(held))
                        or real_scored(docs, index, lengths, last, held, months))
    apart: list[str] = []
    real_apart = parallel.Apart
    monkeypatch.setattr(parallel, "Apart", lambda work, **kw: apart.append(getattr(work, "func", work).__name__)
                        or real_apart(work, **kw))
    read: list[int] = []
    real_documents = oi.documents
    monkeypatch.setattr(oi, "documents", lambda entries, *args: read.append(len(made := real_documents(entries, *args)))
                        or made)
    (corpus / "07.txt").write_text(txt("2016-08-08", "Story 7 about the lighthouse."), encoding="utf-8")
    run(corpus, out, jobs=1, search_shard_pages=30)
    # What the next build reads of the shard made again is written beside, while its set is patched.
    assert apart.count("_keep_counts") == apart.count("_keep_postings") == 1
    assert counted == ([30] if lost else [oi.DOCS_PER_CHUNK])  # the shard of 2016, all or those of one file
    # The articles read: those of its file of records made again, then, where its counts are lost, all.
    assert read == ([oi.DOCS_PER_CHUNK, 30 - oi.DOCS_PER_CHUNK] if lost else [oi.DOCS_PER_CHUNK])
    # Its terms scored again: those of the documents of its changed file, or of the one changed.
    assert scored == ([oi.DOCS_PER_CHUNK] if lost else [1])
    run(corpus, tmp_path / "full", jobs=1, search_shard_pages=30, incremental=False)
    assert files_of(out) == files_of(tmp_path / "full")
    # What the rebuild kept of the changed shard is what a full build keeps.
    kept, full = (next(folder.glob("2016*.counts")) for folder in (
        out.parent / ".site.cache/offline-search", tmp_path / ".full.cache/offline-search"))
    assert oi.read_counts(kept) == oi.read_counts(full) is not None
    kept_shard, full_shard = (oi.read_shard(path.with_suffix(".gz")) for path in (kept, full))
    assert (kept_shard.postings, kept_shard.families) == (full_shard.postings, full_shard.families) != ({}, {})
    assert kept.with_suffix(".state.json").read_text() == full.with_suffix(".state.json").read_text()


@pytest.mark.parametrize("seed", range(16))
def test_a_shard_made_from_its_last_build_is_the_shard_made_whole(small, seed, monkeypatch):
    rescored = []
    real = oi._rescored
    monkeypatch.setattr(oi, "_rescored", lambda *args: rescored.append(real(*args)) or rescored[-1])
    rng = random.Random(seed)
    bodies = [body(rng, rng.randint(20, 60)) for _ in range(40)]
    changed = list(bodies)
    numbers = {seed, rng.randrange(40)} if seed % 4 == 3 else {seed}  # two documents at times
    for number in numbers:
        words = changed[number].split()
        if seed % 4 == 1:  # a word added
            words.append(rng.choice(["unheard", *TAIL]))
        elif seed % 4 == 2:  # a word taken out
            words.pop(rng.randrange(len(words)))
        else:  # a word for another
            words[rng.randrange(len(words))] = rng.choice(["unheard", *COMMON, *TAIL])
        changed[number] = " ".join(words)
    old, new = shards_of([bodies])[0], shards_of([changed])[0]
    # Told which documents may have changed (more than did, as a build tells it: the six of a file of records).
    told = {n for number in numbers for n in range(number - number % 6, number - number % 6 + 6)}
    reused = oi.shard_index([doc(f"S0 {i}", text, url=f"2020/01/01/s{i}/") for i, text in enumerate(changed)],
                            last=old, changed=told)
    assert reused == new
    if seed % 4 in (0, 3):  # a word for another: the lengths, and so the scale, as they were
        assert (old.documents, old.scale) == (new.documents, new.scale)
        assert rescored[-1] is not None  # only the terms of the changed documents scored again
        assert sum(old.families[w] is reused.families[w] for w in reused.families if w in old.families) > len(new.families) / 2


@pytest.mark.parametrize("wide", [oi.WIDE_FROM, 4])
@pytest.mark.parametrize("first", [oi.FIRST, 2])
@pytest.mark.parametrize("seed", range(24))
def test_a_term_of_the_one_changed_document_has_its_posting_scored_again_alone(small, seed, first, wide, monkeypatch):
    monkeypatch.setattr(oi, "FIRST", first)  # 2: the changed document often leaves the first, or joins them
    monkeypatch.setattr(oi, "WIDE_FROM", wide)  # 4: most terms' levels in two characters
    spliced: list[bool] = []
    real = oi._spliced
    monkeypatch.setattr(oi, "_spliced", lambda *args: spliced.append(real(*args) is not None) or real(*args))
    moved: list[bool] = []
    real_moved = oi._family_moved
    monkeypatch.setattr(oi, "_family_moved", lambda *args: moved.append(real_moved(*args) is not None)
                        or real_moved(*args))
    rng = random.Random(seed)
    bodies = [body(rng, rng.randint(20, 60)) for _ in range(40)]
    number = rng.randrange(40)
    words = bodies[number].split()
    if seed % 3 == 0:  # a word it has, once more
        words.insert(rng.randrange(len(words)), rng.choice(words))
    elif seed % 3 == 1:  # a word taken out
        words.pop(rng.randrange(len(words)))
    else:  # a word for another
        words[rng.randrange(len(words))] = rng.choice([*COMMON, *TAIL])
    changed = [*bodies[:number], " ".join(words), *bodies[number + 1:]]
    old, new = shards_of([bodies])[0], shards_of([changed])[0]
    reused = oi.shard_index([doc(f"S0 {i}", text, url=f"2020/01/01/s{i}/") for i, text in enumerate(changed)],
                            last=old, changed={number})
    assert reused == new
    assert reused.scoring is not None and new.scoring is not None
    assert reused.scoring.terms == new.scoring.terms and reused.scoring.best == new.scoring.best
    if (old.documents, old.scale, old.scoring and old.scoring.average) == (new.documents, new.scale, new.scoring.average):
        assert any(spliced)  # most of its terms: put in place, not scored whole
        if seed % 3 == 0:  # the families of its words, which no term was added to or taken from
            assert any(moved)


def test_a_term_whose_best_the_changed_document_ties_names_the_first_document_of_it():
    # "harbour" is best in document 1 (twice in it); document 0, of the same length, becomes its equal.
    bodies = ["harbour tide", "harbour harbour", "quay tide", "quay tide"]
    changed = ["harbour harbour", *bodies[1:]]
    docs = [[doc("A", text, url=f"2020/01/01/s{i}/") for i, text in enumerate(texts)] for texts in (bodies, changed)]
    old, new = oi.shard_index(docs[0]), oi.shard_index(docs[1])
    assert old.scoring is not None and new.scoring is not None
    assert old.scoring.terms is not None and old.scoring.terms["harbour"][1] == 1
    reused = oi.shard_index(docs[1], last=old, changed={0})
    assert reused.scoring is not None and reused.scoring.terms == new.scoring.terms
    assert new.scoring.terms is not None and new.scoring.terms["harbour"][1] == 0


def _one_word_replaced(seed: int) -> tuple[list[list[str]], list[list[str]]]:
    """Four shards, and the same with one word of one document for a new word beside the families."""
    rng = random.Random(seed)
    bodies, changed, shard, number = four_shards(rng)
    words = changed[shard][number].split()
    stem = rng.choice(["for", "form", "harb", "stat", "fort"])
    words[rng.randrange(len(words))] = stem + "".join(rng.choice("aeiouz") for _ in range(rng.randint(1, 3)))
    changed[shard][number] = " ".join(words)
    return bodies, changed


@pytest.mark.parametrize("seed", [88, 145, *range(20)])
def test_a_term_that_may_end_the_chunk_before_its_own_is_patched_as_made_whole(small, seed):
    # Seed 88: a new term before the first of its chunk, which a full build puts at the end of the
    # chunk before; 145: a term removed, after which the chunk before takes more.
    bodies, changed = _one_word_replaced(seed)
    old, new = shards_of(bodies), shards_of(changed)
    states, written, _ = patch(old, new)
    assert written == files(whole(new)) and states == [chunk.state() for chunk in whole(new)]


def test_a_chunk_ended_where_held_terms_are_given_back_is_not_taken_for_the_old_one(small):
    # "fpad" begins a chunk after one that ends with a term that begins with the split term "for",
    # whose range holds terms back; a new term after that one, and cut before, must not be lost.
    candidates = ["fp" + a + b for a in "aeiou" for b in "bdgklmnprstvz" if oi._cuts("fp" + a + b)]
    tried = 0
    for seed in range(30):  # seed 0 has one
        for start in candidates[:4]:
            rng = random.Random(seed)
            bodies = [[body(rng, rng.randint(20, 40)) for _ in range(rng.randint(20, 30))] for _ in range(4)]
            words = bodies[1][0].split()
            words[1] = start
            bodies[1][0] = " ".join(words)
            before = whole(shards_of(bodies))
            at = next((i for i, chunk in enumerate(before) if chunk.first == start), None)
            if at is None or not before[at - 1].last.startswith("for"):
                continue
            last = before[at - 1].last
            added = next(last + s for s in ("z", "zz", "zb", "zd", "zg", "zk", "zl", "zm", "zn") if oi._cuts(last + s))
            changed = [list(shard) for shard in bodies]
            words = changed[0][0].split()
            words[0] = added
            changed[0][0] = " ".join(words)
            new = shards_of(changed)
            _, written, _ = patch(shards_of(bodies), new)
            assert written == files(whole(new))
            assert any(f'"{added}"' in text for text in written.values())
            tried += 1
            if tried == 2:
                return
    pytest.fail("no such chunk met")


def test_the_page_names_a_chunk_as_the_build_does(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    rng = random.Random(1)
    # Keys of more than NAME_UNITS code units sharing their beginning, some cut inside a surrogate pair.
    heads = ["\U00010300" * 24, "\U00010300" * 23 + "a", "b" * 30, "harbour"]
    keys = ["", *sorted({rng.choice(heads) + "".join(rng.choice(["\U00010301", "a", "c"]) for _ in range(rng.randint(0, 10)))
                         for _ in range(300)}, key=oi.term_order)]
    names, previous = [], None
    for key in keys:
        run_ = oi.chunk_run(previous, key)
        previous = key, run_
        names.append(oi.chunk_path("t", key, run_).removeprefix("t/"))
    assert any(name.endswith("-2") for name in names)  # runs of long keys met
    script = Path(oi.__file__).parent.parent / "site_templates/assets/offline-search.js"
    text = script.read_text(encoding="utf-8")
    function = text[text.index("var NAME_UNITS"):text.index('return name + "-" + run;\n  }') + len('return name + "-" + run;\n  }')]
    (tmp_path / "keys.json").write_text(json.dumps(keys), encoding="utf-8")
    done = subprocess.run([node, "-e", function + """
      const keys = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      process.stdout.write(JSON.stringify(keys.map((_, n) => chunkName(keys, n))));
    """, str(tmp_path / "keys.json")], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == names
