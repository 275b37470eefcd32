"""Make Pagefind's index the same from one build to the next, on any file system.

Pagefind (1.5) numbers the pages of an index in the order its walk of the site
finds them, which is the order the file system lists each folder in (tmpfs and
ext4 differ), and those numbers are in the metadata, the word index and the
filter indexes.  It also writes the values of each filter, and the sort orders,
in the order of a hash map seeded at random in every run.  Here the pages are
numbered again in the order of their fragment hashes (which Pagefind derives
from each page's content and address, not from the walk), the numbers are
changed wherever they occur, lists are put in order, and the rewritten files are
renamed after their new content.

The files are gzip-compressed CBOR behind a signature.  Every file is decoded
and re-encoded only if that gives back its exact bytes; anything unexpected
leaves the index as Pagefind wrote it (still correct, only not reproducible).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import multiprocessing
import os
import zlib
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import cbor2

from . import pagefind_words, parallel

SIGNATURE = b"pagefind_dcd"
ENTRY = "pagefind-entry.json"
CHUNK_HASH_LENGTH = 7  # hex digits after "<language>_", as Pagefind names them
FILTER_HASH_LENGTH = 7
META_HASH_LENGTH = 10
# Positions in Pagefind's metadata record: [version, pages, index chunks, filters, sorts, meta fields].
META_PAGES = 1
_META_CHUNKS = 2
_META_FILTERS = 3
_META_SORTS = 4
# Level 6 (zlib's default) rather than 9: the word index is most of the bytes,
# and 9 takes several times as long for a file a few per cent smaller.
_COMPRESS_LEVEL = 5
_CHUNKS_A_WORKER = 16  # fewer chunks than that to each worker, and starting it costs more than it saves

Renumbering = list[int]  # old page number → new page number


class Unreadable(Exception):
    """The index is not laid out as this module knows it."""


def stabilise(index: Path) -> bool:
    """Renumber and reorder the Pagefind index in `index` so that it depends only
    on the pages; True when the index was rewritten (or had nothing to rewrite)."""
    try:
        entry_path = index / ENTRY
        entry_text = entry_path.read_text(encoding="utf-8")
        entry = json.loads(entry_text)
        for language, about in sorted(entry["languages"].items()):
            quoted = json.dumps(about["hash"])
            if entry_text.count(quoted) != 1:
                raise Unreadable(f"{ENTRY}: {quoted}")
            new_hash = _stabilise_language(index, language, about["hash"])
            entry_text = entry_text.replace(quoted, json.dumps(new_hash))
        entry_path.write_text(entry_text, encoding="utf-8")
        return True
    except (Unreadable, OSError, LookupError, TypeError, ValueError, cbor2.CBORDecodeError):
        return False


def _stabilise_language(index: Path, language: str, meta_hash: str) -> str:
    meta_path = index / f"pagefind.{meta_hash}.pf_meta"
    meta = read(meta_path)
    if not (isinstance(meta, list) and len(meta) > _META_SORTS):
        raise Unreadable("metadata record")
    pages = meta[META_PAGES]
    new_of = canonical_numbers(pages)
    meta[META_PAGES] = [pages[old] for old in sorted(range(len(pages)), key=new_of.__getitem__)]
    meta[_META_SORTS] = _renumber_sorts(meta[_META_SORTS], new_of)

    # All files are read and checked before any is written, so that a surprise
    # leaves the index whole.
    chunks = meta[_META_CHUNKS]
    if not isinstance(chunks, list) or not all(_is_list_of_text(c, 3) for c in chunks):
        raise Unreadable("index chunk list")
    filters = meta[_META_FILTERS]
    if not isinstance(filters, list) or not all(_is_list_of_text(f, 2) for f in filters):
        raise Unreadable("filter list")
    old_chunks = [index / "index" / f"{hash_}.pf_index" for _from, _to, hash_ in chunks]
    old_filters = {name: index / "filter" / f"{old}.pf_filter" for name, old in filters}
    chunk_data = _renumber_chunks(old_chunks, new_of)
    filter_data = {name: _encode(_renumber_filter(read(path), new_of)) for name, path in old_filters.items()}

    chunk_names = _names(language, chunk_data, CHUNK_HASH_LENGTH)
    new_chunks = _write(index / "index", "pf_index", chunk_names, chunk_data)
    _remove_replaced(old_chunks, new_chunks)
    meta[_META_CHUNKS] = [[from_, to, name] for (from_, to, _old), name in zip(chunks, chunk_names, strict=True)]

    filter_names = sorted(filter_data)
    stable_names = _names(language, [filter_data[name] for name in filter_names], FILTER_HASH_LENGTH)
    new_filters = _write(index / "filter", "pf_filter", stable_names, [filter_data[n] for n in filter_names])
    _remove_replaced(old_filters.values(), new_filters)
    meta[_META_FILTERS] = [[name, new] for name, new in zip(filter_names, stable_names, strict=True)]

    data = _encode(meta)
    new_meta_hash = _names(language, [data], META_HASH_LENGTH)[0]
    new_meta_path = index / f"pagefind.{new_meta_hash}.pf_meta"
    new_meta_path.write_bytes(data)
    _remove_replaced([meta_path], {new_meta_path})
    return new_meta_hash


def canonical_numbers(pages: Any) -> Renumbering:
    """The new number of each page of the metadata's page list ([fragment hash,
    word count] in page-number order): its place in the order of fragment hashes.
    Pages of equal hash are the same page (Pagefind hashes the whole fragment),
    so their order among themselves changes nothing."""
    if not isinstance(pages, list) or not all(_is_page(page) for page in pages):
        raise Unreadable("page list")
    order = sorted(range(len(pages)), key=lambda old: (pages[old][0], pages[old][1]))
    new_of = [0] * len(pages)
    for new, old in enumerate(order):
        new_of[old] = new
    return new_of


def _renumber_sorts(sorts: Any, new_of: Renumbering) -> list[Any]:
    if not isinstance(sorts, list):
        raise Unreadable("sort list")
    renumbered = []
    for sort in sorts:
        if not (isinstance(sort, list) and len(sort) == 2 and isinstance(sort[0], str) and isinstance(sort[1], list)):
            raise Unreadable("sort order")
        # The order of the list is the order of the sort's values: kept.
        renumbered.append([sort[0], [_new(new_of, page) for page in sort[1]]])
    return sorted(renumbered, key=lambda sort: str(sort[0]))


def _renumber_filter(content: Any, new_of: Renumbering) -> Any:
    """A filter index is [name, [[value, [page numbers]]…]]."""
    if not (isinstance(content, list) and len(content) == 2 and isinstance(content[1], list)):
        raise Unreadable("filter index")
    for value in content[1]:
        if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], list)):
            raise Unreadable("filter value")
        value[1] = sorted(_new(new_of, page) for page in value[1])
    content[1] = sorted(content[1], key=lambda value: str(value[0]))
    return content


def _renumber_chunks(paths: list[Path], new_of: Renumbering) -> list[bytes]:
    """The word index chunks at `paths` renumbered, on every core when there are
    enough of them: this is most of the work."""
    work = partial(_renumber_chunk_file, new_of=new_of)
    jobs = min(parallel.default_jobs(), len(paths) // _CHUNKS_A_WORKER)
    if jobs <= 1 or not parallel.can_fork():
        return [work(path) for path in paths]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=parallel.die_with, initargs=(os.getpid(),)) as pool:
        return list(pool.map(work, paths, chunksize=-(-len(paths) // (4 * jobs))))


def _renumber_chunk_file(path: Path, new_of: Renumbering) -> bytes:
    data = _signed(path)
    try:
        chunk = pagefind_words.renumber_chunk(data, new_of)
    except (ValueError, IndexError) as error:
        raise Unreadable(f"{path.name}: {error}") from None
    return _compress(SIGNATURE + chunk)


def _new(new_of: Renumbering, page: Any) -> int:
    if type(page) is not int or not 0 <= page < len(new_of):
        raise Unreadable(f"page number {page!r}")
    return new_of[page]


def _names(language: str, contents: Sequence[bytes], length: int) -> list[str]:
    taken: set[str] = set()
    return [_unique_name(language, data, length, taken) for data in contents]


def _write(folder: Path, suffix: str, names: Sequence[str], contents: Sequence[bytes]) -> set[Path]:
    written = set()
    for name, data in zip(names, contents, strict=True):
        path = folder / f"{name}.{suffix}"
        path.write_bytes(data)
        written.add(path)
    return written


def _remove_replaced(old: Iterable[Path], new: set[Path]) -> None:
    for path in old:
        if path not in new:
            path.unlink()


def _is_list_of_text(value: Any, length: int) -> bool:
    return isinstance(value, list) and len(value) == length and all(isinstance(v, str) for v in value)


def _is_page(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and type(value[1]) is int


def read(path: Path) -> Any:
    """A file of Pagefind's index, decoded; Unreadable where it is not one (cut short, say)."""
    data = _signed(path)
    try:
        value = cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError, EOFError) as error:
        raise Unreadable(f"{path.name}: {error}") from None
    if cbor2.dumps(value) != data:
        raise Unreadable(f"{path.name}: does not re-encode to the same bytes")
    return value


def _signed(path: Path) -> bytes:
    """A file of Pagefind's index inflated, without the signature it begins with."""
    try:
        raw = gzip.decompress(path.read_bytes())
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise Unreadable(f"{path.name}: {error}") from None
    if not raw.startswith(SIGNATURE):
        raise Unreadable(f"{path.name}: no signature")
    return raw[len(SIGNATURE):]


def _encode(value: Any) -> bytes:
    return _compress(SIGNATURE + cbor2.dumps(value))


def _compress(data: bytes) -> bytes:
    # mtime=0: no timestamp in the gzip header, so equal content is equal bytes.
    return gzip.compress(data, compresslevel=_COMPRESS_LEVEL, mtime=0)


def _unique_name(language: str, data: bytes, length: int, taken: set[str]) -> str:
    digest = hashlib.sha256(data).hexdigest()
    while f"{language}_{digest[:length]}" in taken and length < len(digest):
        length += 1
    name = f"{language}_{digest[:length]}"
    taken.add(name)
    return name
