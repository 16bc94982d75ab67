"""What editors do to stored articles, and what time does: unpublish, publish, delete, release.

:class:`ArticleStates` is one part of :class:`~syndicate.store.Store` (``store.states``).

- **Unpublish** hides an article everywhere and keeps it: its row stays with status
  ``unpublished`` and a tombstone records when it left (RFC 6721 ``when``) and which feeds it
  was in. **Publish** undoes that.
- **Delete** removes the content for good: the article row goes (its links, archive place and
  schedule with it) and only the tombstone stays, so its page answers 410 Gone, feeds carry
  its tombstone and a refresh of its source does not store it again. Publishing a deleted
  article lifts that block: it comes back when its source next delivers it.
- **Release**: an article dated in the future waits in ``article_schedule``; once its time has
  come, :meth:`ArticleStates.release_due` gives it its place in ``article_order`` (the end: the
  newest page) and a change-log row, so every process's feed cache sees it. Releasing claims the
  rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite): of several
  processes releasing at once, one gets each article, and only that one announces it.

Every change appends to the change log (``article_changes``) like any article write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from syndicate.model import Article
from syndicate.store import articles as reads
from syndicate.store import schema
from syndicate.store.articles import Listed
from syndicate.store.engine import Database
from syndicate.store.rows import article_from_row
from syndicate.store.writes import reschedule
from syndicate.text.dates import utc_now

TOMBSTONES_PER_READ = 1000  # newest first: feeds carry at most this many at once


@dataclass(frozen=True, slots=True)
class Tombstone:
    """A removed article as feeds, pages and refreshes still need it."""

    id: str
    source: str
    slug: str
    title: str
    link: str
    status: str  # schema.UNPUBLISHED or schema.DELETED
    removed: datetime
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    language: str = ""


class ArticleStates:
    """Status changes of articles, their tombstones, and the editors' view of every stored
    article: the part of the store about what is published."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def unpublish(self, article_id: str, *, now: datetime) -> Article | None:
        """Hide an article (kept, restorable); ``None`` when there is no such article.

        Unpublishing an unpublished article changes nothing (its removal time stays).
        """
        with self._db.transaction(f"unpublish article {article_id}", write=True) as conn:
            row = _article_row(conn, article_id)
            if row is None:
                return None
            article = article_from_row(row)
            if row.status == schema.PUBLISHED:
                table = schema.articles
                conn.execute(
                    update(table)
                    .where(table.c.id == article_id)
                    .values(status=schema.UNPUBLISHED, revision=table.c.revision + 1)
                )
                _bury(conn, article, schema.UNPUBLISHED, now)
                _changed(conn, article_id)
            return article

    def publish(self, article_id: str, *, now: datetime) -> str | None:
        """Undo a removal. Returns what was done: ``"published"`` (an unpublished article is
        back), ``"lifted"`` (a deleted one may come back from its source), ``"unchanged"``
        (it was published), or ``None`` for an id nobody knows."""
        with self._db.transaction(f"publish article {article_id}", write=True) as conn:
            row = _article_row(conn, article_id)
            stone = _tombstone(conn, article_id)
            if row is None and stone is None:
                return None
            if stone is not None:
                conn.execute(_drop_tombstone(article_id))
            if row is None:
                _changed(conn, article_id)  # feeds carrying the tombstone drop it
                return "lifted"
            if row.status == schema.PUBLISHED:
                return "unchanged"
            table = schema.articles
            conn.execute(
                update(table)
                .where(table.c.id == article_id)
                .values(status=schema.PUBLISHED, revision=table.c.revision + 1)
            )
            reschedule(conn, article_id, row.published, now)
            _changed(conn, article_id)
            return "published"

    def delete(self, article_id: str, *, now: datetime) -> Tombstone | None:
        """Remove the article's content for good; its tombstone stays. ``None`` when there is
        no such article (a deleted article's tombstone is returned as it is)."""
        with self._db.transaction(f"delete article {article_id}", write=True) as conn:
            row = _article_row(conn, article_id)
            if row is None:
                return _tombstone(conn, article_id)
            article = article_from_row(row)
            _bury(conn, article, schema.DELETED, now)
            conn.execute(delete(schema.articles).where(schema.articles.c.id == article_id))
            _changed(conn, article_id)
            found = _tombstone(conn, article_id)
        return found

    def removal(self, article_id: str) -> Tombstone | None:
        """The tombstone of a removed article (unpublished or deleted), or ``None``."""
        with self._db.transaction(f"read removal of {article_id}") as conn:
            return _tombstone(conn, article_id)

    def removals(self, ids: list[str]) -> list[Tombstone]:
        """The tombstones of those of ``ids`` that were removed."""
        if not ids:
            return []
        stones = schema.tombstones
        query = select(stones).where(stones.c.article_id.in_(ids))
        with self._db.transaction("read removals") as conn:
            return [_from_row(row) for row in conn.execute(query)]

    def removal_by_slug(self, slug: str) -> Tombstone | None:
        """The newest tombstone of an article that was at this slug, or ``None``."""
        stones = schema.tombstones
        query = (
            select(stones).where(stones.c.slug == slug).order_by(stones.c.removed.desc()).limit(1)
        )
        with self._db.transaction("read removal by slug") as conn:
            row = conn.execute(query).first()
        return None if row is None else _from_row(row)

    def tombstones(
        self, since: datetime, *, status: str | None = None, limit: int = TOMBSTONES_PER_READ
    ) -> list[Tombstone]:
        """Tombstones of articles removed at ``since`` or later, newest first."""
        stones = schema.tombstones
        query = select(stones).where(stones.c.removed >= since)
        if status is not None:
            query = query.where(stones.c.status == status)
        query = query.order_by(stones.c.removed.desc(), stones.c.article_id).limit(limit)
        with self._db.transaction("list tombstones") as conn:
            return [_from_row(row) for row in conn.execute(query)]

    def listed(self, article_id: str, *, now: datetime | None = None) -> Listed | None:
        """The stored article with this id and its status, as editors see it."""
        query = select(schema.articles).where(schema.articles.c.id == article_id)
        with self._db.transaction("read article") as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return Listed(article_from_row(row), reads.status_of(row, now or utc_now()))

    def listing(
        self,
        *,
        source: str | None = None,
        category: str | None = None,
        title: str | None = None,
        status: str | None = None,
        before: tuple[datetime, str] | None = None,
        limit: int = 50,
        now: datetime | None = None,
    ) -> list[Listed]:
        """Every stored article as editors see it, newest first: removed and scheduled ones
        too, each with its status; filtered by source, category slug, words of the title and
        status (``published``, ``scheduled``, ``unpublished``); paged with ``before``."""
        now = now or utc_now()
        query = reads.listing_query(
            now=now,
            source=source,
            category=category,
            title=title,
            status=status,
            before=before,
            limit=limit,
        )
        with self._db.transaction("list articles") as conn:
            return [
                Listed(article_from_row(row), reads.status_of(row, now))
                for row in conn.execute(query)
            ]

    def find_by_slug(self, slug: str) -> Listed | None:
        """The stored article at this slug, visible or not (Micropub names posts by URL)."""
        query = select(schema.articles).where(schema.articles.c.slug == slug)
        with self._db.transaction("read article by slug") as conn:
            row = conn.execute(query).first()
        return (
            None if row is None else Listed(article_from_row(row), reads.status_of(row, utc_now()))
        )

    def find_by_link(self, source: str, link: str) -> Article | None:
        """The stored article of ``source`` whose canonical link is ``link`` (the articles
        API finds an article made with its own ``id`` again by its ``url``)."""
        articles = schema.articles
        query = (
            select(articles)
            .where(articles.c.source == source, articles.c.link == link)
            .order_by(articles.c.id)
            .limit(1)
        )
        with self._db.transaction("find article by link") as conn:
            return reads.one(conn, query)

    # -- scheduled articles ------------------------------------------------------------------

    def release_due(self, now: datetime) -> list[Article]:
        """Give every article whose time has come its archive place; the articles released.

        Several processes may call this at once: each article is released by one of them.
        """
        schedule = schema.article_schedule
        claim = (
            select(schedule.c.article_id)
            .where(schedule.c.at <= now)
            .order_by(schedule.c.at, schedule.c.article_id)
            .with_for_update(skip_locked=True)
        )
        with self._db.transaction("release scheduled articles", write=True) as conn:
            ids = list(conn.execute(claim).scalars())
            if not ids:
                return []
            conn.execute(delete(schedule).where(schedule.c.article_id.in_(ids)))
            conn.execute(insert(schema.article_order), [{"article_id": i} for i in ids])
            conn.execute(insert(schema.article_changes), [{"article_id": i} for i in ids])
            rows = conn.execute(select(schema.articles).where(schema.articles.c.id.in_(ids)))
            found = {row.id: article_from_row(row) for row in rows}
        return [found[i] for i in ids if i in found]

    def next_release(self) -> datetime | None:
        """When the next scheduled (and not unpublished) article is due; ``None``: none is."""
        schedule, articles = schema.article_schedule, schema.articles
        query = (
            select(func.min(schedule.c.at))
            .join(articles, articles.c.id == schedule.c.article_id)
            .where(articles.c.status == schema.PUBLISHED)
        )
        with self._db.transaction("read next scheduled article") as conn:
            value: datetime | None = conn.execute(query).scalar()
            return value

    def scheduled(self, *, limit: int = 100) -> list[Article]:
        """Articles waiting for their time, soonest first."""
        schedule, articles = schema.article_schedule, schema.articles
        query = (
            select(articles)
            .join(schedule, schedule.c.article_id == articles.c.id)
            .order_by(schedule.c.at, articles.c.id)
            .limit(limit)
        )
        with self._db.transaction("list scheduled articles") as conn:
            return [article_from_row(row) for row in conn.execute(query)]


def _article_row(conn: Connection, article_id: str) -> Row[Any] | None:
    query = select(schema.articles).where(schema.articles.c.id == article_id)
    return conn.execute(query).first()


def _tombstone(conn: Connection, article_id: str) -> Tombstone | None:
    stones = schema.tombstones
    row = conn.execute(select(stones).where(stones.c.article_id == article_id)).first()
    return None if row is None else _from_row(row)


def _drop_tombstone(article_id: str) -> Any:
    stones = schema.tombstones
    return delete(stones).where(stones.c.article_id == article_id)


def _bury(conn: Connection, article: Article, status: str, now: datetime) -> None:
    """Write (or, for an unpublished article being deleted, update) its tombstone."""
    stones = schema.tombstones
    existing = _tombstone(conn, article.id)
    if existing is not None:  # it left the feeds when it was unpublished: that time stays
        conn.execute(update(stones).where(stones.c.article_id == article.id).values(status=status))
        return
    conn.execute(
        insert(stones).values(
            article_id=article.id,
            source=article.source,
            slug=article.slug,
            title=article.title,
            link=article.link,
            status=status,
            removed=now,
            categories=_names(article.categories),
            tags=_names(article.tags),
            authors=_names(article.authors),
            language=article.language,
        )
    )


def _changed(conn: Connection, article_id: str) -> None:
    conn.execute(insert(schema.article_changes).values(article_id=article_id))


def _names(names: tuple[str, ...]) -> str:
    return json.dumps(list(names), ensure_ascii=False)


def _from_row(row: Row[Any]) -> Tombstone:
    return Tombstone(
        id=row.article_id,
        source=row.source,
        slug=row.slug,
        title=row.title,
        link=row.link,
        status=row.status,
        removed=row.removed,
        categories=tuple(json.loads(row.categories)),
        tags=tuple(json.loads(row.tags)),
        authors=tuple(json.loads(row.authors)),
        language=row.language,
    )
