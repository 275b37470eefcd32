#!/usr/bin/env python3
"""Memory per article: how the build's peak grows with the archive.

    python bench/memory.py [--sizes 20000,40000] [--work DIR] [--search [--served-search offline]]

Builds the synthetic corpus (../shared/bench/make_corpus.py, realistic
vocabulary) at each size into an empty folder, without search unless told
(--search; with --served-search offline, the offline index without Pagefind),
sampling every 50 ms the proportional set size (PSS) of the build and of each
process it started: a page that forked workers share with the build counts
once, split between them.  Prints, at each size, the peak of the whole tree and
how it was split at that moment (the build's own process, its workers), then
the growth per article between consecutive sizes: what an archive ten times
larger would add.  Corpora are kept in WORK (default bench/out/, as run.py's).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402 - the benchmark's corpora and its measure of the process tree

PROJECT = run.PROJECT


@dataclass
class Peak:
    size: int
    seconds: float
    total_mb: float
    build_mb: float  # the build's own process, at the peak of the tree
    others_mb: float  # its workers and other processes, at that moment


def pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            return next(int(line.split()[1]) * 1024 for line in rollup if line.startswith("Pss:"))
    except (OSError, StopIteration, ValueError):
        return 0


def peak_of(command: list[str]) -> tuple[float, float, float]:
    """Seconds, and the tree's peak PSS with the build's own share of it, in MB."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    best = (0, 0)
    done = threading.Event()

    def sample() -> None:
        nonlocal best
        while not done.is_set():
            own = pss(process.pid)
            total = run.tree_memory(process.pid)
            if total > best[0]:
                best = (total, own)
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}\n{err[-2000:]}")
    return time.perf_counter() - start, best[0] / 1e6, best[1] / 1e6


def measure(work: Path, size: int, *, search: bool, served: str = "pagefind") -> Peak:
    source = run.corpus(work, size, "txt")
    out = work / f"memory-{size}"
    for folder in (out, out.parent / f".{out.name}.cache"):
        shutil.rmtree(folder, ignore_errors=True)
    record = work / f"memory-{size}.published.json"
    record.unlink(missing_ok=True)
    command = [sys.executable, "build.py", "--source", str(source), "--out", str(out), "--base-url", run.BASE_URL,
               "--record", str(record), "--quiet", *(["--served-search", served] if search else ["--no-search"])]
    seconds, total, own = peak_of(command)
    shutil.rmtree(out, ignore_errors=True)
    return Peak(size, seconds, total, own, total - own)


def per_article(low_mb: float, high_mb: float, count: int) -> float:
    """KB more for each of `count` more articles."""
    return (high_mb - low_mb) * 1e6 / count / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20000,40000")
    parser.add_argument("--work", type=Path, default=PROJECT / "bench" / "out")
    parser.add_argument("--search", action="store_true", help="build with search (default: without)")
    parser.add_argument("--served-search", choices=("pagefind", "offline"), default="pagefind",
                        help="with --search: what answers the served search page (offline: no Pagefind run)")
    args = parser.parse_args(argv)
    if args.served_search != "pagefind" and not args.search:
        parser.error("--served-search is for a build with --search")
    args.work.mkdir(parents=True, exist_ok=True)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    peaks = [measure(args.work, size, search=args.search, served=args.served_search) for size in sizes]
    searched = f"search served by {args.served_search}" if args.search else "no search"
    print(f"{searched}, {run.machine()}")
    print("| articles | seconds | peak MB (tree, PSS) | the build's process | its workers |")
    print("|---:|---:|---:|---:|---:|")
    for p in peaks:
        print(f"| {p.size:,} | {p.seconds:.1f} | {p.total_mb:,.0f} | {p.build_mb:,.0f} | {p.others_mb:,.0f} |")
    for low, high in zip(peaks, peaks[1:], strict=False):
        count = high.size - low.size
        print(f"growth {low.size:,} → {high.size:,}: {per_article(low.total_mb, high.total_mb, count):.1f} KB an article "
              f"(build {per_article(low.build_mb, high.build_mb, count):.1f}, "
              f"workers {per_article(low.others_mb, high.others_mb, count):.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
