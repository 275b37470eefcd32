#!/usr/bin/env python3
"""Measure the offline search index on the benchmark corpus.

    python bench/offline_search.py [--count 10000] [--queries 40] [--work DIR]

Builds a synthetic corpus (shared/bench/make_corpus.py) into a site with search,
then reports:
  - the size on disk of search/offline/ against pagefind/;
  - for a sample of two-word queries, the bytes of index scripts a query loads
    (manifest, term chunks, document chunks of the first 10 results), run in
    Chromium over file:// with a fresh page for each query;
  - the time to rank and gather the results once the chunks are loaded (the same
    query run a second time in the page), and the first run's time from disk.
Needs Playwright for Python and Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from broadsheet import load, offline_index  # noqa: E402
from broadsheet.build import build  # noqa: E402
from broadsheet.config import Config, validate  # noqa: E402
from broadsheet.site import build_site  # noqa: E402

MAKE_CORPUS = [PROJECT.parent / "shared/bench/make_corpus.py", Path("/work/shared/bench/make_corpus.py")]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
RESULTS_SHOWN = 10

MEASURE = """async (query) => {
  const api = window.__offlineSearch;
  const start = performance.now();
  const first = await api.search(query, COUNT);
  const loadedAt = performance.now();
  const again = await api.search(query, COUNT);
  const end = performance.now();
  return {loaded: api.loaded.slice(), total: first.ranked.hits.length,
          top: again.records.length ? again.records[0][2] : null,
          firstMs: loadedAt - start, cachedMs: end - loadedAt};
}""".replace("COUNT", str(RESULTS_SHOWN))


def folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def make_corpus(folder: Path, count: int) -> None:
    script = next((p for p in MAKE_CORPUS if p.is_file()), None)
    if script is None:
        sys.exit("make_corpus.py not found in shared/bench/")
    subprocess.run([sys.executable, str(script), str(folder), "--count", str(count)], check=True)


def corpus_documents(corpus: Path, language: str = "en") -> list[offline_index.SearchDocument]:
    """The search documents of the corpus's articles, read with the loader's
    public functions (not the build's own pipeline, which may change shape)."""
    rels, _ = load.discover(corpus)
    today = datetime.date.today()
    loaded = (load.dated(load.parse_source(load.read_relative(str(corpus), rel), language=language), today).article
              for rel in rels)
    site, _ = build_site([article for article in loaded if article is not None], per_page=50, site_title="")
    return offline_index.documents(site.entries)


def sample_queries(site_docs: list[offline_index.SearchDocument], count: int, seed: int) -> list[str]:
    """Two different words each, drawn from the corpus's words of 3 letters or more:
    half uniformly from the vocabulary, half as often as they occur."""
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    for doc in rng.sample(site_docs, min(500, len(site_docs))):
        counts.update(w for w in offline_index.words(doc.title + " " + doc.body) if len(w) >= 3 and w.isalpha())
    vocabulary = sorted(counts)
    queries = []
    for i in range(count):
        if i % 2 == 0:
            first, second = rng.sample(vocabulary, 2)
        else:
            first, second = rng.choices(vocabulary, weights=[counts[w] for w in vocabulary], k=2)
            while second == first:
                second = rng.choice(vocabulary)
        queries.append(f"{first} {second}")
    return queries


def measure(site: Path, queries: list[str]) -> list[dict]:
    from playwright.sync_api import sync_playwright

    offline = site / offline_index.FOLDER
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        for query in queries:
            for typed in (query, query + " "):  # the last word as a prefix, then as a whole word
                page.goto((site / "search/index.html").as_uri())
                page.wait_for_function("typeof window.__offlineSearch?.search === 'function'")
                row = page.evaluate(MEASURE, typed)
                row["query"] = typed
                row["bytes"] = sum((offline / path).stat().st_size for path in row["loaded"])
                rows.append(row)
        browser.close()
    return rows


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"median {statistics.median(ordered):,.1f}  p90 {p90:,.1f}  max {ordered[-1]:,.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="articles in the corpus")
    parser.add_argument("--queries", type=int, default=40, help="two-word queries to sample")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, help="folder for the corpus and site (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="offline-bench-") as scratch:
        work = args.work or Path(scratch)
        corpus, site = work / f"corpus-{args.count}", work / f"site-{args.count}"
        if not corpus.is_dir():
            make_corpus(corpus, args.count)
        started = time.perf_counter()
        result = build(validate(Config(source=corpus, out=site, quiet=True)))
        print(f"built {result.articles} articles in {time.perf_counter() - started:.1f}s; "
              f"pagefind {result.timings['search']:.1f}s, offline index {result.timings['offline search']:.1f}s")

        offline_bytes, offline_files = folder_size(site / offline_index.FOLDER)
        pagefind_bytes, pagefind_files = folder_size(site / "pagefind")
        print(f"index size: offline {offline_bytes / 1e6:.2f} MB in {offline_files} files, "
              f"pagefind {pagefind_bytes / 1e6:.2f} MB in {pagefind_files} files "
              f"(offline = {offline_bytes / pagefind_bytes:.0%} of pagefind)")

        queries = sample_queries(corpus_documents(corpus), args.queries, args.seed)
        rows = measure(site, queries)

    for label, typed in (("last word a prefix", False), ("whole words", True)):
        chosen = [r for r in rows if r["query"].endswith(" ") == typed]
        worst = max(chosen, key=lambda r: r["bytes"])
        print(f"{len(chosen)} two-word queries, {label}:")
        print(f"  KB loaded      {summary([r['bytes'] / 1000 for r in chosen])}  (worst: {worst['query'].strip()!r})")
        print(f"  ms from disk   {summary([r['firstMs'] for r in chosen])}")
        print(f"  ms, loaded     {summary([r['cachedMs'] for r in chosen])}")
        print(f"  results        {summary([r['total'] for r in chosen])}")
    if args.json:
        args.json.write_text(json.dumps({"offline_bytes": offline_bytes, "pagefind_bytes": pagefind_bytes,
                                         "queries": rows}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
