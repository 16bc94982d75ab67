"""The article write path of the store: upserts of one article or a batch, on a connection.

:class:`~syndicate.store.Store` opens the transaction and calls :func:`upsert` or
:func:`upsert_batch` inside it; nothing here opens connections or catches SQLAlchemy errors.

Upserts are idempotent: storing an article whose ``content_hash`` is already stored writes
nothing at all, so a refresh of an unchanged source costs reads only and feed caches keyed on
``updated`` stay valid.

Two kinds of writer, two rules about removals. A refresh or an ingest (:func:`upsert`,
:func:`upsert_batch`) never brings back an article an editor removed: an unpublished one is
left as it is and a deleted one is not stored again (both are ``WITHHELD``). An editor's own
write (:func:`put`, the API and Micropub) is the publisher speaking: it stores a deleted
article afresh, and updates an unpublished one in place, still unpublished.

Scheduling: an article dated after ``now`` gets a row in ``article_schedule`` instead of its
place in ``article_order``; :mod:`syndicate.store.states` releases it when its time comes.

Identity: an incoming article is found by its key, or by the id an earlier version gave it
(:mod:`syndicate.store.keys`); results come back under the id each article is published with.
``updated`` of an edit is the source's own later date, else when the edit was seen.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from syndicate.errors import StoreError
from syndicate.model import Article
from syndicate.store import schema
from syndicate.store.keys import Plan, Stored, plans
from syndicate.store.rows import article_links, article_values
from syndicate.text.dates import utc_now

_SLUG_CANDIDATES = 20  # fallback slugs tried before giving up on a new article
_WRITE_ATTEMPTS = 3  # a concurrent writer can take an id or slug between our read and write


class UpsertResult(Enum):
    """What :meth:`~syndicate.store.Store.upsert` did with one article."""

    INSERTED = "inserted"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    WITHHELD = "withheld"  # an editor removed it: a refresh does not bring it back


@dataclass(frozen=True, slots=True)
class WriteRule:
    """How one write treats what is stored: the time, and whether an editor is writing.

    ``editorial``: the publisher's own write, which stores over a removal. ``set_published``:
    the writer gave the published date on purpose, so it replaces the stored one (a refresh
    keeps the first published date instead).
    """

    now: datetime
    editorial: bool = False
    set_published: bool = False


def upsert_batch(
    conn: Connection, batch: list[Article], rule: WriteRule
) -> list[tuple[Article, UpsertResult]]:
    """Upsert a batch as :func:`upsert` would one by one, inserting the new ones in bulk.

    Returns each article under its published id (an article stored by an earlier version
    keeps that version's id) with what became of it.
    """
    if len({article.id for article in batch}) < len(batch):
        return [upsert(conn, article, rule) for article in batch]  # one article twice: in order
    found = plans(conn, batch, editorial=rule.editorial)
    withheld = _withheld(conn, found, rule)
    fresh = [p for p in found if p.stored is None and p.key not in withheld]
    inserted = _insert_fresh(conn, fresh, rule)
    results: list[tuple[Article, UpsertResult]] = []
    for plan in found:
        if plan.key in withheld:
            results.append((plan.published, UpsertResult.WITHHELD))
        elif plan.stored is None:
            results.append(inserted[plan.key])
        elif plan.stored.content_hash == plan.published.content_hash and not plan.claim:
            results.append((plan.published, UpsertResult.UNCHANGED))
        else:  # changes and takeovers are rare next to new and unchanged articles
            with conn.begin_nested():
                results.append((plan.published, _write_stored(conn, plan, rule)))
    return results


def _withheld(conn: Connection, found: list[Plan], rule: WriteRule) -> set[str]:
    """The keys of articles a refresh must not write: an editor unpublished or deleted them
    (under any id they may be stored under)."""
    if rule.editorial:
        return set()
    held = {p.key for p in found if p.stored is not None and p.stored.status != schema.PUBLISHED}
    loose = [p for p in found if p.stored is None]
    stones = deleted_ids(conn, {name for p in loose for name in p.names})
    return held | {p.key for p in loose if stones.intersection(p.names)}


def deleted_ids(conn: Connection, ids: Collection[str]) -> set[str]:
    """Which of these ids belong to articles an editor deleted (their tombstones say so)."""
    if not ids:
        return set()
    stones = schema.tombstones
    query = select(stones.c.article_id).where(
        stones.c.article_id.in_(list(ids)), stones.c.status == schema.DELETED
    )
    return set(conn.execute(query).scalars())


def _insert_fresh(
    conn: Connection, fresh: list[Plan], rule: WriteRule
) -> dict[str, tuple[Article, UpsertResult]]:
    """Insert articles not stored when the batch was read; falls back to one by one.

    Between our read and our insert a concurrent writer (PostgreSQL) may store one of these
    ids or take one of their slugs: the bulk insert then fails as a whole, is rolled back to
    its savepoint, and each article goes through the single-article path with its retries.
    Keyed by the articles' keys.
    """
    if not fresh:
        return {}
    try:
        with conn.begin_nested():
            _insert_many(conn, fresh, rule.now)
    except IntegrityError:
        return {p.key: upsert(conn, replace(p.published, id=p.key), rule) for p in fresh}
    return {plan.key: (plan.published, UpsertResult.INSERTED) for plan in fresh}


def _insert_many(conn: Connection, plans_: list[Plan], now: datetime) -> None:
    """One multi-row INSERT per table for articles known to be new."""
    fresh = [plan.published for plan in plans_]
    slugs = _free_slugs(conn, fresh)
    rows = [article_values(a) | {"slug": slugs[a.id]} for a in fresh]
    conn.execute(insert(schema.articles), rows)
    keys = [{"key_id": p.key, "article_id": p.published.id} for p in plans_]
    conn.execute(insert(schema.article_keys), keys)
    ids = [{"article_id": article.id} for article in fresh]
    due = [{"article_id": a.id} for a in fresh if a.published <= now]
    if due:
        conn.execute(insert(schema.article_order), due)
    later = [{"article_id": a.id, "at": a.published} for a in fresh if a.published > now]
    if later:
        conn.execute(insert(schema.article_schedule), later)
    conn.execute(insert(schema.article_changes), ids)
    links: dict[Table, list[dict[str, Any]]] = {table: [] for _, table in schema.LINK_TABLES}
    for article in fresh:
        for table, rows_ in article_links(article.id, article, article.published):
            links[table] += rows_
    for table, rows_ in links.items():
        if rows_:
            conn.execute(insert(table), rows_)


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


def upsert(conn: Connection, article: Article, rule: WriteRule) -> tuple[Article, UpsertResult]:
    """Upsert with retries: on PostgreSQL a concurrent writer may take our id, key or slug."""
    attempts_left = _WRITE_ATTEMPTS
    while True:
        attempts_left -= 1
        try:
            return _upsert_once(conn, article, rule)
        except IntegrityError:
            if attempts_left == 0:
                raise


def put(conn: Connection, article: Article, rule: WriteRule) -> tuple[Article, UpsertResult]:
    """An editor's write: stored whatever removals say (see the module's docstring)."""
    editor = WriteRule(rule.now, editorial=True, set_published=rule.set_published)
    return upsert(conn, article, editor)


def _upsert_once(
    conn: Connection, article: Article, rule: WriteRule
) -> tuple[Article, UpsertResult]:
    (plan,) = plans(conn, [article], editorial=rule.editorial)
    if _withheld(conn, [plan], rule):
        return plan.published, UpsertResult.WITHHELD
    stored = plan.stored
    if stored is not None and stored.content_hash == article.content_hash and not plan.claim:
        return plan.published, UpsertResult.UNCHANGED
    with conn.begin_nested():  # a failed write rolls back to here, not the whole batch
        if stored is None:
            if rule.editorial:  # stored afresh: its removal is over
                stones = schema.tombstones
                gone = stones.c.article_id == plan.published.id
                conn.execute(delete(stones).where(gone))
            _insert_article(conn, plan, rule.now)
            return plan.published, UpsertResult.INSERTED
        return plan.published, _write_stored(conn, plan, rule)


def _insert_article(conn: Connection, plan: Plan, now: datetime) -> None:
    article = plan.published
    slug = _free_slug(conn, article.slug or article.id, article.id)
    conn.execute(insert(schema.articles).values(article_values(article) | {"slug": slug}))
    conn.execute(insert(schema.article_keys).values(key_id=plan.key, article_id=article.id))
    if article.published > now:
        conn.execute(
            insert(schema.article_schedule).values(article_id=article.id, at=article.published)
        )
    else:
        conn.execute(insert(schema.article_order).values(article_id=article.id))
    conn.execute(insert(schema.article_changes).values(article_id=article.id))
    _write_links(conn, article, article.published)


def _write_stored(conn: Connection, plan: Plan, rule: WriteRule) -> UpsertResult:
    """Claim the stored row for the article's key if it has none, and update it if changed."""
    assert plan.stored is not None
    if plan.claim:
        # The unique article_id refuses a second key: a concurrent claim fails here, and the
        # retry finds the row claimed and makes this article a new one.
        conn.execute(insert(schema.article_keys).values(key_id=plan.key, article_id=plan.stored.id))
    if plan.stored.content_hash == plan.published.content_hash:
        return UpsertResult.UNCHANGED
    _update_article(conn, plan.published, plan.stored, rule)
    return UpsertResult.UPDATED


def _update_article(conn: Connection, article: Article, stored: Stored, rule: WriteRule) -> None:
    published, estimated = _kept_published(stored, article, rule)
    values = article_values(article) | {
        "slug": stored.slug,
        "published": published,
        "date_estimated": estimated,
        "updated": next_updated(stored.updated, article.updated, article.seen),
        "revision": schema.articles.c.revision + 1,
        "status": stored.status,  # an unpublished article stays so until an editor says
    }
    del values["id"]
    conn.execute(update(schema.articles).where(schema.articles.c.id == article.id).values(values))
    for _, table in schema.LINK_TABLES:
        conn.execute(delete(table).where(table.c.article_id == article.id))
    _write_links(conn, article, published)
    if published != stored.published:
        reschedule(conn, article.id, published, rule.now)
    conn.execute(insert(schema.article_changes).values(article_id=article.id))


def _kept_published(stored: Stored, article: Article, rule: WriteRule) -> tuple[datetime, bool]:
    """The first published date wins, except that a real date replaces an estimated one.

    An article not published yet (its stored date is still ahead) has no first published
    date to keep: a new date moves it. A writer that gives the date on purpose moves it too.
    """
    if rule.set_published or stored.published > rule.now:
        return article.published, article.date_estimated
    if stored.date_estimated and not article.date_estimated:
        return article.published, False
    return stored.published, stored.date_estimated


def reschedule(conn: Connection, article_id: str, published: datetime, now: datetime) -> None:
    """Put an article whose date moved where that date says: waiting, or in the archive order.

    One taken out of the order (moved into the future) gets a new place when released, at the
    end: archive pages only ever lose such a member, never gain one in the middle.
    """
    schedule, order = schema.article_schedule, schema.article_order
    conn.execute(delete(schedule).where(schedule.c.article_id == article_id))
    if published > now:
        conn.execute(delete(order).where(order.c.article_id == article_id))
        conn.execute(insert(schedule).values(article_id=article_id, at=published))
        return
    placed = conn.execute(select(order.c.seq).where(order.c.article_id == article_id)).first()
    if placed is None:
        conn.execute(insert(order).values(article_id=article_id))


def next_updated(stored: datetime, incoming: datetime, seen: datetime | None) -> datetime:
    """When an edit happened: the source's own date when it gives a later one, else when the
    edit was seen (``seen``, the time the input was read; now without one).

    Never earlier than a second past ``stored``, so ``updated`` always moves forward and
    readers see the change even when clocks disagree.
    """
    if incoming > stored:
        return incoming
    when = (seen or utc_now()).replace(microsecond=0)
    return max(when, stored + timedelta(seconds=1))


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
    for table, rows in article_links(article.id, article, published):
        if rows:
            conn.execute(insert(table), rows)
