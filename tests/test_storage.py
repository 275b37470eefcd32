"""Articles and bodies as the build cache stores them."""

from __future__ import annotations

import dataclasses
import datetime

from hypothesis import given
from hypothesis import strategies as st

from broadsheet import storage
from broadsheet.records import Article, Body

texts = st.text(max_size=30)
# Articles give fixed offsets (+02:00), never a named zone.
offsets = st.builds(datetime.timezone, st.integers(-23 * 60, 23 * 60).map(lambda m: datetime.timedelta(minutes=m)))


@st.composite
def articles(draw: st.DrawFn) -> Article:
    paragraphs = tuple(draw(st.lists(texts, max_size=3)))
    joined = draw(st.booleans())
    body = Body("\n\n".join(paragraphs) if joined else draw(texts), paragraphs, draw(texts), draw(texts))
    return Article(
        draw(texts), draw(texts), draw(st.sampled_from(["txt", "md"])), draw(st.dates(min_value=datetime.date(1, 1, 1))),
        draw(texts), draw(st.booleans()), draw(st.integers(0, 10**6)), draw(st.integers(1, 999)),
        draw(st.sampled_from(["en", "fr", "ar"])), draw(st.sampled_from(["ltr", "rtl"])), draw(st.none() | texts),
        draw(st.none() | texts), tuple(draw(st.lists(texts, max_size=3))),
        draw(st.none() | st.datetimes(timezones=st.none() | offsets)), draw(st.none() | st.dates() | st.datetimes()), body,
        draw(st.none() | texts), draw(st.none() | texts),
    )


@given(articles())
def test_an_article_stored_and_read_back_is_the_same(article: Article) -> None:
    head = storage.loads(storage.dumps(storage.article_values(article)))
    body = storage.body_from(storage.loads(storage.dumps(storage.body_values(article.body))), article.excerpt)
    assert storage.article_from(head, body) == article


def test_every_field_but_the_body_and_the_checked_image_is_stored() -> None:
    # The lead image is checked by each build: the file beside the article may change while the article does not.
    stored = {f.name for f in dataclasses.fields(Article)} - {"content", "lead_image"}
    assert set(storage._HEAD) == stored


def test_a_body_kept_elsewhere_is_read_when_used_and_never_held() -> None:
    reads = []

    def read() -> Body:
        reads.append(1)
        return Body("One.\n\nTwo.", ("One.", "Two."), "", "One.")

    head = storage.article_values(Article("a", "a.txt", "txt", datetime.date(2024, 1, 2), "T", True, 2, 1, "en", "ltr",
                                          None, None, (), None, None, Body("", (), "", "")))
    article = storage.article_from(head, read)
    assert not article.has_body and reads == []
    assert article.paragraphs == ("One.", "Two.") and article.text == "One.\n\nTwo."
    assert article.excerpt == "One."
    assert not article.has_body and reads == [1, 1, 1]


def test_a_text_articles_text_is_stored_once() -> None:
    body = Body("One.\n\nTwo.", ("One.", "Two."), "", "One.")
    assert storage.body_values(body)[0] is None
    assert storage.body_from(storage.body_values(body), "One.") == body


def test_an_article_read_back_shares_its_source_path_with_the_caller():
    # A large archive holds every article's source path: once, not twice.
    from broadsheet.load import SourceFile, parse_source

    source_file = SourceFile("a/b.txt", "a/b.txt", "txt", b" date 2023-11-11 One.\n\nTwo.\n")
    article = parse_source(source_file, language="en").article
    assert article is not None
    values = storage.loads(storage.dumps(storage.article_values(article)))
    held = "".join(["a/", "b.txt"])
    assert storage.article_from(values, article.content, source=held).source is held
    other = storage.article_from(values, article.content, source="elsewhere.txt")
    assert other.source == "a/b.txt"
