"""RawEntry -> Article: ids, dates, summaries, hashes and the cleaning every input gets."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from syndicate.errors import ParseError
from syndicate.model import Block, BlockKind, RawEntry
from syndicate.normalize import (
    Defaults,
    article_id,
    canonical_url,
    cut_at_sentence,
    normalize,
    word_count,
)

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
BODY = (
    Block(BlockKind.PARAGRAPH, "The council met on Monday. It approved the budget."),
    Block(BlockKind.HEADING, "What comes next", level=2),
    Block(BlockKind.PARAGRAPH, "Work starts in spring."),
)


def raw(**changes: object) -> RawEntry:
    return replace(RawEntry(title="Council Approves Budget", blocks=BODY), **changes)  # type: ignore[arg-type]


def test_normalize_same_input_same_article() -> None:
    assert normalize(raw(), source="s", now=NOW) == normalize(raw(), source="s", now=NOW)


def test_article_id_stable_across_body_edits_and_title_retypes() -> None:
    first = normalize(raw(), source="s", now=NOW)
    edited = normalize(raw(blocks=BODY[:1], title="council approves  budget!"), source="s", now=NOW)
    assert first.id == edited.id
    assert first.content_hash != edited.content_hash


def test_article_id_from_link_ignores_tracking_and_fragment() -> None:
    a = normalize(raw(link="https://News.example/a?utm_source=x#top"), source="s", now=NOW)
    b = normalize(raw(link="https://news.example/a", title="Other title"), source="s", now=NOW)
    assert a.id == b.id
    assert a.link == "https://news.example/a"


def test_article_id_differs_per_source() -> None:
    assert article_id("one", "title:title") != article_id("two", "title:title")


def test_normalize_without_date_uses_now_marked_estimated() -> None:
    article = normalize(raw(), source="s", now=NOW)
    assert article.published == article.updated == NOW
    assert article.date_estimated


def test_normalize_estimated_date_does_not_change_hash() -> None:
    later = datetime(2026, 12, 1, tzinfo=UTC)
    assert (
        normalize(raw(), source="s", now=NOW).content_hash
        == normalize(raw(), source="s", now=later).content_hash
    )


def test_normalize_updated_never_before_published() -> None:
    published = datetime(2026, 1, 2, tzinfo=UTC)
    article = normalize(
        raw(published=published, updated=datetime(2025, 1, 1, tzinfo=UTC)), source="s", now=NOW
    )
    assert article.published == published == article.updated
    assert not article.date_estimated


def test_normalize_summary_is_first_paragraph_cut_at_sentence() -> None:
    long = " ".join(f"Sentence number {i} is here." for i in range(40))
    article = normalize(raw(blocks=(Block(BlockKind.PARAGRAPH, long),)), source="s", now=NOW)
    assert len(article.summary) <= 300
    assert article.summary.endswith("is here.")
    assert long.startswith(article.summary)


def test_cut_at_sentence_without_sentence_end_cuts_at_word() -> None:
    cut = cut_at_sentence("word " * 100, 50)
    assert len(cut) <= 50 and cut.endswith("…") and "wor…" not in cut


def test_normalize_removes_xml_illegal_characters_everywhere() -> None:
    dirty = "Bad\x00 \x0bTitle\ud800"
    article = normalize(
        raw(
            title=dirty,
            blocks=(Block(BlockKind.PARAGRAPH, "x\x1fy"),),
            authors=("A\x07",),
            categories=("C\x08",),
        ),
        source="s",
        now=NOW,
    )
    for text in (
        article.title,
        article.body_html,
        article.summary,
        *article.authors,
        *article.categories,
    ):
        assert not any(ord(c) < 32 and c not in "\t\n\r" for c in text)
        assert "\ud800" not in text


def test_normalize_body_html_has_headings_and_is_sanitized() -> None:
    blocks = BODY + (Block(BlockKind.PARAGRAPH, "x", html="ok <script>alert(1)</script>"),)
    article = normalize(raw(blocks=blocks), source="s", now=NOW)
    assert "<h2>What comes next</h2>" in article.body_html
    assert "<script" not in article.body_html


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [
        ((), "<ol><li>a</li><li>b</li><li>c</li></ol>"),
        ((4, 5, 6), '<ol start="4"><li>a</li><li>b</li><li>c</li></ol>'),
        ((3, 2, 1), '<ol reversed="" start="3"><li>a</li><li>b</li><li>c</li></ol>'),
        ((1, 2, 5), '<ol><li value="1">a</li><li value="2">b</li><li value="5">c</li></ol>'),
        ((9,), "<ol><li>a</li><li>b</li><li>c</li></ol>"),  # not one number per item
    ],
)
def test_normalize_ordered_list_prints_the_source_numbers(
    numbers: tuple[int, ...], expected: str
) -> None:
    """The numbers survive the sanitizer too: a countdown does not read 1, 2, 3."""
    items = ("a", "b", "c")
    listed = Block(BlockKind.LIST, "\n".join(items), items=items, ordered=True, numbers=numbers)
    article = normalize(raw(blocks=(*BODY, listed)), source="s", now=NOW)
    assert expected in article.body_html


def test_normalize_ordered_list_item_left_empty_takes_its_number_along() -> None:
    items = ("a", "\x00", "c")
    listed = Block(BlockKind.LIST, "a\nc", items=items, ordered=True, numbers=(3, 2, 1))
    article = normalize(raw(blocks=(*BODY, listed)), source="s", now=NOW)
    assert '<ol><li value="3">a</li><li value="1">c</li></ol>' in article.body_html


def test_normalize_default_category_applies_only_when_none_given() -> None:
    defaults = Defaults(categories=("Local",))
    assert normalize(raw(), source="s", now=NOW, defaults=defaults).categories == ("Local",)
    given = normalize(raw(categories=("World", "world")), source="s", now=NOW, defaults=defaults)
    assert given.categories == ("World",)


def test_normalize_title_from_body_when_missing() -> None:
    article = normalize(raw(title=""), source="s", now=NOW)
    assert article.title.startswith("The council met on Monday.")


def test_normalize_nothing_at_all_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="src"):
        normalize(RawEntry(), source="src", now=NOW)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM/Path?a=1&utm_medium=x", "https://example.com/Path?a=1"),
        ("https://example.com", "https://example.com/"),
        ("/relative/path", ""),
        ("javascript:alert(1)", ""),
        ("mailto:a@b.c", ""),
        ("http://[bad", ""),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_word_count_counts_cjk_characters() -> None:
    blocks = (Block(BlockKind.PARAGRAPH, "two words"), Block(BlockKind.PARAGRAPH, "日本語"))
    assert word_count(blocks) == 5


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        (
            "The U.S. Senate met. It voted on the bill and then adjourned for the week.",
            40,
            "The U.S. Senate met.",
        ),
        (
            "Dr. Lee spoke first. Then Mr. Smith answered at length about the plan.",
            40,
            "Dr. Lee spoke first.",
        ),
        (
            "He left at 5 p.m. on Monday and came back later that evening to the office.",
            30,
            "He left at 5 p.m. on Monday…",
        ),
        ("短い文です。次の文はもう少し長くて制限を超えてしまいます。", 10, "短い文です。"),
    ],
)
def test_cut_at_sentence_skips_abbreviations(text: str, limit: int, expected: str) -> None:
    assert cut_at_sentence(text, limit) == expected
