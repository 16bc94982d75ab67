"""What a store must look like after any crash: the checks the fault tests run at the end.

:func:`problems` lists every inconsistency found (an empty list is a consistent store): on
SQLite ``PRAGMA integrity_check`` and the foreign keys; on both databases every article with
the link rows of its categories, tags and authors, no orphan rows in the tables that point at
articles, the change log agreeing with each article's revision and with the content version,
and no run of the run log left ``running``.
"""

from __future__ import annotations

import json
from collections import defaultdict

from sqlalchemy import text

from syndicate.store import Store

POINTING = ("article_categories", "article_tags", "article_authors", "article_languages",
            "article_keys", "article_order", "article_schedule")  # fmt: skip


def rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def problems(store: Store) -> list[str]:
    found: list[str] = []
    if store.engine.dialect.name == "sqlite":
        check = rows(store, "PRAGMA integrity_check")
        if check != [("ok",)]:
            found.append(f"integrity_check: {check[:5]}")
        broken = rows(store, "PRAGMA foreign_key_check")
        if broken:
            found.append(f"foreign_key_check: {broken[:5]}")
    for table in POINTING:
        orphans = rows(
            store,
            f"SELECT t.article_id FROM {table} t LEFT JOIN articles a ON a.id = t.article_id "
            "WHERE a.id IS NULL",
        )
        if orphans:
            found.append(f"{table}: {len(orphans)} rows of no article, e.g. {orphans[0]}")
    found += _links(store)
    found += _change_log(store)
    running = rows(store, "SELECT source, started FROM runs WHERE outcome = 'running'")
    if running:
        found.append(f"runs left running: {running[:5]}")
    return found


def _links(store: Store) -> list[str]:
    linked: dict[tuple[str, str], set[str]] = defaultdict(set)
    for kind in ("categories", "tags", "authors"):
        for article_id, name in rows(store, f"SELECT article_id, name FROM article_{kind}"):
            linked[(kind, str(article_id))].add(str(name))
    found = []
    for article_id, *lists in rows(store, "SELECT id, categories, tags, authors FROM articles"):
        for kind, raw in zip(("categories", "tags", "authors"), lists, strict=True):
            wanted = set(json.loads(str(raw)))
            if len(wanted) != len(linked.get((kind, str(article_id)), set())):
                found.append(f"article {article_id}: {kind} {sorted(wanted)} without link rows")
    return found[:10]


def _change_log(store: Store) -> list[str]:
    found = []
    counted = dict(rows(store, "SELECT article_id, count(*) FROM article_changes GROUP BY 1"))
    for article_id, revision in rows(store, "SELECT id, revision FROM articles"):
        logged = int(counted.get(article_id, 0) or 0)  # type: ignore[call-overload]
        if logged != revision:
            found.append(f"article {article_id}: revision {revision}, {logged} change-log rows")
    (top,) = rows(store, "SELECT max(seq) FROM article_changes")[0]
    if (top or 0) != store.content_version():
        found.append(f"content version {store.content_version()} but change log ends at {top}")
    return found[:10]
