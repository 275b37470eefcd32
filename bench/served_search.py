#!/usr/bin/env python3
"""Measure served search on the real search page: what a query fetches, by kind.

    python bench/served_search.py --corpus /work/corpus10k [--queries 10 | --query TEXT ...] [--order desc]
        [--work DIR] [--json FILE] [--served-search offline] [--more N]

Builds the corpus into a site with search (kept in --work for the next run;
--site names a site already built; --served-search offline builds one whose
search page asks the offline index instead of Pagefind), serves it on 127.0.0.1 and opens, in
headless Chromium, the search page with each query in its address
(search/?q=…), in a fresh browser context each time: nothing cached, as a
first visit.  The server counts every request and its bytes (the size of the
file sent), by kind:

  - page: the search page, its styles, scripts and icons;
  - pagefind.js: pagefind.js and pagefind-worker.js;
  - wasm: Pagefind's WebAssembly (wasm.*.pagefind), per bundle that fetches it;
  - entry/meta: pagefind-entry.json, pagefind.*.pf_meta and bundles.json;
  - index: the chunks of the index (index/*.pf_index);
  - filter: the chunks of the filters (filter/*.pf_filter);
  - fragment: the pages' data (fragment/*.pf_fragment), for results and checks;
  - offline.js: the offline engine (assets/offline-search.js) and its stemmer
    (assets/snowball/), on a site served by the offline index;
  - offline list: its list of shards and chunks (search/offline/index.js);
  - offline terms: its chunks of terms (search/offline/terms/, year/, recent/, newest/);
  - offline docs: its chunks of records (search/offline/SHARD/docs/);

and the time from the start of the navigation to the first results shown (the
status line filled).  With --more N, the button "More results" is then pressed
up to N times, and what each press fetches is measured apart.  Bytes are the
files' sizes; "gzip" is what a host that compresses text (HTML, scripts, styles,
JSON, SVG) would send instead: Pagefind's own files are compressed already.  Queries are one and two words of the corpus's vocabulary,
common and rare (bench/offline_search.py's sample).  Time figures depend on the
machine and what else runs on it; counts and bytes do not.

Needs Playwright for Python and Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import importlib.util
import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from broadsheet.build import build  # noqa: E402
from broadsheet.config import SERVED_SEARCH, Config, validate  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
TEXT = (".html", ".js", ".css", ".json", ".svg")
KINDS = ("page", "pagefind.js", "wasm", "entry/meta", "index", "filter", "fragment",
         "offline.js", "offline list", "offline terms", "offline docs")
OFFLINE = "/search/offline/"
# Set before the page's scripts run: the time the status line first says something.
FIRST_RESULTS = """(() => {
  const seen = () => {
    const status = document.querySelector(".search-status");
    if (status && status.textContent.trim() && window.__firstResults === undefined) {
      window.__firstResults = performance.now();
      window.__firstStatus = status.textContent;
    }
  };
  new MutationObserver(seen).observe(document, {subtree: true, childList: true, characterData: true});
})();"""
DONE = """() => window.__firstResults !== undefined
  && !document.getElementById("search").hasAttribute("aria-busy")"""


@functools.cache
def _offline_bench():
    spec = importlib.util.spec_from_file_location("bench_offline_search", PROJECT / "bench" / "offline_search.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def kind(path: str) -> str:
    """The kind of a fetched file, by its path on the site."""
    name = path.rsplit("/", 1)[-1]
    if path == "/assets/offline-search.js" or path.startswith("/assets/snowball/"):
        return "offline.js"
    if path.startswith(OFFLINE):
        rest = path.removeprefix(OFFLINE)
        return "offline list" if rest == "index.js" else "offline docs" if "/docs/" in rest else "offline terms"
    if not path.startswith("/pagefind/"):
        return "page"
    if name in ("pagefind.js", "pagefind-worker.js"):
        return "pagefind.js"
    if name.startswith("wasm."):
        return "wasm"
    if name.endswith(".pf_index"):
        return "index"
    if name.endswith(".pf_filter"):
        return "filter"
    if name.endswith(".pf_fragment"):
        return "fragment"
    return "entry/meta"


@contextmanager
def served(site: Path) -> Iterator[tuple[str, list[tuple[str, int, int]]]]:
    """The site over http on 127.0.0.1, and the list of (path, bytes, gzipped bytes) it sends."""
    sent: list[tuple[str, int, int]] = []
    lock = threading.Lock()
    compressed: dict[Path, int] = {}

    def gzipped(file: Path) -> int:
        if file not in compressed:
            data = file.read_bytes()
            compressed[file] = len(gzip.compress(data, 6, mtime=0)) if file.suffix in TEXT else len(data)
        return compressed[file]

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if str(code) != "200":
                return
            path = unquote(urlsplit(self.path).path)
            file = site / path.lstrip("/")
            if file.is_dir():
                file = file / "index.html"
            with lock:
                sent.append((path, file.stat().st_size, gzipped(file)) if file.is_file() else (path, 0, 0))

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", sent
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def measure(site: Path, queries: list[str], order: str = "", more: int = 0) -> list[dict]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as playwright, served(site) as (address, sent):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        for query in queries:
            context = browser.new_context()
            page = context.new_page()
            page.add_init_script(FIRST_RESULTS)
            del sent[:]
            url = address + "search/?q=" + quote(query) + (f"&order={order}" if order else "")
            page.goto(url)
            page.wait_for_function(DONE, timeout=120_000)
            page.wait_for_load_state("networkidle")
            found = page.evaluate("""() => ({ms: window.__firstResults, status: window.__firstStatus,
                shown: document.querySelectorAll(".search-results > li").length})""")
            first_page = len(sent)  # requests; those of More results are measured apart
            more_rows = []
            for _ in range(more):  # "More results", each time once the page is done
                before, shown = len(sent), page.locator(".search-results > li").count()
                if not page.locator(".search-more").is_visible():
                    break
                page.click(".search-more")
                page.wait_for_function(f"document.querySelectorAll('.search-results > li').length > {shown}"
                                       " && !document.getElementById('search').hasAttribute('aria-busy')",
                                       timeout=120_000)
                page.wait_for_load_state("networkidle")
                more_rows.append({"requests": len(sent) - before, "bytes": sum(size for _, size, _ in sent[before:]),
                                  "shown": page.locator(".search-results > li").count()})
            del sent[first_page:]
            context.close()
            row: dict = {"query": query, "ms": found["ms"], "status": found["status"], "shown": found["shown"],
                         "requests": len(sent), "bytes": sum(size for _, size, _ in sent),
                         "gzipBytes": sum(size for _, _, size in sent),
                         "kinds": {k: {"requests": 0, "bytes": 0} for k in KINDS}, "more": more_rows}
            for path, size, _ in sent:
                row["kinds"][kind(path)]["requests"] += 1
                row["kinds"][kind(path)]["bytes"] += size
            rows.append(row)
        browser.close()
    return rows


def summary(values: list[float]) -> str:
    return _offline_bench().summary(values, width=8)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="the corpus to build (a folder of articles)")
    parser.add_argument("--site", type=Path, help="a site already built with search, instead of building --corpus")
    parser.add_argument("--queries", type=int, default=10, help="queries (default 10)")
    parser.add_argument("--query", action="append", default=[],
                        help="a query of your own, measured instead of the sample (may be given again)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--order", choices=("", "desc", "asc"), default="", help="the order asked for (default: best match)")
    parser.add_argument("--work", type=Path, default=Path("served-bench"),
                        help="folder for the site built, kept for the next run (default ./served-bench)")
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    parser.add_argument("--more", type=int, default=0,
                        help="then press More results this many times, each measured apart (default 0)")
    parser.add_argument("--served-search", choices=SERVED_SEARCH, default="pagefind",
                        help="what the search page asks, for a site built here (default pagefind)")
    args = parser.parse_args(argv)
    if args.site is None and args.corpus is None:
        parser.error("give --corpus or --site")

    site = args.site or args.work / f"site-{args.corpus.name}-{args.served_search}"
    if args.site is None and not (site / "articles.json").is_file():
        args.work.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        result = build(validate(Config(source=args.corpus, out=site, record=args.work / f"{args.corpus.name}.json",
                                       quiet=True, served_search=args.served_search)))
        print(f"built {result.articles} articles in {time.perf_counter() - started:.1f}s")
    articles = len(json.loads((site / "articles.json").read_text(encoding="utf-8"))["articles"])
    listed = site / "pagefind/bundles.json"
    bundles = json.loads(listed.read_text(encoding="utf-8"))["bundles"] if listed.is_file() else []
    if not bundles and not (site / "search/offline/index.js").is_file():
        sys.exit(f"{site} has no search index: build it with search")
    engine = "pagefind" if bundles else "offline"
    searched_by = f"{len(bundles)} Pagefind bundles" if bundles else "the offline index"
    offline = _offline_bench()
    corpus = args.corpus
    if corpus is None:
        sys.exit("--corpus is needed for the vocabulary of the queries")
    queries = args.query or offline.sample_queries(offline.vocabulary(corpus), args.queries, args.seed)
    rows = measure(site, queries, args.order, args.more)

    print(f"{articles} articles, searched by {searched_by}; {len(rows)} queries, order {args.order or 'best match'}, "
          "fresh context each (nothing cached)")
    print(f"  {'kind':<13} {'requests':>45} | {'KB':>45}")
    for k in KINDS:
        print(f"  {k:<13} {summary([r['kinds'][k]['requests'] for r in rows])} | "
              f"{summary([r['kinds'][k]['bytes'] / 1000 for r in rows])}")
    print(f"  {'all':<13} {summary([r['requests'] for r in rows])} | {summary([r['bytes'] / 1000 for r in rows])}")
    print(f"  {'all, gzip':<13} {'':>45} | {summary([r['gzipBytes'] / 1000 for r in rows])}")
    print(f"  ms to first results  {summary([r['ms'] for r in rows])}")
    for r in rows:
        print(f"    {r['query']!r:<28} {r['requests']:>4} requests {r['bytes'] / 1000:>8.1f} KB {r['ms']:>7.0f} ms  "
              f"{r['status']}")
        for m in r["more"]:
            print(f"      more results, {m['shown']} shown: {m['requests']:>4} requests {m['bytes'] / 1000:>8.1f} KB")
    report = {"articles": articles, "bundles": len(bundles), "engine": engine,
              "order": args.order, "queries": rows}
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
