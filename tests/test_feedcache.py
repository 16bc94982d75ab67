"""The feed cache: no query and no rendering for unchanged feeds, exact invalidation."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from helpers.articles import article
from helpers.live import Site, serve
from sqlalchemy import event

from syndicate.config import Settings
from syndicate.publish import catalog
from syndicate.publish.cache import FeedCache
from syndicate.publish.watch import ChangeWatcher
from syndicate.store import Store
from syndicate.web import change_hook

ARTICLES = range(1, 13)
PATHS = [
    f"/feeds/{name}.{fmt}"
    for fmt in ("rss", "atom", "json")
    for name in (
        "all",
        "news",
        "sports",
        "arts",
        "tags/tag-0",
        "tags/tag-1",
        "authors/ada-byron",
        "authors/bo-diddley",
    )
]


@pytest.fixture
def site(settings: Settings, store: Store) -> Iterator[Site]:
    store.upsert_many(article(n) for n in ARTICLES)
    with serve(settings, store) as live:
        yield live


def test_polling_unchanged_feeds_runs_no_query_and_no_render(site: Site) -> None:
    first = site.etags(PATHS)
    statements: list[str] = []
    event.listen(
        site.store.engine, "before_cursor_execute", lambda *args: statements.append(args[2])
    )
    builds = site.cache.builds
    for path, etag in first.items():
        assert site.get(path).status == 200
        assert site.get(path, {"If-None-Match": etag}).status == 304
        assert site.get(path, {"Accept-Encoding": "gzip"}).status == 200
    assert statements == [] and site.cache.builds == builds


def test_changed_article_changes_exactly_the_etags_of_its_feeds(site: Site) -> None:
    before = site.etags(PATHS)
    changed = replace(article(4), title="Article 4, corrected", content_hash="hash-4b")
    site.store.upsert(changed)  # Sports, tag-0, Ada Byron
    change_hook(site.app)("test", [changed])
    after = site.etags(PATHS)
    moved = {path for path in PATHS if before[path] != after[path]}
    assert moved == {
        f"/feeds/{name}.{fmt}"
        for fmt in ("rss", "atom", "json")
        for name in ("all", "sports", "tags/tag-0", "authors/ada-byron")
    }


def test_article_leaving_a_category_drops_that_feed_too(site: Site) -> None:
    before = site.etags(PATHS)
    moved = replace(article(4), categories=("Arts",), content_hash="hash-4c")
    site.store.upsert(moved)
    change_hook(site.app)("test", [moved])
    after = site.etags(PATHS)
    assert before["/feeds/sports.rss"] != after["/feeds/sports.rss"]  # left it
    assert before["/feeds/arts.rss"] != after["/feeds/arts.rss"]  # joined it
    assert before["/feeds/news.rss"] == after["/feeds/news.rss"]


def test_write_by_another_process_is_seen_by_the_watcher(site: Site, settings: Settings) -> None:
    before = site.etags(PATHS)
    watcher = ChangeWatcher(site.cache, interval=60)
    other = Store(settings.database_url)  # another connection pool, as another process has
    other.upsert(article(13))  # Sports
    other.close()
    assert watcher.poll() == 1 and watcher.poll() == 0
    after = site.etags(PATHS)
    assert before["/feeds/sports.atom"] != after["/feeds/sports.atom"]
    assert before["/feeds/news.atom"] == after["/feeds/news.atom"]


def test_watcher_thread_follows_the_store(settings: Settings, store: Store) -> None:
    store.upsert(article(1))
    with serve(settings, store, watch_interval=0.05) as live:
        first = live.get("/feeds/all.rss").headers["etag"]
        store.upsert(article(2))
        deadline = time.monotonic() + 5
        while live.get("/feeds/all.rss").headers["etag"] == first:
            assert time.monotonic() < deadline, "the watcher never invalidated"
            time.sleep(0.05)


def test_concurrent_misses_build_once(
    settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.upsert(article(1))
    cache = FeedCache(store, settings)
    build = catalog.build

    def slow_build(*args, **kwargs):
        time.sleep(0.2)
        return build(*args, **kwargs)

    monkeypatch.setattr(catalog, "build", slow_build)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get(("all", "rss", ""))))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.builds == 1 and len({id(r) for r in results}) == 1


def test_build_invalidated_meanwhile_is_served_but_not_kept(
    settings: Settings, store: Store, monkeypatch
) -> None:
    store.upsert(article(1))
    cache = FeedCache(store, settings)
    build = catalog.build

    def build_then_write(*args, **kwargs):
        result = build(*args, **kwargs)
        cache.invalidate_articles([article(1)])
        return result

    monkeypatch.setattr(catalog, "build", build_then_write)
    cache.get(("all", "rss", ""))
    assert cache.peek(("all", "rss", "")) is None


@pytest.mark.parametrize("fmt", list(catalog.FORMATS))
def test_each_process_serves_the_change_after_its_own_read_of_the_change_log(
    fmt: str, settings: Settings, store: Store
) -> None:
    """Two web processes over one store, a write by a third: each keeps serving the old
    document until its own watcher reads the change log, then serves the same new bytes as
    the other. So clients of a server with several workers see both ETags for up to one
    change-log interval, which is what tests/test_deployment.py must wait out."""
    store.upsert_many(article(n) for n in (1, 2))
    key = ("all", fmt, "")
    stores = [Store(settings.database_url) for _ in range(3)]  # two web processes, a writer
    try:
        caches = [FeedCache(opened, settings) for opened in stores[:2]]
        watchers = [ChangeWatcher(cache, interval=60) for cache in caches]
        old = {cache.get(key).etag for cache in caches}
        stores[2].upsert(article(3))
        assert len(old) == 1 and watchers[0].poll() == 1
        first, second = caches[0].get(key), caches[1].get(key)
        assert first.etag not in old and second.etag in old  # the other has not read it yet
        assert watchers[1].poll() == 1
        second = caches[1].get(key)
        assert (second.body, second.etag) == (first.body, first.etag)
    finally:
        for opened in stores:
            opened.close()
