"""Make Pagefind's filter indexes the same from one build to the next.

Pagefind (1.5) writes the values of each filter in the order of a hash map
that is seeded at random in every run, so a filter with more than one value
(the years and months of an archive) gets different bytes, a different file
name, and so a different metadata file and entry file in each build.  Here the
values are put in order and the files renamed after their new content.

The files are gzip-compressed CBOR behind a signature.  Every file is decoded
and re-encoded only if that gives back its exact bytes; anything unexpected
leaves the index as Pagefind wrote it (still correct, only not reproducible).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import cbor2

SIGNATURE = b"pagefind_dcd"
ENTRY = "pagefind-entry.json"
FILTER_HASH_LENGTH = 7  # hex digits after "<language>_", as Pagefind names them
META_HASH_LENGTH = 10
_META_FILTERS = 3  # position of the filter list in Pagefind's metadata record


class _Unexpected(Exception):
    """The index is not laid out as this module knows it."""


def stabilise(index: Path) -> bool:
    """Rewrite the filter indexes of the Pagefind index in `index` in a stable
    order; True when the index was rewritten (or had nothing to rewrite)."""
    try:
        entry_path = index / ENTRY
        entry_text = entry_path.read_text(encoding="utf-8")
        entry = json.loads(entry_text)
        for language, about in sorted(entry["languages"].items()):
            quoted = json.dumps(about["hash"])
            if entry_text.count(quoted) != 1:
                raise _Unexpected(f"{ENTRY}: {quoted}")
            new_hash = _stabilise_language(index, language, about["hash"])
            entry_text = entry_text.replace(quoted, json.dumps(new_hash))
        entry_path.write_text(entry_text, encoding="utf-8")
        return True
    except (_Unexpected, OSError, LookupError, TypeError, ValueError, cbor2.CBORDecodeError):
        return False


def _stabilise_language(index: Path, language: str, meta_hash: str) -> str:
    meta_path = index / f"pagefind.{meta_hash}.pf_meta"
    meta = _read(meta_path)
    filters = meta[_META_FILTERS]
    if not isinstance(filters, list) or not all(_is_pair_of_text(f) for f in filters):
        raise _Unexpected("filter list")
    # All files are read and checked before any is written, so that a surprise
    # leaves the index whole.
    old_files = {name: index / "filter" / f"{old}.pf_filter" for name, old in filters}
    contents = {name: _read(path) for name, path in old_files.items()}
    taken: set[str] = set()
    stable = []
    for name in sorted(contents):
        content = contents[name]
        if not (isinstance(content, list) and len(content) == 2 and isinstance(content[1], list)):
            raise _Unexpected("filter index")
        content[1] = sorted(content[1], key=lambda value: str(value[0]))
        data = _encode(content)
        new = _unique_name(language, data, FILTER_HASH_LENGTH, taken)
        stable.append((name, new, data))
    for _name, new, data in stable:
        (index / "filter" / f"{new}.pf_filter").write_bytes(data)
    _remove_replaced(old_files.values(), {index / "filter" / f"{new}.pf_filter" for _, new, _ in stable})
    meta[_META_FILTERS] = [[name, new] for name, new, _ in stable]
    data = _encode(meta)
    new_meta_hash = _unique_name(language, data, META_HASH_LENGTH, set())
    new_meta_path = index / f"pagefind.{new_meta_hash}.pf_meta"
    new_meta_path.write_bytes(data)
    _remove_replaced([meta_path], {new_meta_path})
    return new_meta_hash


def _remove_replaced(old: Iterable[Path], new: set[Path]) -> None:
    for path in old:
        if path not in new:
            path.unlink()


def _is_pair_of_text(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)


def _read(path: Path) -> Any:
    raw = gzip.decompress(path.read_bytes())
    if not raw.startswith(SIGNATURE):
        raise _Unexpected(f"{path.name}: no signature")
    value = cbor2.loads(raw[len(SIGNATURE) :])
    if cbor2.dumps(value) != raw[len(SIGNATURE) :]:
        raise _Unexpected(f"{path.name}: does not re-encode to the same bytes")
    return value


def _encode(value: Any) -> bytes:
    # mtime=0: no timestamp in the gzip header, so equal content is equal bytes.
    return gzip.compress(SIGNATURE + cbor2.dumps(value), compresslevel=9, mtime=0)


def _unique_name(language: str, data: bytes, length: int, taken: set[str]) -> str:
    digest = hashlib.sha256(data).hexdigest()
    while f"{language}_{digest[:length]}" in taken and length < len(digest):
        length += 1
    name = f"{language}_{digest[:length]}"
    taken.add(name)
    return name
