"""RSS 2.0 and Atom 1.0 output: structure, validity, ordering, determinism and validators."""

from __future__ import annotations

import locale
import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from helpers.articles import story
from lxml import etree

from syndicate.model import Article, Channel
from syndicate.render.xmlfeed import (
    ATOM_CONTENT_TYPE,
    FALLBACK_UPDATED,
    RSS_CONTENT_TYPE,
    RenderedFeed,
    render_feed,
)

DATA = Path(__file__).parent / "data"
ATOM_SCHEMA = etree.RelaxNG(etree.parse(str(DATA / "atom.rng")))
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
# RFC 822 as RSS 2.0 uses it, the way we write it: four-digit year, always GMT.
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} GMT$"
)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
SITE = "https://news.example.com/"

CHANNEL = Channel(
    id="urn:uuid:6f1c1d1e-0a7b-4c7e-9d55-2b1f8f3b9a10",
    title="Example News",
    site_url=SITE,
    feed_url="https://news.example.com/feeds/all.rss",
    description="Everything we publish",
    language="en",
    updated=T0 + timedelta(days=1),
    hubs=("https://hub.example.com/",),
    alternates={"application/atom+xml": "https://news.example.com/feeds/all.atom"},
)
ATOM_CHANNEL = replace(
    CHANNEL,
    feed_url="https://news.example.com/feeds/all.atom",
    alternates={"application/rss+xml": "https://news.example.com/feeds/all.rss"},
)


def permalink(article: Article) -> str:
    return f"{SITE}articles/{article.slug}"


def rss(articles: list[Article], channel: Channel = CHANNEL) -> RenderedFeed:
    return render_feed(channel, articles, "rss", permalink=permalink)


def atom(articles: list[Article], channel: Channel = ATOM_CHANNEL) -> RenderedFeed:
    return render_feed(channel, articles, "atom", permalink=permalink)


def assert_atom_valid(body: bytes) -> None:
    root = etree.fromstring(body)
    assert ATOM_SCHEMA.validate(root), ATOM_SCHEMA.error_log


ARTICLES = [story(n) for n in range(3)]


# --- both formats -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_render_feed_parses_with_feedparser_without_bozo(fmt: str) -> None:
    rendered = render_feed(CHANNEL, ARTICLES, fmt, permalink=permalink)  # type: ignore[arg-type]
    parsed = feedparser.parse(rendered.body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == {"rss": "rss20", "atom": "atom10"}[fmt]
    assert [e.title for e in parsed.entries] == ["Story 2", "Story 1", "Story 0"]
    assert [e.link for e in parsed.entries] == [permalink(a) for a in reversed(ARTICLES)]
    assert [e.id for e in parsed.entries] == [f"urn:uuid:{a.id}" for a in reversed(ARTICLES)]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_render_feed_orders_newest_first_then_by_id(fmt: str) -> None:
    tie = T0 + timedelta(days=2)
    articles = [
        story(1),
        story(5, published=tie),
        story(3),
        story(4, published=tie),
    ]
    parsed = feedparser.parse(
        render_feed(
            CHANNEL,
            articles,
            fmt,  # type: ignore[arg-type]
            permalink=permalink,
        ).body
    )
    assert [e.title for e in parsed.entries] == ["Story 4", "Story 5", "Story 3", "Story 1"]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_render_feed_is_deterministic_whatever_the_input_order(fmt: str) -> None:
    first = render_feed(CHANNEL, ARTICLES, fmt, permalink=permalink)  # type: ignore[arg-type]
    again = render_feed(CHANNEL, ARTICLES[::-1], fmt, permalink=permalink)  # type: ignore[arg-type]
    assert first == again


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_render_feed_etag_changes_with_content_only(fmt: str) -> None:
    def render(articles: list[Article]) -> RenderedFeed:
        return render_feed(CHANNEL, articles, fmt, permalink=permalink)  # type: ignore[arg-type]

    base = render(ARTICLES)
    assert re.fullmatch(r'"[0-9a-f]{32}"', base.etag)  # strong and quoted
    assert render(list(ARTICLES)).etag == base.etag
    edited = [*ARTICLES[:2], replace(ARTICLES[2], body_html="<p>Corrected body.</p>")]
    assert render(edited).etag != base.etag
    assert render(ARTICLES[:2]).etag != base.etag


def test_render_feed_content_types() -> None:
    assert rss(ARTICLES).content_type == RSS_CONTENT_TYPE == "application/rss+xml; charset=utf-8"
    assert atom(ARTICLES).content_type == ATOM_CONTENT_TYPE == "application/atom+xml; charset=utf-8"


def test_render_feed_unknown_format_raises() -> None:
    with pytest.raises(ValueError, match="json"):
        render_feed(CHANNEL, ARTICLES, "json", permalink=permalink)  # type: ignore[arg-type]


def test_render_feed_last_modified_is_channel_updated() -> None:
    assert rss(ARTICLES).last_modified == CHANNEL.updated


def test_render_feed_without_channel_date_uses_newest_article_update() -> None:
    channel = replace(CHANNEL, updated=None)
    newest = max(a.updated for a in ARTICLES)
    rendered = rss(ARTICLES, channel)
    assert rendered.last_modified == newest
    root = etree.fromstring(rendered.body)
    assert root.findtext("channel/lastBuildDate") == "Fri, 01 Mar 2024 14:05:00 GMT"
    updated = etree.fromstring(atom(ARTICLES, replace(ATOM_CHANNEL, updated=None)).body)
    assert updated.findtext("atom:updated", namespaces=NS) == newest.isoformat()


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_render_feed_empty_without_dates_is_deterministic_and_valid(fmt: str) -> None:
    channel = replace(CHANNEL if fmt == "rss" else ATOM_CHANNEL, updated=None)
    rendered = render_feed(channel, [], fmt, permalink=permalink)  # type: ignore[arg-type]
    assert rendered.last_modified is None
    assert feedparser.parse(rendered.body).bozo == 0
    assert render_feed(channel, [], fmt, permalink=permalink) == rendered  # type: ignore[arg-type]
    if fmt == "atom":
        assert_atom_valid(rendered.body)
        assert FALLBACK_UPDATED.isoformat().encode() in rendered.body


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_render_feed_never_calls_setlocale(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """feedgen formats RSS dates under locale.setlocale(), which is process-wide."""

    def refuse(*args: object) -> str:
        raise AssertionError("locale.setlocale called while rendering")

    monkeypatch.setattr(locale, "setlocale", refuse)
    render_feed(CHANNEL, ARTICLES, fmt, permalink=permalink)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_render_feed_escapes_markup_and_cdata_terminator(fmt: str) -> None:
    tricky = story(
        9,
        title="A ]]> B <script>alert(1)</script> & C",
        summary="<b>not bold</b> ]]>",
        body_html='<p>x ]]&gt; y &amp; <a href="https://a.example/?a=1&amp;b=2">l</a></p>',
        authors=("<Ann> & ]]>",),
        categories=("R&D <lab>",),
    )
    body = render_feed(CHANNEL, [tricky], fmt, permalink=permalink).body  # type: ignore[arg-type]
    assert b"<![CDATA[" not in body
    assert b"<script" not in body and b"<b>" not in body
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0
    assert parsed.entries[0].title == tricky.title
    assert "x ]]&gt; y" in parsed.entries[0].content[0].value


def test_render_feed_title_that_cleans_to_nothing_falls_back() -> None:
    control_title = story(
        1, title="\x00\x01\ud800", summary="One two three four five six seven eight nine ten"
    )
    no_summary = story(2, title="\x02", summary="", dek="")
    parsed = feedparser.parse(rss([control_title, no_summary]).body)
    assert [e.title for e in parsed.entries] == [
        "Untitled",
        "One two three four five six seven eight",
    ]


def test_render_feed_id_that_is_not_a_uuid_is_hashed_into_one() -> None:
    article = story(1, id="legacy-42")
    expected = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'legacy-42')}"
    assert feedparser.parse(atom([article]).body).entries[0].id == expected
    assert feedparser.parse(rss([article]).body).entries[0].id == expected


# --- RSS ----------------------------------------------------------------------------------


def rss_channel(articles: list[Article] = ARTICLES, channel: Channel = CHANNEL) -> etree._Element:
    root = etree.fromstring(rss(articles, channel).body)
    assert root.tag == "rss" and root.get("version") == "2.0"
    return root.find("channel")


def test_render_feed_rss_channel_has_required_elements() -> None:
    channel = rss_channel()
    assert channel.findtext("title") == "Example News"
    assert channel.findtext("link") == SITE  # not the last atom:link feedgen was given
    assert channel.findtext("description") == "Everything we publish"
    assert channel.findtext("language") == "en"
    assert channel.findtext("generator") == "syndicate"
    assert channel.findall("lastBuildDate")[0].text == "Sat, 02 Mar 2024 12:00:00 GMT"
    assert len(channel.findall("lastBuildDate")) == 1


def test_render_feed_rss_self_and_hub_links() -> None:
    links = rss_channel().findall("atom:link", NS)
    assert [(link.get("rel"), link.get("href"), link.get("type")) for link in links] == [
        ("self", CHANNEL.feed_url, "application/rss+xml"),
        ("hub", "https://hub.example.com/", None),
    ]


def test_render_feed_rss_dates_are_rfc822_gmt_with_four_digit_year() -> None:
    old = story(1, published=datetime(999, 1, 2, 3, 4, 5, 600, tzinfo=UTC))
    channel = rss_channel([*ARTICLES, old])
    dates = [channel.findtext("lastBuildDate")] + [d.text for d in channel.iter("pubDate")]
    assert len(dates) == 5
    for date in dates:
        assert RFC822.match(date), date
    assert "Wed, 02 Jan 0999 03:04:05 GMT" in dates


def test_render_feed_rss_item_fields() -> None:
    item = rss_channel().find("item")
    newest = ARTICLES[-1]
    guid = item.find("guid")
    assert guid.text == f"urn:uuid:{newest.id}" and guid.get("isPermaLink") == "false"
    assert item.findtext("link") == permalink(newest)
    assert item.findtext("pubDate") == "Fri, 01 Mar 2024 14:00:00 GMT"
    assert item.findtext("description") == "Summary 2."
    assert item.findtext("content:encoded", namespaces=NS) == newest.body_html
    assert [c.text for c in item.findall("category")] == ["World", "Science"]
    assert [c.text for c in item.findall("dc:creator", NS)] == ["Ada Lovelace", "Grace Hopper"]
    assert item.find("author") is None  # RSS <author> is an email address; we have names


def test_render_feed_rss_description_is_html_escaped_summary() -> None:
    article = story(1, summary="Use <b> & enjoy")
    item = rss_channel([article]).find("item")
    assert item.findtext("description") == "Use &lt;b&gt; &amp; enjoy"
    assert feedparser.parse(rss([article]).body).entries[0].summary == "Use &lt;b&gt; &amp; enjoy"


def test_render_feed_rss_invalid_language_is_omitted() -> None:
    channel = rss_channel(channel=replace(CHANNEL, language="en us"))
    assert channel.find("language") is None


# --- Atom ---------------------------------------------------------------------------------


def test_render_feed_atom_is_valid_rfc4287() -> None:
    assert_atom_valid(atom(ARTICLES).body)


def test_render_feed_atom_feed_elements() -> None:
    feed = etree.fromstring(atom(ARTICLES).body)
    assert feed.findtext("atom:id", namespaces=NS) == ATOM_CHANNEL.id
    assert feed.findtext("atom:title", namespaces=NS) == "Example News"
    assert feed.findtext("atom:subtitle", namespaces=NS) == "Everything we publish"
    assert feed.findtext("atom:updated", namespaces=NS) == "2024-03-02T12:00:00+00:00"
    assert feed.findtext("atom:author/atom:name", namespaces=NS) == "Example News"
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    generator = feed.find("atom:generator", NS)
    assert generator.text == "syndicate" and generator.get("version") is None
    links = [
        (link.get("rel"), link.get("type"), link.get("href"))
        for link in feed.findall("atom:link", NS)
    ]
    assert links == [
        ("self", "application/atom+xml", ATOM_CHANNEL.feed_url),
        ("alternate", "text/html", SITE),
        ("alternate", "application/rss+xml", "https://news.example.com/feeds/all.rss"),
        ("hub", None, "https://hub.example.com/"),
    ]


def test_render_feed_atom_entry_fields() -> None:
    entry = etree.fromstring(atom(ARTICLES).body).find("atom:entry", NS)
    newest = ARTICLES[-1]

    def text(path: str) -> str:
        return str(entry.findtext(path, default="", namespaces=NS))

    assert text("atom:id") == f"urn:uuid:{newest.id}"
    assert newest.slug not in text("atom:id")
    assert text("atom:published") == "2024-03-01T14:00:00+00:00"
    assert text("atom:updated") == "2024-03-01T14:05:00+00:00"
    for path in ("atom:published", "atom:updated"):
        assert RFC3339.match(text(path))
    assert [n.text for n in entry.findall("atom:author/atom:name", NS)] == list(newest.authors)
    link = entry.find("atom:link", NS)
    assert (link.get("rel"), link.get("type"), link.get("href")) == (
        "alternate",
        "text/html",
        permalink(newest),
    )
    assert [(c.get("term"), c.get("label")) for c in entry.findall("atom:category", NS)] == [
        ("World", "World"),
        ("Science", "Science"),
    ]
    summary, content = entry.find("atom:summary", NS), entry.find("atom:content", NS)
    assert (summary.get("type"), summary.text) == ("text", "Summary 2.")
    assert (content.get("type"), content.text) == ("html", newest.body_html)


def test_render_feed_atom_alternates_skip_duplicate_and_malformed_types() -> None:
    channel = replace(
        ATOM_CHANNEL,
        alternates={
            "text/html": "https://dup.example/",
            "application/atom+xml": "https://self.example/",
            "not a type": "https://bad.example/",
            "application/feed+json": "https://j.example/",
        },
    )
    body = atom(ARTICLES, channel).body
    assert_atom_valid(body)
    hrefs = [link.get("href") for link in etree.fromstring(body).findall("atom:link", NS)]
    assert "https://j.example/" in hrefs
    assert not {"https://dup.example/", "https://self.example/", "https://bad.example/"} & set(
        hrefs
    )


def test_render_feed_atom_entry_without_authors_or_summary_is_valid() -> None:
    article = story(1, authors=(), summary="", dek="", categories=())
    body = atom([article]).body
    assert_atom_valid(body)
    parsed = feedparser.parse(body)
    assert parsed.feed.author == "Example News"  # RFC 4287 §4.2.1: entries inherit it
    assert "author" not in parsed.entries[0]


# --- the schema itself --------------------------------------------------------------------

RFC_MINIMAL = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Example Feed</title>
  <link href="http://example.org/"/>
  <updated>2003-12-13T18:30:02Z</updated>
  <author>
    <name>John Doe</name>
  </author>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <entry>
    <title>Atom-Powered Robots Run Amok</title>
    <link href="http://example.org/2003/12/13/atom03"/>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <updated>2003-12-13T18:30:02Z</updated>
    <summary>Some text.</summary>
  </entry>
</feed>"""

RFC_EXTENSIVE = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="text">dive into mark</title>
  <subtitle type="html">
    A &lt;em&gt;lot&lt;/em&gt; of effort
    went into making this effortless
  </subtitle>
  <updated>2005-07-31T12:29:29Z</updated>
  <id>tag:example.org,2003:3</id>
  <link rel="alternate" type="text/html"
   hreflang="en" href="http://example.org/"/>
  <link rel="self" type="application/atom+xml"
   href="http://example.org/feed.atom"/>
  <rights>Copyright (c) 2003, Mark Pilgrim</rights>
  <generator uri="http://www.example.com/" version="1.0">
    Example Toolkit
  </generator>
  <entry>
    <title>Atom draft-07 snapshot</title>
    <link rel="alternate" type="text/html"
     href="http://example.org/2005/04/02/atom"/>
    <link rel="enclosure" type="audio/mpeg" length="1337"
     href="http://example.org/audio/ph34r_my_podcast.mp3"/>
    <id>tag:example.org,2003:3.2397</id>
    <updated>2005-07-31T12:29:29Z</updated>
    <published>2003-12-13T08:29:29-04:00</published>
    <author>
      <name>Mark Pilgrim</name>
      <uri>http://example.org/</uri>
      <email>f8dy@example.com</email>
    </author>
    <contributor>
      <name>Sam Ruby</name>
    </contributor>
    <contributor>
      <name>Joe Gregorio</name>
    </contributor>
    <content type="xhtml" xml:lang="en"
     xml:base="http://diveintomark.org/">
      <div xmlns="http://www.w3.org/1999/xhtml">
        <p><i>[Update: The Atom draft is finished.]</i></p>
      </div>
    </content>
  </entry>
</feed>"""

ENTRY_SUMMARY = b"<summary>Some text.</summary>"
VALID_VARIANTS = {
    "rfc_minimal": RFC_MINIMAL,
    "rfc_extensive": RFC_EXTENSIVE,
    "entry_document": RFC_MINIMAL[
        RFC_MINIMAL.index(b"<entry>") : RFC_MINIMAL.index(b"</feed>")
    ].replace(b"<entry>", b'<entry xmlns="http://www.w3.org/2005/Atom">'),
    "simple_extension": RFC_MINIMAL.replace(
        ENTRY_SUMMARY,
        b'<dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">x</dc:creator>' + ENTRY_SUMMARY,
    ),
    "structured_extension": RFC_MINIMAL.replace(
        ENTRY_SUMMARY, b'<x:y xmlns:x="urn:x" a="1"><x:z/></x:y>' + ENTRY_SUMMARY
    ),
    "category_html_content": RFC_MINIMAL.replace(
        ENTRY_SUMMARY,
        b'<category term="t" scheme="http://x/" label="T"/>'
        b'<content type="html">&lt;p&gt;x&lt;/p&gt;</content>' + ENTRY_SUMMARY,
    ),
    "out_of_line_content": RFC_MINIMAL.replace(
        ENTRY_SUMMARY, b'<content type="image/png" src="http://x/a.png"/>' + ENTRY_SUMMARY
    ),
    "fractional_offset_date": RFC_MINIMAL.replace(
        b"2003-12-13T18:30:02Z</updated>\n    <summary>",
        b"2003-12-13T18:30:02.25+01:00</updated>\n    <summary>",
    ),
}
INVALID_VARIANTS = {
    "missing_id": RFC_MINIMAL.replace(
        b"<id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>", b""
    ),
    "missing_title": RFC_MINIMAL.replace(b"<title>Example Feed</title>", b""),
    "two_titles": RFC_MINIMAL.replace(
        b"<title>Example Feed</title>", b"<title>a</title><title>b</title>"
    ),
    "rfc822_date": RFC_MINIMAL.replace(
        b"<updated>2003-12-13T18:30:02Z</updated>\n  <author>",
        b"<updated>Sat, 13 Dec 2003 18:30:02 GMT</updated>\n  <author>",
    ),
    "entry_bad_date": RFC_MINIMAL.replace(
        b"2003-12-13T18:30:02Z</updated>\n    <summary>", b"yesterday</updated>\n    <summary>"
    ),
    "entry_missing_updated": RFC_MINIMAL.replace(
        b"<updated>2003-12-13T18:30:02Z</updated>\n    <summary>", b"<summary>"
    ),
    "link_without_href": RFC_MINIMAL.replace(
        b'<link href="http://example.org/"/>', b'<link rel="self"/>'
    ),
    "author_without_name": RFC_MINIMAL.replace(b"<name>John Doe</name>", b"<uri>x</uri>"),
    "unknown_text_type": RFC_MINIMAL.replace(ENTRY_SUMMARY, b'<summary type="md">x</summary>'),
    "unknown_atom_element": RFC_MINIMAL.replace(ENTRY_SUMMARY, b"<bogus/>" + ENTRY_SUMMARY),
    "unqualified_attribute": RFC_MINIMAL.replace(
        ENTRY_SUMMARY, b'<summary foo="x">Some text.</summary>'
    ),
    "bad_language_tag": RFC_MINIMAL.replace(b"<feed xmlns", b'<feed xml:lang="en us" xmlns'),
    "category_without_term": RFC_MINIMAL.replace(
        ENTRY_SUMMARY, b'<category label="x"/>' + ENTRY_SUMMARY
    ),
    "xhtml_without_div": RFC_EXTENSIVE.replace(b"<div xmlns", b"<span xmlns").replace(
        b"</div>", b"</span>"
    ),
    "wrong_namespace": RFC_MINIMAL.replace(
        b"http://www.w3.org/2005/Atom", b"http://purl.org/atom/ns#"
    ),
}


@pytest.mark.parametrize("name", sorted(VALID_VARIANTS))
def test_atom_schema_accepts_valid_documents(name: str) -> None:
    assert_atom_valid(VALID_VARIANTS[name])


@pytest.mark.parametrize("name", sorted(INVALID_VARIANTS))
def test_atom_schema_rejects_invalid_documents(name: str) -> None:
    assert not ATOM_SCHEMA.validate(etree.fromstring(INVALID_VARIANTS[name]))


def test_render_feed_rss_channel_description_is_html_escaped() -> None:
    channel = rss_channel(channel=replace(CHANNEL, description="News <b>& more</b>"))
    assert channel.findtext("description") == "News &lt;b&gt;&amp; more&lt;/b&gt;"


def test_render_feed_atom_declares_only_the_default_namespace_prefixes() -> None:
    body = atom(ARTICLES).body
    assert b"ns0:" not in body and b"xmlns:ns0" not in body
    root = etree.fromstring(body)
    links = root.findall("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}link")
    assert len(links) == len(ARTICLES)
