"""The command line: a thin layer over build(config)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from . import resume, starter
from .build import BuildError, build
from .config import (
    CONFIG_FILE_NAME,
    RECORD_FILE_NAME,
    SETTINGS,
    Config,
    ConfigError,
    Setting,
    from_options,
    make_config,
    read_config_file,
)
from .progress import for_stream, silent
from .records import Problem

COMMANDS = {
    "build": "build the site (the default)",
    "serve": "build the site, then serve it on 127.0.0.1",
}


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Build a static news archive: one page per article at a permanent address, "
        "an index, archives and a search index.",
    )
    _add_build_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="[COMMAND]", title="commands")
    parser.set_defaults(command="build", host="127.0.0.1", port=8000)
    for name, summary in COMMANDS.items():
        # SUPPRESS: an option left out after the command keeps the value given
        # before it, since a command's values are copied over the main ones.
        _add_build_options(commands.add_parser(name, help=summary, description=summary,
                                               argument_default=argparse.SUPPRESS))
    init = commands.add_parser("init", help="write a starter project into FOLDER",
                               description="Write a starter project into FOLDER, made if missing: a sample "
                               f"article in {starter.ARTICLES}/, {CONFIG_FILE_NAME} and .gitignore.  "
                               "No file there is replaced.")
    init.add_argument("folder", type=Path, metavar="FOLDER", help="the project's folder")
    return parser


def _add_build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help=f"settings file (TOML); default: {CONFIG_FILE_NAME} in the current folder if present")
    for declared in SETTINGS:
        _add_setting(parser, declared)
    parser.add_argument("--host", metavar="ADDRESS",
                        help="address for serve to listen on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, help="port for serve (default: 8000; 0: any free port)")


def _add_setting(parser: argparse.ArgumentParser, declared: Setting) -> None:
    """The option of a setting that has one.  No default is given here: a
    setting not given on the command line is None, and the file's or the
    default value is used."""
    if declared.option is None:
        return
    if declared.kind is bool:
        # A flag sets the value that is not the default: --strict, --no-search.
        parser.add_argument(declared.option, dest=declared.name, action="store_const", const=not declared.default,
                            help=declared.flag_help or declared.help)
        return
    default = declared.default_shown()
    parser.add_argument(declared.option, dest=declared.name, type=Path if declared.is_path else declared.kind,
                        metavar=declared.metavar,
                        help=declared.help + (f" (default: {default})" if default is not None else ""))


def settings_file(args: argparse.Namespace) -> Path | None:
    config_file: Path | None = args.config
    if config_file is None and Path(CONFIG_FILE_NAME).is_file():
        config_file = Path(CONFIG_FILE_NAME)
    return config_file


def config_from_args(args: argparse.Namespace) -> Config:
    config_file = settings_file(args)
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"config file {config_file} does not exist")
    file_settings = read_config_file(config_file) if config_file else {}
    # The record of addresses lives with the project, so that a build from a
    # fresh checkout still knows every address published before.
    file_settings.setdefault("record", (config_file.parent if config_file else Path()) / RECORD_FILE_NAME)
    overrides = from_options({s.name: getattr(args, s.name, None) for s in SETTINGS if s.option is not None})
    return make_config(file_settings, overrides)


def _warn(problem: Problem) -> None:
    print(problem, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None, prog: str = "broadsheet", *, exiting: bool = False) -> int:
    """Run the command line; `prog` is the program's name in usage and help;
    `exiting`: the process ends when this returns (see run)."""
    args = _parser(prog).parse_args(argv)
    if args.command == "init":
        return init(args.folder, prog)
    code, config = build_and_report(args, last=exiting and args.command != "serve")
    if args.command != "serve" or code != 0 or config is None:
        return code
    from .serve import serve  # only here: a build does without its imports

    return serve(config, lambda: build_and_report(args)[1], host=args.host, port=args.port,
                 settings=settings_file(args))


def build_and_report(args: argparse.Namespace, *, last: bool = False) -> tuple[int, Config | None]:
    """Build as `args` say and print what happened: the exit code, and the
    settings built with (None when no site was written).  `last`: the
    process ends right after, and frees the build's objects with it."""
    config: Config | None = None
    try:
        config = config_from_args(args)
        result = build(config, report=_warn, progress=silent if config.quiet else for_stream(sys.stderr),
                       leave_to_exit=last)
    except (ConfigError, BuildError) as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 1, None
    except KeyboardInterrupt:
        kept = config is not None and resume.journal_path(config.out).is_file()
        print("error: interrupted; the previous site is untouched"
              + ("; what was made so far is kept beside it, for the next build to take up" if kept else ""),
              file=sys.stderr)
        return 130, None
    for link in result.broken_links:
        print(link, file=sys.stderr)
    if not config.quiet:
        for note in result.notes:
            print(note, file=sys.stderr)
        print(result.summary(), file=sys.stderr)
    if result.broken_links:
        # The site is written (with --strict it is not), but a check that found
        # something fails, so that scripts and CI notice.
        print(f"error: {len(result.broken_links)} broken link(s)", file=sys.stderr)
        return 1, config
    return 0, config


def init(folder: Path, prog: str) -> int:
    """Write a starter project, then say how to build it."""
    try:
        written = starter.write_project(folder)
    except starter.StarterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    # From a checkout, the program is build.py, which is not in the new folder.
    command = "broadsheet" if prog.endswith(".py") else prog
    print(f"next:\n  cd {shlex.quote(str(folder))}\n  {command}")
    return 0


def run(prog: str = "broadsheet") -> NoReturn:
    """main() as a program.  It ends without taking the build's records apart
    one object at a time, as the build's return and the interpreter on its
    way out would (half a second at 100,000 articles): the workers
    have ended, and what is printed is flushed here.  Under a profiler or a
    tracer (cProfile, coverage), which write their findings on the way out, it
    ends as programs do."""
    exiting = sys.getprofile() is None and sys.gettrace() is None
    code = main(prog=prog, exiting=exiting)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    if exiting:
        os._exit(code)
    sys.exit(code)

