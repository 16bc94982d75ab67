"""runs: index the run log newest first.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

The log grows by one row per refresh (2,000 sources every 30 minutes is ~96,000 rows a day);
listing the latest runs of all sources must read the top of an index, not sort the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_runs_started_id", "runs", [sa.text("started DESC"), sa.text("id DESC")])


def downgrade() -> None:
    op.drop_index("ix_runs_started_id", table_name="runs")
