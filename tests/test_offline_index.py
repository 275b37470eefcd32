"""The offline search index: text rules, postings, chunks, files, and the build that writes them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadsheet import offline_index as oi

from .conftest import txt

CALL = re.compile(r"^window\.__offlineSearch\.(index|terms|docs)\((.*)\);\n$", re.DOTALL)
SHARD = oi.shard_folder("all")  # the shard of index_of


def doc(title: str, body: str, url: str = "2023/01/01/x/", date: str = "2023-01-01") -> oi.SearchDocument:
    return oi.SearchDocument(
        title=title, date=date, url=url, language="en", direction="ltr", date_text=date, body=body,
    )


def index_of(docs: list[oi.SearchDocument]) -> dict[str, str]:
    """The files of an index of one shard."""
    return oi.site_files([("all", docs)])


def call(text: str) -> tuple[str, list]:
    """The registration function a script calls, and its arguments (but the
    first of a chunk's: its shard or number)."""
    match = CALL.match(text)
    assert match, text[:80]
    name, arguments = match.group(1), json.loads("[" + match.group(2) + "]")
    return name, arguments if name == "index" else arguments[1:]


def decode_documents(encoded: str) -> list[int]:
    """Document numbers from gaps or a bitmap: the reading offline-search.js does."""
    digits = [oi.DIGITS.index(c) for c in encoded.removeprefix("*")]
    if encoded.startswith("*"):
        return [i * 6 + bit for i, value in enumerate(digits) for bit in range(6) if value & (1 << bit)]
    numbers, previous, gap = [], -1, 0
    for digit in digits:
        gap = gap * 32 + (digit & 31)
        if digit < 32:
            previous += gap + 1
            numbers.append(previous)
            gap = 0
    return numbers


def decode(postings: str) -> dict[int, float]:
    """Each document's score, as a share of the shard's best: the reading offline-search.js does."""
    levels, documents = postings.split(":")
    wide = levels.startswith("!")
    values = [oi.DIGITS.index(c) for c in levels.removeprefix("!")]
    top = values[0] * 64 + values[1]
    steps = [values[i] * 64 + values[i + 1] for i in range(2, len(values), 2)] if wide else values[2:]
    return {
        number: (level + 1) / (oi.WIDE_LEVELS if wide else oi.LEVELS) * top / (oi.TOPS - 1)
        for number, level in zip(decode_documents(documents), steps, strict=True)
    }


def listed(files: dict[str, str]) -> dict:
    name, (packed,) = call(files[oi.FOLDER + "index.js"])
    assert name == "index"
    found = oi.unpack(packed)
    assert isinstance(found, dict)
    return found


def chunks_in_shards(files: dict[str, str]) -> tuple[dict, dict[str, dict[str, list]]]:
    """The list, and each chunk of terms by its key: {term: [shard, postings, ...]}."""
    found = listed(files)
    (terms,) = found["sets"]
    assert terms["folder"] == "terms/"
    chunks = {}
    for key in terms["keys"]:
        path = oi.chunk_path("terms", key)
        text = files[f"{oi.FOLDER}{path}.js"]
        name, (members,) = call(text)
        assert name == "terms" and text.startswith(f'window.__offlineSearch.terms("{path}",')
        assert text.isascii()  # read the same whatever encoding a host names for it
        chunks[key] = oi.unpack(members) if isinstance(members, str) else members
    return found, chunks


def chunks_of(files: dict[str, str]) -> tuple[dict, dict[str, dict[str, str]]]:
    """The list, and each chunk of terms of an index of one shard: {term: postings}."""
    found, chunks = chunks_in_shards(files)
    assert len(found["shards"]) == 1
    single = {}
    for key, members in chunks.items():
        assert all(entry[0] == 0 and len(entry) == 2 for entry in members.values())
        single[key] = {term: entry[1] for term, entry in members.items()}
    return found, single


def chunk_holding(keys: list[str], term: str) -> str:
    """The lookup rule of offline-search.js: the last key at or before the term."""
    return [key for key in keys if oi.term_order(key) <= oi.term_order(term)][-1]


# Text rules


@pytest.mark.parametrize(("text", "expected"), [
    ("Valparaíso", "valparaiso"),
    ("ZÜRICH Zürich", "zurich zurich"),
    ("Straße STRASSE", "strasse strasse"),
    ("ΟΔΟΣ οδος", "οδοσ οδοσ"),  # final sigma folds to sigma
    ("ﬁnance", "finance"),  # compatibility ligature
    ("ＡＢＣ１２３", "abc123"),  # full-width forms
    ("ｶﾀｶﾅ", "カタカナ"),  # half-width kana
    ("Ærø İstanbul", "ærø istanbul"),
])
def test_normalise_folds_case_accents_and_compatibility_forms(text, expected):
    assert oi.normalise(text) == expected


def test_points_and_vowel_marks_of_hebrew_and_arabic_are_ignored():
    assert oi.words("שָׁלוֹם") == oi.words("שלום") == ["שלום"]
    assert oi.words("مَرْحَبًا") == oi.words("مرحبا") == ["مرحبا"]
    assert oi.words("أحمد إلى آخر") == ["احمد", "الى", "اخر"]  # the alef forms with hamza or madda


def test_kana_voicing_marks_are_kept():
    assert oi.normalise("が") == "が" != oi.normalise("か")
    assert oi.normalise("パン") != oi.normalise("ハン")


def test_words_split_at_punctuation_and_keep_right_to_left_words_whole():
    assert oi.words("U.S.-led talks, 2023: O'Brien's") == ["u", "s", "led", "talks", "2023", "o", "brien", "s"]
    assert oi.words("הממשלה הודיעה היום") == ["הממשלה", "הודיעה", "היום"]
    assert oi.words("أعلنت الحكومة اليوم") == ["اعلنت", "الحكومة", "اليوم"]
    # Spacing vowel signs keep Devanagari words whole (the virama, a combining mark, goes).
    assert oi.words("हिन्दी भाषा") == ["हिनदी", "भाषा"]


def test_han_kana_and_hangul_are_indexed_as_pairs_plus_the_last_character():
    assert oi.terms("東京タワー") == ["東京", "京タ", "タワ", "ワー", "ー"]
    assert oi.terms("政府。") == ["政府", "府"]
    assert oi.terms("京") == ["京"]
    assert oi.terms("iPhone15発売") == ["iphone15", "発売", "売"]  # apart from the letters around them
    assert oi.terms("한국어 텍스트") == ["한국", "국어", "어", "텍스", "스트", "트"]


def test_very_long_words_are_cut():
    assert oi.terms("x" * 100) == ["x" * oi.MAX_TERM]


# Postings and scores


@given(st.sets(st.integers(min_value=0, max_value=5000), min_size=1))
def test_document_numbers_survive_encoding(numbers):
    ordered = sorted(numbers)
    assert decode_documents(oi.encode_documents(ordered)) == ordered


def test_common_terms_are_bitmaps_and_rare_ones_gaps():
    assert oi.encode_documents(list(range(0, 600, 2))).startswith("*")
    assert not oi.encode_documents([5, 900, 4000]).startswith("*")


def test_title_words_and_rare_words_score_higher():
    docs = [doc("Harbour strike", "The port is closed."), doc("Budget", "The harbour is busy.")] + [
        doc(f"Filler {i}", "The council met.") for i in range(8)
    ]
    _, chunks = chunks_of(index_of(docs))
    scores = {term: decode(postings) for chunk in chunks.values() for term, postings in chunk.items()}
    assert scores["harbour"][0] > scores["harbour"][1]  # in the title beats in the body
    assert scores["harbour"][1] > scores["the"][1]  # a rare word beats a word in every document
    # The best is the scale, which is rounded up a little (in FAMILY_DIGITS digits).
    assert max(max(s.values()) for s in scores.values()) == pytest.approx(1.0, rel=oi.FAMILY_SLACK - 1)


def test_a_word_in_many_documents_has_finer_levels(monkeypatch):
    monkeypatch.setattr(oi, "WIDE_FROM", 20)
    docs = [doc(f"Story {i}", " ".join(["the"] * (1 + i) + ["filler"] * 60 + ["harbour"] * (i % 2))) for i in range(30)]
    _, chunks = chunks_of(index_of(docs))
    postings = {term: value for chunk in chunks.values() for term, value in chunk.items()}
    assert postings["the"].startswith("!") and not postings["harbour"].startswith("!")
    the = decode(postings["the"])
    assert len(set(the.values())) == 30  # every document its own score
    assert [d for d, _ in sorted(the.items(), key=lambda pair: -pair[1])][:3] == [29, 28, 27]


def test_a_common_words_documents_keep_their_order():
    # "the" scores little everywhere, but its documents are still told apart:
    # levels are relative to each term's best score.
    docs = [doc(f"Story {i}", " ".join(["the"] * (1 + i) + ["harbour"] * 50 + ["filler"] * 20)) for i in range(30)]
    _, chunks = chunks_of(index_of(docs))
    the = {d: s for chunk in chunks.values() for d, s in decode(chunk.get("the", "AAA:")).items()}
    assert len(set(the.values())) > 10
    assert the[29] > the[10] > the[0]


# Chunks and files


def varied_docs(count: int) -> list[oi.SearchDocument]:
    words = ["harbour", "harvest", "hardly", "hart", "the", "theatre", "therapy", "council", "東京", "ירושלים"]
    return [
        doc(f"Story {i} {words[i % len(words)]}", " ".join(words[(i * j) % len(words)] for j in range(40)),
            url=f"2023/01/{1 + i % 28:02d}/s{i}/")
        for i in range(count)
    ]


def test_the_chunk_of_a_word_in_most_documents_is_packed_where_that_makes_it_much_smaller(monkeypatch):
    docs = [doc(f"Story {i}", f"the harbour and the word{i} today") for i in range(1500)]
    monkeypatch.setattr(oi, "CHUNK_BYTES", 2000)
    files = index_of(docs)
    manifest, chunks = chunks_of(files)
    packed = {key for key in manifest["sets"][0]["keys"]
              if isinstance(call(files[f"{oi.FOLDER}{oi.chunk_path('terms', key)}.js"])[1][0], str)}
    # The words of every document, each alone in a chunk of 1,500 postings, are packed; the
    # rest (terms "word…" of one document each, in chunks of many) is JSON as it is.
    assert {term for key in packed for term in chunks[key]} == {"story", "the", "harbour", "and", "today"}
    assert all(len(members) > 1 for key, members in chunks.items() if key not in packed)
    monkeypatch.setattr(oi, "PACK_SAVING", 1.0)  # never worth it: the same postings, all as JSON
    plain_files = index_of(docs)
    assert chunks_of(plain_files)[1] == chunks
    assert not any(isinstance(call(text)[1][0], str) for path, text in plain_files.items() if "/terms/" in path)


def test_whether_a_chunk_is_packed_is_judged_on_its_beginning(monkeypatch):
    import random
    import string
    noise = random.Random(7)
    # A run of one digit, then digits that deflate poorly.
    whole = [0, "1" * 20_000, 1, "".join(noise.choices(string.ascii_letters + string.digits, k=100_000))]

    def written() -> object:
        return call(oi._terms_script("terms/s0074-0", whole))[1][0]

    assert oi.unpack(written()) == whole  # its first 16,384 characters deflate to almost nothing
    monkeypatch.setattr(oi, "PACK_SAMPLE", 1_000_000)
    assert written() == whole  # all of it, by less than a third


def test_each_term_is_in_the_chunk_of_the_last_key_at_or_before_it():
    files = index_of(varied_docs(3000))
    manifest, chunks = chunks_of(files)
    index, _ = oi.postings(varied_docs(3000))
    assert sorted(t for members in chunks.values() for t in members) == sorted(index)
    keys = manifest["sets"][0]["keys"]
    assert len(chunks) > 3 and keys[0] == ""
    for key, members in chunks.items():
        for term in members:
            assert chunk_holding(keys, term) == key


def in_order(encoded: dict[str, str]) -> list[tuple[str, list]]:
    return [(term, [0, postings]) for term, postings in oi.ShardIndex(1, 1.0, [], encoded).in_order()]


def test_keys_are_the_shortest_beginnings_that_part_the_chunks():
    encoded = {f"th{c}{i}": "A" * 500 + ":A" for c in "aeiou" for i in range(10)} | {"th": "A:A"}
    chunks = dict(oi.chunk_terms(in_order(encoded), limit=8_000))
    keys = list(chunks)
    assert keys == sorted(keys, key=oi.term_order) and keys[0] == ""
    assert all(key.startswith("th") and len(key) <= 4 for key in keys[1:])
    assert sum(len(m) for m in chunks.values()) == len(encoded)
    assert [key for key, _ in oi.chunk_terms(in_order(encoded), limit=10**6)] == [""]
    assert list(oi.chunk_terms([])) == [("", {})]  # an empty index is one empty chunk


def test_terms_sort_as_javascript_compares_strings():
    # U+FF21 (full-width A) is after an astral Han character in code points, before it in UTF-16.
    encoded = {"\U00020000x": "A:A", "\uff21": "A:A", "a": "A:A"}
    assert [t for _, m in oi.chunk_terms(in_order(encoded), limit=1) for t in m] == ["a", "\U00020000x", "\uff21"]


def test_the_terms_of_every_shard_are_merged_once_each_in_order():
    newest = {"harbour": "p1", "strike": "p2", "\uff21": "p3"}
    oldest = {"budget": "q1", "harbour": "q2", "\U00020000": "q3"}
    merged = list(oi.merged([sorted(newest.items(), key=lambda i: oi.term_order(i[0])),
                             sorted(oldest.items(), key=lambda i: oi.term_order(i[0]))]))
    assert merged == [("budget", [1, "q1"]), ("harbour", [0, "p1", 1, "q2"]), ("strike", [0, "p2"]),
                      ("\U00020000", [1, "q3"]), ("\uff21", [0, "p3"])]


def test_a_term_in_several_shards_is_in_one_chunk_with_each_shards_postings():
    shards = [("2024", varied_docs(30)[:10]), ("2023", varied_docs(30)[10:])]
    files = oi.site_files(shards)
    found, chunks = chunks_in_shards(files)
    assert [(s["path"], s["first"], s["documents"]) for s in found["shards"]] == [("2024/", 0, 10), ("2023/", 10, 20)]
    harbour = next(members["harbour"] for members in chunks.values() if "harbour" in members)
    assert harbour[0::2] == [0, 1]  # the shards by number, counted from the oldest: 2023, then 2024
    alone = [oi.shard_index(docs).postings["harbour"] for _, docs in reversed(shards)]
    assert harbour[1::2] == alone  # each shard's own postings, scored in the shard
    assert not any(path.startswith(oi.FOLDER + "2024/terms") for path in files)


def test_a_term_of_long_postings_is_split_into_its_whole_and_parts_of_a_few_shards(monkeypatch):
    monkeypatch.setattr(oi, "SPLIT_BYTES", 100)
    monkeypatch.setattr(oi, "PART_BYTES", 110)
    shards = [[("and", "AB:" + "x" * 40), ("zeta", "AB:y")], [("and", "BAzz:" + "z" * 38)], [("and", "!ABzzzz:" + "w" * 36)]]
    files = list(oi.term_files("terms", shards, [0, 1, 2]))
    # The split term alone in its chunk, as it would be whole; then its files; then the next chunk.
    # Each chunk named by its key ("" and "z"), each file of a split term by the term ("and", 0061 006e 0064).
    assert [(key, path) for key, path, _ in files] == [("", f"{oi.FOLDER}terms/k.js")] + [
        (None, f"{oi.FOLDER}terms/s0061006e0064-{n}.js") for n in range(3)] + [("z", f"{oi.FOLDER}terms/k007a.js")]
    written = {path.removeprefix(oi.FOLDER).removesuffix(".js"): call(text)[1][0] for _, path, text in files}
    assert written["terms/k007a"] == {"zeta": [0, "AB:y"]}  # short: as it was
    # The whole, then two parts: shards 0 and 1 (110 bytes or less as JSON), then 2.
    # For each shard, the term's top there and its number of documents: what a query of it alone needs first.
    assert written["terms/k"] == {"and": {"files": [[f"0061006e0064-{n}", len(files[1 + n][2])] for n in range(3)],
                                          "shards": [0, 1, 1, 1, 2, 2], "tops": [1, 64, 1], "counts": [0, 2, 2],
                                          "family": [oi.UNKNOWN_BEST] * 3, "familyCounts": [oi.UNKNOWN_COUNT] * 3}}
    whole, first, second = (f"terms/s0061006e0064-{n}" for n in range(3))
    assert written[whole] == [0, "AB:" + "x" * 40, 1, "BAzz:" + "z" * 38, 2, "!ABzzzz:" + "w" * 36]
    assert written[first] == [0, "AB:" + "x" * 40, 1, "BAzz:" + "z" * 38]
    assert written[second] == [2, "!ABzzzz:" + "w" * 36]
    # The list names the chunks only; the set's version covers every file.
    listed = dict(oi.index_files([(f"s{n}", {"documents": 1, "scale": 1.0, "months": []}) for n in range(3)], shards))
    assert oi.unpack(call(listed[f"{oi.FOLDER}index.js"])[1][0])["sets"][0]["keys"] == ["", "z"]


def family_best(made: oi.ShardIndex, word: str) -> float:
    """The best score of a document for a query of `word`, the longer terms that
    begin with it counted as the page counts them, as a share of the shard's best."""
    scores: dict[int, float] = {}
    for term, postings in made.postings.items():
        if term.startswith(word):
            weight = oi.length_bonus(len(term) - len(word))
            for number, score in decode(postings).items():
                scores[number] = scores.get(number, 0.0) + score * weight
    return max(scores.values())


def test_a_common_word_has_the_best_score_of_its_family_in_the_shard(monkeypatch):
    monkeypatch.setattr(oi, "FAMILY_FROM", 5)
    monkeypatch.setattr(oi, "WIDE_FROM", 8)
    docs = [doc(f"Story {i}", " ".join(["state"] * (1 + i % 4) + ["filler"] * (10 + i) + ["statement"] * (i % 3)
                                      + ["stateless"] * (i == 0) + ["harbour"] * (i % 5 == 0)))
            for i in range(12)]
    made = oi.shard_index(docs)
    assert {"state", "filler", "story"} <= set(made.families) and "harbour" not in made.families  # in 3 documents
    # "state" begins "statement" and "stateless": the best of their sums, rounded up.
    best = family_best(made, "state")
    assert best < made.families["state"][0] < best * oi.FAMILY_SLACK
    # Far below the bound of its top and each longer term's top, which no document reaches.
    tops = sum(oi.postings_head(made.postings[t])[0] / (oi.TOPS - 1) * oi.length_bonus(len(t) - 5) for t in made.postings
               if t.startswith("state"))
    assert made.families["state"][0] < 0.8 * tops
    # A word that begins no other: its own best.
    assert max(decode(made.postings["filler"]).values()) < made.families["filler"][0] < max(
        decode(made.postings["filler"]).values()) * oi.FAMILY_SLACK


def test_a_word_in_every_document_has_its_best_to_four_digits_not_its_top():
    # Its scores are all far below the shard's best: its top, in 4095ths of that, is 1.
    docs = [doc(f"Story {i}", " ".join(["and"] * (1 + i % 3) + [f"word{i}"] * 40)) for i in range(1000)]
    made = oi.shard_index(docs)
    assert oi.postings_head(made.postings["and"])[0] == 1
    best = max(decode(made.postings["and"]).values())
    assert best < made.families["and"][0] < best * oi.FAMILY_SLACK < 0.5 / (oi.TOPS - 1)
    assert len(repr(made.families["and"][0]).replace(".", "").split("e")[0].strip("0")) <= oi.FAMILY_DIGITS


def test_a_split_term_lists_its_familys_best_in_each_shard(monkeypatch, tmp_path):
    monkeypatch.setattr(oi, "FAMILY_FROM", 3)
    monkeypatch.setattr(oi, "SPLIT_BYTES", 20)
    shards = [oi.shard_index([doc(f"A {i}", "state statement " * (i + 1)) for i in range(4)]),
              oi.shard_index([doc(f"B {i}", "state harbour") for i in range(2)])]
    for number, made in enumerate(shards):
        oi.write_shard(tmp_path / f"{number}.gz", made)
        assert oi.read_families(tmp_path / f"{number}.gz") == made.families
        assert list(oi.read_postings(tmp_path / f"{number}.gz")) == made.in_order()
    files = list(oi.term_files("terms", [oi.read_postings(tmp_path / f"{n}.gz") for n in range(2)], [0, 1],
                               [oi.read_families(tmp_path / f"{n}.gz") for n in range(2)]))
    entries = {term: value for _, path, text in files if "/s" not in path for term, value in call(text)[1][0].items()}
    # In the second shard "state" is in two documents, fewer than FAMILY_FROM: not known there.
    assert entries["state"]["family"] == [shards[0].families["state"][0], oi.UNKNOWN_BEST]
    assert entries["state"]["familyCounts"] == [4, oi.UNKNOWN_COUNT]
    assert shards[0].families["state"][0] > max(decode(shards[0].postings["state"]).values())


def test_a_word_shorter_than_a_prefix_is_its_own_family(monkeypatch):
    """A query's word of fewer than PREFIX_FROM letters matches itself alone
    (offline-search.js): its family is itself, not the terms it begins."""
    monkeypatch.setattr(oi, "FAMILY_FROM", 2)
    made = oi.shard_index([doc(f"A {i}", "us usual usage tender tenders ten " * (1 + i) + "us " * (3 - i) + "filler " * i)
                           for i in range(3)])
    assert oi.PREFIX_FROM == 3
    alone = max(decode(made.postings["us"]).values())
    assert alone < made.families["us"][0] < alone * oi.FAMILY_SLACK
    assert made.families["us"][0] < family_best(made, "us")  # as a prefix, "usual" and "usage" would count
    best = family_best(made, "ten")
    assert best < made.families["ten"][0] < best * oi.FAMILY_SLACK


def test_a_word_that_only_begins_split_terms_has_its_familys_best_in_the_first_of_them(monkeypatch):
    monkeypatch.setattr(oi, "FAMILY_FROM", 2)
    monkeypatch.setattr(oi, "SPLIT_BYTES", 20)
    shards = [oi.shard_index([doc(f"A {i}", "portrait porter portal " * (1 + i) + "filler " * 9) for i in range(4)]),
              oi.shard_index([doc(f"B {i}", "porter portal harbour " + "portrait " * i) for i in range(3)])]
    # "port" is no term: the beginning of three, counted in each shard as a query of it would count them.
    for made in shards:
        assert "port" not in made.postings
        best = family_best(made, "port")
        assert best < made.families["port"][0] < best * oi.FAMILY_SLACK
    assert "po" not in shards[0].families  # shorter than PREFIX_FROM: not worked out
    files = oi.term_files("terms", [made.in_order() for made in shards], [0, 1], [made.families for made in shards])
    entries = {term: value for _, path, text in files if "/s" not in path for term, value in call(text)[1][0].items()}
    assert all(isinstance(entries[term], dict) for term in ("portal", "porter", "portrait"))  # split
    # In the first split term that each begins, once.
    assert entries["portal"]["beginnings"] == {
        word: [0, *shards[0].families[word][:2], 1, *shards[1].families[word][:2]] for word in ("por", "port")}
    assert [shards[0].families["port"][1], shards[1].families["port"][1]] == [4, 3]
    assert "beginnings" not in entries["porter"] and "beginnings" not in entries["portrait"]
    # A split term's own family's best is in its own list, never among another's beginnings.
    assert entries["portrait"]["family"] == [made.families["portrait"][0] for made in shards]


def test_a_rare_term_that_begins_two_common_ones_has_its_familys_best(monkeypatch):
    monkeypatch.setattr(oi, "FAMILY_FROM", 2)
    made = oi.shard_index([doc("A", "statement states stat"), doc("B", "statement states"), doc("C", "harbour")])
    assert len(decode(made.postings["stat"])) == 1  # a term, of one article: fewer than FAMILY_FROM
    best = family_best(made, "stat")
    assert best < made.families["stat"][0] < best * oi.FAMILY_SLACK
    assert made.families["stat"][1] == 2  # the articles that hold it or a term it begins
    assert "harbour" not in made.families  # of one article, and begins nothing


def family_scores(made: oi.ShardIndex, word: str) -> dict[int, float]:
    """Each document's score for a query of `word`, as family_best counts it, on the scale of all shards."""
    scores: dict[int, float] = {}
    for term, postings in made.postings.items():
        if term.startswith(word):
            for number, score in decode(postings).items():
                scores[number] = scores.get(number, 0.0) + score * oi.length_bonus(len(term) - len(word)) * made.scale
    return scores


def test_a_familys_first_documents_are_the_shards_best_for_the_word_in_the_pages_order(monkeypatch):
    monkeypatch.setattr(oi, "FAMILY_FROM", 5)
    varied = [doc(f"Story {i}", " ".join(["state"] * (1 + i % 4) + ["statement"] * (i % 3) + ["filler"] * (10 + i % 7)))
              for i in range(30)]
    # Alike, so alike in score: the lower number first, as the page orders them.
    alike = [doc("Story", "state state state statement statement filler") for _ in range(4)]
    made = oi.shard_index([*varied[:10], alike[0], *varied[10:20], *alike[1:], *varied[20:]])
    scores = family_scores(made, "state")
    family = made.families["state"]
    first = list(zip(family[2::2], family[3::2], strict=True))
    # Sums in another order differ in the last bits: compared to twelve digits.
    assert [n for n, _ in first] == sorted(scores, key=lambda n: (-round(scores[n], 12), n))[:oi.FIRST]
    assert [score for _, score in first] == pytest.approx([scores[n] for n, _ in first], rel=1e-12)
    assert {10, 21, 22, 23} <= {n for n, _ in first}  # the four alike score the most
    assert family[0] == pytest.approx(max(scores.values()) / made.scale, rel=oi.FAMILY_SLACK - 1)
    assert family[1] == len(scores) == 34  # each has "state", some "statement" too: counted once
    assert made.families["filler"][1] == 34  # in every document, and begins no other term


def test_split_terms_list_the_first_documents_of_all_their_shards(monkeypatch):
    monkeypatch.setattr(oi, "FAMILY_FROM", 2)
    monkeypatch.setattr(oi, "SPLIT_BYTES", 20)
    monkeypatch.setattr(oi, "FIRST", 3)
    shards = [oi.shard_index([doc(f"A {i}", "portrait porter portal " * (1 + i) + "filler " * 9) for i in range(4)]),
              oi.shard_index([doc(f"B {i}", "porter portal harbour " + "portrait " * i) for i in range(3)])]
    files = oi.term_files("terms", [made.in_order() for made in shards], [0, 1], [made.families for made in shards])
    entries = {term: value for _, path, text in files if "/s" not in path for term, value in call(text)[1][0].items()}

    def best_of_all(word: str) -> list[float]:
        found = sorted(((-score, shard, n) for shard, made in enumerate(shards)
                        for n, score in zip(made.families[word][2::2], made.families[word][3::2], strict=True)))
        return [value for score, shard, n in found[:3] for value in (shard, n, -score)]

    assert entries["portrait"]["first"] == best_of_all("portrait")
    assert {shard for shard in entries["portrait"]["first"][::3]} == {0, 1}  # the third best is of the second shard
    # A word that begins split terms and is none: in the first of them, beside its family's best.
    assert entries["portal"]["firsts"] == {word: best_of_all(word) for word in ("por", "port")}


@pytest.mark.parametrize(("third", "whole"), [("forage forage", True), ("forage harbour", False)])
def test_a_split_term_is_whole_where_every_shard_of_the_terms_it_begins_has_its_first_documents(monkeypatch, third, whole):
    monkeypatch.setattr(oi, "FAMILY_FROM", 2)
    monkeypatch.setattr(oi, "SPLIT_BYTES", 30)
    shards = [oi.shard_index([doc(f"A {i}", "for for forage " * (i + 1)) for i in range(3)]),
              oi.shard_index([doc(f"B {i}", "for forbid harbour " * (i + 1)) for i in range(3)]),
              # "for" in two documents or more, or only "forage" (the third shard has no first documents of "for").
              oi.shard_index([doc(f"C {i}", ("for " if "forage forage" == third else "") + third) for i in range(3)])]
    files = list(oi.term_files("terms", [made.in_order() for made in shards], [0, 1, 2], [made.families for made in shards]))
    entries = {term: value for _, path, text in files if "/s" not in path for term, value in call(text)[1][0].items()}
    assert isinstance(entries["for"], dict) and entries["for"]["first"]
    assert entries["for"].get("whole", False) is whole
    assert "forbid" in entries and "forage" in entries  # held back until "for" was known, then written in order
    keys = [key for key, _, _ in files if key is not None]
    assert keys == sorted(keys, key=oi.term_order)


@pytest.mark.parametrize("count", [1, 5, oi.WIDE_FROM + 3])
def test_the_head_of_postings_is_their_top_and_number_of_documents(count):
    postings = oi.encode_postings(list(range(0, 3 * count, 3)), [n % 60 for n in range(count)], 2345)
    assert oi.postings_head(postings) == (2345, count)


def test_kept_postings_read_back_as_written(tmp_path):
    made = oi.shard_index(varied_docs(50))
    oi.write_shard(tmp_path / "s.gz", made)
    assert oi.read_head(tmp_path / "s.gz") == made.head()
    assert list(oi.read_postings(tmp_path / "s.gz")) == made.in_order()
    from_kept = oi.index_files([("s", oi.read_head(tmp_path / "s.gz"))], [oi.read_postings(tmp_path / "s.gz")])
    assert dict(from_kept) == dict(oi.index_files([("s", made.head())], [made.in_order()]))


@pytest.mark.parametrize("block", [1, 7, 64])
def test_kept_postings_read_in_blocks_smaller_than_a_line_come_back_whole(monkeypatch, tmp_path, block):
    monkeypatch.setattr(oi, "READ_BLOCK", block)
    made = oi.shard_index(varied_docs(20))
    oi.write_shard(tmp_path / "s.gz", made)
    assert list(oi.read_postings(tmp_path / "s.gz")) == made.in_order()


def test_the_size_of_an_entry_counts_each_shard_and_its_postings():
    value: list[int | str] = [0, "AB:C", 12, "DEFG:H", 7, "I:*JK"]
    # The estimate the chunks are cut by: quotes, commas and brackets, a shard's number as two characters.
    assert oi._entry_size("harbour", value) == len("harbour") + 6 + sum(len(p) + 3 for p in value[1::2]) + 2 * 3
    assert oi._entry_size("λιμάνι", value) == len(json.dumps("λιμάνι")) - 2 + 6 + 3 * 2 + 4 + 6 + 5 + 3 * 3


@pytest.mark.parametrize("words", [None, ["гавань", "забастовка", "порт", "совет", "театр", "Ελλάδα", "λιμάνι"]])
def test_chunks_stay_under_the_size_limit_unless_one_term_fills_them(monkeypatch, words):
    if words is None:
        docs = varied_docs(3000)
    else:  # letters written as escapes: six characters each
        docs = [doc(f"Новость {i}", " ".join(f"{words[(i * j) % len(words)]}{i % 97}" for j in range(40)))
                for i in range(3000)]
    monkeypatch.setattr(oi, "CHUNK_BYTES", 8_000)
    files = index_of(docs)
    texts = [text for path, text in files.items() if "/terms/" in path]
    assert len(texts) > 5
    for text in texts:
        name, (members,) = call(text)
        assert len(text) <= oi.CHUNK_BYTES + 300 or len(members) == 1, name


def test_documents_are_in_chunks_of_fixed_size_in_site_order():
    docs = varied_docs(40)
    files = index_of(docs)
    records: list = []
    chunks = len([path for path in files if "/docs/" in path])
    assert chunks == -(-40 // oi.DOCS_PER_CHUNK)
    for number in range(chunks):
        name, (first, packed) = call(files[f"{SHARD}docs/{number}.js"])
        chunk = oi.unpack(packed)
        assert name == "docs" and first == number * oi.DOCS_PER_CHUNK
        assert isinstance(chunk, list) and len(chunk) == min(oi.DOCS_PER_CHUNK, 40 - first)
        records += chunk
    assert records == [[d.title, d.date, d.url, d.body, d.language, d.direction, d.date_text] for d in docs]


def test_postings_name_the_documents_that_hold_the_term():
    docs = [doc("Harbour strike", "Dockers walked out."), doc("Budget", "Nothing here."), doc("Port", "A harbour.")]
    _, chunks = chunks_of(index_of(docs))
    assert list(chunks) == [""]  # a small index is one chunk
    assert decode(chunks[""]["harbour"]).keys() == {0, 2}
    assert decode(chunks[""]["dockers"]).keys() == {0}


def test_index_is_the_same_for_the_same_documents():
    first = index_of(varied_docs(200))
    second = index_of(list(varied_docs(200)))
    assert first == second
    assert list(first) == list(second)


def test_each_file_is_one_registration_call_with_json_arguments():
    files = index_of([doc("ירושלים 東京 \u2028", "café \"quoted\" </script> \\")])
    for path, text in files.items():
        assert path.startswith(oi.FOLDER)
        name, arguments = call(text)
        assert name in {"index", "terms", "docs"} and arguments
        if name == "docs":
            assert json.loads("[" + CALL.match(text).group(2) + "]")[0] == "all/"  # the shard first
        if name == "terms":  # JSON in ASCII: the words in escapes, what is not a letter or digit left out
            assert text.isascii() and isinstance(arguments[-1], dict)
            assert {"東京", "cafe"} <= set(arguments[-1]) and not any("<" in t or "\\" in t for t in arguments[-1])
        else:  # base64: no quote or backslash, nothing that can end a string or a script
            assert re.fullmatch(r"[0-9A-Za-z+/]+={0,2}", arguments[-1])
    _, (_, packed) = call(files[SHARD + "docs/0.js"])
    records = oi.unpack(packed)
    assert isinstance(records, list)
    assert records[0][0] == "ירושלים 東京 \u2028" and records[0][3].startswith("café \"quoted\" </script> \\")


# The build


def test_build_writes_the_offline_index_for_articles_only(corpus, build_site):
    source = corpus({
        "a.txt": txt("2023-05-01", "Harbour strike closes the port.", "Dockers walked out."),
        "b.txt": txt("2023-06-02", "Budget vote in parliament."),
        "c.md": "---\ntitle: שלום עולם\ndate: 2023-07-03\ntags: [jerusalem]\n---\n\nכתבה בעברית.\n",
    })
    result, out = build_site(source, search=True)
    files = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in (out / oi.FOLDER).rglob("*.js")}
    found, chunks = chunks_of(files)
    shard = found["shards"][0]
    assert (shard["path"], shard["first"], shard["documents"]) == ("2023/", 0, result.articles) and result.articles == 3
    assert found["stemmer"] == "english" and found["perChunk"] == oi.DOCS_PER_CHUNK
    assert shard["months"] == [["2023-07", 0], ["2023-06", 1], ["2023-05", 2]]
    _, (_, packed) = call(files[oi.shard_folder("2023") + "docs/0.js"])
    records = oi.unpack(packed)
    assert isinstance(records, list)
    for title, _date, url, *_ in records:
        assert (out / url / "index.html").is_file(), title
    indexed = {t for m in chunks.values() for t in m}
    assert {"harbour", "strike", "close", "docker", "walk", "budget", "שלום", "כתבה"} <= indexed  # stemmed
    # Only what was written: not the date, its month, the tags, nor page furniture.
    assert not {"may", "june", "july", "2023", "05", "jerusalem", "latest", "closes"} & indexed
    assert "offline-search.js" in (out / "search/index.html").read_text(encoding="utf-8")
    assert (out / "assets/offline-search.js").is_file()


def test_no_search_build_writes_no_index(corpus, build_site):
    _, out = build_site(corpus({"a.txt": txt("2023-05-01", "Harbour strike.")}), search=False)
    assert not (out / "search/offline").exists() and not (out / "pagefind").exists()


def test_offline_index_is_smaller_than_half_of_pagefind(corpus, build_site):
    words = "harbour strike council budget vote port dockers minister talks hospital aid".split()
    files = {
        f"{i:03d}.txt": txt(f"202{i % 4}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                            " ".join(words[(i * 7 + j) % len(words)] for j in range(60)) + ".",
                            f"Story {i} goes on with story number {i * 13}.")
        for i in range(150)
    }
    _, out = build_site(corpus(files), search=True)

    def size(folder: Path) -> int:
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())

    assert size(out / oi.FOLDER) * 2 <= size(out / "pagefind")


# Bytewise runs: the same words as the Unicode rules, for the texts they take.
SEPARATORS_AND_NOT = "’‘“”—–…\u00a0\u2028·«»€™№½éßﬁ´゛Ａא中\u0301"


@given(st.text(alphabet=st.sampled_from(" \n\t.,'-_?!/AZaz09" + SEPARATORS_AND_NOT)))
def test_bytewise_runs_are_the_unicode_runs(text):
    plain = oi._plain_runs(text)
    if plain is not None:
        assert plain == oi._unicode_runs(text)[0]


@given(st.text())
def test_bytewise_runs_are_the_unicode_runs_for_any_text(text):
    plain = oi._plain_runs(text)
    if plain is not None:
        assert plain == oi._unicode_runs(text)[0]


@pytest.mark.parametrize(("text", "bytewise"), [
    ("The U.S.-led talks, 2023", True),
    ("Officials’ “talks” — in Geneva… 10\u00a0km", True),  # punctuation of English news
    ("Café talks", False),  # a letter outside ASCII
    ("Brand™ names", False),  # a symbol whose compatibility form is letters
    ("ﬁnance", False),
])
def test_which_texts_are_cut_bytewise(text, bytewise):
    assert (oi._plain_runs(text) is not None) is bytewise
    assert oi.words(text) == oi._unicode_runs(text)[0]


# Stemming: the build's Python stemmer and the page's JavaScript one


def stemmer_words(algorithm: str, count: int, seed: int = 1) -> list[str]:
    """Words that exercise a Snowball stemmer's rules: short stems of the
    language's letters with one or two of the suffixes its rules look for
    (read from the stemmer's own tables), normalised as the index normalises."""
    import random

    import snowballstemmer  # type: ignore[import-untyped]

    # The Python build's class, whose tables hold the suffixes (the compiled one's do not show).
    stemmer = snowballstemmer._languages[algorithm]
    suffixes = sorted({among.s for name, table in vars(stemmer).items() if name.startswith("a_") for among in table})
    letters = sorted({c for suffix in suffixes for c in suffix} | set("aeioubcdfglmnprst"))
    rng = random.Random(seed)
    made = set()
    while len(made) < count:
        root = "".join(rng.choice(letters) for _ in range(rng.randint(2, 7)))
        word = root + "".join(rng.choice(suffixes) for _ in range(rng.randint(0, 2)))
        made.update(oi.words(word))
    return sorted(made)


def test_the_build_stems_with_the_compiled_algorithms_which_give_the_python_builds_stems():
    # PyStemmer stems ninety times as fast as snowballstemmer's Python (most of
    # the offline index's time), from the same Snowball 2.2 algorithms.
    import snowballstemmer  # type: ignore[import-untyped]

    assert snowballstemmer.cext_available
    for algorithm in sorted(set(oi.STEMMERS.values())):
        words = stemmer_words(algorithm, 2000)
        python = snowballstemmer._languages[algorithm]()
        differ = [(w, oi.stem(w, algorithm)) for w in words if oi.stem(w, algorithm) != python.stemWord(w)]
        assert differ == [], (algorithm, differ[:10])


def test_the_javascript_stemmers_give_the_builds_stems(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    folder = Path(oi.__file__).parent.parent / "site_templates/assets/snowball"
    languages = sorted(set(oi.STEMMERS.values()))
    assert sorted(p.stem for p in folder.glob("*.js")) == sorted([*languages, "base"])
    english = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    words = {name: stemmer_words(name, 1000) for name in languages}
    words["english"] += sorted(set(oi.words(english)))
    (tmp_path / "words.json").write_text(json.dumps(words), encoding="utf-8")
    script = """
      const fs = require("fs"), vm = require("vm"), [folder, file] = process.argv.slice(1);
      const context = {}; vm.createContext(context);
      const run = (name) => vm.runInContext(fs.readFileSync(folder + "/" + name + ".js", "utf8"), context);
      run("base");
      const words = JSON.parse(fs.readFileSync(file, "utf8")), stems = {};
      for (const [language, list] of Object.entries(words)) {
        run(language);
        const stemmer = new context.__snowball.algorithms[language]();
        stems[language] = list.map((w) => { stemmer.setCurrent(w); stemmer.stem(); return stemmer.getCurrent(); });
      }
      process.stdout.write(JSON.stringify(stems));
    """
    done = subprocess.run([node, "-e", script, str(folder), str(tmp_path / "words.json")],
                          capture_output=True, text=True, check=True)
    stems = json.loads(done.stdout)
    assert sum(map(len, words.values())) > 19_000
    for language, list_ in words.items():
        expected = [oi.stem(word, language) for word in list_]
        differ = [(w, e, s) for w, e, s in zip(list_, expected, stems[language], strict=True) if e != s]
        assert differ == [], (language, differ[:10])


def test_a_shard_s_postings_are_written_under_a_name_of_the_process_s_own_and_others_left_go(
        corpus, build_site, tmp_path):
    import os
    import socket

    from broadsheet.cache import folder_for
    from broadsheet.outputs import offline_search

    # A killed build's task on a cluster's worker may still write the same file: never under the same name.
    assert offline_search._partial(Path("k/2021.abc.gz")) == Path(f"k/2021.abc.gz.{socket.gethostname()}-{os.getpid()}.part")
    source = corpus({f"{i}.txt": txt(f"202{i % 3}-0{1 + i % 9}-1{i % 9}", f"Story {i} of the harbour.") for i in range(9)})
    _, out = build_site(source, search=True, served_search="offline")
    kept = folder_for(out) / offline_search.KEPT
    left = kept / "2021.0123.gz.elsewhere-12.part"
    left.write_bytes(b"half")
    (source / "new.txt").write_text(txt("2022-09-30", "A new story."), encoding="utf-8")
    build_site(source, search=True, served_search="offline")
    assert not left.exists() and list(kept.glob("*.gz"))


WORDS = ["harbour", "harbours", "the", "council", "tide", "ferry", "bridge", "quay"]
texts = st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join)


@given(st.data())
def test_postings_updated_from_a_shards_last_are_those_of_every_document_counted(data):
    before = data.draw(st.lists(st.tuples(texts, texts), min_size=1, max_size=10))
    documents = data.draw(st.integers(0, 12))
    # The documents counted again: every one the shard did not have, and some others.
    counted = {n for n in range(documents) if n >= len(before) or data.draw(st.booleans())}
    after = [data.draw(st.tuples(texts, texts)) if n in counted else before[n] for n in range(documents)]
    docs_before = [doc(title, text) for title, text in before]
    docs_after = [doc(title, text) for title, text in after]
    index, lengths = oi.postings(docs_before)
    updated = oi.updated_postings(index, lengths, documents, {n: oi.term_counts(docs_after[n]) for n in counted})
    assert updated is not None and updated[:2] == oi.postings(docs_after)
    # Those whose terms changed: of the others, the counts are as they were.
    assert updated[2] == {n for n in counted
                          if n >= len(before) or oi.postings([docs_before[n]]) != oi.postings([docs_after[n]])}


def test_postings_are_not_updated_where_a_document_new_to_the_shard_is_not_counted():
    index, lengths = oi.postings([doc("A", "the harbour")])
    assert oi.updated_postings(index, lengths, 2, {0: oi.term_counts(doc("B", "the quay"))}) is None
    assert (index, lengths) == oi.postings([doc("A", "the harbour")])  # as they were


def test_the_postings_kept_are_read_back_as_written_and_a_damaged_file_not_at_all(tmp_path):
    index, lengths = oi.postings([doc("A", "the harbour"), doc("B", "the quay at the harbour")])
    path = tmp_path / "shard.counts"
    oi.write_counts(path, index, lengths, None)
    assert oi.read_counts(path) == (index, lengths, None)
    _, scoring = oi.impacts(index, lengths)
    assert scoring.terms is not None and scoring.terms["harbour"][1:] == (0, 2)  # its best in the first, of two
    oi.write_counts(path, index, lengths, scoring.terms)
    assert oi.read_counts(path) == (index, lengths, scoring.terms)
    path.write_bytes(path.read_bytes()[:-3])
    assert oi.read_counts(path) is None
    assert oi.read_counts(tmp_path / "missing.counts") is None
