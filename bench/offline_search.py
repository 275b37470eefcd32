#!/usr/bin/env python3
"""Measure the offline search index, and Pagefind beside it, on a corpus.

    python bench/offline_search.py --count 10000 [--queries 40] [--work DIR] [--json FILE]

Makes a synthetic corpus (shared/bench/make_corpus.py) unless --corpus names
one, builds it into a site with search (kept in --work for the next run), then
runs the same queries, one and two words drawn from the corpus's vocabulary
(half as often as the words occur, half uniformly: common and rare words), in
headless Chromium:

  - offline: the search page opened from disk, a fresh page for each query;
    the bytes of the index's scripts the query loads for its first 10 results
    (the list of shards, manifests, chunks of terms, records), the time of the
    first search (reading from disk) and of the same search again (everything
    read: the time to rank and cut passages);
  - Pagefind: the site served over http on 127.0.0.1, its JS API (pagefind.js)
    with every bundle merged, as the search page merges them; the bytes of the
    files it fetches for the query and its first 10 results' data, with and
    without its fixed costs (pagefind.js, the WebAssembly, the entry files);
  - the overlap of the two engines' top 10: the share of Pagefind's first
    results that the offline index also gives in its first 10.

Needs Playwright for Python and Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from broadsheet import offline_index  # noqa: E402
from broadsheet.build import build  # noqa: E402
from broadsheet.config import Config, validate  # noqa: E402

MAKE_CORPUS = [PROJECT.parent / "shared/bench/make_corpus.py", Path("/work/shared/bench/make_corpus.py")]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOWN = 10
# Pagefind's files that any search fetches, whatever the query.
PAGEFIND_FIXED = ("pagefind.js", "pagefind-worker.js", ".pagefind", "pagefind-entry.json", "wasm.")

OFFLINE = """async (query) => {
  const api = window.__offlineSearch;
  const start = performance.now();
  const first = await api.search(query, {count: COUNT});
  const read = performance.now();
  const again = await api.search(query, {count: COUNT});
  const end = performance.now();
  return {loaded: api.loaded.slice(), total: first.total, top: again.results.map((r) => r.url),
          firstMs: read - start, againMs: end - read};
}""".replace("COUNT", str(SHOWN))

PAGEFIND = """async ([query, others]) => {
  const pagefind = await import("/pagefind/pagefind.js");
  await pagefind.options({baseUrl: "/"});
  for (const other of others) await pagefind.mergeIndex(other);
  const start = performance.now();
  const found = await pagefind.search(query);
  const data = await Promise.all(found.results.slice(0, COUNT).map((r) => r.data()));
  return {total: found.results.length, top: data.map((d) => d.url), ms: performance.now() - start};
}""".replace("COUNT", str(SHOWN))


def make_corpus(folder: Path, count: int) -> None:
    script = next((p for p in MAKE_CORPUS if p.is_file()), None)
    if script is None:
        sys.exit("make_corpus.py not found in shared/bench/; give --corpus")
    subprocess.run([sys.executable, str(script), str(folder), "--count", str(count)], check=True)


def vocabulary(corpus: Path, sample: int = 500, seed: int = 7) -> Counter[str]:
    """How often each word of three letters or more occurs in a sample of the
    corpus's files (their whole text: the words a reader would look for)."""
    files = sorted(p for p in corpus.rglob("*") if p.suffix in (".txt", ".md"))
    counts: Counter[str] = Counter()
    for path in random.Random(seed).sample(files, min(sample, len(files))):
        counts.update(w for w in offline_index.words(path.read_text(encoding="utf-8"))
                      if len(w) >= 3 and w.isalpha() and w != "date")
    return counts


def sample_queries(counts: Counter[str], count: int, seed: int) -> list[str]:
    """One word, then two, in turn; each word common (drawn as often as it
    occurs) or rare (drawn uniformly from the vocabulary: most words are rare)."""
    rng = random.Random(seed)
    words = sorted(counts)
    weights = [counts[w] for w in words]
    queries: list[str] = []
    while len(queries) < count:
        i = len(queries)
        size = 1 + i % 2
        common = (i // 2) % 2 == 0
        chosen = rng.choices(words, weights=weights, k=size) if common else rng.sample(words, size)
        query = " ".join(chosen)
        if len(set(chosen)) == size and query not in queries:
            queries.append(query)
    return queries


@contextmanager
def served(site: Path) -> Iterator[str]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def measure(site: Path, queries: list[str]) -> list[dict]:
    from playwright.sync_api import sync_playwright

    offline = site / offline_index.FOLDER
    bundles = json.loads((site / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
    others = [f"/pagefind/{b['path']}" for b in bundles[1:]]
    rows = []
    with sync_playwright() as playwright, served(site) as address:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        for query in queries:
            typed = query + " "  # whole words: the query as submitted
            page = browser.new_page()
            page.goto((site / "search/index.html").as_uri())
            page.wait_for_function("typeof window.__offlineSearch?.search === 'function'")
            row = page.evaluate(OFFLINE, typed)
            page.close()
            row["query"] = query
            row["bytes"] = sum((offline / path).stat().st_size for path in row["loaded"])

            page = browser.new_page()
            fetched: list[str] = []
            page.on("requestfinished", lambda request, fetched=fetched: fetched.append(unquote(urlsplit(request.url).path)))
            page.goto(address + "404.html")
            found = page.evaluate(PAGEFIND, [query, others])
            page.close()
            paths = [p for p in fetched if p.startswith("/pagefind/")]
            sizes = {p: (site / p.lstrip("/")).stat().st_size for p in set(paths) if (site / p.lstrip("/")).is_file()}
            row["pagefind"] = {
                "total": found["total"], "ms": found["ms"],
                "top": [urlsplit(url).path.lstrip("/").removesuffix("index.html") for url in found["top"]],
                "bytes": sum(sizes.values()),
                "indexBytes": sum(size for p, size in sizes.items() if not any(f in p for f in PAGEFIND_FIXED)),
            }
            expected = row["pagefind"]["top"]
            row["overlap"] = len(set(expected) & set(row["top"])) / len(expected) if expected else None
            rows.append(row)
        browser.close()
    return rows


def summary(values: list[float], width: int = 0) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"median {statistics.median(ordered):>{width},.1f}  p90 {p90:>{width},.1f}  max {ordered[-1]:>{width},.1f}"


def folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="articles in the corpus made (default 10,000)")
    parser.add_argument("--corpus", type=Path, help="a corpus to use instead of making one")
    parser.add_argument("--queries", type=int, default=40, help="queries (default 40)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=Path("offline-bench"),
                        help="folder for the corpus and the site, kept for the next run (default ./offline-bench)")
    parser.add_argument("--rebuild", action="store_true", help="build the site again even if it is there")
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    args = parser.parse_args(argv)

    corpus = args.corpus or args.work / f"corpus-{args.count}"
    site = args.work / f"site-{corpus.name}"
    args.work.mkdir(parents=True, exist_ok=True)
    if not corpus.is_dir():
        make_corpus(corpus, args.count)
    if args.rebuild or not (site / offline_index.FOLDER / "index.js").is_file():
        started = time.perf_counter()
        result = build(validate(Config(source=corpus, out=site, quiet=True, served_search="pagefind")))  # set against Pagefind's
        print(f"built {result.articles} articles in {time.perf_counter() - started:.1f}s")
    bundles = json.loads((site / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
    documents = sum(bundle["pages"] for bundle in bundles)
    offline_bytes, offline_files = folder_size(site / offline_index.FOLDER)
    pagefind_bytes, pagefind_files = folder_size(site / "pagefind")
    print(f"{documents} articles in {len(bundles)} shards")
    print(f"offline index: {offline_files} files ({offline_files / max(1, documents):.3f} a article), "
          f"{offline_bytes / 1e6:.2f} MB; pagefind: {pagefind_files} files, {pagefind_bytes / 1e6:.2f} MB")

    queries = sample_queries(vocabulary(corpus), args.queries, args.seed)
    rows = measure(site, queries)
    worst = max(rows, key=lambda r: r["bytes"])
    overlaps = [r["overlap"] for r in rows if r["overlap"] is not None]
    print(f"{len(rows)} queries ({sum(1 for q in queries if ' ' not in q)} of one word), first {SHOWN} results:")
    print(f"  offline KB read        {summary([r['bytes'] / 1000 for r in rows])}  (worst: {worst['query']!r})")
    print(f"  offline files read     {summary([len(r['loaded']) for r in rows])}")
    print(f"  offline ms from disk   {summary([r['firstMs'] for r in rows])}")
    print(f"  offline ms, all read   {summary([r['againMs'] for r in rows])}")
    print(f"  pagefind KB fetched    {summary([r['pagefind']['bytes'] / 1000 for r in rows])}")
    print(f"  pagefind KB, index     {summary([r['pagefind']['indexBytes'] / 1000 for r in rows])}  "
          "(without pagefind.js, WebAssembly, entry files)")
    print(f"  pagefind ms            {summary([r['pagefind']['ms'] for r in rows])}")
    print(f"  results offline        {summary([r['total'] for r in rows])}")
    print(f"  results pagefind       {summary([r['pagefind']['total'] for r in rows])}")
    mean = statistics.mean(overlaps) if overlaps else 0.0
    print(f"  top-{SHOWN} overlap        mean {mean:.0%} over {len(overlaps)} queries that Pagefind answers")
    report = {"articles": documents, "offline_files": offline_files, "offline_bytes": offline_bytes,
              "pagefind_files": pagefind_files, "pagefind_bytes": pagefind_bytes, "overlap": mean, "queries": rows}
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
