"""broadsheet as users install it: a wheel built from the project, installed
into a new virtual environment, run from a folder that is not the checkout."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import PROJECT, txt, write_corpus

# Each builds a wheel and installs it in a new virtual environment.
pytestmark = pytest.mark.slow

# What a build of the package reads: copied, so that the build's own folders
# (build/, *.egg-info) are made in the copy and not in the checkout.
SOURCES = ["pyproject.toml", "README.md", "broadsheet", "site_templates"]
MARK = "/* the installed theme */"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with the wheel installed; the libraries it
    needs are this environment's, through a .pth file, so nothing is downloaded
    for them."""
    root = tmp_path_factory.mktemp("package")
    source = root / "source"
    source.mkdir()
    for name in SOURCES:
        if (PROJECT / name).is_dir():
            shutil.copytree(PROJECT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(PROJECT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    wheels = root / "wheels"
    done = subprocess.run([*pip, "wheel", "--no-deps", "--wheel-dir", str(wheels), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    [wheel] = wheels.glob("broadsheet-*.whl")

    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = _python(venv)
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    # After the environment's own folder on the import path: the wheel's broadsheet comes first.
    folders = [*site.getsitepackages(), *([site.getusersitepackages()] if site.ENABLE_USER_SITE else [])]
    Path(purelib, "dependencies.pth").write_text("\n".join(folders) + "\n", encoding="utf-8")
    done = subprocess.run([*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return venv


def _python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _program(venv: Path) -> Path:
    return venv / ("Scripts/broadsheet.exe" if os.name == "nt" else "bin/broadsheet")


def _run(command: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run([str(part) for part in command], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_installed_package_is_the_wheel_with_its_theme(installed, tmp_path):
    done = _run([_python(installed), "-c", "import broadsheet, broadsheet.config as c; "
                 "print(broadsheet.__file__); print(c.DEFAULT_TEMPLATES)"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    module, theme = (Path(line).resolve() for line in done.stdout.splitlines())
    assert module.is_relative_to(installed.resolve()) and theme == module.parent / "site_templates"
    assert sorted(p.name for p in theme.glob("*.html")) == sorted(p.name for p in (PROJECT / "site_templates").glob("*.html"))


def test_the_installed_program_names_itself(installed, tmp_path):
    program = _run([_program(installed), "--help"], cwd=tmp_path)
    assert program.returncode == 0, program.stderr
    assert program.stdout.startswith("usage: broadsheet ")
    module = _run([_python(installed), "-m", "broadsheet", "--help"], cwd=tmp_path)
    assert module.returncode == 0, module.stderr
    assert module.stdout.startswith("usage: python -m broadsheet ")


def test_the_installed_program_builds_with_the_installed_theme(installed, tmp_path):
    theme = next(installed.rglob("broadsheet/site_templates"))
    css = theme / "assets/site.css"
    css.write_text(css.read_text(encoding="utf-8") + MARK + "\n", encoding="utf-8")
    work = tmp_path / "work"
    write_corpus(work / "corpus", {"first.txt": txt("2023-05-06", "The first story.")})
    done = _run([_python(installed), "-m", "broadsheet", "--source", "corpus", "--out", "site", "--no-search"], cwd=work)
    assert done.returncode == 0, done.stderr
    assert "The first story." in (work / "site/2023/05/06/first/index.html").read_text(encoding="utf-8")
    assert MARK in (work / "site/assets/site.css").read_text(encoding="utf-8")


def test_the_installed_package_brings_the_catalogs_of_its_words(installed, tmp_path):
    work = tmp_path / "work"
    write_corpus(work / "corpus", {"first.txt": txt("2023-05-06", "The first story.")})
    done = _run([_python(installed), "-m", "broadsheet", "--source", "corpus", "--out", "site", "--no-search",
                 "--language", "de"], cwd=work)
    assert done.returncode == 0, done.stderr
    assert "no interface words" not in done.stderr
    page = (work / "site/2023/05/06/first/index.html").read_text(encoding="utf-8")
    assert ">6. Mai 2023</time>" in page and ">Archiv</a>" in page


def test_a_project_from_init_builds_with_the_installed_program(installed, tmp_path):
    done = _run([_program(installed), "init", "news"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["  cd news", "  broadsheet"]
    done = _run([_program(installed), "--no-search"], cwd=tmp_path / "news")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "news/site/2024/01/15/sample-article/index.html").is_file()
    assert (tmp_path / "news/site/assets/site.css").is_file()
