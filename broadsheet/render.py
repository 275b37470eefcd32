"""Jinja2 templates → HTML pages.

Every link in a page is relative to that page, so the site works under any
sub-path and straight from disk.  Article text is escaped; Markdown is rendered
with raw HTML disabled.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, cast
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from . import language as languages
from . import times
from .config import DEFAULT_TEMPLATES, Config, absolute_paths
from .images import LeadImage, Logo, site_logo
from .load import markdown_parser
from .records import Article
from .site import (
    ARCHIVE_URL,
    AUTHORS_URL,
    TAGS_URL,
    Entry,
    Listing,
    Site,
    YearArchive,
    author_url,
    tag_url,
)

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


class TemplateProblem(Exception):
    """A template that cannot be loaded or rendered; one line naming file and line."""


def file_for(url: str) -> str:
    """The file that serves a root-relative address."""
    return url + "index.html" if url == "" or url.endswith("/") else url


def relative_prefix(url: str) -> str:
    """The way from the page at `url` back to the site root ("../../")."""
    return "../" * url.count("/")


def paragraph_anchor(number: int, language: str = "en") -> Markup:
    label = languages.translations(language).gettext("Link to paragraph %(number)s") % {"number": number}
    return Markup(
        f' <a class="cite" href="#p{number}" aria-label="{escape(label)}"'
        f' data-pagefind-ignore>¶</a>'
    )


# The opening of each numbered paragraph and its closing with the self-link,
# made once for all pages (each has a dozen or so), for each language of the
# links' label: grown as articles need.
_OPENINGS: list[str] = []
_NUMBERED: dict[str, list[str]] = {}


def _closings(language: str, count: int) -> list[str]:
    closings = _NUMBERED.setdefault(language, [])
    for n in range(len(_OPENINGS) + 1, count + 1):
        _OPENINGS.append(f'<p id="p{n}">')
    for n in range(len(closings) + 1, count + 1):
        closings.append(f"{paragraph_anchor(n, language)}</p>")
    return closings


@functools.cache
def _markdown() -> MarkdownIt:
    """The Markdown renderer, made on first use: most corpora are plain text."""
    from markdown_it.token import Token

    md = markdown_parser()

    def number_paragraphs(state: Any) -> None:
        count = 0
        tokens: list[Token] = state.tokens
        language = state.env.get("language", "en")
        for i, token in enumerate(tokens):
            if token.type == "paragraph_open" and token.level == 0:
                count += 1
                token.attrSet("id", f"p{count}")
                inline = tokens[i + 1]
                anchor = Token("html_inline", "", 0)
                anchor.content = str(paragraph_anchor(count, language))
                inline.children = [*(inline.children or []), anchor]

    md.core.ruler.push("number_paragraphs", number_paragraphs)
    return md


def body_html(article: Article, language: str = "en") -> Markup:
    """The article body, each top-level paragraph with an id (p1, p2…) and a
    self-link, labelled in the site's `language`."""
    if article.format == "md":
        return Markup(_markdown().render(article.markdown, {"language": language}))
    # Joined pieces give the same bytes as Markup.format, many times faster.
    paragraphs = article.paragraphs
    closings = _NUMBERED.get(language)
    if closings is None or len(paragraphs) > len(closings):
        closings = _closings(language, len(paragraphs))
    # The lists run longer than most articles: zip stops at the last paragraph.
    return Markup("\n".join(map("".join, zip(_OPENINGS, map(_escaped, paragraphs), closings, strict=False))))


def _escaped(text: str) -> str:
    """escape(text), for text that is not markup: five searches tell that most
    paragraphs have nothing to escape in a third of the time escape() takes."""
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return escape(text)
    return text


def _escape_output(value: Any) -> str:
    """What a template writes for {{ value }}: escape(value), without making a
    Markup of a plain string that has nothing to escape (most of them)."""
    if type(value) is str:
        return _escaped(value)
    return escape(value)


class _Template(jinja2.Template):
    """A template whose output goes through _escape_output: a page writes some
    forty values, a listing page hundreds (a third of a listing's time)."""

    @classmethod
    def from_code(cls, environment: jinja2.Environment, code: Any, globals: Any, uptodate: Any = None) -> jinja2.Template:
        template = super().from_code(environment, code, globals, uptodate)
        # The compiled code calls `escape` from its module's namespace, whose
        # value is only ever written out or joined, never kept as Markup.
        template.root_render_func.__globals__["escape"] = _escape_output
        return template


@dataclass(frozen=True)
class Rendered:
    path: str  # relative to the output folder
    html: str
    reads: frozenset[str] = frozenset()  # the keys of `site` the templates read ("*": all)


def site_globals(config: Config, site: Site) -> dict[str, Any]:
    """The `site` variable of every template."""
    return {
        "title": config.site_title,
        "language": config.language,
        "direction": languages.direction(config.language),
        "base_url": config.base_url,
        "base_path": config.base_path,
        "search": config.search,
        "served_search": config.served_search,
        "feeds": config.base_url is not None,  # feeds need absolute addresses
        "years": site.years,
        "newest": site.entries[:10],
        "article_count": len(site.entries),
        "logo": site_logo(config.logo, config.base_url),
    }


class ReadsNoted(Mapping[str, Any]):
    """A mapping that notes which keys are read, so that an incremental build
    knows what a page depends on: one that shows only the site's title need
    not be rendered again when an article is added.  Its keys can be read as
    attributes too (`site.title`), as templates do."""

    ALL = "*"

    def __new__(cls, values: dict[str, Any]) -> ReadsNoted:
        # Each key is a property of a class made for these keys: Jinja looks
        # `site.title` up as an attribute first, and a property answers it in a
        # third of the time a failed lookup and __getattr__ take (ten or so a page).
        return super().__new__(_noting_class(tuple(values)))

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values
        self._reads: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self._reads.add(key)
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        self._reads.add(self.ALL)
        return iter(self._values)

    def __len__(self) -> int:
        self._reads.add(self.ALL)
        return len(self._values)

    def take_reads(self) -> frozenset[str]:
        reads = frozenset(self._reads)
        self._reads.clear()
        return reads


LISTING = "listing."  # before the name of an attribute of its listing that a listing's page read


class NotedListing:
    """A listing as its page's templates see it: each attribute they read is
    noted with the keys of `site` read (as "listing.count"), so that the page
    is made again when what it shows of its listing changes, and not when
    only the rest does (a page that does not show how many pages its list
    has need not follow it: the list grows by a page every `per_page` articles)."""

    __slots__ = ("_listing", "_reads")

    def __init__(self, listing: Listing, reads: set[str]) -> None:
        self._listing = listing
        self._reads = reads

    def __getattr__(self, name: str) -> Any:
        self._reads.add(LISTING + name)
        return getattr(self._listing, name)

    def __repr__(self) -> str:  # {{ listing }}: all of it
        self._reads.add(LISTING + "*")
        return repr(self._listing)

    __str__ = __repr__


def listing_read(listing: Listing, reads: frozenset[str]) -> tuple[str, ...]:
    """What a listing's page showed of its listing's attributes, by what its
    templates read of it (see NotedListing); its entries are told apart (made_from)."""
    names = sorted(name[len(LISTING):] for name in reads if name.startswith(LISTING))
    # Not the entries, nor what Python gives every object (whose reprs hold addresses in memory).
    return tuple(f"{name!r}={listing!r}" if name == "*" else f"{name!r}={getattr(listing, name, None)!r}"
                 for name in names if name != "entries" and not name.startswith("_"))


def _noted(key: str) -> property:
    def read(self: ReadsNoted) -> Any:
        self._reads.add(key)
        return self._values[key]

    return property(read)


@functools.cache
def _noting_class(keys: tuple[str, ...]) -> type[ReadsNoted]:
    attributes: dict[str, Any] = {
        key: _noted(key) for key in keys if key.isidentifier() and not key.startswith("_") and not hasattr(ReadsNoted, key)
    }
    return type(ReadsNoted.__name__, (ReadsNoted,), {"__module__": __name__, **attributes})


class Renderer:
    def __init__(self, config: Config, site: Site, *, compiled: Path | None = None,
                 values: dict[str, Any] | None = None) -> None:
        """`compiled`: a folder where compiled templates are kept from one build
        to the next (each under the digest of its source), if it can be made;
        `values`: the templates' `site`, where `site` holds only what they read
        beside it (see __reduce__)."""
        self.config = config
        self.site = site
        self._compiled = compiled
        words = languages.translations(config.language)
        self.env = _Environment(
            words,
            loader=_Loader([str(d) for d in config.template_dirs]),
            undefined=jinja2.StrictUndefined,
            bytecode_cache=_bytecode_cache(compiled, languages.catalog_key(config.language)),
            # Templates do not change during a build: else every page's
            # `extends` and `include` would stat their files again.
            auto_reload=False,
            extensions=_EXTENSIONS,
            **_OPTIONS,
        )
        self.env.template_class = _Template
        self._values = values if values is not None else site_globals(config, site)
        self._site = ReadsNoted(self._values)
        language = config.language
        # New-style gettext: `_("Page %(number)s", number=…)`, its
        # values escaped like any other (the words themselves are the catalog's).
        # The words of `_("…")` with a constant message are put in the compiled
        # templates (see _Environment); these are for the others.
        self.env.install_gettext_translations(words, newstyle=True)  # type: ignore[attr-defined]
        self.env.globals.update(
            site=self._site,
            month_name=lambda month: languages.month_names(language)[month - 1],
            plural_forms=self._plural_forms,
            script_words=lambda: _script_words(language),
            author_url=author_url,
            tag_url=tag_url,
        )
        self.env.filters["rel"] = _rel
        self.env.filters["long_date"] = lambda day: long_date(day, language)
        self.env.filters["clock"] = lambda time: times.clock(time, language)
        self.env.filters["date_and_time"] = lambda when: languages.date_and_time(when, language)
        self.env.filters["script_json"] = script_json
        self.env.filters["og_locale"] = og_locale
        self._templates: dict[str, jinja2.Template] = {}

    def __reduce__(self) -> tuple[Any, ...]:
        # Sent to the workers as what it is made from: they make their own
        # templates (an environment holds compiled code and caches), and are
        # given the parts of the site they show with each page, not its
        # articles and listings.
        site = dataclasses.replace(self.site, entries=(), listings=())
        return (_renderer_in_worker, (absolute_paths(self.config), site,
                                      self._compiled.absolute() if self._compiled is not None else None, self._values))

    @jinja2.pass_context
    def _plural_forms(self, context: jinja2.runtime.Context, singular: str, plural: str, **variables: Any) -> dict[str, str]:
        """A message in each plural form of the site's language, by CLDR plural
        category ("one", "few", "other"…), for a script to choose from by the
        count it has (with Intl.PluralRules)."""
        ngettext = cast(Callable[..., str], context.environment.globals["ngettext"])  # installed in __init__
        return {category: str(ngettext(context, singular, plural, count, **variables))
                for category, count in languages.plural_samples(self.config.language)}

    def template(self, name: str) -> jinja2.Template:
        if name not in self._templates:
            try:
                self._templates[name] = self.env.get_template(name)
            except jinja2.TemplateSyntaxError as error:
                raise TemplateProblem(f"{error.filename or name}:{error.lineno}: {error.message}") from None
            except jinja2.TemplateNotFound:
                raise TemplateProblem(f"template {name} not found in {', '.join(map(str, self.config.template_dirs))}") from None
            except OSError as error:
                raise TemplateProblem(f"{error.filename or name}: cannot be read ({error.strerror or error})") from None
        return self._templates[name]

    def absolute(self, url: str) -> str | None:
        return self.config.base_url + url if self.config.base_url else None

    def render(self, name: str, url: str, output: str | None = None, *, canonical: bool = True,
               reads: frozenset[str] = frozenset(), **context: Any) -> Rendered:
        """`reads`: the keys of `site` the page depends on besides those its templates read."""
        template = self.template(name)
        canonical_url = self.absolute(url) if canonical else None
        self._site.take_reads()  # forget those of a page that failed
        try:
            html = template.render(page_url=url, root=relative_prefix(url), canonical=canonical_url, **context)
        except Exception as error:  # noqa: BLE001 - any failure inside a template is the template's
            raise TemplateProblem(f"{_where(error, template)}: {_one_line(error)}") from None
        return Rendered(output or file_for(url), html, self._site.take_reads() | reads)

    def article(self, entry: Entry) -> Rendered:
        article, zone = entry.article, self.config.zone
        published = times.published(article, zone).isoformat()
        modified = times.modified(article, zone).isoformat() if article.updated is not None else None
        logo = self._site["logo"]
        return self.render(
            "article.html", entry.url, reads=_LOGO, entry=entry, article=article,
            body=body_html(article, self.config.language),
            published=published, modified=modified, sort_key=sort_key(entry), image=article.lead_image,
            json_ld=news_article_json_ld(article, url=self.absolute(entry.url), publisher=self.config.site_title,
                                         published=published, modified=modified, logo=logo,
                                         author_page=self.absolute(author_url(article.author)) if article.author else None),
        )

    def listing(self, listing: Listing) -> Rendered:
        # An author's and a tag's pages have a template of their own.
        name = "group.html" if listing.kind in ("author", "tag") else "index.html"
        return self.render(name, listing.url, listing=NotedListing(listing, self._site._reads))

    def groups_page(self, kind: str) -> Rendered:
        """The list of authors ("authors") or of tags ("tags")."""
        groups = self.site.authors if kind == "authors" else self.site.tags
        return self.render("groups.html", AUTHORS_URL if kind == "authors" else TAGS_URL, kind=kind, groups=groups)

    def year(self, year: YearArchive) -> Rendered:
        return self.render("year.html", year.url, year=year)

    def archive_page(self) -> Rendered:
        return self.render("archive.html", ARCHIVE_URL)

    def search_page(self) -> Rendered:
        return self.render("search.html", "search/")

    def not_found_page(self) -> Rendered:
        # Hosts serve 404.html at any depth, so its links are taken from the site root.
        # It stands in for pages that do not exist, so it names no address of its own.
        return self.render("404.html", "", output="404.html", canonical=False, not_found=True)

    def redirect(self, url: str, target: str, article_title: str | None) -> Rendered:
        """A page at an old address that sends the reader on to `target`."""
        link = quote(relative_prefix(url) + file_for(target))
        canonical = self.config.base_url + quote(target) if self.config.base_url else link
        return self.render("redirect.html", url, target_link=link, target_canonical=canonical, article_title=article_title)

    def gone(self, url: str, article_title: str | None) -> Rendered:
        """A page at the address of an article that was removed."""
        return self.render("gone.html", url, article_title=article_title)


# What an article page reads of `site` besides what its templates do: the
# logo, in its schema.org data, so that its fingerprint follows the logo.
_LOGO = frozenset({"logo"})


def _where(error: Exception, template: jinja2.Template) -> str:
    """file:line in the templates where rendering failed."""
    if isinstance(error, jinja2.TemplateSyntaxError) and error.filename:
        # A template loaded while rendering (by extends or include).
        return f"{error.filename}:{error.lineno}"
    frames: list[str] = []
    tb = error.__traceback__
    while tb is not None:
        # Jinja rewrites the traceback so that each template frame carries the
        # template's file name and line.
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            frames.append(f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}")
        tb = tb.tb_next
    if not frames:
        return template.filename or template.name or "template"
    if isinstance(error, RecursionError):
        # An endless include or macro: the culprit is the line that enters the
        # loop again (the frame just before the loop's first frame comes
        # round once more), not wherever the stack happened to run out.
        for i, frame in enumerate(frames):
            if frame in frames[i + 1 :]:
                return frames[frames.index(frame, i + 1) - 1]
    return frames[-1]  # the innermost frame is where it failed


def _one_line(error: Exception) -> str:
    if isinstance(error, jinja2.TemplateError):
        message = error.message or type(error).__name__
    else:
        message = f"{type(error).__name__}: {error}"
    return (message.strip().splitlines() or [type(error).__name__])[0]


class _Options(TypedDict):
    """The options of the template environment that shape compiled templates."""

    autoescape: bool
    trim_blocks: bool
    lstrip_blocks: bool
    keep_trailing_newline: bool


# Extensions shape compiled templates too (the bytecode cache is keyed on them).
_EXTENSIONS = ("jinja2.ext.i18n",)

_OPTIONS: _Options = {"autoescape": True, "trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True}


def _renderer_in_worker(config: Config, site: Site, compiled: Path | None, values: dict[str, Any]) -> Renderer:
    if not config.builtin_templates.is_dir():
        # The worker's own copy of the theme, where it is installed elsewhere than the build's.
        config = dataclasses.replace(config, builtin_templates=DEFAULT_TEMPLATES)
    return Renderer(config, site, compiled=compiled, values=values)


def _bytecode_cache(folder: Path | None, words: str = "") -> jinja2.BytecodeCache | None:
    """`words`: what stands for the catalog whose words are compiled in."""
    if folder is None:
        return None
    # Jinja checks a compiled template against its source only: the options,
    # the version of Jinja that compiled it and the words put in it name the folder.
    folder /= hashlib.sha256(repr((jinja2.__version__, sorted(_OPTIONS.items()), _EXTENSIONS, words)).encode()).hexdigest()[:16]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # templates are compiled every build, as without it
    return jinja2.FileSystemBytecodeCache(str(folder))


class _Environment(jinja2.Environment):
    """An environment that translates the constant messages of its templates
    as it compiles them: `_("Archive")` becomes the catalog's words, and
    `_("Page %(number)s", number=n)` those words `%` the
    values, escaped as gettext's new style escapes them.  Called at each
    render, gettext took as long as the rest of an article page."""

    def __init__(self, words: Any, **options: Any) -> None:
        super().__init__(**options)
        self._words = words

    def _parse(self, source: str, name: str | None, filename: str | None) -> jinja2.nodes.Template:
        tree = super()._parse(source, name, filename)
        for call in list(tree.find_all(jinja2.nodes.Call)):
            replacement = self._translated(call)
            if replacement is not None:
                _replace(tree, call, replacement)
        return tree

    def _translated(self, call: jinja2.nodes.Call) -> jinja2.nodes.Expr | None:
        nodes = jinja2.nodes
        if not (isinstance(call.node, nodes.Name) and call.node.name in ("_", "gettext")):
            return None
        if len(call.args) != 1 or not isinstance(call.args[0], nodes.Const) or not isinstance(call.args[0].value, str):
            return None
        if call.dyn_args is not None or call.dyn_kwargs is not None:
            return None
        words = nodes.MarkSafeIfAutoescape(nodes.Const(self._words.gettext(call.args[0].value)))
        values = nodes.Dict([nodes.Pair(nodes.Const(k.key), k.value) for k in call.kwargs])
        # As the new style: the words are a format, even with no values ("%%" is "%").
        return nodes.Mod(words, values, lineno=call.lineno)


def _replace(tree: jinja2.nodes.Node, old: jinja2.nodes.Node, new: jinja2.nodes.Node) -> None:
    """Put `new` where `old` is in `tree`."""
    for node in tree.find_all(jinja2.nodes.Node):
        for field, value in node.iter_fields():
            if value is old:
                setattr(node, field, new)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new


class _Loader(jinja2.FileSystemLoader):
    """A FileSystemLoader that reports a template that is not UTF-8 as a
    syntax error at its file and line, not as a crash."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as error:
            for folder in self.searchpath:
                path = Path(folder, *jinja2.loaders.split_template_path(template))
                if path.is_file():
                    line = path.read_bytes()[: error.start].count(b"\n") + 1
                    raise jinja2.TemplateSyntaxError(
                        f"not valid UTF-8 (byte {error.start})", line, template, str(path)
                    ) from None
            raise


@jinja2.pass_context
def _rel(context: jinja2.runtime.Context, url: str) -> str:
    """A root-relative address as a link from the page being rendered."""
    return context["root"] + file_for(url)


def long_date(day: datetime.date, language: str = "en") -> str:
    """A day in full, as the site's language writes it: "11 November 2023",
    "11 novembre 2023" (CLDR's long format of the date)."""
    return languages.long_date(day, language)


def _script_words(language: str) -> dict[str, Any]:
    """What the search page's script writes that is not a message of the
    template: the names of the months, and each month's title with its year."""
    return {
        "months": list(languages.month_names(language)),
        "monthYear": languages.month_and_year_patterns(language),
    }


def og_locale(language: str) -> str:
    """OpenGraph writes locales as language_TERRITORY: 'pt-BR' → 'pt_BR', and a
    language without its territory gets the likeliest one from CLDR: 'en' → 'en_US'."""
    from babel.core import get_global

    parts = language.replace("-", "_").split("_")
    territory = next((p.upper() for p in parts[1:] if len(p) == 2 or p.isdigit()), None)
    if territory is None:
        likely = get_global("likely_subtags").get(parts[0].lower(), "")
        territory = next((p for p in likely.split("_")[1:] if len(p) == 2), None)
    return f"{parts[0].lower()}_{territory}" if territory else parts[0].lower()


def script_json(data: Any) -> Markup:
    """JSON to embed in a <script> element: <, > and & are escaped as \\u003c…,
    so no text (a title holding "</script>" or "<!--") can end the element early."""
    # On one line: with an indent, json uses its pure-Python encoder (a tenth of an article page's rendering).
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def sort_key(entry: Entry) -> str:
    """What orders an article among others as text, the way the site orders
    them: its day, its time of day when given (a day alone sorts first), and
    its address, which breaks ties between articles of one day."""
    time = entry.article.time
    return entry.article.date.isoformat() + (time.strftime("T%H:%M:%S") if time else "") + " " + entry.url


def image_object(url: str, width: int | None, height: int | None) -> dict[str, Any]:
    """A schema.org ImageObject, with its size when known."""
    return {"@type": "ImageObject", "url": url, **({"width": width, "height": height} if width and height else {})}


def news_article_json_ld(article: Article, *, url: str | None, publisher: str, published: str,
                         modified: str | None = None, logo: Logo | None = None,
                         author_page: str | None = None) -> Markup:
    """schema.org NewsArticle for search engines; addresses only when the base URL is known.
    The article's image (Article.lead_image) and the publisher's logo are
    named by absolute address only: without one, they are left out."""
    image: LeadImage | None = article.lead_image
    organization: dict[str, Any] = {"@type": "Organization", "name": publisher}
    if logo is not None and logo.url:
        organization["logo"] = image_object(logo.url, logo.file.width, logo.file.height)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.excerpt,
        "datePublished": published,
        **({"dateModified": modified} if modified else {}),
        "inLanguage": article.language,
        "wordCount": article.word_count,
        "publisher": organization,
        # Without an address this is a page with no @id: the page that holds this data.
        "mainEntityOfPage": {"@type": "WebPage", **({"@id": url} if url else {})},
    }
    if url:
        data["url"] = url
    if image is not None and image.url:
        data["image"] = [image_object(image.url, image.width, image.height)]
    if article.author:
        data["author"] = {"@type": "Person", "name": article.author, **({"url": author_page} if author_page else {})}
    if article.tags:
        data["keywords"] = list(article.tags)
    return script_json(data)
