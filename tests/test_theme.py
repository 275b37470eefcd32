"""The theme's icon, its 404 page and its redirect pages, as built files (the
browser tests open them)."""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from broadsheet import favicon
from broadsheet.config import DEFAULT_TEMPLATES

from .conftest import PROJECT, txt, write_corpus
from .html_checks import executable_markup

ASSETS = DEFAULT_TEMPLATES / "assets"
ICON_FILES = ("favicon.svg", "favicon-32.png", "apple-touch-icon.png")
ICON_LINK = re.compile(r'<link rel="(?:icon|apple-touch-icon)" href="([^"]+)"')


def png_parts(data: bytes) -> tuple[bytes, bytes]:
    """The header and the decompressed pixel rows of a PNG: the image, whatever
    the zlib that compressed it."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    chunks: dict[bytes, bytes] = {}
    at = 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        chunks[kind] = chunks.get(kind, b"") + data[at + 8 : at + 8 + length]
        at += 12 + length
    return chunks[b"IHDR"], zlib.decompress(chunks[b"IDAT"])


@pytest.mark.slow
def test_the_icons_are_what_the_drawing_script_makes(tmp_path):
    subprocess.run([sys.executable, str(PROJECT / "tests" / "draw_favicon.py"), str(tmp_path)], check=True, timeout=120)
    assert (tmp_path / "favicon.svg").read_bytes() == (ASSETS / "favicon.svg").read_bytes()
    for name, size in (("favicon-32.png", 32), ("apple-touch-icon.png", 180)):
        header, pixels = png_parts((ASSETS / name).read_bytes())
        assert struct.unpack(">II", header[:8]) == (size, size)
        assert png_parts((tmp_path / name).read_bytes()) == (header, pixels), name


def test_the_svg_icon_is_plain_svg_in_the_site_s_accent():
    svg = (ASSETS / "favicon.svg").read_text(encoding="utf-8")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">')
    accent = re.search(r"--accent: (#[0-9a-f]{6})", (ASSETS / "site.css").read_text(encoding="utf-8"))
    assert accent and f'fill="{accent[1]}"' in svg
    assert "<script" not in svg and "<text" not in svg  # no fonts: the same everywhere


def test_an_ico_holds_the_png_as_it_is():
    png = (ASSETS / "favicon-32.png").read_bytes()
    ico = favicon.ico_from_png(png)
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    width, height, _, _, planes, bits, size, offset = struct.unpack("<BBBBHHII", ico[6:22])
    assert (reserved, kind, count, width, height, planes, bits) == (0, 1, 1, 32, 32, 1, 32)
    assert (size, offset) == (len(png), 22) and ico[22:] == png


@pytest.mark.parametrize(
    ("data", "why"),
    [(b"GIF89a" + bytes(40), "not a PNG"), (b"", "not a PNG"),
     (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + struct.pack(">II", 512, 512) + bytes(9), "at most 256")],
)
def test_what_is_not_a_small_png_makes_no_ico(data, why):
    with pytest.raises(favicon.NotAPng, match=why):
        favicon.ico_from_png(data)


def moved_and_removed(tmp_path: Path, build_site, **settings) -> Path:
    """A site built twice: one article removed, one old address moved by hand."""
    source = write_corpus(tmp_path / "corpus", {
        "kept.txt": txt("2023-02-01", "The ferry opened.", "Then it closed.", "Again."),
        "removed.txt": txt("2023-03-01", "The pier opened."),
    })
    _, out = build_site(source, **settings)
    (source / "removed.txt").unlink()
    (source / "redirects").write_text("old/story/ 2023/02/01/kept/\n", encoding="utf-8")
    result, out = build_site(source, **settings)
    assert [p.message for p in result.problems if "removed" not in p.message] == []
    return out


def test_every_page_names_the_icons_relative_to_itself(tmp_path, build_site):
    out = moved_and_removed(tmp_path, build_site, search=True)
    pages = sorted(p for p in out.rglob("*.html") if "pagefind" not in p.parts)
    assert {"404.html", "old/story/index.html", "2023/03/01/removed/index.html"} <= {p.relative_to(out).as_posix() for p in pages}
    for page in pages:
        links = ICON_LINK.findall(page.read_text(encoding="utf-8"))
        root = "" if page.name == "404.html" else "../" * (len(page.relative_to(out).parts) - 1)
        assert links == [f"{root}assets/{name}" for name in ICON_FILES], page
        assert all((page.parent / link).is_file() for link in links)
    assert all((out / "assets" / name).is_file() for name in ICON_FILES)
    assert (out / "favicon.ico").read_bytes() == favicon.ico_from_png((ASSETS / "favicon-32.png").read_bytes())


def test_an_icon_of_one_s_own_replaces_the_theme_s(tmp_path, build_site):
    mine = tmp_path / "mine" / "assets"
    mine.mkdir(parents=True)
    svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>\n'
    (mine / "favicon.svg").write_text(svg, encoding="utf-8")
    png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + struct.pack(">II", 16, 16) + b"\x08\x06\0\0\0" + bytes(4)
    (mine / "favicon-32.png").write_bytes(png)
    source = write_corpus(tmp_path / "corpus", {"a.txt": txt("2023-02-01", "Text.")})
    result, out = build_site(source, templates=tmp_path / "mine")
    assert result.problems == []
    assert (out / "assets" / "favicon.svg").read_text(encoding="utf-8") == svg
    assert (out / "favicon.ico").read_bytes() == favicon.ico_from_png(png)
    # What the folder does not replace stays the theme's.
    assert (out / "assets" / "apple-touch-icon.png").read_bytes() == (ASSETS / "apple-touch-icon.png").read_bytes()


def test_the_theme_s_scripts_are_minified_and_one_s_own_are_as_written(tmp_path, build_site):
    mine = tmp_path / "mine" / "assets"
    mine.mkdir(parents=True)
    script = "// Mine, with its comment.\nwindow.mine = 1;\n"
    (mine / "highlight.js").write_text(script, encoding="utf-8")
    source = write_corpus(tmp_path / "corpus", {"a.txt": txt("2023-02-01", "Text.")})
    _, out = build_site(source, templates=tmp_path / "mine")
    assert (out / "assets" / "highlight.js").read_text(encoding="utf-8") == script
    for name in ("search.js", "offline-search.js", "snowball/base.js", "snowball/english.js"):
        theirs, written = (ASSETS / name).read_text(encoding="utf-8"), (out / "assets" / name).read_text(encoding="utf-8")
        assert len(written) < 0.7 * len(theirs), name
        assert "\n//" not in written and "    " not in written, name  # no comment line, no indent
    assert "api.search=function(" in (out / "assets" / "offline-search.js").read_text(encoding="utf-8")  # the code, whole


def test_a_png_icon_that_is_no_png_gives_one_warning_and_no_ico(tmp_path, build_site):
    mine = tmp_path / "mine" / "assets"
    mine.mkdir(parents=True)
    (mine / "favicon-32.png").write_text("<svg/>", encoding="utf-8")
    source = write_corpus(tmp_path / "corpus", {"a.txt": txt("2023-02-01", "Text.")})
    result, out = build_site(source, templates=tmp_path / "mine")
    assert [str(p) for p in result.problems] == [
        f"warning: {mine / 'favicon-32.png'}: not a PNG image; no favicon.ico written"
    ]
    assert not (out / "favicon.ico").exists() and (out / "index.html").is_file()
    assert (mine / "favicon-32.png").read_text(encoding="utf-8") == "<svg/>"


@pytest.mark.parametrize("base_url", [None, "https://example.org/news/"])
def test_the_not_found_page_takes_its_base_only_when_served(tmp_path, build_site, base_url):
    source = write_corpus(tmp_path / "corpus", {"a.txt": txt("2023-02-01", "Text.")})
    _, out = build_site(source, base_url=base_url)
    html = (out / "404.html").read_text(encoding="utf-8")
    base = "/news/" if base_url else "/"
    assert html.count("<base ") == 1 and f'<base href="{base}">' in html
    # The base comes before anything that loads, and the script that takes it
    # away on file:// right after it.
    head = html[: html.index("</head>")]
    assert head.index("<base ") < head.index("<script>") < head.index('rel="stylesheet"')
    assert 'location.protocol === "file:"' in head and 'a[href^="#"]' in head
    assert executable_markup(html) == []


def test_a_redirect_page_sends_the_fragment_on_before_its_refresh(tmp_path, build_site):
    out = moved_and_removed(tmp_path, build_site)
    html = (out / "old/story/index.html").read_text(encoding="utf-8")
    script = '<script>location.replace("../../2023/02/01/kept/index.html" + location.hash);</script>'
    assert script in html
    assert html.index(script) < html.index('<meta http-equiv="refresh" content="0; url=../../2023/02/01/kept/index.html">')
    assert executable_markup(html) == []  # a refresh to a page of the site, by a relative address


def test_the_markup_check_knows_the_theme_s_scripts_from_others():
    theirs = '<script>location.replace("x/" + location.hash); alert(1);</script>'
    assert executable_markup(theirs) == [f"inline script {theirs[8:-9]!r}"]
    assert executable_markup("<script>alert(1)</script>") == ["inline script 'alert(1)'"]
    assert executable_markup('<script>location.replace("a%22/index.html" + location.hash);</script>') == []
