"""RFC 5005 archives: walk from the subscription document back to the first article."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from helpers.articles import EPOCH, article
from helpers.live import Site, serve
from lxml import etree

from syndicate.config import FeedSettings, Settings
from syndicate.publish.catalog import archived_pages
from syndicate.store import Store

ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}archive"
PAGE = 5
TOTAL = 23  # pages 1..3 archived (15 articles), 8 in the subscription document


@pytest.fixture
def site(settings: Settings, store: Store) -> Iterator[Site]:
    store.upsert_many(article(n) for n in range(1, TOTAL + 1))
    with serve(replace(settings, feeds=FeedSettings(items=PAGE, max_items=50)), store) as live:
        yield live


def links_and_ids(body: bytes, fmt: str) -> tuple[dict[str, str], list[str], bool]:
    """(rel -> href, entry ids, has fh:archive) of one document."""
    if fmt == "json":
        doc = json.loads(body)
        links = {"prev-archive": doc["next_url"]} if "next_url" in doc else {}
        return links, [item["id"] for item in doc["items"]], False
    root = etree.fromstring(body)
    channel = root if fmt == "atom" else root.find("channel")
    links = {link.get("rel"): link.get("href") for link in channel.findall(f"{ATOM}link")}
    ids = (
        root.xpath("//*[local-name()='entry']/*[local-name()='id']/text()")
        if fmt == "atom"
        else root.xpath("//item/guid/text()")
    )
    return links, ids, channel.find(FH) is not None


def walk(site: Site, fmt: str) -> list[list[str]]:
    """Entry ids of each document from the subscription document back to the oldest page."""
    url, seen, pages = f"/feeds/all.{fmt}", set(), []
    while url:
        assert url not in seen
        seen.add(url)
        reply = site.get(url)
        assert reply.status == 200, url
        links, ids, archived = links_and_ids(reply.body, fmt)
        assert archived == (len(pages) > 0 and fmt != "json")
        if archived:
            assert links["current"].endswith(f"/feeds/all.{fmt}")
        pages.append(ids)
        url = links.get("prev-archive", "").removeprefix(site.settings.site.base_url)
    return pages


def ids_of(*numbers: int) -> set[str]:
    return {f"urn:uuid:{article(n).id}" for n in numbers}


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_archive_chain_reaches_every_article(site: Site, fmt: str) -> None:
    pages = walk(site, fmt)
    assert {i for page in pages for i in page} == ids_of(*range(1, TOTAL + 1))
    # 23 articles, pages of 5: four full pages are published (1..20); the subscription
    # document holds the newest five by date (19..23), 21..23 being in no page yet.
    assert [len(p) for p in pages] == [5, 5, 5, 5, 5]
    assert set(pages[0]) == ids_of(19, 20, 21, 22, 23)


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_archive_pages_link_back_and_to_the_current_document(site: Site, fmt: str) -> None:
    base = site.settings.site.base_url
    middle, _, archived = links_and_ids(site.get(f"/feeds/all/archive/2.{fmt}").body, fmt)
    assert archived
    assert middle["prev-archive"] == f"{base}/feeds/all/archive/1.{fmt}"
    assert middle["current"] == f"{base}/feeds/all.{fmt}"
    assert middle["self"] == f"{base}/feeds/all/archive/2.{fmt}"
    # No next-archive: the newest page would have to change when the next one is published.
    assert "next-archive" not in middle
    oldest, _, _ = links_and_ids(site.get(f"/feeds/all/archive/1.{fmt}").body, fmt)
    assert "prev-archive" not in oldest
    assert site.get(f"/feeds/all/archive/5.{fmt}").status == 404


def test_archive_pages_keep_their_bytes_when_new_and_backfilled_articles_arrive(
    site: Site,
) -> None:
    before = {k: site.get(f"/feeds/all/archive/{k}.atom").body for k in (1, 2, 3, 4)}
    cache = site.app.extensions["syndicate.feedcache"]
    # Enough to publish a fifth page: a backfilled article (the oldest date of all) and
    # new ones (the newest dates).
    late = [article(999, published=EPOCH - timedelta(days=30), updated=EPOCH)]
    late += [article(n) for n in range(TOTAL + 1, TOTAL + 4)]
    for one in late:
        site.store.upsert(one)
        cache.invalidate_articles([one])
        for k, body in before.items():
            assert site.get(f"/feeds/all/archive/{k}.atom").body == body
    assert site.get("/feeds/all/archive/5.atom").status == 200
    newest = {item["id"] for item in json.loads(site.get("/feeds/all.json").body)["items"]}
    assert ids_of(TOTAL + 1, TOTAL + 2, TOTAL + 3) <= newest


def test_tag_feeds_have_their_own_archives(site: Site) -> None:
    tagged = site.store.count_matching(tag="tag-1")  # the odd articles: 12
    assert archived_pages(tagged, PAGE) == 2
    reply = site.get("/feeds/tags/tag-1/archive/1.atom")
    assert reply.status == 200 and b"fh:archive" in reply.body
    links, ids, _ = links_and_ids(reply.body, "atom")
    assert links["current"].endswith("/feeds/tags/tag-1.atom") and len(ids) == PAGE
    assert site.get("/feeds/tags/tag-1/archive/3.atom").status == 404


@pytest.mark.parametrize(
    ("total", "pages"), [(0, 0), (4, 0), (5, 1), (9, 1), (10, 2), (14, 2), (15, 3), (23, 4)]
)
def test_archived_pages_are_the_full_pages(total: int, pages: int) -> None:
    assert archived_pages(total, 5) == pages


NEWEST_CASES = [
    # (feed name, filter) with articles stored oldest-date-last: the newest by date came first
    ("all", {}),
    ("news", {"categories": ("News",)}),
    ("tags/budget", {"tags": ("Budget",)}),
    ("authors/ada-byron", {"authors": ("Ada Byron",)}),
]


@pytest.mark.parametrize(("name", "fields"), NEWEST_CASES, ids=[c[0] for c in NEWEST_CASES])
@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_subscription_holds_the_newest_by_date_whatever_the_stored_order(
    settings: Settings, store: Store, name: str, fields: dict[str, object], fmt: str
) -> None:
    # feeds.items = 3; the article with the newest date is stored first (a backfill), then
    # six older ones: the first page of stored order (1 of 2) holds the newest article.
    same = {"categories": ("News",), "tags": ("Budget",), "authors": ("Ada Byron",)} | fields
    stored = [article(100, **same)] + [article(n, **same) for n in range(1, 7)]
    store.upsert_many(stored)
    small = replace(settings, feeds=FeedSettings(items=3, max_items=50))
    with serve(small, store) as live:
        _, ids, _ = links_and_ids(live.get(f"/feeds/{name}.{fmt}").body, fmt)
        assert ids[:3] == [f"urn:uuid:{article(n).id}" for n in (100, 6, 5)]
        _, limited, _ = links_and_ids(live.get(f"/feeds/{name}.{fmt}?limit=2").body, fmt)
        assert limited == [f"urn:uuid:{article(n).id}" for n in (100, 6)]
