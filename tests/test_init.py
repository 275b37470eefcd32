"""`broadsheet init`: a starter project that builds as it is, written over nothing."""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from pathlib import Path

import pytest

from broadsheet import write
from broadsheet.cache import folder_for
from broadsheet.cli import main
from broadsheet.config import Config, read_config_file

WRITTEN = ["broadsheet.toml", ".gitignore", "articles/sample-article.md"]


def init(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["init", str(folder)], prog="broadsheet")
    said = capsys.readouterr()
    return code, said.out, said.err


def test_init_writes_a_project_and_says_what_to_do_next(tmp_path, capsys):
    project = tmp_path / "news"
    code, out, err = init(project, capsys)
    assert code == 0, err
    assert sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()) == sorted(WRITTEN)
    assert out.splitlines()[-3:] == ["next:", f"  cd {project}", "  broadsheet"]
    settings = read_config_file(project / "broadsheet.toml")
    assert settings == {"source": project / "articles", "out": project / "site"}
    article = (project / "articles/sample-article.md").read_text(encoding="utf-8")
    assert re.search(r"^---\ntitle: .*sample.*\ndate: \d{4}-\d\d-\d\d\n", article, re.IGNORECASE)


def test_the_settings_file_shows_every_setting_commented(tmp_path, capsys):
    project = tmp_path / "news"
    assert init(project, capsys)[0] == 0
    lines = (project / "broadsheet.toml").read_text(encoding="utf-8").splitlines()
    commented = [line.removeprefix("# ") for line in lines if re.fullmatch(r"# [a-z-]+ = .+", line)]
    names = {line.split(" = ")[0].replace("-", "_") for line in commented}
    assert {f.name for f in dataclasses.fields(Config)} - {"builtin_templates", "source", "out"} <= names
    assert '# record = "published.json"' in lines
    one = tmp_path / "one.toml"
    for line in commented:
        if not line.startswith("record "):  # a setting that builds do not read yet
            one.write_text(line + "\n", encoding="utf-8")
            assert len(read_config_file(one)) == 1, line  # uncommented, it is read as it is
    for i, line in enumerate(lines):
        if re.fullmatch(r"(# )?[a-z-]+ = .+", line):  # its comment on the line above
            assert lines[i - 1].startswith("# ") and " = " not in lines[i - 1], line


def test_init_refuses_to_replace_any_file_and_writes_nothing(tmp_path, capsys):
    project = tmp_path / "news"
    (project / "articles").mkdir(parents=True)
    (project / ".gitignore").write_text("mine\n", encoding="utf-8")
    code, out, err = init(project, capsys)
    assert code == 1
    assert err.splitlines() == [f"error: {project / '.gitignore'} already exists; nothing was written"]
    assert (project / ".gitignore").read_text(encoding="utf-8") == "mine\n"
    assert sorted(p.name for p in project.rglob("*")) == [".gitignore", "articles"]

    (project / ".gitignore").unlink()
    (project / "articles").rmdir()
    (project / "articles").write_text("a file where the folder would go", encoding="utf-8")
    code, out, err = init(project, capsys)
    assert code == 1 and err.startswith(f"error: {project / 'articles'} already exists")
    assert sorted(p.name for p in project.iterdir()) == ["articles"]

    a_file = tmp_path / "plain.txt"
    a_file.write_text("x", encoding="utf-8")
    code, out, err = init(a_file, capsys)
    assert code == 1 and err == f"error: {a_file} exists and is not a folder\n"


def test_init_works_in_an_empty_folder_and_beside_other_files(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert init(empty, capsys)[0] == 0
    busy = tmp_path / "busy"
    (busy / "articles").mkdir(parents=True)
    (busy / "articles/mine.md").write_text("mine", encoding="utf-8")
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    assert init(busy, capsys)[0] == 0
    assert (busy / "articles/mine.md").read_text(encoding="utf-8") == "mine"
    assert (busy / "articles/sample-article.md").is_file() and (busy / "broadsheet.toml").is_file()


def test_a_new_project_builds_in_its_folder_and_git_ignores_what_the_build_makes(tmp_path, capsys, monkeypatch):
    project = tmp_path / "news"
    assert init(project, capsys)[0] == 0
    monkeypatch.chdir(project)
    assert main(["--no-search", "--quiet"]) == 0, capsys.readouterr().err
    page = project / "site/2024/01/15/sample-article/index.html"
    assert "A sample article" in page.read_text(encoding="utf-8")
    assert (project / "site/assets/site.css").is_file()

    ignored = [line for line in (project / ".gitignore").read_text(encoding="utf-8").splitlines()
               if line and not line.startswith("#")]

    def is_ignored(name: str) -> bool:
        return any(fnmatch.fnmatch(f"/{name}/", rule if rule.endswith("/") else rule + "/") for rule in ignored)

    # The record of addresses is the project's own, to be committed: not ignored.
    assert (project / "published.json").is_file()
    made = {p.name for p in project.iterdir()} - {"articles", "broadsheet.toml", ".gitignore", "published.json"}
    assert folder_for(project / "site").name in made
    assert all(is_ignored(name) for name in made), made
    # The folders of a build that is under way or was interrupted.
    for prefix in (write.STAGING_PREFIX, write.RETIRED_PREFIX, write.TRASH_PREFIX):
        assert is_ignored(f"{prefix}site-abc123")
    assert not is_ignored("articles") and not is_ignored("published.json")
