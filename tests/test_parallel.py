"""Work in other processes: results and failures come back as if the work had run here."""

from __future__ import annotations

import os

import pytest

from broadsheet import parallel


def test_work_beside_gives_its_result_from_another_process():
    here = os.getpid()
    beside = parallel.Beside(lambda: (os.getpid(), [1, 2, 3]))
    pid, value = beside.join()
    assert value == [1, 2, 3] and pid != here


def _fail() -> None:
    raise OSError(28, "No space left on device")


def test_work_beside_that_fails_raises_its_error_when_joined():
    beside = parallel.Beside(_fail)
    with pytest.raises(OSError, match="No space left"):
        beside.join()


def test_work_beside_that_dies_is_an_error():
    beside = parallel.Beside(lambda: os._exit(3))
    with pytest.raises(RuntimeError, match="exit code 3"):
        beside.join()


def test_work_beside_can_be_stopped():
    beside = parallel.Beside(lambda: __import__("time").sleep(60))
    beside.stop()
    with pytest.raises(RuntimeError, match="exit code -15"):  # ended by SIGTERM
        beside.join()
