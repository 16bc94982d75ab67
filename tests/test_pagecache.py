"""Pages cached like feeds, and the byte cache's bound.

Home, category and article pages come from the byte cache with a strong ETag, Last-Modified,
gzip and brotli copies, conditional GET and HEAD, and their security headers; a write drops
exactly the pages that show the written article. Past ``[cache] max_bytes`` the least
recently used documents go first.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import replace

import brotli
import pytest
from helpers.articles import article
from helpers.live import Site, serve
from sqlalchemy import event

from syndicate.config import CacheSettings, FeedSettings, Settings
from syndicate.publish.cache import FeedCache
from syndicate.publish.pages import every_page
from syndicate.store import Store
from syndicate.web import change_hook
from syndicate.web.headers import PAGE_CSP

ARTICLES = range(1, 13)
PAGES = [
    "/",
    "/categories/news",
    "/categories/sports",
    "/categories/arts",
    "/tags/tag-0",
    "/tags/tag-1",
    "/authors/ada-byron",
    "/authors/bo-diddley",
] + [f"/articles/article-{n}" for n in ARTICLES]


@pytest.fixture
def site(settings: Settings, store: Store) -> Iterator[Site]:
    store.upsert_many(article(n) for n in ARTICLES)
    with serve(settings, store) as live:
        yield live


def test_every_page_is_listed_for_the_export(site: Site) -> None:
    assert sorted(every_page(site.store)) == sorted(PAGES)


def test_pages_are_served_from_the_cache_without_a_query(site: Site) -> None:
    first = site.etags(PAGES)
    statements: list[str] = []
    event.listen(
        site.store.engine, "before_cursor_execute", lambda *args: statements.append(args[2])
    )
    builds = site.cache.builds
    for path, etag in first.items():
        assert site.get(path).status == 200
        assert site.get(path, {"If-None-Match": etag}).status == 304
        assert site.get(path, {"Accept-Encoding": "br"}).status == 200
    assert statements == [] and site.cache.builds == builds


@pytest.mark.parametrize("path", PAGES)
def test_a_cached_page_keeps_its_validators_codings_and_security_headers(
    site: Site, path: str
) -> None:
    plain = site.get(path)
    assert plain.status == 200 and plain.headers["content-type"] == "text/html; charset=utf-8"
    etag = plain.headers["etag"]
    assert etag.startswith('"') and not etag.startswith('W/"')
    assert plain.headers["last-modified"].endswith(" GMT")
    assert plain.headers["content-security-policy"] == PAGE_CSP
    assert plain.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert plain.headers["x-content-type-options"] == "nosniff"
    assert plain.headers["vary"] == "Accept-Encoding"
    assert "access-control-allow-origin" not in plain.headers
    assert b"<!doctype html>" in plain.body

    zipped = site.get(path, {"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == plain.body
    squeezed = site.get(path, {"Accept-Encoding": "gzip, br"})
    assert squeezed.headers["content-encoding"] == "br"
    assert brotli.decompress(squeezed.body) == plain.body
    assert len({etag, zipped.headers["etag"], squeezed.headers["etag"]}) == 3

    again = site.get(path, {"If-None-Match": etag})
    assert (again.status, again.body, again.headers["etag"]) == (304, b"", etag)
    since = site.get(path, {"If-Modified-Since": plain.headers["last-modified"]})
    assert since.status == 304
    head = site.get(path, method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["content-length"] == str(len(plain.body))


def test_a_changed_article_changes_exactly_the_pages_that_show_it(site: Site) -> None:
    before = site.etags(PAGES)
    changed = replace(article(4), title="Article 4, corrected", content_hash="hash-4b")
    site.store.upsert(changed)  # Sports, tag-0, Ada Byron
    change_hook(site.app)("test", [changed])
    after = site.etags(PAGES)
    moved = {path for path in PAGES if before[path] != after[path]}
    # Its listings, its own page, and the pages that link it as their neighbour in Sports
    # (articles 1, 4, 7, 10: 1's newer and 7's older).
    assert moved == {
        "/",
        "/categories/sports",
        "/tags/tag-0",
        "/authors/ada-byron",
        "/articles/article-4",
        "/articles/article-1",
        "/articles/article-7",
    }
    assert b"Article 4, corrected" in site.get("/articles/article-4").body


def test_a_new_article_shows_on_the_front_page_and_its_category_at_once(site: Site) -> None:
    before = site.etags(PAGES)
    new = article(40, title="Breaking", categories=("Arts",))
    site.store.upsert(new)
    change_hook(site.app)("test", [new])
    assert b"Breaking" in site.get("/").body
    assert b"Breaking" in site.get("/categories/arts").body
    assert site.get("/articles/article-40").status == 200
    after = site.etags(PAGES)
    assert after["/categories/news"] == before["/categories/news"]
    assert after["/articles/article-2"] == before["/articles/article-2"]  # News


def test_cursor_pages_are_cached_apart_and_a_bad_cursor_is_a_400(
    settings: Settings, store: Store
) -> None:
    store.upsert_many(article(n) for n in ARTICLES)
    with serve(replace(settings, feeds=FeedSettings(items=2)), store) as live:
        first = live.get("/categories/news")
        older = first.body.decode().split('rel="next" href="', 1)[1].split('"', 1)[0]
        path = older.removeprefix(live.settings.site.base_url).replace("&amp;", "&")
        paged = live.get(path)
        assert paged.status == 200 and paged.headers["etag"] != first.headers["etag"]
        assert live.get(path, {"If-None-Match": paged.headers["etag"]}).status == 304
        assert ("/categories/news", "html", path.split("?", 1)[1]) in live.cache._entries
        assert live.get(path + "&utm_source=x").headers["etag"] == paged.headers["etag"]
        bad = live.get("/categories/news?before=yesterday")
        assert bad.status == 400 and b"not a page cursor" in bad.body


def test_unknown_pages_are_404_pages_with_the_reason(site: Site) -> None:
    for path, reason in (
        ("/articles/nowhere", b"no article"),
        ("/categories/nowhere", b"no category"),
    ):
        found = site.get(path)
        assert found.status == 404 and reason in found.body
        assert found.headers["content-security-policy"] == PAGE_CSP
    assert len(site.cache) == 0


# -- the bound --------------------------------------------------------------------------------


def test_the_cache_keeps_its_bytes_under_max_bytes_dropping_the_least_recently_used(
    settings: Settings, store: Store
) -> None:
    store.upsert_many(article(n) for n in ARTICLES)
    probe = FeedCache(store, settings)
    one = probe.get(("/articles/article-1", "html", "")).size
    cache = FeedCache(store, replace(settings, cache=CacheSettings(max_bytes=4 * one + one // 2)))
    paths = [f"/articles/article-{n}" for n in ARTICLES]
    for path in paths[:4]:
        cache.get((path, "html", ""))
    assert len(cache) == 4 and cache.evictions == 0
    cache.get((paths[0], "html", ""))  # used again: now the most recent
    cache.get((paths[4], "html", ""))  # one too many: the least recently used goes
    kept = {key[0] for key in list(cache._entries)}
    assert kept == {paths[0], paths[2], paths[3], paths[4]}
    assert cache.evictions == 1 and cache.size_bytes <= cache.max_bytes
    for path in paths:
        cache.get((path, "html", ""))
        assert cache.size_bytes <= cache.max_bytes


def test_compressed_copies_count_against_the_bound(settings: Settings, store: Store) -> None:
    store.upsert_many(article(n) for n in ARTICLES)
    cache = FeedCache(store, settings)
    entry = cache.get(("all", "rss", ""))
    before = cache.size_bytes
    added = len(entry.body_for("gzip")) + len(entry.body_for("br"))
    assert cache.size_bytes == before + added == entry.size


def test_an_evicted_document_is_built_again_on_its_next_request(
    settings: Settings, store: Store
) -> None:
    store.upsert_many(article(n) for n in ARTICLES)
    tiny = replace(settings, cache=CacheSettings(max_bytes=1))
    with serve(tiny, store) as live:
        first = live.get("/feeds/all.rss")
        live.get("/articles/article-1")
        cache = live.cache
        assert len(cache) == 1  # the newest always stays
        builds = cache.builds
        again = live.get("/feeds/all.rss")
        assert again.body == first.body and again.headers["etag"] == first.headers["etag"]
        assert cache.builds == builds + 1
