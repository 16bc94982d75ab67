"""The upstream-feed corpus: RSS 0.91, RSS 1.0, RSS 2.0, Atom, JSON Feed, broken entries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.source_cases import DATA, cases, check_case

from syndicate.errors import ParseError
from syndicate.sources import syndication as feed
from syndicate.sources.fetch import FetchResult, decode_body

CASES = cases("feed", "*.xml") + cases("feed", "*.json")


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_feed_fixture(path: Path) -> None:
    check_case(feed.parse, path)


def test_feed_corpus_is_present() -> None:
    assert len(CASES) >= 8


def test_feed_broken_entry_is_skipped_and_counted() -> None:
    parsed = feed.parse_feed((DATA / "feed" / "broken_entry.xml").read_bytes(), "broken")
    assert len(parsed.items) == 2
    assert len(parsed.skipped) == 1
    assert "no title and no text" in parsed.skipped[0]
    assert "https://fine.example.com/empty" in parsed.skipped[0]


def test_feed_summary_only_entries_are_marked() -> None:
    rss = feed.parse_feed((DATA / "feed" / "rss091_plain.xml").read_bytes(), "rss091")
    assert all(item.summary_only for item in rss.items)
    full = feed.parse_feed((DATA / "feed" / "rss20_content_encoded.xml").read_bytes(), "rss2")
    assert not any(item.summary_only for item in full.items)


def test_feed_json_item_of_wrong_type_is_skipped() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Mixed",
        "items": [
            {"id": "1", "title": "Fine", "content_text": "Words."},
            {"id": "2", "title": 42, "content_text": "Bad title type."},
            "not an object",
        ],
    }
    parsed = feed.parse_feed(json.dumps(document).encode(), "https://x.example/feed.json")
    assert [e.title for e in parsed.entries] == ["Fine"]
    assert len(parsed.skipped) == 2
    assert parsed.skipped[0].startswith("items[1]: title")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", "not an RSS or Atom feed"),
        (b"{not json", "invalid JSON"),
        (b'{"version": "1", "items": []}', "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": {}}', "'items' is not a list"),
    ],
    ids=["empty", "bad-json", "no-version", "items-not-list"],
)
def test_feed_unreadable_documents_raise(data: bytes, error: str) -> None:
    with pytest.raises(ParseError, match=error):
        feed.parse_feed(data, "https://x.example/feed")


def test_feed_string_input_is_never_opened_as_a_path(tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_text(
        "<rss version='2.0'><channel><item><title>leak</title>"
        "<description>x</description></item></channel></rss>"
    )
    with pytest.raises(ParseError):
        feed.parse_feed(str(secret).encode(), "https://x.example/feed")


def test_feed_windows_1251_labelled_utf8_decodes_as_cyrillic() -> None:
    text = (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Новости"
        "</title><item><title>Привет, мир</title><link>https://ru.example/1</link>"
        "<description>Сегодня в городе открылась новая библиотека для детей и взрослых."
        "</description></item></channel></rss>"
    )
    result = FetchResult(200, text.encode("cp1251"), "https://ru.example/feed", charset="utf-8")
    decoded = decode_body(result)
    assert decoded.encoding == "cp1251"
    assert "not utf-8 as labelled" in decoded.note
    parsed = feed.parse_feed(feed.utf8_document(decoded.text), result.url, charset="utf-8")
    assert parsed.entries[0].title == "Привет, мир"


def test_feed_utf8_document_rewrites_the_declaration() -> None:
    data = feed.utf8_document("<?xml version='1.0' encoding='windows-1251'?><rss/>")
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
