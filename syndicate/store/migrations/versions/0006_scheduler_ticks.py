"""scheduler_ticks: each running scheduler's last sign of life.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

A scheduler rewrites its row at every tick; ``/healthz?deep=1`` of any web process answers
503 when the newest tick is older than ``schedule.stalled_after``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Frozen copies of the column types in syndicate/store/schema.py as of this revision.
KEY = sa.String().with_variant(sa.String(collation="C"), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "scheduler_ticks",
        sa.Column("scheduler", KEY, nullable=False),
        sa.Column("started", TIMESTAMP, nullable=False),
        sa.Column("ticked", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("scheduler", name="pk_scheduler_ticks"),
    )


def downgrade() -> None:
    op.drop_table("scheduler_ticks")
