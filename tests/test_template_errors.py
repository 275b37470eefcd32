"""A broken user template: one line naming the template file and line, exit 1,
and the previous site stays."""

from __future__ import annotations

import contextlib
import hashlib
import io
from pathlib import Path

import pytest

from broadsheet.cli import main

from .conftest import txt, write_corpus

# name → (template file, its text, the line the error is on, what the line says)
BROKEN = {
    "syntax-error": ("article.html", "{% extends 'base.html' %}\n{% block main %}\n{{ article.title( }}\n{% endblock %}\n", 3, "unexpected"),
    "unclosed-block": ("index.html", "{% extends 'base.html' %}\n{% block main %}\n{% for x in listing.entries %}\n{% endblock %}\n", 4, "Encountered unknown tag 'endblock'"),
    "unknown-variable": ("article.html", "{% extends 'base.html' %}\n{% block main %}\n\n{{ headline }}\n{% endblock %}\n", 4, "'headline' is undefined"),
    "unknown-attribute": ("article.html", "{% extends 'base.html' %}\n{% block main %}\n{{ article.headline }}\n{% endblock %}\n", 3, "has no attribute 'headline'"),
    "unknown-filter": ("article.html", "{% extends 'base.html' %}\n{% block main %}\n{{ article.title|shout }}\n{% endblock %}\n", 3, "No filter named 'shout'"),
    "error-at-render-time": ("article.html", "{% extends 'base.html' %}\n{% block main %}\n\n\n{{ 1 // 0 }}\n{% endblock %}\n", 5, "ZeroDivisionError"),
    "type-error": ("index.html", "{% extends 'base.html' %}\n{% block main %}\n{{ listing.number + 'x' }}\n{% endblock %}\n", 3, "TypeError"),
    "missing-include": ("article.html", "{% extends 'base.html' %}\n{% block main %}\n{% include 'nowhere.html' %}\n{% endblock %}\n", 3, "'nowhere.html' not found"),
    "endless-include": ("article.html", "{% extends 'base.html' %}\n{% block main %}\n{% include 'article.html' %}\n{% endblock %}\n", 3, "RecursionError"),
    "broken-base": ("base.html", "<!doctype html>\n<title>{% block title %}{% endblock %}</title>\n{% if %}\n", 3, "Expected an expression"),
    "base-error-at-render-time": ("base.html", "<!doctype html>\n\n{{ site.nothing.here }}\n", 3, "has no attribute 'nothing'"),
    "not-utf8": ("article.html", "{% extends 'base.html' %}\n{% block main %}\n\xff\n{% endblock %}\n", 3, "not valid UTF-8"),
}


def run(*args: str) -> tuple[int, list[str]]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main([*args, "--no-search"])
    return code, err.getvalue().splitlines()


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_template_is_one_line_naming_file_and_line(case, tmp_path):
    name, text, line, message = BROKEN[case]
    source = write_corpus(tmp_path / "src", {"a.txt": txt("2023-01-01", "A story."), "b.txt": txt("2023-02-01", "Another.")})
    out = tmp_path / "site"
    assert run("--source", str(source), "--out", str(out))[0] == 0
    before = digest(out)
    templates = tmp_path / "mine"
    templates.mkdir()
    data = text.encode("latin-1") if case == "not-utf8" else text.encode("utf-8")
    (templates / name).write_bytes(data)

    code, lines = run("--source", str(source), "--out", str(out), "--templates", str(templates))

    assert code == 1
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: template error: {templates / name}:{line}: "), lines
    assert message in lines[0]
    assert digest(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".broadsheet")] == []
