"""The files every build writes as they are: the theme's assets and the icon;
and the manifest of articles that `check` reads, kept while no article changed."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from .. import check, favicon, parallel
from ..cache import OutputRecord, listed_key
from ..records import IN_PLACE, Problem
from ..write import Staging
from . import ALWAYS, UNKNOWN, Done, Output, Work, register

ASSETS = "assets"


@register
class Static(Output):
    kind = "static"
    stage = "write"
    order = 20

    def units(self) -> Sequence[str]:
        self.last_manifest: str | None = None
        return [ASSETS, favicon.ICO, check.MANIFEST]

    def fingerprint(self, unit: str, last: OutputRecord) -> str:
        if unit == check.MANIFEST:
            # Its lines show no article's body: a change to a body alone keeps it (0.5 s of writing at
            # 100,000 articles).  Whether they changed (cache.listed_key, 0.14 s) is worked out where it
            # is written, beside the build; asked here, its file is as the last build left it.
            self.last_manifest = last.fingerprint
        return ALWAYS

    def start(self, todo: list[str]) -> Work:
        staging, config = self.job.staging, self.job.config
        made = {}
        for folder in reversed(config.template_dirs):
            if ASSETS in todo and (folder / ASSETS).is_dir():
                staging.copy_tree(folder / ASSETS, ASSETS)
                if folder == config.builtin_templates:
                    self._minify_scripts(folder / ASSETS)
        if favicon.ICO in todo and self._write_favicon():
            made[favicon.ICO] = OutputRecord(ALWAYS, ((favicon.ICO, UNKNOWN),))
        if check.MANIFEST not in todo:
            return Done(made)
        # Kept only in the site in place: a site made beside it takes no file it was not given.
        entries, last = self.job.site.entries, self.last_manifest if self.job.in_place else None

        def write() -> tuple[str, bool]:
            """The manifest's key, and whether it was written: not where it is as the last build left it."""
            key = listed_key(entries)
            if key == last:
                return key, False
            staging.write_text(check.MANIFEST, check.manifest_parts(entries))
            return key, True

        # A rebuild writes the manifest, a line for each article (0.3 s at 100,000), in a process beside the build
        # while it makes the rest: forked only while the build has no other thread, which the fork would not copy.
        # Its place is taken now, empty, for the outputs made meanwhile (a redirect must not go there).
        staging.write_bytes(check.MANIFEST, b"")
        return Manifest(parallel.Apart(write, fork=self.job.in_place and threading.active_count() == 1), made, staging)

    def _minify_scripts(self, assets: Path) -> None:
        """The theme's scripts without their comments and spaces: on a host that
        does not compress them, they were a third of what a search fetches
        before its first results (the engine and its English stemmer 112 KB, 58 KB
        once minified).  A theme of one's own has its scripts as it wrote them."""
        import rjsmin  # type: ignore[import-untyped]

        for script in sorted(assets.rglob("*.js")):
            text = rjsmin.jsmin(script.read_text(encoding="utf-8"), keep_bang_comments=True)
            self.job.staging.write_text(f"{ASSETS}/{script.relative_to(assets).as_posix()}", text.rstrip() + "\n")

    def _write_favicon(self) -> bool:
        """favicon.ico at the root, from the PNG icon of the templates that give one."""
        config, note = self.job.config, self.job.note
        source = next((d / favicon.SOURCE for d in config.template_dirs if (d / favicon.SOURCE).is_file()), None)
        if source is None:
            return False
        try:
            self.job.staging.write_bytes(favicon.ICO, favicon.ico_from_png(source.read_bytes()))
        except favicon.NotAPng as error:
            note(Problem(str(source), f"{error}; no {favicon.ICO} written"))
        except OSError as error:
            note(Problem(str(source), f"cannot be read ({error.strerror or error}); no {favicon.ICO} written"))
        else:
            return True
        return False


class Manifest(Work):
    """The manifest being written beside the build, or written when finished;
    or kept, as the last build left it in the site in place."""

    def __init__(self, writing: parallel.Apart[tuple[str, bool]], made: dict[str, OutputRecord], staging: Staging) -> None:
        self.writing, self.made, self.staging = writing, made, staging

    def finish(self) -> dict[str, OutputRecord]:
        key, written = self.writing.join()
        if not written:
            self.staging.remove([check.MANIFEST])  # its place, taken while it was made: the site's is kept
        return {**self.made, check.MANIFEST: OutputRecord(key, ((check.MANIFEST, UNKNOWN if written else IN_PLACE),))}

    def stop(self) -> None:
        self.writing.stop()
