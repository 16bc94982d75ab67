"""article_languages: the language of each article as a link table, for per-language feeds.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Like the category, tag and author links: one row per article (the slug of its language tag,
``""`` when it has none), indexed by ``(slug, published desc, article_id desc)`` so a language
feed is one range scan. Stored articles get their rows here, a batch at a time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndicate.text.slugs import slugify

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen copies of the column types in syndicate/store/schema.py as of this revision.
KEY = sa.String().with_variant(sa.String(collation="C"), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
NAME = "article_languages"
BATCH = 1000


def upgrade() -> None:
    op.create_table(
        NAME,
        sa.Column("article_id", KEY, nullable=False),
        sa.Column("slug", KEY, nullable=False),
        sa.Column("name", KEY, nullable=False),
        sa.Column("published", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=f"fk_{NAME}_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "slug", name=f"pk_{NAME}"),
    )
    op.create_index(
        f"ix_{NAME}_slug_published",
        NAME,
        ["slug", sa.text("published DESC"), sa.text("article_id DESC")],
    )
    _backfill()


def downgrade() -> None:
    op.drop_table(NAME)


def _backfill() -> None:
    """One row per stored article, read and written in batches by id."""
    conn = op.get_bind()
    articles = sa.table("articles", sa.column("id"), sa.column("language"), sa.column("published"))
    links = sa.table(
        NAME, sa.column("article_id"), sa.column("slug"), sa.column("name"), sa.column("published")
    )
    last = None
    while True:
        query = sa.select(articles.c.id, articles.c.language, articles.c.published)
        if last is not None:
            query = query.where(articles.c.id > last)
        rows = conn.execute(query.order_by(articles.c.id).limit(BATCH)).all()
        if not rows:
            return
        conn.execute(
            sa.insert(links),
            [
                {"article_id": i, "slug": slugify(lang), "name": lang, "published": at}
                for i, lang, at in rows
            ],
        )
        last = rows[-1][0]
