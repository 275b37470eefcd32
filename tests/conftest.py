"""Shared helpers: corpora are made in temporary folders, never in seeds/."""

from __future__ import annotations

import datetime
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from broadsheet import load
from broadsheet.build import BuildResult, build
from broadsheet.config import Config, validate

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT / "seeds"
SEED_FILE = SEEDS / "000_18c9c60748474e6b.txt"


def write_corpus(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write `files` (relative name → text or bytes) below `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def load_file(path: Path, source: Path, *, language: str, today: datetime.date | None = None) -> load.Loaded:
    """One corpus file read the way a build reads it."""
    source_file = load.read_relative(os.fspath(source), path.relative_to(source).as_posix())
    return load.dated(load.parse_source(source_file, language=language), today)


def parse_bytes(
    data: bytes, rel: str, *, fmt: str, language: str, today: datetime.date | None = None
) -> load.Loaded:
    """The bytes of a file named `rel` parsed the way a build parses a file it read."""
    source_file = load.SourceFile(rel, load.display_path(rel), fmt, data)
    return load.dated(load.parse_source(source_file, language=language), today)


def txt(date: str, *paragraphs: str) -> str:
    return f" date {date} " + "\n\n".join(paragraphs) + "\n"


@pytest.fixture(autouse=True)
def _in_a_folder_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test runs in its own folder: the command line keeps the record of
    addresses in the current folder, which must not be the checkout."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def corpus(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    def make(files: dict[str, str | bytes]) -> Path:
        return write_corpus(tmp_path / "corpus", files)

    return make


@pytest.fixture
def build_site(tmp_path: Path) -> Callable[..., tuple[BuildResult, Path]]:
    """Build a corpus folder into tmp_path/site; returns the result and the output folder."""

    def run(source: Path, **settings) -> tuple[BuildResult, Path]:
        out = settings.pop("out", tmp_path / "site")
        settings.setdefault("search", False)
        config = validate(Config(source=source, out=out, **settings))
        return build(config), out

    return run


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target
