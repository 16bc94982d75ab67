"""WebSub publish pings (W3C WebSub §6): tell each hub that a feed changed.

A ping is ``POST hub.mode=publish&hub.url=<feed URL>`` (form-encoded) to every configured hub;
the hub then fetches the feed and pushes it to subscribers. Pings go out on one daemon thread
from a bounded queue, so a slow or dead hub never delays a request or a refresh: when the queue
is full the ping is dropped and logged (subscribers still poll). A failed ping (network error,
or a status other than 2xx) is retried with exponential backoff up to ``attempts`` times.

Pings go through the guarded fetcher (:meth:`~syndicate.sources.fetch.Fetcher.post`), the
one HTTP client, with its deadline and scheme checks. Hub URLs come from the operator's
configuration, like the database URL, so hubs on private addresses are allowed.

After a write, :func:`announce` (in a web process) and :func:`publish_after_write` (in a
writer of its own: ``syndicate ingest``, a scheduler or worker) find the feeds whose bytes
changed and ping the hubs for exactly those, and hand them to the built-in hub
(:mod:`.hub`) when it is on, which pushes them to its subscribers.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from syndicate.backoff import backoff_seconds
from syndicate.config import FetchSettings, Settings
from syndicate.errors import FetchError
from syndicate.model import Article
from syndicate.publish import catalog
from syndicate.publish.cache import CacheKey, FeedCache
from syndicate.publish.hub import Hub
from syndicate.publish.watch import DEFAULT_WATCH_INTERVAL
from syndicate.sources.fetch import Fetcher
from syndicate.store import Store, Tombstone

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0  # seconds per ping
DEFAULT_ATTEMPTS = 5
DEFAULT_BACKOFF = 2.0  # seconds before the first retry; doubled after each failure
MAX_BACKOFF = 300.0
DEFAULT_QUEUE = 1000  # pings waiting at once; more are dropped
# A writer in another process pings this long after its write, so web processes (watching
# every DEFAULT_WATCH_INTERVAL) drop their copies before the hub fetches the feed.
DEFAULT_SETTLE = 2 * DEFAULT_WATCH_INTERVAL + 0.5
FORM = "application/x-www-form-urlencoded"

Post = Callable[[str, bytes, float], int]  # (hub URL, form body, timeout) -> HTTP status


def fetcher_post(fetcher: Fetcher) -> Post:
    """A :data:`Post` through the guarded fetcher (its own deadline applies, not ``timeout``)."""

    def post(url: str, body: bytes, _timeout: float) -> int:
        return fetcher.post(url, body, content_type=FORM, allow_private=True, source=url)

    return post


@dataclass(order=True, slots=True)
class _Ping:
    due: float
    order: int
    hub: str = field(compare=False)
    topic: str = field(compare=False)
    attempt: int = field(compare=False, default=1)


class Publisher:
    """Sends publish pings for feed URLs to every hub, from a background thread.

    ``delay`` holds each new ping back that many seconds: a writer in another process than the
    web server gives the server's cache time to see the change before the hub fetches the feed.
    """

    def __init__(
        self,
        hubs: Iterable[str],
        *,
        post: Post | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff: float = DEFAULT_BACKOFF,
        max_queue: int = DEFAULT_QUEUE,
        delay: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hubs = tuple(dict.fromkeys(hubs))
        self._fetcher: Fetcher | None = None
        if post is None:  # our own client, closed with the publisher
            self._fetcher = Fetcher(FetchSettings(total_timeout=timeout))
            post = fetcher_post(self._fetcher)
        self._post, self._timeout, self._attempts = post, timeout, attempts
        self._backoff, self._max_queue, self._delay, self._clock = backoff, max_queue, delay, clock
        self._heap: list[_Ping] = []
        self._order = itertools.count()
        self._busy = 0  # pings taken off the heap and being sent
        self._wake = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None
        self.sent = 0
        self.dropped = 0

    def publish(self, topics: Iterable[str]) -> None:
        """Queue a ping of every hub for each topic URL; returns at once."""
        if not self.hubs:
            return
        with self._wake:
            for topic in dict.fromkeys(topics):
                for hub in self.hubs:
                    self._push(_Ping(self._clock() + self._delay, next(self._order), hub, topic))
            self._wake.notify()
            self._ensure_thread()

    def drain(self, timeout: float) -> bool:
        """Wait until every queued ping is sent or given up; False when ``timeout`` passed."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._heap or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(min(left, 0.05))
        return True

    def close(self, timeout: float = 0.0) -> None:
        """Stop the thread, after waiting up to ``timeout`` seconds for pending pings."""
        if timeout > 0:
            self.drain(timeout)
        with self._wake:
            self._closing = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=max(timeout, 1.0))
        if self._fetcher is not None:
            self._fetcher.close()

    def _push(self, ping: _Ping) -> None:
        if len(self._heap) >= self._max_queue:
            self.dropped += 1
            log.warning("WebSub queue full: dropped ping of %s for %s", ping.hub, ping.topic)
            return
        heapq.heappush(self._heap, ping)

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="websub", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._wake:
                ping = self._next()
                if ping is None:
                    return
                self._busy += 1
            try:
                self._send(ping)
            finally:
                with self._wake:
                    self._busy -= 1
                    self._wake.notify_all()

    def _next(self) -> _Ping | None:
        """The next due ping, waiting for it; None once closing. Holds the condition."""
        while not self._closing:
            if self._heap and self._heap[0].due <= self._clock():
                return heapq.heappop(self._heap)
            wait = self._heap[0].due - self._clock() if self._heap else None
            self._wake.wait(wait)
        return None

    def _send(self, ping: _Ping) -> None:
        body = urlencode({"hub.mode": "publish", "hub.url": ping.topic}).encode("ascii")
        try:
            status = self._post(ping.hub, body, self._timeout)
            problem = "" if 200 <= status < 300 else f"HTTP {status}"
        except (FetchError, OSError) as exc:
            problem = str(exc) or type(exc).__name__
        if not problem:
            self.sent += 1
            return
        if ping.attempt >= self._attempts:
            log.warning(
                "WebSub ping of %s for %s failed %d times, giving up: %s",
                ping.hub,
                ping.topic,
                ping.attempt,
                problem,
            )
            return
        wait = backoff_seconds(self._backoff, ping.attempt - 1, MAX_BACKOFF)
        log.info(
            "WebSub ping of %s for %s failed (%s); retrying in %.0fs",
            ping.hub,
            ping.topic,
            problem,
            wait,
        )
        with self._wake:
            self._push(
                _Ping(
                    self._clock() + wait, next(self._order), ping.hub, ping.topic, ping.attempt + 1
                )
            )
            self._wake.notify()


def topics(settings: Settings, keys: Iterable[CacheKey]) -> list[str]:
    """The feed URLs (WebSub topics) of subscription documents."""
    return [catalog.feed_url(settings, name, fmt) for name, fmt, _ in keys]


def announce(
    cache: FeedCache,
    publisher: Publisher,
    articles: Iterable[Article | Tombstone],
    *,
    appeared: bool = False,
    hub: Hub | None = None,
) -> list[str]:
    """After a write of ``articles`` (or the removal of those a tombstone stands for):
    invalidate, ping hubs for each feed whose bytes changed, and distribute those feeds to
    the subscribers of the built-in ``hub``.

    Returns the feed URLs that changed. Rebuilding happens here, on the writer's thread.
    ``appeared``: released scheduled articles (see :meth:`FeedCache.changed_documents`).
    """
    keys = cache.changed_documents(articles, appeared=appeared)
    urls = topics(cache.settings, keys)
    publisher.publish(urls)
    if hub is not None:
        hub.distribute(cache, keys)
    return urls


def publish_after_write(
    settings: Settings,
    store: Store,
    articles: Iterable[Article | Tombstone],
    *,
    settle: float = DEFAULT_SETTLE,
    timeout: float = 60.0,
) -> list[str]:
    """For a writer outside the web process (``syndicate ingest``, a scheduler process):
    ping the hubs for each feed the written articles changed, and wait for the pings; hand
    the changed feeds to the built-in hub's subscribers (stored: the hub's workers send them).

    Returns the feed URLs that changed (none when no hub is on). Blocks up to ``settle``
    plus ``timeout`` seconds while external hubs are pinged.
    """
    articles = list(articles)
    if not (settings.websub.hubs or settings.websub.builtin) or not articles:
        return []
    publisher = Publisher(settings.websub.hubs, delay=settle)
    hub = Hub(settings, store) if settings.websub.builtin else None
    try:
        return announce(FeedCache(store, settings), publisher, articles, hub=hub)
    finally:
        publisher.close(timeout=settle + timeout if settings.websub.hubs else 0.0)
        if hub is not None:
            hub.stop(0)
