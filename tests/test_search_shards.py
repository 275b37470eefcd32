"""The search index in shards: the plan, the bundles Pagefind writes, their list."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pagefind_bin
import pytest

from broadsheet import search, search_stable
from broadsheet.build import build
from broadsheet.config import Config, ConfigError, make_config, read_config_file, validate
from broadsheet.load import discover
from broadsheet.outputs.offline_search import IndexMaker
from broadsheet.search import INDEX_FOLDER, SearchError, Shard, bundle_files, bundles_json, index_shards, plan_shards
from broadsheet.site import build_site as site_of

from .conftest import load_file, parse_bytes, txt, write_corpus


def article(name: str, date: str):
    return parse_bytes(f"date {date} Story {name} here.".encode(), name, fmt="txt", language="en").article


def site_with(dates: list[str]):
    site, problems = site_of([article(f"a{i:03d}.txt", d) for i, d in enumerate(dates)], per_page=10, site_title="T")
    assert problems == []
    return site


def shape(shards: list[Shard]) -> list[tuple[str, str, int]]:
    return [(s.name, s.folder, len(s.pages)) for s in shards]


def test_whole_years_are_packed_oldest_first_while_they_fit():
    site = site_with(["2022-06-01"] + ["2019-01-01", "2019-02-01"] + ["2020-03-03"] * 2 + ["2021-01-01"] * 3)
    assert shape(plan_shards(site, limit=4)) == [
        ("2019", "pagefind/", 4),  # 2019 and 2020
        ("2021", "pagefind/2021/", 4),  # 2021 and 2022
    ]
    assert shape(plan_shards(site, limit=3)) == [
        ("2019", "pagefind/", 2), ("2020", "pagefind/2020/", 2), ("2021", "pagefind/2021/", 3), ("2022", "pagefind/2022/", 1),
    ]
    assert shape(plan_shards(site, limit=100)) == [("2019", "pagefind/", 8)]


def test_a_year_bigger_than_the_limit_is_cut_into_whole_months():
    dates = (
        ["2019-12-31"]
        + ["2020-01-05", "2020-01-06", "2020-02-01", "2020-03-01", "2020-03-02", "2020-03-03", "2020-04-04"]
        + ["2021-01-01"]
    )
    shards = plan_shards(site_with(dates), limit=4)
    assert shape(shards) == [
        ("2019", "pagefind/", 1),
        ("2020-01", "pagefind/2020-01/", 3),  # January and February; March would not fit
        ("2020-03", "pagefind/2020-03/", 4),  # March and April
        ("2021", "pagefind/2021/", 1),  # the months of a cut year are not packed with other years
    ]
    assert all(page.startswith("2020/03/") or page.startswith("2020/04/") for page in shards[2].pages)


def test_a_month_bigger_than_the_limit_is_cut_into_whole_days_and_a_day_never():
    # A shard is one Pagefind run, which holds its pages in memory: a dense month
    # (14,000 articles in the million-article benchmark) is not one run.
    dates = ["2020-04-30"] + ["2020-05-01"] * 2 + ["2020-05-02"] * 2 + ["2020-05-03"] * 5 + ["2020-06-01", "2020-06-02"]
    shards = plan_shards(site_with(dates), limit=4)
    assert shape(shards) == [
        ("2020-04", "pagefind/", 1),  # the months of the year before the big one
        ("2020-05-01", "pagefind/2020-05-01/", 4),  # the 1st and the 2nd
        ("2020-05-03", "pagefind/2020-05-03/", 5),  # a day is never cut, however big
        ("2020-06", "pagefind/2020-06/", 2),  # the days of a cut month are not packed with other months
    ]
    assert all(page.startswith(("2020/05/01/", "2020/05/02/")) for page in shards[1].pages)
    assert search.shard_glob(shards[1]) == "{2020/05/{01,02}/**/*.html,pagefind/start/index.html}"
    assert search.shard_glob(shards[2]) == "{2020/05/03/**/*.html,pagefind/start/index.html}"


def test_pages_are_the_article_files_sorted_each_in_exactly_one_shard():
    site = site_with([f"20{19 + i % 4}-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(40)])
    shards = plan_shards(site, limit=7)
    assert [s.name for s in shards] == sorted(s.name for s in shards)  # oldest first
    assert shards[0].folder == "pagefind/" and all(s.folder == f"pagefind/{s.name}/" for s in shards[1:])
    everything = [page for s in shards for page in s.pages]
    assert sorted(everything) == sorted(e.url + "index.html" for e in site.entries)
    assert len(set(everything)) == len(everything)
    assert all(list(s.pages) == sorted(s.pages) and 0 < len(s.pages) for s in shards)
    assert shards[0].pages[0].count("/") == 4 and shards[0].pages[0].endswith("/index.html")
    assert plan_shards(site, limit=7) == shards  # pure


@pytest.mark.parametrize("limit", [1, 3, 7, 100])
def test_each_shard_is_a_run_of_the_sites_entries_newest_first(monkeypatch, limit):
    # The offline index takes each shard's entries as a slice of the site's, not
    # by the shard of each page: so the plan's shards, newest first, are runs of
    # them, the newest day apart too, and days cut from their months.
    monkeypatch.setattr(search, "NEWEST_APART_FROM", 3)
    dates = [f"20{19 + i % 3}-{1 + i % 4:02d}-{1 + i % 3:02d}" for i in range(40)] + ["2022-02-02"] * 3
    site = site_with(dates)
    shards = plan_shards(site, limit=limit)
    assert shards[-1].apart
    start = 0
    for shard in reversed(shards):
        run = site.entries[start : start + len(shard.pages)]
        assert sorted(e.url + "index.html" for e in run) == list(shard.pages)
        start += len(shard.pages)
    assert start == len(site.entries)


def test_a_shard_glob_takes_its_year_or_month_folders():
    assert search.shard_glob(Shard("2019", "pagefind/", ("2019/01/01/a/index.html", "2020/01/01/b/index.html"))) == (
        "{2019,2020}/**/*.html"
    )
    assert search.shard_glob(Shard("2019", "pagefind/", ("2019/01/01/a/index.html",))) == "2019/**/*.html"
    assert search.shard_glob(Shard("2019-05", "pagefind/2019-05/", ("2019/05/01/a/index.html", "2019/06/01/b/index.html"))) == (
        "{2019/{05,06}/**/*.html,pagefind/start/index.html}"
    )


def test_bundles_json_lists_the_bundles_oldest_first_with_their_counts():
    shards = [Shard("2019", "pagefind/", ("x",) * 3), Shard("2021-05", "pagefind/2021-05/", ("y",) * 2)]
    text = bundles_json(shards, {"2021-05": 2, "2019": 3})
    assert json.loads(text) == {"bundles": [
        {"name": "2019", "path": "", "pages": 3, "records": 3},
        {"name": "2021-05", "path": "2021-05/", "pages": 2, "records": 3},
    ]}
    assert text == bundles_json(shards, {"2019": 3, "2021-05": 2}) and text.endswith("\n")


def test_search_shard_pages_is_a_setting_of_one_or_more(tmp_path):
    assert Config().search_shard_pages == search.SHARD_PAGES == 5000
    (tmp_path / "broadsheet.toml").write_text("search_shard_pages = 3\n", encoding="utf-8")
    assert make_config(read_config_file(tmp_path / "broadsheet.toml"), {}).search_shard_pages == 3
    for wrong in (0, -1, "5"):
        with pytest.raises(ConfigError, match="search_shard_pages"):
            validate(Config(search_shard_pages=wrong))


# Articles over four years, two months each, with a word of their own.
def corpus_files() -> dict[str, str]:
    files = {}
    for i in range(16):
        year, month = 2019 + i // 4, 3 + 6 * (i % 2)
        files[f"{year}/s{i:02d}.txt"] = txt(f"{year}-{month:02d}-{10 + i}", f"Story {i} of the harbour.", f"Word uniq{i}x here.")
    return files


def fragments(bundle: Path) -> list[str]:
    """The page addresses of a bundle's fragments."""
    urls = []
    for file in sorted((bundle / "fragment").iterdir()):
        data = gzip.decompress(file.read_bytes())
        assert data.startswith(b"pagefind_dcd")
        urls.append(json.loads(data[len(b"pagefind_dcd") :])["url"])
    return urls


def files_of(site: Path, within: tuple[str, ...] = ("",)) -> dict[str, bytes]:
    return {name: p.read_bytes() for p in sorted(site.rglob("*"))
            if p.is_file() and (name := p.relative_to(site).as_posix()).startswith(within)}


def build_split(source: Path, out: Path, shard_pages: int = 3, **settings):
    return build(validate(Config(source=source, out=out, search=True, search_shard_pages=shard_pages, **settings)))


def test_a_small_shard_size_gives_several_bundles_each_article_in_one(tmp_path):
    source = write_corpus(tmp_path / "corpus", corpus_files())
    result = build_split(source, tmp_path / "site")
    out = tmp_path / "site"
    assert result.indexed == 16
    assert not [note for note in result.notes if "Pagefind bundles" in note]  # 8: few enough
    listed = json.loads((out / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
    # Each year (4 articles) is more than 3: cut into its two months of 2.
    assert [b["name"] for b in listed] == [f"{y}-{m}" for y in range(2019, 2023) for m in ("03", "09")]
    assert [b["path"] for b in listed] == [""] + [f"{b['name']}/" for b in listed[1:]]
    assert [b["pages"] for b in listed] == [2] * 8
    assert [b["records"] for b in listed] == [2] + [3] * 7

    manifest = json.loads((out / "articles.json").read_text(encoding="utf-8"))["articles"]
    wanted = Counter(f"/{a['url']}index.html" for a in manifest)
    found: Counter[str] = Counter()
    for i, bundle in enumerate(listed):
        folder = out / INDEX_FOLDER / bundle["path"]
        entry = json.loads((folder / "pagefind-entry.json").read_text(encoding="utf-8"))
        assert entry["languages"]["en"]["page_count"] == bundle["records"]
        urls = fragments(folder)
        if i > 0:
            urls.remove("/" + search.PLACEHOLDER)  # the record that leads the date order
        assert len(urls) == bundle["pages"]
        found.update(urls)
        assert (folder / "pagefind.js").is_file() and (folder / "pagefind-ui.js").is_file()
    assert found == wanted
    assert not (out / search.PLACEHOLDER).exists() and not (out / search.PLACEHOLDER).parent.exists()

    # The files of each bundle, together, are every file under pagefind/ but the list.
    shards = plan_shards(_site_of_build(source), limit=3)
    every = [f for shard in shards for f in bundle_files(out, shard, shards)]
    assert len(every) == len(set(every))
    assert sorted(every + ["pagefind/bundles.json"]) == sorted(
        p.relative_to(out).as_posix() for p in (out / INDEX_FOLDER).rglob("*") if p.is_file()
    )
    assert "pagefind/pagefind-entry.json" in bundle_files(out, shards[0], shards)
    assert "pagefind/2019-09/pagefind-entry.json" not in bundle_files(out, shards[0], shards)


def test_a_search_index_of_many_bundles_says_what_a_served_search_then_loads(tmp_path, monkeypatch):
    from broadsheet.outputs import search_bundles

    monkeypatch.setattr(search_bundles, "HEAVY", 7)
    source = write_corpus(tmp_path / "corpus", corpus_files())
    result = build_split(source, tmp_path / "site")
    assert result.bundles == 8
    assert [note for note in result.notes if "Pagefind bundles" in note] == [
        'note: the search index is 8 Pagefind bundles, and a search of the site on a web server loads a part of '
        'each (about 320 KB); with served-search = "offline" it reads a few hundred KB at any size (see docs/search.md)']
    # Served by the offline index, the site has no bundle to speak of.
    offline = build_split(source, tmp_path / "offline", served_search="offline")
    assert not [note for note in offline.notes if "Pagefind bundles" in note]


def test_auto_chooses_pagefind_up_to_eight_shards_of_articles_and_the_offline_index_past_them():
    assert [search.served_engine(n, 5000) for n in (0, 1, 40_000, 40_001, 10**6)] == ["pagefind"] * 3 + ["offline"] * 2
    assert [search.served_engine(n, 3) for n in (24, 25)] == ["pagefind", "offline"]


def test_auto_serves_pagefind_up_to_eight_shards_of_articles_and_the_offline_index_past_them(tmp_path):
    # The default: Pagefind's bundles while a served query reads a part of a few of them; past
    # eight shards of articles (24 here), the offline index, and no bundle is built.  A site that
    # grows past them changes engine in place, and back, each time as a full build makes it.
    source = write_corpus(tmp_path / "corpus", corpus_files())
    out = tmp_path / "site"
    small = build_split(source, out)
    assert small.bundles == 8 and (out / "pagefind/bundles.json").is_file()
    assert 'data-served="pagefind"' in (out / "search/index.html").read_text(encoding="utf-8")
    more = {f"{year}/t{i:02d}.txt": txt(f"{year}-{month:02d}-{10 + i}", f"Later story {i}.", f"Word late{i}x here.")
            for i, (year, month) in enumerate((y, m) for y in (2023, 2024, 2025) for m in (3, 3, 9, 9))}
    write_corpus(source, more)
    grown = build_split(source, out)
    assert grown.in_place and grown.bundles == 0 and grown.indexed == 28
    assert not (out / "pagefind").exists()
    assert 'data-served="offline"' in (out / "search/index.html").read_text(encoding="utf-8")
    assert [note for note in grown.notes if "offline index" in note] == [
        "note: the archive is now 28 articles, more than 24: served, the search page now asks the offline index, "
        'and Pagefind\'s bundles are removed (served-search = "pagefind" keeps them; see docs/search.md)']
    assert not [note for note in build_split(source, out).notes if "offline index" in note]  # said once
    assert files_of(out) == files_of(_full_build(source, tmp_path / "full-grown"))
    # Chosen, Pagefind's bundles stay, however many (and the build says what a query then loads).
    chosen = build_split(source, tmp_path / "chosen", served_search="pagefind")
    assert chosen.bundles == 14 and [note for note in chosen.notes if "Pagefind bundles" in note]
    for name in more:
        (source / name).unlink()
    shrunk = build_split(source, out)
    assert shrunk.in_place and shrunk.bundles == 8
    assert 'data-served="pagefind"' in (out / "search/index.html").read_text(encoding="utf-8")
    # The addresses of the articles taken away answer 410 now, as a full build's would not know.
    searched = files_of(_full_build(source, tmp_path / "full-shrunk"), within=("pagefind/", "search/"))
    assert files_of(out, within=("pagefind/", "search/")) == searched


def _full_build(source: Path, out: Path) -> Path:
    build_split(source, out)
    return out


def _site_of_build(source: Path):
    paths, _ = discover(source)
    articles = [load_file(source / p, source, language="en").article for p in paths]
    return site_of([a for a in articles if a is not None], per_page=50, site_title="News Archive")[0]


def test_two_split_builds_are_byte_identical(tmp_path):
    source = write_corpus(tmp_path / "corpus", corpus_files())
    build_split(source, tmp_path / "one")
    build_split(source, tmp_path / "two")
    first, second = files_of(tmp_path / "one"), files_of(tmp_path / "two")
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    assert sum(name.endswith("pagefind-entry.json") for name in first) == 8


def test_one_shard_gives_the_index_of_a_single_pagefind_run(tmp_path):
    source = write_corpus(tmp_path / "corpus", corpus_files())
    build(validate(Config(source=source, out=tmp_path / "site", search=True)))
    split = files_of(tmp_path / "site" / INDEX_FOLDER)
    assert json.loads(split.pop("bundles.json")) == {"bundles": [{"name": "2019", "path": "", "pages": 16, "records": 16}]}

    # The index as one run over the whole site makes it.
    single = tmp_path / "single"
    shutil.copytree(tmp_path / "site", single)
    shutil.rmtree(single / INDEX_FOLDER)
    subprocess.run(
        [str(pagefind_bin.get_executable()), "--site", str(single), "--output-subdir", INDEX_FOLDER,
         "--force-language", "en", "--keep-index-url", "--silent"],
        check=True, capture_output=True,
    )
    assert search_stable.stabilise(single / INDEX_FOLDER)
    assert split == files_of(single / INDEX_FOLDER)


def test_a_failed_run_is_one_line(tmp_path):
    source = write_corpus(tmp_path / "corpus", corpus_files())
    build(validate(Config(source=source, out=tmp_path / "site", search=False)))
    missing = Shard("1990", "pagefind/", ("1990/01/01/gone/index.html",))
    with pytest.raises(SearchError) as caught:
        index_shards(tmp_path / "site", [missing], language="en", jobs=2)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("pagefind failed on the 1990 shard: Error: Pagefind was not able to build an index")


def test_a_run_into_a_bundle_a_run_cut_short_left_is_the_run_into_an_empty_one(tmp_path):
    source = write_corpus(tmp_path / "corpus", corpus_files())
    build(validate(Config(source=source, out=tmp_path / "site", search=False)))
    shards = plan_shards(_site_of_build(source), limit=4)
    index_shards(tmp_path / "site", shards, language="en", jobs=2, output=tmp_path / "empty")
    # Half-written files where the runs will write theirs, and one of a page gone.
    shutil.copytree(tmp_path / "empty", tmp_path / "cut")
    for path in [*(tmp_path / "cut").rglob("*.pf_fragment")][:3] + [*(tmp_path / "cut").rglob("*.pf_index")][:2]:
        path.write_bytes(path.read_bytes()[:10])
    (tmp_path / "cut/pagefind/fragment/en_0000000.pf_fragment").write_bytes(b"gone")
    index_shards(tmp_path / "site", shards, language="en", jobs=2, output=tmp_path / "cut")
    assert files_of(tmp_path / "cut") == files_of(tmp_path / "empty")


def test_shards_run_side_by_side_within_the_memory_there_is(tmp_path, monkeypatch):
    source = write_corpus(tmp_path / "corpus", corpus_files())
    build(validate(Config(source=source, out=tmp_path / "site", search=False)))
    shards = plan_shards(_site_of_build(source), limit=4)
    assert len(shards) == 4
    events: list[str] = []
    real_start = search._start

    def start(site_root, shard, language, output, finished):
        events.append("start")
        return real_start(site_root, shard, language, output, finished)

    monkeypatch.setattr(search, "_start", start)

    def run(memory: int | None) -> dict[str, int]:
        events.clear()
        monkeypatch.setattr(search, "available_memory", lambda: memory)
        return index_shards(tmp_path / "site", shards, language="en", jobs=3, done=lambda s, n: events.append("done"))

    # Memory for one run only: one at a time, and all done.
    assert run(search.RUN_BYTES) == {s.name: 4 for s in shards}
    assert events == ["start", "done"] * 4
    # Memory enough: as many as the jobs.
    assert run(None) == {s.name: 4 for s in shards}
    assert events[:4] == ["start"] * 3 + ["done"] and events.count("start") == 4


def test_a_month_too_big_for_one_run_is_indexed_by_days_each_article_once(tmp_path):
    from .test_offline_index import listed as offline_list

    files = {f"s{i}.txt": txt(f"2020-05-{1 + i // 2:02d}", f"Story {i} of the harbour.", f"Word uniq{i}x here.")
             for i in range(5)}
    source = write_corpus(tmp_path / "corpus", files)
    out = tmp_path / "site"
    result = build_split(source, out, shard_pages=2)
    assert result.indexed == 5 and result.problems == []
    bundles = json.loads((out / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
    assert [(b["name"], b["pages"]) for b in bundles] == [("2020-05-01", 2), ("2020-05-02", 2), ("2020-05-03", 1)]
    manifest = json.loads((out / "articles.json").read_text(encoding="utf-8"))["articles"]
    found: Counter[str] = Counter()
    for bundle in bundles:
        urls = fragments(out / INDEX_FOLDER / bundle["path"])
        if bundle["path"]:
            urls.remove("/" + search.PLACEHOLDER)
        found.update(urls)
    assert found == Counter(f"/{a['url']}index.html" for a in manifest)
    # The offline index has the same shards.
    scripts = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in (out / "search/offline").rglob("*.js")}
    assert [shard["documents"] for shard in offline_list(scripts)["shards"]] == [1, 2, 2]  # newest first


def test_the_newest_day_is_a_shard_apart_once_enough_articles_come_before_it(monkeypatch):
    monkeypatch.setattr(search, "NEWEST_APART_FROM", 3)
    site = site_with(["2019-01-01", "2019-01-01", "2020-03-03", "2020-03-05", "2020-03-05"])
    shards = plan_shards(site, limit=10)
    assert shape(shards) == [("2019", "pagefind/", 2), ("2020-03", "pagefind/2020-03/", 1),
                             ("2020-03-05", "pagefind/2020-03-05/", 2)]
    assert [s.apart for s in shards] == [False, False, True]
    assert all(page.startswith("2020/03/05/") for page in shards[2].pages)
    assert search.shard_glob(shards[2]) == "{2020/03/05/**/*.html,pagefind/start/index.html}"
    assert search.shard_glob(shards[1]) == "{2020/03/03/**/*.html,pagefind/start/index.html}"  # its days but the one apart
    # Fewer before it: the newest day stays with the rest; so does a site of one day.
    assert shape(plan_shards(site_with(["2019-01-01", "2020-03-03", "2020-03-05"]), limit=10)) == [("2019", "pagefind/", 3)]
    assert shape(plan_shards(site_with(["2020-03-05"] * 6), limit=10)) == [("2020", "pagefind/", 6)]
    # The rest is planned without it: here a month cut into days, the newest not packed with them.
    dense = site_with(["2020-05-01"] * 3 + ["2020-05-02"] * 2 + ["2020-05-03"])
    assert shape(plan_shards(dense, limit=4)) == [
        ("2020-05-01", "pagefind/", 3), ("2020-05-02", "pagefind/2020-05-02/", 2), ("2020-05-03", "pagefind/2020-05-03/", 1),
    ]


def test_the_newest_month_of_a_year_cut_into_months_is_a_shard_of_its_own(monkeypatch):
    # 2020 does not fit in 4 pages: its months are packed, but for the newest, which stands alone.
    site = site_with(["2019-05-05"] + ["2020-01-02"] * 2 + ["2020-02-02", "2020-03-03", "2020-03-04"])
    assert shape(plan_shards(site, limit=4)) == [
        ("2019", "pagefind/", 1), ("2020-01", "pagefind/2020-01/", 3), ("2020-03", "pagefind/2020-03/", 2),
    ]
    # An older year cut into months is packed as before; a newest year that fits stays whole.
    year = ["2019-01-02"] * 3 + ["2019-02-02"] * 2 + ["2019-03-03"]
    assert shape(plan_shards(site_with([*year, "2020-06-06"]), limit=4)) == [
        ("2019-01", "pagefind/", 3), ("2019-02", "pagefind/2019-02/", 3), ("2020", "pagefind/2020/", 1),
    ]
    assert shape(plan_shards(site_with(year), limit=4)) == [
        ("2019-01", "pagefind/", 3), ("2019-02", "pagefind/2019-02/", 2), ("2019-03", "pagefind/2019-03/", 1),
    ]
    # With the newest day apart, the day before goes back with its month alone.
    monkeypatch.setattr(search, "NEWEST_APART_FROM", 3)
    dated = site_with(["2020-01-02"] * 3 + ["2020-02-02"] * 2 + ["2020-03-03", "2020-03-04"])
    assert shape(plan_shards(dated, limit=4)) == [
        ("2020-01", "pagefind/", 3), ("2020-02", "pagefind/2020-02/", 2), ("2020-03", "pagefind/2020-03/", 1),
        ("2020-03-04", "pagefind/2020-03-04/", 1),
    ]


def test_with_the_newest_day_apart_the_newest_year_is_cut_into_months_however_small(monkeypatch):
    monkeypatch.setattr(search, "NEWEST_APART_FROM", 3)
    site = site_with(["2019-05-05", "2020-01-02", "2020-01-03", "2020-02-02", "2020-03-03", "2020-03-04"])
    # 2020 would fit in one shard: its months before the newest are packed, the newest stands alone.
    assert shape(plan_shards(site, limit=10)) == [
        ("2019", "pagefind/", 1), ("2020-01", "pagefind/2020-01/", 3), ("2020-03", "pagefind/2020-03/", 1),
        ("2020-03-04", "pagefind/2020-03-04/", 1),
    ]
    # A newest year of one month is that month, packed with no year before it (the first days of a year).
    assert shape(plan_shards(site_with(["2019-05-05", "2020-01-02", "2020-01-03", "2020-01-04"]), limit=10)) == [
        ("2019", "pagefind/", 1), ("2020-01", "pagefind/2020-01/", 2), ("2020-01-04", "pagefind/2020-01-04/", 1)]
    # A site without its newest day apart keeps its years whole, packed.
    monkeypatch.setattr(search, "NEWEST_APART_FROM", 1000)
    assert shape(plan_shards(site, limit=10)) == [("2019", "pagefind/", 6)]


def test_the_newest_day_of_a_year_before_1000_is_named_and_left_out_with_four_digits(monkeypatch):
    monkeypatch.setattr(search, "NEWEST_APART_FROM", 3)
    shards = plan_shards(site_with(["0099-11-02", "0099-12-01", "0099-12-05", "0099-12-26"]), limit=10)
    assert shape(shards) == [("0099-11", "pagefind/", 1), ("0099-12", "pagefind/0099-12/", 2),
                             ("0099-12-26", "pagefind/0099-12-26/", 1)]
    # The month's glob takes its other days, not the one apart, which is indexed once.
    assert search.shard_glob(shards[1]) == "{0099/12/{01,05}/**/*.html,pagefind/start/index.html}"


def _offline_scripts(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in (out / "search/offline").rglob("*.js")}


def _stamps(out: Path, folder: str) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in sorted((out / folder).rglob("*")) if p.is_file()}


def test_articles_added_to_the_newest_day_index_that_day_again_and_nothing_else(tmp_path, monkeypatch):

    from .test_offline_index import listed as offline_list

    monkeypatch.setattr(search, "NEWEST_APART_FROM", 3)
    files = corpus_files()
    source = write_corpus(tmp_path / "corpus", files)
    out = tmp_path / "site"
    assert build_split(source, out, shard_pages=5).problems == []
    bundles = json.loads((out / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
    # The newest year is cut into months, so that the day before goes back with its month alone.
    assert [(b["name"], b["pages"]) for b in bundles][-3:] == [("2022-03", 2), ("2022-09", 1), ("2022-09-25", 1)]
    listing = offline_list(_offline_scripts(out))
    # The older years' terms, the other months of the newest year's (March), the newest shard's, the newest day's.
    assert [s["folder"] for s in listing["sets"]] == ["terms/", "year/", "recent/", "newest/"]
    assert [s["documents"] for s in listing["shards"]][0] == 1  # the newest day, first of the list (newest first)
    kept_terms, kept_older = _stamps(out, "search/offline/terms"), _stamps(out, "pagefind/2022-09")
    # The sets of terms each rebuild makes (in the build's own process, with one job).
    sets_made: list[str] = []
    real_terms_set = IndexMaker.terms_set
    monkeypatch.setattr(IndexMaker, "terms_set", lambda self, unit, jobs=1: sets_made.append(unit) or real_terms_set(self, unit, jobs))

    # A second article of the newest day: its bundle and its set of terms are made again, and only they.
    write_corpus(source, {"2022/late.txt": txt("2022-09-25", "Late story of the quayside.", "Word lateword here.")})
    result = build_split(source, out, shard_pages=5, jobs=1)
    assert (result.bundles, result.bundles_indexed) == (6, 1)
    assert sets_made == ["newest"]
    # The versions of the sets in the list: the newest day's changed, the others' kept.
    versions = {s["folder"]: s["version"] for s in listing["sets"]}
    relisted = {s["folder"]: s["version"] for s in offline_list(_offline_scripts(out))["sets"]}
    assert relisted["newest/"] != versions["newest/"]
    assert [relisted[f] for f in ("terms/", "year/", "recent/")] == [versions[f] for f in ("terms/", "year/", "recent/")]
    shard_versions = [s["version"] for s in listing["shards"]]
    reversioned = [s["version"] for s in offline_list(_offline_scripts(out))["shards"]]  # newest first
    assert reversioned[0] != shard_versions[0] and reversioned[1:] == shard_versions[1:]
    assert _stamps(out, "search/offline/terms") == kept_terms and _stamps(out, "pagefind/2022-09") == kept_older
    newest = _offline_scripts(out)
    chunks = [json.loads(text.partition(",")[2].removesuffix(");\n")) for path, text in newest.items() if "/newest/" in path]
    assert any("lateword" in chunk for chunk in chunks)
    full = tmp_path / "full"
    build_split(source, full, shard_pages=5)
    assert files_of(out) == files_of(full)

    # A newer day: the day before goes back with its month, as a full build puts it; the set of terms of the
    # older shards is kept (the month is the newest shard of the rest, whose terms are a set of their own).
    kept_recent = _stamps(out, "search/offline/recent")
    del sets_made[:]
    write_corpus(source, {"2022/next.txt": txt("2022-09-26", "Next story.", "Word nextword here.")})
    result = build_split(source, out, shard_pages=5, jobs=1)
    assert (result.bundles, result.bundles_indexed) == (6, 2)
    assert sets_made == ["recent", "newest"]
    assert _stamps(out, "search/offline/terms") == kept_terms and _stamps(out, "search/offline/recent") != kept_recent
    bundles = json.loads((out / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
    assert [(b["name"], b["pages"]) for b in bundles][-3:] == [("2022-03", 2), ("2022-09", 3), ("2022-09-26", 1)]
    shutil.rmtree(full)
    build_split(source, full, shard_pages=5)
    assert files_of(out) == files_of(full)
    assert not list(full.parent.glob(".full*/offline-search/*.part"))

    # A newer month's second day: September, the newest shard but the newest day's until then, joins the
    # other shards of its year (in a shard of its own: it is too big to be packed with March), which the list
    # has one more of.  The set of the older years' shards' terms is kept: it names them as it did, by their
    # places counted from the oldest.
    write_corpus(source, {"2022/more.txt": txt("2022-09-27", "More.", "Word moreword here.")})
    build_split(source, out, shard_pages=5, jobs=1)
    write_corpus(source, {"2022/october.txt": txt("2022-10-02", "October.", "Word octword here.")})
    build_split(source, out, shard_pages=5, jobs=1)
    kept_year, listed = _stamps(out, "search/offline/year"), len(offline_list(_offline_scripts(out))["shards"])
    del sets_made[:]
    write_corpus(source, {"2022/second.txt": txt("2022-10-03", "Second.", "Word secondword here.")})
    result = build_split(source, out, shard_pages=5, jobs=1)
    assert sets_made == ["year", "recent", "newest"]
    bundles = json.loads((out / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
    assert [(b["name"], b["pages"]) for b in bundles][-4:] == [("2022-03", 2), ("2022-09", 5), ("2022-10", 1),
                                                               ("2022-10-03", 1)]
    assert len(offline_list(_offline_scripts(out))["shards"]) == listed + 1
    assert _stamps(out, "search/offline/terms") == kept_terms and _stamps(out, "search/offline/year") != kept_year
    shutil.rmtree(full)
    build_split(source, full, shard_pages=5)
    assert files_of(out) == files_of(full)


def test_a_large_month_of_the_newest_year_is_a_shard_of_its_own(monkeypatch):
    # 2020 is cut into months (5 articles, shards of 4): January is large, alone; February
    # and March are packed; April, the newest, alone.  An older year is packed as before.
    monkeypatch.setattr(search, "MONTH_APART_FROM", 2)
    year = ["2019-01-02"] * 3 + ["2019-02-02"] * 2 + ["2019-03-03"]
    newest = ["2020-01-02"] * 2 + ["2020-02-02", "2020-03-03", "2020-04-04"]
    assert shape(plan_shards(site_with(year + newest), limit=4)) == [
        ("2019-01", "pagefind/", 3), ("2019-02", "pagefind/2019-02/", 3), ("2020-01", "pagefind/2020-01/", 2),
        ("2020-02", "pagefind/2020-02/", 2), ("2020-04", "pagefind/2020-04/", 1),
    ]
    monkeypatch.setattr(search, "MONTH_APART_FROM", 3)
    assert shape(plan_shards(site_with(year + newest), limit=4))[2:] == [
        ("2020-01", "pagefind/2020-01/", 4), ("2020-04", "pagefind/2020-04/", 1)]


def test_a_large_month_is_kept_as_it_is_when_the_next_months_second_day_comes(tmp_path, monkeypatch):
    # Packed with March, September would make their shard and bundle again on October's second
    # day; a shard of its own, it is kept: only October's first day and its second are made (the
    # first as it was made the day before, when it was the newest day: kept too).
    monkeypatch.setattr(search, "NEWEST_APART_FROM", 3)
    monkeypatch.setattr(search, "MONTH_APART_FROM", 2)
    files = corpus_files()
    del files["2022/s14.txt"]  # March small: September, the month after it, is not cut into parts
    source = write_corpus(tmp_path / "corpus", files)
    write_corpus(source, {"2022/october.txt": txt("2022-10-02", "October.", "Word octword here.")})
    out = tmp_path / "site"
    build_split(source, out, shard_pages=5)
    bundles = json.loads((out / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
    assert [(b["name"], b["pages"]) for b in bundles][-3:] == [("2022-03", 1), ("2022-09", 2), ("2022-10-02", 1)]
    kept_bundle = _stamps(out, "pagefind/2022-09")
    made = _shards_made(monkeypatch)
    write_corpus(source, {"2022/second.txt": txt("2022-10-03", "Second.", "Word secondword here.")})
    result = build_split(source, out, shard_pages=5, jobs=1)
    bundles = json.loads((out / "pagefind/bundles.json").read_text(encoding="utf-8"))["bundles"]
    # October, after the large September, is cut into parts: its first is the day of yesterday's build.
    assert [(b["name"], b["pages"]) for b in bundles][-3:] == [("2022-09", 2), ("2022-10-02", 1), ("2022-10-03", 1)]
    assert made == ["2022-10-03"] and (result.bundles, result.bundles_indexed) == (7, 1)
    assert _stamps(out, "pagefind/2022-09") == kept_bundle
    full = tmp_path / "full"
    build_split(source, full, shard_pages=5)
    assert files_of(out) == files_of(full)


def _shards_made(monkeypatch) -> list[str]:
    """The names of the offline index's shards each build makes from now on, in a list emptied for each."""
    made: list[str] = []
    real_shard, real_call = IndexMaker.shard, IndexMaker.__call__
    monkeypatch.setattr(IndexMaker, "shard", lambda self, name, jobs: made.append(name) or real_shard(self, name, jobs))
    monkeypatch.setattr(IndexMaker, "__call__", lambda self, *, jobs: made.clear() or real_call(self, jobs=jobs))
    return made


def test_after_a_large_month_the_newest_month_is_cut_into_parts_of_a_week():
    # 2020's February (2 articles, MONTH_APART_FROM) is large: March, the newest month, is cut into
    # parts of days 1-7, 8-14, 15-21, 22-28 and 29 on, the newest day apart; without, March is one shard.
    dates = ["2020-01-02", "2020-02-02", "2020-02-03", "2020-03-02", "2020-03-07", "2020-03-08", "2020-03-30",
             "2020-03-31"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "NEWEST_APART_FROM", 3)
        patch.setattr(search, "MONTH_APART_FROM", 2)
        shards = plan_shards(site_with(dates), limit=10)
        assert shape(shards) == [
            ("2020-01", "pagefind/", 1), ("2020-02", "pagefind/2020-02/", 2), ("2020-03-02", "pagefind/2020-03-02/", 2),
            ("2020-03-08", "pagefind/2020-03-08/", 1), ("2020-03-30", "pagefind/2020-03-30/", 1),
            ("2020-03-31", "pagefind/2020-03-31/", 1),
        ]
        assert [(s.part, s.apart) for s in shards] == [(False, False)] * 2 + [(True, False)] * 3 + [(False, True)]
        # A part bigger than a shard is cut into days, packed.
        assert shape(plan_shards(site_with(dates[:3] + ["2020-03-02"] * 3 + ["2020-03-03", "2020-03-31"]), limit=3))[2:] \
            == [("2020-03-02", "pagefind/2020-03-02/", 3), ("2020-03-03", "pagefind/2020-03-03/", 1),
                ("2020-03-31", "pagefind/2020-03-31/", 1)]
        # A month before of fewer articles, or of more than a shard holds: March is one shard.
        patch.setattr(search, "MONTH_APART_FROM", 3)
        assert shape(plan_shards(site_with(dates), limit=10)) == [
            ("2020-01", "pagefind/", 3), ("2020-03", "pagefind/2020-03/", 4), ("2020-03-31", "pagefind/2020-03-31/", 1)]
        patch.setattr(search, "MONTH_APART_FROM", 2)
        assert shape(plan_shards(site_with(dates), limit=1))[-3:] == [
            ("2020-03-08", "pagefind/2020-03-08/", 1), ("2020-03-30", "pagefind/2020-03-30/", 1),
            ("2020-03-31", "pagefind/2020-03-31/", 1)]


def test_the_first_article_of_a_new_day_makes_its_part_of_the_month_again_not_the_month(tmp_path, monkeypatch):
    monkeypatch.setattr(search, "NEWEST_APART_FROM", 3)
    monkeypatch.setattr(search, "MONTH_APART_FROM", 2)
    source = write_corpus(tmp_path / "corpus", corpus_files())  # September 2022 holds two articles: large
    october = {"2022/o1.txt": txt("2022-10-02", "One.", "Word oneword here."),
               "2022/o2.txt": txt("2022-10-03", "Two.", "Word twoword here."),
               "2022/o3.txt": txt("2022-10-10", "Three.", "Word threeword here.")}
    write_corpus(source, october)
    out = tmp_path / "site"
    build_split(source, out, shard_pages=5, served_search="offline")
    made = _shards_made(monkeypatch)
    kept, kept_year = _stamps(out, "search/offline/2022-10-02"), _stamps(out, "search/offline/year")
    # 10 October was the newest day, a shard of its own: today the part of 8 to 14 October, kept.
    write_corpus(source, {"2022/o4.txt": txt("2022-10-11", "Four.", "Word fourword here.")})
    build_split(source, out, shard_pages=5, served_search="offline", jobs=1)
    assert made == ["2022-10-11"]
    # The parts have a set of terms of their own: a part added to it leaves the set of the year's months.
    assert _stamps(out, "search/offline/year") == kept_year
    # The day before joins its part: that part is made again, not the part before it nor the month.
    write_corpus(source, {"2022/o5.txt": txt("2022-10-12", "Five.", "Word fiveword here.")})
    build_split(source, out, shard_pages=5, served_search="offline", jobs=1)
    assert sorted(made) == ["2022-10-10", "2022-10-12"]
    assert _stamps(out, "search/offline/2022-10-02") == kept
    full = tmp_path / "full"
    build_split(source, full, shard_pages=5, served_search="offline")
    assert files_of(out) == files_of(full)
    write_corpus(source, {"2022/n1.txt": txt("2022-11-01", "Six.", "Word sixword here.")})
    build_split(source, out, shard_pages=5, served_search="offline", jobs=1)
    assert sorted(made) == ["2022-10-10", "2022-11-01"]
    # On November's second day October is one shard again, made once; its first day, kept.
    write_corpus(source, {"2022/n2.txt": txt("2022-11-02", "Seven.", "Word sevenword here.")})
    build_split(source, out, shard_pages=5, served_search="offline", jobs=1)
    assert sorted(made) == ["2022-10", "2022-11-02"]
    full = tmp_path / "full2"
    build_split(source, full, shard_pages=5, served_search="offline")
    assert files_of(out) == files_of(full)


def test_a_run_again_clears_what_its_first_run_left_but_the_other_bundles_and_the_placeholder(tmp_path):
    # On a cluster, a shard's run is a task that may run again after its worker died.
    shards = [Shard("2020", f"{INDEX_FOLDER}/", ("2020/a/index.html",)),
              Shard("2021", f"{INDEX_FOLDER}/2021/", ("2021/b/index.html",))]
    bundle = tmp_path / INDEX_FOLDER
    for name in ("fragment/en_1.pf_fragment", "pagefind-entry.json", "2021/pagefind-entry.json", search.BUNDLES,
                 search.PLACEHOLDER.removeprefix(f"{INDEX_FOLDER}/")):
        (bundle / name).parent.mkdir(parents=True, exist_ok=True)
        (bundle / name).write_text("x", encoding="utf-8")
    search.clear_bundle(bundle, shards[0], shards)
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == sorted([f"{INDEX_FOLDER}/2021/pagefind-entry.json", f"{INDEX_FOLDER}/{search.BUNDLES}",
                           search.PLACEHOLDER])
