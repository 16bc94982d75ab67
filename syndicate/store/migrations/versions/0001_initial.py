"""Initial schema: articles, their category/tag/author links, change log, order, sources, runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Databases made before migrations existed (by ``Store.create_schema``) already hold some or all
of these tables, with the same columns: this revision adopts them. It creates only the tables
that are missing, gives articles stored before ``article_order`` existed their place in it
(oldest first), and drops the old one-row ``schema_version`` table, which
``alembic_version`` replaces.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the column types in syndicate/store/schema.py as of this revision.
KEY = sa.String().with_variant(sa.String(collation="C"), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
LINK_TABLES = ("article_categories", "article_tags", "article_authors")


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    creators = [("articles", _articles)]
    creators += [(name, _link_table) for name in LINK_TABLES]
    creators += [
        ("article_changes", _article_changes),
        ("article_order", _article_order),
        ("sources", _sources),
        ("runs", _runs),
    ]
    for name, create in creators:
        if name not in existing:
            create(name)
    if "articles" in existing:
        _backfill_order()
    if "schema_version" in existing:
        op.drop_table("schema_version")


def downgrade() -> None:
    for name in ("runs", "sources", "article_order", "article_changes", *LINK_TABLES):
        op.drop_table(name)
    op.drop_table("articles")


def _articles(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", KEY, nullable=False),
        sa.Column("source", KEY, nullable=False),
        sa.Column("slug", KEY, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("dek", sa.Text(), nullable=False),
        sa.Column("blocks", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("published", TIMESTAMP, nullable=False),
        sa.Column("updated", TIMESTAMP, nullable=False),
        sa.Column("date_estimated", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("authors", sa.Text(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("media", sa.Text(), nullable=False),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
    )
    op.create_index("ix_articles_slug", name, ["slug"], unique=True)
    op.create_index("ix_articles_source", name, ["source"])
    op.create_index(
        "ix_articles_published_id", name, [sa.text("published DESC"), sa.text("id DESC")]
    )


def _link_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("article_id", KEY, nullable=False),
        sa.Column("slug", KEY, nullable=False),
        sa.Column("name", KEY, nullable=False),
        sa.Column("published", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=f"fk_{name}_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "slug", name=f"pk_{name}"),
    )
    op.create_index(
        f"ix_{name}_slug_published",
        name,
        ["slug", sa.text("published DESC"), sa.text("article_id DESC")],
    )


def _article_changes(name: str) -> None:
    op.create_table(
        name,
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", KEY, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_article_changes"),
    )


def _article_order(name: str) -> None:
    op.create_table(
        name,
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", KEY, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_article_order"),
        sa.UniqueConstraint("article_id", name="uq_article_order_article_id"),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_article_order_article_id_articles",
            ondelete="CASCADE",
        ),
    )


def _sources(name: str) -> None:
    op.create_table(
        name,
        sa.Column("name", KEY, nullable=False),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("last_success", TIMESTAMP, nullable=True),
        sa.Column("last_failure", TIMESTAMP, nullable=True),
        sa.Column("failure_message", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_sources"),
    )


def _runs(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", KEY, nullable=False),
        sa.Column("started", TIMESTAMP, nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_source_started", name, ["source", "started"])


def _backfill_order() -> None:
    """Articles stored before ``article_order`` existed join it oldest first."""
    articles = sa.table("articles", sa.column("id"), sa.column("published"))
    order = sa.table("article_order", sa.column("article_id"))
    missing = (
        sa.select(articles.c.id)
        .where(articles.c.id.not_in(sa.select(order.c.article_id)))
        .order_by(articles.c.published, articles.c.id)
    )
    op.execute(sa.insert(order).from_select(["article_id"], missing))
