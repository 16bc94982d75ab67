"""Following the store's change log, so a web process drops what other processes changed.

A :class:`ChangeWatcher` reads the change log (``Store.changes_since``) on a daemon thread at
most once per interval and invalidates the :class:`~syndicate.publish.cache.FeedCache` for the
articles written since: how a web process learns of ``syndicate ingest`` runs, refreshes by a
scheduler or a worker, without a query per request. It also releases the scheduled articles
that have come due (one process wins each) and hands them to its ``on_release`` hook.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable

from syndicate.errors import StoreError
from syndicate.model import Article
from syndicate.publish.cache import FeedCache
from syndicate.store import Tombstone
from syndicate.text.dates import utc_now

log = logging.getLogger(__name__)

DEFAULT_WATCH_INTERVAL = 1.0  # seconds between reads of the change log
CHANGES_PER_READ = 1000  # more changes than this at once: drop everything instead
# Rows read again below the newest seen seq: on PostgreSQL a lower seq can commit after a
# higher one (sequence values are taken at insert, rows appear at commit).
CHANGE_OVERLAP = 200


class ChangeWatcher:
    """Follows the store's change log on a daemon thread and invalidates the cache.

    This is how a web process learns of ``syndicate ingest`` runs and refreshes in other
    processes without a query per request. ``poll()`` does one step (tests call it directly).
    The thread holds the watcher weakly: it ends when the app owning the cache is gone, or
    when the store is closed (the watcher stops with it). A forked child (gunicorn
    ``--preload``) starts its own thread, since threads do not survive a fork.
    """

    def __init__(
        self,
        cache: FeedCache,
        interval: float = DEFAULT_WATCH_INTERVAL,
        on_release: Callable[[list[Article]], object] | None = None,
    ) -> None:
        self.cache, self.interval, self.on_release = cache, interval, on_release
        self._high = cache.store.content_version()
        self._seen = {seq for seq, _ in self._window()}
        self._next_due = cache.store.states.next_release()  # read again after every change
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._forks_hooked = False

    @property
    def running(self) -> bool:
        """True while the following thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start following on a daemon thread (again in a forked child)."""
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=_follow,
            args=(weakref.ref(self), self._stop),
            name="change-watcher",
            daemon=True,
        )
        self._thread.start()
        self.cache.store.on_close(self.stop)
        if not self._forks_hooked:
            os.register_at_fork(after_in_child=_restart_in_child(weakref.ref(self)))
            self._forks_hooked = True

    def stop(self) -> None:
        """Stop following; returns once the thread has ended."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def poll(self) -> int:
        """Release due scheduled articles, then read the change log once and invalidate for
        new rows. Returns how many rows were new."""
        self.release()
        rows = self._window()
        new = [(seq, article_id) for seq, article_id in rows if seq not in self._seen]
        if not new:
            return 0
        self._next_due = self.cache.store.states.next_release()  # a write may have scheduled
        self._seen = {seq for seq, _ in rows}
        self._high = max(self._high, rows[-1][0])
        if len(rows) >= CHANGES_PER_READ:
            self.cache.clear()
            return len(new)
        ids = {article_id for _, article_id in new}
        store = self.cache.store
        articles: list[Article | Tombstone] = [
            a for a in map(store.get, sorted(ids)) if a is not None
        ]
        articles += store.states.removals(sorted(ids - {a.id for a in articles}))
        self.cache.invalidate_articles(articles, ids, older_than=max(seq for seq, _ in new))
        return len(new)

    def release(self) -> list[Article]:
        """Release the scheduled articles now due (those another process has not released
        already) and hand them to ``on_release``; the articles released.

        Costs nothing until the next scheduled article is due: its time is known from the
        store, read again whenever the change log moves.
        """
        now = utc_now()
        if self._next_due is None or self._next_due > now:
            return []
        released = self.cache.store.states.release_due(now)
        self._next_due = self.cache.store.states.next_release()
        if released and self.on_release is not None:
            try:
                self.on_release(released)
            except Exception:  # a failed ping must not stop the watcher
                log.exception("announcing %d released articles failed", len(released))
        return released

    def _window(self) -> list[tuple[int, str]]:
        return self.cache.store.changes_since(
            max(0, self._high - CHANGE_OVERLAP), limit=CHANGES_PER_READ
        )

    def running_in_parent(self) -> bool:
        """Whether the thread was started and not stopped (after a fork: in the parent)."""
        return self._thread is not None and not self._stop.is_set()


def _follow(ref: weakref.ref[ChangeWatcher], stop: threading.Event) -> None:
    failing = False
    while True:
        watcher = ref()
        if watcher is None or stop.is_set():
            return
        interval = watcher.interval
        try:
            watcher.poll()
            failing = False
        except StoreError as exc:
            if not failing:  # once per outage, not once per second
                log.warning("reading the change log failed, will retry: %s", exc)
            failing = True
        del watcher
        if stop.wait(interval):
            return


def _restart_in_child(ref: weakref.ref[ChangeWatcher]) -> Callable[[], None]:
    """The at-fork hook of one watcher: in the child, drop the parent's connections and
    cached bytes, and follow again on a thread of the child's own."""

    def restart() -> None:
        watcher = ref()
        if watcher is None or not watcher.running_in_parent():
            return
        watcher.cache.store.release_after_fork()
        watcher.cache.clear()
        watcher.start()

    return restart
