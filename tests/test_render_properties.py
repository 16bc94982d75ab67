"""Property tests: any text in, well-formed, valid and inert feeds out.

Titles, summaries, authors and categories go in as raw arbitrary strings (control characters,
lone surrogates, ``]]>``, markup, right-to-left text, emoji); bodies go through ``clean_html``
first, as normalize does. Both feeds must be well-formed XML that feedparser reads without
``bozo``, the Atom feed must be valid RFC 4287, and the HTML inside must carry no active content.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import feedparser
from helpers.hostile import ATOM_SCHEMA, TEXT, TITLE, assert_inert_html
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from syndicate.model import Article, Channel
from syndicate.render.xmlfeed import render_feed
from syndicate.text.sanitize import clean_html

NS = {"atom": "http://www.w3.org/2005/Atom", "content": "http://purl.org/rss/1.0/modules/content/"}
BASE = "https://news.example.com/articles/"

DATES = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
BIG_PARAGRAPH = "Lorem ipsum ]]> <script>x</script> dolor \x00 sit \ud800 amet مرحبا 😀 " * 1700


@st.composite
def articles(draw: st.DrawFn) -> Article:
    published = draw(DATES)
    return Article(
        id=str(draw(st.uuids())),
        source="property",
        slug=draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20)),
        title=draw(TITLE),
        blocks=(),
        body_html=clean_html(draw(TEXT), BASE),
        summary=draw(TEXT),
        published=published,
        updated=max(published, draw(DATES)),
        content_hash="h",
        authors=tuple(draw(st.lists(TEXT, max_size=3))),
        categories=tuple(draw(st.lists(TEXT, max_size=3))),
    )


def channel(title: str, description: str) -> Channel:
    return Channel(
        id="urn:uuid:2f0c8a4b-8e0e-4d3b-8a7e-6f1b2d9c5e44",
        title=title,
        site_url="https://news.example.com/",
        feed_url="https://news.example.com/feeds/all.xml",
        description=description,
        language="ar",
        hubs=("https://hub.example.com/",),
        alternates={"application/feed+json": "https://news.example.com/feeds/all.json"},
    )


def permalink(article: Article) -> str:
    return BASE + article.slug


def html_payloads(rss: etree._Element, atom: etree._Element) -> list[str]:
    """The decoded HTML of every content and RSS description."""
    payloads = [e.text or "" for e in rss.iter(f"{{{NS['content']}}}encoded")]
    payloads += [e.text or "" for e in rss.iter("description")]
    payloads += [e.text or "" for e in atom.iter(f"{{{NS['atom']}}}content")]
    return payloads


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(articles(), min_size=0, max_size=4), title=TEXT, description=TEXT)
@example(
    items=[
        Article(
            id=str(uuid.UUID(int=7)),
            source="property",
            slug="big",
            title="Big\x00 ]]> <b>",
            blocks=(),
            body_html=clean_html(f"<p>{BIG_PARAGRAPH}</p>", BASE),
            summary=BIG_PARAGRAPH,
            published=datetime(2024, 1, 1, tzinfo=UTC),
            updated=datetime(2024, 1, 1, tzinfo=UTC),
            content_hash="h",
            authors=("\u202eevil",),
            categories=("]]>",),
        )
    ],
    title="",
    description="",
)
def test_render_feed_any_text_gives_valid_inert_feeds(
    items: list[Article], title: str, description: str
) -> None:
    feed_channel = channel(title, description)
    rss = render_feed(feed_channel, items, "rss", permalink=permalink)
    atom = render_feed(feed_channel, items, "atom", permalink=permalink)
    rss_root = etree.fromstring(rss.body)  # raises unless well-formed
    atom_root = etree.fromstring(atom.body)
    assert ATOM_SCHEMA.validate(atom_root), ATOM_SCHEMA.error_log
    for body in (rss.body, atom.body):
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert len(parsed.entries) == len(items)
    for html in html_payloads(rss_root, atom_root):
        assert_inert_html(html)


@settings(max_examples=100, deadline=None)
@given(
    html=TEXT,
    base=st.sampled_from(
        ["", BASE, "http://plain.example/a/b", "javascript:x", "https://x:99999/"]
    ),
)
def test_clean_html_any_input_gives_inert_stable_output(html: str, base: str) -> None:
    cleaned = clean_html(html, base)
    assert_inert_html(cleaned)
    assert clean_html(cleaned, base) == cleaned
