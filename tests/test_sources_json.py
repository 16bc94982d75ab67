"""The JSON corpus: single articles, lists, JSON Feed items, and every kind of wrong type."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.source_cases import cases, check_case

from syndicate.errors import ParseError
from syndicate.model import BlockKind
from syndicate.sources import jsonarticle

CASES = cases("json", "*.json")


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_json_fixture(path: Path) -> None:
    check_case(jsonarticle.parse, path)


def test_json_corpus_is_present() -> None:
    assert len(CASES) >= 10


def test_json_empty_list_gives_no_entries() -> None:
    assert jsonarticle.parse(b"[]", "empty.json") == []


def test_json_html_is_preferred_over_text() -> None:
    data = b'{"title": "t", "content_text": "plain", "content_html": "<p><em>rich</em></p>"}'
    (entry,) = jsonarticle.parse(data, "both.json")
    assert entry.blocks[0].html == "<em>rich</em>"


def test_json_plain_body_is_not_sniffed_as_html() -> None:
    (entry,) = jsonarticle.parse(b'{"title": "t", "body": "a < b and b > c"}', "lt.json")
    assert [(b.kind, b.text) for b in entry.blocks] == [(BlockKind.PARAGRAPH, "a < b and b > c")]


def test_json_utf16_document_is_read() -> None:
    (entry,) = jsonarticle.parse('{"title": "Grüße"}'.encode("utf-16"), "u16.json")
    assert entry.title == "Grüße"


def test_json_undecodable_bytes_are_rejected() -> None:
    with pytest.raises(ParseError, match="not UTF-8"):
        jsonarticle.parse(b'{"title": "caf\xe9"}', "latin1.json")


def test_json_long_values_are_shortened_in_errors() -> None:
    with pytest.raises(
        ParseError, match=r'url: expected an absolute http\(s\) URL, got "x{36}\.\.\.$'
    ):
        jsonarticle.parse(b'{"title": "t", "url": "' + b"x" * 100 + b'"}', "long.json")


def test_json_lone_surrogates_and_controls_are_removed() -> None:
    (entry,) = jsonarticle.parse(b'{"title": "a\\ud800b\\u0001", "text": "c"}', "s.json")
    assert entry.title == "ab"
