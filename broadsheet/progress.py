"""Progress of the long stages: a bar on a terminal, a few plain lines elsewhere."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO


class Progress:
    """Counts work done in one stage; close() ends the line or bar."""

    def update(self, done: int) -> None:  # pragma: no cover - the silent default
        pass

    def close(self) -> None:  # pragma: no cover
        pass


ProgressFactory = Callable[[str, int], Progress]


def silent(label: str, total: int) -> Progress:
    return Progress()


class _Bar(Progress):
    def __init__(self, label: str, total: int, stream: TextIO) -> None:
        from tqdm import tqdm  # here: only a terminal shows a bar

        # No monitor thread: the build forks workers, and a fork copies no thread.
        tqdm.monitor_interval = 0
        self._bar = tqdm(total=total, desc=label, unit=" items", file=stream, leave=False, dynamic_ncols=True)

    def update(self, done: int) -> None:
        self._bar.update(done)

    def close(self) -> None:
        self._bar.close()


class _Lines(Progress):
    """Logs and CI: a line at each tenth of the way, none for small stages."""

    def __init__(self, label: str, total: int, stream: TextIO) -> None:
        self.label, self.total, self.stream = label, total, stream
        self.done = 0
        self.next_tenth = 1

    def update(self, done: int) -> None:
        self.done += done
        if self.total < 1000:
            return
        while self.next_tenth <= 9 and self.done * 10 >= self.next_tenth * self.total:
            print(f"{self.label}: {self.done}/{self.total}", file=self.stream, flush=True)
            self.next_tenth += 1


def for_stream(stream: TextIO = sys.stderr) -> ProgressFactory:
    if stream.isatty():
        return lambda label, total: _Bar(label, total, stream)
    return lambda label, total: _Lines(label, total, stream)
