"""Titles, excerpts, counts and direction derived from plain text."""

import pytest

from broadsheet.text import (
    TITLE_MAX,
    count_words,
    derive_excerpt,
    derive_title_and_opening,
    first_sentence,
    guess_language,
    reading_minutes,
    shorten,
    text_direction,
)


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("The U.S. said no. Then it said yes.", "The U.S. said no."),
        ("Marine Lt. Gen. James Glynn arrived. He spoke.", "Marine Lt. Gen. James Glynn arrived."),
        ("Mr. Smith and Mrs. Jones met Dr. Who. Later.", "Mr. Smith and Mrs. Jones met Dr. Who."),
        ("Growth was 3.5 percent in Q3. Analysts cheered.", "Growth was 3.5 percent in Q3."),
        ("Is this over? Nobody knows.", "Is this over?"),
        ("“We will win.” The crowd roared.", "“We will win.”"),
        ("J. R. R. Tolkien wrote it. Fans agree.", "J. R. R. Tolkien wrote it."),
        ("No stop at all", "No stop at all"),
        ("東京で会議が開かれた。首相が出席した。", "東京で会議が開かれた。"),
        ("The meeting ran until 10 p.m. on Friday. Then it ended.", "The meeting ran until 10 p.m. on Friday."),
    ],
)
def test_first_sentence_knows_abbreviations_and_decimals(text, sentence):
    assert first_sentence(text) == sentence


def test_title_drops_final_full_stop_but_keeps_other_marks():
    assert derive_title_and_opening("Prices rose. Then fell.")[0] == "Prices rose"
    assert derive_title_and_opening("Will prices rise? Maybe.")[0] == "Will prices rise?"


def test_long_title_is_cut_at_a_word_boundary():
    sentence = " ".join(["word"] * 60) + "."
    title = derive_title_and_opening(sentence)[0]
    assert len(title) <= TITLE_MAX
    assert title.endswith("…")
    assert title[:-1].split() == ["word"] * len(title[:-1].split())


def test_five_thousand_characters_without_a_stop_gives_a_short_title():
    title = derive_title_and_opening("a" * 5000)[0]
    assert 0 < len(title) <= TITLE_MAX


def test_shorten_leaves_short_text_alone():
    assert shorten("short", 10) == "short"


def test_excerpt_skips_the_title_sentence_and_ends_at_a_sentence():
    text = "Headline sentence here. " + "Second sentence is longer than the first one. " * 10
    excerpt = derive_excerpt(text, skip_first_sentence=True)
    assert not excerpt.startswith("Headline")
    assert excerpt.endswith(".")
    assert len(excerpt) <= 281


def test_counts_and_reading_time():
    assert count_words("one two  three\nfour") == 4
    assert count_words("東京 in Japan") == 4
    assert reading_minutes(0) == 1
    assert reading_minutes(231) == 2


@pytest.mark.parametrize(
    ("text", "direction", "language"),
    [
        ("שלום עולם, זה מאמר", "rtl", "he"),
        ("مرحبا بالعالم هذا مقال", "rtl", "ar"),
        ("123 — Hello", "ltr", "en"),
        ("東京で会議が開かれた", "ltr", "ja"),
    ],
)
def test_direction_and_language_from_script(text, direction, language):
    assert text_direction(text) == direction
    assert guess_language(text, "en") == language


@pytest.mark.parametrize(
    ("text", "site", "language"),
    [
        ("این یک مقاله است", "fa", "fa"),  # Persian, in Arabic script
        ("دا یو مقاله ده", "ps", "ps"),
        ("مرحبا بالعالم", "ar-EG", "ar-EG"),
        ("מיר האָבן געזען", "yi", "yi"),  # Yiddish, in Hebrew script
        ("东京举行了会议", "zh-TW", "zh-TW"),
        ("東京會議", "ja", "ja"),  # kanji alone
        ("韓國 政府", "ko", "ko"),  # hanja alone
        ("שלום עולם", "fa", "he"),  # another script than the site's: guessed
        ("مرحبا بالعالم", "yi", "ar"),
        ("東京で会議", "zh", "ja"),
        ("Hello world", "fa", "fa"),
    ],
)
def test_text_in_the_script_of_the_site_language_keeps_it(text, site, language):
    assert guess_language(text, site) == language
