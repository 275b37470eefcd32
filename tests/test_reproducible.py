"""The same corpus gives byte-identical sites, wherever it is built, search index included."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from .conftest import PROJECT, SEED_FILE, txt, write_corpus
from .image_files import png


def varied_corpus() -> dict[str, str | bytes]:
    """Several years and months (many values for each search filter), articles
    of one day, Markdown with tags and an image, scripts of several directions, and a Latin-1 file."""
    files: dict[str, str | bytes] = {
        f"{i:03d}_{0xE0000 + i:08x}.txt": txt(
            f"{2019 + i % 5}-{1 + i % 12:02d}-{1 + i % 27:02d}",
            f"Report {i} on council budget number {i * 7}.", f"Residents of district {i % 9} reacted.",
        )
        for i in range(120)
    }
    # Articles of one day: their order by date must not be the order Pagefind finds them in.
    files.update({f"day/{i:02d}.txt": txt("2024-06-15", f"Bulletin {i} of the day.") for i in range(12)})
    files.update({
        "seed.txt": SEED_FILE.read_text(encoding="utf-8"),
        "md/tagged.md": "---\ntitle: Tagged\ndate: 2022-03-04\ntags: [budget, council]\nauthor: A. Writer\n"
                        "image: pic.png\nimage_alt: A square\n---\n\nTagged *story*.\n",
        "md/pic.png": png(6, 4),
        "he.txt": txt("2021-05-06", "הממשלה הודיעה היום על צעדים חדשים."),
        "zh.txt": txt("2021-05-07", "政府今天宣布了新的经济措施。"),
        "latin.txt": txt("2020-07-08", "Le café à Paris était déjà fermé.").encode("latin-1"),
    })
    return files


def build_in(folder: Path, hash_seed: str) -> Path:
    """Copy the corpus into `folder` and build it there, with search."""
    source = write_corpus(folder / "corpus", varied_corpus())
    out = folder / "public"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, str(PROJECT / "build.py"), "--source", str(source), "--out", str(out), "--quiet"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return out


def files_of(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_two_builds_in_different_places_are_byte_identical(tmp_path):
    first = files_of(build_in(tmp_path / "one", hash_seed="1"))
    second = files_of(build_in(tmp_path / "elsewhere" / "two", hash_seed="2"))
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    assert any(name.startswith("pagefind/filter/") for name in first)
    assert not any(str(tmp_path).encode() in data for data in first.values())


@pytest.mark.slow
def test_a_rebuild_in_place_is_byte_identical(tmp_path):
    out = build_in(tmp_path, hash_seed="3")
    before = files_of(out)
    shutil.rmtree(tmp_path / "corpus")
    assert files_of(build_in(tmp_path, hash_seed="4")) == before


TMPFS = Path("/dev/shm")


def test_builds_on_tmpfs_and_on_disk_are_byte_identical(tmp_path):
    """A file system lists a folder in its own order (tmpfs newest first, ext4
    by hash): nothing in the output may follow it."""
    if not TMPFS.is_dir():
        pytest.skip("no tmpfs at /dev/shm on this machine")
    on_disk = files_of(build_in(tmp_path / "disk", hash_seed="5"))
    in_memory = Path(tempfile.mkdtemp(prefix="broadsheet-", dir=TMPFS))
    try:
        on_tmpfs = files_of(build_in(in_memory, hash_seed="5"))
    finally:
        shutil.rmtree(in_memory)
    assert sorted(on_disk) == sorted(on_tmpfs)
    assert [name for name in on_disk if on_disk[name] != on_tmpfs[name]] == []
    assert any(name.startswith("pagefind/filter/") for name in on_disk)
