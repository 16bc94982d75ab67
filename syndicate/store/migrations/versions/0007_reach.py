"""reach: the built-in WebSub hub, partners' terms, feed polls and aggregators' reports.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

New tables only: nothing stored before is touched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Frozen copies of the column types in syndicate/store/schema.py as of this revision.
KEY = sa.String().with_variant(sa.String(collation="C"), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "websub_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("topic", KEY, nullable=False),
        sa.Column("callback", sa.Text(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("lease_seconds", sa.Integer(), nullable=False),
        sa.Column("lease_end", TIMESTAMP, nullable=False),
        sa.Column("created", TIMESTAMP, nullable=False),
        sa.Column("verified", TIMESTAMP, nullable=False),
        sa.Column("delivered_seq", sa.Integer(), nullable=False),
        sa.Column("next_attempt", TIMESTAMP, nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("failing_since", TIMESTAMP, nullable=True),
        sa.Column("last_attempt", TIMESTAMP, nullable=True),
        sa.Column("last_delivery", TIMESTAMP, nullable=True),
        sa.Column("last_status", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_websub_subscriptions"),
    )
    op.create_index(
        "ix_websub_subscriptions_topic_callback",
        "websub_subscriptions",
        ["topic", "callback"],
        unique=True,
    )
    op.create_index(
        "ix_websub_subscriptions_next_attempt", "websub_subscriptions", ["next_attempt"]
    )
    op.create_table(
        "websub_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("topic", KEY, nullable=False),
        sa.Column("callback", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("lease_seconds", sa.Integer(), nullable=False),
        sa.Column("received", TIMESTAMP, nullable=False),
        sa.Column("next_attempt", TIMESTAMP, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_websub_requests"),
    )
    op.create_index("ix_websub_requests_next_attempt", "websub_requests", ["next_attempt"])
    op.create_table(
        "websub_documents",
        sa.Column("topic", KEY, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("changed", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("topic", name="pk_websub_documents"),
    )
    op.create_table(
        "partners",
        sa.Column("name", KEY, nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("full_text", sa.Boolean(), nullable=False),
        sa.Column("created", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_partners"),
    )
    op.create_table(
        "feed_polls",
        sa.Column("day", KEY, nullable=False),
        sa.Column("feed", KEY, nullable=False),
        sa.Column("partner", KEY, nullable=False),
        sa.Column("client", KEY, nullable=False),
        sa.Column("agent", sa.String(), nullable=False),
        sa.Column("aggregator", sa.String(), nullable=False),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.Column("conditional", sa.Integer(), nullable=False),
        sa.Column("not_modified", sa.Integer(), nullable=False),
        sa.Column("bytes_sent", sa.BigInteger(), nullable=False),
        sa.Column("bytes_saved", sa.BigInteger(), nullable=False),
        sa.Column("last_seen", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("day", "feed", "partner", "client", name="pk_feed_polls"),
    )
    op.create_index("ix_feed_polls_feed_day", "feed_polls", ["feed", "day"])
    op.create_table(
        "aggregator_reports",
        sa.Column("day", KEY, nullable=False),
        sa.Column("feed", KEY, nullable=False),
        sa.Column("aggregator", KEY, nullable=False),
        sa.Column("ident", KEY, nullable=False),
        sa.Column("subscribers", sa.Integer(), nullable=False),
        sa.Column("reported", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("day", "feed", "aggregator", "ident", name="pk_aggregator_reports"),
    )
    op.create_index("ix_aggregator_reports_feed_day", "aggregator_reports", ["feed", "day"])


def downgrade() -> None:
    op.drop_index("ix_aggregator_reports_feed_day", table_name="aggregator_reports")
    op.drop_table("aggregator_reports")
    op.drop_index("ix_feed_polls_feed_day", table_name="feed_polls")
    op.drop_table("feed_polls")
    op.drop_table("partners")
    op.drop_table("websub_documents")
    op.drop_index("ix_websub_requests_next_attempt", table_name="websub_requests")
    op.drop_table("websub_requests")
    op.drop_index("ix_websub_subscriptions_next_attempt", table_name="websub_subscriptions")
    op.drop_index("ix_websub_subscriptions_topic_callback", table_name="websub_subscriptions")
    op.drop_table("websub_subscriptions")
