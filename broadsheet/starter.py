"""A starter project: a sample article, a commented settings file and a
.gitignore, written by `broadsheet init FOLDER`."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

ARTICLES = "articles"

# Each file of a project, by its path there, and its name in the package's
# starter/ folder.  ".gitignore" is kept as "gitignore" so that it does not
# apply to the package's own folder.
FILES = {
    "broadsheet.toml": "broadsheet.toml",
    ".gitignore": "gitignore",
    f"{ARTICLES}/sample-article.md": f"{ARTICLES}/sample-article.md",
}


class StarterError(Exception):
    """The project cannot be written; the message is one line for the user."""


def write_project(folder: Path) -> list[Path]:
    """Write the starter files into `folder` (made if missing), or none of them
    if any would replace something.  The files written, in order."""
    if folder.exists() and not folder.is_dir():
        raise StarterError(f"{folder} exists and is not a folder")
    for name in FILES:
        taken = _in_the_way(folder, name)
        if taken is not None:
            raise StarterError(f"{taken} already exists; nothing was written")
    starter = resources.files("broadsheet") / "starter"
    contents = {folder / name: (starter / packaged).read_bytes() for name, packaged in FILES.items()}
    try:
        for target, data in contents.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_new(target, data)
    except OSError as error:
        raise StarterError(f"cannot write {error.filename or folder}: {error.strerror or error}") from None
    return list(contents)


def _in_the_way(folder: Path, name: str) -> Path | None:
    """What would be replaced by writing `name` in `folder`: the file itself,
    or a file where one of its folders is to be."""
    path = folder
    parts = Path(name).parts
    for i, part in enumerate(parts):
        path = path / part
        last = i == len(parts) - 1
        if (last and path.is_symlink()) or (path.exists() and (last or not path.is_dir())):
            return path
    return None


def _write_new(path: Path, data: bytes) -> None:
    """Write a file that must not exist yet: one made meanwhile is not replaced."""
    with open(path, "xb") as file:
        file.write(data)
