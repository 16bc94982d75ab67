"""Alembic's entry point: run the migrations on the connection the store passed in.

There is no engine and no URL here: ``syndicate.store.migrations.upgrade`` puts a connection,
already inside the store's transaction, into ``config.attributes``. SQLite alters tables by copying
them, which Alembic's batch mode does for us (``render_as_batch``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from syndicate.store import schema


def run_migrations(connection: Connection) -> None:
    """Run the pending migrations inside the caller's transaction."""
    context.configure(
        connection=connection,
        target_metadata=schema.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if not isinstance(_connection, Connection):
    raise RuntimeError("migrations run through the store: use `syndicate db upgrade`")
run_migrations(_connection)
