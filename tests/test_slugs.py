from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndicate.text.slugs import slugify

CASES = [
    ("Hello, World!", "hello-world"),
    ("Café au lait", "cafe-au-lait"),
    ("Über Straße", "uber-strasse"),
    ("Don’t panic", "dont-panic"),
    ("Ελληνικά νέα", "ελληνικά-νέα"),
    ("Привет, мир!", "привет-мир"),
    ("हिन्दी समाचार", "हिन्दी-समाचार"),
    ("中文 标题", "中文-标题"),
    ("ガンダム", "ガンダム"),
    ("ﬁne Ｆull-width", "fine-full-width"),
    ("snake_case and   spaces", "snake-case-and-spaces"),
    ("--already-a-slug--", "already-a-slug"),
    ("2024: a year", "2024-a-year"),
    ("😀 emoji 😀", "emoji"),
    ("", ""),
    ("  !!  ", ""),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[1] or repr(c[0]) for c in CASES])
def test_slugify_examples(text: str, expected: str) -> None:
    assert slugify(text) == expected


@pytest.mark.parametrize(
    ("text", "max_length", "expected"),
    [
        ("one two three four", 9, "one-two"),
        ("one two three four", 7, "one-two"),
        ("one two three four", 6, "one"),
        ("one two", 80, "one-two"),
        ("supercalifragilistic", 5, "super"),
        ("a", 0, ""),
    ],
)
def test_slugify_cuts_at_word_boundary(text: str, max_length: int, expected: str) -> None:
    assert slugify(text, max_length) == expected


@given(st.text(), st.integers(min_value=1, max_value=120))
def test_slugify_output_is_clean(text: str, max_length: int) -> None:
    slug = slugify(text, max_length)
    assert len(slug) <= max_length
    assert not slug.startswith("-") and not slug.endswith("-")
    assert "--" not in slug
    assert slug == slug.lower()
    assert slugify(slug, max_length) == slug
