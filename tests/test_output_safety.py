"""The output folder: the build deletes nothing it did not make, refuses folders
it must not replace, and an interrupted build leaves the previous site whole."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from broadsheet import search, write
from broadsheet.build import BuildError
from broadsheet.cli import main
from broadsheet.render import Renderer
from broadsheet.write import MARKER

from .conftest import PROJECT, txt, write_corpus


def snapshot(folder: Path) -> dict[str, str]:
    """Every file below `folder` and a digest of its bytes."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(".broadsheet-"))


def corpus_of(count: int, extra: str = "") -> dict[str, str]:
    return {
        f"{i:03d}_{0xC0000 + i:08x}.txt": txt(f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}", f"Story {i} {extra}. More words.")
        for i in range(count)
    }


def cli(*args: str) -> subprocess.CompletedProcess:
    # In the folder of the site: the record of addresses goes there (published.json in
    # the current folder), not into the checkout, where a build of seeds/ would take it up.
    return subprocess.run(
        [sys.executable, str(PROJECT / "build.py"), "--no-search", *args],
        capture_output=True, text=True, timeout=300, cwd=Path(args[args.index("--out") + 1]).parent,
    )


# --- folders that are never replaced ------------------------------------------------


def refused_folders(tmp_path: Path) -> dict[str, tuple[Path, Path, Path | None, str]]:
    """name → (source, out, templates, expected message).  Each folder to be
    refused carries a build marker, so that only the rule under test stands
    between it and its replacement."""
    def marked(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MARKER).write_text("made by hand\n", encoding="utf-8")
        (folder / "precious.txt").write_text("keep me\n", encoding="utf-8")
        return folder

    src = write_corpus(marked(tmp_path / "a" / "src"), {"a.txt": txt("2023-01-01", "Story.")})
    parent = marked(tmp_path / "p")
    nested = write_corpus(parent / "src", {"a.txt": txt("2023-01-01", "Story.")})
    templates = marked(tmp_path / "tpl")
    (templates / "article.html").write_text("{% extends 'base.html' %}", encoding="utf-8")
    templates_parent = marked(tmp_path / "q")
    nested_templates = templates_parent / "tpl"
    nested_templates.mkdir()
    home = marked(tmp_path / "home")
    return {
        "source": (src, src, None, "is the source folder"),
        "parent-of-source": (nested, parent, None, "contains the source folder"),
        "templates": (src, templates, templates, "is a templates folder"),
        "parent-of-templates": (src, templates_parent, nested_templates, "contains the templates folder"),
        "home": (src, home, None, "is the home folder"),
        "project-root": (src, PROJECT, None, "is the project folder"),
        "file-system-root": (src, Path("/"), None, "is the file system root"),
    }


@pytest.mark.parametrize(
    "name", ["source", "parent-of-source", "templates", "parent-of-templates", "home", "project-root", "file-system-root"]
)
def test_folders_that_must_survive_are_refused_as_output(name, tmp_path, build_site, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    source, out, templates, message = refused_folders(tmp_path)[name]
    before = snapshot(out) if out != Path("/") and out != PROJECT else None
    settings = {"templates": templates} if templates else {}
    with pytest.raises(BuildError, match=message):
        build_site(source, out=out, **settings)
    if before is not None:
        assert snapshot(out) == before


def test_an_output_folder_is_replaced_only_when_empty_or_an_earlier_build(corpus, build_site, tmp_path):
    source = corpus(corpus_of(2))
    empty = tmp_path / "empty"
    empty.mkdir()
    build_site(source, out=empty)
    assert (empty / MARKER).is_file() and (empty / "index.html").is_file()
    build_site(source, out=empty)  # an earlier build: replaced

    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine\n", encoding="utf-8")
    with pytest.raises(BuildError, match="is not empty and was not made by this tool"):
        build_site(source, out=theirs)
    assert snapshot(theirs) == {"notes.txt": hashlib.sha256(b"mine\n").hexdigest()}

    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    with pytest.raises(BuildError, match="exists and is not a folder"):
        build_site(source, out=a_file)
    assert a_file.read_text(encoding="utf-8") == "x"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("added", ["CNAME", "2023/notes.txt", "drafts/"])
def test_files_added_to_an_earlier_build_are_never_deleted(added, corpus, build_site, tmp_path):
    source = corpus(corpus_of(2))
    _, out = build_site(source)
    if added.endswith("/"):
        (out / added).mkdir()
    else:
        (out / added).parent.mkdir(parents=True, exist_ok=True)
        (out / added).write_text("someone else's\n", encoding="utf-8")
    before = snapshot(out)
    # Replacing the folder whole would take it along: refused.
    with pytest.raises(BuildError, match=f"holds {added}, which the last build did not make"):
        build_site(source, incremental=False)
    assert snapshot(out) == before and (out / added).exists()
    # Updating it in place leaves it where it is.
    write_corpus(source, {"new.txt": txt("2024-01-01", "A new story.")})
    result, _ = build_site(source)
    assert result.in_place and (out / added).exists()
    if not added.endswith("/"):
        assert (out / added).read_text(encoding="utf-8") == "someone else's\n"
    assert added.rstrip("/") not in (out / MARKER).read_text(encoding="utf-8").splitlines()


def test_an_update_in_place_never_overwrites_a_file_the_last_build_did_not_make(corpus, build_site):
    source = corpus(corpus_of(2))
    _, out = build_site(source)
    write_corpus(source, {"new.txt": txt("2024-01-01", "A new story.")})
    # Where the new article's page will go, put there by someone else.
    page = out / "2024/01/01/new/index.html"
    page.parent.mkdir(parents=True)
    page.write_text("theirs\n", encoding="utf-8")
    with pytest.raises(BuildError, match="holds 2024/01/01/new/index.html, which the last build did not make"):
        build_site(source)
    assert page.read_text(encoding="utf-8") == "theirs\n"


def test_the_marker_lists_every_file_the_build_made(corpus, build_site):
    _, out = build_site(corpus(corpus_of(3)), search=True)
    listed = (out / MARKER).read_text(encoding="utf-8").split(write.INVENTORY_HEADING, 1)[1].splitlines()
    assert listed == sorted(set(snapshot(out)) - {MARKER})
    assert any(name.startswith("pagefind/") for name in listed)


def test_the_folders_an_update_in_place_empties_go_and_no_others(tmp_path):
    # Each folder by one rmdir: "a" goes once "a/d" has gone, though it was tried when
    # "a/b" went; "e" holds a file someone put there, and stays.
    top = tmp_path / "site"
    for folder in ("a/b/c", "a/d", "e"):
        (top / folder).mkdir(parents=True)
    (top / "e" / "theirs.txt").write_text("kept", encoding="utf-8")
    write._remove_if_empty([top / "a/b/c", top / "a/d", top / "e"], top)
    assert sorted(p.relative_to(top).as_posix() for p in top.rglob("*")) == ["e", "e/theirs.txt"]


def test_the_marker_lists_every_file_after_an_update_in_place(corpus, build_site):
    source = corpus(corpus_of(6))
    build_site(source, search=True, search_shard_pages=2)
    write_corpus(source, {"000_000c0000.txt": txt("2023-01-01", "Story 0 changed. More words."),
                          "new.txt": txt("2021-06-01", "A new story, in a bundle of its own.")})
    result, out = build_site(source, search=True, search_shard_pages=2)
    assert result.in_place and 0 < result.bundles_indexed < result.bundles
    listed = (out / MARKER).read_text(encoding="utf-8").split(write.INVENTORY_HEADING, 1)[1].splitlines()
    assert listed == sorted(set(snapshot(out)) - {MARKER})
    assert "2021/06/01/new/index.html" in listed


def test_the_marker_is_written_again_only_when_the_files_of_the_site_change(corpus, build_site):
    source = corpus(corpus_of(6))
    _, out = build_site(source)
    before = (out / MARKER).stat()
    # The same files: nothing changed, or an article changed.  (A marker written
    # again is a new file, made while the old one is there: another inode.)
    for change in ({}, {"000_000c0000.txt": txt("2023-01-01", "Story 0 changed.")}):
        write_corpus(source, change)
        result, _ = build_site(source)
        after = (out / MARKER).stat()
        assert result.in_place and (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    write_corpus(source, {"new.txt": txt("2021-06-01", "A new story.")})
    result, _ = build_site(source)
    assert result.in_place
    listed = (out / MARKER).read_text(encoding="utf-8").split(write.INVENTORY_HEADING, 1)[1].splitlines()
    assert listed == sorted(set(snapshot(out)) - {MARKER}) and "2021/06/01/new/index.html" in listed
    (source / "new.txt").unlink()
    build_site(source)
    listed = (out / MARKER).read_text(encoding="utf-8").split(write.INVENTORY_HEADING, 1)[1].splitlines()
    assert listed == sorted(set(snapshot(out)) - {MARKER})


def test_new_files_are_in_the_marker_before_they_are_in_place(corpus, build_site, monkeypatch):
    source = corpus(corpus_of(6))
    _, out = build_site(source)
    write_corpus(source, {"new.txt": txt("2021-06-01", "A new story.")})
    real = os.replace

    def cut_short(old, new):
        if Path(new).name == "index.html":
            listed = (out / MARKER).read_text(encoding="utf-8").split(write.INVENTORY_HEADING, 1)[1].splitlines()
            assert "2021/06/01/new/index.html" in listed  # before the page is there
            raise KeyboardInterrupt
        return real(old, new)

    monkeypatch.setattr(write.os, "replace", cut_short)
    with pytest.raises(KeyboardInterrupt):
        build_site(source)
    monkeypatch.setattr(write.os, "replace", real)
    result, _ = build_site(source)
    assert result.in_place
    listed = (out / MARKER).read_text(encoding="utf-8").split(write.INVENTORY_HEADING, 1)[1].splitlines()
    assert listed == sorted(set(snapshot(out)) - {MARKER})


def test_a_line_of_the_marker_cut_short_is_no_name_until_it_is_ended(tmp_path):
    marker = tmp_path / MARKER
    marker.write_text(write.MARKER_TEXT + write.INVENTORY_HEADING + "a/index.html\nb/ind", encoding="utf-8")
    assert write._inventory(tmp_path) == {"a/index.html"}
    assert not write._names_added(marker)
    write._add_to_inventory(marker, ["c/index.html", "d/index.html"])
    assert write._inventory(tmp_path) == {"a/index.html", "b/ind", "c/index.html", "d/index.html"}
    write._add_to_inventory(marker, ["e/index.html"])
    assert write._inventory(tmp_path) == {"a/index.html", "b/ind", "c/index.html", "d/index.html", "e/index.html"}
    assert write._names_added(marker)
    assert write._names_added(tmp_path / "missing")  # written whole, to be sure


# --- interrupted builds --------------------------------------------------------------


def test_interrupt_during_rendering_leaves_the_previous_site(corpus, build_site, tmp_path, monkeypatch, capsys):
    source = corpus(corpus_of(20))
    _, out = build_site(source)
    before = snapshot(out)
    write_corpus(source, {"new.txt": txt("2024-01-01", "A new story.")})
    real, calls = Renderer.article, []

    def interrupted(self, entry):
        calls.append(entry)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(self, entry)

    monkeypatch.setattr(Renderer, "article", interrupted)
    monkeypatch.chdir(tmp_path)  # the record of addresses beside the site, not in the checkout
    code = main(["--source", str(source), "--out", str(out), "--no-search", "--full"])
    assert code == 130 and "interrupted" in capsys.readouterr().err
    assert snapshot(out) == before
    # What was made is kept beside the site for the next build (see test_resume.py), which leaves nothing.
    assert len(leftovers(tmp_path)) == 1
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    assert main(["--source", str(source), "--out", str(out), "--no-search"]) == 0
    assert leftovers(tmp_path) == []


def test_interrupt_between_the_two_renames_puts_the_old_site_back(corpus, build_site, tmp_path, monkeypatch):
    source = corpus(corpus_of(5))
    _, out = build_site(source)
    before = snapshot(out)
    real = os.rename

    def rename(old, new):
        if Path(old).name.startswith(write.STAGING_PREFIX):
            raise KeyboardInterrupt
        return real(old, new)

    monkeypatch.setattr(write.os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        build_site(source, incremental=False)  # made whole and swapped in
    assert snapshot(out) == before
    # No old site set aside: only what was made, for the next build to take up (see test_resume.py).
    assert [name[:len(write.STAGING_PREFIX)] for name in leftovers(tmp_path)] == [write.STAGING_PREFIX]


def processes_naming(word: str) -> list[int]:
    """The processes that have `word` in their command line (a build and its forked workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and word.encode() in (entry / "cmdline").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_process_forked_while_the_output_is_locked_does_not_hold_the_lock(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    out = tmp_path / "site"
    reading, writing = os.pipe()
    with write.output_lock(out):
        child = os.fork()
        if child == 0:  # a worker that outlives its build
            os.write(writing, b"forked")
            time.sleep(5)
            os._exit(0)
        os.read(reading, 6)
    os.close(reading)
    os.close(writing)
    try:
        other = os.open(tmp_path, os.O_RDONLY)
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises BlockingIOError if still held
        finally:
            os.close(other)
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


SLOW_WORKERS = """
import sys, time
from broadsheet import parallel
def slow(start, stop):
    time.sleep(60)
    return []
list(parallel._in_ranges(slow, 4, chunk=1, jobs=2))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="workers are tied to their build on Linux")
def test_the_workers_of_a_killed_build_die_with_it(tmp_path):
    marker = str(tmp_path / "marker")  # names the build and its forked workers
    build = subprocess.Popen([sys.executable, "-c", SLOW_WORKERS, marker], cwd=PROJECT)
    try:
        wait_for(lambda: len(processes_naming(marker)) >= 3, 30)
        assert len(processes_naming(marker)) == 3  # the build and two workers
    finally:
        build.kill()
        build.wait()
    wait_for(lambda: not processes_naming(marker), 10)
    assert processes_naming(marker) == []


def processes_with(variable: str, value: str) -> list[int]:
    """The processes whose environment has `variable` set to `value` (a build and every process it started)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and f"{variable}={value}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


SLOW_FRESH_WORKERS = """
import time
from broadsheet import parallel
with parallel.in_workers(time.sleep, 4, lambda i: 60, jobs=2) as results:
    next(results)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the processes are found by their environment in /proc")
def test_the_fresh_workers_of_a_killed_build_and_their_server_end_with_it(tmp_path):
    # Fresh workers are forked by a server process (see parallel._pool), not
    # by the build, and do not carry its command line: they are found by a
    # variable of the environment that every process the build starts inherits.
    tag = str(tmp_path)
    build = subprocess.Popen([sys.executable, "-c", SLOW_FRESH_WORKERS], cwd=PROJECT,
                             env={**os.environ, "BROADSHEET_TEST_BUILD": tag})
    try:
        # The build, the server, its two workers (and a resource tracker).
        wait_for(lambda: len(processes_with("BROADSHEET_TEST_BUILD", tag)) >= 4, 60)
        assert len(processes_with("BROADSHEET_TEST_BUILD", tag)) >= 4
    finally:
        build.kill()
        build.wait()
    wait_for(lambda: not processes_with("BROADSHEET_TEST_BUILD", tag), 10)
    assert processes_with("BROADSHEET_TEST_BUILD", tag) == []


def wait_until_rendering(parent: Path, process: subprocess.Popen, first_page: str) -> Path | None:
    """The staging folder of `process` once it holds `first_page`, and before it
    holds 404.html (the last page rendered); None if the moment was missed."""
    while process.poll() is None:
        for staging in parent.glob(f"{write.STAGING_PREFIX}*"):
            if (staging / first_page).is_file():
                return staging if not (staging / "404.html").exists() else None
        time.sleep(0.001)
    return None


@pytest.mark.slow
def test_sigkill_during_rendering_leaves_the_previous_site(tmp_path):
    source = write_corpus(tmp_path / "src", corpus_of(400))
    out = tmp_path / "site"
    assert cli("--source", str(source), "--out", str(out)).returncode == 0
    before = snapshot(out)
    # Pages are rendered in the manifest's order: the first one is written first.
    first_page = json.loads((out / "articles.json").read_text(encoding="utf-8"))["articles"][0]["url"] + "index.html"
    write_corpus(source, corpus_of(400, extra="changed"))
    for _ in range(10):
        process = subprocess.Popen(
            [sys.executable, str(PROJECT / "build.py"), "--no-search", "--source", str(source), "--out", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        staging = wait_until_rendering(tmp_path, process, first_page)
        if staging is not None:
            process.send_signal(signal.SIGKILL)
            process.wait()
            break
        process.wait()
    else:
        pytest.fail("the build was never caught while rendering")
    assert process.returncode == -signal.SIGKILL
    assert snapshot(out) == before
    assert leftovers(tmp_path)  # the killed build's staging folder is still there

    done = cli("--source", str(source), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert leftovers(tmp_path) == []
    assert "changed" in (out / first_page).read_text(encoding="utf-8")


KILL_BETWEEN_RENAMES = """
import os, signal, sys
real = os.rename
def rename(old, new):
    if os.path.basename(os.fspath(old)).startswith(".broadsheet-staging-"):
        os.kill(os.getpid(), signal.SIGKILL)
    real(old, new)
os.rename = rename
from broadsheet.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigkill_between_the_two_renames_is_recovered_by_the_next_build(tmp_path):
    source = write_corpus(tmp_path / "src", corpus_of(30))
    out = tmp_path / "site"
    assert cli("--source", str(source), "--out", str(out)).returncode == 0
    before = snapshot(out)
    killed = subprocess.run(
        [sys.executable, "-c", KILL_BETWEEN_RENAMES, "--no-search", "--full", "--source", str(source), "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert killed.returncode == -signal.SIGKILL
    assert not out.exists()  # the moment between the renames: the old site is set aside
    assert any(name.startswith(write.RETIRED_PREFIX) for name in leftovers(tmp_path))

    # A build that then fails still puts the previous site back first.
    write_corpus(source, {"bad.txt": "no header"})
    failed = cli("--source", str(source), "--out", str(out), "--strict")
    assert failed.returncode == 1
    assert snapshot(out) == before

    (source / "bad.txt").unlink()
    assert cli("--source", str(source), "--out", str(out)).returncode == 0
    assert leftovers(tmp_path) == []


def test_what_still_works_in_a_killed_builds_staging_folder_is_ended_before_it_is_removed(tmp_path):
    # As Pagefind's runs of a build killed outright, which do not die with it.
    out = tmp_path / "site"
    out.mkdir()
    left, other = tmp_path / f"{write.STAGING_PREFIX}site-abc12345", tmp_path / "elsewhere"
    for folder in (left, other):
        folder.mkdir()
    (left / MARKER).write_text(write.MARKER_TEXT, encoding="utf-8")
    wait = [sys.executable, "-c", "import time; time.sleep(120)", "--output-path"]
    working = subprocess.Popen([*wait, str(left / "pagefind")])
    unrelated = subprocess.Popen([*wait, str(other)])
    try:
        write.clear_leftovers(out)
        working.wait(timeout=10)  # ended: it would sleep two minutes (psutil took its exit status)
        assert unrelated.poll() is None
        assert leftovers(tmp_path) == []
    finally:
        for process in (working, unrelated):
            process.kill()
            process.wait()


STARTS_A_LONG_RUN = """
import subprocess, sys
from broadsheet import search
# The run's command line ends in a mark that the build's own does not hold, joined here.
run = subprocess.Popen([*search._ended_with_the_build(), sys.executable, "-c", "import time; time.sleep(120)", "long" + "run"])
print(run.pid, flush=True)
import time; time.sleep(120)
"""


@pytest.mark.skipif(sys.platform != "linux" or shutil.which("setpriv") is None, reason="setpriv of util-linux, on Linux")
def test_pagefind_s_runs_end_when_the_build_is_killed(tmp_path):
    # Pagefind's command begins with what ties it to the build...
    command = search._command(tmp_path, search.Shard("2023", "pagefind/", ("2023/a/index.html",)), "en", tmp_path)
    assert command[:4] == [shutil.which("setpriv"), "--pdeathsig", "KILL", "--"] and "pagefind" in command[4]
    # ... which ends a run, a long one here, as soon as the build is killed.
    build = subprocess.Popen([sys.executable, "-c", STARTS_A_LONG_RUN], cwd=PROJECT, stdout=subprocess.PIPE, text=True)
    assert build.stdout is not None
    run = int(build.stdout.readline())
    try:
        assert os.path.exists(f"/proc/{run}")
        # Once setpriv has tied the run to the build, it becomes the program it starts (a build
        # killed in the moment before, on a busy machine, would leave that run to its end). Until
        # then the command line is the build's (forked) or setpriv's, or empty in the middle of an exec.
        started = [sys.executable.encode(), b"-c", b"import time; time.sleep(120)", b"longrun", b""]
        wait_for(lambda: Path(f"/proc/{run}/cmdline").read_bytes().split(b"\0") == started, 10)
        assert Path(f"/proc/{run}/cmdline").read_bytes().split(b"\0") == started
        build.kill()
        build.wait()
        wait_for(lambda: not _running(run), 5)
        assert not _running(run)
    finally:
        if _running(run):
            os.kill(run, signal.SIGKILL)


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_the_folders_of_another_output_whose_name_begins_the_same_are_left_alone(tmp_path):
    # site-fr beside site: its staging folder, and the old site it set aside
    # when a swap was cut between its two renames, are not site's.
    out = tmp_path / "site"
    out.mkdir()
    theirs = [tmp_path / f"{prefix}site-fr-abcd1234" for prefix in (write.STAGING_PREFIX, write.RETIRED_PREFIX)]
    mine = tmp_path / f"{write.STAGING_PREFIX}site-wxyz9876"
    for folder in (*theirs, mine):
        folder.mkdir()
        (folder / MARKER).write_text(write.MARKER_TEXT, encoding="utf-8")
    write.clear_leftovers(out)
    assert all(folder.is_dir() for folder in theirs) and not mine.exists()
    out.rmdir()
    assert not write.recover_interrupted_swap(out)  # site-fr's old site is not put back as site
    assert not out.exists() and theirs[1].is_dir()


def test_a_second_build_into_the_same_folder_waits_for_the_first(corpus, build_site, tmp_path, monkeypatch):
    source = corpus(corpus_of(3))
    events: list[str] = []
    real = write.clear_leftovers

    def clear_leftovers(out, **kwargs):
        events.append("second build clears leftovers")
        real(out, **kwargs)

    real_flock, at_the_lock = write.fcntl.flock, threading.Event()

    def flock(descriptor, operation):
        if threading.current_thread() is second:
            try:  # told apart: a lock taken at once, or one that makes the build wait
                real_flock(descriptor, operation | write.fcntl.LOCK_NB)
                events.append("second build takes the lock at once")
            except BlockingIOError:
                events.append("second build waits")
                at_the_lock.set()
                real_flock(descriptor, operation)
            at_the_lock.set()
        else:
            real_flock(descriptor, operation)

    monkeypatch.setattr("broadsheet.build.clear_leftovers", clear_leftovers)
    monkeypatch.setattr(write.fcntl, "flock", flock)
    second = threading.Thread(target=build_site, args=(source,))
    with write.output_lock(tmp_path / "site"):  # the first build, still running
        second.start()
        assert at_the_lock.wait(timeout=60)
        events.append("first build ends")
    second.join(timeout=120)
    # Had it not waited, it would have removed the first one's staging folder as a leftover.
    assert events == ["second build waits", "first build ends", "second build clears leftovers"]
    assert (tmp_path / "site/index.html").is_file() and leftovers(tmp_path) == []


def test_a_full_disk_is_one_error_and_the_previous_site_stays(corpus, build_site, tmp_path, monkeypatch):
    source = corpus(corpus_of(10))
    _, out = build_site(source)
    before = snapshot(out)
    real, calls = write.write_file, []

    def write_file(root, relpath, data, folders=None):
        calls.append(relpath)
        if len(calls) == 4:
            raise OSError(28, "No space left on device", str(root / relpath))
        return real(root, relpath, data, folders)

    monkeypatch.setattr(write, "write_file", write_file)
    with pytest.raises(BuildError) as raised:
        build_site(source, incremental=False)
    # Named as the file of the site: the staging folder is gone by then.
    assert str(raised.value) == f"cannot write the site: {out / calls[3]}: No space left on device"
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


def test_a_disk_that_fills_while_the_theme_s_files_are_copied_is_one_error_naming_the_file(
    corpus, build_site, tmp_path, monkeypatch
):
    source = corpus(corpus_of(3))
    _, out = build_site(source)
    before = snapshot(out)
    real = shutil.copy2

    def copy2(source_file, target, **options):
        if str(target).endswith("offline-search.js"):
            # As the kernel's copy reports it: both files named, the source first.
            raise OSError(28, "No space left on device", str(source_file), None, str(target))
        return real(source_file, target, **options)

    monkeypatch.setattr(shutil, "copy2", copy2)
    with pytest.raises(BuildError) as raised:
        build_site(source, incremental=False)
    assert str(raised.value) == f"cannot write the site: {out}/assets/offline-search.js: No space left on device"
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


def _children(pid: int | str | None = None) -> list[str]:
    return [child for task in Path(f"/proc/{pid or os.getpid()}/task").iterdir()
            for child in (task / "children").read_text(encoding="ascii").split()]


def _workers() -> list[str]:
    """The processes this one started to work (and their own), but for the
    ones Python keeps for the life of this process: the server that render
    workers are forked from, whose children are workers, and the tracker of
    shared resources."""
    found = []
    for child in _children():
        command = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"forkserver" in command:
            found += _children(child)
        elif b"resource_tracker" not in command:
            found.append(child)
    return found


@pytest.mark.skipif(sys.platform != "linux", reason="counts worker processes in /proc")
def test_a_build_that_fails_while_its_workers_render_stops_them_and_leaves_the_site(
    corpus, build_site, tmp_path, monkeypatch
):
    from broadsheet import parallel, publish

    source = corpus(corpus_of(30))
    _, out = build_site(source, base_url="https://example.org/")
    before = snapshot(out)
    monkeypatch.setattr(parallel, "RENDER_CHUNK", 2)  # workers for a small site
    started = []

    def fail(*args, **kwargs):
        started.extend(_workers())  # the workers, rendering meanwhile
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish, "publish_files", fail)
    others = set(_workers())  # left by earlier tests in this process, if any
    with pytest.raises(BuildError, match="No space left on device"):
        build_site(source, base_url="https://example.org/", incremental=False, jobs=2)
    # At least one worker was rendering (a pool forked from the server starts them as work comes).
    assert set(started) - others
    assert set(_workers()) - others == set()
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("folders", [None, set()], ids=["no folders noted", "folders noted"])
def test_a_file_written_where_a_link_is_leaves_the_linked_file_alone(tmp_path, folders):
    site, staging = tmp_path / "site", tmp_path / "staging"
    site.mkdir()
    staging.mkdir()
    (site / "page.html").write_text("as published\n", encoding="utf-8")
    os.link(site / "page.html", staging / "page.html")
    write.write_file(staging, "page.html", b"rendered again\n", folders)
    write.write_file(staging, "new/folder/page.html", b"new\n", folders)
    write.write_file(staging, "new/folder/other.html", b"other\n", folders)
    write.write_file(staging, "new/second/page.html", b"second\n", folders)
    assert (site / "page.html").read_text(encoding="utf-8") == "as published\n"
    assert (staging / "page.html").read_bytes() == b"rendered again\n"
    assert (staging / "new/folder/page.html").read_bytes() == b"new\n"
    assert (staging / "new/folder/other.html").read_bytes() == b"other\n"
    assert (staging / "new/second/page.html").read_bytes() == b"second\n"
    if folders is not None:
        assert folders == {str(staging), str(staging / "new"), str(staging / "new/folder"), str(staging / "new/second")}


def test_noted_folders_are_made_where_they_are_missing_and_reused_where_they_are_not(tmp_path):
    (tmp_path / "2024/01").mkdir(parents=True)  # made by another write, not noted
    folders: set[str] = set()
    pages = ["2024/01/02/a/index.html", "2024/01/02/b/index.html", "2024/01/03/c/index.html", "index.html"]
    for page in pages:
        write.write_file(tmp_path, page, page.encode(), folders)
    assert all((tmp_path / page).read_bytes() == page.encode() for page in pages)
    assert {str(tmp_path / folder) for folder in ("2024/01/02/a", "2024/01/02/b", "2024/01/03/c")} <= folders
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_dir()) == [
        "2024", "2024/01", "2024/01/02", "2024/01/02/a", "2024/01/02/b", "2024/01/03", "2024/01/03/c",
    ]



def test_the_folders_noted_are_the_latest_few_and_pages_are_written_past_them(tmp_path, monkeypatch):
    # A page a folder: noting every one would hold a path for each article to the end.
    monkeypatch.setattr(write, "KNOWN_FOLDERS", 5)
    folders: set[str] = set()
    pages = [f"2024/01/{day:02d}/{n}/index.html" for day in (1, 2, 3) for n in "abcd"] + ["2024/01/01/e/index.html"]
    held = []
    for page in pages:
        write.write_file(tmp_path, page, page.encode(), folders)
        held.append(len(folders))
    assert all((tmp_path / page).read_bytes() == page.encode() for page in pages)
    assert max(held) <= 5 + 4  # at most the limit, then the folders of one more page
    assert min(held[4:]) < max(held)  # forgotten, and noted again


def test_a_text_written_in_parts_is_the_file_its_whole_text_makes(tmp_path):
    # articles.json and published.json are written a line at a time, in batches
    # of bytes: a character cut between two batches would corrupt them.
    parts = ["{\"a\": [\n", "\"é中\",\n" * 3, "\"𝄞\"", "\n]}\n"]
    whole = "".join(parts).encode("utf-8")
    assert b"".join(write._encoded(iter(parts), size=3)) == whole
    assert len(list(write._encoded(iter(parts), size=3))) > 1
    out = tmp_path / "out"
    out.mkdir()
    staging = write.Staging(out)
    staging.write_text("parts.json", iter(parts))
    staging.write_text("whole.json", "".join(parts))
    assert (staging.path / "parts.json").read_bytes() == (staging.path / "whole.json").read_bytes() == whole
    staging.discard()
