"""The search index: Pagefind (the pagefind-bin package, no network), run over the rendered pages.

A large archive is indexed in shards of at most SHARD_PAGES articles, one
Pagefind run each, so that no run holds the whole corpus in memory (Pagefind
needs about 0.2 MB per page) and runs can go side by side.  A shard is a run
of whole years, oldest first, or of whole months when a year is too big.  Each
shard is a complete Pagefind bundle: the oldest one at `pagefind/` (the main
bundle, which the search page loads), the others at `pagefind/<name>/`, listed
in `pagefind/bundles.json`; the search page merges them (Pagefind's mergeIndex).

Sorted by date, Pagefind ranks the results of each bundle by their position in
that bundle, from 0 up; the search page weighs newer bundles so that all their
results rank above older ones.  For that, when there are several bundles, each
holds one placeholder record dated before every article, which takes position 0
and matches no search.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from pagefind.index import IndexConfig, PagefindIndex

from . import search_stable
from .render import file_for
from .site import Entry, Site

INDEX_FOLDER = "pagefind"
BUNDLES_FILE = "bundles.json"
SHARD_PAGES = 5000
# A combining mark alone: Pagefind indexes it as the empty word, which no query
# reaches (search.js drops marks that follow no letter).
PLACEHOLDER_WORD = "\u0345"
PLACEHOLDER_DATE = "0000-00-00"
# Pagefind's memory for one shard at most, to decide how many run side by side.
_MEMORY_PER_RUN = SHARD_PAGES * 250_000


class SearchError(Exception):
    """Pagefind failed; the message is one line for the user."""


@dataclass(frozen=True)
class Shard:
    name: str  # "2019": years from 2019; "2019-05": months of 2019 from May
    folder: str  # its bundle, relative to the site root: "pagefind/" or "pagefind/2021/"
    glob: str  # its article pages, for Pagefind
    pages: tuple[str, ...]  # the same pages, as paths relative to the site root
    placeholder: bool  # with the placeholder record (when there are several bundles)


@dataclass(frozen=True)
class _Period:
    year: int
    month: int | None  # None: the whole year
    entries: tuple[Entry, ...]

    @property
    def name(self) -> str:
        return f"{self.year:04d}" if self.month is None else f"{self.year:04d}-{self.month:02d}"


def plan_shards(site: Site, *, limit: int = SHARD_PAGES) -> list[Shard]:
    """The shards of the site's articles, oldest first.

    Years follow one another in a shard while it has room; a year bigger than
    `limit` is cut into shards of whole months (a month is never cut)."""
    periods: list[_Period] = []
    oldest_first = reversed(site.entries)
    for year, in_year in groupby(oldest_first, key=lambda e: e.article.date.year):
        entries = tuple(in_year)
        if len(entries) <= limit:
            periods.append(_Period(year, None, entries))
        else:
            periods += [_Period(year, month, tuple(group)) for month, group in groupby(entries, key=lambda e: e.article.date.month)]
    packs: list[list[_Period]] = []
    for period in periods:
        last = packs[-1] if packs else []
        fits = sum(len(p.entries) for p in last) + len(period.entries) <= limit
        alike = bool(last) and (last[0].month is None) == (period.month is None) and (
            period.month is None or last[0].year == period.year
        )
        if fits and alike:
            last.append(period)
        else:
            packs.append([period])
    several = len(packs) > 1
    return [
        Shard(
            name=pack[0].name,
            folder=f"{INDEX_FOLDER}/" if i == 0 else f"{INDEX_FOLDER}/{pack[0].name}/",
            glob=_glob(pack),
            pages=tuple(sorted(file_for(e.url) for p in pack for e in p.entries)),
            placeholder=several,
        )
        for i, pack in enumerate(packs)
    ]


def _glob(pack: Sequence[_Period]) -> str:
    if pack[0].month is None:
        return f"{_alternatives([f'{p.year:04d}' for p in pack])}/**/*.html"
    return f"{pack[0].year:04d}/{_alternatives([f'{p.month:02d}' for p in pack])}/**/*.html"


def _alternatives(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else "{" + ",".join(names) + "}"


def bundles_json(shards: Sequence[Shard], counts: dict[str, int]) -> str:
    """pagefind/bundles.json: the bundles, oldest first, with their page counts,
    for the search page to merge and weigh."""
    main = f"{INDEX_FOLDER}/"
    bundles = [{"path": s.folder.removeprefix(main), "pages": counts[s.name]} for s in shards]
    return json.dumps({"bundles": bundles}, indent=1) + "\n"


def parallel_runs(workers: int) -> int:
    """How many Pagefind runs go side by side: one per worker, as memory allows."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            fields = dict(line.split(":", 1) for line in meminfo)
        available = int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return max(1, min(workers, 2))
    return max(1, min(workers, available // _MEMORY_PER_RUN))


def index_shards(
    work: Sequence[tuple[Shard, Path]], output: Path, *, language: str, workers: int,
    done: Callable[[Shard, int], None] | None = None,
) -> dict[str, int]:
    """Index each shard's pages, found below the folder given with it, into its
    bundle below `output`; the number of pages of each shard, by name.

    One language for the whole index: a search from any page then finds
    articles in every language (Pagefind otherwise splits indexes by `lang`)."""
    language = language.split("-")[0].lower()

    def one(shard: Shard, pages: Path) -> int:
        # Each run on a thread of its own with an event loop of its own: the
        # caller may be running one (a notebook, a test driving a browser).
        asyncio.run(_index(shard, pages, output / shard.folder, language))
        search_stable.stabilise(output / shard.folder)
        count = indexed_pages(output / shard.folder) - (1 if shard.placeholder else 0)
        if done is not None:
            done(shard, count)
        return count

    if not work:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {shard.name: pool.submit(one, shard, pages) for shard, pages in work}
        return {name: future.result() for name, future in futures.items()}


async def _index(shard: Shard, pages: Path, bundle: Path, language: str) -> None:
    config = IndexConfig(force_language=language, keep_index_url=True, output_path=str(bundle))
    try:
        async with PagefindIndex(config=config) as index:
            await index.add_directory(str(pages), glob=shard.glob)
            if shard.placeholder:
                await index.add_custom_record(
                    url="search/", content=PLACEHOLDER_WORD, language=language, sort={"date": PLACEHOLDER_DATE},
                )
    except Exception as error:  # noqa: BLE001 - the service's errors have no common type
        detail = str(error).strip().splitlines()
        raise SearchError(f"pagefind failed on {shard.glob}: {detail[-1] if detail else type(error).__name__}") from None


def indexed_pages(bundle: Path) -> int:
    """The pages (and records) a written bundle holds."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    return sum(language["page_count"] for language in entry["languages"].values())


def bundle_files(site: Path, shard: Shard, shards: Sequence[Shard]) -> list[str]:
    """The files of a shard's bundle, relative to the site root (the main
    bundle's folder also holds the other bundles, which are not its files)."""
    root = site / shard.folder
    nested = {s.folder for s in shards if s.folder != shard.folder}
    files = []
    for here, dirs, names in os.walk(root):
        rel_here = Path(here).relative_to(site).as_posix() + "/"
        dirs[:] = sorted(d for d in dirs if f"{rel_here}{d}/" not in nested)
        files += [f"{rel_here}{name}" for name in names if f"{rel_here}{name}" != f"{INDEX_FOLDER}/{BUNDLES_FILE}"]
    return sorted(files)
