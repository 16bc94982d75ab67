"""The built-in WebSub hub (W3C Recommendation, 23 January 2018): ``[websub] builtin = true``.

syndicate is then its own hub at ``/websub/hub``, named with ``rel="hub"`` in every feed
beside the configured hubs. Its parts:

- requests (§5.1) are checked (:mod:`.subscribe`), kept in the store and answered ``202`` by
  the web (:meth:`Hub.accept`);
- after every write, :meth:`Hub.distribute` stores the new bytes of each changed feed that
  has subscribers, once, and marks its subscriptions due: the writer's process, whichever it
  is (a web request, the scheduler, ``syndicate ingest``), needs nothing else;
- a worker (:meth:`Hub.start`) takes the due work from the store, off every request path:
  the verifications of intent and the deliveries (:mod:`.delivery`), ``websub.concurrency``
  at once on a thread pool, each within ``websub.timeout``, so a slow subscriber holds one
  thread for at most that long and never delays the others. It runs in ``syndicate serve``
  and ``syndicate scheduler``; in queue mode (``schedule.mode = "queue"``) it hands the work
  to the task queue instead (``enqueue``), and ``syndicate worker`` processes do it
  (:meth:`Hub.run`). Leases that ended are marked expired once a minute.

The store's claims make the work safe to share: two workers never send one delivery twice
(short of one dying mid-call, when its claim runs out and the delivery is sent again: the
subscriber gets the same document twice, which WebSub allows).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from syndicate.config import Settings
from syndicate.errors import StoreError, SubscriptionRefused, UnknownFeed
from syndicate.publish import catalog
from syndicate.publish.cache import CacheKey, FeedCache
from syndicate.publish.delivery import Deliveries, hub_fetcher, now
from syndicate.publish.subscribe import MAX_WAITING, HubRequest, check_request
from syndicate.sources.fetch import Fetcher
from syndicate.store import Store
from syndicate.store.hub import DELIVER, VERIFY

log = logging.getLogger(__name__)

POLL_INTERVAL = 1.0  # seconds between looks for due work written by other processes
EXPIRE_EVERY = 60.0  # seconds between sweeps of ended leases
Work = tuple[str, int]  # (VERIFY or DELIVER, the request's or subscription's id)
Enqueue = Callable[[list[Work]], object]


class Hub:
    """The built-in hub as one process sees it: accepting requests, distributing writes, and,
    once started, doing the due work."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        fetcher: Fetcher | None = None,
        clock: Callable[[], datetime] = now,
        poll_interval: float = POLL_INTERVAL,
    ) -> None:
        self.settings, self.store, self.clock = settings, store, clock
        self.poll_interval = poll_interval
        self._own_fetcher = fetcher is None
        self.fetcher = fetcher or hub_fetcher(settings)
        self.deliveries = Deliveries(settings, store, self.fetcher, clock=clock)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._enqueue: Enqueue | None = None
        self._in_flight: set[Work] = set()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self.done = 0  # pieces of work finished by this process (tests and logs read it)

    @property
    def url(self) -> str:
        """The hub's URL."""
        return self.settings.websub.hub_url(self.settings.site.base_url)

    # -- the web side --------------------------------------------------------------------

    def accept(self, form: Mapping[str, str]) -> HubRequest:
        """Check a request and keep it for verification (raises ``SubscriptionRefused``)."""
        request = check_request(form, self.settings, self.store)
        if self.store.hub.waiting_requests() >= MAX_WAITING:
            raise SubscriptionRefused("too many requests wait for verification; try later", 503)
        self.store.hub.add_request(
            request.topic,
            request.callback,
            request.mode,
            secret=request.secret,
            lease_seconds=request.lease_seconds,
            now=self.clock(),
        )
        self.wake()
        return request

    def distribute(self, cache: FeedCache, keys: Iterable[CacheKey]) -> list[str]:
        """After a write: keep the new bytes of each changed subscription document that has
        subscribers and make their deliveries due; the topics. ``keys`` are what
        :meth:`FeedCache.changed_documents` found (already rebuilt in ``cache``)."""
        wanted = {
            catalog.feed_url(self.settings, name, fmt): (name, fmt, variant)
            for name, fmt, variant in keys
            if variant == "" and fmt in catalog.FORMATS
        }
        now = self.clock()
        topics = sorted(self.store.hub.topics_with_subscribers(wanted, now=now))
        for topic in topics:
            try:
                entry = cache.get(wanted[topic])
            except UnknownFeed:
                continue
            self.store.hub.publish(topic, entry.content_type, entry.body, now=now)
        if topics:
            self.wake()
        return topics

    # -- the worker ------------------------------------------------------------------------

    def start(self, enqueue: Enqueue | None = None) -> None:
        """Do the due work on a thread pool, or, given ``enqueue`` (queue mode), hand it to
        the task queue; returns at once."""
        if self._thread is not None:
            return
        self._enqueue = enqueue
        if enqueue is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self.settings.websub.concurrency, thread_name_prefix="websub"
            )
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="websub-hub", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for due work now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking work; running calls end within their timeout."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=timeout > 0, cancel_futures=True)
            self._pool = None
        if self._own_fetcher:
            self.fetcher.close()

    def run(self, kind: str, item: int) -> str:
        """One piece of work (a queue job, or a pool thread's); what happened."""
        if kind == VERIFY:
            return self.deliveries.verify(item)
        if kind == DELIVER:
            return self.deliveries.deliver(item)
        raise ValueError(f"unknown WebSub work {kind!r}")

    def drain(self, timeout: float) -> bool:
        """Wait until no work is due or running; False when ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                busy = bool(self._in_flight)
            if not busy and not self.store.hub.due(now=self.clock(), limit=1):
                with self._lock:
                    if not self._in_flight:
                        return True
            self.wake()
            time.sleep(0.02)
        return False

    def _loop(self) -> None:
        swept = 0.0
        while not self._stop.is_set():
            self._wake.clear()
            wait = self.poll_interval
            try:
                if time.monotonic() - swept >= EXPIRE_EVERY:
                    swept = time.monotonic()
                    self.store.hub.expire(now=self.clock())
                self._take()
                soonest = self.store.hub.next_due()
                if soonest is not None:  # a retry due before the next look: wake for it
                    wait = min(wait, max(0.0, (soonest - self.clock()).total_seconds()) + 0.005)
            except StoreError as exc:
                log.warning("WebSub hub: cannot read its work, will retry: %s", exc)
            self._wake.wait(wait)

    def _take(self) -> None:
        """Hand the due work not in hand already to the pool (or the queue)."""
        room = 2 * self.settings.websub.concurrency
        with self._lock:
            room -= len(self._in_flight)
        if room <= 0:
            return
        due = self.store.hub.due(now=self.clock(), limit=room)
        if self._enqueue is not None:
            if due:
                self._enqueue(due)
            return
        for work in due:
            with self._lock:
                if work in self._in_flight:
                    continue
                self._in_flight.add(work)
            assert self._pool is not None
            self._pool.submit(self._work, work)

    def _work(self, work: Work) -> None:
        try:
            outcome = self.run(*work)
            log.debug("WebSub %s %d: %s", work[0], work[1], outcome)
        except Exception:  # a bug or the database: logged; the claim runs out, work returns
            log.exception("WebSub %s %d failed", *work)
        finally:
            with self._lock:
                self._in_flight.discard(work)
                self.done += 1
            self._wake.set()
