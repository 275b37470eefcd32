"""The output folder: safety checks, a staging folder, and an atomic swap.

The build writes into a new folder beside the output and swaps it in only at
the end, so a failed or interrupted build leaves the previous site whole.  It
only ever deletes folders that carry its own marker file, and replaces an
output folder only when everything in it is listed in that marker as made by
the build.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # not on Windows: builds there are not serialised
    fcntl = None  # type: ignore[assignment]

MARKER = ".broadsheet-build"
MARKER_TEXT = "This folder is a site built by broadsheet; a new build replaces it.\n"
INVENTORY_HEADING = "Files the build made, one a line:\n"
STAGING_PREFIX = ".broadsheet-staging-"
RETIRED_PREFIX = ".broadsheet-old-"
TRASH_PREFIX = ".broadsheet-trash-"


class OutputError(Exception):
    """The output folder cannot be used; the message is one line for the user."""


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on the output's parent folder: a second build
    into the same place waits, rather than removing the first one's staging
    folder as a leftover."""
    parent = out.resolve().parent
    if not parent.is_dir():
        raise OutputError(f"the folder {parent} for the output does not exist")
    if fcntl is None:
        yield
        return
    descriptor = os.open(parent, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


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
        if not _is_ours(target) and any(target.iterdir()):
            raise OutputError(f"output folder {out} is not empty and was not made by this tool; choose another --out or empty it")
        stranger = _first_foreign_entry(target)
        if stranger is not None:
            raise OutputError(
                f"output folder {out} holds {stranger}, which the last build did not make; "
                "move it away or choose another --out"
            )
    if not target.parent.is_dir():
        raise OutputError(f"the folder {target.parent} for the output does not exist")
    if not os.access(target.parent, os.W_OK):
        raise OutputError(f"the folder {target.parent} is not writable")


def _is_ours(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def _inventory(folder: Path) -> set[str] | None:
    """The files an earlier build listed in its marker; None if it listed none."""
    try:
        text = (folder / MARKER).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if INVENTORY_HEADING not in text:
        return None
    return set(text.split(INVENTORY_HEADING, 1)[1].splitlines())


def _first_foreign_entry(folder: Path) -> str | None:
    """A file or folder inside an earlier build that the build did not make."""
    made = _inventory(folder)
    if made is None:
        return None
    made_folders = set()
    for name in made:
        while "/" in name:
            name = name.rsplit("/", 1)[0]
            if name in made_folders:
                break
            made_folders.add(name)
    top = len(str(folder)) + 1
    for here, dirs, files in os.walk(folder):
        prefix = here[top:] + "/" if len(here) >= top else ""
        for name in sorted(dirs):
            if prefix + name not in made_folders or os.path.islink(os.path.join(here, name)):
                return prefix + name + "/"
        for name in sorted(files):
            if prefix + name not in made and prefix + name != MARKER:
                return prefix + name
    return None


def recover_interrupted_swap(out: Path) -> bool:
    """Put the previous site back when a build was stopped between the two
    renames of commit(): `out` is then missing and the site is in a retired
    folder beside it.  True when a site was restored."""
    target = out.resolve()
    if target.exists() or target.is_symlink() or not target.parent.is_dir():
        return False
    retired = sorted(
        folder for folder in target.parent.glob(f"{RETIRED_PREFIX}{target.name}-*")
        if folder.is_dir() and not folder.is_symlink() and _is_ours(folder)
    )
    if not retired:
        return False
    os.rename(retired[0], target)
    return True


def clear_leftovers(out: Path) -> None:
    """Remove staging folders of interrupted earlier builds (ours alone, by marker)."""
    target = out.resolve()
    parent = target.parent
    prefixes = [STAGING_PREFIX, TRASH_PREFIX]
    if target.exists():
        # While the output is missing, a retired folder is the site to restore.
        prefixes.append(RETIRED_PREFIX)
    for prefix in prefixes:
        for folder in parent.glob(f"{prefix}{target.name}-*"):
            if folder.is_symlink() or not folder.is_dir():
                continue
            if _is_ours(folder):
                shutil.rmtree(folder, ignore_errors=True)
            else:
                # Made but not yet marked when its build stopped: empty, so nothing is lost.
                try:
                    folder.rmdir()
                except OSError:
                    pass


def write_file(root: Path, relpath: str, data: bytes) -> Path:
    target = root / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


class Staging:
    """A new folder beside `out` that becomes `out` on commit()."""

    def __init__(self, out: Path) -> None:
        self.out = out.resolve()
        self.path = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{self.out.name}-", dir=self.out.parent))
        # Marked first, so that a leftover of an interrupted build is known as ours.
        (self.path / MARKER).write_text(MARKER_TEXT, encoding="utf-8")

    def write_text(self, relpath: str, text: str) -> Path:
        return self.write_bytes(relpath, text.encode("utf-8"))

    def write_bytes(self, relpath: str, data: bytes) -> Path:
        return write_file(self.path, relpath, data)

    def occupied(self, relpath: str) -> bool:
        """True when a file is already at `relpath`, or where one of its folders would be."""
        target = self.path / relpath
        return target.exists() or any(folder.is_file() for folder in target.parents)

    def copy_tree(self, source: Path, relpath: str) -> None:
        shutil.copytree(source, self.path / relpath, dirs_exist_ok=True)

    def _sibling(self, prefix: str) -> Path:
        suffix = self.path.name.removeprefix(f"{STAGING_PREFIX}{self.out.name}-")
        return self.out.parent / f"{prefix}{self.out.name}-{suffix}"

    def write_inventory(self) -> None:
        """List every file of the site in its marker, so that the next build can
        tell them from files someone else put there."""
        names = sorted(
            (Path(here) / name).relative_to(self.path).as_posix()
            for here, _, files in os.walk(self.path)
            for name in files
            if not (here == str(self.path) and name == MARKER)
        )
        text = MARKER_TEXT + INVENTORY_HEADING + "".join(f"{name}\n" for name in names)
        (self.path / MARKER).write_text(text, encoding="utf-8")

    def commit(self) -> None:
        """Swap the staging folder in; the old site is kept until the new one is in place.

        The swap is two renames.  A build killed between them leaves no `out`
        but a retired folder holding the old site, which the next build puts
        back (recover_interrupted_swap) before it does anything else."""
        os.chmod(self.path, 0o755)  # mkdtemp makes it private; a site is for reading
        self.write_inventory()
        retired: Path | None = None
        if self.out.exists():
            if not _is_ours(self.out):
                # An empty folder the user made: marked before it moves, so that
                # it is known as ours (and restorable) while retired.
                (self.out / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
            retired = self._sibling(RETIRED_PREFIX)
            os.rename(self.out, retired)
        try:
            os.rename(self.path, self.out)
        except BaseException:
            if retired is not None:
                os.rename(retired, self.out)
            raise
        if retired is not None:
            # Renamed before removal: a removal cut short leaves a trash folder,
            # never a half-deleted site that looks restorable.
            trash = self._sibling(TRASH_PREFIX)
            os.rename(retired, trash)
            shutil.rmtree(trash, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
