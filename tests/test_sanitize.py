"""The sanitizer: a table of attack payloads as data, plus text hygiene and the policy itself."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from syndicate.text.sanitize import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    ALLOWED_URL_SCHEMES,
    REMOVED_WITH_CONTENT,
    clean_html,
    clean_text,
    escape_text_to_html,
)

ATTACKS = json.loads(
    (Path(__file__).parent / "data" / "sanitize" / "attacks.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("case", ATTACKS, ids=[case["name"] for case in ATTACKS])
def test_clean_html_attack_table(case: dict[str, object]) -> None:
    out = clean_html(str(case["input"]), str(case["base_url"]))
    for needle in case["must_not_contain"]:  # type: ignore[attr-defined]
        assert needle.lower() not in out.lower(), f"{needle!r} survived in {out!r}"
    for needle in case["must_contain"]:  # type: ignore[attr-defined]
        assert needle in out, f"{needle!r} missing from {out!r}"
    assert_no_active_content(out)


def assert_no_active_content(out: str) -> None:
    """Invariants of every output, whatever the input."""
    lowered = out.lower()
    assert "<script" not in lowered
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", lowered)
    assert "javascript:" not in lowered and "vbscript:" not in lowered
    assert not re.search(r"(?:href|src|cite)=\"data:", lowered)


def test_clean_html_is_idempotent_on_the_attack_table() -> None:
    for case in ATTACKS:
        once = clean_html(case["input"], case["base_url"])
        assert clean_html(once, case["base_url"]) == once, case["name"]


def test_clean_html_empty_and_blank_input_gives_empty_string() -> None:
    assert clean_html("") == ""
    assert clean_html("  \n\t ") == ""
    assert clean_html("\x00\ud800") == ""


def test_clean_html_lone_surrogates_and_controls_never_reach_the_parser() -> None:
    assert clean_html("<p>a\ud800b\x00c\x1bd</p>") == "<p>abcd</p>"


def test_clean_html_plain_text_is_escaped() -> None:
    assert clean_html("a < b & c > d") == "a &lt; b &amp; c &gt; d"


def test_clean_html_pixel_removal_keeps_deeply_nested_content() -> None:
    html = '<img src="https://t.example/p.gif" width="1">' + "<b>" * 600 + "deep" + "</b>" * 600
    out = clean_html(html)
    assert "t.example" not in out
    assert "deep" in out and out.count("<b>") == 600


def test_clean_html_link_with_base_and_query_is_kept_exactly() -> None:
    out = clean_html('<a href="/search?q=a&amp;b=c#top">s</a>', "https://news.example.com/x/y")
    assert 'href="https://news.example.com/search?q=a&amp;b=c#top"' in out


def test_clean_text_removes_characters_xml_forbids() -> None:
    forbidden = "".join(chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)))
    text = f"a{forbidden}b\ud800c\udfffd\ufffe\uffff\U0001fffe\U0010ffffe\ufdd0f\x7f\x85g"
    assert clean_text(text) == "abcdefg"


def test_clean_text_keeps_tab_newline_and_valid_astral_characters() -> None:
    assert clean_text("a\tb\nc 😀 \U00010000 \ufffd") == "a\tb\nc 😀 \U00010000 \ufffd"


def test_clean_text_normalizes_newlines_to_lf() -> None:
    assert clean_text("a\r\nb\rc\n") == "a\nb\nc\n"


def test_clean_text_composes_to_nfc() -> None:
    decomposed = "Cafe\u0301 Ångstro\u0308m"
    out = clean_text(decomposed)
    assert out == unicodedata.normalize("NFC", decomposed)
    assert unicodedata.is_normalized("NFC", out)


def test_clean_text_keeps_right_to_left_marks() -> None:
    text = "\u200fمرحبا\u200e abc \u202bx\u202c"
    assert clean_text(text) == text


def test_escape_text_to_html_escapes_markup_and_quotes() -> None:
    assert (
        escape_text_to_html("<b>\"x\" & 'y'\x00</b>")
        == "&lt;b&gt;&quot;x&quot; &amp; &#x27;y&#x27;&lt;/b&gt;"
    )


def test_policy_tags_are_disjoint_and_exclude_active_content() -> None:
    assert not ALLOWED_TAGS & REMOVED_WITH_CONTENT
    active = {
        "script",
        "style",
        "iframe",
        "object",
        "embed",
        "form",
        "input",
        "button",
        "svg",
        "math",
        "base",
        "meta",
        "link",
        "frame",
        "template",
        "source",
        "picture",
    }
    assert not ALLOWED_TAGS & active


def test_policy_attributes_exclude_handlers_styles_and_unchecked_urls() -> None:
    every = set().union(*ALLOWED_ATTRIBUTES.values())
    assert not {a for a in every if a.startswith("on")}
    assert not every & {"style", "rel", "formaction", "action", "xlink:href", "class"}
    assert set(ALLOWED_ATTRIBUTES) - {"*"} <= ALLOWED_TAGS
    assert ALLOWED_URL_SCHEMES == {"http", "https", "mailto"}


@pytest.mark.parametrize(
    "base",
    [
        "https://ex.com:99999/",
        "https://ex ample.com/",
        "ftp://x/",
        "//no-scheme.example/",
        "http://[::1/",
    ],
)
def test_clean_html_unusable_base_keeps_relative_urls(base: str) -> None:
    out = clean_html('<a href="/x">x</a><q cite="/c">c</q>', base)
    assert out == '<a href="/x" rel="noopener noreferrer">x</a><q cite="/c">c</q>'
