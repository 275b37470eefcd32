"""Pure functions over plain article text: titles, excerpts, counts, direction."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from itertools import repeat

# Search engines show headlines of up to 110 characters (Google's guidance for
# articles): a derived title longer than that is cut at a word boundary within it.
TITLE_MAX = 110
EXCERPT_LENGTH = 280
WORDS_PER_MINUTE = 230

# A language code like "en" or "pt-BR" (BCP 47, simplified).
LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
# C0 control characters other than tab and line ends, as the inside of a
# character class: never meaningful in an article, and not allowed in XML 1.0.
C0_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f"

# Words that end in a full stop without ending a sentence.  Compared in lower
# case without the stop.
ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt ft rev hon gov sen rep pres gen lt col maj capt cmdr
    adm sgt cpl pvt brig supt insp det sec atty dept univ inc ltd co corp bros assn
    vols figs ed eds est approx vs etc al cf ie eg
    jan feb mar apr jun jul aug sep sept oct nov dec
    mon tue tues wed thu thur thurs fri sat sun
    a.m p.m
    """.split()
)

# Full-width stops (CJK) end a sentence without a following space.  A match
# starts only at the first stop of a run, so that a long run of stops is
# scanned once, not once per stop (which would make long inputs quadratic).
_SENTENCE_END = re.compile(r"""(?<![.!?…。！？])([.!?…。！？]+)(["'”’»)\]」』]*)(\s+|$|(?<=[。！？」』]))""")
# How far back from a full stop to look for the word it ends: abbreviations
# and initialisms are short, and a bounded look keeps each test O(1).
_WORD_WINDOW = 64
# Abbreviations that stand before a number: "No. 5", "Vol. 2".
_NUMBER_ABBREVIATIONS = frozenset({"no", "nos", "vol", "fig", "p", "pp", "art", "para"})
_INITIALISM = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]?$")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
# Unicode categories that draw nothing: separators, controls, format characters.
_INVISIBLE = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs"})


def normalise_space(text: str) -> str:
    if _is_normal(text):
        return text
    if "\n\n" in text:
        # Normal paragraphs between blank lines (an article's text): the blank
        # lines become the spaces, and the text is not cut into words.
        flat = text.replace("\n\n", " ")
        if _is_normal(flat):
            return flat
    # str.split() and the regex \s agree on what whitespace is; split is faster.
    return " ".join(text.split())


def _is_normal(text: str) -> bool:
    """True when the only whitespace in `text` is single spaces between words.

    Every whitespace character but the space is unprintable, and telling so is
    several times faster than splitting the text."""
    return text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "


def is_blank(text: str) -> bool:
    """True when nothing in `text` would show: only spaces, controls and
    invisible format characters (zero-width spaces, joiners, marks)."""
    return all(unicodedata.category(c) in _INVISIBLE for c in text)


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    stops = match.group(1)
    if stops != ".":
        return True
    start = match.start(1)
    before = text[max(0, start - _WORD_WINDOW) : start]
    words = before.rsplit(None, 1)
    word = words[-1] if words else ""
    # A word that fills the whole window is far longer than any abbreviation.
    long_word = start > _WORD_WINDOW and len(word) == len(before)
    word = word.lstrip("\"'“‘«([")
    if not word:
        return True
    following = text[match.end() : match.end() + 1]
    if not long_word:
        if word.lower() in ABBREVIATIONS:
            return False
        if word.lower() in _NUMBER_ABBREVIATIONS and following.isdigit():
            return False
        # U.S., U.K., J. (initials) and a.m are abbreviations, not sentence ends.
        if _INITIALISM.match(word + ".") or (len(word) == 1 and word.isalpha()):
            return False
    # A sentence starts with a capital, a digit or an opening quote; "e.g. the"
    # style continuations in lower case do not.
    return not following.islower()


def first_sentence(text: str, *, within: int | None = None) -> str:
    """The first sentence of `text`'s first paragraph, with its closing punctuation.

    With `within`, a sentence that does not end in the first `within`
    characters is not looked for further: the whole paragraph is returned."""
    return _first_sentence(text, within)[0]


def _first_sentence(text: str, within: int | None) -> tuple[str, bool]:
    """first_sentence(), and whether it is the one a search without `within` gives."""
    text = normalise_space(text.lstrip().split("\n\n", 1)[0])
    for match in _SENTENCE_END.finditer(text):
        if within is not None and match.start() >= within:
            return text, False
        if _ends_sentence(text, match):
            return text[: match.end(2)].strip(), True
    return text, True


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    # Scripts without spaces (CJK) or a single huge word: cut mid-run instead.
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:–—-") + "…"


def derive_title_and_opening(text: str) -> tuple[str, str | None]:
    """A headline from the body (its first sentence, without a final full stop),
    and that sentence when it was read whole (for derive_excerpt, which would
    look for it again)."""
    # A sentence that ends further on is cut to TITLE_MAX all the same, so its end
    # need not be found (in a huge paragraph without one, that is a long search).
    sentence, whole = _first_sentence(text, TITLE_MAX + 2)
    opening = sentence if whole else None
    if sentence.endswith(".") and not sentence.endswith(".."):
        word = sentence[:-1].rsplit(None, 1)[-1] if " " in sentence else sentence[:-1]
        if not _INITIALISM.match(word + "."):
            sentence = sentence[:-1]
    if len(sentence) > TITLE_MAX:
        sentence = shorten(sentence, TITLE_MAX)
    return sentence.strip(), opening


def derive_excerpt(
    text: str, *, skip_first_sentence: bool = False, limit: int = EXCERPT_LENGTH, opening: str | None = None
) -> str:
    """A teaser of about `limit` characters, ending at a sentence end where one is near.

    When the title is the first sentence, the excerpt starts after it so that a
    listing does not say the same thing twice.  `opening`: that sentence, if
    known (from derive_title_and_opening)."""
    if not skip_first_sentence:
        opening = ""
    elif opening is None:
        opening = first_sentence(text)
    flat = _normalised_start(text, len(opening) + limit + 3)
    if skip_first_sentence:
        text = flat[len(opening) :].strip() if flat.startswith(opening) else flat
        text = text or flat
    else:
        text = flat
    if len(text) <= limit:
        return text
    window = text[: limit + 1]
    # The last sentence end in the window, if it is not too early: looked for
    # from the end, as telling a stop that ends a sentence costs most.
    for match in reversed(list(_SENTENCE_END.finditer(window))):
        if match.end(2) < limit * 0.6:
            break
        if _ends_sentence(window, match):
            return window[: match.end(2)].strip()
    return shorten(text, limit)


def _normalised_start(text: str, length: int) -> str:
    """normalise_space(text), or a start of it at least `length` characters long:
    an excerpt needs only the start of a long article."""
    # Spaces only ever shrink, so the start of the text gives a start of its
    # normalised form: the whole of it unless the cut fell inside a word.
    raw = 4 * length + 64
    if len(text) > raw:
        start = normalise_space(text[:raw])
        if len(start) >= length:
            return start
    return normalise_space(text)


def count_words(text: str) -> int:
    """Words separated by spaces, plus each CJK character (those scripts use no spaces)."""
    cjk = 0 if text.isascii() else len(_CJK.findall(text))
    if cjk:
        text = _CJK.sub(" ", text)
    # An article's text is normal paragraphs between blank lines: counted
    # without making a string of each word.
    flat = text.replace("\n\n", " ")
    spaced = (flat.count(" ") + 1 if flat else 0) if _is_normal(flat) else len(text.split())
    return spaced + cjk


def count_paragraph_words(paragraphs: Sequence[str]) -> int:
    """count_words of paragraphs joined by blank lines (no word spans two), for
    paragraphs that normalise_space has made (not empty): ASCII ones without
    checking them again, which costs more than counting."""
    if all(map(str.isascii, paragraphs)):  # no CJK; str.isascii reads a flag
        return sum(map(str.count, paragraphs, repeat(" "))) + len(paragraphs)
    return sum(map(count_words, paragraphs))


def reading_minutes(word_count: int) -> int:
    return max(1, math.ceil(word_count / WORDS_PER_MINUTE))


def text_direction(text: str) -> str:
    """'rtl' or 'ltr', from the first strongly directional character (as dir=auto does)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return "ltr"


_SCRIPTS = {
    "he": re.compile(r"[\u0590-\u05ff]"),
    "ar": re.compile(r"[\u0600-\u06ff\u0750-\u077f]"),
    "el": re.compile(r"[\u0370-\u03ff]"),
    "kana": re.compile(r"[\u3040-\u30ff]"),
    "hangul": re.compile(r"[\uac00-\ud7af]"),
    "han": re.compile(r"[\u4e00-\u9fff]"),
}


# The languages other than the one the script is named after that are written
# in it, as far as a guess from the script can tell: a Persian or Urdu site
# keeps its language for text in Arabic script, a Yiddish one for Hebrew script,
# a Japanese or Korean one for Chinese characters (kanji, hanja).
_WRITTEN_LIKE = {
    "he": {"yi", "lad"},
    "ar": {"fa", "ur", "ps", "ckb", "sd", "ug", "ku"},
    "zh": {"ja", "ko", "yue"},
}


def guess_language(text: str, default: str) -> str:
    """A language code from the script of the text's opening, else `default`.

    Plain-text articles carry no language; the script is a safe enough signal
    for the `lang` attribute (fonts, hyphenation, screen readers).  Text in the
    script of `default` keeps `default` ("pt-BR", "zh-TW", "fa")."""
    guessed = _language_of_script(text)
    primary = default.split("-")[0].lower()
    if guessed is None or guessed == primary or primary in _WRITTEN_LIKE.get(guessed, ()):
        return default
    return guessed


def _language_of_script(text: str) -> str | None:
    """The language a script is named after, when most of the text's opening is in it."""
    sample = text[:400]
    if sample.isascii():
        return None  # every script below is outside ASCII
    letters = sum(1 for c in sample if c.isalpha())
    if not letters:
        return None
    share = {name: len(pattern.findall(sample)) for name, pattern in _SCRIPTS.items()}
    cjk = share["kana"] + share["hangul"] + share["han"]
    if cjk * 2 > letters:
        if share["kana"]:
            return "ja"
        return "ko" if share["hangul"] > share["han"] else "zh"
    for name in ("he", "ar", "el"):
        if share[name] * 2 > letters:
            return name
    return None
