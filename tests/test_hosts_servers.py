"""The host files in real web servers: Apache 2.4 reading the site's .htaccess,
and nginx including nginx-redirects.conf, each started here on 127.0.0.1 with a
configuration of its own, serving a site whose articles moved and went away,
at the host root and under /news/."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from broadsheet.build import build
from broadsheet.config import Config, validate
from broadsheet.hosts import NGINX

from .conftest import write_corpus
from .test_redirects import FIRST, second_corpus

APACHE_MODULES = Path("/usr/lib/apache2/modules")
# Modules the site needs (mpm and authz_core for any Apache; mime for types).
APACHE_LOADS = ("mpm_event", "authz_core", "dir", "mime", "rewrite")
# Old addresses of the redirects file: a space, non-ASCII, and characters that
# mean something in the files of one host or another.
HAND = "old%20stories/caf%C3%A9.html 2023/01/09/redated/\nit's-$HOME;{x}&y=1/ 2023/04/05/moved/\n"
READY_SECONDS = 20


def program(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if found is None:
        pytest.skip(f"{name} is not installed (Debian package {name})")
    return found


@dataclass(frozen=True)
class Site:
    root: Path  # the folder the server serves from
    base: str  # the path of the site on the server: "/news/" or "/"

    @property
    def out(self) -> Path:
        return self.root / self.base.strip("/") if self.base != "/" else self.root


@pytest.fixture(scope="module")
def world_readable() -> Iterator[Path]:
    """A folder that a server's workers can read: run as root, Apache and
    nginx serve as an unprivileged user, who cannot enter pytest's folders."""
    folder = Path(tempfile.mkdtemp(prefix="broadsheet-hosts-"))
    os.chmod(folder, 0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module", params=["/news/", "/"], ids=["sub-path", "root"])
def site(request: pytest.FixtureRequest, world_readable: Path) -> Site:
    """A site built once, then again into the same folder after one article
    was re-dated, one removed, one given a slug, and two hand moves added."""
    name = "news" if request.param == "/news/" else "root"
    served = Site(world_readable / name, request.param)
    served.root.mkdir()
    source = write_corpus(world_readable / f"corpus-{name}", dict(FIRST))
    base_url = "https://example.org/news/" if served.base == "/news/" else None
    config = validate(Config(source=source, out=served.out, search=False, base_url=base_url))
    build(config)
    second_corpus(source)
    (source / "redirects").write_text(HAND, encoding="utf-8")
    result = build(config)
    assert result.in_place and (result.moved, result.gone) == (4, 1)
    return served


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str) -> tuple[int, str | None, bytes]:
        """Status, Location and body of a GET, redirects not followed."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.getheader("Location"), response.read()
        finally:
            connection.close()


def serve(command: list[str], port: int, log: Path) -> Iterator[Server]:
    """Run a server until the test is done; fail with its log if it does not
    answer within READY_SECONDS."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"{command[0]} stopped ({process.returncode}): {_tail(log)}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{command[0]} does not answer on port {port}: {_tail(log)}")
                time.sleep(0.05)
        yield Server(port, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _tail(log: Path) -> str:
    try:
        return log.read_text(encoding="utf-8", errors="replace")[-2000:]
    except OSError:
        return "(no log)"


@pytest.fixture
def apache(site: Site, tmp_path: Path) -> Iterator[Server]:
    binary = program("apache2")
    if not APACHE_MODULES.is_dir():
        pytest.skip(f"no Apache modules in {APACHE_MODULES}")
    port = free_port()
    loads = "\n".join(f"LoadModule {name}_module {APACHE_MODULES}/mod_{name}.so" for name in APACHE_LOADS)
    conf = tmp_path / "apache2.conf"
    conf.write_text(
        f"""ServerRoot "{tmp_path}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{tmp_path}/apache2.pid"
DefaultRuntimeDir "{tmp_path}"
ErrorLog "{tmp_path}/error.log"
LogLevel warn
{loads}
TypesConfig /etc/mime.types
DocumentRoot "{site.root}"
<Directory "{site.root}">
    AllowOverride All
    Require all granted
</Directory>
""",
        encoding="utf-8",
    )
    yield from serve([binary, "-f", str(conf), "-DFOREGROUND"], port, tmp_path / "error.log")


@pytest.fixture
def nginx(site: Site, tmp_path: Path) -> Iterator[Server]:
    binary = program("nginx")
    port = free_port()
    temp = {name: tmp_path / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"""pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
worker_processes 1;
events {{}}
http {{
    access_log off;
    {"".join(f"{name}_temp_path {path}; " for name, path in temp.items())}
    include /etc/nginx/mime.types;
    server {{
        listen 127.0.0.1:{port};
        root {site.root};
        include {site.out / NGINX};
    }}
}}
""",
        encoding="utf-8",
    )
    yield from serve([binary, "-c", str(conf), "-e", str(tmp_path / "error.log"), "-g", "daemon off;"],
                     port, tmp_path / "error.log")


@pytest.fixture(params=["apache", "nginx"])
def server(request: pytest.FixtureRequest) -> Server:
    return request.getfixturevalue(request.param)


def test_old_addresses_answer_with_their_status(server: Server, site: Site):
    base, out = site.base, site.out

    def moved(old: str, new: str) -> None:
        status, location, _ = server.get(base + old)
        assert (status, urlsplit(location or "").path) == (301, base + new), old

    def gone(path: str, page: str) -> None:
        assert server.get(base + path) == (410, None, (out / page).read_bytes()), path

    for old in ("2023/01/05/redated/", "2023/01/05/redated/index.html"):
        moved(old, "2023/01/09/redated/")
    moved("2023/03/05/slugged/", "2023/03/05/with-a-slug/")
    moved(quote("old stories/café.html"), "2023/01/09/redated/")
    moved(quote("it's-$HOME;{x}&y=1/"), "2023/04/05/moved/")
    moved(quote("it's-$HOME;{x}&y=1/index.html", safe="/'$;&="), "2023/04/05/moved/")  # as a browser sends it
    # Folders a reader reaches by shortening an address lead to their archives, never a bare 403.
    moved("2023/", "archive/2023/")
    moved("2023/01/", "archive/2023/01/")
    moved("2023/01/09/", "archive/2023/01/")
    gone("2023/02/05/removed/", "2023/02/05/removed/index.html")
    gone("2023/02/05/removed/index.html", "2023/02/05/removed/index.html")

    not_found = (out / "404.html").read_bytes()
    for missing in ("no/such/page/", "2023/02/05/never/", quote("café au lait.html")):
        assert server.get(base + missing) == (404, None, not_found), missing

    for live in ("", "index.html", "archive/", "2023/01/09/redated/", "2023/04/05/moved/", "2023/03/05/with-a-slug/"):
        status, _, body = server.get(base + live)
        assert status == 200 and body == (out / (live if live.endswith(".html") else live + "index.html")).read_bytes(), live
