"""Build settings: defaults, an optional TOML file, and command-line overrides."""

from __future__ import annotations

import atexit
import contextlib
import tomllib
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .text import LANGUAGE_CODE

# The folder that holds the package: the repository in a checkout, the
# environment's site-packages when installed.  A build never replaces it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
THEME_PACKAGE = "broadsheet.site_templates"
CONFIG_FILE_NAME = "broadsheet.toml"
RECORD_FILE_NAME = "published.json"

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
class Config:
    source: Path = Path("seeds")
    out: Path = Path("dist")
    templates: Path | None = None  # a folder whose files override the built-in templates
    site_title: str = "News Archive"
    base_url: str | None = None  # absolute address of the site, ending in "/"
    language: str = "en"
    per_page: int = 50
    search: bool = True
    strict: bool = False
    check: bool = False
    quiet: bool = False
    jobs: int = 0  # processes for loading and rendering; 0 means one per core
    search_shard_pages: int = 5000  # articles at most in one search bundle (one Pagefind run)
    incremental: bool = True  # keep what the last build made where nothing it depends on changed
    # The record of every address the site has published, a file of the project
    # (the command line puts it beside the settings file); None keeps it only
    # in the output folder, where a deploy from a fresh checkout loses it.
    record: Path | None = None
    builtin_templates: Path = field(default=DEFAULT_TEMPLATES)

    @property
    def base_path(self) -> str:
        """The path part of the base URL ("/news/"), or "/" without one."""
        return urlsplit(self.base_url).path if self.base_url else "/"

    @property
    def template_dirs(self) -> tuple[Path, ...]:
        dirs = [self.builtin_templates]
        if self.templates is not None and self.templates.resolve() != self.builtin_templates.resolve():
            dirs.insert(0, self.templates)
        return tuple(dirs)


_LANGUAGE = LANGUAGE_CODE


def validate(config: Config) -> Config:
    """Check and normalise settings; raises ConfigError with a one-line reason."""
    changes: dict[str, Any] = {}
    if config.base_url is not None:
        url = config.base_url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"base URL {url!r} must be absolute, like https://example.org/news/")
        if parts.query or parts.fragment:
            raise ConfigError(f"base URL {url!r} must not have a query or fragment")
        changes["base_url"] = url if url.endswith("/") else url + "/"
    if not _LANGUAGE.match(config.language):
        raise ConfigError(f"language {config.language!r} is not a language code like 'en' or 'pt-BR'")
    if not 1 <= config.per_page <= 1000:
        raise ConfigError(f"per_page must be between 1 and 1000, not {config.per_page}")
    shard_pages = config.search_shard_pages
    if isinstance(shard_pages, bool) or not isinstance(shard_pages, int) or not 1 <= shard_pages <= 1_000_000:
        raise ConfigError(f"search_shard_pages must be between 1 and 1000000, not {config.search_shard_pages}")
    if config.jobs < 0:
        raise ConfigError(f"jobs must be 0 (one per core) or more, not {config.jobs}")
    if not config.site_title.strip():
        raise ConfigError("site title must not be empty")
    if config.templates is not None and not config.templates.is_dir():
        raise ConfigError(f"templates folder {config.templates} does not exist")
    if config.record is not None:
        record, out = config.record.resolve(), config.out.resolve()
        if record == out or out in record.parents:
            raise ConfigError(f"record {config.record} must not be inside the output folder {config.out}, "
                              "which each build replaces")
        if record.is_dir():
            raise ConfigError(f"record {config.record} is a folder; give the path of a file such as published.json")
    return replace(config, **changes)


_FILE_KEYS = {f.name for f in fields(Config)} - {"builtin_templates"}
_PATH_KEYS = {"source", "out", "templates", "record"}


def read_config_file(path: Path) -> dict[str, Any]:
    """Settings from a TOML file; paths in it are relative to the file's folder."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"config file {path} cannot be read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None
    settings: dict[str, Any] = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if name not in _FILE_KEYS:
            raise ConfigError(f"config file {path}: unknown setting {key!r}")
        settings[name] = (path.parent / value) if name in _PATH_KEYS else value
    return settings


def make_config(file_settings: dict[str, Any], overrides: dict[str, Any]) -> Config:
    """Defaults, then the file, then the command line (which wins)."""
    settings = {**file_settings, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        config = Config(**settings)
    except TypeError as error:
        raise ConfigError(str(error)) from None
    for name in _PATH_KEYS:
        value = getattr(config, name)
        if value is not None and not isinstance(value, Path):
            as_path: dict[str, Any] = {name: Path(value)}
            config = replace(config, **as_path)
    return validate(config)
