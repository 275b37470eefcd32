"""The site in its readers' language: the words of the interface and the way
dates are written.

Dates, times of day and month names come from the Unicode CLDR through Babel,
for any language CLDR knows.  The words of the interface come from the
gettext catalogs in broadsheet/locale/ (a .po file per language, compiled in
memory when first needed: what is built is always what the catalog says).  A
language without a catalog is written with the English words, and its dates
in its own language.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import io
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time, get_month_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_FOLDER = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
# The English of the templates is British ("Neighbouring articles"), and its
# dates have always been written day first ("11 November 2023"): plain "en"
# takes the CLDR data of en-GB; "en-US" and the others are as CLDR has them.
_PLAIN_ENGLISH = "en_GB"


@functools.cache
def locale_of(language: str) -> Locale:
    """The CLDR locale of a language code ("fr", "pt-BR", "zh-Hant-TW"); one
    CLDR does not know is written as English."""
    if language.lower() == "en":
        return Locale.parse(_PLAIN_ENGLISH)
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(_PLAIN_ENGLISH)


def known_to_cldr(language: str) -> bool:
    try:
        Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return False
    return True


def direction(language: str) -> str:
    """"rtl" for a language written right to left (Arabic, Hebrew, Persian…), else "ltr"."""
    return "rtl" if locale_of(language).character_order == "right-to-left" else "ltr"


# ---- Dates ----


@functools.cache
def long_date(day: datetime.date, language: str = "en") -> str:
    """A day as the language writes it in full: "11 November 2023",
    "11 novembre 2023", "11. November 2023".  Kept once made: an archive has
    far fewer days than it shows dates."""
    return format_date(day, "long", locale=locale_of(language))


def clock(time: datetime.datetime | datetime.time, language: str = "en") -> str:
    """The time of day as the language writes it ("09:30", "9:30 AM" in
    American English), with its offset when the article gave one, written
    as everywhere: "09:30 UTC+02:00"."""
    text = _time_of_day(time.hour, time.minute, language)
    offset = time.utcoffset()
    if offset is None:
        return text
    if not offset:
        return text + " UTC"
    total = int(offset.total_seconds()) // 60
    return f"{text} UTC{'-' if total < 0 else '+'}{abs(total) // 60:02d}:{abs(total) % 60:02d}"


def date_and_time(when: datetime.date, language: str = "en") -> str:
    """A day in full, and its time when `when` has one, joined as the language
    joins them: "11 November 2023, 09:30 UTC+02:00", "11 نوفمبر 2023، 9:30 ص"."""
    if not isinstance(when, datetime.datetime):
        return long_date(when, language)
    pattern = locale_of(language).datetime_formats["long"]
    # {1} is the date and {0} the time; the patterns CLDR gives for joining them
    # have no letters to quote, only at most a quoted word ("'at'"), kept as it is.
    day = long_date(when.date(), language)
    return str(pattern).replace("'", "").replace("{1}", "\x00").replace("{0}", clock(when, language)).replace("\x00", day)


@functools.cache
def _time_of_day(hour: int, minute: int, language: str) -> str:
    return format_time(datetime.time(hour, minute), "short", locale=locale_of(language))


@functools.cache
def month_names(language: str = "en") -> tuple[str, ...]:
    """The names of the twelve months, January first, in their stand-alone
    form (the form of a title or a list, not of a date: Russian "ноябрь")."""
    names = get_month_names("wide", "stand-alone", locale=locale_of(language))
    return tuple(names[month] for month in range(1, 13))


@functools.cache
def month_and_year(year: int, month: int, language: str = "en") -> str:
    """A month's title: "November 2023", "novembre 2023", "2023年11月"."""
    return format_skeleton("yMMMM", datetime.date(year, month, 1), locale=locale_of(language))


def month_and_year_patterns(language: str) -> list[str]:
    """Each month's title with "{year}" where its year goes, for the search
    page's script, which learns the years from the results."""
    sample = 2000
    year_text = format_skeleton("y", datetime.date(sample, 1, 1), locale=locale_of(language))
    return [month_and_year(sample, month, language).replace(year_text, "{year}") for month in range(1, 13)]


# ---- Words ----


def catalog_path(language: str) -> Path | None:
    """The catalog of a language's interface words: the one of its own
    region ("pt_BR") first, then that of the language ("pt")."""
    if not known_to_cldr(language):
        return None
    locale = locale_of(language)
    for name in dict.fromkeys((str(locale), locale.language)):
        path = LOCALE_FOLDER / name / "LC_MESSAGES" / f"{DOMAIN}.po"
        if path.is_file():
            return path
    return None


def catalog_key(language: str) -> str:
    """Stands for the words of `language`: its catalog's name and contents."""
    path = catalog_path(language)
    if path is None:
        return "english"
    return f"{path.parent.parent.name} {hashlib.sha256(path.read_bytes()).hexdigest()}"


def has_interface(language: str) -> bool:
    """Whether the interface is written in this language (English, or a catalog)."""
    return (known_to_cldr(language) and locale_of(language).language == "en") or catalog_path(language) is not None


@functools.cache
def translations(language: str) -> NullTranslations:
    """The gettext translations of the interface; English (the words of the
    templates themselves) without a catalog."""
    path = catalog_path(language)
    if path is None:
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale_of(language), domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def english_interface_note(language: str) -> str | None:
    """The line a build prints when the interface of `language` is in English."""
    if has_interface(language):
        return None
    return (f"note: there are no interface words for language {language!r}: the site's words are in English, "
            f"its dates in {language!r}" if known_to_cldr(language)
            else f"note: language {language!r} is not known to CLDR: the site's words and dates are in English")


def plural_samples(language: str) -> list[tuple[str, int]]:
    """For each CLDR plural category of the language ("one", "few", "other"…),
    the smallest count of that category: the search page's script asks the
    browser for a count's category and takes the words written for it."""
    rule = locale_of(language).plural_form
    found: dict[str, int] = {}
    # Some categories start late: French and Spanish say "many" of millions.
    for count in (*range(1000), *(10**power for power in range(3, 10))):
        found.setdefault(rule(count), count)
    return sorted(found.items())
