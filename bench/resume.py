#!/usr/bin/env python3
"""A full build killed, and taken up by the next: what it saves.

    python bench/resume.py [--size 100000] [--at 12] [--kind KIND] [--repeat 1] [--work DIR] [--corpus DIR]

Each round, with search as by default: a build from nothing into an empty
folder; then another, killed outright (SIGKILL, sent by itself) once its journal has
noted `--at` units of `--kind` (Pagefind's bundles by default); then the same command again, which takes up what the
killed build made (see broadsheet/resume.py).  Prints the seconds of each, the
peak of the taken-up build's process tree, and what it said it took up.  The
corpus is the benchmark's (../shared/bench/make_corpus.py, realistic
vocabulary) of `--size` articles, kept in WORK as run.py keeps it, or the
folder `--corpus`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402 - the benchmark's corpora, its builds and its measure of the process tree

PROJECT = run.PROJECT


@dataclass
class Round:
    whole: float  # a build from nothing
    killed_after: float
    taken_up: float
    taken_up_mb: float
    said: str  # the build's note of what it took up
    summary: str  # and its last line: the time of each stage


def command(source: Path, out: Path, *extra: str) -> list[str]:
    record = out.parent / f"{out.name}.published.json"
    return [sys.executable, "build.py", "--source", str(source), "--out", str(out), "--base-url", run.BASE_URL,
            "--record", str(record), *extra]


def clear(out: Path) -> None:
    """The site, its cache, its record, and what a killed build left beside it."""
    for folder in (out, out.parent / f".{out.name}.cache", *out.parent.glob(f".broadsheet-*-{out.name}-*")):
        shutil.rmtree(folder, ignore_errors=True)
    (out.parent / f"{out.name}.published.json").unlink(missing_ok=True)


# The build, killed (SIGKILL, which nothing can catch) the moment its journal
# has noted AT units of KIND: exactly there, however fast the build goes, and
# from whichever of its processes notes it (the offline index's shards are
# noted by the workers that make them).
KILLER = """
import os, signal, sys
from broadsheet import resume
at, kind, build, noted = int(sys.argv[1]), sys.argv[2], os.getpid(), []
def counted(units):
    noted.append(units)
    if sum(noted) >= at:
        os.kill(build, signal.SIGKILL)
real_add, real_note = resume.Journal.add, resume.Noting.__call__
def add(self, noted_kind, records):
    real_add(self, noted_kind, records)
    if noted_kind == kind and records:
        counted(len(records))
def note(self, unit, record):
    real_note(self, unit, record)
    if self.kind == kind:
        counted(1)
resume.Journal.add, resume.Noting.__call__ = add, note
from broadsheet.cli import main
sys.exit(main(sys.argv[3:]))
"""


def killed(source: Path, out: Path, at: int, kind: str, extra: list[str]) -> float:
    """Seconds until the build was killed, once its journal noted `at` units of `kind`."""
    os.sync()
    start = time.perf_counter()
    ran = subprocess.run([sys.executable, "-c", KILLER, str(at), kind, *command(source, out, "--quiet", *extra)[2:]],
                         cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if ran.returncode != -signal.SIGKILL:
        raise SystemExit(f"the build ended ({ran.returncode}) before {at} units of {kind} were noted: "
                         "ask for fewer with --at"
                         f"\n{ran.stderr[-2000:]}")
    return time.perf_counter() - start


def one_round(source: Path, out: Path, at: int, kind: str, extra: list[str]) -> Round:
    clear(out)
    whole, _, _ = run.measure(command(source, out, *extra))
    clear(out)
    seconds = killed(source, out, at, kind, extra)
    taken_up, peak, err = run.measure(command(source, out, *extra))
    said = next((line for line in err.splitlines() if line.startswith("note: taken up")), "(nothing taken up)")
    summary = next((line for line in err.splitlines() if line.startswith("built ")), "")
    clear(out)
    return Round(whole, seconds, taken_up, peak, said, summary)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="articles of the benchmark corpus")
    parser.add_argument("--corpus", type=Path, help="a folder of articles instead of the benchmark corpus")
    parser.add_argument("--at", type=int, default=12, help="units noted when the build is killed")
    parser.add_argument("--kind", default="search bundles", choices=("pages", "search bundles", "offline search"),
                        help="of those units (default: search bundles)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--work", type=Path, default=PROJECT / "bench" / "out")
    parser.add_argument("--config", type=Path, help="a settings file for the builds (TOML)")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    source = args.corpus.resolve() if args.corpus else run.corpus(args.work, args.size, "txt")
    extra = ["--config", str(args.config.resolve())] if args.config else []
    if args.kind == "search bundles":
        extra += ["--served-search", "pagefind"]  # at any size: by default a large archive has no bundle
    out = args.work.resolve() / "resume-site"
    rounds = [one_round(source, out, args.at, args.kind, extra) for _ in range(args.repeat)]
    print(f"{source.name}, {run.machine()}")
    print(f"killed once {args.at} units of {args.kind} were noted")
    print("| round | from nothing s | killed after s | taken up s | its peak MB | saved s |")
    print("|---:|---:|---:|---:|---:|---:|")
    for i, r in enumerate(rounds, start=1):
        print(f"| {i} | {r.whole:.1f} | {r.killed_after:.1f} | {r.taken_up:.1f} | {r.taken_up_mb:,.0f} | "
              f"{r.whole - r.taken_up:.1f} |")
    print(f"median: from nothing {statistics.median(r.whole for r in rounds):.1f} s, "
          f"taken up {statistics.median(r.taken_up for r in rounds):.1f} s")
    print(rounds[-1].said)
    print(rounds[-1].summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
