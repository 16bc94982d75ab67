"""The store on the database under test: SQLite, or PostgreSQL in ``make test``'s second run.

Tests marked ``sqlite_only`` check SQLite itself (WAL, pragmas, files); everything else runs on
both databases through the ``store`` fixture of ``conftest.py``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from helpers.articles import plain_article
from sqlalchemy import Engine, event, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateIndex, CreateTable

from syndicate.config import Settings
from syndicate.errors import StoreError
from syndicate.model import Article, Block, BlockKind, Category, Media
from syndicate.store import Store, UpsertResult, schema
from syndicate.store import keys as store_keys
from syndicate.store import writes as store_writes
from syndicate.store.articles import latest_query
from syndicate.store.jsoncolumns import load_objects
from syndicate.text.dates import utc_now

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def rich_article() -> Article:
    return Article(
        id="3f2a9c10-1111-5222-8333-444455556666",
        source="wire",
        slug="élan-vital",
        title="Élan vital — 中文标题",
        dek="A dek with “quotes”",
        blocks=(
            Block(BlockKind.HEADING, text="Intro", level=2),
            Block(BlockKind.PARAGRAPH, text="Plain & <b>", html="Plain &amp; <b>bold</b>"),
            Block(BlockKind.QUOTE, text="Quoted.\nTwo lines."),
            Block(
                BlockKind.LIST,
                items=("one", "two"),
                items_html=("<em>one</em>", "two"),
                ordered=True,
                numbers=(2, 1),
            ),
            Block(BlockKind.IMAGE, text="Caption", src="https://example.org/a.jpg", alt="A"),
        ),
        body_html="<h2>Intro</h2><p>Plain &amp; <b>bold</b></p>",
        summary="Plain & bold",
        published=T0,
        updated=T0 + timedelta(minutes=5, microseconds=123456),
        content_hash="c0ffee",
        categories=("World News", "Économie"),
        tags=("élections", "EU"),
        authors=("Ada Lovelace",),
        date_estimated=True,
        language="fr",
        link="https://example.org/elan",
        media=(
            Media("https://example.org/a.jpg", type="image/jpeg", length=1234, title="Lead"),
            Media("https://example.org/b.mp3"),
        ),
        word_count=42,
    )


@pytest.fixture
def db_path(settings: Settings) -> Path:
    """The SQLite file of the test database (``sqlite_only`` tests)."""
    database = make_url(settings.database_url).database
    assert database, "db_path is for SQLite tests"
    return Path(database)


@contextmanager
def statements(*verbs: str) -> Iterator[list[str]]:
    """Collect the SQL any engine sends that starts with one of ``verbs``."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith(verbs):
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


@pytest.fixture
def writes() -> Iterator[list[str]]:
    """Every INSERT/UPDATE/DELETE any engine sends while the test runs."""
    with statements("INSERT", "UPDATE", "DELETE") as seen:
        yield seen


def raw(db_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(db_path)


def execute(store: Store, sql: str) -> list[tuple[Any, ...]]:
    """Run SQL on the store's database behind its back, committed; returns the rows, if any."""
    with store.engine.begin() as conn:
        result = conn.execute(text(sql))
        return [tuple(row) for row in result] if result.returns_rows else []


def ids(articles: list[Article]) -> list[str]:
    return [article.id for article in articles]


# -- round trip ---------------------------------------------------------------------------


def test_store_round_trip_keeps_every_field(store: Store) -> None:
    article = rich_article()
    assert store.upsert(article) is UpsertResult.INSERTED
    assert store.get(article.id) == article
    assert store.get_by_slug("élan-vital") == article
    assert store.latest() == [article]


def test_store_get_unknown_returns_none(store: Store) -> None:
    assert store.get("nope") is None
    assert store.get_by_slug("nope") is None


def test_store_datetimes_come_back_aware_utc(store: Store) -> None:
    store.upsert(rich_article())
    article = store.latest()[0]
    newest = store.newest_updated()
    assert newest is not None
    for value in (article.published, article.updated, newest):
        assert value.utcoffset() == timedelta(0)
    assert newest == rich_article().updated


def test_store_converts_other_offsets_to_utc(store: Store) -> None:
    at = datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    store.record_success("feed", at=at)
    state = store.source_state("feed")
    assert state is not None and state.last_success == at
    assert state.last_success.utcoffset() == timedelta(0)
    assert state.last_success.hour == 12


def test_store_unreadable_json_raises_store_error(store: Store) -> None:
    store.upsert(plain_article(1))
    execute(store, 'UPDATE articles SET blocks = \'[{"kind": "paragraph", "x": 1}]\'')
    with pytest.raises(StoreError, match="cannot read"):
        store.get(plain_article(1).id)


# -- upsert ---------------------------------------------------------------------------------


def test_upsert_unchanged_hash_writes_nothing(store: Store, writes: list[str]) -> None:
    article = rich_article()
    store.upsert(article)
    writes.clear()
    same_hash = replace(article, title="Same hash", updated=T0 + timedelta(days=1))
    assert store.upsert(same_hash) is UpsertResult.UNCHANGED
    assert store.upsert(article) is UpsertResult.UNCHANGED
    assert store.upsert_many([same_hash, article]) == Counter({UpsertResult.UNCHANGED: 2})
    assert writes == []
    assert execute(store, "SELECT revision FROM articles") == [(1,)]
    assert store.get(article.id) == article


@pytest.mark.sqlite_only("PRAGMA data_version")
def test_upsert_unchanged_hash_leaves_the_sqlite_file_alone(store: Store, db_path: Path) -> None:
    article = rich_article()
    store.upsert(article)
    with raw(db_path) as conn:
        version_before = conn.execute("PRAGMA data_version").fetchone()
        store.upsert(replace(article, title="Same hash"))
        store.upsert_many([article])
        # data_version changes when another connection commits a change to the file.
        assert conn.execute("PRAGMA data_version").fetchone() == version_before


def test_upsert_changed_hash_updates_in_place(store: Store) -> None:
    original = plain_article(1, categories=("News",))
    store.upsert(original)
    edited = replace(
        original,
        title="Article 1, corrected",
        slug="article-1-corrected",
        published=T0 + timedelta(days=3),
        updated=original.updated + timedelta(hours=2),
        content_hash="hash-1b",
    )
    assert store.upsert(edited) is UpsertResult.UPDATED
    stored = store.get(original.id)
    assert stored == replace(edited, slug=original.slug, published=original.published)
    assert stored.updated > original.updated
    assert store.count() == 1
    assert store.get_by_slug("article-1-corrected") is None
    assert execute(store, "SELECT revision FROM articles") == [(2,)]


SEEN = T0 + timedelta(days=30)


@pytest.mark.parametrize(
    ("incoming", "seen", "expected"),
    [
        (T0 + timedelta(hours=1), SEEN, T0 + timedelta(hours=1)),  # the source dates its edit
        (T0, SEEN, SEEN),  # no later date from the source: when the edit was seen
        (T0 - timedelta(days=1), SEEN, SEEN),  # an older date is no edit time either
        (T0, T0 - timedelta(hours=5), T0 + timedelta(seconds=1)),  # a clock behind: forward
    ],
    ids=["source-dated", "seen", "older", "clock-behind"],
)
def test_upsert_updated_is_the_sources_date_or_when_the_edit_was_seen(
    store: Store, incoming: datetime, seen: datetime, expected: datetime
) -> None:
    article = plain_article(0, published=T0 - timedelta(days=2), updated=T0)
    store.upsert(article)
    store.upsert(replace(article, content_hash="changed", updated=incoming, seen=seen))
    stored = store.get(article.id)
    assert stored is not None and stored.updated == expected


def test_upsert_updated_without_a_seen_time_is_now(store: Store) -> None:
    article = plain_article(0, published=T0 - timedelta(days=2), updated=T0)
    store.upsert(article)
    before = utc_now().replace(microsecond=0)
    store.upsert(replace(article, content_hash="changed"))
    stored = store.get(article.id)
    assert stored is not None and before <= stored.updated <= utc_now()


REAL = T0 + timedelta(days=1)


@pytest.mark.parametrize(
    ("stored_estimated", "new_estimated", "published", "estimated"),
    [
        (False, False, T0, False),  # first real date wins
        (False, True, T0, False),  # an estimate never replaces a real date
        (True, True, T0, True),  # first estimate wins
        (True, False, REAL, False),  # a real date replaces an estimate
    ],
    ids=["real-real", "real-estimated", "estimated-estimated", "estimated-real"],
)
def test_upsert_published_rules(
    store: Store,
    stored_estimated: bool,
    new_estimated: bool,
    published: datetime,
    estimated: bool,
) -> None:
    first = plain_article(0, published=T0, updated=T0, date_estimated=stored_estimated)
    store.upsert(first)
    second = replace(
        first,
        published=REAL,
        updated=REAL,
        date_estimated=new_estimated,
        content_hash="changed",
        categories=("News",),
    )
    store.upsert(second)
    stored = store.get(first.id)
    assert stored is not None
    assert (stored.published, stored.date_estimated) == (published, estimated)
    # The link tables follow, so before= pagination in a category agrees with the article.
    assert store.latest(category="news", before=(published, first.id + "~")) == [stored]


def test_upsert_replaces_categories_tags_and_authors(store: Store) -> None:
    article = plain_article(1, categories=("Old",), tags=("a",), authors=("Ann",))
    store.upsert(article)
    changed = replace(article, categories=("New",), tags=("b",), authors=("Bob",), content_hash="x")
    store.upsert(changed)
    assert store.latest(category="old") == []
    assert store.latest(tag="a") == []
    assert store.latest(author="ann") == []
    assert ids(store.latest(category="new", tag="b", author="bob")) == [article.id]
    assert [c.slug for c in store.categories()] == ["new"]


def test_upsert_slug_taken_gets_id_suffix(store: Store) -> None:
    first = plain_article(1, id="abcdef01", slug="same")
    second = plain_article(2, id="abcdef02", slug="same")
    third = plain_article(3, id="abcdef03", slug="same")
    for article in (first, second, third):
        assert store.upsert(article) is UpsertResult.INSERTED
    assert [store.get(a.id).slug for a in (first, second, third)] == [  # type: ignore[union-attr]
        "same",
        "same-abcdef",
        "same-abcdef-2",
    ]
    # An update keeps the slug it was given, even when its own slug is free again.
    store.upsert(replace(second, content_hash="changed"))
    assert store.get(second.id).slug == "same-abcdef"  # type: ignore[union-attr]


def test_upsert_many_counts_in_batches(settings: Settings) -> None:
    with Store(settings.database_url, batch_size=3) as store:
        store.create_schema()
        commits: list[object] = []

        def count(conn: object) -> None:
            commits.append(conn)

        event.listen(store.engine, "commit", count)
        first = store.upsert_many(plain_article(n) for n in range(10))
        event.remove(store.engine, "commit", count)
        assert first == Counter({UpsertResult.INSERTED: 10})
        assert len(commits) == 4  # one write transaction per batch: 3 + 3 + 3 + 1

        # Articles 0 and 1 changed, 2..9 did not, 10 and 11 are new.
        changed = {0: "v2-0", 1: "v2-1"}
        again = (plain_article(n, content_hash=changed.get(n, f"hash-{n}")) for n in range(12))
        assert store.upsert_many(again) == Counter(
            {UpsertResult.UPDATED: 2, UpsertResult.UNCHANGED: 8, UpsertResult.INSERTED: 2}
        )
        assert store.count() == 12
        assert store.upsert_many([]) == Counter()


def test_upsert_from_many_threads(store: Store) -> None:
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for n in range(offset, offset + 20):
                store.upsert(plain_article(n, slug="shared" if n % 5 == 0 else f"a-{n}"))
                store.latest(limit=5)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i * 20,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.count() == 80
    assert len({a.slug for a in store.latest(limit=100)}) == 80


def test_upsert_many_inserts_new_articles_in_a_few_statements(
    store: Store, writes: list[str]
) -> None:
    batch = [plain_article(n, categories=("News",), tags=("a", "b")) for n in range(50)]
    assert store.upsert_many(batch) == Counter({UpsertResult.INSERTED: 50})
    # articles, order, change log, categories, tags: one multi-row INSERT each (no authors).
    assert len(writes) <= 5 * 2, writes  # a driver may split a long INSERT in pages
    assert store.latest(category="news", tag="b", limit=100) == batch[::-1]


def test_upsert_many_gives_slugs_as_one_by_one_would(store: Store) -> None:
    store.upsert(plain_article(0, id="abcdef00", slug="same"))
    batch = [plain_article(n, id=f"abcdef0{n}", slug="same") for n in (1, 2)]
    batch += [plain_article(3, id="abcdef03", slug="")]  # no slug: the id stands in
    store.upsert_many(batch)
    assert [store.get(a.id).slug for a in batch] == [  # type: ignore[union-attr]
        "same-abcdef",
        "same-abcdef-2",
        "abcdef03",
    ]


def test_upsert_many_same_article_twice_in_a_batch(store: Store) -> None:
    first = plain_article(1)
    second = replace(first, content_hash="v2", updated=first.updated + timedelta(hours=1))
    results = store.upsert_many([first, plain_article(2), second, first])
    # As one by one: inserted, inserted, updated, then the v1 hash is a change again.
    assert results == Counter({UpsertResult.INSERTED: 2, UpsertResult.UPDATED: 2})
    stored = store.get(first.id)
    assert stored is not None and stored.content_hash == first.content_hash
    assert execute(store, "SELECT revision FROM articles ORDER BY id") == [(3,), (1,)]


def test_upsert_many_falls_back_when_another_writer_got_there_first(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.upsert(plain_article(1))
    # Pretend the batch's read saw nothing, as when another process stores article 1 between
    # our read and our insert: the bulk insert fails and each article goes one by one.
    real = store_writes._insert_fresh

    def as_if_unseen(conn: Any, fresh: list[Any], rule: Any) -> Any:
        first = plain_article(1)
        unseen = store_keys.Plan(first, None, True, first.id, (first.id,))
        return real(conn, [unseen, *fresh], rule)

    monkeypatch.setattr(store_writes, "_insert_fresh", as_if_unseen)
    results = store.upsert_many([plain_article(2), plain_article(3)])
    monkeypatch.undo()
    assert results == Counter({UpsertResult.INSERTED: 2})
    assert store.count() == 3
    assert execute(store, "SELECT count(*) FROM article_order") == [(3,)]


# -- reading ----------------------------------------------------------------------------------


def test_latest_newest_first_ties_broken_by_id(store: Store) -> None:
    same_time = T0 + timedelta(days=1)
    articles = [
        plain_article(1),
        plain_article(2, published=same_time),
        plain_article(3, published=same_time),
        plain_article(4),
    ]
    store.upsert_many(reversed(articles))
    assert ids(store.latest()) == [articles[2].id, articles[1].id, articles[3].id, articles[0].id]


def test_latest_limit(store: Store) -> None:
    store.upsert_many(plain_article(n) for n in range(10))
    assert ids(store.latest(limit=3)) == [plain_article(n).id for n in (9, 8, 7)]
    with pytest.raises(ValueError, match="limit"):
        store.latest(limit=0)


FILTERED = [
    plain_article(1, categories=("World", "Science"), tags=("space",), authors=("Ann Lee",)),
    plain_article(2, categories=("World",), tags=("war", "Space"), authors=("Bob",)),
    plain_article(3, categories=("Science & Tech",), authors=("Ann Lee", "Bob")),
    plain_article(4),
]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, [4, 3, 2, 1]),
        ({"category": "world"}, [2, 1]),
        ({"category": "science"}, [1]),
        ({"category": "science-tech"}, [3]),
        ({"category": "World"}, []),  # filters take slugs, not names
        ({"tag": "space"}, [2, 1]),
        ({"author": "ann-lee"}, [3, 1]),
        ({"author": "bob", "category": "world"}, [2]),
        ({"category": "world", "tag": "space", "author": "ann-lee"}, [1]),
        ({"category": "nowhere"}, []),
    ],
    ids=lambda value: (
        "-".join(f"{k}={v}" for k, v in value.items()) or "none"
        if isinstance(value, dict)
        else None
    ),
)
def test_latest_filters_by_slug(store: Store, filters: dict[str, Any], expected: list[int]) -> None:
    store.upsert_many(FILTERED)
    assert ids(store.latest(**filters)) == [plain_article(n).id for n in expected]


@pytest.mark.parametrize("category", [None, "all"])
def test_latest_before_pages_through_everything(store: Store, category: str | None) -> None:
    # Ties on published across page boundaries are the case keyset paging must get right.
    articles = [
        plain_article(n, published=T0 + timedelta(hours=n // 3), categories=("All",))
        for n in range(11)
    ]
    store.upsert_many(articles)
    everything = store.latest(category=category, limit=100)
    pages: list[Article] = []
    before = None
    while page := store.latest(category=category, limit=4, before=before):
        pages += page
        before = (page[-1].published, page[-1].id)
    assert pages == everything
    assert len(pages) == 11


def test_categories_tags_and_authors_list_counts_by_name(store: Store) -> None:
    store.upsert_many(FILTERED)
    assert store.categories() == [
        Category("Science", "science", count=1),
        Category("Science & Tech", "science-tech", count=1),
        Category("World", "world", count=2),
    ]
    assert store.category("world") == Category("World", "world", count=2)
    assert store.category("missing") is None
    assert store.category_name("world") == "World"
    assert store.category_name("missing") is None
    # Two spellings of one slug: the listing shows the first in byte order ("Space"), on both
    # databases: names compare bytewise (collation "C" on PostgreSQL).
    assert store.tags() == [Category("Space", "space", count=2), Category("war", "war", count=1)]
    assert [(a.slug, a.count) for a in store.authors()] == [("ann-lee", 2), ("bob", 2)]


def test_category_name_picks_the_listed_spelling_without_counting(store: Store) -> None:
    store.upsert_many(
        [
            plain_article(1, categories=("world",)),
            plain_article(2, categories=("World",)),
        ]
    )
    assert store.category_name("world") == store.category("world").name == "World"


def test_categories_duplicate_slugs_on_one_article_link_once(store: Store) -> None:
    article = plain_article(1, categories=("News", "news", "NEWS!", "!!!"))
    store.upsert(article)
    assert store.categories() == [Category("News", "news", count=1)]
    assert store.get(article.id) == article  # the names themselves are kept as given


def test_count_and_newest_updated(store: Store) -> None:
    assert store.count() == 0
    assert store.newest_updated() is None
    store.upsert_many(FILTERED)
    assert store.count() == 4
    assert store.newest_updated() == plain_article(4).updated
    assert store.newest_updated("world") == plain_article(2).updated
    assert store.newest_updated("nowhere") is None


# -- sources and runs ---------------------------------------------------------------------------


def test_source_state_counts_failures_and_resets_on_success(store: Store) -> None:
    assert store.source_state("feed") is None
    store.record_failure("feed", "timeout", at=T0)
    store.record_failure("feed", "HTTP 500", at=T0 + timedelta(minutes=1))
    state = store.source_state("feed")
    assert state is not None
    assert (state.consecutive_failures, state.failure_message) == (2, "HTTP 500")
    assert state.last_failure == T0 + timedelta(minutes=1)
    store.record_success("feed", at=T0 + timedelta(minutes=2), etag='"v1"', last_modified="x")
    state = store.source_state("feed")
    assert state is not None
    assert state.consecutive_failures == 0
    assert (state.etag, state.last_modified) == ('"v1"', "x")
    assert state.last_success == T0 + timedelta(minutes=2)
    assert state.failure_message == "HTTP 500"  # kept as history


def test_record_success_none_keeps_validators_and_empty_clears(store: Store) -> None:
    store.record_success("feed", at=T0, etag='"v1"', last_modified="Mon")
    store.record_success("feed", at=T0)  # a 304 without validators
    state = store.source_state("feed")
    assert state is not None and (state.etag, state.last_modified) == ('"v1"', "Mon")
    store.record_success("feed", at=T0, etag="", last_modified="")
    state = store.source_state("feed")
    assert state is not None and (state.etag, state.last_modified) == ("", "")


def test_log_run_and_recent_runs(store: Store) -> None:
    first = store.log_run("a", started=T0, duration=1.5, outcome="ok", new=3)
    second = store.log_run(
        "b", started=T0 + timedelta(minutes=1), duration=0.2, outcome="failed", message="HTTP 500"
    )
    third = store.log_run(
        "a", started=T0 + timedelta(minutes=2), duration=0.1, outcome="ok", unchanged=3
    )
    assert [run.id for run in store.recent_runs()] == [third, second, first]
    runs = store.recent_runs("a", limit=1)
    assert len(runs) == 1
    assert (runs[0].source, runs[0].unchanged, runs[0].started) == ("a", 3, runs[0].started)
    assert runs[0].started == T0 + timedelta(minutes=2)
    assert store.recent_runs("b")[0].message == "HTTP 500"


# -- the database itself -----------------------------------------------------------------------


@pytest.mark.sqlite_only("WAL and connection pragmas")
def test_store_sqlite_runs_in_wal_mode_with_pragmas(store: Store, db_path: Path) -> None:
    with raw(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with store.engine.connect() as conn:  # per-connection settings
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() > 0


@pytest.mark.sqlite_only("the database file's folder")
def test_store_creates_parent_folder(db_path: Path, store: Store) -> None:
    assert db_path.parent.is_dir() and db_path.exists()


def test_two_stores_on_one_database_see_each_others_writes(
    store: Store, settings: Settings
) -> None:
    with Store(settings.database_url) as other:
        other.create_schema()  # harmless on an existing database
        store.upsert(plain_article(1))
        assert other.get(plain_article(1).id) == plain_article(1)
        other.upsert(plain_article(2))
        assert ids(store.latest()) == [plain_article(2).id, plain_article(1).id]


def test_create_schema_upgrades_to_head_and_is_idempotent(store: Store) -> None:
    assert store.revision() == store.head_revision()
    store.create_schema()
    store.check_schema()
    assert store.upgrade() is False  # nothing left to run


def test_store_without_schema_raises_store_error(database_url: str) -> None:
    with Store(database_url) as bare:
        assert bare.revision() is None
        with pytest.raises(StoreError, match="no such table|does not exist"):
            bare.get("x")


@pytest.mark.sqlite_only("SQLite file paths")
def test_store_error_when_parent_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot open"):
        Store(f"sqlite:///{blocker}/syndicate.db")


@pytest.mark.sqlite_only("SQLite file paths")
def test_store_error_when_database_path_is_a_folder(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path}") as store, pytest.raises(StoreError, match="unable to open"):
        store.create_schema()


@pytest.mark.parametrize(
    ("url", "message"),
    [("nosuchdb://x", "cannot open"), ("not a url", "cannot read the database URL")],
)
def test_store_error_on_bad_url(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        Store(url)


def test_store_error_hides_password() -> None:
    with pytest.raises(StoreError) as caught:
        Store("nosuchdb://user:s3cret@host/db")
    assert "s3cret" not in str(caught.value)


# -- portability --------------------------------------------------------------------------------


def test_schema_compiles_for_postgresql() -> None:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    for table in schema.metadata.sorted_tables:
        assert "CREATE TABLE" in str(CreateTable(table).compile(dialect=dialect))
        for index in table.indexes:
            str(CreateIndex(index).compile(dialect=dialect))
    ddl = str(CreateTable(schema.articles).compile(dialect=dialect))
    assert "TIMESTAMP WITH TIME ZONE" in ddl


def test_latest_query_compiles_for_postgresql() -> None:
    wanted = {"categories": "world", "tags": "space", "authors": None}
    query = latest_query(wanted, 10, (T0, "id"), now=T0)
    sql = str(query.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]
    assert "ORDER BY article_categories.published DESC, article_categories.article_id DESC" in sql
    assert "LIMIT" in sql


@pytest.mark.parametrize(
    "stored",
    ['[{"kind": "list", "numbers": ["1"]}]', '[{"kind": "list", "numbers": [true]}]'],
)
def test_store_block_numbers_of_the_wrong_type_are_refused(stored: str) -> None:
    with pytest.raises(ValueError, match="list of integers"):
        load_objects(stored, Block)
