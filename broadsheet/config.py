"""Build settings: each declared once, on the field of Config that holds it.

A declaration (`Setting`) says all that the rest of the program needs: the
command line makes its options from them, a settings file is read and checked
with them, the build cache keys on the settings that shape the output, and
docs/options.md shows them in a table made by options_table().  Values are
taken from the defaults, then the settings file, then the command line."""

from __future__ import annotations

import atexit
import contextlib
import datetime
import json
import tomllib
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import times
from .images import NotAnImage, read_image
from .text import LANGUAGE_CODE

# The folder that holds the package: the repository in a checkout, the
# environment's site-packages when installed.  A build never replaces it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
THEME_PACKAGE = "broadsheet.site_templates"
CONFIG_FILE_NAME = "broadsheet.toml"
RECORD_FILE_NAME = "published.json"
SERVED_SEARCH = ("auto", "pagefind", "offline")  # what can answer the search page when served ("auto": by size)

# Copies of the theme made for the length of the program (see _builtin_templates).
_theme_copies = contextlib.ExitStack()
atexit.register(_theme_copies.close)


def _builtin_templates() -> Path:
    """The folder of the built-in theme, which an install puts inside the
    package (pyproject.toml maps the repository's site_templates/ there)."""
    try:
        theme = resources.files(THEME_PACKAGE)
    except ModuleNotFoundError:
        # A checkout that was never installed (python build.py with the
        # libraries installed on their own): the theme is the folder itself.
        return PROJECT_ROOT / "site_templates"
    if isinstance(theme, Path):
        return theme.resolve()
    # Installed where files are not files (a zip archive): Jinja2 and the
    # copying of assets need a real folder.
    return _theme_copies.enter_context(resources.as_file(theme))


DEFAULT_TEMPLATES = _builtin_templates()


class ConfigError(Exception):
    """A setting that cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class Setting:
    """What is declared of a setting besides its name, type and default,
    which are those of its field in Config."""

    help: str  # what it is, in a few words: for --help, the docs and the starter settings file
    output: bool  # whether it shapes the site's files (a change then rebuilds every page) or only how a build runs
    flag: str | None = ""  # "" for --name-in-kebab-case; None when it is only in the settings file
    flag_help: str | None = None  # for a true/false setting whose flag sets the opposite of its default
    metavar: str | None = None
    low: int | None = None  # the range of a whole number
    high: int | None = None
    check: Callable[[Any], bool] | None = None  # a further check of a value of the right type
    expects: str | None = None  # what `check` wants, as in "language must be <expects>"
    tidy: Callable[[Any], Any] | None = None  # the value as the build uses it, once checked
    default_text: str | None = None  # the default as the user is told it, when not the value itself
    more: str = ""  # Markdown added to `help` in the docs' table
    # Filled in from the field of Config.
    name: str = ""
    kind: type = object
    optional: bool = False
    default: Any = None

    @property
    def key(self) -> str:
        """The name in the settings file (which takes snake_case too)."""
        return self.name.replace("_", "-")

    @property
    def option(self) -> str | None:
        """The command-line flag, if there is one."""
        return None if self.flag is None else (self.flag or "--" + self.key)

    @property
    def is_path(self) -> bool:
        """A path, which a settings file gives relative to its own folder."""
        return self.kind is Path

    def expectation(self) -> str:
        if self.expects is not None:
            return self.expects
        if self.kind is bool:
            return "true or false"
        if self.kind is int:
            if self.low is not None and self.high is not None:
                return f"a whole number from {self.low} to {self.high}"
            return "a whole number" if self.low is None else f"a whole number, {self.low} or more"
        return "a path (text)" if self.is_path else "text"

    def accepts(self, value: object) -> bool:
        if self.kind is bool:
            right_type = isinstance(value, bool)
        elif self.kind is int:
            right_type = isinstance(value, int) and not isinstance(value, bool)
        elif self.is_path:
            right_type = isinstance(value, str | Path)
        else:
            right_type = isinstance(value, self.kind)
        if not right_type:
            return False
        if isinstance(value, int) and not isinstance(value, bool):
            if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
                return False
        return self.check is None or self.check(value)

    def problem(self, value: object, called: str) -> str:
        """One line: `called` (how the user named the setting) must be what it expects."""
        return f"{called} must be {self.expectation()}, not {shown(value)}"

    def default_shown(self) -> str | None:
        if self.default_text is not None:
            return self.default_text
        if self.default is None:
            return None
        return toml_value(self.default)


def setting(default: Any, declared: Setting) -> Any:
    """A field of Config that is a setting."""
    return field(default=default, metadata={"setting": declared})


def shown(value: object) -> str:
    """A value as TOML would write it, for messages."""
    if isinstance(value, Path):
        value = str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return shown(value)


def _is_language(value: str) -> bool:
    return LANGUAGE_CODE.match(value) is not None


def _is_site_url(value: str) -> bool:
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.query and not parts.fragment


def _site_url(value: str) -> str:
    url = value.strip()
    return url if url.endswith("/") else url + "/"


@dataclass(frozen=True)
class Config:
    source: Path = setting(Path("seeds"), Setting(
        "folder of articles", output=False, metavar="DIR"))
    out: Path = setting(Path("dist"), Setting(
        "output folder", output=False, metavar="DIR"))
    templates: Path | None = setting(None, Setting(
        "folder of templates that override the built-in ones, file by file", output=False, metavar="DIR",
        more="(see [Templates](templates.md))"))
    # The record of every address the site has published, a file of the project
    # (the command line puts it beside the settings file); None keeps it only
    # in the output folder, where a deploy from a fresh checkout loses it.
    record: Path | None = setting(None, Setting(
        "the record of every address the site has published, a file to commit with the articles",
        output=False, metavar="FILE",
        default_text=f"{RECORD_FILE_NAME} beside the settings file, or in the current folder",
        more="(see [Links that never rot](addresses.md#links-that-never-rot))"))
    site_title: str = setting("News Archive", Setting(
        "the site's name, shown in every page", output=True, metavar="TEXT",
        check=lambda value: bool(value.strip()), expects="text that is not empty"))
    base_url: str | None = setting(None, Setting(
        "absolute address where the site will live, e.g. https://example.org/news/", output=True, metavar="URL",
        check=_is_site_url, tidy=_site_url,
        expects="absolute, like https://example.org/news/, with no query or fragment",
        more="(canonical links, `og:url`, feeds and sitemap)"))
    language: str = setting("en", Setting(
        "language of the site and its articles: the words of its pages and how they write dates", output=True,
        metavar="CODE", check=_is_language, expects='a language code like "en" or "pt-BR"',
        more="(see [Language](language.md); articles in another script, such as Hebrew, Arabic, Greek or CJK, are given its language by "
        "their script, and text in the script of the site's own language keeps it: `fa`, `yi`, `zh-TW`, "
        "`ja` with kanji only)"))
    timezone: str = setting("UTC", Setting(
        "timezone of the articles' dates and of times given without an offset, by its IANA name such as "
        '"Europe/Paris"', output=True, metavar="NAME",
        check=lambda value: times.zone_named(value) is not None, expects='a timezone name like "UTC" or "Europe/Paris"',
        more="(a date alone stands for its first moment there, in feeds, Open Graph and schema.org)"))
    logo: Path | None = setting(None, Setting(
        "the site's logo: an image file (PNG, JPEG, GIF, WebP, AVIF or SVG), copied to the site's root as "
        "logo.<ext>", output=True, metavar="FILE",
        more="(the publisher's logo in each article's schema.org data, with `base-url`; see "
        "[Feeds and metadata](feeds.md#images))"))
    per_page: int = setting(50, Setting(
        "articles per listing page: the home page and each month's archive", output=True, metavar="N",
        low=1, high=1000))
    search: bool = setting(True, Setting(
        "build the search indexes (Pagefind's and the offline one)", output=True, flag="--no-search",
        flag_help="do not build the search indexes"))
    search_shard_pages: int = setting(5000, Setting(
        "the most articles in one bundle of the search index", output=True, flag=None, low=1, high=1_000_000,
        more="(see [Search](search.md#in-bundles))"))
    served_search: str = setting("auto", Setting(
        "what answers the search page on a web server: Pagefind's bundles (\"pagefind\"), or the offline index "
        "(\"offline\"), which answers from disk anyway and reads far less at scale (then no Pagefind bundle is "
        "built); \"auto\": Pagefind's bundles up to eight times search-shard-pages articles (40,000), the "
        "offline index past that", output=True,
        metavar="ENGINE", check=lambda value: value in SERVED_SEARCH, expects='"auto", "pagefind" or "offline"',
        more="(see [Search](search.md#served-by-the-offline-index))"))
    zim: Path | None = setting(None, Setting(
        "also write the whole archive into this ZIM file, to read offline with Kiwix or serve with kiwix-serve",
        output=False, metavar="FILE", more="(needs `pip install 'broadsheet[zim]'`; see [ZIM](zim.md))"))
    zim_illustration: Path | None = setting(None, Setting(
        "the PNG image that readers show for the ZIM file, scaled to 48×48 pixels", output=False, metavar="FILE",
        default_text="the theme's icon"))
    zim_compression: int = setting(12, Setting(
        "how hard the ZIM file is compressed: zstd's level, from 1 (fastest) to 22 (smallest)", output=False,
        metavar="LEVEL", low=1, high=22,
        more="(at 10,000 articles, 12 compresses the file in 1 to 2 s on two cores and 19 in about 14 s, for a "
             "file 3 % smaller; see [ZIM](zim.md#time-and-size))"))
    strict: bool = setting(False, Setting(
        "treat any warning as a failure: exit 1, and the previous site is left in place", output=False))
    check: bool = setting(False, Setting(
        "after building, check every internal link and asset of every page", output=False,
        more="(see [Checking links](#checking-links))"))
    quiet: bool = setting(False, Setting("print warnings and errors only, no progress", output=False))
    jobs: int = setting(0, Setting(
        "processes for loading and rendering; 1 for none besides the build's own", output=False, metavar="N", low=0,
        default_text="0, one per core", more="(the output is the same for any number)"))
    scheduler: str | None = setting(None, Setting(
        "address of a Dask scheduler to run the build's work on its workers, e.g. tcp://10.0.0.5:8786",
        output=False, metavar="ADDRESS", check=lambda value: bool(value.strip()), expects="an address like tcp://host:8786",
        more="(needs `broadsheet[distributed]`, and the sources and the output folder on a file system the workers "
        "share; see [Building on a cluster](distributed.md))"))
    incremental: bool = setting(True, Setting(
        "keep what the last build made where nothing it depends on changed", output=False, flag="--full",
        flag_help="render every page and index every search bundle, keeping nothing of the last build",
        more="(see [Rebuilds](rebuilds.md))"))
    # The theme that comes with the package; not a setting of the user's.
    builtin_templates: Path = field(default=DEFAULT_TEMPLATES)

    @property
    def base_path(self) -> str:
        """The path part of the base URL ("/news/"), or "/" without one."""
        return urlsplit(self.base_url).path if self.base_url else "/"

    @property
    def zone(self) -> datetime.tzinfo:
        """The timezone named by `timezone` (checked when the settings were read)."""
        return times.zone_named(self.timezone) or datetime.UTC

    @property
    def template_dirs(self) -> tuple[Path, ...]:
        dirs = [self.builtin_templates]
        if self.templates is not None and self.templates.resolve() != self.builtin_templates.resolve():
            dirs.insert(0, self.templates)
        return tuple(dirs)


def _declared() -> tuple[Setting, ...]:
    hints = typing.get_type_hints(Config)
    declared = []
    for f in fields(Config):
        if "setting" not in f.metadata:
            continue
        kinds = [t for t in typing.get_args(hints[f.name]) or (hints[f.name],) if t is not type(None)]
        assert len(kinds) == 1, f"setting {f.name} has one type, or that type or None"
        declared.append(replace(f.metadata["setting"], name=f.name, kind=kinds[0],
                                optional=type(None) in typing.get_args(hints[f.name]), default=f.default))
    return tuple(declared)


SETTINGS = _declared()
_BY_NAME = {s.name: s for s in SETTINGS}


def absolute_paths(config: Config) -> Config:
    """The same settings with every path absolute, for a process that may run
    in another folder (a cluster's worker)."""
    return replace(config, **{s.name: getattr(config, s.name).absolute() for s in SETTINGS
                              if s.is_path and getattr(config, s.name) is not None})


def output_settings(config: Config) -> list[tuple[str, Any]]:
    """The settings that shape the site's files, with their values."""
    return [(s.name, getattr(config, s.name)) for s in SETTINGS if s.output]


def validate(config: Config) -> Config:
    """Check and normalise settings; raises ConfigError with a one-line reason."""
    changes: dict[str, Any] = {}
    for s in SETTINGS:
        value = getattr(config, s.name)
        if value is None and s.optional:
            continue
        if not s.accepts(value):
            raise ConfigError(s.problem(value, s.name))
        if s.is_path and not isinstance(value, Path):
            changes[s.name] = Path(value)
        if s.tidy is not None:
            changes[s.name] = s.tidy(value)
    config = replace(config, **changes)
    if config.templates is not None and not config.templates.is_dir():
        raise ConfigError(f"templates folder {config.templates} does not exist")
    if config.logo is not None:
        try:
            read_image(str(config.logo))
        except NotAnImage as error:
            raise ConfigError(f"logo {config.logo} {error}") from None
    if config.zim is not None:
        zim, out = config.zim.resolve(), config.out.resolve()
        if zim == out or out in zim.parents:
            raise ConfigError(f"zim {config.zim} must not be inside the output folder {config.out}, "
                              "which each build replaces")
    if config.record is not None:
        record, out = config.record.resolve(), config.out.resolve()
        if record == out or out in record.parents:
            raise ConfigError(f"record {config.record} must not be inside the output folder {config.out}, "
                              "which each build replaces")
        if record.is_dir():
            raise ConfigError(f"record {config.record} is a folder; give the path of a file such as published.json")
    return config


def read_config_file(path: Path) -> dict[str, Any]:
    """Settings from a TOML file, checked; paths in it are relative to the file's folder."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"config file {path} cannot be read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None
    settings: dict[str, Any] = {}
    written: dict[str, str] = {}  # the key each setting was given by
    for key, value in data.items():
        declared = _BY_NAME.get(key.replace("-", "_"))
        if declared is None:
            raise ConfigError(f"config file {path}: unknown setting {key!r}")
        if declared.name in written:
            raise ConfigError(f"{path}: {written[declared.name]} and {key} are the same setting; give it once")
        if not declared.accepts(value):
            raise ConfigError(f"{path}: {declared.problem(value, key)}")
        written[declared.name] = key
        settings[declared.name] = (path.parent / value) if declared.is_path else value
    return settings


def from_options(values: Mapping[str, Any]) -> dict[str, Any]:
    """Settings from the command line, by name (None: not given), checked
    beyond what the parser of options checks."""
    given = {name: value for name, value in values.items() if value is not None}
    for name, value in given.items():
        declared = _BY_NAME[name]
        if not declared.accepts(value):
            raise ConfigError(declared.problem(value, declared.option or declared.key))
    return given


def make_config(file_settings: dict[str, Any], overrides: dict[str, Any]) -> Config:
    """Defaults, then the file, then the command line (which wins)."""
    settings = {**file_settings, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        config = Config(**settings)
    except TypeError as error:
        raise ConfigError(str(error)) from None
    return validate(config)


def options_table() -> str:
    """The settings as a Markdown table, for docs/options.md."""
    rows = ["| setting | option | default | shapes the site | meaning |", "| --- | --- | --- | --- | --- |"]
    for s in SETTINGS:
        option = "—" if s.option is None else f"`{s.option}{' ' + s.metavar if s.metavar else ''}`"
        if s.kind is bool and s.default is True and s.option is not None:
            option += " (sets `false`)"  # a flag whose name does not say it
        default = s.default_shown()
        if default is None:
            default = "none"
        elif s.default_text is None:
            default = f"`{default}`"
        meaning = " ".join(part for part in (s.help, s.more) if part)
        rows.append(f"| `{s.key}` | {option} | {default} | {'yes' if s.output else 'no'} | {meaning} |")
    return "\n".join(rows) + "\n"
