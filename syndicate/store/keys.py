"""How an incoming article finds the row it is stored in: by its key, or an earlier version's id.

An incoming article's ``id`` is its key: the id the current rule gives its input
(``normalize.article_key``). ``article_keys`` maps each key to the row it is stored in; an
article stored since that table exists is its own key. One stored by an earlier version (whose
rule made the id from the link, else the title) has no key row: the first incoming article
whose own id or ``legacy_ids`` name it takes it over, keeping the stored id, so published ids
never change. When several articles of one batch want the same old row (files that once shared
a title id), the one whose body is the stored body gets it; the others are new articles.

Everything is found with primary-key and unique-index lookups: one query for the keys of a
batch, one for the rows its ids and legacy ids name. An editor's write (the API) names the
stored id itself: a row of that id is its row, whatever key it has.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, Row, func, select

from syndicate.model import Article
from syndicate.store import schema

# Ids of new articles whose own id another input already holds (see fresh_id).
_TAKEN_NAMESPACE = uuid.UUID("9d3c2a71-4e0b-4c55-8f0e-1b6f5a2d7c38")
STATE = (
    schema.articles.c.id,
    schema.articles.c.content_hash,
    schema.articles.c.slug,
    schema.articles.c.published,
    schema.articles.c.date_estimated,
    schema.articles.c.updated,
    schema.articles.c.status,
)

Stored = Row[*tuple[Any, ...]]  # the STATE columns of a stored article (and its key_id)


@dataclass(frozen=True, slots=True)
class Plan:
    """Where one incoming article is stored, if anywhere, and what its key row needs.

    ``published`` is the article under the id it is (or will be) stored with: the stored
    row's id, or for a new article its key, unless another input already holds that id (then
    :func:`fresh_id`, which its key row leads to). ``claim``: the key row ``(key, published
    id)`` is to be written (a new article, or a row taken over). ``names``: every id the
    article may have been stored under, for the tombstones of removed ones.
    """

    published: Article
    stored: Stored | None
    claim: bool
    key: str
    names: tuple[str, ...]


def plans(conn: Connection, batch: Sequence[Article], *, editorial: bool) -> list[Plan]:
    """Where each article of the batch is stored (see the module docstring)."""
    keys = schema.article_keys
    wanted = [article.id for article in batch]
    keyed_query = (
        select(keys.c.key_id, *STATE)
        .join(schema.articles, schema.articles.c.id == keys.c.article_id)
        .where(keys.c.key_id.in_(wanted))
    )
    keyed: dict[str, Stored] = {row.key_id: row for row in conn.execute(keyed_query)}
    names = set(wanted) - set(keyed)
    names |= {old for article in batch if article.id not in keyed for old in article.legacy_ids}
    unclaimed: dict[str, Stored] = {}
    held: dict[str, Stored] = {}  # rows of other keys, by their ids
    if names:
        rows_query = (
            select(keys.c.key_id, *STATE)
            .select_from(schema.articles)
            .outerjoin(keys, keys.c.article_id == schema.articles.c.id)
            .where(schema.articles.c.id.in_(names))
        )
        for row in conn.execute(rows_query):
            (unclaimed if row.key_id is None else held)[row.id] = row
    owners = _owners(conn, batch, keyed, unclaimed)
    result = []
    for index, article in enumerate(batch):
        also = (article.id, fresh_id(article.id), *article.legacy_ids)
        if article.id in keyed:
            stored: Stored | None = keyed[article.id]
            claim = False
        elif index in owners:
            stored, claim = unclaimed[owners[index]], True
        elif editorial and article.id in held:
            stored, claim = held[article.id], False  # the editor named the stored id
        else:
            stored, claim = None, True
        if stored is not None:
            published = replace(article, id=stored.id)
        else:
            taken = article.id in held
            published = replace(article, id=fresh_id(article.id)) if taken else article
        result.append(Plan(published, stored, claim, article.id, also))
    return result


def fresh_id(key: str) -> str:
    """An id for a new article whose own id another input already holds (it took that row
    over as its legacy id): derived from the key, so every run derives the same."""
    return str(uuid.uuid5(_TAKEN_NAMESPACE, key))


def _owners(
    conn: Connection,
    batch: Sequence[Article],
    keyed: dict[str, Stored],
    unclaimed: dict[str, Stored],
) -> dict[int, str]:
    """Which article of the batch takes over which unclaimed row: ``{index: stored id}``.

    A row stored under an article's own id is that article's. A row named by the legacy ids
    of several articles goes to the one whose body is the stored body, else to the first.
    """
    owners = {
        index: article.id
        for index, article in enumerate(batch)
        if article.id not in keyed and article.id in unclaimed
    }
    taken = set(owners.values())
    candidates: dict[str, list[int]] = {}
    for index, article in enumerate(batch):
        if article.id in keyed or index in owners:
            continue
        for name in article.legacy_ids:
            if name in unclaimed and name not in taken:
                candidates.setdefault(name, []).append(index)
    for name, indexes in candidates.items():
        free = [i for i in indexes if i not in owners]
        if len(free) > 1:
            body = conn.execute(
                select(schema.articles.c.body_html).where(schema.articles.c.id == name)
            ).scalar()
            free.sort(key=lambda i: batch[i].body_html != body)  # stable: then input order
        if free:
            owners[free[0]] = name
    return owners


def source_keys(conn: Connection, source: str) -> set[str]:
    """The key of every article of one source (its id when it has no key yet)."""
    articles, keys = schema.articles, schema.article_keys
    query = (
        select(func.coalesce(keys.c.key_id, articles.c.id))
        .select_from(articles)
        .outerjoin(keys, keys.c.article_id == articles.c.id)
        .where(articles.c.source == source)
    )
    return set(conn.execute(query).scalars())


def stored_id(conn: Connection, key: str, legacy_ids: Iterable[str]) -> str | None:
    """The stored id of the article of ``key``: by its key row, else the first unclaimed row
    under its own id or one of its legacy ids (primary-key lookups only)."""
    articles, keys = schema.articles, schema.article_keys
    found: str | None = conn.execute(select(keys.c.article_id).where(keys.c.key_id == key)).scalar()
    if found is not None:
        return found
    names = [key, *legacy_ids]
    loose = (
        select(articles.c.id)
        .outerjoin(keys, keys.c.article_id == articles.c.id)
        .where(articles.c.id.in_(names), keys.c.article_id.is_(None))
    )
    stored = set(conn.execute(loose).scalars())
    return next((name for name in names if name in stored), None)
