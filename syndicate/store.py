"""Articles, source state and the run log in SQL, through SQLAlchemy Core.

One :class:`Store` serves the embedded default (a SQLite file in WAL mode) and PostgreSQL at
scale; the SQL is portable and the two dialect-specific spots (SQLite connection setup and
``INSERT .. ON CONFLICT``) are guarded by the dialect name. The tables live in
:mod:`syndicate.schema`. Every SQLAlchemy error leaves this module as a
:class:`~syndicate.errors.StoreError` that names the operation and the database.

The store is three modules: this one holds the :class:`Store` itself (connections,
transactions, schema upgrades, reading articles); the article write path is in
:mod:`syndicate.storewrite` and source state and the run log are in :mod:`syndicate.runlog`,
whose methods :class:`Store` inherits.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Table,
    and_,
    create_engine,
    event,
    func,
    or_,
    select,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from syndicate import migrations, schema, storewrite
from syndicate.errors import StoreError
from syndicate.model import Article, Category
from syndicate.runlog import Run as Run
from syndicate.runlog import RunLog
from syndicate.runlog import SourceState as SourceState
from syndicate.storewrite import UpsertResult as UpsertResult

DEFAULT_BATCH_SIZE = 200  # articles per transaction in upsert_many
SQLITE_BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for another writer's lock
_WRITE_OPTION = "syndicate_write"  # execution option: this transaction will write


class Store(RunLog):
    """Articles and source state in one SQL database, safe to share between threads.

    ``url`` is any SQLAlchemy URL, e.g. ``sqlite:///var/syndicate.db`` or
    ``postgresql+psycopg://user@host/syndicate``. For a SQLite file the parent folder is created
    and every connection runs in WAL mode with ``synchronous=NORMAL``, foreign keys on and a
    busy timeout. Connections come from the engine's pool, so one Store can serve all request
    threads. (An in-memory ``sqlite://`` database exists once per thread: use it only from one.)
    """

    def __init__(self, url: str, *, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self._batch_size = batch_size
        try:
            parsed = make_url(url)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot read the database URL: {exc}") from exc
        self._label = parsed.render_as_string(hide_password=True)
        try:
            _make_parent_folder(parsed)
            self._engine = create_engine(parsed)
        except (SQLAlchemyError, ImportError, OSError) as exc:
            raise StoreError(f"cannot open the store at {self._label}: {exc}") from exc
        if self._engine.dialect.name == "sqlite":
            _configure_sqlite(self._engine)
        # A Store dropped without close() still closes its pooled connections (the server
        # side of a PostgreSQL connection lives until the client says goodbye).
        weakref.finalize(self, self._engine.dispose)

    def __repr__(self) -> str:
        return f"Store({self._label!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection; the Store reconnects if used again."""
        self._engine.dispose()

    # -- schema ----------------------------------------------------------------------------

    def create_schema(self) -> None:
        """Create the tables, or bring older ones up to date: :meth:`upgrade` by another name.

        For tests, the embedded ``make serve`` setup and ``syndicate ingest``. A server that
        shares its database with other processes should call :meth:`check_schema` instead and
        leave upgrades to ``syndicate db upgrade``.
        """
        self.upgrade()

    def upgrade(self, target: str = "head") -> bool:
        """Apply the pending migrations (all, or up to ``target``); returns whether any ran.

        One transaction: a failed migration leaves the database as it was. Safe to call from
        several processes at once.
        """
        with self._transaction(f"upgrade of the schema to {target}", write=True) as conn:
            return migrations.upgrade(conn, target)

    def revision(self) -> str | None:
        """The schema revision of the database; ``None`` before the first upgrade."""
        with self._transaction("read the schema revision") as conn:
            return migrations.current(conn)

    def head_revision(self) -> str:
        """The schema revision this version of syndicate needs."""
        return migrations.head()

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

        On update the article keeps its stored slug (URLs never move) and its first
        ``published`` date, unless that date was estimated and the new one is real. ``updated``
        always moves forward: an incoming value not later than the stored one becomes the
        stored one plus a second, so readers see the change. Categories, tags and authors are
        replaced. A new article whose slug is taken gets ``<slug>-<first 6 of id>``.
        """
        with self._transaction(f"upsert of article {article.id}", write=True) as conn:
            return storewrite.upsert(conn, article)

    def upsert_many(self, articles: Iterable[Article]) -> Counter[UpsertResult]:
        """Upsert a stream of articles, one transaction per batch; returns what happened.

        The iterable is consumed one batch at a time, so a generator of any length is stored
        in bounded memory. The outcome is what :meth:`upsert` of each article in turn would
        give, but a batch costs a few statements: one read of the stored content hashes, then
        one multi-row insert per table for the new articles; only changed articles are
        written one by one. When a batch fails, StoreError is raised, that batch is rolled
        back and the batches before it stay stored.
        """
        results: Counter[UpsertResult] = Counter()
        pending = iter(articles)
        while batch := list(islice(pending, self._batch_size)):
            with self._transaction(f"upsert of {len(batch)} articles", write=True) as conn:
                results.update(storewrite.upsert_batch(conn, batch))
        return results

    # -- articles: reading -------------------------------------------------------------------

    def get(self, article_id: str) -> Article | None:
        """The article with this id, or ``None``."""
        return self._one(select(schema.articles).where(schema.articles.c.id == article_id))

    def get_by_slug(self, slug: str) -> Article | None:
        """The article at this URL slug, or ``None``."""
        return self._one(select(schema.articles).where(schema.articles.c.slug == slug))

    def latest(
        self,
        *,
        category: str | None = None,
        tag: str | None = None,
        author: str | None = None,
        limit: int = 50,
        before: tuple[datetime, str] | None = None,
    ) -> list[Article]:
        """Articles newest first by ``(published, id)``, optionally filtered by slugs.

        ``category``, ``tag`` and ``author`` are slugs (see :func:`syndicate.text.slugs.slugify`);
        given together, an article must match all. ``before`` is the ``(published, id)`` of the
        last article of the previous page: the page starts strictly after it.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        filters = {"categories": category, "tags": tag, "authors": author}
        query = _latest_query(filters, limit, before)
        with self._transaction("list latest articles") as conn:
            return [schema.article_from_row(row) for row in conn.execute(query)]

    def count(self, source: str | None = None) -> int:
        """How many articles are stored, in all or from one source."""
        query = select(func.count()).select_from(schema.articles)
        if source is not None:
            query = query.where(schema.articles.c.source == source)
        with self._transaction("count articles") as conn:
            return int(conn.execute(query).scalar_one())

    def article_ids(self, source: str) -> set[str]:
        """The ids of every article stored from one source (a refresh compares against them)."""
        query = select(schema.articles.c.id).where(schema.articles.c.source == source)
        with self._transaction(f"list articles of source {source}") as conn:
            return set(conn.execute(query).scalars())

    def newest_updated(self, category: str | None = None) -> datetime | None:
        """The latest ``updated`` of all articles, or of one category's; ``None`` when empty.

        This is what a feed's Last-Modified and its cache key follow.
        """
        articles = schema.articles
        query = select(func.max(articles.c.updated))
        if category is not None:
            links = schema.article_categories
            query = query.join_from(articles, links, links.c.article_id == articles.c.id).where(
                links.c.slug == category
            )
        with self._transaction("read newest update") as conn:
            value: datetime | None = conn.execute(query).scalar()
            return value

    def content_version(self) -> int:
        """The ``seq`` of the latest article write, 0 before any: it moves on every write."""
        query = select(func.max(schema.article_changes.c.seq))
        with self._transaction("read content version") as conn:
            return int(conn.execute(query).scalar() or 0)

    def changes_since(self, version: int, *, limit: int = 1000) -> list[tuple[int, str]]:
        """``(seq, article_id)`` of article writes after ``version``, oldest first, at most
        ``limit``. Feed caches in other processes follow the store through this."""
        changes = schema.article_changes
        query = (
            select(changes.c.seq, changes.c.article_id)
            .where(changes.c.seq > version)
            .order_by(changes.c.seq)
            .limit(limit)
        )
        with self._transaction("read article changes") as conn:
            return [(int(row[0]), str(row[1])) for row in conn.execute(query)]

    def in_stored_order(
        self,
        *,
        category: str | None = None,
        tag: str | None = None,
        author: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> list[Article]:
        """Articles in the order they were first stored, oldest first, optionally filtered.

        Archive pages are slices of this order: a slice, once full, never changes members
        unless an article in it changes its category, tag or author.
        """
        filters = {"categories": category, "tags": tag, "authors": author}
        query = _linked(select(schema.articles), filters).join(
            schema.article_order, schema.article_order.c.article_id == schema.articles.c.id
        )
        query = query.order_by(schema.article_order.c.seq).offset(offset).limit(limit)
        with self._transaction("list articles in stored order") as conn:
            return [schema.article_from_row(row) for row in conn.execute(query)]

    def count_matching(
        self, *, category: str | None = None, tag: str | None = None, author: str | None = None
    ) -> int:
        """How many articles match all the given slugs (all articles when none is given)."""
        filters = {"categories": category, "tags": tag, "authors": author}
        query = _linked(select(func.count()).select_from(schema.articles), filters)
        with self._transaction("count matching articles") as conn:
            return int(conn.execute(query).scalar_one())

    # -- categories, tags, authors -------------------------------------------------------

    def categories(self) -> list[Category]:
        """Every category in use with its article count, by name.

        The store knows names from articles only; descriptions come from the configuration.
        """
        return self._terms(schema.article_categories)

    def category(self, slug: str) -> Category | None:
        """The category with this slug and its article count; ``None`` when no article has it."""
        found = self._terms(schema.article_categories, slug)
        return found[0] if found else None

    def category_name(self, slug: str) -> str | None:
        """The display name of the category with this slug, without counting its articles.

        The same name :meth:`category` and :meth:`categories` give (the least in byte order
        when articles spell it differently); ``None`` when no article has the slug.
        """
        links = schema.article_categories
        query = select(links.c.name).where(links.c.slug == slug).order_by(links.c.name).limit(1)
        with self._transaction(f"read category {slug}") as conn:
            name: str | None = conn.execute(query).scalar()
            return name

    def tags(self) -> list[Category]:
        """Every tag in use, as ``Category(name, slug, count)``, by name."""
        return self._terms(schema.article_tags)

    def authors(self) -> list[Category]:
        """Every author, as ``Category(name, slug, count)``, by name."""
        return self._terms(schema.article_authors)

    # -- plumbing ------------------------------------------------------------------------

    @contextmanager
    def _transaction(self, what: str, *, write: bool = False) -> Iterator[Connection]:
        """One connection in one transaction; SQLAlchemy errors become StoreError."""
        try:
            with self._engine.connect() as conn:
                if write:
                    conn.execution_options(**{_WRITE_OPTION: True})
                with conn.begin():
                    yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"{what} failed on {self._label}: {exc}") from exc

    def _one(self, query: Select[Any]) -> Article | None:
        with self._transaction("read article") as conn:
            row = conn.execute(query).first()
        return None if row is None else schema.article_from_row(row)

    def _terms(self, table: Table, slug: str | None = None) -> list[Category]:
        name = func.min(table.c.name)
        query = (
            select(table.c.slug, name, func.count())
            .group_by(table.c.slug)
            .order_by(func.lower(name), table.c.slug)
        )
        if slug is not None:
            query = query.where(table.c.slug == slug)
        with self._transaction(f"list {table.name}") as conn:
            return [
                Category(name=row[1], slug=row[0], count=int(row[2])) for row in conn.execute(query)
            ]


# -- connection setup ------------------------------------------------------------------------


def _make_parent_folder(url: URL) -> None:
    if url.get_backend_name() != "sqlite" or url.query.get("uri"):
        return
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    """WAL and friends on every new connection, and BEGIN under our control.

    The ``sqlite3`` module of Python < 3.12 starts transactions late and never for SELECT or
    SAVEPOINT, so it is told to stay out (``isolation_level = None``) and we emit BEGIN
    ourselves, as SQLAlchemy's SQLite docs describe. Writing transactions use BEGIN IMMEDIATE:
    they take the write lock up front (waiting up to the busy timeout) instead of failing with
    "database is locked" when a read turns into a write.
    """
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # busy_timeout first, so switching to WAL waits for a concurrent opener.
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; fsync at checkpoints
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    writing = conn.get_execution_options().get(_WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


# -- reading ---------------------------------------------------------------------------------


def _linked(query: Select[Any], filters: dict[str, str | None]) -> Select[Any]:
    """``query`` over articles joined to each link table that a slug is given for."""
    for attribute, table in schema.LINK_TABLES:
        slug = filters[attribute]
        if slug is not None:
            query = query.join(
                table, and_(table.c.article_id == schema.articles.c.id, table.c.slug == slug)
            )
    return query


def _latest_query(
    filters: dict[str, str | None], limit: int, before: tuple[datetime, str] | None
) -> Select[Any]:
    """Newest-first articles; the first link filter drives the query through its index."""
    articles = schema.articles
    query = select(articles)
    published, article_id = articles.c.published, articles.c.id
    for attribute, table in schema.LINK_TABLES:
        slug = filters[attribute]
        if slug is None:
            continue
        query = query.join(table, and_(table.c.article_id == articles.c.id, table.c.slug == slug))
        if published is articles.c.published:
            published, article_id = table.c.published, table.c.article_id
    if before is not None:
        at, last_id = before
        query = query.where(or_(published < at, and_(published == at, article_id < last_id)))
    return query.order_by(published.desc(), article_id.desc()).limit(limit)
