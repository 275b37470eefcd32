"""The site in its readers' language: interface words from the catalogs,
dates and month names from CLDR, right to left for Arabic and Hebrew."""

from __future__ import annotations

import datetime
import json
import re
import shutil
from pathlib import Path

import lxml.html
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from broadsheet import language
from broadsheet.build import build
from broadsheet.cache import PACKAGE, build_key
from broadsheet.config import Config, validate
from broadsheet.offline_index import documents
from broadsheet.site import build_site as site_of

from .conftest import PROJECT, load_file, txt

LOCALE = PROJECT / "broadsheet" / "locale"
TRANSLATED = ("fr", "de", "es", "ar", "he")

ARTICLES = {
    "harbour.md": "---\ntitle: Harbour reopens\ndate: 2023-11-11T09:30:00+02:00\nauthor: Ana Díaz\n"
                  "updated: 2023-11-12\n---\nThe harbour reopened today.\n\nShips came back.\n",
    "council.txt": txt("2023-11-02", "The council voted."),
    "storms.txt": txt("2023-12-05", "Storms came."),
    "fair.txt": txt("2024-03-20", "The fair opened."),
}


def tree(page: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(page.read_bytes())


def text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def one(page: Path, xpath: str) -> lxml.html.HtmlElement:
    (found,) = tree(page).xpath(xpath)
    return found


def search_words(out: Path) -> dict:
    return json.loads(one(out / "search/index.html", '//script[@id="search-words"]').text)


@pytest.fixture
def site_in(corpus, build_site):
    source = corpus(ARTICLES)

    def make(code: str, **settings):
        return build_site(source, language=code, per_page=2, **settings)

    return make


def test_a_french_site_writes_french_words_and_dates(site_in):
    result, out = site_in("fr")
    assert not any("note: there are no interface words" in note for note in result.notes)
    article = out / "2023/11/11/harbour/index.html"
    html = one(article, "/html")
    assert (html.get("lang"), html.get("dir")) == ("fr", "ltr")
    assert text(one(article, '//p[@class="byline"]/time')) == "11 novembre 2023, 09:30 UTC+02:00"
    assert text(one(article, '//span[@class="updated"]')) == "· Mis à jour le 12 novembre 2023"
    assert text(one(article, '//span[@class="author"]')) == "· Par Ana Díaz"
    assert one(article, '//p[@id="p1"]/a[@class="cite"]').get("aria-label") == "Lien vers le paragraphe 1"
    assert text(one(article, '//label[@for="site-search"]')) == "Rechercher dans les archives"
    assert text(one(out / "archive/index.html", "//h1")) == "Archives"
    assert [text(a) for a in tree(out / "archive/index.html").xpath('//ul[@class="months"]//a')] == \
        ["mars", "décembre", "novembre"]
    assert text(one(out / "archive/2023/11/index.html", "//h1")) == "novembre 2023"
    assert text(one(out / "index.html", '//nav[@class="pagination"]/span')) == "Page 2"
    teaser_dates = [text(t) for t in tree(out / "archive/2023/11/index.html").xpath('//p[@class="byline"]/time')]
    assert teaser_dates == ["11 novembre 2023", "2 novembre 2023"]


def test_the_search_pages_script_gets_its_words_from_the_page_in_the_sites_language(site_in):
    _, out = site_in("fr", search=True)
    words = search_words(out)
    assert words["anyYear"] == "Toutes les années" and words["months"][10] == "novembre"
    assert words["monthYear"][10] == "novembre {year}"
    # A message that counts, in each plural category of French (CLDR's "one", "many", "other").
    assert set(words["matches"]) == {"one", "many", "other"}
    assert words["matches"]["other"] == "{count} articles correspondent à «\u00a0{query}\u00a0»{where}."
    assert words["noMatch"].startswith("Aucun article")
    page = out / "search/index.html"
    assert text(one(page, '//label[@for="search-query"]')) == "Rechercher dans les archives"
    assert [text(o) for o in tree(page).xpath('//select[@id="search-order"]/option')] == \
        ["Les plus pertinents d’abord", "Les plus récents d’abord", "Les plus anciens d’abord"]
    # The script itself carries no English of its own.
    script = (out / "assets/search.js").read_text(encoding="utf-8")
    assert not re.search(r'"(Any year|No articles|About |November| articles? match)', script)


def test_an_arabic_site_is_right_to_left_with_arabic_months(site_in):
    _, out = site_in("ar", search=True)
    for page in ("index.html", "archive/index.html", "2023/11/11/harbour/index.html", "search/index.html", "404.html"):
        html = one(out / page, "/html")
        assert (html.get("lang"), html.get("dir")) == ("ar", "rtl"), page
    assert text(one(out / "archive/2023/11/index.html", "//h1")) == "نوفمبر 2023"
    assert "نوفمبر" in [text(a) for a in tree(out / "archive/index.html").xpath('//ul[@class="months"]//a')]
    assert text(one(out / "archive/index.html", "//h1")) == "الأرشيف"
    # Arabic has six plural forms: the script's counted messages have them all.
    assert set(search_words(out)["matches"]) == {"zero", "one", "two", "few", "many", "other"}


def test_hebrew_is_right_to_left_too(site_in):
    _, out = site_in("he")
    assert one(out / "index.html", "/html").get("dir") == "rtl"
    assert text(one(out / "archive/index.html", "//h1")) == "ארכיון"


def test_a_language_without_words_has_english_words_its_own_dates_and_one_note(site_in):
    result, out = site_in("sw", strict=True)  # a note, not a warning: a strict build goes on
    notes = [note for note in result.notes if "'sw'" in note]
    assert len(notes) == 1 and "English" in notes[0] and "\n" not in notes[0]
    article = out / "2023/11/11/harbour/index.html"
    assert text(one(article, '//p[@class="byline"]/time')).startswith("11 Novemba 2023")
    assert text(one(out / "archive/index.html", "//h1")) == "Archive"
    assert text(one(article, '//label[@for="site-search"]')) == "Search the archive"
    assert one(article, "/html").get("dir") == "ltr"


def test_the_cli_prints_the_note_once(corpus, capsys):
    from broadsheet.cli import main

    source = corpus({"a.txt": txt("2023-11-11", "Text.")})
    assert main(["--source", str(source), "--out", str(source.parent / "site"), "--language", "sw", "--no-search"]) == 0
    err = capsys.readouterr().err
    assert err.count("no interface words for language 'sw'") == 1


def test_english_stays_as_it_was(site_in):
    _, out = site_in("en")
    article = out / "2023/11/11/harbour/index.html"
    assert text(one(article, '//p[@class="byline"]/time')) == "11 November 2023, 09:30 UTC+02:00"
    assert text(one(out / "archive/2023/11/index.html", "//h1")) == "November 2023"
    assert text(one(out / "index.html", '//nav[@class="pagination"]/span')) == "Page 2"


def test_the_offline_index_writes_dates_in_the_sites_language(corpus):
    source = corpus({"a.txt": txt("2023-11-11", "Text.")})
    article = load_file(source / "a.txt", source, language="de").article
    assert article is not None
    site, _ = site_of([article], per_page=10, site_title="S", language="de")
    assert documents(site.entries, "de")[0].date_text == "11. November 2023"
    assert site.listings[-1].title == "November 2023"


def test_dates_and_months_come_from_cldr():
    day = datetime.date(2023, 11, 11)
    assert language.long_date(day, "es") == "11 de noviembre de 2023"
    assert language.long_date(day, "pt-BR") == "11 de novembro de 2023"
    assert language.long_date(day, "en-US") == "November 11, 2023"
    # Titles take the stand-alone form (Russian "ноябрь", not the "ноября" of a date).
    assert language.month_and_year(2023, 11, "ru").startswith("ноябрь 2023")
    assert language.month_names("ru")[10] == "ноябрь"
    assert [language.direction(code) for code in ("ar", "he", "fa", "en", "fr")] == ["rtl"] * 3 + ["ltr"] * 2
    # A code CLDR does not know is written in English, and said so.
    assert language.long_date(day, "qaa") == "11 November 2023"
    assert "not known to CLDR" in (language.english_interface_note("qaa") or "")
    assert language.english_interface_note("fr-CA") is None  # French words for any French


def placeholders(message: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)[sd]", message))


def test_the_catalog_template_has_every_message_of_the_templates():
    method_map = [("site_templates/**.html", "jinja2"), ("broadsheet/render.py", "python")]
    options = {"site_templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "plural_forms": (1, 2)}
    found = {m[2] if isinstance(m[2], str) else m[2][0]
             for m in extract_from_dir(str(PROJECT), method_map, options, keywords=keywords)}
    with (LOCALE / "messages.pot").open("rb") as pot:
        listed = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot) if m.id}
    assert found == listed, "run the extract command of docs/language.md"


@pytest.mark.parametrize("code", TRANSLATED)
def test_each_catalog_translates_every_message_with_its_placeholders(code):
    with (LOCALE / "messages.pot").open("rb") as pot:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot) if m.id}
    with (LOCALE / code / "LC_MESSAGES/messages.po").open("rb") as po:
        catalog = read_po(po)
    assert catalog.num_plurals == len(language.locale_of(code).plural_form.rules) + 1
    seen = set()
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        seen.add(ids[0])
        assert all(strings) and not message.fuzzy, (code, ids[0])
        needed = set().union(*map(placeholders, ids))
        for string in strings:
            # A plural form may say its count in words ("مقالتان": two articles).
            assert needed - {"num"} <= placeholders(string) <= needed, (code, ids[0], string)
    assert seen == wanted


def test_the_build_key_changes_with_a_catalog(tmp_path):
    package = tmp_path / "broadsheet"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    config = validate(Config(source=tmp_path, out=tmp_path / "site"))
    before = build_key(config, package=package)
    po = package / "locale/fr/LC_MESSAGES/messages.po"
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "Archives"', 'msgstr "Les archives"'), encoding="utf-8")
    assert build_key(config, package=package) != before


def test_a_language_gives_the_same_bytes_twice(corpus, tmp_path):
    source = corpus(ARTICLES)
    outs = []
    for n in (1, 2):
        out = tmp_path / f"site{n}"
        build(validate(Config(source=source, out=out, language="ar", search=False, per_page=2, incremental=False)))
        outs.append({p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert outs[0] == outs[1]


def test_the_stylesheet_mirrors_itself_for_right_to_left():
    css = (PROJECT / "site_templates/assets/site.css").read_text(encoding="utf-8")
    physical = re.findall(r"(?:margin|padding|border)-(?:left|right)\b|[\s;{](?:left|right)\s*:|text-align:\s*(?:left|right)|float:\s*(?:left|right)", css)
    assert physical == []


def test_a_site_built_again_in_another_language_has_its_words(corpus, tmp_path):
    """Compiled templates hold their words, and are kept from build to build:
    those of one language are never used for another."""
    source = corpus(ARTICLES)
    out = tmp_path / "site"
    for code, archive in (("fr", "Archives"), ("en", "Archive"), ("de", "Archiv"), ("fr", "Archives")):
        build(validate(Config(source=source, out=out, language=code, search=False)))
        assert text(one(out / "archive/index.html", "//h1")) == archive, code
