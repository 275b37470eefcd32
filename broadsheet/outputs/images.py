"""The images of the site: each article's lead image, copied byte for byte
beside its page, and the site's logo at the root.  A copy is kept while the
image's bytes and its place are the same (images.resolve read them this build)."""

from __future__ import annotations

from collections.abc import Sequence

from .. import images
from ..cache import OutputRecord, text_key
from ..records import Problem
from . import UNKNOWN, Done, Job, Output, Outputs, Work, register


@register
class Images(Output):
    kind = "images"
    stage = "write"
    order = 25
    linked = True  # a copy kept is linked from the site in place into a new one

    def __init__(self, job: Job, outputs: Outputs) -> None:
        super().__init__(job, outputs)
        self.files: dict[str, images.ImageFile] = {}

    def units(self) -> Sequence[str]:
        files = self.files = {}
        for entry in self.job.site.entries:
            lead = entry.article.lead_image
            if lead is not None and lead.file is not None and lead.target is not None:
                files[lead.target] = lead.file
        logo = images.site_logo(self.job.config.logo, self.job.config.base_url)
        if logo is not None:
            files[logo.target] = logo.file
        return list(files)

    def fingerprint(self, unit: str, last: OutputRecord) -> str:
        return text_key(f"{self.files[unit].digest} {unit}")

    def start(self, todo: list[str]) -> Work:
        made = {}
        for unit in todo:
            image = self.files[unit]
            try:
                with open(image.path, "rb") as file:
                    data = file.read()
            except OSError as error:
                self.job.note(Problem(image.path, f"cannot be read ({error.strerror or error}); not copied"))
                continue
            self.job.staging.write_bytes(unit, data)
            # The digest of the bytes read when the image was checked: if the
            # file changed since, the next build sees another digest and copies it again.
            made[unit] = OutputRecord(self.fingerprint(unit, OutputRecord("", ())), ((unit, UNKNOWN),))
        return Done(made)
