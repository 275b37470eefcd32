"""The Pagefind index is numbered again in an order of its own, whatever order
Pagefind found the pages in, and left alone when it is not laid out as expected."""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import cbor2
import pytest

from broadsheet import pagefind_words, search_stable
from broadsheet.build import build
from broadsheet.config import Config, validate
from broadsheet.search import INDEX_FOLDER

from .conftest import txt, write_corpus

SIGNATURE = b"pagefind_dcd"


def read(path: Path) -> Any:
    raw = gzip.decompress(path.read_bytes())
    assert raw.startswith(SIGNATURE)
    return cbor2.loads(raw[len(SIGNATURE) :])


def write(path: Path, value: Any) -> None:
    path.write_bytes(gzip.compress(SIGNATURE + cbor2.dumps(value)))


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def meta_path(bundle: Path) -> Path:
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    return bundle / f"pagefind.{entry['languages']['en']['hash']}.pf_meta"


def built_bundle(tmp_path: Path) -> Path:
    """An index with years and months to filter by, a date to sort by, and words
    written with and without accents (which Pagefind keeps as variants)."""
    files = {
        f"{i:02d}.txt": txt(f"{2019 + i % 3}-{1 + i % 12:02d}-{1 + i:02d}", f"Story {i} of the café.", f"Word uniq{i}x, cafe.")
        for i in range(20)
    }
    build(validate(Config(source=write_corpus(tmp_path / "corpus", files), out=tmp_path / "site", search=True)))
    return tmp_path / "site" / INDEX_FOLDER


def pages_of(entries: list[Any]) -> list[int]:
    numbers, page = [], 0
    for entry in entries:
        page += entry[0]
        numbers.append(page)
    return numbers


def renumbered(entries: list[Any], new_of: list[int]) -> list[Any]:
    pairs = sorted(((new_of[page], entry) for page, entry in zip(pages_of(entries), entries, strict=True)), key=lambda pair: pair[0])
    result, before = [], 0
    for page, entry in pairs:
        result.append([page - before, *entry[1:]])
        before = page
    return result


def scramble(bundle: Path, seed: int) -> None:
    """Rewrite the index as Pagefind would have written it had it found the pages
    in another order (file names left as they were)."""
    path = meta_path(bundle)
    meta = read(path)
    count = len(meta[1])
    new_of = list(range(count))
    random.Random(seed).shuffle(new_of)
    meta[1] = [meta[1][old] for old in sorted(range(count), key=new_of.__getitem__)]
    meta[4] = [[name, [new_of[page] for page in pages]] for name, pages in meta[4]]
    for _from, _to, chunk_hash in meta[2]:
        chunk = read(bundle / "index" / f"{chunk_hash}.pf_index")
        for word in chunk[0]:
            word[1] = renumbered(word[1], new_of)
            for variant in word[2]:
                variant[1] = renumbered(variant[1], new_of)
        write(bundle / "index" / f"{chunk_hash}.pf_index", chunk)
    for _name, filter_hash in meta[3]:
        content = read(bundle / "filter" / f"{filter_hash}.pf_filter")
        content[1] = [[value, sorted(new_of[page] for page in pages)] for value, pages in reversed(content[1])]
        write(bundle / "filter" / f"{filter_hash}.pf_filter", content)
    write(path, meta)


def test_page_numbers_of_a_word_are_read_and_written_as_differences():
    # Pages 1 and 3, which become 3 and 1: the entries change places; a variant's too.
    # The second word is at 300 places of page 0, more than the quick reading takes.
    chunk = [[
        ["cafe", [[1, [-25, 4], []], [2, [7], [-1, 0]]], [["café", [[0, [2], []], [3, [5], []]]]]],
        ["the", [[0, list(range(300)), []]], []],
    ]]
    renumbered = cbor2.loads(pagefind_words.renumber_chunk(cbor2.dumps(chunk), [2, 3, 0, 1]))
    assert renumbered == [[
        ["cafe", [[1, [7], [-1, 0]], [2, [-25, 4], []]], [["café", [[1, [5], []], [1, [2], []]]]]],
        ["the", [[2, list(range(300)), []]], []],
    ]]
    assert pagefind_words.renumber_chunk(cbor2.dumps(chunk), [0, 1, 2, 3]) == cbor2.dumps(chunk)


def test_a_chunk_not_laid_out_as_expected_is_refused():
    for chunk in ([[["word", [[-1, [], []]], []]]], [[["word", [[5, [], []]], []]]], [[["word", [], []]], 1]):
        with pytest.raises(ValueError):
            pagefind_words.renumber_chunk(cbor2.dumps(chunk), [0, 1])


def test_pages_are_numbered_in_the_order_of_their_fragment_hashes():
    assert search_stable.canonical_numbers([["en_c", 3], ["en_a", 9], ["en_b", 1]]) == [2, 0, 1]


def test_an_index_found_in_another_order_comes_out_the_same(tmp_path):
    bundle = built_bundle(tmp_path)
    built = files_of(bundle)
    meta = read(meta_path(bundle))
    assert meta[4] and meta[3] and any(word[2] for _f, _t, h in meta[2] for word in read(bundle / "index" / f"{h}.pf_index")[0])

    scramble(bundle, seed=7)
    assert files_of(bundle) != built
    assert search_stable.stabilise(bundle)
    assert files_of(bundle) == built


def test_an_index_not_laid_out_as_expected_is_left_as_it_is(tmp_path):
    bundle = built_bundle(tmp_path)
    scramble(bundle, seed=3)
    chunk = next((bundle / "index").iterdir())
    content = read(chunk)
    content[0][-1][1][0][0] = "1"  # a page number that is not a number
    write(chunk, content)
    before = files_of(bundle)
    assert not search_stable.stabilise(bundle)
    assert files_of(bundle) == before


def test_a_build_without_search_compiles_no_pattern_of_pagefind_files():
    # Compiled at import, they cost every build a quarter of a second (a fifth
    # of a rebuild of 10,000 articles after one change, without search).
    code = "import broadsheet.cli, broadsheet.pagefind_words as w; print(w._patterns.cache_info().currsize)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "0"
