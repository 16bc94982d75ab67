"""The HTML corpus: full news pages, fragments, relative URLs and legacy encodings."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.source_cases import cases, check_case

from syndicate.errors import ParseError
from syndicate.sources import page

CASES = cases("html", "*.html")


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_page_fixture(path: Path) -> None:
    check_case(page.parse, path)


def test_page_corpus_is_present() -> None:
    assert len(CASES) >= 6


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xef\xbb\xbf<p>caf\xc3\xa9</p>", "<p>café</p>"),
        ("<p>café</p>".encode("utf-16"), "<p>café</p>"),
        (b'<meta charset="utf-8"><p>caf\xe9</p>', '<meta charset="utf-8"><p>café</p>'),
        (b'<meta charset="koi8-r"><p>\xcb\xcf\xd4</p>', '<meta charset="koi8-r"><p>кот</p>'),
        (b"<p>caf\xc3\xa9</p>", "<p>café</p>"),
        (b"<p>\x93caf\xe9\x94</p>", "<p>“café”</p>"),
        (b'<meta charset="no-such-thing"><p>x</p>', '<meta charset="no-such-thing"><p>x</p>'),
    ],
    ids=["utf8-bom", "utf16-bom", "lying-label", "koi8-r", "utf8", "cp1252", "unknown-label"],
)
def test_page_decode_html_chooses_encoding(data: bytes, expected: str) -> None:
    assert page.decode_html(data) == expected


def test_page_fragment_takes_h2_when_no_h1() -> None:
    (entry,) = page.parse(b"<h2>Second-level title</h2><p>Body.</p>", "frag.html")
    assert entry.title == "Second-level title"
    assert [b.text for b in entry.blocks] == ["Body."]


def test_page_without_any_title_is_rejected() -> None:
    with pytest.raises(ParseError, match="no title"):
        page.parse(b"<html><body><p>Words only.</p></body></html>", "untitled.html")


def test_page_short_extraction_falls_back_to_densest_container() -> None:
    html = (
        b"<html><head><title>Short note</title></head><body>"
        b"<div id='menu'><a href='/'>Home</a></div>"
        b"<div id='content'><p>One short line.</p><p>Another short line.</p></div>"
        b"</body></html>"
    )
    (entry,) = page.parse(html, "short.html")
    assert [b.text for b in entry.blocks] == ["One short line.", "Another short line."]
