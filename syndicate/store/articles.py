"""The article read path of the store: the queries, each run on a connection.

:class:`~syndicate.store.Store` opens the transaction and calls these; nothing here opens
connections or catches SQLAlchemy errors (the write path is :mod:`syndicate.store.writes`).

Feeds read an index range and a page of rows, never every article: a per-category, per-tag or
per-author listing starts from its link table's ``(slug, published desc, article_id desc)``
index and joins the articles by primary key.

What readers see: an article is visible when its status is ``published`` and its published
time has come (:func:`visible`). Every listing here for feeds, pages and archives applies that
rule; the editors' listing (:func:`listing_query`) sees everything stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Table, and_, func, or_, select

from syndicate.model import Article, Category
from syndicate.store import schema
from syndicate.store.rows import article_from_row
from syndicate.text.dates import utc_now

# Link-table attribute ("categories", "tags", "authors", "languages") -> a slug, or several
# (any of them matches: the site's language feed takes articles without a language too).
Filters = dict[str, str | tuple[str, ...] | None]


def filters(
    category: str | tuple[str, ...] | None,
    tag: str | None,
    author: str | None,
    languages: tuple[str, ...] | None = None,
) -> Filters:
    """The slug filters of a listing, keyed by the link table they use; several categories
    match an article in any of them."""
    return {"categories": category, "tags": tag, "authors": author, "languages": languages}


def _matches(table: Table, slug: str | tuple[str, ...]) -> Any:
    return table.c.slug == slug if isinstance(slug, str) else table.c.slug.in_(slug)


def _any_of(table: Table, slugs: tuple[str, ...]) -> Any:
    """Articles with a row of ``table`` for any of ``slugs``: several slugs of a table an
    article has many rows in (categories: any of a partner's). A join would list an article
    once per match; an ``EXISTS`` lists it once. (One language row per article: a join.)"""
    row = select(table.c.article_id).where(
        table.c.article_id == schema.articles.c.id, table.c.slug.in_(slugs)
    )
    return row.exists()


def one(conn: Connection, query: Select[Any]) -> Article | None:
    """The article the query finds, or ``None``."""
    row = conn.execute(query).first()
    return None if row is None else article_from_row(row)


def many(conn: Connection, query: Select[Any]) -> list[Article]:
    """Every article the query finds, in its order."""
    return [article_from_row(row) for row in conn.execute(query)]


def visible(now: datetime, published: Any = None) -> ColumnElement[bool]:
    """Readers see a published article whose time has come (``published``: the column that
    drives the query, a link table's copy when one does, so the index bounds the range)."""
    column = schema.articles.c.published if published is None else published
    return and_(schema.articles.c.status == schema.PUBLISHED, column <= now)


def latest_query(
    wanted: Filters,
    limit: int,
    before: tuple[datetime, str] | None,
    after: tuple[datetime, str] | None = None,
    now: datetime | None = None,
) -> Select[Any]:
    """Newest-first visible articles (as of ``now``, the current time unless given); the
    first link filter drives the query through its index.

    ``after`` turns the order around: the oldest articles newer than ``(published, id)``, oldest
    first (the next page back towards the newest, an article's newer neighbour).
    """
    articles = schema.articles
    query = select(articles)
    published, article_id = articles.c.published, articles.c.id
    for attribute, table in schema.LINK_TABLES:
        slug = wanted.get(attribute)
        if slug is None:
            continue
        if not isinstance(slug, str) and attribute != "languages":
            query = query.where(_any_of(table, slug))  # several categories: see _any_of
            continue
        query = query.join(table, and_(table.c.article_id == articles.c.id, _matches(table, slug)))
        if published is articles.c.published:
            published, article_id = table.c.published, table.c.article_id
    query = query.where(visible(now or utc_now(), published))
    if before is not None:
        at, last_id = before
        query = query.where(or_(published < at, and_(published == at, article_id < last_id)))
    if after is not None:
        at, first_id = after
        query = query.where(or_(published > at, and_(published == at, article_id > first_id)))
        return query.order_by(published.asc(), article_id.asc()).limit(limit)
    return query.order_by(published.desc(), article_id.desc()).limit(limit)


def newest_of_latest_query(wanted: Filters, limit: int) -> Select[Any]:
    """The latest ``updated`` among the newest ``limit`` articles of a listing: when its first
    page last changed, read through the listing's index (``limit`` rows, not all of them)."""
    page = latest_query(wanted, limit, None).with_only_columns(schema.articles.c.updated)
    part = page.subquery()
    return select(func.max(part.c.updated))


def linked(query: Select[Any], wanted: Filters) -> Select[Any]:
    """``query`` over articles joined to each link table that a slug is given for."""
    for attribute, table in schema.LINK_TABLES:
        slug = wanted.get(attribute)
        if slug is None:
            continue
        if not isinstance(slug, str) and attribute != "languages":
            query = query.where(_any_of(table, slug))  # several categories: see _any_of
            continue
        query = query.join(
            table, and_(table.c.article_id == schema.articles.c.id, _matches(table, slug))
        )
    return query


def stored_order_query(wanted: Filters, offset: int, limit: int, now: datetime) -> Select[Any]:
    """Visible articles in the order they were first published, oldest first (archives)."""
    query = ordered(linked(select(schema.articles), wanted), now)
    return query.order_by(schema.article_order.c.seq).offset(offset).limit(limit)


def ordered(query: Select[Any], now: datetime) -> Select[Any]:
    """``query`` over articles, limited to visible ones with their archive place."""
    order = schema.article_order
    return query.join(order, order.c.article_id == schema.articles.c.id).where(visible(now))


def ordered_count_query(wanted: Filters, now: datetime) -> Select[Any]:
    """How many visible articles with an archive place match (archive paging counts these)."""
    return ordered(linked(select(func.count()).select_from(schema.articles), wanted), now)


def count_query(source: str | None = None) -> Select[Any]:
    """How many articles there are, in all or of one source."""
    query = select(func.count()).select_from(schema.articles)
    if source is not None:
        query = query.where(schema.articles.c.source == source)
    return query


def newest_updated_query(category: str | None, now: datetime) -> Select[Any]:
    """The latest ``updated`` of all visible articles, or of one category's."""
    articles = schema.articles
    query = select(func.max(articles.c.updated)).where(visible(now))
    if category is not None:
        links = schema.article_categories
        query = query.join_from(articles, links, links.c.article_id == articles.c.id).where(
            links.c.slug == category
        )
    return query


def changes_query(version: int, limit: int) -> Select[Any]:
    """``(seq, article_id)`` of the change log after ``version``, oldest first."""
    changes = schema.article_changes
    return (
        select(changes.c.seq, changes.c.article_id)
        .where(changes.c.seq > version)
        .order_by(changes.c.seq)
        .limit(limit)
    )


def terms(conn: Connection, table: Table, now: datetime, slug: str | None = None) -> list[Category]:
    """The names in a link table with their visible article counts, by name (one slug, or
    all); a name only hidden articles carry is not listed.

    When articles spell a name differently, the least in byte order is shown.
    """
    name = func.min(table.c.name)
    query = (
        select(table.c.slug, name, func.count())
        .join(schema.articles, schema.articles.c.id == table.c.article_id)
        .where(visible(now, table.c.published))
        .group_by(table.c.slug)
        .order_by(func.lower(name), table.c.slug)
    )
    if slug is not None:
        query = query.where(table.c.slug == slug)
    return [Category(name=row[1], slug=row[0], count=int(row[2])) for row in conn.execute(query)]


def sitemap_query(offset: int, limit: int, now: datetime | None = None) -> Select[Any]:
    """Slug, title, language, published and updated of visible articles in stored order
    (sitemaps): what a sitemap line needs, without the bodies."""
    articles = schema.articles
    return (
        select(
            articles.c.slug,
            articles.c.title,
            articles.c.language,
            articles.c.published,
            articles.c.updated,
        )
        .join(schema.article_order, schema.article_order.c.article_id == articles.c.id)
        .where(visible(now or utc_now()))
        .order_by(schema.article_order.c.seq)
        .offset(offset)
        .limit(limit)
    )


def newest_in_order_query(offset: int, limit: int, now: datetime | None = None) -> Select[Any]:
    """The latest ``updated`` among a slice of the stored order (of visible articles)."""
    articles = schema.articles
    part = (
        select(articles.c.updated)
        .join(schema.article_order, schema.article_order.c.article_id == articles.c.id)
        .where(visible(now or utc_now()))
        .order_by(schema.article_order.c.seq)
        .offset(offset)
        .limit(limit)
        .subquery()
    )
    return select(func.max(part.c.updated))


def published_since_query(since: datetime, limit: int, now: datetime | None = None) -> Select[Any]:
    """The same columns for visible articles published at or after ``since``, newest first."""
    articles = schema.articles
    return (
        select(
            articles.c.slug,
            articles.c.title,
            articles.c.language,
            articles.c.published,
            articles.c.updated,
        )
        .where(articles.c.published >= since, visible(now or utc_now()))
        .order_by(articles.c.published.desc(), articles.c.id.desc())
        .limit(limit)
    )


def distinct_slugs(conn: Connection, table: Table, limit: int) -> list[str]:
    """The distinct slugs of a link table, in byte order, at most ``limit``.

    One index seek per slug (``min(slug) > previous``), not a scan: fine for the few languages
    of a site however many articles it has.
    """
    found: list[str] = []
    while len(found) < limit:
        query = select(func.min(table.c.slug))
        if found:
            query = query.where(table.c.slug > found[-1])
        slug: str | None = conn.execute(query).scalar()
        if slug is None:
            break
        found.append(slug)
    return found


def term_name(conn: Connection, table: Table, slug: str, now: datetime) -> str | None:
    """The display name of one slug of a link table (of a visible article), without counting
    its articles."""
    query = (
        select(table.c.name)
        .join(schema.articles, schema.articles.c.id == table.c.article_id)
        .where(table.c.slug == slug, visible(now, table.c.published))
        .order_by(table.c.name)
        .limit(1)
    )
    found: str | None = conn.execute(query).scalar()
    return found


# -- the editors' listing --------------------------------------------------------------------

SCHEDULED = "scheduled"  # a status of listings only: published, and dated ahead


@dataclass(frozen=True, slots=True)
class Listed:
    """One article as editors see it: with its status (``published``, ``scheduled``,
    ``unpublished``)."""

    article: Article
    status: str


def status_of(row: Any, now: datetime) -> str:
    """The listing status of an ``articles`` row."""
    if row.status == schema.PUBLISHED and row.published > now:
        return SCHEDULED
    return str(row.status)


def listing_query(
    *,
    now: datetime,
    source: str | None,
    category: str | None,
    title: str | None,
    status: str | None,
    before: tuple[datetime, str] | None,
    limit: int,
) -> Select[Any]:
    """Every stored article (removed and scheduled ones too), newest first, filtered.

    ``title`` matches anywhere in the title, case-insensitively (ASCII letters only on
    SQLite, whose ``lower`` knows no others).
    """
    articles = schema.articles
    query = linked(select(articles), filters(category, None, None))
    if source is not None:
        query = query.where(articles.c.source == source)
    if title:
        query = query.where(func.lower(articles.c.title).contains(title.lower(), autoescape=True))
    if status == SCHEDULED:
        query = query.where(articles.c.status == schema.PUBLISHED, articles.c.published > now)
    elif status == schema.PUBLISHED:
        query = query.where(visible(now))
    elif status is not None:
        query = query.where(articles.c.status == status)
    if before is not None:
        at, last_id = before
        newer = and_(articles.c.published == at, articles.c.id < last_id)
        query = query.where(or_(articles.c.published < at, newer))
    return query.order_by(articles.c.published.desc(), articles.c.id.desc()).limit(limit)
