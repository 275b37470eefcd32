"""The files every build writes as they are: the theme's assets and the icon;
and the manifest of articles that `check` reads, kept while no article changed."""

from __future__ import annotations

from collections.abc import Sequence

from .. import check, favicon
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
        return self.job.site_key if unit == check.MANIFEST else ALWAYS

    def start(self, todo: list[str]) -> Work:
        staging, config = self.job.staging, self.job.config
        made = {}
        for folder in reversed(config.template_dirs):
            if ASSETS in todo and (folder / ASSETS).is_dir():
                staging.copy_tree(folder / ASSETS, ASSETS)
        if favicon.ICO in todo and self._write_favicon():
            made[favicon.ICO] = OutputRecord(ALWAYS, ((favicon.ICO, UNKNOWN),))
        if check.MANIFEST in todo:
            staging.write_text(check.MANIFEST, check.manifest_parts(self.job.site.entries))
            made[check.MANIFEST] = OutputRecord(self.job.site_key, ((check.MANIFEST, UNKNOWN),))
        return Done(made)

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
