"""WebSub publish pings, received by a fake hub on 127.0.0.1."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace

import pytest
from helpers.articles import article
from helpers.hub import Hub
from helpers.live import serve

from syndicate.config import Settings, WebSubSettings
from syndicate.publish.websub import Publisher, publish_after_write
from syndicate.store import Store
from syndicate.web import change_hook


@pytest.fixture
def hub() -> Iterator[Hub]:
    running = Hub()
    yield running
    running.close()


def test_changed_article_pings_each_changed_feed_once(
    settings: Settings, store: Store, hub: Hub
) -> None:
    store.upsert_many(article(n) for n in range(1, 10))
    publisher = Publisher([hub.url])
    with serve(
        replace(settings, websub=WebSubSettings(hubs=(hub.url,))), store, publisher=publisher
    ) as live:
        for path in ("/feeds/all.rss", "/feeds/news.atom", "/feeds/sports.json"):
            live.get(path)  # some feeds cached, others not: both must be judged right
        changed = replace(article(4), title="Corrected", content_hash="hash-4b")
        store.upsert(changed)
        change_hook(live.app)("test", [changed])
        assert publisher.drain(5)
        base = live.settings.site.base_url
        expected = {
            f"{base}/feeds/{name}.{fmt}"
            for fmt in ("rss", "atom", "json")
            for name in ("all", "sports", "tags/tag-0", "authors/ada-byron")
        }
        assert Counter(hub.pings) == Counter(expected)
    publisher.close()


def test_unchanged_write_pings_nothing(settings: Settings, store: Store, hub: Hub) -> None:
    store.upsert_many(article(n) for n in range(1, 4))
    publisher = Publisher([hub.url])
    with serve(settings, store, publisher=publisher) as live:
        live.get("/feeds/all.rss")
        change_hook(live.app)("test", [])
        assert publisher.drain(2) and hub.pings == []
    publisher.close()


def test_failed_ping_is_retried_with_backoff() -> None:
    hub = Hub(failures=2)
    publisher = Publisher([hub.url], backoff=0.01)
    publisher.publish(["http://feeds.example/all.rss"])
    assert publisher.drain(5)
    assert hub.pings == ["http://feeds.example/all.rss"] and publisher.sent == 1
    publisher.close()
    hub.close()


def test_publish_never_waits_for_the_hub() -> None:
    hub = Hub(delay=0.5)
    publisher = Publisher([hub.url])
    started = time.monotonic()
    publisher.publish([f"http://feeds.example/{n}.rss" for n in range(5)])
    assert time.monotonic() - started < 0.1
    publisher.close()
    hub.close()


def test_full_queue_drops_instead_of_growing() -> None:
    publisher = Publisher(["http://127.0.0.1:9/"], max_queue=3, delay=60)
    publisher.publish([f"http://feeds.example/{n}.rss" for n in range(5)])
    assert publisher.dropped == 2
    publisher.close()


def test_writer_process_pings_after_ingest(settings: Settings, store: Store, hub: Hub) -> None:
    store.upsert(article(1))
    written = [article(2)]
    store.upsert_many(written)
    hubbed = replace(settings, websub=WebSubSettings(hubs=(hub.url,)))
    urls = publish_after_write(hubbed, store, written, settle=0.0, timeout=5)
    assert sorted(hub.pings) == sorted(urls) and len(urls) == 12  # all, arts, tag, author x 3
