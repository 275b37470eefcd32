"""Redirect files that web servers and hosts read, so that an old address
answers with a real status: 301 and a Location for a move, 410 for an article
that was removed, 404 for an address the site never had.

Everything here is pure: the build hands in the moves and the gone addresses
of its plan (relative to the site root, as in published.json) and the base
path, and writes the texts it gets back at the root of the site:

- `_redirects`, read by Netlify and Cloudflare Pages;
- `.htaccess`, read by Apache 2.4;
- `nginx-redirects.conf`, for one `include` line in an nginx server block.

The redirect and gone pages stay in the site for hosts that read none of
these.  An address comes from a file a user wrote (the record, the
`redirects` file): each one is escaped for every format, so that nothing in
it can end a rule or add one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote

NETLIFY = "_redirects"
APACHE = ".htaccess"
NGINX = "nginx-redirects.conf"
FILES = (NETLIFY, APACHE, NGINX)
NOT_FOUND_PAGE = "404.html"
INDEX = "index.html"

# The header of each file: what it is, and where docs/hosts.md tells more.
_ABOUT = "Written by broadsheet with every build of the site; edits are lost at the next one. See docs/hosts.md."


@dataclass(frozen=True)
class Rule:
    """What answers at one path (from the site root, decoded): a move to
    `target`, an address, or (gone) a 410 with the page `target`, a file."""

    path: str
    gone: bool
    target: str


def rules(moves: Iterable[tuple[str, str]], gone: Iterable[str]) -> list[Rule]:
    """One rule a path, sorted by path: the first move of a path (in sorted
    order) wins, and a move wins over gone."""
    chosen: dict[str, Rule] = {}
    for old, new in sorted(moves):
        for path in paths_of(old):
            chosen.setdefault(path, Rule(path, False, new))
    for address in sorted(gone):
        for path in paths_of(address):
            chosen.setdefault(path, Rule(path, True, page_of(address)))
    return sorted(chosen.values(), key=lambda rule: rule.path)


def host_files(moves: Sequence[tuple[str, str]], gone: Sequence[str], base_path: str) -> dict[str, str]:
    """The text of each host's file, by file name at the site root.  `base_path`
    is the path of the site on its host ("/news/", or "/")."""
    plan = rules(moves, gone)
    base = _base(base_path)
    return {NETLIFY: netlify(plan, base), APACHE: apache(plan, base), NGINX: nginx(plan, base)}


def _base(base_path: str) -> str:
    """The base path, decoded, with a slash at each end."""
    path = unquote(base_path).strip("/")
    return f"/{path}/" if path else "/"


def paths_of(address: str) -> list[str]:
    """The paths (from the site root) at which an address answers: a folder
    address at the folder and at its index.html; a page at itself."""
    if address == "" or address.endswith("/"):
        return [address, address + INDEX]
    return [address]


def page_of(address: str) -> str:
    """The file that holds the page at an address (the gone page's body)."""
    return address + INDEX if address == "" or address.endswith("/") else address


# --- encodings ------------------------------------------------------------------------
# Each works on the UTF-8 bytes of a decoded path and leaves only a small set of
# characters as they are, so that no quote, space, newline, comment sign or
# variable of any of the formats can come out of an address.

# Characters a browser sends as they are in a path (RFC 3986 pchar), but ':' and
# '*', which are placeholders and splats in _redirects.
_PATH_SAFE = "/!$&'()+,;=@-._~"


def url_path(path: str) -> str:
    """A path in the form a browser sends it: percent-encoded UTF-8."""
    return quote(path, safe=_PATH_SAFE)


def strict_url_path(path: str) -> str:
    """Percent-encoded but for letters, digits, '/' and '-._~': nothing that a
    config file's parser or a substitution could take for its own syntax."""
    return quote(path, safe="/")


def regex_literal(path: str) -> str:
    """A regular expression (PCRE, on bytes) that matches `path` exactly: every
    byte but letters, digits, '/', '_' and '-' as a \\xHH escape."""
    out = []
    for byte in path.encode("utf-8"):
        char = chr(byte)
        out.append(char if char.isascii() and (char.isalnum() or char in "/_-") else f"\\x{byte:02x}")
    return "".join(out)


# --- _redirects (Netlify, Cloudflare Pages) ---------------------------------------------


def netlify(rules: Sequence[Rule], base: str) -> str:
    """_redirects: `FROM TO STATUS` a line, paths from the host root.

    A redirect or gone page is a file at its old address, which Netlify serves
    instead of an ordinary rule: the rules are forced (`!`).  Cloudflare Pages
    takes no `!` and only 200 and 3xx statuses, and ignores such a line, but
    applies a rule even where a file is: each move is given again without `!`,
    which Netlify never reaches (the first rule that matches is applied)."""
    lines = [
        f"# {_ABOUT}",
        "# Netlify and Cloudflare Pages read this file. Moved addresses redirect (301); removed ones answer",
        "# 410 with their page. Cloudflare Pages ignores the lines it cannot use (a status with !, 410, 404).",
    ]
    for rule in rules:
        source, target = url_path(base + rule.path), url_path(base + rule.target)
        if rule.gone:
            lines.append(f"{source} {target} 410!")
        else:
            lines += [f"{source} {target} 301!", f"{source} {target} 301"]
    lines.append(f"{url_path(base)}* {url_path(base + NOT_FOUND_PAGE)} 404")
    return "\n".join(lines) + "\n"


# --- .htaccess (Apache 2.4) ---------------------------------------------------------------

_GONE_VARIABLE = "BROADSHEET_GONE"


def _rewrite_text(text: str) -> str:
    """`text` inside a RewriteRule's substitution or flags: '%' and '$' start
    back-references there, and a backslash escapes them."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("$", "\\$")


def apache(rules: Sequence[Rule], base: str) -> str:
    """.htaccess: mod_rewrite answers moved and gone paths; the gone page is
    the body of the 410, named by an environment variable that the rule sets.
    In a .htaccess file, mod_rewrite matches the decoded path below the
    file's folder (the site root): the patterns hold no base path."""
    lines = [
        f"# {_ABOUT}",
        "# Apache 2.4 reads it with AllowOverride FileInfo Indexes (or All), mod_rewrite and mod_dir.",
        "<IfModule mod_dir.c>",
        f"DirectoryIndex {INDEX}",
        "</IfModule>",
        "AddDefaultCharset utf-8",
        f"ErrorDocument 404 {strict_url_path(base + NOT_FOUND_PAGE)}",
        # An expression: the page of the path whose rule answered 410.
        f"ErrorDocument 410 {strict_url_path(base)}%{{reqenv:{_GONE_VARIABLE}}}",
        "<IfModule mod_rewrite.c>",
        "RewriteEngine On",
        # The request for an error page (an internal redirect) is served as it
        # is: the gone page's own path would answer 410 again.
        "RewriteCond %{ENV:REDIRECT_STATUS} .",
        "RewriteRule ^ - [L]",
    ]
    for rule in rules:
        pattern = f"^{regex_literal(rule.path)}$"
        if rule.gone:
            page = _rewrite_text(strict_url_path(rule.target))
            lines.append(f"RewriteRule {pattern} - [G,E={_GONE_VARIABLE}:{page}]")
        else:
            lines.append(f"RewriteRule {pattern} {_rewrite_text(strict_url_path(base + rule.target))} [R=301,NE,L]")
    lines.append("</IfModule>")
    return "\n".join(lines) + "\n"


# --- nginx ------------------------------------------------------------------------------------

_GONE_LOCATION = "@broadsheet_gone"


def _nginx_string(text: str) -> str:
    """A quoted nginx token holding `text` as it is: a location's path, which
    nginx compares with the decoded path of the request."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{escaped}"'


def nginx(rules: Sequence[Rule], base: str) -> str:
    """nginx-redirects.conf: an exact location for each old path; a gone one
    answers 410 with its page, served by a named location (an error page at
    the gone path itself would answer 410 again)."""
    lines = [
        f"# {_ABOUT}",
        "# For the server block of the site, whose root holds the site at its base path:",
        f"#     include /path/to/the/site/{NGINX};",
    ]
    for rule in rules:
        location = f"location = {_nginx_string(base + rule.path)}"
        if rule.gone:
            lines.append(f"{location} {{ error_page 410 {_GONE_LOCATION}; return 410; }}")
        else:
            # Percent-encoded, so that no '$' starts a variable in the target.
            lines.append(f"{location} {{ return 301 {strict_url_path(base + rule.target)}; }}")
    lines += [
        f"error_page 404 {strict_url_path(base + NOT_FOUND_PAGE)};",
        # The request's own path, or its index.html for a folder: the gone page
        # ((?s): a path may hold a newline, written %0A).
        f'location {_GONE_LOCATION} {{ rewrite "(?s)^(.*/)\\z" $1{INDEX} break; }}',
    ]
    return "\n".join(lines) + "\n"
