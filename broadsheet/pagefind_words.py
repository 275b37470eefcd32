"""Pagefind's word index chunks, with their pages numbered again, read and
written as bytes.

A chunk (the CBOR inside a `.pf_index` file, after its signature) is
[[word entry…]]; a word entry is [word, pages, variants], a variant (the word
as written with accents) [form, pages]; pages is a list of page entries
[page number, locations, metadata locations] in rising order of page number,
each number written as the difference from the one before (the first from 0).

The word index is most of a bundle (20 MB of CBOR for 5,000 articles, 1.7
million page entries), and decoding it into Python objects and encoding it
again took longer than the Pagefind run.  So only the words and the headers of
the lists are read here, in Python; the page entries of a word are cut apart by
a regular expression, and everything but the page numbers is copied as it is.
A chunk that is not laid out exactly so (every byte accounted for, every count
as its header says) is refused with ValueError.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from itertools import accumulate, chain, repeat
from operator import itemgetter, sub

_BYTE = rb"[\x00-\xff]"
_UNSIGNED = rb"(?:[\x00-\x17]|\x18" + _BYTE + rb"|\x19" + _BYTE + rb"{2}|\x1a" + _BYTE + rb"{4})"
_INTEGER = rb"(?:[\x00-\x17\x20-\x37]|[\x18\x38]" + _BYTE + rb"|[\x19\x39]" + _BYTE + rb"{2}|[\x1a\x3a]" + _BYTE + rb"{4})"
# A list of integers whose length is in its header: one alternative for each
# length up to 255, the shortest first (most words are at a few places of a page).
_INTEGERS = (
    rb"(?:"
    + rb"|".join(re.escape(bytes([0x80 + n])) + _INTEGER + b"{%d}" % n for n in range(24))
    + rb"|"
    + rb"|".join(rb"\x98" + re.escape(bytes([n])) + _INTEGER + b"{%d}" % n for n in range(24, 256))
    + rb")"
)
_ENTRY_PARTS = (rb"\x83", _UNSIGNED, _INTEGERS + _INTEGERS)


@functools.cache
def _patterns() -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """An entry cut in two (its page number, and the rest, copied as it is),
    and a list of entries: compiled when first used, not when imported (a
    quarter of a second, which every build without search paid)."""
    entries = re.compile(_ENTRY_PARTS[0] + rb"(" + _ENTRY_PARTS[1] + rb")(" + _ENTRY_PARTS[2] + rb")")
    page_list = re.compile(rb"(?:" + b"".join(_ENTRY_PARTS) + rb")*")
    return entries, page_list


_SMALL = 1 << 16
_WIDE = b"\x1a"  # the header of a number from 2^16 to 2^32


@functools.cache
def _numbers() -> tuple[list[bytes], dict[bytes, int]]:
    """The encoding of each number below _SMALL, and the number of each:
    made when first used, not when imported (by every build, with Pagefind or not)."""
    encoded = [bytes([n]) if n < 24 else b"\x18" + bytes([n]) if n < 256 else b"\x19" + n.to_bytes(2, "big")
               for n in range(_SMALL)]
    return encoded, {code: n for n, code in enumerate(encoded)}


def _encode(number: int) -> bytes:
    return _numbers()[0][number] if number < _SMALL else _WIDE + number.to_bytes(4, "big")


def _decode(encoded: bytes) -> int:
    if len(encoded) == 5 and encoded[:1] == _WIDE and encoded[1:3] != b"\0\0":
        return int.from_bytes(encoded[1:], "big")
    return _numbers()[1][encoded]  # KeyError for any other header, or a number not written in its shortest form


def _renumber_named(reader: _Reader, data: bytes, out: list[bytes], new_of: Sequence[int], head: int, what: str) -> None:
    """A word or one of its variants: its list head and text as they are, then its pages renumbered."""
    start = reader.pos
    if reader.byte() != head:
        raise ValueError(what)
    reader.text()
    out.append(data[start : reader.pos])
    out.append(_renumber_pages(reader, new_of))


def renumber_chunk(data: bytes, new_of: Sequence[int]) -> bytes:
    """The chunk `data` with page number n written as new_of[n] and each word's
    page entries in the new order."""
    reader = _Reader(data)
    if reader.byte() != 0x81:
        raise ValueError("a word index chunk is not a list of one list")
    words = reader.header(0x80)
    out = [data[: reader.pos]]
    for _ in range(words):
        _renumber_named(reader, data, out, new_of, 0x83, "a word entry is not a list of three")
        start = reader.pos
        variants = reader.header(0x80)
        out.append(data[start : reader.pos])
        for _ in range(variants):
            _renumber_named(reader, data, out, new_of, 0x82, "a variant is not a list of two")
    if reader.pos != len(data):
        raise ValueError("bytes after the word index chunk")
    return b"".join(out)


def _renumber_pages(reader: _Reader, new_of: Sequence[int]) -> bytes:
    header_start = reader.pos
    count = reader.header(0x80)
    start = reader.pos
    entries = _page_entries(reader, count)
    # Whole lists at a time (map, sorted, join): this runs for every page entry.
    deltas = list(map(itemgetter(0), entries))
    encoded, decoded = _numbers()
    try:
        try:
            old = accumulate(map(decoded.__getitem__, deltas))
            numbers = list(map(new_of.__getitem__, old))
        except KeyError:
            numbers = list(map(new_of.__getitem__, accumulate(map(_decode, deltas))))
    except (KeyError, IndexError):
        raise ValueError("a page number out of range, or not written in its shortest form") from None
    order = sorted(range(count), key=numbers.__getitem__)
    rising = [numbers[index] for index in order]
    steps = map(encoded.__getitem__ if len(new_of) <= _SMALL else _encode, map(sub, rising, [0, *rising[:-1]]))
    rests = map(itemgetter(1), map(entries.__getitem__, order))
    return reader.data[header_start:start] + b"".join(chain.from_iterable(zip(repeat(b"\x83"), steps, rests)))


def _page_entries(reader: _Reader, count: int) -> list[tuple[bytes, bytes]]:
    """The `count` page entries at the reader, each as (page number, rest)."""
    start = reader.pos
    entries_pattern, page_list = _patterns()
    match = page_list.match(reader.data, start)
    end = match.end() if match else start
    entries: list[tuple[bytes, bytes]] = entries_pattern.findall(reader.data, start, end)
    if len(entries) == count:
        reader.pos = end
        return entries
    # A list of more than 255 places of a word on a page: read one item at a time.
    entries = []
    for _ in range(count):
        if reader.byte() != 0x83:
            raise ValueError("a page entry is not a list of three")
        number_start = reader.pos
        reader.integer()
        rest_start = reader.pos
        for _list in range(2):
            for _place in range(reader.header(0x80)):
                reader.integer()
        entries.append((reader.data[number_start:rest_start], reader.data[rest_start : reader.pos]))
    return entries


class _Reader:
    """The headers of CBOR items, read in order."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        value = self.data[self.pos]
        self.pos += 1
        return value

    def header(self, major: int) -> int:
        """The length in the header of a list (major 0x80) or text (0x60)."""
        first = self.byte()
        if not major <= first < major + 0x1C:
            raise ValueError(f"byte {first:#x} where a header of {major:#x} was expected")
        small = first - major
        if small < 24:
            return small
        size = 1 << (small - 24)
        value = int.from_bytes(self.data[self.pos : self.pos + size], "big")
        self.pos += size
        return value

    def integer(self) -> None:
        first = self.byte()
        if first & 0xC0 or first & 0x1F > 0x1B:
            raise ValueError(f"byte {first:#x} where an integer was expected")
        if first & 0x1F >= 24:
            self.pos += 1 << ((first & 0x1F) - 24)

    def text(self) -> None:
        length = self.header(0x60)
        self.pos += length
        if self.pos > len(self.data):
            raise ValueError("a word runs past the end of the chunk")
