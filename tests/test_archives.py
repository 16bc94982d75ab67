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


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_archive_chain_meets_every_article_once(site: Site, fmt: str) -> None:
    pages = walk(site, fmt)
    ids = [i for page in pages for i in page]
    assert len(ids) == len(set(ids)) == TOTAL
    assert [len(p) for p in pages] == [8, 5, 5, 5]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_archive_pages_link_both_ways(site: Site, fmt: str) -> None:
    base = site.settings.site.base_url
    middle, _, archived = links_and_ids(site.get(f"/feeds/all/archive/2.{fmt}").body, fmt)
    assert archived
    assert middle["prev-archive"] == f"{base}/feeds/all/archive/1.{fmt}"
    assert middle["next-archive"] == f"{base}/feeds/all/archive/3.{fmt}"
    assert middle["self"] == f"{base}/feeds/all/archive/2.{fmt}"
    oldest, _, _ = links_and_ids(site.get(f"/feeds/all/archive/1.{fmt}").body, fmt)
    assert "prev-archive" not in oldest
    assert site.get(f"/feeds/all/archive/4.{fmt}").status == 404


def test_full_archive_pages_do_not_change_when_old_dated_articles_arrive(site: Site) -> None:
    before = {k: site.get(f"/feeds/all/archive/{k}.atom").body for k in (1, 2, 3)}
    late = article(999, published=EPOCH - timedelta(days=30), updated=EPOCH)  # oldest date
    site.store.upsert(late)
    site.app.extensions["syndicate.feedcache"].invalidate_articles([late])
    for k, body in before.items():
        assert site.get(f"/feeds/all/archive/{k}.atom").body == body
    assert late.id in site.get("/feeds/all.json").body.decode()


def test_tag_feeds_have_their_own_archives(site: Site) -> None:
    tagged = site.store.count_matching(tag="tag-1")  # the odd articles: 12
    assert archived_pages(tagged, PAGE) == 1
    reply = site.get("/feeds/tags/tag-1/archive/1.atom")
    assert reply.status == 200 and b"fh:archive" in reply.body
    links, ids, _ = links_and_ids(reply.body, "atom")
    assert links["current"].endswith("/feeds/tags/tag-1.atom") and len(ids) == PAGE
    assert site.get("/feeds/tags/tag-1/archive/2.atom").status == 404


@pytest.mark.parametrize(
    ("total", "pages"), [(0, 0), (4, 0), (5, 0), (9, 0), (10, 1), (14, 1), (15, 2), (23, 3)]
)
def test_archived_pages_keeps_a_full_page_unarchived(total: int, pages: int) -> None:
    assert archived_pages(total, 5) == pages
