"""The files every build writes as they are: the theme's assets and the icon;
and the manifest of articles that `check` reads, kept while no article changed."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from .. import check, favicon, parallel
from ..cache import OutputRecord
from ..records import Problem
from . import ALWAYS, UNKNOWN, Done, Output, Work, register

ASSETS = "assets"


@register
class Static(Output):
    kind = "static"
    stage = "write"
    order = 20

    def units(self) -> Sequence[str]:
        return [ASSETS, favicon.ICO, check.MANIFEST]

    def fingerprint(self, unit: str, last: OutputRecord) -> str:
        # Its lines show no article's body: a change to a body alone keeps it (0.5 s at 100,000 articles).
        return self.job.listed_key if unit == check.MANIFEST else ALWAYS

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
        made[check.MANIFEST] = OutputRecord(self.job.listed_key, ((check.MANIFEST, UNKNOWN),))
        entries = self.job.site.entries

        def write() -> None:
            staging.write_text(check.MANIFEST, check.manifest_parts(entries))

        # A rebuild writes the manifest, a line for each article (0.3 s at 100,000), in a process beside the build
        # while it makes the rest: forked only while the build has no other thread, which the fork would not copy.
        # Its place is taken now, empty, for the outputs made meanwhile (a redirect must not go there).
        staging.write_bytes(check.MANIFEST, b"")
        return Manifest(parallel.Apart(write, fork=self.job.in_place and threading.active_count() == 1), made)

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
    """The manifest being written beside the build, or written when finished."""

    def __init__(self, writing: parallel.Apart[None], made: dict[str, OutputRecord]) -> None:
        self.writing, self.made = writing, made

    def finish(self) -> dict[str, OutputRecord]:
        self.writing.join()
        return self.made

    def stop(self) -> None:
        self.writing.stop()
