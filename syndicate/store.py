"""Articles, source state and the run log in SQL, through SQLAlchemy Core.

One :class:`Store` serves the embedded default (a SQLite file in WAL mode) and PostgreSQL at
scale; the SQL is portable and the two dialect-specific spots (SQLite connection setup and
``INSERT .. ON CONFLICT``) are guarded by the dialect name. The tables live in
:mod:`syndicate.schema`. Every SQLAlchemy error leaves this module as a
:class:`~syndicate.errors.StoreError` that names the operation and the database.

Upserts are idempotent: storing an article whose ``content_hash`` is already stored writes
nothing at all, so a refresh of an unchanged source costs reads only and feed caches keyed on
``updated`` stay valid.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Select,
    Table,
    and_,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from syndicate import migrations, schema
from syndicate.errors import StoreError
from syndicate.model import Article, Category

DEFAULT_BATCH_SIZE = 200  # articles per transaction in upsert_many
SQLITE_BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for another writer's lock
_SLUG_CANDIDATES = 20  # fallback slugs tried before giving up on a new article
_WRITE_ATTEMPTS = 3  # a concurrent writer can take an id or slug between our read and write
_WRITE_OPTION = "syndicate_write"  # execution option: this transaction will write

_LINKS: tuple[tuple[str, Table], ...] = (
    ("categories", schema.article_categories),
    ("tags", schema.article_tags),
    ("authors", schema.article_authors),
)


class UpsertResult(Enum):
    """What :meth:`Store.upsert` did with one article."""

    INSERTED = "inserted"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the store remembers about fetching one source.

    ``etag`` and ``last_modified`` are the validators of the last successful response, to be
    sent back verbatim in a conditional GET.
    """

    name: str
    etag: str | None = None
    last_modified: str | None = None
    last_success: datetime | None = None
    last_failure: datetime | None = None
    failure_message: str | None = None
    consecutive_failures: int = 0


@dataclass(frozen=True, slots=True)
class Run:
    """One refresh of one source, as logged by :meth:`Store.log_run`."""

    id: int
    source: str
    started: datetime
    duration: float  # seconds
    outcome: str
    new: int
    updated: int
    unchanged: int
    skipped: int
    message: str


class Store:
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
            return _upsert(conn, article)

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
                results.update(_upsert_batch(conn, batch))
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

        ``category``, ``tag`` and ``author`` are slugs (see :func:`syndicate.slugs.slugify`);
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

    def tags(self) -> list[Category]:
        """Every tag in use, as ``Category(name, slug, count)``, by name."""
        return self._terms(schema.article_tags)

    def authors(self) -> list[Category]:
        """Every author, as ``Category(name, slug, count)``, by name."""
        return self._terms(schema.article_authors)

    # -- sources and runs ----------------------------------------------------------------

    def record_success(
        self,
        source: str,
        *,
        at: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """Note a successful fetch: resets the failure count.

        A validator passed as ``None`` keeps the stored one (a 304 often omits them); pass
        ``""`` to clear it.
        """
        changes: dict[str, Any] = {"last_success": at, "consecutive_failures": 0}
        if etag is not None:
            changes["etag"] = etag
        if last_modified is not None:
            changes["last_modified"] = last_modified
        with self._transaction(f"record success of source {source}", write=True) as conn:
            _upsert_source(conn, source, fresh=changes, changes=changes)

    def record_failure(self, source: str, message: str, *, at: datetime) -> None:
        """Note a failed fetch: counts consecutive failures and keeps the last message."""
        fresh: dict[str, Any] = {
            "last_failure": at,
            "failure_message": message,
            "consecutive_failures": 1,
        }
        changes = fresh | {"consecutive_failures": schema.sources.c.consecutive_failures + 1}
        with self._transaction(f"record failure of source {source}", write=True) as conn:
            _upsert_source(conn, source, fresh=fresh, changes=changes)

    def source_state(self, name: str) -> SourceState | None:
        """What is known about fetching this source; ``None`` before its first fetch."""
        query = select(schema.sources).where(schema.sources.c.name == name)
        with self._transaction(f"read state of source {name}") as conn:
            row = conn.execute(query).first()
        return None if row is None else SourceState(**row._asdict())

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
        values = {
            "source": source,
            "started": started,
            "duration": duration,
            "outcome": outcome,
            "new": new,
            "updated": updated,
            "unchanged": unchanged,
            "skipped": skipped,
            "message": message,
        }
        with self._transaction(f"log run of source {source}", write=True) as conn:
            key = conn.execute(insert(schema.runs).values(values)).inserted_primary_key
        if key is None:  # every backend we support reports it
            raise StoreError(f"{self._label} did not return the id of the logged run")
        return int(key[0])

    def recent_runs(self, source: str | None = None, *, limit: int = 20) -> list[Run]:
        """The latest runs, newest first, of one source or of all."""
        runs = schema.runs
        query = select(runs).order_by(runs.c.started.desc(), runs.c.id.desc()).limit(limit)
        if source is not None:
            query = query.where(runs.c.source == source)
        with self._transaction("list recent runs") as conn:
            return [Run(**row._asdict()) for row in conn.execute(query)]

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
                Category(name=row[1], slug=row[0], count=int(row[2]))
                for row in conn.execute(query)
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


# -- upsert ------------------------------------------------------------------------------------


def _upsert_batch(conn: Connection, batch: list[Article]) -> list[UpsertResult]:
    """Upsert a batch as :func:`_upsert` would one by one, inserting the new ones in bulk."""
    if len({article.id for article in batch}) < len(batch):
        return [_upsert(conn, article) for article in batch]  # one article twice: in order
    articles = schema.articles
    query = select(articles.c.id, articles.c.content_hash).where(
        articles.c.id.in_([article.id for article in batch])
    )
    stored: dict[str, str] = {row.id: row.content_hash for row in conn.execute(query)}
    fresh = [article for article in batch if article.id not in stored]
    inserted = _insert_fresh(conn, fresh)
    results = []
    for article in batch:
        if article.id not in stored:
            results.append(inserted[article.id])
        elif stored[article.id] == article.content_hash:
            results.append(UpsertResult.UNCHANGED)
        else:  # changes are rare next to new and unchanged articles: one at a time
            results.append(_upsert(conn, article))
    return results


def _insert_fresh(conn: Connection, fresh: list[Article]) -> dict[str, UpsertResult]:
    """Insert articles not stored when the batch was read; falls back to one by one.

    Between our read and our insert a concurrent writer (PostgreSQL) may store one of these
    ids or take one of their slugs: the bulk insert then fails as a whole, is rolled back to
    its savepoint, and each article goes through the single-article path with its retries.
    """
    if not fresh:
        return {}
    try:
        with conn.begin_nested():
            _insert_many(conn, fresh)
    except IntegrityError:
        return {article.id: _upsert(conn, article) for article in fresh}
    return dict.fromkeys((article.id for article in fresh), UpsertResult.INSERTED)


def _insert_many(conn: Connection, fresh: list[Article]) -> None:
    """One multi-row INSERT per table for articles known to be new."""
    slugs = _free_slugs(conn, fresh)
    rows = [schema.article_values(a) | {"slug": slugs[a.id]} for a in fresh]
    conn.execute(insert(schema.articles), rows)
    ids = [{"article_id": article.id} for article in fresh]
    conn.execute(insert(schema.article_order), ids)
    conn.execute(insert(schema.article_changes), ids)
    for attribute, table in _LINKS:
        links = [
            row
            for article in fresh
            for row in schema.link_rows(article.id, getattr(article, attribute), article.published)
        ]
        if links:
            conn.execute(insert(table), links)


def _free_slugs(conn: Connection, fresh: list[Article]) -> dict[str, str]:
    """A free slug for each new article, as :func:`_free_slug` would give them in turn.

    One query finds which wanted slugs are taken; only those articles (and any that want the
    same slug as an earlier one in the batch) look for a fallback one by one.
    """
    wanted = {article.id: article.slug or article.id for article in fresh}
    query = select(schema.articles.c.slug).where(schema.articles.c.slug.in_(set(wanted.values())))
    taken = set(conn.execute(query).scalars())
    chosen: dict[str, str] = {}
    for article in fresh:
        slug = wanted[article.id]
        if slug in taken:
            slug = _free_slug(conn, slug, article.id, reserved=taken)
        taken.add(slug)
        chosen[article.id] = slug
    return chosen


def _upsert(conn: Connection, article: Article) -> UpsertResult:
    """Upsert with retries: on PostgreSQL a concurrent writer may take our id or slug."""
    attempts_left = _WRITE_ATTEMPTS
    while True:
        attempts_left -= 1
        try:
            return _upsert_once(conn, article)
        except IntegrityError:
            if attempts_left == 0:
                raise


def _upsert_once(conn: Connection, article: Article) -> UpsertResult:
    articles = schema.articles
    state = select(
        articles.c.content_hash,
        articles.c.slug,
        articles.c.published,
        articles.c.date_estimated,
        articles.c.updated,
    ).where(articles.c.id == article.id)
    stored = conn.execute(state).first()
    if stored is not None and stored.content_hash == article.content_hash:
        return UpsertResult.UNCHANGED
    with conn.begin_nested():  # a failed write rolls back to here, not the whole batch
        if stored is None:
            _insert_article(conn, article)
            return UpsertResult.INSERTED
        _update_article(conn, article, stored)
        return UpsertResult.UPDATED


def _insert_article(conn: Connection, article: Article) -> None:
    slug = _free_slug(conn, article.slug or article.id, article.id)
    conn.execute(insert(schema.articles).values(schema.article_values(article) | {"slug": slug}))
    conn.execute(insert(schema.article_order).values(article_id=article.id))
    conn.execute(insert(schema.article_changes).values(article_id=article.id))
    _write_links(conn, article, article.published)


def _update_article(
    conn: Connection, article: Article, stored: Row[*tuple[Any, ...]]
) -> None:
    published, estimated = _kept_published(stored.published, stored.date_estimated, article)
    values = schema.article_values(article) | {
        "slug": stored.slug,
        "published": published,
        "date_estimated": estimated,
        "updated": _next_updated(stored.updated, article.updated),
        "revision": schema.articles.c.revision + 1,
    }
    del values["id"]
    conn.execute(
        update(schema.articles).where(schema.articles.c.id == article.id).values(values)
    )
    for _, table in _LINKS:
        conn.execute(delete(table).where(table.c.article_id == article.id))
    _write_links(conn, article, published)
    conn.execute(insert(schema.article_changes).values(article_id=article.id))


def _kept_published(
    stored: datetime, stored_estimated: bool, article: Article
) -> tuple[datetime, bool]:
    """The first published date wins, except that a real date replaces an estimated one."""
    if stored_estimated and not article.date_estimated:
        return article.published, False
    return stored, stored_estimated


def _next_updated(stored: datetime, incoming: datetime) -> datetime:
    """``incoming``, or one second past ``stored`` when the clock would not move forward.

    A second rather than "now" keeps the result a function of its inputs (tests, replays), and
    is still a change a feed reader sees.
    """
    return incoming if incoming > stored else stored + timedelta(seconds=1)


def _free_slug(
    conn: Connection, wanted: str, article_id: str, reserved: Collection[str] = ()
) -> str:
    """``wanted`` if free, else ``wanted-<id6>``, then ``wanted-<id6>-2`` and so on.

    ``reserved`` holds slugs given to other articles of the same batch, not yet written.
    """
    suffix = "".join(c for c in article_id.lower() if c.isalnum())[:6] or "x"
    candidates = [wanted, f"{wanted}-{suffix}"]
    candidates += [f"{wanted}-{suffix}-{n}" for n in range(2, _SLUG_CANDIDATES)]
    query = select(schema.articles.c.slug).where(schema.articles.c.slug.in_(candidates))
    taken = set(conn.execute(query).scalars())
    for candidate in candidates:
        if candidate not in taken and candidate not in reserved:
            return candidate
    raise StoreError(f"article {article_id}: slug {wanted!r} and {len(taken)} fallbacks are taken")


def _write_links(conn: Connection, article: Article, published: datetime) -> None:
    for attribute, table in _LINKS:
        rows = schema.link_rows(article.id, getattr(article, attribute), published)
        if rows:
            conn.execute(insert(table), rows)


def _upsert_source(
    conn: Connection, name: str, *, fresh: dict[str, Any], changes: dict[str, Any]
) -> None:
    """Insert the source row with ``fresh`` values, or apply ``changes`` to the existing one."""
    table = schema.sources
    if conn.dialect.name == "sqlite":
        lite = sqlite.insert(table).values(name=name, **fresh)
        conn.execute(lite.on_conflict_do_update(index_elements=[table.c.name], set_=changes))
    elif conn.dialect.name == "postgresql":
        pg = postgresql.insert(table).values(name=name, **fresh)
        conn.execute(pg.on_conflict_do_update(index_elements=[table.c.name], set_=changes))
    else:  # portable fallback: fine under the one-refresh-per-source rule
        result = conn.execute(update(table).where(table.c.name == name).values(changes))
        if result.rowcount == 0:
            conn.execute(insert(table).values(name=name, **fresh))


# -- reading ---------------------------------------------------------------------------------


def _linked(query: Select[Any], filters: dict[str, str | None]) -> Select[Any]:
    """``query`` over articles joined to each link table that a slug is given for."""
    for attribute, table in _LINKS:
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
    for attribute, table in _LINKS:
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
