"""The benchmark script's guard: one run at a time in a work folder."""

import importlib.util
import os
import subprocess
import sys

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


def test_the_offline_search_benchmark_samples_two_word_queries_from_the_corpus(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_offline_search", PROJECT / "bench" / "offline_search.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    corpus = write_corpus(tmp_path / "corpus", {
        f"{i:02d}.txt": txt(f"2020-01-{1 + i:02d}", f"Harbour council story {i} about budgets and ferries.")
        for i in range(6)
    })
    documents = module.corpus_documents(corpus)
    assert len(documents) == 6
    queries = module.sample_queries(documents, 4, seed=1)
    assert len(queries) == 4
    assert all(len(q.split()) == 2 and q.split()[0] != q.split()[1] for q in queries)
    assert module.sample_queries(documents, 4, seed=1) == queries
