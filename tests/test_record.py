"""The record of addresses lives with the project: a deploy from a fresh
checkout (no output folder, no cache) still knows every address published."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest

from broadsheet import redirects
from broadsheet.build import BuildError, build
from broadsheet.cli import main
from broadsheet.config import Config, ConfigError, validate
from broadsheet.redirects import GONE, MOVED, RECORD, folder_moves, parse_record

from .conftest import txt, write_corpus
from .test_redirects import FIRST, assert_redirects, second_corpus


def cli(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main([*args, "--no-search"])
    return code, err.getvalue()


def statuses(record: Path) -> dict[str, str]:
    return {p.url: p.status for p in parse_record(record.read_text(encoding="utf-8"), str(record)).permalinks}


def fresh_checkout(project: Path) -> None:
    """What a deploy from a clone has: the project's files, not what builds left."""
    for made in ("site", ".site.cache"):
        shutil.rmtree(project / made, ignore_errors=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    write_corpus(folder / "articles", FIRST)
    (folder / "broadsheet.toml").write_text('source = "articles"\nout = "site"\n', encoding="utf-8")
    return folder


def test_the_record_is_kept_beside_the_settings_and_a_fresh_checkout_keeps_every_address(project, monkeypatch):
    monkeypatch.chdir(project)
    assert cli()[0] == 0
    record = project / RECORD
    assert statuses(record)["2023/02/05/removed/"] == "page"
    assert (project / "site" / RECORD).read_bytes() == record.read_bytes()  # the site publishes a copy

    second_corpus(project / "articles")
    fresh_checkout(project)
    code, said = cli()
    assert code == 0, said
    assert_redirects(project / "site", "2023/01/05/redated/", "2023/01/09/redated/")
    assert_redirects(project / "site", "2023/03/05/slugged/", "2023/03/05/with-a-slug/")
    assert "was removed" in (project / "site/2023/02/05/removed/index.html").read_text(encoding="utf-8")
    assert statuses(record)["2023/02/05/removed/"] == GONE

    # And again from a fresh checkout: the moves and the gone page stay, without a new warning.
    fresh_checkout(project)
    code, said = cli()
    assert code == 0 and "warning:" not in said, said
    assert_redirects(project / "site", "2023/01/05/redated/", "2023/01/09/redated/")
    assert (project / "site/2023/02/05/removed/index.html").is_file()


def test_the_record_setting_and_option_name_the_file(project, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (project / "broadsheet.toml").write_text('source = "articles"\nout = "site"\nrecord = "history/addresses.json"\n',
                                             encoding="utf-8")
    assert cli("--config", str(project / "broadsheet.toml"))[0] == 0
    assert (project / "history/addresses.json").is_file() and not (project / RECORD).exists()
    assert cli("--config", str(project / "broadsheet.toml"), "--record", str(tmp_path / "other.json"))[0] == 0
    assert (tmp_path / "other.json").read_bytes() == (project / "history/addresses.json").read_bytes()


def test_an_old_site_with_its_record_in_the_output_folder_is_taken_up(project, monkeypatch):
    monkeypatch.chdir(project)
    settings = dict(source=project / "articles", out=project / "site", search=False)
    build(validate(Config(**settings)))  # a build of an older version: the record only in the site
    assert not (project / RECORD).exists()
    second_corpus(project / "articles")

    code, said = cli()
    assert code == 0, said
    assert f"the record of addresses in {Path('site') / RECORD} was taken up" in said
    assert statuses(project / RECORD)["2023/01/05/redated/"] == MOVED
    assert statuses(project / RECORD)["2023/02/05/removed/"] == GONE


@pytest.mark.parametrize("damage, where", [
    (lambda text: text.replace('"addresses": [\n', '"addresses": [\n{oops\n', 1), ":4:"),
    (lambda text: text.replace('"url": "2023/02/05/removed/"', '"url": "../../etc/"', 1), ":5:"),
    (lambda text: text.replace('"status": "page"', '"status": "lost"', 1), ":4:"),
])
def test_a_record_that_cannot_be_read_stops_the_build_before_anything_is_written(project, monkeypatch, damage, where):
    monkeypatch.chdir(project)
    assert cli()[0] == 0
    record = project / RECORD
    record.write_text(damage(record.read_text(encoding="utf-8")), encoding="utf-8")
    damaged = record.read_bytes()
    site_before = {p: p.read_bytes() for p in (project / "site").rglob("*") if p.is_file()}
    (project / "articles/new.txt").write_text(txt("2024-01-01", "A new story."), encoding="utf-8")

    code, said = cli()
    errors = [line for line in said.splitlines() if line.startswith("error:")]
    assert code == 1 and len(errors) == 1, said
    assert errors[0].startswith(f"error: {RECORD}{where}") and "nothing was written" in errors[0]
    assert record.read_bytes() == damaged
    assert {p: p.read_bytes() for p in (project / "site").rglob("*") if p.is_file()} == site_before


def test_a_record_made_for_another_base_url_is_a_warning(project, monkeypatch):
    monkeypatch.chdir(project)
    assert cli("--base-url", "https://example.org/news/")[0] == 0
    assert json.loads((project / RECORD).read_text(encoding="utf-8"))["base_url"] == "https://example.org/news/"
    code, said = cli("--base-url", "https://archive.example.net/")
    assert code == 0
    assert f"warning: {RECORD}: was made for the base URL https://example.org/news/, not https://archive.example.net/" in said
    assert json.loads((project / RECORD).read_text(encoding="utf-8"))["base_url"] == "https://archive.example.net/"
    assert "was made for" not in cli("--base-url", "https://archive.example.net/")[1]


def test_a_strict_build_that_would_take_an_address_down_fails_and_keeps_the_record(project, monkeypatch):
    monkeypatch.chdir(project)
    assert cli()[0] == 0
    before = (project / RECORD).read_bytes()
    (project / "articles/removed.txt").unlink()
    code, said = cli("--strict")
    assert code == 1 and "2023/02/05/removed/" in said
    assert (project / RECORD).read_bytes() == before


def test_the_record_is_written_only_when_it_changes(project, monkeypatch):
    monkeypatch.chdir(project)
    assert cli()[0] == 0
    record = project / RECORD
    first = record.stat()
    assert cli()[0] == 0
    assert record.stat().st_mtime_ns == first.st_mtime_ns and record.stat().st_ino == first.st_ino


def test_a_rebuild_whose_addresses_are_as_they_were_takes_up_the_last_plan(project, monkeypatch, tmp_path):
    monkeypatch.chdir(project)
    planned = tmp_path / "planned"  # the plan may be made in a process beside the build: counted in a file
    real = redirects.plan_from_texts

    def counted(**kwargs: object) -> redirects.Plan:
        with planned.open("a") as file:
            file.write("planned\n")
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(redirects, "plan_from_texts", counted)

    def plans(*, same: bool = True) -> int:
        planned.unlink(missing_ok=True)
        code, said = cli()
        assert code == 0 and ("warning:" not in said) == same, said
        made = len(planned.read_text().splitlines()) if planned.exists() else 0
        # Whatever the plan came from, the site is the one a build from nothing makes.
        shutil.rmtree(tmp_path / "fresh", ignore_errors=True)
        (tmp_path / "fresh").mkdir()
        shutil.copy(project / RECORD, tmp_path / "fresh" / RECORD)
        assert main(["--source", "articles", "--out", str(tmp_path / "fresh" / "site"), "--no-search",
                     "--record", str(tmp_path / "fresh" / RECORD)]) == 0
        assert contents(project / "site") == contents(tmp_path / "fresh" / "site")
        return made

    assert plans() == 1
    second_corpus(project / "articles")
    assert plans(same=False) == 1  # moves and a page gone
    assert plans() == 1  # the record as the last build wrote it, read back
    record = (project / RECORD).read_bytes()
    (project / "articles/sub/moved.txt").write_text(txt("2023-04-05", "A story that moves into a folder. Changed."),
                                                    encoding="utf-8")
    assert plans() == 0  # only a body changed: the plan taken up, the record as it was
    assert (project / RECORD).read_bytes() == record
    assert_redirects(project / "site", "2023/01/05/redated/", "2023/01/09/redated/")
    assert statuses(project / RECORD)["2023/02/05/removed/"] == GONE
    (project / "articles" / redirects.HAND_FILE).write_text("old/story/ 2023/01/09/redated/\n", encoding="utf-8")
    assert plans() == 1
    assert_redirects(project / "site", "old/story/", "2023/01/09/redated/")
    assert plans() == 1 and plans() == 0
    (project / "articles/redated.txt").write_text(txt("2023-01-09", "A new title. More."), encoding="utf-8")
    assert plans() == 1  # a title is in the record
    assert plans() == 1 and plans() == 0
    (project / RECORD).write_text((project / RECORD).read_text(encoding="utf-8").replace("A new title", "Another"),
                                  encoding="utf-8")
    assert plans() == 1  # the record changed by hand
    (project / "articles/redated.txt").unlink()
    assert plans(same=False) == 1
    assert statuses(project / RECORD)["2023/01/09/redated/"] == GONE


def contents(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_the_record_is_never_inside_the_output_folder(tmp_path):
    with pytest.raises(ConfigError, match="must not be inside the output folder"):
        validate(Config(source=tmp_path, out=tmp_path / "site", record=tmp_path / "site" / RECORD))


def test_a_record_that_cannot_be_written_fails_the_build_and_leaves_the_site(project, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / RECORD).mkdir()  # a folder where the file should go: no rename can replace it
    with pytest.raises((BuildError, ConfigError)):
        build(validate(Config(source=project / "articles", out=project / "site", search=False,
                              record=locked / RECORD)))
    assert not (project / "site").exists()


# --- folders a reader reaches by shortening an address ---------------------------------

def test_every_folder_above_a_page_is_a_page_or_leads_to_one():
    pages = {
        "index.html", "archive/index.html", "archive/2023/index.html", "archive/2023/11/index.html",
        "page/1/index.html", "archive/2023/11/page/1/index.html", "2023/11/11/abc/index.html",
        "2022/05/05/old/index.html", "legacy/news/story.html",
    }
    moves = {p.url: p.to for p in folder_moves(pages)}
    assert moves == {
        "2022/": "archive/", "2022/05/": "archive/", "2022/05/05/": "archive/",  # no archive of 2022 (moved away)
        "2023/": "archive/2023/", "2023/11/": "archive/2023/11/", "2023/11/11/": "archive/2023/11/",
        "page/": "", "archive/2023/11/page/": "archive/2023/11/", "legacy/": "", "legacy/news/": "",
    }


def test_shortened_permalinks_lead_to_their_archives_in_a_build(corpus, build_site):
    source = corpus({f"s{i}.txt": txt(f"2023-11-{10 + i:02d}", f"Story {i}.") for i in range(5)})
    result, out = build_site(source, per_page=2, check=True)
    assert result.broken_links == []
    for folder, target in [("2023/", "archive/2023/"), ("2023/11/", "archive/2023/11/"),
                           ("2023/11/12/", "archive/2023/11/"), ("page/", ""),
                           ("archive/2023/11/page/", "archive/2023/11/")]:
        assert_redirects(out, folder, target)
    record = statuses(out / RECORD)
    assert "2023/" not in record  # derived from the pages of each build, not published addresses
