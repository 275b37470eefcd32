"""The output folder: safety checks, a staging folder, and an atomic swap.

The build writes into a new folder beside the output and swaps it in only at
the end, so a failed or interrupted build leaves the previous site whole.  It
only ever deletes folders that carry its own marker file, and replaces an
output folder only when everything in it is listed in that marker as made by
the build.
"""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
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
VIEW = ".broadsheet-view"  # inside a staging folder: never part of the site


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
    _locks_held.add(descriptor)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        _locks_held.discard(descriptor)
        os.close(descriptor)  # closing releases the lock


# A forked worker gets a copy of each descriptor, and the lock is released only
# once every copy is closed: a worker that outlived its build would hold the
# lock, and the next build would wait for it forever.  Workers close theirs.
_locks_held: set[int] = set()


def _close_locks_in_child() -> None:
    for descriptor in _locks_held:
        try:
            os.close(descriptor)
        except OSError:
            pass
    _locks_held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_locks_in_child)


def check_output(
    out: Path, *, source: Path, templates: tuple[Path, ...], project_root: Path, replacing: bool = True
) -> set[str] | None:
    """Refuse an output folder whose replacement would destroy something else.
    The files that the last build into it listed as its own; None if unknown.

    With `replacing` False the folder is to be updated in place, which never
    deletes or overwrites a file the last build did not make
    (Staging.update_in_place): its files are not walked for strangers, a
    hundred thousand entries at every rebuild of a large archive."""
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
        if not is_ours(target) and any(target.iterdir()):
            raise OutputError(f"output folder {out} is not empty and was not made by this tool; choose another --out or empty it")
        made = _inventory(target)
        stranger = _first_foreign_entry(target, made) if made is not None and replacing else None
        if stranger is not None:
            raise OutputError(
                f"output folder {out} holds {stranger}, which the last build did not make; "
                "move it away or choose another --out"
            )
    else:
        made = None
    if not target.parent.is_dir():
        raise OutputError(f"the folder {target.parent} for the output does not exist")
    if not os.access(target.parent, os.W_OK):
        raise OutputError(f"the folder {target.parent} is not writable")
    return made


def is_ours(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def _inventory(folder: Path) -> set[str] | None:
    """The files an earlier build listed in its marker; None if it listed none."""
    try:
        text = (folder / MARKER).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if INVENTORY_HEADING not in text:
        return None
    listed = text.split(INVENTORY_HEADING, 1)[1]
    # A last line without its end was being added when a build was cut short: no name yet.
    return set(filter(None, listed[:listed.rfind("\n") + 1].splitlines()))


def _add_to_inventory(marker: Path, names: list[str]) -> None:
    """`names` added to the inventory of `marker`, after an empty line: a
    marker with one is not the one a build writes whole (sorted), and the next
    build writes it again.  The first line's end also ends a line that a build
    cut short left without its end, which is then read as a name."""
    with open(marker, "ab") as listed:
        listed.write(("\n\n" + "".join(f"{name}\n" for name in names)).encode("utf-8"))


def _names_added(marker: Path) -> bool:
    """Whether names were added to the marker since it was written whole."""
    try:
        return b"\n\n" in marker.read_bytes()
    except OSError:
        return True


def _inventory_text(names: Iterable[str]) -> str:
    listed = sorted(names)
    return MARKER_TEXT + INVENTORY_HEADING + ("\n".join(listed) + "\n" if listed else "")


def _first_foreign_entry(folder: Path, made: set[str]) -> str | None:
    """A file or folder inside an earlier build that the build did not make."""
    made_folders = set()
    for name in made:
        while "/" in name:
            name = name.rsplit("/", 1)[0]
            if name in made_folders:
                break
            made_folders.add(name)
    # scandir's entries know links and folders without another system call;
    # the folders are read in any order, and the first stranger by name is
    # the one reported, so that the message is always the same.
    strangers = []
    pending = [("", str(folder))]
    while pending:
        prefix, here = pending.pop()
        with os.scandir(here) as scan:
            for entry in scan:
                name = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if name in made_folders:
                        pending.append((name + "/", entry.path))
                    else:
                        strangers.append(name + "/")
                elif entry.is_symlink() and entry.is_dir():
                    strangers.append(name + "/")
                elif name not in made and name != MARKER:
                    strangers.append(name)
    return min(strangers) if strangers else None


def siblings(out: Path, prefix: str) -> list[Path]:
    """The folders beside `out` that a build into `out` named with `prefix`
    (see Staging): `prefix`, the name of `out`, a dash and mkdtemp's eight
    characters, so that those of an output named `site-fr` are never taken
    for those of `site`."""
    target = out.resolve()
    name = re.compile(re.escape(f"{prefix}{target.name}-") + r"[a-z0-9_]{8}")
    return sorted(folder for folder in target.parent.glob(f"{prefix}{target.name}-*") if name.fullmatch(folder.name))


def recover_interrupted_swap(out: Path) -> bool:
    """Put the previous site back when a build was stopped between the two
    renames of commit(): `out` is then missing and the site is in a retired
    folder beside it.  True when a site was restored."""
    target = out.resolve()
    if target.exists() or target.is_symlink() or not target.parent.is_dir():
        return False
    retired = [folder for folder in siblings(target, RETIRED_PREFIX)
               if folder.is_dir() and not folder.is_symlink() and is_ours(folder)]
    if not retired:
        return False
    os.rename(retired[0], target)
    return True


def clear_leftovers(out: Path, *, keep: Path | None = None) -> None:
    """Remove staging folders of interrupted earlier builds (ours alone, by
    marker); `keep`, one this build takes up (see resume.py), is only made still."""
    target = out.resolve()
    prefixes = [STAGING_PREFIX, TRASH_PREFIX]
    if target.exists():
        # While the output is missing, a retired folder is the site to restore.
        prefixes.append(RETIRED_PREFIX)
    for prefix in prefixes:
        for folder in siblings(target, prefix):
            if folder.is_symlink() or not folder.is_dir():
                continue
            if is_ours(folder):
                _end_writers(folder)
                if keep is None or folder != keep:
                    shutil.rmtree(folder, ignore_errors=True)
            else:
                # Made but not yet marked when its build stopped: empty, so nothing is lost.
                try:
                    folder.rmdir()
                except OSError:
                    pass


def _end_writers(folder: Path) -> None:
    """End the processes still at work in `folder`, the staging folder of a
    build that was killed outright: Pagefind's runs, which do not die with the
    build, would go on making their bundle there (a minute or more each) while
    it is removed.  A process is known by a path in or below `folder` among
    its arguments, as Pagefind is given its site and its output."""
    import psutil  # here: only a build after one that was killed looks

    named = os.fspath(folder)
    found = []
    for process in psutil.process_iter(["cmdline"]):
        arguments = process.info.get("cmdline") or []
        if process.pid != os.getpid() and any(a == named or a.startswith(named + os.sep) for a in arguments):
            try:
                process.kill()
                found.append(process)
            except psutil.Error:  # gone meanwhile, or another user's
                pass
    psutil.wait_procs(found, timeout=5)


KNOWN_FOLDERS = 4096  # folders that write_file remembers making


def write_file(root: Path, relpath: str, data: bytes | Iterable[bytes], folders: set[str] | None = None) -> os.stat_result:
    """`data` (bytes, or its parts) as the file `relpath` below `root`; the new file's status.
    `folders`: those known to exist, kept up to date here; with it, a file in
    a folder of its own (as most pages of a site are) costs one mkdir and one
    open, not a failed open, a stat, a mkdir and an open."""
    target = os.path.join(root, relpath)
    if folders is not None:
        folder = os.path.dirname(target)
        if folder not in folders:
            if len(folders) >= KNOWN_FOLDERS:
                # Pages come in order: the folders asked for again are those of the
                # last pages.  Kept all, they would be a path for every article.
                folders.clear()
            _make_folder(folder, folders, os.fspath(root))
    # Always a new file: one already there may be a link to a file of the site
    # in place (Staging.link_from), whose bytes must not change.  The folder is
    # made, or the old file unlinked, only when the first call says so.
    try:
        fd = os.open(target, _NEW_FILE, 0o666)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd = os.open(target, _NEW_FILE, 0o666)
    except FileExistsError:
        os.unlink(target)
        fd = os.open(target, _NEW_FILE, 0o666)
    try:
        for part in (data,) if isinstance(data, bytes) else data:
            view = memoryview(part)
            while view:
                view = view[os.write(fd, view):]
        return os.fstat(fd)
    finally:
        os.close(fd)


def _encoded(parts: Iterable[str], size: int = 1 << 20) -> Iterator[bytes]:
    """The UTF-8 bytes of `parts`, about `size` bytes at a time."""
    batch: list[str] = []
    held = 0
    for part in parts:
        batch.append(part)
        held += len(part)
        if held >= size:
            yield "".join(batch).encode("utf-8")
            batch, held = [], 0
    yield "".join(batch).encode("utf-8")


def replace_file(path: Path, data: bytes | Path) -> None:
    """`data`, or a copy of the file at that path, as the file at `path`, by
    one rename: whoever reads it, or a build stopped meanwhile, finds the old
    file or the new one, never half."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        if isinstance(data, Path):
            path.parent.mkdir(parents=True, exist_ok=True)  # as write_file makes it
            shutil.copyfile(data, temporary)  # by the system, not through this process (a large archive's record)
        else:
            write_file(path.parent, temporary.name, data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _make_folder(folder: str, folders: set[str], root: str) -> None:
    """`folder` and those above it up to `root`, noted in `folders`: a page in
    a new day's folder costs two mkdir, not a failed one and a makedirs."""
    parent = os.path.dirname(folder)
    if parent not in folders and len(parent) > len(root):
        _make_folder(parent, folders, root)
    try:
        os.mkdir(folder)
    except FileExistsError:
        pass
    except FileNotFoundError:  # above `root`
        os.makedirs(folder, exist_ok=True)
    folders.add(folder)


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


class Staging:
    """A new folder beside `out` that becomes `out` on commit()."""

    def __init__(self, out: Path, *, adopted: Path | None = None) -> None:
        self.out = out.resolve()
        if adopted is not None:
            # The staging folder of a build that was cut short, taken up (see resume.py).
            self.path = adopted
        else:
            self.path = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{self.out.name}-", dir=self.out.parent))
            # Marked first, so that a leftover of an interrupted build is known as ours.
            (self.path / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        # What the folder holds, noted as it is written: walking the tree of a
        # large site to find out costs more than a tenth of its build.
        self._files: set[str] = set()
        self._folders: set[str] = set()  # made by write_bytes (workers make others)

    def write_text(self, relpath: str, text: str | Iterable[str]) -> None:
        """`text`, or its parts: a file of a line for each article (articles.json,
        published.json) is written as it is made, never held whole."""
        self.write_bytes(relpath, text.encode("utf-8") if isinstance(text, str) else _encoded(text))

    def write_bytes(self, relpath: str, data: bytes | Iterable[bytes]) -> None:
        self._files.add(relpath)
        write_file(self.path, relpath, data, self._folders)

    def add(self, relpaths: Iterable[str]) -> None:
        """Note files written into the folder by others: worker processes, Pagefind."""
        self._files.update(relpaths)

    def remove(self, relpaths: Iterable[str]) -> None:
        """Remove files, if they are there, and the folders they leave empty."""
        left: set[Path] = set()
        for relpath in relpaths:
            self._files.discard(relpath)
            try:
                os.unlink(self.path / relpath)
            except FileNotFoundError:
                continue
            left.add((self.path / relpath).parent)
        for folder in _remove_if_empty(left, self.path):
            self._folders.discard(os.fspath(folder))

    def occupied(self, relpath: str) -> bool:
        """True when a file is already at `relpath`, or where one of its folders would be."""
        if os.path.lexists(os.path.join(self.path, relpath)):
            return True
        folder = os.path.dirname(relpath)
        while folder:  # only inside the folder: a file above it is no file of the site
            if os.path.isfile(os.path.join(self.path, folder)):
                return True
            folder = os.path.dirname(folder)
        return False

    def link_from(self, site: Path, relpath: str) -> None:
        """Take a file of `site` (the site in place) as it is: linked, not
        copied, where the file system allows."""
        link_or_copy(site / relpath, self.path / relpath)
        self._files.add(relpath)

    def copy_tree(self, source: Path, relpath: str) -> None:
        try:
            shutil.copytree(source, self.path / relpath, dirs_exist_ok=True, copy_function=_copy_file)
        except _CopyFailed as failed:
            raise failed.error from None
        except shutil.Error as error:
            # What copytree gathers besides the files' errors: those of its folders.
            _, target, why = error.args[0][0]
            raise OSError(f"{target}: {why}") from None
        self._files.update(f"{relpath}/{name}" for name in walk_files(source))

    def _sibling(self, prefix: str) -> Path:
        suffix = self.path.name.removeprefix(f"{STAGING_PREFIX}{self.out.name}-")
        return self.out.parent / f"{prefix}{self.out.name}-{suffix}"

    def write_inventory(self) -> None:
        """List every file of the site in its marker, so that the next build can
        tell them from files someone else put there."""
        (self.path / MARKER).write_text(_inventory_text(self.files()), encoding="utf-8")

    def files(self) -> list[str]:
        """The files written so far, relative to the staging folder, but its marker."""
        return sorted(self._files)

    def view(self, site: Path, kept: Iterable[str], written: Iterable[str]) -> Path:
        """A folder that holds the pages of the site as this build makes them,
        for tools that read the whole site: the `kept` ones of `site`, the
        `written` ones of this folder, linked (not copied)."""
        root = self.path / VIEW
        for names, folder in ((kept, site), (written, self.path)):
            for name in names:
                link_or_copy(folder / name, root / name)
        return root

    def commit(self) -> None:
        """Swap the staging folder in; the old site is kept until the new one is in place.

        The swap is two renames.  A build killed between them leaves no `out`
        but a retired folder holding the old site, which the next build puts
        back (recover_interrupted_swap) before it does anything else."""
        os.chmod(self.path, 0o755)  # mkdtemp makes it private; a site is for reading
        self.write_inventory()
        retired: Path | None = None
        if self.out.exists():
            if not is_ours(self.out):
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

    def update_in_place(self, *, kept: set[str], made: set[str]) -> int:
        """Bring the site in `out` up to date without replacing the folder (a
        rebuild that changed little): each file written here that differs from
        the one in place is moved over it by one rename, so that a reader sees
        the old file or the new one, never part of either; the files of the last
        build that are neither kept nor written again are removed, and the
        folders they leave empty.  Files someone else put in `out` are left
        alone, and never overwritten.  Returns how many files changed.

        Index files come last (a search bundle's entry, the list of bundles), so
        that no index names a file that is not there yet."""
        written = sorted(self.files(), key=lambda name: (name.endswith(_INDEX_FILES), name))
        for name in written:
            if name not in made and (self.out / name).exists():
                raise OutputError(f"output folder {self.out} holds {name}, which the last build did not make; "
                                  "move it away or choose another --out")
        marker = self.path / MARKER
        # Until the end, the marker lists every file this build may have put in
        # place: one cut short leaves none that a later build takes as a stranger's.
        # The new names are added to it, and it is written whole at the end only
        # where the site's files changed, which most rebuilds' do not (a list of
        # every file of the site, sorted: 0.2 s each time at 100,000 articles).
        new_names = sorted(set(written) - made)
        if new_names:
            _add_to_inventory(self.out / MARKER, new_names)
        changed = 0
        for name in written:
            target = self.out / name
            if _same_bytes(self.path / name, target):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.path / name, target)
            changed += 1
        now = kept | set(written)
        left: set[Path] = set()
        for name in sorted(made - now):
            target = self.out / name
            target.unlink(missing_ok=True)
            changed += 1
            left.add(target.parent)
        _remove_if_empty(left, self.out)
        if now != made or _names_added(self.out / MARKER):
            marker.write_text(_inventory_text(now), encoding="utf-8")
            os.replace(marker, self.out / MARKER)
        self.discard()
        return changed

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _remove_if_empty(folders: Iterable[Path], top: Path) -> list[Path]:
    """Each of `folders`, and each above it up to `top`, removed if empty: by
    one rmdir each, which fails on a folder that is not empty; a folder whose
    last folder goes is tried again then.  (Listed again after each of its
    files was removed, a search bundle's folder of thousands of fragments
    took most of a minute.)  The folders removed."""
    removed = []
    for folder in folders:
        while folder != top:
            try:
                folder.rmdir()
            except OSError:  # not empty, or gone already
                break
            removed.append(folder)
            folder = folder.parent
    return removed


def walk_files(top: Path) -> list[str]:
    """The files below `top`, as paths relative to it with "/" between parts."""
    names = []
    for here, _, files in os.walk(top):
        prefix = os.path.relpath(here, top).replace(os.sep, "/")
        names += [name if prefix == "." else f"{prefix}/{name}" for name in files]
    return names


def link_or_copy(source: Path, target: Path) -> None:
    """`source` at `target` too: linked where the file system allows, else copied."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


_INDEX_FILES = ("pagefind-entry.json", "bundles.json")


class _CopyFailed(Exception):
    """Not an OSError, so that copytree stops at once instead of trying every
    other file and gathering the errors (on a full disk, each file fails)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error)
        self.error = error


def _copy_file(source: str, target: str) -> None:
    try:
        shutil.copy2(source, target)
    except OSError as error:
        # Named by the file being written: the source is fine.
        raise _CopyFailed(OSError(error.errno, error.strerror, target)) from None


def describe(error: OSError, out: Path) -> str:
    """An error met while writing the site `out`, as one line: the file (named
    as it would be in the site, not in the staging folder, which is removed)
    and what went wrong."""
    if not error.strerror:
        return str(error)
    if error.filename is None:
        return error.strerror
    path = os.fsdecode(error.filename)
    staging = os.path.join(os.fspath(out.parent), f"{STAGING_PREFIX}{out.name}-")
    if path.startswith(staging):
        path = os.path.join(os.fspath(out), path[len(staging):].partition(os.sep)[2])
    return f"{path}: {error.strerror}"


def _same_bytes(new: Path, old: Path) -> bool:
    try:
        # A file linked from the site in place is the same file: not read twice.
        return os.path.samefile(new, old) or filecmp.cmp(new, old, shallow=False)
    except OSError:
        return False
