"""The store's tables.

Only portable types are used: text, integers, booleans, floats, bytes and :class:`UTCDateTime`.
Blocks, media and the category/tag/author names of an article are JSON text on the article
row (read and written by :mod:`.jsoncolumns`; :mod:`.rows` maps articles onto rows and back),
so one row reads back into one article. The link tables (``article_categories`` and
friends) exist for filtering: each repeats the article's ``published`` so a per-category feed
is one range scan of ``(slug, published desc, article_id desc)`` joined to the articles by
primary key.

The tables are SQLAlchemy Core metadata shared by SQLite and PostgreSQL; only the modules of
``syndicate.store`` and its Alembic migrations use this module. Every change here needs a new
migration in ``syndicate/store/migrations/versions`` that
brings existing databases to the same shape: a test compares a migrated database with this
metadata on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

# Constraint names, so that later migrations (SQLite rebuilds tables to alter them) can name
# what they change. Indexes are named where they are declared.
NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores ``timestamptz`` and hands back aware values in the session's zone, which
    are converted to UTC. SQLite has no time zones: values are stored as naive UTC in
    SQLAlchemy's fixed-width ``YYYY-MM-DD HH:MM:SS.ffffff`` text, which sorts in time order,
    and are made aware again when read. Naive values are refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"refusing to store naive datetime {value.isoformat()}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Ids, slugs and names compare byte by byte on both backends: SQLite's default (BINARY) is
# that already; PostgreSQL gets the "C" collation, so keyset paging on ``(published, id)``
# orders ties as SQLite does whatever the database's locale, and key comparisons skip the
# locale's rules.
KEY = String().with_variant(String(collation="C"), "postgresql")

metadata = MetaData(naming_convention=NAMING_CONVENTION)

articles = Table(
    "articles",
    metadata,
    Column("id", KEY, primary_key=True),
    Column("source", KEY, nullable=False),
    Column("slug", KEY, nullable=False),
    Column("title", Text, nullable=False),
    Column("dek", Text, nullable=False, default=""),
    Column("blocks", Text, nullable=False),  # JSON list of Block objects
    Column("body_html", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("published", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
    Column("date_estimated", Boolean, nullable=False),
    Column("content_hash", String, nullable=False),
    Column("categories", Text, nullable=False),  # JSON list of names, in input order
    Column("tags", Text, nullable=False),
    Column("authors", Text, nullable=False),
    Column("language", String, nullable=False),
    Column("link", Text, nullable=False),
    Column("media", Text, nullable=False),  # JSON list of Media objects
    Column("word_count", Integer, nullable=False),
    # Bumped on every update: cache keys and tests can see whether a row was rewritten.
    Column("revision", Integer, nullable=False, default=1),
    # "published", or "unpublished" (kept, hidden, restorable): see STATUSES. A deleted article
    # has no row here any more, only its tombstone.
    Column("status", String, nullable=False, default="published", server_default="published"),
    Index("ix_articles_slug", "slug", unique=True),
    Index("ix_articles_source", "source"),
)
Index("ix_articles_published_id", articles.c.published.desc(), articles.c.id.desc())


def _link_table(name: str) -> Table:
    """A filter table: one row per (article, slug); the display name comes along for listings."""
    table = Table(
        name,
        metadata,
        Column(
            "article_id",
            KEY,
            ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column("slug", KEY, primary_key=True),
        Column("name", KEY, nullable=False),
        Column("published", UTCDateTime, nullable=False),  # copy of articles.published
    )
    Index(
        f"ix_{name}_slug_published",
        table.c.slug,
        table.c.published.desc(),
        table.c.article_id.desc(),
    )
    return table


article_categories = _link_table("article_categories")
article_tags = _link_table("article_tags")
article_authors = _link_table("article_authors")
# One row per article: the slug of its language tag ("pt-br"), "" when it has none (readers
# take it to be in the site's language, which the store does not know).
article_languages = _link_table("article_languages")
# Article attribute -> its link table, for the filters and writes that go through all of them.
LINK_TABLES: tuple[tuple[str, Table], ...] = (
    ("categories", article_categories),
    ("tags", article_tags),
    ("authors", article_authors),
    ("languages", article_languages),
)

# Append-only log of article writes (one row per insert or update). Its highest ``seq`` is the
# store's content version: a web process reads the rows past the last one it saw (one indexed
# read) to learn which articles another process wrote, and drops only their feeds' caches.
article_changes = Table(
    "article_changes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("article_id", KEY, nullable=False),
)

# The order articles were first stored in. RFC 5005 archive pages are fixed slices of it, so an
# article stored late with an old date joins the newest page instead of rewriting full ones.
article_order = Table(
    "article_order",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column(
        "article_id",
        KEY,
        ForeignKey("articles.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
)

# Articles dated in the future: stored, shown nowhere until ``at`` (their published time).
# They get their place in ``article_order`` when released, so an archive page never gains a
# member when a scheduled article appears: it joins the newest page.
article_schedule = Table(
    "article_schedule",
    metadata,
    Column(
        "article_id",
        KEY,
        ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_article_schedule_at", "at"),
)

# What is left of a removed article: enough to answer 410 Gone for its page, to write an
# RFC 6721 tombstone into the feeds it was in (its names) and to keep a refresh of its
# source from bringing it back. ``status`` is "unpublished" (the article row is kept, hidden)
# or "deleted" (the article row is gone for good).
tombstones = Table(
    "tombstones",
    metadata,
    Column("article_id", KEY, primary_key=True),
    Column("source", KEY, nullable=False),
    Column("slug", KEY, nullable=False),
    Column("title", Text, nullable=False),
    Column("link", Text, nullable=False),
    Column("status", String, nullable=False),
    Column("removed", UTCDateTime, nullable=False),  # RFC 6721 "when"
    Column("categories", Text, nullable=False),  # JSON lists of names, as on the article
    Column("tags", Text, nullable=False),
    Column("authors", Text, nullable=False),
    Column("language", String, nullable=False, default=""),
    Index("ix_tombstones_slug", "slug"),
    Index("ix_tombstones_removed", "removed"),
)

# How each article is found when its input comes again: by the id the current rule gives that
# input (``normalize.article_key``). An article stored since this table exists is its own key.
# One stored by an earlier version (under the id of its link or of its title) has no row until
# an input arrives whose legacy ids name it: that input then takes it over, at its stored id,
# so no published id ever changes. At most one key per article, so two inputs that once shared
# a title id (two files called "Weather update") become two articles again.
article_keys = Table(
    "article_keys",
    metadata,
    Column("key_id", KEY, primary_key=True),
    Column(
        "article_id",
        KEY,
        ForeignKey("articles.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
)

sources = Table(
    "sources",
    metadata,
    Column("name", KEY, primary_key=True),
    Column("etag", String),  # validators of the last successful response, sent back verbatim
    Column("last_modified", String),
    Column("last_success", UTCDateTime),
    Column("last_failure", UTCDateTime),
    Column("failure_message", Text),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    # Requests of operators, carried out by the scheduler: no job while paused; a refresh as
    # soon as it sees a request newer than the source's last run.
    Column("paused", Boolean, nullable=False, default=False, server_default="0"),
    Column("refresh_requested", UTCDateTime),
)

# Sources added over HTTP or the CLI (the configuration file's own are not here): ``definition``
# is the JSON object of the same keys a ``[[sources]]`` table has, checked by the same rules.
managed_sources = Table(
    "managed_sources",
    metadata,
    Column("name", KEY, primary_key=True),
    Column("definition", Text, nullable=False),
    Column("created", UTCDateTime, nullable=False),
)

# API tokens: only the SHA-256 of each is kept (see syndicate.store.tokens for why a plain hash).
tokens = Table(
    "tokens",
    metadata,
    Column("name", KEY, primary_key=True),
    Column("scope", String, nullable=False),
    Column("digest", String, nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Column("last_used", UTCDateTime),
    Column("revoked", UTCDateTime),
    Index("ix_tokens_digest", "digest", unique=True),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", KEY, nullable=False),
    Column("started", UTCDateTime, nullable=False),
    Column("duration", Float, nullable=False),  # seconds
    Column("outcome", String, nullable=False),
    Column("new", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("message", Text, nullable=False, default=""),
    Index("ix_runs_source_started", "source", "started"),
)
Index("ix_runs_started_id", runs.c.started.desc(), runs.c.id.desc())

# One row per running scheduler (``host:pid``), rewritten at every tick: web processes read
# the newest to tell a load balancer whether refreshes still happen (``/healthz?deep=1``).
scheduler_ticks = Table(
    "scheduler_ticks",
    metadata,
    Column("scheduler", KEY, primary_key=True),
    Column("started", UTCDateTime, nullable=False),
    Column("ticked", UTCDateTime, nullable=False),
)


# -- reach: the built-in WebSub hub, partners, who polls the feeds ---------------------------

# Subscriptions of the built-in hub, one per (topic, callback), kept after they end (their
# ``state`` says how) so a listing can tell what happened. A delivery is due when the topic's
# document (``websub_documents.seq``) is newer than ``delivered_seq``: ``next_attempt`` is then
# set, pushed forward while a worker holds it (a claim) and by the backoff after a failure.
websub_subscriptions = Table(
    "websub_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("topic", KEY, nullable=False),
    Column("callback", Text, nullable=False),
    Column("state", String, nullable=False),  # active, failing, expired, unsubscribed, gone
    Column("secret", Text),
    Column("lease_seconds", Integer, nullable=False),
    Column("lease_end", UTCDateTime, nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Column("verified", UTCDateTime, nullable=False),
    Column("delivered_seq", Integer, nullable=False, default=0),
    Column("next_attempt", UTCDateTime),
    Column("failures", Integer, nullable=False, default=0),
    Column("failing_since", UTCDateTime),  # the first failure of the failures in a row
    Column("last_attempt", UTCDateTime),
    Column("last_delivery", UTCDateTime),
    Column("last_status", Text, nullable=False, default=""),
    Index("ix_websub_subscriptions_topic_callback", "topic", "callback", unique=True),
    Index("ix_websub_subscriptions_next_attempt", "next_attempt"),
)

# (Un)subscription requests answered 202 and waiting for their intent to be verified (§5.3).
websub_requests = Table(
    "websub_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("topic", KEY, nullable=False),
    Column("callback", Text, nullable=False),
    Column("mode", String, nullable=False),  # subscribe or unsubscribe
    Column("secret", Text),
    Column("lease_seconds", Integer, nullable=False),
    Column("received", UTCDateTime, nullable=False),
    Column("next_attempt", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Index("ix_websub_requests_next_attempt", "next_attempt"),
)

# The newest bytes of each topic that has subscribers, as its writer rendered them: what every
# delivery sends, from whichever process or machine delivers it. ``seq`` counts the changes.
websub_documents = Table(
    "websub_documents",
    metadata,
    Column("topic", KEY, primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("content_type", String, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("changed", UTCDateTime, nullable=False),
)

# Partners' terms. Each partner's read key is a row of ``tokens`` of the same name (scope
# ``partner``): hashed, checked and revoked like every token. ``categories`` is a JSON list
# of category names ([]: all of them).
partners = Table(
    "partners",
    metadata,
    Column("name", KEY, primary_key=True),
    Column("categories", Text, nullable=False),
    Column("full_text", Boolean, nullable=False),
    Column("created", UTCDateTime, nullable=False),
)

# Who polled each feed, per UTC day: one row per client (a salted hash of address and
# User-Agent, never the address) and feed (its name, all formats) and partner ("": the
# public). ``aggregator`` names the aggregator a User-Agent reports subscribers for ("" for
# a reader); ``agent`` is the User-Agent's product name, for the top readers.
feed_polls = Table(
    "feed_polls",
    metadata,
    Column("day", KEY, primary_key=True),  # YYYY-MM-DD, UTC
    Column("feed", KEY, primary_key=True),
    Column("partner", KEY, primary_key=True),
    Column("client", KEY, primary_key=True),
    Column("agent", String, nullable=False),
    Column("aggregator", String, nullable=False),
    Column("polls", Integer, nullable=False),
    Column("conditional", Integer, nullable=False),  # polls with If-None-Match/-Modified-Since
    Column("not_modified", Integer, nullable=False),  # answered 304
    Column("bytes_sent", BigInteger, nullable=False),
    Column("bytes_saved", BigInteger, nullable=False),  # the bodies 304s did not send
    Column("last_seen", UTCDateTime, nullable=False),
    Index("ix_feed_polls_feed_day", "feed", "day"),
)

# The subscribers an aggregator's User-Agent reported for a feed, the latest of each day, per
# aggregator and ``ident`` (its feed id when it gives one, else the URL path it polled).
aggregator_reports = Table(
    "aggregator_reports",
    metadata,
    Column("day", KEY, primary_key=True),
    Column("feed", KEY, primary_key=True),
    Column("aggregator", KEY, primary_key=True),
    Column("ident", KEY, primary_key=True),
    Column("subscribers", Integer, nullable=False),
    Column("reported", UTCDateTime, nullable=False),
    Index("ix_aggregator_reports_feed_day", "feed", "day"),
)


PUBLISHED, UNPUBLISHED, DELETED = "published", "unpublished", "deleted"
STATUSES = (PUBLISHED, UNPUBLISHED, DELETED)
