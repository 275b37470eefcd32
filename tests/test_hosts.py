"""The redirect files of web hosts: their grammar, their escaping, and their
place in the output folder build after build."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadsheet import hosts as hosts_module
from broadsheet.build import BuildError
from broadsheet.hosts import APACHE, FILES, NETLIFY, NGINX, host_files
from broadsheet.redirects import GONE, MOVED, PAGE, RECORD, folder_moves, parse_record
from broadsheet.render import Renderer
from broadsheet.write import MARKER

from .conftest import txt
from .html_checks import is_redirect_page
from .test_redirects import FIRST, second_corpus
from .test_reproducible import files_of

MOVES = [("2023/01/05/a/", "2023/01/09/a/"), ("old/story.html", "2023/01/09/a/"), ("2023/", "archive/2023/")]
GONE_ADDRESSES = ["2023/02/05/b/"]

# Statuses a _redirects line of these files may have (Netlify's grammar; Cloudflare
# Pages applies only those without "!" among 200, 301, 302, 303, 307 and 308).
STATUSES = {"301", "301!", "410!", "404"}
CLOUDFLARE_STATUSES = {"200", "301", "302", "303", "307", "308"}


def redirect_rules(text: str, base: str) -> list[tuple[str, str, str]]:
    """The rules of a _redirects file, each line checked against the grammar:
    a comment, or FROM TO STATUS with both paths under the base path."""
    rules = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#"):
            continue
        words = line.split()
        assert len(words) == 3 and " ".join(words) == line, f"line {number}: {line!r}"
        source, target, status = words
        assert source.startswith(base) and target.startswith(base), f"line {number}: {line!r}"
        assert status in STATUSES, f"line {number}: {line!r}"
        assert line.isascii() and line.isprintable(), f"line {number}: {line!r}"
        # No placeholder (":name") and no splat but in the last rule.
        assert not re.search(r":[A-Za-z]", source + target), f"line {number}: {line!r}"
        assert "*" not in source or source == base + "*", f"line {number}: {line!r}"
        rules.append((source, target, status))
    return rules


def first_rules(rules: list[tuple[str, str, str]], statuses: set[str] | None = None) -> dict[str, tuple[str, str]]:
    """The rule that applies at each path: the first one (of those with one of
    `statuses`), as both hosts apply them."""
    applied: dict[str, tuple[str, str]] = {}
    for source, target, status in rules:
        if statuses is None or status in statuses:
            applied.setdefault(source, (target, status))
    return applied


@pytest.mark.parametrize("base", ["/news/", "/"])
def test_redirects_file_follows_the_grammar_and_forces_each_rule(base):
    text = host_files(MOVES, GONE_ADDRESSES, base)[NETLIFY]
    rules = redirect_rules(text, base)
    assert first_rules(rules) == {
        f"{base}2023/": (f"{base}archive/2023/", "301!"),
        f"{base}2023/index.html": (f"{base}archive/2023/", "301!"),
        f"{base}2023/01/05/a/": (f"{base}2023/01/09/a/", "301!"),
        f"{base}2023/01/05/a/index.html": (f"{base}2023/01/09/a/", "301!"),
        f"{base}old/story.html": (f"{base}2023/01/09/a/", "301!"),
        f"{base}2023/02/05/b/": (f"{base}2023/02/05/b/index.html", "410!"),
        f"{base}2023/02/05/b/index.html": (f"{base}2023/02/05/b/index.html", "410!"),
        f"{base}*": (f"{base}404.html", "404"),
    }
    assert rules[-1] == (f"{base}*", f"{base}404.html", "404")
    # Cloudflare Pages skips the forced lines and the statuses it has not: each move is there for it too.
    assert first_rules(rules, CLOUDFLARE_STATUSES) == {
        source: (target, "301") for source, (target, status) in first_rules(rules).items() if status == "301!"
    }


def test_the_files_are_sorted_and_the_same_for_the_same_moves_in_any_order():
    files = host_files(MOVES, GONE_ADDRESSES, "/news/")
    shuffled = MOVES * 2
    random.Random(4).shuffle(shuffled)
    assert host_files(shuffled, GONE_ADDRESSES * 2, "/news/") == files
    assert sorted(files) == sorted(FILES)
    sources = [line.split()[0] for line in files[NETLIFY].splitlines() if not line.startswith("#")][:-1]
    assert sources == sorted(sources)
    assert all(text.endswith("\n") and "\r" not in text for text in files.values())


def test_a_move_wins_over_gone_and_the_first_move_of_an_address_is_kept():
    text = host_files([("a/", "c/"), ("a/", "b/")], ["a/", "d/"], "/")[NETLIFY]
    assert first_rules(redirect_rules(text, "/")) == {
        "/a/": ("/b/", "301!"), "/a/index.html": ("/b/", "301!"),
        "/d/": ("/d/index.html", "410!"), "/d/index.html": ("/d/index.html", "410!"),
        "/*": ("/404.html", "404"),
    }


def test_addresses_are_percent_encoded_in_urls_and_escaped_in_patterns():
    files = host_files([("caf\u00e9 au lait/", "new page/")], ["it's $HOME;{x}/"], "/n\u00e9ws/")
    assert "/n%C3%A9ws/caf%C3%A9%20au%20lait/ /n%C3%A9ws/new%20page/ 301!" in files[NETLIFY].splitlines()
    assert "/n%C3%A9ws/it's%20$HOME;%7Bx%7D/ /n%C3%A9ws/it's%20$HOME;%7Bx%7D/index.html 410!" in files[NETLIFY]
    assert (r"RewriteRule ^caf\xc3\xa9\x20au\x20lait/$ /n\%C3\%A9ws/new\%20page/ [R=301,NE,L]"
            in files[APACHE].splitlines())
    assert (r"RewriteRule ^it\x27s\x20\x24HOME\x3b\x7bx\x7d/index\x2ehtml$ - "
            r"[G,E=BROADSHEET_GONE:it\%27s\%20\%24HOME\%3B\%7Bx\%7D/index.html]" in files[APACHE].splitlines())
    assert 'location = "/n\u00e9ws/caf\u00e9 au lait/" { return 301 /n%C3%A9ws/new%20page/; }' in files[NGINX]
    assert "ErrorDocument 404 /n%C3%A9ws/404.html" in files[APACHE]
    assert "error_page 404 /n%C3%A9ws/404.html;" in files[NGINX]


# --- nothing in an address can add a rule -------------------------------------------------

_NGINX_STRING = r'"((?:[^"\\\n]|\\.)*)"'
_NGINX_LINE = re.compile(
    rf"location = {_NGINX_STRING} \{{ (?:return 301 [A-Za-z0-9/%._~-]+;|error_page 410 @broadsheet_gone; return 410;) \}}"
)
_ENCODED = r"(?:[A-Za-z0-9/._~-]|\\%[0-9A-F]{2})+"
_APACHE_RULE = re.compile(
    rf"RewriteRule (\^(?:[A-Za-z0-9/_-]|\\x[0-9a-f]{{2}})*\$) "
    rf"(?:{_ENCODED} \[R=301,NE,L\]|- \[G,E=BROADSHEET_GONE:{_ENCODED}\])"
)
_APACHE_FIXED = {
    "<IfModule mod_dir.c>", "DirectoryIndex index.html", "</IfModule>", "AddDefaultCharset utf-8",
    "<IfModule mod_rewrite.c>", "RewriteEngine On", "RewriteCond %{ENV:REDIRECT_STATUS} .", "RewriteRule ^ - [L]",
}


def _nginx_unquote(text: str) -> str:
    escapes = {"n": "\n", "r": "\r", "t": "\t"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), text, flags=re.S)


def _apache_path(pattern: str) -> str:
    """The one path an anchored pattern of literals and \\xHH escapes matches."""
    literal = re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]), pattern[1:-1].encode("ascii"))
    return literal.decode("utf-8")


addresses = st.builds(
    lambda text, folder: text + "/" if folder else text,
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=12),
    st.booleans(),
)


@given(st.lists(st.tuples(addresses, addresses), max_size=4), st.lists(addresses, max_size=4))
def test_no_address_can_add_or_end_a_rule(moves, gone):
    files = host_files(moves, gone, "/news/")
    redirect_rules(files[NETLIFY], "/news/")
    wanted = {"/news/" + path for old, _ in moves for path in ([old, old + "index.html"] if old.endswith("/") else [old])}
    wanted |= {"/news/" + path for old in gone for path in ([old, old + "index.html"] if old.endswith("/") else [old])}
    nginx_paths = set()
    for line in files[NGINX].split("\n")[:-1]:  # nginx ends a line at "\n" alone
        if line.startswith("#") or line.startswith(("error_page 404 /news/404.html;", "location @broadsheet_gone {")):
            continue
        match = _NGINX_LINE.fullmatch(line)
        assert match, line
        nginx_paths.add(_nginx_unquote(match.group(1)))
    assert nginx_paths == wanted
    apache_paths = set()
    for line in files[APACHE].splitlines():
        if line.startswith("#") or line in _APACHE_FIXED or line.startswith("ErrorDocument "):
            assert "\n" not in line
            continue
        match = _APACHE_RULE.fullmatch(line)
        assert match, line
        apache_paths.add(_apache_path(match.group(1)))
    assert apache_paths == {path.removeprefix("/news/") for path in wanted}
    assert files[APACHE].count("\nErrorDocument ") == 2


# --- in the build -------------------------------------------------------------------------


def test_every_build_writes_the_host_files_at_the_site_root(corpus, build_site, tmp_path):
    source = corpus(FIRST)
    _, out = build_site(source, base_url="https://example.org/news/")
    rules = redirect_rules((out / NETLIFY).read_text(encoding="utf-8"), "/news/")
    # No article moved yet: only the folders above the articles lead on, and missing pages find the 404 page.
    assert rules[-1] == ("/news/*", "/news/404.html", "404")
    assert {to for _, to, _ in rules[:-1]} == {"/news/archive/2023/01/", "/news/archive/2023/02/",
                                                "/news/archive/2023/03/", "/news/archive/2023/04/",
                                                "/news/archive/2023/"}
    second_corpus(source)
    result, _ = build_site(source, base_url="https://example.org/news/")  # in place
    assert result.in_place
    record = parse_record((out / RECORD).read_text(encoding="utf-8"), RECORD).permalinks
    moves = [(p.url, p.to) for p in record if p.status == MOVED]
    gone = [p.url for p in record if p.status == GONE]
    assert ("2023/01/05/redated/", "2023/01/09/redated/") in moves and gone == ["2023/02/05/removed/"]
    addresses = {p.url + "index.html" for p in record if p.status != PAGE}
    pages = [f for f in files_of(out) if f.endswith(".html") and (f in addresses or not is_redirect_page(out / f))]
    folders = [(p.url, p.to) for p in folder_moves(pages)]
    assert ("2023/01/05/", "archive/2023/01/") in folders
    expected = host_files(moves + folders, gone, "/news/")
    assert {name: (out / name).read_text(encoding="utf-8") for name in FILES} == expected
    assert "/news/2023/01/05/redated/ /news/2023/01/09/redated/ 301!" in expected[NETLIFY]
    inventory = (out / MARKER).read_text(encoding="utf-8").splitlines()
    assert set(FILES) <= set(inventory)

    # A whole build of the same site (--check makes one) accepts them as the build's own, and
    # finds no page among them.
    before = files_of(out)
    result, _ = build_site(source, base_url="https://example.org/news/", check=True)
    assert not result.in_place and result.broken_links == []
    assert files_of(out) == before


def test_a_host_file_that_someone_put_in_the_site_is_never_replaced(corpus, build_site):
    source = corpus(FIRST)
    _, out = build_site(source)
    (out / APACHE).unlink()
    (out / APACHE).write_text("# mine\n", encoding="utf-8")
    marker = out / MARKER
    marker.write_text(marker.read_text(encoding="utf-8").replace(f"{APACHE}\n", ""), encoding="utf-8")
    for settings in ({}, {"check": True}):  # in place, and whole
        with pytest.raises(BuildError, match=re.escape(f"holds {APACHE}, which the last build did not make")):
            build_site(source, **settings)
        assert (out / APACHE).read_text(encoding="utf-8") == "# mine\n"


def test_without_a_base_url_the_rules_are_from_the_host_root(corpus, build_site):
    source = corpus(FIRST)
    build_site(source)
    second_corpus(source)
    _, out = build_site(source)
    text = (out / NETLIFY).read_text(encoding="utf-8")
    assert "/2023/02/05/removed/ /2023/02/05/removed/index.html 410!" in text.splitlines()
    assert text.endswith("\n/* /404.html 404\n")
    nginx = (out / NGINX).read_text(encoding="utf-8")
    assert 'location = "/2023/01/05/redated/" { return 301 /2023/01/09/redated/; }' in nginx.splitlines()


def test_the_host_files_leave_no_trace_of_the_build_folder(corpus, build_site, tmp_path: Path):
    source = corpus(FIRST)
    build_site(source)
    second_corpus(source)
    _, out = build_site(source)
    for name in FILES:
        assert str(tmp_path) not in (out / name).read_text(encoding="utf-8")


def test_a_rebuild_keeps_address_pages_and_host_files_that_did_not_change(corpus, build_site, monkeypatch):
    source = corpus(FIRST)
    build_site(source)
    second_corpus(source)
    _, out = build_site(source)
    files = ["2023/01/05/redated/index.html", "2023/02/05/removed/index.html", "2023/01/09/index.html", NETLIFY]

    def status() -> dict[str, tuple[int, int]]:
        return {name: ((out / name).stat().st_ino, (out / name).stat().st_mtime_ns) for name in files}

    before = status()
    with monkeypatch.context() as patched:
        def never(*args: object) -> None:
            raise AssertionError("made again")

        patched.setattr(Renderer, "redirect", never)
        patched.setattr(Renderer, "gone", never)
        patched.setattr(hosts_module, "host_files", never)
        result, _ = build_site(source)
    assert result.in_place and status() == before

    (source / "redated.txt").write_text(txt("2023-01-12", "A story that will be re-dated. More."), encoding="utf-8")
    build_site(source)
    after = status()
    assert after["2023/01/05/redated/index.html"] != before["2023/01/05/redated/index.html"]
    assert "2023/01/12/redated/" in (out / "2023/01/05/redated/index.html").read_text(encoding="utf-8")
    assert after[NETLIFY] != before[NETLIFY] and "/2023/01/12/redated/" in (out / NETLIFY).read_text(encoding="utf-8")
    assert after["2023/02/05/removed/index.html"] == before["2023/02/05/removed/index.html"]
