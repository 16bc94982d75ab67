"""Scheduled publishing: an article dated in the future is stored but shown nowhere until its
time; then it appears (in every process: the change watchers release it), no cached copy
outlives that moment, and the WebSub hubs are pinged."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from helpers.articles import article
from helpers.hub import Hub
from helpers.live import serve
from helpers.processes import wait_for

from syndicate.config import Settings, SourceSettings, WebSubSettings
from syndicate.model import RawEntry
from syndicate.normalize import normalize
from syndicate.publish.watch import ChangeWatcher
from syndicate.publish.websub import Publisher
from syndicate.refresh.harvest import CLOCK_SKEW, normalized, within_skew
from syndicate.store import SCHEDULED, Store
from syndicate.text.dates import utc_now

SOON = 2.0  # seconds ahead: the scheduled article of these tests


def scheduled(seconds: float = SOON) -> object:
    at = (utc_now() + timedelta(seconds=seconds)).replace(microsecond=0) + timedelta(seconds=1)
    return replace(article(99), published=at, updated=at, categories=("News",))


def max_age(reply: object) -> int:
    return int(reply.headers["cache-control"].rsplit("=", 1)[1])  # type: ignore[attr-defined]


@pytest.fixture
def hub() -> Iterator[Hub]:
    running = Hub()
    yield running
    running.close()


def test_a_future_article_is_stored_and_shown_nowhere(settings: Settings, store: Store) -> None:
    store.upsert(article(1))
    later = replace(article(2), published=utc_now() + timedelta(days=3), categories=("Later",))
    store.upsert(later)
    assert store.get(later.id) == later
    assert [a.id for a in store.latest()] == [article(1).id]
    assert store.in_stored_order() == [article(1)] and store.count_matching() == 1
    assert store.categories()[0].slug == article(1).categories[0].lower()
    assert store.category_name("later") is None and store.get_by_slug(later.slug) is None
    assert [x.article.id for x in store.states.listing(status=SCHEDULED)] == [later.id]
    assert store.states.next_release() == later.published
    with serve(settings, store) as live:
        for path in ("/feeds/all.atom", "/feeds/all.rss?limit=10", "/feeds/all.json", "/"):
            assert later.slug.encode() not in live.get(path).body, path
        assert live.get(f"/articles/{later.slug}").status == 404
        assert live.get("/feeds/later.atom").status == 404


def test_a_due_article_appears_and_no_cached_copy_outlives_its_time(
    settings: Settings, store: Store, hub: Hub
) -> None:
    store.upsert_many(article(n) for n in range(1, 4))
    publisher = Publisher([hub.url])
    configured = replace(settings, websub=WebSubSettings(hubs=(hub.url,)))
    with serve(configured, store, publisher=publisher, watch_interval=0.05) as live:
        first = live.get("/feeds/all.atom")
        assert "max-age=1800" in first.headers["cache-control"]
        waiting = scheduled()
        store.upsert(waiting)  # another process's write: seen through the change log
        # The same bytes (the article is not shown yet), cached only until it is due.
        wait_for(lambda: max_age(live.get("/feeds/all.atom")) <= SOON + 1)
        assert live.get("/feeds/all.atom").headers["etag"] == first.headers["etag"]
        reply = live.get("/feeds/news.atom")
        assert 0 <= max_age(reply) <= SOON + 1 and waiting.slug.encode() not in reply.body
        assert live.get(f"/articles/{waiting.slug}").status == 404
        wait_for(lambda: waiting.slug.encode() in live.get("/feeds/news.atom").body, SOON + 4)
        assert waiting.slug.encode() in live.get("/feeds/all.rss").body
        assert live.get(f"/articles/{waiting.slug}").status == 200
        # The watcher releases it into the end of the order (shown by time already, it may be
        # released a moment after the rebuilt feed showed it).
        wait_for(lambda: store.in_stored_order()[-1].id == waiting.id, what="its release")
        base = live.settings.site.base_url
        wanted = {f"{base}/feeds/news.atom", f"{base}/feeds/all.rss"}
        wait_for(lambda: wanted <= set(hub.pings), what="pings for the released article")
        assert f"{base}/feeds/sports.atom" not in hub.pings
    publisher.close()


def test_two_processes_release_each_article_once(settings: Settings, store: Store) -> None:
    from syndicate.publish.cache import FeedCache

    waiting = scheduled(0.5)
    store.upsert(waiting)
    other = Store(settings.database_url)
    announced: list[list[str]] = []
    watchers = [
        ChangeWatcher(FeedCache(s, settings), 60, on_release=lambda a: announced.append(a))
        for s in (store, other)
    ]
    time.sleep(1.6)
    for watcher in watchers:
        watcher.poll()
    other.close()
    assert [[a.id for a in batch] for batch in announced] == [[waiting.id]]


def test_rescheduling_a_waiting_article_moves_it(store: Store) -> None:
    waiting = replace(article(5), published=utc_now() + timedelta(days=1))
    store.upsert(waiting)
    moved = replace(waiting, published=utc_now() + timedelta(days=2), content_hash="moved")
    store.upsert(moved)  # not published yet: no "first published date" to keep
    assert store.states.next_release() == moved.published
    now_due = replace(moved, published=utc_now() - timedelta(minutes=1), content_hash="now")
    store.upsert(now_due)
    assert store.states.next_release() is None and store.latest()[0].id == waiting.id


def test_upstream_entries_a_few_minutes_ahead_are_not_held() -> None:
    now = utc_now().replace(microsecond=0)
    source = SourceSettings(name="wire", kind="feed", url="https://wire.example.com/f")
    ahead = RawEntry(title="Fast clock", body_html="<p>Text.</p>", published=now + CLOCK_SKEW)
    far = RawEntry(title="Embargoed", body_html="<p>Text.</p>", published=now + 2 * CLOCK_SKEW)
    (taken, held), _ = normalized([ahead, far], source, now)
    assert taken.published == now and held.published == far.published
    # Once its date has passed, the same entry is unchanged: no rewrite, no spurious update.
    later = normalize(ahead, source="wire", now=now + 2 * CLOCK_SKEW)
    assert within_skew(later, now + 2 * CLOCK_SKEW).content_hash == taken.content_hash
    folder = replace(source, kind="folder", path="posts")
    (own, _held), _ = normalized([ahead, far], folder, now)
    assert own.published == now + CLOCK_SKEW  # the publisher's own files: to the second
