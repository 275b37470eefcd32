"""What a news site publishes besides its pages: feeds, a sitemap and robots.txt.

Feeds and sitemaps must name pages by absolute address (Atom ids and sitemap
locations are absolute IRIs; readers and crawlers fetch them out of any page's
context), so these files exist only when the base URL is known.  Every
function here is pure: the site and settings in, file text out.  Dates come from
the articles, never from the clock, so a rebuild gives the same bytes.
"""

from __future__ import annotations

import datetime
import functools
import html
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from .render import body_html
from .site import ARCHIVE_URL, AUTHORS_URL, TAGS_URL, Entry, MonthSummary, Site
from .text import C0_CONTROLS
from .times import day_of, modified, moment, published

ATOM_FEED = "feed.xml"
JSON_FEED = "feed.json"
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
NEWS_SITEMAP = "news-sitemap.xml"
_NEWS = "http://www.google.com/schemas/sitemap-news/0.9"
NEWS_DAYS = 2  # Google News reads the articles of the last two days
NEWS_LIMIT = 1000  # and at most this many addresses in one news sitemap
FEED_SIZE = 50
# The sitemaps protocol allows at most 50,000 addresses in one file.
SITEMAP_LIMIT = 50_000
SKIPPED = f"note: {ATOM_FEED}, {JSON_FEED}, {SITEMAP}, {NEWS_SITEMAP} and {ROBOTS} skipped: they need absolute addresses; pass --base-url"

_XML_NAMESPACE = "{http://www.w3.org/XML/1998/namespace}"
# Characters XML 1.0 cannot carry at all: lxml refuses them, so they are dropped.
_NOT_XML = re.compile(rf"[{C0_CONTROLS}\ufffe\uffff]")


def _xml_text(text: str) -> str:
    # Searched first: a text with nothing to drop (nearly all) is then not copied, five times faster.
    return _NOT_XML.sub("", text) if _NOT_XML.search(text) else text


def newest(site: Site, count: int = FEED_SIZE) -> tuple[Entry, ...]:
    return site.entries[:count]


@functools.cache
def _entry_context() -> type:
    """The feedgen extension that puts xml:lang and xml:base on an Atom entry
    (feedgen has no setting for either), and links with their `rel` and
    `type` (feedgen 1.0 writes an entry's links with their address only).  xml:base makes the relative links of
    the body (the ¶ links to #p1…) resolve to the article page, as they do on
    the page itself.  Made on first use: feedgen and lxml take a while to import,
    and most rebuilds leave the feed as it was."""
    from feedgen.ext.base import BaseEntryExtension

    class EntryContext(BaseEntryExtension):
        def __init__(self) -> None:
            self.language: str | None = None
            self.base: str | None = None
            self.links: list[dict[str, str]] = []

        def extend_atom(self, entry):  # type: ignore[no-untyped-def]
            if self.language:
                entry.set(f"{_XML_NAMESPACE}lang", self.language)
            if self.base:
                entry.set(f"{_XML_NAMESPACE}base", self.base)
            for link in self.links:
                # Unqualified, as feedgen writes the entry's own elements: in the feed's default namespace.
                entry.append(entry.makeelement("link", link))
            return entry

    return EntryContext


ARCHIVE_FOLDER = "feeds/"  # the archive documents of the feeds: feeds/1.xml, feeds/1.json, … from the oldest
_HISTORY = "http://purl.org/syndication/history/1.0"  # RFC 5005


def archive_pages(site: Site, size: int = FEED_SIZE) -> list[tuple[Entry, ...]]:
    """The feeds' archive documents, oldest first, each of `size` entries
    (newest first) counted from the oldest article, so that a full one never
    changes; the newest holds what the subscription feeds do not, and may be
    short.  With the subscription feeds, every article is in exactly one."""
    older = site.entries[size:][::-1]
    return [tuple(older[start : start + size][::-1]) for start in range(0, len(older), size)]


def archive_path(number: int, suffix: str) -> str:
    """The path of archive document `number` (from 1, the oldest): suffix ".xml" or ".json"."""
    return f"{ARCHIVE_FOLDER}{number}{suffix}"


def atom_feed(site: Site, *, base_url: str, site_title: str, language: str, count: int = FEED_SIZE,
              zone: datetime.tzinfo = datetime.UTC, archives: int = 0) -> str:
    """The Atom feed of the newest `count` articles, each with its full body;
    linked to the newest of `archives` archive documents, if any."""
    older = archive_path(archives, ".xml") if archives else None
    return atom_document(newest(site, count), path=ATOM_FEED, older=older, base_url=base_url, site_title=site_title,
                         language=language, zone=zone)


def atom_document(entries: Sequence[Entry], *, path: str, older: str | None, base_url: str, site_title: str,
                  language: str, zone: datetime.tzinfo, archive: bool = False, bodies: Sequence[str] | None = None) -> str:
    """An Atom document of `entries`, at `path`: the subscription feed, or
    (`archive`) an archive document of RFC 5005, which names the subscription
    feed as `current`.  `older`: the archive document of the articles before
    these (`prev-archive`).  `bodies`: the body_html of each entry, if made
    already (for the JSON Feed document of the same entries).

    Entry ids are the absolute permalinks: they never change as long as the
    site keeps its address, which is the promise a permalink makes anyway."""
    from feedgen.ext.base import BaseEntryExtension, BaseExtension
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    feed.register_extension("context", BaseExtension, _entry_context(), atom=True, rss=False)
    if archive:
        feed.register_extension("history", _archived(), BaseEntryExtension, atom=True, rss=False)
    feed.id(base_url + path)
    feed.title(_xml_text(site_title))
    feed.author({"name": _xml_text(site_title)})  # Atom needs a feed author when an entry has none
    feed.link(href=base_url, rel="alternate", type="text/html")
    feed.link(href=base_url + path, rel="self", type="application/atom+xml")
    if archive:
        feed.link(href=base_url + ATOM_FEED, rel="current", type="application/atom+xml")
    if older is not None:
        feed.link(href=base_url + older, rel="prev-archive", type="application/atom+xml")
    feed.language(language)
    feed.generator("broadsheet")
    # feedgen defaults to the time of the build; the articles keep it reproducible.
    feed.updated(max((modified(e.article, zone) for e in entries), default=moment(datetime.date(1970, 1, 1), datetime.UTC)))
    for entry, body in zip(entries, bodies or _bodies(entries, language), strict=True):
        article = entry.article
        url = base_url + entry.url
        item = feed.add_entry(order="append")
        item.id(url)
        item.title(_xml_text(article.title))
        item.link(href=url, rel="alternate", type="text/html")
        item.published(published(article, zone))
        item.updated(modified(article, zone))
        if article.author:
            item.author({"name": _xml_text(article.author)})
        for tag in article.tags:
            item.category(term=_xml_text(tag))
        image = article.lead_image
        if image is not None and image.url:
            # The lead image as an enclosure (RFC 4287 4.2.7.2): readers show it with the entry.
            enclosure = {"href": image.url, "rel": "enclosure"}
            if image.type:
                enclosure["type"] = image.type
            if image.length is not None:
                enclosure["length"] = str(image.length)
            item.context.links = [enclosure]
        item.summary(_xml_text(article.excerpt))
        item.content(_xml_text(body), type="html")
        item.context.language = article.language
        item.context.base = url
    return feed.atom_str(pretty=True, encoding="UTF-8").decode("utf-8")


@functools.cache
def _archived() -> type:
    """The feedgen extension that marks an Atom document as an archive (RFC 5005's fh:archive)."""
    from feedgen.ext.base import BaseExtension

    class Archived(BaseExtension):
        def extend_ns(self) -> dict[str, str]:
            return {"fh": _HISTORY}

        def extend_atom(self, feed):  # type: ignore[no-untyped-def]
            feed.append(feed.makeelement(f"{{{_HISTORY}}}archive", {}))
            return feed

    return Archived


def _fragments_at(url: str, html: str) -> str:
    """`html` with its links within the page (the ¶ links to #p1…, a Markdown
    link to #p3) pointing into the page at `url`.  JSON Feed has no xml:base,
    and readers resolve a bare "#p1" against the feed, or not at all.  Text is
    escaped and raw HTML is off, so ' href="#' comes only from links made by
    the renderer."""
    return html.replace(' href="#', f' href="{url}#')


def json_feed(site: Site, *, base_url: str, site_title: str, language: str, count: int = FEED_SIZE,
              zone: datetime.tzinfo = datetime.UTC, archives: int = 0) -> str:
    """A JSON Feed 1.1 of the same articles as the Atom feed; its `next_url`
    leads to the newest of `archives` archive documents, if any."""
    older = archive_path(archives, ".json") if archives else None
    return json_document(newest(site, count), path=JSON_FEED, older=older, base_url=base_url, site_title=site_title,
                         language=language, zone=zone)


def _bodies(entries: Sequence[Entry], language: str) -> list[str]:
    return [str(body_html(entry.article, language)) for entry in entries]


def json_document(entries: Sequence[Entry], *, path: str, older: str | None, base_url: str, site_title: str,
                  language: str, zone: datetime.tzinfo, bodies: Sequence[str] | None = None) -> str:
    """A JSON Feed document of `entries` at `path`; `next_url`: `older`, the
    document of the articles before these, which is how JSON Feed pages.
    `bodies`: the body_html of each entry, if made already."""
    items = []
    for entry, body in zip(entries, bodies or _bodies(entries, language), strict=True):
        article = entry.article
        url = base_url + entry.url
        item: dict[str, object] = {
            "id": url,
            "url": url,
            "title": article.title,
            "content_html": _fragments_at(url, body),
            "summary": article.excerpt,
            "date_published": published(article, zone).isoformat(),
            "language": article.language,
        }
        if article.updated is not None:
            item["date_modified"] = modified(article, zone).isoformat()
        if article.author:
            item["authors"] = [{"name": article.author}]
        if article.tags:
            item["tags"] = list(article.tags)
        if article.lead_image is not None and article.lead_image.url:
            item["image"] = article.lead_image.url
        items.append(item)
    feed: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": site_title,
        "home_page_url": base_url,
        "feed_url": base_url + path,
        "language": language,
    }
    if older is not None:
        feed["next_url"] = base_url + older
    # One item a line, each by the C encoder (json.dumps with an indent is
    # Python's own: it took half the time of an archive of 50 whole articles).
    head = json.dumps(feed, ensure_ascii=False, indent=1)[:-2]
    lines = ",\n".join(json.dumps(item, ensure_ascii=False, separators=(",", ":")) for item in items)
    return f'{head},\n "items": [\n{lines}\n ]\n}}\n' if items else f'{head},\n "items": []\n}}\n'


@dataclass(frozen=True, slots=True)
class SitemapUrl:
    url: str  # relative to the site root, as in Entry.url
    lastmod: datetime.date


def sitemap_urls(site: Site) -> Iterator[SitemapUrl]:
    """Every listing page and every article, each dated by the newest article it shows."""
    yield from listing_urls(site)
    yield from article_urls(site.entries)


def listing_urls(site: Site) -> Iterator[SitemapUrl]:
    """Every listing page, dated by the newest article of its whole list.

    A new article moves every page of the list it joins, so a listing page is
    as new as the newest article of its whole list, not of its own page."""
    if not site.entries:
        return
    newest_day = site.entries[0].article.date
    newest_in_month = {(month.year, month.month): site.entries[start].article.date
                       for month, start, _ in _months(site)}
    yield from (SitemapUrl(listing.url, newest_day) for listing in site.listings if listing.kind == "index")
    yield SitemapUrl(ARCHIVE_URL, newest_day)
    # Entries are newest first, so a year's first month holds its newest article.
    yield from (SitemapUrl(year.url, newest_in_month[(year.year, year.months[0].month)]) for year in site.years)
    yield from (
        SitemapUrl(listing.url, newest_in_month[(listing.year, listing.month)])
        for listing in site.listings
        if listing.kind == "month" and listing.year is not None and listing.month is not None
    )
    # An author's or a tag's pages: as new as the newest article of the list, which its first page shows first.
    newest_of_list = {listing.first_url: listing.entries[0].article.date
                      for listing in site.listings if listing.kind in ("author", "tag") and listing.is_first}
    yield from (SitemapUrl(listing.url, newest_of_list[listing.first_url])
                for listing in site.listings if listing.kind in ("author", "tag"))
    yield from (SitemapUrl(url, newest_day) for url, groups in ((AUTHORS_URL, site.authors), (TAGS_URL, site.tags))
                if groups)


def article_urls(entries: Iterable[Entry]) -> Iterator[SitemapUrl]:
    """Each article, dated by its last update."""
    return (SitemapUrl(e.url, _last_day(e)) for e in entries)


def _last_day(entry: Entry) -> datetime.date:
    article = entry.article
    return article.date if article.updated is None else day_of(article.updated)


@dataclass(frozen=True)
class SitemapPart:
    """One file of the sitemaps of a site with more addresses than one file
    takes: its listing pages, or the articles of one month."""

    name: str  # its file's
    listings: tuple[SitemapUrl, ...]  # of the part of listing pages
    entries: tuple[Entry, ...]  # of a month's part, newest first

    def urls(self) -> Iterator[SitemapUrl]:
        yield from self.listings
        yield from article_urls(self.entries)

    def lastmod(self) -> datetime.date:
        # As the newest of urls(), without a SitemapUrl for each article: the
        # sitemap index dates every part each time an article is added.
        return max((*(u.lastmod for u in self.listings), *map(_last_day, self.entries)))


def sitemap_parts(site: Site, *, limit: int = SITEMAP_LIMIT) -> list[SitemapPart]:
    """The files of a site's sitemaps when its addresses are more than `limit`
    (the protocol's most for one file), which sitemap.xml then names as their
    index; none when they fit in sitemap.xml alone.

    The listing pages are one part; the articles are one part a month
    (`sitemap-2024-11.xml`), of at most `limit` each, counted from the oldest
    (`sitemap-2024-11-2.xml` for the next): an article added or changed makes
    its month's file again, and the index, not every file of the archive.
    They lie beside sitemap.xml, at the site's root: a sitemap may list only
    addresses below its own folder."""
    if limit < 1:
        raise ValueError(f"sitemap limit must be at least 1, not {limit}")
    listings = tuple(listing_urls(site))
    if len(listings) + len(site.entries) <= limit:
        return []
    parts = [SitemapPart(_part_name("listings", n), listings[start : start + limit], ())
             for n, start in enumerate(range(0, len(listings), limit), start=1)]
    for month, start, stop in _months(site):
        older = site.entries[start:stop][::-1]
        chunks = [tuple(older[first : first + limit][::-1]) for first in range(0, len(older), limit)]
        parts += [SitemapPart(_part_name(f"{month.year:04d}-{month.month:02d}", n), (), chunk) for n, chunk in
                  reversed(list(enumerate(chunks, start=1)))]
    return parts


def _months(site: Site) -> Iterator[tuple[MonthSummary, int, int]]:
    """Each month of the archive, newest first, with where its articles start and stop in `site.entries`."""
    start = 0
    for year in site.years:
        for month in year.months:
            yield month, start, start + month.count
            start += month.count


def _part_name(stem: str, number: int) -> str:
    return f"sitemap-{stem}.xml" if number == 1 else f"sitemap-{stem}-{number}.xml"


def _encoded(url: str) -> str:
    """An address with anything outside ASCII percent-encoded, as crawlers want it."""
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")


def _loc(url: str) -> str:
    return html.escape(_encoded(url), quote=False)


def _xml_document(root: str, rows: Iterator[str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<{root} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "".join(rows)
        + f"</{root}>\n"
    )


def _urlset(urls: Iterable[SitemapUrl], base_url: str) -> str:
    return _xml_document("urlset", (
        f"<url><loc>{_loc(base_url + u.url)}</loc><lastmod>{u.lastmod.isoformat()}</lastmod></url>\n" for u in urls
    ))


def sitemap_part(part: SitemapPart, *, base_url: str) -> str:
    """The file of one part of the sitemaps (see sitemap_parts)."""
    return _urlset(part.urls(), base_url)


def sitemap_file(site: Site, parts: Sequence[SitemapPart], *, base_url: str) -> str:
    """sitemap.xml: every address of the site, or, with `parts`, the index
    that names them, each dated by its newest address."""
    if not parts:
        return _urlset(sitemap_urls(site), base_url)
    return _xml_document("sitemapindex", (
        f"<sitemap><loc>{_loc(base_url + part.name)}</loc><lastmod>{part.lastmod().isoformat()}</lastmod></sitemap>\n"
        for part in parts
    ))


def news_entries(site: Site, zone: datetime.tzinfo, *, days: int = NEWS_DAYS, limit: int = NEWS_LIMIT) -> tuple[Entry, ...]:
    """The articles a news sitemap lists: those published in the `days` before
    the newest article (not before the build, which would make every build
    another site), newest first, at most `limit`."""
    if not site.entries:
        return ()
    since = published(site.entries[0].article, zone) - datetime.timedelta(days=days)
    recent = []
    for entry in site.entries[:limit]:
        if published(entry.article, zone) < since:
            break  # newest first: the rest are older still
        recent.append(entry)
    return tuple(recent)


def _news_language(language: str) -> str:
    """The publication's language as Google News names it: ISO 639 (en, fr),
    but zh-cn and zh-tw for Chinese in its two scripts."""
    code = language.lower()
    if code.startswith("zh"):
        return "zh-tw" if code in ("zh-tw", "zh-hk", "zh-mo", "zh-hant") or code.startswith("zh-hant") else "zh-cn"
    return code.split("-")[0]


def news_sitemap(site: Site, *, base_url: str, site_title: str, language: str, zone: datetime.tzinfo) -> str:
    """A Google News sitemap of the recent articles (news_entries)."""
    name = html.escape(_xml_text(site_title), quote=False)
    rows = (
        f"<url><loc>{_loc(base_url + e.url)}</loc><news:news>"
        f"<news:publication><news:name>{name}</news:name><news:language>{_news_language(language)}</news:language>"
        f"</news:publication><news:publication_date>{published(e.article, zone).isoformat()}</news:publication_date>"
        f"<news:title>{html.escape(_xml_text(e.article.title), quote=False)}</news:title></news:news></url>\n"
        for e in news_entries(site, zone)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="{_NEWS}">\n'
        + "".join(rows) + "</urlset>\n"
    )


def robots(base_url: str) -> str:
    """Crawlers may read everything; the sitemaps are named for them.

    Crawlers read robots.txt only at the root of a host: under a sub-path this
    file is a template for the host's own."""
    return (f"User-agent: *\nDisallow:\n\nSitemap: {_encoded(base_url + SITEMAP)}\n"
            f"Sitemap: {_encoded(base_url + NEWS_SITEMAP)}\n")


def publish_files(
    site: Site, *, base_url: str, site_title: str, language: str, feeds: bool = True, sitemap_files: bool = True,
    zone: datetime.tzinfo = datetime.UTC, archives: int = 0, parts: Sequence[SitemapPart] = (),
) -> Iterator[tuple[str, str]]:
    """The files of this module for one site (but the feeds without `feeds`,
    the sitemap, the news sitemap and robots.txt without `sitemap_files`):
    (path in the output, text), one at a time.  `parts`: the site's
    sitemap_parts, which sitemap.xml then names; each is made by
    sitemap_part."""
    if feeds:
        yield ATOM_FEED, atom_feed(site, base_url=base_url, site_title=site_title, language=language, zone=zone,
                                   archives=archives)
        yield JSON_FEED, json_feed(site, base_url=base_url, site_title=site_title, language=language, zone=zone,
                                   archives=archives)
    if not sitemap_files:
        return
    yield SITEMAP, sitemap_file(site, parts, base_url=base_url)
    yield NEWS_SITEMAP, news_sitemap(site, base_url=base_url, site_title=site_title, language=language, zone=zone)
    yield ROBOTS, robots(base_url)
