"""What a fuzzed input must come to, shared by the hypothesis tests (``tests/test_fuzz.py``)
and the coverage-guided runs (``tests/helpers/coverage_fuzz.py``).

A parser may refuse an input, with a :class:`ParseError` naming the input's origin; anything
else it accepts must give entries that normalize into articles whose RSS and Atom are valid.
Any other exception, or a broken invariant, is a bug the fuzzing found.
"""

from __future__ import annotations

from collections.abc import Callable

from syndicate.errors import ParseError
from syndicate.model import Channel, RawEntry
from syndicate.normalize import normalize
from syndicate.render.xmlfeed import render_feed
from syndicate.sources import read
from syndicate.sources.syndication import parse_feed
from syndicate.text.dates import utc_now

from .source_cases import check_invariants
from .validity import assert_valid_feed

Note = Callable[[str], None]  # what a check says about an input ("refused", "2 article(s)")
NAMES = {"text": "page.txt", "markdown": "post.md", "html": "page.html", "json": "article.json"}
FEED_ORIGIN = "https://up.example/feed"
CHANNEL = Channel(
    id="urn:uuid:0b7f3c52-8d0e-4e55-9f3c-7c1e2f0d9a01",
    title="Fuzz",
    site_url="https://fuzz.example/",
    feed_url="https://fuzz.example/feeds/all.atom",
)


def _quiet(_: str) -> None:
    """A note nobody reads (the coverage-guided runs count executions, not kinds)."""


def check_file(kind: str, data: bytes, note: Note = _quiet) -> None:
    """One file of ``kind`` (text, markdown, html, json): refused by name, or published."""
    name = NAMES[kind]
    try:
        parsed = read(data, name, kind)
    except ParseError as exc:
        assert exc.source == name, exc
        note("refused")
        return
    publish(parsed.entries, name, note=note)


def check_feed(data: bytes, note: Note = _quiet) -> None:
    """Upstream feed bytes (RSS, Atom, JSON Feed): refused by name, or published."""
    try:
        parsed = parse_feed(data, FEED_ORIGIN)
    except ParseError as exc:
        assert exc.source == FEED_ORIGIN, exc
        note("refused")
        return
    publish(parsed.entries, FEED_ORIGIN, titled=False, note=note)


def publish(
    entries: list[RawEntry], origin: str, *, titled: bool = True, note: Note = _quiet
) -> None:
    """Accepted entries must make articles, and the articles valid feeds.

    A file's entry has its title; a feed's entry may have none (normalize finds one).
    """
    articles = []
    for entry in entries:
        if titled:
            check_invariants(entry)
        try:
            articles.append(normalize(entry, source="fuzz", now=utc_now(), origin=origin))
        except ParseError as exc:  # normalize may refuse an entry too, by name
            assert exc.source == origin or origin in str(exc), exc
    for article in articles:
        assert article.title.strip() and article.title == " ".join(article.title.split())
    note(f"{len(articles)} article(s)")
    for fmt in ("rss", "atom"):
        rendered = render_feed(
            CHANNEL, articles, fmt, permalink=lambda a: f"https://fuzz.example/articles/{a.slug}"
        )
        assert_valid_feed(rendered.body, fmt)
