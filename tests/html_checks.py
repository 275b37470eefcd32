"""Checks that a built page holds no executable markup from its content."""

from __future__ import annotations

import functools
import json
import re
from html.parser import HTMLParser
from pathlib import Path

# The only scripts a page may load: the site's own, by a relative address.
SITE_SCRIPTS = re.compile(r"^(\.\./)*assets/(search|offline-search|highlight)\.js$")
THEME = Path(__file__).resolve().parent.parent / "site_templates"
# The only scripts a page may hold: the theme's own.  A redirect page's names
# the new address, which quote() has made letters, digits and -._~/% only.
REDIRECT_SCRIPT = re.compile(r'location\.replace\("[A-Za-z0-9._~/%-]*" \+ location\.hash\);')

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "data", "srcset", "xlink:href", "cite", "background"}
# Elements no template makes, and that content must never create.
FOREIGN_ELEMENTS = {"img", "iframe", "object", "embed", "textarea", "svg", "math", "style", "frame", "video", "audio"}
_INVISIBLE_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")


@functools.cache
def _inline_scripts(template: str) -> frozenset[str]:
    """The inline scripts of a theme template that has no expression in them."""
    return frozenset(re.findall(r"<script>(.*?)</script>", (THEME / template).read_text(encoding="utf-8"), re.DOTALL))


def _theme_script(text: str) -> bool:
    return text in _inline_scripts("404.html") or REDIRECT_SCRIPT.fullmatch(text) is not None


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []
        self.text: list[str] = []
        self._in_script = False
        self._script: list[str] | None = None  # the text of an inline script
        self._data_block: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script" and values == {"type": "application/ld+json"}:
            # A data block (JSON-LD), which browsers never run; it must hold
            # nothing but JSON, or content has broken out of it.
            self._data_block = []
        elif tag == "script" and not values:
            self._script = []
        elif tag == "script":
            self._in_script = True
            if not SITE_SCRIPTS.match(values.get("src", "")):
                self.findings.append(f"script element {values}")
        if tag in FOREIGN_ELEMENTS:
            self.findings.append(f"<{tag}> element")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            # The site's own redirect pages lead to a page of the site, by a relative address.
            target = values.get("content", "").partition("url=")[2]
            if not target or re.match(r"[a-z][a-z0-9+.-]*:|//", _INVISIBLE_IN_SCHEME.sub("", target).lower()):
                self.findings.append(f"meta refresh {values.get('content')!r}")
        for name, value in values.items():
            if name.startswith("on"):
                self.findings.append(f"event handler attribute {name}={value!r} on <{tag}>")
            if name in URL_ATTRIBUTES or name == "content" and tag == "meta" and "url=" in value.lower():
                scheme = _INVISIBLE_IN_SCHEME.sub("", value).lower()
                if scheme.startswith(("javascript:", "vbscript:", "data:text/html")):
                    self.findings.append(f"script URL {name}={value!r} on <{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._in_script = False
            self._script = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
            if self._script is not None:
                text = "".join(self._script)
                if not _theme_script(text):
                    self.findings.append(f"inline script {text[:60]!r}")
                self._script = None
            if self._data_block is not None:
                try:
                    json.loads("".join(self._data_block))
                except ValueError:
                    self.findings.append(f"data block that is not JSON {''.join(self._data_block)[:60]!r}")
                self._data_block = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)
            return
        if self._data_block is not None:
            self._data_block.append(data)
            return
        if self._in_script and data.strip():
            self.findings.append(f"inline script {data[:60]!r}")
        self.text.append(data)


def executable_markup(html: str) -> list[str]:
    """Everything in `html` that could run code: empty for a safe page."""
    scan = _Scan()
    scan.feed(html)
    scan.close()
    return scan.findings


def page_text(html: str) -> str:
    """The text of a page as a reader sees it (entities decoded)."""
    scan = _Scan()
    scan.feed(html)
    scan.close()
    return "".join(scan.text)


def unsafe_pages(site: Path) -> dict[str, list[str]]:
    """Pages of a built site with executable markup, and what was found."""
    found = {}
    for page in sorted(site.rglob("*.html")):
        if "pagefind" in page.relative_to(site).parts:
            continue
        findings = executable_markup(page.read_text(encoding="utf-8"))
        if findings:
            found[page.relative_to(site).as_posix()] = findings
    return found


def is_redirect_page(page: Path) -> bool:
    """A page that only sends the reader on: at an old address, or at a folder
    that holds no page of its own (such as 2023/11/11/)."""
    return 'http-equiv="refresh"' in page.read_text(encoding="utf-8")
