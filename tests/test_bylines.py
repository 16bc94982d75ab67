"""Bylines are names: author strings as feeds, mail headers and front matter write them.

feedparser 6 cuts ``desk@wire.example (Wire Desk)`` into the name ``ple (Wire Desk`` (its
address pattern allows top-level domains of four letters at most); nothing of that may reach
a feed or a page, and an address alone is never printed as a byline.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from helpers.articles import article
from helpers.upstream import Reply, TestServer
from lxml import etree, html

from syndicate.config import Settings, SourceSettings
from syndicate.normalize import normalize
from syndicate.refresh import Refresher
from syndicate.sources import syndication
from syndicate.store import Store
from syndicate.text.bylines import byline

CASES = json.loads((Path(__file__).parent / "data" / "bylines.json").read_text("utf-8"))
DC = "{http://purl.org/dc/elements/1.1/}creator"
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("written", "name"), CASES, ids=[c[0] for c in CASES])
def test_byline_is_the_name(written: str, name: str) -> None:
    assert byline(written) == name


def rss(*authors: str) -> bytes:
    people = "".join(authors)
    return (
        '<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<channel><title>Wire</title><link>https://wire.example/</link>"
        "<item><title>Port strike ends</title><link>https://wire.example/strike</link>"
        f"{people}<description>The strike ended on Monday.</description></item>"
        "</channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("authors", "expected"),
    [
        (["<author>desk@wire.example (Wire Desk)</author>"], ["Wire Desk"]),
        (["<author>Jane Roe &lt;jane@news.example&gt;</author>"], ["Jane Roe"]),
        (["<author>desk@wire.example</author>"], []),
        (["<author>desk@wire.com (Wire Desk)</author>"], ["Wire Desk"]),
        (
            [
                "<author>jane@news.example (Jane Roe)</author>",
                "<dc:creator>Joe Bloggs</dc:creator>",
            ],
            ["Jane Roe", "Joe Bloggs"],
        ),
        (
            [
                "<dc:creator>Ana &lt;ana@news.example&gt;</dc:creator>",
                "<dc:creator>Bo</dc:creator>",
            ],
            ["Ana", "Bo"],
        ),
        (
            ["<author>desk@wire.info (Reuters)</author>", "<dc:creator>Bo</dc:creator>"],
            ["Reuters", "Bo"],
        ),
        (["<author>desk@wire.example</author>", "<dc:creator>Bo</dc:creator>"], ["Bo"]),
    ],
)
def test_feed_authors_are_read_whole(authors: list[str], expected: list[str]) -> None:
    (entry,) = syndication.parse(rss(*authors), "https://wire.example/feed")
    assert list(normalize(entry, source="wire", now=NOW).authors) == expected


def test_a_wire_byline_reaches_feeds_and_pages_as_a_name(
    settings: Settings, store: Store, client: FlaskClient
) -> None:
    with TestServer() as server:
        server.serve("/feed.xml", Reply(rss("<author>desk@wire.example (Wire Desk)</author>")))
        source = SourceSettings(
            name="wire", kind="feed", url=server.url("/feed.xml"), allow_private=True
        )
        Refresher(replace(settings, sources=(source,)), store).refresh("wire")
    (article,) = store.latest()
    assert article.authors == ("Wire Desk",)
    feed = etree.fromstring(client.get("/feeds/all.rss").data)
    assert [e.text for e in feed.iter(DC)] == ["Wire Desk"]
    page = html.fromstring(client.get(f"/articles/{article.slug}").data)
    assert page.xpath("string(//p[@class='byline'])").startswith("By Wire Desk · ")
    assert client.get("/feeds/authors/wire-desk.atom").status_code == 200


def test_an_address_stored_as_an_author_is_not_printed_as_a_byline(
    store: Store, client: FlaskClient
) -> None:
    stored = article(1, authors=("desk@wire.example",))  # as an earlier version stored it
    store.upsert(stored)
    page = html.fromstring(client.get(f"/articles/{stored.slug}").data)
    assert "@" not in page.xpath("string(//p[@class='byline'])")
    assert "By " not in page.xpath("string(//p[@class='byline'])")
