"""What the store remembers about each source's fetches, and the log of refresh runs.

:class:`RunLog` is one part of :class:`~syndicate.store.Store`, which holds one and hands its
calls on; it runs its SQL through the store's :class:`~syndicate.store.engine.Database`.
Source rows are upserted with ``INSERT .. ON CONFLICT`` where the dialect has it.

A refresh is logged when it starts, as ``running`` (:meth:`RunLog.start_run`), and finished
in place when it ends (:meth:`RunLog.finish_run`), so a run whose process was killed is
visible. Refreshes of one source never overlap (a lock per source in a process, in the task
queue across processes), so when a source's next run starts, a run of it still ``running`` was
cut short: it becomes ``interrupted``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from syndicate.errors import StoreError
from syndicate.store import schema
from syndicate.store.engine import Database

RUNNING, INTERRUPTED = "running", "interrupted"
UNFINISHED = (RUNNING, INTERRUPTED)
INTERRUPTED_MESSAGE = "the process ended before this run finished (killed or crashed)"


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the store remembers about fetching one source.

    ``etag`` and ``last_modified`` are the validators of the last successful response, to be
    sent back verbatim in a conditional GET.
    """

    name: str
    etag: str | None = None
    last_modified: str | None = None
    last_success: datetime | None = None
    last_failure: datetime | None = None
    failure_message: str | None = None
    consecutive_failures: int = 0
    paused: bool = False  # an operator paused it: the scheduler leaves it alone
    refresh_requested: datetime | None = None  # an operator asked for a refresh now


@dataclass(frozen=True, slots=True)
class Run:
    """One refresh of one source, as logged by :meth:`RunLog.log_run`."""

    id: int
    source: str
    started: datetime
    duration: float  # seconds
    outcome: str
    new: int
    updated: int
    unchanged: int
    skipped: int
    message: str


class RunLog:
    """Source state and the run log: the part of :class:`~syndicate.store.Store` about runs."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record_success(
        self,
        source: str,
        *,
        at: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """Note a successful fetch: resets the failure count.

        A validator passed as ``None`` keeps the stored one (a 304 often omits them); pass
        ``""`` to clear it.
        """
        changes: dict[str, Any] = {"last_success": at, "consecutive_failures": 0}
        if etag is not None:
            changes["etag"] = etag
        if last_modified is not None:
            changes["last_modified"] = last_modified
        with self._db.transaction(f"record success of source {source}", write=True) as conn:
            upsert_source(conn, source, fresh=changes, changes=changes)

    def record_failure(self, source: str, message: str, *, at: datetime) -> None:
        """Note a failed fetch: counts consecutive failures and keeps the last message."""
        fresh: dict[str, Any] = {
            "last_failure": at,
            "failure_message": message,
            "consecutive_failures": 1,
        }
        changes = fresh | {"consecutive_failures": schema.sources.c.consecutive_failures + 1}
        with self._db.transaction(f"record failure of source {source}", write=True) as conn:
            upsert_source(conn, source, fresh=fresh, changes=changes)

    def source_state(self, name: str) -> SourceState | None:
        """What is known about fetching this source; ``None`` before its first fetch."""
        query = select(schema.sources).where(schema.sources.c.name == name)
        with self._db.transaction(f"read state of source {name}") as conn:
            row = conn.execute(query).first()
        return None if row is None else SourceState(**row._asdict())

    def log_run(
        self,
        source: str,
        *,
        started: datetime,
        duration: float,
        outcome: str,
        new: int = 0,
        updated: int = 0,
        unchanged: int = 0,
        skipped: int = 0,
        message: str = "",
    ) -> int:
        """Append one refresh of ``source`` to the run log; returns the run's id."""
        values = {
            "source": source,
            "started": started,
            "duration": duration,
            "outcome": outcome,
            "new": new,
            "updated": updated,
            "unchanged": unchanged,
            "skipped": skipped,
            "message": message,
        }
        with self._db.transaction(f"log run of source {source}", write=True) as conn:
            key = conn.execute(insert(schema.runs).values(values)).inserted_primary_key
        if key is None:  # every backend we support reports it
            raise StoreError(f"{self._db.label} did not return the id of the logged run")
        return int(key[0])

    def start_run(self, source: str, *, started: datetime) -> int:
        """Log a run of ``source`` as ``running``, and any earlier one still running as
        ``interrupted``; returns the new run's id for :meth:`finish_run`."""
        runs = schema.runs
        with self._db.transaction(f"log the start of a run of {source}", write=True) as conn:
            conn.execute(
                update(runs)
                .where(runs.c.source == source, runs.c.outcome == RUNNING)
                .values(outcome=INTERRUPTED, message=INTERRUPTED_MESSAGE)
            )
            values = {"source": source, "started": started, "duration": 0.0, "outcome": RUNNING}
            key = conn.execute(insert(runs).values(values)).inserted_primary_key
        if key is None:
            raise StoreError(f"{self._db.label} did not return the id of the logged run")
        return int(key[0])

    def finish_run(self, run_id: int, *, outcome: str, duration: float, **counts: Any) -> None:
        """Write how a run started with :meth:`start_run` ended (``new``, ``updated``,
        ``unchanged``, ``skipped``, ``message``)."""
        runs = schema.runs
        values = {"outcome": outcome, "duration": duration, **counts}
        with self._db.transaction(f"log the end of run {run_id}", write=True) as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(values))

    def recent_runs(
        self, source: str | None = None, *, limit: int = 20, finished: bool = False
    ) -> list[Run]:
        """The latest runs, newest first, of one source or of all; ``finished``: only those
        that ended (not ``running``, not ``interrupted``)."""
        runs = schema.runs
        query = select(runs).order_by(runs.c.started.desc(), runs.c.id.desc()).limit(limit)
        if source is not None:
            query = query.where(runs.c.source == source)
        if finished:
            query = query.where(runs.c.outcome.not_in(UNFINISHED))
        with self._db.transaction("list recent runs") as conn:
            return [Run(**row._asdict()) for row in conn.execute(query)]


def upsert_source(
    conn: Connection, name: str, *, fresh: dict[str, Any], changes: dict[str, Any]
) -> None:
    """Insert the source row with ``fresh`` values, or apply ``changes`` to the existing one."""
    table = schema.sources
    if conn.dialect.name == "sqlite":
        lite = sqlite.insert(table).values(name=name, **fresh)
        conn.execute(lite.on_conflict_do_update(index_elements=[table.c.name], set_=changes))
    elif conn.dialect.name == "postgresql":
        pg = postgresql.insert(table).values(name=name, **fresh)
        conn.execute(pg.on_conflict_do_update(index_elements=[table.c.name], set_=changes))
    else:  # portable fallback: fine under the one-refresh-per-source rule
        result = conn.execute(update(table).where(table.c.name == name).values(changes))
        if result.rowcount == 0:
            conn.execute(insert(table).values(name=name, **fresh))
