"""The search index in bundles, in whole builds: what a build writes, and what
a rebuild indexes again (the shards themselves: test_search_shards.py)."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from broadsheet import offline_index
from broadsheet.build import build
from broadsheet.config import Config, validate

from .conftest import txt, write_corpus


def files_of(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus", {
        f"{i:02d}.txt": txt(f"{2019 + i % 4}-{1 + i % 12:02d}-10", f"Story {i} about the word{i} and the harbour.")
        for i in range(14)
    })


def run(corpus: Path, out: Path, **settings):
    settings.setdefault("search_shard_pages", 4)
    return build(validate(Config(source=corpus, out=out, search=True, **settings)))


def test_a_build_writes_one_bundle_per_shard_and_lists_them(corpus, tmp_path):
    result = run(corpus, tmp_path / "site")
    listed = json.loads((tmp_path / "site/pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
    assert result.bundles == len(listed) == 4 and result.indexed == 14
    assert [b["pages"] for b in listed] == [4, 4, 3, 3]
    for i, bundle in enumerate(listed):
        entry = json.loads((tmp_path / "site/pagefind" / bundle["path"] / "pagefind-entry.json").read_text())
        # Every bundle but the first also holds its placeholder record.
        assert entry["languages"]["en"]["page_count"] == bundle["records"] == bundle["pages"] + (i > 0)
    run(corpus, tmp_path / "again", incremental=False)
    assert files_of(tmp_path / "site") == files_of(tmp_path / "again")


def test_a_rebuild_indexes_again_only_the_bundle_of_a_changed_article(corpus, tmp_path):
    out = tmp_path / "site"
    run(corpus, out)
    unchanged = run(corpus, out)
    assert unchanged.in_place and unchanged.bundles_indexed == 0 and unchanged.indexed == 14
    # An article of the second bundle, then of the oldest and of the newest: each
    # bundle's pages are a run of the site's, found by its place (SearchBundles.runs).
    for number, date in ((5, "2020-06-10"), (4, "2019-05-10"), (11, "2022-12-10")):
        (corpus / f"{number:02d}.txt").write_text(txt(date, f"Story {number} rewritten about the lighthouse."),
                                                  encoding="utf-8")
        changed = run(corpus, out)
        assert changed.bundles_indexed == 1 and changed.indexed == 14
        assert "(1 of 4 search bundles indexed again)" in changed.summary()
        shutil.rmtree(tmp_path / "full", ignore_errors=True)
        run(corpus, tmp_path / "full", incremental=False)
        assert files_of(out) == files_of(tmp_path / "full")


def test_a_bundle_indexed_again_starts_from_the_fragments_of_its_unchanged_pages(corpus, tmp_path, monkeypatch):
    from broadsheet import search

    out = tmp_path / "site"
    run(corpus, out)
    seeded: dict[str, int] = {}  # the fragments the run started from, and their files
    real_seed = search.seed_fragments

    def seed(last: Path, bundle: Path, pages: set[str]) -> int:
        count = real_seed(last, bundle, pages)
        seeded.update({path.name: path.stat().st_ino for path in bundle.glob("fragment/*")})
        assert all(search._page_of(last / "fragment" / name) in pages for name in seeded)
        return count

    left: dict[str, int] = {}
    real_check = search._fragments_checked

    def check(bundle: Path) -> bool:
        left.update({path.name: path.stat().st_ino for path in bundle.glob("fragment/*") if path.name in seeded})
        return real_check(bundle)

    monkeypatch.setattr(search, "seed_fragments", seed)
    monkeypatch.setattr(search, "_fragments_checked", check)
    (corpus / "05.txt").write_text(txt("2020-06-10", "Story 5 rewritten about the lighthouse."), encoding="utf-8")
    assert run(corpus, out).bundles_indexed == 1
    # The fragment of a page kept (not the changed one's, nor its neighbours', whose links
    # changed), which Pagefind did not write again.
    assert len(seeded) == 1 and left == seeded
    run(corpus, tmp_path / "full", incremental=False)
    assert files_of(out) == files_of(tmp_path / "full")  # and the last fragment of the changed page is gone


def test_a_bundle_whose_run_named_a_page_by_more_digits_is_indexed_again_from_nothing(corpus, tmp_path, monkeypatch):
    from broadsheet import search

    out = tmp_path / "site"
    run(corpus, out)
    checked: list[bool] = []
    monkeypatch.setattr(search, "_fragments_checked", lambda bundle: checked.append(False) or False)
    started: list[str] = []
    real = search._start
    monkeypatch.setattr(search, "_start", lambda root, shard, *args: started.append(shard.name) or real(root, shard, *args))
    (corpus / "05.txt").write_text(txt("2020-06-10", "Story 5 rewritten about the lighthouse."), encoding="utf-8")
    assert run(corpus, out).bundles_indexed == 1
    assert len(started) == 2 and started[0] == started[1] and checked == [False]  # the second run from nothing
    run(corpus, tmp_path / "full", incremental=False)
    assert files_of(out) == files_of(tmp_path / "full")


def test_a_fragment_changed_by_hand_is_made_again_with_its_bundle(corpus, tmp_path, monkeypatch):
    from broadsheet import search

    out = tmp_path / "site"
    run(corpus, out)
    # A fragment of a page of 2020 that stays as it is, garbled; and another article of 2020 changed.
    fragment = next(path for path in (out / "pagefind").glob("*/fragment/*")
                    if (search._page_of(path) or "").startswith("2020/02/10/13/"))
    original = fragment.read_bytes()
    # Still a fragment of that page, but of another text.
    fragment.write_bytes(gzip.compress(gzip.decompress(original).replace(b"harbour", b"garbled")))
    seeded: list[int] = []
    real = search.seed_fragments
    monkeypatch.setattr(search, "seed_fragments", lambda *args: seeded.append(real(*args)) or seeded[-1])
    (corpus / "05.txt").write_text(txt("2020-06-10", "Story 5 rewritten about the lighthouse."), encoding="utf-8")
    assert run(corpus, out).bundles_indexed == 1
    assert seeded == [0] and fragment.read_bytes() == original  # its bundle made from nothing


def test_a_fragment_changed_by_hand_in_the_first_bundle_renamed_is_made_again(tmp_path, monkeypatch):
    from broadsheet import search

    # One shard, 2019 on: an older article makes it 2018 on, its bundle still pagefind/.
    corpus = write_corpus(tmp_path / "corpus", {
        f"{i:02d}.txt": txt(f"{2019 + i % 2}-{1 + i:02d}-10", f"Story {i} about the word{i} and the harbour.")
        for i in range(6)
    })
    out = tmp_path / "site"
    run(corpus, out, search_shard_pages=10)
    fragment = next(path for path in (out / "pagefind/fragment").iterdir()
                    if (search._page_of(path) or "").startswith("2020/06/"))
    original = fragment.read_bytes()
    fragment.write_bytes(gzip.compress(gzip.decompress(original).replace(b"harbour", b"garbled")))
    (corpus / "old.txt").write_text(txt("2018-03-10", "An older story about the quay."), encoding="utf-8")
    seeded: list[int] = []
    real = search.seed_fragments
    monkeypatch.setattr(search, "seed_fragments", lambda *args: seeded.append(real(*args)) or seeded[-1])
    assert run(corpus, out, search_shard_pages=10).bundles_indexed == 1
    assert seeded == [0] and fragment.read_bytes() == original


def test_a_bundle_whose_metadata_is_cut_short_seeds_nothing(corpus, tmp_path):
    from broadsheet import search

    out = tmp_path / "site"
    run(corpus, out)
    meta = next((out / "pagefind/2020").glob("pagefind.*.pf_meta"))
    assert search._page_hashes(out / "pagefind/2020")
    for cut in (meta.read_bytes()[:20], gzip.compress(gzip.decompress(meta.read_bytes())[:30])):
        meta.write_bytes(cut)
        assert search._page_hashes(out / "pagefind/2020") is None
        assert search.seed_fragments(out / "pagefind/2020", tmp_path / "new", {"2020/06/10/05/index.html"}) == 0


def test_a_bundle_s_own_files_are_told_from_those_of_the_bundles_inside_it():
    from broadsheet import search

    assert search.in_bundle("pagefind/", "pagefind/fragment/en_1234567.pf_fragment")
    assert search.in_bundle("pagefind/", "pagefind/pagefind.en_1234567890.pf_meta")
    assert not search.in_bundle("pagefind/", "pagefind/2021/fragment/en_1234567.pf_fragment")
    assert search.in_bundle("pagefind/2021/", "pagefind/2021/index/en_1234567.pf_index")
    assert not search.in_bundle("pagefind/2021/", "pagefind/fragment/en_1234567.pf_fragment")


def test_the_fragments_a_run_did_not_name_are_taken_away(tmp_path, monkeypatch):
    from broadsheet import search

    monkeypatch.setattr(search, "_page_hashes", lambda bundle: [("en_1234567", False)])
    for name in ("en_1234567", "en_7654321"):
        write_corpus(tmp_path / "fragment", {f"{name}.pf_fragment": "…"})
    assert search._fragments_checked(tmp_path)
    assert [path.name for path in (tmp_path / "fragment").iterdir()] == ["en_1234567.pf_fragment"]


def test_no_fragment_is_seeded_from_a_bundle_whose_last_run_named_a_page_by_more_digits(tmp_path, monkeypatch):
    from broadsheet import search

    monkeypatch.setattr(search, "_page_hashes", lambda bundle: [("en_1234567", False), ("en_12345678", True)])
    monkeypatch.setattr(search, "_page_of", lambda fragment: "2020/01/01/a/index.html")
    assert search.seed_fragments(tmp_path / "last", tmp_path / "new", {"2020/01/01/a/index.html"}) == 0
    assert not (tmp_path / "new").exists()


def test_a_rebuild_with_terms_split_is_the_site_a_full_build_makes(corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(offline_index, "SPLIT_BYTES", 20)  # "the", "harbour" and more: in every shard
    monkeypatch.setattr(offline_index, "PART_BYTES", 1)
    out = tmp_path / "site"
    run(corpus, out)
    assert list((out / offline_index.FOLDER / "terms").glob("s*.js"))
    (corpus / "05.txt").write_text(txt("2020-06-10", "Story 5 rewritten about the lighthouse."), encoding="utf-8")
    (corpus / "20.txt").write_text(txt("2022-12-11", "Story 20, the newest, at the harbour."), encoding="utf-8")
    run(corpus, out)
    run(corpus, tmp_path / "full", incremental=False)
    assert files_of(out) == files_of(tmp_path / "full")


def test_a_page_whose_link_to_a_neighbour_changed_leaves_its_bundle_kept(corpus, tmp_path):
    # The newest article of 2020 links to the oldest of 2021, in another bundle:
    # a new oldest article of 2021 changes that link, outside what Pagefind reads.
    out = tmp_path / "site"
    run(corpus, out)
    [page] = (out / "2020/10/10").glob("*/index.html")
    before = page.read_bytes()
    write_corpus(corpus, {"new.txt": txt("2021-01-05", "A new story about the ferry.")})
    added = run(corpus, out)
    assert page.read_bytes() != before  # its "next" link
    assert added.bundles_indexed == 1 and added.indexed == 15
    run(corpus, tmp_path / "full", incremental=False)
    assert files_of(out) == files_of(tmp_path / "full")


def test_a_bundle_file_changed_by_hand_is_indexed_again(corpus, tmp_path):
    out = tmp_path / "site"
    run(corpus, out)
    entry = out / "pagefind/2021/pagefind-entry.json"
    original = entry.read_bytes()
    entry.write_text("{}", encoding="utf-8")
    result = run(corpus, out)
    assert result.bundles_indexed == 1 and entry.read_bytes() == original


def test_the_offline_index_is_made_again_only_in_the_shard_of_a_changed_article(corpus, tmp_path, monkeypatch):
    from broadsheet import offline_index

    out = tmp_path / "site"
    run(corpus, out, jobs=1)
    before = files_of(out / "search/offline")
    made = []
    real = offline_index.records_made
    monkeypatch.setattr(offline_index, "records_made", lambda docs, shard, *rest: made.append(shard) or real(docs, shard, *rest))
    run(corpus, out, jobs=1)
    assert made == [] and files_of(out / "search/offline") == before
    (corpus / "03.txt").write_text(txt("2022-04-10", "Story 3 about the ferry."), encoding="utf-8")
    run(corpus, out, jobs=1)
    assert made == ["2022"]
    after = files_of(out / "search/offline")
    changed = {name.split("/")[0] for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    # The changed shard's records, the terms of the set it is in (the newest shard's, apart from the older
    # shards' set), and the list, made from the others' kept postings.
    assert changed == {"2022", "recent", "index.js"}
    chunks = [json.loads(p.read_text(encoding="utf-8").partition(",")[2].removesuffix(");\n"))
              for p in (out / "search/offline/recent").iterdir()]
    assert any("ferri" in chunk for chunk in chunks)  # type: ignore[operator]
    full = tmp_path / "full"
    run(corpus, full, jobs=1)
    assert files_of(full / "search/offline") == after


def test_a_shard_whose_kept_postings_are_lost_is_made_again(corpus, tmp_path, monkeypatch):
    from broadsheet import offline_index
    from broadsheet.cache import folder_for
    from broadsheet.outputs.offline_search import KEPT

    out = tmp_path / "site"
    run(corpus, out, jobs=1)
    before = files_of(out / "search/offline")
    kept = sorted((folder_for(out) / KEPT).glob("*.gz"))
    keys = sorted((folder_for(out) / KEPT).glob("*.keys.json"))  # of the sets of chunks of terms: older, newest shard
    records = sorted((folder_for(out) / KEPT).glob("*.state.json"))  # the digests of each shard's files of records, its scoring
    counts = sorted((folder_for(out) / KEPT).glob("*.counts"))  # each shard's postings before scoring
    assert len(records) == len(counts) == len(kept)
    keys += sorted((folder_for(out) / KEPT).glob("*.families.txt"))  # and the family bests of each set's split terms
    assert len(keys) == 4
    assert [k.name.split(".")[0] for k in keys] == ["recent", "terms", "recent", "terms"]
    assert len(kept) == len(json.loads((out / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"])
    kept[0].unlink()
    made = []
    real = offline_index.records_made
    monkeypatch.setattr(offline_index, "records_made", lambda docs, shard, *rest: made.append(shard) or real(docs, shard, *rest))
    run(corpus, out, jobs=1)
    assert made == [kept[0].name.split(".")[0]]
    assert files_of(out / "search/offline") == before
    assert sorted((folder_for(out) / KEPT).iterdir()) == sorted(kept + keys + records + counts)
    # The postings of a shard as it no longer is are not kept, nor a file half written.
    (kept[0].parent / (kept[0].name + ".part")).write_bytes(b"half")
    (corpus / "03.txt").write_text(txt("2022-04-10", "Story 3 about the ferry."), encoding="utf-8")
    run(corpus, out, jobs=1)
    now = sorted((folder_for(out) / KEPT).iterdir())
    # A shard's postings, before scoring and after, and the digests of its records, its set's state and family bests.
    assert len(now) == len(kept + keys + records + counts) and len(set(now) - set(kept + keys + records + counts)) == 5
    assert not list(kept[0].parent.glob("*.part"))


def test_the_offline_index_made_beside_pagefind_is_the_one_made_after_it(corpus, tmp_path):
    # 14 articles in shards of 4: made beside the Pagefind runs when they all go
    # at once (4 at a time), after them when they do not (one at a time).
    run(corpus, tmp_path / "beside", jobs=4)
    run(corpus, tmp_path / "after", jobs=1)
    beside, after = files_of(tmp_path / "beside" / "search/offline"), files_of(tmp_path / "after" / "search/offline")
    assert beside == after and len(beside) > 3


def test_the_offline_index_is_split_like_pagefind_and_lists_its_shards_newest_first(corpus, tmp_path):
    from broadsheet import offline_index

    out = tmp_path / "site"
    run(corpus, out)
    text = (out / "search/offline/index.js").read_text(encoding="utf-8")
    listed = offline_index.unpack(json.loads(text.removeprefix("window.__offlineSearch.index(").removesuffix(");\n")))["shards"]
    bundles = json.loads((out / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
    assert [s["path"] for s in listed] == [f"{b['name']}/" for b in reversed(bundles)]
    assert [s["documents"] for s in listed] == [b["pages"] for b in reversed(bundles)]
    assert [s["first"] for s in listed] == [sum(s["documents"] for s in listed[:i]) for i in range(len(listed))]
    for shard in listed:
        assert (out / "search/offline" / shard["path"] / "docs/0.js").read_text(encoding="utf-8").startswith(
            f'window.__offlineSearch.docs("{shard["path"]}",0,')


def test_the_offline_index_is_made_beside_pagefind_when_its_runs_leave_a_core():
    from broadsheet.outputs.offline_search import made_beside

    assert made_beside(8_000, 5_000, 2, 2)  # a small site: every run at once
    assert made_beside(100_000, 5_000, 2, 1)  # a rebuild of the newest day
    assert made_beside(100_000, 5_000, 2, 2)  # the day before put back with the rest, and the new day
    assert not made_beside(100_000, 5_000, 2, 21)  # a full build of a large site: after the runs
    assert not made_beside(100_000, 5_000, 1, 1) and not made_beside(800, 5_000, 1, 1)  # --jobs 1: no process of its own


def test_a_site_switched_between_engines_is_the_site_a_full_build_makes(corpus, tmp_path):
    """From Pagefind to the offline index and back: the bundles go, then come
    back, and each site is byte for byte a full build's."""
    out, full = tmp_path / "site", tmp_path / "full"
    run(corpus, out)
    for served in ("offline", "pagefind"):
        result = run(corpus, out, served_search=served)
        assert (out / "pagefind").exists() is (served == "pagefind")
        assert result.bundles == (4 if served == "pagefind" else 0)
        shutil.rmtree(full, ignore_errors=True)
        shutil.rmtree(full.parent / f".{full.name}.cache", ignore_errors=True)
        run(corpus, full, served_search=served)
        assert files_of(out) == files_of(full)
