"""Removal that reaches readers: an unpublished or deleted article leaves every feed, archive
page and listing at once, its page answers 410 Gone, Atom carries its RFC 6721 tombstone, and
a refresh of its source never brings it back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import feedparser
import pytest
from helpers.articles import article
from helpers.hostile import ATOM_SCHEMA
from helpers.live import Site, serve
from helpers.upstream import FIRST, Reply, TestServer, rss
from lxml import etree

from syndicate.config import FeedSettings, Settings, SourceSettings
from syndicate.refresh import Refresher
from syndicate.store import DELETED, UNPUBLISHED, Store, UpsertResult
from syndicate.text.dates import utc_now

AT = "{http://purl.org/atompub/tombstones/1.0}"
PAGE = 3
FORMATS = ("rss", "atom", "json")
FEEDS = ("all", "sports", "tags/tag-0", "authors/ada-byron")  # article 4's feeds


@pytest.fixture
def site(settings: Settings, store: Store) -> Iterator[Site]:
    store.upsert_many(article(n) for n in range(1, 11))
    with serve(replace(settings, feeds=FeedSettings(items=PAGE, max_items=50)), store) as live:
        yield live


def ids_in(body: bytes, fmt: str) -> set[str]:
    if fmt == "json":
        return {item["id"].removeprefix("urn:uuid:") for item in json.loads(body)["items"]}
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return {entry.id.removeprefix("urn:uuid:") for entry in parsed.entries}


def every_document(site: Site, name: str, fmt: str) -> set[str]:
    """Ids in the subscription document and every archive page of a feed."""
    found, url = set(), f"/feeds/{name}.{fmt}"
    while url:
        reply = site.get(url)
        assert reply.status == 200, url
        found |= ids_in(reply.body, fmt)
        if fmt == "json":
            url = json.loads(reply.body).get("next_url", "")
        else:
            root = etree.fromstring(reply.body)
            prev = root.xpath("//*[local-name()='link'][@rel='prev-archive']/@href")
            url = prev[0] if prev else ""
        url = url.removeprefix(site.settings.site.base_url)
    return found


def tombstones(site: Site, name: str) -> dict[str, str]:
    body = site.get(f"/feeds/{name}.atom").body
    root = etree.fromstring(body)
    assert ATOM_SCHEMA.validate(root), ATOM_SCHEMA.error_log
    return {e.get("ref"): e.get("when") for e in root.iter(f"{AT}deleted-entry")}


@pytest.mark.parametrize("how", ["unpublish", "delete"])
def test_removed_article_leaves_every_feed_archive_and_listing_at_once(
    site: Site, how: str
) -> None:
    gone = article(4)
    for name in FEEDS:  # cached before the removal, so the removal must drop them
        for fmt in FORMATS:
            assert gone.id in every_document(site, name, fmt)
    assert site.get(f"/articles/{gone.slug}").status == 200
    getattr(site.store.states, how)(gone.id, now=utc_now())
    site.app.extensions["syndicate.feedcache"].invalidate_articles([gone])  # what a writer does
    for name in FEEDS:
        for fmt in FORMATS:
            assert gone.id not in every_document(site, name, fmt), (name, fmt)
            limited = site.get(f"/feeds/{name}.{fmt}?limit=50").body
            assert gone.id not in ids_in(limited, fmt)
    page = site.get(f"/articles/{gone.slug}")
    assert page.status == 410 and b"removed" in page.body
    assert gone.slug.encode() not in site.get("/").body
    assert gone.slug.encode() not in site.get("/categories/sports").body
    for name in FEEDS:
        stones = tombstones(site, name)
        assert list(stones) == [f"urn:uuid:{gone.id}"], name
    assert tombstones(site, "news") == {}  # not one of its feeds


def test_publish_restores_an_unpublished_article_where_it_was(site: Site) -> None:
    before = every_document(site, "all", "atom")
    gone = article(4)
    site.store.states.unpublish(gone.id, now=utc_now())
    assert site.store.states.publish(gone.id, now=utc_now()) == "published"
    site.app.extensions["syndicate.feedcache"].clear()
    assert every_document(site, "all", "atom") == before
    assert site.get(f"/articles/{gone.slug}").status == 200
    assert tombstones(site, "all") == {}


def test_tombstones_are_carried_for_the_configured_days(settings: Settings, store: Store) -> None:
    store.upsert_many(article(n) for n in range(1, 4))
    store.states.delete(article(1).id, now=utc_now() - timedelta(days=31))
    store.states.delete(article(2).id, now=utc_now() - timedelta(days=29))
    with serve(settings, store) as live:
        assert list(tombstones(live, "all")) == [f"urn:uuid:{article(2).id}"]
    with serve(replace(settings, feeds=FeedSettings(tombstone_days=0)), store) as live:
        assert tombstones(live, "all") == {}


def test_deleted_content_is_gone_and_only_the_tombstone_stays(store: Store) -> None:
    store.upsert(article(1))
    stone = store.states.delete(article(1).id, now=utc_now())
    assert stone is not None and stone.status == DELETED and stone.slug == "article-1"
    assert store.get(article(1).id) is None and store.count() == 0
    assert store.states.removal_by_slug("article-1") == stone
    assert store.upsert(article(1)) is UpsertResult.WITHHELD  # an ingest does not bring it back
    assert store.count() == 0


def test_unpublished_article_is_kept_as_it_was(store: Store) -> None:
    store.upsert(article(1))
    store.states.unpublish(article(1).id, now=utc_now())
    edited = replace(article(1), title="Edited upstream", content_hash="other")
    assert store.upsert_many([edited]) == {UpsertResult.WITHHELD: 1}
    listed = store.states.listed(article(1).id)
    assert listed is not None and listed.status == UNPUBLISHED
    assert listed.article.title == "Article 1"


@pytest.fixture
def upstream() -> Iterator[TestServer]:
    with TestServer() as server:
        server.serve("/f", Reply(rss(*FIRST)))
        yield server


def test_a_refresh_of_a_source_still_listing_a_removed_article_does_not_resurrect_it(
    settings: Settings, store: Store, upstream: TestServer
) -> None:
    source = SourceSettings(name="wire", kind="feed", url=upstream.url("/f"), allow_private=True)
    configured = replace(settings, sources=(source,))
    refresher = Refresher(configured, store)
    try:
        assert refresher.refresh("wire").new == 2
        first, second = sorted(store.article_ids("wire"))
        store.states.delete(first, now=utc_now())
        store.states.unpublish(second, now=utc_now())
        upstream.serve("/f", Reply(rss(*FIRST, ("three", "Third story", "Body three."))))
        result = refresher.refresh("wire")
        assert (result.new, result.updated) == (1, 0)
        assert "2 removed by an editor; they stay removed" in result.message
        assert store.get(first) is None
        assert [a.title for a in store.latest()] == ["Third story"]
        # Publishing lifts the block: the deleted article comes back with the next refresh.
        assert store.states.publish(first, now=utc_now()) == "lifted"
        assert store.states.publish(second, now=utc_now()) == "published"
        assert refresher.refresh("wire").new == 1
        assert store.count() == 3 and len(store.latest()) == 3
    finally:
        refresher.close()
