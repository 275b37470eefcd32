"""Incremental rebuilds: what a rebuild keeps, what it does again, and that its
site is byte for byte the one a full build makes."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from broadsheet import build as build_module
from broadsheet import cache, check, load, progress, publish, storage, write
from broadsheet.build import BuildResult, build
from broadsheet.cli import main
from broadsheet.config import DEFAULT_TEMPLATES, Config, validate

from .conftest import txt, write_corpus


def files_of(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def page_of(out: Path, ident: str) -> Path:
    (page,) = out.glob(f"*/*/*/{ident}/index.html")
    return page


def story(i: int, extra: str = "") -> str:
    return txt(f"2023-{1 + i % 12:02d}-{1 + i % 27:02d}", f"Story number {i} about the harbour{extra}.", "A second paragraph.")


@pytest.fixture
def site(tmp_path: Path):
    """A corpus of 40 articles over a year, and a function that builds it into
    `out` (incrementally, unless told otherwise)."""
    source = write_corpus(tmp_path / "corpus", {f"{i:03d}_{0xA0000 + i:08x}.txt": story(i) for i in range(40)})

    def run(out: str = "site", **settings) -> tuple[BuildResult, Path]:
        settings.setdefault("search", False)
        settings.setdefault("per_page", 10)
        config = validate(Config(source=source, out=tmp_path / out, **settings))
        return build(config), tmp_path / out

    run.source = source  # type: ignore[attr-defined]
    return run


def age(folder: Path, seconds: float = 60) -> None:
    """Make the files look written a while ago, as files of a real corpus are."""
    past = time.time() - seconds
    for path in folder.rglob("*"):
        os.utime(path, (past, past))


def noting_process(noted: Path, real):
    """`real`, noting in `noted` the id of the process each call runs in."""

    def call(*args):
        with noted.open("a", encoding="utf-8") as file:
            file.write(f"{os.getpid()}\n")
        return real(*args)

    return call


def processes(noted: Path) -> list[str]:
    return noted.read_text(encoding="utf-8").split()


def assert_same_as_full_build(site, out: Path) -> None:
    full, fresh = site(out="full", incremental=False)
    assert full.rendered == full.pages
    assert files_of(out) == files_of(fresh)
    shutil.rmtree(fresh)


def test_a_rebuild_with_nothing_changed_renders_nothing(site):
    first, out = site()
    assert first.rendered == first.pages and not first.in_place
    again, _ = site()
    assert again.in_place and again.rendered == 0 and again.pages == first.pages
    assert "0 rendered again" in again.summary()


def test_a_changed_article_renders_only_the_pages_that_show_it(site):
    _, out = site()
    changed = site.source / "020_000a0014.txt"
    changed.write_text(story(20, " and the new bridge"), encoding="utf-8")
    result, _ = site()
    # The article, its two neighbours, the home or listing page and the month page that list it.
    assert 1 <= result.rendered <= 6, result.rendered
    assert "the new bridge" in page_of(out, "000a0014").read_text(encoding="utf-8")
    assert_same_as_full_build(site, out)


def test_pages_rendered_again_the_same_are_kept_by_the_next_build(site):
    _, out = site()
    changed = site.source / "020_000a0014.txt"
    # The second paragraph: the neighbours, which show only the title, come out the same.
    changed.write_text(story(20).replace("A second paragraph.", "Another second paragraph."), encoding="utf-8")
    second, _ = site()
    assert second.rendered >= 3, second.rendered
    third, _ = site()
    assert third.in_place and third.rendered == 0, third.rendered


def test_a_newest_article_renders_the_first_listing_page_again_not_the_older_ones(site):
    _, out = site()
    numbered = sorted(out.glob("page/*/index.html"))
    assert len(numbered) == 3  # 40 articles, 10 a page: pages 1 to 3, and the first page
    before = {path: path.stat().st_ino for path in numbered}
    home = (out / "index.html").read_text(encoding="utf-8")
    write_corpus(site.source, {"900_000b0001.txt": txt("2023-12-30", "The newest story about the harbour.")})
    result, _ = site()
    # The article, its older neighbour, the first pages of the home and of its
    # month, the year and archive pages that count it: not pages 1 to 3.
    assert result.rendered <= 7, result.rendered
    assert {path: path.stat().st_ino for path in numbered} == before  # not written again
    assert (out / "index.html").read_text(encoding="utf-8") != home
    assert_same_as_full_build(site, out)


def test_added_and_removed_articles_give_the_site_of_a_full_build(site):
    _, out = site()
    write_corpus(site.source, {"900_000b0001.txt": txt("2023-06-15", "A story added later about the harbour.")})
    added, _ = site()
    assert 0 < added.rendered < added.pages
    assert_same_as_full_build(site, out)
    # The addresses of removed articles are known from the site's own record, so
    # the full build to compare with is one into a copy of the site.
    shutil.copytree(out, out.parent / "full")
    (site.source / "005_000a0005.txt").unlink()
    removed, _ = site()
    assert removed.gone == 1 and removed.rendered < removed.pages
    assert_same_as_full_build(site, out)


def test_a_rebuild_plans_the_addresses_beside_the_build_and_says_what_the_plan_says(site, monkeypatch, tmp_path):
    from broadsheet import parallel

    planned_in = tmp_path / "planned in"
    monkeypatch.setattr(build_module.AddressPlanning, "_plan", noting_process(planned_in, build_module.AddressPlanning._plan))
    _, out = site()
    shutil.copytree(out, out.parent / "full")  # to compare with: a full build that knows the removed address
    (site.source / "005_000a0005.txt").unlink()
    removed, _ = site()
    full_build, rebuild = processes(planned_in)
    assert full_build == str(os.getpid()) != rebuild
    assert removed.in_place and removed.gone == 1
    # Its warning, told once, by the build.
    assert [(p.source, "it was 005_000a0005.txt" in p.message) for p in removed.problems] == [("2023/06/06/000a0005/", True)]
    assert_same_as_full_build(site, out)
    # Short of memory for another process: planned in the build.
    monkeypatch.setattr(parallel, "room_beside", lambda: False)
    write_corpus(site.source, {"900_000b0001.txt": txt("2023-06-15", "A story added later about the harbour.")})
    added, _ = site()
    assert added.in_place and processes(planned_in)[-1] == str(os.getpid())
    shutil.copytree(out, out.parent / "full")
    assert_same_as_full_build(site, out)


def test_a_rebuild_lists_the_sources_beside_the_reading_of_its_cache(site, monkeypatch, tmp_path):
    listed_in = tmp_path / "listed in"
    monkeypatch.setattr(build_module, "list_sources", noting_process(listed_in, build_module.list_sources))
    _, out = site()
    assert not listed_in.exists()  # a full build: each file's status is read with the file, in the workers
    write_corpus(site.source, {"900_000b0001.txt": txt("2023-06-15", "A story added later about the harbour.")})
    (site.source / "005_000a0005.txt").write_text(story(5, " and its boats"), encoding="utf-8")
    again, _ = site()
    assert processes(listed_in) != [str(os.getpid())]
    assert again.in_place and again.articles == 41 and 0 < again.rendered < again.pages
    assert "and its boats" in page_of(out, "000a0005").read_text(encoding="utf-8")
    shutil.copytree(out, out.parent / "full")
    assert_same_as_full_build(site, out)


def test_a_rebuild_writes_the_manifest_beside_the_build(site, monkeypatch, tmp_path):
    from broadsheet import check, parallel
    from broadsheet.outputs import static

    written_in = tmp_path / "written in"
    monkeypatch.setattr(check, "manifest_parts", noting_process(written_in, check.manifest_parts))
    # As in a build that has no other thread (tests before this one may have left some).
    monkeypatch.setattr(static.threading, "active_count", lambda: 1)
    _, out = site()
    write_corpus(site.source, {"900_000b0001.txt": txt("2023-06-15", "A story added later about the harbour.")})
    site()
    full_build, rebuild = processes(written_in)
    assert full_build == str(os.getpid()) != rebuild
    assert_same_as_full_build(site, out)
    # A build with another thread, which a fork would not copy: written by the build.
    monkeypatch.setattr(static.threading, "active_count", lambda: 2)
    write_corpus(site.source, {"900_000b0003.txt": txt("2023-06-17", "A third story about the harbour.")})
    site()
    assert processes(written_in)[-1] == str(os.getpid())
    monkeypatch.setattr(static.threading, "active_count", lambda: 1)
    # A process that dies: the manifest is written by the build.
    monkeypatch.setattr(parallel, "_run_beside", lambda *args: os._exit(3))
    write_corpus(site.source, {"900_000b0002.txt": txt("2023-06-16", "Another story about the harbour.")})
    again, _ = site()
    assert again.in_place and processes(written_in)[-1] == str(os.getpid())
    assert_same_as_full_build(site, out)


def test_unchanged_files_are_not_parsed_again(site, monkeypatch):
    age(site.source)
    site()
    calls = []
    real = load.parse_source

    def counting(source_file, **kwargs):
        calls.append(source_file)
        return real(source_file, **kwargs)

    monkeypatch.setattr(load, "parse_source", counting)
    site(jobs=1)
    assert calls == []
    write_corpus(site.source, {"001_000a0001.txt": story(1, " and a ferry")})
    site(jobs=1)
    assert [c.rel for c in calls] == ["001_000a0001.txt"]


def test_the_cache_gives_articles_without_their_bodies_until_they_are_used(site, monkeypatch):
    _, out = site()
    config = validate(Config(source=site.source, out=out, search=False, per_page=10))
    cached, _ = cache.read_cache(out, cache.build_key(config))
    assert cached is not None and cached.bodies is not None
    one, two, three = (cached.articles[f"{i:03d}_{0xA0000 + i:08x}.txt"].loaded.article for i in (1, 2, 3))
    assert not any(a.has_body for a in (one, two, three))
    assert one.title.startswith("Story number 1 ") and not one.has_body  # the head is there
    assert one.paragraphs == ("Story number 1 about the harbour.", "A second paragraph.") and not one.has_body
    reads = []
    monkeypatch.setattr(storage, "loads", lambda data, loads=storage.loads: reads.append(1) or loads(data))
    with cached.bodies.holding([two, three]):
        assert reads == [1, 1]  # read at once, in one query
        assert three.text.startswith("Story number 3 about") and two.paragraphs[0].startswith("Story number 2")
        assert reads == [1, 1] and not two.has_body
    assert three.text.startswith("Story number 3 about") and reads == [1, 1, 1]  # no longer held
    cached.bodies.close()


def test_a_listing_reads_the_excerpts_it_shows_with_its_range_of_pages(site, monkeypatch):
    # An excerpt is kept with the body, not in the article: a large archive would hold them all.
    from broadsheet.outputs.pages import Shown, bodies_of
    from broadsheet.records import Article
    from broadsheet.site import build_site

    assert "excerpt" not in Article.__slots__
    _, out = site()
    config = validate(Config(source=site.source, out=out, search=False, per_page=10))
    cached, _ = cache.read_cache(out, cache.build_key(config))
    assert cached is not None and cached.bodies is not None
    shown, _ = build_site([r.loaded.article for r in cached.articles.values()], per_page=10, site_title="News",
                          language="en")
    listing = shown.listings[0]
    expected = [cached.bodies.read(os.fsencode(entry.article.source)).excerpt for entry in listing.entries]
    assert all(expected) and len(expected) > 1
    cached.bodies._recent.clear()  # the bodies just read
    reads, statements = [], []
    monkeypatch.setattr(storage, "loads", lambda data, loads=storage.loads: reads.append(1) or loads(data))
    cached.bodies._connection().set_trace_callback(statements.append)
    with bodies_of(cached.bodies, [(("listing", 0), Shown(listing, ()))]):
        assert len(statements) == 1  # at once, in one query
        assert [entry.article.excerpt for entry in listing.entries] == expected
        assert len(statements) == 1 and reads == []  # not one of their bodies
    assert listing.entries[0].article.excerpt == expected[0] and len(statements) == 2  # no longer held
    cached.bodies.close()


def test_the_records_of_outputs_are_written_by_the_parts_that_changed(site, monkeypatch):
    _, out = site()
    config = validate(Config(source=site.source, out=out, search=False, per_page=10))
    key = cache.build_key(config)
    first, _ = cache.read_cache(out, key)
    assert first is not None and first.outputs["pages"] and first.bodies is not None
    first.bodies.close()
    pages = dict(first.outputs["pages"])
    article_page = next(unit for unit in pages if unit.count("/") == 4)
    month = article_page[: cache.OUTPUT_PART]
    others = [unit for unit in pages if not unit.startswith(month)]
    pages[article_page] = cache.OutputRecord("another", pages[article_page].files, pages[article_page].reads)
    del pages[others[0]]
    changed = dataclasses.replace(first, outputs={**first.outputs, "pages": pages, "new kind": {
        "x": cache.OutputRecord("x", ())}})
    gone_kind = next(kind for kind, units in first.outputs.items() if kind != "pages" and units)
    del changed.outputs[gone_kind]
    written = []
    dumps = cache.storage.dumps
    monkeypatch.setattr(cache.storage, "dumps", lambda value: written.append(value) or dumps(value))
    cache.write_cache(out, changed, last=first)
    # The parts of the changed page and of the one gone, and the new kind's; a kind gone, gone.
    assert sorted(sorted(value) for value in written if isinstance(value, dict)) == sorted([
        sorted(u for u in pages if u.startswith(month)), sorted(u for u in pages if u.startswith(others[0][: cache.OUTPUT_PART])),
        ["x"]])
    again, _ = cache.read_cache(out, key)
    assert again is not None and again.bodies is not None
    again.bodies.close()
    assert again.outputs == changed.outputs
    # Forgotten (the site in place is being changed): none, until a build writes them all.
    cache.forget_outputs(out)
    forgotten, _ = cache.read_cache(out, key)
    assert forgotten is not None and forgotten.outputs == {} and forgotten.bodies is not None
    forgotten.bodies.close()
    cache.write_cache(out, first, last=forgotten)
    whole, _ = cache.read_cache(out, key)
    assert whole is not None and whole.outputs == first.outputs and whole.bodies is not None
    whole.bodies.close()


def test_a_full_build_keeps_the_bodies_in_its_new_cache_not_in_memory(site):
    config = validate(Config(source=site.source, out=site.source.parent / "fresh", search=False, per_page=10))
    corpus = build_module.load_articles(config, lambda problem: None, progress.silent, None,
                                        cache.WholeCache(config.out))
    assert corpus.bodies is not None and corpus.articles
    assert not any(a.has_body for a in corpus.articles)
    assert all(a.paragraphs for a in corpus.articles)  # read from the new cache file
    corpus.bodies.close()


def test_a_full_build_whose_cache_cannot_be_written_reads_bodies_from_their_files(site, monkeypatch):
    monkeypatch.setattr(cache, "_insert_packed", lambda db, rows: (_ for _ in ()).throw(sqlite3.OperationalError("disk full")))
    config = validate(Config(source=site.source, out=site.source.parent / "fresh", search=False, per_page=10))
    corpus = build_module.load_articles(config, lambda problem: None, progress.silent, None,
                                        cache.WholeCache(config.out))
    assert corpus.bodies is None and not any(a.has_body for a in corpus.articles)
    assert corpus.articles[0].paragraphs[0].startswith("Story number")


def test_a_full_build_leaves_a_cache_of_the_articles_there_are_now(site, monkeypatch):
    _, out = site()
    (site.source / "007_000a0007.txt").unlink()
    write_corpus(site.source, {"new.txt": story(99)})

    def unused(*args):
        raise AssertionError("the articles were written as they were loaded: nothing is left to write")

    monkeypatch.setattr(cache, "_write", unused)
    result, _ = site(incremental=False)  # --full: the cache is written whole, into a new file
    assert not any("cache" in note for note in result.notes), result.notes
    config = validate(Config(source=site.source, out=out, search=False, per_page=10))
    cached, _ = cache.read_cache(out, cache.build_key(config))
    assert cached is not None and cached.bodies is not None
    assert "007_000a0007.txt" not in cached.articles and "new.txt" in cached.articles
    assert len(cached.articles) == 40
    new = cached.articles["new.txt"].loaded.article
    assert new.paragraphs == ("Story number 99 about the harbour.", "A second paragraph.")
    cached.bodies.close()
    assert sorted(p.name for p in cache.folder_for(out).iterdir()) == [cache.CACHE_FILE, "templates"]


def test_a_full_build_cut_short_leaves_the_last_cache_as_it_was(site, monkeypatch):
    from broadsheet import build as build_module
    from broadsheet.outputs import pages as pages_module

    _, out = site()
    cache_file = cache.folder_for(out) / cache.CACHE_FILE
    before = cache_file.read_bytes()

    def fail(*args, **kwargs):
        assert (cache.folder_for(out) / (cache.CACHE_FILE + ".new")).is_file()  # the new cache, begun
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pages_module, "take_pages", fail)
    with pytest.raises(build_module.BuildError, match="No space left on device"):
        site(incremental=False)
    assert cache_file.read_bytes() == before
    assert sorted(p.name for p in cache.folder_for(out).iterdir()) == [cache.CACHE_FILE, "templates"]
    monkeypatch.undo()
    again, _ = site()
    assert again.in_place and again.rendered == 0


def test_a_new_cache_that_cannot_be_begun_early_is_written_at_the_end(site, monkeypatch):
    import sqlite3

    real = cache._open

    def refuse(path):
        if path.name.endswith(".new"):
            raise sqlite3.OperationalError("disk I/O error")
        return real(path)

    monkeypatch.setattr(cache, "_open", refuse)
    first, out = site()
    assert not any("cache" in note for note in first.notes), first.notes
    monkeypatch.undo()
    again, _ = site()
    assert again.in_place and again.rendered == 0


def test_a_changed_template_renders_every_page_again(site, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    shutil.copy(DEFAULT_TEMPLATES / "article.html", templates / "article.html")
    first, out = site(templates=templates)
    assert site(templates=templates)[0].rendered == 0
    assert list((cache.folder_for(out) / "templates").rglob("*.cache")), "compiled templates are kept"
    text = (templates / "article.html").read_text(encoding="utf-8")
    (templates / "article.html").write_text(text.replace("</article>", "<p>Printed edition</p></article>", 1), encoding="utf-8")
    result, _ = site(templates=templates)
    assert result.rendered == result.pages == first.pages
    assert "Printed edition" in page_of(out, "000a0001").read_text(encoding="utf-8")


def test_a_folder_for_compiled_templates_that_cannot_be_made_is_done_without(site, tmp_path):
    cache.folder_for(tmp_path / "site").mkdir()
    (cache.folder_for(tmp_path / "site") / "templates").write_text("not a folder", encoding="utf-8")
    first, out = site()
    assert first.pages > 40 and first.problems == []
    assert_same_as_full_build(site, out)


def test_a_changed_setting_renders_every_page_again(site):
    first, out = site()
    result, _ = site(site_title="The Harbour Times")
    assert result.rendered == result.pages
    assert "The Harbour Times" in (out / "archive/index.html").read_text(encoding="utf-8")
    assert_same_as_full_build_with(site, out, site_title="The Harbour Times")


def assert_same_as_full_build_with(site, out: Path, **settings) -> None:
    _, fresh = site(out="full", incremental=False, **settings)
    assert files_of(out) == files_of(fresh)


def test_the_build_key_changes_with_the_code_the_templates_and_the_settings(tmp_path):
    config = validate(Config(source=tmp_path, out=tmp_path / "site"))
    package = tmp_path / "package"
    shutil.copytree(cache.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    key = cache.build_key(config, package=package)
    assert cache.build_key(config, package=package) == key
    (package / "render.py").write_text((package / "render.py").read_text() + "\n# another line\n")
    assert cache.build_key(config, package=package) != key
    assert cache.build_key(validate(Config(source=tmp_path, out=tmp_path / "site", per_page=20))) != cache.build_key(config)
    # Settings that change how a build runs, not what it makes, keep the cache.
    quiet = validate(Config(source=tmp_path, out=tmp_path / "site", quiet=True, jobs=1, strict=True))
    assert cache.build_key(quiet) == cache.build_key(config)


def test_another_version_of_a_library_makes_another_build_key(tmp_path, monkeypatch):
    import importlib.metadata

    config = validate(Config(source=tmp_path, out=tmp_path / "site"))
    key = cache.build_key(config)
    installed = importlib.metadata.version

    def upgraded(name: str) -> str:
        return "99.0" if name == "jinja2" else installed(name)

    monkeypatch.setattr(importlib.metadata, "version", upgraded)
    upgraded_key = cache.build_key(config)
    assert upgraded_key != key

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert cache.build_key(config) not in (key, upgraded_key)


def test_a_page_edited_by_hand_is_rendered_again(site):
    _, out = site()
    page = page_of(out, "000a0003")
    original = page.read_bytes()
    page.write_text("edited", encoding="utf-8")
    result, _ = site()
    assert result.rendered == 1 and page.read_bytes() == original


def test_the_files_of_the_site_are_read_beside_the_build_as_in_it(site, monkeypatch):
    from broadsheet import outputs, parallel

    _, out = site()
    config = validate(Config(source=site.source, out=out, search=False, per_page=10))
    last, _ = cache.read_cache(out, cache.build_key(config))
    assert last is not None
    edited, removed = page_of(out, "000a0003"), page_of(out, "000a0004")
    edited.write_text("edited", encoding="utf-8")
    removed.unlink()
    expected = {("pages", edited.relative_to(out).as_posix()), ("pages", removed.relative_to(out).as_posix())}
    assert outputs.units_changed(out, last.outputs) == expected
    beside = outputs.SiteCheck(out, last.outputs)
    assert beside._apart._beside is not None and beside.changed() == expected  # read in a forked process
    # Begun before the build reads its cache, the process reads the records itself.
    first = outputs.SiteCheck(out)
    assert first._apart._beside is not None and first.changed() == expected
    # A process that dies: its files are read in the build.
    monkeypatch.setattr(parallel, "_run_beside", lambda *args: os._exit(3))
    assert outputs.SiteCheck(out, last.outputs).changed() == expected
    assert outputs.SiteCheck(out).changed() == expected
    # With the records of the site in place forgotten, none is checked.
    cache.forget_outputs(out)
    assert cache.read_outputs(out) == {} and outputs.SiteCheck(out).changed() == set()
    monkeypatch.undo()
    cache.write_cache(out, last, last=dataclasses.replace(last, outputs={}))
    result, _ = site()
    assert result.rendered == 2 and edited.read_text(encoding="utf-8") != "edited" and removed.is_file()


def test_a_damaged_cache_means_a_full_build(site):
    first, out = site()
    (cache.folder_for(out) / cache.CACHE_FILE).write_bytes(b"not a database at all" * 100)
    result, _ = site()
    assert result.rendered == result.pages
    assert any("cache" in note for note in result.notes)
    assert site()[0].rendered == 0  # and the cache is whole again


def test_an_update_cut_short_is_repaired_by_the_next_build(site, monkeypatch):
    _, out = site()
    write_corpus(site.source, {f"{i:03d}_{0xA0000 + i:08x}.txt": story(i, " revised") for i in range(0, 40, 3)})
    real, moves = os.replace, []

    def replace(old, new):
        moves.append(new)
        if len(moves) == 4:
            raise KeyboardInterrupt
        return real(old, new)

    monkeypatch.setattr(write.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        site()
    monkeypatch.setattr(write.os, "replace", real)
    result, _ = site()
    assert result.in_place
    assert_same_as_full_build(site, out)


def test_full_on_the_command_line_renders_every_page(site, capsys):
    _, out = site()
    code = main(["--source", str(site.source), "--out", str(out), "--no-search", "--per-page", "10", "--full"])
    assert code == 0
    assert "rendered again" not in capsys.readouterr().err
    code = main(["--source", str(site.source), "--out", str(out), "--no-search", "--per-page", "10"])
    assert code == 0 and " 0 rendered again" in capsys.readouterr().err


def test_one_process_and_several_make_the_same_site(site):
    _, one = site(out="one", jobs=1, incremental=False)
    _, two = site(out="two", jobs=2, incremental=False)
    assert files_of(one) == files_of(two)


def test_feeds_are_kept_until_one_of_the_newest_articles_changes(tmp_path, monkeypatch):
    # 55 articles: the feeds show the newest 50, so the oldest is in none of them.
    source = write_corpus(tmp_path / "corpus", {f"{i:03d}_{0xC0000 + i:08x}.txt": story(i) for i in range(55)})

    def run(out: str = "site", **settings) -> tuple[BuildResult, Path]:
        config = validate(Config(source=source, out=tmp_path / out, search=False, base_url="https://example.org/news/",
                                 **settings))
        return build(config), tmp_path / out

    def feeds(out: Path) -> dict[str, tuple[bytes, int]]:
        return {name: ((out / name).read_bytes(), (out / name).stat().st_ino) for name in ("feed.xml", "feed.json")}

    made = []
    real = publish.atom_feed
    monkeypatch.setattr(publish, "atom_feed", lambda *a, **k: made.append(1) or real(*a, **k))
    _, out = run()
    before = feeds(out)
    (source / "000_000c0000.txt").write_text(story(0, " and the old mill"), encoding="utf-8")  # the oldest
    run()
    assert feeds(out) == before and len(made) == 1  # not made again
    (source / "023_000c0017.txt").write_text(story(23, " and the new bridge"), encoding="utf-8")  # the newest
    run()
    assert "the new bridge" in (out / "feed.xml").read_text(encoding="utf-8") and len(made) == 2
    assert "the new bridge" in (out / "feed.json").read_text(encoding="utf-8")
    (out / "feed.xml").write_text("edited", encoding="utf-8")
    run()
    full, fresh = run(out="full", incremental=False)
    assert files_of(out) == files_of(fresh)


def test_the_site_values_a_page_reads_are_noted_however_they_are_read():
    from broadsheet.render import ReadsNoted

    site = ReadsNoted({"title": "T", "years": (2024,), "keys": "k", "_hidden": 1})
    assert site.title == "T" and site["years"] == (2024,)
    assert site.take_reads() == {"title", "years"}
    assert site.take_reads() == frozenset()
    # A key that is a method of a mapping, or private, is read as an item only.
    assert callable(site.keys) and site["keys"] == "k" and not hasattr(site, "_hidden")
    assert site.take_reads() == {"keys"}
    with pytest.raises(AttributeError):
        site.missing  # noqa: B018
    assert dict(site) and ReadsNoted.ALL in site.take_reads()


def test_a_rebuild_with_search_keeps_the_feeds_that_did_not_change(site, monkeypatch):
    first, out = site(search=True, base_url="https://example.org/news/")
    assert first.indexed == 40

    def refuse(*args, **kwargs):
        raise AssertionError("the feeds were made again, though no article changed")

    monkeypatch.setattr(publish, "atom_feed", refuse)
    monkeypatch.setattr(publish, "json_feed", refuse)
    again, _ = site(search=True, base_url="https://example.org/news/")
    assert again.in_place and again.rendered == 0 and again.bundles_indexed == 0
    assert (out / publish.ATOM_FEED).is_file() and (out / publish.JSON_FEED).is_file()


def test_the_fingerprints_keep_only_the_latest_entries_texts_and_give_the_same(site, monkeypatch):
    # An entry's text is kept for the pages near it, not for the whole build;
    # a rebuild, which checks every page, keeps every one.
    from broadsheet.outputs import pages
    from broadsheet.render import site_globals
    from broadsheet.site import build_site

    config = validate(Config(source=site.source, out=site.source.parent / "fp", search=False, per_page=10))
    corpus = build_module.load_articles(config, lambda problem: None, progress.silent)
    shown, _ = build_site(corpus.articles, per_page=10, site_title="News", language="en")
    keys = pages.page_keys(shown)
    # The articles' pages first, in the site's order (Pages.units takes their files so).
    assert keys[: len(shown.entries)] == [("article", i) for i in range(len(shown.entries))]
    every = cache.Fingerprints(site_globals(config, shown), {})
    expected = [pages.page_fingerprint(shown, every, key, frozenset()) for key in keys]
    monkeypatch.setattr(cache.Fingerprints, "RECENT", 3)
    few = cache.Fingerprints(site_globals(config, shown), {})
    held = []
    for key, fingerprint in zip(keys, expected, strict=True):
        assert pages.page_fingerprint(shown, few, key, frozenset()) == fingerprint
        held.append(len(few._entries))
    assert max(held) == 3 and len(every._entries) == len(shown.entries) > 3
    kept = cache.Fingerprints(site_globals(config, shown), {}, every=True)
    assert [pages.page_fingerprint(shown, kept, key, frozenset()) for key in keys] == expected
    assert len(kept._entries) == len(shown.entries)
    assert kept.entries_key(shown.entries) == few.entries_key(shown.entries) == every.entries_key(shown.entries)
    assert kept.indexed_text(kept.texts(shown.entries)[0], frozenset()) == few.indexed_text(few.entry(shown.entries[0]), frozenset())
    # The articles' pages in one pass, as a rebuild checks them: as one at a time, first and last too.
    reads = frozenset({"title", "feeds"})
    one_by_one = [pages.page_fingerprint(shown, every, ("article", i), reads) for i in range(len(shown.entries))]
    assert few.articles(shown.entries, reads) == one_by_one
    assert len(set(one_by_one)) == len(one_by_one) and one_by_one != kept.articles(shown.entries, frozenset())
    # A rebuild's fingerprints, given the site's entries, take the texts of a run
    # of them as a slice: the same keys, and none for entries that are not such a run.
    ordered = cache.Fingerprints(site_globals(config, shown), {}, every=True, entries=shown.entries)
    assert ordered.articles(shown.entries, reads) == one_by_one
    entries = shown.entries
    for run in (entries, entries[2:5], entries[-3:], entries[4:5], (entries[1], entries[3], entries[2], entries[4]),
                (entries[1], entries[3]), entries[::-1], (entries[0], entries[0]), list(entries[1:3]), ()):
        assert ordered.entries_key(run) == few.entries_key(run)
    assert ordered._run(entries[2:5]) is not None and ordered._run((entries[1], entries[2], entries[4])) is None
    assert ordered._run((entries[1], entries[3], entries[2], entries[4])) is None
    assert ordered.for_workers()._run(entries[2:5]) is None


def test_no_part_of_what_a_page_is_made_from_holds_a_line_break(tmp_path):
    # Fingerprints.of hashes the parts joined by line breaks: a part holding
    # one could make what two pages are made from the same text.
    from broadsheet.outputs import pages
    from broadsheet.render import site_globals
    from broadsheet.site import build_site

    source = write_corpus(tmp_path / "corpus", {
        "a.md": '---\ntitle: "Two\\nlines"\ndate: 2023-11-11\nauthor: "Ann\\nLee"\ntags: ["x\\ny", "z"]\n'
                'slug: "s\\nt"\n---\nBody.\n',
        "b.txt": story(1),
    })
    config = validate(Config(source=source, out=tmp_path / "site", search=False, per_page=1))
    corpus = build_module.load_articles(config, lambda problem: None, progress.silent)
    shown, _ = build_site(corpus.articles, per_page=1, site_title="News\nroom", language="en")
    assert shown.listings[0].title == "News\nroom"  # the loader made the articles' own fields one line each
    fingerprints = cache.Fingerprints(site_globals(config, shown), corpus.digests)
    made = [pages.made_from(fingerprints, key, pages.part_of(shown, key)) for key in pages.page_keys(shown)]
    assert {given[0] for given in made} >= {"article", "listing", "year", "authors", "tags"}
    assert not [part for given in made for part in given if "\n" in part]
    # And so parts told apart give fingerprints told apart.
    assert fingerprints.of(("a", "b c"), frozenset()) != fingerprints.of(("a b", "c"), frozenset())


@pytest.mark.parametrize("shows_count", [False, True])
def test_a_list_grown_by_a_page_makes_its_older_pages_again_only_if_they_show_how_many(site, tmp_path, monkeypatch,
                                                                                        shows_count):
    # Ten newer articles: the home list of 40 grows from four pages of ten to five.
    from broadsheet.outputs import pages

    made = tmp_path / "made.txt"
    real = pages.render_shown

    def noting(renderer, key, page):  # in the workers too: forked after this
        with made.open("a", encoding="utf-8") as file:
            file.write(f"{page.part.url if isinstance(page.part, pages.Listing) else '-'}\n")
        return real(renderer, key, page)

    settings = {}
    if shows_count:
        templates = tmp_path / "templates"
        templates.mkdir()
        theme = (DEFAULT_TEMPLATES / "_pages.html").read_text(encoding="utf-8")
        (templates / "_pages.html").write_text(theme + "<p>{{ listing.count }} pages</p>\n", encoding="utf-8")
        settings["templates"] = templates
    _, out = site(**settings)
    oldest = (out / "page/1/index.html").read_bytes()
    for day in range(1, 11):
        (site.source / f"new_{day:02d}.txt").write_text(txt(f"2024-01-{day:02d}", f"News of day {day}."), encoding="utf-8")
    monkeypatch.setattr(pages, "render_shown", noting)
    again, _ = site(**settings)
    monkeypatch.undo()
    listings = made.read_text(encoding="utf-8").split()
    assert again.in_place and (out / "page/4/index.html").is_file()
    # Made again: the page that now links to the new page 4, and the oldest
    # pages only where the templates read how many pages the list has.
    assert ("page/1/" in listings) == ("page/2/" in listings) == shows_count and "page/3/" in listings
    assert ((out / "page/1/index.html").read_bytes() == oldest) != shows_count
    assert_same_as_full_build(lambda **more: site(**settings, **more), out)


def test_a_listing_notes_what_its_templates_read_of_it():
    import jinja2

    from broadsheet.render import NotedListing, listing_read
    from broadsheet.site import Listing

    listing = Listing(kind="index", url="page/2/", title="News", entries=(), number=2, count=5, first_url="",
                      previous_url="page/3/", next_url="page/1/")
    reads: set[str] = set()
    shown = NotedListing(listing, reads)
    page = jinja2.Environment().from_string(
        "{{ listing.number }} {{ listing['title'] }} {% if listing.is_first %}first{% endif %}"
        "{{ listing.entries|length }}{{ listing.missing is defined }}")
    assert page.render(listing=shown) == "2 News 0False"
    assert reads == {"listing.number", "listing.title", "listing.is_first", "listing.entries", "listing.missing"}
    assert listing_read(listing, frozenset(reads)) == (
        "'is_first'=False", "'missing'=None", "'number'=2", "'title'='News'")  # the entries are the page's apart
    assert listing_read(listing, frozenset({"listing.a\nb"})) == ("'a\\nb'=None",)  # a name read as an item
    # Printed whole, it is all of it, as the listing itself would be printed.
    reads.clear()
    assert jinja2.Environment().from_string("{{ listing }}").render(listing=shown) == str(listing)
    assert listing_read(listing, frozenset(reads)) == (f"'*'={listing!r}",)
    reads.clear()
    assert shown.__class__ is NotedListing and not reads and listing_read(listing, frozenset({"listing.__doc__"})) == ()


def test_the_sitemaps_and_the_list_of_articles_are_kept_until_an_article_changes(tmp_path, monkeypatch):
    source = write_corpus(tmp_path / "corpus", {f"{i:03d}_{0xD0000 + i:08x}.txt": story(i) for i in range(12)})

    def run(out: str = "site", **settings) -> tuple[BuildResult, Path]:
        config = validate(Config(source=source, out=tmp_path / out, search=False, base_url="https://example.org/news/",
                                 **settings))
        return build(config), tmp_path / out

    made = []
    real = publish.sitemap_urls
    monkeypatch.setattr(publish, "sitemap_urls", lambda *a, **k: made.append(1) or real(*a, **k))
    _, out = run()
    names = ("sitemap.xml", "news-sitemap.xml", "robots.txt", "articles.json")
    before = {name: (out / name).stat().st_ino for name in names}
    run()
    assert made == [1] and {name: (out / name).stat().st_ino for name in names} == before  # not made again
    (source / "005_000d0005.txt").write_text(story(5, " and the ferry"), encoding="utf-8")
    run()
    assert made == [1, 1] and "the ferry" in (out / "articles.json").read_text(encoding="utf-8")
    # A second paragraph changed: the title, address and date are as they were, and so is the list of articles
    # (written in a process beside the build: counted in a file).
    listed = tmp_path / "listed"
    real_manifest = check.manifest_parts
    monkeypatch.setattr(check, "manifest_parts", lambda entries: (listed.write_text("made"), real_manifest(entries))[1])
    (source / "005_000d0005.txt").write_text(txt("2023-06-06", "Story number 5 about the harbour and the ferry.",
                                                 "A second paragraph, changed."), encoding="utf-8")
    run()
    assert made == [1, 1, 1] and not listed.exists()
    (source / "005_000d0005.txt").write_text(story(5, " and the ship"), encoding="utf-8")
    run()
    assert made == [1, 1, 1, 1] and listed.exists() and "the ship" in (out / "articles.json").read_text(encoding="utf-8")
    (out / "sitemap.xml").write_text("edited", encoding="utf-8")
    run()
    assert made == [1, 1, 1, 1, 1]
    _, fresh = run(out="full", incremental=False)
    assert files_of(out) == files_of(fresh)


@pytest.mark.parametrize("served", ["offline", "pagefind"])
def test_a_rebuild_makes_its_offline_shard_beside_from_the_start(site, monkeypatch, served):
    # The plan of addresses is made in a process beside a rebuild, until the
    # pages at old addresses need it; the offline index's shard too, begun
    # before the pages are checked, so that the build's own work, the plan and
    # the shard share the cores.  With Pagefind's bundles, their runs are begun
    # before the plan is waited for.
    from broadsheet.outputs import offline_search, pages, search_bundles

    settings = {"search": True, "served_search": served, "base_url": "https://example.org/news/"}
    site(**settings)
    write_corpus(site.source, {"new.txt": story(99)})
    # Served by the offline index, a shard of as many articles as this site's is made beside.
    monkeypatch.setattr(offline_search, "BESIDE_ARTICLES", 1)
    order = []
    shards, plan = offline_search.Shards.__init__, build_module.AddressPlanning.__call__
    begin, render = search_bundles.SearchBundles.start, pages.Pages.start

    def begun(self, *args):
        shards(self, *args)
        order.append(("shards", "beside" if self.making is not None else "here"))

    monkeypatch.setattr(offline_search.Shards, "__init__", begun)
    monkeypatch.setattr(build_module.AddressPlanning, "__call__",
                        lambda self, pages: order.append(("plan", self.being_made)) or plan(self, pages))
    monkeypatch.setattr(search_bundles.SearchBundles, "start", lambda self, todo: order.append("bundles") or begin(self, todo))
    monkeypatch.setattr(pages.Pages, "start", lambda self, todo: order.append("pages") or render(self, todo))
    result, out = site(**settings)
    assert result.in_place and result.rendered > 0 and (result.bundles_indexed > 0) == (served == "pagefind")
    assert order[:2] == [("shards", "beside"), "pages"]  # begun before the pages
    if served == "pagefind":  # Pagefind's run begun before the plan is waited for
        assert order.index("bundles") < order.index(("plan", True))
    assert ("plan", True) in order
    assert_same_as_full_build_with(site, out, **settings)
    # Fewer articles than BESIDE_ARTICLES (a newest day's): made by the build, while it waits for the plan.
    monkeypatch.setattr(offline_search, "BESIDE_ARTICLES", 10_000)
    write_corpus(site.source, {"newer.txt": story(98)})
    order.clear()
    site(**settings)
    assert order[0] == ("shards", "beside" if served == "pagefind" else "here")


def test_a_build_made_whole_makes_its_offline_index_once_the_pages_are_made(site, monkeypatch):
    # Served by the offline index, a large site's index is made by the build, once the pages' workers are done.
    from broadsheet.outputs import offline_search, pages

    monkeypatch.setattr(offline_search, "made_beside", lambda *args: False)
    order = []
    finish, taken = offline_search.Shards.finish, pages.Rendering.finish
    monkeypatch.setattr(offline_search.Shards, "finish", lambda self: order.append("shards") or finish(self))
    monkeypatch.setattr(pages.Rendering, "finish", lambda self: order.append("pages") or taken(self))
    settings = {"search": True, "served_search": "offline", "base_url": "https://example.org/news/"}
    site(**settings)
    assert order == ["pages", "shards"]  # the pages' work finished before the shards are made
    write_corpus(site.source, {"new.txt": story(99)})
    order.clear()
    result, out = site(**settings)
    assert result.in_place and order == ["pages", "shards"]
    assert_same_as_full_build_with(site, out, **settings)


def test_the_status_of_a_sites_files_read_from_its_folder_opened_is_status_readers(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "index.html").write_text("x", encoding="utf-8")
    (tmp_path / "top.html").write_text("yy", encoding="utf-8")
    names = ["a/b/index.html", "top.html", "a/missing.html", "a/b", "nowhere/index.html"]
    plain = cache.status_reader(tmp_path)
    with cache.status_reader_in(tmp_path) as opened:
        assert [opened(name) for name in names] == [plain(name) for name in names]
    assert plain("top.html") is not None and plain("a/missing.html") is None
    with cache.status_reader_in(tmp_path / "gone") as gone:  # every file of a folder that is not there is gone
        assert gone("top.html") is None
