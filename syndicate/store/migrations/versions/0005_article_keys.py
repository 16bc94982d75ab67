"""article_keys: the id rule's key of each article, so inputs find articles stored earlier.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Ids used to be made from an article's link or else its title, so files of the same title were
one article. The rule now prefers the input's own id, then its link, then a file's path under
its source root. Articles already stored keep the ids they were published under: they get no
row here, and the first input whose legacy ids name one takes it over (see
``syndicate/store/writes.py``). Nothing is backfilled: which input an old row belongs to is
known only when that input is read again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# A frozen copy of the key type in syndicate/store/schema.py as of this revision.
KEY = sa.String().with_variant(sa.String(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "article_keys",
        sa.Column("key_id", KEY, nullable=False),
        sa.Column("article_id", KEY, nullable=False),
        sa.PrimaryKeyConstraint("key_id", name="pk_article_keys"),
        sa.UniqueConstraint("article_id", name="uq_article_keys_article_id"),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_article_keys_article_id_articles",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("article_keys")
