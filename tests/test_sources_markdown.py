"""The Markdown corpus: Jekyll and Hugo posts, plain Markdown, and bad front matter."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.source_cases import cases, check_case

from syndicate.errors import ParseError
from syndicate.sources import markdown

CASES = cases("markdown", "*.md")


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_markdown_fixture(path: Path) -> None:
    check_case(markdown.parse, path)


def test_markdown_corpus_is_present() -> None:
    assert len(CASES) >= 6


def test_markdown_title_heading_kept_when_not_repeating_title() -> None:
    data = b"---\ntitle: Post\n---\n# Another thing\n\nText.\n"
    (entry,) = markdown.parse(data, "post.md")
    assert entry.title == "Post"
    assert [b.text for b in entry.blocks] == ["Another thing", "Text."]


def test_markdown_list_going_on_from_three_keeps_its_numbers() -> None:
    data = b"---\ntitle: Post\n---\nText.\n\n3. three\n4. four\n"
    (entry,) = markdown.parse(data, "post.md")
    assert entry.blocks[-1].numbers == (3, 4)
    assert entry.blocks[-1].plain_text() == "3. three\n4. four"


def test_markdown_front_matter_not_a_mapping_is_rejected() -> None:
    with pytest.raises(ParseError, match="expected a mapping of keys, got a list"):
        markdown.parse(b"---\n- a\n- b\n---\nBody\n", "list.md")


def test_markdown_invalid_toml_names_file_line() -> None:
    with pytest.raises(ParseError, match="line 3"):
        markdown.parse(b'+++\ntitle = "x"\ndate = = 1\n+++\nBody\n', "bad.md")


def test_markdown_undecodable_bytes_are_rejected() -> None:
    with pytest.raises(ParseError, match="not UTF-8 text: byte 0xff"):
        markdown.parse(b"# Title\n\ncaf\xff\n", "latin.md")


def test_markdown_utf8_bom_is_ignored() -> None:
    (entry,) = markdown.parse("\ufeff---\ntitle: Café\n---\nBody\n".encode(), "bom.md")
    assert entry.title == "Café"
