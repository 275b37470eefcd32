"""A full build cut short, taken up where it stopped.

A full build of a large archive takes long (an hour and more at a million
articles with search), and makes the whole site in a staging folder beside the
output before it swaps it in: killed, it used to leave nothing the next build
could use.  Now it writes a journal as it goes, in the cache folder: the record
of each unit it made (a page, a search bundle, ...), with the status of its
files.  The next build made whole with the same build key takes up that
staging folder: a unit whose fingerprint is the one in the journal, and whose
files are still as the journal says, is linked into the new staging folder
rather than made again, as a rebuild keeps a unit of the site in place.

The journal is lines of JSON, each flushed as it is written: a build killed
while it wrote one leaves every line before it whole, and the torn line is
ignored.  A status says size, modification time and inode, so a file changed,
replaced or cut short since its line was written is made again.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .cache import OutputRecord, OutputRecords, folder_for, status_reader
from .write import STAGING_PREFIX, is_ours

JOURNAL = "resume.jsonl"
FORMAT = 1
UNKNOWN_STATUS = bytes(24)  # outputs.UNKNOWN: a status read here from the file itself


def journal_path(out: Path) -> Path:
    return folder_for(out) / JOURNAL


@dataclass(frozen=True)
class Resumed:
    """What a build cut short left: its staging folder and the records of the units it made there."""

    folder: Path
    records: OutputRecords

    @property
    def units(self) -> int:
        return sum(len(units) for units in self.records.values())


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
            if (not isinstance(name, str) or not name.startswith(f"{STAGING_PREFIX}{out.resolve().name}-")
                    or "/" in name or not folder.is_dir() or folder.is_symlink() or not is_ours(folder)):
                return None
            return Resumed(folder, _records(lines))
    except (OSError, UnicodeDecodeError):
        return None


def _value(line: str) -> Any:
    try:
        return json.loads(line) if line.endswith("\n") else None  # a line not ended is torn
    except ValueError:
        return None


def _records(lines: Iterator[str]) -> OutputRecords:
    records: OutputRecords = {}
    reads: list[frozenset[str]] = []
    for line in lines:
        value = _value(line)
        if not isinstance(value, list):
            break  # torn: what follows was never written whole
        if value[0] == "reads":
            reads.append(frozenset(value[1]))
            continue
        kind, unit, fingerprint, files, read, count = value
        records.setdefault(kind, {})[unit] = OutputRecord(
            fingerprint, tuple((name, bytes.fromhex(status)) for name, status in files), reads[read], count)
    return records


class Journal:
    """The journal of a full build made in `staging` (see the module's doc).
    add() may be called from any thread."""

    def __init__(self, out: Path, key: str, staging: Path) -> None:
        self.out, self.path, self.staging = out, journal_path(out), staging
        self._lock = threading.Lock()
        self._reads: dict[frozenset[str], int] = {}
        self.noted = 0  # units noted so far
        self._file: IO[str] | None = None
        try:
            self.path.parent.mkdir(exist_ok=True)
            self._file = self.path.open("w", encoding="utf-8")
            self._write([{"format": FORMAT, "key": key, "staging": staging.name}])
        except OSError:
            self.close()  # a build that cannot keep a journal is only not taken up

    def add(self, kind: str, records: Mapping[str, OutputRecord]) -> None:
        """The units of `kind` made (or kept) into the staging folder; a status
        not known yet is read from the file."""
        if self._file is None or not records:
            return
        status_in_staging = status_reader(self.staging)
        with self._lock:
            lines: list[Any] = []
            for unit, record in records.items():
                read = self._reads.get(record.reads)
                if read is None:
                    read = self._reads[record.reads] = len(self._reads)
                    lines.append(["reads", sorted(record.reads)])
                files = []
                for name, status in record.files:
                    found = status if status != UNKNOWN_STATUS else status_in_staging(name)
                    if found is None:
                        break  # not all there: not a unit to take up
                    files.append((name, found.hex()))
                else:
                    lines.append([kind, unit, record.fingerprint, files, read, record.count])
            try:
                self._write(lines)
            except (OSError, ValueError):
                self._close()
                return
            self.noted += sum(1 for line in lines if line[0] != "reads")

    def _write(self, lines: list[Any]) -> None:
        assert self._file is not None
        self._file.write("".join(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n" for line in lines))
        self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None

    def remove(self) -> None:
        """The build is done: nothing is left to take up."""
        self.close()
        remove(self.out)


def remove(out: Path) -> None:
    """Forget the journal of a build into `out`, if any."""
    try:
        journal_path(out).unlink(missing_ok=True)
    except OSError:
        pass
