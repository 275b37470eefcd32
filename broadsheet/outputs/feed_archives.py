"""The archive documents of the feeds (RFC 5005 archived feeds, and JSON
Feed's `next_url`): `feeds/N.xml` and `feeds/N.json`, numbered from the
oldest, of 50 articles each, so that a feed reader can fetch the whole archive
by following the subscription feed's link to the documents before it.  A full
document never changes unless one of its articles does; only the newest,
which holds the articles just older than the subscription feed's, grows.

They hold the body of every article twice, half the bytes of the site, and a
full build writes them in worker processes while the pages are rendered: made
by the build's own process, they were most of a full build of 100,000
articles, with the workers done with the pages and idle meanwhile."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from .. import parallel, publish, write
from ..cache import BodyReader, OutputRecord, holding
from ..records import FileStatus, status_of
from ..render import body_html
from ..site import Entry
from . import Done, Job, Output, Outputs, Taken, Work, register

# Documents sent to a worker at a time: about a megabyte of files each.
CHUNK = 2
# Fewer documents are written by the build itself: about 0.2 s of work here,
# what starting the workers and their imports takes.
IN_WORKERS_FROM = 16


def document_paths(number: int) -> tuple[str, str]:
    """The files of the archive document `number`: its Atom and its JSON Feed."""
    return publish.archive_path(number, ".xml"), publish.archive_path(number, ".json")


@dataclass(frozen=True)
class Archiving:
    """What writes archive documents, given once to each worker: the site's
    values and where the bodies are read from, never the site itself."""

    root: Path  # the staging folder
    base_url: str
    site_title: str
    language: str
    zone: datetime.tzinfo
    bodies: BodyReader | None

    def __call__(self, document: tuple[int, tuple[Entry, ...]]) -> tuple[FileStatus, FileStatus]:
        """Write the Atom and JSON Feed documents `number` of `entries`; the status of each file."""
        number, entries = document
        atom, json = document_paths(number)
        older_atom, older_json = document_paths(number - 1) if number > 1 else (None, None)
        with holding(self.bodies, (e.article for e in entries)):
            bodies = [str(body_html(e.article, self.language)) for e in entries]  # once for both documents
            texts = (
                publish.atom_document(entries, path=atom, older=older_atom,
                                      archive=True, base_url=self.base_url, site_title=self.site_title,
                                      language=self.language, zone=self.zone, bodies=bodies),
                publish.json_document(entries, path=json, older=older_json,
                                      base_url=self.base_url, site_title=self.site_title, language=self.language,
                                      zone=self.zone, bodies=bodies),
            )
        if not os.path.isdir(self.root):
            # A worker of a build that failed or died: nothing may make its staging folder again.
            raise FileNotFoundError(2, "the build's staging folder is gone", os.fspath(self.root))
        atom_status, json_status = (status_of(write.write_file(self.root, path, text.encode("utf-8")))
                                    for path, text in zip((atom, json), texts, strict=True))
        return atom_status, json_status


@register
class FeedArchives(Output):
    kind = "feed archives"
    stage = "publish"
    order = 31

    def __init__(self, job: Job, outputs: Outputs) -> None:
        super().__init__(job, outputs)
        self.pages: dict[str, tuple[int, tuple[Entry, ...]]] = {}  # by unit: its number and its articles

    def units(self) -> Sequence[str]:
        if not self.job.config.base_url:
            return []
        pages = publish.archive_pages(self.job.site)
        self.pages = {str(number): (number, entries) for number, entries in enumerate(pages, start=1)}
        return list(self.pages)

    def fingerprint(self, unit: str, last: OutputRecord) -> str:
        # A document shows its articles and links to the one before it, which exists for every number but 1.
        return self.job.fingerprints.entries_key(self.pages[unit][1])

    def start(self, todo: list[str]) -> Work:
        config = self.job.config
        if config.base_url is None or not todo:
            return Done({})
        archiving = Archiving(self.job.staging.path.absolute(), config.base_url, config.site_title,
                              config.language, config.zone, self.job.bodies)

        def document(i: int) -> tuple[int, tuple[Entry, ...]]:
            number, entries = self.pages[todo[i]]
            # Without their neighbours, which the documents do not show: a third of what is sent.
            return number, tuple(Entry(e.article, e.url) for e in entries)

        # Taken here: the records are made on a thread of their own (see Taken).
        fingerprints = [self.fingerprint(unit, OutputRecord("", ())) for unit in todo]

        def take(chunks: Iterator[list[tuple[FileStatus, FileStatus]]], taken: parallel.Tick) -> dict[str, OutputRecord]:
            made = {}
            units = iter(zip(todo, fingerprints, strict=True))
            for chunk in chunks:
                for statuses in chunk:
                    unit, fingerprint = next(units)
                    made[unit] = OutputRecord(fingerprint, tuple(zip(document_paths(self.pages[unit][0]), statuses, strict=True)))
                taken(len(chunk))
            return made

        # Written while later kinds are made: none of them writes inside feeds/ (see redirects.RESERVED_FOLDERS).
        stack = ExitStack()
        # A few documents are written here: workers take longer to start.
        jobs = self.job.jobs if len(todo) >= IN_WORKERS_FROM else 1
        chunks = stack.enter_context(parallel.in_workers(archiving, len(todo), document, jobs=jobs, chunk=CHUNK))
        return Taken(stack, chunks, take, self.job.progress, "feed archives", len(todo))
