"""Conditional GET, HEAD, compression and response headers of feeds, over real HTTP."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import replace

import brotli
import pytest
from helpers.articles import article
from helpers.live import Site, serve

from syndicate.config import Settings, WebSubSettings
from syndicate.store import Store
from syndicate.web.fastpath import negotiate, not_modified

HUBS = ("http://hub.example/a", "http://hub.example/b")
FEEDS = [
    "/feeds/all.rss",
    "/feeds/all.atom",
    "/feeds/all.json",
    "/feeds/news.atom",
    "/feeds/tags/tag-1.rss",
    "/feeds/authors/ada-byron.json",
    "/feeds.opml",
]
TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json",
    "opml": "text/x-opml; charset=utf-8",
}


@pytest.fixture
def site(settings: Settings, store: Store) -> Iterator[Site]:
    store.upsert_many(article(n) for n in range(1, 13))
    with serve(replace(settings, websub=WebSubSettings(hubs=HUBS)), store) as live:
        yield live


@pytest.mark.parametrize("path", FEEDS)
def test_feed_200_then_304_by_etag_and_by_date(site: Site, path: str) -> None:
    first = site.get(path)
    assert first.status == 200
    assert first.headers["content-type"] == TYPES[path.rpartition(".")[2]]
    etag, modified = first.headers["etag"], first.headers.get("last-modified")
    assert etag.startswith('"') and not etag.startswith("W/")
    by_etag = site.get(path, {"If-None-Match": etag})
    assert (by_etag.status, by_etag.body) == (304, b"")
    for name in ("etag", "cache-control", "vary"):
        assert by_etag.headers[name] == first.headers[name]
    assert "content-type" not in by_etag.headers
    if modified:
        assert site.get(path, {"If-Modified-Since": modified}).status == 304


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"If-None-Match": "*"}, 304),
        ({"If-None-Match": '"other", {etag}'}, 304),
        ({"If-None-Match": "W/{etag}"}, 304),  # RFC 9110 §13.1.2: weak comparison
        ({"If-None-Match": '"other"'}, 200),
        # §13.1.3: If-Modified-Since is ignored when If-None-Match is present.
        ({"If-None-Match": '"other"', "If-Modified-Since": "{modified}"}, 200),
        ({"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}, 200),
        ({"If-Modified-Since": "not a date"}, 200),
        ({"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}, 304),
    ],
)
def test_feed_preconditions(site: Site, headers: dict[str, str], status: int) -> None:
    first = site.get("/feeds/all.atom")
    filled = {
        k: v.format(etag=first.headers["etag"], modified=first.headers["last-modified"])
        for k, v in headers.items()
    }
    assert site.get("/feeds/all.atom", filled).status == status


def test_feed_head_has_get_headers_and_no_body(site: Site) -> None:
    get, head = site.get("/feeds/all.rss"), site.get("/feeds/all.rss", method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["content-length"] == str(len(get.body))
    assert head.headers["etag"] == get.headers["etag"]


@pytest.mark.parametrize(
    ("coding", "decode"), [("gzip", gzip.decompress), ("br", brotli.decompress)]
)
def test_feed_compressed_bodies_decode_to_the_same_bytes(site: Site, coding, decode) -> None:
    plain = site.get("/feeds/all.atom")
    packed = site.get("/feeds/all.atom", {"Accept-Encoding": coding})
    assert packed.headers["content-encoding"] == coding
    assert packed.headers["vary"] == "Accept-Encoding, Accept"  # RSS and Atom: browsers too
    assert decode(packed.body) == plain.body and len(packed.body) < len(plain.body)
    assert packed.headers["etag"] != plain.headers["etag"]  # RFC 9110 §8.8.3
    again = site.get(
        "/feeds/all.atom", {"Accept-Encoding": coding, "If-None-Match": packed.headers["etag"]}
    )
    assert again.status == 304 and again.headers["content-encoding"] == coding


def test_feed_headers_cors_cache_control_and_websub_links(site: Site) -> None:
    reply = site.get("/feeds/news.rss")
    assert reply.headers["access-control-allow-origin"] == "*"
    assert reply.headers["cache-control"] == "public, max-age=1800"
    link = reply.headers["link"]
    assert (
        link.count('rel="self"') == 1 and f"<{site.settings.site.base_url}/feeds/news.rss>" in link
    )
    assert all(f'<{hub}>; rel="hub"' in link for hub in HUBS)
    body = reply.body.decode()
    assert body.count('rel="self"') == 1 and all(hub in body for hub in HUBS)


def test_feed_cache_control_follows_source_interval(settings: Settings, store: Store) -> None:
    from syndicate.config import SourceSettings

    store.upsert_many([article(1), article(2)])  # Sports, Arts
    sources = (
        SourceSettings(
            name="fast", kind="feed", url="http://a.example/", interval=120, category="Sports"
        ),
        SourceSettings(
            name="slow", kind="feed", url="http://b.example/", interval=900, category="Arts"
        ),
    )
    with serve(replace(settings, sources=sources), store) as live:
        assert live.get("/feeds/all.rss").headers["cache-control"] == "public, max-age=120"
        assert live.get("/feeds/arts.rss").headers["cache-control"] == "public, max-age=900"


@pytest.mark.parametrize(
    ("header", "coding"),
    [
        ("", "identity"),
        ("gzip", "gzip"),
        ("gzip, deflate, br", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("gzip;q=0.5", "identity"),
        ("*", "br"),
        ("identity", "identity"),
        ("br;q=0, gzip;q=0", "identity"),
        ("GZIP", "gzip"),
    ],
)
def test_negotiate_content_coding(header: str, coding: str) -> None:
    assert negotiate(header) == coding


@pytest.mark.parametrize(
    ("inm", "ims", "expected"),
    [
        ('"a"', None, True),
        ('"b", "a"', None, True),
        ('W/"a"', None, True),
        ('"b"', "Fri, 01 Jan 2100 00:00:00 GMT", False),
        (None, "Mon, 01 Jan 2024 00:00:00 GMT", True),
        (None, "Sun, 31 Dec 2023 23:59:59 GMT", False),
        (None, None, False),
        ('"a,b"', None, False),
    ],
)
def test_not_modified_rules(inm, ims, expected) -> None:
    from datetime import UTC, datetime

    assert not_modified('"a"', datetime(2024, 1, 1, tzinfo=UTC), inm, ims) is expected
