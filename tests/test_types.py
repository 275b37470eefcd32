"""The package's type hints agree with its code, as mypy checks them."""

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import PROJECT


@pytest.mark.slow
def test_mypy_finds_no_type_errors_in_the_package(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache"), "broadsheet"],
        cwd=PROJECT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success:")
