"""The offline search index: classic scripts that a page opened from disk can load.

Browsers refuse Pagefind's modules and WebAssembly, and any fetch of JSON, to a
page opened over file://, but they do run plain <script src> files.  So this
index is a set of small scripts, each of which hands its data to a registration
function defined by site_templates/assets/offline-search.js:

    search/offline/index.js              __offlineSearch.index("PACKED")  {shards, sets, perChunk, stemmer}
    search/offline/terms/kKEY.js         __offlineSearch.terms("terms/kKEY", {term: [shard, postings, ...]} or "PACKED")
    search/offline/year/kKEY.js          __offlineSearch.terms("year/kKEY", {...})  the same, of the newest year's others
    search/offline/recent/kKEY.js        __offlineSearch.terms("recent/kKEY", {...})  the same, of the newest shard
    search/offline/newest/kKEY.js        __offlineSearch.terms("newest/kKEY", {...})  the same, of the newest day
    search/offline/terms/sTERM-N.js      __offlineSearch.terms("terms/sTERM-N", [shard, postings, ...])  a split term's
    search/offline/SHARD/docs/N.js       __offlineSearch.docs(SHARD, FIRST, "PACKED")  records

A query loads the list, the one chunk of terms of each word, and the chunks of
records of the results it shows: never the whole index, and as many files at a
million articles as at a thousand.

Shards.  The articles' records and scores are in the shards of the Pagefind
index (whole years or months, see search.py), newest first: a change to one
article makes the records of one shard again, not all of them.  A shard's
documents are numbered from 0 in the site's order; the list gives the number
of its first document in the whole site ("first"), so that the page can order
results from all shards by date.  Scores are each shard's BM25 (its own
document frequencies and lengths), put back on one scale by the shard's
"scale", its best score.  The list also gives the first document of each
month of each shard ("months"): the page tells any document's year and month
from it, for the filters and their counts, without loading records.

Terms.  Text is normalised (NFKD, combining marks removed, NFC, lower case with
ß as ss and ς as σ) and cut into runs of letters, marks and digits.  Han, kana
and Hangul are written without spaces between words, so their runs are indexed
as overlapping character pairs (bigrams), plus the run's last character alone;
a query of two or more such characters asks for its pairs, a single character
matches every pair that starts with it and the lone last characters.  Pairs
rather than single characters: a common character is in nearly every document,
so single characters make long lists that match scattered characters; a pair
is nearly always a word or part of one, so its list is short and matches are
meant.  Other words are stemmed by the Snowball stemmer of the site's
language (STEMMERS; snowballstemmer 2.2, whose stems the page's JavaScript
build in site_templates/assets/snowball/ gives too), and a query's word
matches every term that begins with its stem, as Pagefind's does, where the
stem has PREFIX_FROM letters or more; a whole match counts more.  The same
rules are in offline-search.js; a browser test holds them together.

Chunks.  The terms of every shard, once each and in order (by UTF-16 code
units, as JavaScript compares strings), are cut into runs of at most
CHUNK_BYTES, each holding for its terms the postings of every shard that has
them: one file per word, whatever the number of shards.  Past half its bytes
a chunk ends before a term picked by its hash (CUT_EVERY), and each is named
by its key (chunk_path): a set made again where a few terms changed keeps the
files of the others (offline_patch.py).  The list gives each
chunk's key, the shortest beginning of its first term that sorts after the
chunk before; the page finds a term's chunk as the last key at or before it,
and the words that begin with a typed prefix in that chunk and the ones after
it whose keys begin with the prefix.  Every shard's postings are kept in the
cache folder (write_shard), so that a build that makes one shard again makes
the chunks from the others' without reading their articles.  The terms are
in up to four sets of chunks (outputs/offline_search.py): the older years'
shards' (terms/), the other shards of the newest shard's year (year/), the
newest shard's (recent/), and the newest day's where it is a shard apart
(newest/, see search.plan_shards); the list gives the keys of each set.
Adding an article to the newest day makes that small set again; the first
article of a new day, which puts the day before back with the rest, the
newest shard's; the second day of a month, when the month before joins the
others of its year, the year's.  Only a new year makes the set of every
older shard again.  In the chunks a shard is named by its number, its place
counted from the oldest (shard_numbers), which a newer shard leaves as it was:
the page turns it into the shard's place in the list, newest first.  A query
reads a chunk of each set for each word.  A word in most articles is split
(SPLIT_BYTES): its chunk lists its files, the whole of its postings and parts
of a run of shards each, so that a query whose other words are in a few
shards reads its postings in those (offline-search.js chooses).

Postings.  Each (term, document) pair gets a BM25 score with the title counted
TITLE_WEIGHT times, quantised to 64 levels relative to the term's best score
(one character each; 4096 levels in two characters for a term in WIDE_FROM
documents or more), which is itself given in two characters relative to the
best score of the shard ("scale" in the list).  The documents of a term
are a bitmap when the term is common, else the gaps between document numbers,
whichever is shorter.  Documents are numbered in the site's order, newest first.

Records.  What the page shows of DOCS_PER_CHUNK documents: title, date, address,
language, direction, the date as the site writes it, and the whole text, from
which the page cuts the passage that matched.

The list and the chunks of records are packed: JSON, deflated and in base64
(no quote or backslash among its digits), which the page reads back with atob
and DecompressionStream.  Not base85, 6 % smaller but written by Python a
digit at a time: a tenth of the time of a full build (1.5 s of processor time
at 10,000 articles), where base64 is written in C; a host that gzips sends the
same bytes of either.  The chunks of terms are JSON as it is: postings are
already digits that deflate takes only a third off, which the digits give a
third back, so packing spared few of their bytes (none where the host gzips)
for most of the time the sets take to make; only a chunk of one very common
word, which packing makes several times smaller, is packed (PACK_SAVING).
"""

from __future__ import annotations

import base64
import bisect
import functools
import gzip
import hashlib
import heapq
import json
import marshal
import math
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain, compress
from pathlib import Path
from typing import TextIO, cast

import regex
import snowballstemmer  # type: ignore[import-untyped]

from .render import long_date
from .site import Entry

FOLDER = "search/offline/"
REGISTER = "window.__offlineSearch"
MAX_TERM = 40  # characters; longer runs are cut (hashes, run-together URLs)
# Of a chunk of terms as JSON: what a chunk of 40,000 bytes took when chunks
# were packed, so that a query reads no more than it did.  With records of
# DOCS_PER_CHUNK documents, an index of 10,000 articles is about 2,000 files
# (one for five articles), and a query reads one chunk of terms per word and
# one of records per result shown.
CHUNK_BYTES = 34_000
# A chunk of one term larger than CHUNK_BYTES is packed (see pack) when that
# takes at least this share off: at 100,000 articles, "and" from 217 KB to 81 KB.
PACK_SAVING = 1 / 3
# That share is judged on the chunk's first PACK_SAMPLE characters deflated,
# not on all of it: at 100,000 articles, deflating every such chunk whole to
# decide took 0.87 s, 0.12 s so, and three of 457 chunks, all within 2 % of
# the threshold, were decided the other way.
PACK_SAMPLE = 16_384
# A term whose postings are more than SPLIT_BYTES (as JSON) is split: its
# chunk names the files that hold them, the whole (packed where that pays) and
# parts of about PART_BYTES, each the postings of a run of shards.  A query
# whose other words are in a few shards reads the parts of those shards only
# (at a million articles, the postings of "and" are 2.2 MB).  A third of a
# chunk: a word in every article then has a part for each shard or two, and a
# query of it with a rarer word reads that word's best shards, not two others
# beside each (at a million articles, "were devibu" 749 KB with parts of a
# chunk, 526 KB so).
SPLIT_BYTES = 2 * CHUNK_BYTES
PART_BYTES = CHUNK_BYTES // 3
DOCS_PER_CHUNK = 6
TITLE_WEIGHT = 7.0  # as Pagefind weighs an h1
BM25_K1 = 1.4  # Pagefind's term saturation
BM25_B = 0.75
LEVELS = 64
TOPS = 4096  # a term's best score, in two characters
# A word in this many documents of a shard or more has 4096 levels, not 64: its
# scores are close together, and 64 levels would make ties of most of them.
WIDE_FROM = 1024
WIDE_LEVELS = 4096
# A term in this many documents of a shard or more has its family's best
# there (family_bests): what a term needs to be split, at a million articles.
FAMILY_FROM = 64
# Letters: a query's word whose term is shorter matches that term alone, not
# the longer terms it begins (offline-search.js has the same): "re" and "st"
# begin a long run of chunks, in a vocabulary of many rare words.
PREFIX_FROM = 3

# base64url: safe in JSON strings and in file names; one character is six bits.
DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
DIGIT_VALUE = {digit: value for value, digit in enumerate(DIGITS)}

# Combining marks, except the kana voicing marks: が and か are different letters.
_MARKS = regex.compile(r"[^\P{Mn}\u3099\u309a]")
_CJK = (
    "\u1100-\u11ff\u3005-\u3007\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_WORD = regex.compile(r"[\p{L}\p{N}\p{M}]+")
_CJK_RUN = re.compile(f"([{_CJK}]+)")
_CJK_CHAR = re.compile(f"[{_CJK}]")

# Snowball stemmers by language code: those whose JavaScript build
# (site_templates/assets/snowball/) gives the same stems as the Python package.
# Another language is indexed without stemming.
STEMMERS = {
    "en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian", "pt": "portuguese",
    "nl": "dutch", "da": "danish", "sv": "swedish", "no": "norwegian", "nb": "norwegian", "nn": "norwegian",
    "fi": "finnish", "hu": "hungarian", "ro": "romanian", "ru": "russian", "tr": "turkish", "ga": "irish",
    "ca": "catalan", "eu": "basque", "hy": "armenian",
}


def stemmer_for(language: str) -> str | None:
    """The Snowball algorithm of a language code ("pt-BR" → "portuguese"), or None."""
    return STEMMERS.get(language.split("-")[0].lower())


class _Stems(dict[str, str]):
    """The stems of the words met so far, by word; a word not met yet is
    stemmed when first asked for.  Looked up a whole text at a time (map over
    a dict's lookup), as a text's words are mostly words met before."""

    def __init__(self, algorithm: str) -> None:
        super().__init__()
        self.stem_word: Callable[[str], str] = snowballstemmer.stemmer(algorithm).stemWord

    def __missing__(self, word: str) -> str:
        # Normalised words are stemmed (no accents): the browser stems what it
        # normalised the same way, so the two meet whatever the reader typed.
        found = self[word] = self.stem_word(word)
        return found


@functools.cache
def _stems(algorithm: str) -> _Stems:
    return _Stems(algorithm)


def stem(word: str, algorithm: str | None) -> str:
    """A normalised word's stem; the same word, unstemmed, without an algorithm."""
    return word if algorithm is None else _stems(algorithm)[word]


@dataclass(frozen=True)
class SearchDocument:
    """What the index knows of one article: shown fields and searched text."""

    title: str
    date: str  # ISO 8601
    url: str  # relative to the site root, ending in "/"
    language: str
    direction: str  # "ltr" or "rtl"
    date_text: str  # the date as the site writes it
    body: str  # searched, never written out
    stemmer: str | None = None  # the Snowball algorithm of the site's language


# A term's documents, in order, and its count in each, the title's words
# counted TITLE_WEIGHT times: two lists, not a tuple for each of the millions
# of postings of a shard.
Postings = tuple[list[int], list[float]]


# Text → terms


def normalise(text: str) -> str:
    """Text as it is compared: no accents or points, compatibility forms folded, lower case."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = _MARKS.sub("", decomposed)
    # Lower case as JavaScript does it, plus the two foldings that differ from it.
    return unicodedata.normalize("NFC", bare).lower().replace("ß", "ss").replace("ς", "σ")


def is_cjk(character: str) -> bool:
    # Every range starts at U+1100 or above: most text is decided by the first test.
    return character >= "\u1100" and _CJK_CHAR.match(character) is not None


# ASCII letters folded to lower case, digits kept, every other byte a space.
_ASCII_FOLD = bytes(
    byte + 32 if 65 <= byte <= 90 else byte if 48 <= byte <= 57 or 97 <= byte <= 122 else 32 for byte in range(256)
)


@functools.cache
def _separates(character: str) -> bool:
    """True for a character that parts words, whatever surrounds it: something
    of it is left once normalised (a mark alone vanishes, joining its
    neighbours), and no letter, mark or digit."""
    normal = normalise(character)
    return normal != "" and _WORD.search(normal) is None


def _plain_runs(text: str) -> list[str] | None:
    """The runs of a text of ASCII and characters that separate words (curly
    quotes, dashes, no-break spaces), found bytewise: most news in English, in
    a fifth of the time that the Unicode rules take.  None for any other text."""
    if not text.isascii() and not all(_separates(c) for c in set(text) if c > "\x7f"):
        return None
    # Each separating character becomes "?", which the table makes a space.
    return text.encode("ascii", "replace").translate(_ASCII_FOLD).decode("ascii").split()


def _runs(text: str) -> tuple[list[str], bool]:
    plain = _plain_runs(text)
    if plain is not None:
        return plain, False
    return _unicode_runs(text)


def _unicode_runs(text: str) -> tuple[list[str], bool]:
    normal = normalise(text)
    runs = _WORD.findall(normal)
    if _CJK_CHAR.search(normal) is None:  # most texts: decided once, not word by word
        return runs, False
    return [part for run in runs for part in _CJK_RUN.split(run) if part], True


def words(text: str) -> list[str]:
    """Normalised runs of letters, marks and digits; Han, kana and Hangul runs
    are kept apart from the letters around them."""
    return _runs(text)[0]


def terms(text: str, stemmer: str | None = None) -> list[str]:
    """The terms that text is indexed under, in order, repeats kept: words
    stemmed by the Snowball algorithm `stemmer`, if any."""
    runs, any_cjk = _runs(text)
    if not any_cjk:
        if stemmer is not None:
            runs = list(map(_stems(stemmer).__getitem__, runs))
        # Words longer than a term are rare: cut only when there is one.
        if max(map(len, runs), default=0) <= MAX_TERM:
            return runs
        return [word[:MAX_TERM] for word in runs]
    found: list[str] = []
    for word in runs:
        if is_cjk(word[0]):
            found += [word[i : i + 2] for i in range(len(word) - 1)]
            found.append(word[-1])
        else:
            found.append(stem(word, stemmer)[:MAX_TERM])
    return found


# Documents → postings → encoded strings


def documents(entries: Iterable[Entry], language: str = "en") -> list[SearchDocument]:
    """One document per article, in the site's order (newest first), to be
    stemmed as the site's `language`."""
    algorithm = stemmer_for(language)
    return [
        SearchDocument(
            title=entry.article.title,
            date=entry.article.date.isoformat(),
            url=entry.url,
            language=entry.article.language,
            direction=entry.article.direction,
            date_text=long_date(entry.article.date, language),
            # Only what the writer wrote: never the date, its month's name, the
            # byline or tags, which a query for "may" or "2023" would match everywhere.
            body=entry.article.text,
            stemmer=algorithm,
        )
        for entry in entries
    ]


def postings(
    docs: Sequence[SearchDocument], counted: Iterable[tuple[Counter[str], Counter[str]]] | None = None
) -> tuple[dict[str, Postings], list[int]]:
    """Each term's postings in document order, and each document's length in terms.
    `counted`: the terms of each document's title and body, if counted already
    (term_counts, perhaps in other processes)."""
    index: dict[str, Postings] = {}
    lengths = []
    for number, (in_title, in_body) in enumerate(counted if counted is not None else map(term_counts, docs)):
        lengths.append(_length(in_title, in_body))
        for term, weight in _weighted(in_title, in_body).items():
            found = index.get(term)
            if found is None:
                found = index[term] = ([], [])
            found[0].append(number)
            found[1].append(weight)
    return index, lengths


def _length(in_title: Counter[str], in_body: Counter[str]) -> int:
    return in_body.total() + in_title.total()


def _weighted(in_title: Counter[str], in_body: Counter[str]) -> dict[str, float]:
    """A document's terms, each weighed by its count in the body and TITLE_WEIGHT times its count in the title."""
    weighted: dict[str, float] = dict(in_body)
    for term, count in in_title.items():
        weighted[term] = weighted.get(term, 0) + TITLE_WEIGHT * count
    return weighted


def updated_postings(
    index: dict[str, Postings], lengths: list[int], documents: int,
    counted: Mapping[int, tuple[Counter[str], Counter[str]]],
) -> tuple[dict[str, Postings], list[int], set[int]] | None:
    """What `postings` gives for a shard of `documents` documents, from what it
    gave for the shard as it was (`index` and `lengths`, changed in place):
    the documents `counted` (by number) are counted again, the others are as
    they were, in the same places, and those past `documents` are gone; and
    the numbers of the documents counted whose terms changed.  None where a
    document that the shard did not have is not among those counted.  (At
    100,000 articles, a change to one older article counts the six documents
    of its file of records, not the 5,000 of its shard: 1.1 s less; and the
    scores of the terms of one document are worked out again, not of six.)"""
    if any(number not in counted for number in range(len(lengths), documents)):
        return None
    low, high = (min(counted), max(counted)) if counted else (documents, documents)
    # The terms of a document counted or gone: most terms are in none (a few of the shard's, side by side).
    touched = [term for term, (numbers, _) in index.items()
               if numbers[-1] >= documents or numbers[-1] >= low and numbers[bisect.bisect_left(numbers, low)] <= high]
    had: dict[int, dict[str, float]] = {number: {} for number in counted if number < len(lengths)}
    for term in touched:
        numbers, weights = index[term]
        for number, weight in zip(numbers, weights, strict=True):
            if number in had:
                had[number][term] = weight
    changed = {number for number, counts in counted.items()
               if had.get(number) != _weighted(*counts) or lengths[number] != _length(*counts)}
    for term in touched:
        numbers, weights = index[term]
        kept = [i for i, number in enumerate(numbers) if number < documents and number not in changed]
        if not kept:
            del index[term]
        elif len(kept) < len(numbers):
            numbers[:] = [numbers[i] for i in kept]
            weights[:] = [weights[i] for i in kept]
    del lengths[documents:]
    lengths += [0] * (documents - len(lengths))
    for number in sorted(changed):
        in_title, in_body = counted[number]
        lengths[number] = _length(in_title, in_body)
        for term, weight in _weighted(in_title, in_body).items():
            found = index.get(term)
            if found is None:
                index[term] = ([number], [weight])
                continue
            at = bisect.bisect_left(found[0], number)
            found[0].insert(at, number)
            found[1].insert(at, weight)
    return index, lengths, changed


# The layout of a file of write_counts: another is not read.
COUNTS_VERSION = 2


def write_counts(
    path: Path, index: dict[str, Postings], lengths: list[int], terms: Mapping[str, TermBest] | None,
) -> None:
    """A shard's postings before scoring (see `postings`), kept for
    updated_postings, and the best score of each of its terms (Scoring.terms),
    if known: marshalled (a shard's take 0.14 s to read back, where JSON took
    several times that) and deflated (19 MB to 5 MB at 5,000 articles)."""
    data = (COUNTS_VERSION, lengths, index, dict(terms) if terms is not None else None)
    path.write_bytes(zlib.compress(marshal.dumps(data), 1))


def read_counts(path: Path) -> tuple[dict[str, Postings], list[int], dict[str, TermBest] | None] | None:
    """What write_counts kept, or None where it is not at hand or not whole."""
    try:
        version, lengths, index, terms = marshal.loads(zlib.decompress(path.read_bytes()))
    except (OSError, ValueError, EOFError, TypeError, zlib.error):
        return None
    if version != COUNTS_VERSION or not isinstance(index, dict) or not isinstance(lengths, list) \
            or not isinstance(terms, dict | None):
        return None
    return index, lengths, terms


def term_counts(doc: SearchDocument) -> tuple[Counter[str], Counter[str]]:
    """The terms of a document's title and of its body, counted."""
    return Counter(terms(doc.title, doc.stemmer)), Counter(terms(doc.body, doc.stemmer))


def rarity(documents_with_term: int, total: int) -> float:
    """BM25's inverse document frequency: near 0 for a term in every document."""
    return math.log(1 + (total - documents_with_term + 0.5) / (documents_with_term + 0.5))


@dataclass(frozen=True)
class Scoring:
    """What a shard's scores were worked out from, kept for the next build (shard_index)."""

    average: float  # its documents' average length (average_length)
    best: float  # its best score, before it is rounded up to its scale
    best_term: str  # a term of that score
    # Each term's best score, the first document of it, and the number of its
    # documents (TermBest): kept with the postings before scoring (write_counts).
    terms: Mapping[str, TermBest] | None = field(default=None, compare=False, repr=False)


TermBest = tuple[float, int, int]
_NO_BEST: TermBest = (0.0, -1, -1)


def _best_of(numbers: Sequence[int], term_scores: list[float]) -> TermBest:
    best = max(term_scores)
    return best, numbers[term_scores.index(best)], len(numbers)


def average_length(lengths: Sequence[int]) -> float:
    # In three digits: a change to one document of a shard so seldom moves the
    # average length, and through it the score of every posting of the shard
    # (see offline_patch.py); a word in thousands of its documents has 4,096
    # levels, and a move in the sixth digit changed a few of them.
    return max(1.0, float(f"{sum(lengths) / max(1, len(lengths)):.3g}"))


class _Scorer:
    """The BM25 scores of a term's postings (called), or of one of them (`one`)."""

    def __init__(self, index: dict[str, Postings], lengths: Sequence[int], average: float) -> None:
        self._index, self._total = index, len(lengths)
        # Okapi BM25 with the title's words counted TITLE_WEIGHT times: what
        # depends on the document alone is worked out once per document, as the
        # sum runs once per posting (a shard has millions).
        self._k1_plus_1, k1_b, self._k1_1_minus_b = BM25_K1 + 1, BM25_K1 * BM25_B, BM25_K1 * (1 - BM25_B)
        self._by_length = [k1_b * (length / average) for length in lengths]

    def __call__(self, term: str) -> list[float]:
        numbers, weights = self._index[term]
        term_rarity = rarity(len(numbers), self._total)
        k1_plus_1, k1_1_minus_b, by_length = self._k1_plus_1, self._k1_1_minus_b, self._by_length
        return [
            term_rarity * f * k1_plus_1 / (f + k1_1_minus_b + by_length[document])
            for document, f in zip(numbers, weights, strict=True)
        ]

    def one(self, term: str, position: int) -> float:
        """The score of the term's posting at `position`, as __call__ works it out."""
        numbers, weights = self._index[term]
        f = weights[position]
        return rarity(len(numbers), self._total) * f * self._k1_plus_1 / (
            f + self._k1_1_minus_b + self._by_length[numbers[position]])


def _quantised(term_scores: Sequence[float], scale: float) -> tuple[int, list[int]]:
    """A term's top and its postings' levels (impacts), on the shard's `scale`."""
    top = _top(max(term_scores), scale)
    steps = WIDE_LEVELS if len(term_scores) >= WIDE_FROM else LEVELS
    unit = top / (TOPS - 1) * scale / steps  # the score of one level, as the page reads the top back
    return top, [min(steps - 1, max(0, round(s / unit) - 1)) for s in term_scores]


def _top(best: float, scale: float) -> int:
    """A term's top from its best score."""
    # Rounded up: no score is above its top as the page reads it back.
    return min(TOPS - 1, max(1, math.ceil(best / scale * (TOPS - 1))))


def _spliced(encoded: str, position: int, score: float, best: float, scale: float) -> str | None:
    """A term's encoded postings (encode_postings) with the level of its
    posting at `position` worked out from its `score` as _quantised does, the
    term's best score now being `best`; None where that moves its top (and
    so every level)."""
    top, count = postings_head(encoded)
    if _top(best, scale) != top:
        return None
    steps = WIDE_LEVELS if count >= WIDE_FROM else LEVELS
    unit = top / (TOPS - 1) * scale / steps
    level = min(steps - 1, max(0, round(score / unit) - 1))
    if count >= WIDE_FROM:
        at = 3 + 2 * position
        return encoded[:at] + DIGITS[level >> 6] + DIGITS[level & 63] + encoded[at + 2:]
    return encoded[:2 + position] + DIGITS[level] + encoded[3 + position:]


def impacts(index: dict[str, Postings], lengths: Sequence[int]) -> tuple[dict[str, tuple[int, list[int]]], Scoring]:
    """Each term's best score as a top 1…4095, relative to the best score in
    the index (rounded up: the shard's scale), and each of its postings'
    scores as a level 0…63 relative to its top; and what they were worked out
    from.  A posting's score is then (level + 1) / 64 × top / 4095 × scale.
    Levels per term, not per index: a common word's scores are all small, and
    would all be one level of the index's, where its own levels tell its
    documents apart."""
    average = average_length(lengths)
    scores_of = _Scorer(index, lengths, average)
    scores = {term: scores_of(term) for term in index}
    bests = {term: _best_of(index[term][0], term_scores) for term, term_scores in scores.items()}
    best_term = max(bests, key=lambda term: bests[term][0], default="")
    best = bests[best_term][0] if best_term else 1.0
    best = best or 1.0
    # The scale in FAMILY_DIGITS digits, rounded up: a change to one document
    # moves the best score in its sixth or seventh digit, which so moves neither
    # the scale nor, through it, every term's top (see offline_patch.py).
    scale = rounded_up(best)
    return ({term: _quantised(term_scores, scale) for term, term_scores in scores.items()},
            Scoring(average, best, best_term, bests))


def encode_number(value: int) -> str:
    """Five bits a character, most significant first; characters 32…63 mean 'more follows'."""
    digits = [DIGITS[value & 31]]
    value >>= 5
    while value:
        digits.append(DIGITS[32 + (value & 31)])
        value >>= 5
    return "".join(reversed(digits))


_SMALL_NUMBERS = [encode_number(value) for value in range(1024)]


def encode_documents(numbers: Sequence[int]) -> str:
    """Ascending document numbers as gaps, or as a bitmap ("*" then six documents
    a character) when that is shorter."""
    small = _SMALL_NUMBERS
    gaps = [
        small[gap] if gap < 1024 else encode_number(gap)
        for gap in (number - previous - 1 for previous, number in zip([-1, *numbers], numbers, strict=False))
    ]
    as_gaps = "".join(gaps)
    if not numbers or 1 + numbers[-1] // 6 + 1 >= len(as_gaps):
        return as_gaps
    bits = [0] * (numbers[-1] // 6 + 1)
    for number in numbers:
        bits[number // 6] |= 1 << (number % 6)
    return "*" + "".join(DIGITS[b] for b in bits)


def postings_head(postings: str) -> tuple[int, int]:
    """The top and the number of documents of postings (encode_postings)."""
    wide = postings.startswith("!")
    head = 1 if wide else 0
    top = DIGIT_VALUE[postings[head]] * 64 + DIGIT_VALUE[postings[head + 1]]
    return top, (postings.index(":") - head - 2) // (2 if wide else 1)


def encode_postings(numbers: Sequence[int], levels: Sequence[int], top: int) -> str:
    """"TOP LEVELS:DOCUMENTS": the term's top in two characters, one level
    character per document, then the documents.  A term in WIDE_FROM
    documents or more has two characters a level, after a "!"."""
    head = DIGITS[top >> 6] + DIGITS[top & 63]
    if len(numbers) >= WIDE_FROM:
        return "!" + head + "".join(DIGITS[level >> 6] + DIGITS[level & 63] for level in levels) + ":" + encode_documents(numbers)
    return head + "".join(DIGITS[level] for level in levels) + ":" + encode_documents(numbers)


# Chunks and files


def term_order(term: str) -> bytes:
    """The order of terms in the index: JavaScript's, by UTF-16 code units, so
    that the page's comparisons of strings agree with it."""
    return term.encode("utf-16-be")


def _separating_key(previous: str, first: str) -> str:
    """The shortest beginning of `first` that sorts after `previous`."""
    for n in range(1, len(first) + 1):
        if term_order(first[:n]) > term_order(previous):
            return first[:n]
    return first


def _entry_size(term: str, value: InShards | Split) -> int:
    """About the bytes of `"term":[0,"…",2,"…"],` in a chunk's JSON, written
    in ASCII: another letter is an escape of six characters (or two of them)."""
    written = len(term) if term.isascii() else len(json.dumps(term)) - 2
    if isinstance(value, dict):
        return written + 4 + len(json.dumps(value, separators=(",", ":")))
    # [shard, postings, ...]: a shard's number counted as two characters with
    # its comma, postings as three more than their own (quotes and comma).
    return written + 6 + sum(map(len, cast(list[str], value[1::2]))) + 5 * (len(value) // 2)


InShards = list[int | str]  # a term's postings in each shard that has it: [shard, postings, shard, postings, ...]
# A split term in its chunk: "files", the number and bytes of each of its
# files (the whole first, then the parts), and "shards", for each shard that
# has it, the place in "files" of the part that holds its postings; then, for
# each of those shards in the same order, "tops", the term's top there (the
# best score a document of the shard can have of it), "counts", the
# documents that hold it, and "family", the best score a document of the
# shard has for a query of the word, the longer terms that begin with it
# counted, as a share of the shard's best (family_bests; UNKNOWN_BEST where
# not known), and "familyCounts", the documents that hold the word or a longer
# term (UNKNOWN_COUNT where not known); "first", the FIRST documents of those
# shards for a query of the word (first_of); and "beginnings", for each word
# that begins it and no split term before it, and is no split term itself,
# [shard, the word's family's best there, its documents there, ...], and
# "firsts", its first documents.  A query of that word alone shows its first
# results from those, reads first the parts of the shards whose results come
# first when more are asked, and counts the others' documents without reading
# them.
Split = dict[str, list[int] | list[float] | list[list[int | str]] | list[list[int]] | dict[str, list[float]] | bool]
UNKNOWN_BEST = -1.0
UNKNOWN_COUNT = -1
SPLIT_FILE = "s"  # a split term's files are FOLDER + set + "/s" + (split_file) + ".js"


def chunk_terms(
    entries: Iterable[tuple[str, InShards | Split]], *, limit: int = CHUNK_BYTES,
) -> Iterator[tuple[str, dict[str, InShards | Split]]]:
    """Terms in order, cut into runs of about `limit` bytes: (key, members).
    A chunk's key is the shortest beginning of its first term that sorts after
    the last term of the chunk before it (the first chunk's key is ""): a term
    is in the chunk of the last key that sorts at or before it.  A split term
    is alone in its chunk, as it was before it was split: a query of it then
    reads its list of files, not the postings of the terms beside it."""
    return _chunks(((term, value, _entry_size(term, value)) for term, value in entries), limit)


def _chunks(
    entries: Iterable[tuple[str, InShards | Split, int]], limit: int, after: str | None = None,
) -> Iterator[tuple[str, dict[str, InShards | Split]]]:
    """chunk_terms of entries whose sizes (_entry_size) are known; `after`,
    the last term of the chunk before them, where they do not begin the set."""
    members: dict[str, InShards | Split] = {}
    key, size, previous, alone = "", 0, after, False
    for term, value, entry in entries:
        split = isinstance(value, dict)
        if members and (size + entry > limit or split or alone or size >= limit // 2 and _cuts(term)):
            yield key, members
            members, size = {}, 0
        if not members:
            key = "" if previous is None else _separating_key(previous, term)
        members[term] = value
        size += entry
        previous, alone = term, split
    if members or after is None and previous is None:  # a set of no terms is one empty chunk
        yield key, members


# Past half its bytes, a chunk ends before a term in CUT_EVERY (by a hash of
# the term): where chunks end then depends on the terms, not only on the bytes
# before them, so that a chunk made again because its terms changed ends, or
# the one after it does, where a chunk ended before, and the chunks after it
# are as they were (offline_patch.py).  Cut by bytes alone, a term added moved
# the end of every chunk after it up to the next split term; at 100,000
# articles this makes about 12 % more chunks.
CUT_EVERY = 32


def _cuts(term: str) -> bool:
    return zlib.crc32(term.encode("utf-8", "surrogatepass")) % CUT_EVERY == 0


def merged(
    shards: Sequence[Iterable[tuple[str, str]]], numbers: Sequence[int] | None = None,
) -> Iterator[tuple[str, InShards]]:
    """The terms of every shard, each once, in term order, from each shard's
    (term, postings) in term order: (term, [shard, postings, ...]), shards
    numbered by `numbers` (shard_numbers), or as listed, in the order of
    their numbers.  One term at a time: the index of a million articles is
    never held whole."""
    def keyed(number: int, shard: Iterable[tuple[str, str]]) -> Iterator[tuple[bytes, int, str, str]]:
        return ((term_order(term), number, term, postings) for term, postings in shard)

    current: str | None = None
    entry: InShards = []
    places = range(len(shards)) if numbers is None else numbers
    for _, number, term, postings in heapq.merge(*(keyed(n, shard) for n, shard in zip(places, shards, strict=True))):
        if term != current:
            if current is not None:
                yield current, entry
            current, entry = term, []
        entry += [number, postings]
    if current is not None:
        yield current, entry


def _script(call: str, *arguments: object) -> str:
    text = ",".join(json.dumps(a, ensure_ascii=False, separators=(",", ":"), sort_keys=True) for a in arguments)
    return f"{REGISTER}.{call}({text});\n"


# A word's family (family_bests): [its best, the documents that hold it or a
# term it begins, then its first documents in the shard, by relevance: number,
# score, number, score, ...].
Family = list[float]
# The documents listed of a word in most articles: the results of the search
# page's first three pages (search.js's PAGE is 10), which "More results"
# then shows without reading the word's postings (at a million articles, the
# second page of "the" read 3.2 MB of them).
FIRST = 30


@dataclass(frozen=True)
class ShardIndex:
    """What the whole index needs of one shard besides its records: how many
    documents, the best score, the first document of each month, and the
    postings of each term, encoded (encode_postings)."""

    documents: int
    scale: float
    months: list[list[str | int]]
    postings: dict[str, str]
    version: str = ""  # of its records' files (see records_version): "" where not known
    families: dict[str, Family] = field(default_factory=dict)  # family_bests
    # Not part of the index: kept for the next build; of equal scores, which term it names may differ.
    scoring: Scoring | None = field(default=None, compare=False)

    def head(self) -> dict[str, object]:
        head: dict[str, object] = {"documents": self.documents, "scale": self.scale, "months": self.months}
        return {**head, "version": self.version} if self.version else head

    def in_order(self) -> list[tuple[str, str]]:
        return sorted(self.postings.items(), key=lambda item: term_order(item[0]))


def shard_index(
    docs: Sequence[SearchDocument], counted: Iterable[tuple[Counter[str], Counter[str]]] | None = None,
    last: ShardIndex | None = None, changed: Collection[int] = (),
) -> ShardIndex:
    """The postings of one shard's documents, scored by the shard's own BM25.

    `last`: the shard as the last build made it, and `changed`, the numbers
    of the documents that may have changed since, the others being as they
    were, in the same places.  A term none of those documents has, now or
    then, has the postings it had, when the average length and the scale are
    as they were: only the others are scored again (at 100,000 articles, a
    change to one article scores a few hundred of the 90,000 terms of its
    shard, not all of them).  And a word none of whose terms changed keeps its
    family_bests."""
    held: dict[int, tuple[Counter[str], Counter[str]]] = {}
    if counted is None:
        counted = map(term_counts, docs)
    index, lengths = postings(docs, holding_counts(counted, set(changed), held) if last is not None else counted)
    return scored_shard(docs, index, lengths, last, held)


def scored_shard(
    docs: Sequence[SearchDocument], index: dict[str, Postings], lengths: Sequence[int],
    last: ShardIndex | None = None, held: dict[int, tuple[Counter[str], Counter[str]]] | None = None,
    months: list[list[str | int]] | None = None,
) -> ShardIndex:
    """shard_index of the postings of `docs`, `index` and `lengths`, with the
    counts of the documents that may have changed, `held`, where `last` is
    given; `months`, the month_starts of `docs`, where they are known without
    going through them (whose bodies may not have been read)."""
    scored = _rescored(index, lengths, last, held or {}) if last is not None and last.scoring is not None else None
    spliced: frozenset[str] = frozenset()
    if scored is None:
        levels: Mapping[str, tuple[int, list[int]]]
        levels, scoring = impacts(index, lengths)
        encoded = {term: encode_postings(index[term][0], levels[term][1], levels[term][0]) for term in index}
    else:
        levels, scoring, encoded, spliced = scored
    scale = rounded_up(scoring.best)
    kept = None
    if last is not None and (last.documents, last.scale) == (len(docs), scale):
        # Encoded postings hold a term's documents, levels and top: the same, and so is what they score.
        changed = {term for term in encoded.keys() | last.postings.keys() if encoded.get(term) != last.postings.get(term)}
        one = None
        if spliced and held is not None and len(held) == 1:
            ((number, (in_title, in_body)),) = held.items()
            one = OneChanged(number, spliced, sorted({*in_title, *in_body}, key=term_order), encoded)
        kept = last.families, changed, one
    return ShardIndex(len(docs), scale, months if months is not None else month_starts(d.date for d in docs), encoded,
                      families=family_bests(index, levels, len(docs), scale, kept), scoring=scoring)


def holding_counts(
    counted: Iterable[tuple[Counter[str], Counter[str]]], numbers: set[int],
    held: dict[int, tuple[Counter[str], Counter[str]]],
) -> Iterator[tuple[Counter[str], Counter[str]]]:
    """`counted`, the counts of the documents `numbers` kept in `held` as they pass."""
    for number, counts in enumerate(counted):
        if number in numbers:
            held[number] = counts
        yield counts


class _Levels(Mapping[str, tuple[int, list[int]]]):
    """The levels of a shard's terms (impacts), each worked out when first asked for."""

    def __init__(self, index: dict[str, Postings], scores: Callable[[str], list[float]], scale: float,
                 known: dict[str, tuple[int, list[int]]]) -> None:
        self._index, self._scores, self._scale, self._known = index, scores, scale, known

    def __getitem__(self, term: str) -> tuple[int, list[int]]:
        if term not in self._known:
            self._known[term] = _quantised(self._scores(term), self._scale)
        return self._known[term]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


def _rescored(
    index: dict[str, Postings], lengths: Sequence[int], last: ShardIndex,
    held: dict[int, tuple[Counter[str], Counter[str]]],
) -> tuple[Mapping[str, tuple[int, list[int]]], Scoring, dict[str, str], frozenset[str]] | None:
    """The levels, scoring and encoded postings of the shard `index`, from
    `last` and the terms of the changed documents (`held`), and the terms of
    the one changed document whose postings changed in its level alone
    (_spliced): None where they
    cannot be (another average length or number of documents, the best score
    of each term not known, or a scale moved).

    Where one document changed, a term it had and has, whose best score is
    another document's, has that one posting scored again, and its level put
    in place in the encoded postings (_spliced), where the term's top did not
    move: the others are as they were (at 100,000 articles, the terms of one
    changed article took 0.5 s to score again whole)."""
    average = average_length(lengths)
    assert last.scoring is not None
    was = last.scoring.terms
    if was is None or (last.documents, last.scoring.average) != (len(lengths), average):
        return None
    # A term the changed documents have, now or then: now, or its number of documents moved.
    terms = {term for title, body in held.values() for term in (*title, *body)}
    terms.update(term for term, (numbers, _) in index.items() if was.get(term, _NO_BEST)[2] != len(numbers))
    scores_of = _Scorer(index, lengths, average)
    bests = {term: best for term, best in was.items() if term in index}
    (only,) = held if len(held) == 1 else (None,)
    scores: dict[str, list[float]] = {}
    alone: dict[str, tuple[int, float]] = {}  # the position and score of the one changed posting
    for term in terms:
        numbers = index[term][0]
        before = was.get(term)
        if only is not None and before is not None and before[2] == len(numbers) and before[1] != only \
                and term in last.postings:
            position = bisect.bisect_left(numbers, only)
            score = scores_of.one(term, position)
            alone[term] = position, score
            if score > before[0] or score == before[0] and only < before[1]:
                bests[term] = score, only, len(numbers)
        else:
            scores[term] = scores_of(term)
            bests[term] = _best_of(numbers, scores[term])
    best_term = max(bests, key=lambda term: bests[term][0], default="")
    best = (bests[best_term][0] if best_term else 1.0) or 1.0
    scale = rounded_up(best)
    if scale != last.scale:
        return None
    known = {term: _quantised(term_scores, scale) for term, term_scores in scores.items()}
    encoded: dict[str, str] = {}
    put_in_place = set()
    for term in index:
        if term in alone:
            spliced = _spliced(last.postings[term], *alone[term], bests[term][0], scale)
            if spliced is not None:
                encoded[term] = spliced
                put_in_place.add(term)
                continue
            known[term] = _quantised(scores_of(term), scale)
        encoded[term] = encode_postings(index[term][0], known[term][1], known[term][0]) if term in known \
            else last.postings[term]
    return (_Levels(index, scores_of, scale, known), Scoring(average, best, best_term, bests), encoded,
            frozenset(put_in_place))


def length_bonus(extra: int) -> float:
    """What a term `extra` characters (UTF-16 code units) longer than a query's
    word counts for against the word itself, as offline-search.js's lengthBonus."""
    return math.exp(math.exp(-0.125 * (extra + 1) * (extra + 1))) / math.exp(math.exp(-0.125))


def _js_length(term: str) -> int:
    """A string's length as JavaScript counts it, in UTF-16 code units."""
    return len(term) + sum(1 for character in term if character > "\uffff")


@dataclass(frozen=True)
class OneChanged:
    """The one changed document of a shard, and what family_bests needs of it."""

    number: int
    spliced: frozenset[str]  # the terms whose postings changed in its level alone (_spliced)
    terms: list[str]  # its terms, in term order
    encoded: Mapping[str, str]  # the shard's encoded postings


def family_bests(
    index: dict[str, Postings], levels: Mapping[str, tuple[int, list[int]]], documents: int, scale: float = 1.0,
    kept: tuple[Mapping[str, Family], set[str], OneChanged | None] | None = None,
) -> dict[str, Family]:
    """For each word that may be split (see Split), the best score a document
    of the shard has for a query of that word: the sum of its scores of every
    term that begins with the word, each weighted as the page weighs a longer
    term (length_bonus), as the page reads them back (decode in
    offline-search.js), as a share of the shard's best (rounded_up); then the
    shard's FIRST documents for that query, by relevance, and their scores as
    the page has them (its sums, in the same order, times the shard's `scale`).
    The words: each term in FAMILY_FROM documents of the shard or more, and
    each beginning (PREFIX_FROM letters or more) of two such terms that is not
    one of them (in the benchmark's vocabulary "the", which begins "their" and
    "there" but is no word of it, or a term of fewer articles).  A term
    shorter than PREFIX_FROM is a word that matches itself alone ("of", "us"):
    its family is itself.

    The page reads a word in most articles a few shards at a time, the shards
    of the highest bound first, and stops once no shard left can score more
    than its results: without this, its bound adds up the tops of the split
    terms that begin with the word, which no document reaches, and at a
    million articles "the" was read whole.  Not the top's 4095ths: the top of
    a word in every article ("and") is 1, far above its best.  With the first
    documents, the page shows the first results of such a word without reading
    its postings at all (first_documents).

    `kept`: the family_bests of the shard as it was, of as many documents and
    the same scale, and the terms whose postings changed since: a word none of
    whose terms changed keeps its family (a change to one article changes a
    few hundred terms of its shard, and the sums take a second at 100,000
    articles).  Where those terms changed in `kept`'s one changed document's
    level alone, the family is its last with that document's score worked
    out again, where that tells the first documents (_family_moved)."""
    ordered = sorted(index, key=term_order)
    keys = [term_order(term) for term in ordered]
    common = [term for term in ordered if len(index[term][0]) >= FAMILY_FROM]
    beginnings = Counter(word for term in common for word in beginnings_of(term))
    # A beginning that is a rare term of the shard too ("stat" of one article, before
    # "state" and "statement") has its family: else the page reads the shard's postings.
    listed = set(common)
    words = [*common, *(word for word, count in beginnings.items() if count >= 2 and word not in listed)]
    families: dict[str, Family] = {}
    changed = {word for term in kept[1] for word in _extended_by(term)} if kept else set()
    one = kept[2] if kept else None
    # The words some of whose terms changed otherwise: in their number of documents or top.
    unsafe = {word for term in kept[1] - one.spliced for word in _extended_by(term)} if kept and one else changed
    for word in words:
        if kept is not None and word not in changed and word in kept[0]:
            families[word] = kept[0][word]
            continue
        if len(word) < PREFIX_FROM:
            terms = [word]  # a term: the beginnings listed are longer
        else:
            at = bisect.bisect_left(keys, term_order(word))
            end = at
            while end < len(ordered) and ordered[end].startswith(word):
                end += 1
            terms = ordered[at:end]
        if kept is not None and one is not None and word not in unsafe and word in kept[0]:
            moved = _family_moved(kept[0][word], word, terms, index, one, scale)
            if moved is not None:
                families[word] = moved
                continue
        numbers: Sequence[int] = range(documents)
        if len(terms) == 1:  # the word alone: its own scores, not an array of every document's
            numbers, (top, term_levels) = index[word][0], levels[word]
            unit = _level_unit(top, len(numbers))
            scores = [(level + 1) * unit for level in term_levels]
        else:
            length = _js_length(word)
            scores = [0.0] * documents
            # As offline-search.js sums them, term by term in term order, so that the
            # scores of the first documents are the page's to the last bit.
            for term in terms:
                term_numbers = index[term][0]
                top, term_levels = levels[term]
                unit = _level_unit(top, len(term_numbers))
                weight = 1.0 if term == word else length_bonus(_js_length(term) - length)
                for number, level in zip(term_numbers, term_levels, strict=True):
                    scores[number] += (level + 1) * unit * weight
        best, first = first_documents(numbers, scores, scale, FIRST)
        held = len(numbers) if len(terms) == 1 else documents - scores.count(0.0)
        families[word] = [rounded_up(best), held, *(value for pair in first for value in pair)]
    return dict(sorted(families.items()))


def beginnings_of(term: str) -> list[str]:
    """The words shorter than `term` that a query's word extends to it: its
    beginnings of PREFIX_FROM letters or more, shortest first."""
    return [term[:n] for n in range(PREFIX_FROM, len(term))]


def _extended_by(term: str) -> list[str]:
    """The words whose family `term` is in: itself, and its beginnings_of."""
    return [*beginnings_of(term), term]


def _family_moved(
    family: Family, word: str, terms: list[str], index: dict[str, Postings], one: OneChanged, scale: float,
) -> Family | None:
    """The family_bests of `word`, of the terms `terms`, from `family`, what it
    was, where only `one`'s postings changed, in their levels alone (the others
    scored as they were, its number of terms of the family the same): None
    where the first documents, or the best, are not known so (it leaves the
    first documents, of which it was the last, or all of them score the same)."""
    length = _js_length(word)

    def score(number: int, own: Iterable[str]) -> float:
        # As family_bests sums it, term by term in term order: the same to the last bit.
        total = 0.0
        for term in own:
            numbers = index[term][0]
            at = bisect.bisect_left(numbers, number)
            if at == len(numbers) or numbers[at] != number:
                continue
            top, level = _level_at(one.encoded[term], at)
            unit = _level_unit(top, len(numbers))
            if len(terms) == 1:
                return (level + 1) * unit
            total += (level + 1) * unit * (1.0 if term == word else length_bonus(_js_length(term) - length))
        return total

    # The family of a word shorter than PREFIX_FROM is itself alone (see _extended_by).
    own = [term for term in one.terms if term == word or (len(word) >= PREFIX_FROM and term.startswith(word))]
    changed = one.number, score(one.number, own) * scale
    first = [(int(family[at]), family[at + 1]) for at in range(2, len(family), 2)]
    others = [entry for entry in first if entry[0] != changed[0]]

    def order(entry: tuple[int, float]) -> tuple[float, int]:  # as first_documents orders them
        return -entry[1], entry[0]

    if len(first) < FIRST:  # every document of the word: the changed one among them
        if len(others) == len(first):
            return None
        first = sorted([*others, changed], key=order)
    elif len(others) < len(first):
        if order(changed) > order(first[-1]):  # the next after the first documents is not known
            return None
        first = sorted([*others, changed], key=order)
    elif order(changed) < order(first[-1]):
        first = sorted([*first, changed], key=order)[:FIRST]
    # The best, before it is scaled: of those whose scaled score is the first's.
    tied = [number for number, value in first if value == first[0][1]]
    if len(tied) == FIRST:
        return None
    best = max(score(number, terms) for number in tied)
    return [rounded_up(best), family[1], *(value for entry in first for value in entry)]


def _level_at(encoded: str, position: int) -> tuple[int, int]:
    """The top of encoded postings (encode_postings), and the level of its posting at `position`."""
    if encoded[0] == "!":
        at = 3 + 2 * position
        return (DIGIT_VALUE[encoded[1]] * 64 + DIGIT_VALUE[encoded[2]],
                DIGIT_VALUE[encoded[at]] * 64 + DIGIT_VALUE[encoded[at + 1]])
    return DIGIT_VALUE[encoded[0]] * 64 + DIGIT_VALUE[encoded[1]], DIGIT_VALUE[encoded[2 + position]]


def _level_unit(top: int, documents: int) -> float:
    """A level's share of the shard's best, as the page's decode reads it back
    from a term's top and its number of documents (computed as it computes it)."""
    return top / (TOPS - 1) / (WIDE_LEVELS if documents >= WIDE_FROM else LEVELS)


def first_documents(
    numbers: Sequence[int], scores: Sequence[float], scale: float, count: int,
) -> tuple[float, list[tuple[int, float]]]:
    """The best of `scores` (of the documents `numbers`), and the `count`
    documents of the highest scores above 0, by score times `scale` as the
    page orders them: the higher first, then the lower number."""
    largest = heapq.nlargest(count, scores)
    if not largest:
        return 0.0, []
    # A score below the count-th by more than rounding cannot come first once scaled.
    least = largest[-1] * (1 - 1e-12)
    found = sorted(((scores[i] * scale, numbers[i]) for i in compress(range(len(scores)), map(least.__le__, scores))
                    if scores[i] > 0), key=lambda item: (-item[0], item[1]))
    return largest[0], [(n, score) for score, n in found[:count]]


# A family's best is written in FAMILY_DIGITS significant digits, rounded up
# by rounded_up: the page takes it as a bound, and divided by FAMILY_SLACK as
# the least score of the shard's best document.
FAMILY_DIGITS = 4
FAMILY_SLACK = 1.002


def rounded_up(value: float) -> float:
    """`value` in FAMILY_DIGITS significant digits, at or above it (the page's
    sums may differ in their last bits), and below FAMILY_SLACK times it."""
    return float(f"{value * 1.001:.{FAMILY_DIGITS}g}")


def record_files(docs: Sequence[SearchDocument], shard: str) -> dict[str, str]:
    """The records of one shard's documents, DOCS_PER_CHUNK a file: {path
    relative to the site root: script text}."""
    return {made.path: made.text for made in records_made(docs, shard) if made.text is not None}


@dataclass(frozen=True)
class RecordsFile:
    """A file of records of a shard (records_made)."""

    path: str  # relative to the site root
    first: int  # the number of its first document
    text: str | None  # None where the last build's is kept
    source: str  # the digest of its records as JSON
    digest: str  # of its text


def records_made(
    docs: Sequence[SearchDocument], shard: str, kept: Mapping[str, tuple[str, str]] | None = None,
    sources: Sequence[str] | None = None,
) -> Iterator[RecordsFile]:
    """The files of records of one shard's documents, DOCS_PER_CHUNK a file;
    of those whose records are as they were (`kept`: by path, the digests of
    the records and of the text of the last build's files), none made again:
    a change to one article packs one file again, not the shard's.  With
    `sources` (records_sources), what each file's records are made from
    stands for them, and the documents of a file kept are not read."""
    def plain(first: int) -> str:
        return json.dumps(records(docs[first : first + DOCS_PER_CHUNK]), ensure_ascii=False, separators=(",", ":"))

    for first, name in records_paths(len(docs), shard):
        made: str | None = None
        if sources is not None:
            source = sources[first // DOCS_PER_CHUNK]
        else:
            made = plain(first)
            source = digest(made)
        last = kept.get(name) if kept else None
        if last is not None and last[0] == source:
            yield RecordsFile(name, first, None, source, last[1])
            continue
        text = _script("docs", f"{shard}/", first, _packed(made if made is not None else plain(first)))
        yield RecordsFile(name, first, text, source, digest(text))


def records_paths(documents: int, shard: str) -> Iterator[tuple[int, str]]:
    """(first document, path relative to the site root) of each file of records of a shard of `documents`."""
    folder = shard_folder(shard)
    for first in range(0, documents, DOCS_PER_CHUNK):
        yield first, f"{folder}docs/{first // DOCS_PER_CHUNK}.js"


def records_sources(texts: Sequence[str]) -> list[str]:
    """What each file of records of a shard is made from, from the texts of its
    documents' entries (cache.entry_text: the address and the digest of the
    article's file, which stands for all of the article), DOCS_PER_CHUNK a
    file: the build's key holds the rest (the site's language, this code)."""
    return [digest("\n".join(texts[first : first + DOCS_PER_CHUNK])) for first in range(0, len(texts), DOCS_PER_CHUNK)]


def shard_numbers(shards: int) -> list[int]:
    """The numbers of `shards` shards listed newest first, as the chunks of
    terms name them: their places counted from the oldest.  A newer shard
    leaves the numbers of the older as they were, and so the files of a set of
    older shards' terms (the page turns them into places in the list)."""
    return list(range(shards - 1, -1, -1))


TERMS = "terms"  # the set of chunks of terms of every shard (or of the older years' shards)


def term_files(
    name: str, postings: Sequence[Iterable[tuple[str, str]]], numbers: Sequence[int],
    families: Sequence[Mapping[str, Family]] = (),
) -> Iterator[tuple[str | None, str, str]]:
    """The set of chunks of terms `name` (in FOLDER + name + "/"), from the
    (term, postings) in term order of each of its shards, whose numbers are
    `numbers` (shard_numbers), and the family_bests of each (none
    known where not given): (key, path relative to the site root, script
    text) of each chunk, each followed by the files of its split term, whose
    key is None."""
    for chunk in set_files(name, merged(postings, numbers), dict(zip(numbers, families, strict=False))):
        yield chunk.key, chunk.path, chunk.text
        yield from ((None, path, text) for path, text in chunk.split)


# A file name holds a key or a term as its UTF-16 code units in hex (four
# digits each), as the page names the chunk of a key (chunkName in
# offline-search.js); a longer one is cut to NAME_UNITS units, well within the
# 255 bytes a file name may have.
NAME_UNITS = 48


def _units_hex(text: str) -> str:
    return text.encode("utf-16-be")[: 2 * NAME_UNITS].hex()


def _long(key: str) -> bool:
    return 2 * len(key) > NAME_UNITS and len(term_order(key)) > 2 * NAME_UNITS


def chunk_path(name: str, key: str, run: int = 0) -> str:
    """The file of the chunk of key `key` in the set `name`, relative to FOLDER,
    without ".js": "k" and its key, so that a chunk made again where terms
    changed leaves the others' names as they were.  A key longer than
    NAME_UNITS has `run`, the number of keys just before it cut to the same
    beginning, after it (chunk_run)."""
    named = f"{name}/k{_units_hex(key)}"
    return f"{named}-{run}" if _long(key) else named


def chunk_run(previous: tuple[str, int] | None, key: str) -> int:
    """The run (chunk_path) of the chunk of key `key`, after the chunk of key and run `previous`."""
    if previous is None or not _long(key) or not _long(previous[0]) or _units_hex(key) != _units_hex(previous[0]):
        return 0
    return previous[1] + 1


def split_file(term: str, number: int) -> str:
    """The name in its set of the file `number` of the split term `term` (0 its
    whole postings, then its parts), after "s": the term's, so that a term
    split again leaves the names of the others' files as they were."""
    if len(term_order(term)) <= 2 * NAME_UNITS:
        return f"{_units_hex(term)}-{number}"
    return f"{hashlib.blake2b(term.encode('utf-8'), digest_size=16).hexdigest()}-{number}"


@dataclass(frozen=True)
class ChunkFile:
    """A chunk of terms of a set, as written, and the files of its split term."""

    key: str
    path: str  # relative to the site root
    text: str
    first: str  # its first and last terms
    last: str
    split: tuple[tuple[str, str], ...] = ()  # of a split term alone in it: (path, text) of each of its files
    opens: bool = False  # a split term with first documents: _whole_families holds the terms that begin it

    def state(self) -> ChunkState:
        return ChunkState(self.key, self.path, self.first, self.last, digest(self.text),
                          tuple((path, digest(text)) for path, text in self.split), self.opens)


def digest(text: str) -> str:
    """What the state of a set keeps of each of its files: enough to tell the file from another."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()


@dataclass(frozen=True)
class ChunkState:
    """What the state of a set keeps of one chunk (see ChunkFile)."""

    key: str
    path: str
    first: str
    last: str
    digest: str
    split: tuple[tuple[str, str], ...] = ()  # (path, digest) of each file of its split term
    opens: bool = False

    def files(self) -> tuple[tuple[str, str], ...]:
        """(path, digest) of its file and of each file of its split term."""
        return ((self.path, self.digest), *self.split)


def set_files(
    name: str, entries: Iterable[tuple[str, InShards]], families: Mapping[int, Mapping[str, Family]],
    after: str | None = None, before: Iterable[str] = (), after_key: tuple[str, int] | None = None,
    received: list[str] | None = None,
) -> Iterator[ChunkFile]:
    """The chunks of the set `name` of the merged `entries` (term, [shard,
    postings, ...]) in term order, with the family_bests of each shard by its
    place: all of the set's, or a run of its chunks, `after` the last term of
    the chunk before them, whose key and run are `after_key` (chunk_run), and
    `before` the split terms before them.  `received`, if given, holds the
    last term cut into chunks: once a chunk is made, the first of the next
    (entries may be held back before, see _whole_families)."""
    split: list[tuple[str, str, str]] = []
    sized = _whole_families(_split_terms(name, entries, split, families, before))
    if received is not None:
        sized = _noted(sized, received)
    previous = after_key
    for key, members in _chunks(sized, CHUNK_BYTES, after):
        run = chunk_run(previous, key)
        previous = key, run
        path = chunk_path(name, key, run)
        terms = list(members)
        alone = members[terms[0]] if len(terms) == 1 else None
        files = tuple((p, t) for term, p, t in split if isinstance(alone, dict) and term == terms[0])
        if files:
            split[:] = [file for file in split if file[0] != terms[0]]
        yield ChunkFile(key, f"{FOLDER}{path}.js", _terms_script(path, members), terms[0] if terms else "",
                        terms[-1] if terms else "", files, isinstance(alone, dict) and bool(alone.get("first")))


def _noted(
    entries: Iterable[tuple[str, InShards | Split, int]], received: list[str],
) -> Iterator[tuple[str, InShards | Split, int]]:
    for entry in entries:
        received[:] = [entry[0]]
        yield entry


def set_version(chunks: Iterable[ChunkState]) -> str:
    """The version of a set of terms from the state of its chunks: a change to any of its files changes it."""
    return files_version(f"{path} {made}" for chunk in chunks for path, made in chunk.files())


def _terms_script(name: str, members: dict[str, InShards | Split] | InShards) -> str:
    # Words from articles in escapes: read the same whatever encoding a host names for the file.
    chunk = json.dumps(members, separators=(",", ":"))
    # A word in most articles, alone in its chunk or in a file of its split postings: they
    # may be runs of the same digits, which packing shortens several times.  Tried by the
    # quickest deflate first, as most gain little, and packing all of them took seconds.
    sample = chunk[:PACK_SAMPLE]
    if (len(members) == 1 or isinstance(members, list)) and len(chunk) > CHUNK_BYTES \
            and len(zlib.compress(sample.encode("ascii"), 1)) * 4 / 3 <= (1 - PACK_SAVING) * len(sample):
        chunk = json.dumps(pack(members))
    return f"{REGISTER}.terms({json.dumps(name)},{chunk});\n"


def _split_terms(
    name: str, entries: Iterable[tuple[str, InShards]], files: list[tuple[str, str, str]],
    families: Mapping[int, Mapping[str, Family]], before: Iterable[str] = (),
) -> Iterator[tuple[str, InShards | Split, int]]:
    """The entries with their sizes (_entry_size), each term of more than
    SPLIT_BYTES split: its files (the whole, then parts of a run of shards
    each) added to `files` as (path, script text), and its entry the Split
    that names them, with its family's best in each shard from `families`
    (family_bests, by shard number), and the family's best in each shard of
    each word that begins it and has no split entry of its own, in the first
    split term it begins; `before`, the split terms of the set before the
    entries, where they do not begin it.  A split term's files are added as
    (term, path, text)."""
    in_order: list[tuple[int, Mapping[str, Family]]] | None = None  # read once a term is split
    split_terms: set[str] = set(before)
    beginnings_listed = {word for term in before for word in beginnings_of(term)}
    for term, value in entries:
        entry = _entry_size(term, value)  # once: a pass over every shard's postings of every term
        if entry <= SPLIT_BYTES:
            yield term, value, entry
            continue
        split_terms.add(term)
        runs: list[InShards] = [[]]
        size = 0  # of the last run, as JSON
        places: list[int] = []
        tops: list[int] = []
        counts: list[int] = []
        bests: list[float] = []
        held: list[int] = []
        for shard, postings in zip(value[::2], value[1::2], strict=True):
            top, documents = postings_head(str(postings))
            tops.append(top)
            counts.append(documents)
            family = families.get(int(shard), {}).get(term)
            bests.append(family[0] if family else UNKNOWN_BEST)
            held.append(int(family[1]) if family else UNKNOWN_COUNT)
            written = len(str(postings)) + 8  # quotes, commas and the shard's number
            if runs[-1] and size + written > PART_BYTES:
                runs.append([])
                size = 0
            runs[-1] += [shard, postings]
            size += written
            places += [int(shard), len(runs)]  # the whole is file 0
        listed: list[list[int | str]] = []
        for number, part in enumerate((value, *runs)):
            path = f"{name}/{SPLIT_FILE}{split_file(term, number)}"
            text = _terms_script(path, part)
            files.append((term, f"{FOLDER}{path}.js", text))
            listed.append([split_file(term, number), len(text)])
        split: Split = {"files": listed, "shards": places, "tops": tops, "counts": counts, "family": bests,
                        "familyCounts": held}
        first = first_of(term, (int(shard) for shard in value[::2]), families)
        if first:
            split["first"] = first
        beginnings: dict[str, list[float]] = {}
        firsts: dict[str, list[float]] = {}
        if in_order is None:
            in_order = sorted(families.items())
        for word in beginnings_of(term):
            # Its terms sort before this one: a word that is a split term is known by now.
            if word in split_terms or word in beginnings_listed:
                continue
            beginnings_listed.add(word)
            found = [value for number, bests_there in in_order if word in bests_there
                     for value in (number, *bests_there[word][:2])]
            if found:
                beginnings[word] = found
                firsts[word] = first_of(word, found[::3], families)
        if beginnings:
            split["beginnings"] = beginnings
            split["firsts"] = firsts
        yield term, split, _entry_size(term, split)


# The most bytes of entries held back while the terms that begin with a split
# term are met (_whole_families): a few times those of "for" at a million articles.
WHOLE_BYTES = 4_000_000


def _whole_families(entries: Iterable[tuple[str, InShards | Split, int]]) -> Iterator[tuple[str, InShards | Split, int]]:
    """The entries, each split term with first documents marked "whole" where
    every shard that has a term beginning with it is among those it lists the
    first documents of: the page then reads its chunk alone for its first
    results, not the chunks of the rarer terms after it ("for": "forage",
    "forbade", ..., some twenty chunks at a million articles).  The entries
    from a split term to the last that begins with it are held back until
    that one is known (WHOLE_BYTES at most)."""
    held: list[tuple[str, InShards | Split, int]] = []
    opened: list[_Range] = []  # split terms whose ranges are open
    size = 0
    for term, value, entry in entries:
        while opened and not term.startswith(opened[-1].term):
            opened.pop().close()
        if not opened and held:
            yield from held
            held, size = [], 0
        if not opened and not isinstance(value, dict):
            yield term, value, entry
            continue
        shards = cast(list[int], value["shards"] if isinstance(value, dict) else value)[::2]
        for range_ in opened:
            range_.whole = range_.whole and range_.covered.issuperset(shards)
        if isinstance(value, dict) and value.get("first"):
            bests = value["family"]
            assert isinstance(bests, list)
            covered = {shard for shard, best in zip(shards, bests, strict=True) if best != UNKNOWN_BEST}
            opened.append(_Range(term, value, covered, len(covered) == len(shards)))
        if not opened:  # a split term without first documents, and no range open
            yield term, value, entry
            continue
        held.append((term, value, entry))
        size += entry
        if size > WHOLE_BYTES:  # too far to wait for: not marked
            opened.clear()
            yield from held
            held, size = [], 0
    while opened:
        opened.pop().close()
    yield from held


@dataclass
class _Range:
    """A split term with first documents, while the terms that begin with it are met."""

    term: str
    entry: Split
    covered: set[int]  # the shards of its first documents
    whole: bool  # every shard of the terms met so far is covered

    def close(self) -> None:
        if self.whole:
            self.entry["whole"] = True


def first_of(word: str, shards: Iterable[float], families: Mapping[int, Mapping[str, Family]]) -> list[float]:
    """The FIRST documents for a query of `word` of those of `shards` whose
    family_bests have it (the shards whose family's best the page knows), in
    the page's order: [shard, number, score, ...]."""
    found: list[tuple[float, int, int]] = []
    for shard in shards:
        family = families.get(int(shard), {}).get(word)
        if family:
            found += ((score, int(shard), int(number)) for number, score in zip(family[2::2], family[3::2], strict=True))
    # Documents are numbered newest first, shard after shard, and shards from the oldest
    # (shard_numbers): of equal scores, the higher number's, the newer shard's, first.
    found.sort(key=lambda item: (-item[0], -item[1], item[2]))
    return [value for score, shard, number in found[:FIRST] for value in (shard, number, score)]


def records_version(files: dict[str, str]) -> str:
    """The version of a shard's records' files (record_files), by path."""
    return records_version_of({path: digest(text) for path, text in files.items()})


def records_version_of(digests: Mapping[str, str]) -> str:
    """The version of a shard's records' files from the digests of their texts, by path."""
    return files_version(f"{path} {made}" for path, made in sorted(digests.items()))


class FilesVersion:
    """Stands for the content of a set of files: a page served the index asks
    for each chunk at an address that carries its version, so that a browser
    or a CDN that keeps files a while never gives an old chunk with a new list.
    Made text by text as the files are written: a set of a million articles'
    terms is a gigabyte, never held whole."""

    def __init__(self) -> None:
        self._digest = hashlib.blake2b(digest_size=6)
        self._empty = True

    def add(self, text: str) -> None:
        self._digest.update(b"" if self._empty else b"\0")  # the texts joined by NULs
        self._digest.update(text.encode("utf-8"))
        self._empty = False

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def files_version(texts: Iterable[str]) -> str:
    """The FilesVersion of `texts`."""
    version = FilesVersion()
    for text in texts:
        version.add(text)
    return version.hexdigest()


def list_file(
    shards: Sequence[tuple[str, dict[str, object]]], sets: Sequence[tuple[str, list[str], str]], language: str = "en",
) -> tuple[str, str]:
    """The list of shards, from each shard's name and head (ShardIndex.head),
    newest first, and of the sets of chunks of terms, (name, keys, version)
    each: (path relative to the site root, script text)."""
    listed, first = [], 0
    for name, head in shards:
        listed.append({"path": f"{name}/", "first": first, **head})
        first += int(head["documents"])  # type: ignore[call-overload]
    # Packed too: every query reads it, and at 100,000 articles its keys are 30 KB as JSON.
    return f"{FOLDER}index.js", _script("index", pack({
        "shards": listed,
        "sets": [{"folder": f"{name}/", "keys": keys, "version": version} for name, keys, version in sets],
        "perChunk": DOCS_PER_CHUNK, "stemmer": stemmer_for(language),
    }))


def index_files(
    shards: Sequence[tuple[str, dict[str, object]]], postings: Sequence[Iterable[tuple[str, str]]], language: str = "en",
    families: Sequence[Mapping[str, Family]] = (),
) -> Iterator[tuple[str, str]]:
    """The files of the whole site's terms, in one set, and its list of shards,
    from each shard's name and head, newest first, its (term, postings) in
    term order and its family_bests: (path relative to the site root, script
    text), the list last."""
    made = []
    numbers = shard_numbers(len(shards))
    for chunk in set_files(TERMS, merged(postings, numbers), dict(zip(numbers, families, strict=False))):
        made.append(chunk.state())
        yield chunk.path, chunk.text
        yield from chunk.split
    yield list_file(shards, [(TERMS, [chunk.key for chunk in made], set_version(made))], language)


def site_files(shards: Sequence[tuple[str, Sequence[SearchDocument]]], language: str = "en") -> dict[str, str]:
    """The whole offline index of `shards` (name, documents), newest first,
    made at once: {path relative to the site root: script text}."""
    files: dict[str, str] = {}
    made = []
    for name, docs in shards:
        records = record_files(docs, name)
        files.update(records)
        made.append((name, replace(shard_index(docs), version=records_version(records))))
    files.update(index_files([(name, made.head()) for name, made in made], [made.in_order() for _, made in made], language,
                             [made.families for _, made in made]))
    return files


def records(docs: Sequence[SearchDocument]) -> list[list[str]]:
    """What the page shows of each document: [title, date, url, text, language,
    direction, date as written].  The whole text, from which the page cuts the
    passage that matched the query."""
    return [[d.title, d.date, d.url, d.body, d.language, d.direction, d.date_text] for d in docs]


def pack(data: object) -> str:
    """JSON, deflated (raw, as the browser's DecompressionStream("deflate-raw")
    reads it) and in base64: a chunk of records takes a little over half its
    size as JSON."""
    return _packed(json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def _packed(plain: str) -> str:
    """pack of data already JSON."""
    # Level 6: level 9 takes a quarter longer over texts for a file smaller by 0.03 %.
    packer = zlib.compressobj(6, zlib.DEFLATED, -15, 9)
    return base64.b64encode(packer.compress(plain.encode("utf-8")) + packer.flush()).decode("ascii")


def unpack(packed: str) -> object:
    return json.loads(zlib.decompress(base64.b64decode(packed, validate=True), -15).decode("utf-8"))


def month_starts(dates: Iterable[str]) -> list[list[str | int]]:
    """[["2023-04", first document], ...] of documents of ISO `dates`: documents
    are newest first, so each month is a run, and the page finds any
    document's month (for the year and month filters and their counts) from
    this list alone."""
    starts: list[list[str | int]] = []
    for number, date in enumerate(dates):
        month = date[:7]
        if not starts or starts[-1][0] != month:
            starts.append([month, number])
    return starts


def shard_folder(shard: str) -> str:
    """Where the records of a shard are, relative to the site root."""
    return f"{FOLDER}{shard}/"


# A shard's postings kept between builds (in the cache folder): a shard that is
# not made again still gives its terms to the index of the whole site.


def write_shard(path: Path, shard: ShardIndex) -> None:
    """The head, its family_bests, then a line "term<TAB>postings" for each
    term in term order, gzipped."""
    with gzip.open(path, "wt", encoding="utf-8", newline="\n", compresslevel=1) as out:
        out.write(json.dumps(shard.head(), separators=(",", ":")) + "\n")
        out.write(json.dumps(shard.families, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n")
        out.writelines(f"{term}\t{encoded}\n" for term, encoded in shard.in_order())


def read_shard(path: Path, scoring: Scoring | None = None) -> ShardIndex:
    """A shard as write_shard kept it (but its months), and its `scoring`, kept apart."""
    with gzip.open(path, "rt", encoding="utf-8", newline="\n") as kept:
        head = json.loads(kept.readline())
        families = json.loads(kept.readline())
        postings = dict(chain.from_iterable(_blocks(kept)))
    return ShardIndex(int(head["documents"]), float(head["scale"]), [], postings, str(head.get("version", "")),
                      families, scoring)


def read_head(path: Path) -> dict[str, object]:
    with gzip.open(path, "rt", encoding="utf-8", newline="\n") as kept:
        head: dict[str, object] = json.loads(kept.readline())
        return head


def read_families(path: Path) -> dict[str, Family]:
    with gzip.open(path, "rt", encoding="utf-8", newline="\n") as kept:
        kept.readline()
        families: dict[str, Family] = json.loads(kept.readline())
        return families


READ_BLOCK = 1 << 20  # characters of a shard's kept postings read at a time, then whole lines


def read_postings(path: Path) -> Iterator[tuple[str, str]]:
    """A shard's (term, postings) as write_shard wrote them, read as they are used."""
    return chain.from_iterable(_postings_blocks(path))


def _postings_blocks(path: Path) -> Iterator[Iterator[tuple[str, str]]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="\n") as kept:
        kept.readline()
        kept.readline()
        yield from _blocks(kept)


def _blocks(kept: TextIO) -> Iterator[Iterator[tuple[str, str]]]:
    # Whole lines a block, split by str methods: a loop over each line took
    # a third of the time a set of terms takes.  Terms and postings hold no
    # tab or line break.
    while text := kept.read(READ_BLOCK):
        fields = (text + kept.readline()).replace("\t", "\n").split("\n")
        yield zip(fields[0:-1:2], fields[1:-1:2], strict=True)
