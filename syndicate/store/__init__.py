"""Articles, source state and the run log in SQL, through SQLAlchemy Core.

One :class:`Store` serves the embedded default (a SQLite file in WAL mode) and PostgreSQL at
scale. It is composed of parts, each in its own module:

- :mod:`.engine`: the :class:`~.engine.Database` (engine, connection setup, transactions;
  every SQLAlchemy error leaves it as a :class:`~syndicate.errors.StoreError`);
- :mod:`.schema`: the tables; :mod:`.rows`: articles as rows; :mod:`.migrations`: Alembic;
- :mod:`.articles`: the read queries; :mod:`.writes`: the upserts;
- :mod:`.runlog`: what is remembered about each source, and the log of refresh runs;
- ``store.states`` (removal, tombstones, scheduling), ``store.tokens``, ``store.controls``,
  ``store.hub`` (the built-in WebSub hub), ``store.partners``, ``store.polls`` (who polls).

The :class:`Store` opens one transaction per call and hands the connection to those modules.
Readers' reads see only visible articles: published, and their time (``now``) has come.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from itertools import islice

from sqlalchemy import Engine, func, select

from syndicate.errors import StoreError
from syndicate.model import Article, ArticleRef, Category
from syndicate.store import articles as reads
from syndicate.store import hub, keys, migrations, partners, polls, revisions, schema, writes
from syndicate.store.articles import SCHEDULED, Listed
from syndicate.store.controls import Controls, ManagedSource
from syndicate.store.engine import Database
from syndicate.store.runlog import Run, RunLog, SourceState
from syndicate.store.schema import DELETED, PUBLISHED, UNPUBLISHED
from syndicate.store.states import ArticleStates, Tombstone
from syndicate.store.tokens import ADMIN, PUBLISH, SCOPES, Token, Tokens
from syndicate.store.writes import UpsertResult, WriteRule
from syndicate.text.dates import utc_now

__all__ = ["ADMIN", "DELETED", "PUBLISH", "PUBLISHED", "SCHEDULED", "SCOPES", "UNPUBLISHED"]
__all__ += ["Listed", "ManagedSource", "Run", "SourceState", "Store", "Token", "Tombstone"]
__all__ += ["UpsertResult"]

DEFAULT_BATCH_SIZE = 200  # articles per transaction in upsert_each / upsert_many


class Store:
    """Articles and source state in one SQL database, safe to share between threads.

    ``url`` is any SQLAlchemy URL, e.g. ``sqlite:///var/syndicate.db`` or
    ``postgresql+psycopg://user@host/syndicate`` (see :class:`~.engine.Database`).
    """

    def __init__(self, url: str, *, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self._batch_size = batch_size
        self._db = Database(url)
        self.runs = RunLog(self._db)  # also start_run/finish_run: a run is logged as it starts
        self.states = ArticleStates(self._db)
        self.tokens = Tokens(self._db)
        self.controls = Controls(self._db)
        self.hub, self.polls = hub.HubState(self._db), polls.Polls(self._db)
        self.partners = partners.Partners(self._db, self.tokens)
        self._closing: list[weakref.WeakMethod[Callable[[], None]]] = []

    def __repr__(self) -> str:
        return f"Store({self._db.label!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for tests and benchmarks that look at the SQL itself)."""
        return self._db.engine

    @property
    def label(self) -> str:
        """The database URL without its password, for messages."""
        return self._db.label

    def close(self) -> None:
        """Close every pooled connection; the Store reconnects if used again.

        First calls what followers registered with :meth:`on_close` (a change-log watcher
        stops polling), so nothing reopens a connection behind the caller's back.
        """
        callbacks, self._closing = self._closing, []
        for ref in callbacks:
            method = ref()
            if method is not None:
                method()
        self._db.close()

    def on_close(self, method: Callable[[], None]) -> None:
        """Call the bound ``method`` when this store closes (held weakly: its object may go)."""
        self._closing.append(weakref.WeakMethod(method))

    def release_after_fork(self) -> None:
        """In a forked child: forget the parent's pooled connections without closing them
        (they belong to the parent; SQLAlchemy's advice for ``os.fork``)."""
        self._db.engine.dispose(close=False)

    # -- schema ----------------------------------------------------------------------------

    def create_schema(self) -> None:
        """Create the tables, or bring older ones up to date: :meth:`upgrade` by another name.

        For tests, the embedded ``make serve`` setup and ``syndicate ingest``. A server that
        shares its database with other processes should call :meth:`check_schema` instead and
        leave upgrades to ``syndicate db upgrade``.
        """
        self.upgrade()

    def upgrade(self, target: str = "head") -> bool:
        """Apply the pending migrations (all, or up to ``target``) in one transaction (a failed
        one leaves the database as it was), safe from several processes at once; whether any
        ran."""
        with self._db.transaction(f"upgrade of the schema to {target}", write=True) as conn:
            return migrations.upgrade(conn, target)

    def revision(self) -> str | None:
        """The schema revision of the database; ``None`` before the first upgrade."""
        with self._db.transaction("read the schema revision") as conn:
            return revisions.current(conn)

    def head_revision(self) -> str:
        """The schema revision this version of syndicate needs."""
        return revisions.head()

    def check_schema(self) -> None:
        """Raise :class:`StoreError` unless the database is at the revision this code needs.

        A server calls this at start and refuses to run on an older (or unknown) schema, rather
        than failing on its first query or altering a database other processes are using.
        """
        found, needed = self.revision(), self.head_revision()
        if found != needed:
            raise StoreError(
                f"database schema is at revision {found or 'none'}, this version needs "
                f"{needed}: run `syndicate db upgrade`"
            )

    # -- articles: writing -------------------------------------------------------------------

    def upsert(self, article: Article) -> UpsertResult:
        """Insert a new article, update a changed one, and leave an unchanged one untouched.

        Found by its key (``id``), or by an earlier version's id (:mod:`.keys`), whose id it
        keeps. On update the article keeps its stored slug and first ``published`` date
        (unless that was estimated and the new one is real); ``updated`` is the source's later
        date, else when the edit was seen, always forward. Categories, tags and authors are
        replaced. A new article whose slug is taken gets ``<slug>-<first 6 of id>``. One an
        editor removed is ``WITHHELD``; one dated in the future waits (``store.states``).
        """
        with self._db.transaction(f"upsert of article {article.id}", write=True) as conn:
            return writes.upsert(conn, article, WriteRule(utc_now()))[1]

    def put(self, article: Article, *, set_published: bool = False) -> UpsertResult:
        """An editor's write (see :mod:`.writes`); ``set_published``: the given date wins.

        ``article.id`` may be the stored id itself (an update the editor addresses by it)."""
        rule = WriteRule(utc_now(), set_published=set_published)
        with self._db.transaction(f"write of article {article.id}", write=True) as conn:
            return writes.put(conn, article, rule)[1]

    def upsert_each(self, articles: Iterable[Article]) -> Iterator[tuple[Article, UpsertResult]]:
        """Upsert a stream of articles, one transaction per batch, yielding what each became.

        Each article is yielded under the id it is published with (see :meth:`upsert`).

        The iterable is consumed one batch at a time, so a generator of any length is stored
        in bounded memory. The outcome is what :meth:`upsert` of each article in turn would
        give, but a batch costs a few statements: one read of the stored content hashes, then
        one multi-row insert per table for the new articles; only changed articles are
        written one by one. A batch's results are yielded once it is committed, so nothing is
        written until the iterator is consumed. When a batch
        fails, StoreError is raised, that batch is rolled back and the batches before it stay
        stored.
        """
        pending = iter(articles)
        while batch := list(islice(pending, self._batch_size)):
            with self._db.transaction(f"upsert of {len(batch)} articles", write=True) as conn:
                results = writes.upsert_batch(conn, batch, WriteRule(utc_now()))
            yield from results

    def upsert_many(self, articles: Iterable[Article]) -> Counter[UpsertResult]:
        """Upsert a stream of articles as :meth:`upsert_each` does; how many became what."""
        return Counter(result for _, result in self.upsert_each(articles))

    # -- articles: reading -------------------------------------------------------------------

    def get(self, article_id: str) -> Article | None:
        """The stored article with this id, visible or not, or ``None``."""
        query = select(schema.articles).where(schema.articles.c.id == article_id)
        with self._db.transaction("read article") as conn:
            return reads.one(conn, query)

    def get_by_slug(self, slug: str, *, now: datetime | None = None) -> Article | None:
        """The visible article at this URL slug, or ``None``."""
        visible = reads.visible(now or utc_now())
        query = select(schema.articles).where(schema.articles.c.slug == slug, visible)
        with self._db.transaction("read article") as conn:
            return reads.one(conn, query)

    def latest(
        self,
        *,
        category: str | tuple[str, ...] | None = None,
        tag: str | None = None,
        author: str | None = None,
        languages: tuple[str, ...] | None = None,
        limit: int = 50,
        before: tuple[datetime, str] | None = None,
        after: tuple[datetime, str] | None = None,
        now: datetime | None = None,
    ) -> list[Article]:
        """Visible articles newest first by ``(published, id)``, optionally filtered by slugs.

        ``category``, ``tag`` and ``author`` are slugs (see :func:`~syndicate.text.slugs.slugify`);
        ``languages`` the slugs of language tags, any of which matches (``""``: articles without
        a language), as do several categories (a partner's); given together, an article must
        match all. ``before`` is the ``(published, id)`` of the last article of the previous
        page: the page starts strictly after it. ``after`` is the first article of the next
        page: the articles just newer than it, still newest first.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        wanted = reads.filters(category, tag, author, languages)
        query = reads.latest_query(wanted, limit, before, after, now or utc_now())
        with self._db.transaction("list latest articles") as conn:
            found = reads.many(conn, query)
        return found[::-1] if after is not None else found

    def count(self, source: str | None = None) -> int:
        """How many articles are stored, in all or from one source."""
        with self._db.transaction("count articles") as conn:
            return int(conn.execute(reads.count_query(source)).scalar_one())

    def article_ids(self, source: str) -> set[str]:
        """The ids of every article stored from one source (a refresh compares against them)."""
        query = select(schema.articles.c.id).where(schema.articles.c.source == source)
        with self._db.transaction(f"list articles of source {source}") as conn:
            return set(conn.execute(query).scalars())

    def article_keys(self, source: str) -> set[str]:
        """The keys of a source's articles (:mod:`.keys`); one not taken over counts by id."""
        with self._db.transaction(f"list article keys of source {source}") as conn:
            return keys.source_keys(conn, source)

    def stored_id(self, key: str, legacy_ids: Iterable[str] = ()) -> str | None:
        """Where the article of ``key`` (or, not taken over yet, of ``legacy_ids``) is stored."""
        with self._db.transaction("find a stored article") as conn:
            return keys.stored_id(conn, key, legacy_ids)

    def newest_updated(self, category: str | None = None) -> datetime | None:
        """The latest ``updated`` of all visible articles, or of one category's; ``None`` when
        there are none."""
        query = reads.newest_updated_query(category, utc_now())
        with self._db.transaction("read newest update") as conn:
            value: datetime | None = conn.execute(query).scalar()
            return value

    def content_version(self) -> int:
        """The ``seq`` of the latest article write, 0 before any: it moves on every write."""
        query = select(func.max(schema.article_changes.c.seq))
        with self._db.transaction("read content version") as conn:
            return int(conn.execute(query).scalar() or 0)

    def changes_since(self, version: int, *, limit: int = 1000) -> list[tuple[int, str]]:
        """``(seq, article_id)`` of article writes after ``version``, oldest first, at most
        ``limit``. Feed caches in other processes follow the store through this."""
        with self._db.transaction("read article changes") as conn:
            rows = conn.execute(reads.changes_query(version, limit))
            return [(int(row[0]), str(row[1])) for row in rows]

    def in_stored_order(
        self,
        *,
        category: str | tuple[str, ...] | None = None,
        tag: str | None = None,
        author: str | None = None,
        languages: tuple[str, ...] | None = None,
        offset: int = 0,
        limit: int = 50,
        now: datetime | None = None,
    ) -> list[Article]:
        """Visible articles in the order they were first published (stored, or released when
        scheduled), oldest first, optionally filtered.

        Archive pages are slices of this order: a slice, once full, never changes members
        unless an article in it changes its category, tag or author, or is removed.
        """
        wanted = reads.filters(category, tag, author, languages)
        query = reads.stored_order_query(wanted, offset, limit, now or utc_now())
        with self._db.transaction("list articles in stored order") as conn:
            return reads.many(conn, query)

    def count_matching(
        self,
        *,
        category: str | tuple[str, ...] | None = None,
        tag: str | None = None,
        author: str | None = None,
        languages: tuple[str, ...] | None = None,
        now: datetime | None = None,
    ) -> int:
        """How many articles :meth:`in_stored_order` has that match all the given slugs."""
        wanted = reads.filters(category, tag, author, languages)
        query = reads.ordered_count_query(wanted, now or utc_now())
        with self._db.transaction("count matching articles") as conn:
            return int(conn.execute(query).scalar_one())

    def sitemap_entries(self, *, offset: int = 0, limit: int = 50_000) -> list[ArticleRef]:
        """Articles without their bodies, in the order they were first stored (sitemaps: a
        file of them keeps its members as articles are added)."""
        with self._db.transaction("list articles for a sitemap") as conn:
            return [ArticleRef(*row) for row in conn.execute(reads.sitemap_query(offset, limit))]

    def first_page_updated(self, *, category: str | None = None, limit: int) -> datetime | None:
        """The latest ``updated`` among the newest ``limit`` articles (of one category): when
        the first page of that listing last changed. ``limit`` rows, whatever its size."""
        query = reads.newest_of_latest_query(reads.filters(category, None, None), limit)
        with self._db.transaction("read when a listing changed") as conn:
            value: datetime | None = conn.execute(query).scalar()
            return value

    def newest_updated_in_order(self, *, offset: int, limit: int) -> datetime | None:
        """The latest ``updated`` of a slice of :meth:`sitemap_entries` (a sitemap's lastmod)."""
        with self._db.transaction("read newest update of a sitemap") as conn:
            value: datetime | None = conn.execute(
                reads.newest_in_order_query(offset, limit)
            ).scalar()
            return value

    def published_since(self, since: datetime, *, limit: int = 1000) -> list[ArticleRef]:
        """Articles published at or after ``since``, newest first, without their bodies."""
        query = reads.published_since_query(since, limit)
        with self._db.transaction("list recent articles") as conn:
            return [ArticleRef(*row) for row in conn.execute(query)]

    # -- categories, tags, authors, languages --------------------------------------------

    def categories(self) -> list[Category]:
        """Every category in use with its article count, by name.

        The store knows names from articles only; descriptions come from the configuration.
        """
        with self._db.transaction("list categories") as conn:
            return reads.terms(conn, schema.article_categories, utc_now())

    def category(self, slug: str) -> Category | None:
        """The category with this slug and its article count; ``None`` when no article has it."""
        with self._db.transaction(f"read category {slug}") as conn:
            found = reads.terms(conn, schema.article_categories, utc_now(), slug)
        return found[0] if found else None

    def category_name(self, slug: str) -> str | None:
        """The display name of the category with this slug, without counting its articles.

        The same name :meth:`category` and :meth:`categories` give (the least in byte order
        when articles spell it differently); ``None`` when no article has the slug.
        """
        with self._db.transaction(f"read category {slug}") as conn:
            return reads.term_name(conn, schema.article_categories, slug, utc_now())

    def tag_name(self, slug: str) -> str | None:
        """The display name of a tag's slug, without counting; ``None`` when unused."""
        with self._db.transaction(f"read tag {slug}") as conn:
            return reads.term_name(conn, schema.article_tags, slug, utc_now())

    def author_name(self, slug: str) -> str | None:
        """The display name of an author's slug, without counting; ``None`` when unused."""
        with self._db.transaction(f"read author {slug}") as conn:
            return reads.term_name(conn, schema.article_authors, slug, utc_now())

    def languages(self, limit: int = 100) -> list[str]:
        """The slugs of the language tags articles carry, ``""`` for none, at most ``limit``.

        A few index seeks whatever the number of articles (pages ask on every request).
        """
        with self._db.transaction("list languages") as conn:
            return reads.distinct_slugs(conn, schema.article_languages, limit)

    def tags(self) -> list[Category]:
        """Every tag in use, as ``Category(name, slug, count)``, by name."""
        with self._db.transaction("list tags") as conn:
            return reads.terms(conn, schema.article_tags, utc_now())

    def authors(self) -> list[Category]:
        """Every author, as ``Category(name, slug, count)``, by name."""
        with self._db.transaction("list authors") as conn:
            return reads.terms(conn, schema.article_authors, utc_now())

    # -- sources and the run log (see :class:`~.runlog.RunLog`) ----------------------------

    def record_success(
        self,
        source: str,
        *,
        at: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """Note a successful fetch; resets the failure count (see :meth:`RunLog.record_success`)."""
        self.runs.record_success(source, at=at, etag=etag, last_modified=last_modified)

    def record_failure(self, source: str, message: str, *, at: datetime) -> None:
        """Note a failed fetch: counts consecutive failures and keeps the last message."""
        self.runs.record_failure(source, message, at=at)

    def source_state(self, name: str) -> SourceState | None:
        """What is known about fetching this source; ``None`` before its first fetch."""
        return self.runs.source_state(name)

    def log_run(
        self,
        source: str,
        *,
        started: datetime,
        duration: float,
        outcome: str,
        new: int = 0,
        updated: int = 0,
        unchanged: int = 0,
        skipped: int = 0,
        message: str = "",
    ) -> int:
        """Append one refresh of ``source`` to the run log; returns the run's id."""
        return self.runs.log_run(
            source,
            started=started,
            duration=duration,
            outcome=outcome,
            new=new,
            updated=updated,
            unchanged=unchanged,
            skipped=skipped,
            message=message,
        )

    def recent_runs(self, source: str | None = None, *, limit: int = 20) -> list[Run]:
        """The latest runs, newest first, of one source or of all."""
        return self.runs.recent_runs(source, limit=limit)
