"""Schema migrations: Alembic revisions for SQLite and PostgreSQL, driven from the store.

The store hands these functions a connection inside its own transaction, so an upgrade is
all or nothing on both backends (both run DDL in transactions) and no ``alembic.ini`` is
needed: the scripts are found as the package resource ``syndicate.store:migrations``. Running the
``alembic`` command line against a database is possible through ``syndicate db`` only; this
package is the only importer of Alembic.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text

from syndicate.errors import StoreError

if TYPE_CHECKING:  # Alembic is imported on first use: web workers never load it
    from alembic.config import Config
    from alembic.script import ScriptDirectory

SCRIPT_LOCATION = "syndicate.store:migrations"
# Any fixed number: PostgreSQL advisory lock held while one process upgrades, so web workers
# starting together do not race to create the same tables.
_UPGRADE_LOCK = 0x5359_4E44  # "SYND"


def _config(conn: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = conn
    return config


@cache
def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def head() -> str:
    """The revision this version of syndicate needs."""
    found = _scripts().get_current_head()
    if found is None:  # only if the versions folder were empty
        raise RuntimeError("syndicate/store/migrations/versions holds no revision")
    return found


def current(conn: Connection) -> str | None:
    """The revision the database is at; ``None`` for a database that has none yet."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def history() -> list[tuple[str, str]]:
    """``(revision, message)`` of every migration, oldest first."""
    revisions = list(_scripts().walk_revisions())
    return [(script.revision, script.doc or "") for script in reversed(revisions)]


def upgrade(conn: Connection, target: str = "head") -> bool:
    """Bring the database on ``conn`` to ``target``; returns whether anything ran.

    Call inside a transaction: the caller commits. On PostgreSQL an advisory lock makes
    concurrent callers wait, and the second finds nothing left to do.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK})
    wanted = head() if target == "head" else target
    if current(conn) == wanted:
        return False
    from alembic import command

    _run(command.upgrade, conn, target)
    return True


def downgrade(conn: Connection, target: str) -> None:
    """Take the database on ``conn`` back to ``target`` (``"base"``: no tables at all)."""
    from alembic import command

    _run(command.downgrade, conn, target)


def _run(step: Callable[[Config, str], None], conn: Connection, target: str) -> None:
    """Run an Alembic command; its errors (an unknown revision) become StoreError."""
    from alembic.util import CommandError

    try:
        step(_config(conn), target)
    except CommandError as exc:
        raise StoreError(f"cannot migrate to revision {target}: {exc}") from exc
