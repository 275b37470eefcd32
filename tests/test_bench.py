"""The benchmark script's guard: one run at a time in a work folder."""

import importlib.util
import json
import os
import random
import re
import subprocess
import sys

import pytest

from .conftest import PROJECT, txt, write_corpus

BENCH = PROJECT / "bench" / "run.py"


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_run", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_work_folder_is_locked_by_one_run_at_a_time(tmp_path):
    bench = _bench_module()
    first = bench._lock(tmp_path)
    assert first is not None
    try:
        assert bench._lock(tmp_path) is None
    finally:
        os.close(first)
    again = bench._lock(tmp_path)
    assert again is not None
    os.close(again)


def test_a_second_run_on_the_same_folder_is_refused_before_it_touches_anything(tmp_path):
    bench = _bench_module()
    held = bench._lock(tmp_path)
    (tmp_path / "trash").mkdir()
    (tmp_path / "trash" / "left").write_text("of the other run", encoding="utf-8")
    try:
        done = subprocess.run([sys.executable, str(BENCH), "--work", str(tmp_path), "--sizes", "10"],
                              capture_output=True, text=True, timeout=60)
    finally:
        os.close(held)
    assert done.returncode == 1
    assert "another run of the benchmark is using" in done.stderr
    assert (tmp_path / "trash" / "left").is_file()


def _offline_bench():
    spec = importlib.util.spec_from_file_location("bench_offline_search", PROJECT / "bench" / "offline_search.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _news(count: int) -> dict[str, str]:
    """Articles of common words and rare made-up ones, over three years."""
    rng = random.Random(3)
    common = "harbour council budget strike vote hospital ferry storm election court river school".split()
    rare = ["".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3)) for _ in range(300)]
    return {
        f"{i:03d}.txt": txt(
            f"{2021 + i % 3}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            " ".join(rng.choice(common) for _ in range(5)).capitalize(),
            " ".join(rng.choice(common if rng.random() < 0.7 else rare) for _ in range(120)) + ".",
        )
        for i in range(count)
    }


def _markdown(text: str) -> str:
    """The article of a txt file as Markdown with front matter, as Hugo reads it."""
    date, body = text[6:16], text[17:]
    return f'---\ntitle: "{body.split(".")[0]}"\ndate: {date}\n---\n\n{body}'


def test_the_offline_search_benchmark_samples_common_and_rare_words_of_one_and_two(tmp_path):
    module = _offline_bench()
    corpus = write_corpus(tmp_path / "corpus", _news(40))
    counts = module.vocabulary(corpus)
    queries = module.sample_queries(counts, 12, seed=1)
    assert len(queries) == len(set(queries)) == 12
    assert [len(q.split()) for q in queries] == [1, 2] * 6
    assert module.sample_queries(counts, 12, seed=1) == queries
    words = [w for q in queries for w in q.split()]
    assert any(counts[w] > 50 for w in words) and any(counts[w] < 10 for w in words)


@pytest.mark.slow
@pytest.mark.browser
def test_the_offline_search_benchmark_runs_on_a_small_corpus(tmp_path):
    pytest.importorskip("playwright")
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("Chromium not found at /usr/bin/chromium")
    corpus = write_corpus(tmp_path / "corpus", _news(200))
    # In a process of its own, as it is run: Playwright's sync API refuses to
    # start inside a process whose browser tests already drive one.
    done = subprocess.run(
        [sys.executable, str(PROJECT / "bench" / "offline_search.py"), "--corpus", str(corpus),
         "--work", str(tmp_path / "work"), "--queries", "6", "--json", str(tmp_path / "report.json")],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["articles"] == 200 and report["offline_files"] > 0 and report["pagefind_files"] > 0
    rows = report["queries"]
    assert len(rows) == 6 and all(row["bytes"] > 0 and row["pagefind"]["bytes"] > 0 for row in rows)
    assert 0 < report["overlap"] <= 1  # the two engines find some of the same articles
    assert "top-10 overlap" in done.stdout


def test_the_benchmark_runs_at_its_smallest_size_and_reports_every_row(tmp_path):
    # The benchmark itself, on a corpus small enough for every run of the tests:
    # a change that breaks it shows here, not on the day it is next run by hand.
    news = _news(60)
    write_corpus(tmp_path / "corpus-60-txt", news)
    write_corpus(tmp_path / "corpus-60-md", {name.replace(".txt", ".md"): _markdown(text) for name, text in news.items()})
    done = subprocess.run([sys.executable, str(BENCH), "--work", str(tmp_path), "--sizes", "60", "--repeat", "1",
                           "--zim"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))["rows"]
    assert {row["what"] for row in rows} >= {
        "full build", "full build --no-search", "full build --served-search offline", "Pagefind alone, one run",
        "rebuild, one changed", "rebuild, one added --no-search", "rebuild, fifty added", "rebuild, one added on a new day",
        "rebuild, one added on a new day --served-search offline", "full build --no-search --zim",
        "Hugo, minimal site"}
    assert all(row["seconds"] > 0 and row["peak_mb"] > 0 for row in rows)
    zim = next(row for row in rows if row["what"] == "full build --no-search --zim")
    assert zim["stages"]["zim"] > 0 and zim["index_mb"] > 0  # the ZIM file's size
    assert "full build ÷ Pagefind alone" in done.stdout and "KB an article" in done.stdout
    assert "the ZIM stage ÷ Pagefind alone" in done.stdout
    assert "served by the offline index" in done.stdout
    assert re.search(r"full build --no-search ÷ Hugo = \d", done.stdout)
    assert re.search(r", Hugo \d+\.\d+\.\d+", done.stdout)  # its version, read from the program itself


def test_the_memory_benchmark_reports_the_growth_per_article(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_memory", PROJECT / "bench" / "memory.py")
    assert spec is not None and spec.loader is not None
    for size in (40, 80):
        write_corpus(tmp_path / f"corpus-{size}-txt", _news(size))
    done = subprocess.run([sys.executable, spec.origin, "--work", str(tmp_path), "--sizes", "40,80"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| 40 |" in done.stdout and "| 80 |" in done.stdout
    assert "growth 40 → 80:" in done.stdout


@pytest.mark.parametrize("kind", ["search bundles", "offline search"])
def test_the_resume_benchmark_kills_a_build_and_times_the_next(tmp_path, kind):
    corpus = write_corpus(tmp_path / "corpus", _news(60))
    settings = tmp_path / "settings.toml"
    settings.write_text("search-shard-pages = 10\n", encoding="utf-8")  # units enough to be killed among them
    done = subprocess.run([sys.executable, str(PROJECT / "bench" / "resume.py"), "--corpus", str(corpus), "--at", "1",
                           "--kind", kind, "--work", str(tmp_path / "work"), "--config", str(settings)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    row = next(line for line in done.stdout.splitlines() if line.startswith("| 1 |")).split("|")
    assert float(row[3]) > 0 and float(row[4]) > 0  # the build killed, and the one that took it up
    said = next(line for line in done.stdout.splitlines() if line.startswith("note: taken up from the build"))
    assert f"{kind} " in said  # the kind it was killed at is among what was taken up
    assert "\nbuilt 60 articles (" in done.stdout  # with the time of each of its stages
    assert [p.name for p in (tmp_path / "work").iterdir()] == []  # every site removed


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("engine", ["pagefind", "offline"])
def test_the_served_search_benchmark_counts_what_each_query_fetches_by_kind(tmp_path, engine):
    pytest.importorskip("playwright")
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("Chromium not found at /usr/bin/chromium")
    corpus = write_corpus(tmp_path / "corpus", _news(120))
    # In a process of its own, as it is run (see the offline benchmark's test).
    done = subprocess.run(
        [sys.executable, str(PROJECT / "bench" / "served_search.py"), "--corpus", str(corpus),
         "--work", str(tmp_path / "work"), "--queries", "4", "--json", str(tmp_path / "report.json"),
         "--served-search", engine],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["articles"] == 120 and len(report["queries"]) == 4 and report["engine"] == engine
    for row in report["queries"]:
        kinds = row["kinds"]
        assert sum(k["requests"] for k in kinds.values()) == row["requests"]
        assert sum(k["bytes"] for k in kinds.values()) == row["bytes"] > row["gzipBytes"] > 0
        assert kinds["page"]["requests"] >= 3
        pagefind = kinds["pagefind.js"]["requests"], kinds["wasm"]["requests"], kinds["entry/meta"]["requests"]
        offline = (kinds["offline.js"]["requests"], kinds["offline list"]["requests"], kinds["offline terms"]["requests"])
        if engine == "pagefind":
            assert pagefind[0] >= 1 and pagefind[1] == 1 and pagefind[2] >= 3  # bundles.json, entry, meta
            assert offline == (0, 0, 0)
        else:
            assert pagefind == (0, 0, 0)
            assert offline[0] >= 2 and offline[1] == 1 and offline[2] >= 1  # engine and stemmer; list; terms
        assert row["ms"] > 0 and row["status"]
    assert "ms to first results" in done.stdout


def test_the_pagefind_memory_benchmark_measures_both_ways_at_each_size(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", _news(60))
    assert subprocess.run([sys.executable, "-m", "broadsheet", "build", "--source", str(corpus), "--out",
                           str(tmp_path / "site"), "--record", str(tmp_path / "record.json"), "--quiet"],
                          capture_output=True, text=True, timeout=600).returncode == 0
    done = subprocess.run([sys.executable, str(PROJECT / "bench" / "pagefind_memory.py"), "--site", str(tmp_path / "site"),
                           "--sizes", "10,30", "--json", str(tmp_path / "rows.json")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = json.loads((tmp_path / "rows.json").read_text(encoding="utf-8"))
    assert {row["how"] for row in rows} == {"cli", "api"} and len(rows) == 4
    assert all(row["peak_mb"] > 0 and row["seconds"] > 0 and row["meta_bytes"] > 0 and row["index_chunks"] > 0
               for row in rows)
    # Both ways index the same pages.
    assert rows[0]["pages"] == rows[1]["pages"] < rows[2]["pages"] == rows[3]["pages"]
