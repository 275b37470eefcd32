"""Debian's Firefox ESR for the browser tests, driven over Marionette.

Firefox is started here, headless, with a profile of its own and Marionette on a
free port of 127.0.0.1; `marionette_driver` only connects to it (no geckodriver,
and the driver never launches the binary itself).  The profile's user.js turns
off everything that would reach the network in the background, and keeps the
file:// rule that real readers' Firefox applies: a page opened from disk may not
fetch another file.

Firefox writes the console messages of pages to its standard output
(`devtools.console.stdout.content`); the errors among them are read back from
that output, since Marionette has no command for the console.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

# The driver's own dependencies (mozinfo, mozrunner) warn of deprecations in the
# standard library when imported: none is the site's to fix.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from marionette_driver.by import By
    from marionette_driver.errors import MarionetteException
    from marionette_driver.keys import Keys
    from marionette_driver.marionette import Marionette, WebElement

FIREFOX = Path(os.environ.get("BROADSHEET_FIREFOX") or shutil.which("firefox-esr") or "/usr/bin/firefox-esr")
STARTUP_SECONDS = 60  # a first start on a busy machine makes the profile and caches
QUIT_SECONDS = 20

# Written to user.js, read before Marionette starts.  Values are Python values
# written as JSON, which is how prefs.js spells them too.
PREFS: dict[str, bool | int | str] = {
    # Marionette listens on the port chosen for this run, on 127.0.0.1 only.
    "marionette.port": 0,  # replaced by the free port
    # A page opened from disk is an origin of its own and may not fetch its
    # neighbours; this is Firefox's default, set here so that it cannot drift.
    "security.fileuri.strict_origin_policy": True,
    # Console messages of pages go to standard output, where the tests read the
    # errors; those of Firefox's own code do not.
    "devtools.console.stdout.content": True,
    "devtools.console.stdout.chrome": False,
    # No first-run pages, default-browser question or session restore.
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.page": 0,
    "browser.startup.homepage": "about:blank",
    "browser.startup.homepage_override.mstone": "ignore",
    "startup.homepage_welcome_url": "about:blank",
    "startup.homepage_welcome_url.additional": "",
    "browser.aboutwelcome.enabled": False,
    "browser.sessionstore.resume_from_crash": False,
    "browser.newtabpage.enabled": False,
    "browser.newtabpage.activity-stream.feeds.system.topstories": False,
    "browser.newtabpage.activity-stream.feeds.snippets": False,
    "browser.newtabpage.activity-stream.showSponsoredTopSites": False,
    "browser.topsites.contile.enabled": False,
    # Background network: updates, telemetry, studies, Safe Browsing lists,
    # captive-portal and connectivity checks, remote settings, add-on and
    # search-engine updates, DNS over HTTPS, prefetching, geolocation.
    "app.update.disabledForTesting": True,
    "app.update.auto": False,
    "app.update.checkInstallTime": False,
    "app.normandy.enabled": False,
    "app.normandy.api_url": "",
    "app.shield.optoutstudies.enabled": False,
    "messaging-system.rsexperimentloader.enabled": False,
    "nimbus.rollouts.enabled": False,
    # Firefox's own modules that log to standard output by themselves.
    "messaging-system.log": "off",
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "toolkit.telemetry.archive.enabled": False,
    "toolkit.telemetry.server": "",
    "toolkit.telemetry.shutdownPingSender.enabled": False,
    "toolkit.telemetry.newProfilePing.enabled": False,
    "toolkit.telemetry.firstShutdownPing.enabled": False,
    "telemetry.fog.test.localhost_port": -1,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.usage.uploadEnabled": False,
    "browser.ping-centre.telemetry": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.downloads.remote.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.update.enabled": False,
    "browser.safebrowsing.provider.mozilla.updateURL": "",
    "browser.safebrowsing.provider.google4.updateURL": "",
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.trr.mode": 5,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.http.speculative-parallel-limit": 0,
    "network.predictor.enabled": False,
    "services.settings.server": "data:,#remote-settings-dummy/v1",
    "security.remote_settings.intermediates.enabled": False,
    "security.certerrors.mitm.priming.enabled": False,
    "extensions.update.enabled": False,
    "extensions.systemAddon.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "browser.search.update": False,
    "browser.region.network.url": "",
    "browser.region.update.enabled": False,
    "media.gmp-manager.updateEnabled": False,
    "geo.provider.network.url": "",
    "dom.push.connection.enabled": False,
    "identity.fxaccounts.enabled": False,
    "browser.translations.enable": False,
    "idle.lastDailyNotification": -1,
}

# How Firefox prints a page's errors: an uncaught one names its file,
#   JavaScript error: file:///…/search.js, line 3: TypeError: …
# and console.error() writes its arguments, strings quoted, objects in brackets:
#   console.error: "…"
# Firefox's own modules print "console.error: ModuleName: …" (unquoted) and
# errors in chrome:// or resource:// files: those are no fault of the site.
_PAGE_ERROR = re.compile(r"^(JavaScript error: file://|console\.error: (?![\w.-]+: ))")

__all__ = ["Firefox", "Keys", "missing_reason", "running"]

T = TypeVar("T")


def missing_reason() -> str | None:
    """Why Firefox cannot run here, or None when it can."""
    if not (FIREFOX.is_file() and os.access(FIREFOX, os.X_OK)):
        return f"Firefox ESR not found at {FIREFOX} (apt-get install firefox-esr, or set BROADSHEET_FIREFOX)"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_profile(folder: Path, port: int) -> None:
    prefs = {**PREFS, "marionette.port": port}
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"user_pref({json.dumps(name)}, {json.dumps(value)});" for name, value in prefs.items()]
    (folder / "user.js").write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass
class Firefox:
    """A running Firefox, its Marionette session, and the file its output goes to."""

    client: Marionette
    process: subprocess.Popen[bytes]
    output: Path
    since: int = 0  # where the current test's output begins

    def mark(self) -> int:
        """Where the output is now: errors_since(mark) reads what came after."""
        return self.output.stat().st_size

    def errors_since(self, mark: int) -> list[str]:
        """Script errors and console.error messages of pages since `mark`."""
        with self.output.open("rb") as output:
            output.seek(mark)
            text = output.read().decode("utf-8", "replace")
        return [line for line in text.splitlines() if _PAGE_ERROR.match(line)]

    def wait(
        self, condition: Callable[[], T | None], timeout: float = 10.0, message: str | Callable[[], str] = ""
    ) -> T:
        """Poll `condition` until it returns something truthy, and return that.

        `message` says what was awaited; a function is asked only when the time is up."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(MarionetteException):
                value = condition()
                if value:
                    return value
            if time.monotonic() > deadline:
                said = message() if callable(message) else message
                raise AssertionError(f"timed out after {timeout}s: {said or condition}")
            time.sleep(0.05)

    def open(self, url: str) -> None:
        self.client.navigate(url)

    def url(self) -> str:
        return str(self.client.get_url())

    def find(self, css: str) -> WebElement:
        return self.client.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[WebElement]:
        return list(self.client.find_elements(By.CSS_SELECTOR, css))

    def script(self, body: str, *args: Any) -> Any:
        return self.client.execute_script(body, script_args=list(args))

    def click_to(self, css: str, url_ends: str) -> None:
        """Click the first element matching `css`, and wait until a page whose
        address ends in `url_ends` has loaded."""
        self.find(css).click()
        self.wait(
            lambda: self.url().endswith(url_ends) and self.script("return document.readyState") == "complete",
            message=lambda: f"a page at …{url_ends} after clicking {css} (still at {self.url()})",
        )


@contextlib.contextmanager
def running(profile: Path, output: Path) -> Iterator[Firefox]:
    """Firefox ESR, headless, with a fresh profile in `profile`; its output in `output`.

    The port is free when chosen and taken by Firefox a moment later; another
    program taking it between the two makes the start fail, with Firefox's output."""
    port = _free_port()
    write_profile(profile, port)
    env = {**os.environ, "MOZ_HEADLESS": "1", "MOZ_CRASHREPORTER_DISABLE": "1"}
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [str(FIREFOX), "--marionette", "--headless", "--no-remote", "--profile", str(profile), "about:blank"],
            stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT, env=env,
        )
    try:
        _wait_for_port(process, port, output)
        client = Marionette(host="127.0.0.1", port=port)
        client.start_session()
        client.timeout.page_load = 30
        try:
            yield Firefox(client, process, output)
        finally:
            _quit(client, process)
    finally:
        if process.poll() is None:  # it would not quit: no Firefox is left behind
            process.kill()
            process.wait(QUIT_SECONDS)


def _wait_for_port(process: subprocess.Popen[bytes], port: int, output: Path) -> None:
    """Wait until Marionette listens; fail at once, with Firefox's last words, if Firefox ends first."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    said = output.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-10:]
    if process.poll() is not None:
        state = f"ended with code {process.returncode} before Marionette listened on port {port}"
    else:
        state = f"had no Marionette listening on port {port} after {STARTUP_SECONDS}s"
    raise RuntimeError(f"Firefox ({FIREFOX}) {state}: " + " | ".join(said))


def _quit(client: Marionette, process: subprocess.Popen[bytes]) -> None:
    """Ask Firefox to quit as a reader would, and wait for it to end."""
    client.is_shutting_down = True  # a dropped connection is expected from here on
    with contextlib.suppress(OSError, MarionetteException):
        # Marionette's own quit command; Marionette.quit() refuses a Firefox it did not launch.
        client._send_message("Marionette:Quit", {})
    with contextlib.suppress(OSError, MarionetteException):
        client.delete_session(send_request=False)
    client.cleanup_ran = True  # nothing of the driver's own to clean: it launched nothing
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(QUIT_SECONDS)
