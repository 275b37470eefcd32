"""Lead images of articles and the site's logo: read, checked, copied, shown
and announced (Open Graph, schema.org, feeds), read back by real parsers."""

from __future__ import annotations

import json
import os
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import extruct
import feedparser
import pytest

from broadsheet import images
from broadsheet.cli import main
from broadsheet.config import Config, ConfigError, validate

from .conftest import write_corpus
from .image_files import gif, jpeg, png, svg, webp

BASE = "https://example.org/news/"
PAGE = "2024/03/01/harbour/"


def md(image: str | None = "pic.png", alt: str | None = "The harbour at dawn", *, date: str = "2024-03-01",
       title: str = "Harbour") -> str:
    lines = [f"title: {title}", f"date: {date}"]
    if image is not None:
        lines.append(f"image: {json.dumps(image)}")
    if alt is not None:
        lines.append(f"image_alt: {json.dumps(alt)}")
    return "---\n" + "\n".join(lines) + "\n---\n\nBoats came in at dawn.\n"


class Elements(HTMLParser):
    """Every element of a page with its attributes, as a browser's parser reads them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.found if name == tag]


def warnings_of(result) -> list[str]:
    return [str(p) for p in result.problems]


# Reading images


@pytest.mark.parametrize(("data", "kind", "size"), [
    (png(40, 30), "image/png", (40, 30)),
    (gif(7, 9), "image/gif", (7, 9)),
    (jpeg(640, 480), "image/jpeg", (640, 480)),
    (webp(1200, 630), "image/webp", (1200, 630)),
    (svg('width="120" height="80px"'), "image/svg+xml", (120, 80)),
    (svg('viewBox="0 0 300 150"'), "image/svg+xml", (300, 150)),
    (svg('width="10em" height="5em"'), "image/svg+xml", None),
])
def test_the_type_and_size_are_read_from_the_bytes(data: bytes, kind: str, size) -> None:
    assert images.sniff(data) == kind
    assert images.dimensions(data, kind) == size


@pytest.mark.parametrize("data", [b"", b"hello", b"<html><svg></svg></html>", b"%PDF-1.7", png(2, 2)[:4]])
def test_other_bytes_are_no_image(data: bytes) -> None:
    assert images.sniff(data) is None


@pytest.mark.parametrize("content", [
    '<script>alert(1)</script>', '<rect onload="alert(1)"/>', '<a href="javascript:alert(1)"><text>x</text></a>',
    '<foreignObject><p>x</p></foreignObject>', '<image href="https://tracker.example/x.png"/>',
])
def test_an_svg_that_could_run_code_or_load_things_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "x.svg"
    path.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4">{content}</svg>')
    with pytest.raises(images.NotAnImage, match="SVG with scripts"):
        images.read_image(str(path))


def test_an_svg_with_links_inside_itself_is_taken(tmp_path: Path) -> None:
    path = tmp_path / "x.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><use href="#a"/></svg>')
    assert images.read_image(str(path)).type == "image/svg+xml"


# A site with an image


@pytest.fixture
def imaged(tmp_path: Path, build_site):
    picture = png(40, 30)
    write_corpus(tmp_path / "logo", {"mark.png": png(60, 60)})
    source = write_corpus(tmp_path / "corpus", {"2024/harbour.md": md(), "2024/pic.png": picture})
    result, out = build_site(source, base_url=BASE, logo=tmp_path / "logo" / "mark.png")
    return result, out, picture


def test_the_image_is_copied_beside_the_page_byte_for_byte(imaged) -> None:
    result, out, picture = imaged
    assert warnings_of(result) == []
    assert (out / PAGE / "pic.png").read_bytes() == picture
    assert (out / "logo.png").read_bytes() == png(60, 60)


def test_the_page_shows_the_image_with_its_size_and_alt_kept_out_of_search(imaged) -> None:
    _, out, _ = imaged
    page = Elements((out / PAGE / "index.html").read_text())
    (img,) = page.all("img")
    assert img == {"src": "pic.png", "alt": "The harbour at dawn", "width": "40", "height": "30",
                   "loading": "eager", "decoding": "async"}
    (figure,) = page.all("figure")
    assert figure["class"] == "article-image" and "data-pagefind-ignore" in figure
    # Pagefind's own image metadata stays empty: the picture's name is never searched.
    assert page.all("h1")[0]["data-pagefind-meta"] == "title, image:"


def test_open_graph_and_schema_org_name_the_image_and_the_logo(imaged) -> None:
    _, out, _ = imaged
    data = extruct.extract((out / PAGE / "index.html").read_text(), base_url=BASE + PAGE,
                           syntaxes=["opengraph", "json-ld"], uniform=True)
    (og,) = data["opengraph"]
    assert og["og:image"] == BASE + PAGE + "pic.png"
    assert (og["og:image:width"], og["og:image:height"]) == ("40", "30")
    assert og["og:image:alt"] == "The harbour at dawn" and og["og:image:type"] == "image/png"
    (article,) = data["json-ld"]
    assert article["@type"] == "NewsArticle"
    assert article["image"] == [{"@type": "ImageObject", "url": BASE + PAGE + "pic.png", "width": 40, "height": 30}]
    assert article["publisher"]["logo"] == {"@type": "ImageObject", "url": BASE + "logo.png", "width": 60, "height": 60}


def test_the_feeds_carry_the_image_by_its_absolute_address(imaged) -> None:
    _, out, picture = imaged
    atom = feedparser.parse(str(out / "feed.xml"))
    assert not atom.bozo
    (entry,) = atom.entries
    assert entry.enclosures == [{"href": BASE + PAGE + "pic.png", "type": "image/png", "length": str(len(picture))}]
    assert [link.rel for link in entry.links].count("alternate") == 1
    json_feed = json.loads((out / "feed.json").read_text())
    assert json_feed["version"] == "https://jsonfeed.org/version/1.1"
    assert json_feed["items"][0]["image"] == BASE + PAGE + "pic.png"


def test_without_a_base_url_the_page_shows_the_image_but_announces_none(tmp_path: Path, build_site) -> None:
    source = write_corpus(tmp_path / "corpus", {"2024/harbour.md": md(), "2024/pic.png": png(4, 3)})
    result, out = build_site(source)
    html = (out / PAGE / "index.html").read_text()
    assert Elements(html).all("img")[0]["src"] == "pic.png"
    data = extruct.extract(html, syntaxes=["opengraph", "json-ld"], uniform=True)
    assert "og:image" not in data["opengraph"][0]
    assert "image" not in data["json-ld"][0]
    assert (out / PAGE / "pic.png").read_bytes() == png(4, 3)


def test_a_remote_image_is_named_by_its_address(tmp_path: Path, build_site) -> None:
    source = write_corpus(tmp_path / "corpus", {"2024/harbour.md": md("https://cdn.example.net/a b.jpg")})
    result, out = build_site(source, base_url=BASE)
    assert warnings_of(result) == []
    html = (out / PAGE / "index.html").read_text()
    assert Elements(html).all("img")[0]["src"] == "https://cdn.example.net/a%20b.jpg"
    og = extruct.extract(html, syntaxes=["opengraph"], uniform=True)["opengraph"][0]
    assert og["og:image"] == "https://cdn.example.net/a%20b.jpg"
    assert not list(out.rglob("*.jpg"))


# What is wrong with an image: one warning, and the article without it


@pytest.mark.parametrize(("image", "files", "warning"), [
    ("pic.jpg", {}, "image 'pic.jpg' not found beside the article; no image"),
    ("../../secret.png", {}, "image '../../secret.png' is outside the source folder; no image"),
    ("/etc/hostname", {}, "image '/etc/hostname' is outside the source folder; no image"),
    ("notes.png", {"2024/notes.png": b"just some text"},
     "image 'notes.png' is not a PNG, JPEG, GIF, WebP, AVIF or SVG image; no image"),
    ("pic.html", {"2024/pic.html": png(2, 2)},
     "image 'pic.html' is image/png but its name does not end in .png; no image"),
    ("javascript:alert(1)", {}, "image 'javascript:alert(1)' not found beside the article; no image"),
])
def test_an_image_that_cannot_be_used_is_one_warning_and_the_article_is_built(
    tmp_path: Path, build_site, image: str, files: dict, warning: str
) -> None:
    source = write_corpus(tmp_path / "corpus", {"2024/harbour.md": md(image), "2024/other.md": md(None, title="Other"),
                                                **files})
    result, out = build_site(source, base_url=BASE)
    assert warnings_of(result) == [f"warning: 2024/harbour.md: {warning}"]
    html = (out / PAGE / "index.html").read_text()
    assert Elements(html).all("img") == [] and "og:image" not in html
    assert result.articles == 2


def test_an_image_link_that_leads_outside_the_source_folder_is_refused(tmp_path: Path, build_site) -> None:
    (tmp_path / "outside.png").write_bytes(png(2, 2))
    source = write_corpus(tmp_path / "corpus", {"2024/harbour.md": md()})
    (source / "2024" / "pic.png").symlink_to(tmp_path / "outside.png")
    result, out = build_site(source)
    assert warnings_of(result) == ["warning: 2024/harbour.md: image 'pic.png' leads outside the source folder; no image"]
    assert not (out / PAGE / "pic.png").exists()


def test_an_image_without_alt_is_one_warning_and_an_empty_alt_none(tmp_path: Path, build_site) -> None:
    source = write_corpus(tmp_path / "corpus", {
        "2024/harbour.md": md(alt=None), "2024/pic.png": png(2, 2),
        "2024/quay.md": md(alt="", date="2024-03-02", title="Quay"),
    })
    result, out = build_site(source)
    assert warnings_of(result) == ["warning: 2024/harbour.md: image has no image_alt; shown with an empty alt"]
    assert Elements((out / PAGE / "index.html").read_text()).all("img")[0]["alt"] == ""


def test_no_image_name_or_alt_becomes_markup(tmp_path: Path, build_site) -> None:
    name = "\"><script>alert(1)'.png"  # a file name has no slash
    alt = "</figure><script>alert(2)</script>\" onerror=\"alert(3)"
    source = write_corpus(tmp_path / "corpus", {"2024/harbour.md": md(name, alt), f"2024/{name}": png(3, 3)})
    result, out = build_site(source, base_url=BASE)
    assert warnings_of(result) == []
    html = (out / PAGE / "index.html").read_text()
    page = Elements(html)
    assert page.all("script") == [{"type": "application/ld+json"}]
    (img,) = page.all("img")
    assert img["alt"] == alt and "onerror" not in img
    assert (out / PAGE / unquote(img["src"] or "")).read_bytes() == png(3, 3)
    (article,) = extruct.extract(html, syntaxes=["json-ld"], uniform=True)["json-ld"]
    assert article["image"][0]["url"].startswith(BASE + PAGE + "%22%3E%3Cscript%3E")


# Rebuilds


def test_a_rebuild_keeps_an_unchanged_image_and_copies_a_changed_one(tmp_path: Path, build_site) -> None:
    source = write_corpus(tmp_path / "corpus", {"2024/harbour.md": md(), "2024/pic.png": png(4, 3)})
    first, out = build_site(source, base_url=BASE)
    copied = (out / PAGE / "pic.png").stat()
    again, _ = build_site(source, base_url=BASE)
    assert again.in_place and again.rendered == 0
    assert (out / PAGE / "pic.png").stat().st_ino == copied.st_ino
    assert (out / PAGE / "pic.png").stat().st_mtime_ns == copied.st_mtime_ns
    # Another picture of another size, the article untouched: the copy and the page follow.
    (source / "2024" / "pic.png").write_bytes(png(8, 5))
    third, _ = build_site(source, base_url=BASE)
    assert third.rendered >= 1
    assert (out / PAGE / "pic.png").read_bytes() == png(8, 5)
    assert 'width="8" height="5"' in (out / PAGE / "index.html").read_text()
    # The picture gone: one warning, and the page and the folder without it.
    (source / "2024" / "pic.png").unlink()
    fourth, _ = build_site(source, base_url=BASE)
    assert warnings_of(fourth) == ["warning: 2024/harbour.md: image 'pic.png' not found beside the article; no image"]
    assert not (out / PAGE / "pic.png").exists()
    assert "<img" not in (out / PAGE / "index.html").read_text()


# The logo setting


def test_a_logo_that_is_missing_or_no_image_is_a_bad_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^logo .*nothere\.png not found$"):
        validate(Config(source=tmp_path, out=tmp_path / "site", logo=tmp_path / "nothere.png"))
    (tmp_path / "logo.png").write_text("not a picture")
    with pytest.raises(ConfigError, match=r"^logo .*logo\.png is not a PNG, JPEG, GIF, WebP, AVIF or SVG image$"):
        validate(Config(source=tmp_path, out=tmp_path / "site", logo=tmp_path / "logo.png"))


def test_a_missing_logo_is_one_error_line_and_exit_1(tmp_path: Path, capsys) -> None:
    source = write_corpus(tmp_path / "corpus", {"2024/harbour.md": md(None)})
    code = main(["--source", str(source), "--out", str(tmp_path / "site"), "--logo", "missing.svg"])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "logo missing.svg not found" in err[0]


def test_pages_without_an_image_of_their_own_show_the_logo_to_open_graph(tmp_path: Path, build_site) -> None:
    (tmp_path / "logo.svg").write_bytes(svg('viewBox="0 0 64 32"'))
    source = write_corpus(tmp_path / "corpus", {"2024/harbour.md": md(None)})
    result, out = build_site(source, base_url=BASE, logo=tmp_path / "logo.svg")
    assert (out / "logo.svg").read_bytes() == svg('viewBox="0 0 64 32"')
    for page in (PAGE + "index.html", "index.html", "archive/index.html"):
        (og,) = extruct.extract((out / page).read_text(), syntaxes=["opengraph"], uniform=True)["opengraph"]
        assert og["og:image"] == BASE + "logo.svg", page
    (article,) = extruct.extract((out / PAGE / "index.html").read_text(), syntaxes=["json-ld"], uniform=True)["json-ld"]
    assert "image" not in article
    assert article["publisher"]["logo"] == {"@type": "ImageObject", "url": BASE + "logo.svg", "width": 64, "height": 32}


def test_the_links_to_images_are_whole(tmp_path: Path, build_site) -> None:
    source = write_corpus(tmp_path / "corpus", {"2024/harbour.md": md("photos/the pic.png"),
                                                "2024/photos/the pic.png": png(2, 2)})
    result, out = build_site(source, check=True)
    assert result.broken_links == [] and warnings_of(result) == []
    assert Elements((out / PAGE / "index.html").read_text()).all("img")[0]["src"] == "the%20pic.png"
    assert (out / PAGE / "the pic.png").is_file()


def test_a_rebuild_reads_only_the_images_that_changed(tmp_path: Path, build_site, monkeypatch) -> None:
    source = write_corpus(tmp_path / "corpus", {
        "2024/harbour.md": md(), "2024/pic.png": png(4, 3),
        "2024/quay.md": md("quay.png", date="2024-03-02", title="Quay"), "2024/quay.png": png(5, 5),
    })
    past = time.time() - 60  # files of a real corpus were written a while before the build
    for path in source.rglob("*"):
        os.utime(path, (past, past))
    build_site(source)
    read = []
    real = images.read_image
    monkeypatch.setattr(images, "read_image", lambda path: read.append(Path(path).name) or real(path))
    build_site(source)
    assert read == []
    (source / "2024" / "quay.png").write_bytes(png(6, 6))
    again, out = build_site(source)
    assert read == ["quay.png"]
    assert 'width="6" height="6"' in (out / "2024/03/02/quay/index.html").read_text()
    # A full build trusts nothing it kept.
    build_site(source, incremental=False)
    assert sorted(read) == ["pic.png", "quay.png", "quay.png"]


def test_a_changed_logo_is_copied_again_and_named_anew(tmp_path: Path, build_site) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(png(60, 60))
    # An article with an image of its own: its template does not read the logo, its schema.org data does.
    source = write_corpus(tmp_path / "corpus", {"2024/harbour.md": md(), "2024/pic.png": png(2, 2)})
    build_site(source, base_url=BASE, logo=logo)
    logo.write_bytes(png(90, 30))
    again, out = build_site(source, base_url=BASE, logo=logo)
    assert again.in_place and (out / "logo.png").read_bytes() == png(90, 30)
    (article,) = extruct.extract((out / PAGE / "index.html").read_text(), syntaxes=["json-ld"], uniform=True)["json-ld"]
    assert (article["publisher"]["logo"]["width"], article["publisher"]["logo"]["height"]) == (90, 30)


def test_serve_watches_the_logo(tmp_path: Path) -> None:
    from broadsheet.serve import Inputs

    (tmp_path / "logo.png").write_bytes(png(2, 2))
    config = validate(Config(source=tmp_path, out=tmp_path / "site", logo=tmp_path / "logo.png"))
    assert (tmp_path / "logo.png").resolve() in Inputs.of(config, None).files
