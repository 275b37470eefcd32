"""A full build cut short, taken up where it stopped.

A full build of a large archive takes long (an hour and more at a million
articles with search), and makes the whole site in a staging folder beside the
output before it swaps it in: killed, it used to leave nothing the next build
could use.  Now it writes a journal as it goes, in the cache folder: the record
of each unit it made (a page, a search bundle, ...), with the status of its
files.  The next build made whole with the same build key takes up that
staging folder as its own, and goes on with its journal: what no unit of the
journal holds is removed first (prune), then a unit whose fingerprint is the
one in the journal, and whose files are still as the journal says, is kept
where it is, as a rebuild keeps a unit of the site in place, and the others
are made again (see outputs.Outputs).

The journal is lines of JSON, appended by one write each: a build killed
while it wrote one leaves every line before it whole, and the torn line is
ignored; the workers that make the offline index's shards append theirs too.  A status says size, modification time and inode, so a file changed,
replaced or cut short since its line was written is made again.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cache import OutputRecord, OutputRecords, folder_for, status_reader, text_key
from .records import UNKNOWN, FileStatus
from .write import MARKER, STAGING_PREFIX, is_ours, siblings

JOURNAL = "resume.jsonl"
FORMAT = 1


def journal_path(out: Path) -> Path:
    return folder_for(out) / JOURNAL


@dataclass(frozen=True)
class Resumed:
    """What a build cut short left: its staging folder and the records of the units it made there."""

    folder: Path
    records: OutputRecords


def take_up(out: Path, key: str) -> Resumed | None:
    """The work of the full build into `out` that was cut short, if it was made
    with the build key `key` and its staging folder is still there."""
    try:
        with journal_path(out).open(encoding="utf-8") as lines:
            head = _value(next(lines, ""))
            if not isinstance(head, dict) or head.get("format") != FORMAT or head.get("key") != key:
                return None
            name = head.get("staging")
            folder = out.resolve().parent / str(name)
            if (not isinstance(name, str) or folder not in siblings(out, STAGING_PREFIX) or not folder.is_dir()
                    or folder.is_symlink() or not is_ours(folder)):
                return None
            return Resumed(folder, _records(lines))
    except (OSError, UnicodeDecodeError):
        return None


def prune(resumed: Resumed) -> None:
    """Remove from the staging folder taken up what no unit of its journal
    holds (the files of work that was under way when the build stopped: a
    page half written, a bundle half made, Pagefind's placeholder page), and
    the folders left empty; the other units' files stay, to be kept or made
    again (see outputs.Outputs)."""
    noted = {name for units in resumed.records.values() for record in units.values() for name, _ in record.files}
    noted.add(MARKER)
    root = os.fspath(resumed.folder)
    for folder, _, names in os.walk(root, topdown=False):
        here = os.path.relpath(folder, root)
        for name in names:
            relpath = name if here == "." else f"{here}/{name}"
            if relpath.replace(os.sep, "/") not in noted:
                os.unlink(os.path.join(folder, name))
        if folder != root and not os.listdir(folder):
            os.rmdir(folder)


def _value(line: str) -> Any:
    try:
        return json.loads(line) if line.endswith("\n") else None  # a line not ended is torn
    except ValueError:
        return None


def _records(lines: Iterator[str]) -> OutputRecords:
    records: OutputRecords = {}
    reads: dict[str, frozenset[str]] = {}
    for line in lines:
        value = _value(line)
        try:
            if value[0] == "reads":
                reads[value[1]] = frozenset(value[2])
                continue
            kind, unit, fingerprint, files, read, count = value
            record = OutputRecord(fingerprint, tuple((name, bytes.fromhex(status)) for name, status in files),
                                  reads[read] if read is not None else frozenset(), count)
            if not (isinstance(kind, str) and isinstance(unit, str) and isinstance(fingerprint, str)
                    and isinstance(count, int) and all(isinstance(name, str) for name, _ in record.files)):
                raise TypeError(kind)
        except (TypeError, ValueError, KeyError, IndexError):
            break  # torn or damaged: what follows is not trusted
        records.setdefault(kind, {})[unit] = record
    return records


def _reads_id(reads: frozenset[str]) -> str:
    """Names a set of the keys of `site` that pages read, the same in every
    process and in every build that goes on with a journal."""
    return text_key(repr(sorted(reads)))[:16]


def _entry(kind: str, unit: str, record: OutputRecord, status_in_staging: Callable[[str], FileStatus | None],
           read: str | None) -> list[Any] | None:
    """The line of a unit, its statuses not known yet read from its files; None
    if one of them is missing (not a unit to take up)."""
    files = []
    for name, status in record.files:
        found = status if status != UNKNOWN else status_in_staging(name)
        if found is None:
            return None
        files.append((name, found.hex()))
    return [kind, unit, record.fingerprint, files, read, record.count]


def _append(fd: int, lines: list[Any]) -> None:
    data = "".join(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n" for line in lines).encode("utf-8")
    # Each call one write to the end of the file: lines that other processes
    # append meanwhile (see Noting) come before or after these, never inside.
    while data:
        data = data[os.write(fd, data):]


class Journal:
    """The journal of a full build made in `staging` (see the module's doc);
    with `going_on`, the journal of the build cut short whose staging folder
    this build takes up, to which it adds.  add() may be called from any
    thread; a process forked from the build, or started by it, notes its
    units with a Noting (elsewhere())."""

    def __init__(self, out: Path, key: str, staging: Path, *, going_on: bool = False) -> None:
        self.out, self.path, self.staging = out, journal_path(out), staging
        self._lock = threading.Lock()
        self._reads: set[str] = set()  # the ids of the sets of keys noted by this build
        self.noted = 0  # units noted so far by this process
        self._fd: int | None = None
        try:
            self.path.parent.mkdir(exist_ok=True)
            if going_on:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            else:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
                _append(self._fd, [{"format": FORMAT, "key": key, "staging": staging.name}])
        except OSError:
            self.close()  # a build that cannot keep a journal is only not taken up

    def add(self, kind: str, records: Mapping[str, OutputRecord]) -> None:
        """The units of `kind` made (or kept) into the staging folder."""
        if not records:
            return
        with self._lock:
            if self._fd is None:
                return
            lines: list[Any] = []
            status_in_staging = status_reader(self.staging)
            for unit, record in records.items():
                read = None
                if record.reads:
                    read = _reads_id(record.reads)
                    if read not in self._reads:
                        self._reads.add(read)
                        lines.append(["reads", read, sorted(record.reads)])
                entry = _entry(kind, unit, record, status_in_staging, read)
                if entry is not None:
                    lines.append(entry)
            try:
                _append(self._fd, lines)
            except OSError:
                self._close()
                return
            self.noted += sum(1 for line in lines if line[0] != "reads")

    def elsewhere(self, kind: str) -> Noting | None:
        """What notes units of `kind` from another process of this machine."""
        return Noting(self.path, self.staging, kind) if self._fd is not None else None

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = None

    def remove(self) -> None:
        """The build is done: nothing is left to take up."""
        self.close()
        remove(self.out)


@dataclass(frozen=True)
class Noting:
    """Notes a unit of `kind` in the journal at `path` from any process of the
    machine (a worker that makes it), by a line appended.  For kinds whose
    records read nothing of the site (the offline index's shards)."""

    path: Path
    staging: Path
    kind: str

    def __call__(self, unit: str, record: OutputRecord) -> None:
        entry = _entry(self.kind, unit, record, status_reader(self.staging), None) if not record.reads else None
        if entry is None:
            return
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)  # not made again if the build removed it
        except OSError:
            return
        try:
            _append(fd, [entry])
        except OSError:
            pass
        finally:
            os.close(fd)


def remove(out: Path) -> None:
    """Forget the journal of a build into `out`, if any."""
    try:
        journal_path(out).unlink(missing_ok=True)
    except OSError:
        pass
