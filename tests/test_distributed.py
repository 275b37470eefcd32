"""Building on a Dask cluster (--scheduler): a real scheduler and two workers
on this machine, and sites compared byte for byte with local builds."""

from __future__ import annotations

import functools
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from broadsheet import cli, parallel  # noqa: E402
from broadsheet.build import BuildError, BuildResult, build  # noqa: E402
from broadsheet.config import DEFAULT_TEMPLATES, Config, validate  # noqa: E402
from broadsheet.write import RETIRED_PREFIX, STAGING_PREFIX, TRASH_PREFIX  # noqa: E402

from .conftest import txt, write_corpus  # noqa: E402

# More articles than several ranges of loading (200) and of rendering (100).
COUNT = 450


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalCluster:
    """A scheduler and two workers, each a process of its own, as `dask scheduler` and `dask worker` run them."""

    def __init__(self, folder: Path) -> None:
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        self.folder = folder  # the workers' own folder: not the builds'
        self.processes: list[subprocess.Popen[bytes]] = []
        self.client: distributed.Client | None = None

    def start(self) -> None:
        port = self.address.rsplit(":", 1)[1]
        self._start("scheduler", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard")
        for n in range(2):
            self._start(f"worker{n}", "distributed.cli.dask_worker", self.address, "--nworkers", "1", "--nthreads", "1",
                        "--no-dashboard", "--local-directory", str(self.folder / f"space{n}"))
        self.client = distributed.Client(self.address, timeout=60, set_as_default=False)
        self.wait_for_workers()

    def _start(self, name: str, module: str, *args: str) -> None:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - kept open while the process runs
        self.processes.append(subprocess.Popen([sys.executable, "-m", module, *args], cwd=self.folder, stdout=log,
                                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        log.close()

    def wait_for_workers(self) -> None:
        assert self.client is not None
        self.client.wait_for_workers(2, timeout=60)

    def worker_pids(self) -> dict[str, int]:
        assert self.client is not None
        return self.client.run(os.getpid)

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        for process in reversed(self.processes):  # the workers first
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    running = LocalCluster(tmp_path_factory.mktemp("cluster"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


def _articles(count: int) -> dict[str, str | bytes]:
    return {
        f"{i:03d}_{0xD0000 + i:08x}.txt": txt(
            f"20{20 + i % 4}-{1 + i % 12:02d}-{1 + i % 27:02d}",
            f"Story {i} about the harbour, the tides and the ferry.", f"The council met {i % 9} times this year.",
        )
        for i in range(count)
    }


def _files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def _same_sites(local: Path, remote: Path) -> None:
    here, there = _files(local), _files(remote)
    assert sorted(here) == sorted(there)
    differing = [name for name in here if here[name] != there[name]]
    assert not differing, f"{len(differing)} files differ, such as {differing[:3]}"


def _leftovers(folder: Path) -> list[str]:
    """Folders of builds under way, or of builds that failed and left them."""
    return [p.name for p in folder.iterdir() if p.name.startswith((STAGING_PREFIX, RETIRED_PREFIX, TRASH_PREFIX))]


def _build(source: Path, out: Path, **settings: object) -> BuildResult:
    return build(validate(Config(source=source, out=out, **settings)))  # type: ignore[arg-type]


@pytest.mark.slow
def test_a_build_on_the_cluster_is_the_local_build_byte_for_byte(cluster: LocalCluster, tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus", _articles(COUNT))
    _build(Path("corpus"), tmp_path / "local", search=True)
    assert cluster.client is not None
    with distributed.get_task_stream(client=cluster.client) as tasks:
        # Relative paths: the workers run in a folder of their own.
        code = cli.main(["--source", "corpus", "--out", "remote", "--record", "remote.json", "--quiet",
                         "--scheduler", cluster.address])
    assert code == 0
    _same_sites(tmp_path / "local", tmp_path / "remote")
    assert len(list((tmp_path / "remote").glob("20*/*/*/*/index.html"))) == COUNT
    # The work ran on the workers, as tasks: the ranges of loading and of
    # rendering, Pagefind's run and the offline index beside it.
    stream = tasks.data
    keys = [task["key"] for task in stream if isinstance(task["key"], str) and task["key"].startswith("broadsheet-")]
    kinds = {key.split("-")[1] for key in keys}
    assert {"parse", "render", "index", "beside"} <= kinds, keys
    assert sum(key.startswith("broadsheet-parse-range-") for key in keys) == 3  # 450 files by 200
    assert sum(key.startswith("broadsheet-render-range-") for key in keys) >= COUNT // parallel.RENDER_CHUNK
    assert {task["worker"] for task in stream} <= set(cluster.worker_pids())


@pytest.mark.slow
def test_a_rebuild_on_the_cluster_is_the_local_rebuild(cluster: LocalCluster, tmp_path: Path) -> None:
    source = write_corpus(tmp_path / "corpus", _articles(COUNT))
    _build(source, tmp_path / "local", search=False)
    _build(source, tmp_path / "remote", search=False, scheduler=cluster.address)
    # Changes that make several ranges of pages again, from the build cache's bodies of the others.
    write_corpus(source, {f"new_{i:03d}.txt": txt("2022-02-02", f"Late story {i}.") for i in range(120)})
    (source / "000_000d0000.txt").unlink()
    _build(source, tmp_path / "local", search=False)
    _build(source, tmp_path / "remote", search=False, scheduler=cluster.address)
    _same_sites(tmp_path / "local", tmp_path / "remote")
    # What the cluster recorded of each page (its fingerprint) is what a local
    # build records: the next rebuild, local for both, makes the same pages again.
    write_corpus(source, {"late.txt": txt("2021-03-03", "The latest story.")})
    again = [_build(source, tmp_path / out, search=False) for out in ("local", "remote")]
    assert again[0].rendered == again[1].rendered < again[0].pages // 2
    _same_sites(tmp_path / "local", tmp_path / "remote")


def test_what_a_worker_is_sent_makes_the_same_pages(tmp_path: Path) -> None:
    import cloudpickle

    from broadsheet.build import load_articles
    from broadsheet.cache import Fingerprints
    from broadsheet.outputs import pages
    from broadsheet.progress import silent
    from broadsheet.render import Renderer, site_globals
    from broadsheet.site import build_site

    source = write_corpus(tmp_path / "corpus", _articles(30))
    config = validate(Config(source=source, out=tmp_path / "site", search=False))
    site, _ = build_site(load_articles(config, lambda problem: None, silent).articles, per_page=config.per_page,
                         site_title=config.site_title, language=config.language)
    renderer = Renderer(config, site)
    fingerprints = Fingerprints(site_globals(config, site), {})
    keys = pages.page_keys(site)
    here = [(pages.render_page(renderer, key, pages.part_of(site, key)), pages.page_fingerprint(site, fingerprints, key, frozenset()))
            for key in keys]
    # What a worker is given once (pickled as for a forked worker, or by Dask), and with each page.
    for dumps, loads in ((pickle.dumps, pickle.loads), (cloudpickle.dumps, cloudpickle.loads)):
        make, fingerprint = loads(dumps((functools.partial(pages.render_shown, renderer),
                                         functools.partial(pages.fingerprint_shown, fingerprints.for_workers()))))
        sent = loads(dumps([pages.shown(site, fingerprints, key) for key in keys]))
        assert [(make(key, page), fingerprint(key, page, frozenset())) for key, page in zip(keys, sent, strict=True)] == here
        assert not make.args[0].site.entries  # never the site's articles


@pytest.mark.slow
def test_a_template_that_fails_on_a_worker_fails_the_build_as_it_does_locally(
    cluster: LocalCluster, tmp_path: Path,
) -> None:
    source = write_corpus(tmp_path / "corpus", _articles(COUNT))
    (tmp_path / "templates").mkdir()
    page = (DEFAULT_TEMPLATES / "article.html").read_text(encoding="utf-8")
    page = page.replace("{% block title %}", "{% block title %}{{ no_such_value }}", 1)
    (tmp_path / "templates" / "article.html").write_text(page, encoding="utf-8")
    errors = []
    for out, scheduler in (("local", None), ("remote", cluster.address)):
        with pytest.raises(BuildError, match=r"^template error: .*article\.html:\d+: .*no_such_value") as failed:
            _build(source, tmp_path / out, search=False, templates=tmp_path / "templates", scheduler=scheduler)
        errors.append(str(failed.value))
        assert not (tmp_path / out).exists()
    assert errors[0] == errors[1]
    assert _leftovers(tmp_path) == []


def test_a_scheduler_that_cannot_be_reached_fails_the_build_and_leaves_the_site(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parallel, "CONNECT_SECONDS", 2)
    write_corpus(tmp_path / "corpus", _articles(3))
    assert cli.main(["--source", "corpus", "--out", "site", "--quiet", "--no-search"]) == 0
    before = {name: (data, (tmp_path / "site" / name).stat().st_mtime_ns) for name, data in _files(tmp_path / "site").items()}
    capsys.readouterr()
    nowhere = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    write_corpus(tmp_path / "corpus", {"new.txt": txt("2024-01-01", "A new story.")})
    code = cli.main(["--source", "corpus", "--out", "site", "--quiet", "--no-search", "--scheduler", nowhere])
    said = capsys.readouterr().err.splitlines()
    assert code == 1
    assert len(said) == 1 and said[0].startswith(f"error: cannot reach the Dask scheduler at {nowhere}: "), said
    after = {name: (data, (tmp_path / "site" / name).stat().st_mtime_ns) for name, data in _files(tmp_path / "site").items()}
    assert after == before
    assert _leftovers(tmp_path) == []


def test_without_dask_installed_the_build_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # an import of it fails
    source = write_corpus(tmp_path / "corpus", _articles(3))
    with pytest.raises(BuildError, match=r"pip install 'broadsheet\[distributed\]'"):
        _build(source, tmp_path / "site", search=False, scheduler="tcp://127.0.0.1:8786")
    assert not (tmp_path / "site").exists()


def test_a_local_build_does_not_import_dask(tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus", _articles(parallel.RENDER_CHUNK + 10))
    script = ("import sys\nfrom broadsheet import cli\nassert cli.main(['--source', 'corpus', '--out', 'site', '--quiet']) == 0\n"
              "print(sorted(name for name in sys.modules if name.split('.')[0] in ('dask', 'distributed')))")
    ran = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "[]"


def _slow_templates(folder: Path) -> Path:
    """The built-in theme with an article page that takes some milliseconds to render."""
    folder.mkdir()
    page = (DEFAULT_TEMPLATES / "article.html").read_text(encoding="utf-8")
    (folder / "article.html").write_text("{% for i in range(300000) %}{% endfor %}" + page, encoding="utf-8")
    return folder


def _kill_a_worker_while_it_renders(cluster: LocalCluster) -> threading.Thread:
    """Kill the process of the first worker seen rendering, in a thread."""
    assert cluster.client is not None
    client, pids = cluster.client, cluster.worker_pids()
    killed: list[int] = []

    def watch() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            for worker, keys in client.processing().items():
                if any(str(key).startswith("broadsheet-render-range-") for key in keys) and worker in pids:
                    time.sleep(0.3)  # well into the range
                    os.kill(pids[worker], signal.SIGKILL)
                    killed.append(pids[worker])
                    return
            time.sleep(0.05)

    thread = threading.Thread(target=watch)
    thread.start()
    thread.killed = killed  # type: ignore[attr-defined]
    return thread


@pytest.mark.slow
def test_a_worker_killed_during_the_build_has_its_work_done_again_elsewhere(
    cluster: LocalCluster, tmp_path: Path,
) -> None:
    source = write_corpus(tmp_path / "corpus", _articles(COUNT))
    templates = _slow_templates(tmp_path / "templates")
    _build(source, tmp_path / "local", search=False, templates=templates)
    killer = _kill_a_worker_while_it_renders(cluster)
    try:
        _build(source, tmp_path / "remote", search=False, templates=templates, scheduler=cluster.address)
    finally:
        killer.join()
        cluster.wait_for_workers()  # the nanny starts the worker again
    assert killer.killed  # type: ignore[attr-defined]
    _same_sites(tmp_path / "local", tmp_path / "remote")


@pytest.mark.slow
def test_a_worker_lost_too_often_fails_the_build_and_leaves_the_site(cluster: LocalCluster, tmp_path: Path) -> None:
    assert cluster.client is not None
    source = write_corpus(tmp_path / "corpus", _articles(COUNT))
    templates = _slow_templates(tmp_path / "templates")
    _build(source, tmp_path / "site", search=False)
    before = _files(tmp_path / "site")

    def allow(failures: int) -> None:
        assert cluster.client is not None
        cluster.client.run_on_scheduler(lambda dask_scheduler: setattr(dask_scheduler, "allowed_failures", failures))

    allow(0)  # a task whose worker dies is not tried again
    killer = _kill_a_worker_while_it_renders(cluster)
    try:
        with pytest.raises(BuildError, match=r"^the Dask workers running the build's task broadsheet-render-range-\S+ "
                                             r"died, too many times to try again") as failed:
            _build(source, tmp_path / "site", search=False, templates=templates, scheduler=cluster.address)
    finally:
        killer.join()
        allow(3)
        cluster.wait_for_workers()
    assert "\n" not in str(failed.value)
    assert _files(tmp_path / "site") == before
    assert _leftovers(tmp_path) == []  # the staging folder went with the build


@pytest.mark.slow
def test_a_scheduler_lost_during_the_build_fails_it_in_one_line_and_leaves_the_site(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    doomed = LocalCluster(tmp_path / "doomed")  # a cluster of its own, whose scheduler is killed
    (tmp_path / "doomed").mkdir()
    try:
        doomed.start()
        write_corpus(tmp_path / "corpus", _articles(COUNT))
        _slow_templates(tmp_path / "templates")
        assert cli.main(["--source", "corpus", "--out", "site", "--quiet", "--no-search"]) == 0
        before = _files(tmp_path / "site")
        capsys.readouterr()
        assert doomed.client is not None
        client, scheduler = doomed.client, doomed.processes[0]

        def kill_the_scheduler() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if any(str(key).startswith("broadsheet-render-range-") for keys in client.processing().values()
                       for key in keys):
                    scheduler.kill()
                    return
                time.sleep(0.05)

        killer = threading.Thread(target=kill_the_scheduler)
        killer.start()
        code = cli.main(["--source", "corpus", "--out", "site", "--quiet", "--no-search", "--templates", "templates",
                         "--scheduler", doomed.address])
        killer.join()
        said = capsys.readouterr().err.splitlines()
        assert code == 1
        assert len(said) == 1 and said[0].startswith(f"error: the Dask scheduler at {doomed.address} dropped the build's work"), said
        assert _files(tmp_path / "site") == before
        assert _leftovers(tmp_path) == []
    finally:
        doomed.stop()


@pytest.mark.slow
def test_on_the_cluster_ranges_are_sent_a_few_ahead_of_the_workers(cluster: LocalCluster, tmp_path: Path) -> None:
    # What each range of pages is sent (its pages' parts) is made as its task is
    # submitted: at a million articles, all of them at once would not fit.
    gate = str(tmp_path / "go")
    made: list[int] = []

    def sent(start: int, stop: int) -> list[int]:
        made.append(start)
        return list(range(start, stop))

    def run(start: int, stop: int, part: list[int]) -> list[int]:  # a closure: cloudpickle sends it whole
        while not os.path.exists(gate):
            time.sleep(0.02)
        return part

    runner = parallel.Cluster(cluster.address)
    try:
        ahead = 4 * runner.width()
        with runner.ranges(run, 400, chunk=10, jobs=1, sent=sent) as chunks:
            time.sleep(2)  # the workers wait at the gate: no task is done
            assert len(made) == ahead < 40
            Path(gate).touch()
            assert [number for chunk in chunks for number in chunk] == list(range(400))
        assert len(made) == 40
    finally:
        runner.close()
