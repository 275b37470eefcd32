"""The output folder: safety checks, a staging folder, and an atomic swap.

The build writes into a new folder beside the output and swaps it in only at
the end, so a failed or interrupted build leaves the previous site whole.  It
only ever deletes folders that carry its own marker file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

MARKER = ".broadsheet-build"
MARKER_TEXT = "This folder is a site built by broadsheet; a new build replaces it.\n"
STAGING_PREFIX = ".broadsheet-staging-"
RETIRED_PREFIX = ".broadsheet-old-"


class OutputError(Exception):
    """The output folder cannot be used; the message is one line for the user."""


def check_output(out: Path, *, source: Path, templates: tuple[Path, ...], project_root: Path) -> None:
    """Refuse an output folder whose replacement would destroy something else."""
    target = out.resolve()
    forbidden = {
        Path("/"): "the file system root",
        Path.home().resolve(): "the home folder",
        project_root.resolve(): "the project folder",
        source.resolve(): "the source folder",
    }
    forbidden.update({t.resolve(): "a templates folder" for t in templates})
    if target in forbidden:
        raise OutputError(f"output folder {out} is {forbidden[target]}; choose another --out")
    if target in source.resolve().parents:
        raise OutputError(f"output folder {out} contains the source folder; choose another --out")
    for t in templates:
        if target in t.resolve().parents:
            raise OutputError(f"output folder {out} contains the templates folder {t}; choose another --out")
    if target.exists() or target.is_symlink():
        if not target.is_dir():
            raise OutputError(f"output {out} exists and is not a folder")
        if not (target / MARKER).is_file() and any(target.iterdir()):
            raise OutputError(f"output folder {out} is not empty and was not made by this tool; choose another --out or empty it")
    if not target.parent.is_dir():
        raise OutputError(f"the folder {target.parent} for the output does not exist")
    if not os.access(target.parent, os.W_OK):
        raise OutputError(f"the folder {target.parent} is not writable")


def _is_ours(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def clear_leftovers(out: Path) -> None:
    """Remove staging folders of interrupted earlier builds (ours alone, by marker)."""
    parent = out.resolve().parent
    for prefix in (STAGING_PREFIX, RETIRED_PREFIX):
        for folder in parent.glob(f"{prefix}{out.name}-*"):
            if folder.is_dir() and not folder.is_symlink() and _is_ours(folder):
                shutil.rmtree(folder, ignore_errors=True)


class Staging:
    """A new folder beside `out` that becomes `out` on commit()."""

    def __init__(self, out: Path) -> None:
        self.out = out.resolve()
        self.path = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{self.out.name}-", dir=self.out.parent))
        # Marked first, so that a leftover of an interrupted build is known as ours.
        (self.path / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        self._made_dirs: set[Path] = {self.path}

    def write_text(self, relpath: str, text: str) -> Path:
        return self.write_bytes(relpath, text.encode("utf-8"))

    def write_bytes(self, relpath: str, data: bytes) -> Path:
        target = self.path / relpath
        if target.parent not in self._made_dirs:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made_dirs.add(target.parent)
        target.write_bytes(data)
        return target

    def copy_tree(self, source: Path, relpath: str) -> None:
        shutil.copytree(source, self.path / relpath, dirs_exist_ok=True)

    def commit(self) -> None:
        """Swap the staging folder in; the old site is kept until the new one is in place."""
        os.chmod(self.path, 0o755)  # mkdtemp makes it private; a site is for reading
        retired: Path | None = None
        if self.out.exists():
            retired = Path(tempfile.mkdtemp(prefix=f"{RETIRED_PREFIX}{self.out.name}-", dir=self.out.parent))
            os.rmdir(retired)
            os.replace(self.out, retired)
            if not _is_ours(retired):
                # An empty folder the user made: nothing in it to lose.
                (retired / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        try:
            os.replace(self.path, self.out)
        except OSError:
            if retired is not None:
                os.replace(retired, self.out)
            raise
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
