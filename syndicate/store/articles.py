"""The article read path of the store: the queries, each run on a connection.

:class:`~syndicate.store.Store` opens the transaction and calls these; nothing here opens
connections or catches SQLAlchemy errors (the write path is :mod:`syndicate.store.writes`).

Feeds read an index range and a page of rows, never every article: a per-category, per-tag or
per-author listing starts from its link table's ``(slug, published desc, article_id desc)``
index and joins the articles by primary key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, Table, and_, func, or_, select

from syndicate.model import Article, Category
from syndicate.store import schema

# Link-table attribute ("categories", "tags", "authors", "languages") -> a slug, or several
# (any of them matches: the site's language feed takes articles without a language too).
Filters = dict[str, str | tuple[str, ...] | None]


def filters(
    category: str | None,
    tag: str | None,
    author: str | None,
    languages: tuple[str, ...] | None = None,
) -> Filters:
    """The slug filters of a listing, keyed by the link table they use."""
    return {"categories": category, "tags": tag, "authors": author, "languages": languages}


def _matches(table: Table, slug: str | tuple[str, ...]) -> Any:
    return table.c.slug == slug if isinstance(slug, str) else table.c.slug.in_(slug)


def one(conn: Connection, query: Select[Any]) -> Article | None:
    """The article the query finds, or ``None``."""
    row = conn.execute(query).first()
    return None if row is None else schema.article_from_row(row)


def many(conn: Connection, query: Select[Any]) -> list[Article]:
    """Every article the query finds, in its order."""
    return [schema.article_from_row(row) for row in conn.execute(query)]


def latest_query(
    wanted: Filters,
    limit: int,
    before: tuple[datetime, str] | None,
    after: tuple[datetime, str] | None = None,
) -> Select[Any]:
    """Newest-first articles; the first link filter drives the query through its index.

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
        query = query.join(table, and_(table.c.article_id == articles.c.id, _matches(table, slug)))
        if published is articles.c.published:
            published, article_id = table.c.published, table.c.article_id
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
        if slug is not None:
            query = query.join(
                table, and_(table.c.article_id == schema.articles.c.id, _matches(table, slug))
            )
    return query


def stored_order_query(wanted: Filters, offset: int, limit: int) -> Select[Any]:
    """Articles in the order they were first stored, oldest first (archive pages)."""
    query = linked(select(schema.articles), wanted).join(
        schema.article_order, schema.article_order.c.article_id == schema.articles.c.id
    )
    return query.order_by(schema.article_order.c.seq).offset(offset).limit(limit)


def count_query(source: str | None = None) -> Select[Any]:
    """How many articles there are, in all or of one source."""
    query = select(func.count()).select_from(schema.articles)
    if source is not None:
        query = query.where(schema.articles.c.source == source)
    return query


def newest_updated_query(category: str | None) -> Select[Any]:
    """The latest ``updated`` of all articles, or of one category's."""
    articles = schema.articles
    query = select(func.max(articles.c.updated))
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


def terms(conn: Connection, table: Table, slug: str | None = None) -> list[Category]:
    """The names in a link table with their article counts, by name (one slug, or all).

    When articles spell a name differently, the least in byte order is shown.
    """
    name = func.min(table.c.name)
    query = (
        select(table.c.slug, name, func.count())
        .group_by(table.c.slug)
        .order_by(func.lower(name), table.c.slug)
    )
    if slug is not None:
        query = query.where(table.c.slug == slug)
    return [Category(name=row[1], slug=row[0], count=int(row[2])) for row in conn.execute(query)]


def sitemap_query(offset: int, limit: int) -> Select[Any]:
    """Slug, title, language, published and updated of articles in stored order (sitemaps):
    what a sitemap line needs, without the bodies."""
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
        .order_by(schema.article_order.c.seq)
        .offset(offset)
        .limit(limit)
    )


def newest_in_order_query(offset: int, limit: int) -> Select[Any]:
    """The latest ``updated`` among a slice of the stored order."""
    articles = schema.articles
    part = (
        select(articles.c.updated)
        .join(schema.article_order, schema.article_order.c.article_id == articles.c.id)
        .order_by(schema.article_order.c.seq)
        .offset(offset)
        .limit(limit)
        .subquery()
    )
    return select(func.max(part.c.updated))


def published_since_query(since: datetime, limit: int) -> Select[Any]:
    """The same columns for articles published at or after ``since``, newest first."""
    articles = schema.articles
    return (
        select(
            articles.c.slug,
            articles.c.title,
            articles.c.language,
            articles.c.published,
            articles.c.updated,
        )
        .where(articles.c.published >= since)
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


def term_name(conn: Connection, table: Table, slug: str) -> str | None:
    """The display name of one slug of a link table, without counting its articles."""
    query = select(table.c.name).where(table.c.slug == slug).order_by(table.c.name).limit(1)
    found: str | None = conn.execute(query).scalar()
    return found
