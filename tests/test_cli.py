"""The command line: exit codes, one-line warnings and errors, settings."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from broadsheet.cli import main

from .conftest import PROJECT, txt, write_corpus


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(PROJECT / "build.py"), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_build_with_warnings_exits_zero_and_names_each_file(tmp_path):
    source = write_corpus(tmp_path / "src", {
        "good.txt": txt("2023-01-01", "A good story."),
        "nodate.txt": "No header here.",
        "baddate.txt": "date 2023-02-30 Body.",
    })
    done = run("--source", str(source), "--out", str(tmp_path / "out"), "--no-search")
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: baddate.txt: invalid date '2023-02-30' (expected YYYY-MM-DD, or YYYY-MM-DDTHH:MM with an offset such as +02:00); skipped",
        "warning: nodate.txt: no 'date YYYY-MM-DD' header; skipped",
    ]
    summary = done.stderr.splitlines()[-1]
    assert summary.startswith("built 1 article") and "2 warnings" in summary and "render" in summary
    assert "Traceback" not in done.stderr


def test_strict_fails_on_a_warning_and_writes_nothing(tmp_path):
    source = write_corpus(tmp_path / "src", {"good.txt": txt("2023-01-01", "A."), "bad.txt": "nothing"})
    done = run("--source", str(source), "--out", str(tmp_path / "out"), "--no-search", "--strict")
    assert done.returncode != 0
    assert done.stderr.splitlines()[-1] == "error: 1 warning(s) with --strict; the site was not written"
    assert not (tmp_path / "out").exists()


def test_fatal_problems_give_one_line_and_no_traceback(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        (["--source", str(tmp_path / "missing")], "does not exist"),
        (["--source", str(empty)], "no articles found"),
        (["--source", str(PROJECT / "seeds"), "--out", str(PROJECT / "seeds")], "is the source folder"),
        (["--base-url", "example.org"], "must be absolute"),
    ]
    for args, message in cases:
        done = run(*args, "--out", str(tmp_path / "o"), "--no-search") if "--out" not in args else run(*args)
        assert done.returncode == 1, args
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], done.stderr


def test_config_file_is_read_and_options_win(tmp_path, capsys):
    source = write_corpus(tmp_path / "src", {"a.txt": txt("2023-01-01", "A story.")})
    (tmp_path / "broadsheet.toml").write_text(
        'source = "src"\nout = "site"\nsite-title = "From File"\nsearch = false\n', encoding="utf-8"
    )
    code = main(["--config", str(tmp_path / "broadsheet.toml"), "--site-title", "From Flag", "--quiet"])
    assert code == 0
    assert capsys.readouterr().err == ""
    html = (tmp_path / "site/index.html").read_text(encoding="utf-8")
    assert "From Flag" in html and "From File" not in html
    assert json.loads((tmp_path / "site/articles.json").read_text())["articles"][0]["source"] == "a.txt"
    assert source.is_dir()


def test_bad_config_file_is_one_line(tmp_path, capsys):
    (tmp_path / "c.toml").write_text('colour = "red"\n', encoding="utf-8")
    assert main(["--config", str(tmp_path / "c.toml")]) == 1
    assert capsys.readouterr().err.strip() == f"error: config file {tmp_path / 'c.toml'}: unknown setting 'colour'"


def test_default_command_builds_seeds_into_dist(tmp_path):
    # A copy of the project layout, so that the real dist/ is left alone.
    (tmp_path / "seeds").mkdir()
    for f in (PROJECT / "seeds").iterdir():
        (tmp_path / "seeds" / f.name).write_bytes(f.read_bytes())
    done = subprocess.run(
        [sys.executable, str(PROJECT / "build.py")], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "dist/2023/11/11/18c9c60748474e6b/index.html").is_file()
    assert (tmp_path / "dist/pagefind/pagefind-entry.json").is_file()


def test_build_py_run_without_the_libraries_says_how_to_set_up_in_one_line(tmp_path):
    # As a Python without Babel runs it: the import of the library fails, named, with no trace.
    script = ("import runpy, sys; sys.modules['babel'] = None; sys.argv = ['build.py']; "
              f"runpy.run_path({str(PROJECT / 'build.py')!r}, run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "'babel' is not installed" in done.stderr and ".venv/bin/pip install -e ." in done.stderr
    assert not (tmp_path / "dist").exists()


def test_serve_builds_then_serves_on_loopback(tmp_path):
    import re
    import urllib.request

    source = write_corpus(tmp_path / "src", {"a.txt": txt("2023-01-01", "A served story.")})
    process = subprocess.Popen(
        [sys.executable, str(PROJECT / "build.py"), "serve", "--port", "0", "--no-search",
         "--source", str(source), "--out", str(tmp_path / "out")],
        stderr=subprocess.PIPE, text=True,
    )
    try:
        for line in process.stderr:
            match = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
            if match:
                break
        else:
            raise AssertionError("serve printed no address")
        with urllib.request.urlopen(match.group(1) + "2023/01/01/a/index.html", timeout=10) as response:
            assert response.status == 200
            assert "A served story" in response.read().decode("utf-8")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_package_runs_as_a_program_and_says_all_before_it_ends(tmp_path):
    source = write_corpus(tmp_path / "src", {"good.txt": txt("2023-01-01", "A good story.")})
    # Output to a file, buffered: what is not flushed at the end is lost.
    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    with open(tmp_path / "said.txt", "w", encoding="utf-8") as said:
        done = subprocess.run(
            [sys.executable, "-c", "import sys; sys.argv[0] = 'broadsheet'; print('before', end=''); "
             "sys.stderr = sys.stdout; import runpy; runpy.run_module('broadsheet', run_name='__main__')",
             "--source", str(source), "--out", str(tmp_path / "out"), "--no-search"],
            cwd=tmp_path, stdout=said, stderr=subprocess.STDOUT, timeout=120, env=buffered,
        )
    text = (tmp_path / "said.txt").read_text(encoding="utf-8")
    assert done.returncode == 0, text
    assert text.startswith("before") and text.rstrip().splitlines()[-1].startswith("built 1 article")
    bad = run("--source", str(tmp_path / "missing"), "--out", str(tmp_path / "out2"))
    assert bad.returncode == 1 and bad.stderr.startswith("error:")


def test_the_program_ends_as_programs_do_under_a_profiler(monkeypatch):
    # Else cProfile or coverage would lose what they found: they write it on the way out.
    from broadsheet import cli

    called = []
    monkeypatch.setattr(cli, "main", lambda prog, exiting: called.append(exiting) or 3)
    sys.setprofile(lambda *args: None)
    try:
        with pytest.raises(SystemExit) as ended:
            cli.run()
    finally:
        sys.setprofile(None)
    assert ended.value.code == 3
    assert called == [False]  # and the build's objects are freed before it ends, as the profiler sees them


def test_a_build_the_process_ends_after_leaves_its_objects_to_the_process(tmp_path):
    # Freed one at a time, and scanned by the collector turned back on, they took
    # half a second of a rebuild of 100,000 articles, just before the process ended.
    import gc

    from broadsheet import build as building

    source = write_corpus(tmp_path / "src", {"a.txt": txt("2023-01-01", "A story.")})
    args = ["--source", str(source), "--out", str(tmp_path / "out"), "--no-search", "--quiet"]
    before = len(building._LEFT_TO_EXIT)
    try:
        assert main(args, exiting=True) == 0
        assert len(building._LEFT_TO_EXIT) == before + 1
        assert any(type(kept).__name__ == "Site" for kept in building._LEFT_TO_EXIT[-1])
        assert gc.get_freeze_count() > 0
        assert main(args) == 0  # a process that goes on (serve, tests) frees them
        assert len(building._LEFT_TO_EXIT) == before + 1
    finally:
        del building._LEFT_TO_EXIT[before:]
        gc.unfreeze()


def test_the_program_names_itself_as_it_was_called(tmp_path):
    as_module = subprocess.run([sys.executable, "-m", "broadsheet", "--help"], cwd=tmp_path,
                               capture_output=True, text=True, timeout=60)
    assert as_module.returncode == 0, as_module.stderr
    assert as_module.stdout.startswith("usage: python -m broadsheet ")
    assert "init" in as_module.stdout and "serve" in as_module.stdout
    as_script = run("--help", cwd=tmp_path)
    assert as_script.returncode == 0 and as_script.stdout.startswith("usage: build.py ")


def test_options_before_or_after_the_command_mean_the_same(tmp_path):
    source = write_corpus(tmp_path / "src", {"a.txt": txt("2023-01-01", "A story.")})
    before = main(["--source", str(source), "--out", str(tmp_path / "before"), "--no-search", "--quiet", "build"])
    after = main(["build", "--source", str(source), "--out", str(tmp_path / "after"), "--no-search", "--quiet"])
    assert before == after == 0
    assert (tmp_path / "before" / "2023/01/01/a/index.html").is_file()
    assert (tmp_path / "after" / "2023/01/01/a/index.html").is_file()
