"""A full build cut short is taken up by the next: what it made and noted in its
journal, and is still as it left it, is linked into the new site, not made again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from broadsheet import resume, write
from broadsheet.build import BuildError
from broadsheet.cache import OutputRecord, folder_for
from broadsheet.cli import main
from broadsheet.outputs import UNKNOWN
from broadsheet.records import status_of
from broadsheet.write import Staging

from .conftest import PROJECT, txt, write_corpus
from .test_output_safety import leftovers, snapshot

SEARCH = {"search": True, "search_shard_pages": 4}


def corpus_files(extra: str = "") -> dict[str, str]:
    return {f"{i:02d}_{0xB0000 + i:06x}.txt": txt(f"{2019 + i % 4}-{1 + i % 12:02d}-{1 + i % 27:02d}",
                                                   f"Story {i} of the harbour {extra}. More words.")
            for i in range(18)}


class Cut(Exception):
    """Stands for the build being killed."""


def cut_short(monkeypatch, at_kind: str, after: int = 1) -> None:
    """The next build stops once the journal has noted `after` units of
    `at_kind`, leaving its staging folder and journal as a killed build does."""
    real = resume.Journal.add
    noted: list[int] = []

    def add(self, kind, records):
        real(self, kind, records)
        if kind == at_kind and records:
            noted.append(len(records))
            if sum(noted) >= after:
                raise Cut
    monkeypatch.setattr(resume.Journal, "add", add)
    # Killed: nothing is cleaned up.
    monkeypatch.setattr(Staging, "discard", lambda self: None)
    monkeypatch.setattr(resume.Journal, "remove", resume.Journal.close)


def killed(monkeypatch, build_site, source: Path, at_kind: str, after: int = 1, **settings) -> None:
    """A build of `source` cut short as cut_short says."""
    with monkeypatch.context() as patched:
        cut_short(patched, at_kind, after)
        with pytest.raises(Cut):
            build_site(source, **settings)


def test_a_journal_reads_back_what_was_noted_and_stops_at_a_torn_line(tmp_path):
    out = tmp_path / "site"
    staging = tmp_path / f"{write.STAGING_PREFIX}site-abcd1234"
    staging.mkdir()
    (staging / write.MARKER).write_text(write.MARKER_TEXT, encoding="utf-8")
    (staging / "a.html").write_text("a", encoding="utf-8")
    journal = resume.Journal(out, "key", staging)
    status = bytes(range(24))
    journal.add("pages", {"a.html": OutputRecord("f1", (("a.html", status),), frozenset({"title"}))})
    # A status not known yet is read from the file in the staging folder.
    journal.add("feeds", {"feed": OutputRecord("f2", (("a.html", UNKNOWN),), count=3)})
    journal.add("pages", {"gone.html": OutputRecord("f3", (("gone.html", UNKNOWN),))})  # no file: not noted
    journal.close()
    taken = resume.take_up(out, "key")
    assert taken is not None and taken.folder == staging
    assert taken.records["pages"] == {"a.html": OutputRecord("f1", (("a.html", status),), frozenset({"title"}))}
    (feed,) = taken.records["feeds"].values()
    assert feed.count == 3 and feed.files[0][1] == status_of(os.stat(staging / "a.html"))
    assert resume.take_up(out, "another key") is None

    path = resume.journal_path(out)
    path.write_text(path.read_text(encoding="utf-8") + '["pages","b.html","f4",[["b.html","00', encoding="utf-8")
    taken = resume.take_up(out, "key")
    assert taken is not None and set(taken.records["pages"]) == {"a.html"}

    # Lines of JSON that are no records: what follows is not trusted either.
    for damaged in ("[]", '["pages","b.html"]', '["pages","b.html","f",[["b.html","zz"]],null,0]',
                    '["pages","b.html","f",[],"no such reads",0]', '[1,2,3,4,5,6]'):
        path.write_text(path.read_text(encoding="utf-8").rsplit("\n", 1)[0] + "\n" + damaged + "\n"
                        + '["pages","c.html","f",[],null,0]\n', encoding="utf-8")
        taken = resume.take_up(out, "key")
        assert taken is not None and set(taken.records["pages"]) == {"a.html"}, damaged
        path.write_text("".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:-2]), encoding="utf-8")

    (staging / write.MARKER).unlink()  # not a folder a build made: never taken up
    assert resume.take_up(out, "key") is None


def test_a_journal_never_names_a_folder_other_than_a_staging_folder_of_its_site(tmp_path):
    out = tmp_path / "site"
    elsewhere = tmp_path / "photos"
    elsewhere.mkdir()
    (elsewhere / write.MARKER).write_text(write.MARKER_TEXT, encoding="utf-8")
    folder_for(out).mkdir()
    sibling = tmp_path / f"{write.STAGING_PREFIX}site-fr-abcd1234"  # another output's, site-fr's
    sibling.mkdir()
    (sibling / write.MARKER).write_text(write.MARKER_TEXT, encoding="utf-8")
    for name in ("photos", "../photos", f"{write.STAGING_PREFIX}site-x/../../photos", f"{write.STAGING_PREFIX}other-x",
                 sibling.name):
        resume.journal_path(out).write_text(json.dumps({"format": resume.FORMAT, "key": "k", "staging": name}) + "\n",
                                            encoding="utf-8")
        assert resume.take_up(out, "k") is None, name


def test_pages_and_bundles_of_a_build_cut_short_are_taken_up_and_the_site_is_the_same(
        corpus, build_site, tmp_path, monkeypatch):
    source = corpus(corpus_files())
    clean, _ = build_site(source, out=tmp_path / "clean", **SEARCH)
    assert clean.bundles >= 3

    killed(monkeypatch, build_site, source, "search bundles", **SEARCH)
    assert resume.journal_path(tmp_path / "site").is_file()
    assert len(leftovers(tmp_path)) == 1

    result, out = build_site(source, **SEARCH)
    assert result.rendered == 0 and result.pages == clean.pages  # every page was taken up
    assert result.bundles_indexed == result.bundles - 1  # the bundle made before the cut was too
    assert any(note.startswith("note: taken up from the build") and "search bundles 1" in note for note in result.notes)
    assert snapshot(out) == snapshot(tmp_path / "clean")
    assert leftovers(tmp_path) == []  # the folder taken up is gone
    assert not resume.journal_path(out).exists()
    # Each bundle's record names its own files alone (not the placeholder page
    # of the runs still going when it ended): a rebuild keeps every one.
    again, _ = build_site(source, **SEARCH)
    assert again.in_place and again.bundles_indexed == 0 and again.rendered == 0


def test_the_offline_index_s_shards_are_noted_as_they_are_made_and_taken_up(corpus, build_site, tmp_path, monkeypatch):
    source = corpus(corpus_files())
    clean, _ = build_site(source, out=tmp_path / "clean", **SEARCH)
    real = resume.Noting.__call__

    def note(self, unit, record):
        real(self, unit, record)
        raise Cut  # killed as the first shard is noted
    with monkeypatch.context() as patched:
        cut_short(patched, "none")
        patched.setattr(resume.Noting, "__call__", note)
        with pytest.raises(Cut):
            build_site(source, jobs=1, **SEARCH)  # one process: the shards are made in the build's
    noted = resume.take_up(tmp_path / "site", _key(tmp_path / "site"))
    assert noted is not None and len(noted.records["offline search"]) == 1

    result, out = build_site(source, **SEARCH)
    assert any("offline search 1" in note for note in result.notes)
    assert snapshot(out) == snapshot(tmp_path / "clean")
    assert leftovers(tmp_path) == []


def test_a_build_that_takes_up_another_and_is_cut_before_it_notes_anything_loses_nothing(
        corpus, build_site, tmp_path, monkeypatch):
    source = corpus(corpus_files())
    clean, _ = build_site(source, out=tmp_path / "clean", **SEARCH)
    killed(monkeypatch, build_site, source, "search bundles", **SEARCH)
    real = resume.prune

    def prune_then_cut(resumed):
        real(resumed)
        raise Cut  # as soon as it has begun: the journal and the folder are still the first build's
    with monkeypatch.context() as patched:
        cut_short(patched, "none")
        patched.setattr(resume, "prune", prune_then_cut)
        with pytest.raises(Cut):
            build_site(source, **SEARCH)
    result, out = build_site(source, **SEARCH)
    assert result.rendered == 0 and result.bundles_indexed == result.bundles - 1
    assert snapshot(out) == snapshot(tmp_path / "clean")


def test_articles_removed_since_the_cut_leave_nothing_behind(corpus, build_site, tmp_path, monkeypatch):
    files = corpus_files()
    source = corpus(files)
    killed(monkeypatch, build_site, source, "search bundles", **SEARCH)
    for name in sorted(files)[:3]:
        (source / name).unlink()
    result, out = build_site(source, **SEARCH)
    build_site(source, out=tmp_path / "clean", **SEARCH)
    assert snapshot(out) == snapshot(tmp_path / "clean")
    folders = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_dir())
    assert folders == sorted(p.relative_to(tmp_path / "clean").as_posix() for p in (tmp_path / "clean").rglob("*")
                             if p.is_dir())  # no folder left empty by a page removed
    assert result.rendered > 0


def test_a_build_cut_short_with_pagefind_is_not_taken_up_by_one_that_serves_the_offline_index(
        corpus, build_site, tmp_path, monkeypatch):
    # By default the engine follows the archive's size (served-search = "auto"): grown past
    # eight shards of articles since the cut, the next build makes no Pagefind bundle, and
    # takes up nothing of the build that made some, whose files would stay in the site.
    files = corpus_files()
    source = corpus(files)
    killed(monkeypatch, build_site, source, "search bundles", **SEARCH)
    write_corpus(source, {f"{i:02d}_{0xC0000 + i:06x}.txt": txt(f"2023-{1 + i % 12:02d}-{1 + i:02d}", f"Later {i}.")
                          for i in range(16)})
    result, out = build_site(source, **SEARCH)
    assert result.bundles == 0 and not any(note.startswith("note: taken up") for note in result.notes)
    assert not (out / "pagefind").exists()
    build_site(source, out=tmp_path / "clean", **SEARCH)
    assert snapshot(out) == snapshot(tmp_path / "clean")
    assert leftovers(tmp_path) == []


def test_a_build_cut_short_twice_is_taken_up_by_the_third(corpus, build_site, tmp_path, monkeypatch):
    source = corpus(corpus_files())
    clean, _ = build_site(source, out=tmp_path / "clean", **SEARCH)
    for _ in range(2):  # each cut as it notes a bundle it made: the second goes on with the first's folder
        killed(monkeypatch, build_site, source, "search bundles", **SEARCH)
        assert len(leftovers(tmp_path)) == 1
    result, out = build_site(source, **SEARCH)
    assert result.rendered == 0 and result.bundles_indexed == result.bundles - 2
    assert any("search bundles 2" in note for note in result.notes)
    assert snapshot(out) == snapshot(tmp_path / "clean")
    assert leftovers(tmp_path) == []


def test_what_changed_since_the_cut_is_made_again(corpus, build_site, tmp_path, monkeypatch):
    source = corpus(corpus_files())
    killed(monkeypatch, build_site, source, "pages", after=10)
    (staging,) = (tmp_path / name for name in leftovers(tmp_path))
    journal = resume.take_up(tmp_path / "site", _key(tmp_path / "site"))
    assert journal is not None and len(journal.records["pages"]) >= 10
    touched = sorted(journal.records["pages"])[0]
    (staging / touched).write_text("edited since", encoding="utf-8")  # a file not as the journal says
    changed = corpus_files(extra="changed")
    first = sorted(changed)[0]
    write_corpus(source, {first: changed[first]})  # an article changed since

    result, out = build_site(source)
    taken = len(journal.records["pages"])
    assert 0 < result.rendered < result.pages
    assert result.rendered >= result.pages - taken + 1
    expected, _ = build_site(source, out=tmp_path / "clean")
    assert snapshot(out) == snapshot(tmp_path / "clean")
    assert "edited since" not in (out / touched).read_text(encoding="utf-8")
    assert expected.pages == result.pages


def _key(out: Path) -> str:
    head = json.loads(resume.journal_path(out).read_text(encoding="utf-8").splitlines()[0])
    return head["key"]


def stopped_at(monkeypatch, kind: str, error: BaseException) -> None:
    """The next build raises `error` once the journal has noted units of `kind`."""
    real = resume.Journal.add

    def add(self, noted_kind, records):
        real(self, noted_kind, records)
        if noted_kind == kind and records:
            raise error
    monkeypatch.setattr(resume.Journal, "add", add)


def test_a_build_that_fails_leaves_nothing_to_take_up(corpus, build_site, tmp_path, monkeypatch):
    source = corpus(corpus_files())
    with monkeypatch.context() as patched:
        stopped_at(patched, "pages", OSError(28, "No space left on device"))
        with pytest.raises(BuildError, match="No space left"):
            build_site(source)
    assert leftovers(tmp_path) == [] and not resume.journal_path(tmp_path / "site").exists()


def test_a_build_stopped_by_ctrl_c_is_taken_up_by_the_next(corpus, tmp_path, monkeypatch, capsys):
    source = corpus(corpus_files())
    out = tmp_path / "site"
    args = ["--source", str(source), "--out", str(out), "--no-search", "--record", str(tmp_path / "record.json")]
    with monkeypatch.context() as patched:
        stopped_at(patched, "pages", KeyboardInterrupt())
        assert main(args) == 130
    assert "what was made so far is kept beside it, for the next build to take up" in capsys.readouterr().err
    assert len(leftovers(tmp_path)) == 1 and resume.journal_path(out).is_file()
    assert main(args) == 0
    assert "note: taken up from the build" in capsys.readouterr().err
    assert leftovers(tmp_path) == [] and not resume.journal_path(out).exists()


def test_ctrl_c_before_anything_was_made_leaves_nothing(corpus, tmp_path, monkeypatch, capsys):
    source = corpus(corpus_files())
    out = tmp_path / "site"

    def interrupted(self):
        assert resume.journal_path(out).is_file()  # begun, with nothing in it yet
        raise KeyboardInterrupt
    monkeypatch.setattr("broadsheet.outputs.Outputs.make", interrupted)
    assert main(["--source", str(source), "--out", str(out), "--no-search"]) == 130
    assert capsys.readouterr().err.strip().endswith("error: interrupted; the previous site is untouched")
    assert leftovers(tmp_path) == [] and not resume.journal_path(out).exists()


def test_a_full_build_takes_nothing_up_and_a_later_one_finds_no_journal(corpus, build_site, tmp_path, monkeypatch):
    source = corpus(corpus_files())
    killed(monkeypatch, build_site, source, "pages", after=5)
    result, out = build_site(source, incremental=False)  # --full
    assert result.rendered == result.pages
    assert leftovers(tmp_path) == [] and not resume.journal_path(out).exists()
    # A rebuild of the site in place keeps no journal: nothing of it is made whole.
    write_corpus(source, {"new.txt": txt("2024-01-01", "A new story.")})
    again, _ = build_site(source)
    assert again.in_place and not resume.journal_path(out).exists()


KILL_AT_FIRST_BUNDLE = """
import os, signal, sys
from broadsheet import resume
real = resume.Journal.add
def add(self, kind, records):
    real(self, kind, records)
    if kind == "search bundles" and records:
        os.kill(os.getpid(), signal.SIGKILL)
resume.Journal.add = add
from broadsheet.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_build_killed_outright_is_taken_up(tmp_path):
    source = write_corpus(tmp_path / "src", corpus_files())
    (tmp_path / "broadsheet.toml").write_text("search-shard-pages = 4\n", encoding="utf-8")
    args = ["--source", str(source), "--out", str(tmp_path / "site"), "--record", str(tmp_path / "record.json")]
    killed = subprocess.run([sys.executable, "-c", KILL_AT_FIRST_BUNDLE, *args], capture_output=True, text=True,
                            timeout=300, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(PROJECT)})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    done = subprocess.run([sys.executable, str(PROJECT / "build.py"), *args], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "note: taken up from the build" in done.stderr + done.stdout
    assert "0 rendered again" in done.stdout + done.stderr
    assert leftovers(tmp_path) == []
