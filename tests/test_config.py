"""Settings: each declared once, and checked wherever it is given."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from broadsheet import cache
from broadsheet.cli import _parser, config_from_args, main
from broadsheet.config import SETTINGS, Config, ConfigError, Setting, read_config_file, validate

from .conftest import PROJECT, txt, write_corpus
from .image_files import png

BY_KEY = {s.key: s for s in SETTINGS}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder (the current one) with articles that build: only the settings can fail."""
    write_corpus(tmp_path / "articles", {"a.txt": txt("2023-01-01", "A story.")})
    return tmp_path


def build_with_file(project: Path, toml: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    given = set(re.findall(r"^([a-z_-]+) =", toml, re.MULTILINE))
    base = "".join(f'{key} = "{value}"\n' for key, value in (("source", "articles"), ("out", "site"))
                   if key not in given)
    (project / "broadsheet.toml").write_text(base + toml, encoding="utf-8")
    code = main(["--quiet", "--no-search"])
    return code, capsys.readouterr().err.splitlines()


def assert_nothing_written(project: Path) -> None:
    assert sorted(p.name for p in project.iterdir()) == ["articles", "broadsheet.toml"]


@pytest.mark.parametrize(("toml", "line"), [
    ('per-page = "40"', 'per-page must be a whole number from 1 to 1000, not "40"'),
    ("per_page = 0", "per_page must be a whole number from 1 to 1000, not 0"),
    ("per-page = 1001", "per-page must be a whole number from 1 to 1000, not 1001"),
    ("per-page = 4.0", "per-page must be a whole number from 1 to 1000, not 4.0"),
    ("per-page = true", "per-page must be a whole number from 1 to 1000, not true"),
    ('search = "no"', 'search must be true or false, not "no"'),
    ("search = 0", "search must be true or false, not 0"),
    ("site-title = 5", "site-title must be text that is not empty, not 5"),
    ('site-title = "  "', 'site-title must be text that is not empty, not "  "'),
    ("source = 5", "source must be a path (text), not 5"),
    ('templates = ["a", "b"]', 'templates must be a path (text), not ["a", "b"]'),
    ("record = {file = \"x\"}", 'record must be a path (text), not {"file": "x"}'),
    ("jobs = -1", "jobs must be a whole number, 0 or more, not -1"),
    ("search-shard-pages = 0", "search-shard-pages must be a whole number from 1 to 1000000, not 0"),
    ('language = "english!"', 'language must be a language code like "en" or "pt-BR", not "english!"'),
    ('base-url = "example.org"',
     'base-url must be absolute, like https://example.org/news/, with no query or fragment, not "example.org"'),
    ('base-url = "https://example.org/?a=1"',
     "base-url must be absolute, like https://example.org/news/, with no query or fragment, "
     'not "https://example.org/?a=1"'),
    ("per-page = 3\nper_page = 4", "per-page and per_page are the same setting; give it once"),
])
def test_a_wrong_value_in_the_settings_file_is_one_line_and_nothing_is_written(project, capsys, toml, line):
    code, err = build_with_file(project, toml + "\n", capsys)
    assert (code, err) == (1, [f"error: broadsheet.toml: {line}"])
    assert_nothing_written(project)


def wrong_kind(declared: Setting) -> Any:
    """A value of a kind the setting does not take."""
    return 5 if declared.kind in (str, Path) else "5"


@pytest.mark.parametrize("declared", SETTINGS, ids=lambda s: s.key)
def test_every_setting_refuses_a_value_of_another_kind(project, capsys, declared):
    value = wrong_kind(declared)
    code, err = build_with_file(project, f"{declared.key} = {value!r}\n".replace("'", '"'), capsys)
    shown = '"5"' if isinstance(value, str) else "5"
    assert code == 1
    assert err == [f"error: broadsheet.toml: {declared.key} must be {declared.expectation()}, not {shown}"]
    assert_nothing_written(project)


def test_a_settings_file_named_on_the_command_line_is_named_in_the_error(tmp_path, capsys):
    settings = tmp_path / "elsewhere" / "site.toml"
    settings.parent.mkdir()
    settings.write_text('search = "no"\n', encoding="utf-8")
    assert main(["--config", str(settings)]) == 1
    assert capsys.readouterr().err == f'error: {settings}: search must be true or false, not "no"\n'


@pytest.mark.parametrize(("args", "line"), [
    (["--per-page", "0"], "--per-page must be a whole number from 1 to 1000, not 0"),
    (["--per-page", "5000"], "--per-page must be a whole number from 1 to 1000, not 5000"),
    (["--jobs", "-2"], "--jobs must be a whole number, 0 or more, not -2"),
    (["--language", "pt_BR"], '--language must be a language code like "en" or "pt-BR", not "pt_BR"'),
    (["--site-title", " "], '--site-title must be text that is not empty, not " "'),
    (["build", "--base-url", "example.org"],
     '--base-url must be absolute, like https://example.org/news/, with no query or fragment, not "example.org"'),
])
def test_a_wrong_value_on_the_command_line_is_one_line_naming_the_option(project, capsys, args, line):
    (project / "broadsheet.toml").write_text('source = "articles"\nout = "site"\n', encoding="utf-8")
    assert main(["--quiet", *args]) == 1
    assert capsys.readouterr().err.splitlines() == [f"error: {line}"]
    assert_nothing_written(project)


def test_settings_made_in_code_are_checked_by_their_names_there():
    with pytest.raises(ConfigError, match=r'^per_page must be a whole number from 1 to 1000, not "40"$'):
        validate(Config(per_page="40"))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"^search must be true or false, not 1$"):
        validate(Config(search=1))  # type: ignore[arg-type]
    config = validate(Config(base_url=" https://example.org/news", source="src"))  # type: ignore[arg-type]
    assert (config.base_url, config.base_path, config.source) == ("https://example.org/news/", "/news/", Path("src"))


def test_the_file_takes_both_spellings_and_reads_paths_from_its_folder(tmp_path):
    settings = tmp_path / "project" / "broadsheet.toml"
    settings.parent.mkdir()
    settings.write_text('site_title = "A"\nper-page = 7\nsource = "../corpus"\nsearch = false\n', encoding="utf-8")
    assert read_config_file(settings) == {
        "site_title": "A", "per_page": 7, "source": settings.parent / "../corpus", "search": False,
    }


def test_each_option_sets_its_setting_and_the_file_fills_the_rest(project):
    (project / "broadsheet.toml").write_text('source = "articles"\nper-page = 9\njobs = 2\n', encoding="utf-8")
    args = _parser("broadsheet").parse_args(
        ["--no-search", "build", "--full", "--strict", "--check", "--quiet", "--jobs", "1", "--templates", "articles",
         "--site-title", "T", "--base-url", "https://example.org", "--language", "fr", "--out", "o",
         "--record", "r.json"])
    config = config_from_args(args)
    assert config == replace(Config(), source=Path("articles"), out=Path("o"), templates=Path("articles"),
                             record=Path("r.json"), site_title="T", base_url="https://example.org/", language="fr",
                             per_page=9, search=False, strict=True, check=True, quiet=True, jobs=1, incremental=False)
    # Without the options: the file's values and the defaults; the record beside the file.
    config = config_from_args(_parser("broadsheet").parse_args([]))
    assert (config.per_page, config.jobs, config.search, config.incremental) == (9, 2, True, True)
    assert config.record == Path("published.json")


def test_help_lists_the_option_of_every_setting_that_has_one(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    for declared in SETTINGS:
        if declared.option is not None:
            assert re.search(rf"^\s+{re.escape(declared.option)}\b", shown, re.MULTILINE), declared.option
    assert "--search-shard-pages" not in shown  # only in the settings file


def test_the_table_of_settings_in_the_docs_is_current():
    spec = importlib.util.spec_from_file_location("options_table", PROJECT / "docs" / "options_table.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    text = script.DOC.read_text(encoding="utf-8")
    assert script.updated(text) == text, "docs/options.md is out of date: run python docs/options_table.py"
    for declared in SETTINGS:
        assert f"| `{declared.key}` |" in text


def test_the_starter_settings_file_shows_every_setting_with_its_default():
    lines = (PROJECT / "broadsheet" / "starter" / "broadsheet.toml").read_text(encoding="utf-8").splitlines()
    keys = set()
    for line in lines:
        commented = line.startswith("# ")
        text = line.removeprefix("# ")
        if not re.fullmatch(r"[a-z-]+ = .+", text):
            continue
        ((key, value),) = tomllib.loads(text).items()
        declared = BY_KEY[key]
        keys.add(key)
        assert declared.accepts(value), line
        if commented and declared.default is not None:
            assert value == (str(declared.default) if declared.is_path else declared.default), line
    assert keys == set(BY_KEY)


def other_value(declared: Setting, tmp_path: Path) -> Any:
    """A valid value of the setting that is not its default."""
    if declared.kind is bool:
        return not declared.default
    if declared.kind is int:
        return declared.default + 1
    if declared.name == "logo":  # a file that must be an image
        (tmp_path / "logo.png").write_bytes(png(4, 4))
        return tmp_path / "logo.png"
    if declared.is_path:
        return tmp_path / f"other-{declared.name}"
    return {"base_url": "https://example.org/", "language": "fr", "timezone": "Europe/Paris",
            "served_search": "offline"}.get(declared.name, "Another")


@pytest.mark.parametrize("declared", [s for s in SETTINGS if s.name != "templates"], ids=lambda s: s.key)
def test_the_build_key_changes_with_a_setting_that_shapes_the_site_only(tmp_path, declared):
    config = validate(Config(source=tmp_path, out=tmp_path / "site"))
    changed = validate(replace(config, **{declared.name: other_value(declared, tmp_path)}))
    assert changed != config
    assert (cache.build_key(changed) != cache.build_key(config)) is declared.output


def test_the_build_key_has_the_templates_files_not_their_folder(tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    for folder in (first, second):
        write_corpus(folder, {"base.html": "{% block body %}{% endblock %}"})
    config = validate(Config(source=tmp_path, out=tmp_path / "site", templates=first))
    assert cache.build_key(replace(config, templates=second)) == cache.build_key(config)
    (second / "base.html").write_text("changed", encoding="utf-8")
    assert cache.build_key(replace(config, templates=second)) != cache.build_key(config)
