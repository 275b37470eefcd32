"""The search index: Pagefind, run over the rendered pages (no network), in shards.

One Pagefind run holds every page it indexes in memory (about 0.25 MB a page),
so a large archive is indexed in shards: whole years, oldest first, packed
together while they fit in a number of pages, a year too big for one shard
cut into whole months, and a month too big into whole days; the newest day of
a large site is a shard of its own, so that the articles added through a day
index their day again and nothing more.  Each shard is a Pagefind bundle of its own, and the
search page merges them all in the browser (Pagefind's mergeIndex), so that
any page finds any article.

Bundles: the first (oldest) shard's bundle is `pagefind/`, where it has always
been; every other shard's is `pagefind/<name>/`.  `pagefind/bundles.json` lists
them, oldest first, with their page counts.

Orders across bundles: with a sort, Pagefind scores a result by its position in
its own bundle's sorted list of pages (0 for the oldest page; negated for oldest
first) and the browser sorts the results of all bundles by score × indexWeight.
The bundles hold consecutive stretches of time, so each bundle's weight is made
larger than every score of the bundles before it: the product of their record
counts.  A position of 0 would score 0 whatever the weight, so every bundle but
the first starts with a placeholder record, dated before any article, whose only
word is empty (a lone combining mark): no search term reaches it, and the real
pages of the bundle take positions 1 and up.  The first bundle needs none, and
so a site of one shard gets exactly the index of a single run.  Past a product
of 10^300 (about 80 bundles of 5000 articles) the search page takes the bundles
in groups whose weights start again (site_templates/assets/search.js).
"""

from __future__ import annotations

import functools
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import groupby
from pathlib import Path

from . import parallel, search_stable
from .render import file_for
from .site import Entry, Site
from .write import link_or_copy

INDEX_FOLDER = "pagefind"
BUNDLES = "bundles.json"  # in INDEX_FOLDER
SHARD_PAGES = 5000
# A site with at least this many articles before its newest day indexes that
# day apart, so that the day's new articles index a few hundred pages again,
# not the thousands of the shard the day belongs to.
NEWEST_APART_FROM = 1000
# In the newest year, a month of at least this many articles is a shard of its
# own, not packed with the months before it: packed, the month before the
# newest joins its pack once the next month's second day comes, and the pack
# is made again whole (every score in it), a monthly rebuild of thousands of
# articles; alone, it is kept as it is.  Its year's months are packed once a
# newer year begins.
MONTH_APART_FROM = 1000
# Where the month before the newest is of that size (and fits in one shard),
# the newest month's days before the newest day are cut into parts of a week
# of days of the month (1-7, 8-14, 15-21, 22-28, 29 on), each a shard of its
# own: the day before, put back once a newer day comes, joins a part of at most
# six days, made again whole, not a month of up to 1,400 articles (at 100,000,
# 1.1 to 2.1 s a day).  The month's parts are put together on the next month's
# second day, as the newest month was.
PART_DAYS = 7
# The placeholder page that leads every bundle but the first, while they are indexed.
PLACEHOLDER = f"{INDEX_FOLDER}/start/index.html"
PLACEHOLDER_DATE = "0000-00-00"  # sorts before every date of an article
# U+0345, a combining mark that counts as a letter: Pagefind indexes it, and its
# diacritic folding leaves the empty word, which no search term can match.
PLACEHOLDER_HTML = (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"></head>'
    f'<body><div data-pagefind-body><span data-pagefind-sort="date:{PLACEHOLDER_DATE}">\u0345</span></div>'
    "</body></html>\n"
)
# Memory of one Pagefind run, for running several side by side: measured on
# the benchmark corpus, 240 to 255 KB a page (bench/pagefind_memory.py).
RUN_BYTES = 64 * 2**20
PAGE_BYTES = 256 * 2**10


class SearchError(Exception):
    """Pagefind failed; the message is one line for the user."""


@dataclass(frozen=True)
class Shard:
    name: str  # "2019" (years from 2019), "2019-05" (months of a too-big year, from May) or "2019-05-03" (days)
    folder: str  # its bundle, relative to the site root: "pagefind/" for the first, "pagefind/<name>/" for others
    pages: tuple[str, ...]  # its article pages as file paths relative to the site root, sorted
    apart: bool = False  # the newest day, indexed apart from the rest (see plan_shards)
    without: str = ""  # the folder of that day ("2020/03/05"), which its glob must leave out
    part: bool = False  # a part of the newest month (see plan_shards)


def plan_shards(site: Site, *, limit: int = SHARD_PAGES) -> list[Shard]:
    """The shards of the site's articles, oldest first: whole years packed while
    they fit in `limit` pages; a bigger year cut into whole months, packed the
    same way; a bigger month cut into whole days (a day is never cut, however
    big).  A shard is one Pagefind run, which holds all its pages in memory.

    The newest day of a site with NEWEST_APART_FROM articles or more before it
    is a shard of its own, last, marked `apart`: the articles a newsroom adds
    through a day are indexed again with their day alone.  The first build with
    a newer day puts the day before back with the rest, as a full build does:
    the plan depends on the articles alone, never on the builds before.  Where
    the newest year is cut into months, its newest month is not packed with the
    months before it, so that the day put back is indexed again with its month
    alone; nor is any month of the newest year of MONTH_APART_FROM articles or
    more, which would make its pack again once the next month's second day
    comes (a smaller one is then packed with those before it).  Where the
    month before the newest is that large and fits in `limit`, the newest
    month's days are cut into parts of PART_DAYS days of the month, each a
    shard, so that the day put back joins a part of a few days.  With
    the newest day apart, the newest year is cut into months even where it
    would fit in one shard, and is packed with no year before it: its day
    before goes back with the few hundred pages of its month, not the
    thousands of its year or of the years packed with it."""
    if limit < 1:
        raise ValueError(f"limit must be 1 or more, not {limit}")
    # Runs of parts that may share a shard: consecutive years that each fit, the
    # consecutive months of one year that does not, or the days of one month.
    runs: list[list[tuple[str, list[str]]]] = [[]]
    # The site's entries are newest first by day: reversed, not sorted again (0.15 s at 100,000
    # articles); the order within a day is not the shards' (their pages are sorted).
    oldest_first = list(reversed(site.entries))
    newest: list[Entry] = []
    if oldest_first:
        day = oldest_first[-1].article.date
        cut = len(oldest_first)
        while cut and oldest_first[cut - 1].article.date == day:
            cut -= 1
        if cut >= NEWEST_APART_FROM:
            oldest_first, newest = oldest_first[:cut], oldest_first[cut:]
    newest_year = oldest_first[-1].article.date.year if oldest_first else None
    in_parts = bool(newest) and MONTH_APART_FROM <= _month_before_newest(oldest_first) <= limit
    parts: set[int] = set()  # the runs that are parts of the newest month
    for year, in_year in groupby(oldest_first, key=lambda e: e.article.date.year):
        months = [(f"{year:04d}-{month:02d}", list(in_month))
                  for month, in_month in groupby(in_year, key=lambda e: e.article.date.month)]
        # With the newest day apart, the newest year is cut into months however
        # small, and packed with no year before it, so that its newest month is
        # a shard of its own (below).
        if sum(len(entries) for _, entries in months) <= limit and not (newest and year == newest_year):
            runs[-1].append((f"{year:04d}", [file_for(e.url) for _, entries in months for e in entries]))
            continue
        runs.append([])
        for name, entries in months:
            if in_parts and year == newest_year and name == months[-1][0]:
                # Each part a run of days, packed as a large month's are where a part is too big.
                for _, in_part in groupby(entries, key=lambda e: (e.article.date.day - 1) // PART_DAYS):
                    runs += [_days(name, in_part), []]
                    parts.add(len(runs) - 2)
                continue
            # The newest month of a year cut into months is a shard of its own: the
            # day before, put back with the rest once a newer day comes, is indexed
            # again with its month, not with the months packed before it; and so is
            # a large month of that year (MONTH_APART_FROM).
            alone = year == newest_year and (name == months[-1][0] or len(entries) >= MONTH_APART_FROM)
            if alone:
                runs.append([])
            if len(entries) <= limit:
                runs[-1].append((name, [file_for(e.url) for e in entries]))
                if alone:
                    runs.append([])
            else:
                runs += [_days(name, entries), []]
        runs.append([])
    groups: list[tuple[str, list[str], bool]] = []
    for number, run in enumerate(runs):
        current: tuple[str, list[str], bool] | None = None
        for part, pages in run:
            if current is not None and len(current[1]) + len(pages) <= limit:
                current[1].extend(pages)
            else:
                current = (part, list(pages), number in parts)
                groups.append(current)
    shards = [
        Shard(name, f"{INDEX_FOLDER}/" if i == 0 else f"{INDEX_FOLDER}/{name}/", tuple(sorted(pages)), part=part)
        for i, (name, pages, part) in enumerate(groups)
    ]
    if newest:
        name = newest[0].article.date.isoformat()  # four digits of year, as the pages' folders have
        folder = name.replace("-", "/")
        # The shards of its year: their globs take whole years or months, which may hold the day.
        shards = [replace(shard, without=folder) if shard.pages[-1].startswith(folder[:4]) else shard for shard in shards]
        shards.append(Shard(name, f"{INDEX_FOLDER}/{name}/", tuple(sorted(file_for(e.url) for e in newest)), apart=True))
    return shards


def _days(month: str, entries: Iterable[Entry]) -> list[tuple[str, list[str]]]:
    """The days of `entries` of the month named `month`, oldest first: a run whose days may be packed."""
    return [(f"{month}-{day:02d}", [file_for(e.url) for e in in_day])
            for day, in_day in groupby(entries, key=lambda e: e.article.date.day)]


def _month_before_newest(oldest_first: Sequence[Entry]) -> int:
    """How many articles the month before the newest month of `oldest_first` has (0 where none)."""
    sizes: list[int] = []  # of the newest months, newest first
    end = len(oldest_first)
    while end and len(sizes) < 2:
        month = oldest_first[end - 1].article.date.replace(day=1)
        start = end
        while start and oldest_first[start - 1].article.date.replace(day=1) == month:
            start -= 1
        sizes.append(end - start)
        end = start
    return sizes[1] if len(sizes) == 2 else 0


# `served-search = "auto"` serves Pagefind's bundles to archives of up to this
# many times `search-shard-pages` articles (40,000 by default, ten to twelve
# bundles as months are packed), the offline index past that.  Counted in
# articles, which only grow, not in bundles, whose number rises through a year
# and falls when its months are packed: the engine changes once.
AUTO_PAGEFIND_SHARDS = 8


def served_engine(articles: int, shard_pages: int) -> str:
    """What `served-search = "auto"` chooses to answer the search page when
    served, for an archive of that many articles: Pagefind's bundles up to
    AUTO_PAGEFIND_SHARDS times `shard_pages`; past that, where every query of
    Pagefind's loads a part of each of a dozen bundles and more, the offline
    index, whose queries read about as much at any size."""
    return "pagefind" if articles <= AUTO_PAGEFIND_SHARDS * shard_pages else "offline"


def is_first(shard: Shard) -> bool:
    return shard.folder == f"{INDEX_FOLDER}/"


def shard_glob(shard: Shard) -> str:
    """The Pagefind glob of the shard's pages: its year folders, its months'
    folders of one year, or its days' folders of one month, and where a folder
    holds the newest day indexed apart, the months or days of that folder but
    that day's; only articles mark a body, so only they are indexed."""
    splits = [page.split("/") for page in shard.pages]
    level = shard.name.count("-")  # 0: years, 1: months of one year, 2: days of one month
    if level and len({tuple(parts[:level]) for parts in splits}) != 1:
        raise ValueError(f"shard {shard.name} holds {'months of several years' if level == 1 else 'days of several months'}")
    folders = _folders(splits, level, shard.without.split("/") if shard.without else None)
    pattern = f"{folders[0]}/**/*.html" if len(folders) == 1 else "{" + ",".join(f"{f}/**/*.html" for f in folders) + "}"
    if not is_first(shard):
        pattern = "{" + pattern + "," + PLACEHOLDER + "}"
    return pattern


def _folders(splits: list[list[str]], depth: int, without: list[str] | None) -> list[str]:
    """Globs of the folders at `depth` of the pages `splits` (all alike above
    it), the folder `without` left out by taking the ones inside its parents."""
    prefix = "".join(f"{part}/" for part in splits[0][:depth])
    names = {parts[depth] for parts in splits}
    if without is None or without[:depth] != splits[0][:depth] or without[depth] not in names or depth == 2:
        return [prefix + _alternatives(names)]
    names.discard(without[depth])
    inside = [parts for parts in splits if parts[depth] == without[depth]]
    return ([prefix + _alternatives(names)] if names else []) + _folders(inside, depth + 1, without)


def _alternatives(names: Iterable[str]) -> str:
    names = sorted(set(names))
    for name in names:
        if not name or any(c in name for c in "{}[]*?,/\\!<>:"):
            raise ValueError(f"folder {name!r} cannot be put in a glob")
    return names[0] if len(names) == 1 else "{" + ",".join(names) + "}"


def _command(site_root: Path, shard: Shard, language: str, output: Path) -> list[str]:
    import pagefind_bin  # here: a rebuild that indexes nothing does without it

    return [
        *_ended_with_the_build(),
        str(pagefind_bin.get_executable()),
        "--site", str(site_root),
        "--glob", shard_glob(shard),
        "--output-path", str(output / shard.folder),
        "--force-language", language.split("-")[0].lower(),
        "--keep-index-url",
        "--silent",
    ]


def _ended_with_the_build() -> list[str]:
    """What Pagefind's command begins with so that its run ends when the build
    does, killed outright too: on Linux, util-linux's setpriv gives it the
    signal a process gets when the thread that started it ends, then runs it
    (Python's subprocess offers that only through preexec_fn, which is unsafe
    in a process with threads).  Elsewhere, or without setpriv, a run goes on
    until the next build ends it (write.clear_leftovers)."""
    setpriv = shutil.which("setpriv") if sys.platform == "linux" else None
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv is not None else []


def available_memory() -> int | None:
    """The memory that new processes can take without swapping, in bytes (on
    Linux, MemAvailable of /proc/meminfo); None where it cannot be known."""
    import psutil  # here: a rebuild that indexes nothing does without it

    try:
        return int(psutil.virtual_memory().available)
    except (psutil.Error, OSError, NotImplementedError):
        return None


def run_bytes(shard: Shard) -> int:
    """What one Pagefind run over the shard is expected to take."""
    return RUN_BYTES + PAGE_BYTES * (len(shard.pages) + 1)


def index_shards(
    site_root: Path,
    shards: Sequence[Shard],
    *,
    language: str,
    jobs: int,
    done: Callable[[Shard, int], None] | None = None,
    output: Path | None = None,
    last: Path | None = None,
    kept: Collection[str] = (),
) -> dict[str, int]:
    """Index each shard into its bundle (site_root / shard.folder), at most `jobs`
    Pagefind runs side by side and no more than the available memory holds (one
    always runs); each bundle is stabilised.  Returns the article pages indexed by
    shard name; `done` hears of each shard as it is finished.  With `output`, the
    bundles go below it instead of below `site_root`.  With `last`, the site as
    the last build left it, a bundle starts from its last fragments of the pages
    `kept` as they were (seed_fragments).  On a cluster (see
    parallel.Cluster), each run is a task of its own, and `jobs` and the
    memory of this machine have no say."""
    site_root = Path(site_root)
    bundles_root = Path(output) if output is not None else site_root
    waiting = list(shards)
    budget = available_memory()
    running: dict[str, tuple[subprocess.Popen[str], int]] = {}
    finished: queue.Queue[tuple[Shard, int, str]] = queue.Queue()
    counts: dict[str, int] = {}
    seeded: dict[str, int] = {}  # the fragments each bundle started from
    placeholder = site_root / PLACEHOLDER
    made_placeholder = False
    try:
        if any(not is_first(shard) for shard in shards):
            placeholder.parent.mkdir(parents=True, exist_ok=True)
            placeholder.write_text(PLACEHOLDER_HTML, encoding="utf-8")
            made_placeholder = True
        runner = parallel.runner()
        if isinstance(runner, parallel.Cluster):
            # Absolute: the workers may run in another folder.
            index = functools.partial(index_shard, site_root.absolute(), language=language,
                                      output=bundles_root.absolute(), shards=tuple(shards))
            for i, count in runner.as_done("index-shard", index, shards):
                counts[shards[i].name] = count
                if done is not None:
                    done(shards[i], count)
            waiting = []
        while waiting or running:
            while waiting and len(running) < max(1, jobs):
                need = run_bytes(waiting[0])
                in_use = sum(expected for _, expected in running.values())
                if running and budget is not None and in_use + need > budget:
                    break
                shard = waiting.pop(0)
                # What a run of a build that was cut short left there (a resumed build's
                # folder): Pagefind would keep a fragment it had half written.
                _clear_named_by_digest(bundles_root / shard.folder)
                if last is not None and shard.name not in seeded:
                    seeded[shard.name] = seed_fragments(last / shard.folder, bundles_root / shard.folder,
                                                        {page for page in shard.pages if page in kept})
                running[shard.name] = (_start(site_root, shard, language, bundles_root, finished), need)
            shard, code, said = finished.get()
            running.pop(shard.name)
            if code != 0:
                raise SearchError(f"pagefind failed on the {shard.name} shard: {_error_line(said, code)}")
            if seeded.get(shard.name) and not _fragments_checked(bundles_root / shard.folder):
                seeded[shard.name] = 0  # run again from nothing: cleared, as every run is, before it starts
                waiting.insert(0, shard)
                continue
            counts[shard.name] = _finish(bundles_root, shard)
            if done is not None:
                done(shard, counts[shard.name])
    finally:
        for process, _ in running.values():
            process.kill()
        for process, _ in running.values():
            process.wait()
        if made_placeholder:
            placeholder.unlink(missing_ok=True)
            try:
                placeholder.parent.rmdir()
            except OSError:
                pass
    return counts


def index_shard(site_root: Path, shard: Shard, *, language: str, output: Path, shards: Sequence[Shard]) -> int:
    """One Pagefind run over `shard`, its bundle stabilised, in this process
    (a task of a cluster): the article pages indexed.  `shards`: all of them,
    whose bundles may lie inside this one's."""
    bundle = output / shard.folder
    if bundle.is_dir():
        clear_bundle(bundle, shard, shards)
    try:
        ran = subprocess.run(_checked_command(site_root, shard, language, output), capture_output=True,
                             stdin=subprocess.DEVNULL, text=True, errors="replace", check=False)
    except OSError as error:
        raise SearchError(f"pagefind cannot be run: {error}") from None
    if ran.returncode != 0:
        raise SearchError(f"pagefind failed on the {shard.name} shard: {_error_line(ran.stderr or ran.stdout, ran.returncode)}")
    return _finish(output, shard)


def clear_bundle(bundle: Path, shard: Shard, shards: Sequence[Shard]) -> None:
    """Before a run again, after a worker died in the middle of it: what that
    run left goes; not the other bundles inside the first one's folder, the
    list of bundles, nor the placeholder page that the other runs index."""
    others = {Path(other.folder).name for other in shards if other.folder != shard.folder}
    if is_first(shard):
        others.add(Path(PLACEHOLDER).parent.name)
    for path in bundle.iterdir():
        if path.is_dir() and not path.is_symlink():
            if path.name not in others:
                shutil.rmtree(path)
        elif path.name != BUNDLES:
            path.unlink()


# Pagefind does not write a file of its output that is already there: its
# names are digests of their contents.  A bundle indexed again starts from
# the fragments of its last run whose pages are as they were, and Pagefind
# compresses and writes only the others' (5,041 pages: 8.4 s instead of 11.0 s).
FRAGMENTS = "fragment"


def seed_fragments(last: Path, bundle: Path, pages: Collection[str]) -> int:
    """Link into `bundle` the fragments of the bundle as the last build left it,
    `last`, of its pages among `pages` (paths relative to the site root):
    how many: none where the last run named a page by more than the first
    digits of its digest, as it does for two pages whose digests begin alike:
    which of them a run names so depends on the order it meets them, and the
    fragment of that name could be the other's."""
    hashes = _page_hashes(last)
    if not hashes or any(extended for _, extended in hashes):
        return 0
    seeded = 0
    for name, _ in hashes:
        fragment = last / FRAGMENTS / f"{name}.pf_fragment"
        if _page_of(fragment) in pages:
            link_or_copy(fragment, bundle / FRAGMENTS / fragment.name)
            seeded += 1
    return seeded


def _fragments_checked(bundle: Path) -> bool:
    """After a run that started from fragments of the last: whether it is
    sure to be the run from nothing, with the fragments it does not name
    taken away; not where it named a page by more than the first digits of
    its digest (seed_fragments), then the bundle is cleared to run again."""
    hashes = _page_hashes(bundle)
    if hashes is None or any(extended for _, extended in hashes):
        return False
    named = {f"{name}.pf_fragment" for name, _ in hashes}
    for fragment in (bundle / FRAGMENTS).iterdir():
        if fragment.name not in named:
            fragment.unlink()
    return True


def in_bundle(folder: str, name: str) -> bool:
    """Whether the file `name` (relative to the site root) is one of the
    bundle's in `folder` (relative to the site root, ending in "/"): in it, or
    in its folders of fragments and indexes, not in a bundle inside it."""
    if not name.startswith(folder):
        return False
    head, slash, _ = name[len(folder):].partition("/")
    return not slash or head in (FRAGMENTS, "index", "filter")


def _clear_named_by_digest(bundle: Path) -> None:
    """The files of a bundle that Pagefind does not write where they are
    already (its metadata, fragments, word and filter indexes), taken away;
    not the bundles inside the first one's folder."""
    for folder in (FRAGMENTS, "index", "filter"):
        shutil.rmtree(bundle / folder, ignore_errors=True)
    for meta in bundle.glob("pagefind.*.pf_meta"):
        meta.unlink()


def _page_hashes(bundle: Path) -> list[tuple[str, bool]] | None:
    """The fragment names of a bundle's pages, each with whether it is longer
    than Pagefind names a page (its language, "_" and seven digits); None
    where the bundle cannot be read."""
    try:
        entry = json.loads((bundle / search_stable.ENTRY).read_text(encoding="utf-8"))
        names = []
        for language, about in entry["languages"].items():
            meta = search_stable.read(bundle / f"pagefind.{about['hash']}.pf_meta")
            names += [(str(page[0]), len(str(page[0])) > len(language) + 8)
                      for page in meta[search_stable.META_PAGES]]
        return names
    except (OSError, ValueError, LookupError, TypeError, AttributeError, search_stable.Unreadable):
        return None


def _page_of(fragment: Path) -> str | None:
    """The page of a fragment, relative to the site root, from its address:
    its beginning only is inflated, where the address is."""
    try:
        head = zlib.decompressobj(31).decompress(fragment.read_bytes(), 4096)
        at = head.index(b'"url":"') + len(b'"url":"')
        url = head[at : head.index(b'"', at)].decode("utf-8")
    except (OSError, ValueError, zlib.error):
        return None
    return url[1:] if url.startswith("/") else None


def _checked_command(site_root: Path, shard: Shard, language: str, output: Path) -> list[str]:
    try:
        return _command(site_root, shard, language, output)
    except ValueError as error:
        raise SearchError(f"the {shard.name} shard cannot be indexed: {error}") from None


def _start(
    site_root: Path, shard: Shard, language: str, output: Path, finished: queue.Queue
) -> subprocess.Popen[str]:
    command = _checked_command(site_root, shard, language, output)
    try:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            text=True, errors="replace",
        )
    except OSError as error:
        raise SearchError(f"pagefind cannot be run: {error}") from None

    def wait() -> None:
        out, err = process.communicate()
        finished.put((shard, process.returncode, err or out))

    threading.Thread(target=wait, name=f"pagefind {shard.name}", daemon=True).start()
    return process


def _error_line(output: str, code: int) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    return (errors or lines or [f"exit {code}"])[0 if errors else -1]


def _finish(site_root: Path, shard: Shard) -> int:
    bundle = site_root / shard.folder
    search_stable.stabilise(bundle)
    try:
        indexed = indexed_pages(bundle) - (0 if is_first(shard) else 1)
    except (OSError, ValueError, LookupError, TypeError) as error:
        raise SearchError(f"pagefind wrote no readable index for the {shard.name} shard: {error}") from None
    if indexed != len(shard.pages):
        raise SearchError(
            f"pagefind indexed {indexed} pages for the {shard.name} shard, which has {len(shard.pages)} articles"
        )
    return indexed


def indexed_pages(index: Path) -> int:
    entry = json.loads((index / "pagefind-entry.json").read_text(encoding="utf-8"))
    return sum(language["page_count"] for language in entry["languages"].values())


def bundle_files(site_root: Path, shard: Shard, shards: Sequence[Shard]) -> list[str]:
    """The files of the shard's bundle, relative to the site root: the first
    bundle's folder holds the other bundles' folders, the list of bundles and,
    while other bundles are made, their placeholder page, which are not its files."""
    site_root = Path(site_root)
    others = {other.folder for other in shards if other.folder != shard.folder}
    skip = {f"{INDEX_FOLDER}/{BUNDLES}", PLACEHOLDER}
    files = []
    for path, dirs, names in os.walk(site_root / shard.folder):
        here = Path(path).relative_to(site_root).as_posix()
        dirs[:] = [d for d in dirs if f"{here}/{d}/" not in others]
        files += [f"{here}/{name}" for name in names if f"{here}/{name}" not in skip]
    return sorted(files)


def bundles_json(shards: Sequence[Shard], counts: Mapping[str, int]) -> str:
    """The text of pagefind/bundles.json: the bundles oldest first, each with its
    folder relative to pagefind/, its article pages, and its records in the date
    order (the pages, and the placeholder that leads every bundle but the first)."""
    bundles = []
    for shard in shards:
        path = shard.folder.removeprefix(f"{INDEX_FOLDER}/")
        pages = counts[shard.name]
        bundles.append({"name": shard.name, "path": path, "pages": pages, "records": pages + (0 if is_first(shard) else 1)})
    lines = ",\n".join("  " + json.dumps(bundle, ensure_ascii=False) for bundle in bundles)
    return '{"bundles": [\n' + lines + "\n]}\n"

