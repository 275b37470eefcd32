#!/usr/bin/env python3
"""Pagefind's peak memory and time for one bundle of N pages, two ways.

    python bench/pagefind_memory.py --site SITE [--sizes 5000,10000,20000] [--json FILE]

SITE is a site built with search.  For each size N, the oldest N article pages
(whole months, so a few more) are indexed into one bundle in a scratch folder:

  - cli: Pagefind's command line over the pages, as the build runs it (the same
    flags; the pages' HTML parsed by Pagefind);
  - api: Pagefind's Python API (pagefind.index), one custom record a page (its
    title, text, filters and date sort, taken from the page beforehand, outside
    the time measured): no HTML for Pagefind to parse.  Its service waits 0.1 s
    before reading each answer; that wait is taken out (see _NoPollDelay), or
    the time would be 0.1 s a page whatever Pagefind does.

Memory is the peak, sampled every 20 ms, of the proportional set size (PSS;
RSS where PSS cannot be read: bench/run.py's tree_memory) summed over every
process this script starts (Pagefind and, for the API, its service), not this
script's own.  Also: the
bundle's pf_meta and its index chunks (the sizes a query fetches).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

import run  # noqa: E402 - the benchmark's measure of a process tree (PSS from /proc)

from broadsheet import search  # noqa: E402

PAGE = re.compile(r"^\d{4}/\d{2}/\d{2}/[^/]+/index\.html$")


def article_pages(site: Path) -> list[str]:
    """The article pages of the site, oldest first (their paths begin with the date)."""
    pages = [p.relative_to(site).as_posix() for p in site.glob("[0-9][0-9][0-9][0-9]/*/*/*/index.html")]
    return sorted(p for p in pages if PAGE.match(p))


def whole_months(pages: list[str], size: int) -> list[str]:
    """The oldest pages, whole months, at least `size` of them (all if fewer)."""
    chosen = pages[:size]
    if chosen and len(chosen) < len(pages):
        month = chosen[-1][:7]
        chosen += [p for p in pages[size:] if p[:7] == month]
    return chosen


def glob_of(pages: list[str]) -> str:
    """A Pagefind glob of exactly the months of `pages`, by year."""
    years: dict[str, list[str]] = {}
    for page in pages:
        months = years.setdefault(page[:4], [])
        if page[5:7] not in months:
            months.append(page[5:7])
    parts = [f"{year}/{{{','.join(months)}}}/**/*.html" if len(months) > 1 else f"{year}/{months[0]}/**/*.html"
             for year, months in years.items()]
    return "{" + ",".join(parts) + "}" if len(parts) > 1 else parts[0]


class Peak:
    """The peak memory of this process's descendants, sampled in a thread."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _sample() -> int:
        return sum(run.tree_memory(child) for child in run.children_of(os.getpid()))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(0.02)

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_cli(site: Path, pages: list[str], output: Path, language: str) -> int:
    """Runs Pagefind's command line; returns its own peak RSS, as the kernel counts it."""
    import pagefind_bin

    process = subprocess.Popen([str(pagefind_bin.get_executable()), "--site", str(site), "--glob", glob_of(pages),
                                "--output-path", str(output), "--force-language", language, "--keep-index-url",
                                "--silent"], stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, process.args)
    return usage.ru_maxrss * 1024  # kilobytes on Linux


TITLE = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
BODY = re.compile(r'<div class="article-body[^"]*"[^>]*>(.*?)</div>\s*(?:<footer|</article>|<aside|<section|<nav|<ul)', re.S)
SORT = re.compile(r'data-pagefind-sort="date:([^"]+)"')
TAGS = re.compile(r"<[^>]+>")


def record(site: Path, page: str) -> dict:
    """A custom record of the page: its title and text, its filters and its date."""
    text = (site / page).read_text(encoding="utf-8")
    title = html.unescape(TAGS.sub("", (TITLE.search(text) or re.search("()", text)).group(1))).strip()  # type: ignore[union-attr]
    body_match = BODY.search(text)
    body = html.unescape(TAGS.sub(" ", body_match.group(1) if body_match else "")).split()
    sort = html.unescape((SORT.search(text) or re.search("()", text)).group(1))  # type: ignore[union-attr]
    date = sort[:10]
    return {"url": "/" + page, "content": title + " " + " ".join(w for w in body if w != "¶"), "language": "en",
            "meta": {"title": title, "image": ""},
            "filters": {"year": [date[:4]], "month": [date[:7]], "date": [date], "date_text": [date]},
            "sort": {"date": sort}}


class _NoPollDelay:
    """asyncio, but for a sleep of no time: Pagefind's Python service (1.5) sleeps
    0.1 s before it reads each answer of its binary, which makes a custom record
    cost 0.1 s at least (500 took 51 s here) whatever the indexing costs."""

    def __getattr__(self, name: str) -> object:
        return getattr(asyncio, name)

    @staticmethod
    async def sleep(delay: float, result: object = None) -> object:
        return await asyncio.sleep(0, result)


def run_api(records: list[dict], output: Path, language: str, *, poll_delay: bool = False) -> int:
    """Indexes the records through the API; returns the memory of its processes
    once every record is in (for a run shorter than the sampling)."""
    import pagefind.service
    from pagefind.index import IndexConfig, PagefindIndex

    pagefind.service.asyncio = asyncio if poll_delay else _NoPollDelay()  # type: ignore[attr-defined,assignment]

    async def index() -> int:
        config = IndexConfig(output_path=str(output), force_language=language, keep_index_url=True)
        async with PagefindIndex(config=config) as pagefind:
            # In batches sent together: one at a time, the round trips take longer than the indexing.
            for start in range(0, len(records), 200):
                await asyncio.gather(*(pagefind.add_custom_record(**item) for item in records[start:start + 200]))
            return Peak()._sample()

    return asyncio.run(index())


def bundle_sizes(output: Path) -> dict:
    meta = sum(p.stat().st_size for p in output.glob("*.pf_meta"))
    chunks = sorted(p.stat().st_size for p in (output / "index").glob("*.pf_index"))
    return {"meta_bytes": meta, "index_chunks": len(chunks),
            "chunk_median_bytes": chunks[len(chunks) // 2] if chunks else 0, "index_bytes": sum(chunks)}


def measure(label: str, pages: int, work: Callable[[], object], output: Path) -> dict:
    started = time.perf_counter()
    with Peak() as peak:
        rss = work()
    seconds = time.perf_counter() - started
    memory, peak_bytes = "PSS", peak.peak
    if peak_bytes == 0 and isinstance(rss, int):
        # A run shorter than the sampling: what the run itself measured.
        memory, peak_bytes = ("RSS" if label == "cli" else memory), rss
    row = {"how": label, "pages": pages, "seconds": seconds, "ms_per_page": 1000 * seconds / pages,
           "peak_mb": peak_bytes / 2**20, "memory": memory, **bundle_sizes(output)}
    print(f"  {label:<4} {pages:>7,} pages  {seconds:7.1f} s  {row['ms_per_page']:6.2f} ms a page  "
          f"peak {row['peak_mb']:7.0f} MB ({row['memory']})  meta {row['meta_bytes'] / 1000:6.1f} KB  "
          f"{row['index_chunks']} index chunks, median {row['chunk_median_bytes'] / 1000:.1f} KB", flush=True)
    return row


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--site", type=Path, required=True, help="a site built with search")
    parser.add_argument("--sizes", default="5000,10000,20000", help="pages in the bundle, comma-separated")
    parser.add_argument("--ways", default="cli,api", help="cli, api or both (default)")
    parser.add_argument("--language", default="en")
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    args = parser.parse_args(argv)
    every = article_pages(args.site)
    if not every:
        sys.exit(f"no article pages in {args.site}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="pagefind-memory-") as scratch:
        for size in (int(s) for s in args.sizes.split(",")):
            pages = whole_months(every, size)
            print(f"{len(pages):,} pages (asked {size:,}), glob {glob_of(pages)}")
            ways = args.ways.split(",")
            if "cli" in ways:
                out = Path(scratch) / f"cli-{size}"
                rows.append(measure("cli", len(pages), functools.partial(run_cli, args.site, pages, out, args.language), out))
                shutil.rmtree(out)
            if "api" in ways:
                records = [record(args.site, page) for page in pages]
                out = Path(scratch) / f"api-{size}"
                rows.append(measure("api", len(pages), functools.partial(run_api, records, out, args.language), out))
                shutil.rmtree(out)
    print(f"(search.PAGE_BYTES, the build's estimate: {search.PAGE_BYTES / 2**10:.0f} KB a page, "
          f"{search.RUN_BYTES / 2**20:.0f} MB a run; machine: {os.cpu_count()} cores)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return rows


if __name__ == "__main__":
    main()
