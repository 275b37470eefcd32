"""A ZIM file once libzim has written it, made final: the ids that libzim and
Xapian draw at random made out of its content, its clusters compressed, and
its checksum made again.

libzim compresses every cluster at zstd's level 19, fixed in the library, on
the threads that also index the articles: at 10,000 articles, a third of the
time the whole file took.  So libzim writes the clusters as they are, and
they are compressed here afterwards, side by side, at the level asked
(`zim-compression`), in place: a compressed cluster is never longer than the
one it replaces, so what is written never reaches what is still to be read.

What is relied on of the file's layout (the openZIM format, as libzim 9
writes it), and checked before anything is changed: the header first, the
clusters one after the other in the order of their list, then the entries,
the list of where each entry is, the list of where each cluster is, and the
checksum last.  Nothing inside a cluster or an entry says where anything is
in the file, so moving the clusters changes only those two lists and the
header."""

from __future__ import annotations

import array
import collections
import hashlib
import struct
import sys
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

# The header: magic, version, id, counts of entries and clusters, where the
# list of entries, the old list of titles, the list of clusters and the
# types are, the main and layout pages, and where the checksum (MD5 of all
# that comes before it) is.
_HEADER = struct.Struct("<IHH16sIIQQQQIIQ")
_MAGIC = 72173914
_UUID = slice(8, 24)
_NONE = (1 << 64) - 1  # a position that is not there
# A cluster's first byte: its compression in the low four bits (1 none, 5
# zstd), the size of its offsets in the fifth.
_COMPRESSION = 0x0F
_UNCOMPRESSED, _ZSTD = 1, 5
# Each index (full text, titles) is a Xapian glass database in an entry of
# its own, which begins with its magic, its version (2 bytes) and an id of
# its own.  Xapian reads it from the file where it is: its cluster is never
# compressed.
_XAPIAN_GLASS = b"\x0f\x0dXapian Glass"
_XAPIAN_HEAD = len(_XAPIAN_GLASS) + 2 + 16
_XAPIAN_TYPE = "application/octet-stream+xapian"

_PIECE = 1 << 24  # bytes read at a time: the file is never held whole (a large archive's is gigabytes)


@dataclass(frozen=True)
class Header:
    magic: int
    major: int
    minor: int
    uuid: bytes
    entries: int
    clusters: int
    entry_list_at: int
    title_list_at: int
    cluster_list_at: int
    types_at: int
    main_page: int
    layout_page: int
    checksum_at: int

    @classmethod
    def read(cls, file: BinaryIO) -> Header:
        file.seek(0)
        data = file.read(_HEADER.size)
        if len(data) < _HEADER.size:
            raise RuntimeError("the ZIM file is shorter than its header")
        header = cls(*_HEADER.unpack(data))
        if header.magic != _MAGIC:
            raise RuntimeError("the ZIM file does not begin as one")
        return header

    def write(self, file: BinaryIO) -> None:
        file.seek(0)
        file.write(_HEADER.pack(*(getattr(self, name) for name in self.__dataclass_fields__)))


def finish(path: Path, level: int, workers: int = 1) -> None:
    """Settle the ids of the ZIM file `path` as written by libzim without
    compression, compress its clusters with zstd at `level`, on `workers`
    threads, and make its checksum again: the same articles, the same bytes."""
    heads = _index_heads(path)
    with open(path, "r+b") as file:
        header = Header.read(file)
        layout = _layout(file, header)
        indexes = []
        for found in _places_of(file, heads, header.checksum_at):
            # The head holds the id drawn at random: it is found once in the file, where its entry is.
            if len(found) != 1:
                raise RuntimeError("the index of the ZIM file is not where libzim wrote it")
            indexes.append(found[0])
        header = _settle_ids(file, header, [at + _XAPIAN_HEAD - 16 for at in indexes])
        header = _compress(file, header, layout, level, workers, kept=indexes)
        file.seek(header.checksum_at)
        file.write(_digest(file, header.checksum_at, hashlib.md5()).digest())
        file.truncate(header.checksum_at + 16)


def _settle_ids(file: BinaryIO, header: Header, places: list[int]) -> Header:
    """The file's id and the indexes' ids made from a digest of the file with
    them blank; the header with its new id."""
    places = [_UUID.start, *places]
    for place in places:
        file.seek(place)
        file.write(bytes(16))
    digest = _digest(file, header.checksum_at, hashlib.sha256()).digest()
    ids = [uuid.UUID(bytes=hashlib.sha256(digest + bytes([n])).digest()[:16], version=4).bytes
           for n in range(len(places))]
    for place, new in zip(places, ids, strict=True):
        file.seek(place)
        file.write(new)
    return replace(header, uuid=ids[0])


@dataclass(frozen=True)
class Layout:
    clusters: array.array[int]  # where each cluster is
    entries: array.array[int]  # where each entry is
    end: int  # where the clusters end: the entries follow the last


def _layout(file: BinaryIO, header: Header) -> Layout:
    """Where the clusters and entries are; raises unless the file is laid out as described above."""
    clusters = _offsets(file, header.cluster_list_at, header.clusters)
    entries = _offsets(file, header.entry_list_at, header.entries)
    end = min(entries, default=header.entry_list_at)
    laid_out = (list(clusters) == sorted(set(clusters)) and (not clusters or clusters[0] >= _HEADER.size)
                and (not clusters or clusters[-1] < end) and all(end <= entry < header.entry_list_at for entry in entries)
                and header.entry_list_at + 8 * header.entries == header.cluster_list_at
                and header.cluster_list_at + 8 * header.clusters == header.checksum_at
                and header.title_list_at in (_NONE, 0) and header.types_at < (clusters[0] if clusters else end))
    if not laid_out:
        raise RuntimeError("the ZIM file is not laid out as libzim 9 writes it")
    return Layout(clusters, entries, end)


def _compress(file: BinaryIO, header: Header, layout: Layout, level: int, workers: int, kept: list[int]) -> Header:
    """Compress in place every cluster that is not compressed yet and holds
    none of the places `kept`, where that makes it a sixteenth smaller or
    more; the header of the file so changed."""
    clusters, entries, end = layout.clusters, layout.entries, layout.end
    bounds = [*clusters, end]
    at = clusters[0] if clusters else end  # where the next cluster goes
    moved = array.array("Q")
    pending: collections.deque[Future[bytes] | tuple[int, int]] = collections.deque()

    def put(item: Future[bytes] | tuple[int, int]) -> None:
        nonlocal at
        moved.append(at)
        if isinstance(item, tuple):
            at = _move(file, *item, at)
        else:
            file.seek(at)
            at += file.write(item.result())

    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="zstd") as pool:
        for start, stop in zip(bounds, bounds[1:], strict=False):
            file.seek(start)
            info = file.read(1)[0]
            if info & _COMPRESSION != _UNCOMPRESSED or any(start <= place < stop for place in kept):
                pending.append((start, stop))
            else:
                file.seek(start)
                pending.append(pool.submit(_compressed, file.read(stop - start), level))
            # Clusters are read ahead of those written, a few at a time: compressed side by side, never all held.
            while len(pending) > 2 * workers:
                put(pending.popleft())
        while pending:
            put(pending.popleft())
    shift = at - end
    if shift == 0:
        return header
    at = _move(file, end, header.entry_list_at, at)
    _write_offsets(file, at, [offset + shift for offset in entries])
    _write_offsets(file, at + 8 * len(entries), moved)
    header = replace(header, entry_list_at=header.entry_list_at + shift,
                     cluster_list_at=header.cluster_list_at + shift, checksum_at=header.checksum_at + shift)
    header.write(file)
    return header


def _compressed(cluster: bytes, level: int) -> bytes:
    """The cluster compressed with zstd, or as it is where that saves less than a sixteenth."""
    import zstandard

    packed = zstandard.ZstdCompressor(level=level).compress(memoryview(cluster)[1:])
    if len(packed) + 1 > len(cluster) - len(cluster) // 16:
        return cluster
    return bytes([cluster[0] & ~_COMPRESSION | _ZSTD]) + packed


def _move(file: BinaryIO, start: int, stop: int, to: int) -> int:
    """Move the bytes from `start` to `stop` to `to`, no later than `start`; where they end."""
    while start < stop:
        file.seek(start)
        piece = file.read(min(_PIECE, stop - start))
        if not piece:
            raise RuntimeError("the ZIM file is shorter than its lists say")
        file.seek(to)
        file.write(piece)
        start, to = start + len(piece), to + len(piece)
    return to


def _offsets(file: BinaryIO, at: int, count: int) -> array.array[int]:
    offsets = array.array("Q")
    file.seek(at)
    data = file.read(8 * count)
    if len(data) != 8 * count:
        raise RuntimeError("the ZIM file is shorter than its lists say")
    offsets.frombytes(data)
    if sys.byteorder == "big":
        offsets.byteswap()  # the file's numbers are little-endian
    return offsets


def _write_offsets(file: BinaryIO, at: int, offsets: Any) -> None:
    written = array.array("Q", offsets)
    if sys.byteorder == "big":
        written.byteswap()
    file.seek(at)
    file.write(written.tobytes())


def _digest(file: BinaryIO, end: int, digest: Any) -> Any:
    """`digest` updated with the first `end` bytes of `file`."""
    file.seek(0)
    left = end
    while left > 0:
        piece = file.read(min(_PIECE, left))
        if not piece:
            raise RuntimeError("the ZIM file is shorter than its header says")
        digest.update(piece)
        left -= len(piece)
    return digest


def _places_of(file: BinaryIO, needles: list[bytes], end: int) -> list[list[int]]:
    """Where each of `needles` begins in the first `end` bytes of `file`, up
    to its second place (one is all finish() takes)."""
    found: list[list[int]] = [[] for _ in needles]
    if not needles:
        return found  # a file without a full-text index: nothing to look for
    overlap = max(len(needle) for needle in needles) - 1
    file.seek(0)
    offset, carried = 0, b""  # the file's offset of `carried`, the end of the piece before
    while offset + len(carried) < end:
        piece = file.read(min(_PIECE, end - offset - len(carried)))
        if not piece:
            break
        window = carried + piece
        for needle, places in zip(needles, found, strict=True):
            at = window.find(needle)
            while at != -1 and len(places) < 2:
                if offset + at not in places:
                    places.append(offset + at)
                at = window.find(needle, at + 1)
        carried = window[-overlap:] if overlap else b""
        offset += len(window) - len(carried)
    return found


def _index_heads(path: Path) -> list[bytes]:
    """The first bytes of each Xapian database in the file, read back with libzim."""
    from libzim.reader import Archive

    archive = Archive(path)
    heads = []
    for i in range(archive.all_entry_count):
        entry = archive._get_entry_by_id(i)
        if not entry.is_redirect and entry.get_item().mimetype == _XAPIAN_TYPE:
            head = bytes(entry.get_item().content[:_XAPIAN_HEAD])
            if head.startswith(_XAPIAN_GLASS):
                heads.append(head)
    return heads
