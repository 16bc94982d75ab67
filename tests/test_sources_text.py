"""The scraped-text normalizer against hand-written expectations, plus its error paths."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syndicate.errors import ParseError
from syndicate.model import BlockKind, RawEntry
from syndicate.sources import scraped as text

DATA = Path(__file__).parent / "data" / "sources" / "text"
CASES = sorted(DATA.glob("*.txt"))


def body_of(entry: RawEntry) -> str:
    return "\n\n".join(block.plain_text() for block in entry.blocks)


def load(path: Path) -> tuple[RawEntry, dict]:
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    entries = text.parse(path.read_bytes(), path.name)
    assert len(entries) == 1
    return entries[0], expected


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_parse_fixture_matches_expectations(path: Path) -> None:
    entry, want = load(path)
    body = body_of(entry)
    assert entry.title == want["title"]
    assert entry.dek == want["dek"]
    assert list(entry.categories) == want["categories"]
    assert list(entry.authors) == want["authors"]
    published = entry.published.isoformat() if entry.published else None
    assert published == want["published"]
    assert body.startswith(want["body_starts"]), body[:120]
    assert body.endswith(want["body_ends"]), body[-120:]
    headings = [b.text for b in entry.blocks if b.kind is BlockKind.HEADING]
    assert headings == want["headings"]
    for absent in want["absent"]:
        assert all(absent not in b.plain_text() for b in entry.blocks), absent
    if "quotes" in want:
        assert sum(b.kind is BlockKind.QUOTE for b in entry.blocks) == want["quotes"]
    if "lists" in want:
        lists = [len(b.items) for b in entry.blocks if b.kind is BlockKind.LIST]
        assert lists == want["lists"]
    if "language" in want:
        assert entry.language == want["language"]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_parse_fixture_invariants(path: Path) -> None:
    entry, _ = load(path)
    assert entry.title.strip()
    assert entry.blocks
    for block in entry.blocks:
        assert block.plain_text().strip()
        if block.kind is BlockKind.HEADING:
            assert block.level == 2
        if block.kind is BlockKind.LIST:
            assert block.items and all(item.strip() for item in block.items)
    for value in (entry.published, entry.updated):
        if value is not None:
            assert isinstance(value, datetime)
            assert value.tzinfo is not None and value.utcoffset() == UTC.utcoffset(value)
    # The same input always gives the same entry.
    assert text.parse(path.read_bytes(), path.name)[0] == entry


def test_parse_sample_heading_blocks_are_level_two() -> None:
    entry, _ = load(DATA / "sample_news_page.txt")
    kinds = {b.text: (b.kind, b.level) for b in entry.blocks}
    for heading in ("A Prudent Pause", "External Pressure", "The Path Forward"):
        assert kinds[heading] == (BlockKind.HEADING, 2)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"   \n\t\n  \r\n", "empty"),
        (bytes(range(256)) * 8, "binary"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00\xff" * 200, "binary"),
    ],
    ids=["empty", "whitespace", "all-bytes", "png"],
)
def test_parse_unreadable_input_raises_parse_error_naming_origin(data: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        text.parse(data, "feeds/page-17.txt")
    assert caught.value.source == "feeds/page-17.txt"
    assert "feeds/page-17.txt" in str(caught.value)
    assert reason in caught.value.reason


def test_parse_menu_without_prose_raises_parse_error() -> None:
    menu = "\n".join(["Home", "News", "Sport", "Weather", "Contact", "About us"]).encode()
    with pytest.raises(ParseError, match="paragraph"):
        text.parse(menu, "menu.txt")


def test_parse_text_without_headline_raises_parse_error() -> None:
    lone = (
        "This page holds a single long paragraph of running text and nothing else at all, "
        "with no line above it that could be read as the headline of an article."
    )
    with pytest.raises(ParseError, match="headline"):
        text.parse_text(lone, "lone.txt")


def test_parse_decodes_bom_and_legacy_encodings() -> None:
    page = (DATA / "german_page.txt").read_text(encoding="utf-8")
    utf8_bom = text.parse(b"\xef\xbb\xbf" + page.encode("utf-8"), "bom.txt")[0]
    legacy = text.parse(page.encode("cp1252"), "legacy.txt")[0]
    assert (
        utf8_bom.title
        == legacy.title
        == ("Forscher finden Mikroplastik in Alpenseen auf über 2000 Metern")
    )
    assert body_of(utf8_bom) == body_of(legacy)
