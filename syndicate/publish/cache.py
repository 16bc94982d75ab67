"""Rendered feeds and pages kept as bytes with their validators, rebuilt only when their
articles change, within a byte budget.

The common request, a reader polling an unchanged feed or opening a page, is a dictionary
lookup: no query, no rendering, no compression. Each entry holds the document, its strong
ETag, its Last-Modified, what its HTTP headers are made from (``max_age``, ``links``) and its
compressed variants (gzip and brotli, each made once, on first request). Which headers a
response carries is the web's business (:mod:`syndicate.web.headers`); this module knows
nothing of HTTP, and keeps what the web derives from an entry in the entry's ``memo``, so it
goes when the entry goes.

Keys are ``(name, format, variant)``. For feeds: the feed name, ``rss``/``atom``/``json``,
and variant ``""`` (the subscription document), ``"limit=N"`` (a ``?limit=`` cut) or
``"page=K"`` (an archive page); format ``"opml"`` under name ``all`` is the OPML list. For
pages (:mod:`.pages`): the page's path, ``"html"`` and the listing's cursor (``""`` for a
first page).

**Bounded.** The cache holds at most ``[cache] max_bytes`` (bodies, their compressed copies
and an estimate of the bookkeeping); past it the least recently used entries are dropped. A
dropped entry costs its next reader one build (queries and rendering), nothing else.

Rebuilds are single-flight: concurrent misses on one key wait for one build (a lock per key
being built). Invalidation follows articles: a written article drops every entry that shows
one of the feeds it belongs to now (all, its categories, tags, authors: an entry's
``depends_on``) and every entry that contained it before (a category it left, its own page).
Writers in this process call :meth:`FeedCache.invalidate_articles`; writes by other processes
are seen by :class:`~syndicate.publish.watch.ChangeWatcher`, which reads the store's change
log on a background thread at most once per interval. A removed article drops the documents it
was in too, known from its tombstone.

Time makes entries stale as well: an entry whose ``expires`` has passed (a scheduled article
became due, a tombstone aged out) is rebuilt by the next request, and its ``max-age`` counts
down to that moment. The watcher also releases due scheduled articles (one process wins each,
see ``Store.states.release_due``) and hands them to its ``on_release`` hook (WebSub pings).
"""

from __future__ import annotations

import ctypes
import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import brotli  # type: ignore[import-untyped]

from syndicate.config import Settings
from syndicate.errors import StoreError, UnknownFeed
from syndicate.model import Article
from syndicate.publish import catalog, pages
from syndicate.store import Store, Tombstone

CacheKey = tuple[str, str, str]  # (feed name or page path, format, variant)
GZIP_LEVEL = 9
BROTLI_QUALITY = 9  # q11 costs seconds on a large feed for a few percent
CODINGS = ("identity", "gzip", "br")
OPML = "opml"
HTML = pages.HTML
# What an entry costs besides its bytes: the objects, prepared header lists, and per article
# id it holds (a 36-character str in a frozenset). Measured with tracemalloc, rounded up.
ENTRY_OVERHEAD = 4096
ID_OVERHEAD = 160
TRIM_EVERY = 16 * 1024 * 1024  # bytes evicted between two returns of free memory


def _libc_function(name: str) -> Callable[..., int] | None:
    """A function of the C library (glibc's ``malloc_trim``, ``mallopt``), or None."""
    try:
        found: Callable[..., int] = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None
    return found


_TRIM = _libc_function("malloc_trim")
_MALLOPT = _libc_function("mallopt")
M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # glibc's mallopt parameters
MMAP_THRESHOLD = 8 * 1024  # documents this large or larger get pages of their own
ARENA_MAX = 2  # heaps for everything smaller: fewer heaps, fewer holes between documents


def tune_allocator() -> None:
    """Give every large allocation pages of its own (glibc), so that a dropped document
    returns its memory to the system whole, instead of leaving holes in the heap that newer,
    differently sized documents cannot fill. The cache is what makes them; every serving
    process has one. Elsewhere nothing is done."""
    if _MALLOPT is not None:
        _MALLOPT(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        _MALLOPT(M_ARENA_MAX, ARENA_MAX)


@dataclass(slots=True)
class CachedFeed:
    """One cached document: its bytes in each content coding, and what describes them.

    ``version`` is the store's content version read before the build: a change-log row at or
    below it is already in these bytes. ``max_age`` (seconds) and ``links`` (``(rel, href)``:
    ``self`` and the WebSub hubs) are what the catalog says about the document;
    ``depends_on`` the feed names whose membership it shows; ``expires`` when time alone
    makes it stale (``None``: only a write does). ``private``: one partner's view (its key is
    in its variant), which no shared cache may keep.
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
    depends_on: frozenset[str] = frozenset()
    expires: datetime | None = None
    private: bool = False
    encoded: dict[str, bytes] = field(default_factory=dict)
    memo: dict[Any, Any] = field(default_factory=dict)  # the server's, per content coding
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_grow: Callable[[CachedFeed, int], None] | None = None

    def stale(self, now: datetime) -> bool:
        """Whether time alone has made this entry stale."""
        return self.expires is not None and now >= self.expires

    def max_age_at(self, now: datetime) -> int:
        """Seconds a copy served at ``now`` stays fresh: never past :attr:`expires`."""
        if self.expires is None:
            return self.max_age
        return max(0, min(self.max_age, int((self.expires - now).total_seconds())))

    @property
    def size(self) -> int:
        """Bytes this entry holds, its compressed copies and bookkeeping included."""
        encoded = sum(len(body) for body in self.encoded.values())
        return len(self.body) + encoded + ENTRY_OVERHEAD + ID_OVERHEAD * len(self.article_ids)

    @property
    def is_page(self) -> bool:
        """A site page (HTML) rather than a feed document."""
        return self.key[1] == HTML

    def body_for(self, coding: str) -> bytes:
        """The bytes in a content coding (``identity``, ``gzip``, ``br``), compressed once."""
        if coding == "identity":
            return self.body
        found = self.encoded.get(coding)
        if found is None:
            with self.lock:
                found = self.encoded.get(coding)
                if found is None:
                    found = self._encode(coding)
                    if self.on_grow is not None:
                        self.on_grow(self, len(found))
        return found

    def etag_for(self, coding: str) -> str:
        """The strong ETag of the variant in ``coding``.

        RFC 9110 §8.8.3: a strong validator differs between content codings of a resource.
        """
        return self.etag if coding == "identity" else f'{self.etag[:-1]}-{coding}"'

    def _encode(self, coding: str) -> bytes:
        self.encoded[coding] = body = compress(self.body, coding)
        return body


def compress(body: bytes, coding: str) -> bytes:
    """``body`` in a content coding: the same bytes every time for the same input."""
    if coding == "br":
        data: bytes = brotli.compress(body, quality=BROTLI_QUALITY)
        return data
    if coding == "gzip":
        return gzip.compress(body, GZIP_LEVEL, mtime=0)  # mtime=0: same bytes, same tag
    raise ValueError(f"unknown content coding {coding!r}; expected one of {CODINGS}")


class FeedCache:
    """Feed documents and pages by key, built on first use from the store and kept until
    invalidated or pushed out by newer use (least recently used first, past ``max_bytes``).

    Hits do not lock: the entry table is an ``OrderedDict`` whose single operations are
    atomic; every walk over it (invalidation, eviction) takes a snapshot under the guard.
    """

    def __init__(self, store: Store, settings: Settings, *, max_bytes: int | None = None) -> None:
        self.store, self.settings = store, settings
        self.max_bytes = max_bytes or settings.cache.max_bytes
        tune_allocator()
        self._entries: OrderedDict[CacheKey, CachedFeed] = OrderedDict()
        self._locks: dict[CacheKey, threading.Lock] = {}
        self._guard = threading.Lock()
        self._epoch = 0  # moves on every invalidation; a build that saw it move is not kept
        self._bytes = 0
        self._dropped = 0  # bytes evicted since memory was last given back
        self.builds = 0  # how many documents were rendered (tests and stats read it)
        self.evictions = 0  # entries dropped for room

    @property
    def size_bytes(self) -> int:
        """Bytes held now (what ``max_bytes`` caps)."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def peek(self, key: CacheKey) -> CachedFeed | None:
        """The cached entry, without building it, marked as just used; ``None`` when there is
        none or it has expired."""
        entry = self._entries.get(key)
        if entry is not None and entry.expires is not None and entry.stale(datetime.now(UTC)):
            return None
        if entry is not None:
            try:
                self._entries.move_to_end(key)
            except KeyError:  # dropped by another thread since the lookup: still valid bytes
                pass
        return entry

    def get(self, key: CacheKey, build: Callable[[], CachedFeed] | None = None) -> CachedFeed:
        """The entry for ``key``, built once however many requests ask at the same time (by
        ``build`` when given: a partner's view, :mod:`.partners`).

        Raises :class:`UnknownFeed` (or :class:`UnknownArticle`) for a feed, format, page or
        article that does not exist, and :class:`StoreError` when the database fails and
        nothing of the document is cached.
        """
        entry = self.peek(key)
        if entry is not None:
            return entry
        lock = self._lock_for(key)
        with lock:
            entry = self.peek(key)
            if entry is not None:
                return entry
            epoch = self._epoch
            try:
                entry = build() if build is not None else self.build(key)
            except StoreError:
                # The database is away: an expired entry still says what the document was,
                # which is better than no answer (its max-age is 0, so readers come back soon).
                kept = self._entries.get(key)
                if kept is None:
                    raise
                return kept
            finally:
                with self._guard:
                    if self._locks.get(key) is lock:
                        del self._locks[key]
            with self._guard:
                if self._epoch == epoch:  # not invalidated while building
                    self._admit(entry)
            self._release()
            return entry

    def build(self, key: CacheKey) -> CachedFeed:
        """Render the document of ``key`` now, without keeping it (the export uses this)."""
        name, fmt, variant = key
        version = self.store.content_version()
        if fmt == HTML:
            document = pages.build_page(name, variant, self.store, self.settings)
        elif fmt == OPML:
            rendered = catalog.opml(self.store, self.settings)
            spec = catalog.resolve(catalog.ALL, self.store, self.settings)
            max_age = catalog.max_age_of(spec, self.settings)
            document = catalog.FeedDocument(
                rendered, frozenset(), max_age, (), depends_on=frozenset({catalog.ALL})
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
        return cached_entry(key, document, version)

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
            self._bytes = 0

    def changed_documents(
        self, articles: Iterable[Article | Tombstone], *, appeared: bool = False
    ) -> list[CacheKey]:
        """Invalidate for ``articles`` and return the subscription feeds whose bytes changed.

        Each affected subscription document is rebuilt now (by the writer, never by a request)
        and compared with what was cached; when nothing was cached it counts as changed if a
        written article (or the tombstone of a removed one) is in it. This is what WebSub
        pings are sent for (feeds, not pages). ``appeared``: the articles were not shown
        anywhere before (released scheduled articles), so every document holding one has
        changed, whatever a request may have cached since they became visible.
        """
        articles = list(articles)
        ids = {a.id for a in articles}
        before = {key: e for key, e in list(self._entries.items()) if _is_subscription(key)}
        dropped = self._invalidate(articles, (), version=None)
        names = {name for a in articles for name in catalog.feed_names(a, self.settings)}
        keys = {(n, fmt, "") for n in names for fmt in catalog.FORMATS}
        keys |= {key for key in dropped if _is_subscription(key)}
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

    def _admit(self, entry: CachedFeed) -> None:
        """Keep ``entry`` (under the guard), then drop the least recently used past the cap."""
        old = self._entries.pop(entry.key, None)
        if old is not None:
            self._bytes -= old.size
        entry.on_grow = self._grew
        self._entries[entry.key] = entry
        self._bytes += entry.size
        self._evict()

    def _grew(self, entry: CachedFeed, added: int) -> None:
        with self._guard:
            if self._entries.get(entry.key) is entry:
                self._entries.move_to_end(entry.key)  # just used: the last to go
                self._bytes += added
                self._evict()
        self._release()

    def _evict(self) -> None:
        """Drop the least recently used entries until the rest fit (the newest always stays)."""
        while self._bytes > self.max_bytes and len(self._entries) > 1:
            _, oldest = self._entries.popitem(last=False)
            self._bytes -= oldest.size
            self._dropped += oldest.size
            self.evictions += 1

    def _release(self) -> None:
        """Give memory freed by evictions back to the system, every :data:`TRIM_EVERY` bytes.

        Documents are large, long-lived and freed in another order than they were made, from
        several threads: the C allocator keeps the freed pages in its arenas, and a process
        that turns its cache over many times grows well past the cap. ``malloc_trim`` returns
        them (glibc; elsewhere nothing is done).
        """
        if self._dropped < TRIM_EVERY or _TRIM is None:
            return
        self._dropped = 0
        _TRIM(0)

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
            current = list(self._entries.items())
            stale = {
                key
                for key, entry in current
                if (entry.depends_on & names or entry.article_ids & wanted)
                and (version is None or entry.version < version)
            }
            # A feed's other documents link to its archive pages: drop the whole feed.
            feeds = {key[0] for key in stale if key[1] != HTML} | names
            stale |= {
                key
                for key, entry in current
                if key[0] in feeds and (version is None or entry.version < version)
            }
            for key in stale:
                gone = self._entries.pop(key, None)
                if gone is not None:
                    self._bytes -= gone.size
        return stale

    def _lock_for(self, key: CacheKey) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


def _is_subscription(key: CacheKey) -> bool:
    return key[2] == "" and key[1] in catalog.FORMATS


def cached_entry(
    key: CacheKey, document: catalog.FeedDocument, version: int, *, private: bool = False
) -> CachedFeed:
    """The cache's entry of a document built from the store at content ``version``."""
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
        document.depends_on,
        document.expires,
        private,
    )
