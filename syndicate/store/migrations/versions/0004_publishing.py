"""publishing: article status, scheduled articles, tombstones, managed sources, API tokens.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Every article stored so far is published (``status`` defaults to it). Articles already stored
with a date in the future were visible at once before this revision; from now on they wait
for their time, so they leave ``article_order`` and join ``article_schedule``: they get their
archive place when they are released, as new scheduled articles do.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen copies of the column types in syndicate/store/schema.py as of this revision.
KEY = sa.String().with_variant(sa.String(collation="C"), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(
            sa.Column("status", sa.String(), nullable=False, server_default="published")
        )
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("paused", sa.Boolean(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("refresh_requested", TIMESTAMP, nullable=True))
    op.create_table(
        "article_schedule",
        sa.Column("article_id", KEY, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_article_schedule_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name="pk_article_schedule"),
    )
    op.create_index("ix_article_schedule_at", "article_schedule", ["at"])
    op.create_table(
        "tombstones",
        sa.Column("article_id", KEY, nullable=False),
        sa.Column("source", KEY, nullable=False),
        sa.Column("slug", KEY, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("removed", TIMESTAMP, nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("authors", sa.Text(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", name="pk_tombstones"),
    )
    op.create_index("ix_tombstones_slug", "tombstones", ["slug"])
    op.create_index("ix_tombstones_removed", "tombstones", ["removed"])
    op.create_table(
        "managed_sources",
        sa.Column("name", KEY, nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("created", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_managed_sources"),
    )
    op.create_table(
        "tokens",
        sa.Column("name", KEY, nullable=False),
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("created", TIMESTAMP, nullable=False),
        sa.Column("last_used", TIMESTAMP, nullable=True),
        sa.Column("revoked", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_tokens"),
    )
    op.create_index("ix_tokens_digest", "tokens", ["digest"], unique=True)
    _schedule_future_articles()


def downgrade() -> None:
    _release_scheduled_articles()
    op.drop_index("ix_tokens_digest", table_name="tokens")
    op.drop_table("tokens")
    op.drop_table("managed_sources")
    op.drop_index("ix_tombstones_removed", table_name="tombstones")
    op.drop_index("ix_tombstones_slug", table_name="tombstones")
    op.drop_table("tombstones")
    op.drop_index("ix_article_schedule_at", table_name="article_schedule")
    op.drop_table("article_schedule")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("refresh_requested")
        batch.drop_column("paused")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("status")


def _schedule_future_articles() -> None:
    """Articles dated after now wait for their time, as the store treats new ones."""
    now = datetime.now(UTC)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":  # naive UTC text there, as the store writes it
        now = now.replace(tzinfo=None)
    articles = sa.table("articles", sa.column("id"), sa.column("published"))
    schedule = sa.table("article_schedule", sa.column("article_id"), sa.column("at"))
    order = sa.table("article_order", sa.column("article_id"))
    future = sa.select(articles.c.id, articles.c.published).where(articles.c.published > now)
    op.execute(sa.insert(schedule).from_select(["article_id", "at"], future))
    op.execute(sa.delete(order).where(order.c.article_id.in_(sa.select(schedule.c.article_id))))


def _release_scheduled_articles() -> None:
    """Back to the old rule (every article visible at once): scheduled ones get an order."""
    schedule = sa.table("article_schedule", sa.column("article_id"), sa.column("at"))
    order = sa.table("article_order", sa.column("article_id"))
    waiting = sa.select(schedule.c.article_id).order_by(schedule.c.at, schedule.c.article_id)
    op.execute(sa.insert(order).from_select(["article_id"], waiting))
