"""Rendered feeds kept as bytes with their validators, rebuilt only when their articles change.

The common request, a reader polling an unchanged feed, is a dictionary lookup: no query, no
rendering, no compression. Each entry holds the document, its strong ETag, its Last-Modified,
what its HTTP headers are made from (``max_age``, ``links``) and its compressed variants (gzip
and brotli, each made once, on first request). Which headers a response carries is the web's
business (:mod:`syndicate.web.headers`); this module knows nothing of HTTP.

Keys are ``(feed name, format, variant)``: variant ``""`` is the subscription document,
``"limit=N"`` a ``?limit=`` cut, ``"page=K"`` an archive page; format ``"opml"`` under name
``all`` is the OPML list.

Rebuilds are single-flight: concurrent misses on one key wait for one build (a lock per key).
Invalidation follows articles: a written article drops every entry of every feed it belongs to
now (all, its categories, tags, authors) and every entry that contained it before (a category
it left). Writers in this process call :meth:`FeedCache.invalidate_articles`; writes by other
processes are seen by :class:`ChangeWatcher`, which reads the store's change log on a
background thread at most once per interval. A removed article drops the feeds it was in too,
known from its tombstone.

Time makes entries stale as well: an entry whose ``expires`` has passed (a scheduled article
became due, a tombstone aged out) is rebuilt by the next request, and its ``max-age`` counts
down to that moment. The watcher also releases due scheduled articles (one process wins each,
see ``Store.states.release_due``) and hands them to its ``on_release`` hook (WebSub pings).
"""

from __future__ import annotations

import gzip
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import brotli  # type: ignore[import-untyped]

from syndicate.config import Settings
from syndicate.errors import StoreError, UnknownFeed
from syndicate.model import Article
from syndicate.publish import catalog
from syndicate.store import Store, Tombstone
from syndicate.text.dates import utc_now

log = logging.getLogger(__name__)

CacheKey = tuple[str, str, str]  # (feed name, format, variant)
GZIP_LEVEL = 9
BROTLI_QUALITY = 9  # q11 costs seconds on a large feed for a few percent
CODINGS = ("identity", "gzip", "br")
DEFAULT_WATCH_INTERVAL = 1.0  # seconds between reads of the change log
CHANGES_PER_READ = 1000  # more changes than this at once: drop everything instead
# Rows read again below the newest seen seq: on PostgreSQL a lower seq can commit after a
# higher one (sequence values are taken at insert, rows appear at commit).
CHANGE_OVERLAP = 200
OPML = "opml"


@dataclass(slots=True)
class CachedFeed:
    """One cached document: its bytes in each content coding, and what describes them.

    ``version`` is the store's content version read before the build: a change-log row at or
    below it is already in these bytes. ``max_age`` (seconds) and ``links`` (``(rel, href)``:
    ``self`` and the WebSub hubs) are what the catalog says about the document.
    """

    key: CacheKey
    body: bytes
    content_type: str
    etag: str  # strong, quoted; of the identity bytes
    last_modified: datetime | None
    article_ids: frozenset[str]
    version: int
    max_age: int
    links: tuple[tuple[str, str], ...]
    expires: datetime | None = None
    encoded: dict[str, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def stale(self, now: datetime) -> bool:
        """Whether time alone has made this entry stale."""
        return self.expires is not None and now >= self.expires

    def max_age_at(self, now: datetime) -> int:
        """Seconds a copy served at ``now`` stays fresh: never past :attr:`expires`."""
        if self.expires is None:
            return self.max_age
        return max(0, min(self.max_age, int((self.expires - now).total_seconds())))

    def body_for(self, coding: str) -> bytes:
        """The bytes in a content coding (``identity``, ``gzip``, ``br``), compressed once."""
        if coding == "identity":
            return self.body
        found = self.encoded.get(coding)
        if found is None:
            with self.lock:
                found = self.encoded.get(coding) or self._encode(coding)
        return found

    def etag_for(self, coding: str) -> str:
        """The strong ETag of the variant in ``coding``.

        RFC 9110 §8.8.3: a strong validator differs between content codings of a resource.
        """
        return self.etag if coding == "identity" else f'{self.etag[:-1]}-{coding}"'

    def _encode(self, coding: str) -> bytes:
        if coding == "br":
            body: bytes = brotli.compress(self.body, quality=BROTLI_QUALITY)
        elif coding == "gzip":
            body = gzip.compress(self.body, GZIP_LEVEL, mtime=0)  # mtime=0: same bytes, same tag
        else:
            raise ValueError(f"unknown content coding {coding!r}; expected one of {CODINGS}")
        self.encoded[coding] = body
        return body


class FeedCache:
    """Feed documents by key, built on first use from the store and kept until invalidated."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store, self.settings = store, settings
        self._entries: dict[CacheKey, CachedFeed] = {}
        self._locks: dict[CacheKey, threading.Lock] = {}
        self._guard = threading.Lock()
        self._epoch = 0  # moves on every invalidation; a build that saw it move is not kept
        self.builds = 0  # how many documents were rendered (tests and stats read it)

    def peek(self, key: CacheKey) -> CachedFeed | None:
        """The cached entry, without building it; ``None`` when there is none or it has
        expired."""
        entry = self._entries.get(key)
        if entry is not None and entry.expires is not None and entry.stale(datetime.now(UTC)):
            return None
        return entry

    def get(self, key: CacheKey) -> CachedFeed:
        """The entry for ``key``, built once however many requests ask at the same time.

        Raises :class:`UnknownFeed` for a feed, format or page that does not exist.
        """
        entry = self.peek(key)
        if entry is not None:
            return entry
        with self._lock_for(key):
            entry = self.peek(key)
            if entry is not None:
                return entry
            epoch = self._epoch
            entry = self._build(key)
            with self._guard:
                if self._epoch == epoch:  # not invalidated while building
                    self._entries[key] = entry
            return entry

    def invalidate_articles(
        self,
        articles: Iterable[Article | Tombstone],
        ids: Iterable[str] = (),
        *,
        older_than: int | None = None,
    ) -> set[CacheKey]:
        """Drop every entry a write of these articles (or their tombstones, or bare ``ids``)
        can have changed.

        ``older_than`` keeps entries built from a store at that content version or later.
        """
        return self._invalidate(articles, ids, version=older_than)

    def clear(self) -> None:
        """Drop everything."""
        with self._guard:
            self._epoch += 1
            self._entries.clear()

    def changed_documents(
        self, articles: Iterable[Article | Tombstone], *, appeared: bool = False
    ) -> list[CacheKey]:
        """Invalidate for ``articles`` and return the subscription documents whose bytes changed.

        Each affected subscription document is rebuilt now (by the writer, never by a request)
        and compared with what was cached; when nothing was cached it counts as changed if a
        written article (or the tombstone of a removed one) is in it. This is what WebSub
        pings are sent for. ``appeared``: the articles were not shown anywhere before (released
        scheduled articles), so every document holding one has changed, whatever a request may
        have cached since they became visible.
        """
        articles = list(articles)
        ids = {a.id for a in articles}
        before = {key: e for key, e in self._entries.items() if key[2] == ""}
        dropped = self._invalidate(articles, (), version=None)
        names = {name for a in articles for name in catalog.feed_names(a, self.settings)}
        keys = {(n, fmt, "") for n in names for fmt in catalog.FORMATS}
        keys |= {key for key in dropped if key[2] == "" and key[1] != OPML}
        changed = []
        for key in sorted(keys):
            try:
                entry = self.get(key)
            except UnknownFeed:
                continue
            old = before.get(key)
            if appeared or old is None:
                if entry.article_ids & ids:
                    changed.append(key)
            elif old.etag != entry.etag:
                changed.append(key)
        return changed

    def _invalidate(
        self, articles: Iterable[Article | Tombstone], ids: Iterable[str], version: int | None
    ) -> set[CacheKey]:
        names: set[str] = set()
        wanted = set(ids)
        for article in articles:
            names |= catalog.feed_names(article, self.settings)
            wanted.add(article.id)
        with self._guard:
            self._epoch += 1
            stale = {
                key
                for key, entry in self._entries.items()
                if (key[0] in names or entry.article_ids & wanted)
                and (version is None or entry.version < version)
            }
            # A feed's other documents link to its archive pages: drop the whole feed.
            feeds = {key[0] for key in stale} | names
            stale |= {
                key
                for key, entry in self._entries.items()
                if key[0] in feeds and (version is None or entry.version < version)
            }
            for key in stale:
                del self._entries[key]
        return stale

    def _lock_for(self, key: CacheKey) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _build(self, key: CacheKey) -> CachedFeed:
        name, fmt, variant = key
        version = self.store.content_version()
        if fmt == OPML:
            rendered = catalog.opml(self.store, self.settings)
            document = catalog.FeedDocument(
                rendered,
                frozenset(),
                catalog.max_age_of(
                    catalog.resolve(catalog.ALL, self.store, self.settings), self.settings
                ),
                (),
            )
        else:
            spec = catalog.resolve(name, self.store, self.settings)
            kind, _, number = variant.partition("=")
            document = catalog.build(
                spec,
                fmt,
                self.store,
                self.settings,
                limit=int(number) if kind == "limit" else None,
                page=int(number) if kind == "page" else None,
            )
        self.builds += 1
        return _entry(key, document, version)


def _entry(key: CacheKey, document: catalog.FeedDocument, version: int) -> CachedFeed:
    rendered = document.rendered
    return CachedFeed(
        key,
        rendered.body,
        rendered.content_type,
        rendered.etag,
        rendered.last_modified,
        document.article_ids,
        version,
        document.max_age,
        document.links,
        document.expires,
    )


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
