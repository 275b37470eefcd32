"""The site model: permalinks, ordering, pagination and archives.

Everything here is pure: Articles in, plain page objects out.  Addresses are
paths relative to the site root, always ending in "/" for a folder page
("" is the home page); templates turn them into relative links.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby

from slugify import slugify

from .language import month_and_year
from .records import Article, Problem
from .times import seconds_of_day


# Two for each article: slots halve its size.  Not frozen, which takes three times
# as long to make (0.15 s at 100,000 articles): nothing changes an entry once linked.
@dataclass(slots=True)
class Entry:
    """An article placed in the site: its permanent address and its neighbours."""

    article: Article
    url: str
    newer: Entry | None = None
    older: Entry | None = None


@dataclass(frozen=True)
class Listing:
    """One page of a list of articles: the home page, a month's archive, an author's or a tag's."""

    kind: str  # "index", "month", "author" or "tag"
    url: str
    title: str
    entries: tuple[Entry, ...]
    number: int  # counted from the oldest page: the first page, the newest, is number `count`
    count: int  # how many pages the list has
    first_url: str
    previous_url: str | None  # the page of newer articles
    next_url: str | None  # the page of older articles
    year: int | None = None
    month: int | None = None

    @property
    def is_first(self) -> bool:
        """The list's first page, at first_url: its newest articles."""
        return self.url == self.first_url


@dataclass(frozen=True)
class MonthSummary:
    year: int
    month: int
    name: str
    url: str
    count: int


@dataclass(frozen=True)
class YearArchive:
    year: int
    url: str
    months: tuple[MonthSummary, ...]
    count: int


@dataclass(frozen=True)
class Group:
    """The articles of one author, or with one tag: its name, its page and how many."""

    name: str
    url: str
    count: int


@dataclass(frozen=True)
class Site:
    entries: tuple[Entry, ...]  # newest first
    listings: tuple[Listing, ...]
    years: tuple[YearArchive, ...]  # newest first
    authors: tuple[Group, ...] = ()  # by name
    tags: tuple[Group, ...] = ()  # by name


AUTHORS_URL = "authors/"  # the list of authors; each has authors/<slug>/
TAGS_URL = "tags/"  # the list of tags; each has tags/<slug>/


_PLAIN_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")


def slug_of(article: Article) -> str:
    """The last segment of the permalink: the explicit slug, else the id, made URL-safe.

    Lower case ASCII, so that two articles never differ only by case on a
    case-insensitive disk."""
    raw = article.slug or article.id
    if len(raw) <= 80 and _PLAIN_SLUG.match(raw):
        return raw  # what slugify gives back for it, without its cost (per article of a large corpus)
    slug = slugify(raw, max_length=80, word_boundary=True)
    if not slug:
        slug = "article-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:12]
    return slug


def permalink(article: Article) -> str:
    """The permanent address: from the date and the id or slug only, never the title."""
    # Not strftime's %Y, which writes a year before 1000 in fewer digits on
    # some systems only: isoformat writes four always.
    return f"{article.date.isoformat().replace('-', '/')}/{slug_of(article)}/"


def assign_permalinks(articles: Iterable[Article]) -> tuple[list[tuple[Article, str]], list[Problem]]:
    """Give each article a unique address; on a collision the article whose source
    path sorts first keeps it, the others get -2, -3… with a warning."""
    articles = list(articles)
    urls = [permalink(a) for a in articles]
    if len(set(urls)) == len(urls):
        # No address is wanted twice, as in most archives: no sort of them all (0.2 s at 100,000).
        placed = list(zip(articles, urls, strict=True))
        return placed, _shared_ids(placed, warned=set())
    placed = []
    problems: list[Problem] = []
    taken: set[str] = set()
    # By address, then by source path (then by place, never by article): tuples, not a key for each.
    wanted = sorted((url, a.source, i, a) for i, (a, url) in enumerate(zip(articles, urls, strict=True)))
    for url, _, _, article in wanted:
        if url in taken:
            n = 2
            while f"{url[:-1]}-{n}/" in taken:
                n += 1
            holder = next(a for a, u in placed if u == url)
            problems.append(Problem(article.source, f"address {url} is taken by {holder.source}; using {url[:-1]}-{n}/"))
            url = f"{url[:-1]}-{n}/"
        taken.add(url)
        placed.append((article, url))
    problems += _shared_ids(placed, warned={p.source for p in problems})
    return placed, problems


def _shared_ids(placed: Sequence[tuple[Article, str]], warned: set[str]) -> list[Problem]:
    """One warning for each article whose id an article sorting before it has
    already (unless it was warned about its address): tools that look
    articles up by id would find two."""
    ids = {article.id for article, _ in placed}
    if len(ids) == len(placed):
        return []  # no id is shared, as in most archives: no sort of every article by its file (0.1 s at 100,000)
    first: dict[str, Article] = {}
    problems = []
    for article, _ in sorted(placed, key=lambda pair: pair[0].source):
        holder = first.setdefault(article.id, article)
        if holder is not article and article.source not in warned:
            problems.append(Problem(article.source, f"id {article.id!r} is also the id of {holder.source}; both are built"))
    return problems


def newest_first(placed: Iterable[tuple[Article, str]]) -> list[tuple[Article, str]]:
    """By day, then by the time of day as written (a day alone at its start), then by address."""
    placed = list(placed)
    # By address, then (sorts are stable) by the moment as one number: a key of
    # one value each sorts in half the time of a tuple each (0.05 s at 100,000).
    moments = [-(article.date.toordinal() * 86400 + seconds_of_day(article.time)) for article, _ in placed]
    order = sorted(range(len(placed)), key=lambda i: placed[i][1])
    order.sort(key=moments.__getitem__)
    return [placed[i] for i in order]


def link_neighbours(placed: Sequence[tuple[Article, str]]) -> tuple[Entry, ...]:
    """Entries in newest-first order, each knowing the next newer and older one."""
    # A neighbour has no neighbours of its own: an entry sent to a worker process
    # takes its two neighbours with it, not the whole chain.
    articles = [article for article, _ in placed]
    urls = [url for _, url in placed]
    bare: list[Entry | None] = [None, *map(Entry, articles, urls), None]
    return tuple(map(Entry, articles, urls, bare[:-2], bare[2:]))


def paginate(
    entries: Sequence[Entry], *, kind: str, base_url: str, title: str, per_page: int,
    year: int | None = None, month: int | None = None,
) -> list[Listing]:
    """The pages of a list of entries (newest first), numbered from the oldest
    so that a page keeps its articles however the list grows: page N, at
    base_url + "page/N/", holds the Nth `per_page` articles counted from the
    oldest.  The first page, at base_url, holds the newest: the newest full
    page and the articles that fill no page yet, so between `per_page` and
    2 × `per_page` − 1 of them (or all, in a shorter list).  An article added
    at the top changes the first page only, and once in `per_page` additions
    gives a page of its own to what the first page held.  Newest first."""
    total = len(entries)
    numbered = max(0, total // per_page - 1)  # the pages with an address of their own
    count = numbered + 1
    first = total - numbered * per_page
    urls = {number: f"{base_url}page/{number}/" for number in range(1, numbered + 1)}
    urls[count] = base_url

    def page(number: int, start: int, stop: int) -> Listing:
        return Listing(
            kind=kind,
            url=urls[number],
            title=title,
            entries=tuple(entries[start:stop]),
            number=number,
            count=count,
            first_url=base_url,
            previous_url=urls.get(number + 1),
            next_url=urls.get(number - 1),
            year=year,
            month=month,
        )

    # Page N holds entries [total - N × per_page, total - (N - 1) × per_page) of the newest-first list.
    return [page(count, 0, first)] + [
        page(number, total - number * per_page, total - (number - 1) * per_page) for number in range(numbered, 0, -1)
    ]


ARCHIVE_URL = "archive/"  # the list of every year and month


def year_url(year: int) -> str:
    return f"{ARCHIVE_URL}{year:04d}/"


def month_url(year: int, month: int) -> str:
    return f"{ARCHIVE_URL}{year:04d}/{month:02d}/"


def name_slug(name: str) -> str:
    """The address segment of an author's or a tag's name: lower case ASCII
    (transliterated), or a digest of the name when nothing of it is left."""
    slug = slugify(name, max_length=80, word_boundary=True)
    return slug or "n-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]


def author_url(name: str) -> str:
    return f"{AUTHORS_URL}{name_slug(name)}/"


def tag_url(name: str) -> str:
    return f"{TAGS_URL}{name_slug(name)}/"


def group_by_name(entries: Sequence[Entry], names: Callable[[Article], Iterable[str]], base_url: str) -> dict[str, tuple[str, list[Entry]]]:
    """The entries of each name (newest first), by the address of its page.
    Names with one slug ("Ann Lee", "ann lee") share a page, under the name
    that sorts first; so that an address stays with the same articles."""
    groups: dict[str, tuple[str, list[Entry]]] = {}
    for entry in entries:
        given = names(entry.article)
        if not given:
            continue  # most articles of an archive: no dict for them (0.05 s at 100,000)
        for name in dict.fromkeys(given):  # a tag given twice counts once
            url = f"{base_url}{name_slug(name)}/"
            shown, members = groups.setdefault(url, (name, []))
            if name < shown:
                groups[url] = (name, members)
            members.append(entry)
    return dict(sorted(groups.items(), key=lambda item: (item[1][0].casefold(), item[0])))


def build_site(
    articles: Iterable[Article], *, per_page: int, site_title: str, language: str = "en"
) -> tuple[Site, list[Problem]]:
    """The site's pages; the titles of months ("November 2023") in `language`."""
    placed, problems = assign_permalinks(articles)
    entries = link_neighbours(newest_first(placed))
    listings = paginate(entries, kind="index", base_url="", title=site_title, per_page=per_page)
    years: list[YearArchive] = []
    for year, year_group in groupby(entries, key=lambda e: e.article.date.year):
        in_year = list(year_group)
        months = []
        for month, month_group in groupby(in_year, key=lambda e: e.article.date.month):
            in_month = list(month_group)
            name = month_and_year(year, month, language)
            listings += paginate(
                in_month, kind="month", base_url=month_url(year, month), title=name,
                per_page=per_page, year=year, month=month,
            )
            months.append(MonthSummary(year, month, name, month_url(year, month), len(in_month)))
        years.append(YearArchive(year, year_url(year), tuple(months), len(in_year)))
    groups: dict[str, tuple[Group, ...]] = {}
    for kind, base_url, names in (("author", AUTHORS_URL, _author_names), ("tag", TAGS_URL, _tag_names)):
        found = group_by_name(entries, names, base_url)
        for url, (name, members) in found.items():
            listings += paginate(members, kind=kind, base_url=url, title=name, per_page=per_page)
        groups[kind] = tuple(Group(name, url, len(members)) for url, (name, members) in found.items())
    return Site(entries=entries, listings=tuple(listings), years=tuple(years), authors=groups["author"],
                tags=groups["tag"]), problems


def _author_names(article: Article) -> tuple[str, ...]:
    return (article.author,) if article.author else ()


def _tag_names(article: Article) -> tuple[str, ...]:
    return article.tags
