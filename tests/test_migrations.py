"""Migrations on the database under test (SQLite, or PostgreSQL in ``make test``'s second run):
they build exactly the tables of ``syndicate.store.schema``, an older database is refused until
it is upgraded, and ``syndicate db`` does the upgrade."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from helpers.articles import plain_article as make_article
from sqlalchemy import Connection, Table, column, inspect, table, text

from syndicate.cli.db import db_group
from syndicate.errors import StoreError
from syndicate.store import Store, migrations, schema
from syndicate.store.rows import article_values, link_rows

HEAD = migrations.head()


def tables(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def shape(conn: Connection) -> dict[str, str]:
    """Every table and index as the database itself describes it, whitespace normalized."""
    if conn.dialect.name == "sqlite":
        query = "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    else:
        query = """
            SELECT table_name || '.' || column_name,
                   concat_ws(' ', data_type, is_nullable, collation_name, column_default)
            FROM information_schema.columns WHERE table_schema = current_schema()
            UNION ALL
            SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()
            UNION ALL
            SELECT conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
            FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
        """
    found = {name: re.sub(r"\s+", " ", sql or "") for name, sql in conn.execute(text(query))}
    if conn.dialect.name == "postgresql":  # index definitions name the schema: drop it
        prefix = f"{conn.execute(text('SELECT current_schema()')).scalar()}."
        found = {name: sql.replace(prefix, "") for name, sql in found.items()}
    return {name: sql for name, sql in found.items() if "alembic_version" not in name}


# -- the migrations build the schema ------------------------------------------------------------


def test_migrations_build_exactly_the_schema_tables(
    new_database_url: Callable[[], str],
) -> None:
    with Store(new_database_url()) as migrated, Store(new_database_url()) as created:
        migrated.upgrade()
        with created.engine.begin() as conn:
            schema.metadata.create_all(conn)
        with migrated.engine.connect() as one, created.engine.connect() as other:
            described = shape(one)
            assert len(described) > len(schema.metadata.tables)  # columns or tables, indexes
            assert described == shape(other)
            context = MigrationContext.configure(one, opts={"compare_type": True})
            assert compare_metadata(context, schema.metadata) == []


def test_migrations_down_to_nothing_and_up_again(store: Store) -> None:
    store.upsert(make_article(1))
    with store.engine.begin() as conn:
        migrations.downgrade(conn, "base")
    assert tables(store) <= {"alembic_version"}
    assert store.revision() is None
    store.upgrade()
    assert store.revision() == HEAD
    assert store.count() == 0


def test_migrations_history_is_one_line_ending_at_head() -> None:
    history = migrations.history()
    assert [revision for revision, _ in history] == [f"{n:04d}" for n in range(1, len(history) + 1)]
    assert history[-1][0] == HEAD
    assert all(message for _, message in history)


# -- refusing an old schema -----------------------------------------------------------------------


def test_check_schema_refuses_an_older_revision_until_upgraded(database_url: str) -> None:
    with Store(database_url) as store:
        store.upgrade("0001")
        with store.engine.begin() as conn:  # data written under the older schema
            for article in (make_article(1, language="pt-BR"), make_article(2)):
                insert_as_of_0001(conn, article)
                conn.execute(schema.article_order.insert(), {"article_id": article.id})
        with pytest.raises(StoreError) as refused:
            store.check_schema()
        assert str(refused.value) == (
            f"database schema is at revision 0001, this version needs {HEAD}: "
            "run `syndicate db upgrade`"
        )
        assert store.upgrade() is True
        store.check_schema()
        assert store.get(make_article(1).id) == make_article(1, language="pt-BR")
        # revision 0003 gave the stored articles their language links
        assert store.languages() == ["", "pt-br"]
        assert [a.id for a in store.latest(languages=("pt-br",))] == [make_article(1).id]


def test_check_schema_refuses_an_empty_database(database_url: str) -> None:
    with Store(database_url) as store:
        with pytest.raises(StoreError, match="at revision none, this version needs .*db upgrade"):
            store.check_schema()
        assert tables(store) == set()  # checking creates nothing


def test_upgrade_to_an_unknown_revision_raises_store_error(database_url: str) -> None:
    with Store(database_url) as store, pytest.raises(StoreError, match="9999"):
        store.upgrade("9999")


def test_upgrade_from_many_stores_at_once(new_database_url: Callable[[], str]) -> None:
    url = new_database_url()
    errors: list[BaseException] = []
    stores = [Store(url) for _ in range(4)]

    def work(store: Store) -> None:
        try:
            store.upgrade()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert errors == []
    with Store(url) as store:
        store.check_schema()


# -- databases made before migrations ----------------------------------------------------------


def insert_as_of_0001(conn: Connection, article: Any) -> None:
    """An article row with the columns revision 0001 had (no ``status``)."""
    values = article_values(article) | {"revision": 1}
    legacy = table("articles", *(column(name) for name in values))
    conn.execute(legacy.insert().values(values))


def make_legacy_database(store: Store) -> None:
    """The tables ``create_schema`` made before migrations, with one article in them."""
    legacy = [
        schema.articles,
        schema.article_categories,
        schema.article_tags,
        schema.article_authors,
        schema.sources,
        schema.runs,
    ]
    with store.engine.begin() as conn:
        schema.metadata.create_all(conn, tables=legacy)
        conn.execute(text("DROP INDEX ix_runs_started_id"))  # came with revision 0002
        for name, added in (  # came with revision 0004
            ("articles", "status"),
            ("sources", "paused"),
            ("sources", "refresh_requested"),
        ):
            conn.execute(text(f"ALTER TABLE {name} DROP COLUMN {added}"))
        conn.execute(text("CREATE TABLE schema_version (id INTEGER PRIMARY KEY, version INTEGER)"))
        conn.execute(text("INSERT INTO schema_version VALUES (1, 1)"))
        for n in (2, 1):
            article = make_article(n, categories=("News",))
            insert_as_of_0001(conn, article)
            rows = link_rows(article.id, article.categories, article.published)
            conn.execute(schema.article_categories.insert(), rows)


def test_upgrade_adopts_a_database_made_before_migrations(database_url: str) -> None:
    with Store(database_url) as store:
        make_legacy_database(store)
        with pytest.raises(StoreError, match="at revision none"):
            store.check_schema()
        store.upgrade()
        store.check_schema()
        assert "schema_version" not in tables(store)
        assert store.latest(category="news") == [
            make_article(2, categories=("News",)),
            make_article(1, categories=("News",)),
        ]
        # Articles stored before article_order existed were given places in it, oldest first.
        order: Table = schema.article_order
        with store.engine.connect() as conn:
            seqs = conn.execute(order.select().order_by(order.c.seq)).all()
        assert [row.article_id for row in seqs] == [make_article(1).id, make_article(2).id]
        store.upsert(make_article(3))
        assert store.in_stored_order()[-1].id == make_article(3).id


# -- syndicate db ----------------------------------------------------------------------------------


def run_db(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> Any:
    monkeypatch.setenv("SYNDICATE_DATABASE_URL", url)
    return CliRunner().invoke(db_group, list(args))


def test_db_upgrade_then_current(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    first = run_db(monkeypatch, database_url, "upgrade")
    assert first.exit_code == 0, first.output
    assert first.output == f"database upgraded from revision none to {HEAD}\n"
    again = run_db(monkeypatch, database_url, "upgrade")
    assert again.output == f"database already at revision {HEAD}\n"
    current = run_db(monkeypatch, database_url, "current")
    assert current.exit_code == 0
    assert f"database revision: {HEAD}" in current.output
    assert "up to date" in current.output


def test_db_current_on_an_old_database_says_what_to_run(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    with Store(database_url) as store:
        store.upgrade("0001")
    result = run_db(monkeypatch, database_url, "current")
    assert "database revision: 0001" in result.output
    assert "run `syndicate db upgrade`" in result.output


def test_db_upgrade_error_exits_2(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    result = run_db(monkeypatch, database_url, "upgrade", "--to", "9999")
    assert result.exit_code == 2
    assert "database error" in result.output


def test_revision_0004_schedules_articles_already_stored_with_a_future_date(
    database_url: str,
) -> None:
    from datetime import timedelta

    from syndicate.text.dates import utc_now

    with Store(database_url) as store:
        store.upgrade("0003")
        later = make_article(2, published=utc_now() + timedelta(days=1))
        with store.engine.begin() as conn:
            for article in (make_article(1), later):
                insert_as_of_0001(conn, article)
                conn.execute(
                    text("INSERT INTO article_order (article_id) VALUES (:id)"), {"id": article.id}
                )
        store.upgrade()
        assert [a.id for a in store.latest()] == [make_article(1).id]
        assert [a.id for a in store.in_stored_order()] == [make_article(1).id]
        assert store.states.next_release() == later.published
        assert store.states.listed(later.id).status == "scheduled"


def test_the_revisions_read_without_alembic_are_alembics(database_url: str) -> None:
    """Servers check the schema without loading Alembic: the same answers as Alembic's."""
    from syndicate.store import Store, migrations, revisions

    assert revisions.head() == migrations.head()
    empty = Store(database_url)  # makes the SQLite file's folder
    with empty.engine.begin() as conn:
        assert revisions.current(conn) is None and migrations.current(conn) is None
        migrations.upgrade(conn, "0002")
        assert revisions.current(conn) == migrations.current(conn) == "0002"
        migrations.upgrade(conn)
        assert revisions.current(conn) == migrations.current(conn) == revisions.head()
    empty.close()
