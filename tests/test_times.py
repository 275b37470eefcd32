"""Dates and times of articles: a day or a moment, the site's timezone, updates."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import lxml.html

from .conftest import txt
from .test_publish import BASE, json_ld, md


def tree(page: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(page.read_bytes())


def text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def meta(page: Path, prop: str) -> list[str]:
    return tree(page).xpath(f'//meta[@property="{prop}"]/@content')


def byline_time(page: Path) -> lxml.html.HtmlElement:
    (time,) = tree(page).xpath('//p[@class="byline"]/time')
    return time


def updated_line(page: Path) -> lxml.html.HtmlElement | None:
    found = tree(page).xpath('//p[@class="byline"]/span[@class="updated"]')
    return found[0] if found else None


def test_a_date_and_time_with_an_offset_is_carried_whole_everywhere(corpus, build_site):
    source = corpus({"vote.md": md("The vote", "2024-04-29T09:30:00+02:00", "Parliament voted today.")})
    result, out = build_site(source, base_url=BASE)
    assert not result.problems
    page = out / "2024/04/29/vote/index.html"
    assert text(byline_time(page)) == "29 April 2024, 09:30 UTC+02:00"
    assert byline_time(page).get("datetime") == "2024-04-29T09:30:00+02:00"
    assert json_ld(page)["datePublished"] == "2024-04-29T09:30:00+02:00"
    assert meta(page, "article:published_time") == ["2024-04-29T09:30:00+02:00"]
    atom = feedparser.parse((out / "feed.xml").read_bytes())
    assert atom.entries[0].published == atom.entries[0].updated == "2024-04-29T09:30:00+02:00"
    assert atom.feed.updated == "2024-04-29T09:30:00+02:00"
    items = json.loads((out / "feed.json").read_text(encoding="utf-8"))["items"]
    assert items[0]["date_published"] == "2024-04-29T09:30:00+02:00" and "date_modified" not in items[0]


def test_a_day_alone_is_its_first_moment_in_the_sites_timezone(corpus, build_site):
    source = corpus({"winter.md": md("Winter", "2024-02-03", "Snow fell."), "summer.md": md("Summer", "2024-07-03", "Sun.")})
    _, out = build_site(source, base_url=BASE, timezone="Europe/Paris")
    assert json_ld(out / "2024/02/03/winter/index.html")["datePublished"] == "2024-02-03T00:00:00+01:00"
    assert json_ld(out / "2024/07/03/summer/index.html")["datePublished"] == "2024-07-03T00:00:00+02:00"
    assert text(byline_time(out / "2024/02/03/winter/index.html")) == "3 February 2024"


def test_a_time_without_an_offset_is_of_the_sites_timezone(corpus, build_site):
    source = corpus({"a.md": md("Local", "2024-02-03 18:05", "Evening news.")})
    _, out = build_site(source, base_url=BASE, timezone="America/New_York")
    page = out / "2024/02/03/a/index.html"
    assert json_ld(page)["datePublished"] == "2024-02-03T18:05:00-05:00"
    assert text(byline_time(page)) == "3 February 2024, 18:05"


def test_articles_of_one_day_are_ordered_by_their_time(corpus, build_site):
    source = corpus({
        "a-morning.md": md("Morning", "2024-04-29T08:00:00+00:00", "Early."),
        "b-evening.md": md("Evening", "2024-04-29T19:00:00+00:00", "Late."),
        "c-day.md": md("Day alone", "2024-04-29", "Some time that day."),
        "d-next.md": md("Next day", "2024-04-30", "Tomorrow."),
    })
    _, out = build_site(source)
    titles = [text(a) for a in tree(out / "index.html").xpath('//ol[contains(@class, "article-list")]//h2/a')]
    assert titles == ["Next day", "Evening", "Morning", "Day alone"]


def test_the_plain_text_header_takes_a_date_and_time(corpus, build_site):
    result, out = build_site(corpus({"wire.txt": " date 2023-11-11T14:00:00Z The ministry said on Saturday that it would act."}),
                             base_url=BASE)
    assert not result.problems
    (page,) = out.glob("2023/11/11/*/index.html")
    assert json_ld(page)["datePublished"] == "2023-11-11T14:00:00+00:00"
    assert text(byline_time(page)) == "11 November 2023, 14:00 UTC"


def test_an_update_is_shown_and_announced(corpus, build_site):
    source = corpus({"fix.md": md("Fixed", "2024-04-29T09:30:00+02:00", "A correction.", updated="2024-05-02T10:00:00+02:00")})
    _, out = build_site(source, base_url=BASE)
    page = out / "2024/04/29/fix/index.html"
    updated = updated_line(page)
    assert updated is not None and text(updated) == "· Updated 2 May 2024, 10:00 UTC+02:00"
    assert json_ld(page)["dateModified"] == "2024-05-02T10:00:00+02:00"
    assert meta(page, "article:modified_time") == ["2024-05-02T10:00:00+02:00"]
    atom = feedparser.parse((out / "feed.xml").read_bytes())
    assert atom.entries[0].published == "2024-04-29T09:30:00+02:00" and atom.entries[0].updated == "2024-05-02T10:00:00+02:00"
    assert atom.feed.updated == "2024-05-02T10:00:00+02:00"
    items = json.loads((out / "feed.json").read_text(encoding="utf-8"))["items"]
    assert items[0]["date_modified"] == "2024-05-02T10:00:00+02:00"
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://example.org/news/2024/04/29/fix/</loc><lastmod>2024-05-02</lastmod>" in sitemap.replace("\n", "").replace(" ", "")


def test_bad_times_are_one_warning_each_and_the_build_goes_on(corpus, build_site):
    source = corpus({
        "late.md": md("Late", "2024-04-29T25:00:00+02:00", "No such hour."),
        "back.md": md("Back", "2024-04-29", "Updated before it was written.", updated="2024-04-01"),
        "odd.md": md("Odd", "2024-04-29", "An update that is no date.", updated="soon"),
        "fine.txt": txt("2024-04-28", "A fine article."),
    })
    result, out = build_site(source)
    lines = sorted(str(p) for p in result.problems)
    assert lines == [
        "warning: back.md: 'updated' '2024-04-01' is before the date; ignored",
        "warning: late.md: invalid date '2024-04-29T25:00:00+02:00' (expected YYYY-MM-DD, or YYYY-MM-DDTHH:MM with an "
        "offset such as +02:00); skipped",
        "warning: odd.md: invalid 'updated' 'soon' (expected YYYY-MM-DD, or YYYY-MM-DDTHH:MM with an offset such as "
        "+02:00); ignored",
    ]
    assert (out / "2024/04/29/back/index.html").is_file() and not (out / "2024/04/29/late").exists()
    assert updated_line(out / "2024/04/29/back/index.html") is None


def test_a_timezone_that_does_not_exist_is_one_line(tmp_path: Path, capsys):
    from broadsheet.cli import main

    assert main(["--source", str(tmp_path), "--timezone", "Mars/Olympus"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        'error: --timezone must be a timezone name like "UTC" or "Europe/Paris", not "Mars/Olympus"']
