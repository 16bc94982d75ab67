"""Upstream feeds of the shapes of the W3C validator's valid testcases, refreshed over HTTP.

Media RSS items (a title, a link and a video), trackback, geo, event, slash and FeedBurner
module examples (a title and a link), podcast episodes (a title and an enclosure), an Atom
link blog and a JSON Feed of attachments: entries with no text at all. Each must become an
article (empty body, empty summary) with its enclosures and lead image, and every feed written
from them must stay valid.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.live import serve
from helpers.upstream import Reply, TestServer
from helpers.validity import assert_valid_feed

from syndicate.config import Settings, SourceSettings
from syndicate.refresh import Outcome, Refresher
from syndicate.store import Store

UPSTREAM = Path(__file__).parent / "data" / "upstream"
EXPECTED: dict[str, dict[str, dict[str, object]]] = {
    name: value
    for name, value in json.loads((UPSTREAM / "expected.json").read_text("utf-8")).items()
    if not name.startswith("_")
}


@pytest.fixture(scope="module")
def server() -> Iterator[TestServer]:
    with TestServer() as running:
        for name in EXPECTED:
            kind = "application/feed+json" if name.endswith(".json") else "application/xml"
            running.serve(f"/{name}", Reply((UPSTREAM / name).read_bytes(), content_type=kind))
        yield running


def sources(server: TestServer) -> tuple[SourceSettings, ...]:
    return tuple(
        SourceSettings(
            name=name.partition(".")[0],
            kind="feed",
            url=server.url(f"/{name}"),
            allow_private=True,
            category="Upstream",
        )
        for name in EXPECTED
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_entry_becomes_an_article(
    name: str, server: TestServer, settings: Settings, store: Store
) -> None:
    source = next(s for s in sources(server) if s.name == name.partition(".")[0])
    result = Refresher(replace(settings, sources=(source,)), store).refresh(source.name)
    assert result.outcome is Outcome.OK, result.message
    assert (result.new, result.skipped) == (len(EXPECTED[name]), 0), result.message
    stored = {a.title: a for a in store.latest(limit=50)}
    assert sorted(stored) == sorted(EXPECTED[name])
    for title, expected in EXPECTED[name].items():
        article = stored[title]
        assert (article.body_html, article.summary) == ("", "")
        enclosures = [[m.url, m.type, m.length] for m in article.enclosures]
        assert enclosures == expected["enclosures"], title
        assert (article.image.url if article.image else None) == expected["image"], title


def test_feeds_written_from_them_stay_valid(
    server: TestServer, settings: Settings, store: Store
) -> None:
    configured = replace(settings, sources=sources(server))
    for result in Refresher(configured, store).refresh_many():
        assert result.outcome is Outcome.OK, result.message
    total = sum(len(entries) for entries in EXPECTED.values())
    with serve(configured, store) as live:
        for path in ("/feeds/all", "/feeds/upstream"):
            rss = assert_valid_feed(live.get(f"{path}.rss").body, "rss")
            atom = assert_valid_feed(live.get(f"{path}.atom").body, "atom")
            document = assert_valid_feed(live.get(f"{path}.json").body, "json")
            assert len(rss.entries) == len(atom.entries) == len(document["items"])
            # One Media RSS item names its own category: it is in that category's feed.
            assert len(document["items"]) == (total if path == "/feeds/all" else total - 1)
        page = live.get("/feeds/all.rss").body
        assert b'<enclosure url="https://cdn.podcast.example/ep12.mp3" length="24986239"' in page
        assert b'<media:thumbnail url="https://cdn.podcast.example/ep12.jpg"/>' in page
