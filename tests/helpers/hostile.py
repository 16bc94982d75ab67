"""Hostile input and the checks that output survived it: text strategies for hypothesis, the
RFC 4287 RELAX NG schema of Atom, and an assertion that HTML carries no active content."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from hypothesis import strategies as st
from lxml import etree

ATOM_SCHEMA = etree.RelaxNG(etree.parse(str(Path(__file__).parent.parent / "data" / "atom.rng")))

TRICKY = [
    "]]>",
    "<![CDATA[x]]>",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">j</a>',
    '<a href=" JaVa&#x09;script:alert(1)">j</a>',
    "<svg onload=alert(1)>",
    "<iframe src=//evil.example>",
    "<style>*{}</style>",
    '<blockquote cite="javascript:alert(1)">q</blockquote>',
    "<h1>Head</h1>",
    "&amp;",
    "&",
    "<",
    ">",
    '"',
    "'",
    "\x00",
    "\x0b",
    "\x1f",
    "\x7f",
    "\x85",
    "\ud800",
    "\udfff",
    "\ufffe",
    "\uffff",
    "\U0010ffff",
    "\r\n",
    "\r",
    "\t",
    "\u202e",
    "\u200f",
    "مرحبا بالعالم",
    "שלום עולם",
    "😀",
    "👩‍👩‍👧",
    "e\u0301",
    "<p>",
    "</p>",
    "<b><i>x</b></i>",
    '<img src="https://t.example/p.gif" width="1" height="1">',
    "<a href='/rel'>r</a>",
]
ANY_CHARACTER = st.characters(exclude_categories=())  # surrogates and controls included
TEXT = st.lists(
    st.one_of(st.sampled_from(TRICKY), st.text(ANY_CHARACTER, max_size=40)), max_size=6
).map("".join)
TITLE = TEXT.filter(lambda text: bool(text.strip()))  # the model refuses blank titles


class _Tags(HTMLParser):
    """Every start tag with its attributes, without a tree (no depth limit)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


ACTIVE_TAGS = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "form",
    "input",
    "button",
    "base",
    "meta",
    "link",
    "frame",
    "frameset",
    "template",
}


def assert_inert_html(html: str) -> None:
    assert "<script" not in html.lower()
    parser = _Tags()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag not in ACTIVE_TAGS, (tag, html[:200])
        for name, value in attrs:
            assert not name.startswith("on") and name != "style", (name, html[:200])
            scheme = (value or "").strip().split(":", 1)[0].lower()
            if name in ("href", "src", "cite") and ":" in (value or ""):
                assert scheme not in ("javascript", "vbscript", "data"), (value, html[:200])
