"""The database behind a store: one SQLAlchemy engine, its connection setup, transactions.

Every part of the store (articles, writes, the run log) runs its SQL through
:meth:`Database.transaction`, which is where SQLAlchemy errors become
:class:`~syndicate.errors.StoreError` naming the operation and the database. The only
dialect-specific setup is SQLite's: WAL mode and friends on every connection, and BEGIN under
our control.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from syndicate.errors import StoreError

SQLITE_BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for another writer's lock
_WRITE_OPTION = "syndicate_write"  # execution option: this transaction will write


class Database:
    """An engine on one database URL, safe to share between threads.

    For a SQLite file the parent folder is created and every connection runs in WAL mode with
    ``synchronous=NORMAL``, foreign keys on and a busy timeout. Connections come from the
    engine's pool. (An in-memory ``sqlite://`` database exists once per thread.)
    """

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot read the database URL: {exc}") from exc
        self.label = parsed.render_as_string(hide_password=True)
        try:
            _make_parent_folder(parsed)
            # A PostgreSQL server that restarted leaves the pool's connections dead; each is
            # tried (a round trip) before use, so the first transaction after an outage does
            # not fail on one (a queue job would wait out its retry delay for it).
            pre_ping = parsed.get_backend_name() == "postgresql"
            self.engine = create_engine(parsed, pool_pre_ping=pre_ping)
        except (SQLAlchemyError, ImportError, OSError) as exc:
            raise StoreError(f"cannot open the store at {self.label}: {exc}") from exc
        if self.engine.dialect.name == "sqlite":
            _configure_sqlite(self.engine)
        # Dropped without close(), the pooled connections still close (the server side of a
        # PostgreSQL connection lives until the client says goodbye).
        weakref.finalize(self, self.engine.dispose)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return str(self.engine.dialect.name)

    def close(self) -> None:
        """Close every pooled connection; the engine reconnects if used again."""
        self.engine.dispose()

    @contextmanager
    def transaction(self, what: str, *, write: bool = False) -> Iterator[Connection]:
        """One connection in one transaction; SQLAlchemy errors become StoreError.

        ``what`` names the operation in the error message. ``write`` takes SQLite's write
        lock at BEGIN, so a read that turns into a write never fails with "database is locked".
        """
        try:
            with self.engine.connect() as conn:
                if write:
                    conn.execution_options(**{_WRITE_OPTION: True})
                with conn.begin():
                    yield conn
        except SQLAlchemyError as exc:
            if _is_disk_full(exc):
                raise StoreError(
                    f"{what} failed on {self.label}: no space left on the device that holds the "
                    "database; what was stored before is intact (free some space and run again)"
                ) from exc
            raise StoreError(f"{what} failed on {self.label}: {exc}") from exc


# SQLite's SQLITE_FULL, the OS's ENOSPC as PostgreSQL reports it, PostgreSQL's class 53100.
_DISK_FULL = ("database or disk is full", "no space left on device", "diskfull", "could not extend")


def _is_disk_full(exc: BaseException) -> bool:
    """Whether the disk filling up is behind ``exc``, or behind what it hides: SQLite rolls a
    transaction back itself on SQLITE_FULL, so what SQLAlchemy raises next is "no such
    savepoint", with the full disk as its context."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        original = getattr(seen, "orig", None) or seen
        text = f"{type(original).__name__} {original}".lower()
        if any(m in text for m in _DISK_FULL) or getattr(original, "sqlstate", "") == "53100":
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _make_parent_folder(url: URL) -> None:
    if url.get_backend_name() != "sqlite" or url.query.get("uri"):
        return
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    """WAL and friends on every new connection, and BEGIN under our control.

    The ``sqlite3`` module of Python < 3.12 starts transactions late and never for SELECT or
    SAVEPOINT, so it is told to stay out (``isolation_level = None``) and we emit BEGIN
    ourselves, as SQLAlchemy's SQLite docs describe. Writing transactions use BEGIN IMMEDIATE:
    they take the write lock up front (waiting up to the busy timeout) instead of failing with
    "database is locked" when a read turns into a write.
    """
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # busy_timeout first, so switching to WAL waits for a concurrent opener.
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; fsync at checkpoints
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    writing = conn.get_execution_options().get(_WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")
